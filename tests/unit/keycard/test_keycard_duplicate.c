/* Keycard applet: DUPLICATE KEY (D5) on 2.2.1 cards (the only version that has it), with the
 * corrected export length and the released 2.2.1 export form still accepted on import. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/keycard.h"
#include "kc_host.h"

static uint16_t dup_start(kch *h, uint8_t count, const uint8_t e[32]) {
  return kch_cmd(h, 0xD5, 0x00, count, e, 32);
}

/* ADD ENTROPY goes without a channel: reset, select, one-shot encryption. */
static uint16_t dup_add(kch *h, const uint8_t e[32]) {
  kch_reset(h);
  assert_int_equal(kch_select(h), 0x9000);
  return kch_one_shot(h, 0xD5, 0x01, 0x00, e, 32);
}

static void reopen_pin(kch *h) {
  kch_reset(h);
  kch_reopen(h);
  assert_int_equal(kch_cmd(h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
}

static void keycard_duplicate_checks(void **state) {
  uint8_t e[5][32];
  for (int i = 0; i < 5; i++)
    assert_int_equal(cf_rand(e[i], 32), 0);
  kch h;
  kch_ready(&h, "version=2.2.1");
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xD5, 0x00, 5, e[0], 32), 0x6985);
  assert_int_equal(kch_open(&h), 0x9000);
  assert_int_equal(dup_start(&h, 5, e[0]), 0x6985);
  assert_int_equal(kch_cmd(&h, 0x20, 0, 0, KCH_PIN, 6), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD5, 0x04, 5, e[0], 32), 0x6A86);
  assert_int_equal(kch_cmd(&h, 0xD5, 0x00, 5, e[0], 31), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  uint8_t uid[32];
  memcpy(uid, h.data, 32);
  /* no session: ADD ENTROPY refused before its cryptogram is looked at */
  assert_int_equal(dup_add(&h, e[1]), 0x6985);
  assert_int_equal(kch_send(&h, 0x80, 0xD5, 0x01, 0, "junk", 4), 0x6985);
  reopen_pin(&h);
  assert_int_equal(dup_start(&h, 5, e[0]), 0x9000);
  /* a bad cryptogram or a wrong length changes nothing */
  kch_reset(&h);
  assert_int_equal(kch_select(&h), 0x9000);
  assert_int_equal(kch_send(&h, 0x80, 0xD5, 0x01, 0, "junk", 4), 0x6A80);
  assert_int_equal(kch_one_shot(&h, 0xD5, 0x01, 0x00, e[1], 31), 0x6A80);
  for (int i = 1; i < 4; i++)
    assert_int_equal(dup_add(&h, e[i]), 0x9000);
  reopen_pin(&h);
  assert_int_equal(kch_cmd(&h, 0xD5, 0x02, 0, NULL, 0), 0x6985); /* one piece missing */
  assert_int_equal(dup_add(&h, e[4]), 0x9000);
  assert_int_equal(dup_add(&h, e[4]), 0x6985); /* no more expected */
  reopen_pin(&h);
  assert_int_equal(kch_cmd(&h, 0xD5, 0x02, 0, NULL, 0), 0x9000);
  uint8_t backup[128];
  size_t backup_len = h.len;
  assert_int_equal(backup_len, 16 + 80); /* IV + A1 44 {81 20 .. 82 20 ..} padded, no extra block */
  memcpy(backup, h.data, backup_len);
  /* the session ended with the export */
  assert_int_equal(kch_cmd(&h, 0xD5, 0x03, 0, backup, backup_len), 0x6985);
  /* a new key, a new session with the same entropy, and the backup comes back */
  assert_int_equal(kch_cmd(&h, 0xD4, 0, 0, NULL, 0), 0x9000);
  assert_memory_not_equal(h.data, uid, 32);
  assert_int_equal(dup_start(&h, 5, e[0]), 0x9000);
  for (int i = 1; i < 5; i++)
    assert_int_equal(dup_add(&h, e[i]), 0x9000);
  reopen_pin(&h);
  /* a damaged backup: 6A80, and the session is still there */
  uint8_t broken[128];
  memcpy(broken, backup, backup_len);
  broken[backup_len - 1] ^= 0x55;
  assert_int_equal(kch_cmd(&h, 0xD5, 0x03, 0, broken, backup_len), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD5, 0x03, 0, backup, 20), 0x6A80);
  assert_int_equal(kch_cmd(&h, 0xD5, 0x03, 0, backup, backup_len), 0x9000);
  assert_memory_equal(h.data, uid, 32);
  /* P2 00 (or 80..FF) leaves no session */
  assert_int_equal(dup_start(&h, 0, e[0]), 0x9000);
  assert_int_equal(kch_cmd(&h, 0xD5, 0x02, 0, NULL, 0), 0x6985);
  assert_int_equal(dup_start(&h, 0x80, e[0]), 0x9000);
  assert_int_equal(dup_add(&h, e[1]), 0x6985);
  kch_free(&h);
}

static void keycard_duplicate_without_key(void **state) {
  kch h;
  kch_ready_pin(&h, "version=2.2.1");
  uint8_t e[32] = {7};
  assert_int_equal(dup_start(&h, 1, e), 0x9000);
  /* 2.2.1 reads an empty key object here: CryptoException UNINITIALIZED_KEY */
  assert_int_equal(kch_cmd(&h, 0xD5, 0x02, 0, NULL, 0), 0x6F02);
  kch_free(&h);
}

/* Three cards, three clients: every client gives entropy to every card, the first card is
 * duplicated onto the other two. */
static void keycard_duplicate_three_cards(void **state) {
  kch card[3];
  uint8_t e[3][32], dup_key[32] = {0};
  for (int i = 0; i < 3; i++) {
    kch_ready_pin(&card[i], "version=2.2.1");
    assert_int_equal(cf_rand(e[i], 32), 0);
    for (int j = 0; j < 32; j++)
      dup_key[j] ^= e[i][j];
    assert_int_equal(kch_cmd(&card[i], 0xD4, 0, 0, NULL, 0), 0x9000);
  }
  uint8_t uid[32], master[65];
  assert_int_equal(kch_cmd(&card[0], 0xD4, 0, 0, NULL, 0), 0x9000);
  memcpy(uid, card[0].data, 32);
  assert_int_equal(kch_cmd(&card[0], 0xC2, 0x00, 0x01, NULL, 0), 0x9000);
  memcpy(master, card[0].data + 4, 65);
  for (int i = 0; i < 3; i++)
    assert_int_equal(dup_start(&card[i], 3, e[0]), 0x9000);
  for (int i = 0; i < 3; i++)
    for (int c = 1; c < 3; c++)
      assert_int_equal(dup_add(&card[i], e[c]), 0x9000);
  for (int i = 0; i < 3; i++)
    reopen_pin(&card[i]);
  assert_int_equal(kch_cmd(&card[0], 0xD5, 0x02, 0, NULL, 0), 0x9000);
  uint8_t blob[128];
  size_t blob_len = card[0].len;
  memcpy(blob, card[0].data, blob_len);
  /* the export decrypts under the XOR of all entropy to exactly the key template */
  uint8_t plain[128];
  assert_int_equal(cf_aes_cbc_decrypt(dup_key, 32, blob, blob + 16, plain, blob_len - 16), 0);
  long n = cf_unpad_iso9797_m2(plain, blob_len - 16);
  assert_int_equal(n, 70);
  assert_memory_equal(plain, "\xA1\x44\x81\x20", 4);
  assert_memory_equal(plain + 36, "\x82\x20", 2);
  uint8_t pub[65];
  assert_int_equal(cf_ec_pub_from_priv(plain + 4, pub), 0);
  assert_memory_equal(pub, master, 65);
  for (int i = 1; i < 3; i++) {
    assert_int_equal(kch_cmd(&card[i], 0xD5, 0x03, 0, blob, blob_len), 0x9000);
    assert_int_equal(card[i].len, 32);
    assert_memory_equal(card[i].data, uid, 32);
  }
  /* all three sign with the same key, at the master and along a path */
  uint8_t hash[32], sig_data[36];
  assert_int_equal(cf_sha256("duplicated", 10, hash), 0);
  memcpy(sig_data, hash, 32);
  memcpy(sig_data + 32, "\x80\0\0\x2C", 4);
  uint8_t child[65];
  assert_int_equal(kch_cmd(&card[0], 0xC2, 0x01, 0x01, sig_data + 32, 4), 0x9000);
  memcpy(child, card[0].data + 4, 65);
  for (int i = 0; i < 3; i++) {
    uint8_t sig[64];
    assert_int_equal(kch_cmd(&card[i], 0xC0, 0x00, 0, hash, 32), 0x9000);
    assert_memory_equal(card[i].data + 5, master, 65);
    assert_int_equal(cf_ec_sig_from_der(card[i].data + 70, card[i].len - 70, sig), 0);
    assert_true(cf_ec_verify(master, 65, hash, sig));
    assert_int_equal(kch_cmd(&card[i], 0xC0, 0x01, 0, sig_data, 36), 0x9000);
    assert_memory_equal(card[i].data + 5, child, 65);
    assert_int_equal(cf_ec_sig_from_der(card[i].data + 70, card[i].len - 70, sig), 0);
    assert_true(cf_ec_verify(child, 65, hash, sig));
    assert_int_equal(kch_select(&card[i]), 0x9000);
    assert_memory_equal(card[i].data + 3 + 18 + 67 + 4 + 3 + 2, uid, 32);
  }
  for (int i = 0; i < 3; i++)
    kch_free(&card[i]);
}

/* The released 2.2.1 export encrypted 69 buffer bytes past the key template (its length argument
 * was an end offset); IMPORT reads the template as LOAD KEY does and ignores what follows. */
static void keycard_duplicate_import_22x_form(void **state) {
  uint8_t priv[32], pub[65], chain[32], key[32], uid[32];
  assert_int_equal(cf_ec_keygen(priv, pub), 0);
  assert_int_equal(cf_rand(chain, 32), 0);
  assert_int_equal(cf_rand(key, 32), 0);
  assert_int_equal(cf_sha256(pub, 65, uid), 0);
  for (int extra = 0; extra <= 69; extra += 23) {
    for (int extended = 0; extended < 2; extended++) {
      uint8_t plain[160] = {0xA1, (uint8_t)(extended ? 68 : 34), 0x81, 32};
      memcpy(plain + 4, priv, 32);
      size_t n = 36;
      if (extended) {
        plain[n++] = 0x82, plain[n++] = 32;
        memcpy(plain + n, chain, 32);
        n += 32;
      }
      assert_int_equal(cf_rand(plain + n, (size_t)extra), 0);
      plain[n] &= 0x7F; /* whatever follows, but not an 82 tag */
      n += (size_t)extra;
      uint8_t blob[16 + 160];
      assert_int_equal(cf_rand(blob, 16), 0);
      size_t ct = cf_pad_iso9797_m2(plain, n, 16, sizeof plain);
      assert_int_equal(cf_aes_cbc_encrypt(key, 32, blob, plain, blob + 16, ct), 0);
      kch h;
      kch_ready_pin(&h, "version=2.2.1");
      assert_int_equal(dup_start(&h, 1, key), 0x9000);
      uint16_t sw = kch_cmd(&h, 0xD5, 0x03, 0, blob, 16 + ct);
      assert_int_equal(sw, 0x9000);
      assert_memory_equal(h.data, uid, 32);
      /* extended or not, as the template says */
      assert_int_equal(kch_cmd(&h, 0xD1, 0x00, 0, "\0\0\0\1", 4), extended ? 0x9000 : 0x6985);
      kch_free(&h);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(keycard_duplicate_checks),
      cmocka_unit_test(keycard_duplicate_without_key),
      cmocka_unit_test(keycard_duplicate_three_cards),
      cmocka_unit_test(keycard_duplicate_import_22x_form),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
