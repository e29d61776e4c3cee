/* The China Mobile constructions pinned to the worked values of docs/cmcc-profile.md section 5
 * (5.1: the primitives, two of them pyemv's published examples; 5.2: the project's examples), which
 * were computed independently with python3-cryptography and the openssl CLI. */
#include "cmcc_test_util.h"

#include <string.h>

#define HEX(name, text)                                                                                      \
  uint8_t name[64];                                                                                          \
  size_t name##_len = hex2bin(text, name, sizeof name);                                                      \
  (void)name##_len

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex) {
  uint8_t want[256];
  size_t n = hex2bin(want_hex, want, sizeof want);
  assert_int_equal(len, n);
  assert_memory_equal(got, want, n);
}

/* ---- docs/cmcc-profile.md 5.1: worked values of the primitives ---- */

static void test_profile_diversify8_pyemv(void **state) {
  (void)state;
  HEX(k, "0123456789ABCDEFFEDCBA9876543210");
  HEX(f, "1234567890123445");
  uint8_t out[16];
  assert_int_equal(cmcc_diversify8(k, f, out), 0);
  assert_hex(out, 16, "67F8292358083F5EA6AB7FDA58D43A6B");
}

static void test_profile_mac919_pyemv(void **state) {
  (void)state;
  HEX(k, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB");
  uint8_t mac[4];
  assert_int_equal(cmcc_mac(CMCC_MAC_919, k, NULL, "hello world", 11, mac), 0);
  assert_hex(mac, 4, "2BC2D9ED");
}

static void test_profile_ext_auth(void **state) {
  (void)state;
  HEX(k, "404142434445464748494A4B4C4D4E4F");
  HEX(r, "12345678");
  uint8_t out[8];
  assert_int_equal(cmcc_ext_auth_data(k, r, out), 0);
  assert_hex(out, 8, "E228F0F406D5E2EF");
}

static void test_profile_import_record_and_macs(void **state) {
  (void)state;
  HEX(k, "11223344556677888877665544332211");
  HEX(attrs, "0102030405060708090A0B");
  HEX(value, "00112233445566778899AABBCCDDEEFF");
  HEX(r, "01020304");
  uint8_t ct[32], mac[4];
  assert_int_equal(cmcc_key_record_encrypt(k, attrs, value, ct), 0);
  assert_hex(ct, 32, "34D1B4D26AF4A344BE42DFDA5C144DD8531D461AFC788C434A474911D0EF7620");
  const uint8_t cipp1[4] = {0x80, 0xD8, 0x00, 0x01}, cipp2[4] = {0x80, 0xD8, 0x00, 0x02};
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k, r, cipp1, ct, 32, mac), 0);
  assert_hex(mac, 4, "2E51E3C5");
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k, r, cipp2, ct, 32, mac), 0);
  assert_hex(mac, 4, "44BBE0B8");
  /* and back */
  uint8_t a2[11], v2[16];
  assert_int_equal(cmcc_key_record_decrypt(k, ct, a2, v2), CMCC_RECORD_OK);
  assert_memory_equal(a2, attrs, 11);
  assert_memory_equal(v2, value, 16);
}

static void test_profile_session_key(void **state) {
  (void)state;
  HEX(k, "404142434445464748494A4B4C4D4E4F");
  HEX(r, "A1B2C3D4");
  uint8_t out[16];
  assert_int_equal(cmcc_session_key(k, r, out), 0);
  assert_hex(out, 16, "55D391229963F324ABB3D0AA6ADBF264");
}

/* ---- docs/cmcc-profile.md 5.2: the project's examples ---- */

static void test_diversify16(void **state) {
  (void)state;
  HEX(k, "0123456789ABCDEFFEDCBA9876543210");
  HEX(f, "1234567890123445EDCBA9876FEDCBBA"); /* F || ~F gives the 8-byte result */
  uint8_t out[16];
  assert_int_equal(cmcc_diversify16(k, f, out), 0);
  assert_hex(out, 16, "67F8292358083F5EA6AB7FDA58D43A6B");
  HEX(ka, "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
  HEX(fs, "0102030405060708F1F2F3F4F5F6F7F8");
  assert_int_equal(cmcc_diversify16(ka, fs, out), 0);
  assert_hex(out, 16, "3E16735DC1A92796F14EBD7E718A9EB8");
}

static void test_diversify_levels(void **state) {
  (void)state;
  HEX(k, "808182838485868788898A8B8C8D8E8F");
  HEX(f2, "11223344556677880102030405060708"); /* level 2 first, level 1 last */
  uint8_t out[16], step[16];
  assert_int_equal(cmcc_diversify_levels(k, f2, 2, 8, out), 0);
  assert_hex(out, 16, "D3A53815DD47E4868B092F74D37680DA");
  assert_int_equal(cmcc_diversify8(k, f2 + 8, step), 0);
  assert_int_equal(cmcc_diversify8(step, f2, step), 0);
  assert_memory_equal(out, step, 16);
  uint8_t f3[48];
  hex2bin("00112233445566778899AABBCCDDEEFF0F0E0D0C0B0A09080706050403020100"
          "0102030405060708F1F2F3F4F5F6F7F8",
          f3, sizeof f3);
  assert_int_equal(cmcc_diversify_levels(k, f3, 3, 16, out), 0);
  assert_hex(out, 16, "7A109798AE68294FA0A4E3108092E226");
  assert_int_equal(cmcc_diversify_levels(k, NULL, 0, 8, out), 0);
  assert_memory_equal(out, k, 16);
  assert_int_equal(cmcc_diversify_levels(k, f3, 4, 8, out), -1);
  assert_int_equal(cmcc_diversify_levels(k, f3, 1, 12, out), -1);
}

static void test_macs_with_iv_and_99(void **state) {
  (void)state;
  HEX(k, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB");
  HEX(r, "01020304");
  uint8_t iv[8], mac[4];
  assert_int_equal(cmcc_mac(CMCC_MAC_99, k, NULL, "hello world", 11, mac), 0);
  assert_hex(mac, 4, "773175BE");
  cmcc_mac_iv(r, iv);
  assert_hex(iv, 8, "0102030400000000");
  assert_int_equal(cmcc_mac(CMCC_MAC_919, k, iv, "hello world", 11, mac), 0);
  assert_hex(mac, 4, "881ECF0E");
  assert_int_equal(cmcc_mac(CMCC_MAC_99, k, iv, "hello world", 11, mac), 0);
  assert_hex(mac, 4, "C37C51B4");
  cmcc_mac_iv(NULL, iv);
  assert_hex(iv, 8, "0000000000000000");
}

static void test_generated_key(void **state) {
  (void)state;
  HEX(seed, "000102030405060708090A0B0C0D0E0F");
  HEX(tvia, "08010100");
  uint8_t out[16];
  assert_int_equal(cmcc_generated_key(seed, tvia, out), 0);
  assert_hex(out, 16, "F86034F5BD20D8A81D29BD7DE5AE9376");
}

static void test_usercard_create_wrap(void **state) {
  (void)state;
  HEX(k08, "808182838485868788898A8B8C8D8E8F");
  HEX(k09, "909192939495969798999A9B9C9D9E9F");
  HEX(serial, "0102030405060708");
  HEX(r, "11223344");
  const uint8_t cipp[4] = {0x84, 0xE0, 0x01, 0x00};
  uint8_t ck[16], sk[16], sub[16], plain[24], ct[64], mac[4], back[64];
  size_t ctlen = 0, backlen = 0;
  assert_int_equal(cmcc_diversify8(k08, serial, ck), 0);
  assert_hex(ck, 16, "FDF2F55DC4380DC1B55BEFF4E3B4C749");
  assert_int_equal(cmcc_diversify8(k09, serial, sub), 0);
  assert_hex(sub, 16, "834009CC8C6B5C85C246A20C8F619F59");
  assert_int_equal(cmcc_session_key(ck, r, sk), 0);
  assert_hex(sk, 16, "2964FC5E2CA0BB2E76B3EA2D38736FBC");
  hex2bin("112233445566 0101", plain, sizeof plain);
  memcpy(plain + 8, sub, 16);
  assert_int_equal(cmcc_wrap(sk, CMCC_MAC_919, r, cipp, plain, 24, ct, sizeof ct, &ctlen, mac), 0);
  assert_hex(ct, ctlen, "DBE269B41BAE6BF9EAECDC26FE5C45ABB3F4085CC26CF220151215837229B90A");
  assert_hex(mac, 4, "F81C0D27");
  assert_int_equal(cmcc_unwrap(sk, CMCC_MAC_919, r, cipp, ct, ctlen, mac, back, sizeof back, &backlen),
                   CMCC_UNWRAP_OK);
  assert_int_equal(backlen, 24);
  assert_memory_equal(back, plain, 24);
  /* P1 = C0: no session key, MAC 9.9 */
  assert_int_equal(cmcc_wrap(ck, CMCC_MAC_99, r, cipp, plain, 24, ct, sizeof ct, &ctlen, mac), 0);
  assert_hex(ct, ctlen, "6537D75E253D22CF6B65D167F01A81987E324B40645C0FDA4A771236206DDBD7");
  assert_hex(mac, 4, "297D693A");
  /* a flipped bit anywhere is a MAC failure, never a decryption */
  ct[5] ^= 0x01;
  assert_int_equal(cmcc_unwrap(ck, CMCC_MAC_99, r, cipp, ct, ctlen, mac, back, sizeof back, &backlen),
                   CMCC_UNWRAP_BAD_MAC);
}

static void test_sam_write_key_wrap(void **state) {
  (void)state;
  HEX(mk, "3E16735DC1A92796F14EBD7E718A9EB8");
  HEX(kb, "B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF");
  HEX(r, "55667788");
  const uint8_t cipp[4] = {0x84, 0xD4, 0x00, 0x00};
  uint8_t plain[18] = {0x01, 0x01}, ct[32], mac[4];
  size_t ctlen = 0;
  memcpy(plain + 2, kb, 16);
  assert_int_equal(cmcc_wrap(mk, CMCC_MAC_919, r, cipp, plain, 18, ct, sizeof ct, &ctlen, mac), 0);
  assert_hex(ct, ctlen, "8678D4630BC7979C0F9953F8FF247B5F2CD1BE00D73E4B0A");
  assert_hex(mac, 4, "76DCC5B9");
}

static void test_terminal_protocol(void **state) {
  (void)state;
  HEX(tik, "606162636465666768696A6B6C6D6E6F");
  HEX(tak, "707172737475767778797A7B7C7D7E7F");
  HEX(w, "A1A2A3A4");
  HEX(t1, "B1B2B3B4");
  HEX(t2, "C1C2C3C4");
  HEX(eid, "112233445566");
  uint8_t f[8], iv[8], mac[4], req[15], sub[16], plain[18], ct[32], resp[25];
  size_t ctlen = 0;
  cmcc_terminal_factor(1, 1, f);
  assert_hex(f, 8, "0101800000000000");
  memcpy(req, t1, 4);
  memcpy(req + 4, f, 8);
  req[12] = 2, req[13] = 1, req[14] = 1;
  cmcc_mac_iv(w, iv);
  assert_int_equal(cmcc_mac(CMCC_MAC_919, tik, iv, req, 15, mac), 0);
  assert_hex(mac, 4, "D0FC5E2C");
  assert_int_equal(cmcc_diversify8(tak, f, sub), 0);
  assert_hex(sub, 16, "62F37BED9AB4839424110A2A69FD2BD4");
  plain[0] = 1, plain[1] = 1;
  memcpy(plain + 2, sub, 16);
  assert_int_equal(cmcc_encrypt(tik, plain, 18, ct, sizeof ct, &ctlen), 0);
  assert_hex(ct, ctlen, "EC2E9243926662F9FCA8F6820E7A065C676A161C026DA853");
  resp[0] = (uint8_t)ctlen;
  memcpy(resp + 1, ct, ctlen);
  cmcc_mac_iv(t1, iv);
  assert_int_equal(cmcc_mac(CMCC_MAC_919, tik, iv, resp, 1 + ctlen, mac), 0);
  assert_hex(mac, 4, "1EA6B686");
  cmcc_mac_iv(w, iv);
  assert_int_equal(cmcc_mac(CMCC_MAC_919, sub, iv, t2, 4, mac), 0);
  assert_hex(mac, 4, "62020A62");
  cmcc_mac_iv(t2, iv);
  assert_int_equal(cmcc_mac(CMCC_MAC_919, sub, iv, eid, 6, mac), 0);
  assert_hex(mac, 4, "D14F3EC6");
}

static void test_copy_export_and_update_info(void **state) {
  (void)state;
  HEX(k5, "505152535455565758595A5B5C5D5E5F");
  HEX(k6, "606162636465666768696A6B6C6D6E6F");
  HEX(attrs, "060101000000AA00000000");
  HEX(r, "0A0B0C0D");
  const uint8_t cipp[4] = {0x80, 0xD8, 0x00, 0x02};
  uint8_t ct[32], mac[4];
  assert_int_equal(cmcc_key_record_encrypt(k5, attrs, k6, ct), 0);
  assert_hex(ct, 32, "34E85F3444920140BB32AFB6616DAFD785581182B72A54CA52A311C326490870");
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k5, r, cipp, ct, 32, mac), 0);
  assert_hex(mac, 4, "1B1096B3");

  HEX(k1, "101112131415161718191A1B1C1D1E1F");
  HEX(info, "0106112233445566");
  HEX(r2, "01020304");
  const uint8_t cipp0[4] = {0x80, 0xD8, 0x00, 0x00};
  size_t ctlen = 0;
  assert_int_equal(cmcc_wrap(k1, CMCC_MAC_919, r2, cipp0, info, 8, ct, sizeof ct, &ctlen, mac), 0);
  assert_hex(ct, ctlen, "CBDE3C5ED6498308A21BCA5ADD8F1587");
  assert_hex(mac, 4, "A3D0628A");
}

static void test_record_decrypt_rejects(void **state) {
  (void)state;
  HEX(k, "11223344556677888877665544332211");
  uint8_t plain[32] = {0x1A}, ct[32], a[11], v[16];
  plain[28] = 0x80;
  assert_int_equal(cf_des3_ecb_encrypt(k, 16, plain, ct, 32), 0);
  assert_int_equal(cmcc_key_record_decrypt(k, ct, a, v), CMCC_RECORD_BAD_LENGTH);
  plain[0] = 0x1B;
  plain[28] = 0x00;
  assert_int_equal(cf_des3_ecb_encrypt(k, 16, plain, ct, 32), 0);
  assert_int_equal(cmcc_key_record_decrypt(k, ct, a, v), CMCC_RECORD_BAD_PADDING);
}

static void test_encrypt_decrypt_bounds(void **state) {
  (void)state;
  HEX(k, "11223344556677888877665544332211");
  uint8_t out[16], back[16];
  size_t n = 0;
  assert_int_equal(cmcc_encrypt(k, (const uint8_t *)"12345678", 8, out, 8, &n), -1); /* needs 16 */
  assert_int_equal(cmcc_encrypt(k, (const uint8_t *)"12345678", 8, out, 16, &n), 0);
  assert_int_equal(n, 16);
  assert_int_equal(cmcc_decrypt(k, out, 16, back, sizeof back, &n), 0);
  assert_int_equal(n, 8);
  assert_memory_equal(back, "12345678", 8);
  assert_int_equal(cmcc_decrypt(k, out, 15, back, sizeof back, &n), -1);
  assert_int_equal(cmcc_decrypt(k, out, 8, back, sizeof back, &n), -2); /* first block alone: no 80 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_profile_diversify8_pyemv),
      cmocka_unit_test(test_profile_mac919_pyemv),
      cmocka_unit_test(test_profile_ext_auth),
      cmocka_unit_test(test_profile_import_record_and_macs),
      cmocka_unit_test(test_profile_session_key),
      cmocka_unit_test(test_diversify16),
      cmocka_unit_test(test_diversify_levels),
      cmocka_unit_test(test_macs_with_iv_and_99),
      cmocka_unit_test(test_generated_key),
      cmocka_unit_test(test_usercard_create_wrap),
      cmocka_unit_test(test_sam_write_key_wrap),
      cmocka_unit_test(test_terminal_protocol),
      cmocka_unit_test(test_copy_export_and_update_info),
      cmocka_unit_test(test_record_decrypt_rejects),
      cmocka_unit_test(test_encrypt_decrypt_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
