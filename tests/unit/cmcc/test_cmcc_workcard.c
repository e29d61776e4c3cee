/* The working master card (spec chapter 3) and the terminal: working-card making (4.1.6) and
 * terminal key writing with MAC1..MAC4 (4.1.7). */
#include "cmcc_test_util.h"

#include <string.h>

static void select_workcard(tcard *wc, uint8_t w[4]) {
  assert_int_equal(tc_hex(wc, "F0A4040008D156000101800002 00"), 0x9000);
  assert_int_equal(wc->len, 0x39);
  memcpy(w, wc->data + wc->len - 4, 4);
}

/* 4.1.6: the KMC copies the terminal keys into a working card. */
static void make_workcard(tcard *wc) {
  tcard kmc;
  uint8_t k02[16], k05[16], r[4], cmd[14];
  default_key(2, k02);
  default_key(5, k05);
  tc_open(&kmc, "kmc", "keys=0102050607");
  assert_int_equal(tc_verify_pin(&kmc, 2, "22222222"), 0x9000);
  assert_int_equal(tc_ext_auth(&kmc, 2, k02), 0x9000);
  assert_int_equal(tc_verify_pin(wc, 2, "22222222"), 0x9000);
  assert_int_equal(tc_ext_auth(wc, 2, k05), 0x9000);
  for (uint8_t type = 6; type <= 7; type++) {
    tc_challenge(wc, 0xF0, r);
    hex2bin("80D80002 010105 010100", cmd, 10);
    cmd[9] = type;
    memcpy(cmd + 10, r, 4);
    assert_int_equal(tc_cmd(&kmc, 0x80, 0xC4, 0x00, 0x00, cmd, 14), 0x9000);
    assert_int_equal(kmc.len, 36);
    assert_int_equal(tc_cmd(wc, 0x80, 0xD8, 0x00, 0x02, kmc.data, 36), 0x9000);
  }
  tc_close(&kmc);
}

static void test_workcard_making(void **state) {
  (void)state;
  tcard wc;
  tc_open(&wc, "workcard", NULL);
  assert_int_equal(tc_hex(&wc, "00B403000B"), 0x6B00);
  make_workcard(&wc);
  assert_int_equal(tc_hex(&wc, "00B403000B"), 0x9000);
  tc_expect_data(&wc, "060101000000AA00000000");
  assert_int_equal(tc_hex(&wc, "00B404000B"), 0x9000);
  tc_expect_data(&wc, "070101000012AA00000000");
  tc_close(&wc);

  /* level rules on the working card: P2 01 under 04 for 04/05 only */
  uint8_t k04[16], k05[16], v[16], r[4], data[36], a[11];
  default_key(4, k04);
  default_key(5, k05);
  memset(v, 0x3C, 16);
  tc_open(&wc, "workcard", NULL);
  assert_int_equal(tc_verify_pin(&wc, 2, "22222222"), 0x9000);
  assert_int_equal(tc_ext_auth(&wc, 1, k04), 0x9000);
  const uint8_t cipp1[4] = {0x80, 0xD8, 0x00, 0x01};
  const char *cases[][2] = {{"050201000000AA00000000", "9000"}, {"070201000012AA00000000", "6982"}};
  for (int i = 0; i < 2; i++) {
    hex2bin(cases[i][0], a, 11);
    tc_challenge(&wc, 0xF0, r);
    assert_int_equal(cmcc_key_record_encrypt(k04, a, v, data), 0);
    assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k04, r, cipp1, data, 32, data + 32), 0);
    assert_int_equal(tc_cmd(&wc, 0x80, 0xD8, 0x00, 0x01, data, 36), i == 0 ? 0x9000 : 0x6982);
  }
  /* P2 02 needs the working-card master key's authentication (now version 02 = 3C..3C) */
  tc_challenge(&wc, 0xF0, r);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xD8, 0x00, 0x02, data, 36), 0x6982);
  assert_int_equal(tc_ext_auth(&wc, 2, k05), 0x6304); /* the newest version answers */
  assert_int_equal(tc_ext_auth(&wc, 2, v), 0x9000);
  tc_close(&wc);
}

/* 4.1.7 through the terminal: returns the terminal's Export Key data for sub-application idx. */
static void test_terminal_key_writing(void **state) {
  (void)state;
  tcard wc, term;
  tc_open(&wc, "workcard", NULL);
  tc_open(&term, "terminal", NULL);
  make_workcard(&wc);
  cf_card_power_on(wc.card); /* the working card moves to the terminal: no PIN, no authentication */
  uint8_t w[4], cmd[32];
  select_workcard(&wc, w);
  memcpy(cmd, w, 4);
  cmd[4] = 0x01, cmd[5] = 0x01;
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, cmd, 6), 0x9000);
  assert_int_equal(term.len, 19);
  assert_memory_equal(term.data + 4, "\x01\x01\x80\x00\x00\x00\x00\x00\x02\x01\x01", 11);
  uint8_t ek[19];
  memcpy(ek, term.data, 19);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek, 19), 0x9000);
  assert_int_equal(wc.len, 1 + 24 + 4);
  /* the response checked independently: cipher under the terminal initial key, MAC2 with T1 */
  uint8_t tik[16], iv[8], mac[4], plain[32];
  size_t plen = 0;
  default_key(6, tik);
  cmcc_mac_iv(ek, iv);
  assert_int_equal(cmcc_mac(CMCC_MAC_919, tik, iv, wc.data, 25, mac), 0);
  assert_memory_equal(mac, wc.data + 25, 4);
  assert_int_equal(cmcc_decrypt(tik, wc.data + 1, 24, plain, sizeof plain, &plen), 0);
  assert_int_equal(plen, 18);
  uint8_t sub[16];
  hex2bin("62F37BED9AB4839424110A2A69FD2BD4", sub, 16); /* worked example */
  assert_memory_equal(plain, "\x01\x01", 2);
  assert_memory_equal(plain + 2, sub, 16);
  uint8_t resp[29];
  memcpy(resp, wc.data, 29);
  resp[27] ^= 1;
  assert_int_equal(tc_cmd(&term, 0x80, 0x52, 0x00, 0x00, resp, 29), 0x6988);
  resp[27] ^= 1;
  assert_int_equal(tc_cmd(&term, 0x80, 0x52, 0x00, 0x00, resp, 29), 0x9000);
  assert_int_equal(tc_cmd(&term, 0x80, 0x52, 0x00, 0x00, resp, 29), 0x6985); /* exchange over */
  /* Export Data */
  assert_int_equal(tc_hex(&term, "8054000008"), 0x9000);
  assert_int_equal(term.len, 8);
  uint8_t ed[8];
  memcpy(ed, term.data, 8);
  ed[7] ^= 1;
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ed, 8), 0x6982); /* MAC3 */
  ed[7] ^= 1;
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ed, 8), 0x9000);
  assert_int_equal(wc.len, 10);
  assert_memory_equal(wc.data, "\x11\x22\x33\x44\x55\x66", 6);
  uint8_t eidm[10];
  memcpy(eidm, wc.data, 10);
  eidm[0] ^= 1;
  assert_int_equal(tc_cmd(&term, 0x80, 0x56, 0x00, 0x00, eidm, 10), 0x6988);
  eidm[0] ^= 1;
  assert_int_equal(tc_cmd(&term, 0x80, 0x56, 0x00, 0x00, eidm, 10), 0x9000);
  assert_int_equal(tc_hex(&term, "00B0000000"), 0x9000);
  tc_expect_data(&term, "112233445566 01 0101");
  /* the stored key works */
  uint8_t expect[8];
  assert_int_equal(tc_hex(&term, "0088010008 0001020304050607"), 0x9000);
  assert_int_equal(cf_des3_ecb_encrypt(sub, 16, (const uint8_t *)"\0\1\2\3\4\5\6\7", expect, 8), 0);
  assert_memory_equal(term.data, expect, 8);

  /* VERIFY MAC with a MAC from the KMC's Inst_MAC Generate (P1 40): terminal application key 07
   * diversified by the same factor, no session key */
  tcard kmc;
  uint8_t k02[16], r[4], im[48], vm[20];
  default_key(2, k02);
  tc_open(&kmc, "kmc", "keys=010207");
  assert_int_equal(tc_verify_pin(&kmc, 2, "22222222"), 0x9000);
  assert_int_equal(tc_ext_auth(&kmc, 2, k02), 0x9000);
  tc_challenge(&term, 0x00, r);
  size_t n = hex2bin("84820100", im, 4);
  memcpy(im + n, r, 4);
  n += 4;
  n += hex2bin("01 0101800000000000 010107 02 5A5A", im + n, sizeof im - n);
  assert_int_equal(tc_cmd(&kmc, 0x80, 0x32, 0x40, 0x00, im, n), 0x9000);
  vm[0] = 0x5A, vm[1] = 0x5A;
  memcpy(vm + 2, kmc.data, 4);
  assert_int_equal(tc_cmd(&term, 0x84, 0x82, 0x01, 0x00, vm, 6), 0x9000);
  assert_int_equal(tc_cmd(&term, 0x84, 0x82, 0x01, 0x00, vm, 6), 0x6985); /* random used */
  tc_challenge(&term, 0x00, r);
  assert_int_equal(tc_cmd(&term, 0x84, 0x82, 0x01, 0x00, vm, 6), 0x6988);
  tc_close(&kmc);

  /* a second sub-application for the same terminal, and the state survives a reopen */
  select_workcard(&wc, w);
  memcpy(cmd, w, 4);
  cmd[4] = 0x02, cmd[5] = 0x05;
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, cmd, 6), 0x9000);
  memcpy(ek, term.data, 19);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek, 19), 0x9000);
  assert_int_equal(tc_cmd(&term, 0x80, 0x52, 0x00, 0x00, wc.data, wc.len), 0x9000);
  tc_reboot(&term, "terminal", NULL);
  assert_int_equal(tc_hex(&term, "00B0000000"), 0x9000);
  tc_expect_data(&term, "112233445566 02 0101 0205");
  tc_close(&wc);
  tc_close(&term);
}

static void test_workcard_export_status_words(void **state) {
  (void)state;
  tcard wc, term;
  uint8_t w[4], cmd[64];
  tc_open(&wc, "workcard", NULL);
  tc_open(&term, "terminal", NULL);
  select_workcard(&wc, w);
  memcpy(cmd, w, 4);
  cmd[4] = 1, cmd[5] = 1;
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, cmd, 6), 0x9000);
  uint8_t ek[19];
  memcpy(ek, term.data, 19);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek, 19), 0x6476); /* no terminal keys yet */
  make_workcard(&wc);
  select_workcard(&wc, w);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek, 19), 0x6982); /* MAC1 was for the old random */
  memcpy(cmd, w, 4);
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, cmd, 6), 0x9000);
  memcpy(ek, term.data, 19);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x01, 0x00, ek, 19), 0x6A86);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek, 18), 0x6700);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek, 16), 0x6700);
  ek[12] = 0x21;
  memset(cmd, 0, sizeof cmd);
  memcpy(cmd, ek, 13);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, cmd, 17 + 0x21), 0x6A80);
  ek[12] = 0x02;
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek + 4, 8), 0x6982); /* Export Data first */
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, ek, 19), 0x9000);
  /* a new SELECT forgets the exported key */
  select_workcard(&wc, w);
  assert_int_equal(tc_hex(&term, "8054000008"), 0x6985);
  tc_close(&wc);
  tc_close(&term);

  /* terminal application key that refuses diversification: 6473 */
  tc_open(&wc, "workcard", "keys=040506,k07=707172737475767778797A7B7C7D7E7F");
  uint8_t k05[16], r[4], data[36], a[11], k07[16];
  default_key(5, k05);
  default_key(7, k07);
  assert_int_equal(tc_verify_pin(&wc, 2, "22222222"), 0x9000);
  assert_int_equal(tc_ext_auth(&wc, 2, k05), 0x9000);
  hex2bin("070201000000AA00000000", a, 11);
  tc_challenge(&wc, 0xF0, r);
  const uint8_t cipp2[4] = {0x80, 0xD8, 0x00, 0x02};
  assert_int_equal(cmcc_key_record_encrypt(k05, a, k07, data), 0);
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k05, r, cipp2, data, 32, data + 32), 0);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xD8, 0x00, 0x02, data, 36), 0x9000);
  select_workcard(&wc, w);
  tc_open(&term, "terminal", NULL);
  memcpy(cmd, w, 4);
  cmd[4] = 1, cmd[5] = 1;
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, cmd, 6), 0x9000);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, term.data, 19), 0x6473);
  /* a terminal initial key whose status is not AA: 6484 (same value, so MAC1 still verifies) */
  uint8_t k06[16];
  default_key(6, k06);
  hex2bin("070301000012AA00000000", a, 11); /* first a usable application key again */
  tc_challenge(&wc, 0xF0, r);
  assert_int_equal(cmcc_key_record_encrypt(k05, a, k07, data), 0);
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k05, r, cipp2, data, 32, data + 32), 0);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xD8, 0x00, 0x02, data, 36), 0x9000);
  hex2bin("060201000000BB00000000", a, 11);
  tc_challenge(&wc, 0xF0, r);
  assert_int_equal(cmcc_key_record_encrypt(k05, a, k06, data), 0);
  assert_int_equal(cmcc_command_mac(CMCC_MAC_919, k05, r, cipp2, data, 32, data + 32), 0);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xD8, 0x00, 0x02, data, 36), 0x9000);
  select_workcard(&wc, w);
  memcpy(cmd, w, 4);
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, cmd, 6), 0x9000);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, term.data, 19), 0x6484);
  tc_close(&term);
  /* Update Info: the enterprise ID under 04 only; Export Data then answers the new one */
  uint8_t k04[16], plain[8], ct[16], mac[4];
  size_t clen = 0;
  default_key(4, k04);
  hex2bin("0106 0A0B0C0D0E0F", plain, 8);
  const uint8_t cipp0[4] = {0x80, 0xD8, 0x00, 0x00};
  tc_challenge(&wc, 0xF0, r);
  assert_int_equal(cmcc_wrap(k05, CMCC_MAC_919, r, cipp0, plain, 8, ct, 16, &clen, mac), 0);
  memcpy(data, ct, 16);
  memcpy(data + 16, mac, 4);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xD8, 0x00, 0x00, data, 20), 0x6982);
  assert_int_equal(tc_ext_auth(&wc, 1, k04), 0x9000);
  tc_challenge(&wc, 0xF0, r);
  assert_int_equal(cmcc_wrap(k04, CMCC_MAC_919, r, cipp0, plain, 8, ct, 16, &clen, mac), 0);
  memcpy(data, ct, 16);
  memcpy(data + 16, mac, 4);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xD8, 0x00, 0x00, data, 20), 0x9000);
  tc_close(&wc);
}

static void test_terminal_status_words(void **state) {
  (void)state;
  tcard term;
  tc_open(&term, "terminal", "tik=000102030405060708090A0B0C0D0E0F");
  uint8_t z[40] = {0};
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, z, 5), 0x6700);
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, z, 6), 0x6A80); /* index 00 */
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x01, 0x00, z, 6), 0x6A86);
  z[0] = 24;
  assert_int_equal(tc_cmd(&term, 0x80, 0x52, 0x00, 0x00, z, 29), 0x6985);
  assert_int_equal(tc_cmd(&term, 0x80, 0x52, 0x00, 0x00, z, 28), 0x6700);
  assert_int_equal(tc_hex(&term, "8054000008"), 0x6985);
  assert_int_equal(tc_cmd(&term, 0x80, 0x56, 0x00, 0x00, z, 10), 0x6985);
  assert_int_equal(tc_cmd(&term, 0x80, 0x56, 0x00, 0x00, z, 9), 0x6700);
  assert_int_equal(tc_hex(&term, "0088010008 0001020304050607"), 0x6A88);
  assert_int_equal(tc_hex(&term, "0088000008 0001020304050607"), 0x6A86);
  assert_int_equal(tc_hex(&term, "00B0000000"), 0x9000);
  tc_expect_data(&term, "000000000000 00");
  assert_int_equal(tc_hex(&term, "0050000000"), 0x6E00);
  assert_int_equal(tc_hex(&term, "8099000000"), 0x6D00);
  assert_int_equal(tc_hex(&term, "8499000000"), 0x6D00);
  assert_int_equal(tc_hex(&term, "8482010004 00000000"), 0x6985);
  assert_int_equal(tc_hex(&term, "0084000004"), 0x9000);
  assert_int_equal(tc_hex(&term, "8482010004 00000000"), 0x6A88);
  /* a wrong initial key: the working card refuses MAC1 */
  tcard wc;
  uint8_t w[4];
  tc_open(&wc, "workcard", NULL);
  make_workcard(&wc);
  select_workcard(&wc, w);
  memcpy(z, w, 4);
  z[4] = 1, z[5] = 1;
  assert_int_equal(tc_cmd(&term, 0x80, 0x50, 0x00, 0x00, z, 6), 0x9000);
  assert_int_equal(tc_cmd(&wc, 0x80, 0xC0, 0x00, 0x00, term.data, 19), 0x6982);
  tc_close(&wc);
  tc_close(&term);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_workcard_making),
      cmocka_unit_test(test_terminal_key_writing),
      cmocka_unit_test(test_workcard_export_status_words),
      cmocka_unit_test(test_terminal_status_words),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
