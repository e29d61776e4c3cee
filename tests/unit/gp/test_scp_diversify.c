/* Card key diversification (scp/scp_diversify.c) against GlobalPlatformPro's published check
 * values: martinpaljak/GlobalPlatformPro, library/src/test/java/pro/javacard/gp/test/
 * TestPlaintextKeys.java (master 404142..4F / ..57 / ..5F, KDD 00010203040506070809, and an
 * external KDF3 vector with its derived ENC key). The derived keys' check values are compared, as
 * that test does. */
#include "gp_test_util.h"
#include "cardforge/crypto.h"
#include "cardforge/scp.h"

#define MASTER32 "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F"
#define KDD "00010203040506070809"

static void check(int method, size_t klen, const char *master_hex, const char *kdd_hex, const char *kcv_enc,
                  const char *kcv_mac, const char *kcv_dek) {
  uint8_t master[32], kdd[10], key[32], kcv[3];
  hx(master_hex, master, sizeof master);
  assert_int_equal(hx(kdd_hex, kdd, sizeof kdd), 10);
  const char *want[3] = {kcv_enc, kcv_mac, kcv_dek};
  uint8_t type = method == CF_SCP_DIV_KDF3 ? CF_GP_KEY_AES : CF_GP_KEY_DES;
  for (uint8_t id = 1; id <= 3; id++) {
    assert_int_equal(cf_scp_diversify_key(method, master, klen, id, kdd, key), 0);
    assert_int_equal(cf_scp_kcv(type, key, klen, kcv), 0);
    assert_hex(kcv, 3, want[id - 1]);
  }
  /* the set form gives the same keys, each from its own master */
  cf_scp_keys m = {.kvn = 0x21, .klen = klen}, d;
  memcpy(m.enc, master, klen), memcpy(m.mac, master, klen), memcpy(m.dek, master, klen);
  assert_int_equal(cf_scp_diversify_keys(method, &m, kdd, &d), 0);
  assert_int_equal(d.kvn, 0x21);
  assert_int_equal(d.klen, klen);
  assert_int_equal(cf_scp_kcv(type, d.mac, klen, kcv), 0);
  assert_hex(kcv, 3, kcv_mac);
}

static void test_emv(void **state) {
  (void)state;
  check(CF_SCP_DIV_EMV, 16, MASTER32, KDD, "C33013", "6F4CA6", "BB8179");
}

static void test_visa2(void **state) {
  (void)state;
  check(CF_SCP_DIV_VISA2, 16, MASTER32, KDD, "2BE598", "58DA38", "3C328E");
}

static void test_kdf3(void **state) {
  (void)state;
  check(CF_SCP_DIV_KDF3, 16, MASTER32, KDD, "E79C05", "D1BD77", "3FDE8C");
  check(CF_SCP_DIV_KDF3, 24, MASTER32, KDD, "1DE8EA", "47C00C", "C04D76");
  check(CF_SCP_DIV_KDF3, 32, MASTER32, KDD, "2972D2", "036F94", "5D57B8");
}

/* The external KDF3 vector: the derived ENC key itself. */
static void test_kdf3_external(void **state) {
  (void)state;
  uint8_t master[32], kdd[10], key[32];
  hx("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD", master, sizeof master);
  hx("D9B1DE5D0362DEDCE4FB", kdd, sizeof kdd);
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_KDF3, master, 32, 1, kdd, key), 0);
  assert_hex(key, 32, "9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781");
}

/* A different KDD gives a different key; wrong lengths and unknown methods are refused. */
static void test_refusals(void **state) {
  (void)state;
  uint8_t master[32], kdd[10], a[32], b[32];
  hx(MASTER32, master, sizeof master);
  hx(KDD, kdd, sizeof kdd);
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_EMV, master, 16, 1, kdd, a), 0);
  kdd[9] ^= 1;
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_EMV, master, 16, 1, kdd, b), 0);
  assert_memory_not_equal(a, b, 16);
  /* VISA2 does not use KDD bytes 8 and 9, EMV does not use 0..3 */
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_VISA2, master, 16, 1, kdd, a), 0);
  kdd[9] ^= 1;
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_VISA2, master, 16, 1, kdd, b), 0);
  assert_memory_equal(a, b, 16);
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_EMV, master, 24, 1, kdd, a), -1);
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_VISA2, master, 32, 1, kdd, a), -1);
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_KDF3, master, 8, 1, kdd, a), -1);
  assert_int_equal(cf_scp_diversify_key(CF_SCP_DIV_NONE, master, 16, 1, kdd, a), -1);
  assert_int_equal(cf_scp_diversify_key(7, master, 16, 1, kdd, a), -1);
  assert_int_equal(cf_scp_diversify_parse("emv"), CF_SCP_DIV_EMV);
  assert_int_equal(cf_scp_diversify_parse("visa2"), CF_SCP_DIV_VISA2);
  assert_int_equal(cf_scp_diversify_parse("kdf3"), CF_SCP_DIV_KDF3);
  assert_int_equal(cf_scp_diversify_parse("visa"), -1);
  assert_int_equal(cf_scp_diversify_parse("EMV"), -1);
  assert_string_equal(cf_scp_diversify_name(CF_SCP_DIV_KDF3), "kdf3");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_emv),           cmocka_unit_test(test_visa2),    cmocka_unit_test(test_kdf3),
      cmocka_unit_test(test_kdf3_external), cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
