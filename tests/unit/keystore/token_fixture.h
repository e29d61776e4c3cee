/* A fresh SoftHSM2 token in a temporary directory for one keystore test program: made before the
 * tests, removed after them. */
#ifndef KEYSTORE_TOKEN_FIXTURE_H
#define KEYSTORE_TOKEN_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardforge/keystore.h"

/* Makes dir (a mkdtemp template) and a token in it with SO PIN so_pin and user PIN pin (also put in
 * CF_KS_PIN_ENV for the code under test). as_home: the directory becomes CARDFORGE_HOME, the state
 * directory the CLI's paths use; else it is passed as cf_ks_config.state_dir. Returns 0, 77 when
 * SoftHSM2 is not installed (ctest counts the program skipped), 1 on any other failure. */
static inline int token_fixture_make(char *dir, bool as_home, const char *so_pin, const char *pin) {
  if (mkdtemp(dir) == NULL) return 1;
  if (as_home) setenv("CARDFORGE_HOME", dir, 1);
  setenv(CF_KS_PIN_ENV, pin, 1);
  char err[512] = "";
  cf_ks_config c = {.state_dir = as_home ? NULL : dir};
  if (cf_ks_init_token(&c, so_pin, pin, err, sizeof err) != 0) {
    fprintf(stderr, "token: %s\n", err);
    return strstr(err, "not installed") ? 77 : 1;
  }
  return 0;
}

static inline void token_fixture_remove(const char *dir) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

#endif
