/* SET STATUS (GP 2.3.1 11.10) and the life cycles it moves (5.1.1 card, 5.3.1 application): every
 * card transition allowed and refused from every state, what a locked or terminated card still
 * does, an application locked and unlocked (its selection refused meanwhile), the error words, and
 * that each state survives a power cycle. */
#include <stdio.h>

#include "gp_card_fixture.h"
#include "gp_composite_card.h"

#define ISD "A000000151000000"
#define SELECT_CASH "00A4040009" CASH_AID
#define SELECT_WALLET "00A4040009" WALLET_AID
#define SELECT_ISD "00A4040008" ISD

static uint16_t set_status(fixture *fx, uint8_t p1, uint8_t p2, const char *aid_hex) {
  uint8_t data[32];
  size_t lc = hx(aid_hex, data, sizeof data), len;
  return fx_send(fx, 0x80, 0xF0, p1, p2, data, lc, NULL, 0, &len);
}

/* The life cycle byte of the first entry GET STATUS gives for p1 and the search AID. */
static uint8_t life_cycle(fixture *fx, uint8_t p1, const char *aid_hex) {
  uint8_t data[20] = {0x4F}, buf[256];
  size_t lc = hx(aid_hex, data + 2, sizeof data - 2), len;
  data[1] = (uint8_t)lc;
  assert_int_equal(fx_send(fx, 0x80, 0xF2, p1, 0x00, data, lc + 2, buf, sizeof buf, &len), SW_OK);
  assert_true(len > (size_t)buf[0] + 1);
  return buf[1 + buf[0]];
}

static fixture *open_card(const char *params) {
  fixture *fx = fx_new_card(composite_create, params);
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  return fx;
}

/* A power cycle and a fresh session. */
static void reopen(fixture *fx) {
  fx_restart(fx);
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
}

static void test_card_transitions_from_each_state(void **state) {
  (void)state;
  static const struct {
    const char *params;
    uint8_t via; /* a transition first made to reach the state (00: none) */
    uint8_t from;
  } starts[] = {{"life=01", 0, 0x01}, {"life=07", 0, 0x07}, {"", 0, 0x0F}, {"", 0x7F, 0x7F}};
  static const uint8_t targets[] = {0x07, 0x0F, 0x7F, 0xFF};
  /* rows: the starts above; columns: targets. Figure 5-1 of GP 2.3.1. */
  static const uint16_t expect[4][4] = {
      {SW_OK, SW_OK, SW_CONDITIONS_NOT_SATISFIED, SW_OK},
      {SW_CONDITIONS_NOT_SATISFIED, SW_OK, SW_CONDITIONS_NOT_SATISFIED, SW_OK},
      {SW_CONDITIONS_NOT_SATISFIED, SW_CONDITIONS_NOT_SATISFIED, SW_OK, SW_OK},
      {SW_CONDITIONS_NOT_SATISFIED, SW_OK, SW_CONDITIONS_NOT_SATISFIED, SW_OK},
  };
  for (size_t s = 0; s < 4; s++) {
    for (size_t t = 0; t < 4; t++) {
      fixture *fx = open_card(starts[s].params);
      if (starts[s].via) assert_int_equal(set_status(fx, 0x80, starts[s].via, ""), SW_OK);
      assert_int_equal(life_cycle(fx, 0x80, ISD), starts[s].from);
      uint16_t sw = set_status(fx, 0x80, targets[t], "");
      if (sw != expect[s][t])
        fail_msg("from %02X to %02X: %04X, want %04X", starts[s].from, targets[t], sw, expect[s][t]);
      if (sw == SW_OK && targets[t] != 0xFF) assert_int_equal(life_cycle(fx, 0x80, ISD), targets[t]);
      if (sw != SW_OK) assert_int_equal(life_cycle(fx, 0x80, ISD), starts[s].from); /* unchanged */
      fx_free(fx);
    }
  }
}

/* GP 2.3.1 5.1.1.4: CARD_LOCKED lets only the ISD be selected; the ISD still works and unlocks. */
static void test_card_locked_and_unlocked(void **state) {
  (void)state;
  fixture *fx = open_card("");
  assert_int_equal(set_status(fx, 0x80, 0x7F, ISD), SW_OK); /* the data may name the ISD */
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, SELECT_WALLET, NULL, 0, NULL), SW_FILE_NOT_FOUND);
  assert_int_equal(fx_raw(fx, SELECT_ISD, NULL, 0, NULL) >> 8, 0x90);
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  assert_int_equal(life_cycle(fx, 0x80, ISD), 0x7F);
  assert_int_equal(life_cycle(fx, 0x40, WALLET_AID), 0x07); /* applications keep their own state */
  assert_int_equal(set_status(fx, 0x80, 0x0F, ""), SW_OK);
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, SELECT_WALLET, NULL, 0, NULL), SW_OK);
  fx_free(fx);
}

/* GP 2.3.1 5.1.1.5: TERMINATED is final; the ISD answers GET DATA and nothing else. */
static void test_card_terminated(void **state) {
  (void)state;
  fixture *fx = open_card("");
  assert_int_equal(set_status(fx, 0x80, 0xFF, ""), SW_OK);
  size_t len = 0;
  /* the next command of the session is already refused, and the session is over */
  uint8_t crit[2] = {0x4F, 0x00};
  assert_int_equal(fx_send(fx, 0x80, 0xF2, 0x80, 0x00, crit, 2, NULL, 0, &len), SW_CONDITIONS_NOT_SATISFIED);
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, SELECT_WALLET, NULL, 0, NULL), SW_FILE_NOT_FOUND);
  assert_int_equal(fx_raw(fx,
                          "8050FF0008"
                          "0001020304050607",
                          NULL, 0, NULL),
                   SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(fx_raw(fx, "80F28000024F00", NULL, 0, NULL), SW_CONDITIONS_NOT_SATISFIED);
  uint8_t cplc[64];
  assert_int_equal(fx_raw(fx, "80CA9F7F00", cplc, sizeof cplc, &len), SW_OK);
  assert_int_equal(len, 45);
  fx_free(fx);
}

static void test_application_lock_unlock(void **state) {
  (void)state;
  fixture *fx = open_card("");
  assert_int_equal(set_status(fx, 0x40, 0x80, CASH_AID), SW_OK);
  assert_int_equal(life_cycle(fx, 0x40, CASH_AID), 0x87); /* LOCKED over SELECTABLE */
  assert_int_equal(life_cycle(fx, 0x40, WALLET_AID), 0x07);
  assert_int_equal(set_status(fx, 0x40, 0x80, CASH_AID), SW_CONDITIONS_NOT_SATISFIED);
  fx_restart(fx); /* the lock is persistent and refuses selection */
  assert_int_equal(fx_raw(fx, SELECT_CASH, NULL, 0, NULL), SW_FILE_NOT_FOUND);
  assert_int_equal(fx_raw(fx, SELECT_WALLET, NULL, 0, NULL), SW_OK);
  reopen(fx);
  assert_int_equal(life_cycle(fx, 0x40, CASH_AID), 0x87);
  assert_int_equal(set_status(fx, 0x40, 0x00, CASH_AID), SW_OK);
  assert_int_equal(life_cycle(fx, 0x40, CASH_AID), 0x07);
  assert_int_equal(set_status(fx, 0x40, 0x00, CASH_AID), SW_CONDITIONS_NOT_SATISFIED);
  fx_restart(fx);
  assert_int_equal(fx_raw(fx, SELECT_CASH, NULL, 0, NULL), SW_OK);
  fx_free(fx);
}

static void test_errors(void **state) {
  (void)state;
  fixture *fx = fx_new_card(composite_create, "");
  /* outside a session: 6982 before anything else */
  assert_int_equal(fx_raw(fx, "80F0408009" CASH_AID, NULL, 0, NULL), SW_SECURITY_STATUS_NOT_SATISFIED);
  assert_int_equal(fx_open_default(fx, 0x03), CF_GP_OK);
  assert_int_equal(set_status(fx, 0x20, 0x80, CASH_AID), SW_INCORRECT_P1P2);
  assert_int_equal(set_status(fx, 0x60, 0x80, CASH_AID), SW_INCORRECT_P1P2);
  assert_int_equal(set_status(fx, 0x40, 0x01, CASH_AID), SW_INCORRECT_P1P2);
  assert_int_equal(set_status(fx, 0x40, 0x80, "A00000"), SW_WRONG_DATA);
  assert_int_equal(set_status(fx, 0x40, 0x80, ""), SW_WRONG_DATA);
  assert_int_equal(set_status(fx, 0x40, 0x80, "A00000080400010399"), SW_REFERENCED_DATA_NOT_FOUND);
  assert_int_equal(set_status(fx, 0x40, 0x80, "A000000804"), SW_REFERENCED_DATA_NOT_FOUND); /* whole AIDs */
  assert_int_equal(set_status(fx, 0x40, 0x80, ISD), SW_CONDITIONS_NOT_SATISFIED);
  assert_int_equal(set_status(fx, 0x80, 0x01, ""), SW_INCORRECT_P1P2); /* OP_READY is never a target */
  assert_int_equal(set_status(fx, 0x80, 0x03, ""), SW_INCORRECT_P1P2);
  assert_int_equal(set_status(fx, 0x80, 0x7F, CASH_AID), SW_REFERENCED_DATA_NOT_FOUND);
  /* none of these changed anything, and the session is still open */
  assert_true(fx->c.open);
  assert_int_equal(life_cycle(fx, 0x80, ISD), 0x0F);
  assert_int_equal(life_cycle(fx, 0x40, CASH_AID), 0x07);
  fx_free(fx);
}

static void test_bad_life_parameter(void **state) {
  (void)state;
  static const char *bad[] = {"life=7F", "life=FF", "life=00", "life=0F0F"};
  for (size_t n = 0; n < sizeof bad / sizeof bad[0]; n++) {
    cf_store *s;
    assert_int_equal(cf_store_open_memory(&s), CF_STORE_OK);
    assert_null(gp_profile.create(s, bad[n]));
    cf_store_close(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_card_transitions_from_each_state),
      cmocka_unit_test(test_card_locked_and_unlocked),
      cmocka_unit_test(test_card_terminated),
      cmocka_unit_test(test_application_lock_unlock),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_bad_life_parameter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
