/* The card timing model (tools/sim/sim_timing.h): its text form, where the emulator takes it from
 * (--timing, the configuration file), what a command costs, the wait, and the operation counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cardforge/crypto.h"
#include "cardforge/store.h"
#include "sim.h"
#include "sim_timing.h"

static void profiles_and_pairs(void **state) {
  (void)state;
  cf_timing t;
  char err[300];
  assert_int_equal(cf_timing_parse("", &t, err, sizeof err), 0);
  assert_false(cf_timing_enabled(&t));
  assert_int_equal(cf_timing_parse("off", &t, err, sizeof err), 0);
  assert_false(cf_timing_enabled(&t));
  assert_int_equal(cf_timing_parse("apdu20", &t, err, sizeof err), 0);
  assert_int_equal(t.apdu_us, 20000);
  assert_int_equal(t.sign_us, 0);
  assert_int_equal(
      cf_timing_parse("apdu=1.5ms,ecdh=500us,keygen=0.1s,sign=2ms,derive=3ms,write=4ms", &t, err, sizeof err),
      0);
  assert_int_equal(t.apdu_us, 1500);
  assert_int_equal(t.ecdh_us, 500);
  assert_int_equal(t.keygen_us, 100000);
  assert_int_equal(t.sign_us, 2000);
  assert_int_equal(t.derive_us, 3000);
  assert_int_equal(t.write_us, 4000);
  /* a profile, then pairs that override it */
  assert_int_equal(cf_timing_parse("jcop-cj2a081,apdu=1ms", &t, err, sizeof err), 0);
  assert_int_equal(t.apdu_us, 1000);
  assert_int_equal(t.ecdh_us, 123000);
  assert_int_equal(t.sign_us, 241000);
}

static void refusals_leave_the_model_alone(void **state) {
  (void)state;
  static const char *const bad[] = {
      "fast",         /* no such profile */
      "apdu=20",      /* no unit */
      "apdu=20min",   /* no such unit */
      "apdu=-1ms",    /* negative */
      "apdu=11s",     /* beyond 10 s */
      "rsa=1ms",      /* no such operation */
      "apdu=1ms,off", /* a profile after a pair */
      "apdu=1ms,",    /* trailing comma */
      "apdu=",        /* no duration */
      "apdu=ms",      /* no number */
  };
  char err[300];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cf_timing t = {.apdu_us = 7};
    err[0] = '\0';
    assert_int_equal(cf_timing_parse(bad[i], &t, err, sizeof err), -1);
    assert_int_equal(t.apdu_us, 7);
    assert_true(strncmp(err, "timing: ", 8) == 0);
  }
}

static void options_and_file(void **state) {
  (void)state;
  cf_sim_options o;
  char err[300];
  cf_sim_options_init(&o);
  assert_int_equal(cf_sim_add_timing_arg(&o, "apdu20", err, sizeof err), 0);
  assert_int_equal(cf_sim_add_timing_arg(&o, "2:apdu=5ms", err, sizeof err), 0);
  assert_int_equal(o.timing_count, 2);
  assert_int_equal(o.timings[0].reader, -1);
  assert_int_equal(o.timings[1].reader, 2);
  /* the last option for a reader counts */
  assert_int_equal(cf_sim_add_timing_arg(&o, "2:apdu=6ms", err, sizeof err), 0);
  assert_int_equal(o.timing_count, 2);
  assert_string_equal(o.timings[1].spec, "apdu=6ms");
  assert_int_equal(cf_sim_add_timing_arg(&o, "100:apdu20", err, sizeof err), -1);
  assert_int_equal(cf_sim_add_timing_arg(&o, ":apdu20", err, sizeof err), -1);
  assert_int_equal(cf_sim_add_timing_arg(&o, "1:apdu=1", err, sizeof err), -1);
  assert_int_equal(o.timing_count, 2);
  /* the file: options win, its other readers are added, its errors name the problem */
  assert_int_equal(cf_sim_config_line("timing 2 apdu=9ms", &o, false, false, false, err, sizeof err), 0);
  assert_string_equal(o.timings[1].spec, "apdu=6ms");
  assert_int_equal(
      cf_sim_config_line("timing 3 jcop-cj2a081 # a slow one", &o, false, false, false, err, sizeof err), 0);
  assert_int_equal(o.timing_count, 3);
  assert_int_equal(o.timings[2].reader, 3);
  assert_string_equal(o.timings[2].spec, "jcop-cj2a081");
  assert_int_equal(cf_sim_config_line("timing", &o, false, false, false, err, sizeof err), -1);
  assert_int_equal(cf_sim_config_line("timing 4", &o, false, false, false, err, sizeof err), -1);
  assert_int_equal(cf_sim_config_line("timing 4 apdu=2", &o, false, false, false, err, sizeof err), -1);
  assert_non_null(strstr(err, "wants a duration"));
  assert_int_equal(o.timing_count, 3);
}

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A command that wrote pays the write; the operations counted on this thread are charged; the
 * wait lasts at least the model. */
static void cost_and_wait(void **state) {
  (void)state;
  cf_store *store = NULL;
  assert_int_equal(cf_store_open_memory(&store), CF_STORE_OK);
  cf_timing t;
  char err[300];
  assert_int_equal(cf_timing_parse("apdu=10ms,write=5ms,keygen=7ms,sign=3ms", &t, err, sizeof err), 0);
  cf_timing_mark m;
  cf_timing_begin(&m, store);
  assert_int_equal(cf_timing_cost_us(&t, &m, store), 10000);
  assert_int_equal(cf_store_begin(store), CF_STORE_OK);
  assert_int_equal(cf_store_put(store, CF_STORE_KEY(1, 1), "x", 1), CF_STORE_OK);
  assert_int_equal(cf_store_commit(store), CF_STORE_OK);
  assert_int_equal(cf_timing_cost_us(&t, &m, store), 15000);
  uint8_t priv[32], pub[65], sig[64];
  int recid;
  assert_int_equal(cf_ec_keygen(priv, pub), 0);
  assert_int_equal(cf_ec_sign(priv, priv, sig, &recid), 0);
  assert_int_equal(cf_ec_sign(priv, priv, sig, &recid), 0);
  cf_wipe(priv, sizeof priv);
  /* this program links the counters (tests/unit/transport/CMakeLists.txt), as cardforge does */
  assert_int_equal(cf_timing_cost_us(&t, &m, store), 15000 + 7000 + 2 * 3000);
  long long t0 = now_us();
  cf_timing_begin(&m, store);
  cf_timing_end(&t, &m, store);
  assert_true(now_us() - t0 >= 10000);
  /* no model: no wait */
  cf_timing off = {0};
  t0 = now_us();
  cf_timing_begin(&m, store);
  cf_timing_end(&off, &m, store);
  assert_true(now_us() - t0 < 5000);
  cf_store_close(store);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(profiles_and_pairs),
      cmocka_unit_test(refusals_leave_the_model_alone),
      cmocka_unit_test(options_and_file),
      cmocka_unit_test(cost_and_wait),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
