/* Runs `cardforge gp ...` in process on a fixture's card and captures what it prints. */
#ifndef GP_CLI_RUN_H
#define GP_CLI_RUN_H

#include <stdio.h>
#include <unistd.h>

#include "gp_card_fixture.h"
#include "cardforge/cli.h"

/* line: the words after "gp", split at spaces. out (cap bytes) gets standard output. */
static inline int gp_cli(fixture *fx, const char *line, char *out, size_t cap) {
  char buf[1024], *argv[40];
  int argc = 0;
  snprintf(buf, sizeof buf, "gp %s", line);
  print_message("$ cardforge %s\n", buf);
  for (char *tok = strtok(buf, " "); tok != NULL && argc < 39; tok = strtok(NULL, " "))
    argv[argc++] = tok;
  argv[argc] = NULL;
  fflush(stdout);
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  int saved = dup(STDOUT_FILENO);
  assert_true(saved >= 0);
  assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
  cf_cli_global g = {0};
  int rc = cf_gp_cli_run(&g, fx->t, argc, argv);
  fflush(stdout);
  assert_true(dup2(saved, STDOUT_FILENO) >= 0);
  close(saved);
  rewind(tmp);
  size_t n = fread(out, 1, cap - 1, tmp);
  out[n] = 0;
  fclose(tmp);
  print_message("%s", out);
  return rc;
}

#endif
