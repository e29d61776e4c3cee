/* Operations with keys in the token: block encryption, the retail MAC, AES-CMAC, and the one way
 * a key value leaves the token (an exportable key, for records no mechanism can build). */
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "keystore_internal.h"

static size_t block_of(cf_ks_type type) {
  return type == CF_KS_AES ? 16 : 8;
}

static CK_MECHANISM_TYPE cipher_mech(cf_ks_type type, bool cbc) {
  switch (type) {
  case CF_KS_AES:
    return cbc ? CKM_AES_CBC : CKM_AES_ECB;
  case CF_KS_DES:
    return cbc ? CKM_DES_CBC : CKM_DES_ECB;
  default:
    return cbc ? CKM_DES3_CBC : CKM_DES3_ECB;
  }
}

static int encrypt_obj(cf_keystore *ks, CK_OBJECT_HANDLE obj, cf_ks_type type, const uint8_t *iv,
                       const uint8_t *in, size_t len, uint8_t *out, char *err, size_t errlen) {
  size_t bs = block_of(type);
  if (len == 0 || len % bs != 0) {
    snprintf(err, errlen, "encrypt: %zu bytes is not a whole number of %zu-byte blocks", len, bs);
    return -1;
  }
  CK_MECHANISM m = {cipher_mech(type, iv != NULL), (void *)iv, iv ? bs : 0};
  CK_ULONG outlen = len;
  CK_RV rv = ks->p11->C_EncryptInit(ks->session, &m, obj);
  if (rv == CKR_OK) rv = ks->p11->C_Encrypt(ks->session, (CK_BYTE_PTR)in, len, out, &outlen);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_Encrypt", rv);
    return -1;
  }
  return 0;
}

int cf_ks_encrypt(cf_keystore *ks, const cf_ks_key *key, const uint8_t *iv, const uint8_t *in, size_t len,
                  uint8_t *out, char *err, size_t errlen) {
  return encrypt_obj(ks, key->obj, key->type, iv, in, len, out, err, errlen);
}

int cf_ks_mac_retail(cf_keystore *ks, const cf_ks_key *key, const uint8_t *iv, const uint8_t *data,
                     size_t len, uint8_t mac[8], char *err, size_t errlen) {
  if (key->type != CF_KS_DES2 || key->kl == 0) {
    snprintf(err, errlen, "key \"%s\": the retail MAC needs a two-key 3DES key with its KL half", key->label);
    return -1;
  }
  /* ISO/IEC 9797-1 padding method 2 */
  size_t padded = (len / 8 + 1) * 8;
  uint8_t buf[1024], chain[1024];
  if (padded > sizeof buf) {
    snprintf(err, errlen, "MAC: %zu bytes is too long", len);
    return -1;
  }
  memcpy(buf, data, len);
  buf[len] = 0x80;
  memset(buf + len + 1, 0, padded - len - 1);
  uint8_t h[8] = {0};
  if (iv != NULL) memcpy(h, iv, 8);
  int rc = 0;
  /* every block but the last: single-DES CBC under KL; the last one then goes through 3DES, which
   * is E_KL(D_KR(E_KL(.))): the algorithm's final transformation */
  /* every block but the last: single-DES CBC under KL (the companion, 3DES with KL || KL), the
   * last one then through 3DES, which is E_KL(D_KR(E_KL(.))): the algorithm's final step */
  if (padded > 8) {
    rc = encrypt_obj(ks, key->kl, CF_KS_DES2, h, buf, padded - 8, chain, err, errlen);
    if (rc == 0) memcpy(h, chain + padded - 16, 8);
  }
  uint8_t last[8];
  for (int i = 0; i < 8; i++)
    last[i] = buf[padded - 8 + i] ^ h[i];
  if (rc == 0) rc = encrypt_obj(ks, key->obj, CF_KS_DES2, NULL, last, 8, mac, err, errlen);
  cf_wipe(buf, padded);
  cf_wipe(last, sizeof last);
  cf_wipe(chain, sizeof chain);
  return rc;
}

int cf_ks_cmac_aes(cf_keystore *ks, const cf_ks_key *key, const uint8_t *data, size_t len, uint8_t mac[16],
                   char *err, size_t errlen) {
  if (key->type != CF_KS_AES) {
    snprintf(err, errlen, "key \"%s\": AES-CMAC needs an AES key", key->label);
    return -1;
  }
  CK_MECHANISM m = {CKM_AES_CMAC, NULL, 0};
  CK_ULONG outlen = 16;
  CK_RV rv = ks->p11->C_SignInit(ks->session, &m, key->obj);
  if (rv == CKR_OK) rv = ks->p11->C_Sign(ks->session, (CK_BYTE_PTR)data, len, mac, &outlen);
  if (rv != CKR_OK || outlen != 16) {
    ks_fail(err, errlen, "C_Sign (AES-CMAC)", rv);
    return -1;
  }
  return 0;
}

int cf_ks_export_value(cf_keystore *ks, const cf_ks_key *key, uint8_t *value, size_t cap, char *err,
                       size_t errlen) {
  if (!key->extractable) {
    snprintf(err, errlen,
             "key \"%s\" is not exportable (CKA_EXTRACTABLE false): the token will not give it out",
             key->label);
    return -1;
  }
  if (cap < key->len || key->len > 32) {
    snprintf(err, errlen, "export: buffer too small");
    return -1;
  }
  /* a one-off AES session key, readable by us, wraps the key (AES-CBC, zero IV: SoftHSM2 wraps
   * secret keys with AES only); both are destroyed and wiped before this returns */
  if (key->len % 16 != 0) {
    snprintf(err, errlen, "export: only 16- and 32-byte keys can be wrapped out");
    return -1;
  }
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_AES;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ULONG wklen = 16;
  CK_ATTRIBUTE a[] = {{CKA_CLASS, &cls, sizeof cls},        {CKA_KEY_TYPE, &kt, sizeof kt},
                      {CKA_TOKEN, &no, sizeof no},          {CKA_SENSITIVE, &no, sizeof no},
                      {CKA_EXTRACTABLE, &yes, sizeof yes},  {CKA_WRAP, &yes, sizeof yes},
                      {CKA_VALUE_LEN, &wklen, sizeof wklen}};
  CK_MECHANISM gen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_OBJECT_HANDLE w = 0;
  uint8_t wkey[16], iv[16] = {0}, wrapped[48];
  CK_ULONG wlen = sizeof wrapped;
  CK_ATTRIBUTE v = {CKA_VALUE, wkey, sizeof wkey};
  CK_MECHANISM wrap = {CKM_AES_CBC, iv, sizeof iv};
  CK_RV rv = ks->p11->C_GenerateKey(ks->session, &gen, a, sizeof a / sizeof a[0], &w);
  if (rv == CKR_OK) rv = ks->p11->C_GetAttributeValue(ks->session, w, &v, 1);
  if (rv == CKR_OK) rv = ks->p11->C_WrapKey(ks->session, &wrap, w, key->obj, wrapped, &wlen);
  if (w) ks->p11->C_DestroyObject(ks->session, w);
  int rc = -1;
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_WrapKey", rv);
  } else if (wlen != key->len || cf_aes_cbc_decrypt(wkey, sizeof wkey, iv, wrapped, value, wlen) != 0) {
    snprintf(err, errlen, "export: the token's wrapped key does not unwrap");
  } else {
    rc = 0;
  }
  cf_wipe(wkey, sizeof wkey);
  cf_wipe(wrapped, sizeof wrapped);
  return rc;
}
