/* The library's Keycard session (keycard_session.h) against an in-process Keycard: the whole
 * session as a program uses it, each refusal reported with its code, status word and detail, and
 * bad arguments and out-of-order calls refused without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/keycard.h"
#include "cardforge/keycard_session.h"
#include "cardforge/store.h"

#define PIN "123456"
#define PUK "123456789012"
#define PASSWORD "KeycardDefaultPairing"

typedef struct fixture {
  cf_store *store;
  cf_card *card;
  cf_transport *t;
  cf_keycard *kc;
} fixture;

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  assert_int_equal(cf_store_open_memory(&f->store), CF_OK);
  f->card = keycard_profile.create(f->store, "");
  assert_non_null(f->card);
  cf_card_power_on(f->card);
  f->t = cf_transport_open_card(f->card);
  assert_non_null(f->t);
  assert_int_equal(cf_keycard_open(f->t, &f->kc), CF_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  cf_keycard_close(f->kc);
  cf_transport_close(f->t);
  cf_card_free(f->card);
  cf_store_close(f->store);
  test_free(f);
  return 0;
}

/* SELECT, INIT, SELECT, PAIR, channel: the state most tests start from */
static void initialise_and_open(fixture *f, uint8_t *index, uint8_t key[32]) {
  cf_keycard_info info;
  assert_int_equal(cf_keycard_select(f->kc, &info), CF_OK);
  assert_false(info.initialized);
  assert_int_equal(cf_keycard_init(f->kc, PIN, PUK, PASSWORD), CF_OK);
  assert_int_equal(cf_keycard_select(f->kc, &info), CF_OK);
  assert_true(info.initialized);
  assert_true(info.version >= 0x0200);
  assert_int_equal(cf_keycard_pair(f->kc, PASSWORD, index, key), CF_OK);
  assert_int_equal(cf_keycard_open_channel(f->kc), CF_OK);
}

static void whole_session(void **state) {
  fixture *f = *state;
  uint8_t index, key[32], zero[32] = {0};
  initialise_and_open(f, &index, key);
  assert_memory_not_equal(key, zero, sizeof key);

  int retries = -1;
  assert_int_equal(cf_keycard_verify_pin(f->kc, "000000", &retries), CF_ERR_CARD);
  assert_int_equal(cf_keycard_last_sw(f->kc), 0x63C2);
  assert_int_equal(retries, 2);
  assert_true(strlen(cf_keycard_error_detail(f->kc)) > 0);
  assert_int_equal(cf_keycard_verify_pin(f->kc, PIN, &retries), CF_OK);

  uint8_t uid[32], hash[32];
  memset(hash, 0x5A, sizeof hash);
  assert_int_equal(cf_keycard_generate_key(f->kc, uid), CF_OK);
  cf_keycard_signature sig;
  assert_int_equal(cf_keycard_sign(f->kc, hash, "m/44'/60'/0'/0/0", &sig), CF_OK);
  assert_true(sig.recid >= 0 && sig.recid <= 3);
  assert_int_equal(sig.pub[0], 0x04);
  cf_keycard_signature master;
  assert_int_equal(cf_keycard_sign(f->kc, hash, NULL, &master), CF_OK);
  assert_memory_not_equal(master.pub, sig.pub, sizeof sig.pub); /* another key than the derived one */

  /* a second session reuses the pairing without pairing again */
  cf_keycard *again;
  assert_int_equal(cf_keycard_open(f->t, &again), CF_OK);
  assert_int_equal(cf_keycard_select(again, NULL), CF_OK);
  assert_int_equal(cf_keycard_set_pairing(again, index, key), CF_OK);
  assert_int_equal(cf_keycard_open_channel(again), CF_OK);
  assert_int_equal(cf_keycard_verify_pin(again, PIN, NULL), CF_OK);
  assert_int_equal(cf_keycard_unpair(again, index), CF_OK);
  cf_keycard_close(again);
}

static void wrong_pairing_password(void **state) {
  fixture *f = *state;
  uint8_t index, key[32];
  initialise_and_open(f, &index, key);
  assert_int_equal(cf_keycard_select(f->kc, NULL), CF_OK);
  /* the card's cryptogram does not verify under another password's secret */
  assert_int_equal(cf_keycard_pair(f->kc, "not the password", &index, key), CF_ERR_VERIFY);
  assert_true(strlen(cf_keycard_error_detail(f->kc)) > 0);
}

static void out_of_order(void **state) {
  fixture *f = *state;
  uint8_t hash[32] = {0}, uid[32];
  cf_keycard_signature sig;
  /* nothing selected, no pairing, no channel: refused by the client or by the card, never sent blind */
  int rc = cf_keycard_open_channel(f->kc);
  assert_true(rc == CF_ERR_STATE || rc == CF_ERR_CARD);
  rc = cf_keycard_sign(f->kc, hash, NULL, &sig);
  assert_true(rc == CF_ERR_STATE || rc == CF_ERR_CARD);
  rc = cf_keycard_generate_key(f->kc, uid);
  assert_true(rc == CF_ERR_STATE || rc == CF_ERR_CARD);
}

static void bad_arguments(void **state) {
  fixture *f = *state;
  cf_keycard *kc = (cf_keycard *)1;
  uint8_t index, key[32], hash[32] = {0};
  cf_keycard_signature sig;
  assert_int_equal(cf_keycard_open(NULL, &kc), CF_ERR_ARG);
  assert_null(kc);
  assert_int_equal(cf_keycard_open(f->t, NULL), CF_ERR_ARG);
  cf_keycard_close(NULL);
  assert_string_equal(cf_keycard_error_detail(NULL), "no session");
  assert_int_equal(cf_keycard_last_sw(NULL), 0);
  assert_int_equal(cf_keycard_select(NULL, NULL), CF_ERR_ARG);
  assert_int_equal(cf_keycard_init(NULL, PIN, PUK, PASSWORD), CF_ERR_ARG);
  assert_int_equal(cf_keycard_init(f->kc, NULL, PUK, PASSWORD), CF_ERR_ARG);
  assert_int_equal(cf_keycard_init(f->kc, PIN, PUK, ""), CF_ERR_ARG);
  assert_string_equal(cf_keycard_error_detail(f->kc), "no pairing password");
  assert_int_equal(cf_keycard_pair(f->kc, PASSWORD, NULL, key), CF_ERR_ARG);
  assert_int_equal(cf_keycard_pair(f->kc, NULL, &index, key), CF_ERR_ARG);
  assert_int_equal(cf_keycard_set_pairing(f->kc, 0, NULL), CF_ERR_ARG);
  assert_int_equal(cf_keycard_verify_pin(f->kc, NULL, NULL), CF_ERR_ARG);
  assert_int_equal(cf_keycard_sign(f->kc, NULL, NULL, &sig), CF_ERR_ARG);
  assert_int_equal(cf_keycard_sign(f->kc, hash, NULL, NULL), CF_ERR_ARG);
  assert_int_equal(cf_keycard_open_channel(NULL), CF_ERR_ARG);
  assert_int_equal(cf_keycard_generate_key(NULL, NULL), CF_ERR_ARG);
  assert_int_equal(cf_keycard_unpair(NULL, 0), CF_ERR_ARG);
  /* a malformed path is refused before anything is sent */
  initialise_and_open(f, &index, key);
  assert_int_equal(cf_keycard_verify_pin(f->kc, PIN, NULL), CF_OK);
  assert_int_equal(cf_keycard_sign(f->kc, hash, "m/44'/x", &sig), CF_ERR_ARG);
  assert_non_null(strstr(cf_keycard_error_detail(f->kc), "key path"));
  /* a PIN of the wrong form: the client refuses it without using a try */
  int retries = -1;
  assert_int_equal(cf_keycard_verify_pin(f->kc, "12", &retries), CF_ERR_ARG);
  assert_int_equal(cf_keycard_verify_pin(f->kc, "000000", &retries), CF_ERR_CARD);
  assert_int_equal(retries, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(whole_session, setup, teardown),
      cmocka_unit_test_setup_teardown(wrong_pairing_password, setup, teardown),
      cmocka_unit_test_setup_teardown(out_of_order, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
