/* Malformed and random commands never crash the Security Domain and never change its keys: random
 * APDUs outside a session, and random protected-looking APDUs inside an authenticated one. */
#include "gp_card_fixture.h"

static uint32_t rng_state = 0x12345678;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static size_t keys_record(fixture *fx, uint8_t *buf, size_t cap) {
  size_t len = 0;
  assert_int_equal(cf_store_get(fx->store, CF_STORE_KEY(1, 2), buf, cap, &len), CF_STORE_OK);
  return len;
}

/* One random command; returns its SW. */
static uint16_t random_command(fixture *fx) {
  /* No CLA with b5 (ISO chaining): the runtime's chaining is not this module's to test. */
  static const uint8_t clas[] = {0x00, 0x80, 0x84, 0x04, 0xA0, 0xC0, 0x81, 0xFF, 0x0C};
  static const uint8_t inss[] = {0xA4, 0xCA, 0xD8, 0xE4, 0x50, 0x82, 0xF2, 0xC0, 0x00, 0x7A};
  uint8_t cmd[300], resp[4200];
  size_t n = 0;
  cmd[n++] = clas[rnd() % sizeof clas];
  cmd[n++] = inss[rnd() % sizeof inss];
  cmd[n++] = (uint8_t)rnd();
  cmd[n++] = (uint8_t)rnd();
  uint32_t shape = rnd() % 5;
  if (shape >= 1) {
    size_t lc = rnd() % 64;
    if (shape == 4) { /* lie about Lc */
      cmd[n++] = (uint8_t)(lc + 3);
    } else {
      cmd[n++] = (uint8_t)lc;
    }
    for (size_t i = 0; i < lc; i++)
      cmd[n++] = (uint8_t)rnd();
    if (shape == 2) cmd[n++] = (uint8_t)rnd();
  }
  size_t rn = cf_card_transmit(fx->card, cmd, n, resp, sizeof resp);
  assert_true(rn >= 2 && rn <= sizeof resp);
  return cf_be16(resp + rn - 2);
}

static void test_random_outside_session(void **state) {
  (void)state;
  for (int scp = 2; scp <= 3; scp++) {
    fixture *fx = fx_new(scp == 3 ? "scp=03,kvn=30" : "");
    uint8_t before[2048], after[2048];
    size_t bl = keys_record(fx, before, sizeof before);
    for (int i = 0; i < 20000; i++) {
      uint16_t sw = random_command(fx);
      assert_true(sw != 0x6F00); /* no "unknown error": every refusal has its word */
    }
    size_t al = keys_record(fx, after, sizeof after);
    assert_int_equal(al, bl);
    assert_memory_equal(after, before, bl);
    fx_free(fx);
  }
}

static void test_random_inside_session(void **state) {
  (void)state;
  for (int scp = 2; scp <= 3; scp++) {
    fixture *fx = fx_new(scp == 3 ? "scp=03,kvn=30" : "");
    cf_scp_keys k = fx_keys(scp == 3 ? 0x30 : 0xFF, default_key, default_key, default_key, 16);
    uint8_t before[2048], after[2048];
    size_t bl = keys_record(fx, before, sizeof before);
    for (int i = 0; i < 300; i++) {
      assert_int_equal(fx_open(fx, scp == 3 ? 0x30 : 0xFF, &k, (uint8_t)(i % 2 ? 0x03 : 0x01)), CF_GP_OK);
      for (int j = 0; j < 5; j++) {
        uint16_t sw = random_command(fx);
        assert_true(sw != 0x6F00);
      }
    }
    size_t al = keys_record(fx, after, sizeof after);
    assert_int_equal(al, bl);
    assert_memory_equal(after, before, bl);
    fx_free(fx);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_outside_session),
      cmocka_unit_test(test_random_inside_session),
  };
  return cmocka_run_group_tests_name("gp_robust", tests, NULL, NULL);
}
