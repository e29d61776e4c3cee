/* The loopback card itself: its commands, its errors, and its counter surviving a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/loopback.h"
#include "cardforge/sw.h"

#include "../card_send.h"

static cf_card *new_card(cf_store *store) {
  cf_card *card = loopback_profile.create(store, "");
  assert_non_null(card);
  cf_card_power_on(card);
  return card;
}

static void atr_is_valid_t1_with_checksum(void **state) {
  cf_store *store;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  cf_card *card = new_card(store);
  size_t len = 0;
  const uint8_t *atr = cf_card_atr(card, &len);
  assert_int_equal(atr[0], 0x3B);
  size_t hist = atr[1] & 0x0F;
  /* T0, TD1 (T=0 follows), TD2 (T=1), historical bytes, TCK */
  assert_int_equal(len, 2 + 2 + hist + 1);
  assert_int_equal(atr[3] & 0x0F, 1);
  uint8_t x = 0;
  for (size_t i = 1; i < len; i++)
    x ^= atr[i];
  assert_int_equal(x, 0);
  assert_memory_equal(atr + 6, "cardforge", 9);
  cf_card_free(card);
  cf_store_close(store);
}

static void select_echo_and_errors(void **state) {
  cf_store *store;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  cf_card *card = new_card(store);
  uint8_t out[CF_CARD_MAX_RESPONSE];
  size_t n = 0;
  const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00, 0x07, 0xF0, 0x63, 0x66, 0x6C, 0x6F, 0x6F, 0x70};
  assert_int_equal(card_send(card, select, sizeof select, NULL, &n), SW_OK);
  assert_int_equal(n, 0);
  const uint8_t echo[] = {0x00, 0x01, 0x00, 0x00, 0x02, 0xCA, 0xFE, 0x00};
  assert_int_equal(card_send(card, echo, sizeof echo, out, &n), SW_OK);
  assert_int_equal(n, 2);
  assert_int_equal(out[0], 0xCA);
  const uint8_t echo_p1[] = {0x00, 0x01, 0x01, 0x00, 0x01, 0xCA};
  assert_int_equal(card_send(card, echo_p1, sizeof echo_p1, NULL, &n), SW_INCORRECT_P1P2);
  const uint8_t bad_ins[] = {0x00, 0x7E, 0x00, 0x00};
  assert_int_equal(card_send(card, bad_ins, sizeof bad_ins, NULL, &n), SW_INS_NOT_SUPPORTED);
  const uint8_t bad_cla[] = {0xA0, 0x01, 0x00, 0x00};
  assert_int_equal(card_send(card, bad_cla, sizeof bad_cla, NULL, &n), SW_CLA_NOT_SUPPORTED);
  const uint8_t gen_data[] = {0x00, 0x02, 0x00, 0x01, 0x01, 0x00};
  assert_int_equal(card_send(card, gen_data, sizeof gen_data, NULL, &n), SW_WRONG_LENGTH);
  const uint8_t gen_max[] = {0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00};
  assert_int_equal(card_send(card, gen_max, sizeof gen_max, out, &n), SW_OK);
  assert_int_equal(n, 4096);
  assert_int_equal(out[4095], 0xFF);
  const uint8_t gen_over[] = {0x00, 0x02, 0x10, 0x01, 0x00, 0x00, 0x00};
  assert_int_equal(card_send(card, gen_over, sizeof gen_over, NULL, &n), SW_INCORRECT_P1P2);
  const uint8_t sw_6a82[] = {0x00, 0x03, 0x00, 0x00, 0x02, 0x6A, 0x82};
  assert_int_equal(card_send(card, sw_6a82, sizeof sw_6a82, NULL, &n), SW_FILE_NOT_FOUND);
  const uint8_t sw_61[] = {0x00, 0x03, 0x00, 0x00, 0x02, 0x61, 0x10};
  assert_int_equal(card_send(card, sw_61, sizeof sw_61, NULL, &n), SW_WRONG_DATA);
  const uint8_t sw_short[] = {0x00, 0x03, 0x00, 0x00, 0x01, 0x90};
  assert_int_equal(card_send(card, sw_short, sizeof sw_short, NULL, &n), SW_WRONG_LENGTH);
  cf_card_free(card);
  cf_store_close(store);
}

static uint32_t bump(cf_card *card) {
  const uint8_t inc[] = {0x80, LOOPBACK_INS_COUNTER, 0x00, 0x00, 0x00};
  uint8_t out[8];
  size_t n = 0;
  assert_int_equal(card_send(card, inc, sizeof inc, out, &n), SW_OK);
  assert_int_equal(n, 4);
  return ((uint32_t)out[0] << 24) | ((uint32_t)out[1] << 16) | ((uint32_t)out[2] << 8) | out[3];
}

static void counter_survives_restart_in_file(void **state) {
  char path[] = "/tmp/cf-loopback-test-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
  cf_store *store;
  assert_int_equal(cf_store_open_file(path, &store), CF_STORE_OK);
  cf_card *card = new_card(store);
  assert_int_equal(bump(card), 1);
  assert_int_equal(bump(card), 2);
  /* a refused command changes nothing */
  const uint8_t bad[] = {0x80, LOOPBACK_INS_COUNTER, 0x00, 0x01, 0x00};
  assert_int_equal(card_send(card, bad, sizeof bad, NULL, NULL), SW_INCORRECT_P1P2);
  cf_card_free(card);
  cf_store_close(store);
  assert_int_equal(cf_store_open_file(path, &store), CF_STORE_OK);
  card = new_card(store);
  assert_int_equal(bump(card), 3);
  cf_card_free(card);
  cf_store_close(store);
  char aux[64];
  unlink(path);
  snprintf(aux, sizeof aux, "%s-journal", path);
  unlink(aux);
}

static void unknown_mode_is_refused(void **state) {
  cf_store *store;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  assert_null(loopback_profile.create(store, "mode=t2"));
  cf_card *card = loopback_profile.create(store, "mode=t0");
  assert_non_null(card);
  cf_card_free(card);
  cf_store_close(store);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(atr_is_valid_t1_with_checksum),
      cmocka_unit_test(select_echo_and_errors),
      cmocka_unit_test(counter_survives_restart_in_file),
      cmocka_unit_test(unknown_mode_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
