/* PKCS#11 URIs (RFC 7512): "pkcs11:" path attributes separated by ';', then optionally '?' and
 * query attributes separated by '&', values percent-encoded. The key store uses token and object
 * from the path, module-path, pin-value and pin-source from the query; the other attributes the
 * RFC defines are accepted and ignored, an attribute it does not define is refused. */
#include <stdio.h>
#include <string.h>

#include "cardforge/keystore.h"

static const char *const path_known[] = {"token",
                                         "manufacturer",
                                         "serial",
                                         "model",
                                         "library-manufacturer",
                                         "library-description",
                                         "library-version",
                                         "slot-manufacturer",
                                         "slot-description",
                                         "slot-id",
                                         "object",
                                         "type",
                                         "id"};
static const char *const query_known[] = {"module-name", "module-path", "pin-value", "pin-source"};

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes [v, v + n) into out (cap bytes, NUL-terminated). -1 on a bad escape, a NUL
 * byte or an overflow. */
static int decode(const char *v, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)v[i];
    if (c == '%') {
      if (i + 2 >= n) return -1;
      int hi = hexval(v[i + 1]), lo = hexval(v[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      c = hi * 16 + lo;
      i += 2;
    }
    if (c == 0 || o + 1 >= cap) return -1;
    out[o++] = (char)c;
  }
  out[o] = 0;
  return 0;
}

static bool known(const char *name, size_t n, const char *const *list, size_t count) {
  for (size_t i = 0; i < count; i++)
    if (strlen(list[i]) == n && strncmp(list[i], name, n) == 0) return true;
  return false;
}

static int attribute(cf_ks_uri *u, const char *a, size_t n, bool query, char *err, size_t errlen) {
  const char *eq = memchr(a, '=', n);
  if (eq == NULL) {
    snprintf(err, errlen, "PKCS#11 URI: \"%.*s\" is not NAME=VALUE", (int)(n > 40 ? 40 : n), a);
    return -1;
  }
  size_t nl = (size_t)(eq - a), vl = n - nl - 1;
  const char *v = eq + 1;
  bool ok = query ? known(a, nl, query_known, sizeof query_known / sizeof query_known[0])
                  : known(a, nl, path_known, sizeof path_known / sizeof path_known[0]);
  if (!ok) {
    snprintf(err, errlen, "PKCS#11 URI: unknown %s attribute \"%.*s\" (RFC 7512)", query ? "query" : "path",
             (int)(nl > 30 ? 30 : nl), a);
    return -1;
  }
  char *out = NULL;
  size_t cap = 0;
#define FIELD(str, f)                                                                                        \
  if (nl == strlen(str) && strncmp(a, str, nl) == 0) out = u->f, cap = sizeof u->f
  FIELD("token", token);
  FIELD("object", object);
  FIELD("module-path", module);
  FIELD("pin-value", pin_value);
  FIELD("pin-source", pin_source);
#undef FIELD
  if (out == NULL) return 0;
  if (out[0] != 0) {
    snprintf(err, errlen, "PKCS#11 URI: attribute \"%.*s\" given twice", (int)nl, a);
    return -1;
  }
  if (decode(v, vl, out, cap) != 0 || out[0] == 0) {
    snprintf(err, errlen, "PKCS#11 URI: bad value for \"%.*s\" (empty, too long or a bad %%-escape)", (int)nl,
             a);
    return -1;
  }
  return 0;
}

int cf_ks_uri_parse(const char *text, cf_ks_uri *u, char *err, size_t errlen) {
  memset(u, 0, sizeof *u);
  if (text == NULL || strncmp(text, "pkcs11:", 7) != 0) {
    snprintf(err, errlen, "a PKCS#11 URI starts with \"pkcs11:\" (RFC 7512)");
    return -1;
  }
  const char *p = text + 7;
  bool query = false;
  while (*p) {
    size_t n = strcspn(p, query ? "&" : ";?");
    if (n > 0 && attribute(u, p, n, query, err, errlen) != 0) return -1;
    p += n;
    if (*p == '?') query = true;
    if (*p) p++;
  }
  if (strlen(u->token) > 32) {
    snprintf(err, errlen, "PKCS#11 URI: a token label has at most 32 characters");
    return -1;
  }
  return 0;
}
