/* China Mobile templates, HSM, helper cards and set-ups (see robust_cmcc.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "robust_cmcc.h"

#include <string.h>

#include "cardforge/cmcc.h"
#include "cardforge/sw.h"
#include "cardforge/registry.h"

static cf_cmcc_hsm *rc_hsm;
static cf_cmcc_host rc_h;
/* helpers: in memory, alive for the whole test */
static cf_store *helper_store[2];
static cf_card *helper_card[2];
static cf_transport *helper_t[2];
enum { HELPER_KMC, HELPER_WORK };

const cf_card_profile *rc_profile(const char *name) {
  char base[32];
  size_t n = strcspn(name, ".-");
  snprintf(base, sizeof base, "%.*s", (int)n, name);
  const cf_card_profile *p = cf_card_profile_find(base);
  if (p == NULL) fail_msg("no card profile %s", base);
  return p;
}

const uint8_t *rc_aid(const char *profile_name) {
  static const uint8_t kmc[] = CMCC_AID_KMC, auth[] = CMCC_AID_AUTHCARD, work[] = CMCC_AID_WORKCARD,
                       user[] = CMCC_AID_USERCARD, sam[] = CMCC_AID_SAM, term[] = CMCC_AID_TERMINAL;
  if (strncmp(profile_name, "kmc", 3) == 0) return kmc;
  if (strncmp(profile_name, "authcard", 8) == 0) return auth;
  if (strncmp(profile_name, "workcard", 8) == 0) return work;
  if (strncmp(profile_name, "usercard", 8) == 0) return user;
  if (strncmp(profile_name, "sam", 3) == 0) return sam;
  return term;
}

cf_cmcc_role rc_role(rb_card *c) {
  const char *n = c->profile->name;
  if (strcmp(n, "kmc") == 0) return CF_CMCC_KMC;
  if (strcmp(n, "authcard") == 0) return CF_CMCC_AUTH;
  if (strcmp(n, "workcard") == 0) return CF_CMCC_WORK;
  if (strcmp(n, "usercard") == 0) return CF_CMCC_USER;
  if (strcmp(n, "sam") == 0) return CF_CMCC_SAM;
  return CF_CMCC_TERMINAL;
}

cf_cmcc_host *rc_host(rb_card *c, cf_cmcc_role r) {
  cf_cmcc_host_init(&rc_h);
  rc_h.hsm = rc_hsm;
  rc_h.card[CF_CMCC_KMC] = helper_t[HELPER_KMC];
  rc_h.card[CF_CMCC_WORK] = helper_t[HELPER_WORK];
  rc_h.card[r] = c->t;
  return &rc_h;
}

void rc_attrs(uint8_t attrs[11], uint8_t type, uint8_t version, uint8_t div) {
  memset(attrs, 0, 11);
  attrs[CMCC_ATTR_TYPE] = type;
  attrs[CMCC_ATTR_VERSION] = version;
  attrs[CMCC_ATTR_INDEX] = 0x01;
  attrs[CMCC_ATTR_ALG] = CMCC_ALG_3DES;
  attrs[CMCC_ATTR_DIV] = div;
  attrs[CMCC_ATTR_STATUS] = CMCC_KEY_USABLE;
}

const cf_cmcc_key *rc_hsm_key(uint8_t type) {
  char err[160];
  const cf_cmcc_key *k = cf_cmcc_hsm_find(rc_hsm, type, 1, 1, err, sizeof err);
  if (k == NULL) fail_msg("HSM: %s", err);
  return k;
}

static int ok(cf_cmcc_host *h, int rc) {
  if (rc != 0 && !rb_sweep_cutting())
    print_message("cmcc host: %s: %s (SW %04X)\n", h->step, h->message, h->sw);
  return rc == 0 ? 0 : -1;
}

/* External Authentication P2 of a card's first and second key (doc 3.3). */
static uint8_t auth_p2(cf_cmcc_role r, int which) {
  if (r == CF_CMCC_AUTH) return CMCC_AUTH_P2_AUTHCARD;
  return which == 1 ? CMCC_AUTH_P2_OPERATOR : CMCC_AUTH_P2_SECOND;
}

int rc_pin(rb_card *c) {
  cf_cmcc_role r = rc_role(c);
  cf_cmcc_host *h = rc_host(c, r);
  return ok(h, cf_cmcc_verify_pin(h, r, CMCC_PIN_APP, (const uint8_t *)RC_PIN2));
}

static int auth(rb_card *c, int which) {
  cf_cmcc_role r = rc_role(c);
  cf_cmcc_host *h = rc_host(c, r);
  return ok(h, cf_cmcc_auth_via_hsm(h, r, auth_p2(r, which), 1, 1));
}

int rc_auth1(rb_card *c) {
  return rc_pin(c) == 0 && auth(c, 1) == 0 ? 0 : -1;
}
int rc_auth2(rb_card *c) {
  return rc_pin(c) == 0 && auth(c, 2) == 0 ? 0 : -1;
}
int rc_auth12(rb_card *c) {
  return rc_auth1(c) == 0 && auth(c, 2) == 0 ? 0 : -1;
}

static void hsm_add(uint8_t type) {
  uint8_t attrs[11], value[16];
  rc_attrs(attrs, type, 1, 0x00);
  for (int i = 0; i < 16; i++)
    value[i] = (uint8_t)((type << 4) | i); /* the cards' default values */
  assert_int_equal(cf_cmcc_hsm_add(rc_hsm, attrs, value, "default"), 0);
}

static void helper(int i, const char *profile, const char *params) {
  assert_int_equal(cf_store_open_memory(&helper_store[i]), CF_STORE_OK);
  helper_card[i] = rc_profile(profile)->create(helper_store[i], params);
  assert_non_null(helper_card[i]);
  cf_card_power_on(helper_card[i]);
  helper_t[i] = cf_transport_open_card(helper_card[i]);
  assert_non_null(helper_t[i]);
}

void rc_free_helpers(void) {
  for (int i = 0; i < 2; i++) {
    if (helper_t[i]) cf_transport_close(helper_t[i]);
    cf_card_free(helper_card[i]);
    cf_store_close(helper_store[i]);
    helper_t[i] = NULL, helper_card[i] = NULL, helper_store[i] = NULL;
  }
  cf_cmcc_hsm_free(rc_hsm);
  rc_hsm = NULL;
}

static void template(const char *dir, const char *name, const char *params) {
  rb_card c;
  assert_int_equal(rb_card_open(&c, rc_profile(name), params, rb_path(dir, name)), 0);
  rb_card_close(&c);
}

void rc_make_templates(const char *dir) {
  rc_hsm = cf_cmcc_hsm_new();
  assert_non_null(rc_hsm);
  for (uint8_t t = CMCC_KEY_OPERATOR_KMC; t <= CMCC_KEY_WORKCARD; t++)
    hsm_add(t);

  /* the KMC that exports to the targets holds every key type, PIN 02 and the second master key */
  helper(HELPER_KMC, "kmc", "keys=0102060708090A0B");
  rc_h.hsm = rc_hsm;
  cf_cmcc_host_init(&rc_h);
  rc_h.hsm = rc_hsm;
  rc_h.card[CF_CMCC_KMC] = helper_t[HELPER_KMC];
  if (ok(&rc_h, cf_cmcc_verify_pin(&rc_h, CF_CMCC_KMC, CMCC_PIN_APP, (const uint8_t *)RC_PIN2)) != 0 ||
      ok(&rc_h, cf_cmcc_auth_via_hsm(&rc_h, CF_CMCC_KMC, CMCC_AUTH_P2_SECOND, 1, 1)) != 0)
    fail_msg("cmcc: the helper KMC does not authenticate");
  /* the working card that feeds the terminal holds the terminal keys 06 and 07 */
  helper(HELPER_WORK, "workcard", "keys=04050607");

  template(dir, "kmc.card", "");
  template(dir, "authcard.card", "");
  template(dir, "workcard.card", "");
  template(dir, "usercard.card", "");
  template(dir, "sam.card", "");
  template(dir, "terminal.card", "");

  rb_card c;
  assert_int_equal(rb_copy_card(rb_path(dir, "usercard.card"), rb_path(dir, "usercard-sub.card")), 0);
  assert_int_equal(rb_card_open(&c, rc_profile("usercard"), "", rb_path(dir, "usercard-sub.card")), 0);
  cf_cmcc_host *h = rc_host(&c, CF_CMCC_USER);
  static const uint8_t serial[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  cf_cmcc_user_job job = {.subapp = 1,
                          .emk_vit = {1, 1, CMCC_KEY_ENTERPRISE_MGMT},
                          .create = true,
                          .eid = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66},
                          .nkeys = 1};
  job.keys[0] =
      (cf_cmcc_target_key){.id = 1, .version = 1, .kmc_vit = {1, 1, CMCC_KEY_ENTERPRISE_APP}, .levels = 1};
  if (ok(h, cf_cmcc_user_update(h, &job, serial)) != 0) fail_msg("cmcc: CREATE SUB_APPLICATION failed");
  rb_card_close(&c);
}

/* Tries left before a wrong attempt, from its answer: 63Cx / 630x say x are left after it, so x + 1
 * were left before; blocked (PIN 6985, key 6983) means none. -1: another answer. */
static int tries_before(uint16_t sw, uint16_t family, uint16_t blocked) {
  if ((sw & 0xFFF0) == family) return (sw & 0x0F) + 1;
  return sw == blocked ? 0 : -1;
}

int rc_tries(rb_card *c, int tries[4]) {
  tries[0] = tries_before(rb_card_send_hex(c,
                                           "F020000208"
                                           "3030303030303030",
                                           NULL, 0, NULL),
                          0x63C0, CMCC_SW_PIN_BLOCKED);
  if (rc_role(c) > CF_CMCC_WORK || rb_card_send_hex(c, "F084000004", NULL, 0, NULL) != SW_OK) return 1;
  uint8_t p2 = rc_role(c) == CF_CMCC_AUTH ? CMCC_AUTH_P2_AUTHCARD : CMCC_AUTH_P2_SECOND;
  uint8_t apdu[] = {0xF0, 0x82, 0x00, p2, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};
  tries[1] = tries_before(rb_card_send(c, apdu, sizeof apdu, NULL, 0, NULL), 0x6300, SW_AUTH_METHOD_BLOCKED);
  return 2;
}
