/* GET STATUS (GP 2.3.1 11.4) on the Security Domain card: each subset and format, the search
 * criteria, "next occurrence", every error word and the order of checks; the host parser for both
 * formats (layouts of GP 2.3.1 tables 11-34 to 11-39) and `cardforge gp list`. */
#include <stdio.h>
#include <unistd.h>

#include "gp_card_fixture.h"
#include "gp_cli_run.h"
#include "cardforge/cli.h"

#define ISD_TLV "E3134F08A0000001510000009F70010FC5039EFE80"
#define ISD_LEGACY "08A0000001510000000F9E"

static uint16_t status(fixture *fx, uint8_t p1, uint8_t p2, const char *data_hex, uint8_t *out, size_t cap,
                       size_t *len) {
  uint8_t data[64];
  size_t lc = hx(data_hex, data, sizeof data);
  return fx_send(fx, 0x80, 0xF2, p1, p2, data, lc, out, cap, len);
}

static void test_isd_both_formats(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  uint8_t buf[256];
  size_t len = 0;
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  assert_int_equal(status(fx, 0x80, 0x02, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, ISD_TLV);
  assert_int_equal(status(fx, 0x80, 0x00, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, ISD_LEGACY);
  /* search by the whole AID and by its first bytes */
  assert_int_equal(status(fx, 0x80, 0x02, "4F08A000000151000000", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, ISD_TLV);
  assert_int_equal(status(fx, 0x80, 0x02, "4F05A000000151", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, ISD_TLV);
  /* the channel is still good after all of that */
  assert_true(fx->c.open);
  fx_free(fx);
}

static void test_nothing_matches(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  size_t len = 99;
  assert_int_equal(fx_open_default(fx, 0x01), CF_GP_OK);
  static const uint8_t p1s[] = {0x40, 0x20, 0x10};
  for (size_t i = 0; i < sizeof p1s; i++) {
    assert_int_equal(status(fx, p1s[i], 0x02, "4F00", NULL, 0, &len), SW_REFERENCED_DATA_NOT_FOUND);
    assert_int_equal(len, 0);
    assert_int_equal(status(fx, p1s[i], 0x00, "4F00", NULL, 0, &len), SW_REFERENCED_DATA_NOT_FOUND);
  }
  assert_int_equal(status(fx, 0x80, 0x02, "4F08A000000151000001", NULL, 0, &len),
                   SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(status(fx, 0x80, 0x02, "4F09A00000015100000000", NULL, 0, &len),
                   SW_REFERENCED_DATA_NOT_FOUND);
  /* next occurrence: the first answer carried everything */
  assert_int_equal(status(fx, 0x80, 0x03, "4F00", NULL, 0, &len), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(status(fx, 0x80, 0x01, "4F00", NULL, 0, &len), SW_REFERENCED_DATA_NOT_FOUND);
  assert_true(fx->c.open);
  fx_free(fx);
}

static void test_bad_parameters_and_data(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  size_t len;
  assert_int_equal(fx_open_default(fx, 0x00), CF_GP_OK); /* authenticated, plain APDUs */
  static const uint8_t bad_p1[] = {0x00, 0x01, 0x08, 0xC0, 0x60, 0x30, 0xFF};
  for (size_t i = 0; i < sizeof bad_p1; i++)
    assert_int_equal(status(fx, bad_p1[i], 0x02, "4F00", NULL, 0, &len), SW_INCORRECT_P1P2);
  static const uint8_t bad_p2[] = {0x04, 0x06, 0x80, 0xFF};
  for (size_t i = 0; i < sizeof bad_p2; i++)
    assert_int_equal(status(fx, 0x80, bad_p2[i], "4F00", NULL, 0, &len), SW_INCORRECT_P1P2);
  /* P1/P2 are checked before the data */
  assert_int_equal(status(fx, 0x00, 0x02, "", NULL, 0, &len), SW_INCORRECT_P1P2);
  assert_int_equal(status(fx, 0x80, 0x02, "", NULL, 0, &len), SW_WRONG_LENGTH);
  static const char *bad_data[] = {
      "4F",                                         /* truncated */
      "4F05A0000001",                               /* value shorter than its length */
      "5C00",                                       /* no 4F */
      "4F004F00",                                   /* 4F twice */
      "4F00C500",                                   /* another tag */
      "4F11A0000001510000000000000000000000000000", /* 17 bytes */
  };
  for (size_t i = 0; i < sizeof bad_data / sizeof *bad_data; i++)
    assert_int_equal(status(fx, 0x80, 0x02, bad_data[i], NULL, 0, &len), SW_WRONG_DATA);
  /* data errors come before "nothing matches" and "next occurrence" */
  assert_int_equal(status(fx, 0x40, 0x03, "4F", NULL, 0, &len), SW_WRONG_DATA);
  fx_free(fx);
}

static void test_needs_authenticated_session(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  uint8_t buf[64];
  size_t len;
  assert_int_equal(fx_raw(fx, "80F28002024F0000", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  /* the security check comes first: even a malformed command gets 6982 */
  assert_int_equal(fx_raw(fx, "80F2FFFF00", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  assert_int_equal(fx_raw(fx, "00F28002024F0000", NULL, 0, NULL), SW_CLA_NOT_SUPPORTED);
  /* a handshake that was not completed does not count */
  assert_int_equal(fx_raw(fx, "8050FF00080102030405060708", buf, sizeof buf, &len), SW_OK);
  assert_int_equal(fx_raw(fx, "80F28002024F0000", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  /* inside a C-MAC session a plain GET STATUS ends the session */
  assert_int_equal(fx_open_default(fx, 0x01), CF_GP_OK);
  assert_int_equal(fx_raw(fx, "80F28002024F0000", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  cf_gp_close(&fx->c);
  assert_int_equal(fx_raw(fx, "80F28002024F0000", NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  fx_free(fx);
}

/* Through the client at the strongest levels (R-MAC covers the answer) on both protocols. */
static void check_client(fixture *fx, uint8_t level) {
  cf_gp_registry_entry e[4];
  size_t n = 9;
  assert_int_equal(fx_open_default(fx, level), CF_GP_OK);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ISD, true, e, 4, &n), CF_GP_OK);
  assert_int_equal(n, 1);
  assert_hex(e[0].aid, e[0].aid_len, "A000000151000000");
  assert_int_equal(e[0].life_cycle, 0x0F);
  assert_hex(e[0].privileges, e[0].privileges_len, "9EFE80");
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ISD, false, e, 4, &n), CF_GP_OK);
  assert_int_equal(n, 1);
  assert_hex(e[0].privileges, e[0].privileges_len, "9E");
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_APPS, true, e, 4, &n), CF_GP_OK);
  assert_int_equal(n, 0);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ELF_MODULES, false, e, 4, &n), CF_GP_OK);
  assert_int_equal(n, 0);
  assert_true(fx->c.open);
}

static void test_client(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  check_client(fx, 0x13);
  fx_free(fx);
  fx = fx_new("scp=03");
  check_client(fx, 0x33);
  fx_free(fx);
  /* without a channel the card refuses and the client says so */
  fx = fx_new("");
  cf_gp_registry_entry e[1];
  size_t n;
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ISD, true, e, 1, &n), CF_GP_ERR_CARD);
  assert_int_equal(fx->c.last_sw, SW_SECURITY_STATUS_NOT_SATISFIED);
  fx_free(fx);
}

static void test_parse(void **state) {
  (void)state;
  cf_gp_registry_entry e[4];
  uint8_t buf[128];
  size_t n = 0, len;
  /* two applications, TLV: the second with C4/CC/84 that the parser steps over */
  len = hx("E3124F07A00000000301019F700107C503000000"
           "E3224F06D276000124019F70010FC50100C407D2760001240100CC08A000000151000000",
           buf, sizeof buf);
  assert_int_equal(cf_gp_parse_status(CF_GP_STATUS_APPS, true, buf, len, e, 4, &n), 0);
  assert_int_equal(n, 2);
  assert_hex(e[0].aid, e[0].aid_len, "A0000000030101");
  assert_int_equal(e[0].life_cycle, 0x07);
  assert_hex(e[1].aid, e[1].aid_len, "D27600012401");
  assert_hex(e[1].privileges, e[1].privileges_len, "00");
  /* deprecated, P1 10: ELF, life cycle, 00, number of modules, each module */
  n = 0;
  len = hx("07A0000000620001"
           "0100"
           "02"
           "06A00000006201"
           "05A000000062",
           buf, sizeof buf);
  assert_int_equal(cf_gp_parse_status(CF_GP_STATUS_ELF_MODULES, false, buf, len, e, 4, &n), 0);
  assert_int_equal(n, 1);
  assert_hex(e[0].aid, e[0].aid_len, "A0000000620001");
  assert_int_equal(e[0].life_cycle, 0x01);
  assert_int_equal(e[0].module_count, 2);
  assert_hex(e[0].module_aid[0], e[0].module_aid_len[0], "A00000006201");
  assert_hex(e[0].module_aid[1], e[0].module_aid_len[1], "A000000062");
  /* TLV, P1 10: the modules' 84s in order; more than CF_GP_MODULES_MAX are counted, the first kept */
  n = 0;
  len = hx("E34A4F05A0000000629F700101"
           "8405A000000001"
           "8405A000000002"
           "8405A000000003"
           "8405A000000004"
           "8405A000000005"
           "8405A000000006"
           "8405A000000007"
           "8405A000000008"
           "8405A000000009",
           buf, sizeof buf);
  assert_int_equal(cf_gp_parse_status(CF_GP_STATUS_ELF_MODULES, true, buf, len, e, 4, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(e[0].module_count, 9);
  assert_hex(e[0].module_aid[7], e[0].module_aid_len[7], "A000000008");
  /* a module AID longer than 16 bytes */
  n = 0;
  len = hx("E31A4F05A0000000628411A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0", buf, sizeof buf);
  assert_int_equal(cf_gp_parse_status(CF_GP_STATUS_ELF_MODULES, true, buf, len, e, 4, &n), -1);
  /* the same bytes read as P1 20 (no module list) do not parse */
  n = 0;
  assert_int_equal(cf_gp_parse_status(CF_GP_STATUS_ELF, false, buf, len, e, 4, &n), -1);
  /* more entries than room: counted, not stored */
  n = 0;
  len = hx(ISD_LEGACY ISD_LEGACY ISD_LEGACY, buf, sizeof buf);
  assert_int_equal(cf_gp_parse_status(CF_GP_STATUS_ISD, false, buf, len, e, 2, &n), 0);
  assert_int_equal(n, 3);
  /* malformed */
  static const struct {
    const char *hex;
    bool tlv;
  } bad[] = {
      {"08A00000015100", false},        /* AID cut short */
      {"11", false},                    /* AID longer than 16 */
      {"E3034F01", true},               /* E3 longer than the data */
      {"E3029F70", true},               /* no 4F */
      {"E3094F01A0C50401020304", true}, /* privileges longer than 3 */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    n = 0;
    len = hx(bad[i].hex, buf, sizeof buf);
    assert_int_equal(cf_gp_parse_status(CF_GP_STATUS_ISD, bad[i].tlv, buf, len, e, 4, &n), -1);
  }
}

/* Privilege names both ways: GP 2.3.1 table 6-1 order, GlobalPlatformPro's spelling and ours. */
static void test_privilege_names(void **state) {
  (void)state;
  assert_string_equal(cf_gp_privilege_name(0), "Security Domain");
  assert_string_equal(cf_gp_privilege_name(3), "Card Lock");
  assert_string_equal(cf_gp_privilege_name(9), "Authorized Management");
  assert_string_equal(cf_gp_privilege_name(19), "Contactless Self-Activation");
  assert_string_equal(cf_gp_privilege_name(20), "RFU");
  static const struct {
    const char *name;
    int bit;
  } names[] = {{"SecurityDomain", 0},
               {"CardLock", 3},
               {"card-lock", 3},
               {"Card Lock", 3},
               {"CARD_TERMINATE", 4},
               {"AuthorizedManagement", 9},
               {"GlobalRegistry", 13},
               {"CipheredLoadFileDataBlock", 17},
               {"ContactlessSelfActivation", 19},
               {"Card", -1},
               {"CardLockX", -1},
               {"", -1}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    assert_int_equal(cf_gp_privilege_bit(names[i].name, strlen(names[i].name)), names[i].bit);
  /* the length bounds the name: "CardLock" out of "CardLock,CardReset" */
  assert_int_equal(cf_gp_privilege_bit("CardLock,CardReset", 8), 3);
}

static void test_cli_list(void **state) {
  (void)state;
  char out[2048];
  fixture *fx = fx_new("");
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out,
                      "ISD  A000000151000000  SECURED (0F)  privileges 9EFE80\n"
                      "     Security Domain, Card Lock, Card Terminate, Card Reset, CVM Management, Trusted "
                      "Path, Authorized Management, Token Verification, Global Delete, Global Lock, Global "
                      "Registry, Final Application, Receipt Generation\n");
  assert_int_equal(gp_cli(fx, "--level mac+enc+rmac list", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "ISD  A000000151000000"));
  assert_int_equal(gp_cli(fx, "--key 000102030405060708090A0B0C0D0E0F list", out, sizeof out),
                   CF_EXIT_VERIFY);
  assert_int_equal(gp_cli(fx, "list --new-kvn 01", out, sizeof out), CF_EXIT_USAGE);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isd_both_formats),
      cmocka_unit_test(test_nothing_matches),
      cmocka_unit_test(test_bad_parameters_and_data),
      cmocka_unit_test(test_needs_authenticated_session),
      cmocka_unit_test(test_client),
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_privilege_names),
      cmocka_unit_test(test_cli_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
