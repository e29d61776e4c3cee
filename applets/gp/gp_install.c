/* First installation of the Security Domain: card identity (CPLC, KDD, CIN), implementation options
 * and the initial key set, from the profile parameters. Later installs (the card reopened from its
 * file) find the records and change nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/store.h"
#include "gp_internal.h"

static const uint8_t default_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                        0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};

/* A one-byte hex parameter, or def when absent. -1 when malformed. */
static int param_byte(const char *params, const char *name, int def) {
  char v[8];
  uint8_t b;
  if (!cf_params_get(params, name, v, sizeof v)) return def;
  if (cf_hex_decode(v, &b, 1) != 1) return -1;
  return b;
}

/* A key parameter: returns its length, 0 when absent, -1 when malformed. */
static long param_key(const char *params, const char *name, uint8_t out[32]) {
  char v[80];
  if (!cf_params_get(params, name, v, sizeof v)) return 0;
  long n = cf_hex_decode(v, out, 32);
  return (n == 16 || n == 24 || n == 32) ? n : -1;
}

/* CPLC (Card Production Life Cycle, 42 bytes): fixed fabricator/type/OS codes, the IC serial number
 * from the parameters or random. Dates are YDDD in BCD. */
static void build_identity(gp_config *cfg, const uint8_t serial[4]) {
  static const uint8_t head[12] = {
      0x43, 0x46, /* IC fabricator "CF" */
      0x47, 0x50, /* IC type "GP" */
      0x00, 0x01, /* operating system identifier */
      0x53, 0x27, /* OS release date */
      0x01, 0x00, /* OS release level */
      0x53, 0x27, /* IC fabrication date */
  };
  memset(cfg->cplc, 0, sizeof cfg->cplc);
  memcpy(cfg->cplc, head, sizeof head);
  memcpy(cfg->cplc + 12, serial, 4);
  cfg->cplc[16] = 0x00; /* IC batch identifier 0001 */
  cfg->cplc[17] = 0x01;
  /* KDD: IC fabricator, IC type, IC serial number, IC batch identifier. */
  memcpy(cfg->kdd, cfg->cplc, 4);
  memcpy(cfg->kdd + 4, serial, 4);
  memcpy(cfg->kdd + 8, cfg->cplc + 16, 2);
  memcpy(cfg->cin, cfg->cplc, 4);
  memcpy(cfg->cin + 4, serial, 4);
}

int gp_install(cf_applet *app, const char *params) {
  gp_config cfg;
  if (gp_config_get(app, &cfg) == 0) return 0;

  memset(&cfg, 0, sizeof cfg);
  cfg.version = 1;
  int i02 = param_byte(params, "i02", 0x55), i03 = param_byte(params, "i03", 0x70);
  int kvn = param_byte(params, "kvn", 0xFF);
  int life = param_byte(params, "life", GP_CARD_SECURED);
  if (life != GP_CARD_OP_READY && life != GP_CARD_INITIALIZED && life != GP_CARD_SECURED) return -1;
  if (i02 != 0x15 && i02 != 0x55) return -1;
  /* SCP03: pseudo-random challenge, R-MAC, R-ENC (00, 10, 30, 70), each also in S16 mode (b1) */
  if ((i03 & ~CF_SCP03_I_S16) != 0x00 && (i03 & ~CF_SCP03_I_S16) != 0x10 && (i03 & ~CF_SCP03_I_S16) != 0x30 &&
      (i03 & ~CF_SCP03_I_S16) != 0x70)
    return -1;
  if (kvn < 1) return -1;
  cfg.scp02_i = (uint8_t)i02;
  cfg.scp03_i = (uint8_t)i03;

  char scp[8] = "02";
  if (cf_params_get(params, "scp", scp, sizeof scp) && strcmp(scp, "02") != 0 && strcmp(scp, "03") != 0)
    return -1;
  uint8_t type = strcmp(scp, "03") == 0 ? CF_GP_KEY_AES : CF_GP_KEY_DES;

  uint8_t serial[4];
  char sv[16];
  if (cf_params_get(params, "serial", sv, sizeof sv)) {
    if (cf_hex_decode(sv, serial, 4) != 4) return -1;
  } else if (cf_rand(serial, 4) != 0) {
    return -1;
  }
  build_identity(&cfg, serial);

  /* The initial key set: key= for all three, or enc=/mac=/dek= each; 40..4F by default. */
  gp_key_table t;
  memset(&t, 0, sizeof t);
  uint8_t all[32], one[32];
  long all_len = param_key(params, "key", all);
  if (all_len < 0) return -1;
  if (all_len == 0) {
    memcpy(all, default_key, 16);
    all_len = 16;
  }
  static const char *names[3] = {"enc", "mac", "dek"};
  for (int n = 0; n < 3; n++) {
    gp_key *k = &t.keys[t.count++];
    long len = param_key(params, names[n], one);
    if (len < 0) { /* the keys read so far go with the error */
      gp_key_table_wipe(&t);
      cf_wipe(all, sizeof all);
      cf_wipe(one, sizeof one);
      return -1;
    }
    k->id = (uint8_t)(n + 1);
    k->kvn = (uint8_t)kvn;
    k->type = type;
    k->len = (uint8_t)(len ? len : all_len);
    memcpy(k->value, len ? one : all, k->len);
  }
  cf_wipe(all, sizeof all);
  cf_wipe(one, sizeof one);
  cf_scp_keys check;
  if (gp_keys_channel_set(&t, (uint8_t)kvn, &check) != type) { /* e.g. a 24-byte DES key */
    gp_key_table_wipe(&t);
    return -1;
  }
  cf_wipe(&check, sizeof check);
  int rc = gp_keys_save(app, &t);
  gp_key_table_wipe(&t);
  if (rc != 0) return -1;
  if (life != GP_CARD_SECURED) { /* the registry record exists once the card differs from its default */
    gp_registry reg;
    if (gp_registry_get(app, &reg) != 0) return -1;
    reg.card_state = (uint8_t)life;
    if (gp_registry_put(app, &reg) != 0) return -1;
  }
  return cf_store_put(app->store, CF_STORE_KEY(app->ns, GP_REC_CONFIG), &cfg, sizeof cfg) == CF_STORE_OK ? 0
                                                                                                         : -1;
}
