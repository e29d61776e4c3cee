/* `cardforge`: global options, then one subcommand. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/clicommon.h"
#include "commands.h"

#ifndef CF_VERSION
#define CF_VERSION "unknown"
#endif

/* The families: each entry runs `cardforge NAME ...` with the global options parsed so far. */
#define FAMILY(fn)                                                                                           \
  static int run_##fn(void *ctx) {                                                                           \
    const cf_cli_invocation *in = ctx;                                                                       \
    return fn(in->g, in->argc, in->argv);                                                                    \
  }
FAMILY(cf_cmd_readers)
FAMILY(cf_cmd_apdu)
FAMILY(cf_cmd_sim)
FAMILY(cf_cmd_audit)
FAMILY(cf_cmd_hsm)
#ifdef CF_WITH_KEYCARD
FAMILY(cf_cli_keycard)
#endif
#ifdef CF_WITH_GP
FAMILY(cf_cli_gp)
#endif
#ifdef CF_WITH_CMCC
FAMILY(cf_cli_cmcc)
#endif

/* name, run, options, words, usage, summary, help: each family parses its own options */
static const cf_cli_command commands[] = {
    {"readers", run_cf_cmd_readers, "", -1, "", "list PC/SC readers and the cards in them", NULL},
    {"apdu", run_cf_cmd_apdu, "", -1, "", "send command APDUs given in hex", NULL},
    {"sim", run_cf_cmd_sim, "", -1, "", "emulate cards and plug them into pcscd (vpcd)", NULL},
    {"audit", run_cf_cmd_audit, "", -1, "", "show and verify the ceremony log of key changes", NULL},
    {"hsm", run_cf_cmd_hsm, "", -1, "", "the PKCS#11 token holding the host's keys (SoftHSM2)", NULL},
#ifdef CF_WITH_KEYCARD
    {"keycard", run_cf_cli_keycard, "", -1, "", "Status Keycard: pairing, PIN, keys, signing", NULL},
#endif
#ifdef CF_WITH_GP
    {"gp", run_cf_cli_gp, "", -1, "", "GlobalPlatform security domain: SCP02/SCP03, PUT KEY", NULL},
#endif
#ifdef CF_WITH_CMCC
    {"cmcc", run_cf_cli_cmcc, "", -1, "", "China Mobile E-Card Pass mother cards", NULL},
#endif
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
  fputs("usage: cardforge [--trace] [--reader R] [--quiet] [--audit-log PATH] [--audit-key @FILE]\n"
        "                 COMMAND [ARGS...]\n"
        "       cardforge --version | --help | help COMMAND\n"
        "\n"
        "global options:\n"
        "  -t, --trace      print every APDU on stderr (secrets shown as their length only)\n"
        "  -r, --reader R   reader to use: full name, number or part of the name\n"
        "                   (default: the first reader holding a card)\n"
        "  -q, --quiet      no progress output\n"
        "  -V, --version    print the version\n"
        "  -h, --help       this help\n"
        "  --audit-log PATH the ceremony log that key-changing commands append to (before the\n"
        "                   command; default $CARDFORGE_AUDIT_LOG, else audit.log in the state dir)\n"
        "  --audit-key @FILE  HMAC key (hex, in a 0600 file) for the log's lines (default\n"
        "                   $CARDFORGE_AUDIT_KEY; none: lines are chained, not MACed)\n"
        "The global options may also follow the command (`cardforge gp auth -r 1 --trace`).\n"
        "\n"
        "commands:\n",
        f);
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fputs("\n"
        "`cardforge COMMAND --help` describes a command.\n"
        "\n"
        "exit codes: 0 success, 1 internal error, 2 usage error, 3 the card refused a command\n"
        "(unexpected status word), 4 reader or PC/SC failure, 5 a verification failed,\n"
        "6 file error, 7 another program reset or used the card during the session (run again).\n"
        "\n"
        "environment: CARDFORGE_HOME (host state; default $XDG_DATA_HOME/cardforge or\n"
        "~/.local/share/cardforge).\n",
        f);
}

static const cf_cli_command *find_command(const char *name) {
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

static int run(const cf_cli_command *c, const cf_cli_global *g, int argc, char **argv) {
  cf_cli_invocation in = {.g = g, .argc = argc, .argv = argv};
  return c->run(&in);
}

int main(int argc, char **argv) {
  static char state_dir[1024];
  static cf_cli_opts opts;
  cf_cli_global g = {0};
  if (cf_cli_default_state_dir(state_dir, sizeof state_dir) == 0) g.state_dir = state_dir;
  /* the global options up to the command (the family parses the rest, globals included) */
  cf_cli_opts_init(&opts, 1);
  if (cf_cli_opts_declare(&opts, CF_CLI_GLOBAL_OPTIONS "--version|-V --audit-log= --audit-key=") != 0)
    return CF_EXIT_INTERNAL;
  cf_cli_opts_status st = cf_cli_opts_parse_mode(&opts, argc - 1, argv + 1, CF_CLI_STOP_AT_OPERAND);
  int i = 1 + opts.stop;
  if (st != CF_CLI_OPTS_OK) {
    char msg[256];
    if (st == CF_CLI_OPTS_UNKNOWN)
      cf_cli_error("unknown option \"%.*s\" (see cardforge --help)", (int)strcspn(opts.bad_arg, "="),
                   opts.bad_arg);
    else
      cf_cli_error("%s (see cardforge --help)", cf_cli_opts_message(&opts, st, NULL, msg, sizeof msg));
    return CF_EXIT_USAGE;
  }
  if (cf_cli_opts_given(&opts, "--version")) {
    printf("cardforge %s\n", CF_VERSION);
    return CF_EXIT_OK;
  }
  if (opts.help && i >= argc) {
    usage(stdout);
    return CF_EXIT_OK;
  }
  g.trace = cf_cli_opts_given(&opts, "--trace");
  g.quiet = cf_cli_opts_given(&opts, "--quiet");
  g.reader = cf_cli_opts_value(&opts, "--reader");
  cf_audit_configure(cf_cli_opts_value(&opts, "--audit-log"), cf_cli_opts_value(&opts, "--audit-key"));
  if (i >= argc) {
    usage(stderr);
    return CF_EXIT_USAGE;
  }
  if (strcmp(argv[i], "help") == 0) {
    if (i + 1 >= argc) {
      usage(stdout);
      return CF_EXIT_OK;
    }
    const cf_cli_command *c = find_command(argv[i + 1]);
    if (c == NULL) {
      cf_cli_error("unknown command \"%s\" (see cardforge --help)", argv[i + 1]);
      return CF_EXIT_USAGE;
    }
    char *help_argv[] = {argv[i + 1], "--help", NULL};
    return run(c, &g, 2, help_argv);
  }
  const cf_cli_command *c = find_command(argv[i]);
  if (c == NULL) {
    cf_cli_error("unknown command \"%s\" (see cardforge --help)", argv[i]);
    return CF_EXIT_USAGE;
  }
  /* a --help before the command is the command's help */
  if (opts.help) {
    char *help_argv[] = {argv[i], "--help", NULL};
    return run(c, &g, 2, help_argv);
  }
  return run(c, &g, argc - i, argv + i);
}
