/* INSTALL [for load] + LOAD (GP 2.3.1 11.5.2.3.1, 11.6): a load file of a package built into
 * cardforge arrives in blocks, its Load File Data Block hash (SHA-256 or SHA-1, computed outside
 * this code base) and its CAP Header's package AID are checked, then the package is LOADED and its
 * modules can be instantiated again; unknown packages, a wrong hash or header, blocks out of order
 * and a LOAD without INSTALL [for load] are refused and register nothing. */
#include <stdio.h>

#include "gp_card_fixture.h"
#include "gp_composite_card.h"

#define ISD "A000000151000000"
#define KEYCARD_PKG "A0000008040001"
#define CASH_MODULE "A000000804000103"

/* A Load File Data Block: the CAP Header component (tag 01, size 0011, DECAFFED, CAP 2.1, flags
 * 04, package 1.0, AID), a Directory stub and a 64-byte filler component. */
#define HEADER_OF(aid)                                                                                       \
  "010011DECAFFED0102040001"                                                                                 \
  "07" aid
#define LFDB_REST                                                                                            \
  "02000400000000"                                                                                           \
  "0B0040"                                                                                                   \
  "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"                                         \
  "202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F"
#define LFDB HEADER_OF(KEYCARD_PKG) LFDB_REST
#define LFDB_SHA256 "49DCB781211C690161DF99C7392F63A1B3BCA3CE11BD6A5DBFCDC1B9EDD47A6A"
#define LFDB_SHA256_WRONG "48DCB781211C690161DF99C7392F63A1B3BCA3CE11BD6A5DBFCDC1B9EDD47A6A"
#define LFDB_SHA1 "5F968517D701BFFCA04DFA03690F7D0878537C85"

static uint16_t cmd(fixture *fx, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                    uint8_t *out, size_t *len) {
  uint8_t buf[512];
  size_t n = 0;
  uint16_t sw = fx_send(fx, 0x80, ins, p1, p2, data, lc, buf, sizeof buf, &n);
  if (out) memcpy(out, buf, n);
  if (len) *len = n;
  return sw;
}

static uint16_t cmd_hex(fixture *fx, uint8_t ins, uint8_t p1, uint8_t p2, const char *hex) {
  uint8_t data[300];
  return cmd(fx, ins, p1, p2, data, hx(hex, data, sizeof data), NULL, NULL);
}

static uint16_t install_for_load(fixture *fx, const char *elf, const char *sd, const char *hash) {
  char data[200];
  snprintf(data, sizeof data, "%02zX%s%02zX%s%02zX%s0000", strlen(elf) / 2, elf, strlen(sd) / 2, sd,
           strlen(hash) / 2, hash);
  uint8_t raw[100], out[8];
  size_t len = 0;
  uint16_t sw = cmd(fx, 0xE6, 0x02, 0x00, raw, hx(data, raw, sizeof raw), out, &len);
  if (sw == SW_OK) assert_hex(out, len, "00");
  return sw;
}

/* C4 || LFDB in blocks of 40 bytes; returns the last block's status word (or the first error). */
static uint16_t load_blocks(fixture *fx, const char *lfdb_hex) {
  uint8_t file[300];
  size_t lfdb = hx(lfdb_hex, file + 2, sizeof file - 2);
  file[0] = 0xC4;
  file[1] = (uint8_t)lfdb; /* < 128 */
  size_t total = lfdb + 2, off = 0;
  uint8_t block = 0;
  while (off < total) {
    size_t n = total - off < 40 ? total - off : 40;
    bool last = off + n == total;
    uint8_t out[8];
    size_t len = 0;
    uint16_t sw = cmd(fx, 0xE8, last ? 0x80 : 0x00, block++, file + off, n, out, &len);
    if (sw != SW_OK) return sw;
    if (last)
      assert_hex(out, len, "00");
    else
      assert_int_equal(len, 0);
    off += n;
  }
  return SW_OK;
}

static bool package_listed(fixture *fx) {
  return cmd_hex(fx, 0xF2, 0x20, 0x00, "4F07" KEYCARD_PKG) == SW_OK;
}

/* The Keycard package and its instances deleted, a session open. */
static fixture *card_without_package(void) {
  fixture *fx = fx_new_card(composite_create, "");
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  assert_int_equal(cmd_hex(fx, 0xE4, 0x00, 0x80, "4F07" KEYCARD_PKG), SW_OK);
  assert_false(package_listed(fx));
  return fx;
}

static void test_load_then_install(void **state) {
  (void)state;
  static const char *hashes[] = {LFDB_SHA256, LFDB_SHA1, ""};
  for (size_t h = 0; h < 3; h++) {
    fixture *fx = card_without_package();
    assert_int_equal(install_for_load(fx, KEYCARD_PKG, h == 0 ? ISD : "", hashes[h]), SW_OK);
    assert_int_equal(load_blocks(fx, LFDB), SW_OK);
    assert_true(package_listed(fx));
    uint8_t out[64];
    size_t len = 0;
    assert_int_equal(cmd_hex(fx, 0xF2, 0x20, 0x00, "4F07" KEYCARD_PKG), SW_OK);
    fx_restart(fx); /* LOADED is persistent */
    assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
    uint8_t data[64];
    size_t lc = hx("07" KEYCARD_PKG "08" CASH_MODULE "09" CASH_AID "0100"
                   "02C90000",
                   data, sizeof data);
    assert_int_equal(cmd(fx, 0xE6, 0x0C, 0x00, data, lc, out, &len), SW_OK);
    assert_int_equal(cmd_hex(fx, 0xF2, 0x40, 0x00, "4F09" CASH_AID), SW_OK);
    /* loading it again: it is there */
    assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", ""), SW_CONDITIONS_NOT_SATISFIED);
    fx_free(fx);
  }
}

static void test_refused_loads(void **state) {
  (void)state;
  fixture *fx = card_without_package();
  /* a package cardforge does not have */
  assert_int_equal(install_for_load(fx, "A0000000620001", "", ""), SW_WRONG_DATA);
  /* the loopback package is on the card already */
  assert_int_equal(install_for_load(fx, "F063666C6F6F", "", ""), SW_CONDITIONS_NOT_SATISFIED);
  /* malformed INSTALL [for load] */
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "A000000151000001", ""), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", "0102"), SW_WRONG_DATA);
  assert_int_equal(cmd_hex(fx, 0xE6, 0x02, 0x00, "07" KEYCARD_PKG "000000"), SW_WRONG_DATA);
  assert_int_equal(cmd_hex(fx, 0xE6, 0x02, 0x00, "07" KEYCARD_PKG "0000000001FF"), SW_WRONG_DATA);
  /* LOAD without INSTALL [for load] */
  assert_int_equal(cmd_hex(fx, 0xE8, 0x80, 0x00, "C400"), SW_CONDITIONS_NOT_SATISFIED);
  /* a wrong hash, a header naming another package, a missing header, DAP then C4 with trailing
   * bytes: all at the last block, and the load is over */
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", LFDB_SHA1 "00000000000000000000000000"),
                   SW_WRONG_DATA);
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", LFDB_SHA256_WRONG), SW_OK);
  assert_int_equal(load_blocks(fx, LFDB), SW_WRONG_DATA);
  assert_int_equal(cmd_hex(fx, 0xE8, 0x80, 0x03, "C400"), SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", ""), SW_OK);
  assert_int_equal(load_blocks(fx, HEADER_OF("A0000008040002") LFDB_REST), SW_WRONG_DATA);
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", ""), SW_OK);
  assert_int_equal(load_blocks(fx, LFDB_REST), SW_WRONG_DATA);
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", ""), SW_OK);
  assert_int_equal(cmd_hex(fx, 0xE8, 0x80, 0x00, "E203C10100C400FF"), SW_WRONG_DATA);
  /* blocks out of order, P1 other than 00/80, another command between blocks */
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", ""), SW_OK);
  assert_int_equal(cmd_hex(fx, 0xE8, 0x00, 0x01, "C45E"), SW_INCORRECT_P1P2);
  assert_int_equal(cmd_hex(fx, 0xE8, 0x00, 0x00, "C45E"), SW_CONDITIONS_NOT_SATISFIED); /* over */
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", ""), SW_OK);
  assert_int_equal(cmd_hex(fx, 0xE8, 0x01, 0x00, "C45E"), SW_INCORRECT_P1P2);
  assert_int_equal(install_for_load(fx, KEYCARD_PKG, "", ""), SW_OK);
  assert_int_equal(cmd_hex(fx, 0xE8, 0x00, 0x00, "C45E"), SW_OK);
  assert_int_equal(cmd_hex(fx, 0xF2, 0x20, 0x00, "4F00"), SW_OK);
  assert_int_equal(cmd_hex(fx, 0xE8, 0x80, 0x01, "00"), SW_CONDITIONS_NOT_SATISFIED);
  /* none of it registered the package */
  assert_false(package_listed(fx));
  assert_true(fx->c.open);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_then_install),
      cmocka_unit_test(test_refused_loads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
