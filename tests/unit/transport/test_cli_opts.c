/* The shared subcommand option parser (cardforge/cli_opts.h): spec strings, both value syntaxes,
 * repeatable options, each failure with the argument at fault and its wording, one-letter names,
 * words and the subcommand word, --help, getopt_long's abbreviations refused. Then how secret
 * option values are read (cardforge/secret_input.h: literal with a warning, @FILE, -, environment,
 * the one rule for secret files) and the locked, atomic state-file helpers (cardforge/file_lock.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/file_lock.h"
#include "cardforge/secret_input.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static cf_cli_opts opts; /* ~8 KiB: kept off the test stack */

static void declare(const char *spec, int max_values) {
  cf_cli_opts_init(&opts, max_values);
  assert_int_equal(cf_cli_opts_declare(&opts, spec), 0);
}

static const char *message(cf_cli_opts_status st, const char *hint) {
  static char buf[256];
  return cf_cli_opts_message(&opts, st, hint, buf, sizeof buf);
}

static void spec_kinds(void **state) {
  declare("  --pin= --key+   --force ", 8);
  assert_int_equal(opts.n, 3);
  const cf_cli_opt *pin = cf_cli_opts_find(&opts, "--pin"), *key = cf_cli_opts_find(&opts, "--key"),
                   *force = cf_cli_opts_find(&opts, "--force");
  assert_non_null(pin);
  assert_non_null(key);
  assert_non_null(force);
  assert_string_equal(pin->name, "--pin");
  assert_true(pin->has_value);
  assert_false(pin->repeat);
  assert_true(key->has_value);
  assert_true(key->repeat);
  assert_false(force->has_value);
  assert_false(force->repeat);
  /* the suffix is not part of the name, and names match whole */
  assert_null(cf_cli_opts_find(&opts, "--pin="));
  assert_null(cf_cli_opts_find(&opts, "--pi"));
  assert_null(cf_cli_opts_find(&opts, "--forced"));
}

static void declare_in_parts(void **state) {
  cf_cli_opts_init(&opts, 4);
  assert_int_equal(cf_cli_opts_declare(&opts, "--a= --b"), 0);
  assert_int_equal(cf_cli_opts_declare(&opts, ""), 0);
  assert_int_equal(cf_cli_opts_declare(&opts, "--reader="), 0);
  assert_int_equal(opts.n, 3);
  char *argv[] = {"--reader", "r1", "--b", "--a=x"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_OK);
  assert_string_equal(cf_cli_opts_value(&opts, "--reader"), "r1");
  assert_string_equal(cf_cli_opts_value(&opts, "--a"), "x");
  assert_true(cf_cli_opts_given(&opts, "--b"));
}

static void declare_rejects(void **state) {
  cf_cli_opts_init(&opts, 4);
  assert_int_equal(cf_cli_opts_declare(&opts, "--a= --b"), 0);
  assert_int_equal(cf_cli_opts_declare(&opts, "--c --a+"), -1); /* --a twice; --c kept */
  assert_int_equal(opts.n, 3);
  assert_int_equal(cf_cli_opts_declare(&opts, "="), -1); /* empty name */
  /* names up to CF_CLI_OPT_NAME_MAX - 1 = 31 characters */
  assert_int_equal(cf_cli_opts_declare(&opts, "--012345678901234567890123456789="), -1); /* 32 */
  assert_int_equal(cf_cli_opts_declare(&opts, "--01234567890123456789012345678="), 0);   /* 31 */
  cf_cli_opts_init(&opts, 4);
  char spec[16];
  for (int i = 0; i < CF_CLI_OPTS_MAX; i++) {
    snprintf(spec, sizeof spec, "--o%d=", i);
    assert_int_equal(cf_cli_opts_declare(&opts, spec), 0);
  }
  assert_int_equal(cf_cli_opts_declare(&opts, "--one-more"), -1);
  assert_int_equal(opts.n, CF_CLI_OPTS_MAX);
}

static void values_both_syntaxes(void **state) {
  declare("--pin= --path= --data= --yes", 8);
  char *argv[] = {"--pin", "123456", "--path=m/44'/0'", "--data=", "--yes"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_OK);
  assert_string_equal(cf_cli_opts_value(&opts, "--pin"), "123456");
  assert_ptr_equal(cf_cli_opts_value(&opts, "--pin"), argv[1]); /* not copied */
  assert_string_equal(cf_cli_opts_value(&opts, "--path"), "m/44'/0'");
  assert_string_equal(cf_cli_opts_value(&opts, "--data"), ""); /* "--x=" gives an empty value */
  assert_true(cf_cli_opts_given(&opts, "--yes"));
  assert_int_equal(cf_cli_opts_count(&opts, "--yes"), 1);
  assert_null(cf_cli_opts_value(&opts, "--yes")); /* a flag has no value */
  assert_null(opts.bad_arg);
  assert_null(opts.bad_opt);
}

static void value_taken_as_is(void **state) {
  /* the argument after a value option is its value, even when it looks like an option or holds
   * '='; only the first '=' of "--name=..." splits */
  declare("--pin= --puk= --secret=", 8);
  char *argv[] = {"--pin", "--puk", "--secret=a=b", "--puk", "x=y"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_OK);
  assert_string_equal(cf_cli_opts_value(&opts, "--pin"), "--puk");
  assert_string_equal(cf_cli_opts_value(&opts, "--secret"), "a=b");
  assert_string_equal(cf_cli_opts_value(&opts, "--puk"), "x=y");
}

static void not_given(void **state) {
  declare("--pin= --key+ --force", 8);
  assert_int_equal(cf_cli_opts_parse(&opts, 0, NULL), CF_CLI_OPTS_OK);
  assert_false(cf_cli_opts_given(&opts, "--pin"));
  assert_null(cf_cli_opts_value(&opts, "--pin"));
  assert_int_equal(cf_cli_opts_count(&opts, "--key"), 0);
  assert_null(cf_cli_opts_value_at(&opts, "--key", 0));
  assert_false(cf_cli_opts_given(&opts, "--force"));
  /* undeclared names answer like options never given */
  assert_null(cf_cli_opts_find(&opts, "--nope"));
  assert_false(cf_cli_opts_given(&opts, "--nope"));
  assert_int_equal(cf_cli_opts_count(&opts, "--nope"), 0);
  assert_null(cf_cli_opts_value(&opts, "--nope"));
}

static void repeatable_keeps_order(void **state) {
  declare("--key+ --target+ --force", 8);
  char *argv[] = {"--key", "k1", "--target=t1", "--key=k2", "--key", "k3"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_OK);
  assert_int_equal(cf_cli_opts_count(&opts, "--key"), 3);
  assert_string_equal(cf_cli_opts_value_at(&opts, "--key", 0), "k1");
  assert_string_equal(cf_cli_opts_value_at(&opts, "--key", 1), "k2");
  assert_string_equal(cf_cli_opts_value_at(&opts, "--key", 2), "k3");
  assert_null(cf_cli_opts_value_at(&opts, "--key", 3));
  assert_null(cf_cli_opts_value_at(&opts, "--key", -1));
  assert_string_equal(cf_cli_opts_value(&opts, "--key"), "k3"); /* the last one */
  assert_int_equal(cf_cli_opts_count(&opts, "--target"), 1);
  assert_string_equal(cf_cli_opts_find(&opts, "--target")->values[0], "t1");
}

static void unknown_option(void **state) {
  declare("--pin=", 8);
  char *argv1[] = {"--pin", "1", "--bogus=1", "--pin"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv1), argv1), CF_CLI_OPTS_UNKNOWN);
  assert_ptr_equal(opts.bad_arg, argv1[2]); /* the whole argument, value included */
  assert_null(opts.bad_opt);
  assert_string_equal(message(CF_CLI_OPTS_UNKNOWN, "cardforge keycard --help"),
                      "unknown option --bogus=1 (see cardforge keycard --help)");
  assert_string_equal(message(CF_CLI_OPTS_UNKNOWN, NULL), "unknown option --bogus=1");

  /* a positional word, a bare '=', a prefix of a name: all unknown */
  const char *bad[] = {"positional", "=x", "--pi", "-pin", "--pin2"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    declare("--pin=", 8);
    char *argv[] = {(char *)bad[i]};
    assert_int_equal(cf_cli_opts_parse(&opts, 1, argv), CF_CLI_OPTS_UNKNOWN);
    assert_string_equal(opts.bad_arg, bad[i]);
  }
}

static void given_twice(void **state) {
  char *spaced[] = {"--pin", "1", "--pin", "2"};
  char *joined[] = {"--pin=1", "--pin=2"};
  char *mixed[] = {"--pin=1", "--pin", "2"};
  struct {
    char **argv;
    int argc;
  } cases[] = {{spaced, ARGC(spaced)}, {joined, ARGC(joined)}, {mixed, ARGC(mixed)}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    declare("--pin= --yes", 8);
    assert_int_equal(cf_cli_opts_parse(&opts, cases[i].argc, cases[i].argv), CF_CLI_OPTS_TWICE);
    assert_ptr_equal(opts.bad_arg, cases[i].argv[cases[i].argc == 4 ? 2 : 1]);
    assert_ptr_equal(opts.bad_opt, cf_cli_opts_find(&opts, "--pin"));
    assert_string_equal(message(CF_CLI_OPTS_TWICE, "hint"), "--pin given twice");
    assert_string_equal(cf_cli_opts_value(&opts, "--pin"), "1"); /* the first value stays */
  }
  declare("--pin= --yes", 8);
  char *flags[] = {"--yes", "--yes"};
  assert_int_equal(cf_cli_opts_parse(&opts, 2, flags), CF_CLI_OPTS_TWICE);
  assert_string_equal(message(CF_CLI_OPTS_TWICE, NULL), "--yes given twice");
}

static void needs_a_value(void **state) {
  declare("--pin= --key+ --yes", 8);
  char *argv[] = {"--yes", "--pin"};
  assert_int_equal(cf_cli_opts_parse(&opts, 2, argv), CF_CLI_OPTS_NO_VALUE);
  assert_ptr_equal(opts.bad_arg, argv[1]);
  assert_ptr_equal(opts.bad_opt, cf_cli_opts_find(&opts, "--pin"));
  assert_false(cf_cli_opts_given(&opts, "--pin")); /* not counted */
  assert_string_equal(message(CF_CLI_OPTS_NO_VALUE, "hint"), "--pin needs a value");
  declare("--pin= --key+ --yes", 8);
  char *rep[] = {"--key", "a", "--key"};
  assert_int_equal(cf_cli_opts_parse(&opts, 3, rep), CF_CLI_OPTS_NO_VALUE);
  assert_string_equal(message(CF_CLI_OPTS_NO_VALUE, NULL), "--key needs a value");
  assert_int_equal(cf_cli_opts_count(&opts, "--key"), 1);
}

static void flag_takes_no_value(void **state) {
  declare("--make-current --pin=", 8);
  char *argv[] = {"--make-current=yes"};
  assert_int_equal(cf_cli_opts_parse(&opts, 1, argv), CF_CLI_OPTS_FLAG_VALUE);
  assert_ptr_equal(opts.bad_opt, cf_cli_opts_find(&opts, "--make-current"));
  assert_false(cf_cli_opts_given(&opts, "--make-current"));
  assert_string_equal(message(CF_CLI_OPTS_FLAG_VALUE, NULL), "--make-current takes no value");
  /* "--flag=" is a value too, even an empty one */
  declare("--make-current --pin=", 8);
  char *empty[] = {"--make-current="};
  assert_int_equal(cf_cli_opts_parse(&opts, 1, empty), CF_CLI_OPTS_FLAG_VALUE);
}

static void too_many_values(void **state) {
  /* the limit is the one given at init: 3 here */
  declare("--target+", 3);
  char *argv[] = {"--target", "a", "--target=b", "--target", "c", "--target", "d"};
  assert_int_equal(cf_cli_opts_parse(&opts, 5, argv), CF_CLI_OPTS_OK);
  assert_int_equal(cf_cli_opts_count(&opts, "--target"), 3);
  declare("--target+", 3);
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_TOO_MANY);
  assert_ptr_equal(opts.bad_arg, argv[5]);
  assert_string_equal(message(CF_CLI_OPTS_TOO_MANY, NULL), "too many --target");
  assert_int_equal(cf_cli_opts_count(&opts, "--target"), 3);
  assert_string_equal(cf_cli_opts_value(&opts, "--target"), "c");
  /* a full option is reported full even when its value is missing too */
  declare("--target+", 3);
  char *missing[] = {"--target", "a", "--target", "b", "--target", "c", "--target"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(missing), missing), CF_CLI_OPTS_TOO_MANY);
}

static void limit_clamped(void **state) {
  cf_cli_opts_init(&opts, 0);
  assert_int_equal(opts.max_values, 1);
  cf_cli_opts_init(&opts, 1000);
  assert_int_equal(opts.max_values, CF_CLI_OPTS_MAX_VALUES);
  assert_int_equal(cf_cli_opts_declare(&opts, "--key+"), 0);
  char *argv[2 * CF_CLI_OPTS_MAX_VALUES + 2];
  for (int i = 0; i < CF_CLI_OPTS_MAX_VALUES + 1; i++) {
    argv[2 * i] = "--key";
    argv[2 * i + 1] = "v";
  }
  assert_int_equal(cf_cli_opts_parse(&opts, 2 * CF_CLI_OPTS_MAX_VALUES, argv), CF_CLI_OPTS_OK);
  assert_int_equal(cf_cli_opts_count(&opts, "--key"), CF_CLI_OPTS_MAX_VALUES);
  cf_cli_opts_init(&opts, 1000);
  assert_int_equal(cf_cli_opts_declare(&opts, "--key+"), 0);
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_TOO_MANY);
}

static void first_problem_wins(void **state) {
  /* the parse stops at the first bad argument: the later unknown one is not reached */
  declare("--pin= --yes", 8);
  char *argv[] = {"--yes=1", "--bogus"};
  assert_int_equal(cf_cli_opts_parse(&opts, 2, argv), CF_CLI_OPTS_FLAG_VALUE);
  /* an unknown name is reported before anything else about it */
  declare("--pin= --yes", 8);
  char *unk[] = {"--bogus"};
  assert_int_equal(cf_cli_opts_parse(&opts, 1, unk), CF_CLI_OPTS_UNKNOWN);
  /* "given twice" is reported before a missing value */
  declare("--pin= --yes", 8);
  char *twice[] = {"--pin=1", "--pin"};
  assert_int_equal(cf_cli_opts_parse(&opts, 2, twice), CF_CLI_OPTS_TWICE);
}

static void message_fits_buffer(void **state) {
  declare("--pin=", 8);
  char *argv[] = {"--a-very-long-unknown-option-name"};
  assert_int_equal(cf_cli_opts_parse(&opts, 1, argv), CF_CLI_OPTS_UNKNOWN);
  char small[12];
  memset(small, 'x', sizeof small);
  cf_cli_opts_message(&opts, CF_CLI_OPTS_UNKNOWN, "hint", small, sizeof small);
  assert_string_equal(small, "unknown opt");
  assert_string_equal(cf_cli_opts_message(&opts, CF_CLI_OPTS_UNKNOWN, "hint", small, 0), small);
}

/* ---- getopt_long underneath: one-letter names, words, the stop word, help ---- */

static void short_names(void **state) {
  declare("--reader|-r= --trace|-t --quiet|-q --file|-f=", 1);
  char *argv[] = {"-r", "1", "-tq", "-fcmds.txt"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_OK);
  assert_string_equal(cf_cli_opts_value(&opts, "--reader"), "1");
  assert_true(cf_cli_opts_given(&opts, "--trace"));
  assert_true(cf_cli_opts_given(&opts, "--quiet"));
  assert_string_equal(cf_cli_opts_value(&opts, "--file"), "cmds.txt");
  /* the long and the short spelling are one option */
  declare("--reader|-r=", 1);
  char *both[] = {"--reader", "a", "-r", "b"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(both), both), CF_CLI_OPTS_TWICE);
  assert_string_equal(opts.bad_opt->name, "--reader");
  declare("--reader|-r=", 1);
  char *missing[] = {"-r"};
  assert_int_equal(cf_cli_opts_parse(&opts, 1, missing), CF_CLI_OPTS_NO_VALUE);
  declare("--reader|-r=", 1);
  char *unknown[] = {"-x"};
  assert_int_equal(cf_cli_opts_parse(&opts, 1, unknown), CF_CLI_OPTS_UNKNOWN);
  assert_string_equal(opts.bad_arg, "-x");
  /* malformed declarations */
  cf_cli_opts_init(&opts, 1);
  assert_int_equal(cf_cli_opts_declare(&opts, "--a|-"), -1);
  assert_int_equal(cf_cli_opts_declare(&opts, "--b|x="), -1);
  assert_int_equal(cf_cli_opts_declare(&opts, "-c"), -1);
  assert_int_equal(cf_cli_opts_declare(&opts, "--d|-r --e|-r"), -1); /* -r twice */
}

static void abbreviations_refused(void **state) {
  /* getopt_long would take "--new" for "--new-pin" and "--pi" for "--pin": names match whole */
  const char *bad[] = {"--new", "--new=1", "--pi", "--pin-"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    declare("--pin= --new-pin=", 1);
    char *argv[] = {(char *)bad[i], "x"};
    assert_int_equal(cf_cli_opts_parse(&opts, 2, argv), CF_CLI_OPTS_UNKNOWN);
    assert_string_equal(opts.bad_arg, bad[i]);
    assert_false(cf_cli_opts_given(&opts, "--pin"));
    assert_false(cf_cli_opts_given(&opts, "--new-pin"));
  }
}

static void words(void **state) {
  declare("--raw --file=", 1);
  char *argv[] = {"00A40400", "--raw", "80CA9F7F00", "--", "--file", "-"};
  assert_int_equal(cf_cli_opts_parse_mode(&opts, ARGC(argv), argv, CF_CLI_OPERANDS), CF_CLI_OPTS_OK);
  assert_true(cf_cli_opts_given(&opts, "--raw"));
  assert_false(cf_cli_opts_given(&opts, "--file")); /* after "--": a word */
  assert_int_equal(opts.operands, 4);
  assert_string_equal(opts.operand[0], "00A40400");
  assert_string_equal(opts.operand[1], "80CA9F7F00");
  assert_string_equal(opts.operand[2], "--file");
  assert_string_equal(opts.operand[3], "-");
  /* a value is never a word, even when it looks like an option */
  declare("--pin= --yes", 1);
  char *value[] = {"--pin", "--yes", "word"};
  assert_int_equal(cf_cli_opts_parse_mode(&opts, ARGC(value), value, CF_CLI_OPERANDS), CF_CLI_OPTS_OK);
  assert_string_equal(cf_cli_opts_value(&opts, "--pin"), "--yes");
  assert_false(cf_cli_opts_given(&opts, "--yes"));
  assert_int_equal(opts.operands, 1);
}

static void stop_at_word(void **state) {
  /* the global options before a subcommand; the subcommand's own come after it */
  declare("--reader|-r= --trace|-t --help|-h", 1);
  char *argv[] = {"-r", "1", "--trace", "keycard", "--pin", "1", "--help"};
  assert_int_equal(cf_cli_opts_parse_mode(&opts, ARGC(argv), argv, CF_CLI_STOP_AT_OPERAND), CF_CLI_OPTS_OK);
  assert_int_equal(opts.stop, 3);
  assert_string_equal(cf_cli_opts_value(&opts, "--reader"), "1");
  assert_false(opts.help); /* the --help after the word is the subcommand's */
  declare("--reader|-r= --help|-h", 1);
  char *none[] = {"-r", "1"};
  assert_int_equal(cf_cli_opts_parse_mode(&opts, ARGC(none), none, CF_CLI_STOP_AT_OPERAND), CF_CLI_OPTS_OK);
  assert_int_equal(opts.stop, 2);
  declare("--reader|-r= --help|-h", 1);
  char *dashes[] = {"-h", "--", "-r"};
  assert_int_equal(cf_cli_opts_parse_mode(&opts, ARGC(dashes), dashes, CF_CLI_STOP_AT_OPERAND),
                   CF_CLI_OPTS_OK);
  assert_int_equal(opts.stop, 2);
  assert_true(opts.help);
}

static void help_wins(void **state) {
  /* --help is seen even after a problem, and its short name too */
  declare("--pin= --help|-h", 1);
  char *argv[] = {"--bogus", "-h"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(argv), argv), CF_CLI_OPTS_UNKNOWN);
  assert_true(opts.help);
  declare("--pin= --help|-h", 1);
  char *quiet[] = {"--pin", "1"};
  assert_int_equal(cf_cli_opts_parse(&opts, ARGC(quiet), quiet), CF_CLI_OPTS_OK);
  assert_false(opts.help);
  /* not declared: "--help" is an unknown option like any other */
  declare("--pin=", 1);
  char *undeclared[] = {"--help"};
  assert_int_equal(cf_cli_opts_parse(&opts, 1, undeclared), CF_CLI_OPTS_UNKNOWN);
  assert_false(opts.help);
}

static void spec_listing(void **state) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  cf_cli_opts_print_spec(f, "options:", "--reader|-r= --new-pin= --kvn=N --key+TT/VV/II --force");
  cf_cli_opts_print_spec(f, "none:", "  ");
  fclose(f);
  assert_string_equal(text, "options:\n"
                            "  -r, --reader READER\n"
                            "  --new-pin PIN\n"
                            "  --kvn N\n"
                            "  --key TT/VV/II (repeatable)\n"
                            "  --force\n");
  free(text);
  /* the placeholder is not part of the name */
  declare("--kvn=N --key+TT/VV/II", 4);
  assert_non_null(cf_cli_opts_find(&opts, "--kvn"));
  assert_true(cf_cli_opts_find(&opts, "--key")->repeat);
}

/* ---- a family's command table through cf_cli_parse_command (cardforge/cli.h) ---- */

static int run_nothing(void *ctx) {
  (void)ctx;
  return 0;
}

static void family_help(FILE *f) {
  fputs("FAMILY HELP\n", f);
}

static const cf_cli_command fam_commands[] = {
    {"one", run_nothing, "--x=N --flag", 0, "--x N [--flag]", "the first", NULL},
    {"two", run_nothing, "", 1, "WORD", "takes one word", "More about two.\n"},
};
static const cf_cli_family fam = {"fam", fam_commands, 2, "--common=C", NULL, family_help};

typedef struct dispatch {
  int rc;
  const cf_cli_command *cmd;
  cf_cli_global g;
  char err[256];
  char *out, *log;
  size_t out_len, log_len;
} dispatch;

static void dispatch_run(dispatch *d, const cf_cli_global *g, int argc, char **argv) {
  free(d->out);
  free(d->log);
  FILE *out = open_memstream(&d->out, &d->out_len), *log = open_memstream(&d->log, &d->log_len);
  assert_non_null(out);
  assert_non_null(log);
  d->rc =
      cf_cli_parse_command(&fam, g, argc, argv, &opts, 4, &d->cmd, &d->g, out, log, d->err, sizeof d->err);
  fclose(out);
  fclose(log);
}

static void family_dispatch(void **state) {
  static dispatch d;
  cf_cli_global g = {.reader = "before"};
  /* global and common options before or after the command, the command's own after it */
  char *a1[] = {"fam", "--common", "c", "one", "--x", "1", "--trace", "-r", "after"};
  dispatch_run(&d, &g, ARGC(a1), a1);
  assert_int_equal(d.rc, -1);
  assert_string_equal(d.cmd->name, "one");
  assert_string_equal(cf_cli_opts_value(&opts, "--x"), "1");
  assert_string_equal(cf_cli_opts_value(&opts, "--common"), "c");
  assert_true(d.g.trace);
  assert_string_equal(d.g.reader, "after");
  assert_string_equal(g.reader, "before"); /* the caller's globals are left alone */
  char *a2[] = {"fam", "-q", "one", "--common=c"};
  dispatch_run(&d, &g, ARGC(a2), a2);
  assert_int_equal(d.rc, -1);
  assert_true(d.g.quiet);
  assert_string_equal(d.g.reader, "before");
  /* a command's option before the command is not taken for anything else */
  char *a3[] = {"fam", "--x", "1", "one"};
  dispatch_run(&d, &g, ARGC(a3), a3);
  assert_int_equal(d.rc, CF_EXIT_USAGE);
  assert_non_null(strstr(d.err, "unknown option \"--x\" (see cardforge fam --help)"));
  /* the command's help, wherever --help stands, also after an error */
  char *a4[] = {"fam", "one", "--bogus", "--help"};
  dispatch_run(&d, &g, ARGC(a4), a4);
  assert_int_equal(d.rc, CF_EXIT_OK);
  assert_non_null(strstr(d.out, "usage: cardforge fam one --x N [--flag]\n"));
  assert_non_null(strstr(d.out, "  --x N\n  --flag\n"));
  assert_non_null(strstr(d.out, "  --common C\n"));
  char *a5[] = {"fam", "help", "two"};
  dispatch_run(&d, &g, ARGC(a5), a5);
  assert_int_equal(d.rc, CF_EXIT_OK);
  assert_non_null(strstr(d.out, "More about two."));
  char *a6[] = {"fam", "--help"};
  dispatch_run(&d, &g, ARGC(a6), a6);
  assert_int_equal(d.rc, CF_EXIT_OK);
  assert_string_equal(d.out, "FAMILY HELP\n");
  /* no command: the family's help on the log stream, a usage error */
  char *a7[] = {"fam"};
  dispatch_run(&d, &g, ARGC(a7), a7);
  assert_int_equal(d.rc, CF_EXIT_USAGE);
  assert_string_equal(d.log, "FAMILY HELP\n");
  char *a8[] = {"fam", "bogus"};
  dispatch_run(&d, &g, ARGC(a8), a8);
  assert_int_equal(d.rc, CF_EXIT_USAGE);
  assert_null(d.cmd);
  assert_non_null(strstr(d.err, "unknown command \"bogus\""));
  /* words: as many as the command takes */
  char *a9[] = {"fam", "two", "w1"};
  dispatch_run(&d, &g, ARGC(a9), a9);
  assert_int_equal(d.rc, -1);
  assert_int_equal(opts.operands, 1);
  assert_string_equal(opts.operand[0], "w1");
  char *a10[] = {"fam", "two", "w1", "w2"};
  dispatch_run(&d, &g, ARGC(a10), a10);
  assert_int_equal(d.rc, CF_EXIT_USAGE);
  assert_non_null(strstr(d.err, "unexpected argument \"w2\""));
  char *a11[] = {"fam", "one", "extra"};
  dispatch_run(&d, &g, ARGC(a11), a11);
  assert_int_equal(d.rc, CF_EXIT_USAGE);
  /* a misspelt option's value (perhaps a key) is not echoed */
  char *a12[] = {"fam", "one", "--kye=TOPSECRET"};
  dispatch_run(&d, &g, ARGC(a12), a12);
  assert_int_equal(d.rc, CF_EXIT_USAGE);
  assert_non_null(strstr(d.err, "\"--kye\""));
  assert_null(strstr(d.err, "TOPSECRET"));
  free(d.out);
  free(d.log);
  d.out = d.log = NULL;
}

/* ---- secret option values ---- */

static char tmpdir[64];

static int make_tmpdir(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/cf_secret_XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void put_file(const char *name, const char *text, mode_t mode, char *path, size_t cap) {
  snprintf(path, cap, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  assert_int_equal(chmod(path, mode), 0);
}

/* cf_secret_get with stderr captured in warn[]. */
static char warn[1024];
static int get_secret(const cf_secret_spec *spec, char *out, size_t cap, cf_secret_source *src, char *err,
                      size_t errlen) {
  fflush(stderr);
  FILE *tmp = tmpfile();
  int saved = dup(STDERR_FILENO);
  dup2(fileno(tmp), STDERR_FILENO);
  int r = cf_secret_get(spec, out, cap, src, err, errlen);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  rewind(tmp);
  size_t n = fread(warn, 1, sizeof warn - 1, tmp);
  warn[n] = 0;
  fclose(tmp);
  return r;
}

static void secret_sources(void **state) {
  (void)state;
  char out[64], err[512], path[256], arg[400];
  cf_secret_source src;
  unsetenv("CF_TEST_SECRET");
  cf_secret_spec spec = {.option = "--pin", .env = "CF_TEST_SECRET"};
  /* given nowhere (standard input is not a terminal under ctest: no prompt) */
  if (!isatty(STDIN_FILENO)) {
    spec.prompt = "PIN";
    assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), 0);
    assert_int_equal(src, CF_SECRET_NONE);
  }
  /* the environment */
  setenv("CF_TEST_SECRET", "from-env", 1);
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), 1);
  assert_string_equal(out, "from-env");
  assert_int_equal(src, CF_SECRET_ENV);
  assert_string_equal(warn, "");
  /* the option wins over the environment; a literal value is warned about */
  spec.value = "123456";
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), 1);
  assert_string_equal(out, "123456");
  assert_int_equal(src, CF_SECRET_ARGUMENT);
  assert_non_null(strstr(warn, "warning: --pin on the command line"));
  assert_non_null(strstr(warn, "CF_TEST_SECRET"));
  assert_null(strstr(warn, "123456"));
  /* "@@x" is the literal "@x" */
  spec.value = "@@secret";
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), 1);
  assert_string_equal(out, "@secret");
  /* @FILE: trailing newlines go */
  put_file("pin", "654321\r\n\n", 0600, path, sizeof path);
  snprintf(arg, sizeof arg, "@%s", path);
  spec.value = arg;
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), 1);
  assert_string_equal(out, "654321");
  assert_int_equal(src, CF_SECRET_FILE);
  assert_string_equal(warn, "");
  /* too open: refused, naming the file and its mode, nothing returned */
  assert_int_equal(chmod(path, 0640), 0);
  memset(out, 'x', sizeof out);
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), -1);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "0640"));
  assert_int_equal(out[0], 0);
  /* too long for the buffer; empty; a symbolic link; a directory */
  put_file("long", "0123456789abcdef", 0600, path, sizeof path);
  snprintf(arg, sizeof arg, "@%s", path);
  assert_int_equal(get_secret(&spec, out, 8, &src, err, sizeof err), -1);
  assert_non_null(strstr(err, "longer than 7"));
  put_file("empty", "\n", 0600, path, sizeof path);
  snprintf(arg, sizeof arg, "@%s", path);
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), -1);
  char link_path[300];
  snprintf(link_path, sizeof link_path, "%s/link", tmpdir);
  put_file("target", "123456", 0600, path, sizeof path);
  assert_int_equal(symlink(path, link_path), 0);
  snprintf(arg, sizeof arg, "@%s", link_path);
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), -1);
  assert_non_null(strstr(err, "symbolic link"));
  snprintf(arg, sizeof arg, "@%s", tmpdir);
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), -1);
  assert_non_null(strstr(err, "not a regular file"));
  unsetenv("CF_TEST_SECRET");
}

/* "-": standard input, here a pipe; a regular file redirected there obeys the permission rule. */
static void secret_from_stdin(void **state) {
  (void)state;
  char out[64], err[512], path[256];
  cf_secret_source src;
  int saved = dup(STDIN_FILENO), fds[2];
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(write(fds[1], "from-pipe\n", 10), 10);
  close(fds[1]);
  dup2(fds[0], STDIN_FILENO);
  close(fds[0]);
  cf_secret_spec spec = {.option = "--pin", .value = "-"};
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), 1);
  assert_string_equal(out, "from-pipe");
  assert_int_equal(src, CF_SECRET_STDIN);
  put_file("stdin", "abc\n", 0644, path, sizeof path);
  int fd = open(path, O_RDONLY);
  dup2(fd, STDIN_FILENO);
  close(fd);
  assert_int_equal(get_secret(&spec, out, sizeof out, &src, err, sizeof err), -1);
  assert_non_null(strstr(err, "standard input"));
  assert_non_null(strstr(err, "0644"));
  dup2(saved, STDIN_FILENO);
  close(saved);
  assert_true(cf_secret_is_indirect("-"));
  assert_true(cf_secret_is_indirect("@f"));
  assert_false(cf_secret_is_indirect("@@f"));
  assert_false(cf_secret_is_indirect("1234"));
}

/* ---- locked, atomic state files ---- */

static int write_text(void *ctx, FILE *out, char *err, size_t errlen) {
  (void)err, (void)errlen;
  return fputs(ctx, out) < 0 ? -1 : 0;
}

static int write_fails(void *ctx, FILE *out, char *err, size_t errlen) {
  (void)ctx, (void)out;
  snprintf(err, errlen, "writer refused");
  return -1;
}

static void state_file_replace(void **state) {
  (void)state;
  char path[300], err[512], text[64];
  snprintf(path, sizeof path, "%s/sub/state.txt", tmpdir);
  cf_state_lock lk;
  assert_int_equal(cf_state_lock_take(path, &lk, err, sizeof err), 0); /* makes sub/ */
  assert_int_equal(cf_state_replace(path, true, write_text, "one\n", err, sizeof err), 0);
  /* no_clobber refuses an existing file, replace does not */
  assert_int_equal(cf_state_replace(path, true, write_text, "two\n", err, sizeof err), -1);
  assert_non_null(strstr(err, "exists already"));
  assert_int_equal(cf_state_replace(path, false, write_fails, NULL, err, sizeof err), -1);
  assert_string_equal(err, "writer refused");
  assert_int_equal(cf_state_replace(path, false, write_text, "three\n", err, sizeof err), 0);
  cf_state_lock_release(&lk);
  FILE *f = fopen(path, "r");
  assert_non_null(fgets(text, sizeof text, f));
  fclose(f);
  assert_string_equal(text, "three\n");
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* only the file and its lock are left: no temporary file */
  char cmd[400];
  snprintf(cmd, sizeof cmd, "test $(ls '%s/sub' | wc -l) = 2", tmpdir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(cf_state_check_writable(path, err, sizeof err), 0);
  /* a held lock makes another taker wait, then give up (CARDFORGE_LOCK_WAIT_MS) */
  assert_int_equal(cf_state_lock_take(path, &lk, err, sizeof err), 0);
  pid_t pid = fork();
  if (pid == 0) {
    cf_state_lock other;
    char e[512];
    setenv("CARDFORGE_LOCK_WAIT_MS", "100", 1);
    _exit(cf_state_lock_take(path, &other, e, sizeof e) == -1 && strstr(e, "locked") ? 0 : 1);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  cf_state_lock_release(&lk);
  /* a directory where the file should be cannot be replaced: said before anything is spent */
  snprintf(path, sizeof path, "%.200s/sub", tmpdir);
  assert_int_equal(cf_state_check_writable(path, err, sizeof err), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spec_kinds),
      cmocka_unit_test(declare_in_parts),
      cmocka_unit_test(declare_rejects),
      cmocka_unit_test(values_both_syntaxes),
      cmocka_unit_test(value_taken_as_is),
      cmocka_unit_test(not_given),
      cmocka_unit_test(repeatable_keeps_order),
      cmocka_unit_test(unknown_option),
      cmocka_unit_test(given_twice),
      cmocka_unit_test(needs_a_value),
      cmocka_unit_test(flag_takes_no_value),
      cmocka_unit_test(too_many_values),
      cmocka_unit_test(limit_clamped),
      cmocka_unit_test(first_problem_wins),
      cmocka_unit_test(message_fits_buffer),
      cmocka_unit_test(short_names),
      cmocka_unit_test(abbreviations_refused),
      cmocka_unit_test(words),
      cmocka_unit_test(stop_at_word),
      cmocka_unit_test(help_wins),
      cmocka_unit_test(spec_listing),
      cmocka_unit_test(family_dispatch),
      cmocka_unit_test_setup_teardown(secret_sources, make_tmpdir, remove_tmpdir),
      cmocka_unit_test_setup_teardown(secret_from_stdin, make_tmpdir, remove_tmpdir),
      cmocka_unit_test_setup_teardown(state_file_replace, make_tmpdir, remove_tmpdir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
