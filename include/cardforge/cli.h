/* The `cardforge` command line: shared conventions for every subcommand.
 *
 * Exit codes (documented in `cardforge --help` and docs/cli.md):
 *   0 success, 1 internal error, 2 usage error, 3 the card refused a command (unexpected status
 *   word), 4 reader or PC/SC failure, 5 a verification failed (a result did not match), 6 file
 *   error. */
#ifndef CARDFORGE_CLI_H
#define CARDFORGE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cardforge/transport.h"

enum {
  CF_EXIT_OK = 0,
  CF_EXIT_INTERNAL = 1,
  CF_EXIT_USAGE = 2,
  CF_EXIT_CARD = 3,
  CF_EXIT_TRANSPORT = 4,
  CF_EXIT_VERIFY = 5,
  CF_EXIT_FILE = 6,
};

/* Options given before the subcommand: cardforge [--trace] [--reader R] [--quiet] CMD ... */
typedef struct cf_cli_global {
  bool trace;            /* print every APDU to stderr, secrets redacted */
  bool quiet;            /* no progress output */
  const char *reader;    /* default reader (name, substring or index), may be NULL */
  const char *state_dir; /* where host state lives (pairings, ...): $CARDFORGE_HOME or
                            $XDG_DATA_HOME/cardforge or ~/.local/share/cardforge */
} cf_cli_global;

/* Subcommands: argv[0] is the subcommand name ("keycard", "gp", "cmcc", ...). Each prints its
 * own help for --help / -h and returns an exit code. */
int cf_cli_keycard(const cf_cli_global *g, int argc, char **argv);
int cf_cli_gp(const cf_cli_global *g, int argc, char **argv);
int cf_cli_cmcc(const cf_cli_global *g, int argc, char **argv);

/* Opens a PC/SC transport to reader (or g->reader when NULL), tracing if g->trace. On failure
 * prints one line "cardforge: <why>" and returns NULL. */
cf_transport *cf_cli_connect(const cf_cli_global *g, const char *reader);
/* Prints "cardforge: <message>" on stderr (one line). */
void cf_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a card refusal: "cardforge: <what>: card answered SW <XXXX> (<meaning>)". */
void cf_cli_card_error(const char *what, unsigned sw);
/* A short English meaning for common status words ("security status not satisfied"). */
const char *cf_sw_meaning(unsigned sw);

#endif
