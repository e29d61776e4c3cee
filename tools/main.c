/* `cardforge`: global options, then one subcommand. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/clicommon.h"
#include "commands.h"

#ifndef CF_VERSION
#define CF_VERSION "unknown"
#endif

typedef struct command {
  const char *name;
  int (*run)(const cf_cli_global *g, int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"readers", cf_cmd_readers, "list PC/SC readers and the cards in them"},
    {"apdu", cf_cmd_apdu, "send command APDUs given in hex"},
    {"sim", cf_cmd_sim, "emulate cards and plug them into pcscd (vpcd)"},
#ifdef CF_WITH_KEYCARD
    {"keycard", cf_cli_keycard, "Status Keycard: pairing, PIN, keys, signing"},
#endif
#ifdef CF_WITH_GP
    {"gp", cf_cli_gp, "GlobalPlatform security domain: SCP02/SCP03, PUT KEY"},
#endif
#ifdef CF_WITH_CMCC
    {"cmcc", cf_cli_cmcc, "China Mobile E-Card Pass mother cards"},
#endif
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
  fputs("usage: cardforge [--trace] [--reader R] [--quiet] COMMAND [ARGS...]\n"
        "       cardforge --version | --help | help COMMAND\n"
        "\n"
        "global options:\n"
        "  -t, --trace      print every APDU on stderr (secrets shown as their length only)\n"
        "  -r, --reader R   reader to use: full name, number or part of the name\n"
        "                   (default: the first reader holding a card)\n"
        "  -q, --quiet      no progress output\n"
        "  -V, --version    print the version\n"
        "  -h, --help       this help\n"
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

static const command *find_command(const char *name) {
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

int main(int argc, char **argv) {
  static char state_dir[1024];
  cf_cli_global g = {0};
  if (cf_cli_default_state_dir(state_dir, sizeof state_dir) == 0) g.state_dir = state_dir;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-t") == 0 || strcmp(arg, "--trace") == 0) {
      g.trace = true;
    } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
      g.quiet = true;
    } else if (strcmp(arg, "-r") == 0 || strcmp(arg, "--reader") == 0) {
      if (i + 1 >= argc) {
        cf_cli_error("%s needs a reader name or number", arg);
        return CF_EXIT_USAGE;
      }
      g.reader = argv[++i];
    } else if (strncmp(arg, "--reader=", 9) == 0) {
      g.reader = arg + 9;
    } else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
      printf("cardforge %s\n", CF_VERSION);
      return CF_EXIT_OK;
    } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      usage(stdout);
      return CF_EXIT_OK;
    } else {
      cf_cli_error("unknown option \"%s\" (see cardforge --help)", arg);
      return CF_EXIT_USAGE;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return CF_EXIT_USAGE;
  }
  if (strcmp(argv[i], "help") == 0) {
    if (i + 1 >= argc) {
      usage(stdout);
      return CF_EXIT_OK;
    }
    const command *c = find_command(argv[i + 1]);
    if (c == NULL) {
      cf_cli_error("unknown command \"%s\" (see cardforge --help)", argv[i + 1]);
      return CF_EXIT_USAGE;
    }
    char *help_argv[] = {argv[i + 1], "--help", NULL};
    return c->run(&g, 2, help_argv);
  }
  const command *c = find_command(argv[i]);
  if (c == NULL) {
    cf_cli_error("unknown command \"%s\" (see cardforge --help)", argv[i]);
    return CF_EXIT_USAGE;
  }
  return c->run(&g, argc - i, argv + i);
}
