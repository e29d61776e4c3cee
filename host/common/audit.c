/* The ceremony log (see host/common/include/cardforge/audit.h): appending under the file's lock, checking the
 * chain. JSON is built and parsed by jansson only: a line is never assembled from strings here. */
#include "cardforge/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/clicommon.h"
#include "cardforge/crypto.h"
#include "cardforge/file_lock.h"
#include "cardforge/hex.h"
#include "cardforge/secret_input.h"

#include "audit_head.h"

/* One canonical form for writing and for checking: a line that a re-dump does not reproduce byte
 * for byte was not written by this code. */
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)
#define LOG_MAX ((size_t)256 << 20) /* refuse to read a log larger than this */

static const char *reserved[] = {"seq", "time", "prev", "command", "reader", "result", "sw", "exit", "mac"};

static struct {
  const char *log_path;
  const char *key_option;
} config;

void cf_audit_configure(const char *log_path, const char *key_option) {
  if (log_path != NULL) config.log_path = log_path;
  if (key_option != NULL) config.key_option = key_option;
}

int cf_audit_path(const cf_cli_global *g, char *out, size_t cap) {
  const char *p = config.log_path;
  if (p == NULL || *p == 0) p = getenv(CF_AUDIT_ENV_LOG);
  if (p != NULL && *p != 0) {
    int n = snprintf(out, cap, "%s", p);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
  }
  char dir[1024];
  const char *d = g != NULL ? g->state_dir : NULL;
  if (d == NULL) {
    if (cf_cli_default_state_dir(dir, sizeof dir) != 0) return -1;
    d = dir;
  }
  int n = snprintf(out, cap, "%s/%s", d, CF_AUDIT_FILE);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int cf_audit_key(uint8_t key[CF_AUDIT_KEY_MAX], size_t *len, char *err, size_t errlen) {
  char hex[CF_SECRET_MAX];
  cf_secret_source src = CF_SECRET_NONE;
  cf_secret_spec spec = {.option = "--audit-key", .value = config.key_option, .env = CF_AUDIT_ENV_KEY};
  int got = cf_secret_get(&spec, hex, sizeof hex, &src, err, errlen);
  if (got <= 0) {
    cf_wipe(hex, sizeof hex);
    return got < 0 && (src == CF_SECRET_FILE || src == CF_SECRET_STDIN) ? -2 : got;
  }
  long n = cf_hex_decode(hex, key, CF_AUDIT_KEY_MAX);
  cf_wipe(hex, sizeof hex);
  if (n < CF_AUDIT_KEY_MIN || n > CF_AUDIT_KEY_MAX) {
    cf_wipe(key, CF_AUDIT_KEY_MAX);
    snprintf(err, errlen, "--audit-key: expected %d to %d bytes of hex", CF_AUDIT_KEY_MIN, CF_AUDIT_KEY_MAX);
    return -1;
  }
  *len = (size_t)n;
  return 1;
}

/* The whole content of fd (at most LOG_MAX bytes); *buf is malloc'd (NULL when empty). */
static int read_all(int fd, const char *path, char **buf, size_t *len, char *err, size_t errlen) {
  struct stat st;
  *buf = NULL;
  *len = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", path);
    return -1;
  }
  if ((size_t)st.st_size > LOG_MAX) {
    snprintf(err, errlen, "%s: larger than %zu bytes", path, LOG_MAX);
    return -1;
  }
  if (st.st_size == 0) return 0;
  char *b = malloc((size_t)st.st_size);
  if (b == NULL) {
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = pread(fd, b + got, (size_t)st.st_size - got, (off_t)got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "shrank while being read");
      free(b);
      return -1;
    }
    got += (size_t)n;
  }
  *buf = b;
  *len = got;
  return 0;
}

static int sha256_hex(const void *data, size_t len, char out[65]) {
  uint8_t h[32];
  if (cf_sha256(data, len, h) != 0) return -1;
  cf_hex_encode(h, sizeof h, out);
  return 0;
}

static int utc_now(char out[32]) {
  struct timespec ts;
  struct tm tm;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL) return -1;
  return strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0 ? 0 : -1;
}

/* The event's own fields from a json_pack format: an object, none of the reserved names. Returns
 * NULL with err (the arguments are consumed either way: "o" items are released). */
static json_t *pack_fields(const char *command, const char *fields, va_list ap, char *err, size_t errlen) {
  if (fields == NULL) return json_object();
  json_error_t jerr;
  json_t *extra = json_vpack_ex(&jerr, 0, fields, ap);
  if (extra == NULL || !json_is_object(extra)) {
    snprintf(err, errlen, "audit event of %s: %s", command, extra == NULL ? jerr.text : "not an object");
    json_decref(extra);
    return NULL;
  }
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (json_object_get(extra, reserved[i]) != NULL) {
      snprintf(err, errlen, "audit event of %s: field \"%s\" is reserved", command, reserved[i]);
      json_decref(extra);
      return NULL;
    }
  return extra;
}

/* The event as an object with the reserved fields first, then extra's. */
static json_t *build_event(size_t seq, const char *prev_hex, const char *command, const char *reader,
                           unsigned sw, int exit_code, const json_t *extra, char *err, size_t errlen) {
  char now[32], sw_hex[8];
  if (utc_now(now) != 0) {
    snprintf(err, errlen, "cannot read the clock");
    return NULL;
  }
  json_t *ev = json_object();
  json_t *reader_json = reader != NULL && *reader != 0 ? json_string(reader) : json_null();
  if (reader_json == NULL) reader_json = json_string("(name not UTF-8)");
  json_object_set_new(ev, "seq", json_integer((json_int_t)seq));
  json_object_set_new(ev, "time", json_string(now));
  json_object_set_new(ev, "prev", json_string(prev_hex));
  json_object_set_new(ev, "command", json_string(command));
  json_object_set_new(ev, "reader", reader_json);
  json_object_set_new(ev, "result", json_string(exit_code == CF_EXIT_OK ? "ok" : "failed"));
  if (sw != 0) {
    snprintf(sw_hex, sizeof sw_hex, "%04X", sw & 0xFFFFu);
    json_object_set_new(ev, "sw", json_string(sw_hex));
  }
  json_object_set_new(ev, "exit", json_integer(exit_code));
  json_object_update(ev, (json_t *)extra);
  return ev;
}

/* The line as written: ev dumped, then (with a key) dumped again with its MAC appended. */
static char *finish_line(json_t *ev, const uint8_t *key, size_t klen) {
  char *line = json_dumps(ev, DUMP_FLAGS);
  if (line == NULL || key == NULL) return line;
  uint8_t mac[32];
  char mac_hex[65];
  cf_hmac_sha256(key, klen, line, strlen(line), mac);
  cf_hex_encode(mac, sizeof mac, mac_hex);
  free(line);
  json_object_set_new(ev, "mac", json_string(mac_hex));
  return json_dumps(ev, DUMP_FLAGS);
}

static int append_event(const char *path, const uint8_t *key, size_t klen, const char *command,
                        const char *reader, unsigned sw, int exit_code, const json_t *extra, char *err,
                        size_t errlen) {
  cf_state_lock lk = {.fd = -1};
  if (cf_state_lock_take(path, &lk, err, errlen) != 0) return -1;
  int rc = -1;
  char *old = NULL, *line = NULL, *out = NULL;
  json_t *ev = NULL;
  int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    goto done;
  }
  size_t len;
  if (read_all(fd, path, &old, &len, err, errlen) != 0) goto done;
  /* the last line (a torn one without its newline counts: the chain covers what is there) */
  bool torn = len > 0 && old[len - 1] != '\n';
  size_t end = torn ? len : (len > 0 ? len - 1 : 0), start = end, lines = 0;
  while (start > 0 && old[start - 1] != '\n')
    start--;
  for (size_t i = 0; i < len; i++)
    lines += old[i] == '\n';
  lines += torn;
  char prev_hex[65];
  if (lines == 0 ? sha256_hex(CF_AUDIT_GENESIS, strlen(CF_AUDIT_GENESIS), prev_hex)
                 : sha256_hex(old + start, end - start, prev_hex)) {
    snprintf(err, errlen, "SHA-256 failed");
    goto done;
  }
  ev = build_event(lines + 1, prev_hex, command, reader, sw, exit_code, extra, err, errlen);
  if (ev == NULL) goto done;
  line = finish_line(ev, key, klen);
  size_t n = line != NULL ? strlen(line) : 0;
  out = malloc(n + 2);
  if (line == NULL || out == NULL) {
    snprintf(err, errlen, "out of memory");
    goto done;
  }
  /* one write, so a reader or a crash never sees half a line after a whole one */
  size_t o = 0;
  if (torn) out[o++] = '\n';
  memcpy(out + o, line, n);
  out[o + n] = '\n';
  if (cf_write_all(fd, out, o + n + 1) != 0 || fsync(fd) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    goto done;
  }
  /* then the head: a crash between the two leaves it one line behind, which verify accepts */
  char last_hex[65];
  if (sha256_hex(line, n, last_hex) != 0) {
    snprintf(err, errlen, "SHA-256 failed");
    goto done;
  }
  if (cf_audit_head_write(path, lines + 1, last_hex, key, klen, err, errlen) != 0) goto done;
  rc = 0;
done:
  if (fd >= 0) close(fd);
  free(old);
  free(line);
  free(out);
  json_decref(ev);
  cf_state_lock_release(&lk);
  return rc;
}

int cf_audit_append_v(const char *path, const uint8_t *key, size_t klen, const char *command,
                      const char *reader, unsigned sw, int exit_code, const char *fields, va_list ap,
                      char *err, size_t errlen) {
  json_t *extra = pack_fields(command, fields, ap, err, errlen);
  if (extra == NULL) return -1;
  int rc = append_event(path, key, klen, command, reader, sw, exit_code, extra, err, errlen);
  json_decref(extra);
  return rc;
}

int cf_audit_append(const char *path, const uint8_t *key, size_t klen, const char *command,
                    const char *reader, unsigned sw, int exit_code, const char *fields, ...) {
  char err[512];
  va_list ap;
  va_start(ap, fields);
  int rc = cf_audit_append_v(path, key, klen, command, reader, sw, exit_code, fields, ap, err, sizeof err);
  va_end(ap);
  if (rc != 0) fprintf(stderr, "cardforge: audit log: %s\n", err);
  return rc;
}

const char *cf_audit_hex(const uint8_t *bytes, size_t len) {
  static _Thread_local char ring[8][2 * CF_AUDIT_HEX_MAX + 1];
  static _Thread_local unsigned next;
  char *out = ring[next++ % 8];
  out[0] = 0;
  if (bytes == NULL || len == 0) return out;
  cf_hex_encode(bytes, len < CF_AUDIT_HEX_MAX ? len : CF_AUDIT_HEX_MAX, out);
  return out;
}

const char *cf_audit_kcv_des(const uint8_t *key, size_t klen) {
  static const uint8_t zeros[8];
  uint8_t block[8];
  if (cf_des3_ecb_encrypt(key, klen, zeros, block, sizeof block) != 0) return cf_audit_hex(NULL, 0);
  const char *hex = cf_audit_hex(block, 3);
  cf_wipe(block, sizeof block);
  return hex;
}

/* the list is a jansson array: "o" in a json_pack format takes a json_t pointer */
cf_audit_list *cf_audit_list_new(void) {
  return (cf_audit_list *)json_array();
}

void cf_audit_list_add(cf_audit_list *list, const char *item, ...) {
  if (list == NULL) return;
  va_list ap;
  va_start(ap, item);
  json_t *v = json_vpack_ex(NULL, 0, item, ap);
  va_end(ap);
  if (v != NULL) json_array_append_new((json_t *)list, v);
}

void cf_audit_record(const cf_cli_global *g, const char *reader, const char *command, unsigned sw,
                     int exit_code, const char *fields, ...) {
  char path[1100], err[512] = "";
  uint8_t key[CF_AUDIT_KEY_MAX];
  size_t klen = 0;
  /* the fields first: packing them releases what they hold, whatever happens next */
  va_list ap;
  va_start(ap, fields);
  json_t *extra = pack_fields(command, fields, ap, err, sizeof err);
  va_end(ap);
  int has_key = 0, rc = -1;
  if (extra != NULL && cf_audit_path(g, path, sizeof path) != 0)
    snprintf(err, sizeof err, "no state directory");
  else if (extra != NULL && (has_key = cf_audit_key(key, &klen, err, sizeof err)) >= 0)
    rc = append_event(path, has_key ? key : NULL, klen, command,
                      reader != NULL ? reader : cf_cli_current_reader(), sw, exit_code, extra, err,
                      sizeof err);
  json_decref(extra);
  cf_wipe(key, sizeof key);
  if (rc != 0) cf_cli_error("warning: %s not recorded in the ceremony log: %s", command, err);
}

/* One line's checks, in the order that names the line at fault first. */
static int verify_line(const char *text, size_t len, size_t no, const char *prev_hex, const uint8_t *key,
                       size_t klen, size_t *bad, char *why, size_t whylen) {
  json_error_t jerr;
  json_t *ev = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  char *again = NULL;
  int rc = 1;
  *bad = no;
  if (ev == NULL || !json_is_object(ev)) {
    snprintf(why, whylen, "line %zu: not a JSON object (%s): damaged or edited", no,
             ev == NULL ? jerr.text : "another JSON value");
    goto done;
  }
  again = json_dumps(ev, DUMP_FLAGS);
  if (again == NULL || strlen(again) != len || memcmp(again, text, len) != 0) {
    snprintf(why, whylen, "line %zu: edited (not in the form the log writes)", no);
    goto done;
  }
  if (key != NULL) {
    const char *mac_hex = json_string_value(json_object_get(ev, "mac"));
    uint8_t mac[32], want[32];
    if (mac_hex == NULL || strlen(mac_hex) != 64 || cf_hex_decode(mac_hex, mac, sizeof mac) != 32) {
      snprintf(why, whylen, "line %zu: no MAC (written without the key, or the MAC was removed)", no);
      goto done;
    }
    json_object_del(ev, "mac");
    char *body = json_dumps(ev, DUMP_FLAGS);
    if (body == NULL) goto done;
    cf_hmac_sha256(key, klen, body, strlen(body), want);
    free(body);
    if (!cf_ct_equal(mac, want, sizeof mac)) {
      snprintf(why, whylen, "line %zu: MAC does not match (the line was changed, or another key)", no);
      goto done;
    }
  }
  json_t *seq = json_object_get(ev, "seq");
  if (!json_is_integer(seq)) {
    snprintf(why, whylen, "line %zu: no seq", no);
    goto done;
  }
  json_int_t s = json_integer_value(seq);
  if (s != (json_int_t)no) {
    snprintf(why, whylen, "line %zu: seq %lld where %zu was expected: %s", no, (long long)s, no,
             s > (json_int_t)no ? "a line before it was removed, or lines were reordered"
                                : "a line was repeated, or lines were reordered");
    goto done;
  }
  const char *prev = json_string_value(json_object_get(ev, "prev"));
  if (prev == NULL || strcmp(prev, prev_hex) != 0) {
    if (no == 1) {
      snprintf(why, whylen, "line 1: prev is not the hash of the log's start: lines before it were removed");
    } else {
      /* seq runs on, so the line before was most likely changed in place */
      *bad = no - 1;
      snprintf(why, whylen, "line %zu: changed (line %zu's prev does not match its hash)", no - 1, no);
    }
    goto done;
  }
  rc = 0;
done:
  free(again);
  json_decref(ev);
  return rc;
}

/* The whole log (never through a symbolic link). Returns 0, or -1 with err naming the file. */
static int read_log(const char *path, char **buf, size_t *len, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  int rc = read_all(fd, path, buf, len, err, errlen);
  close(fd);
  return rc != 0 ? -1 : 0;
}

int cf_audit_verify(const char *path, const uint8_t *key, size_t klen, size_t *lines, size_t *bad_line,
                    char *why, size_t whylen) {
  *lines = 0;
  *bad_line = 0;
  char *buf;
  size_t len;
  if (read_log(path, &buf, &len, why, whylen) != 0) return -1;
  char prev_hex[65];
  if (sha256_hex(CF_AUDIT_GENESIS, strlen(CF_AUDIT_GENESIS), prev_hex) != 0) {
    free(buf);
    snprintf(why, whylen, "SHA-256 failed");
    return -1;
  }
  char before_hex[65];
  memcpy(before_hex, prev_hex, sizeof before_hex);
  size_t no = 0, start = 0;
  int rc = 0;
  while (start < len) {
    no++;
    const char *nl = memchr(buf + start, '\n', len - start);
    if (nl == NULL) {
      *bad_line = no;
      snprintf(why, whylen, "line %zu: incomplete (no newline: a write was cut short, or the file edited)",
               no);
      rc = 1;
      break;
    }
    size_t n = (size_t)(nl - (buf + start));
    if (verify_line(buf + start, n, no, prev_hex, key, klen, bad_line, why, whylen) != 0) {
      rc = 1;
      break;
    }
    memcpy(before_hex, prev_hex, sizeof before_hex);
    if (sha256_hex(buf + start, n, prev_hex) != 0) {
      snprintf(why, whylen, "SHA-256 failed");
      rc = -1;
      break;
    }
    start += n + 1;
  }
  free(buf);
  if (rc == 0) rc = cf_audit_head_check(path, no, prev_hex, before_hex, key, klen, bad_line, why, whylen);
  *lines = rc == 0 ? no : 0;
  return rc;
}

static const char *text_of(json_t *ev, const char *name) {
  const char *s = json_string_value(json_object_get(ev, name));
  return s != NULL ? s : "-";
}

int cf_audit_show(const char *path, bool as_json, FILE *out, char *err, size_t errlen) {
  char *buf;
  size_t len;
  if (read_log(path, &buf, &len, err, errlen) != 0) return -1;
  if (as_json) {
    if (len > 0) fwrite(buf, 1, len, out);
    free(buf);
    return 0;
  }
  fprintf(out, "%-5s %-20s %-22s %-8s %-4s %-24s %s\n", "SEQ", "TIME (UTC)", "COMMAND", "RESULT", "SW",
          "READER", "DETAILS");
  size_t start = 0;
  while (start < len) {
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t n = nl != NULL ? (size_t)(nl - (buf + start)) : len - start;
    json_t *ev = json_loadb(buf + start, n, 0, NULL);
    if (!json_is_object(ev)) {
      fprintf(out, "(unreadable)\n");
    } else {
      json_t *details = json_deep_copy(ev);
      for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        json_object_del(details, reserved[i]);
      char *d =
          json_object_size(details) > 0 ? json_dumps(details, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
      fprintf(out, "%-5lld %-20s %-22s %-8s %-4s %-24s %s\n",
              (long long)json_integer_value(json_object_get(ev, "seq")), text_of(ev, "time"),
              text_of(ev, "command"), text_of(ev, "result"), text_of(ev, "sw"), text_of(ev, "reader"),
              d != NULL ? d : "");
      free(d);
      json_decref(details);
    }
    json_decref(ev);
    start += n + 1;
  }
  free(buf);
  return 0;
}
