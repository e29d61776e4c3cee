/* Power-cut sweep of the GlobalPlatform card: the sequence counters the handshakes advance, PUT KEY
 * in one command and chained, replacing a set, DELETE KEY, SET STATUS of the card and of an
 * application; a cut at each physical write, a restart from the file, then the key table and the
 * registry are the old ones or the new ones, never a mix. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cardforge/gp.h"
#include "cardforge/hex.h"
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

static int set_status(rb_card *c, uint8_t p1, uint8_t p2, const uint8_t *aid, size_t aid_len) {
  uint8_t apdu[4 + 16] = {0x80, 0xF0, p1, p2};
  uint16_t sw = 0;
  if (aid_len) memcpy(apdu + 4, aid, aid_len);
  return rg_secure(c, apdu, 4 + aid_len, &sw) == 0 && sw == 0x9000 ? 0 : -1;
}
static int do_lock_card(rb_card *c) {
  return set_status(c, 0x80, 0x7F, NULL, 0);
}
static int do_lock_unlock_card(rb_card *c) {
  return do_lock_card(c) == 0 ? set_status(c, 0x80, 0x0F, NULL, 0) : -1;
}
static int do_terminate_card(rb_card *c) {
  return set_status(c, 0x80, 0xFF, NULL, 0);
}

/* A card with an application beside the ISD, on the same templates: the ISD keeps namespace 1 and
 * the probe writes nothing, so a template made by the "gp" profile opens as this card. */
static const uint8_t app_aid[9] = {0xA0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x03, 0x01};
static uint16_t probe_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)app, (void)cmd, (void)resp;
  return 0x9000;
}
static const cf_applet_ops probe_ops = {.name = "probe", .select = probe_select, .process = probe_select};
static cf_card *with_app_create(cf_store *store, const char *params) {
  cf_card *card = gp_profile.create(store, params);
  if (card && !cf_card_add_applet(card, &probe_ops, app_aid, sizeof app_aid, "", false)) {
    cf_card_free(card);
    return NULL;
  }
  return card;
}
static const cf_card_profile with_app_profile = {"gp+app", "ISD and one application", with_app_create};

static int do_lock_app(rb_card *c) {
  return set_status(c, 0x40, 0x80, app_aid, sizeof app_aid);
}
static int do_lock_unlock_app(rb_card *c) {
  return do_lock_app(c) == 0 ? set_status(c, 0x40, 0x00, app_aid, sizeof app_aid) : -1;
}

/* A command (CLA INS P1 P2 data, no Lc) through the channel that must answer 9000. */
static int secure_ok(rb_card *c, const char *hex) {
  uint8_t apdu[300];
  long n = cf_hex_decode(hex, apdu, sizeof apdu);
  uint16_t sw = 0;
  return n > 0 && rg_secure(c, apdu, (size_t)n, &sw) == 0 && sw == 0x9000 ? 0 : -1;
}
#define DELETE_APP "80E400004F09A00000080400010301"
#define DELETE_PKG_RELATED "80E400804F07A0000008040001"
#define INSTALL_APP                                                                                          \
  "80E60C00"                                                                                                 \
  "07A0000008040001"                                                                                         \
  "08A000000804000103"                                                                                       \
  "09A00000080400010301"                                                                                     \
  "0100"                                                                                                     \
  "02C90000"
#define INSTALL_FOR_LOAD                                                                                     \
  "80E60200"                                                                                                 \
  "07A0000008040001"                                                                                         \
  "00000000"
/* one block: C4 with a CAP Header component naming the Keycard package */
#define LOAD_LAST                                                                                            \
  "80E88000"                                                                                                 \
  "C414"                                                                                                     \
  "010011DECAFFED0102040001"                                                                                 \
  "07A0000008040001"
static int do_delete_app(rb_card *c) {
  return secure_ok(c, DELETE_APP);
}
static int do_delete_package(rb_card *c) {
  return secure_ok(c, DELETE_PKG_RELATED);
}
static int do_delete_install_app(rb_card *c) {
  return secure_ok(c, DELETE_APP) == 0 ? secure_ok(c, INSTALL_APP) : -1;
}
static int do_reload_package(rb_card *c) {
  if (secure_ok(c, DELETE_PKG_RELATED) != 0 || secure_ok(c, INSTALL_FOR_LOAD) != 0 ||
      secure_ok(c, LOAD_LAST) != 0)
    return -1;
  return secure_ok(c, INSTALL_APP);
}

static const rb_sweep_step app_steps[] = {
    {"SCP03 SET STATUS, lock an application", "scp03.card", rg_open, do_lock_app, NULL, false, NULL, rg_open},
    {"SCP02 SET STATUS, lock and unlock an application", "scp02.card", rg_open, do_lock_unlock_app, NULL,
     false, NULL, rg_open},
    {"SCP03 DELETE an application", "scp03.card", rg_open, do_delete_app, NULL, false, NULL, rg_open},
    {"SCP02 DELETE a load file and its applications", "scp02.card", rg_open, do_delete_package, NULL, false,
     NULL, rg_open},
    {"SCP03 DELETE an application, INSTALL it again", "scp03.card", rg_open, do_delete_install_app, NULL,
     false, NULL, rg_open},
    {"SCP03 DELETE a load file, LOAD it, INSTALL", "scp03.card", rg_open, do_reload_package, NULL, false,
     NULL, rg_open},
};

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
    {"SCP03 SET STATUS, lock the card", "scp03.card", rg_open, do_lock_card, NULL, false, NULL, rg_open},
    {"SCP02 SET STATUS, lock and unlock the card", "scp02.card", rg_open, do_lock_unlock_card, NULL, false,
     NULL, rg_open},
    {"SCP03 SET STATUS, terminate the card", "scp03.card", rg_open, do_terminate_card, NULL, false, NULL,
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

static void sweep(const cf_card_profile *profile, const rb_sweep_step *step) {
  const char *params = strstr(step->from, "scp03") ? "scp=03" : "scp=02";
  size_t before = stats.cut_points;
  rb_sweep(dir, profile, params, rg_isd_aid, sizeof rg_isd_aid, step, &stats);
  assert_true(stats.cut_points > before); /* every step here writes */
}
static void test_sweep(void **state) {
  sweep(&gp_profile, *state);
}
static void test_sweep_with_app(void **state) {
  sweep(&with_app_profile, *state);
}

#define N_STEPS (sizeof steps / sizeof steps[0])
#define N_APP_STEPS (sizeof app_steps / sizeof app_steps[0])

int main(void) {
  struct CMUnitTest tests[N_STEPS + N_APP_STEPS];
  for (size_t i = 0; i < N_STEPS; i++)
    tests[i] = (struct CMUnitTest){steps[i].name, test_sweep, NULL, NULL, (void *)&steps[i]};
  for (size_t i = 0; i < N_APP_STEPS; i++)
    tests[N_STEPS + i] =
        (struct CMUnitTest){app_steps[i].name, test_sweep_with_app, NULL, NULL, (void *)&app_steps[i]};
  return _cmocka_run_group_tests("robust_powercut_gp", tests, N_STEPS + N_APP_STEPS, group_setup,
                                 group_teardown);
}
