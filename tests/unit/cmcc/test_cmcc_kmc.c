/* KMC key commands: INIT_FOR_GENERATE / Generate Key, Import Key, Update Info, CopyExport Key,
 * Inst_MAC Generate (spec 1.2.2, 1.2.4-1.2.7): success paths, every status word, security state. */
#include "cmcc_test_util.h"

#include <string.h>

#include <stdio.h>

static void login(tcard *t, uint8_t auth_type) {
  uint8_t k[16];
  default_key(auth_type, k);
  assert_int_equal(tc_verify_pin(t, 2, "22222222"), 0x9000);
  assert_int_equal(tc_ext_auth(t, auth_type, k), 0x9000);
}

/* Import Key data for a record, MACed with the card's fresh random. */
static uint16_t import(tcard *t, uint8_t p2, const uint8_t key[16], const char *attrs_hex,
                       const uint8_t value[16], bool tamper) {
  uint8_t attrs[11], r[4], data[36];
  hex2bin(attrs_hex, attrs, sizeof attrs);
  tc_challenge(t, CMCC_CLA_BASIC, r);
  const uint8_t cipp[4] = {0x80, 0xD8, 0x00, p2};
  assert_int_equal(cmcc_key_record_encrypt(key, attrs, value, data), 0);
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, key, r, cipp, data, 32, data + 32), 0);
  if (tamper) data[3] ^= 0x80;
  return tc_cmd(t, 0x80, 0xD8, 0x00, p2, data, 36);
}

static uint16_t update_info(tcard *t, const uint8_t key[16], const char *plain_hex, bool tamper) {
  uint8_t plain[80], r[4], data[100];
  size_t plen = hex2bin(plain_hex, plain, sizeof plain), clen = 0;
  tc_challenge(t, CMCC_CLA_BASIC, r);
  const uint8_t cipp[4] = {0x80, 0xD8, 0x00, 0x00};
  assert_int_equal(cmcc_wrap(key, CMCC_MAC_919, r, cipp, plain, plen, data, sizeof data, &clen, data + 96),
                   0);
  memmove(data + clen, data + 96, 4);
  if (tamper) data[clen + 3] ^= 1;
  return tc_cmd(t, 0x80, 0xD8, 0x00, 0x00, data, clen + 4);
}

static size_t key_count(tcard *t) {
  size_t n = 0;
  uint8_t apdu[5] = {0x00, 0xB4, 0x01, 0x00, 0x0B};
  for (; n < 0xFF; n++) {
    apdu[2] = (uint8_t)(n + 1);
    if (tc_tx(t, apdu, 5) != 0x9000) break;
  }
  return n;
}

/* MAC of data by the KMC's Inst_MAC Generate (P1 40: no session key, 9.19) with a key of no levels. */
static uint16_t inst_mac0(tcard *t, const char *vit_hex, const uint8_t *data, size_t dlen,
                          const uint8_t r[4]) {
  uint8_t cmd[128];
  size_t n = 0;
  memcpy(cmd, "\x84\x82\x00\x01", 4);
  memcpy(cmd + 4, r, 4);
  cmd[8] = 0;
  n = 9 + hex2bin(vit_hex, cmd + 9, 3);
  cmd[n++] = (uint8_t)dlen;
  memcpy(cmd + n, data, dlen);
  return tc_cmd(t, 0x80, 0x32, 0x40, 0x00, cmd, n + dlen);
}

static void test_generate(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", NULL);
  const char *init = "80E1000011 02 000102030405060708090A0B0C0D0E0F";
  assert_int_equal(tc_hex(&t, init), 0x6982);
  assert_int_equal(tc_verify_pin(&t, 2, "22222222"), 0x9000);
  assert_int_equal(tc_hex(&t, init), 0x6982); /* PIN alone is not enough */
  uint8_t k01[16];
  default_key(1, k01);
  assert_int_equal(tc_ext_auth(&t, 1, k01), 0x9000);
  assert_int_equal(tc_hex(&t, init), 0x6982); /* nor the operator key */
  assert_int_equal(tc_hex(&t, "80E200000B 080101000032AA00000000"), 0x6982);
  login(&t, 2);
  assert_int_equal(tc_hex(&t, "80E1000010 02 000102030405060708090A0B0C0D0E"), 0x6700);
  assert_int_equal(tc_hex(&t, "80E1010011 02 000102030405060708090A0B0C0D0E0F"), 0x6A86);
  assert_int_equal(tc_hex(&t, "80E1000011 00 000102030405060708090A0B0C0D0E0F"), 0x6A80);
  assert_int_equal(tc_hex(&t, "80E200000B 080101000032AA00000000"), 0x6985); /* no session */
  assert_int_equal(tc_hex(&t, init), 0x9000);
  assert_int_equal(tc_hex(&t, "80E200000A 080101000032AA000000"), 0x6700);
  assert_int_equal(tc_hex(&t, "80E201000B 080101000032AA00000000"), 0x6A86);
  assert_int_equal(tc_hex(&t, "80E200000B 010101000000AA00000000"), 0x6476);
  assert_int_equal(tc_hex(&t, "80E200000B 060101000000AA00000000"), 0x6476);
  assert_int_equal(tc_hex(&t, "80E200000B 080101000036AA00000000"), 0x6484);
  assert_int_equal(tc_hex(&t, "80E200000B 080101010032AA00000000"), 0x6A80);
  /* refusals kept the session: two keys still to generate */
  assert_int_equal(tc_hex(&t, "80E200000B 080101000032AA00000000"), 0x9000);
  assert_int_equal(tc_hex(&t, "80E200000B 090101000032AA00000000"), 0x9000);
  assert_int_equal(tc_hex(&t, "80E200000B 0B0101000032AA00000000"), 0x6985); /* used up */
  assert_int_equal(key_count(&t), 4);
  assert_int_equal(tc_hex(&t, "00B403000B"), 0x9000);
  tc_expect_data(&t, "080101000032AA00000000");

  /* the value: diversify(seed, 08 01 01 00 00000000), docs worked example */
  uint8_t r[4] = {1, 2, 3, 4}, data[3] = {0xAB, 0xCD, 0xEF}, expect[4], value[16];
  hex2bin("F86034F5BD20D8A81D29BD7DE5AE9376", value, 16);
  const uint8_t cipp[4] = {0x84, 0x82, 0x00, 0x01};
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, value, r, cipp, data, 3, expect), 0);
  assert_int_equal(inst_mac0(&t, "010108", data, 3, r), 0x9000);
  assert_int_equal(t.len, 4);
  assert_memory_equal(t.data, expect, 4);

  /* same seed and attributes: same key, same record; another command ends a session */
  assert_int_equal(tc_hex(&t, "80E1000011 03 000102030405060708090A0B0C0D0E0F"), 0x9000);
  assert_int_equal(tc_hex(&t, "80E200000B 080101000032AA00000000"), 0x9000);
  assert_int_equal(key_count(&t), 4);
  assert_int_equal(tc_hex(&t, "80E200000B 090201000032AA00000000"), 0x6985);
  assert_int_equal(inst_mac0(&t, "010108", data, 3, r), 0x9000);
  assert_memory_equal(t.data, expect, 4);
  /* reset ends it too */
  assert_int_equal(tc_hex(&t, "80E1000011 03 000102030405060708090A0B0C0D0E0F"), 0x9000);
  cf_card_power_on(t.card);
  login(&t, 2);
  assert_int_equal(tc_hex(&t, "80E200000B 090201000032AA00000000"), 0x6985);
  /* key file full: 6A84 */
  assert_int_equal(tc_hex(&t, "80E1000011 FF 000102030405060708090A0B0C0D0E0F"), 0x9000);
  uint8_t gen[11];
  hex2bin("0B0101000032AA00000000", gen, sizeof gen);
  for (int v = 0x10; v < 0x10 + 28; v++) {
    gen[1] = (uint8_t)v;
    assert_int_equal(tc_cmd(&t, 0x80, 0xE2, 0, 0, gen, 11), 0x9000);
  }
  snapshot before;
  snap_take(t.store, &before);
  gen[1] = 0x70;
  assert_int_equal(tc_cmd(&t, 0x80, 0xE2, 0, 0, gen, 11), 0x6A84);
  snap_assert_same(t.store, &before);
  snap_free(&before);
  assert_int_equal(key_count(&t), 32);
  tc_close(&t);
}

static void test_import_key(void **state) {
  (void)state;
  tcard t;
  uint8_t k01[16], k02[16], v[16];
  default_key(1, k01);
  default_key(2, k02);
  for (int i = 0; i < 16; i++)
    v[i] = (uint8_t)(0xC0 + i);
  tc_open(&t, "kmc", NULL);
  const char *a06 = "060101000000AA00000000", *a07 = "070101000012AA00000000";
  assert_int_equal(import(&t, 2, k02, a06, v, false), 0x6982);
  login(&t, 2);
  /* terminal initial key: level 2, under the master-card master key (spec 4.1.5) */
  snapshot before;
  snap_take(t.store, &before);
  assert_int_equal(import(&t, 2, k02, a06, v, true), 0x6988);
  snap_assert_same(t.store, &before);
  snap_free(&before);
  assert_int_equal(import(&t, 2, k02, a06, v, false), 0x9000);
  assert_int_equal(tc_hex(&t, "00B403000B"), 0x9000);
  tc_expect_data(&t, a06);
  /* level rules: P2 01 needs the operator key; TVIA of another level refused */
  assert_int_equal(import(&t, 1, k01, a07, v, false), 0x6982);
  assert_int_equal(import(&t, 2, k02, a07, v, false), 0x6982);
  assert_int_equal(tc_ext_auth(&t, 1, k01), 0x9000);
  assert_int_equal(import(&t, 1, k01, a07, v, false), 0x9000);
  assert_int_equal(import(&t, 1, k01, a06, v, false), 0x6982); /* terminal initial key is level 2 */
  assert_int_equal(import(&t, 1, k01, "030101000000AA00000000", v, false), 0x6982); /* not a KMC key */
  assert_int_equal(import(&t, 1, k01, "070101010012AA00000000", v, false), 0x9408);
  assert_int_equal(key_count(&t), 4);
  /* same TVIA replaces */
  assert_int_equal(import(&t, 1, k01, "070101000012AA00000005", v, false), 0x9000);
  assert_int_equal(key_count(&t), 4);
  assert_int_equal(tc_hex(&t, "00B404000B"), 0x9000);
  tc_expect_data(&t, "070101000012AA00000005");
  /* no Get Challenge right before */
  uint8_t rec[36] = {0};
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 0, 1, rec, 36), 0x6985);
  /* P1/P2/Lc */
  tc_challenge(&t, CMCC_CLA_BASIC, v);
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 0, 3, rec, 36), 0x6A86);
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 1, 1, rec, 36), 0x6A86);
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 0, 1, rec, 35), 0x6700);
  /* a record whose length byte is not 1B: 6C1B */
  uint8_t r[4], plain[32] = {0x1C};
  plain[28] = 0x80;
  tc_challenge(&t, CMCC_CLA_BASIC, r);
  const uint8_t cipp1[4] = {0x80, 0xD8, 0x00, 0x01};
  assert_int_equal(cf_des3_ecb_encrypt(k01, 16, plain, rec, 32), 0);
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k01, r, cipp1, rec, 32, rec + 32), 0);
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 0, 1, rec, 36), 0x6C1B);
  /* the decryption key locked (a newer version of 02 with status 00): 6983 */
  assert_int_equal(import(&t, 1, k01, "0202010000000000000000", v, false), 0x9000);
  assert_int_equal(import(&t, 2, k02, a06, v, false), 0x6983);
  tc_close(&t);

  /* key file full: 6475 */
  tc_open(&t, "kmc", NULL);
  login(&t, 1);
  char attrs[32];
  for (int i = 0; i < 30; i++) {
    snprintf(attrs, sizeof attrs, "08%02X01000031AA00000000", i);
    assert_int_equal(import(&t, 1, k01, attrs, v, false), 0x9000);
  }
  assert_int_equal(import(&t, 1, k01, "09FF01000031AA00000000", v, false), 0x6475);
  tc_close(&t);
}

static void test_update_info(void **state) {
  (void)state;
  tcard t;
  uint8_t k01[16], k02[16], rec[64];
  size_t len = 0;
  default_key(1, k01);
  default_key(2, k02);
  tc_open(&t, "kmc", NULL);
  assert_int_equal(update_info(&t, k01, "0106112233445566", false), 0x6982);
  login(&t, 2);
  /* the enterprise ID only under the operator key */
  assert_int_equal(update_info(&t, k02, "0106112233445566", false), 0x6982);
  assert_int_equal(update_info(&t, k02, "0203414243", false), 0x9000);
  assert_int_equal(cf_store_get(t.store, CF_STORE_KEY(1, 0x0202), rec, sizeof rec, &len), CF_STORE_OK);
  assert_int_equal(len, 3);
  assert_memory_equal(rec, "ABC", 3);
  assert_int_equal(update_info(&t, k01, "0106112233445566", false), 0x6988); /* 01 not authenticated */
  assert_int_equal(tc_ext_auth(&t, 1, k01), 0x9000);
  snapshot before;
  snap_take(t.store, &before);
  assert_int_equal(update_info(&t, k01, "0106112233445566", true), 0x6988);
  assert_int_equal(update_info(&t, k01, "01051122334455", false), 0x6C06);
  assert_int_equal(update_info(&t, k01, "0107112233445566", false), 0x6A80); /* length byte wrong */
  assert_int_equal(update_info(&t, k01, "0006112233445566", false), 0x6A80);
  snap_assert_same(t.store, &before);
  snap_free(&before);
  assert_int_equal(update_info(&t, k01, "0106112233445566", false), 0x9000);
  assert_int_equal(cf_store_get(t.store, CF_STORE_KEY(1, 0x0201), rec, sizeof rec, &len), CF_STORE_OK);
  assert_int_equal(len, 6);
  assert_memory_equal(rec, "\x11\x22\x33\x44\x55\x66", 6);
  /* no random, bad lengths */
  uint8_t data[16] = {0};
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 0, 0, data, 12), 0x6985);
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 0, 0, data, 11), 0x6700);
  assert_int_equal(tc_cmd(&t, 0x80, 0xD8, 0, 0, data, 13), 0x6700);
  tc_close(&t);
}

static void test_copy_export(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", "keys=010205060708");
  const char *cmd = "80C400000E 80D80002 010105 010106 0A0B0C0D";
  assert_int_equal(tc_hex(&t, cmd), 0x6982);
  login(&t, 2);
  /* docs worked example: terminal initial key under the working-card master key */
  assert_int_equal(tc_hex(&t, cmd), 0x9000);
  tc_expect_data(&t, "34E85F3444920140BB32AFB6616DAFD785581182B72A54CA52A311C326490870 1B1096B3");
  assert_int_equal(tc_hex(&t, "80C400010E 80D80002 010105 010106 0A0B0C0D"), 0x6982); /* export PIN */
  assert_int_equal(tc_verify_pin(&t, 3, "33333333"), 0x9000);
  assert_int_equal(tc_hex(&t, "80C400010E 00000000 000000 010106 00000000"), 0x9000);
  uint8_t k02[16], k06[16], a06[11], expect[36];
  default_key(2, k02);
  default_key(6, k06);
  hex2bin("060101000000AA00000000", a06, 11);
  assert_int_equal(cmcc_key_record_encrypt(k02, a06, k06, expect), 0);
  assert_int_equal(
      cmcc_command_mac(CMCC_MAC_919, k02, NULL, (const uint8_t *)"\0\0\0\0", expect, 32, expect + 32), 0);
  assert_int_equal(t.len, 36);
  assert_memory_equal(t.data, expect, 36);
  /* errors */
  assert_int_equal(tc_hex(&t, "80C400000E 80D60002 010105 010106 0A0B0C0D"), 0x6A80); /* not an Import Key */
  assert_int_equal(tc_hex(&t, "80C400000E 80D80003 010105 010106 0A0B0C0D"), 0x6A80);
  assert_int_equal(tc_hex(&t, "80C400000E 80D80001 010105 010106 0A0B0C0D"), 0x9000);
  assert_int_equal(tc_hex(&t, "80C400020E 80D80002 010105 010106 0A0B0C0D"), 0x6A86);
  assert_int_equal(tc_hex(&t, "80C401000E 80D80002 010105 010106 0A0B0C0D"), 0x6A86);
  assert_int_equal(tc_hex(&t, "80C400000D 80D80002 010105 010106 0A0B0C"), 0x6700);
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 010109 010106 0A0B0C0D"), 0x6476);
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 010105 020106 0A0B0C0D"), 0x6476);
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 010106 010107 0A0B0C0D"), 0x9408); /* export key 06 */
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 010105 010101 0A0B0C0D"), 0x9408); /* master key */
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 010105 010108 0A0B0C0D"), 0x6473); /* must diversify */
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 010105 010107 0A0B0C0D"), 0x9000);
  /* a counted export key: one use, then 6484 */
  uint8_t k01[16], v[16];
  default_key(1, k01);
  default_key(5, v);
  assert_int_equal(tc_ext_auth(&t, 1, k01), 0x9000);
  assert_int_equal(import(&t, 1, k01, "050201000000AA80000001", v, false), 0x9000);
  assert_int_equal(import(&t, 1, k01, "0702010000120000000000", v, false), 0x9000);
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 020105 010106 0A0B0C0D"), 0x9000);
  assert_int_equal(tc_hex(&t, "00B407000B"), 0x9000);
  tc_expect_data(&t, "050201000000AA80000000");
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 020105 010106 0A0B0C0D"), 0x6484);
  assert_int_equal(tc_hex(&t, "80C400000E 80D80002 010105 020107 0A0B0C0D"), 0x6484); /* status 00 */
  tc_close(&t);
}

static void test_inst_mac(void **state) {
  (void)state;
  tcard t;
  tc_open(&t, "kmc", "keys=01020809");
  uint8_t k09[16], serial[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[4] = {0x11, 0x22, 0x33, 0x44}, mk[16], expect[4];
  default_key(9, k09);
  const char *cmd00 = "8032000019 84820101 11223344 01 0102030405060708 010109 04 DEADBEEF";
  assert_int_equal(tc_hex(&t, cmd00), 0x6982);
  login(&t, 2);
  /* P1 00: 8-byte factor, session key, 9.19 */
  assert_int_equal(tc_hex(&t, cmd00), 0x9000);
  const uint8_t cipp[4] = {0x84, 0x82, 0x01, 0x01};
  assert_int_equal(cmcc_diversify8(k09, serial, mk), 0);
  assert_int_equal(cmcc_session_key(mk, r, mk), 0);
  assert_int_equal(
      cmcc_command_mac(CMCC_MAC_919, mk, r, cipp, (const uint8_t *)"\xDE\xAD\xBE\xEF", 4, expect), 0);
  assert_int_equal(t.len, 4);
  assert_memory_equal(t.data, expect, 4);
  /* P1 C0: no session key, 9.9 */
  assert_int_equal(tc_hex(&t, "80320C0019 84820101 11223344 01 0102030405060708 010109 04 DEADBEEF"), 0x6A86);
  assert_int_equal(tc_hex(&t, "8032C00019 84820101 11223344 01 0102030405060708 010109 04 DEADBEEF"), 0x9000);
  assert_int_equal(cmcc_diversify8(k09, serial, mk), 0);
  assert_int_equal(cmcc_command_mac(CMCC_MAC_99, mk, r, cipp, (const uint8_t *)"\xDE\xAD\xBE\xEF", 4, expect),
                   0);
  assert_memory_equal(t.data, expect, 4);
  /* P1 41: 16-byte factor, no session key (the spec's SAM example) */
  assert_int_equal(
      tc_hex(&t, "8032410021 84820101 11223344 01 0102030405060708F1F2F3F4F5F6F7F8 010109 04 DEADBEEF"),
      0x9000);
  uint8_t f16[16];
  hex2bin("0102030405060708F1F2F3F4F5F6F7F8", f16, 16);
  assert_int_equal(cmcc_diversify16(k09, f16, mk), 0);
  assert_int_equal(
      cmcc_command_mac(CMCC_MAC_919, mk, r, cipp, (const uint8_t *)"\xDE\xAD\xBE\xEF", 4, expect), 0);
  assert_memory_equal(t.data, expect, 4);
  /* errors */
  assert_int_equal(tc_hex(&t, "8032020019 84820101 11223344 01 0102030405060708 010109 04 DEADBEEF"), 0x6A86);
  assert_int_equal(tc_hex(&t, "8032000119 84820101 11223344 01 0102030405060708 010109 04 DEADBEEF"), 0x6A86);
  assert_int_equal(tc_hex(&t, "8032000018 84820101 11223344 01 0102030405060708 010109 04 DEADBE"), 0x6700);
  assert_int_equal(tc_hex(&t, "8032000019 84820101 11223344 01 0102030405060708 010209 04 DEADBEEF"), 0x6476);
  assert_int_equal(tc_hex(&t, "8032000019 84820101 11223344 01 0102030405060708 010102 04 DEADBEEF"), 0x6485);
  assert_int_equal(tc_hex(&t, "8032000011 84820101 11223344 00 010108 04 DEADBEEF"),
                   0x6485); /* 08: must div */
  assert_int_equal(tc_hex(&t, "8032000011 84820101 11223344 00 010109 04 DEADBEEF"), 0x9000);
  /* a key whose status is not AA: 6484 */
  assert_int_equal(tc_hex(&t, "80E1000011 01 000102030405060708090A0B0C0D0E0F"), 0x9000);
  assert_int_equal(tc_hex(&t, "80E200000B 090201000032BB00000000"), 0x9000);
  assert_int_equal(tc_hex(&t, "8032000011 84820101 11223344 00 020109 04 DEADBEEF"), 0x6484);
  tc_close(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generate),    cmocka_unit_test(test_import_key),
      cmocka_unit_test(test_update_info), cmocka_unit_test(test_copy_export),
      cmocka_unit_test(test_inst_mac),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
