/* One-line error reporting and the PC/SC connection step every subcommand shares. */
#include <stdarg.h>
#include <stdio.h>

#include "cardforge/cli.h"

void cf_cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("cardforge: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void cf_cli_card_error(const char *what, unsigned sw) {
  cf_cli_error("%s: card answered SW %04X (%s)", what, sw & 0xFFFF, cf_sw_meaning(sw));
}

cf_transport *cf_cli_connect(const cf_cli_global *g, const char *reader) {
  char err[256];
  const char *want = reader != NULL ? reader : (g != NULL ? g->reader : NULL);
  cf_transport *t = cf_transport_open_pcsc(want, err, sizeof err);
  if (t == NULL) {
    cf_cli_error("%s", err);
    return NULL;
  }
  if (g != NULL && g->trace) t->trace = stderr;
  return t;
}
