/* `cardforge keycard` commands for the Keycard as shipped, in process against a keycard-card:
 * init without credentials (random, printed once, and they work), pair --ephemeral (slot FF, not
 * saved), cash info / sign, ndef write / read, ident verify with the right and a wrong CA key. */
#include <setjmp.h>
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
#include "cardforge/keycard_card.h"
#include "cardforge/store.h"
#include "cli_keycard_internal.h"
#include "keycard_cli_capture.h"

#define CA_KEY "00000000000000000000000000000000000000000000000000000000000000C5"

typedef struct bench {
  cf_store *store;
  cf_card *card;
  char dir[64];
  cf_cli_global g;
  char *out, *log;
  size_t out_len, log_len;
} bench;

static cf_transport *connect_card(void *ctx, const char *reader, char *err, size_t errlen) {
  (void)reader, (void)err, (void)errlen;
  return cf_transport_open_card(((bench *)ctx)->card);
}

static int run(bench *b, ...) {
  const keycard_cli_io io = {.connect = connect_card, .ctx = b};
  va_list args;
  va_start(args, b);
  int code = keycard_cli_run_captured(&b->g, &io, &b->out, &b->out_len, &b->log, &b->log_len, args);
  va_end(args);
  return code;
}

/* The value of "label: value" in the last output. */
static void field(const bench *b, const char *label, char *out, size_t cap) {
  char key[64];
  snprintf(key, sizeof key, "%s: ", label);
  const char *p = strstr(b->out, key);
  assert_non_null(p);
  p += strlen(key);
  size_t n = strcspn(p, "\n");
  assert_true(n < cap);
  memcpy(out, p, n);
  out[n] = '\0';
}

static int setup(void **state) {
  bench *b = calloc(1, sizeof *b);
  if (!b || cf_store_open_memory(&b->store) != 0) return -1;
  b->card = keycard_card_profile.create(b->store, "ident_ca=" CA_KEY);
  if (!b->card) return -1;
  cf_card_power_on(b->card);
  snprintf(b->dir, sizeof b->dir, "/tmp/kcc_apps_XXXXXX");
  if (!mkdtemp(b->dir)) return -1;
  b->g.state_dir = b->dir;
  static const char *const vars[] = {"CARDFORGE_PIN", "CARDFORGE_PUK", "CARDFORGE_PAIRING_PASSWORD",
                                     "CARDFORGE_PAIRING_SECRET", "CARDFORGE_ALT_PIN"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    unsetenv(vars[i]);
  *state = b;
  return 0;
}

static int teardown(void **state) {
  bench *b = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/keycard-pairings.txt", b->dir);
  remove(path);
  rmdir(b->dir);
  free(b->out);
  free(b->log);
  cf_card_free(b->card);
  cf_store_close(b->store);
  free(b);
  return 0;
}

static void init_random_then_pair_and_apps(void **state) {
  bench *b = *state;
  char pin[32], puk[32], password[64];
  assert_int_equal(run(b, "init", NULL), CF_EXIT_OK);
  field(b, "pin", pin, sizeof pin);
  field(b, "puk", puk, sizeof puk);
  field(b, "pairing-password", password, sizeof password);
  assert_int_equal(strlen(pin), 6);
  assert_int_equal(strlen(puk), 12);
  assert_int_equal(strlen(password), 16);
  assert_non_null(strstr(b->log, "only this once"));
  assert_null(strstr(b->log, pin)); /* the secrets go to the result stream only */

  /* they open the card */
  assert_int_equal(run(b, "pair", "--password", password, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "verify-pin", "--pin", pin, NULL), CF_EXIT_OK);

  /* ephemeral pairing: slot FF, channel opened, the pairing file keeps only the persistent one */
  char path[128], before[512] = "", after[512] = "";
  snprintf(path, sizeof path, "%s/keycard-pairings.txt", b->dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  assert_non_null(fgets(before, sizeof before, f));
  fclose(f);
  assert_int_equal(run(b, "pair", "--password", password, "--ephemeral", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "pairing-slot: 255"));
  f = fopen(path, "r");
  assert_non_null(f);
  assert_non_null(fgets(after, sizeof after, f));
  assert_null(fgets(after + strlen(after), (int)(sizeof after - strlen(after)), f));
  fclose(f);
  assert_string_equal(before, after);

  /* ndef write (PIN) and read back as a phone reads it */
  assert_int_equal(run(b, "ndef", "write", "--uri", "https://keycard.tech", "--pin", pin, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "ndef", "read", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "ndef: d1010d55046b6579636172642e74656368\n"));
  assert_int_equal(run(b, "ndef", "write", "--aar", "im.status.ethereum", "--pin", pin, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "ndef", "read", NULL), CF_EXIT_OK);
  assert_non_null(
      strstr(b->out, "ndef: d40f12616e64726f69642e636f6d3a706b67696d2e7374617475732e657468657265756d\n"));
  assert_int_equal(run(b, "ndef", "write", "--pin", pin, NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "ndef", "read", "--uri", "x", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "ndef", NULL), CF_EXIT_USAGE);

  /* cash: the data the wallet stored, and a verified signature */
  assert_int_equal(run(b, "store-data", "--type", "cash", "--data", "C0FFEE", "--pin", pin, NULL),
                   CF_EXIT_OK);
  assert_int_equal(run(b, "cash", "info", NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "version: 3.2\n"));
  assert_non_null(strstr(b->out, "cash-data: C0FFEE\n"));
  char cash_pub[200];
  field(b, "public-key", cash_pub, sizeof cash_pub);
  assert_int_equal(
      run(b, "cash", "sign", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", NULL),
      CF_EXIT_OK);
  char sig_pub[200];
  field(b, "public-key", sig_pub, sizeof sig_pub);
  assert_string_equal(sig_pub, cash_pub);
  assert_non_null(strstr(b->out, "signature-der: 30"));
  assert_int_equal(run(b, "cash", "sign", "00", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "cash", "pay", NULL), CF_EXIT_USAGE);
}

static void ident_verify(void **state) {
  bench *b = *state;
  uint8_t priv[32], pub65[65], pub33[33];
  char hex[67];
  assert_int_equal(cf_hex_decode(CA_KEY, priv, sizeof priv), 32);
  assert_int_equal(cf_ec_pub_from_priv(priv, pub65), 0);
  assert_int_equal(cf_ec_pub_normalize(pub65, 65, NULL, pub33), 0);
  cf_hex_encode(pub33, 33, hex);
  assert_int_equal(run(b, "ident", "verify", "--ca", hex, NULL), CF_EXIT_OK);
  assert_non_null(strstr(b->out, "certificate: "));
  /* the CA key from a file */
  char path[128];
  snprintf(path, sizeof path, "%s/ca.hex", b->dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fprintf(f, "%s\n", hex);
  fclose(f);
  char at[140];
  snprintf(at, sizeof at, "@%s", path);
  int code = run(b, "ident", "verify", "--ca", at, NULL);
  remove(path);
  assert_int_equal(code, CF_EXIT_OK);
  /* another CA key: verification fails (exit 5) */
  priv[31] ^= 1;
  assert_int_equal(cf_ec_pub_from_priv(priv, pub65), 0);
  assert_int_equal(cf_ec_pub_normalize(pub65, 65, NULL, pub33), 0);
  cf_hex_encode(pub33, 33, hex);
  assert_int_equal(run(b, "ident", "verify", "--ca", hex, NULL), CF_EXIT_VERIFY);
  assert_int_equal(run(b, "ident", "verify", "--ca", "0102", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "ident", "verify", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "ident", "verify", "--ca", "@/nonexistent/ca.hex", NULL), CF_EXIT_FILE);
}

/* ident provision on a card made without a CA: the identity key 1 and the CA key 2 of the Ident
 * unit test (public keys G and 2G); then ident verify trusts 2G; a second provision is refused. */
static void ident_provision(void **state) {
  bench *b = *state;
  cf_card_free(b->card);
  b->card = NULL;
  cf_store_close(b->store);
  assert_int_equal(cf_store_open_memory(&b->store), 0);
  b->card = keycard_card_profile.create(b->store, NULL);
  assert_non_null(b->card);
  cf_card_power_on(b->card);
  static const char g33[] = "0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798";
  static const char g2_33[] = "02C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5";
  assert_int_equal(run(b, "ident", "verify", "--ca", g2_33, NULL), CF_EXIT_CARD); /* no identity yet */
  char ca_path[128], id_path[128], ca_at[140], id_at[140];
  snprintf(ca_path, sizeof ca_path, "%s/ca.key", b->dir);
  snprintf(id_path, sizeof id_path, "%s/ident.key", b->dir);
  FILE *f = fopen(ca_path, "w");
  assert_non_null(f);
  fputs("0000000000000000000000000000000000000000000000000000000000000002\n", f);
  fclose(f);
  f = fopen(id_path, "w");
  assert_non_null(f);
  fputs("0000000000000000000000000000000000000000000000000000000000000001\n", f);
  fclose(f);
  snprintf(ca_at, sizeof ca_at, "@%s", ca_path);
  snprintf(id_at, sizeof id_at, "@%s", id_path);
  /* a key file others may read is refused, before the card is touched */
  assert_int_equal(chmod(ca_path, 0644), 0);
  assert_int_equal(chmod(id_path, 0600), 0);
  assert_int_equal(run(b, "ident", "provision", "--ca-key", ca_at, NULL), CF_EXIT_FILE);
  assert_int_equal(chmod(ca_path, 0600), 0);
  assert_int_equal(run(b, "ident", "provision", NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "ident", "provision", "--ca", g2_33, NULL), CF_EXIT_USAGE);
  assert_int_equal(run(b, "ident", "provision", "--ca-key", ca_at, "--ident-key", id_at, NULL), CF_EXIT_OK);
  char value[256];
  field(b, "identity-key", value, sizeof value);
  assert_string_equal(value, g33);
  field(b, "ca-key", value, sizeof value);
  assert_string_equal(value, g2_33);
  field(b, "certificate", value, sizeof value);
  assert_int_equal(strlen(value), 2 * 98);
  assert_true(strncmp(value, g33, 66) == 0);
  assert_non_null(strstr(b->log, "IDENTIFY CARD answers with it"));
  /* the card now proves that identity to anyone trusting 2G, and not to another CA */
  assert_int_equal(run(b, "ident", "verify", "--ca", g2_33, NULL), CF_EXIT_OK);
  assert_int_equal(run(b, "ident", "verify", "--ca", g33, NULL), CF_EXIT_VERIFY);
  /* once only: a second identity is refused and the first stays */
  assert_int_equal(run(b, "ident", "provision", "--ca-key", ca_at, NULL), CF_EXIT_CARD);
  assert_non_null(strstr(b->log, "already holds an identity"));
  assert_int_equal(run(b, "ident", "verify", "--ca", g2_33, NULL), CF_EXIT_OK);
  field(b, "identity-key", value, sizeof value);
  assert_string_equal(value, g33);
  remove(ca_path);
  remove(id_path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(init_random_then_pair_and_apps, setup, teardown),
      cmocka_unit_test_setup_teardown(ident_verify, setup, teardown),
      cmocka_unit_test_setup_teardown(ident_provision, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
