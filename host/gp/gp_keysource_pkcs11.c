/* GP keys in a PKCS#11 token (gp_keysource_pkcs11.h). The static channel keys never leave the
 * token: the SCP02 session keys are its 3DES-CBC of the derivation data (GP 2.3.1 E.4.1), the SCP03
 * ones its AES-CMAC KDF (SCP03 v1.1 4.1.5), both computed by C_Encrypt / C_Sign there. What the
 * protocol then needs in host memory is the session (its keys, for the session's duration, wiped
 * by cf_gp_close), and for SCP03 PUT KEY the static DEK (exportable keys only). With --diversify
 * emv or visa2 the token also derives the card's keys from the masters (C_DeriveKey,
 * CKM_DES3_ECB_ENCRYPT_DATA: those methods are the ECB encryption of the diversification data), as
 * session objects destroyed once the session keys are made. docs/security.md, "Key custody". */
#include <stdio.h>
#include <string.h>

#include "cardforge/apdu.h"
#include "cardforge/cli.h"
#include "cardforge/crypto.h"
#include "cardforge/scp.h"
#include "gp_keysource_pkcs11.h"

bool gp_p11_is_spec(const char *value) {
  return value != NULL && strncmp(value, "pkcs11:", 7) == 0;
}

/* The label a spec names ("pkcs11:LABEL" or a URI with object=) and the token configuration. */
static int spec_target(const char *spec, char label[CF_KS_LABEL_MAX + 1], cf_ks_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  if (strchr(spec, '=') == NULL) {
    snprintf(label, CF_KS_LABEL_MAX + 1, "%s", spec + 7);
    return label[0] ? 0 : -1;
  }
  cf_ks_uri uri;
  char err[300];
  if (cf_ks_uri_parse(spec, &uri, err, sizeof err) != 0 || uri.object[0] == 0) return -1;
  snprintf(label, CF_KS_LABEL_MAX + 1, "%s", uri.object);
  cfg->uri = spec;
  return 0;
}

static int open_key(const char *option, const char *spec, cf_keystore **ks, cf_ks_key *key) {
  char label[CF_KS_LABEL_MAX + 1], err[512];
  cf_ks_config cfg;
  if (spec_target(spec, label, &cfg) != 0) {
    cf_cli_error("%s: expected pkcs11:LABEL or a PKCS#11 URI with object=LABEL", option);
    return CF_EXIT_USAGE;
  }
  if (*ks == NULL) {
    int r = cf_ks_open(&cfg, ks, err, sizeof err);
    if (r != 0) {
      cf_cli_error("%s: %s", option, err);
      return r == -3 ? CF_EXIT_VERIFY : CF_EXIT_FILE;
    }
  }
  int found = cf_ks_find(*ks, label, key, err, sizeof err);
  if (found != 1) {
    if (found == 0) snprintf(err, sizeof err, "the token holds no key labelled \"%s\"", label);
    cf_cli_error("%s: %s", option, err);
    return CF_EXIT_FILE;
  }
  if (key->type != CF_KS_DES2 && key->type != CF_KS_AES) {
    cf_cli_error("%s: key \"%s\" is %s: GP keys are two-key 3DES or AES", option, label,
                 cf_ks_type_name(key->type));
    return CF_EXIT_USAGE;
  }
  return CF_EXIT_OK;
}

int gp_p11_key_option(const char *option, const char *spec, int which, bool channel, gp_key_opts *k) {
  if (channel) {
    if (which == 0 || which == 1) k->p11_enc = spec;
    if (which == 0 || which == 2) k->p11_mac = spec;
    if (which == 0 || which == 3) k->p11_dek = spec;
    return CF_EXIT_OK;
  }
  cf_keystore *ks = NULL;
  cf_ks_key key;
  int rc = open_key(option, spec, &ks, &key);
  uint8_t value[32];
  char err[512];
  if (rc == CF_EXIT_OK && cf_ks_export_value(ks, &key, value, sizeof value, err, sizeof err) != 0) {
    cf_cli_error("%s: %s (PUT KEY carries the key: import it with cardforge hsm import --exportable)", option,
                 err);
    rc = CF_EXIT_FILE;
  }
  if (rc == CF_EXIT_OK) {
    if (which == 0 || which == 1) memcpy(k->enc, value, key.len), k->enc_len = key.len;
    if (which == 0 || which == 2) memcpy(k->mac, value, key.len), k->mac_len = key.len;
    if (which == 0 || which == 3) memcpy(k->dek, value, key.len), k->dek_len = key.len;
  }
  cf_wipe(value, sizeof value);
  cf_ks_close(ks);
  return rc;
}

/* SCP02: a session key is 3DES-CBC (zero IV) of constant || counter || 00 x 12 under the static key. */
static int scp02_derive(gp_p11_channel *ch, const cf_ks_key *key, uint16_t constant, uint16_t counter,
                        uint8_t out[16]) {
  static const uint8_t zero_iv[8];
  uint8_t block[16] = {0};
  char err[300];
  cf_put_be16(block, constant);
  cf_put_be16(block + 2, counter);
  return cf_ks_encrypt(ch->ks, key, zero_iv, block, 16, out, err, sizeof err);
}

/* SCP03: the KDF in counter mode with AES-CMAC: label (11 x 00 || constant), 00, L (bits), counter,
 * context (host || card challenge). */
static int scp03_kdf(gp_p11_channel *ch, const cf_ks_key *key, uint8_t constant, const uint8_t *context,
                     size_t ctx_len, uint8_t *out, size_t out_len) {
  uint8_t in[16 + 32], block[16];
  char err[300];
  if (ctx_len > 32) return -1;
  memset(in, 0, 11);
  in[11] = constant;
  in[12] = 0x00;
  cf_put_be16(in + 13, (uint16_t)(out_len * 8));
  memcpy(in + 16, context, ctx_len);
  for (size_t done = 0, n = 1; done < out_len; n++) {
    in[15] = (uint8_t)n;
    if (cf_ks_cmac_aes(ch->ks, key, in, 16 + ctx_len, block, err, sizeof err) != 0) return -1;
    size_t take = out_len - done < 16 ? out_len - done : 16;
    memcpy(out + done, block, take);
    done += take;
  }
  cf_wipe(block, sizeof block);
  return 0;
}

/* The card's key of id key_id from a two-key 3DES master, inside the token: EMV CPS 1.1 / VISA2
 * diversification is 3DES-ECB of cf_scp_diversify_data under the master. */
static int derive_card_key(gp_p11_channel *ch, const cf_ks_key *master, uint8_t key_id, const uint8_t kdd[10],
                           cf_ks_key *out) {
  uint8_t d[16];
  char err[300];
  cf_scp_diversify_data(ch->diversify, key_id, kdd, d);
  return cf_ks_derive_ecb(ch->ks, master, d, sizeof d, CF_KS_DES2, NULL, out, err, sizeof err);
}

static int scp02_keys(gp_p11_channel *ch, cf_scp_session *s, uint16_t counter, const cf_ks_key *enc,
                      const cf_ks_key *mac3, const cf_ks_key *dek3) {
  const cf_ks_key *mac = (s->i & CF_SCP02_I_3KEYS) ? mac3 : enc;
  const cf_ks_key *dek = (s->i & CF_SCP02_I_3KEYS) ? dek3 : enc;
  return scp02_derive(ch, enc, CF_SCP02_CONST_ENC, counter, s->s_enc) != 0 ||
                 scp02_derive(ch, mac, CF_SCP02_CONST_CMAC, counter, s->s_mac) != 0 ||
                 scp02_derive(ch, mac, CF_SCP02_CONST_RMAC, counter, s->s_rmac) != 0 ||
                 scp02_derive(ch, dek, CF_SCP02_CONST_DEK, counter, s->dek) != 0
             ? -1
             : 0;
}

static int session_keys(void *ctx, cf_scp_session *s, uint16_t counter, const uint8_t *host_challenge,
                        const uint8_t *card_challenge, const uint8_t kdd[10]) {
  gp_p11_channel *ch = ctx;
  if (s->scp == 0x02) {
    if (ch->enc.type != CF_KS_DES2) return -1;
    if (ch->diversify == CF_SCP_DIV_NONE) return scp02_keys(ch, s, counter, &ch->enc, &ch->mac, &ch->dek);
    cf_ks_key card[3];
    memset(card, 0, sizeof card);
    int rc = derive_card_key(ch, &ch->enc, 1, kdd, &card[0]) != 0 ||
                     derive_card_key(ch, &ch->mac, 2, kdd, &card[1]) != 0 ||
                     derive_card_key(ch, &ch->dek, 3, kdd, &card[2]) != 0
                 ? -1
                 : scp02_keys(ch, s, counter, &card[0], &card[1], &card[2]);
    for (int i = 0; i < 3; i++)
      cf_ks_destroy(ch->ks, &card[i]);
    return rc;
  }
  if (ch->diversify != CF_SCP_DIV_NONE) return -1; /* only EMV / VISA2, two-key 3DES: SCP02 */
  if (ch->enc.type != CF_KS_AES) return -1;
  uint8_t context[32];
  size_t n = cf_scp03_s_len(s->i);
  memcpy(context, host_challenge, n);
  memcpy(context + n, card_challenge, n);
  if (scp03_kdf(ch, &ch->enc, CF_SCP03_CONST_S_ENC, context, 2 * n, s->s_enc, s->klen) != 0 ||
      scp03_kdf(ch, &ch->mac, CF_SCP03_CONST_S_MAC, context, 2 * n, s->s_mac, s->klen) != 0 ||
      scp03_kdf(ch, &ch->mac, CF_SCP03_CONST_S_RMAC, context, 2 * n, s->s_rmac, s->klen) != 0)
    return -1;
  /* SCP03 encrypts PUT KEY's keys under the static DEK itself: only an exportable DEK can do it; a
   * DEK the token keeps leaves the session without one, so PUT KEY stops before sending anything */
  char err[300];
  if (!ch->dek.extractable ||
      cf_ks_export_value(ch->ks, &ch->dek, s->dek, sizeof s->dek, err, sizeof err) != 0) {
    cf_wipe(s->dek, sizeof s->dek);
    s->dek_len = 0;
  }
  return 0;
}

int gp_p11_channel_open(const gp_opts *o, gp_p11_channel *ch, cf_gp_open_opts *oo, cf_scp_keys *keys) {
  memset(ch, 0, sizeof *ch);
  const gp_key_opts *k = &o->chan;
  if (!k->p11_enc && !k->p11_mac && !k->p11_dek) return CF_EXIT_OK;
  if (!k->p11_enc || !k->p11_mac || !k->p11_dek || k->enc_len || k->mac_len || k->dek_len) {
    cf_cli_error("channel keys: all three in the token (--key pkcs11:LABEL, or --key-enc/-mac/-dek each "
                 "pkcs11:...) or none");
    return CF_EXIT_USAGE;
  }
  if (o->diversify != CF_SCP_DIV_NONE && o->diversify != CF_SCP_DIV_EMV && o->diversify != CF_SCP_DIV_VISA2) {
    /* KDF3's keys are AES-CMAC outputs, which no PKCS#11 derivation makes inside the token */
    cf_cli_error("--diversify %s: not with channel keys in the token (emv and visa2 are)",
                 cf_scp_diversify_name(o->diversify));
    return CF_EXIT_USAGE;
  }
  ch->diversify = o->diversify;
  int rc = open_key("--key-enc", k->p11_enc, &ch->ks, &ch->enc);
  if (rc == CF_EXIT_OK) rc = open_key("--key-mac", k->p11_mac, &ch->ks, &ch->mac);
  if (rc == CF_EXIT_OK) rc = open_key("--key-dek", k->p11_dek, &ch->ks, &ch->dek);
  if (rc == CF_EXIT_OK && (ch->mac.type != ch->enc.type || ch->dek.type != ch->enc.type ||
                           ch->mac.len != ch->enc.len || ch->dek.len != ch->enc.len)) {
    cf_cli_error("channel keys: ENC, MAC and DEK must be of the same type and length");
    rc = CF_EXIT_USAGE;
  }
  if (rc != CF_EXIT_OK) {
    gp_p11_channel_close(ch);
    return rc;
  }
  keys->klen = ch->enc.len;
  oo->session_keys = session_keys;
  oo->session_ctx = ch;
  return CF_EXIT_OK;
}

void gp_p11_channel_close(gp_p11_channel *ch) {
  cf_ks_close(ch->ks);
  memset(ch, 0, sizeof *ch);
}
