/* Keycard applet 3.2 (status-im/status-keycard tag 3.2; published today from keycard-tech/
 * status-keycard): ephemeral pairing, ten slots, the NDEF file written in chunks and read by the NDEF
 * application, LOAD KEY seeds of 16..64 bytes. Vectors: the applet's KeycardTest.java (tag 3.2:
 * pairTest's ephemeral pairing at a full card, setNDEF's long text record), the Java SDK's
 * KeycardCommandSet.setNDEF (keycard-tech/status-keycard-java: 220-byte chunks, P2 = offset / 4)
 * and the BIP32 test vector 1 (a 16-byte seed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

/* free pairing slots in the A4 template of the last SELECT (no key loaded) */
#define FREE_SLOTS(h) ((h)->select[20 + 67 + 6])

static uint16_t wallet_ns(kch *h) {
  return cf_card_selected(h->card)->ns;
}

static void keycard_v32_ephemeral_pairing(void **state) {
  (void)state;
  kch h;
  kch_ready(&h, NULL);
  assert_int_equal(h.pairing_index, 0);
  /* P2 01: the ephemeral slot even with free slots, and no slot is taken */
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(FREE_SLOTS(&h), 9);
  assert_int_equal(kch_pair_p2(&h, kch_test_secret(), KEYCARD_PAIR_P2_EPHEMERAL), 0x9000);
  assert_int_equal(h.pairing_index, 0xFF);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  int pin = 0;
  kch_status(&h, &pin, NULL, NULL);
  assert_int_equal(pin, 3);
  /* a new SELECT clears it (CLEAR_ON_DESELECT): FF no longer opens a channel */
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(FREE_SLOTS(&h), 9);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0xFF, 0, h.card_pub, 65), 0x6A86);
  /* so does a reset */
  assert_int_equal(kch_pair_p2(&h, kch_test_secret(), KEYCARD_PAIR_P2_EPHEMERAL), 0x9000);
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0xFF, 0, h.card_pub, 65), 0x6A86);
  /* UNPAIR FF (channel and PIN) ends it without touching a persistent slot */
  assert_int_equal(kch_pair_p2(&h, kch_test_secret(), KEYCARD_PAIR_P2_EPHEMERAL), 0x9000);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x13, 0xFF, 0, NULL, 0), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x13, 0xFF, 0, NULL, 0), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x13, 0xFF, 0, NULL, 0), 0x9000); /* again: nothing to end, fine */
  /* other negative indexes are the applet's array-bounds exception */
  assert_int_equal(kch_cmd(&h, 0x13, 0xFE, 0, NULL, 0), 0x6F00);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0xFF, 0, h.card_pub, 65), 0x6A86);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0x80, 0, h.card_pub, 65), 0x6F00);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(FREE_SLOTS(&h), 9);
  kch_free(&h);
}

/* KeycardTest.java pairTest (tag 3.2): with every slot taken, P2 02 is 6A84 and P2 00 falls back to
 * the ephemeral slot FF; the ephemeral pairing opens a channel like any other. */
static void keycard_v32_full_card_falls_back_to_ephemeral(void **state) {
  (void)state;
  kch h;
  kch_ready(&h, NULL);
  for (int i = 1; i < KEYCARD_PAIRING_SLOTS_3_2; i++) {
    assert_int_equal(kch_select(&h), 0x9000);
    assert_int_equal(kch_pair_p2(&h, kch_test_secret(), (uint8_t)(i % 2 ? 0x00 : 0x02)), 0x9000);
    assert_int_equal(h.pairing_index, i);
  }
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(FREE_SLOTS(&h), 0);
  uint8_t challenge[32] = {1};
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, KEYCARD_PAIR_P2_PERSISTENT, challenge, 32), 0x6A84);
  assert_int_equal(kch_pair_p2(&h, kch_test_secret(), KEYCARD_PAIR_P2_ANY), 0x9000);
  assert_int_equal(h.pairing_index, 0xFF);
  /* any P2 but 01 and 02 acts like 00 */
  assert_int_equal(kch_pair_p2(&h, kch_test_secret(), 0x7F), 0x9000);
  assert_int_equal(h.pairing_index, 0xFF);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  /* a wrong cryptogram in the last step leaves no pairing behind */
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, KEYCARD_PAIR_P2_EPHEMERAL, challenge, 32), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x01, 0x00, challenge, 32), 0x6982);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0xFF, 0, h.card_pub, 65), 0x6A86);
  /* FACTORY RESET forgets it too */
  assert_int_equal(kch_pair_p2(&h, kch_test_secret(), KEYCARD_PAIR_P2_EPHEMERAL), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xFD, 0xAA, 0x55, NULL, 0), 0x9000);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_init(&h, KCH_PIN, KCH_PUK, kch_test_secret(), NULL, 0), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0xFF, 0, h.card_pub, 65), 0x6A86);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(FREE_SLOTS(&h), 10);
  kch_free(&h);
}

/* Before 3.2 P2 means nothing and FF is a negative index. */
static void keycard_v31_has_no_ephemeral_pairing(void **state) {
  (void)state;
  kch h;
  kch_ready(&h, "version=3.1");
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(FREE_SLOTS(&h), 4);
  assert_int_equal(kch_pair_p2(&h, kch_test_secret(), KEYCARD_PAIR_P2_EPHEMERAL), 0x9000);
  assert_int_equal(h.pairing_index, 1);
  assert_int_equal(kch_send(&h, 0x80, 0x10, 0xFF, 0, h.card_pub, 65), 0x6F00);
  for (int i = 2; i < KEYCARD_PAIRING_SLOTS; i++)
    assert_int_equal(kch_pair(&h, kch_test_secret()), 0x9000);
  uint8_t challenge[32] = {1};
  assert_int_equal(kch_send(&h, 0x80, 0x12, 0x00, KEYCARD_PAIR_P2_ANY, challenge, 32), 0x6A84);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0x13, 0xFF, 0, NULL, 0), 0x6F00);
  assert_int_equal(kch_cmd(&h, 0x13, 0x05, 0, NULL, 0), 0x6A86);
  kch_free(&h);
}

/* KeycardTest.java setNDEF (tag 3.2), "Long message with segmentation": a 443-byte text record. */
static const char long_text_record[] =
    "c101000001b45402656e5468697320697320612072656c61746976656c79206c6f6e672074657874207265636f72642074686174"
    "206669747320696e2061626f75742035303020627974657320736f207468617420492063616e2074657374207365676d656e7461"
    "74"
    "696f6e206f66207265636f726473207573696e6720746865206e657720616e6420696d70726f766564204e444546206170706c65"
    "74"
    "2e20546869732069732071756974652061206c6f6e67207465787420746f2077726974652062757420686579204920616d206865"
    "72"
    "6520666f7220746869732e204920776f6e277420636f707920616e64207061737465207468652073616d6520737472696e67206f"
    "76"
    "657220616e64206f766572206265636175736520492077616e7420746f206d616b65207375726520646174612069732072656164"
    "20"
    "636f72726563746c7920616e6420746865726520617265206e6f20737472616e67652073746974636865732e2049276420616c73"
    "6f"
    "206c696b6520746f206d616b6520737572652065766572797468696e6720697320617320636c6f736520746f207265616c20776f"
    "72"
    "6c6420757361676520617320706f737369626c65";

/* The Java SDK's setNDEF: the 2-byte length in front, then chunks of 220 bytes at P2 = offset / 4. */
static uint16_t sdk_set_ndef(kch *h, const uint8_t *msg, size_t len) {
  uint8_t file[KEYCARD_NDEF_FILE_MAX + 2];
  file[0] = (uint8_t)(len >> 8), file[1] = (uint8_t)len;
  memcpy(file + 2, msg, len);
  uint16_t sw = 0x9000;
  for (size_t off = 0; off < len + 2 && sw == 0x9000; off += 220) {
    size_t n = len + 2 - off < 220 ? len + 2 - off : 220;
    sw = kch_cmd(h, 0xE2, 0x01, (uint8_t)(off / 4), file + off, n);
  }
  return sw;
}

static void keycard_v32_chunked_ndef(void **state) {
  (void)state;
  uint8_t msg[512];
  size_t msg_len = kch_hex(long_text_record, msg, sizeof msg);
  assert_int_equal(msg_len, 443);
  kch h;
  kch_ready_pin(&h, NULL);
  assert_int_equal(sdk_set_ndef(&h, msg, msg_len), 0x9000);
  /* what the NDEF application's file E104 holds: NLEN (01BB) || message */
  uint8_t file[KEYCARD_NDEF_FILE_MAX];
  size_t len = 0;
  assert_int_equal(cf_keycard_ndef_read(h.store, wallet_ns(&h), file, sizeof file, &len), KEYCARD_NDEF_OK);
  assert_int_equal(len, 445);
  assert_int_equal(file[0], 0x01);
  assert_int_equal(file[1], 0xBB);
  assert_memory_equal(file + 2, msg, msg_len);
  assert_int_equal(cf_keycard_ndef_read(h.store, wallet_ns(&h), file, 444, &len), KEYCARD_NDEF_SHORT_BUFFER);
  /* GET DATA P1 01 answers the file's first 223 bytes (the applet ignores P2 there) */
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0x00, NULL, 0), 0x9000);
  assert_int_equal(h.len, 223);
  assert_memory_equal(h.data + 2, msg, 221);
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0x37, NULL, 0), 0x9000);
  assert_int_equal(h.len, 223);
  /* a chunk rewrites its bytes only; the length in front decides what the file is */
  const uint8_t shorter[] = {0x00, 0x05, 0xD0, 0x00, 0x00};
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x00, shorter, sizeof shorter), 0x9000);
  assert_int_equal(cf_keycard_ndef_read(h.store, wallet_ns(&h), file, sizeof file, &len), KEYCARD_NDEF_OK);
  assert_int_equal(len, 7);
  assert_memory_equal(file, shorter, 5);
  assert_memory_equal(file + 5, msg + 3, 2);
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0x00, NULL, 0), 0x9000);
  assert_int_equal(h.len, 7);
  kch_free(&h);
}

static void keycard_v32_ndef_bounds(void **state) {
  (void)state;
  kch h;
  kch_ready_pin(&h, NULL);
  uint8_t snap[32], after[32], chunk[12];
  memset(chunk, 0xAB, sizeof chunk);
  /* never written: the NDEF application sees an empty file 0000 */
  uint8_t file[KEYCARD_NDEF_FILE_MAX];
  size_t len = 0;
  assert_int_equal(cf_keycard_ndef_read(h.store, wallet_ns(&h), file, sizeof file, &len), KEYCARD_NDEF_OK);
  assert_int_equal(len, 2);
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0x00, NULL, 0), 0x9000);
  assert_int_equal(h.len, 2);
  assert_memory_equal(h.data, "\x00\x00", 2);
  /* the last four bytes at 508 fit; eight do not (6A80); P2 80..FF is a negative offset (6F00) */
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 127, chunk, 4), 0x9000);
  kch_snapshot(&h, snap);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 127, chunk, 8), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 126, chunk, 9), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x80, chunk, 4), 0x6F00);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0xFF, chunk, 4), 0x6F00);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x10, NULL, 0), 0x9000); /* empty: nothing written */
  kch_snapshot(&h, after);
  assert_memory_equal(snap, after, 32);
  /* a length in front beyond the 512 bytes: the reader is told (the NDEF application fails past
   * the array), GET DATA answers 223 bytes */
  const uint8_t big[] = {0x7F, 0xF0};
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x00, big, 2), 0x9000);
  assert_int_equal(cf_keycard_ndef_read(h.store, wallet_ns(&h), file, sizeof file, &len),
                   KEYCARD_NDEF_OVERRUN);
  assert_int_equal(len, 0x7FF2);
  assert_memory_equal(file + 508, chunk, 4);
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0x00, NULL, 0), 0x9000);
  assert_int_equal(h.len, 223);
  /* (short)(NLEN + 2) negative: the applet's copy fails, 6F00; FFFF wraps to one byte */
  const uint8_t wrap[] = {0x7F, 0xFF};
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x00, wrap, 2), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0x00, NULL, 0), 0x6F00);
  const uint8_t ffff[] = {0xFF, 0xFF};
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x00, ffff, 2), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xCA, 0x01, 0x00, NULL, 0), 0x9000);
  assert_int_equal(h.len, 1);
  /* public and cash data keep their 127-byte objects */
  uint8_t big_data[128] = {0};
  assert_int_equal(kch_cmd(&h, 0xE2, 0x00, 0x00, big_data, 128), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x02, 0x00, big_data, 127), 0x9000);
  kch_free(&h);
}

/* Before 3.2 the record is what STORE DATA wrote, 223 bytes at most, and that is the file. */
static void keycard_v31_ndef_file(void **state) {
  (void)state;
  kch h;
  kch_ready_pin(&h, "version=3.1");
  const uint8_t ndef[] = {0x00, 0x03, 0xD0, 0x00, 0x00};
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x00, ndef, sizeof ndef), 0x9000);
  uint8_t file[KEYCARD_NDEF_FILE_MAX];
  size_t len = 0;
  assert_int_equal(cf_keycard_ndef_read(h.store, wallet_ns(&h), file, sizeof file, &len), KEYCARD_NDEF_OK);
  assert_int_equal(len, sizeof ndef);
  assert_memory_equal(file, ndef, sizeof ndef);
  uint8_t big[224] = {0};
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x00, big, 223), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xE2, 0x01, 0x37, ndef, sizeof ndef), 0x9000); /* P2 ignored */
  assert_int_equal(cf_keycard_ndef_read(h.store, wallet_ns(&h), file, sizeof file, &len), KEYCARD_NDEF_OK);
  assert_int_equal(len, sizeof ndef);
  kch_free(&h);
}

/* The NDEF application's install writes the initial file once; a reopened card keeps the wallet's. */
static void keycard_ndef_install(void **state) {
  (void)state;
  kch h;
  kch_new(&h, NULL);
  assert_int_equal(kch_select(&h), 0x9000);
  uint16_t ns = wallet_ns(&h);
  const uint8_t initial[] = {0x00, 0x03, 0xD0, 0x00, 0x00};
  const uint8_t other[] = {0x00, 0x01, 0x00};
  assert_int_equal(cf_store_begin(h.store), CF_STORE_OK);
  assert_int_equal(cf_keycard_ndef_install(h.store, ns, initial, sizeof initial), KEYCARD_NDEF_OK);
  assert_int_equal(cf_keycard_ndef_install(h.store, ns, other, sizeof other), KEYCARD_NDEF_OK);
  assert_int_equal(cf_store_commit(h.store), CF_STORE_OK);
  uint8_t file[KEYCARD_NDEF_FILE_MAX];
  size_t len = 0;
  assert_int_equal(cf_keycard_ndef_read(h.store, ns, file, sizeof file, &len), KEYCARD_NDEF_OK);
  assert_int_equal(len, sizeof initial);
  assert_memory_equal(file, initial, sizeof initial);
  uint8_t too_big[KEYCARD_NDEF_FILE_MAX + 1] = {0};
  assert_int_equal(cf_keycard_ndef_install(h.store, ns, too_big, sizeof too_big), KEYCARD_NDEF_STORE_ERROR);
  kch_free(&h);
}

/* LOAD KEY P1 03: BIP32 test vector 1's 16-byte seed gives master key e8f32e72...; 3.1 refuses it. */
static void keycard_v32_load_seed_lengths(void **state) {
  (void)state;
  uint8_t seed[65], pub[65], want_pub[33], uid[32];
  kch_hex("000102030405060708090a0b0c0d0e0f", seed, sizeof seed);
  kch_hex("0339a36013301597daef41fbe593a02cc513d0b55527ec2df1050e2e8ff49c85c2", want_pub, sizeof want_pub);
  kch h;
  kch_ready_pin(&h, NULL);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 16), 0x9000);
  assert_int_equal(h.len, 32);
  memcpy(uid, h.data, 32);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x00, 0x01, NULL, 0), 0x9000);
  assert_int_equal(h.data[0], 0xA1);
  assert_int_equal(h.data[2], 0x80);
  assert_int_equal(h.data[3], 65);
  memcpy(pub, h.data + 4, 65);
  assert_memory_equal(pub + 1, want_pub + 1, 32);
  assert_int_equal(pub[64] & 1, want_pub[0] & 1);
  /* the key UID is SHA-256 of the public key, also in SELECT */
  uint8_t digest[32];
  assert_int_equal(cf_sha256(pub, 65, digest), 0);
  assert_memory_equal(uid, digest, 32);
  /* m/0': BIP32 test vector 1 */
  uint8_t path[4] = {0x80, 0, 0, 0}, child[33];
  kch_hex("035a784662a4a20a65bf6aab9ae98a6c068a81c52e4b032c0fb5400c706cfccc56", child, sizeof child);
  assert_int_equal(kch_cmd(&h, 0xC2, 0x01, 0x01, path, 4), 0x9000);
  assert_memory_equal(h.data + 5, child + 1, 32);
  /* 15 and 65 bytes: 6A80, nothing changes; 32 and 64 load */
  uint8_t snap[32], after[32];
  kch_snapshot(&h, snap);
  memset(seed, 0x5A, sizeof seed);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 15), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 65), 0x6A80);
  kch_snapshot(&h, after);
  assert_memory_equal(snap, after, 32);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 32), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 64), 0x9000);
  kch_free(&h);

  kch_ready_pin(&h, "version=3.1");
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 16), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 63), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD0, 0x03, 0x00, seed, 64), 0x9000);
  kch_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_v32_ephemeral_pairing),
      cmocka_unit_test(keycard_v32_full_card_falls_back_to_ephemeral),
      cmocka_unit_test(keycard_v31_has_no_ephemeral_pairing),
      cmocka_unit_test(keycard_v32_chunked_ndef),
      cmocka_unit_test(keycard_v32_ndef_bounds),
      cmocka_unit_test(keycard_v31_ndef_file),
      cmocka_unit_test(keycard_ndef_install),
      cmocka_unit_test(keycard_v32_load_seed_lengths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
