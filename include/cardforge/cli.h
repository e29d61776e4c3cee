/* The `cardforge` command line: shared conventions for every subcommand.
 *
 * Exit codes (documented in `cardforge --help` and docs/cli.md):
 *   0 success, 1 internal error, 2 usage error, 3 the card refused a command (unexpected status
 *   word), 4 reader or PC/SC failure, 5 a verification failed (a result did not match), 6 file
 *   error, 7 another program reset or used the card during the session (nothing is wrong with the
 *   card or the input: run again). */
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
  CF_EXIT_SHARED = 7,
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
 * prints one line "cardforge: <why>" and returns NULL (*exit_code, when not NULL, gets
 * CF_EXIT_SHARED or CF_EXIT_TRANSPORT). The reader chosen is remembered for error lines. */
cf_transport *cf_cli_connect(const cf_cli_global *g, const char *reader);
cf_transport *cf_cli_connect_ex(const cf_cli_global *g, const char *reader, int *exit_code);
/* The exit code for a failed exchange on t: CF_EXIT_SHARED when another program reset or used
 * the card, else CF_EXIT_TRANSPORT. */
int cf_cli_transport_exit(const cf_transport *t);
/* Error lines name the reader: cf_cli_error appends " [reader R]" unless the line already names
 * it. cf_cli_connect notes the reader it opened; commands that open several readers name each in
 * their own messages and call cf_cli_note_reader(NULL) to stop the suffix. */
void cf_cli_note_reader(const char *name);
/* The one reader noted, or NULL when none or several. */
const char *cf_cli_current_reader(void);
/* Prints "cardforge: <message>" on stderr (one line). */
void cf_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a card refusal: "cardforge: <what>: card answered SW <XXXX> (<meaning>)". */
void cf_cli_card_error(const char *what, unsigned sw);
/* A short English meaning for common status words ("security status not satisfied"). */
const char *cf_sw_meaning(unsigned sw);

#endif
