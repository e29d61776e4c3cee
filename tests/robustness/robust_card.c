/* Cards on files, the power-cut sweep and the malformed-input runner (see robust_card.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "robust_card.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/hex.h"
#include "cardforge/sw.h"

char *rb_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[1024];
  snprintf(tmpl, sizeof tmpl, "%s/cf-robust.XXXXXX", base && *base ? base : "/tmp");
  char *dir = mkdtemp(tmpl);
  assert_non_null(dir);
  return strdup(dir);
}

void rb_rmdir(char *dir) {
  DIR *d = opendir(dir);
  if (d != NULL) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char p[2048];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(dir);
  free(dir);
}

const char *rb_path(const char *dir, const char *name) {
  static char bufs[8][1024];
  static unsigned next;
  char *b = bufs[next++ % 8];
  snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
  return b;
}

static int copy_file(const char *src, const char *dst) {
  FILE *in = fopen(src, "rb");
  if (in == NULL) return -1;
  FILE *out = fopen(dst, "wb");
  if (out == NULL) {
    fclose(in);
    return -1;
  }
  char buf[65536];
  size_t n;
  int rc = 0;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) rc = -1;
  fclose(in);
  if (fclose(out) != 0) rc = -1;
  return rc;
}

int rb_copy_card(const char *src, const char *dst) {
  static const char *const suffixes[] = {"", "-wal", "-journal"};
  for (size_t i = 0; i < 3; i++) {
    char s[1100], d[1100];
    snprintf(s, sizeof s, "%s%s", src, suffixes[i]);
    snprintf(d, sizeof d, "%s%s", dst, suffixes[i]);
    unlink(d);
    struct stat st;
    if (stat(s, &st) == 0 && copy_file(s, d) != 0) return -1;
  }
  return 0;
}

int rb_card_open(rb_card *c, const cf_card_profile *p, const char *params, const char *path) {
  memset(c, 0, sizeof *c);
  c->profile = p;
  c->params = params ? params : "";
  snprintf(c->path, sizeof c->path, "%s", path);
  if (cf_store_open_file(path, &c->store) != CF_STORE_OK) return -1;
  c->card = p->create(c->store, c->params);
  if (c->card == NULL) {
    cf_store_close(c->store);
    c->store = NULL;
    return -1;
  }
  cf_card_power_on(c->card);
  c->t = cf_transport_open_card(c->card);
  return c->t ? 0 : -1;
}

void rb_card_close(rb_card *c) {
  if (c->t) cf_transport_close(c->t);
  cf_card_free(c->card);
  cf_store_close(c->store);
  c->t = NULL;
  c->card = NULL;
  c->store = NULL;
}

uint16_t rb_card_send(rb_card *c, const uint8_t *apdu, size_t len, uint8_t *resp, size_t cap, size_t *rlen) {
  static uint8_t buf[CF_CARD_MAX_RESPONSE + 2];
  size_t n = cf_card_transmit(c->card, apdu, len, buf, sizeof buf);
  assert_true(n >= 2);
  if (rlen) *rlen = n - 2;
  if (resp) memcpy(resp, buf, n - 2 < cap ? n - 2 : cap);
  return cf_be16(buf + n - 2);
}

uint16_t rb_card_send_hex(rb_card *c, const char *hex, uint8_t *resp, size_t cap, size_t *rlen) {
  static uint8_t apdu[8192];
  long n = cf_hex_decode(hex, apdu, sizeof apdu);
  if (n < 0) fail_msg("bad hex in test: %s", hex);
  return rb_card_send(c, apdu, (size_t)n, resp, cap, rlen);
}

/* ---- the sweep ---- */

static bool sweep_cutting;
bool rb_sweep_cutting(void) {
  return sweep_cutting;
}

/* The reference run records the state after every command that wrote something. */
#define RB_MAX_BETWEEN 32
static rb_state between[RB_MAX_BETWEEN];
static size_t between_count;
static rb_card *recorded;
static const cf_transport_ops *recorded_ops;

static int recording_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                              size_t *rlen) {
  long before = cf_store_write_count(recorded->store);
  int rc = recorded_ops->exchange(t, cmd, len, resp, cap, rlen);
  if (cf_store_write_count(recorded->store) != before && between_count < RB_MAX_BETWEEN &&
      rb_state_take(recorded->store, &between[between_count]) == 0)
    between_count++;
  return rc;
}

static cf_transport_ops recording_ops;

static void record_commands(rb_card *c) {
  recorded = c;
  recorded_ops = c->t->ops;
  recording_ops = *c->t->ops;
  recording_ops.exchange = recording_exchange;
  c->t->ops = &recording_ops;
}

static void stop_recording(rb_card *c) {
  c->t->ops = recorded_ops;
  recorded = NULL;
}

static bool is_between(const rb_state *now) {
  for (size_t i = 0; i < between_count; i++)
    if (rb_state_equal(now, &between[i])) return true;
  return false;
}

static int select_alive(rb_card *c, const uint8_t *aid, size_t aid_len) {
  uint8_t apdu[5 + 16];
  apdu[0] = 0x00, apdu[1] = 0xA4, apdu[2] = 0x04, apdu[3] = 0x00, apdu[4] = (uint8_t)aid_len;
  memcpy(apdu + 5, aid, aid_len);
  uint16_t sw = rb_card_send(c, apdu, 5 + aid_len, NULL, 0, NULL);
  return sw == SW_OK || (sw >> 8) == 0x61 ? 0 : -1;
}

/* Opens a working copy of the template and reaches the step's transient state. */
static void open_work(const char *dir, const cf_card_profile *p, const char *params,
                      const rb_sweep_step *step, rb_card *c, const char *what) {
  const char *work = rb_path(dir, "work.card");
  if (rb_copy_card(rb_path(dir, step->from), work) != 0)
    fail_msg("%s: no template %s", step->name, step->from);
  if (rb_card_open(c, p, params, work) != 0) fail_msg("%s: %s: the card does not open", step->name, what);
  if (step->setup && step->setup(c) != 0) fail_msg("%s: %s: set-up failed", step->name, what);
}

static bool same_shape(const rb_state *old, const rb_state *ref, const rb_state *now) {
  uint32_t a[RB_STATE_MAX_RECORDS], b[RB_STATE_MAX_RECORDS];
  size_t na = rb_state_diff(old, ref, a, RB_STATE_MAX_RECORDS);
  size_t nb = rb_state_diff(old, now, b, RB_STATE_MAX_RECORDS);
  if (na != nb || memcmp(a, b, na * sizeof a[0]) != 0) return false;
  for (size_t i = 0; i < na; i++) {
    const rb_record *r = rb_state_find(ref, a[i]), *n = rb_state_find(now, a[i]);
    if ((r == NULL) != (n == NULL) || (r && r->len != n->len)) return false;
  }
  return true;
}

static int read_tries(const char *dir, const cf_card_profile *p, const char *params,
                      const rb_sweep_step *step, const char *file, int tries[4]) {
  const char *probe = rb_path(dir, "tries.card");
  rb_card c;
  if (rb_copy_card(file, probe) != 0 || rb_card_open(&c, p, params, probe) != 0) return -1;
  for (int i = 0; i < 4; i++)
    tries[i] = -1;
  int n = step->tries(&c, tries);
  rb_card_close(&c);
  return n;
}

void rb_sweep(const char *dir, const cf_card_profile *p, const char *params, const uint8_t *aid,
              size_t aid_len, const rb_sweep_step *step, rb_sweep_stats *stats) {
  static rb_state old, ref, middle, now;
  rb_card c;
  bool have_middle = false;

  /* the middle state (a wrong attempt's durable decrement), if the step has one */
  if (step->middle) {
    open_work(dir, p, params, step, &c, "middle run");
    step->middle(&c);
    assert_int_equal(rb_state_take(c.store, &middle), 0);
    have_middle = true;
    rb_card_close(&c);
  }

  /* the reference run: no cut */
  open_work(dir, p, params, step, &c, "reference run");
  assert_int_equal(rb_state_take(c.store, &old), 0);
  long w0 = cf_store_write_count(c.store);
  between_count = 0;
  record_commands(&c);
  int action_rc = step->action(&c);
  stop_recording(&c);
  if (action_rc != 0) fail_msg("%s: the command fails without a power cut", step->name);
  long writes = cf_store_write_count(c.store) - w0;
  assert_int_equal(rb_state_take(c.store, &ref), 0);
  rb_card_close(&c);
  if (writes > 0 && !have_middle && rb_state_equal(&old, &ref))
    fail_msg("%s: %ld physical writes but no state change", step->name, writes);

  int tries_before[4], ntries = -1;
  if (step->tries) {
    ntries = read_tries(dir, p, params, step, rb_path(dir, step->from), tries_before);
    if (ntries <= 0 || tries_before[0] < 0) fail_msg("%s: the retry counters cannot be read", step->name);
  }

  stats->steps++;
  for (long k = 1; k <= writes; k++) {
    open_work(dir, p, params, step, &c, "cut run");
    assert_int_equal(rb_state_take(c.store, &now), 0);
    if (!rb_state_equal(&now, &old))
      fail_msg("%s: the set-up does not reach the same state twice", step->name);
    rb_state_free(&now);
    cf_store_fault_at(c.store, k);
    sweep_cutting = true;
    step->action(&c);
    sweep_cutting = false;
    bool cut = cf_store_is_cut(c.store);
    rb_card_close(&c);

    /* restart from the file */
    if (rb_card_open(&c, p, params, rb_path(dir, "work.card")) != 0)
      fail_msg("%s: cut at write %ld of %ld: the card does not come back", step->name, k, writes);
    assert_int_equal(rb_state_take(c.store, &now), 0);
    stats->cut_points++;
    if (!cut) stats->not_reached++;
    if (rb_state_equal(&now, &old)) {
      stats->old_states++;
    } else if (!step->random && rb_state_equal(&now, &ref)) {
      stats->new_states++;
    } else if (have_middle && rb_state_equal(&now, &middle)) {
      stats->middle_states++;
    } else if (step->random && same_shape(&old, &ref, &now)) {
      stats->new_states++;
    } else if (!step->random && is_between(&now)) {
      stats->between_states++;
    } else {
      uint32_t keys[8];
      size_t n = rb_state_diff(&old, &now, keys, 8);
      fail_msg("%s: cut at write %ld of %ld left a state that is neither old nor new (%zu records differ "
               "from old, first %08X)",
               step->name, k, writes, n, n ? keys[0] : 0);
    }
    int ok = step->alive ? step->alive(&c) : select_alive(&c, aid, aid_len);
    if (ok != 0)
      fail_msg("%s: cut at write %ld of %ld: the restarted card does not work", step->name, k, writes);
    rb_card_close(&c);
    rb_state_free(&now);

    if (ntries > 0) {
      int after[4];
      int m = read_tries(dir, p, params, step, rb_path(dir, "work.card"), after);
      for (int i = 0; i < m && i < ntries; i++)
        if (after[i] > tries_before[i] && tries_before[i] >= 0)
          fail_msg("%s: cut at write %ld: retry counter %d went from %d up to %d", step->name, k, i,
                   tries_before[i], after[i]);
    }
  }
  rb_state_free(&old);
  rb_state_free(&ref);
  if (have_middle) rb_state_free(&middle);
  for (size_t i = 0; i < between_count; i++)
    rb_state_free(&between[i]);
  between_count = 0;
  if (ntries > 0)
    print_message("  sweep %-40s %3ld cut points (tries before: %d %d, never higher after a cut)\n",
                  step->name, writes, tries_before[0], ntries > 1 ? tries_before[1] : -1);
  else
    print_message("  sweep %-40s %3ld cut points\n", step->name, writes);
}

void rb_sweep_print(const char *card, const rb_sweep_stats *s) {
  printf("robust: %s power-cut sweep: %zu commands, %zu cut points (restart found: %zu old, %zu new, %zu "
         "between two commands of a flow, %zu durable decrement; %zu cuts not reached)\n",
         card, s->steps, s->cut_points, s->old_states, s->new_states, s->between_states, s->middle_states,
         s->not_reached);
}

/* ---- malformed tables ---- */

size_t rb_bad_run(const char *dir, const rb_bad_table *t) {
  static rb_state before, after;
  static uint8_t apdu[8192];
  size_t run = 0, failures = 0;
  for (size_t i = 0; i < t->count; i++) {
    const rb_bad_case *bc = &t->cases[i];
    rb_card c;
    const char *work = rb_path(dir, "bad.card");
    if (rb_copy_card(rb_path(dir, t->from), work) != 0 || rb_card_open(&c, t->profile, t->params, work) != 0)
      fail_msg("%s: cannot open the template %s", t->card, t->from);
    if (t->setup && t->setup(&c) != 0) fail_msg("%s / %s: set-up failed", t->card, bc->name);
    assert_int_equal(rb_state_take(c.store, &before), 0);
    /* "A | B | C": the commands before the last set the scene; the last one is judged */
    uint16_t sw = 0;
    const char *p = bc->apdu;
    while (p != NULL) {
      const char *bar = strchr(p, '|');
      char hex[16384];
      size_t hl = bar ? (size_t)(bar - p) : strlen(p);
      if (hl >= sizeof hex) fail_msg("%s / %s: APDU text too long", t->card, bc->name);
      memcpy(hex, p, hl);
      hex[hl] = 0;
      long n = cf_hex_decode(hex, apdu, sizeof apdu);
      if (n < 0) fail_msg("%s / %s: bad hex", t->card, bc->name);
      if (bc->secure && bar == NULL) {
        if (t->secure == NULL || t->secure(&c, apdu, (size_t)n, &sw) != 0)
          fail_msg("%s / %s: the secure command could not be sent", t->card, bc->name);
      } else {
        sw = rb_card_send(&c, apdu, (size_t)n, NULL, 0, NULL);
      }
      p = bar ? bar + 1 : NULL;
    }
    uint16_t mask = bc->mask ? bc->mask : 0xFFFF;
    if ((sw & mask) != (bc->sw & mask)) {
      print_error("%s / %s: status word %04X, expected %04X\n", t->card, bc->name, sw, bc->sw);
      failures++;
    }
    assert_int_equal(rb_state_take(c.store, &after), 0);
    if (!rb_state_equal(&before, &after)) {
      uint32_t keys[4];
      size_t nd = rb_state_diff(&before, &after, keys, 4);
      print_error("%s / %s: answered %04X but changed %zu persistent records (first %08X)\n", t->card,
                  bc->name, sw, nd, keys[0]);
      failures++;
    }
    rb_state_free(&before);
    rb_state_free(&after);
    rb_card_close(&c);
    run++;
  }
  if (failures)
    fail_msg("%s: %zu of %zu malformed-input cases failed (listed above)", t->card, failures, run);
  printf("robust: %s malformed-input table: %zu cases, expected status word and unchanged state\n", t->card,
         run);
  return run;
}
