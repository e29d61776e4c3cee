/* Power-cut sweep of the GlobalPlatform card: the sequence counters the handshakes advance, PUT KEY
 * in one command and chained, replacing a set, DELETE KEY; a cut at each physical write, a restart
 * from the file, then the key table is the old one or the new one, never a mix. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cardforge/gp.h"
#include "robust_gp.h"

static char *dir;
static rb_sweep_stats stats;

#define GC(c) rg_client(c)
#define OK(expr) ((expr) == CF_GP_OK ? 0 : -1)

static int do_open(rb_card *c) {
  return rg_open(c);
}

static int put_set(rb_card *c, uint8_t replace, uint8_t kvn, bool chained) {
  cf_gp_new_key keys[3];
  rg_keys(GC(c), keys, 3, 0x60);
  return OK(cf_gp_put_key(GC(c), replace, kvn, 1, keys, 3, chained));
}
static int do_add_set(rb_card *c) {
  return put_set(c, 0x00, 0x02, false);
}
static int do_add_set_chained(rb_card *c) {
  return put_set(c, 0x00, 0x02, true);
}
static int do_replace_set(rb_card *c) {
  return put_set(c, 0x01, 0x03, false);
}
static int do_replace_set_chained(rb_card *c) {
  return put_set(c, 0x01, 0x01, true);
}
static int do_replace_one_key(rb_card *c) {
  cf_gp_new_key key;
  rg_keys(GC(c), &key, 1, 0x70);
  return OK(cf_gp_put_key(GC(c), 0x01, 0x01, 2, &key, 1, false));
}
static int do_delete_set(rb_card *c) {
  return OK(cf_gp_delete_key(GC(c), 0x01, -1));
}
static int do_delete_key(rb_card *c) {
  return OK(cf_gp_delete_key(GC(c), 0x01, 3));
}
static int do_delete_factory(rb_card *c) {
  return OK(cf_gp_delete_key(GC(c), 0xFF, -1));
}

static const rb_sweep_step steps[] = {
    {"SCP02 handshake (sequence counter)", "scp02.card", rg_select, do_open, NULL, false, NULL, rg_select},
    {"SCP03 handshake (pseudo-random counter)", "scp03.card", rg_select, do_open, NULL, false, NULL,
     rg_select},
    {"SCP02 PUT KEY, new set, one command", "scp02.card", rg_open, do_add_set, NULL, false, NULL, rg_open},
    {"SCP03 PUT KEY, new set, one command", "scp03.card", rg_open, do_add_set, NULL, false, NULL, rg_open},
    {"SCP02 PUT KEY, new set, chained", "scp02.card", rg_open, do_add_set_chained, NULL, false, NULL,
     rg_open},
    {"SCP03 PUT KEY, new set, chained", "scp03.card", rg_open, do_add_set_chained, NULL, false, NULL,
     rg_open},
    {"SCP02 PUT KEY, replace set 01 by 03", "scp02-two.card", rg_open, do_replace_set, NULL, false, NULL,
     rg_open},
    {"SCP03 PUT KEY, replace set 01 by 03", "scp03-two.card", rg_open, do_replace_set, NULL, false, NULL,
     rg_open},
    {"SCP03 PUT KEY, replace set 01, chained", "scp03-two.card", rg_open, do_replace_set_chained, NULL, false,
     NULL, rg_open},
    {"SCP03 PUT KEY, replace one key", "scp03-two.card", rg_open, do_replace_one_key, NULL, false, NULL,
     rg_open},
    {"SCP02 DELETE KEY, set 01", "scp02-two.card", rg_open, do_delete_set, NULL, false, NULL, rg_open},
    {"SCP03 DELETE KEY, set 01", "scp03-two.card", rg_open, do_delete_set, NULL, false, NULL, rg_open},
    {"SCP03 DELETE KEY, key 3 of set 01", "scp03-two.card", rg_open, do_delete_key, NULL, false, NULL,
     rg_select},
    {"SCP03 DELETE KEY, factory set FF", "scp03-two.card", rg_open, do_delete_factory, NULL, false, NULL,
     rg_select},
};

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rg_make_templates(dir);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rb_sweep_print("gp", &stats);
  rb_rmdir(dir);
  return 0;
}

static void test_sweep(void **state) {
  const rb_sweep_step *step = *state;
  const char *params = strstr(step->from, "scp03") ? "scp=03" : "scp=02";
  size_t before = stats.cut_points;
  rb_sweep(dir, &gp_profile, params, rg_isd_aid, sizeof rg_isd_aid, step, &stats);
  assert_true(stats.cut_points > before); /* every step here writes */
}

int main(void) {
  struct CMUnitTest tests[sizeof steps / sizeof steps[0]];
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    tests[i] = (struct CMUnitTest){steps[i].name, test_sweep, NULL, NULL, (void *)&steps[i]};
  return _cmocka_run_group_tests("robust_powercut_gp", tests, sizeof steps / sizeof steps[0], group_setup,
                                 group_teardown);
}
