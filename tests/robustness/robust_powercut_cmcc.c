/* Power-cut sweep of the China Mobile cards: PIN and external-authentication tries, Change /
 * Reload PIN, Generate Key, Import Key at both levels, Update Info on the three master cards, and
 * the writes the targets take (user card sub-applications, SAM keys, terminal key and data). A cut
 * at each physical write, a restart from the file: the old state or the new one, or for a retry
 * counter the durable decrement, never a mix. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cardforge/cmcc.h"
#include "cardforge/sw.h"
#include "robust_cmcc.h"

static char *dir;
static rb_sweep_stats stats;

#define H(c) rc_host(c, rc_role(c))
static int ok(cf_cmcc_host *h, int rc) {
  if (rc != 0 && !rb_sweep_cutting())
    print_message("cmcc host: %s: %s (SW %04X)\n", h->step, h->message, h->sw);
  return rc == 0 ? 0 : -1;
}

static int verify_right(rb_card *c) {
  return rc_pin(c);
}
static int verify_wrong(rb_card *c) {
  return rb_card_send_hex(c,
                          "F020000208"
                          "3030303030303030",
                          NULL, 0, NULL) == 0x63C2
             ? 0
             : -1;
}
static int change_pin(rb_card *c) {
  cf_cmcc_host *h = H(c);
  return ok(h, cf_cmcc_change_pin(h, rc_role(c), CMCC_PIN_APP, (const uint8_t *)RC_PIN2,
                                  (const uint8_t *)"87654321"));
}
static int reload_pin(rb_card *c) {
  cf_cmcc_host *h = H(c);
  return ok(h, cf_cmcc_reload_pin(h, rc_role(c), CMCC_PIN_EXPORT, (const uint8_t *)"12344321"));
}
/* External Authentication with the card's second key (the auth card's only one) */
static uint8_t second_p2(rb_card *c) {
  return rc_role(c) == CF_CMCC_AUTH ? CMCC_AUTH_P2_AUTHCARD : CMCC_AUTH_P2_SECOND;
}
static int auth_right(rb_card *c) {
  cf_cmcc_host *h = H(c);
  return ok(h, cf_cmcc_auth_via_hsm(h, rc_role(c), second_p2(c), 1, 1));
}
static int auth_wrong(rb_card *c) {
  if (rb_card_send_hex(c, "F084000004", NULL, 0, NULL) != SW_OK) return -1;
  uint8_t apdu[] = {0xF0, 0x82, 0x00, second_p2(c), 0x08, 0, 0, 0, 0, 0, 0, 0, 0};
  return rb_card_send(c, apdu, sizeof apdu, NULL, 0, NULL) == CMCC_SW_AUTH_FAIL(4) ? 0 : -1;
}
static int generate(rb_card *c) {
  cf_cmcc_keysheet s = {.count = 3};
  memset(s.seed, 0x5E, sizeof s.seed);
  rc_attrs(s.attrs[0], CMCC_KEY_ENTERPRISE_MGMT, 2, 0x31);
  rc_attrs(s.attrs[1], CMCC_KEY_ENTERPRISE_APP, 2, 0x32);
  rc_attrs(s.attrs[2], CMCC_KEY_SAM, 2, 0x32);
  cf_cmcc_host *h = rc_host(c, CF_CMCC_KMC);
  return ok(h, cf_cmcc_generate(h, &s));
}
static int import_key(rb_card *c, uint8_t p2, uint8_t wrap_type, uint8_t type, uint8_t div) {
  uint8_t attrs[11], value[16];
  rc_attrs(attrs, type, 2, div);
  memset(value, 0x3C ^ type, sizeof value);
  cf_cmcc_host *h = H(c);
  return ok(h, cf_cmcc_import_via_hsm(h, rc_role(c), p2, rc_hsm_key(wrap_type), attrs, value));
}
static int kmc_import1(rb_card *c) {
  return import_key(c, 1, CMCC_KEY_OPERATOR_KMC, CMCC_KEY_ENTERPRISE_APP, 0x32);
}
static int kmc_import2(rb_card *c) {
  return import_key(c, 2, CMCC_KEY_MASTER_CARD, CMCC_KEY_TERMINAL_INIT, 0x00);
}
static int auth_import(rb_card *c) {
  return import_key(c, 1, CMCC_KEY_AUTHCARD, CMCC_KEY_MASTER_CARD, 0x00);
}
static int work_import1(rb_card *c) {
  return import_key(c, 1, CMCC_KEY_OPERATOR_WORK, CMCC_KEY_WORKCARD, 0x00);
}
static int work_import2(rb_card *c) {
  return import_key(c, 2, CMCC_KEY_WORKCARD, CMCC_KEY_TERMINAL_APP, 0x12);
}
static int update_info(rb_card *c, uint8_t wrap_type, uint8_t type, const char *data, size_t len) {
  cf_cmcc_host *h = H(c);
  return ok(
      h, cf_cmcc_update_info_via_hsm(h, rc_role(c), rc_hsm_key(wrap_type), type, (const uint8_t *)data, len));
}
static int kmc_info(rb_card *c) {
  return update_info(c, CMCC_KEY_OPERATOR_KMC, CMCC_INFO_ENTERPRISE_ID, "ENT-01", 6);
}
static int auth_info(rb_card *c) {
  return update_info(c, CMCC_KEY_AUTHCARD, 0x02, "own information", 15);
}
static int work_info(rb_card *c) {
  return update_info(c, CMCC_KEY_OPERATOR_WORK, CMCC_INFO_ENTERPRISE_ID, "ENT-02", 6);
}

static const uint8_t serial[8] = {1, 2, 3, 4, 5, 6, 7, 8};
static int user_job(rb_card *c, bool create, size_t data_len, size_t nkeys) {
  cf_cmcc_user_job job = {.subapp = 1,
                          .emk_vit = {1, 1, CMCC_KEY_ENTERPRISE_MGMT},
                          .create = create,
                          .eid = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66},
                          .data_len = data_len,
                          .nkeys = nkeys};
  memset(job.data, 0xD7, data_len);
  for (size_t i = 0; i < nkeys; i++)
    job.keys[i] = (cf_cmcc_target_key){
        .id = (uint8_t)(i + 2), .version = 1, .kmc_vit = {1, 1, CMCC_KEY_ENTERPRISE_APP}, .levels = 1};
  cf_cmcc_host *h = rc_host(c, CF_CMCC_USER);
  return ok(h, cf_cmcc_user_update(h, &job, serial));
}
static int user_create(rb_card *c) {
  return user_job(c, true, 0, 2);
}
static int user_data(rb_card *c) {
  return user_job(c, false, 40, 0);
}
static int user_keys(rb_card *c) {
  return user_job(c, false, 0, 3);
}
static int sam_write(rb_card *c) {
  cf_cmcc_sam_job job = {.factor = {1, 2, 3, 4, 5, 6, 7, 8, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8},
                         .imk_vit = {1, 1, CMCC_KEY_SAM_INIT},
                         .nkeys = 2};
  for (size_t i = 0; i < 2; i++)
    job.keys[i] = (cf_cmcc_target_key){.id = (uint8_t)(i + 1), .version = 1, .kmc_vit = {1, 1, CMCC_KEY_SAM}};
  cf_cmcc_host *h = rc_host(c, CF_CMCC_SAM);
  return ok(h, cf_cmcc_sam_update(h, &job));
}
static int terminal_write(rb_card *c) {
  cf_cmcc_terminal_job job = {.subapp_index = 1, .key_version = 1};
  cf_cmcc_host *h = rc_host(c, CF_CMCC_TERMINAL);
  return ok(h, cf_cmcc_terminal_write(h, &job));
}

static const rb_sweep_step steps[] = {
    {"KMC Verify PIN (right)", "kmc.card", NULL, verify_right, verify_wrong, false, rc_tries, NULL},
    {"KMC Verify PIN (wrong)", "kmc.card", NULL, verify_wrong, NULL, false, rc_tries, NULL},
    {"KMC Change PIN", "kmc.card", NULL, change_pin, verify_wrong, false, rc_tries, NULL},
    {"KMC Reload PIN", "kmc.card", rc_auth1, reload_pin, NULL, false, rc_tries, NULL},
    {"KMC External Authentication (right)", "kmc.card", rc_pin, auth_right, auth_wrong, false, rc_tries,
     NULL},
    {"KMC External Authentication (wrong)", "kmc.card", rc_pin, auth_wrong, NULL, false, rc_tries, NULL},
    {"KMC Generate Key (3 keys)", "kmc.card", rc_auth2, generate, NULL, false, NULL, NULL},
    {"KMC Import Key (level 1)", "kmc.card", rc_auth1, kmc_import1, NULL, false, NULL, NULL},
    {"KMC Import Key (level 2)", "kmc.card", rc_auth2, kmc_import2, NULL, false, NULL, NULL},
    {"KMC Update Info", "kmc.card", rc_auth1, kmc_info, NULL, false, NULL, NULL},
    {"auth card Verify PIN (right)", "authcard.card", NULL, verify_right, verify_wrong, false, rc_tries,
     NULL},
    {"auth card External Authentication", "authcard.card", rc_pin, auth_right, auth_wrong, false, rc_tries,
     NULL},
    {"auth card Change PIN", "authcard.card", NULL, change_pin, verify_wrong, false, rc_tries, NULL},
    {"auth card Import Key", "authcard.card", rc_auth1, auth_import, NULL, false, NULL, NULL},
    {"auth card Update Info", "authcard.card", rc_auth1, auth_info, NULL, false, NULL, NULL},
    {"working card Verify PIN (wrong)", "workcard.card", NULL, verify_wrong, NULL, false, rc_tries, NULL},
    {"working card External Authentication", "workcard.card", rc_pin, auth_right, auth_wrong, false, rc_tries,
     NULL},
    {"working card Reload PIN", "workcard.card", rc_auth1, reload_pin, NULL, false, rc_tries, NULL},
    {"working card Import Key (level 1)", "workcard.card", rc_auth1, work_import1, NULL, false, NULL, NULL},
    {"working card Import Key (level 2)", "workcard.card", rc_auth2, work_import2, NULL, false, NULL, NULL},
    {"working card Update Info", "workcard.card", rc_auth1, work_info, NULL, false, NULL, NULL},
    {"user card CREATE SUB_APPLICATION", "usercard.card", NULL, user_create, NULL, false, NULL, NULL},
    {"user card UPDATE SUB_APPLICATION DATA", "usercard-sub.card", NULL, user_data, NULL, false, NULL, NULL},
    {"user card UPDATE SUB_APPLICATION KEYS", "usercard-sub.card", NULL, user_keys, NULL, false, NULL, NULL},
    {"SAM WRITE_KEY (2 keys)", "sam.card", NULL, sam_write, NULL, false, NULL, NULL},
    {"terminal LOAD KEY + LOAD DATA", "terminal.card", NULL, terminal_write, NULL, false, NULL, NULL},
};

static int group_setup(void **state) {
  (void)state;
  dir = rb_tmpdir();
  rc_make_templates(dir);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  rb_sweep_print("cmcc", &stats);
  rc_free_helpers();
  rb_rmdir(dir);
  return 0;
}

static void test_sweep(void **state) {
  const rb_sweep_step *step = *state;
  const cf_card_profile *p = rc_profile(step->from);
  size_t before = stats.cut_points;
  rb_sweep(dir, p, "", rc_aid(p->name), CMCC_AID_LEN, step, &stats);
  assert_true(stats.cut_points > before); /* every step here writes */
}

int main(void) {
  struct CMUnitTest tests[sizeof steps / sizeof steps[0]];
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    tests[i] = (struct CMUnitTest){steps[i].name, test_sweep, NULL, NULL, (void *)&steps[i]};
  return _cmocka_run_group_tests("robust_powercut_cmcc", tests, sizeof steps / sizeof steps[0], group_setup,
                                 group_teardown);
}
