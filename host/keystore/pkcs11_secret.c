/* Generic secrets in the token (CKK_GENERIC_SECRET): keys no cipher uses, only hashed into a digest
 * inside the token with C_DigestKey. For the Keycard's pairing keys, whose one use is the session-key
 * derivation SHA-512(ECDH secret || pairing key || salt) (docs/hsm.md, "Keycard pairing keys"). */
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "keystore_internal.h"

static int find_secret(cf_keystore *ks, const char *label, CK_OBJECT_HANDLE *obj, char *err, size_t errlen) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_KEY_TYPE, &kt, sizeof kt},
                         {CKA_LABEL, (void *)label, strlen(label)}};
  CK_OBJECT_HANDLE h[2];
  CK_ULONG n = 0;
  CK_RV rv = ks->p11->C_FindObjectsInit(ks->session, tmpl, 3);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_FindObjectsInit", rv);
    return -1;
  }
  rv = ks->p11->C_FindObjects(ks->session, h, 2, &n);
  ks->p11->C_FindObjectsFinal(ks->session);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_FindObjects", rv);
    return -1;
  }
  if (n > 1) {
    snprintf(err, errlen, "the token holds several secrets labelled \"%s\"", label);
    return -1;
  }
  if (n == 1) *obj = h[0];
  return (int)n;
}

int cf_ks_secret_find(cf_keystore *ks, const char *label, cf_ks_handle *obj, char *err, size_t errlen) {
  CK_OBJECT_HANDLE h = 0;
  int r = find_secret(ks, label, &h, err, errlen);
  if (r == 1) *obj = h;
  return r;
}

int cf_ks_secret_import(cf_keystore *ks, const char *label, const uint8_t *value, size_t len, bool replace,
                        cf_ks_handle *obj, char *err, size_t errlen) {
  if (!cf_ks_label_valid(label)) {
    snprintf(err, errlen, "\"%s\" cannot label a key", label);
    return -1;
  }
  if (len == 0 || len > 64) {
    snprintf(err, errlen, "a secret of %zu bytes", len);
    return -1;
  }
  CK_OBJECT_HANDLE old = 0;
  int found = find_secret(ks, label, &old, err, errlen);
  if (found < 0) return -1;
  if (found && !replace) {
    snprintf(err, errlen, "the token holds a secret labelled \"%s\" already", label);
    return -1;
  }
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  /* sensitive and never extractable; no cipher, signature or derivation use: C_DigestKey only */
  CK_ATTRIBUTE a[] = {
      {CKA_CLASS, &cls, sizeof cls},     {CKA_KEY_TYPE, &kt, sizeof kt},
      {CKA_TOKEN, &yes, sizeof yes},     {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes}, {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_ENCRYPT, &no, sizeof no},     {CKA_DECRYPT, &no, sizeof no},
      {CKA_SIGN, &no, sizeof no},        {CKA_VERIFY, &no, sizeof no},
      {CKA_WRAP, &no, sizeof no},        {CKA_UNWRAP, &no, sizeof no},
      {CKA_DERIVE, &no, sizeof no},      {CKA_LABEL, (void *)label, strlen(label)},
      {CKA_VALUE, (void *)value, len},
  };
  CK_OBJECT_HANDLE h = 0;
  CK_RV rv = ks->p11->C_CreateObject(ks->session, a, sizeof a / sizeof a[0], &h);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_CreateObject", rv);
    return -1;
  }
  /* the new object first, then the old one goes: a failure in between leaves two, never none */
  if (found) ks->p11->C_DestroyObject(ks->session, old);
  if (obj) *obj = h;
  return 0;
}

int cf_ks_secret_delete(cf_keystore *ks, const char *label, char *err, size_t errlen) {
  CK_OBJECT_HANDLE h = 0;
  int r = find_secret(ks, label, &h, err, errlen);
  if (r <= 0) return r;
  CK_RV rv = ks->p11->C_DestroyObject(ks->session, h);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_DestroyObject", rv);
    return -1;
  }
  return 1;
}

int cf_ks_sha512_with_secret(cf_keystore *ks, cf_ks_handle secret, const uint8_t *before, size_t before_len,
                             const uint8_t *after, size_t after_len, uint8_t out[64], char *err,
                             size_t errlen) {
  CK_MECHANISM m = {CKM_SHA512, NULL, 0};
  CK_ULONG outlen = 64;
  const char *step = "C_DigestInit";
  CK_RV rv = ks->p11->C_DigestInit(ks->session, &m);
  if (rv == CKR_OK && before_len) {
    step = "C_DigestUpdate";
    rv = ks->p11->C_DigestUpdate(ks->session, (CK_BYTE_PTR)before, before_len);
  }
  if (rv == CKR_OK) {
    step = "C_DigestKey";
    rv = ks->p11->C_DigestKey(ks->session, secret);
  }
  if (rv == CKR_OK && after_len) {
    step = "C_DigestUpdate";
    rv = ks->p11->C_DigestUpdate(ks->session, (CK_BYTE_PTR)after, after_len);
  }
  if (rv == CKR_OK) {
    step = "C_DigestFinal";
    rv = ks->p11->C_DigestFinal(ks->session, out, &outlen);
  }
  if (rv == CKR_OK && outlen != 64) rv = CKR_GENERAL_ERROR;
  if (rv != CKR_OK) {
    /* PKCS#11 ends an operation that failed midway, but a module may keep it open after refusing
     * an argument (SoftHSM2 does for an invalid key handle): end it, or the session stays busy */
    if (strcmp(step, "C_DigestInit") != 0 && strcmp(step, "C_DigestFinal") != 0) {
      uint8_t scratch[64];
      CK_ULONG n = sizeof scratch;
      ks->p11->C_DigestFinal(ks->session, scratch, &n);
      cf_wipe(scratch, sizeof scratch);
    }
    cf_wipe(out, 64);
    ks_fail(err, errlen, step, rv);
    return -1;
  }
  return 0;
}
