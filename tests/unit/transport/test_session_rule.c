/* The session reset rule (which commands leave a card with no security state), the "state lost"
 * verdict after a session was established, and the shared-fault message naming the reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/loopback.h"
#include "cardforge/transport.h"

static bool plain(const char *hex) {
  uint8_t cmd[64];
  size_t n = strlen(hex) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    cmd[i] = (uint8_t)v;
  }
  return cf_transport_command_is_plain_read(cmd, n);
}

static void plain_reads(void **state) {
  (void)state;
  assert_true(plain("00A4040008A000000151000000"));   /* SELECT */
  assert_true(plain("F0A4040008D15600010180000400")); /* CMCC SELECT, class F0 */
  assert_true(plain("00C0000010"));                   /* GET RESPONSE */
  assert_true(plain("00B0000000"));                   /* READ BINARY */
  assert_true(plain("00B2010400"));                   /* READ RECORD */
  assert_true(plain("00B401000B"));                   /* CMCC Read KeyInfo */
  assert_true(plain("00CA00C108"));                   /* GET DATA */
  assert_true(plain("80CA9F7F00"));                   /* GP GET DATA (CPLC) */
  assert_true(plain("01B0000000"));                   /* logical channel 1 */
}

static void commands_that_need_a_reset(void **state) {
  (void)state;
  assert_false(plain("F0200002083837363534333231")); /* CMCC Verify PIN */
  assert_false(plain("0020000106313233343536"));     /* ISO VERIFY */
  assert_false(plain("8050000008AABBCCDDEEFF0011")); /* INITIALIZE UPDATE */
  assert_false(plain("8482010010AABBCCDDEEFF0011")); /* EXTERNAL AUTHENTICATE, secure messaging */
  assert_false(plain("84CA00E000"));                 /* GET DATA with secure messaging */
  assert_false(plain("0CB0000000"));                 /* READ BINARY with secure messaging */
  assert_false(plain("80C0000020"));                 /* Keycard SIGN, not GET RESPONSE */
  assert_false(plain("80B0000000"));                 /* a proprietary B0 is not READ BINARY */
  assert_false(plain("0084000004"));                 /* GET CHALLENGE: a random the next command uses */
  assert_false(plain("803200001584D80000"));         /* CMCC Inst_MAC */
  assert_false(plain("00A4"));                       /* too short to be a command */
  assert_false(cf_transport_command_is_plain_read(NULL, 5));
}

/* A session marks itself secured as soon as it sends anything but a plain read. */
static void transceive_marks_the_session(void **state) {
  (void)state;
  cf_store *store;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  cf_card *card = loopback_profile.create(store, "");
  assert_non_null(card);
  cf_card_power_on(card);
  cf_transport *t = cf_transport_open_card(card);
  uint8_t resp[64];
  size_t n;
  uint16_t sw;
  const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00, 0x00};
  assert_int_equal(cf_transceive_raw(t, select, sizeof select, 0, resp, sizeof resp, &n, &sw), 0);
  assert_false(cf_transport_is_secured(t));
  const uint8_t echo[] = {0x80, 0x01, 0x00, 0x00, 0x01, 0xAA, 0x00};
  assert_int_equal(cf_transceive_raw(t, echo, sizeof echo, 0, resp, sizeof resp, &n, &sw), 0);
  assert_true(cf_transport_is_secured(t));
  assert_false(t->established); /* only a flow knows that it opened a session */
  cf_transport_close(t);
  cf_card_free(card);
  cf_store_close(store);
}

static void state_lost_only_after_a_session(void **state) {
  (void)state;
  cf_transport t;
  memset(&t, 0, sizeof t);
  snprintf(t.name, sizeof t.name, "Virtual PCD 00 01");
  assert_false(cf_transport_state_lost(&t, 0x6982)); /* nothing established: an ordinary refusal */
  assert_int_equal(t.fault, CF_TRANSPORT_FAULT_NONE);
  cf_transport_mark_secured(&t);
  assert_true(t.secured);
  assert_false(cf_transport_state_lost(&t, 0x6A82));
  assert_false(cf_transport_state_lost(&t, 0x9000));
  assert_true(cf_transport_state_lost(&t, 0x6982));
  assert_int_equal(t.fault, CF_TRANSPORT_FAULT_SHARED);
  assert_non_null(strstr(t.err, "another program reset or used the card in reader Virtual PCD 00 01"));
  assert_non_null(strstr(t.err, "6982"));
  cf_transport_set_shared_fault(&t, NULL);
  assert_string_equal(t.err, "another program reset or used the card in reader Virtual PCD 00 01");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(plain_reads),
      cmocka_unit_test(commands_that_need_a_reset),
      cmocka_unit_test(transceive_marks_the_session),
      cmocka_unit_test(state_lost_only_after_a_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
