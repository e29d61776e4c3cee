/* "key=value,key=value" option strings for card profiles and applets. */
#include <stdio.h>
#include <string.h>

#include "cardforge/card.h"
#include "cardforge/params.h"

bool cf_params_get(const char *params, const char *key, char *value, size_t cap) {
  if (params == NULL || key == NULL || cap == 0) return false;
  size_t klen = strlen(key);
  const char *p = params;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t item = end ? (size_t)(end - p) : strlen(p);
    if (item > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
      size_t vlen = item - klen - 1;
      if (vlen >= cap) return false;
      memcpy(value, p + klen + 1, vlen);
      value[vlen] = 0;
      return true;
    }
    if (item == klen && strncmp(p, key, klen) == 0) { /* a bare flag */
      value[0] = 0;
      return true;
    }
    if (!end) break;
    p = end + 1;
  }
  return false;
}

/* ---- declared parameters (cardforge/params.h) ---- */

bool cf_params_next(const char **cursor, cf_param_item *item) {
  const char *p = *cursor;
  if (p == NULL || *p == '\0') return false;
  const char *end = strchr(p, ',');
  size_t len = end ? (size_t)(end - p) : strlen(p);
  const char *eq = memchr(p, '=', len);
  item->name = p;
  item->name_len = eq ? (size_t)(eq - p) : len;
  item->value = eq ? eq + 1 : NULL;
  item->value_len = eq ? len - item->name_len - 1 : 0;
  *cursor = end ? end + 1 : p + len;
  return true;
}

const cf_param_spec *cf_params_find(const cf_param_spec *specs, size_t count, const char *name,
                                    size_t name_len) {
  for (size_t i = 0; i < count; i++)
    if (strlen(specs[i].name) == name_len && strncmp(specs[i].name, name, name_len) == 0) return &specs[i];
  return NULL;
}

static int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Bytes in a hex value, or -1 when it is not hex. */
static long hex_bytes(const char *v, size_t len) {
  if (len % 2) return -1;
  for (size_t i = 0; i < len; i++)
    if (hex_nibble(v[i]) < 0) return -1;
  return (long)(len / 2);
}

static bool choice_listed(const char *choices, const char *v, size_t len) {
  for (const char *c = choices; *c;) {
    const char *bar = strchr(c, '|');
    size_t clen = bar ? (size_t)(bar - c) : strlen(c);
    if (clen == len && strncmp(c, v, len) == 0) return true;
    c += clen + (bar ? 1 : 0);
  }
  return false;
}

/* The choice an alias stands for ("alias=choice|..."), or v itself when it is no alias. */
static void choice_canonical(const cf_param_spec *s, const char **v, size_t *len) {
  for (const char *a = s->aliases; a != NULL && *a;) {
    const char *bar = strchr(a, '|'), *eq = strchr(a, '=');
    size_t alen = bar ? (size_t)(bar - a) : strlen(a);
    if (eq != NULL && eq < a + alen && (size_t)(eq - a) == *len && strncmp(a, *v, *len) == 0) {
      *v = eq + 1;
      *len = alen - (size_t)(eq - a) - 1;
      return;
    }
    a += alen + (bar ? 1 : 0);
  }
}

static bool value_valid(const cf_param_spec *s, const char *v, size_t len) {
  switch (s->kind) {
  case CF_PARAM_CHOICE:
    choice_canonical(s, &v, &len);
    return choice_listed(s->choices, v, len);
  case CF_PARAM_HEX: {
    long n = hex_bytes(v, len);
    for (size_t i = 0; n > 0 && i < sizeof s->sizes && s->sizes[i]; i++)
      if (n == s->sizes[i]) return true;
    return false;
  }
  case CF_PARAM_HEX_LIST: {
    if (hex_bytes(v, len) < 0) return false;
    for (size_t i = 0; i < len; i += 2) {
      int b = hex_nibble(v[i]) << 4 | hex_nibble(v[i + 1]);
      if (b < 1 || b > s->max_item) return false;
    }
    return true;
  }
  }
  return false;
}

void cf_params_form(const cf_param_spec *s, char *out, size_t cap) {
  if (cap == 0) return;
  out[0] = '\0';
  switch (s->kind) {
  case CF_PARAM_CHOICE:
    if (s->aliases != NULL)
      snprintf(out, cap, "%s (also %s)", s->choices, s->aliases);
    else
      snprintf(out, cap, "%s", s->choices);
    return;
  case CF_PARAM_HEX: {
    size_t n = 0;
    for (size_t i = 0; i < sizeof s->sizes && s->sizes[i] && n < cap; i++)
      n += (size_t)snprintf(out + n, cap - n, "%s%u", i ? "/" : "", s->sizes[i]);
    if (n < cap) snprintf(out + n, cap - n, " %s in hex", n == 1 && s->sizes[0] == 1 ? "byte" : "bytes");
    return;
  }
  case CF_PARAM_HEX_LIST:
    snprintf(out, cap, "hex list of items 01-%02X", s->max_item);
    return;
  }
}

/* "a, b, c": the declared names, for messages. */
static void list_names(const cf_param_spec *specs, size_t count, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < count && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", specs[i].name);
}

int cf_params_check(const char *type, const cf_param_spec *specs, size_t count, const char *params, char *err,
                    size_t errlen) {
  char names[512], form[64];
  list_names(specs, count, names, sizeof names);
  if (params == NULL || *params == '\0') return 0;
  size_t plen = strlen(params);
  if (params[0] == ',' || params[plen - 1] == ',' || strstr(params, ",,") != NULL) {
    snprintf(err, errlen, "empty parameter in the %s parameters (they are name=value,name=value)", type);
    return -1;
  }
  const char *cursor = params;
  cf_param_item it;
  while (cf_params_next(&cursor, &it)) {
    int shown = it.name_len > 40 ? 40 : (int)it.name_len;
    const cf_param_spec *s = cf_params_find(specs, count, it.name, it.name_len);
    if (s == NULL) {
      if (count == 0)
        snprintf(err, errlen, "unknown parameter \"%.*s\": %s cards take no parameters", shown, it.name,
                 type);
      else
        snprintf(err, errlen, "unknown parameter \"%.*s\" (%s parameters: %s)", shown, it.name, type, names);
      return -1;
    }
    cf_params_form(s, form, sizeof form);
    if (it.value == NULL) {
      snprintf(err, errlen, "parameter \"%s\" needs a value: %s=<%s>", s->name, s->name, form);
      return -1;
    }
    /* a second occurrence: cf_params_get would silently take the first */
    const char *again = cursor;
    cf_param_item later;
    while (cf_params_next(&again, &later)) {
      if (later.name_len == it.name_len && strncmp(later.name, it.name, it.name_len) == 0) {
        snprintf(err, errlen, "parameter \"%s\" is given twice", s->name);
        return -1;
      }
    }
    if (!value_valid(s, it.value, it.value_len)) {
      if (s->secret)
        snprintf(err, errlen, "bad value for %s (secret, not shown): expected %s", s->name, form);
      else
        snprintf(err, errlen, "bad value \"%.*s\" for %s: expected %s",
                 it.value_len > 40 ? 40 : (int)it.value_len, it.value, s->name, form);
      return -1;
    }
  }
  return 0;
}

bool cf_params_same_value(const cf_param_spec *spec, const char *a, size_t alen, const char *b, size_t blen) {
  if (spec->kind == CF_PARAM_CHOICE) {
    choice_canonical(spec, &a, &alen);
    choice_canonical(spec, &b, &blen);
    return alen == blen && strncmp(a, b, alen) == 0;
  }
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; i++)
    if (hex_nibble(a[i]) != hex_nibble(b[i])) return false;
  return true;
}
