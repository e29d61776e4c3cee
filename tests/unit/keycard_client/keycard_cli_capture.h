/* Runs `keycard <args...>` in process with stdout and stderr kept as text: what the CLI tests
 * (test_keycard_client_cli.c, test_keycard_client_cli_apps.c) share; each plugs in its own way to
 * reach cards. */
#ifndef KEYCARD_CLI_CAPTURE_H
#define KEYCARD_CLI_CAPTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_keycard_internal.h"

/* args: the arguments after "keycard", ending with NULL (at most 30 are taken). The output text
 * goes to *out and *log (their previous text freed), io_in's streams replaced. */
static inline int keycard_cli_run_captured(const cf_cli_global *g, const keycard_cli_io *io_in,
                                           char **out_text, size_t *out_len, char **log_text, size_t *log_len,
                                           va_list args) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = "keycard";
  for (char *a; (a = va_arg(args, char *)) != NULL && argc < 31;)
    argv[argc++] = a;
  argv[argc] = NULL;
  free(*out_text);
  free(*log_text);
  FILE *out = open_memstream(out_text, out_len), *log = open_memstream(log_text, log_len);
  keycard_cli_io io = *io_in;
  io.out = out;
  io.log = log;
  int code = keycard_cli_run(g, argc, argv, &io);
  fclose(out);
  fclose(log);
  return code;
}

#endif
