/* Fuzz harness: the GlobalPlatform Issuer Security Domain. Start states (first byte modulo 4):
 *   0  SCP02 card (DES keys 40..4F), ISD selected, no channel
 *   1  the same inside an SCP02 channel, C-MAC + C-DEC (host client cf_gp_client)
 *   2  SCP03 card (AES-128 keys 40..4F), ISD selected, no channel
 *   3  the same inside an SCP03 channel, C-MAC + C-DEC + R-MAC + R-ENC
 * FZ_SECURE records (CLA INS P1 P2 data) are wrapped by the client, so PUT KEY, DELETE KEY and
 * GET DATA are reached past the MAC check. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cardforge/gp.h"
#include "cardforge/gp_client.h"
#include "fuzz_driver.h"
#include "fuzz_entry.h"

enum { GP_STATE_SCP02, GP_STATE_SCP02_OPEN, GP_STATE_SCP03, GP_STATE_SCP03_OPEN, GP_STATES };

static rb_state gp_scp02_state, gp_scp03_state;
static cf_gp_client gp_client;

static const cf_scp_keys gp_fuzz_keys = {
    .kvn = 0xFF,
    .klen = 16,
    .enc = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
    .mac = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
    .dek = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
};

static const cf_card_profile *gp_profile_of(unsigned state) {
  (void)state;
  return &gp_profile;
}

static const char *gp_params_of(unsigned state) {
  return state < GP_STATE_SCP03 ? "scp=02" : "scp=03";
}

static const rb_state *gp_snapshot_of(unsigned state) {
  return state < GP_STATE_SCP03 ? &gp_scp02_state : &gp_scp03_state;
}

static void gp_resume(fz_session *s) {
  cf_gp_client_init(&gp_client, &s->t);
  s->client = &gp_client;
  if (cf_gp_select(&gp_client, NULL, 0, NULL, 0, NULL) != CF_GP_OK) return;
  if (s->state != GP_STATE_SCP02_OPEN && s->state != GP_STATE_SCP03_OPEN) return;
  uint8_t level = CF_SCP_C_MAC | CF_SCP_C_DEC;
  if (s->state == GP_STATE_SCP03_OPEN) level |= CF_SCP_R_MAC | CF_SCP_R_ENC;
  cf_gp_open_opts o = {.scp = 0, .level = level, .kvn = 0};
  cf_gp_open(&gp_client, &gp_fuzz_keys, &o);
}

static void gp_secure(fz_session *s, const uint8_t *body, size_t len) {
  static uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
  if (len < 4) return;
  cf_apdu a = {.cla = body[0],
               .ins = body[1],
               .p1 = body[2],
               .p2 = body[3],
               .data = len > 4 ? body + 4 : NULL,
               .lc = len - 4};
  size_t rlen = 0;
  uint16_t sw;
  cf_gp_transmit(s->client, &a, 0, resp, sizeof resp, &rlen, &sw);
}

static const fz_harness fz_gp = {
    .name = "gp",
    .profile = gp_profile_of,
    .params = gp_params_of,
    .snapshot = gp_snapshot_of,
    .nstates = GP_STATES,
    .resume = gp_resume,
    .secure = gp_secure,
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  if (fz_prepare_state(&gp_profile, "scp=02", NULL, NULL, &gp_scp02_state) != 0 ||
      fz_prepare_state(&gp_profile, "scp=03", NULL, NULL, &gp_scp03_state) != 0)
    fz_fail("gp: cannot prepare the start states");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run(&fz_gp, data, size);
  return 0;
}
