/* "key=value,key=value" option strings for card profiles and applets. */
#include <string.h>

#include "cardforge/card.h"

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
