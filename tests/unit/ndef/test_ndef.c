/* The NDEF application (applets/ndef) read as an NFC phone reads a Type 4 Tag (NFC Forum Type 4 Tag
 * specification: SELECT the application, SELECT the capability container E103, READ BINARY it,
 * SELECT the NDEF file E104, READ BINARY NLEN, then the message), with the messages of KeycardTest
 * (status-im/status-keycard tag 3.2). The card holds the wallet applet at 3.2 (namespace 1, where
 * the NDEF file lives) and the NDEF application (namespace 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/hex.h"
#include "cardforge/keycard.h"
#include "cardforge/ndef.h"
#include "cardforge/sw.h"

#include "../card_send.h"

#define WALLET_NS 1
#define WALLET_REC_NDEF 13 /* cardforge/keycard.h: the shared NDEF file */

static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};

/* KeycardTest storeDataTest: an Android application record, "android.com:pkg" im.status.ethereum */
static const char android_file[] =
    "0024d40f12616e64726f69642e636f6d3a706b67696d2e7374617475732e657468657265756d";
/* KeycardTest: the long text record written in chunks (443 bytes), here with its NLEN 01BB */
static const char long_message[] =
    "c101000001b45402656e5468697320697320612072656c61746976656c79206c6f6e672074657874207265636f72642074686174"
    "206669747320696e2061626f75742035303020627974657320736f207468617420492063616e2074657374207365676d656e7461"
    "74696f6e206f66207265636f726473207573696e6720746865206e657720616e6420696d70726f766564204e444546206170706c"
    "65742e20546869732069732071756974652061206c6f6e67207465787420746f2077726974652062757420686579204920616d20"
    "6865726520666f7220746869732e204920776f6e277420636f707920616e64207061737465207468652073616d6520737472696e"
    "67206f76657220616e64206f766572206265636175736520492077616e7420746f206d616b652073757265206461746120697320"
    "7265616420636f72726563746c7920616e6420746865726520617265206e6f20737472616e67652073746974636865732e204927"
    "6420616c736f206c696b6520746f206d616b6520737572652065766572797468696e6720697320617320636c6f736520746f2072"
    "65616c20776f726c6420757361676520617320706f737369626c65";

typedef struct fixture {
  cf_store *store;
  cf_card *card;
} fixture;

static fixture fx;

static void open_card(const char *ndef_params) {
  fx.card = cf_card_new(fx.store, atr, sizeof atr, CF_RESP_T1);
  assert_non_null(fx.card);
  assert_non_null(cf_card_add_applet(fx.card, &keycard_applet_ops, keycard_aid, sizeof keycard_aid,
                                     "version=3.2", false));
  assert_non_null(cf_card_add_applet(fx.card, &ndef_applet_ops, ndef_instance_aid, sizeof ndef_instance_aid,
                                     ndef_params, false));
  cf_card_power_on(fx.card);
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(cf_store_open_memory(&fx.store), CF_STORE_OK);
  open_card("wallet_ns=1");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  cf_card_free(fx.card);
  cf_store_close(fx.store);
  return 0;
}

static uint16_t send(const uint8_t *cmd, size_t len, uint8_t *out, size_t *data_len) {
  return card_send(fx.card, cmd, len, out, data_len);
}

static uint16_t select_app(void) {
  uint8_t cmd[5 + NDEF_AID_LEN + 1] = {0x00, 0xA4, 0x04, 0x00, NDEF_AID_LEN};
  memcpy(cmd + 5, ndef_instance_aid, NDEF_AID_LEN);
  size_t n = 9;
  uint16_t sw = send(cmd, sizeof cmd, NULL, &n); /* Le 00, as phones send it */
  assert_int_equal(n, 0);
  return sw;
}

static uint16_t select_file(uint16_t fid) {
  uint8_t cmd[] = {0x00, 0xA4, 0x00, 0x0C, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid};
  return send(cmd, sizeof cmd, NULL, NULL);
}

static uint16_t read_binary(uint16_t offset, uint8_t le, uint8_t *out, size_t *n) {
  uint8_t cmd[] = {0x00, 0xB0, (uint8_t)(offset >> 8), (uint8_t)offset, le};
  return send(cmd, sizeof cmd, out, n);
}

/* The whole Type 4 Tag procedure; returns the NDEF message's length, message in msg. */
static size_t read_like_a_phone(uint8_t *msg, size_t cap) {
  uint8_t out[256];
  size_t n = 0;
  assert_int_equal(select_app(), SW_OK);
  assert_int_equal(select_file(NDEF_FILE_CC), SW_OK);
  assert_int_equal(read_binary(0, 0x0F, out, &n), SW_OK);
  assert_int_equal(n, NDEF_CC_LEN);
  const uint8_t cc[] = {0x00, 0x0F, 0x20, 0x00, 0xFF, 0x00, 0x01, 0x04,
                        0x06, 0xE1, 0x04, 0x04, 0x00, 0x00, 0xFF};
  assert_memory_equal(out, cc, sizeof cc);
  size_t mle = cf_be16(out + 3);
  assert_int_equal(select_file(cf_be16(out + 9)), SW_OK);
  assert_int_equal(read_binary(0, 2, out, &n), SW_OK);
  assert_int_equal(n, 2);
  size_t nlen = cf_be16(out);
  assert_true(nlen <= cap);
  for (size_t got = 0; got < nlen; got += n) {
    size_t want = nlen - got < mle ? nlen - got : mle;
    assert_int_equal(read_binary((uint16_t)(2 + got), (uint8_t)want, msg + got, &n), SW_OK);
    assert_int_equal(n, want);
  }
  return nlen;
}

static void empty_file_reads_nlen_zero(void **state) {
  (void)state;
  uint8_t msg[512];
  assert_int_equal(read_like_a_phone(msg, sizeof msg), 0);
}

static void installed_file_is_read_by_the_type4_procedure(void **state) {
  (void)state;
  cf_card_free(fx.card);
  char params[128];
  snprintf(params, sizeof params, "wallet_ns=1,file=%s", android_file);
  open_card(params);
  uint8_t file[64], msg[512];
  long len = cf_hex_decode(android_file, file, sizeof file);
  assert_int_equal(len, 38);
  assert_int_equal(read_like_a_phone(msg, sizeof msg), 36);
  assert_memory_equal(msg, file + 2, 36);
  assert_memory_equal(msg + 3, "android.com:pkg", 15);
  /* install data whose NLEN is not its length is not taken (NDEFApplet constructor) */
  teardown(NULL);
  setup(NULL);
  cf_card_free(fx.card);
  open_card("wallet_ns=1,file=0005d40f12");
  assert_int_equal(read_like_a_phone(msg, sizeof msg), 0);
}

/* A file the wallet wrote (the 3.2 shared memory: NLEN || message), longer than one READ BINARY. */
static void long_message_reads_in_255_byte_parts(void **state) {
  (void)state;
  uint8_t file[512], msg[512], out[256];
  long mlen = cf_hex_decode(long_message, file + 2, sizeof file - 2);
  assert_int_equal(mlen, 443);
  cf_put_be16(file, (uint16_t)mlen);
  assert_int_equal(cf_store_begin(fx.store), CF_STORE_OK);
  assert_int_equal(cf_store_put(fx.store, CF_STORE_KEY(WALLET_NS, WALLET_REC_NDEF), file, (size_t)mlen + 2),
                   CF_STORE_OK);
  assert_int_equal(cf_store_commit(fx.store), CF_STORE_OK);
  assert_int_equal(read_like_a_phone(msg, sizeof msg), 443);
  assert_memory_equal(msg, file + 2, 443);
  /* Le 00 asks for 256: the applet sends 255 at most, and stops at the file's end */
  size_t n = 0;
  assert_int_equal(read_binary(0, 0x00, out, &n), SW_OK);
  assert_int_equal(n, NDEF_READ_MAX);
  assert_memory_equal(out, file, 255);
  assert_int_equal(read_binary(400, 0x00, out, &n), SW_OK);
  assert_int_equal(n, 445 - 400);
  assert_int_equal(read_binary(444, 0x10, out, &n), SW_OK);
  assert_int_equal(n, 1);
  assert_int_equal(read_binary(445, 0x01, out, &n), SW_INCORRECT_P1P2);
}

static void errors_as_the_applet_answers_them(void **state) {
  (void)state;
  uint8_t out[256];
  size_t n = 0;
  assert_int_equal(select_app(), SW_OK);
  /* no file selected yet */
  assert_int_equal(read_binary(0, 2, out, &n), SW_CONDITIONS_NOT_SATISFIED);
  const uint8_t p2_fci[] = {0x00, 0xA4, 0x00, 0x00, 0x02, 0xE1, 0x03};
  assert_int_equal(send(p2_fci, sizeof p2_fci, out, &n), SW_INCORRECT_P1P2);
  const uint8_t three[] = {0x00, 0xA4, 0x00, 0x0C, 0x03, 0xE1, 0x03, 0x00};
  assert_int_equal(send(three, sizeof three, out, &n), SW_WRONG_DATA);
  assert_int_equal(select_file(0x3F00), SW_FILE_NOT_FOUND);
  /* an unknown AID comes to the application as a SELECT with P1 04: 6A86 */
  const uint8_t unknown_aid[] = {0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x99};
  assert_int_equal(send(unknown_aid, sizeof unknown_aid, out, &n), SW_INCORRECT_P1P2);
  assert_int_equal(select_file(NDEF_FILE_CC), SW_OK);
  assert_int_equal(read_binary(15, 1, out, &n), SW_INCORRECT_P1P2);
  assert_int_equal(read_binary(0x8000, 1, out, &n), SW_INCORRECT_P1P2); /* a negative short */
  assert_int_equal(read_binary(14, 0x20, out, &n), SW_OK);
  assert_int_equal(n, 1);
  assert_int_equal(out[0], 0xFF);
  const uint8_t update_binary[] = {0x00, 0xD6, 0x00, 0x00, 0x01, 0x00};
  assert_int_equal(send(update_binary, sizeof update_binary, out, &n), SW_INS_NOT_SUPPORTED);
  /* selecting the application again forgets the file */
  assert_int_equal(select_app(), SW_OK);
  assert_int_equal(read_binary(0, 2, out, &n), SW_CONDITIONS_NOT_SATISFIED);
}

/* NLEN beyond the 512-byte shared memory: reads inside it work, a read past it is the applet's
 * array-bounds exception (6F00); a negative NLEN makes every offset 6A86. */
static void nlen_past_the_shared_memory(void **state) {
  (void)state;
  uint8_t file[512] = {0x03, 0x00}, out[256];
  size_t n = 0;
  assert_int_equal(cf_store_begin(fx.store), CF_STORE_OK);
  assert_int_equal(cf_store_put(fx.store, CF_STORE_KEY(WALLET_NS, WALLET_REC_NDEF), file, sizeof file),
                   CF_STORE_OK);
  assert_int_equal(cf_store_commit(fx.store), CF_STORE_OK);
  assert_int_equal(select_app(), SW_OK);
  assert_int_equal(select_file(NDEF_FILE_NDEF), SW_OK);
  assert_int_equal(read_binary(0, 0x00, out, &n), SW_OK);
  assert_int_equal(n, 255);
  assert_int_equal(read_binary(500, 0x10, out, &n), SW_UNKNOWN);
  file[0] = 0x80;
  assert_int_equal(cf_store_begin(fx.store), CF_STORE_OK);
  assert_int_equal(cf_store_put(fx.store, CF_STORE_KEY(WALLET_NS, WALLET_REC_NDEF), file, sizeof file),
                   CF_STORE_OK);
  assert_int_equal(cf_store_commit(fx.store), CF_STORE_OK);
  assert_int_equal(read_binary(0, 2, out, &n), SW_INCORRECT_P1P2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(empty_file_reads_nlen_zero, setup, teardown),
      cmocka_unit_test_setup_teardown(installed_file_is_read_by_the_type4_procedure, setup, teardown),
      cmocka_unit_test_setup_teardown(long_message_reads_in_255_byte_parts, setup, teardown),
      cmocka_unit_test_setup_teardown(errors_as_the_applet_answers_them, setup, teardown),
      cmocka_unit_test_setup_teardown(nlen_past_the_shared_memory, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
