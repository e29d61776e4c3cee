/* The one option parser of every `cardforge` command line (global options, each family's
 * subcommands, apdu, readers, sim), built on getopt_long.
 *
 * Options are declared by a spec string: names separated by spaces, "--pin= --key+ --force
 * --reader|-r= --kvn=N". After the name, '=' means the option takes a value, '+' a value that may
 * be given several times (all values kept), neither a flag; "|-x" before it adds a one-letter
 * spelling, and a word after it names the value in help ("--kvn=N": "--kvn N"). On the command line a value
 * follows as the next argument ("--pin 1234", "-r 1") or after '=' ("--pin=1234"); a flag takes no value.
 * Names match whole: getopt_long's abbreviations
 * ("--pi" for "--pin") are refused, so adding an option never changes what an old command line
 * means. Values point into argv, nothing is copied.
 *
 * The parser prints nothing: on failure the caller words the error with cf_cli_opts_message (or
 * its own text) and reports it its own way. */
#ifndef CARDFORGE_CLI_OPTS_H
#define CARDFORGE_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CF_CLI_OPTS_MAX 56        /* options a command may declare */
#define CF_CLI_OPTS_MAX_VALUES 32 /* values one repeatable option can hold */
#define CF_CLI_OPT_NAME_MAX 32    /* longest name + 1 */
#define CF_CLI_OPERANDS_MAX 256   /* words that are not options (apdu HEX...) */

typedef struct cf_cli_opt {
  char name[CF_CLI_OPT_NAME_MAX]; /* "--pin" */
  char short_name;                /* 'r' for "-r", or 0 */
  bool has_value;
  bool repeat;
  int count;                                  /* times given */
  const char *values[CF_CLI_OPTS_MAX_VALUES]; /* in command-line order */
} cf_cli_opt;

typedef enum cf_cli_opts_status {
  CF_CLI_OPTS_OK = 0,
  CF_CLI_OPTS_UNKNOWN,    /* an argument names no declared option (or is a word where none is taken) */
  CF_CLI_OPTS_TWICE,      /* an option that does not repeat given again */
  CF_CLI_OPTS_TOO_MANY,   /* a repeatable option given more than max_values times, or too many words */
  CF_CLI_OPTS_NO_VALUE,   /* an option that takes a value is the last argument */
  CF_CLI_OPTS_FLAG_VALUE, /* "--flag=x": a flag given a value */
} cf_cli_opts_status;

/* What the words that are not options are. */
typedef enum cf_cli_operands {
  CF_CLI_NO_OPERANDS,    /* every argument must be an option */
  CF_CLI_OPERANDS,       /* words are kept in operand[] in order; "--" makes the rest words */
  CF_CLI_STOP_AT_OPERAND /* the parse ends at the first word (a subcommand): stop is its index */
} cf_cli_operands;

typedef struct cf_cli_opts {
  int n;
  int max_values; /* values kept per option, 1..CF_CLI_OPTS_MAX_VALUES */
  cf_cli_opt opt[CF_CLI_OPTS_MAX];
  /* After a parse: the words (CF_CLI_OPERANDS), where a CF_CLI_STOP_AT_OPERAND parse stopped
   * (argc when no word came), and whether "--help" (when declared) was given anywhere (before
   * the stop word in CF_CLI_STOP_AT_OPERAND), even after a problem: help wins over a usage error. */
  int operands;
  char *operand[CF_CLI_OPERANDS_MAX];
  int stop;
  bool help;
  /* After a failed parse: the argument at fault as given, and the option it names (NULL for
   * CF_CLI_OPTS_UNKNOWN). The first problem is the one reported. */
  const char *bad_arg;
  const cf_cli_opt *bad_opt;
} cf_cli_opts;

/* Empties o; max_values caps every repeatable option (clamped to 1..CF_CLI_OPTS_MAX_VALUES). */
void cf_cli_opts_init(cf_cli_opts *o, int max_values);
/* Adds the options of spec (may be called several times: common options, then a command's).
 * Returns 0, or -1 when the table is full, a name is too long, empty or not "--...", a short name
 * is not "-x", or a name is declared twice; the options before the faulty one stay declared. */
int cf_cli_opts_declare(cf_cli_opts *o, const char *spec);
/* Parses every argument of argv (argv[0] is an argument, not a program name) as an option.
 * Stops at the first problem: returns its status and sets bad_arg / bad_opt. Checks, in this
 * order: unknown, given twice, too many values, missing value, value given to a flag. */
cf_cli_opts_status cf_cli_opts_parse(cf_cli_opts *o, int argc, char **argv);
/* The same, with words allowed as mode says. */
cf_cli_opts_status cf_cli_opts_parse_mode(cf_cli_opts *o, int argc, char **argv, cf_cli_operands mode);
/* Words the failure of the last parse in out (always NUL-terminated when cap > 0):
 *   unknown option ARG (see HELP_HINT)    or, without a hint, "unknown option ARG"
 *   NAME given twice | too many NAME | NAME needs a value | NAME takes no value
 * Returns out. */
const char *cf_cli_opts_message(const cf_cli_opts *o, cf_cli_opts_status st, const char *help_hint, char *out,
                                size_t cap);

/* Queries by full name ("--pin"). */
const cf_cli_opt *cf_cli_opts_find(const cf_cli_opts *o, const char *name); /* NULL if undeclared */
bool cf_cli_opts_given(const cf_cli_opts *o, const char *name);
int cf_cli_opts_count(const cf_cli_opts *o, const char *name);
/* The last value of an option that takes one, or NULL (not given, undeclared, or a flag). */
const char *cf_cli_opts_value(const cf_cli_opts *o, const char *name);
/* Value i (0 = first given), or NULL past the end. */
const char *cf_cli_opts_value_at(const cf_cli_opts *o, const char *name, int i);
/* Prints the declared options of spec as "  --pin P" lines under a heading (nothing when spec
 * is empty): a command's --help lists what it takes. */
void cf_cli_opts_print_spec(FILE *f, const char *heading, const char *spec);

#endif
