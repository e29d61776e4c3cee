/* The card timing model (sim_timing.h): parsing, the named profiles, the operation counters and
 * the wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cardforge/crypto.h"
#include "sim_timing.h"

#define TIMING_MAX_US 10000000u /* 10 s: longer is a typo, not a card */

typedef struct timing_profile {
  const char *name;
  cf_timing timing;
} timing_profile;

/* docs/performance.md, "The card timing model", gives the source of every figure. */
static const timing_profile profiles[] = {
    {"off", {0, 0, 0, 0, 0, 0}},
    /* the reference card: 20 ms per command, nothing else */
    {"apdu20", {.apdu_us = 20000}},
    /* ECTester's 256-bit prime-field table for the NXP JCOP CJ2A081: ECDH 123 ms, ECDSA 241 ms;
     * a key pair and a public key from a private one are one scalar multiplication each, costed
     * as the ECDH; the APDU and EEPROM figures are assumptions (docs/performance.md) */
    {"jcop-cj2a081",
     {.apdu_us = 5000,
      .ecdh_us = 123000,
      .keygen_us = 123000,
      .sign_us = 241000,
      .derive_us = 123000,
      .write_us = 4000}},
};

typedef struct timing_field {
  const char *name;
  size_t offset;
} timing_field;

static const timing_field fields[] = {
    {"apdu", offsetof(cf_timing, apdu_us)},     {"ecdh", offsetof(cf_timing, ecdh_us)},
    {"keygen", offsetof(cf_timing, keygen_us)}, {"sign", offsetof(cf_timing, sign_us)},
    {"derive", offsetof(cf_timing, derive_us)}, {"write", offsetof(cf_timing, write_us)},
};

static bool parse_duration(const char *s, size_t len, uint32_t *out) {
  char buf[32];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  if (buf[0] < '0' || buf[0] > '9') return false;
  char *end;
  errno = 0;
  double v = strtod(buf, &end);
  if (errno != 0 || end == buf) return false;
  double scale;
  if (strcmp(end, "us") == 0)
    scale = 1;
  else if (strcmp(end, "ms") == 0)
    scale = 1e3;
  else if (strcmp(end, "s") == 0)
    scale = 1e6;
  else
    return false;
  double us = v * scale;
  if (!(us >= 0) || us > TIMING_MAX_US) return false;
  *out = (uint32_t)(us + 0.5);
  return true;
}

static const timing_profile *find_profile(const char *s, size_t len) {
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (strlen(profiles[i].name) == len && memcmp(profiles[i].name, s, len) == 0) return &profiles[i];
  return NULL;
}

int cf_timing_parse(const char *text, cf_timing *out, char *err, size_t errlen) {
  cf_timing t;
  memset(&t, 0, sizeof t);
  const char *p = text == NULL ? "" : text;
  for (bool first = true; *p != '\0'; first = false) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (eq == NULL) {
      const timing_profile *prof = find_profile(p, len);
      if (prof == NULL || !first) {
        snprintf(
            err, errlen,
            "timing: \"%.*s\" is %s (profiles: off, apdu20, jcop-cj2a081; or NAME=DURATION with NAME one of "
            "apdu, ecdh, keygen, sign, derive, write)",
            (int)len, p, prof == NULL ? "no profile" : "a profile after a pair: the profile comes first");
        return -1;
      }
      t = prof->timing;
    } else {
      size_t name_len = (size_t)(eq - p);
      const timing_field *f = NULL;
      for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strlen(fields[i].name) == name_len && memcmp(fields[i].name, p, name_len) == 0) f = &fields[i];
      if (f == NULL) {
        snprintf(err, errlen, "timing: unknown operation \"%.*s\" (apdu, ecdh, keygen, sign, derive, write)",
                 (int)name_len, p);
        return -1;
      }
      uint32_t us;
      if (!parse_duration(eq + 1, len - name_len - 1, &us)) {
        snprintf(err, errlen,
                 "timing: %.*s wants a duration such as 20ms, 500us or 0.1s (at most 10 s), not \"%.*s\"",
                 (int)name_len, p, (int)(len - name_len - 1), eq + 1);
        return -1;
      }
      memcpy((char *)&t + f->offset, &us, sizeof us);
    }
    if (comma == NULL) break;
    p = comma + 1;
    if (*p == '\0') {
      snprintf(err, errlen, "timing: trailing comma");
      return -1;
    }
  }
  *out = t;
  return 0;
}

bool cf_timing_enabled(const cf_timing *t) {
  return t->apdu_us || t->ecdh_us || t->keygen_us || t->sign_us || t->derive_us || t->write_us;
}

/* Without the counters (sim_timing_counters.c, linked into the programs that serve cards) no
 * operation is seen: only the per-APDU and write figures apply. */
__attribute__((weak)) void cf_timing_ops_now(cf_timing_ops *out) {
  memset(out, 0, sizeof *out);
}

/* ---- the wait ---- */

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void cf_timing_begin(cf_timing_mark *m, const cf_store *store) {
  m->start_ns = now_ns();
  cf_timing_ops_now(&m->ops);
  m->writes = cf_store_write_count(store);
}

uint64_t cf_timing_cost_us(const cf_timing *t, const cf_timing_mark *m, const cf_store *store) {
  cf_timing_ops now;
  cf_timing_ops_now(&now);
  uint64_t us = t->apdu_us;
  us += (uint64_t)t->ecdh_us * (now.ecdh - m->ops.ecdh);
  us += (uint64_t)t->keygen_us * (now.keygen - m->ops.keygen);
  us += (uint64_t)t->sign_us * (now.sign - m->ops.sign);
  us += (uint64_t)t->derive_us * (now.derive - m->ops.derive);
  if (cf_store_write_count(store) != m->writes) us += t->write_us;
  return us;
}

void cf_timing_end(const cf_timing *t, const cf_timing_mark *m, const cf_store *store) {
  if (!cf_timing_enabled(t)) return;
  long long until = m->start_ns + (long long)cf_timing_cost_us(t, m, store) * 1000;
  struct timespec ts = {.tv_sec = until / 1000000000LL, .tv_nsec = until % 1000000000LL};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}
