/* GET STATUS (GP 2.3.1 11.4) on a card whose ISD manages applications: every subset (ISD 80,
 * applications 40, load files 20, load files with modules 10) in both formats, byte for byte; the
 * 6310 continuation with "next occurrence" and where it stops; the search criteria; the host's
 * cf_gp_get_status following the continuation. */
#include <stdio.h>

#include "gp_card_fixture.h"
#include "gp_composite_card.h"

#define ISD "A000000151000000"
#define KEYCARD_PKG "A0000008040001"
#define LOOPBACK_PKG "F063666C6F6F"
/* Table 11-36 order: 4F, 9F70, C5, C4, 84..., CC */
#define APP_TLV(len, aidlen, aid, pkglen, pkg)                                                               \
  "E3" len "4F" aidlen aid "9F700107C503000000C4" pkglen pkg "CC08" ISD
#define WALLET_TLV(aid) APP_TLV("27", "09", aid, "07", KEYCARD_PKG)

static uint16_t status(fixture *fx, uint8_t p1, uint8_t p2, const char *data_hex, uint8_t *out, size_t cap,
                       size_t *len) {
  uint8_t data[64];
  size_t lc = hx(data_hex, data, sizeof data);
  return fx_send(fx, 0x80, 0xF2, p1, p2, data, lc, out, cap, len);
}

static fixture *open_composite(uint8_t level) {
  fixture *fx = fx_new_card(composite_create, "");
  assert_int_equal(fx_open_default(fx, level), CF_GP_OK);
  return fx;
}

static void test_isd_entry_unchanged(void **state) {
  (void)state;
  fixture *fx = open_composite(0x03);
  uint8_t buf[512];
  size_t len;
  assert_int_equal(status(fx, 0x80, 0x02, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "E3134F08" ISD "9F70010FC5039EFE80");
  assert_int_equal(status(fx, 0x80, 0x00, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "08" ISD "0F9E");
  fx_free(fx);
}

/* Seven applications of 38..41 bytes: the first answer takes five (203 bytes, under the 224-byte
 * chunk), ends 6310, and "next occurrence" brings the last two with 9000. */
static void test_applications_tlv_with_continuation(void **state) {
  (void)state;
  fixture *fx = open_composite(0x03);
  uint8_t buf[512];
  size_t len;
  assert_int_equal(status(fx, 0x40, 0x02, "4F00", buf, sizeof buf, &len), 0x6310);
  assert_hex(buf, len,
             WALLET_TLV(WALLET_AID) APP_TLV("25", "07", NDEF_AID, "07", KEYCARD_PKG) WALLET_TLV(CASH_AID)
                 WALLET_TLV(IDENT_AID) WALLET_TLV(WALLET2_AID));
  assert_int_equal(status(fx, 0x40, 0x03, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, WALLET_TLV(WALLET3_AID) APP_TLV("24", "07", LOOPBACK_AID, "06", LOOPBACK_PKG));
  /* the listing is over: another "next" finds nothing */
  assert_int_equal(status(fx, 0x40, 0x03, "4F00", buf, sizeof buf, &len), SW_REFERENCED_DATA_NOT_FOUND);
  /* a "next" for another subset than the one left unfinished finds nothing either */
  assert_int_equal(status(fx, 0x40, 0x02, "4F00", buf, sizeof buf, &len), 0x6310);
  assert_int_equal(status(fx, 0x20, 0x03, "4F00", buf, sizeof buf, &len), SW_REFERENCED_DATA_NOT_FOUND);
  /* a fresh listing starts again from the first entry */
  assert_int_equal(status(fx, 0x40, 0x02, "4F00", buf, sizeof buf, &len), 0x6310);
  assert_int_equal(len, 203);
  fx_free(fx);
}

static void test_applications_legacy(void **state) {
  (void)state;
  fixture *fx = open_composite(0x01);
  uint8_t buf[512];
  size_t len;
  assert_int_equal(status(fx, 0x40, 0x00, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len,
             "09" WALLET_AID "0700"
             "07" NDEF_AID "0700"
             "09" CASH_AID "0700"
             "09" IDENT_AID "0700"
             "09" WALLET2_AID "0700"
             "09" WALLET3_AID "0700"
             "07" LOOPBACK_AID "0700");
  fx_free(fx);
}

static void test_load_files(void **state) {
  (void)state;
  fixture *fx = open_composite(0x03);
  uint8_t buf[512];
  size_t len;
  assert_int_equal(status(fx, 0x20, 0x02, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "E3174F07" KEYCARD_PKG "9F700101CC08" ISD "E3164F06" LOOPBACK_PKG "9F700101CC08" ISD);
  assert_int_equal(status(fx, 0x20, 0x00, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len,
             "07" KEYCARD_PKG "0100"
             "06" LOOPBACK_PKG "0100");
  assert_int_equal(status(fx, 0x10, 0x02, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len,
             "E33F4F07" KEYCARD_PKG "9F700101"
             "8408A000000804000101"
             "8408A000000804000102"
             "8408A000000804000103"
             "8408A000000804000104"
             "CC08" ISD "E31F4F06" LOOPBACK_PKG "9F700101"
             "8407" LOOPBACK_AID "CC08" ISD);
  assert_int_equal(status(fx, 0x10, 0x00, "4F00", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len,
             "07" KEYCARD_PKG "010004"
             "08A000000804000101"
             "08A000000804000102"
             "08A000000804000103"
             "08A000000804000104"
             "06" LOOPBACK_PKG "010001"
             "07" LOOPBACK_AID);
  fx_free(fx);
}

static void test_search_criteria(void **state) {
  (void)state;
  fixture *fx = open_composite(0x03);
  uint8_t buf[512];
  size_t len;
  assert_int_equal(status(fx, 0x40, 0x02, "4F08A000000804000103", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, WALLET_TLV(CASH_AID));
  assert_int_equal(status(fx, 0x40, 0x00, "4F05D276000085", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "07" NDEF_AID "0700");
  assert_int_equal(status(fx, 0x20, 0x00, "4F04F063666C", buf, sizeof buf, &len), SW_OK);
  assert_hex(buf, len, "06" LOOPBACK_PKG "0100");
  /* the ISD is not an application of subset 40, and an unknown prefix matches nothing */
  assert_int_equal(status(fx, 0x40, 0x02, "4F08" ISD, buf, sizeof buf, &len), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(status(fx, 0x40, 0x02, "4F03A00001", buf, sizeof buf, &len), SW_REFERENCED_DATA_NOT_FOUND);
  fx_free(fx);
}

/* The host follows 6310 itself and sees every entry. */
static void test_client_follows_continuation(void **state) {
  (void)state;
  fixture *fx = open_composite(0x13);
  cf_gp_registry_entry e[16];
  size_t n = 0;
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_APPS, true, e, 16, &n), CF_GP_OK);
  assert_int_equal(n, COMPOSITE_APPS);
  assert_int_equal(e[6].aid_len, 7);
  assert_int_equal(e[6].aid[0], 0xF0);
  assert_int_equal(e[6].life_cycle, 0x07);
  assert_int_equal(cf_gp_get_status(&fx->c, CF_GP_STATUS_ELF_MODULES, false, e, 16, &n), CF_GP_OK);
  assert_int_equal(n, 2);
  assert_true(fx->c.open);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_isd_entry_unchanged), cmocka_unit_test(test_applications_tlv_with_continuation),
      cmocka_unit_test(test_applications_legacy), cmocka_unit_test(test_load_files),
      cmocka_unit_test(test_search_criteria),     cmocka_unit_test(test_client_follows_continuation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
