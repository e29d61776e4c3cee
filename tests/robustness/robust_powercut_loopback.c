/* Power-cut sweep of the loopback card's one state-changing command (the persistent counter),
 * alone and as the last part of a command chain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cardforge/loopback.h"
#include "cardforge/sw.h"
#include "robust_card.h"

static char *dir;
static rb_sweep_stats stats;

static int counter(rb_card *c) {
  return rb_card_send_hex(c, "80040000", NULL, 0, NULL) == SW_OK ? 0 : -1;
}

static int chained_echo_then_counter(rb_card *c) {
  if (rb_card_send_hex(c, "1001000002AABB", NULL, 0, NULL) != SW_OK) return -1;
  if (rb_card_send_hex(c, "0001000002CCDD", NULL, 0, NULL) != SW_OK) return -1;
  return counter(c);
}

static const rb_sweep_step steps[] = {
    {"COUNTER (fresh record)", "fresh.card", NULL, counter, NULL, false, NULL, NULL},
    {"COUNTER (after 3)", "three.card", NULL, counter, NULL, false, NULL, NULL},
    {"chained ECHO then COUNTER", "three.card", NULL, chained_echo_then_counter, NULL, false, NULL, NULL},
};

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rb_card c;
  assert_int_equal(rb_card_open(&c, &loopback_profile, "", rb_path(dir, "fresh.card")), 0);
  rb_card_close(&c);
  assert_int_equal(rb_copy_card(rb_path(dir, "fresh.card"), rb_path(dir, "three.card")), 0);
  assert_int_equal(rb_card_open(&c, &loopback_profile, "", rb_path(dir, "three.card")), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(counter(&c), 0);
  rb_card_close(&c);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rb_sweep_print("loopback", &stats);
  rb_rmdir(dir);
  return 0;
}

static void test_sweep(void **state) {
  const rb_sweep_step *step = *state;
  rb_sweep(dir, &loopback_profile, "", loopback_aid, sizeof loopback_aid, step, &stats);
  assert_true(stats.cut_points > 0);
}

int main(void) {
  struct CMUnitTest tests[sizeof steps / sizeof steps[0]];
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    tests[i] = (struct CMUnitTest){steps[i].name, test_sweep, NULL, NULL, (void *)&steps[i]};
  return _cmocka_run_group_tests("robust_powercut_loopback", tests, sizeof steps / sizeof steps[0],
                                 group_setup, group_teardown);
}
