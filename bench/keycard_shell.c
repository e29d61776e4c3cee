/* `cardforge keycard shell` against ten separate `cardforge keycard` commands, measured side by side
 * (one session, then the ten commands, in alternation: a busy machine slows both alike).
 *
 *   keycard shell: 10 commands, one session    op: one `keycard shell` running the script below
 *                                              floor: the same ten commands, one run each
 *   ratio = session / separate (below 1: the session is that fraction of the time)
 *
 * In process (default), both run the CLI code (keycard_cli_run) against an emulated Keycard in
 * this process: what a session saves in protocol and crypto alone (SELECT + ECDH, OPEN SECURE
 * CHANNEL + MUTUALLY AUTHENTICATE, VERIFY PIN per command, the pairing file read each time). With
 * --reader R --cardforge PATH, both run the `cardforge` program through pcscd: process start-up,
 * PC/SC connection and transaction, and a card reset per command are added to that.
 *
 * The script: every command a wallet session sends often, all needing the secure channel, most the
 * PIN. */
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_cards.h"
#include "bench_harness.h"

#include "cli_keycard_internal.h"

extern char **environ;

static const char usage[] =
    "usage: bench_keycard_shell [options] [--reader R --cardforge PATH]\n"
    "A 10-command `keycard shell` session against the same 10 commands run one by one.\n"
    "  --reader R        through pcscd: the (fresh, uninitialized) Keycard in reader R\n"
    "  --cardforge PATH  the cardforge program to run there (needed with --reader)\n";

#define PIN "123456"
#define PUK "012345678901"
#define HASH "cb2ac3a9a2ab3d6f61f0b6d3a16a3c3b5b88fb1d3b6a4d60cbbbd13c80b3c9ab"
#define NCMDS 10

/* The ten commands, as words after "keycard". */
static const char *const script_words[NCMDS][8] = {
    {"status", NULL},
    {"verify-pin", NULL},
    {"sign", "--hash", HASH, NULL},
    {"export-key", NULL},
    {"derive", "--path", "m/44h/60h/0h/0/0", NULL},
    {"sign", "--hash", HASH, NULL},
    {"export-key", "--path", "m/44h/60h/0h/0/1", NULL},
    {"sign", "--hash", HASH, "--path", "m/44h/60h/0h/0/1", NULL},
    {"status", NULL},
    {"sign", "--hash", HASH, NULL},
};

typedef struct shell_bench {
  const bench_cfg *cfg;
  const char *cardforge; /* through pcscd: the program */
  char home[64];         /* CARDFORGE_HOME: the pairing store */
  char script_path[128];
  char script[1024];
  /* in process */
  bench_card card;
  cf_cli_global g;
  FILE *null_out;
} shell_bench;

/* ---- in process ---- */

static cf_transport *connect_emulated(void *ctx, const char *reader, char *err, size_t errlen) {
  (void)reader, (void)err, (void)errlen;
  return cf_transport_open_card(((shell_bench *)ctx)->card.card);
}

static int run_inproc(shell_bench *b, int argc, char **argv, FILE *in) {
  keycard_cli_io io = {
      .connect = connect_emulated, .ctx = b, .out = b->null_out, .log = b->null_out, .in = in};
  return keycard_cli_run(&b->g, argc, argv, &io);
}

static int words_argv(const char *const *words, char **argv) {
  int argc = 0;
  argv[argc++] = "keycard";
  for (; words[argc - 1] != NULL; argc++)
    argv[argc] = (char *)words[argc - 1];
  argv[argc] = NULL;
  return argc;
}

static int op_session_inproc(void *p) {
  shell_bench *b = p;
  FILE *in = fmemopen(b->script, strlen(b->script), "r");
  if (in == NULL) return -1;
  char *argv[] = {"keycard", "shell", NULL};
  int code = run_inproc(b, 2, argv, in);
  fclose(in);
  if (code != CF_EXIT_OK) fprintf(stderr, "%s: the session failed (exit %d)\n", b->cfg->program, code);
  return code == CF_EXIT_OK ? 0 : -1;
}

static int op_separate_inproc(void *p) {
  shell_bench *b = p;
  for (int i = 0; i < NCMDS; i++) {
    char *argv[10];
    int argc = words_argv(script_words[i], argv);
    int code = run_inproc(b, argc, argv, NULL);
    if (code != CF_EXIT_OK) {
      fprintf(stderr, "%s: keycard %s failed (exit %d)\n", b->cfg->program, argv[1], code);
      return -1;
    }
  }
  return 0;
}

/* ---- through pcscd: the cardforge program ---- */

/* Runs cardforge --reader R --quiet keycard WORDS...; output to /dev/null (or out_path). */
static int spawn_cardforge(shell_bench *b, const char *const *words, const char *out_path) {
  char *argv[16];
  int argc = 0;
  argv[argc++] = (char *)b->cardforge;
  argv[argc++] = "--reader";
  argv[argc++] = (char *)b->cfg->reader;
  argv[argc++] = "--quiet";
  argv[argc++] = "keycard";
  for (size_t i = 0; words[i] != NULL && argc < 15; i++)
    argv[argc++] = (char *)words[i];
  argv[argc] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, b->cardforge, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    fprintf(stderr, "%s: cannot run %s: %s\n", b->cfg->program, b->cardforge, strerror(rc));
    return -1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s: cardforge keycard %s failed (status %d)\n", b->cfg->program, words[0], status);
    return -1;
  }
  return 0;
}

static int op_session_pcsc(void *p) {
  shell_bench *b = p;
  const char *words[] = {"shell", "--file", b->script_path, NULL};
  return spawn_cardforge(b, words, NULL);
}

static int op_separate_pcsc(void *p) {
  shell_bench *b = p;
  for (int i = 0; i < NCMDS; i++)
    if (spawn_cardforge(b, script_words[i], NULL) != 0) return -1;
  return 0;
}

/* ---- set-up: an initialized, paired card with a key, the script in a file ---- */

static int prepare(shell_bench *b) {
  size_t n = 0;
  for (int i = 0; i < NCMDS; i++) {
    for (int w = 0; script_words[i][w] != NULL; w++)
      n += (size_t)snprintf(b->script + n, sizeof b->script - n, "%s%s", w ? " " : "", script_words[i][w]);
    n += (size_t)snprintf(b->script + n, sizeof b->script - n, "\n");
  }
  snprintf(b->home, sizeof b->home, "/tmp/cf-bench-shell.XXXXXX");
  if (mkdtemp(b->home) == NULL) return -1;
  b->g.state_dir = b->home;
  snprintf(b->script_path, sizeof b->script_path, "%s/script.txt", b->home);
  FILE *f = fopen(b->script_path, "w");
  if (f == NULL) return -1;
  fputs(b->script, f);
  fclose(f);
  setenv("CARDFORGE_HOME", b->home, 1);
  setenv("CARDFORGE_PIN", PIN, 1);
  setenv("CARDFORGE_PUK", PUK, 1);
  setenv("CARDFORGE_SEED",
         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
         "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
         1);
  static const char *const init[] = {"init", NULL}, *const pair[] = {"pair", NULL},
                           *const load[] = {"load-key", NULL};
  const char *const *steps[] = {init, pair, load};
  for (size_t i = 0; i < 3; i++) {
    int rc;
    if (b->cfg->reader) {
      rc = spawn_cardforge(b, steps[i], NULL);
    } else {
      char *argv[10];
      int argc = words_argv(steps[i], argv);
      rc = run_inproc(b, argc, argv, NULL) == CF_EXIT_OK ? 0 : -1;
    }
    if (rc != 0) {
      fprintf(stderr, "%s: set-up step %s failed (a fresh card is needed)\n", b->cfg->program, steps[i][0]);
      return -1;
    }
  }
  unsetenv("CARDFORGE_SEED");
  unsetenv("CARDFORGE_PUK");
  /* the session must answer ten ok lines, or the figures compare different work */
  char answers[160];
  snprintf(answers, sizeof answers, "%s/answers.txt", b->home);
  if (b->cfg->reader) {
    const char *words[] = {"shell", "--file", b->script_path, NULL};
    if (spawn_cardforge(b, words, answers) != 0) return -1;
  } else {
    FILE *out = fopen(answers, "w"), *in = fmemopen(b->script, strlen(b->script), "r");
    if (out == NULL || in == NULL) return -1;
    char *argv[] = {"keycard", "shell", NULL};
    keycard_cli_io io = {.connect = connect_emulated, .ctx = b, .out = out, .log = b->null_out, .in = in};
    int code = keycard_cli_run(&b->g, 2, argv, &io);
    fclose(in);
    fclose(out);
    if (code != CF_EXIT_OK) return -1;
  }
  f = fopen(answers, "r");
  if (f == NULL) return -1;
  char line[1024];
  int ok = 0;
  while (fgets(line, sizeof line, f))
    ok += strncmp(line, "ok", 2) == 0;
  fclose(f);
  remove(answers);
  if (ok != NCMDS) {
    fprintf(stderr, "%s: the session answered %d ok lines of %d\n", b->cfg->program, ok, NCMDS);
    return -1;
  }
  return 0;
}

static void cleanup(shell_bench *b) {
  char path[160];
  snprintf(path, sizeof path, "%s/keycard-pairings.txt", b->home);
  remove(path);
  snprintf(path, sizeof path, "%s/keycard-pairings.txt.lock", b->home);
  remove(path);
  remove(b->script_path);
  rmdir(b->home);
}

int main(int argc, char **argv) {
  static const char *const extra[] = {"--cardforge", NULL};
  const char *vals[1] = {NULL};
  bench_cfg cfg;
  bench_parse(&cfg, "bench_keycard_shell", usage, argc, argv, extra, vals);
  static shell_bench b;
  b.cfg = &cfg;
  b.cardforge = vals[0];
  const char *scenario = "keycard shell: 10 commands, one session";
  if (!bench_selected(&cfg, scenario)) return 0;
  if (cfg.reader != NULL && b.cardforge == NULL) bench_die(cfg.program, "--reader needs --cardforge PATH");
  b.null_out = fopen("/dev/null", "w");
  if (b.null_out == NULL) bench_die(cfg.program, "cannot open /dev/null");
  if (cfg.reader == NULL && bench_card_emulated(&cfg, "keycard", NULL, "keycard-shell", &b.card) != 0)
    return 1;
  b.g.quiet = true;
  int rc = prepare(&b);
  if (rc == 0) {
    bench_header();
    bool pcsc = cfg.reader != NULL;
    rc = bench_run(&cfg, scenario, bench_path(&cfg), "session", pcsc ? op_session_pcsc : op_session_inproc,
                   &b, pcsc ? op_separate_pcsc : op_separate_inproc, &b, NULL,
                   pcsc ? "floor: the ten commands as ten cardforge runs; ratio session/separate"
                        : "floor: the ten commands as ten keycard_cli_run calls; ratio session/separate");
  }
  cleanup(&b);
  if (cfg.reader == NULL) bench_card_close(&b.card);
  unsetenv("CARDFORGE_PIN");
  fclose(b.null_out);
  return rc == 0 ? 0 : 1;
}
