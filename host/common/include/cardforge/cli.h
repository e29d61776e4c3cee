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

/* Every command line, top to bottom, is described by one table type and parsed by one parser
 * (cardforge/cli_opts.h, getopt_long):
 *   cardforge [GLOBAL] FAMILY [COMMON] COMMAND [OPTIONS] [WORDS]
 * tools/main.c holds the table of families; keycard, gp and cmcc hold a table of commands; apdu,
 * readers and sim are one command each. An option means one thing wherever it stands: global
 * options (CF_CLI_GLOBAL_OPTIONS) and a family's common options may come before or after the
 * command, a command's own options after it. */
#define CF_CLI_GLOBAL_OPTIONS "--reader|-r= --trace|-t --quiet|-q --help|-h "

typedef struct cf_cli_command {
  const char *name;
  int (*run)(void *ctx); /* ctx: the family's state for this run (keycard_cli, cmcch_cli, ...) */
  const char *options;   /* what it takes beyond the global and common options (cli_opts spec) */
  int max_words;         /* words after the options it takes: 0 none, -1 any number */
  const char *usage;     /* synopsis after "cardforge FAMILY COMMAND" ("\n" wraps) */
  const char *summary;   /* one line in the family's list */
  const char *help;      /* more for `cardforge FAMILY COMMAND --help`, or NULL; a help with its
                            own "options:\n" section replaces the list made from options */
} cf_cli_command;

typedef struct cf_cli_family {
  const char *name; /* "keycard"; NULL for a command without subcommands (apdu) */
  const cf_cli_command *commands;
  size_t count;
  const char *common_options; /* options every command takes (cli_opts spec) */
  const char *common_help;    /* how the common options are described in a command's --help */
  void (*print_help)(FILE *f);
} cf_cli_family;

/* What the family's entry point gets from tools/main.c. */
typedef struct cf_cli_invocation {
  const cf_cli_global *g;
  int argc; /* argv[0] is the family's name */
  char **argv;
} cf_cli_invocation;

struct cf_cli_opts;
/* Finds the command of argv (argv[0] = the family's name) and parses the options: global and
 * common ones anywhere, the command's after it. out: help text; log: the family's help when no
 * command is given. Returns -1 to go on, with *cmd set, o parsed and *g_out = *g with the global
 * options given here applied; CF_EXIT_OK after printing help (a --help anywhere, or `FAMILY help
 * [COMMAND]`); or CF_EXIT_USAGE with the reason in err ("" when already printed) and *cmd the
 * command when it was found. */
int cf_cli_parse_command(const cf_cli_family *f, const cf_cli_global *g, int argc, char **argv,
                         struct cf_cli_opts *o, int max_values, const cf_cli_command **cmd,
                         cf_cli_global *g_out, FILE *out, FILE *log, char *err, size_t cap);
/* The same for a command without subcommands (apdu, readers, sim): argv[0] is its name. */
int cf_cli_parse_single(const cf_cli_command *c, const cf_cli_global *g, int argc, char **argv,
                        struct cf_cli_opts *o, int max_values, cf_cli_global *g_out, char *err, size_t cap);
/* `usage: cardforge FAMILY COMMAND ...`, summary, help, and the options it takes. */
void cf_cli_print_command_help(FILE *f, const cf_cli_family *fam, const cf_cli_command *c);
/* One row of a family's command list: "  NAME  summary suffix", NAME padded to width; a summary that
 * holds "\n" goes on below, every line under the first one's text (suffix may be NULL). */
void cf_cli_print_command_row(FILE *f, int width, const char *name, const char *summary, const char *suffix);

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

/* An APDU script (`apdu --file`, `gp apdu --file`): path ("-": standard input), one APDU in hex a
 * line, '#' to the end of a line a comment, blank lines skipped. send gets each line and returns -1
 * to go on or an exit code to stop with (returned). A file that cannot be opened is reported as
 * "cardforge: <who>: <path>: <reason>" (CF_EXIT_FILE). Returns -1 when every line was sent. */
int cf_cli_apdu_script(const char *path, const char *who, int (*send)(void *ctx, const char *line),
                       void *ctx);

#endif
