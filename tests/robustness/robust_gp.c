/* GlobalPlatform templates and set-ups for the robustness tests (see robust_gp.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "robust_gp.h"

#include <string.h>

#include "cardforge/gp.h"

#define K16                                                                                                  \
  { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F }
const cf_scp_keys rg_factory_keys = {.kvn = 0xFF, .klen = 16, .enc = K16, .mac = K16, .dek = K16};
const uint8_t rg_isd_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

static cf_gp_client rg_gc;

cf_gp_client *rg_client(rb_card *c) {
  if (c->client == NULL || ((cf_gp_client *)c->client)->t != c->t) {
    cf_gp_client_init(&rg_gc, c->t);
    c->client = &rg_gc;
  }
  return c->client;
}

int rg_select(rb_card *c) {
  return cf_gp_select(rg_client(c), NULL, 0, NULL, 0, NULL) == CF_GP_OK ? 0 : -1;
}

int rg_open(rb_card *c) {
  if (rg_select(c) != 0) return -1;
  cf_gp_client *gc = rg_client(c);
  cf_gp_open_opts o = {.scp = 0, .level = CF_SCP_C_MAC | CF_SCP_C_DEC, .kvn = 0xFF};
  if (strstr(c->params, "scp=03")) o.level |= CF_SCP_R_MAC | CF_SCP_R_ENC;
  if (cf_gp_open(gc, &rg_factory_keys, &o) != CF_GP_OK) {
    if (!rb_sweep_cutting()) print_message("gp client: %s\n", gc->err);
    return -1;
  }
  return 0;
}

int rg_secure(rb_card *c, const uint8_t *apdu, size_t len, uint16_t *sw) {
  uint8_t resp[512];
  size_t rlen = 0;
  if (len < 4) return -1;
  cf_apdu a = {.cla = apdu[0],
               .ins = apdu[1],
               .p1 = apdu[2],
               .p2 = apdu[3],
               .data = len > 4 ? apdu + 4 : NULL,
               .lc = len - 4,
               .le = 256,
               .has_le = true};
  if (cf_gp_transmit(rg_client(c), &a, 0, resp, sizeof resp, &rlen, sw) != CF_GP_OK) {
    if (!rb_sweep_cutting()) print_message("gp client: %s\n", rg_client(c)->err);
    return -1;
  }
  return 0;
}

void rg_keys(const cf_gp_client *gc, cf_gp_new_key *keys, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++) {
    keys[i].type = gc->scp.scp == 0x02 ? CF_GP_KEY_DES : CF_GP_KEY_AES;
    keys[i].len = 16;
    for (size_t k = 0; k < 16; k++)
      keys[i].value[k] = (uint8_t)(seed + 16 * i + k);
  }
}

static void make(const char *dir, const char *from, const char *to, const char *params, bool add_set) {
  rb_card c;
  if (from) assert_int_equal(rb_copy_card(rb_path(dir, from), rb_path(dir, to)), 0);
  assert_int_equal(rb_card_open(&c, &gp_profile, params, rb_path(dir, to)), 0);
  if (add_set) {
    cf_gp_new_key keys[3];
    assert_int_equal(rg_open(&c), 0);
    rg_keys(rg_client(&c), keys, 3, 0x10);
    if (cf_gp_put_key(rg_client(&c), 0, 0x01, 1, keys, 3, false) != CF_GP_OK)
      fail_msg("gp template: PUT KEY failed: %s", rg_client(&c)->err);
  }
  rb_card_close(&c);
}

void rg_make_templates(const char *dir) {
  make(dir, NULL, "scp02.card", "scp=02", false);
  make(dir, NULL, "scp03.card", "scp=03", false);
  make(dir, "scp02.card", "scp02-two.card", "scp=02", true);
  make(dir, "scp03.card", "scp03-two.card", "scp=03", true);
}
