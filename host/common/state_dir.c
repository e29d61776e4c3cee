/* Where host-side state (pairings, emulated card files) lives, following the XDG convention. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cardforge/clicommon.h"

static int fits(int n, size_t cap) {
  return n >= 0 && (size_t)n < cap ? 0 : -1;
}

int cf_cli_default_state_dir(char *out, size_t cap) {
  const char *home = getenv("CARDFORGE_HOME");
  if (home != NULL && *home != '\0') return fits(snprintf(out, cap, "%s", home), cap);
  const char *xdg = getenv("XDG_DATA_HOME");
  if (xdg != NULL && *xdg == '/') return fits(snprintf(out, cap, "%s/cardforge", xdg), cap);
  const char *user_home = getenv("HOME");
  if (user_home != NULL && *user_home != '\0')
    return fits(snprintf(out, cap, "%s/.local/share/cardforge", user_home), cap);
  return -1;
}

int cf_cli_mkdirs(const char *path) {
  char buf[4096];
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char saved = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
    buf[i] = saved;
  }
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}
