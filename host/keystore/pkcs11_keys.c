/* Keys in the token: find, list, import, generate, delete, check values. Every key is a token
 * object with CKA_SENSITIVE true and, unless the caller asks for an exportable one, CKA_EXTRACTABLE
 * false: the token then never gives its value out, neither by C_GetAttributeValue nor wrapped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "keystore_internal.h"

static const struct {
  cf_ks_type type;
  const char *name;
  CK_KEY_TYPE ckk;
} types[] = {
    {CF_KS_DES, "des", CKK_DES},
    {CF_KS_DES2, "des2", CKK_DES2},
    {CF_KS_DES3, "des3", CKK_DES3},
    {CF_KS_AES, "aes", CKK_AES},
};

const char *cf_ks_type_name(cf_ks_type type) {
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (types[i].type == type) return types[i].name;
  return "?";
}

int cf_ks_type_parse(const char *name, cf_ks_type *type) {
  /* single DES is not offered: SoftHSM2 on OpenSSL 3 has no single-DES cipher */
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (types[i].type != CF_KS_DES && strcmp(types[i].name, name) == 0) {
      *type = types[i].type;
      return 0;
    }
  }
  return -1;
}

static CK_KEY_TYPE ckk_of(cf_ks_type type) {
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (types[i].type == type) return types[i].ckk;
  return (CK_KEY_TYPE)-1;
}

bool cf_ks_type_len_ok(cf_ks_type type, size_t len) {
  switch (type) {
  case CF_KS_DES:
    return len == 8;
  case CF_KS_DES2:
    return len == 16;
  case CF_KS_DES3:
    return len == 24;
  case CF_KS_AES:
    return len == 16 || len == 24 || len == 32;
  }
  return false;
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool cf_ks_label_valid(const char *label) {
  size_t n = label ? strlen(label) : 0;
  bool printable = n > 0 && n <= CF_KS_LABEL_MAX;
  for (size_t i = 0; printable && i < n; i++)
    printable = label[i] > 0x20 && label[i] < 0x7F;
  return printable && !has_suffix(label, CF_KS_KL_SUFFIX);
}

static int label_ok(const char *label, char *err, size_t errlen) {
  if (!cf_ks_label_valid(label)) {
    snprintf(err, errlen, "a key label is 1 to %d printable characters without blanks, not ending in %s",
             CF_KS_LABEL_MAX, CF_KS_KL_SUFFIX);
    return -1;
  }
  return 0;
}

/* Up to cap secret-key objects labelled label (NULL: all). */
static int find_objects(cf_keystore *ks, const char *label, CK_OBJECT_HANDLE *objs, CK_ULONG cap, CK_ULONG *n,
                        char *err, size_t errlen) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_LABEL, (void *)label, label ? strlen(label) : 0}};
  CK_RV rv = ks->p11->C_FindObjectsInit(ks->session, tmpl, label ? 2 : 1);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_FindObjectsInit", rv);
    return -1;
  }
  rv = ks->p11->C_FindObjects(ks->session, objs, cap, n);
  ks->p11->C_FindObjectsFinal(ks->session);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_FindObjects", rv);
    return -1;
  }
  return 0;
}

int ks_kcv(cf_keystore *ks, CK_OBJECT_HANDLE obj, cf_ks_type type, uint8_t kcv[3], char *err, size_t errlen) {
  uint8_t in[16], out[16];
  /* DES and 3DES: 8 x 00; AES: 16 x 01, as GlobalPlatform computes an AES key's check value */
  bool aes = type == CF_KS_AES;
  memset(in, aes ? 0x01 : 0x00, sizeof in);
  CK_MECHANISM m = {aes ? CKM_AES_ECB : type == CF_KS_DES ? CKM_DES_ECB : CKM_DES3_ECB, NULL, 0};
  CK_ULONG outlen = aes ? 16 : 8;
  CK_RV rv = ks->p11->C_EncryptInit(ks->session, &m, obj);
  if (rv == CKR_OK) rv = ks->p11->C_Encrypt(ks->session, in, outlen, out, &outlen);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "check value (C_Encrypt)", rv);
    return -1;
  }
  memcpy(kcv, out, 3);
  return 0;
}

static int describe(cf_keystore *ks, CK_OBJECT_HANDLE obj, cf_ks_key *key, char *err, size_t errlen) {
  memset(key, 0, sizeof *key);
  CK_KEY_TYPE kt = 0;
  CK_BBOOL sens = CK_FALSE, extr = CK_FALSE;
  char label[CF_KS_LABEL_MAX + 1] = "";
  CK_ATTRIBUTE a[] = {{CKA_KEY_TYPE, &kt, sizeof kt},
                      {CKA_SENSITIVE, &sens, sizeof sens},
                      {CKA_EXTRACTABLE, &extr, sizeof extr},
                      {CKA_LABEL, label, CF_KS_LABEL_MAX}};
  CK_RV rv = ks->p11->C_GetAttributeValue(ks->session, obj, a, 4);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_GetAttributeValue", rv);
    return -1;
  }
  label[a[3].ulValueLen <= CF_KS_LABEL_MAX ? a[3].ulValueLen : CF_KS_LABEL_MAX] = 0;
  snprintf(key->label, sizeof key->label, "%s", label);
  key->obj = obj;
  key->sensitive = sens == CK_TRUE;
  key->extractable = extr == CK_TRUE;
  switch (kt) {
  case CKK_DES:
    key->type = CF_KS_DES, key->len = 8;
    break;
  case CKK_DES2:
    key->type = CF_KS_DES2, key->len = 16;
    break;
  case CKK_DES3:
    key->type = CF_KS_DES3, key->len = 24;
    break;
  case CKK_AES: {
    CK_ULONG vl = 0;
    CK_ATTRIBUTE l = {CKA_VALUE_LEN, &vl, sizeof vl};
    if (ks->p11->C_GetAttributeValue(ks->session, obj, &l, 1) != CKR_OK) vl = 0;
    key->type = CF_KS_AES;
    key->len = vl;
    break;
  }
  default:
    snprintf(err, errlen, "key \"%s\": a key type cardforge does not use (0x%lX)", label, kt);
    return -1;
  }
  if (key->type == CF_KS_DES2) {
    char kl[CF_KS_LABEL_MAX + sizeof CF_KS_KL_SUFFIX];
    snprintf(kl, sizeof kl, "%s%s", key->label, CF_KS_KL_SUFFIX);
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n = 0;
    if (find_objects(ks, kl, h, 2, &n, err, errlen) != 0) return -1;
    key->kl = n == 1 ? h[0] : 0;
  }
  return ks_kcv(ks, obj, key->type, key->kcv, err, errlen);
}

int cf_ks_find(cf_keystore *ks, const char *label, cf_ks_key *key, char *err, size_t errlen) {
  CK_OBJECT_HANDLE h[2];
  CK_ULONG n = 0;
  if (find_objects(ks, label, h, 2, &n, err, errlen) != 0) return -1;
  if (n == 0) return 0;
  if (n > 1) {
    snprintf(err, errlen, "the token holds several keys labelled \"%s\"", label);
    return -1;
  }
  return describe(ks, h[0], key, err, errlen) == 0 ? 1 : -1;
}

int cf_ks_list(cf_keystore *ks, cf_ks_key *keys, size_t cap, size_t *count, char *err, size_t errlen) {
  CK_OBJECT_HANDLE h[512];
  CK_ULONG n = 0;
  *count = 0;
  if (find_objects(ks, NULL, h, 512, &n, err, errlen) != 0) return -1;
  for (CK_ULONG i = 0; i < n; i++) {
    cf_ks_key k;
    if (describe(ks, h[i], &k, err, errlen) != 0) {
      /* a key of another program's type, or one we may not use: not ours to list */
      err[0] = 0;
      continue;
    }
    if (has_suffix(k.label, CF_KS_KL_SUFFIX)) continue;
    if (*count == cap) {
      snprintf(err, errlen, "more than %zu keys", cap);
      return -1;
    }
    keys[(*count)++] = k;
  }
  return 0;
}

/* The attributes every key of ours has; returns how many are set in a (capacity 16). */
static CK_ULONG key_template(CK_ATTRIBUTE *a, CK_OBJECT_CLASS *cls, CK_KEY_TYPE *kt, const CK_BBOOL *yes,
                             const CK_BBOOL *no, const CK_BBOOL *token, const CK_BBOOL *extractable,
                             const char *label) {
  CK_ULONG n = 0;
  a[n++] = (CK_ATTRIBUTE){CKA_CLASS, cls, sizeof *cls};
  a[n++] = (CK_ATTRIBUTE){CKA_KEY_TYPE, kt, sizeof *kt};
  a[n++] = (CK_ATTRIBUTE){CKA_TOKEN, (void *)token, sizeof *token};
  a[n++] = (CK_ATTRIBUTE){CKA_PRIVATE, (void *)yes, sizeof *yes};
  a[n++] = (CK_ATTRIBUTE){CKA_SENSITIVE, (void *)yes, sizeof *yes};
  a[n++] = (CK_ATTRIBUTE){CKA_EXTRACTABLE, (void *)extractable, sizeof *extractable};
  a[n++] = (CK_ATTRIBUTE){CKA_ENCRYPT, (void *)yes, sizeof *yes};
  a[n++] = (CK_ATTRIBUTE){CKA_DECRYPT, (void *)no, sizeof *no};
  a[n++] = (CK_ATTRIBUTE){CKA_SIGN, (void *)yes, sizeof *yes};
  a[n++] = (CK_ATTRIBUTE){CKA_DERIVE, (void *)yes, sizeof *yes};
  a[n++] = (CK_ATTRIBUTE){CKA_WRAP, (void *)yes, sizeof *yes};
  if (label != NULL) a[n++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
  return n;
}

static int create_key(cf_keystore *ks, const char *label, cf_ks_type type, const uint8_t *value, size_t len,
                      bool exportable, CK_OBJECT_HANDLE *obj, char *err, size_t errlen) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = ckk_of(type);
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE, extr = exportable ? CK_TRUE : CK_FALSE;
  CK_ATTRIBUTE a[16];
  CK_ULONG n = key_template(a, &cls, &kt, &yes, &no, &yes, &extr, label);
  a[n++] = (CK_ATTRIBUTE){CKA_VALUE, (void *)value, len};
  CK_RV rv = ks->p11->C_CreateObject(ks->session, a, n, obj);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_CreateObject", rv);
    return -1;
  }
  return 0;
}

static int label_free(cf_keystore *ks, const char *label, char *err, size_t errlen) {
  cf_ks_key k;
  int r = cf_ks_find(ks, label, &k, err, errlen);
  if (r > 0) snprintf(err, errlen, "the token holds a key labelled \"%s\" already (delete it first)", label);
  return r == 0 ? 0 : -1;
}

int cf_ks_import(cf_keystore *ks, const char *label, cf_ks_type type, const uint8_t *value, size_t len,
                 bool exportable, cf_ks_key *key, char *err, size_t errlen) {
  if (label_ok(label, err, errlen) != 0) return -1;
  if (!cf_ks_type_len_ok(type, len)) {
    snprintf(err, errlen, "a %s key cannot be %zu bytes long", cf_ks_type_name(type), len);
    return -1;
  }
  if (label_free(ks, label, err, errlen) != 0) return -1;
  CK_OBJECT_HANDLE obj = 0, kl = 0;
  if (create_key(ks, label, type, value, len, exportable, &obj, err, errlen) != 0) return -1;
  if (type == CF_KS_DES2) {
    char kl_label[CF_KS_LABEL_MAX + sizeof CF_KS_KL_SUFFIX];
    snprintf(kl_label, sizeof kl_label, "%s%s", label, CF_KS_KL_SUFFIX);
    uint8_t klkl[16];
    memcpy(klkl, value, 8);
    memcpy(klkl + 8, value, 8);
    int r = create_key(ks, kl_label, CF_KS_DES2, klkl, 16, false, &kl, err, errlen);
    cf_wipe(klkl, sizeof klkl);
    if (r != 0) {
      ks->p11->C_DestroyObject(ks->session, obj);
      return -1;
    }
  }
  if (cf_ks_find(ks, label, key, err, errlen) != 1) return -1;
  return 0;
}

int cf_ks_generate(cf_keystore *ks, const char *label, cf_ks_type type, size_t len, cf_ks_key *key, char *err,
                   size_t errlen) {
  if (label_ok(label, err, errlen) != 0) return -1;
  if (!cf_ks_type_len_ok(type, len)) {
    snprintf(err, errlen, "a %s key cannot be %zu bytes long", cf_ks_type_name(type), len);
    return -1;
  }
  if (label_free(ks, label, err, errlen) != 0) return -1;
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_RV rv;
  if (type == CF_KS_DES2) {
    /* The key and its KL companion must agree, and neither may pass through the host: a session
     * 3DES key made here derives both (ECB of 16 random bytes, and of their first 8). */
    CK_KEY_TYPE kt = CKK_DES3;
    CK_ATTRIBUTE a[16];
    CK_ULONG n = key_template(a, &cls, &kt, &yes, &no, &no, &no, NULL);
    CK_MECHANISM gen = {CKM_DES3_KEY_GEN, NULL, 0};
    CK_OBJECT_HANDLE seed = 0;
    uint8_t data[16];
    rv = ks->p11->C_GenerateKey(ks->session, &gen, a, n, &seed);
    if (rv == CKR_OK) rv = ks->p11->C_GenerateRandom(ks->session, data, sizeof data);
    if (rv != CKR_OK) {
      ks_fail(err, errlen, "C_GenerateKey", rv);
      if (seed) ks->p11->C_DestroyObject(ks->session, seed);
      return -1;
    }
    cf_ks_key base = {.type = CF_KS_DES3, .len = 24, .obj = seed};
    int r = cf_ks_derive_ecb(ks, &base, data, sizeof data, CF_KS_DES2, label, key, err, errlen);
    ks->p11->C_DestroyObject(ks->session, seed);
    return r;
  }
  CK_KEY_TYPE kt = ckk_of(type);
  CK_ATTRIBUTE a[16];
  CK_ULONG n = key_template(a, &cls, &kt, &yes, &no, &yes, &no, label);
  CK_ULONG vlen = len;
  if (type == CF_KS_AES) a[n++] = (CK_ATTRIBUTE){CKA_VALUE_LEN, &vlen, sizeof vlen};
  CK_MECHANISM gen = {type == CF_KS_AES   ? CKM_AES_KEY_GEN
                      : type == CF_KS_DES ? CKM_DES_KEY_GEN
                                          : CKM_DES3_KEY_GEN,
                      NULL, 0};
  CK_OBJECT_HANDLE obj;
  rv = ks->p11->C_GenerateKey(ks->session, &gen, a, n, &obj);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_GenerateKey", rv);
    return -1;
  }
  return cf_ks_find(ks, label, key, err, errlen) == 1 ? 0 : -1;
}

int cf_ks_delete(cf_keystore *ks, const char *label, char *err, size_t errlen) {
  cf_ks_key k;
  int r = cf_ks_find(ks, label, &k, err, errlen);
  if (r <= 0) return r;
  CK_RV rv = ks->p11->C_DestroyObject(ks->session, k.obj);
  if (rv == CKR_OK && k.kl) rv = ks->p11->C_DestroyObject(ks->session, k.kl);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_DestroyObject", rv);
    return -1;
  }
  return 1;
}

/* The derived object's template: a token object with label, or a session object without. */
static int derive_one(cf_keystore *ks, CK_OBJECT_HANDLE base, cf_ks_type base_type, const uint8_t *data,
                      size_t len, cf_ks_type type, const char *label, CK_OBJECT_HANDLE *out, char *err,
                      size_t errlen) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = ckk_of(type);
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE, token = label ? CK_TRUE : CK_FALSE;
  CK_ATTRIBUTE a[16];
  CK_ULONG n = key_template(a, &cls, &kt, &yes, &no, &token, &no, label);
  CK_ULONG vlen = len;
  if (type == CF_KS_AES) a[n++] = (CK_ATTRIBUTE){CKA_VALUE_LEN, &vlen, sizeof vlen};
  CK_KEY_DERIVATION_STRING_DATA param = {(CK_BYTE_PTR)data, len};
  CK_MECHANISM m = {base_type == CF_KS_AES   ? CKM_AES_ECB_ENCRYPT_DATA
                    : base_type == CF_KS_DES ? CKM_DES_ECB_ENCRYPT_DATA
                                             : CKM_DES3_ECB_ENCRYPT_DATA,
                    &param, sizeof param};
  CK_RV rv = ks->p11->C_DeriveKey(ks->session, &m, base, a, n, out);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_DeriveKey", rv);
    return -1;
  }
  return 0;
}

int cf_ks_derive_ecb(cf_keystore *ks, const cf_ks_key *base, const uint8_t *data, size_t len, cf_ks_type type,
                     const char *label, cf_ks_key *out, char *err, size_t errlen) {
  if (!cf_ks_type_len_ok(type, len)) {
    snprintf(err, errlen, "derive: a %s key cannot be %zu bytes long", cf_ks_type_name(type), len);
    return -1;
  }
  if (label && label_ok(label, err, errlen) != 0) return -1;
  CK_OBJECT_HANDLE obj = 0, kl = 0;
  char kl_label[CF_KS_LABEL_MAX + sizeof CF_KS_KL_SUFFIX];
  if (label) snprintf(kl_label, sizeof kl_label, "%s%s", label, CF_KS_KL_SUFFIX);
  if (derive_one(ks, base->obj, base->type, data, len, type, label, &obj, err, errlen) != 0) return -1;
  uint8_t left[16];
  memcpy(left, data, 8);
  memcpy(left + 8, data, 8);
  if (type == CF_KS_DES2 && derive_one(ks, base->obj, base->type, left, 16, CF_KS_DES2,
                                       label ? kl_label : NULL, &kl, err, errlen) != 0) {
    ks->p11->C_DestroyObject(ks->session, obj);
    return -1;
  }
  if (describe(ks, obj, out, err, errlen) != 0) {
    ks->p11->C_DestroyObject(ks->session, obj);
    if (kl) ks->p11->C_DestroyObject(ks->session, kl);
    return -1;
  }
  out->kl = kl;
  return 0;
}

void cf_ks_destroy(cf_keystore *ks, cf_ks_key *key) {
  if (key->obj) ks->p11->C_DestroyObject(ks->session, key->obj);
  if (key->kl) ks->p11->C_DestroyObject(ks->session, key->kl);
  key->obj = key->kl = 0;
}
