/* The host's parsers on data from other cards: key information templates published in
 * GlobalPlatformPro's tests (TestGPKeyInfo: basic RSA template, extended format), and malformed
 * input. */
#include "gp_test_util.h"
#include "cardforge/gp_client.h"

static size_t parse(const char *hex, cf_gp_key_info *ki, size_t max, int *rc) {
  uint8_t buf[512];
  size_t n = hx(hex, buf, sizeof buf), count = 0;
  *rc = cf_gp_parse_key_info(buf, n, ki, max, &count);
  return count;
}

static void test_key_info_templates(void **state) {
  (void)state;
  cf_gp_key_info ki[32];
  int rc;
  size_t n = parse("E020C00401018820C00402018820C00403018820C0060170A180A003C00401718010", ki, 32, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 5);
  assert_int_equal(ki[0].id, 1);
  assert_int_equal(ki[0].kvn, 1);
  assert_int_equal(ki[0].type, 0x88);
  assert_int_equal(ki[0].len, 0x20);
  assert_int_equal(ki[3].kvn, 0x70);
  assert_int_equal(ki[3].type, 0xA1);
  assert_int_equal(ki[4].type, 0x80);

  n = parse("E021C00401018010C00402018010C00403018010C00D0173FFA10080A0000301840100", ki, 32, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 4);
  assert_true(ki[3].extended);
  assert_int_equal(ki[3].kvn, 0x73);
  assert_int_equal(ki[3].type, 0xA1);
  assert_int_equal(ki[3].len, 0x0080);

  n = parse(
      "E081B0C00A0120FF80001001000100C00A0220FF80001001000100C00A0320FF80001001000100C00A0101FF80001001000100"
      "C00A0201FF80001001000100C00A0301FF80001001000100C00A0102FF88001001000100C00E0202FF880010FF100001010001"
      "00"
      "C00A0302FF88001001000100C00A0103FF88001001000100C00E0203FF880010FF10000101000100C00A0303FF880010010001"
      "00"
      "C00A1403FF85001001000100C00A1503FF88001001000100",
      ki, 32, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 14);
  assert_int_equal(ki[12].id, 0x14);
  assert_int_equal(ki[12].type, 0x85);
  assert_int_equal(ki[13].len, 16);

  /* an empty C0 (a fresh domain) is skipped */
  n = parse("E008C000C0040130 8810", ki, 32, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 1);
  /* malformed */
  parse("E005C0040101", ki, 32, &rc);
  assert_int_equal(rc, -1);
  parse("E004C0020101", ki, 32, &rc);
  assert_int_equal(rc, -1);
  parse("C00401FF8010", ki, 32, &rc);
  assert_int_equal(rc, -1);
  /* more keys than room: counted up to max, no overflow */
  n = parse("E012C00401FF8010C00402FF8010C00403FF8010", ki, 2, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 2);
}

static void test_card_data(void **state) {
  (void)state;
  uint8_t buf[256];
  cf_gp_card_data cd;
  size_t n =
      hx("663E733C06072A864886FC6B01600C060A2A864886FC6B02020301630906072A864886FC6B03640B06092A864886FC6B04"
         "0255640B06092A864886FC6B040370",
         buf, sizeof buf);
  assert_int_equal(cf_gp_parse_card_data(buf, n, &cd), 0);
  assert_string_equal(cd.gp_version, "2.3.1");
  assert_int_equal(cd.scp_count, 2);
  /* a GP 2.1.1 card with SCP02 i=15 */
  n = hx("6631732F06072A864886FC6B01600C060A2A864886FC6B02020101630906072A864886FC6B03640B06092A864886FC6B040"
         "215",
         buf, sizeof buf);
  assert_int_equal(cf_gp_parse_card_data(buf, n, &cd), 0);
  assert_string_equal(cd.gp_version, "2.1.1");
  assert_int_equal(cd.scp_count, 1);
  assert_int_equal(cd.scp_i[0], 0x15);
  n = hx("6603730100", buf, sizeof buf);
  assert_int_equal(cf_gp_parse_card_data(buf, n, &cd), -1);
  n = hx("9F7F00", buf, sizeof buf);
  assert_int_equal(cf_gp_parse_card_data(buf, n, &cd), -1);
}

static void test_cplc(void **state) {
  (void)state;
  uint8_t buf[64];
  size_t n = hx("9F7F2A434647500001532701005327010203040001000000000000000000000000000000000000000000000000",
                buf, sizeof buf);
  FILE *f = tmpfile();
  assert_int_equal(cf_gp_print_cplc(buf, n, f), 0);
  assert_int_equal(cf_gp_print_cplc(buf + 3, 42, f), 0);
  assert_int_equal(cf_gp_print_cplc(buf, 20, f), -1);
  rewind(f);
  char line[128];
  int found = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, "IC serial number") && strstr(line, "01020304")) found++;
  fclose(f);
  assert_int_equal(found, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_info_templates),
      cmocka_unit_test(test_card_data),
      cmocka_unit_test(test_cplc),
  };
  return cmocka_run_group_tests_name("gp_client_parse", tests, NULL, NULL);
}
