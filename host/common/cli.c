/* One-line error reporting and the PC/SC connection step every subcommand shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/json_out.h"

/* The one reader this command (in a batch: this worker thread) talks to, named in every error line;
 * "" when none or several. Per thread, so workers on several readers never share it. */
static _Thread_local char current_reader[128];
static _Thread_local int readers_noted;

void cf_cli_note_reader(const char *name) {
  if (name == NULL) {
    readers_noted = 2; /* several: each message names its own */
    current_reader[0] = '\0';
    return;
  }
  if (readers_noted == 1 && strcmp(current_reader, name) == 0) return;
  if (readers_noted++ == 0)
    snprintf(current_reader, sizeof current_reader, "%s", name);
  else
    current_reader[0] = '\0';
}

const char *cf_cli_current_reader(void) {
  return current_reader[0] != '\0' ? current_reader : NULL;
}

void cf_cli_error(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (cf_json_error_mode()) { /* --json: the same error as one JSON object (json_out.h) */
    cf_json_print_error(msg, current_reader);
    return;
  }
  if (current_reader[0] != '\0' && strstr(msg, current_reader) == NULL)
    fprintf(stderr, "cardforge: %s [reader %s]\n", msg, current_reader);
  else
    fprintf(stderr, "cardforge: %s\n", msg);
}

void cf_cli_card_error(const char *what, unsigned sw) {
  cf_cli_error("%s: card answered SW %04X (%s)", what, sw & 0xFFFF, cf_sw_meaning(sw));
}

int cf_cli_transport_exit(const cf_transport *t) {
  return t != NULL && t->fault == CF_TRANSPORT_FAULT_SHARED ? CF_EXIT_SHARED : CF_EXIT_TRANSPORT;
}

cf_transport *cf_cli_connect_ex(const cf_cli_global *g, const char *reader, int *exit_code) {
  char err[256];
  const char *want = reader != NULL ? reader : (g != NULL ? g->reader : NULL);
  cf_transport_fault fault = CF_TRANSPORT_FAULT_NONE;
  cf_transport *t = cf_transport_open_pcsc_ex(want, err, sizeof err, &fault);
  if (t == NULL) {
    cf_cli_error("%s", err);
    if (exit_code != NULL)
      *exit_code = fault == CF_TRANSPORT_FAULT_SHARED ? CF_EXIT_SHARED : CF_EXIT_TRANSPORT;
    return NULL;
  }
  cf_cli_note_reader(t->name);
  if (g != NULL && g->trace) t->trace = stderr;
  return t;
}

cf_transport *cf_cli_connect(const cf_cli_global *g, const char *reader) {
  return cf_cli_connect_ex(g, reader, NULL);
}

int cf_cli_apdu_script(const char *path, const char *who, int (*send)(void *ctx, const char *line),
                       void *ctx) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  if (f == NULL) {
    cf_cli_error("%s: %s: %s", who, path, strerror(errno));
    return CF_EXIT_FILE;
  }
  char *line = NULL;
  size_t cap = 0;
  int rc = -1;
  while (rc < 0 && getline(&line, &cap, f) >= 0) {
    char *hash = strchr(line, '#');
    if (hash != NULL) *hash = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (line[strspn(line, " \t:")] == '\0') continue;
    rc = send(ctx, line);
  }
  free(line);
  if (f != stdin) fclose(f);
  return rc;
}
