/* The Security Domain card: SELECT, GET DATA, and the secure channel handshake and levels for
 * SCP02 and SCP03, driven through the host client and with raw APDUs for what a client would
 * never send. */
#include "gp_card_fixture.h"

static void test_select_and_get_data(void **state) {
  (void)state;
  fixture *fx = fx_new("serial=01020304");
  uint8_t buf[512];
  size_t len = 0;
  assert_int_equal(fx_raw(fx, "00A4040008A000000151000000", buf, sizeof buf, &len), SW_OK);
  assert_true(len > 20);
  assert_int_equal(buf[0], 0x6F);
  assert_hex(buf + 2, 10, "8408A000000151000000");
  assert_int_equal(fx_raw(fx, "00A4040000", buf, sizeof buf, &len), SW_OK); /* default selection */
  assert_int_equal(buf[0], 0x6F);
  assert_int_equal(fx_raw(fx, "00A4040C08A000000151000000", buf, sizeof buf, &len), SW_OK);
  assert_int_equal(len, 0);
  assert_int_equal(fx_raw(fx, "00A4040008A000000151000001", NULL, 0, NULL), SW_FILE_NOT_FOUND);

  assert_int_equal(fx_raw(fx, "80CA9F7F00", buf, sizeof buf, &len), SW_OK);
  assert_int_equal(len, 45);
  assert_hex(buf, 3, "9F7F2A");
  assert_hex(buf + 3 + 12, 4, "01020304");                          /* IC serial number */
  assert_int_equal(fx_raw(fx, "00CA9F7F00", NULL, 0, &len), SW_OK); /* ISO class too */

  assert_int_equal(fx_raw(fx, "80CA006600", buf, sizeof buf, &len), SW_OK);
  cf_gp_card_data cd;
  assert_int_equal(cf_gp_parse_card_data(buf, len, &cd), 0);
  assert_string_equal(cd.gp_version, "2.3.1");
  assert_int_equal(cd.scp_count, 2);
  assert_int_equal(cd.scp[0], 0x02);
  assert_int_equal(cd.scp_i[0], 0x55);
  assert_int_equal(cd.scp[1], 0x03);
  assert_int_equal(cd.scp_i[1], 0x70);

  assert_int_equal(fx_raw(fx, "80CA00E000", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "E012C00401FF8010C00402FF8010C00403FF8010");
  assert_int_equal(fx_raw(fx, "80CA004500", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len,
             "4508434647500102030"
             "4");
  assert_int_equal(fx_raw(fx, "80CA00CF00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "CF0A43464750010203040001");
  assert_int_equal(fx_raw(fx, "80CA00C100", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "C1020000");

  assert_int_equal(fx_raw(fx, "80CA00FE00", NULL, 0, NULL), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(fx_raw(fx, "80CA00E00100", NULL, 0, NULL), SW_WRONG_LENGTH);
  assert_int_equal(fx_raw(fx, "80FF000000", NULL, 0, NULL), SW_INS_NOT_SUPPORTED);
  assert_int_equal(fx_raw(fx, "A0CA00E000", NULL, 0, NULL), SW_CLA_NOT_SUPPORTED);
  assert_int_equal(fx_raw(fx, "00D8000000", NULL, 0, NULL), SW_CLA_NOT_SUPPORTED);
  fx_free(fx);
}

/* Opens at a level and proves the channel carries a command and its response both ways. */
static void open_and_use(fixture *fx, uint8_t kvn, const cf_scp_keys *k, uint8_t level) {
  char info[256];
  print_message("level %02X\n", level);
  assert_int_equal(fx_open(fx, kvn, k, level), CF_GP_OK);
  assert_true(fx->c.open);
  fx_key_info(fx, info, sizeof info);
  assert_true(strlen(info) > 0);
  assert_true(fx->c.open);
  /* and a second command, so the MAC chaining is exercised */
  uint8_t buf[64];
  size_t len;
  assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x9F, 0x7F, NULL, 0, buf, sizeof buf, &len), SW_OK);
  assert_int_equal(len, 45);
}

static void test_scp02_levels_and_counter(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  cf_scp_keys k = fx_keys(0xFF, default_key, default_key, default_key, 16);
  static const uint8_t levels[] = {0x00, 0x01, 0x03, 0x10, 0x11, 0x13};
  for (size_t i = 0; i < sizeof levels; i++)
    open_and_use(fx, 0xFF, &k, levels[i]);
  /* the counter rose once per authenticated session and survives a restart */
  uint8_t buf[64];
  size_t len;
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, "80CA00C100", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "C1020006");
  assert_int_equal(fx_raw(fx,
                          "8050FF000811223344556677880"
                          "0",
                          buf, sizeof buf, &len),
                   SW_OK);
  assert_int_equal(len, 28);
  assert_hex(buf + 10, 4, "FF020006");
  /* KVN 00 = the default set */
  assert_int_equal(fx_open(fx, 0x00, &k, 0x01), CF_GP_OK);
  assert_int_equal(fx->c.kvn, 0xFF);
  /* the host refuses R-ENC for SCP02 before sending anything */
  assert_int_equal(fx_open(fx, 0xFF, &k, 0x33), CF_GP_ERR_PARAM);
  fx_free(fx);
}

static void test_scp03_levels(void **state) {
  (void)state;
  static const char *params[3] = {
      "scp=03,kvn=30", "scp=03,kvn=31,key=404142434445464748494A4B4C4D4E4F4041424344454647",
      "scp=03,kvn=32,key=404142434445464748494A4B4C4D4E4F404142434445464748494A4B4C4D4E4F"};
  static const uint8_t levels[] = {0x00, 0x01, 0x03, 0x11, 0x13, 0x33};
  uint8_t long_key[32];
  memcpy(long_key, default_key, 16);
  memcpy(long_key + 16, default_key, 16);
  for (int p = 0; p < 3; p++) {
    fixture *fx = fx_new(params[p]);
    size_t klen = 16 + 8 * (size_t)p;
    cf_scp_keys k = fx_keys((uint8_t)(0x30 + p), long_key, long_key, long_key, klen);
    for (size_t i = 0; i < sizeof levels; i++)
      open_and_use(fx, (uint8_t)(0x30 + p), &k, levels[i]);
    fx_free(fx);
  }
}

/* SCP03 with a pseudo-random challenge: the challenge is KDF(ENC, counter || AID) and the counter
 * rises at each INITIALIZE UPDATE, persistently. */
static void test_scp03_pseudo_random_challenge(void **state) {
  (void)state;
  static const uint8_t aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
  fixture *fx = fx_new("scp=03,kvn=30");
  uint8_t buf[64], chal[8];
  size_t len;
  for (uint32_t n = 1; n <= 3; n++) {
    assert_int_equal(fx_raw(fx,
                            "805030000801020304050607080"
                            "0",
                            buf, sizeof buf, &len),
                     SW_OK);
    assert_int_equal(len, 32);
    assert_hex(buf + 10, 3, "300370");
    assert_int_equal(cf_scp03_pseudo_challenge(default_key, 16, n, aid, 8, chal, 8), 0);
    assert_memory_equal(buf + 13, chal, 8);
    assert_int_equal(buf[31], n);
  }
  fx_restart(fx);
  assert_int_equal(fx_raw(fx,
                          "805030000801020304050607080"
                          "0",
                          buf, sizeof buf, &len),
                   SW_OK);
  assert_int_equal(buf[31], 4);
  assert_int_equal(fx_raw(fx, "80CA00C100", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "C103000004");
  fx_free(fx);
}

/* "i" without R-MAC / R-ENC: the card refuses those levels; i=00 has a random challenge and no
 * counter in its answer. */
static void test_scp03_i_options(void **state) {
  (void)state;
  struct {
    const char *params;
    uint8_t ok[6], bad[6];
    size_t nok, nbad;
  } cases[] = {
      {"scp=03,kvn=30,i03=00", {0x01, 0x03}, {0x11, 0x13, 0x33}, 2, 3},
      {"scp=03,kvn=30,i03=10", {0x01, 0x03}, {0x11, 0x33}, 2, 2},
      {"scp=03,kvn=30,i03=30", {0x11, 0x13}, {0x33}, 2, 1},
  };
  for (size_t c = 0; c < 3; c++) {
    fixture *fx = fx_new(cases[c].params);
    cf_scp_keys k = fx_keys(0x30, default_key, default_key, default_key, 16);
    for (size_t i = 0; i < cases[c].nok; i++)
      open_and_use(fx, 0x30, &k, cases[c].ok[i]);
    for (size_t i = 0; i < cases[c].nbad; i++) {
      /* the host checks "i" itself; so craft EXTERNAL AUTHENTICATE by hand */
      uint8_t host[8] = {1, 2, 3, 4, 5, 6, 7, 8}, resp[64], card_cg[8], host_cg[8], buf[64];
      size_t len;
      assert_int_equal(fx_raw(fx,
                              "805030000801020304050607080"
                              "0",
                              resp, sizeof resp, &len),
                       SW_OK);
      assert_int_equal(len, (resp[12] & 0x10) ? 32 : 29);
      cf_scp_session s;
      assert_int_equal(cf_scp03_session_init(&s, &k, host, resp + 13, resp[12]), 0);
      assert_int_equal(cf_scp03_cryptograms(&s, host, resp + 13, card_cg, host_cg), 0);
      assert_memory_equal(card_cg, resp + 21, 8);
      cf_apdu ea = {.cla = 0x80, .ins = 0x82, .p1 = cases[c].bad[i], .data = host_cg, .lc = 8}, w;
      s.level = CF_SCP_C_MAC;
      assert_int_equal(cf_scp_wrap_command(&s, &ea, buf, sizeof buf, &w), 0);
      uint8_t raw[64], out[16];
      size_t rn = cf_apdu_encode(&w, false, raw, sizeof raw);
      size_t on = cf_card_transmit(fx->card, raw, rn, out, sizeof out);
      assert_int_equal(cf_be16(out + on - 2), SW_INCORRECT_P1P2);
    }
    fx_free(fx);
  }
}

/* EXTERNAL AUTHENTICATE failures: bad MAC 6982, bad cryptogram 6300, out of order 6985. */
static void test_external_authenticate_errors(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  cf_scp_keys k = fx_keys(0xFF, default_key, default_key, default_key, 16);
  uint8_t host[8] = {8, 7, 6, 5, 4, 3, 2, 1}, resp[64], card_cg[8], host_cg[8], buf[64], raw[64], out[16];
  size_t len;
  for (int variant = 0; variant < 2; variant++) {
    assert_int_equal(fx_raw(fx,
                            "8050FF00080807060504030201"
                            "00",
                            resp, sizeof resp, &len),
                     SW_OK);
    uint16_t counter = cf_be16(resp + 12);
    cf_scp_session s;
    assert_int_equal(cf_scp02_session_init(&s, &k, counter, 0x55), 0);
    assert_int_equal(cf_scp02_cryptograms(&s, host, counter, resp + 14, card_cg, host_cg), 0);
    assert_memory_equal(card_cg, resp + 20, 8);
    if (variant == 1) host_cg[0] ^= 0xFF; /* right MAC key, wrong cryptogram */
    cf_apdu ea = {.cla = 0x80, .ins = 0x82, .p1 = 0x01, .data = host_cg, .lc = 8}, w;
    s.level = CF_SCP_C_MAC;
    assert_int_equal(cf_scp_wrap_command(&s, &ea, buf, sizeof buf, &w), 0);
    size_t rn = cf_apdu_encode(&w, false, raw, sizeof raw);
    if (variant == 0) raw[rn - 1] ^= 0x01; /* corrupt the C-MAC */
    size_t on = cf_card_transmit(fx->card, raw, rn, out, sizeof out);
    assert_int_equal(cf_be16(out + on - 2), variant == 0 ? SW_SECURITY_STATUS_NOT_SATISFIED : 0x6300);
    /* the attempt is spent either way */
    on = cf_card_transmit(fx->card, raw, rn, out, sizeof out);
    assert_int_equal(cf_be16(out + on - 2), SW_CONDITIONS_NOT_SATISFIED);
  }
  /* a verified C-MAC counted: the counter rose once (after the wrong-cryptogram attempt) */
  assert_int_equal(fx_raw(fx, "80CA00C100", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "C1020001");
  /* wrong keys: the host sees the card cryptogram fail */
  uint8_t wrong[16];
  memset(wrong, 0x11, 16);
  cf_scp_keys bad = fx_keys(0xFF, wrong, wrong, wrong, 16);
  assert_int_equal(fx_open(fx, 0xFF, &bad, 0x01), CF_GP_ERR_VERIFY);
  /* INITIALIZE UPDATE checks */
  assert_int_equal(fx_raw(fx,
                          "8050FF010801020304050607080"
                          "0",
                          NULL, 0, NULL),
                   SW_INCORRECT_P1P2);
  assert_int_equal(fx_raw(fx,
                          "8050FF0007010203040506070"
                          "0",
                          NULL, 0, NULL),
                   SW_WRONG_LENGTH);
  assert_int_equal(fx_raw(fx,
                          "80507000080102030405060708"
                          "00",
                          NULL, 0, NULL),
                   SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(fx_raw(fx,
                          "8450FF00080102030405060708"
                          "00",
                          NULL, 0, NULL),
                   SW_CLA_NOT_SUPPORTED);
  assert_int_equal(fx_raw(fx,
                          "8482010010000000000000000000000000000000"
                          "00",
                          NULL, 0, NULL),
                   SW_CONDITIONS_NOT_SATISFIED);
  fx_free(fx);
}

/* Inside a C-MAC session: an unprotected or tampered command is refused and ends the session;
 * SELECT ends it too. */
static void test_session_rules(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  uint8_t buf[512];
  size_t len;
  assert_int_equal(fx_open_default(fx, 0x01), CF_GP_OK);
  assert_int_equal(fx_raw(fx, "80CA00E000", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  /* the session is gone: the client's next protected command is refused */
  assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x00, 0xE0, NULL, 0, buf, sizeof buf, &len),
                   SW_SECURITY_STATUS_NOT_SATISFIED);
  assert_false(fx->c.open);

  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  assert_int_equal(fx_raw(fx,
                          "84CA00E0080102030405060708"
                          "00",
                          NULL, 0, NULL),
                   SW_SECURITY_STATUS_NOT_SATISFIED);
  assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x00, 0xE0, NULL, 0, buf, sizeof buf, &len),
                   SW_SECURITY_STATUS_NOT_SATISFIED);

  assert_int_equal(fx_open_default(fx, 0x01), CF_GP_OK);
  assert_int_equal(fx_raw(fx, "00A4040008A000000151000000", buf, sizeof buf, &len), SW_OK);
  assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x00, 0xE0, NULL, 0, buf, sizeof buf, &len),
                   SW_SECURITY_STATUS_NOT_SATISFIED);
  /* a protected command without any session */
  assert_int_equal(fx_raw(fx,
                          "84CA00E0080102030405060708"
                          "00",
                          NULL, 0, NULL),
                   SW_SECURITY_STATUS_NOT_SATISFIED);
  /* a power cycle ends it as well */
  assert_int_equal(fx_open_default(fx, 0x01), CF_GP_OK);
  cf_card_power_on(fx->card);
  assert_int_equal(fx_raw(fx, "00A4040008A000000151000000", buf, sizeof buf, &len), SW_OK);
  assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x00, 0xE0, NULL, 0, buf, sizeof buf, &len),
                   SW_SECURITY_STATUS_NOT_SATISFIED);
  fx_free(fx);
}

static void test_bad_params(void **state) {
  (void)state;
  static const char *bad[] = {
      "scp=04", "kvn=00",   "kvn=zz",    "i02=05",
      "i03=20", "key=0102", "serial=01", "scp=02,key=404142434445464748494A4B4C4D4E4F4041424344454647"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cf_store *st;
    assert_int_equal(cf_store_open_memory(&st), CF_STORE_OK);
    print_message("%s\n", bad[i]);
    assert_null(gp_profile.create(st, bad[i]));
    cf_store_close(st);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_select_and_get_data), cmocka_unit_test(test_scp02_levels_and_counter),
      cmocka_unit_test(test_scp03_levels),        cmocka_unit_test(test_scp03_pseudo_random_challenge),
      cmocka_unit_test(test_scp03_i_options),     cmocka_unit_test(test_external_authenticate_errors),
      cmocka_unit_test(test_session_rules),       cmocka_unit_test(test_bad_params),
  };
  return cmocka_run_group_tests_name("gp_channel", tests, NULL, NULL);
}
