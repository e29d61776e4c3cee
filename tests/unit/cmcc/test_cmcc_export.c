/* Export Keys&Data (spec 1.2.3) end to end: the KMC wraps keys and data for the user card (4.1.4)
 * and the SAM (4.1.8); the targets verify, decrypt, store, and prove the keys later. Every P1 bit,
 * several keys, prefix/suffix, and every status word of table 8-2-13. */
#include "cmcc_test_util.h"

#include <stdio.h>
#include <string.h>

#define KMC_KEYS "keys=010208090A0B"
#define SERIAL "0102030405060708"
#define SAMF "0102030405060708F1F2F3F4F5F6F7F8"

static void login(tcard *kmc) {
  uint8_t k02[16];
  default_key(2, k02);
  assert_int_equal(tc_verify_pin(kmc, 2, "22222222"), 0x9000);
  assert_int_equal(tc_ext_auth(kmc, 2, k02), 0x9000);
}

/* Export Keys&Data: cipp and random as bytes, the rest of the data field as hex. Returns the SW;
 * on success kmc->data holds len || cipher || MAC. */
static uint16_t export(tcard *kmc, uint8_t p1, const char *cipp_hex, const uint8_t r[4],
                       const char *rest_hex) {
  uint8_t data[300];
  size_t n = hex2bin(cipp_hex, data, 4);
  memcpy(data + n, r, 4);
  n += 4;
  n += hex2bin(rest_hex, data + n, sizeof data - n);
  return tc_cmd(kmc, 0x80, 0xC2, p1, 0x00, data, n);
}

/* Sends the KMC's output to the target as CIPP Lc cipher MAC. */
static uint16_t deliver(tcard *target, const tcard *kmc, const char *cipp_hex) {
  uint8_t cipp[4];
  hex2bin(cipp_hex, cipp, 4);
  assert_int_equal(kmc->len, 1u + kmc->data[0] + 4);
  return tc_cmd(target, cipp[0], cipp[1], cipp[2], cipp[3], kmc->data + 1, kmc->len - 1);
}

/* Unwraps the KMC's output with a key the test derives itself. */
static size_t unwrap(const tcard *kmc, const uint8_t key[16], cmcc_mac_alg alg, const uint8_t r[4],
                     const char *cipp_hex, uint8_t *plain) {
  uint8_t cipp[4];
  size_t len = 0;
  hex2bin(cipp_hex, cipp, 4);
  size_t clen = kmc->data[0];
  assert_int_equal(
      cmcc_unwrap(key, alg, r, cipp, kmc->data + 1, clen, kmc->data + 1 + clen, plain, 256, &len),
      CMCC_UNWRAP_OK);
  return len;
}

static void test_worked_examples(void **state) {
  (void)state;
  tcard kmc;
  tc_open(&kmc, "kmc", KMC_KEYS);
  login(&kmc);
  const uint8_t r[4] = {0x11, 0x22, 0x33, 0x44}, r2[4] = {0x55, 0x66, 0x77, 0x88};
  const char *uc = "01 " SERIAL " 010108 01 01 " SERIAL " 010109 02 0101 01 06 112233445566";
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, uc), 0x9000);
  tc_expect_data(&kmc, "20 DBE269B41BAE6BF9EAECDC26FE5C45ABB3F4085CC26CF220151215837229B90A F81C0D27");
  assert_int_equal(export(&kmc, 0xC0, "84E00100", r, uc), 0x9000);
  tc_expect_data(&kmc, "20 6537D75E253D22CF6B65D167F01A81987E324B40645C0FDA4A771236206DDBD7 297D693A");
  assert_int_equal(export(&kmc, 0x41, "84D40000", r2, "01 " SAMF " 01010A 01 00 01010B 02 0101 00"), 0x9000);
  tc_expect_data(&kmc, "18 8678D4630BC7979C0F9953F8FF247B5F2CD1BE00D73E4B0A 76DCC5B9");
  tc_close(&kmc);
}

static void test_usercard_flow(void **state) {
  (void)state;
  tcard kmc, uc;
  tc_open(&kmc, "kmc", KMC_KEYS);
  tc_open(&uc, "usercard", NULL);
  login(&kmc);
  uint8_t r[4];
  /* CREATE SUB_APPLICATION 01: enterprise ID prefix, one key (enterprise application key per card) */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r,
                          "01 " SERIAL " 010108 01 01 " SERIAL " 010109 02 0101 01 06 112233445566"),
                   0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84E00100"), 0x9000);
  assert_int_equal(tc_hex(&uc, "00B0010000"), 0x9000);
  tc_expect_data(&uc, "112233445566 00 01 0101");
  /* the stored key works: INTERNAL AUTHENTICATE under diversify(K09, serial) (worked example) */
  assert_int_equal(tc_hex(&uc, "0088010108 0001020304050607"), 0x9000);
  uint8_t sub[16], expect[8];
  hex2bin("834009CC8C6B5C85C246A20C8F619F59", sub, 16);
  assert_int_equal(cf_des3_ecb_encrypt(sub, 16, (const uint8_t *)"\0\1\2\3\4\5\6\7", expect, 8), 0);
  assert_int_equal(uc.len, 8);
  assert_memory_equal(uc.data, expect, 8);
  /* and VERIFY MAC with a MAC the KMC computes (Inst_MAC Generate P1 00, same diversification) */
  tc_challenge(&uc, 0x00, r);
  uint8_t im[40];
  size_t n = hex2bin("84820101", im, 4);
  memcpy(im + n, r, 4);
  n += 4;
  n += hex2bin("01 " SERIAL " 010109 03 C0FFEE", im + n, sizeof im - n);
  assert_int_equal(tc_cmd(&kmc, 0x80, 0x32, 0x00, 0x00, im, n), 0x9000);
  uint8_t vm[7] = {0xC0, 0xFF, 0xEE};
  memcpy(vm + 3, kmc.data, 4);
  assert_int_equal(tc_cmd(&uc, 0x84, 0x82, 0x01, 0x01, vm, 7), 0x9000);
  tc_challenge(&uc, 0x00, r);
  vm[0] ^= 1;
  assert_int_equal(tc_cmd(&uc, 0x84, 0x82, 0x01, 0x01, vm, 7), 0x6988);

  /* UPDATE SUB_APPLICATION DATA: no key, data as prefix */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84D60100", r, "01 " SERIAL " 010108 00 01 05 68656C6C6F"), 0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84D60100"), 0x9000);
  /* UPDATE SUB_APPLICATION KEYS: two keys in one command, one replacing key 01 */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84D40100", r,
                          "01 " SERIAL " 010108 02"
                          " 01 " SERIAL " 01010B 02 0201 "
                          " 00 010109 02 0102 00"),
                   0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84D40100"), 0x9000);
  assert_int_equal(tc_hex(&uc, "00B0010000"), 0x9000);
  tc_expect_data(&uc, "112233445566 05 68656C6C6F 02 0102 0201");
  /* key 01 now holds K09 itself (no levels) */
  uint8_t k09[16];
  default_key(9, k09);
  assert_int_equal(tc_hex(&uc, "0088010108 0001020304050607"), 0x9000);
  assert_int_equal(cf_des3_ecb_encrypt(k09, 16, (const uint8_t *)"\0\1\2\3\4\5\6\7", expect, 8), 0);
  assert_memory_equal(uc.data, expect, 8);

  /* refusals change nothing */
  snapshot before;
  snap_take(uc.store, &before);
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84E00200", r,
                          "01 " SERIAL " 010108 01 01 " SERIAL " 010109 02 0101 01 06 112233445566"),
                   0x9000);
  kmc.data[kmc.len - 1] ^= 0x01;
  assert_int_equal(deliver(&uc, &kmc, "84E00200"), 0x6988); /* tampered MAC */
  kmc.data[kmc.len - 1] ^= 0x01;
  assert_int_equal(deliver(&uc, &kmc, "84E00200"), 0x6985); /* random used up */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r,
                          "01 " SERIAL " 010108 01 01 " SERIAL " 010109 02 0101 01 06 112233445566"),
                   0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84E00100"), 0x6A89); /* exists */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84D60300", r, "01 " SERIAL " 010108 00 01 02 4142"), 0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84D60300"), 0x6A88); /* no sub-application 03 */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0xC0, "84D60100", r, "01 " SERIAL " 010108 00 01 02 4142"), 0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84D60100"), 0x6988); /* the user card uses session keys, 9.19 */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84E00200", r, "01 " SERIAL " 010108 00 01 05 1122334455"), 0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84E00200"), 0x6A80); /* no key */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(
      export(&kmc, 0x00, "84E00200", r, "01 " SERIAL " 010108 01 00 010109 02 0001 01 06 112233445566"),
      0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84E00200"), 0x6A80); /* key id 00 */
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84D60100", r, "01 " SERIAL " 010108 00 00"), 0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84D60100"), 0x6A80); /* empty data */
  snap_assert_same(uc.store, &before);
  snap_free(&before);
  tc_close(&kmc);
  tc_close(&uc);
}

static void test_usercard_errors(void **state) {
  (void)state;
  tcard uc;
  tc_open(&uc, "usercard", "serial=1122334455667788,emk=000102030405060708090A0B0C0D0E0F");
  uint8_t z[16] = {0};
  assert_int_equal(tc_cmd(&uc, 0x84, 0xE0, 0x01, 0x00, z, 12), 0x6985);
  assert_int_equal(tc_cmd(&uc, 0x84, 0xE0, 0x01, 0x00, z, 11), 0x6700);
  assert_int_equal(tc_cmd(&uc, 0x84, 0xE0, 0x00, 0x00, z, 12), 0x6A86);
  assert_int_equal(tc_cmd(&uc, 0x84, 0xE0, 0x09, 0x00, z, 12), 0x6A86);
  assert_int_equal(tc_cmd(&uc, 0x84, 0xE0, 0x01, 0x01, z, 12), 0x6A86);
  assert_int_equal(tc_hex(&uc, "00B0010000"), 0x6A88);
  assert_int_equal(tc_hex(&uc, "00B0090000"), 0x6A86);
  assert_int_equal(tc_hex(&uc, "0088010108 0001020304050607"), 0x6A88);
  assert_int_equal(tc_hex(&uc, "0088010107 00010203040506"), 0x6700);
  assert_int_equal(tc_hex(&uc, "8482010104 00000000"), 0x6985);
  assert_int_equal(tc_hex(&uc, "8482010103 000000"), 0x6700);
  assert_int_equal(tc_hex(&uc, "0084010004"), 0x6A86);
  assert_int_equal(tc_hex(&uc, "00E0010000"), 0x6E00);
  assert_int_equal(tc_hex(&uc, "80E0010000"), 0x6E00);
  assert_int_equal(tc_hex(&uc, "84CB000000"), 0x6D00);
  assert_int_equal(tc_hex(&uc, "84CA00C108"), 0x6E00);                 /* GET DATA is CLA 00 */
  assert_int_equal(tc_hex(&uc, "00A4040008D156000101800001"), 0x9000); /* FCI, device 000001 */
  assert_memory_equal(uc.data + uc.len - 3, "\x00\x00\x01", 3);
  /* key full: 8 keys per sub-application */
  tcard kmc;
  tc_open(&kmc, "kmc", "keys=0102,k08=000102030405060708090A0B0C0D0E0F,k09=000102030405060708090A0B0C0D0E0F");
  login(&kmc);
  uint8_t r[4];
  char rest[600];
  tc_challenge(&uc, 0x00, r);
  strcpy(rest, "01 1122334455667788 010108 08");
  for (int i = 1; i <= 8; i++) {
    char one[40];
    snprintf(one, sizeof one, " 00 010109 02 %02X01", i);
    strcat(rest, one);
  }
  strcat(rest, " 01 06 AABBCCDDEEFF");
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, rest), 0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84E00100"), 0x9000);
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84D40100", r, "01 1122334455667788 010108 01 00 010109 02 0901 00"),
                   0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84D40100"), 0x6A84);
  tc_challenge(&uc, 0x00, r);
  assert_int_equal(export(&kmc, 0x00, "84D40100", r, "01 1122334455667788 010108 01 00 010109 02 0802 00"),
                   0x9000);
  assert_int_equal(deliver(&uc, &kmc, "84D40100"), 0x9000); /* replacing one is fine */
  assert_int_equal(tc_hex(&uc, "00B0010000"), 0x9000);
  tc_expect_data(&uc, "AABBCCDDEEFF 00 08 0101 0201 0301 0401 0501 0601 0701 0802");
  tc_close(&kmc);
  tc_close(&uc);
}

static void test_p1_bits_and_layouts(void **state) {
  (void)state;
  tcard kmc;
  tc_open(&kmc, "kmc", KMC_KEYS);
  login(&kmc);
  const uint8_t r[4] = {0xA1, 0xB2, 0xC3, 0xD4};
  uint8_t k08[16], k09[16], kb[16], key[16], plain[256], f16[16];
  default_key(8, k08);
  default_key(9, k09);
  default_key(0x0B, kb);
  hex2bin(SAMF, f16, 16);
  size_t n;
  /* b1 = 0, 2 levels (level 1 last), session key, 9.19; b2 = 1: the exported key's factor is 16 bytes */
  assert_int_equal(export(&kmc, 0x02, "84D40100", r,
                          "02 1122334455667788 " SERIAL " 010108 01 01 " SAMF
                          " 010109 01 07 03 02 4142 03 5A5A5A"),
                   0x9000);
  hex2bin("D3A53815DD47E4868B092F74D37680DA", key, 16); /* worked example: 2 levels */
  assert_int_equal(cmcc_session_key(key, r, key), 0);
  n = unwrap(&kmc, key, CMCC_MAC_919, r, "84D40100", plain);
  uint8_t want[40];
  hex2bin("4142 07", want, 3);
  assert_int_equal(cmcc_diversify16(k09, f16, want + 3), 0);
  hex2bin("5A5A5A", want + 19, 3);
  assert_int_equal(n, 22);
  assert_memory_equal(plain, want, 22);
  /* b1 = 1 with three 16-byte levels, no session key, 9.9; several keys; suffix only */
  assert_int_equal(export(&kmc, 0xC1, "84D40000", r,
                          "03 00112233445566778899AABBCCDDEEFF 0F0E0D0C0B0A09080706050403020100 " SAMF
                          " 010108 03 00 010109 00 00 01010B 01 AA 01 " SERIAL " 010109 00 02 02 EEFF"),
                   0x9000);
  hex2bin("7A109798AE68294FA0A4E3108092E226", key, 16); /* worked example: 3 levels of 16 bytes */
  n = unwrap(&kmc, key, CMCC_MAC_99, r, "84D40000", plain);
  assert_int_equal(n, 16 + 1 + 16 + 16 + 2);
  assert_memory_equal(plain, k09, 16);
  assert_int_equal(plain[16], 0xAA);
  assert_memory_equal(plain + 17, kb, 16);
  assert_int_equal(cmcc_diversify8(k09, (const uint8_t *)"\1\2\3\4\5\6\7\10", want), 0);
  assert_memory_equal(plain + 33, want, 16);
  assert_memory_equal(plain + 49, "\xEE\xFF", 2);
  /* no keys and no data at all: one block of padding */
  assert_int_equal(export(&kmc, 0x40, "84D60100", r, "01 " SERIAL " 010108 00 00"), 0x9000);
  assert_int_equal(kmc.data[0], 8);
  assert_int_equal(cmcc_diversify8(k08, (const uint8_t *)"\1\2\3\4\5\6\7\10", key), 0);
  assert_int_equal(unwrap(&kmc, key, CMCC_MAC_919, r, "84D60100", plain), 0);
  tc_close(&kmc);
}

static void test_export_status_words(void **state) {
  (void)state;
  tcard kmc;
  tc_open(&kmc, "kmc", "keys=0102060708090A0B");
  const uint8_t r[4] = {1, 2, 3, 4};
  const char *ok = "01 " SERIAL " 010108 01 01 " SERIAL " 010109 02 0101 00";
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, ok), 0x6982);
  assert_int_equal(tc_verify_pin(&kmc, 2, "22222222"), 0x9000);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, ok), 0x6982);
  uint8_t k01[16];
  default_key(1, k01);
  assert_int_equal(tc_ext_auth(&kmc, 1, k01), 0x9000);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, ok), 0x6982); /* operator key: no */
  login(&kmc);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, ok), 0x9000);
  /* P1 / P2 */
  assert_int_equal(export(&kmc, 0x04, "84E00100", r, ok), 0x6A86);
  assert_int_equal(export(&kmc, 0x10, "84E00100", r, ok), 0x6A86);
  uint8_t d[64];
  size_t n = hex2bin("84E00100 01020304", d, sizeof d);
  n += hex2bin(ok, d + n, sizeof d - n);
  assert_int_equal(tc_cmd(&kmc, 0x80, 0xC2, 0x00, 0x01, d, n), 0x6A86);
  /* lengths, values */
  assert_int_equal(tc_cmd(&kmc, 0x80, 0xC2, 0x00, 0x00, d, n - 1), 0x6700);
  d[n] = 0;
  assert_int_equal(tc_cmd(&kmc, 0x80, 0xC2, 0x00, 0x00, d, n + 1), 0x6700);
  assert_int_equal(tc_cmd(&kmc, 0x80, 0xC2, 0x00, 0x00, d, 7), 0x6700);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "01 " SERIAL " 010108 00 04"), 0x6A80);
  char nine[400] = "01 " SERIAL " 010108 09";
  for (int i = 0; i < 9; i++)
    strcat(nine, " 00 010109 00");
  strcat(nine, " 00");
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, nine), 0x6A80);
  /* keys */
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "01 " SERIAL " 020108 00 00"), 0x6474);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "00 010106 00 00"), 0x9408);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "00 010102 00 00"), 0x9408);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "00 010108 00 00"), 0x6473); /* 08 must be diversified */
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "04 " SERIAL SERIAL SERIAL SERIAL " 010108 00 00"),
                   0x6473);
  assert_int_equal(export(&kmc, 0x41, "84D40000", r, "00 01010A 00 00"), 0x6473); /* 0A: exactly one level */
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "01 " SERIAL " 010108 01 00 020109 00 00"), 0x6479);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "01 " SERIAL " 010108 01 00 01010A 00 00"), 0x9408);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "01 " SERIAL " 010108 01 00 010106 00 00"), 0x9408);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r,
                          "01 " SERIAL " 010108 01 04 " SERIAL SERIAL SERIAL SERIAL " 010109 00 00"),
                   0x6473);
  /* usage "cannot compute" for the export key, status not AA for an exported key */
  assert_int_equal(tc_hex(&kmc, "80E1000011 02 000102030405060708090A0B0C0D0E0F"), 0x9000);
  assert_int_equal(tc_hex(&kmc, "80E200000B 080201000034AA00000000"), 0x9000);
  assert_int_equal(tc_hex(&kmc, "80E200000B 090201000032BB00000000"), 0x9000);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "01 " SERIAL " 020108 00 00"), 0x6484);
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, "01 " SERIAL " 010108 01 00 020109 00 00"), 0x6484);
  /* too long for one command */
  char big[700] = "01 " SERIAL " 010108 08";
  for (int i = 0; i < 8; i++)
    strcat(big, " 00 010109 00");
  strcat(big, " 01 78 "); /* 8 x 16 key bytes + 120 prefix bytes = 248 > 247 */
  for (int i = 0; i < 0x78; i++)
    strcat(big, "AB");
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, big), 0x6A80);
  strcpy(big, "01 " SERIAL " 010108 08");
  for (int i = 0; i < 8; i++)
    strcat(big, " 00 010109 00");
  strcat(big, " 01 77 "); /* 247 bytes: fits */
  for (int i = 0; i < 0x77; i++)
    strcat(big, "AB");
  assert_int_equal(export(&kmc, 0x00, "84E00100", r, big), 0x9000);
  assert_int_equal(kmc.len, 1 + 248 + 4);
  tc_close(&kmc);
}

static void test_sam_flow(void **state) {
  (void)state;
  tcard kmc, sam;
  tc_open(&kmc, "kmc", KMC_KEYS);
  tc_open(&sam, "sam", NULL);
  login(&kmc);
  uint8_t r[4], kb[16], expect[8];
  default_key(0x0B, kb);
  tc_challenge(&sam, 0x00, r);
  assert_int_equal(export(&kmc, 0x41, "84D40000", r, "01 " SAMF " 01010A 01 00 01010B 02 0101 00"), 0x9000);
  snapshot before;
  snap_take(sam.store, &before);
  kmc.data[3] ^= 0x10;
  assert_int_equal(deliver(&sam, &kmc, "84D40000"), 0x6988);
  snap_assert_same(sam.store, &before);
  snap_free(&before);
  kmc.data[3] ^= 0x10;
  tc_challenge(&sam, 0x00, r);
  assert_int_equal(export(&kmc, 0x41, "84D40000", r, "01 " SAMF " 01010A 01 00 01010B 02 0101 00"), 0x9000);
  assert_int_equal(deliver(&sam, &kmc, "84D40000"), 0x9000);
  assert_int_equal(tc_hex(&sam, "00B0000000"), 0x9000);
  tc_expect_data(&sam, "01 0101");
  assert_int_equal(tc_hex(&sam, "0088000108 0001020304050607"), 0x9000);
  assert_int_equal(cf_des3_ecb_encrypt(kb, 16, (const uint8_t *)"\0\1\2\3\4\5\6\7", expect, 8), 0);
  assert_memory_equal(sam.data, expect, 8);
  /* VERIFY MAC with the KMC's Inst_MAC Generate P1 40 (SAM: no session key) */
  tc_challenge(&sam, 0x00, r);
  uint8_t im[32];
  size_t n = hex2bin("84820001", im, 4);
  memcpy(im + n, r, 4);
  n += 4;
  n += hex2bin("00 01010B 02 1234", im + n, sizeof im - n);
  assert_int_equal(tc_cmd(&kmc, 0x80, 0x32, 0x40, 0x00, im, n), 0x9000);
  uint8_t vm[6] = {0x12, 0x34};
  memcpy(vm + 2, kmc.data, 4);
  assert_int_equal(tc_cmd(&sam, 0x84, 0x82, 0x00, 0x01, vm, 6), 0x9000);
  /* rotate the SAM master key (key id 00), then only the new one opens WRITE_KEY */
  tc_challenge(&sam, 0x00, r);
  assert_int_equal(export(&kmc, 0x41, "84D40000", r, "01 " SAMF " 01010A 01 00 01010B 02 0002 00"), 0x9000);
  assert_int_equal(deliver(&sam, &kmc, "84D40000"), 0x9000);
  tc_challenge(&sam, 0x00, r);
  assert_int_equal(export(&kmc, 0x41, "84D40000", r, "01 " SAMF " 01010A 01 00 01010B 02 0201 00"), 0x9000);
  assert_int_equal(deliver(&sam, &kmc, "84D40000"), 0x6988);
  tc_close(&kmc);
  tc_close(&sam);

  /* with the new master key = K0B (no levels), it is an export under 0B itself */
  tc_open(&kmc, "kmc", KMC_KEYS);
  tc_open(&sam, "sam", "mk=B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF");
  login(&kmc);
  tc_challenge(&sam, 0x00, r);
  assert_int_equal(export(&kmc, 0x41, "84D40000", r, "00 01010B 01 00 01010B 02 0201 00"), 0x9000);
  assert_int_equal(deliver(&sam, &kmc, "84D40000"), 0x9000);
  /* errors */
  uint8_t z[16] = {0};
  assert_int_equal(tc_cmd(&sam, 0x84, 0xD4, 0x00, 0x00, z, 12), 0x6985);
  assert_int_equal(tc_cmd(&sam, 0x84, 0xD4, 0x00, 0x00, z, 13), 0x6700);
  assert_int_equal(tc_cmd(&sam, 0x84, 0xD4, 0x01, 0x00, z, 12), 0x6A86);
  assert_int_equal(tc_hex(&sam, "0088000908 0001020304050607"), 0x6A88);
  assert_int_equal(tc_hex(&sam, "0088010008 0001020304050607"), 0x6A86);
  assert_int_equal(tc_hex(&sam, "8482000104 00000000"), 0x6985);
  tc_challenge(&sam, 0x00, r);
  assert_int_equal(export(&kmc, 0x41, "84D40000", r, "00 01010B 00 01 04 41424344"), 0x9000);
  assert_int_equal(deliver(&sam, &kmc, "84D40000"), 0x6A80);
  /* 16 keys at most */
  char rest[600];
  for (int round = 0; round < 2; round++) {
    tc_challenge(&sam, 0x00, r);
    strcpy(rest, "00 01010B 08");
    for (int i = 0; i < 8; i++) {
      char one[32];
      snprintf(one, sizeof one, " 00 01010B 02 %02X01", 0x10 + round * 8 + i);
      strcat(rest, one);
    }
    strcat(rest, " 00");
    assert_int_equal(export(&kmc, 0x41, "84D40000", r, rest), 0x9000);
    assert_int_equal(deliver(&sam, &kmc, "84D40000"), round == 0 ? 0x9000 : 0x6A84);
  }
  tc_close(&kmc);
  tc_close(&sam);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_worked_examples),     cmocka_unit_test(test_usercard_flow),
      cmocka_unit_test(test_usercard_errors),     cmocka_unit_test(test_p1_bits_and_layouts),
      cmocka_unit_test(test_export_status_words), cmocka_unit_test(test_sam_flow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
