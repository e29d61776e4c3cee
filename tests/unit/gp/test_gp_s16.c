/* SCP03 S16 mode (Amendment D v1.2: "i" b1; GlobalPlatformPro issue 362 and its -s16 option):
 * 16-byte challenges, cryptograms and MACs. The card's INITIALIZE UPDATE answer and the EXTERNAL
 * AUTHENTICATE it accepts are checked against values computed outside this code base (a Python
 * model of the Amendment D KDF on a general crypto library: pseudo-random challenge with counter
 * 000001 and the ISD AID, S-MAC, both cryptograms with L = 128, the full 16-byte C-MAC); the host
 * and the card then talk at every level; modes that do not match are refused. */
#include <stdio.h>

#include "gp_card_fixture.h"

#define S16_CARD "scp=03,i03=71,serial=01020304"
#define KDD "43464750010203040001"
#define HOST16 "00112233445566778899AABBCCDDEEFF"
#define CHALLENGE "6924434C956736C8EE6122E8A3FC612F"
#define CARD_CG "2BB5366DEFEFC9B63D92E5BEE9030846"
#define EXT_AUTH "8482010020345D1135830291D4341EE0A76BD0F1DC5D00AC9A785854836FD959A7267D9509"

static void test_handshake_matches_the_model(void **state) {
  (void)state;
  fixture *fx = fx_new(S16_CARD);
  uint8_t out[128];
  size_t len = 0;
  assert_int_equal(fx_raw(fx, "8050FF0010" HOST16 "00", out, sizeof out, &len), SW_OK);
  assert_hex(out, len, KDD "FF0371" CHALLENGE CARD_CG "000001");
  assert_int_equal(fx_raw(fx, EXT_AUTH, out, sizeof out, &len), SW_OK);
  assert_int_equal(len, 0);
  fx_free(fx);
}

static void test_every_level(void **state) {
  (void)state;
  static const uint8_t levels[] = {0x00, 0x01, 0x03, 0x11, 0x13, 0x33};
  for (size_t l = 0; l < sizeof levels; l++) {
    fixture *fx = fx_new(S16_CARD);
    cf_scp_keys k = fx_keys(0xFF, default_key, default_key, default_key, 16);
    cf_gp_open_opts o = {.level = levels[l], .s16 = true};
    assert_int_equal(cf_gp_open(&fx->c, &k, &o), CF_GP_OK);
    assert_int_equal(fx->c.scp.s_len, 16);
    uint8_t buf[256];
    size_t len = 0;
    /* a command with data and one without, both ways protected as the level says */
    static const uint8_t crit[2] = {0x4F, 0x00};
    assert_int_equal(fx_send(fx, 0x80, 0xF2, 0x80, 0x02, crit, 2, buf, sizeof buf, &len), SW_OK);
    assert_hex(buf, len, "E3134F08A0000001510000009F70010FC5039EFE80");
    assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x00, 0x66, NULL, 0, buf, sizeof buf, &len), SW_OK);
    assert_true(len > 20);
    assert_int_equal(fx_send(fx, 0x80, 0xCA, 0x12, 0x34, NULL, 0, NULL, 0, &len),
                     SW_REFERENCED_DATA_NOT_FOUND);
    assert_true(fx->c.open);
    fx_free(fx);
  }
}

/* An S8 host and an S16 card, or the other way round, never open a channel. */
static void test_modes_must_match(void **state) {
  (void)state;
  fixture *fx = fx_new(S16_CARD);
  cf_scp_keys k = fx_keys(0xFF, default_key, default_key, default_key, 16);
  cf_gp_open_opts s8 = {.level = 0x01}, s16 = {.level = 0x01, .s16 = true};
  assert_int_equal(cf_gp_open(&fx->c, &k, &s8), CF_GP_ERR_CARD);
  assert_int_equal(fx_raw(fx, "8050FF0008001122334455667700", NULL, 0, NULL), SW_WRONG_LENGTH);
  /* EXTERNAL AUTHENTICATE with an 8-byte cryptogram and MAC */
  assert_int_equal(fx_raw(fx, "8050FF0010" HOST16 "00", NULL, 0, NULL), SW_OK);
  assert_int_equal(fx_raw(fx, "8482010010345D1135830291D4341EE0A76BD0F1", NULL, 0, NULL), SW_WRONG_LENGTH);
  fx_free(fx);

  fx = fx_new("scp=03,i03=70");
  assert_int_equal(cf_gp_open(&fx->c, &k, &s16), CF_GP_ERR_CARD);
  assert_int_equal(fx_raw(fx, "8050FF0010" HOST16 "00", NULL, 0, NULL), SW_WRONG_LENGTH);
  assert_int_equal(cf_gp_open(&fx->c, &k, &s8), CF_GP_OK);
  fx_free(fx);

  /* SCP02 keys take 8 bytes whatever i03 says */
  fx = fx_new("scp=02,i03=71");
  assert_int_equal(fx_raw(fx, "8050FF0010" HOST16 "00", NULL, 0, NULL), SW_WRONG_LENGTH);
  cf_scp_keys d = fx_keys(0xFF, default_key, default_key, default_key, 16);
  assert_int_equal(cf_gp_open(&fx->c, &d, &s8), CF_GP_OK);
  fx_free(fx);
}

/* The card recognition data announces S16 in the SCP03 entry's i. */
static void test_announced(void **state) {
  (void)state;
  fixture *fx = fx_new(S16_CARD);
  uint8_t buf[128];
  size_t len = 0;
  assert_int_equal(fx_raw(fx, "80CA006600", buf, sizeof buf, &len), SW_OK);
  cf_gp_card_data cd;
  assert_int_equal(cf_gp_parse_card_data(buf, len, &cd), 0);
  bool found = false;
  for (size_t n = 0; n < cd.scp_count; n++)
    if (cd.scp[n] == 0x03) found = cd.scp_i[n] == 0x71;
  assert_true(found);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_matches_the_model),
      cmocka_unit_test(test_every_level),
      cmocka_unit_test(test_modes_must_match),
      cmocka_unit_test(test_announced),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
