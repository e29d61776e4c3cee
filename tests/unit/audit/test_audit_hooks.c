/* The ceremony log from the commands that change keys, run in process: each leaves its line, the
 * log verifies, and no line holds a secret (the key bytes, PIN, PUK or seed given to the command). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/audit.h"
#include "cardforge/card.h"
#include "cardforge/gp_client.h"
#include "cardforge/hex.h"
#include "cardforge/scp.h"
#include "cardforge/keycard.h"
#include "cardforge/store.h"
#include "cli_keycard_internal.h"

#define SEED_HEX                                                                                             \
  "8899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF0011223344556677"                                         \
  "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define PIN "135790"
#define PUK "246801357924"

typedef struct bench {
  char dir[64], log_path[128];
  cf_cli_global g;
} bench;

static int setup(void **state) {
  bench *b = calloc(1, sizeof *b);
  snprintf(b->dir, sizeof b->dir, "/tmp/cf-audit-hooks-XXXXXX");
  if (mkdtemp(b->dir) == NULL) return -1;
  snprintf(b->log_path, sizeof b->log_path, "%s/%s", b->dir, CF_AUDIT_FILE);
  b->g.state_dir = b->dir;
  b->g.quiet = true;
  unsetenv(CF_AUDIT_ENV_LOG);
  unsetenv(CF_AUDIT_ENV_KEY);
  *state = b;
  return 0;
}

static int teardown(void **state) {
  bench *b = *state;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
  assert_int_equal(system(cmd), 0);
  free(b);
  return 0;
}

static char *read_log(const bench *b) {
  FILE *f = fopen(b->log_path, "rb");
  assert_non_null(f);
  static char text[65536];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  return text;
}

/* A secret's hex (upper case) must appear in no case, nor any 8-byte window of it. */
static void assert_no_secret(const char *text, const char *hex) {
  static char log[65536];
  size_t n = strlen(hex), i = 0;
  for (; text[i] && i + 1 < sizeof log; i++)
    log[i] = (char)toupper((unsigned char)text[i]);
  log[i] = 0;
  for (i = 0; i + 16 <= n; i += 2) {
    char window[17];
    memcpy(window, hex + i, 16);
    window[16] = 0;
    if (strstr(log, window) != NULL) fail_msg("the log holds secret bytes %s", window);
  }
}

static void assert_verifies(const bench *b, size_t want_lines) {
  size_t lines = 0, bad = 0;
  char why[512] = "";
  if (cf_audit_verify(b->log_path, NULL, 0, &lines, &bad, why, sizeof why) != 0) fail_msg("%s", why);
  assert_int_equal(lines, want_lines);
}

/* ---- Keycard ---- */
static cf_card *keycard;
static cf_transport *kc_connect(void *ctx, const char *reader, char *err, size_t errlen) {
  (void)ctx, (void)reader, (void)err, (void)errlen;
  return cf_transport_open_card(keycard);
}

static int keycard_run(bench *b, ...) {
  char *argv[16];
  int argc = 0;
  argv[argc++] = "keycard";
  va_list ap;
  va_start(ap, b);
  for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 15;)
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  FILE *sink = fopen("/dev/null", "w");
  const keycard_cli_io io = {.connect = kc_connect, .out = sink, .log = sink};
  int code = keycard_cli_run(&b->g, argc, argv, &io);
  fclose(sink);
  return code;
}

static void test_keycard_commands(void **state) {
  bench *b = *state;
  cf_store *store;
  assert_int_equal(cf_store_open_memory(&store), 0);
  keycard = keycard_profile.create(store, "");
  assert_non_null(keycard);
  cf_card_power_on(keycard);
  setenv("CARDFORGE_PIN", PIN, 1);
  setenv("CARDFORGE_PUK", PUK, 1);
  assert_int_equal(keycard_run(b, "init", NULL), CF_EXIT_OK);
  assert_int_equal(keycard_run(b, "pair", NULL), CF_EXIT_OK);
  setenv("CARDFORGE_SEED", SEED_HEX, 1);
  assert_int_equal(keycard_run(b, "load-key", NULL), CF_EXIT_OK);
  unsetenv("CARDFORGE_SEED");
  assert_int_equal(keycard_run(b, "generate-key", NULL), CF_EXIT_OK);
  assert_int_equal(keycard_run(b, "remove-key", NULL), CF_EXIT_OK);
  /* a refusal is recorded too, with the card's status word */
  setenv("CARDFORGE_PIN", "000000", 1);
  assert_int_equal(keycard_run(b, "remove-key", NULL), CF_EXIT_CARD);
  setenv("CARDFORGE_PIN", PIN, 1);
  assert_int_equal(keycard_run(b, "unpair", NULL), CF_EXIT_OK);
  assert_int_equal(keycard_run(b, "factory-reset", "--yes", NULL), CF_EXIT_OK);
  unsetenv("CARDFORGE_PIN");
  unsetenv("CARDFORGE_PUK");

  const char *log = read_log(b);
  print_message("%s", log);
  assert_verifies(b, 7);
  static const char *const order[] = {"keycard init",         "keycard pair",       "keycard load-key",
                                      "keycard generate-key", "keycard remove-key", "keycard unpair",
                                      "keycard factory-reset"};
  const char *at = log;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    char want[64];
    snprintf(want, sizeof want, "\"command\":\"%s\"", order[i]);
    at = strstr(at, want);
    if (at == NULL) fail_msg("no line for %s (in order)", order[i]);
  }
  assert_non_null(strstr(log, "\"source\":\"seed\""));
  assert_non_null(strstr(log, "\"pairing_slot\":0"));
  /* the wrong PIN: no remove-key line for it (VERIFY PIN failed before REMOVE KEY), or a failed one */
  assert_null(strstr(log, "\"result\":\"failed\",\"sw\":\"9000\""));
  assert_no_secret(log, SEED_HEX);
  assert_null(strstr(log, PIN));
  assert_null(strstr(log, PUK));
  cf_card_free(keycard);
  cf_store_close(store);
}

#ifdef CF_WITH_GP
/* ---- GlobalPlatform ---- */
#include "gp_card_fixture.h"

#define GP_NEW_KEY "C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF"

static int gp_run(bench *b, fixture *fx, const char *line) {
  char buf[512], *argv[32];
  int argc = 0;
  snprintf(buf, sizeof buf, "gp %s", line);
  for (char *tok = strtok(buf, " "); tok != NULL && argc < 31; tok = strtok(NULL, " "))
    argv[argc++] = tok;
  argv[argc] = NULL;
  return cf_gp_cli_run(&b->g, fx->t, argc, argv);
}

static void test_gp_commands(void **state) {
  bench *b = *state;
  fixture *fx = fx_new("");
  assert_int_equal(gp_run(b, fx, "put-key --new-kvn 30 --type aes --new-key " GP_NEW_KEY), CF_EXIT_OK);
  assert_int_equal(gp_run(b, fx, "--key-ver 30 --key " GP_NEW_KEY " delete-key --delete-kvn FF"), CF_EXIT_OK);
  /* refused: no such set; the line says so with the card's status word */
  assert_int_equal(gp_run(b, fx, "--key-ver 30 --key " GP_NEW_KEY " delete-key --delete-kvn 55"),
                   CF_EXIT_CARD);
  /* the channel fails (wrong keys): no key-changing command was sent, no line */
  assert_int_equal(gp_run(b, fx, "--key-ver 30 put-key --new-kvn 31 --new-key " GP_NEW_KEY), CF_EXIT_VERIFY);
  const char *log = read_log(b);
  print_message("%s", log);
  assert_verifies(b, 3);
  uint8_t kcv[3], key[16];
  char want[128];
  assert_int_equal(cf_hex_decode(GP_NEW_KEY, key, sizeof key), 16);
  assert_int_equal(cf_scp_kcv(CF_GP_KEY_AES, key, sizeof key, kcv), 0);
  snprintf(want, sizeof want,
           "\"kvn\":\"30\",\"replaces\":null,\"type\":\"AES\",\"key_ids\":[1,2,3],\"kcv\":[\"%02X%02X%02X\"",
           kcv[0], kcv[1], kcv[2]);
  assert_non_null(strstr(log, want));
  assert_non_null(strstr(log, "\"command\":\"gp delete-key\""));
  assert_non_null(strstr(log, "\"result\":\"failed\",\"sw\":\"6A88\",\"exit\":3"));
  assert_no_secret(log, GP_NEW_KEY);
  assert_no_secret(log, "404142434445464748494A4B4C4D4E4F"); /* the channel's keys */
  fx_free(fx);
}
#endif

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_keycard_commands, setup, teardown),
#ifdef CF_WITH_GP
      cmocka_unit_test_setup_teardown(test_gp_commands, setup, teardown),
#endif
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
