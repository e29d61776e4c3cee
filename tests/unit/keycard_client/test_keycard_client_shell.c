/* `cardforge keycard shell`: the script line parser on its own, and sessions in process against the
 * wallet applet through a transport that counts connections and the commands the card receives
 * (OPEN SECURE CHANNEL, VERIFY PIN): one channel and one PIN verification for a whole script, an
 * error line that does not end the session, the PIN never taken from a script, a refused PIN never
 * sent twice, the session left marked for a reset at its end, and a signal ending it between lines. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/keycard.h"
#include "cardforge/store.h"
#include "cli_keycard_internal.h"
#include "keycard_cli_capture.h"
#include "keycard_shell_line.h"

/* ---- the line parser ---- */

static int split(const char *line, char **words, char *buf, size_t cap) {
  char err[128] = "";
  return keycard_shell_split(line, strlen(line), buf, cap, words, KEYCARD_SHELL_MAX_WORDS, err, sizeof err);
}

static void split_words_quotes_comments(void **state) {
  (void)state;
  char buf[256], *w[KEYCARD_SHELL_MAX_WORDS];
  assert_int_equal(split("sign --hash 00ff\n", w, buf, sizeof buf), 3);
  assert_string_equal(w[0], "sign");
  assert_string_equal(w[1], "--hash");
  assert_string_equal(w[2], "00ff");
  /* blanks, tabs, CR LF */
  assert_int_equal(split("  \texport-key   --path\tm/44h/0h\r\n", w, buf, sizeof buf), 3);
  assert_string_equal(w[2], "m/44h/0h");
  /* as in a shell, quotes pair up: an unquoted m/44'/0' is m/44 and a quoted /0 */
  assert_int_equal(split("m/44'/0'", w, buf, sizeof buf), 1);
  assert_string_equal(w[0], "m/44/0");
  /* quotes join and keep blanks; backslash escapes; adjacent parts make one word */
  assert_int_equal(split("derive --path 'm/44'\"'\"'/60'\"'\" a\\ b \"x\\\"y\\\\z\"", w, buf, sizeof buf), 5);
  assert_string_equal(w[2], "m/44'/60'");
  assert_string_equal(w[3], "a b");
  assert_string_equal(w[4], "x\"y\\z");
  /* inside double quotes a backslash before another character stays */
  assert_int_equal(split("\"a\\nb\"", w, buf, sizeof buf), 1);
  assert_string_equal(w[0], "a\\nb");
  /* empty quotes are an empty word */
  assert_int_equal(split("store-data --data ''", w, buf, sizeof buf), 3);
  assert_string_equal(w[2], "");
  /* comments: a word starting with #, not a # inside a word or quotes */
  assert_int_equal(split("# a comment", w, buf, sizeof buf), 0);
  assert_int_equal(split("status # why", w, buf, sizeof buf), 1);
  assert_int_equal(split("a#b '#c'", w, buf, sizeof buf), 2);
  assert_string_equal(w[0], "a#b");
  assert_string_equal(w[1], "#c");
  assert_int_equal(split("", w, buf, sizeof buf), 0);
  assert_int_equal(split("   \t \r\n", w, buf, sizeof buf), 0);
}

static void split_refuses_malformed_lines(void **state) {
  (void)state;
  char buf[64], *w[KEYCARD_SHELL_MAX_WORDS], err[128];
  assert_int_equal(split("sign 'open", w, buf, sizeof buf), -1);
  assert_int_equal(split("sign \"open", w, buf, sizeof buf), -1);
  assert_int_equal(split("sign \"a\\\"", w, buf, sizeof buf), -1);
  assert_int_equal(split("sign \\", w, buf, sizeof buf), -1);
  /* a NUL byte inside the line */
  assert_int_equal(keycard_shell_split("ab\0cd", 5, buf, sizeof buf, w, 4, err, sizeof err), -1);
  assert_non_null(strstr(err, "NUL"));
  /* too many words, too long */
  assert_int_equal(keycard_shell_split("a b c d e", 9, buf, sizeof buf, w, 4, err, sizeof err), -1);
  assert_non_null(strstr(err, "more than 4 words"));
  assert_int_equal(keycard_shell_split("a b c d", 7, buf, sizeof buf, w, 4, err, sizeof err), 4);
  char longline[100];
  memset(longline, 'x', sizeof longline);
  assert_int_equal(keycard_shell_split(longline, sizeof longline, buf, sizeof buf, w, 4, err, sizeof err),
                   -1);
  assert_non_null(strstr(err, "longer than"));
  /* exactly fitting: 63 bytes and the NUL */
  assert_int_equal(keycard_shell_split(longline, 63, buf, sizeof buf, w, 4, err, sizeof err), 1);
  assert_int_equal(strlen(w[0]), 63);
}

/* Arbitrary bytes (quotes, backslashes, #, blanks, NUL, high bytes) never overrun: every answer is
 * -1 (with a reason) or a word count within the limit, every word NUL-terminated inside buf. */
static void split_arbitrary_bytes(void **state) {
  (void)state;
  static const char alphabet[] = "ab '\"\\#\t\r\n\0\xff-=";
  uint32_t x = 12345;
  for (int round = 0; round < 20000; round++) {
    char line[64], buf[65], *w[4], err[128];
    size_t len = (size_t)(round % 64);
    for (size_t i = 0; i < len; i++) {
      x = x * 1103515245u + 12345u;
      line[i] = alphabet[(x >> 16) % (sizeof alphabet - 1)];
    }
    int n = keycard_shell_split(line, len, buf, sizeof buf, w, 4, err, sizeof err);
    assert_true(n >= -1 && n <= 4);
    for (int i = 0; i < n; i++) {
      assert_true(w[i] >= buf && w[i] < buf + sizeof buf);
      assert_true(w[i] + strlen(w[i]) < buf + sizeof buf);
    }
    if (n < 0) assert_true(err[0] != '\0');
  }
}

/* ---- sessions in process ---- */

#define PIN "123456"
#define PUK "012345678901"

typedef struct bench {
  cf_store *store;
  cf_card *card;
  char dir[64];
  cf_cli_global g;
  char *out, *log;
  size_t out_len, log_len;
  /* counted over every transport opened */
  int connects, opens_channel, verifies, closed_secured;
  int raise_signal; /* raised at the first command the card receives (0: none) */
} bench;

static int count_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                          size_t *rlen) {
  bench *b = t->impl;
  if (len >= 2 && cmd[0] == 0x80 && cmd[1] == 0x10) b->opens_channel++;
  if (len >= 2 && cmd[0] == 0x80 && cmd[1] == 0x20) b->verifies++;
  if (b->raise_signal != 0) {
    int sig = b->raise_signal;
    b->raise_signal = 0;
    raise(sig);
  }
  *rlen = cf_card_transmit(b->card, cmd, len, resp, cap);
  return 0;
}

static void count_close(cf_transport *t) {
  bench *b = t->impl;
  if (t->secured) b->closed_secured++;
  t->impl = NULL;
}

static const cf_transport_ops count_ops = {.exchange = count_exchange, .close = count_close};

static cf_transport *connect_counted(void *ctx, const char *reader, char *err, size_t errlen) {
  (void)reader, (void)err, (void)errlen;
  bench *b = ctx;
  cf_transport *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->ops = &count_ops;
  t->impl = b;
  snprintf(t->name, sizeof t->name, "in-process");
  b->connects++;
  return t;
}

static int run(bench *b, ...) {
  const keycard_cli_io io = {.connect = connect_counted, .ctx = b};
  va_list args;
  va_start(args, b);
  int code = keycard_cli_run_captured(&b->g, &io, &b->out, &b->out_len, &b->log, &b->log_len, args);
  va_end(args);
  return code;
}

/* Runs `keycard shell [args...]` with script as its standard input. */
static int shell(bench *b, const char *script, ...) {
  FILE *in = fmemopen((void *)script, strlen(script), "r");
  assert_non_null(in);
  const keycard_cli_io io = {.connect = connect_counted, .ctx = b, .in = in};
  b->connects = b->opens_channel = b->verifies = b->closed_secured = 0;
  va_list args;
  va_start(args, script);
  int code = keycard_cli_run_captured(&b->g, &io, &b->out, &b->out_len, &b->log, &b->log_len, args);
  va_end(args);
  fclose(in);
  return code;
}

/* The n-th (0-based) answer line of the last shell's output, or NULL. */
static const char *answer(const bench *b, int n, char *line, size_t cap) {
  const char *p = b->out;
  for (int i = 0; i < n && p; i++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  if (!p || !*p) return NULL;
  size_t len = strcspn(p, "\n");
  if (len >= cap) len = cap - 1;
  memcpy(line, p, len);
  line[len] = '\0';
  return line;
}

static int count_lines(const char *text) {
  int n = 0;
  for (const char *p = text; p && *p; p++)
    n += *p == '\n';
  return n;
}

static int setup(void **state) {
  bench *b = calloc(1, sizeof *b);
  if (!b || cf_store_open_memory(&b->store) != 0) return -1;
  b->card = keycard_profile.create(b->store, NULL);
  if (!b->card) return -1;
  cf_card_power_on(b->card);
  snprintf(b->dir, sizeof b->dir, "/tmp/kcc_shell_XXXXXX");
  if (!mkdtemp(b->dir)) return -1;
  b->g.state_dir = b->dir;
  b->g.quiet = false;
  unsetenv("CARDFORGE_PIN");
  *state = b;
  /* an initialized, paired card with a key */
  if (run(b, "init", "--pin", PIN, "--puk", PUK, NULL) != CF_EXIT_OK) return -1;
  if (run(b, "pair", NULL) != CF_EXIT_OK) return -1;
  if (run(b, "load-key", "--seed",
          "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
          "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
          "--pin", PIN, NULL) != CF_EXIT_OK)
    return -1;
  return 0;
}

static int teardown(void **state) {
  bench *b = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/keycard-pairings.txt", b->dir);
  remove(path);
  snprintf(path, sizeof path, "%s/pin.txt", b->dir);
  remove(path);
  snprintf(path, sizeof path, "%s/script.txt", b->dir);
  remove(path);
  rmdir(b->dir);
  free(b->out);
  free(b->log);
  cf_card_free(b->card);
  cf_store_close(b->store);
  free(b);
  unsetenv("CARDFORGE_PIN");
  return 0;
}

#define HASH "4242424242424242424242424242424242424242424242424242424242424242"

/* Ten commands, one a usage error and one a card refusal in the middle: one connection, one
 * OPEN SECURE CHANNEL, one VERIFY PIN, ten answers in order, exit code of the first failure. */
static void ten_commands_one_channel_one_pin(void **state) {
  bench *b = *state;
  setenv("CARDFORGE_PIN", PIN, 1);
  static const char script[] = "# a wallet's session\n"
                               "status\n"
                               "sign --hash " HASH "\n"
                               "export-key --path \"m/44'/60'/0'/0/0\"\n"
                               "\n"
                               "sign --hash nothex   # usage error: never reaches the card\n"
                               "export-key --private --path m/44h/60h/0h/0/0\n"
                               "derive --path \"m/44'/60'/0'/0/1\"\n"
                               "sign --hash " HASH "\n"
                               "get-data --type public\n"
                               "generate-mnemonic --words 12\n"
                               "status\n";
  int code = shell(b, script, "shell", NULL);
  assert_int_equal(code, CF_EXIT_USAGE); /* the first failure's code */
  assert_int_equal(count_lines(b->out), 10);
  assert_int_equal(b->connects, 1);
  assert_int_equal(b->opens_channel, 1);
  assert_int_equal(b->verifies, 1);
  assert_int_equal(b->closed_secured, 1); /* the session ends with the card marked for a reset */
  char line[1024];
  assert_non_null(answer(b, 0, line, sizeof line));
  assert_non_null(strstr(line, "ok pin-retries: 3; "));
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_true(strncmp(line, "ok signature: ", 14) == 0);
  assert_non_null(strstr(line, "; recovery-id: "));
  assert_non_null(answer(b, 3, line, sizeof line));
  assert_true(strncmp(line, "error 2 sign: ", 14) == 0);
  assert_non_null(answer(b, 4, line, sizeof line));
  assert_true(strncmp(line, "error 3 export-key: ", 20) == 0); /* private key outside m/43'/60'/1581' */
  assert_non_null(answer(b, 5, line, sizeof line));
  assert_string_equal(line, "ok");
  assert_non_null(answer(b, 9, line, sizeof line));
  assert_true(strncmp(line, "ok pin-retries: 3", 17) == 0);
  assert_non_null(strstr(line, "key-path: m/44'/60'/0'/0/1"));
  assert_non_null(
      strstr(b->log, "session: 10 commands, 2 failed; secure channel opened 1 time, PIN verified 1 time"));

  /* the same commands one by one: a channel and a PIN verification each */
  b->connects = b->opens_channel = b->verifies = 0;
  assert_int_equal(run(b, "status", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "sign", "--hash", HASH, NULL), CF_EXIT_OK);
  assert_int_equal(b->connects, 2);
  assert_int_equal(b->opens_channel, 2);
  assert_int_equal(b->verifies, 1);
}

/* Commands that select another application (or SELECT the wallet again) lose the channel and the
 * PIN state: the next PIN command opens and verifies again. */
static void reselect_reopens(void **state) {
  bench *b = *state;
  setenv("CARDFORGE_PIN", PIN, 1);
  int code = shell(b, "sign --hash " HASH "\ninfo\nsign --hash " HASH "\n", "shell", NULL);
  assert_int_equal(code, CF_EXIT_OK);
  assert_int_equal(count_lines(b->out), 3);
  assert_int_equal(b->opens_channel, 2);
  assert_int_equal(b->verifies, 2);
  char line[1024];
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_non_null(strstr(line, "ok initialized: yes; instance-uid: "));
}

/* The PIN comes from the shell (--pin @FILE here), never a script line; a refused PIN is sent once. */
static void pin_sources_and_refusal(void **state) {
  bench *b = *state;
  char line[1024];
  /* no PIN anywhere: the first PIN command fails, the others too, without a VERIFY */
  int code = shell(b, "sign --hash " HASH "\nstatus\nverify-pin\n", "shell", NULL);
  assert_int_equal(code, CF_EXIT_USAGE);
  assert_int_equal(b->verifies, 0);
  assert_non_null(answer(b, 0, line, sizeof line));
  assert_true(strncmp(line, "error 2 sign: give the PIN", 26) == 0);
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_true(strncmp(line, "ok pin-retries: 3", 17) == 0);
  assert_non_null(answer(b, 2, line, sizeof line));
  assert_true(strncmp(line, "error 2 verify-pin: no PIN for this session", 43) == 0);

  /* a PIN in the script is refused before anything is sent */
  setenv("CARDFORGE_PIN", PIN, 1);
  code = shell(b, "verify-pin --pin " PIN "\nsign --hash " HASH " --pin=-\nduplicate --source 0 --target 1\n",
               "shell", NULL);
  assert_int_equal(code, CF_EXIT_USAGE);
  assert_int_equal(count_lines(b->out), 3);
  assert_int_equal(b->connects, 0);
  assert_non_null(answer(b, 0, line, sizeof line));
  assert_non_null(strstr(line, "error 2 verify-pin: a script never holds the PIN"));
  assert_non_null(answer(b, 2, line, sizeof line));
  assert_non_null(strstr(line, "not available in a shell session"));

  /* --pin @FILE on the shell's command line, script from --file */
  char pin_path[128], script_path[128], at[140];
  snprintf(pin_path, sizeof pin_path, "%s/pin.txt", b->dir);
  snprintf(script_path, sizeof script_path, "%s/script.txt", b->dir);
  FILE *f = fopen(pin_path, "w");
  assert_non_null(f);
  fputs("654321\n", f); /* the wrong PIN */
  fclose(f);
  assert_int_equal(chmod(pin_path, 0600), 0);
  f = fopen(script_path, "w");
  assert_non_null(f);
  fputs("sign --hash " HASH "\nsign --hash " HASH "\n", f);
  fclose(f);
  snprintf(at, sizeof at, "@%s", pin_path);
  code = shell(b, "", "shell", "--file", script_path, "--pin", at, NULL);
  assert_int_equal(code, CF_EXIT_CARD);
  assert_int_equal(b->verifies, 1); /* the wrong PIN costs one try, not one per command */
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_non_null(strstr(line, "error 3 sign: the card refused this session's PIN"));
  assert_int_equal(run(b, "status", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "pin-retries: 2\n"));
  assert_int_equal(run(b, "verify-pin", "--pin", PIN, NULL), CF_EXIT_OK); /* back to 3 */

  /* --pin - needs the script in a file; a missing script file is a file error */
  assert_int_equal(shell(b, "status\n", "shell", "--pin", "-", NULL), CF_EXIT_USAGE);
  assert_int_equal(shell(b, "", "shell", "--file", "/nonexistent/script", NULL), CF_EXIT_FILE);
  /* an unknown command, and help: one line each */
  code = shell(b, "frobnicate\nhelp status\n", "shell", NULL);
  assert_int_equal(code, CF_EXIT_USAGE);
  assert_int_equal(count_lines(b->out), 2);
  assert_non_null(answer(b, 0, line, sizeof line));
  assert_true(strncmp(line, "error 2 unknown command", 23) == 0);
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_true(strncmp(line, "ok usage: cardforge keycard status", 34) == 0);
  /* a malformed line is answered and the session goes on */
  code = shell(b, "sign 'open\nstatus\n", "shell", NULL);
  assert_int_equal(code, CF_EXIT_USAGE);
  assert_non_null(answer(b, 0, line, sizeof line));
  assert_string_equal(line, "error 2 line 1: unclosed single quote");
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_true(strncmp(line, "ok pin-retries: 3", 17) == 0);
}

/* change-pin: the new PIN stays verified on the card, but the session never verifies its (old) PIN
 * again. */
static void change_pin_in_session(void **state) {
  bench *b = *state;
  setenv("CARDFORGE_PIN", PIN, 1);
  setenv("CARDFORGE_NEW_PIN", "111111", 1);
  int code = shell(b, "change-pin\nsign --hash " HASH "\ninfo\nsign --hash " HASH "\n", "shell", NULL);
  unsetenv("CARDFORGE_NEW_PIN");
  assert_int_equal(code, CF_EXIT_CARD);
  assert_int_equal(b->verifies, 1);
  char line[1024];
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_true(strncmp(line, "ok signature: ", 14) == 0);
  assert_non_null(answer(b, 3, line, sizeof line));
  assert_non_null(strstr(line, "error 3 sign: the PIN was changed in this session"));
  assert_int_equal(run(b, "verify-pin", "--pin", "111111", NULL), CF_EXIT_OK);
}

/* factory-reset in a session: the pairing the session used is gone with the card's; the next
 * command looks the store up again and says so instead of trying the old pairing. */
static void factory_reset_in_session(void **state) {
  bench *b = *state;
  setenv("CARDFORGE_PIN", PIN, 1);
  int code = shell(b, "status\nfactory-reset --yes\nstatus\ninfo\n", "shell", NULL);
  assert_int_equal(code, CF_EXIT_CARD);
  char line[1024];
  assert_non_null(answer(b, 1, line, sizeof line));
  assert_string_equal(line, "ok");
  assert_non_null(answer(b, 2, line, sizeof line));
  assert_true(strncmp(line, "error 3 status: ", 16) == 0);
  assert_non_null(strstr(line, "not initialized"));
  assert_non_null(answer(b, 3, line, sizeof line));
  assert_non_null(strstr(line, "ok initialized: no"));
  assert_int_equal(b->opens_channel, 1);
}

/* SIGTERM while a command runs: it finishes, no further line runs, the card is left for a reset,
 * and the shell exits 143. */
static void signal_ends_session(void **state) {
  bench *b = *state;
  setenv("CARDFORGE_PIN", PIN, 1);
  b->raise_signal = SIGTERM;
  int code = shell(b, "status\nsign --hash " HASH "\nstatus\n", "shell", NULL);
  assert_int_equal(code, 128 + SIGTERM);
  assert_int_equal(count_lines(b->out), 1);
  char line[1024];
  assert_non_null(answer(b, 0, line, sizeof line));
  assert_true(strncmp(line, "ok pin-retries: 3", 17) == 0);
  assert_int_equal(b->verifies, 0);
  assert_int_equal(b->closed_secured, 1);
  assert_non_null(strstr(b->log, "session ended by signal"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(split_words_quotes_comments),
      cmocka_unit_test(split_refuses_malformed_lines),
      cmocka_unit_test(split_arbitrary_bytes),
      cmocka_unit_test_setup_teardown(ten_commands_one_channel_one_pin, setup, teardown),
      cmocka_unit_test_setup_teardown(reselect_reopens, setup, teardown),
      cmocka_unit_test_setup_teardown(pin_sources_and_refusal, setup, teardown),
      cmocka_unit_test_setup_teardown(change_pin_in_session, setup, teardown),
      cmocka_unit_test_setup_teardown(factory_reset_in_session, setup, teardown),
      cmocka_unit_test_setup_teardown(signal_ends_session, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
