/* Load client for the GlobalPlatform card (one client per reader: one secure channel): SCP03 at
 * the highest level, GET DATA through the channel, new sessions (each advances the persistent
 * challenge counter), and PUT KEY / DELETE KEY cycles checked through the key information. */
#include <string.h>

#include "cardforge/gp_client.h"
#include "load.h"
#include "load_count.h"

#define K16                                                                                                  \
  { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F }
static const cf_scp_keys factory = {.kvn = 0xFF, .klen = 16, .enc = K16, .mac = K16, .dek = K16};

static int open_channel(cf_gp_client *c, load_result *r) {
  cf_gp_open_opts o = {
      .scp = 3, .level = CF_SCP_C_MAC | CF_SCP_C_DEC | CF_SCP_R_MAC | CF_SCP_R_ENC, .kvn = 0xFF};
  if (cf_gp_select(c, NULL, 0, NULL, 0, NULL) != 0 || cf_gp_open(c, &factory, &o) != 0) {
    load_fail(r, "channel: %s", c->err);
    return -1;
  }
  return 0;
}

/* true if key set kvn is in the key information template */
static int has_set(cf_gp_client *c, uint8_t kvn, load_result *r) {
  uint8_t buf[512];
  size_t n = 0, count = 0;
  cf_gp_key_info info[32];
  if (cf_gp_get_data(c, 0x00E0, buf, sizeof buf, &n) != 0 ||
      cf_gp_parse_key_info(buf, n, info, 32, &count) != 0) {
    load_fail(r, "key information: %s", c->err);
    return -1;
  }
  for (size_t i = 0; i < count; i++)
    if (info[i].kvn == kvn) return 1;
  return 0;
}

int load_gp(const load_opts *o, load_result *r) {
  char err[256];
  cf_transport *t = cf_transport_open_pcsc(o->reader, err, sizeof err);
  if (t == NULL) {
    load_fail(r, "%s", err);
    return -1;
  }
  load_count_apdus(t, r);
  cf_gp_client c;
  cf_gp_client_init(&c, t);
  if (open_channel(&c, r) != 0) {
    cf_transport_close(t);
    return -1;
  }
  uint32_t rs = 0xC0FFEEu ^ o->id;
  static const uint16_t tags[] = {0x00E0, 0x9F7F, 0x0066, 0x00CF, 0x0045, 0x00C1};
  double end = load_now() + o->seconds;
  while (load_now() < end) {
    r->operations++;
    unsigned op = load_rand(&rs) % 20;
    if (op < 14) {
      uint8_t buf[512];
      size_t n = 0;
      uint16_t tag = tags[load_rand(&rs) % 6];
      if (cf_gp_get_data(&c, tag, buf, sizeof buf, &n) != 0 || n < 3)
        load_fail(r, "GET DATA %04X: %s", tag, c.err);
    } else if (op < 17) {
      open_channel(&c, r);
    } else {
      cf_gp_new_key keys[3];
      for (int i = 0; i < 3; i++) {
        keys[i].type = CF_GP_KEY_AES;
        keys[i].len = 16;
        for (int k = 0; k < 16; k++)
          keys[i].value[k] = (uint8_t)load_rand(&rs);
      }
      if (cf_gp_put_key(&c, 0, 0x01, 1, keys, 3, load_rand(&rs) & 1) != 0 || has_set(&c, 0x01, r) != 1 ||
          cf_gp_delete_key(&c, 0x01, -1) != 0 || has_set(&c, 0x01, r) != 0)
        load_fail(r, "PUT KEY / DELETE KEY: %s", c.err);
      else
        r->updates += 2;
    }
  }
  cf_gp_close(&c);
  cf_transport_close(t);
  return 0;
}
