/* The operator HSM ("加密机"): a software key vault in a 0600 text file, or a PKCS#11 token
 * (hsm_token.h), and the few operations the spec routes "通过加密机". Neither hands a key value
 * to its callers' output: each operation returns only what goes to a card (authentication data,
 * wrapped records, MACs); with the token, each is computed inside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/cmcc.h"
#include "cardforge/cmcc_crypto.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/crypto.h"
#include "cardforge/file_lock.h"
#include "cardforge/hex.h"
#include "cardforge/keystore.h"
#include "hsm_token.h"
#include "textfile.h"

struct cf_cmcc_hsm {
  size_t count;
  cf_cmcc_key keys[CF_CMCC_HSM_MAX_KEYS]; /* a token's keys have attributes and label, no value */
  cf_keystore *ks;                        /* the token, NULL for a vault */
  cf_ks_key objs[CF_CMCC_HSM_MAX_KEYS];   /* the token object of each key */
};

static const char hsm_magic[] = "cardforge-cmcc-hsm";

/* "key TT VV II AL IO DV ST CCCCCCCC VALUE [label...]": the columns shared with the key code
 * sheet, then the value. */
int cf_cmcc_parse_attr_columns(char **tok, int ntok, uint8_t attrs[CF_CMCC_ATTR_LEN], char *err,
                               size_t errlen) {
  static const char *names[] = {"type",          "version",         "index", "algorithm",
                                "import/export", "diversification", "status"};
  if (ntok < 8) {
    snprintf(err, errlen,
             "expected 8 attribute columns (type version index algorithm import/export "
             "diversification status counter), got %d",
             ntok);
    return -1;
  }
  for (int i = 0; i < 7; i++) {
    if (!cmcch_hex_exact(tok[i], &attrs[i], 1)) {
      snprintf(err, errlen, "%s must be 2 hex digits, got \"%.20s\"", names[i], tok[i]);
      return -1;
    }
  }
  if (!cmcch_hex_exact(tok[7], &attrs[7], 4)) {
    snprintf(err, errlen, "usage counter must be 8 hex digits, got \"%.20s\"", tok[7]);
    return -1;
  }
  return 0;
}

static int hsm_parse_line(void *ctx, char *line, char *err, size_t errlen) {
  cf_cmcc_hsm *h = ctx;
  char *tok[CMCCH_MAX_TOKENS];
  /* The label may have blanks: tokenise the fixed columns only, keep the rest as it is. */
  char *rest = line;
  int n = 0;
  for (; n < 10; n++) {
    while (*rest == ' ' || *rest == '\t')
      rest++;
    if (!*rest) break;
    tok[n] = rest;
    while (*rest && *rest != ' ' && *rest != '\t')
      rest++;
    if (*rest) *rest++ = 0;
  }
  while (*rest == ' ' || *rest == '\t')
    rest++;
  if (n == 0 || strcmp(tok[0], "key") != 0) {
    snprintf(err, errlen, "unknown directive \"%.20s\" (expected \"key\")", n ? tok[0] : "");
    return -1;
  }
  if (n < 10) {
    snprintf(err, errlen, "a key line needs: key TT VV II AL IO DV ST CCCCCCCC VALUE [label]");
    return -1;
  }
  if (h->count == CF_CMCC_HSM_MAX_KEYS) {
    snprintf(err, errlen, "more than %d keys", CF_CMCC_HSM_MAX_KEYS);
    return -1;
  }
  cf_cmcc_key k;
  memset(&k, 0, sizeof k);
  if (cf_cmcc_parse_attr_columns(tok + 1, 8, k.attrs, err, errlen) != 0) return -1;
  if (!cmcch_hex_exact(tok[9], k.value, 16)) {
    snprintf(err, errlen, "key value must be 32 hex digits (a two-key 3DES key)");
    cf_wipe(&k, sizeof k);
    return -1;
  }
  if (strlen(rest) >= sizeof k.label) {
    snprintf(err, errlen, "label longer than %zu characters", sizeof k.label - 1);
    cf_wipe(&k, sizeof k);
    return -1;
  }
  memcpy(k.label, rest, strlen(rest) + 1);
  for (size_t i = 0; i < h->count; i++) {
    if (memcmp(h->keys[i].attrs, k.attrs, 3) == 0) {
      snprintf(err, errlen, "duplicate key type %02X version %02X index %02X", k.attrs[0], k.attrs[1],
               k.attrs[2]);
      cf_wipe(&k, sizeof k);
      return -1;
    }
  }
  h->keys[h->count++] = k;
  cf_wipe(&k, sizeof k);
  return 0;
}

int cf_cmcc_hsm_parse(const char *text, size_t len, const char *name, cf_cmcc_hsm **out, char *err,
                      size_t errlen) {
  *out = NULL;
  cf_cmcc_hsm *h = calloc(1, sizeof *h);
  if (h == NULL) {
    snprintf(err, errlen, "%s: out of memory", name);
    return -1;
  }
  if (cmcch_parse_lines(text, len, name, hsm_magic, "an HSM key file", hsm_parse_line, h, err, errlen) != 0) {
    cf_cmcc_hsm_free(h);
    return -1;
  }
  if (h->count == 0) {
    snprintf(err, errlen, "%s: holds no key", name);
    cf_cmcc_hsm_free(h);
    return -1;
  }
  *out = h;
  return 0;
}

int cf_cmcc_hsm_load(const char *path, cf_cmcc_hsm **out, char *err, size_t errlen) {
  char *text;
  size_t len;
  *out = NULL;
  if (cf_cmcc_hsm_is_token(path)) return cf_cmcc_hsm_token_open(path, true, out, err, errlen);
  if (cmcch_textfile_read(path, true, &text, &len, err, errlen) != 0) return -1;
  int r = cf_cmcc_hsm_parse(text, len, path, out, err, errlen);
  cmcch_textfile_free(text, len);
  return r;
}

cf_cmcc_hsm *cf_cmcc_hsm_new(void) {
  return calloc(1, sizeof(cf_cmcc_hsm));
}

int cf_cmcc_hsm_add(cf_cmcc_hsm *h, const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t value[16],
                    const char *label) {
  if (h->count == CF_CMCC_HSM_MAX_KEYS) return -1;
  if (label && (strlen(label) >= sizeof h->keys[0].label || strpbrk(label, "#\n\r"))) return -1;
  for (size_t i = 0; i < h->count; i++)
    if (memcmp(h->keys[i].attrs, attrs, 3) == 0) return -1;
  cf_cmcc_key *k = &h->keys[h->count++];
  memcpy(k->attrs, attrs, CF_CMCC_ATTR_LEN);
  memcpy(k->value, value, 16);
  snprintf(k->label, sizeof k->label, "%s", label ? label : "");
  return 0;
}

void cf_cmcc_hsm_free(cf_cmcc_hsm *h) {
  if (h == NULL) return;
  cf_ks_close(h->ks);
  cf_wipe(h, sizeof *h);
  free(h);
}

size_t cf_cmcc_hsm_count(const cf_cmcc_hsm *h) {
  return h->count;
}

const cf_cmcc_key *cf_cmcc_hsm_key_at(const cf_cmcc_hsm *h, size_t i) {
  return i < h->count ? &h->keys[i] : NULL;
}

const cf_cmcc_key *cf_cmcc_hsm_find(const cf_cmcc_hsm *h, uint8_t type, int version, int index, char *err,
                                    size_t errlen) {
  const cf_cmcc_key *found = NULL;
  for (size_t i = 0; i < h->count; i++) {
    const cf_cmcc_key *k = &h->keys[i];
    if (k->attrs[0] != type) continue;
    if (version >= 0 && k->attrs[1] != version) continue;
    if (index >= 0 && k->attrs[2] != index) continue;
    if (found) {
      snprintf(err, errlen, "the HSM holds several keys of type %02X: name the version and index", type);
      return NULL;
    }
    found = k;
  }
  if (!found) {
    if (version >= 0 || index >= 0)
      snprintf(err, errlen, "the HSM holds no key of type %02X version %02X index %02X", type,
               version < 0 ? 0 : version, index < 0 ? 0 : index);
    else
      snprintf(err, errlen, "the HSM holds no key of type %02X", type);
  }
  return found;
}

static int hsm_write(void *ctx, FILE *f, char *err, size_t errlen) {
  const cf_cmcc_hsm *h = ctx;
  (void)err;
  (void)errlen;
  int rc = 0;
  if (fprintf(f, "%s 1\n", hsm_magic) < 0 ||
      fprintf(f, "# cardforge operator HSM vault: keep it 0600. Format: docs/cmcc-flows.md.\n") < 0 ||
      fprintf(f, "# key TT VV II AL IO DV ST CCCCCCCC VALUE [label]\n") < 0)
    rc = -1;
  for (size_t i = 0; i < h->count && rc == 0; i++) {
    const cf_cmcc_key *k = &h->keys[i];
    char cnt[9], val[33];
    cf_hex_encode(k->attrs + 7, 4, cnt);
    cf_hex_encode(k->value, 16, val);
    if (fprintf(f, "key %02X %02X %02X %02X %02X %02X %02X %s %s%s%s\n", k->attrs[0], k->attrs[1],
                k->attrs[2], k->attrs[3], k->attrs[4], k->attrs[5], k->attrs[6], cnt, val,
                k->label[0] ? " " : "", k->label) < 0)
      rc = -1;
    cf_wipe(val, sizeof val);
  }
  return rc;
}

int cf_cmcc_hsm_save(const cf_cmcc_hsm *h, const char *path, bool overwrite, char *err, size_t errlen) {
  if (h->ks != NULL) {
    snprintf(err, errlen, "the HSM is a token: its keys are stored there, not in a file");
    return -1;
  }
  /* Under the vault's lock, written beside it and renamed over it (or linked: never over an
   * existing vault without overwrite), so concurrent writers wait and a crash never leaves half a
   * vault (cardforge/file_lock.h). */
  cf_state_lock lk;
  if (cf_state_lock_take(path, &lk, err, errlen) != 0) return -1;
  char why[300] = "";
  int rc = cf_state_replace(path, !overwrite, hsm_write, (void *)h, why, sizeof why);
  cf_state_lock_release(&lk);
  if (rc != 0) {
    if (strstr(why, "exists already"))
      snprintf(err, errlen, "%s: exists already (will not overwrite a key file)", path);
    else
      snprintf(err, errlen, "%s", why);
  }
  return rc;
}

/* ---- operations ("通过加密机") ---- */

static bool hsm_owns(const cf_cmcc_hsm *h, const cf_cmcc_key *k) {
  return h && k && k >= h->keys && k < h->keys + h->count;
}

/* The token's object for vault entry k. */
static cf_ks_key *token_key(const cf_cmcc_hsm *h, const cf_cmcc_key *k) {
  return (cf_ks_key *)&h->objs[k - h->keys];
}

/* The command MAC (cmcc_crypto.h's cmcc_command_mac: 9.19 over CIPP || Lc || body, Lc = body + 4,
 * IV R || 00000000) computed by the token. */
static int token_command_mac(const cf_cmcc_hsm *h, const cf_cmcc_key *k, const uint8_t *random,
                             const uint8_t cipp[4], const uint8_t *body, size_t body_len, uint8_t mac[4]) {
  uint8_t buf[5 + 256], iv[8], full[8];
  char err[300];
  if (body_len > 251) return -1;
  memcpy(buf, cipp, 4);
  buf[4] = (uint8_t)(body_len + CMCC_MAC_LEN);
  memcpy(buf + 5, body, body_len);
  cmcc_mac_iv(random, iv);
  if (cf_ks_mac_retail(h->ks, token_key(h, k), iv, buf, 5 + body_len, full, err, sizeof err) != 0) return -1;
  memcpy(mac, full, CMCC_MAC_LEN);
  return 0;
}

int cf_cmcc_hsm_auth_data(const cf_cmcc_hsm *h, const cf_cmcc_key *k, const uint8_t random[4],
                          uint8_t out[8]) {
  if (!hsm_owns(h, k)) return -1;
  if (h->ks != NULL) {
    uint8_t block[8] = {0};
    char err[300];
    memcpy(block, random, CMCC_RANDOM_LEN);
    return cf_ks_encrypt(h->ks, token_key(h, k), NULL, block, 8, out, err, sizeof err);
  }
  return cmcc_ext_auth_data(k->value, random, out);
}

int cf_cmcc_hsm_wrap_record(const cf_cmcc_hsm *h, const cf_cmcc_key *k, const uint8_t cipp[4],
                            const uint8_t random[4], const uint8_t attrs[CF_CMCC_ATTR_LEN],
                            const uint8_t value[16], uint8_t out[36]) {
  if (!hsm_owns(h, k)) return -1;
  if (h->ks != NULL) {
    /* the record's plaintext holds the key being imported, which the caller has in memory (its
     * value option, or an exportable token key): the token encrypts it and computes the MAC */
    uint8_t plain[CMCC_RECORD_CIPHER_LEN] = {CMCC_RECORD_LEN_BYTE};
    char err[300];
    memcpy(plain + 1, attrs, CF_CMCC_ATTR_LEN);
    memcpy(plain + 1 + CF_CMCC_ATTR_LEN, value, CF_CMCC_KEY_LEN);
    size_t n = cf_pad_iso9797_m2(plain, CMCC_RECORD_PLAIN_LEN, 8, sizeof plain);
    int rc = n == CMCC_RECORD_CIPHER_LEN
                 ? cf_ks_encrypt(h->ks, token_key(h, k), NULL, plain, n, out, err, sizeof err)
                 : -1;
    cf_wipe(plain, sizeof plain);
    if (rc != 0) return -1;
    return token_command_mac(h, k, random, cipp, out, CMCC_RECORD_CIPHER_LEN, out + CMCC_RECORD_CIPHER_LEN);
  }
  if (cmcc_key_record_encrypt(k->value, attrs, value, out) != 0) return -1;
  return cmcc_command_mac(CMCC_MAC_919, k->value, random, cipp, out, CMCC_RECORD_CIPHER_LEN,
                          out + CMCC_RECORD_CIPHER_LEN);
}

int cf_cmcc_hsm_wrap_data(const cf_cmcc_hsm *h, const cf_cmcc_key *k, const uint8_t cipp[4],
                          const uint8_t random[4], const uint8_t *plain, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len) {
  size_t clen = 0;
  uint8_t mac[CMCC_MAC_LEN];
  if (!hsm_owns(h, k) || cap < CMCC_MAC_LEN) return -1;
  if (h->ks != NULL) {
    /* cmcc_wrap's construction (method-2 padding, 3DES-ECB, the command MAC), the token's keys */
    char err[300];
    uint8_t padded[256];
    size_t n = 0;
    if (len < sizeof padded) {
      memcpy(padded, plain, len);
      n = cf_pad_iso9797_m2(padded, len, 8, sizeof padded);
    }
    int rc = -1;
    if (n > 0 && n <= 251 && n + CMCC_MAC_LEN <= cap)
      rc = cf_ks_encrypt(h->ks, token_key(h, k), NULL, padded, n, out, err, sizeof err);
    cf_wipe(padded, sizeof padded);
    if (rc != 0 || token_command_mac(h, k, random, cipp, out, n, out + n) != 0) return -1;
    *out_len = n + CMCC_MAC_LEN;
    return 0;
  }
  if (cmcc_wrap(k->value, CMCC_MAC_919, random, cipp, plain, len, out, cap - CMCC_MAC_LEN, &clen, mac) != 0)
    return -1;
  memcpy(out + clen, mac, CMCC_MAC_LEN);
  *out_len = clen + CMCC_MAC_LEN;
  return 0;
}

/* ---- the token (hsm_token.h) ---- */

bool cf_cmcc_hsm_is_token(const char *spec) {
  return spec != NULL && (strcmp(spec, "pkcs11") == 0 || strncmp(spec, "pkcs11:", 7) == 0);
}

bool cf_cmcc_hsm_in_token(const cf_cmcc_hsm *h) {
  return h != NULL && h->ks != NULL;
}

const char *cf_cmcc_hsm_token_label(const cf_cmcc_hsm *h) {
  return cf_cmcc_hsm_in_token(h) ? cf_ks_token_label(h->ks) : "";
}

/* "cmcc/TT/VV/II" -> type, version, index. */
static bool token_label_vit(const char *label, uint8_t *type, uint8_t *version, uint8_t *index) {
  size_t p = strlen(CF_CMCC_TOKEN_PREFIX);
  if (strncmp(label, CF_CMCC_TOKEN_PREFIX, p) != 0 || strlen(label) != p + 8 || label[p + 2] != '/' ||
      label[p + 5] != '/')
    return false;
  char hex[7] = {label[p], label[p + 1], label[p + 3], label[p + 4], label[p + 6], label[p + 7], 0};
  uint8_t b[3];
  if (cf_hex_decode(hex, b, 3) != 3) return false;
  *type = b[0], *version = b[1], *index = b[2];
  return true;
}

/* The vault's default attributes for a token key: algorithm 3DES, no import/export index, usage 0,
 * usable, no use counter (as `cmcc hsm-init` gives vault keys). */
static void token_attrs(uint8_t type, uint8_t version, uint8_t index, uint8_t attrs[CF_CMCC_ATTR_LEN]) {
  memset(attrs, 0, CF_CMCC_ATTR_LEN);
  attrs[CMCC_ATTR_TYPE] = type;
  attrs[CMCC_ATTR_VERSION] = version;
  attrs[CMCC_ATTR_INDEX] = index;
  attrs[CMCC_ATTR_ALG] = CMCC_ALG_3DES;
  attrs[CMCC_ATTR_STATUS] = CMCC_KEY_USABLE;
}

static int token_add_entry(cf_cmcc_hsm *h, const cf_ks_key *o, char *err, size_t errlen) {
  uint8_t t, v, i;
  if (!token_label_vit(o->label, &t, &v, &i)) return 0; /* not one of ours */
  if (o->type != CF_KS_DES2 || o->kl == 0) {
    snprintf(err, errlen, "token key %s: not a two-key 3DES key made by cardforge (no KL companion)",
             o->label);
    return -1;
  }
  if (h->count == CF_CMCC_HSM_MAX_KEYS) {
    snprintf(err, errlen, "the token holds more than %d cmcc/ keys", CF_CMCC_HSM_MAX_KEYS);
    return -1;
  }
  cf_cmcc_key *k = &h->keys[h->count];
  memset(k, 0, sizeof *k);
  token_attrs(t, v, i, k->attrs);
  /* the label is "cmcc/TT/VV/II" (checked above): 13 characters */
  memcpy(k->label, o->label, strlen(o->label) + 1);
  h->objs[h->count++] = *o;
  return 0;
}

int cf_cmcc_hsm_token_open(const char *spec, bool need_keys, cf_cmcc_hsm **out, char *err, size_t errlen) {
  *out = NULL;
  cf_ks_config cfg;
  memset(&cfg, 0, sizeof cfg);
  if (strncmp(spec, "pkcs11:", 7) == 0) cfg.uri = spec;
  cf_cmcc_hsm *h = calloc(1, sizeof *h);
  if (h == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if (cf_ks_open(&cfg, &h->ks, err, errlen) != 0) {
    free(h);
    return -1;
  }
  static cf_ks_key all[512];
  size_t n = 0;
  int rc = cf_ks_list(h->ks, all, 512, &n, err, errlen);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = token_add_entry(h, &all[i], err, errlen);
  /* in (type, version, index) order, as a vault is usually written and listed */
  for (size_t i = 1; rc == 0 && i < h->count; i++) {
    for (size_t j = i; j > 0 && memcmp(h->keys[j - 1].attrs, h->keys[j].attrs, 3) > 0; j--) {
      cf_cmcc_key tk = h->keys[j];
      cf_ks_key to = h->objs[j];
      h->keys[j] = h->keys[j - 1], h->objs[j] = h->objs[j - 1];
      h->keys[j - 1] = tk, h->objs[j - 1] = to;
    }
  }
  if (rc == 0 && need_keys && h->count == 0) {
    snprintf(err, errlen, "token \"%s\" holds no %sTT/VV/II key (cardforge cmcc hsm-init --hsm pkcs11)",
             cf_ks_token_label(h->ks), CF_CMCC_TOKEN_PREFIX);
    rc = -1;
  }
  if (rc != 0) {
    cf_cmcc_hsm_free(h);
    return -1;
  }
  *out = h;
  return 0;
}

int cf_cmcc_hsm_token_store(cf_cmcc_hsm *h, const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t *value,
                            bool replace, uint8_t kcv[3], char *err, size_t errlen) {
  char label[32];
  snprintf(label, sizeof label, "%s%02X/%02X/%02X", CF_CMCC_TOKEN_PREFIX, attrs[CMCC_ATTR_TYPE],
           attrs[CMCC_ATTR_VERSION], attrs[CMCC_ATTR_INDEX]);
  if (replace && cf_ks_delete(h->ks, label, err, errlen) < 0) return -1;
  cf_ks_key o;
  int rc = value ? cf_ks_import(h->ks, label, CF_KS_DES2, value, CF_CMCC_KEY_LEN, false, &o, err, errlen)
                 : cf_ks_generate(h->ks, label, CF_KS_DES2, CF_CMCC_KEY_LEN, &o, err, errlen);
  if (rc != 0) return -1;
  memcpy(kcv, o.kcv, 3);
  return token_add_entry(h, &o, err, errlen);
}

int cf_cmcc_hsm_key_kcv(const cf_cmcc_hsm *h, const cf_cmcc_key *k, uint8_t kcv[3]) {
  if (!hsm_owns(h, k)) return -1;
  if (h->ks != NULL) {
    memcpy(kcv, h->objs[k - h->keys].kcv, 3);
    return 0;
  }
  static const uint8_t zero[8] = {0};
  uint8_t block[8];
  if (cf_des3_ecb_encrypt(k->value, CF_CMCC_KEY_LEN, zero, block, 8) != 0) return -1;
  memcpy(kcv, block, 3);
  return 0;
}

int cf_cmcc_hsm_key_value(const cf_cmcc_hsm *h, const cf_cmcc_key *k, uint8_t value[16], char *err,
                          size_t errlen) {
  if (!hsm_owns(h, k)) {
    snprintf(err, errlen, "not an HSM key");
    return -1;
  }
  if (h->ks == NULL) {
    memcpy(value, k->value, CF_CMCC_KEY_LEN);
    return 0;
  }
  return cf_ks_export_value(h->ks, token_key(h, k), value, CF_CMCC_KEY_LEN, err, errlen);
}
