/* The ceremony log's head file (audit_head.h): one JSON object {"lines":N,"last":"<hex>"} plus,
 * with a key, "mac" (HMAC-SHA256 of the object as written without it), replaced atomically after
 * every append while the log's lock is held. */
#include "audit_head.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardforge/crypto.h"
#include "cardforge/file_lock.h"
#include "cardforge/hex.h"

#define HEAD_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)
#define HEAD_MAX 1024 /* a head is about 100 bytes; anything larger is not ours */

static int head_path(const char *log_path, char *out, size_t cap) {
  int n = snprintf(out, cap, "%s%s", log_path, CF_AUDIT_HEAD_SUFFIX);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int mac_hex_of(const char *body, const uint8_t *key, size_t klen, char out[65]) {
  uint8_t mac[32];
  if (cf_hmac_sha256(key, klen, body, strlen(body), mac) != 0) return -1;
  cf_hex_encode(mac, sizeof mac, out);
  cf_wipe(mac, sizeof mac);
  return 0;
}

static int write_text(void *ctx, FILE *out, char *err, size_t errlen) {
  if (fprintf(out, "%s\n", (const char *)ctx) < 0) {
    snprintf(err, errlen, "cannot write the log's head file");
    return -1;
  }
  return 0;
}

int cf_audit_head_write(const char *log_path, size_t lines, const char *last_hex, const uint8_t *key,
                        size_t klen, char *err, size_t errlen) {
  char path[4096], mac[65];
  if (head_path(log_path, path, sizeof path) != 0) {
    snprintf(err, errlen, "%s: path too long", log_path);
    return -1;
  }
  json_t *head = json_pack("{s:I,s:s}", "lines", (json_int_t)lines, "last", last_hex);
  char *text = head != NULL ? json_dumps(head, HEAD_FLAGS) : NULL;
  int rc = -1;
  if (text != NULL && key != NULL) {
    if (mac_hex_of(text, key, klen, mac) == 0) {
      json_object_set_new(head, "mac", json_string(mac));
      free(text);
      text = json_dumps(head, HEAD_FLAGS);
    } else {
      free(text);
      text = NULL;
    }
  }
  if (text == NULL)
    snprintf(err, errlen, "cannot build the log's head");
  else
    rc = cf_state_replace(path, false, write_text, text, err, errlen);
  free(text);
  json_decref(head);
  return rc;
}

/* The head's object, or NULL with why (*missing set when there is no head file at all). */
static json_t *read_head(const char *path, int *missing, char *why, size_t whylen) {
  *missing = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    *missing = errno == ENOENT;
    snprintf(why, whylen, "%s: %s", path, strerror(errno));
    return NULL;
  }
  char buf[HEAD_MAX + 1];
  ssize_t n;
  do
    n = read(fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n < 0 || n > HEAD_MAX) {
    snprintf(why, whylen, "%s: %s", path, n < 0 ? strerror(errno) : "too large for a head file");
    return NULL;
  }
  size_t len = (size_t)n;
  if (len > 0 && buf[len - 1] == '\n') len--;
  json_t *head = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(head)) {
    json_decref(head);
    snprintf(why, whylen, "%s: not a head file (damaged or edited)", path);
    return NULL;
  }
  return head;
}

/* With a key, the head's MAC must match its body. Returns 0 or 1 with why. */
static int check_head_mac(json_t *head, const char *path, const uint8_t *key, size_t klen, char *why,
                          size_t whylen) {
  const char *got = json_string_value(json_object_get(head, "mac"));
  if (got == NULL) {
    snprintf(why, whylen, "%s: no MAC (written without the key, or the MAC was removed)", path);
    return 1;
  }
  char want[65];
  char *saved = strdup(got);
  json_object_del(head, "mac");
  char *body = json_dumps(head, HEAD_FLAGS);
  int bad = saved == NULL || body == NULL || mac_hex_of(body, key, klen, want) != 0 || strlen(saved) != 64 ||
            !cf_ct_equal(saved, want, 64);
  free(saved);
  free(body);
  if (bad) snprintf(why, whylen, "%s: MAC does not match (the head was changed, or another key)", path);
  return bad;
}

int cf_audit_head_check(const char *log_path, size_t lines, const char *last_hex, const char *before_hex,
                        const uint8_t *key, size_t klen, size_t *bad, char *why, size_t whylen) {
  char path[4096];
  if (head_path(log_path, path, sizeof path) != 0) {
    snprintf(why, whylen, "%s: path too long", log_path);
    return -1;
  }
  int missing;
  json_t *head = read_head(path, &missing, why, whylen);
  if (head == NULL) {
    if (missing && lines == 0) return 0; /* a log nothing was ever appended to */
    *bad = lines + 1;
    if (missing)
      snprintf(why, whylen,
               "after line %zu: the head file %s is missing, so lines removed at the end cannot be "
               "ruled out",
               lines, path);
    return 1;
  }
  int rc = 1;
  *bad = lines + 1;
  json_t *n_json = json_object_get(head, "lines");
  const char *head_last = json_string_value(json_object_get(head, "last"));
  if (key != NULL && check_head_mac(head, path, key, klen, why, whylen) != 0) goto done;
  if (!json_is_integer(n_json) || json_integer_value(n_json) < 0 || head_last == NULL) {
    snprintf(why, whylen, "%s: not a head file (damaged or edited)", path);
    goto done;
  }
  size_t recorded = (size_t)json_integer_value(n_json);
  if (recorded > lines) {
    snprintf(why, whylen, "line %zu: removed (the log ends at line %zu; its head records %zu lines)",
             lines + 1, lines, recorded);
  } else if (recorded == lines && strcmp(head_last, last_hex) != 0) {
    *bad = lines;
    snprintf(why, whylen, "line %zu: changed (the last line does not match the head's hash)", lines);
  } else if (recorded + 1 == lines && strcmp(head_last, before_hex) == 0) {
    rc = 0; /* the append that wrote the last line stopped before its head */
  } else if (recorded < lines) {
    *bad = recorded + 1;
    snprintf(why, whylen, "line %zu: not recorded in the head (%zu lines; lines added by another program?)",
             recorded + 1, recorded);
  } else {
    rc = 0;
  }
done:
  json_decref(head);
  return rc;
}
