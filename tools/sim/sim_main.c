/* `cardforge sim`: option parsing, signals, pid file; the loop itself is in sim_engine.c. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/card.h"
#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/clicommon.h"
#include "cardforge/params.h"
#include "cardforge/secret_input.h"
#include "cardforge/registry.h"
#include "../commands.h"
#include "sim.h"

static const char sim_help[] =
    "Emulates cards and plugs each into pcscd through the vpcd driver (the card is the TCP\n"
    "client of vpcd; reader N is reached on port BASE+N). Runs until SIGINT or SIGTERM.\n"
    "\n"
    "options:\n"
    "  --card TYPE[:PARAMS]  a card of profile TYPE in the next free reader (repeatable);\n"
    "                        PARAMS are the type's name=value,name=value parameters\n"
    "                        (--list-types lists them); they apply when a card is made:\n"
    "                        ones that contradict an existing card are refused. Keys and\n"
    "                        PINs belong in a --config file (mode 0600), not here\n"
    "  --config FILE         cards from FILE (format below); --card adds to them\n"
    "  --state-dir DIR       card state files (default: <state dir>/cards, where <state dir>\n"
    "                        is $CARDFORGE_HOME, $XDG_DATA_HOME/cardforge or\n"
    "                        ~/.local/share/cardforge); one file per card: readerN-TYPE.db\n"
    "  --fresh               erase each card's state first (start from a new card); a card\n"
    "                        another process is serving is refused, not erased\n"
    "  --memory              keep card state in memory only\n"
    "  --timing [N:]SPEC     a card timing model for reader N's card, or for every card\n"
    "                        (repeatable): a profile (apdu20, jcop-cj2a081), NAME=DURATION\n"
    "                        pairs (apdu, ecdh, keygen, sign, derive, write; e.g. apdu=20ms),\n"
    "                        or a profile then pairs; off by default (docs/performance.md)\n"
    "  --port BASE           vpcd port of reader 0 (default 35963; Debian's vpcd listens on\n"
    "                        35963 and 35964)\n"
    "  --host ADDR           vpcd IPv4 address (default 127.0.0.1)\n"
    "  --pidfile FILE        write the process id to FILE (removed on exit)\n"
    "  --list-types          list the card types and their parameters, and exit\n"
    "  -h, --help            this help\n"
    "\n"
    "config file: one statement a line, '#' starts a comment:\n"
    "  reader N TYPE [PARAMS]   e.g. \"reader 0 keycard version=3.1\"\n"
    "  state-dir DIR            port BASE            host ADDR\n"
    "  timing [N] SPEC\n"
    "(command-line options win over the file.)\n"
    "\n"
    "Prints one line per card when vpcd has talked to it (the card is then in its reader).\n"
    "Exit codes: 0 stopped by a signal, 1 internal error, 2 usage error (unknown type, bad or\n"
    "contradicting parameters), 4 the reader already holds another card, 6 state or config\n"
    "file error (in use, empty, not a card file, another card type, corrupt, missing records,\n"
    "keys in a file others may read).\n";

/* the emulator the stop signals stop: set before they are installed, cleared before it is freed */
static cf_sim *volatile running_sim;

static void on_stop_signal(int sig) {
  (void)sig;
  cf_sim *sim = running_sim;
  if (sim != NULL) cf_sim_stop(sim);
}

static int install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) return -1;
  signal(SIGPIPE, SIG_IGN);
  return 0;
}

typedef struct sim_args {
  cf_sim_options opt;
  const char *config;
  const char *pidfile;
  const char *cards[CF_SIM_MAX_CARDS];
  size_t card_args;
  bool state_dir_given, port_given, host_given, list;
} sim_args;

/* Each type, then its parameters: name, accepted form, meaning, default, whether secret. */
static void list_types(void) {
  size_t count = 0;
  const cf_card_profile *const *all = cf_card_profiles(&count);
  for (size_t i = 0; i < count; i++) {
    printf("%-12s %s\n", all[i]->name, all[i]->summary);
    size_t n = 0;
    const cf_param_spec *specs = cf_card_type_params(all[i]->name, &n);
    if (specs == NULL) printf("    (parameters not declared: passed to the card unchecked)\n");
    for (size_t k = 0; specs != NULL && k < n; k++) {
      char form[64];
      cf_params_form(&specs[k], form, sizeof form);
      printf("    %s=<%s>  %s", specs[k].name, form, specs[k].meaning);
      if (specs[k].def != NULL && !specs[k].secret) printf(" (default %s)", specs[k].def);
      printf("%s\n", specs[k].secret ? " [secret: give it in a --config file]" : "");
    }
  }
}

/* The secret parameters a card is given ("pin2, k01"), or "" when none. */
static void secret_names(const cf_sim_card_spec *c, char *out, size_t cap) {
  size_t count = 0, n = 0;
  const cf_param_spec *specs = cf_card_type_params(c->type, &count);
  const char *cursor = c->params;
  cf_param_item it;
  out[0] = '\0';
  while (specs != NULL && cf_params_next(&cursor, &it) && n < cap) {
    const cf_param_spec *spec = cf_params_find(specs, count, it.name, it.name_len);
    if (spec != NULL && spec->secret)
      n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", spec->name);
  }
}

/* Every card's parameters against its type's declaration; keys are refused from a configuration
 * file others may read, and only warned about on the command line (where `ps` shows them). */
static int check_card_params(const sim_args *a) {
  char err[512], secrets[256];
  bool config_has_secrets = false;
  for (size_t i = 0; i < a->opt.card_count; i++) {
    const cf_sim_card_spec *c = &a->opt.cards[i];
    size_t count = 0;
    const cf_param_spec *specs = cf_card_type_params(c->type, &count);
    if (specs != NULL && cf_params_check(c->type, specs, count, c->params, err, sizeof err) != 0) {
      cf_cli_error("sim: reader %d (%s): %s", c->reader, c->type, err);
      return CF_EXIT_USAGE;
    }
    secret_names(c, secrets, sizeof secrets);
    if (secrets[0] == '\0') continue;
    if (i < a->opt.config_cards)
      config_has_secrets = true;
    else
      fprintf(
          stderr,
          "cardforge: sim: warning: reader %d (%s): %s given on the command line, where other users can read "
          "it (ps, /proc); put the card in a --config file with mode 0600 instead\n",
          c->reader, c->type, secrets);
  }
  if (config_has_secrets) {
    struct stat st;
    int fd = cf_secret_file_open(a->config, true, &st, err, sizeof err);
    if (fd < 0) {
      cf_cli_error("sim: %s; the file holds card keys or PINs", err);
      return CF_EXIT_FILE;
    }
    close(fd);
  }
  return -1;
}

static int write_pidfile(const char *path) {
  FILE *f = fopen(path, "w");
  if (f == NULL) return -1;
  fprintf(f, "%ld\n", (long)getpid());
  return fclose(f);
}

static bool parse_port(const char *s, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 65535) return false;
  *out = (int)v;
  return true;
}

static const cf_cli_command sim_command = {
    "sim",
    NULL,
    "--card+ --config= --state-dir= --fresh --memory --timing+ --port= --host= --pidfile= --list-types",
    0,
    "[OPTIONS]",
    "emulate cards and plug them into pcscd (vpcd)",
    sim_help};

/* Returns -1 to go on (global: the global options, with those given after `sim`), or an exit
 * code. */
static int parse_args(const cf_cli_global *g, int argc, char **argv, sim_args *a, cf_cli_global *global) {
  static cf_cli_opts opts;
  char err[256];
  int code =
      cf_cli_parse_single(&sim_command, g, argc, argv, &opts, CF_SIM_MAX_CARDS + 1, global, err, sizeof err);
  if (code >= 0) {
    if (err[0] != '\0') cf_cli_error("sim: %s", err);
    return code;
  }
  int cards = cf_cli_opts_count(&opts, "--card");
  if (cards > CF_SIM_MAX_CARDS) {
    cf_cli_error("sim: too many cards (at most %d)", CF_SIM_MAX_CARDS);
    return CF_EXIT_USAGE;
  }
  for (int i = 0; i < cards; i++)
    a->cards[a->card_args++] = cf_cli_opts_value_at(&opts, "--card", i);
  a->config = cf_cli_opts_value(&opts, "--config");
  a->pidfile = cf_cli_opts_value(&opts, "--pidfile");
  a->opt.fresh = cf_cli_opts_given(&opts, "--fresh");
  a->opt.memory = cf_cli_opts_given(&opts, "--memory");
  a->list = cf_cli_opts_given(&opts, "--list-types");
  const char *val = cf_cli_opts_value(&opts, "--state-dir");
  if (val != NULL) {
    if (snprintf(a->opt.state_dir, sizeof a->opt.state_dir, "%s", val) >= (int)sizeof a->opt.state_dir) {
      cf_cli_error("sim: state directory path too long");
      return CF_EXIT_USAGE;
    }
    a->state_dir_given = true;
  }
  if ((val = cf_cli_opts_value(&opts, "--port")) != NULL) {
    if (!parse_port(val, &a->opt.base_port)) {
      cf_cli_error("sim: --port wants a number 1-65535, not \"%s\"", val);
      return CF_EXIT_USAGE;
    }
    a->port_given = true;
  }
  if ((val = cf_cli_opts_value(&opts, "--host")) != NULL) {
    if (snprintf(a->opt.host, sizeof a->opt.host, "%s", val) >= (int)sizeof a->opt.host) {
      cf_cli_error("sim: --host address too long");
      return CF_EXIT_USAGE;
    }
    a->host_given = true;
  }
  for (int i = 0; i < cf_cli_opts_count(&opts, "--timing"); i++) {
    val = cf_cli_opts_value_at(&opts, "--timing", i);
    if (cf_sim_add_timing_arg(&a->opt, val, err, sizeof err) != 0) {
      cf_cli_error("sim: --timing %s: %s", val, err);
      return CF_EXIT_USAGE;
    }
  }
  return -1;
}

/* Puts the cards of --config and --card into a->opt and settles the state directory. */
static int collect_cards(const cf_cli_global *g, sim_args *a) {
  char err[512];
  if (a->config != NULL) {
    int rc = cf_sim_config_load(a->config, &a->opt, a->state_dir_given, a->port_given, a->host_given, err,
                                sizeof err);
    if (rc != 0) {
      cf_cli_error("sim: %s", err);
      return rc == -2 ? CF_EXIT_FILE : CF_EXIT_USAGE;
    }
  }
  for (size_t i = 0; i < a->card_args; i++) {
    if (cf_sim_add_card_arg(&a->opt, a->cards[i], err, sizeof err) != 0) {
      cf_cli_error("sim: --card %s: %s", a->cards[i], err);
      return CF_EXIT_USAGE;
    }
  }
  if (a->opt.card_count == 0) {
    cf_cli_error("sim: no card given (use --card TYPE or --config FILE; --list-types lists the types)");
    return CF_EXIT_USAGE;
  }
  for (size_t i = 0; i < a->opt.card_count; i++) {
    if (cf_card_profile_find(a->opt.cards[i].type) == NULL) {
      cf_cli_error("sim: unknown card type \"%s\" (see cardforge sim --list-types)", a->opt.cards[i].type);
      return CF_EXIT_USAGE;
    }
  }
  int rc = check_card_params(a);
  if (rc >= 0) return rc;
  if (a->opt.memory) return -1;
  if (a->opt.state_dir[0] == '\0') {
    if (g->state_dir == NULL || snprintf(a->opt.state_dir, sizeof a->opt.state_dir, "%s/cards",
                                         g->state_dir) >= (int)sizeof a->opt.state_dir) {
      cf_cli_error("sim: no state directory (set HOME or CARDFORGE_HOME, or give --state-dir)");
      return CF_EXIT_USAGE;
    }
  }
  if (cf_cli_mkdirs(a->opt.state_dir) != 0) {
    cf_cli_error("sim: cannot create state directory %s: %s", a->opt.state_dir, strerror(errno));
    return CF_EXIT_FILE;
  }
  return -1;
}

int cf_cmd_sim(const cf_cli_global *g, int argc, char **argv) {
  sim_args a;
  memset(&a, 0, sizeof a);
  cf_sim_options_init(&a.opt);
  cf_cli_global global;
  int rc = parse_args(g, argc, argv, &a, &global);
  if (rc >= 0) return rc;
  g = &global;
  a.opt.quiet = g->quiet;
  if (a.list) {
    list_types();
    return CF_EXIT_OK;
  }
  rc = collect_cards(g, &a);
  if (rc >= 0) return rc;
  char err[512];
  int exit_code = CF_EXIT_INTERNAL;
  cf_sim *sim = cf_sim_new(&a.opt, stdout, err, sizeof err, &exit_code);
  if (sim == NULL) {
    cf_cli_error("sim: %s", err);
    return exit_code;
  }
  running_sim = sim;
  if (install_signals() != 0) {
    cf_cli_error("sim: cannot set up signal handling: %s", strerror(errno));
    running_sim = NULL;
    cf_sim_free(sim);
    return CF_EXIT_INTERNAL;
  }
  if (a.pidfile != NULL && write_pidfile(a.pidfile) != 0) {
    cf_cli_error("sim: cannot write pid file %s: %s", a.pidfile, strerror(errno));
    running_sim = NULL;
    cf_sim_free(sim);
    return CF_EXIT_FILE;
  }
  int run = cf_sim_run(sim);
  rc = run == 0 ? CF_EXIT_OK : run == -2 ? CF_EXIT_TRANSPORT : CF_EXIT_INTERNAL;
  if (run == -2) cf_cli_error("sim: %s", cf_sim_error(sim));
  if (run == -1) cf_cli_error("sim: event loop failed: %s", strerror(errno));
  running_sim = NULL;
  cf_sim_free(sim);
  if (a.pidfile != NULL) unlink(a.pidfile);
  if (!g->quiet && rc == CF_EXIT_OK) {
    printf("sim: stopped\n");
    fflush(stdout);
  }
  return rc;
}
