/* `cardforge keycard ...` run in process against emulated cards plugged in as named readers: the
 * output a user sees, exit codes, the pairing store, secrets kept out of logs, and duplication
 * over three cards. */
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

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard.h"
#include "cardforge/store.h"
#include "cli_keycard_internal.h"
#include "keycard_cli_capture.h"

#define MNEMONIC                                                                                             \
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful "     \
  "legal will"
#define MASTER_PUB                                                                                           \
  "04CC620F846055ED43995391CA5E490C52251EA40453F64A0515BEF84C24A653A7C4E02B9DE56F66D9EE58DC6B591B534F5A20C0" \
  "550B2C"                                                                                                   \
  "33A086B90B866CF70799"
#define EIP1581_PUB                                                                                          \
  "04E7370D118461E1AB01F3E86E88C4B0C7B92CECB79C5E320CEF73DDA912F173BEAE74DF15090B6405A274963C054CDFE6AC7843" \
  "A302C2"                                                                                                   \
  "60390D1FE776008F310E"

typedef struct bench {
  const char *names[3];
  cf_store *stores[3];
  cf_card *cards[3];
  char dir[128];
  cf_cli_global g;
  char *out, *log; /* captured by the last run */
  size_t out_len, log_len;
  int liar;    /* 1 + index of a card whose SELECT answers show a wrong key UID (0: none) */
  int refuser; /* 1 + index of a card that refuses DUPLICATE KEY IMPORT (0: none) */
  void (*on_connect)(struct bench *b, const char *reader); /* called before each connection */
  int connects;
} bench;

/* A reader that lies about the key UID in SELECT answers (8E 20 <uid>): a card that did not take
 * the duplicated key, as far as the host can tell. */
static int lying_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                          size_t *rlen) {
  *rlen = cf_card_transmit(t->impl, cmd, len, resp, cap);
  if (len > 1 && cmd[1] == 0xA4)
    for (size_t i = 0; i + 34 <= *rlen; i++)
      if (resp[i] == 0x8E && resp[i + 1] == 0x20) resp[i + 2] ^= 0xFF;
  return 0;
}
static void lying_close(cf_transport *t) {
  t->impl = NULL;
}
static const cf_transport_ops lying_ops = {.exchange = lying_exchange, .close = lying_close};

/* A reader whose card refuses DUPLICATE KEY IMPORT (P1 03) with 6A80, untouched: a target that fails
 * in the middle of a duplication while the others go on. */
static int refusing_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                             size_t *rlen) {
  if (len > 2 && cmd[1] == KEYCARD_CLIENT_INS_DUPLICATE_KEY && cmd[2] == 0x03 && cap >= 2) {
    resp[0] = 0x6A;
    resp[1] = 0x80;
    *rlen = 2;
    return 0;
  }
  *rlen = cf_card_transmit(t->impl, cmd, len, resp, cap);
  return 0;
}
static const cf_transport_ops refusing_ops = {.exchange = refusing_exchange, .close = lying_close};

static cf_transport *connect_by_name(void *ctx, const char *reader, char *err, size_t errlen) {
  bench *b = ctx;
  b->connects++;
  if (b->on_connect) b->on_connect(b, reader);
  for (int i = 0; i < 3; i++) {
    if (reader && strcmp(reader, b->names[i]) != 0) continue;
    if (b->liar != i + 1 && b->refuser != i + 1) return cf_transport_open_card(b->cards[i]);
    cf_transport *t = calloc(1, sizeof *t);
    t->ops = b->liar == i + 1 ? &lying_ops : &refusing_ops;
    t->impl = b->cards[i];
    return t;
  }
  snprintf(err, errlen, "no reader named %s", reader);
  return NULL;
}

/* Runs `keycard <args...>` (NULL-terminated); keeps stdout/stderr text in b->out / b->log. */
static int run(bench *b, ...) {
  const keycard_cli_io io = {.connect = connect_by_name, .ctx = b};
  va_list args;
  va_start(args, b);
  int code = keycard_cli_run_captured(&b->g, &io, &b->out, &b->out_len, &b->log, &b->log_len, args);
  va_end(args);
  return code;
}

static int setup_cards(void **state, const char *params) {
  bench *b = calloc(1, sizeof *b);
  b->names[0] = "A";
  b->names[1] = "B";
  b->names[2] = "C";
  for (int i = 0; i < 3; i++) {
    if (cf_store_open_memory(&b->stores[i]) != 0) return -1;
    b->cards[i] = keycard_profile.create(b->stores[i], params);
    if (!b->cards[i]) return -1;
    cf_card_power_on(b->cards[i]);
  }
  snprintf(b->dir, sizeof b->dir, "/tmp/kcc_cli_XXXXXX");
  if (!mkdtemp(b->dir)) return -1;
  b->g.state_dir = b->dir;
  b->g.quiet = false;
  unsetenv("CARDFORGE_PIN");
  unsetenv("CARDFORGE_PUK");
  unsetenv("CARDFORGE_BIP39_WORDLIST");
  unsetenv("CARDFORGE_SEED");
  unsetenv("CARDFORGE_MNEMONIC");
  unsetenv("CARDFORGE_KEY");
  *state = b;
  return 0;
}

static int setup(void **state) {
  return setup_cards(state, "");
}

/* DUPLICATE KEY is in applet 2.2.1 only */
static int setup_221(void **state) {
  return setup_cards(state, "version=2.2.1");
}

static int teardown(void **state) {
  bench *b = *state;
  for (int i = 0; i < 3; i++) {
    cf_card_free(b->cards[i]);
    cf_store_close(b->stores[i]);
  }
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
  int rc = system(cmd);
  free(b->out);
  free(b->log);
  free(b);
  return rc == 0 ? 0 : -1;
}

/* The value printed after "label: " on the result stream. */
static const char *field(const bench *b, const char *label, char *buf, size_t cap) {
  char key[64];
  snprintf(key, sizeof key, "%s: ", label);
  const char *p = strstr(b->out, key);
  if (!p) return "";
  p += strlen(key);
  size_t n = strcspn(p, "\n");
  if (n >= cap) n = cap - 1;
  memcpy(buf, p, n);
  buf[n] = 0;
  return buf;
}

static void setup_card(bench *b, const char *reader) {
  assert_int_equal(run(b, "init", "--reader", reader, "--pin", "123456", "--puk", "012345678901", NULL),
                   CF_EXIT_OK);
  assert_int_equal(run(b, "pair", "--reader", reader, NULL), CF_EXIT_OK);
}

static void keycard_client_cli_usage(void **state) {
  bench *b = *state;
  assert_int_equal(run(b, "--help", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "duplicate"));
  assert_non_null(strstr(b->out, "exit codes"));
  assert_int_equal(run(b, NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "bogus", NULL), CF_EXIT_USAGE);
  assert_non_null(strstr(b->log, "cardforge: keycard: unknown command \"bogus\""));
  /* options the family takes may come before the command; a command's own may not */
  assert_int_equal(run(b, "--pin", "123456", "verify-pin", NULL), CF_EXIT_USAGE);
  assert_non_null(strstr(b->log, "unknown option \"--pin\""));
  assert_int_equal(run(b, "sign", "--bogus", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "sign", "--hash", "00", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "sign", "--hash", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "sign", "--help", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "--hash HEX32"));
  /* a command's help lists each option it takes and the global ones */
  assert_non_null(strstr(b->out, "  --make-current\n"));
  assert_non_null(strstr(b->out, "  --pin PIN\n"));
  assert_non_null(strstr(b->out, "--trace"));
  assert_int_equal(run(b, "help", "sign", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "usage: cardforge keycard sign --hash HEX32"));
  assert_int_equal(run(b, "factory-reset", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "info", "--reader", "Z", NULL), CF_EXIT_TRANSPORT);
  assert_non_null(strstr(b->log, "no reader named Z"));
  /* errors are one line */
  assert_int_equal(strchr(b->log, '\n') - b->log + 1, (long)b->log_len);
}

static void keycard_client_cli_single_card(void **state) {
  bench *b = *state;
  char buf[256];
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "initialized: no"));
  assert_int_equal(
      run(b, "init", "--reader", "A", "--pin", "123456", "--puk", "012345678901", "--pin-retries", "3", NULL),
      CF_EXIT_USAGE); /* both retry counts or neither */
  /* a PUK starting with the PIN makes the PIN the alternate one: warned */
  assert_int_equal(run(b, "init", "--reader", "B", "--pin", "123456", "--puk", "123456789012", NULL),
                   CF_EXIT_OK);
  assert_non_null(strstr(b->log, "warning: the alternate PIN"));
  assert_int_equal(run(b, "init", "--reader", "A", "--pin", "123456", "--puk", "012345678901", NULL),
                   CF_EXIT_OK);
  assert_null(strstr(b->log, "warning"));
  assert_int_equal(run(b, "init", "--reader", "A", "--pin", "123456", "--puk", "012345678901", NULL),
                   CF_EXIT_CARD);
  assert_int_equal(run(b, "status", "--reader", "A", NULL), CF_EXIT_CARD);
  assert_non_null(strstr(b->log, "no pairing stored"));
  assert_int_equal(run(b, "pair", "--reader", "A", "--password", "wrong password", NULL), CF_EXIT_VERIFY);
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "pairing-slot", buf, sizeof buf), "0");
  char store[256];
  snprintf(store, sizeof store, "%s/keycard-pairings.txt", b->dir);
  struct stat st;
  assert_int_equal(stat(store, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);

  assert_int_equal(run(b, "status", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "pin-retries", buf, sizeof buf), "3");
  assert_string_equal(field(b, "key-loaded", buf, sizeof buf), "no");
  assert_int_equal(run(b, "verify-pin", "--reader", "A", NULL), CF_EXIT_USAGE); /* no PIN given */
  assert_int_equal(run(b, "verify-pin", "--reader", "A", "--pin", "000000", NULL), CF_EXIT_CARD);
  assert_non_null(strstr(b->log, "2 tries left"));
  assert_null(strstr(b->log, "000000"));
  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "verify-pin", "--reader", "A", NULL), CF_EXIT_OK);

  assert_int_equal(run(b, "load-key", "--reader", "A", "--mnemonic", MNEMONIC, NULL), CF_EXIT_OK);
  assert_int_equal(strlen(field(b, "key-uid", buf, sizeof buf)), 64);
  assert_int_equal(run(b, "export-key", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "public-key", buf, sizeof buf), MASTER_PUB);
  assert_int_equal(run(b, "export-key", "--reader", "A", "--path", "m/43'/60'/1581'/0'/0", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "public-key", buf, sizeof buf), EIP1581_PUB);
  assert_int_equal(run(b, "export-key", "--reader", "A", "--private", NULL),
                   CF_EXIT_CARD); /* not under EIP-1581 */
  assert_int_equal(run(b, "sign", "--reader", "A", "--hash",
                       "0101010101010101010101010101010101010101010101010101010101010101", NULL),
                   CF_EXIT_OK);
  assert_string_equal(field(b, "public-key", buf, sizeof buf), MASTER_PUB);
  assert_int_equal(strlen(field(b, "signature", buf, sizeof buf)), 128);
  assert_true(atoi(field(b, "recovery-id", buf, sizeof buf)) >= 0);
  assert_int_equal(run(b, "derive", "--reader", "A", "--path", "m/44'/60'/0'/0/0", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "status", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "key-path", buf, sizeof buf), "m/44'/60'/0'/0/0");

  /* --trace shows the plain secure commands, with the PIN hidden */
  b->g.trace = true;
  assert_int_equal(run(b, "verify-pin", "--reader", "A", NULL), CF_EXIT_OK);
  b->g.trace = false;
  assert_non_null(strstr(b->log, "(secure channel: plain command"));
  assert_null(strstr(b->log, "313233343536"));
  assert_null(strstr(b->log, "31 32 33 34 35 36"));

  assert_int_equal(run(b, "store-data", "--reader", "A", "--data", "CAFE", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "get-data", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "data", buf, sizeof buf), "CAFE");

  assert_int_equal(run(b, "change-pin", "--reader", "A", "--new-pin", "654321", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "verify-pin", "--reader", "A", NULL), CF_EXIT_CARD);
  setenv("CARDFORGE_PIN", "654321", 1);
  assert_int_equal(run(b, "verify-pin", "--reader", "A", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "remove-key", "--reader", "A", NULL), CF_EXIT_OK);
  /* a raw private key: the card signs with its public key */
  uint8_t priv[32], pub[65];
  char priv_hex[65], pub_hex[131];
  memset(priv, 0x5C, 32);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub), 0);
  cf_hex_encode(priv, 32, priv_hex);
  cf_hex_encode(pub, 65, pub_hex);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--key", "00", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--key", priv_hex, "--passphrase", "x", NULL),
                   CF_EXIT_USAGE);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--key", priv_hex, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "export-key", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "public-key", buf, sizeof buf), pub_hex);
  assert_int_equal(run(b, "unpair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "status", "--reader", "A", NULL), CF_EXIT_CARD); /* pairing forgotten */
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "factory-reset", "--reader", "A", "--yes", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "initialized: no"));
  FILE *f = fopen(store, "r");
  assert_non_null(f);
  assert_int_equal(fgetc(f), EOF); /* the reset card's pairing is gone from the store */
  fclose(f);
  unsetenv("CARDFORGE_PIN");
}

static void keycard_client_cli_duplicate(void **state) {
  bench *b = *state;
  char buf[256], pub[3][256];
  for (int i = 0; i < 3; i++)
    setup_card(b, b->names[i]);
  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "generate-key", "--reader", "A", NULL), CF_EXIT_OK);
  char uid[256];
  snprintf(uid, sizeof uid, "%s", field(b, "key-uid", buf, sizeof buf));
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "A", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "duplicate", "--source", "A", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "B", "--target", "C", NULL), CF_EXIT_OK);
  int ok_lines = 0;
  for (const char *p = b->out; (p = strstr(p, " ok\n")) != NULL; p++)
    ok_lines++;
  assert_int_equal(ok_lines, 3);
  assert_non_null(strstr(b->out, uid));
  assert_non_null(strstr(b->log, "card 3 (target): key imported"));
  for (int i = 0; i < 3; i++) {
    assert_int_equal(run(b, "info", "--reader", b->names[i], NULL), CF_EXIT_OK);
    assert_string_equal(field(b, "key-uid", buf, sizeof buf), uid);
    assert_int_equal(run(b, "sign", "--reader", b->names[i], "--hash",
                         "4242424242424242424242424242424242424242424242424242424242424242", NULL),
                     CF_EXIT_OK);
    snprintf(pub[i], sizeof pub[i], "%s", field(b, "public-key", buf, sizeof buf));
  }
  assert_string_equal(pub[0], pub[1]);
  assert_string_equal(pub[0], pub[2]);
  /* a wrong PIN on a target stops everything before START: exit 3, no card changed */
  assert_int_equal(run(b, "change-pin", "--reader", "C", "--new-pin", "999999", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "B", "--target", "C", NULL),
                   CF_EXIT_CARD);
  assert_null(strstr(b->log, "duplication started"));

  /* a target that ends with another key UID: exit 5, the mismatch named */
  assert_int_equal(run(b, "change-pin", "--reader", "C", "--pin", "999999", "--new-pin", "123456", NULL),
                   CF_EXIT_OK);
  assert_int_equal(run(b, "remove-key", "--reader", "C", NULL), CF_EXIT_OK);
  b->liar = 3;
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "B", "--target", "C", NULL),
                   CF_EXIT_VERIFY);
  b->liar = 0;
  assert_non_null(strstr(b->out, "(target, C): key-uid"));
  assert_non_null(strstr(b->out, "MISMATCH"));
  assert_non_null(strstr(b->log, "does not hold the source's key"));
  unsetenv("CARDFORGE_PIN");
}

static void write_secret(const bench *b, const char *name, const char *text, mode_t mode, char *path,
                         size_t cap) {
  snprintf(path, cap, "%s/%s", b->dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  assert_int_equal(chmod(path, mode), 0);
}

/* PIN, PUK and key material from files and the environment (nothing secret on the command line);
 * a secret file that group or others may read is refused, naming it. */
static void keycard_client_cli_secret_files(void **state) {
  bench *b = *state;
  char pin[256], puk[256], words[256], buf[256];
  write_secret(b, "pin", "123456\n", 0600, pin, sizeof pin);
  write_secret(b, "puk", "012345678901\n", 0600, puk, sizeof puk);
  write_secret(b, "words", MNEMONIC "\n", 0600, words, sizeof words);
  char pin_arg[300], puk_arg[300], words_arg[300];
  snprintf(pin_arg, sizeof pin_arg, "@%s", pin);
  snprintf(puk_arg, sizeof puk_arg, "@%s", puk);
  snprintf(words_arg, sizeof words_arg, "@%s", words);
  assert_int_equal(run(b, "init", "--reader", "A", "--pin", pin_arg, "--puk", puk_arg, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "verify-pin", "--reader", "A", "--pin", pin_arg, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--pin", pin_arg, "--mnemonic", words_arg, NULL),
                   CF_EXIT_OK);
  assert_int_equal(run(b, "export-key", "--reader", "A", "--pin", pin_arg, NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "public-key", buf, sizeof buf), MASTER_PUB);
  /* the seed from the environment alone */
  setenv("CARDFORGE_PIN", "123456", 1);
  setenv("CARDFORGE_SEED",
         "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
         "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F",
         1);
  assert_int_equal(run(b, "load-key", "--reader", "A", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "export-key", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_not_equal(field(b, "public-key", buf, sizeof buf), MASTER_PUB);
  setenv("CARDFORGE_KEY", "5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C5C", 1);
  assert_int_equal(run(b, "load-key", "--reader", "A", NULL), CF_EXIT_USAGE); /* two sources */
  unsetenv("CARDFORGE_KEY");
  unsetenv("CARDFORGE_SEED");
  unsetenv("CARDFORGE_PIN");
  /* too open: refused before the card is touched, the file and its mode named */
  assert_int_equal(chmod(pin, 0644), 0);
  b->connects = 0;
  assert_int_equal(run(b, "verify-pin", "--reader", "A", "--pin", pin_arg, NULL), CF_EXIT_FILE);
  assert_non_null(strstr(b->log, pin));
  assert_non_null(strstr(b->log, "0644"));
  assert_int_equal(run(b, "change-pin", "--reader", "A", "--new-pin", pin_arg, NULL), CF_EXIT_FILE);
  assert_int_equal(b->connects, 1); /* only verify-pin connected: the PIN is read after SELECT */
  /* a missing file, an empty one */
  char missing[300];
  snprintf(missing, sizeof missing, "@%s/none", b->dir);
  assert_int_equal(run(b, "verify-pin", "--reader", "A", "--pin", missing, NULL), CF_EXIT_FILE);
  write_secret(b, "empty", "", 0600, buf, sizeof buf);
  snprintf(missing, sizeof missing, "@%s", buf);
  assert_int_equal(run(b, "verify-pin", "--reader", "A", "--pin", missing, NULL), CF_EXIT_FILE);
  assert_non_null(strstr(b->log, "empty"));
}

/* After the store is checked, the store file turns into a directory: saving the new pairing fails,
 * and the slot PAIR took is given back with UNPAIR (the PIN is there to open the channel). */
static void block_store(bench *b, const char *reader) {
  (void)reader;
  char path[300];
  snprintf(path, sizeof path, "%s/keycard-pairings.txt", b->dir);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/keycard-pairings.txt/x", b->dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
  b->on_connect = NULL;
}

static void unblock_store(bench *b) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s/keycard-pairings.txt'", b->dir);
  assert_int_equal(system(cmd), 0);
}

/* INIT of the card in reader A (PIN 123456); free_slots: the free pairing slots `info` reports then. */
static void init_reader_a(bench *b, char *free_slots, size_t cap) {
  char buf[256];
  assert_int_equal(run(b, "init", "--reader", "A", "--pin", "123456", "--puk", "012345678901", NULL),
                   CF_EXIT_OK);
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  snprintf(free_slots, cap, "%s", field(b, "free-pairing-slots", buf, sizeof buf));
}

static void keycard_client_cli_pair_undo(void **state) {
  bench *b = *state;
  char buf[256], free_before[256];
  init_reader_a(b, free_before, sizeof free_before);
  setenv("CARDFORGE_PIN", "123456", 1);
  b->on_connect = block_store;
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_FILE);
  assert_non_null(strstr(b->log, "cannot be saved"));
  assert_non_null(strstr(b->log, "pairing undone"));
  unblock_store(b);
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "free-pairing-slots", buf, sizeof buf), free_before);
  /* without the PIN the slot cannot be given back: the message says how to free it */
  unsetenv("CARDFORGE_PIN");
  b->on_connect = block_store;
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_FILE);
  assert_non_null(strstr(b->log, "unpair --index"));
  unblock_store(b);
  /* a store that cannot take a pairing at all: checked first, the card is not paired */
  setenv("CARDFORGE_PIN", "123456", 1);
  /* free the stranded slot 0 through a new pairing (slot 1), then that one */
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "pairing-slot", buf, sizeof buf), "1");
  assert_int_equal(run(b, "unpair", "--reader", "A", "--index", "0", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "unpair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "free-pairing-slots", buf, sizeof buf), free_before);
  unblock_store(b);
  block_store(b, NULL);
  b->connects = 0;
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_FILE);
  assert_non_null(strstr(b->log, "the card was not paired"));
  assert_int_equal(b->connects, 0);
  unblock_store(b);
  unsetenv("CARDFORGE_PIN");
}

/* Two pairings of one card from this host: both kept, the newest used, each unpair frees its own. */
static void keycard_client_cli_two_pairings(void **state) {
  bench *b = *state;
  char buf[256], free_before[256];
  init_reader_a(b, free_before, sizeof free_before);
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "pairing-slot", buf, sizeof buf), "0");
  assert_int_equal(run(b, "pair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "pairing-slot", buf, sizeof buf), "1");
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "paired", buf, sizeof buf), "yes (slot 1, the newest of 2 pairings stored)");
  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "unpair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->log, "slot 1 freed"));
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "paired", buf, sizeof buf), "yes (slot 0)");
  assert_int_equal(run(b, "status", "--reader", "A", NULL), CF_EXIT_OK); /* slot 0 still works */
  assert_int_equal(run(b, "unpair", "--reader", "A", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->log, "slot 0 freed"));
  assert_int_equal(run(b, "info", "--reader", "A", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "free-pairing-slots", buf, sizeof buf), free_before);
  unsetenv("CARDFORGE_PIN");
}

/* SIGINT during duplicate: no further target is touched, the resume line names --from; --from N
 * starts at target N. */
static void interrupt_at_third_connect(bench *b, const char *reader) {
  (void)reader;
  if (b->connects == 3) raise(SIGINT);
}

static void keycard_client_cli_duplicate_interrupt(void **state) {
  bench *b = *state;
  char buf[256], uid[256];
  for (int i = 0; i < 3; i++)
    setup_card(b, b->names[i]);
  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "generate-key", "--reader", "A", NULL), CF_EXIT_OK);
  snprintf(uid, sizeof uid, "%s", field(b, "key-uid", buf, sizeof buf));
  b->connects = 0;
  b->on_connect = interrupt_at_third_connect;
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "B", "--target", "C", NULL), 130);
  b->on_connect = NULL;
  assert_non_null(strstr(b->out, "rerun with --from 1"));
  assert_non_null(strstr(b->log, "interrupted by SIGINT"));
  assert_null(strstr(b->log, "key imported"));
  assert_int_equal(
      run(b, "duplicate", "--source", "A", "--target", "B", "--target", "C", "--from", "2", NULL),
      CF_EXIT_OK);
  assert_int_equal(run(b, "info", "--reader", "C", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "key-uid", buf, sizeof buf), uid);
  assert_int_equal(run(b, "info", "--reader", "B", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "key-uid", buf, sizeof buf), "none");
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "B", "--from", "2", NULL), CF_EXIT_USAGE);
  unsetenv("CARDFORGE_PIN");
}

/* Targets run at once: one that fails at IMPORT stops alone (exit 3), the other gets the key; the
 * resume line says to rerun, and the rerun leaves the target holding the key as it is and imports
 * on the other only. */
static void keycard_client_cli_duplicate_one_target_fails(void **state) {
  bench *b = *state;
  char buf[256], uid[256];
  for (int i = 0; i < 3; i++)
    setup_card(b, b->names[i]);
  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "generate-key", "--reader", "A", NULL), CF_EXIT_OK);
  snprintf(uid, sizeof uid, "%s", field(b, "key-uid", buf, sizeof buf));
  b->refuser = 2;
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "B", "--target", "C", NULL),
                   CF_EXIT_CARD);
  b->refuser = 0;
  assert_non_null(strstr(b->out, "card 2 (target, B): failed"));
  assert_non_null(strstr(b->out, "card 3 (target, C): key-uid"));
  assert_non_null(strstr(b->log, "card 2 (target, B): IMPORT failed"));
  assert_non_null(strstr(b->log, "card 3 (target): key imported"));
  assert_non_null(strstr(b->out, "rerun the same command"));
  assert_int_equal(run(b, "info", "--reader", "C", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "key-uid", buf, sizeof buf), uid);
  assert_int_equal(run(b, "info", "--reader", "B", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "key-uid", buf, sizeof buf), "none");
  assert_int_equal(run(b, "duplicate", "--source", "A", "--target", "B", "--target", "C", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->log, "card 3 (target, C): already holds the key, left as it is"));
  assert_non_null(strstr(b->log, "card 2 (target): key imported"));
  assert_null(strstr(b->log, "card 3 (target): key imported"));
  assert_int_equal(run(b, "info", "--reader", "B", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "key-uid", buf, sizeof buf), uid);
  unsetenv("CARDFORGE_PIN");
}

/* set-pinless-path (bare PATH and --path), sign --pinless without pairing or PIN, its refusals. */
static void keycard_client_cli_pinless(void **state) {
  bench *b = *state;
  char buf[256];
  const char *hash = "4242424242424242424242424242424242424242424242424242424242424242";
  setup_card(b, "A");
  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--mnemonic", MNEMONIC, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "sign", "--reader", "A", "--hash", hash, "--pinless", NULL), CF_EXIT_CARD);
  assert_non_null(strstr(b->log, "no PIN-less path (SW 6A88)"));
  assert_int_equal(run(b, "set-pinless-path", "--reader", "A", "../1", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "set-pinless-path", "--reader", "A", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "set-pinless-path", "m/1", "--remove", "--reader", "A", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "set-pinless-path", "m/43'/60'/1581'/0'/0", "--reader", "A", NULL), CF_EXIT_OK);
  unsetenv("CARDFORGE_PIN");
  /* no PIN, and a pairing store that does not know card B: neither is needed */
  assert_int_equal(run(b, "sign", "--reader", "A", "--hash", hash, "--pinless", NULL), CF_EXIT_OK);
  assert_string_equal(field(b, "public-key", buf, sizeof buf), EIP1581_PUB);
  assert_int_equal(strlen(field(b, "signature", buf, sizeof buf)), 128);
  assert_int_equal(run(b, "sign", "--reader", "A", "--hash", hash, NULL), CF_EXIT_USAGE); /* PIN needed */
  assert_int_equal(run(b, "sign", "--reader", "A", "--hash", hash, "--pinless", "--path", "m/1", NULL),
                   CF_EXIT_USAGE);
  assert_int_equal(run(b, "set-pinless-path", "--reader", "A", "--remove", NULL), CF_EXIT_USAGE); /* PIN */
  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "set-pinless-path", "--reader", "A", "--remove", NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "sign", "--reader", "A", "--hash", hash, "--pinless", NULL), CF_EXIT_CARD);
  assert_int_equal(run(b, "set-pinless-path", "--reader", "A", "--path", "m/44'/60'/0'/0/0", NULL),
                   CF_EXIT_OK);
  assert_int_equal(run(b, "sign", "--reader", "A", "--hash", hash, "--pinless", NULL), CF_EXIT_OK);
  assert_string_not_equal(field(b, "public-key", buf, sizeof buf), EIP1581_PUB);
  unsetenv("CARDFORGE_PIN");
}

/* generate-mnemonic with and without a word list, and load-key's word and checksum checks (with a
 * generated stand-in list "w0000".."w2047": the checks are the same for any list). */
static void keycard_client_cli_mnemonic(void **state) {
  bench *b = *state;
  char buf[512], list[256];
  setup_card(b, "A");
  assert_int_equal(run(b, "generate-mnemonic", "--reader", "A", "--words", "13", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "generate-mnemonic", "--reader", "A", "--words", "12x", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "generate-mnemonic", "--reader", "B", NULL), CF_EXIT_CARD); /* not initialized */
  /* this host's own list, if it has one: indexes always, words only with a list */
  assert_int_equal(run(b, "generate-mnemonic", "--reader", "A", "--words", "15", NULL), CF_EXIT_OK);
  assert_int_not_equal(strlen(field(b, "word-indexes", buf, sizeof buf)), 0);
  bool have_list = access(KEYCARD_CLIENT_BIP39_DEFAULT_WORDLIST, R_OK) == 0;
  assert_int_equal(strstr(b->out, "mnemonic: ") != NULL, have_list);
  assert_int_equal(strstr(b->log, "no BIP39 word list") != NULL, !have_list);

  snprintf(list, sizeof list, "%s/words.txt", b->dir);
  FILE *f = fopen(list, "w");
  assert_non_null(f);
  for (int i = 0; i < 2048; i++)
    fprintf(f, "w%04d\n", i);
  fclose(f);
  setenv("CARDFORGE_BIP39_WORDLIST", list, 1);
  assert_int_equal(run(b, "generate-mnemonic", "--reader", "A", "--words", "18", NULL), CF_EXIT_OK);
  char words[512];
  snprintf(words, sizeof words, "%s", field(b, "mnemonic", buf, sizeof buf));
  /* the words are the indexes looked up in the list */
  char indexes[256], expect[512] = "";
  snprintf(indexes, sizeof indexes, "%s", field(b, "word-indexes", buf, sizeof buf));
  int count = 0;
  for (char *tok = strtok(indexes, " "); tok; tok = strtok(NULL, " "), count++) {
    char w[8];
    snprintf(w, sizeof w, "%sw%04d", count ? " " : "", atoi(tok));
    strncat(expect, w, sizeof expect - strlen(expect) - 1);
  }
  assert_int_equal(count, 18);
  assert_string_equal(words, expect);

  setenv("CARDFORGE_PIN", "123456", 1);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--mnemonic", words, NULL), CF_EXIT_OK);
  /* flipping the last word's lowest bit changes only checksum bits: the checksum must fail */
  char bad[512];
  snprintf(bad, sizeof bad, "%s", words);
  char *last = strrchr(bad, 'w');
  int v = atoi(last + 1) ^ 1;
  snprintf(last, 6, "w%04d", v);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--mnemonic", bad, NULL), CF_EXIT_USAGE);
  assert_non_null(strstr(b->log, "checksum does not match"));
  assert_int_equal(strchr(b->log, '\n') - b->log + 1, (long)b->log_len); /* one line */
  snprintf(bad, sizeof bad, "w0001 %s", words + 6);
  memcpy(bad, "wzzzz", 5);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--mnemonic", bad, NULL), CF_EXIT_USAGE);
  assert_non_null(strstr(b->log, "word 1 of the mnemonic is not in the BIP39 word list"));
  assert_null(strstr(b->log, "wzzzz")); /* the mnemonic is a secret: no word is quoted */
  assert_int_equal(run(b, "load-key", "--reader", "A", "--mnemonic", MNEMONIC, NULL), CF_EXIT_USAGE);
  /* a named list that cannot be read is a file error */
  setenv("CARDFORGE_BIP39_WORDLIST", "/nonexistent/english.txt", 1);
  assert_int_equal(run(b, "generate-mnemonic", "--reader", "A", NULL), CF_EXIT_FILE);
  assert_int_equal(run(b, "load-key", "--reader", "A", "--mnemonic", words, NULL), CF_EXIT_FILE);
  unsetenv("CARDFORGE_BIP39_WORDLIST");
  unsetenv("CARDFORGE_PIN");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(keycard_client_cli_usage, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_single_card, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_duplicate, setup_221, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_secret_files, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_pair_undo, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_two_pairings, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_duplicate_interrupt, setup_221, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_duplicate_one_target_fails, setup_221, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_pinless, setup, teardown),
      cmocka_unit_test_setup_teardown(keycard_client_cli_mnemonic, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
