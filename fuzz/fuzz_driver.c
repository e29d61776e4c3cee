/* The fuzz engine shared by every harness (see fuzz_driver.h). */
#include "fuzz_driver.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/sw.h"

void fz_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("cardforge fuzz finding: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

bool fz_next_record(const uint8_t **p, size_t *left, fz_record *r) {
  if (*left < 2) return false;
  const uint8_t *q = *p;
  uint8_t head = q[0];
  size_t hlen = (head & 0x04) ? 3 : 2;
  if (*left < hlen) return false;
  size_t len = (head & 0x04) ? (size_t)cf_be16(q + 1) : q[1];
  size_t avail = *left - hlen;
  if (len > avail) len = avail;
  r->kind = head & 0x03;
  r->arg = head >> 3;
  r->body = q + hlen;
  r->len = len;
  *p = q + hlen + len;
  *left = avail - len;
  return true;
}

bool fz_put_record(uint8_t kind, uint8_t arg, const uint8_t *body, size_t len, uint8_t *out, size_t cap,
                   size_t *n) {
  bool wide = len > 255;
  size_t need = (wide ? 3 : 2) + len;
  if (len > 0xFFFF || cap - *n < need) return false;
  uint8_t *o = out + *n;
  o[0] = (uint8_t)((arg << 3) | (wide ? 0x04 : 0) | (kind & 0x03));
  if (wide) {
    cf_put_be16(o + 1, (uint16_t)len);
  } else {
    o[1] = (uint8_t)len;
  }
  if (len) memcpy(o + (wide ? 3 : 2), body, len);
  *n += need;
  return true;
}

static bool sw_commits(uint8_t sw1) {
  return sw1 == 0x90 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63;
}

size_t fz_transmit(fz_session *s, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap) {
  size_t n = cf_card_transmit(s->card, cmd, len, resp, cap);
  if (n < 2 || n > cap) fz_fail("%s: answer of %zu bytes (buffer %zu)", s->h->name, n, cap);
  uint8_t sw1 = resp[n - 2];
  uint16_t sw = cf_be16(resp + n - 2);
  if ((sw1 & 0xF0) != 0x60 && (sw1 & 0xF0) != 0x90)
    fz_fail("%s: status word %04X is not ISO 7816 (6XXX/9XXX)", s->h->name, sw);
  if (!sw_commits(sw1) && n > 2)
    fz_fail("%s: error status %04X carries %zu data bytes", s->h->name, sw, n - 2);
  cf_apdu a;
  bool parsed = cf_apdu_parse(cmd, len, &a) == SW_OK;
  if (parsed && !a.extended && n - 2 > 256)
    fz_fail("%s: short command %02X %02X answered %zu data bytes", s->h->name, a.cla, a.ins, n - 2);
  bool cut = cf_store_is_cut(s->store);
  if (cut && sw != SW_MEMORY_FAILURE)
    fz_fail("%s: power cut during INS %02X answered %04X, not 6581", s->h->name, len > 1 ? cmd[1] : 0, sw);
  bool chosen = parsed && s->h->chosen_status && s->h->chosen_status(&a);
  if (!cut && sw == SW_MEMORY_FAILURE && !chosen)
    fz_fail("%s: INS %02X answered 6581 (memory failure) without a power cut", s->h->name,
            len > 1 ? cmd[1] : 0);
  return n;
}

/* The session's transport: host clients talk to the card through the same checks. */
static int fz_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                       size_t *rlen) {
  fz_session *s = t->impl;
  if (cap < 2) return -1;
  *rlen = fz_transmit(s, cmd, len, resp, cap);
  return 0;
}

static int fz_reset(cf_transport *t) {
  fz_session *s = t->impl;
  cf_card_power_on(s->card);
  return 0;
}

static void fz_close(cf_transport *t) {
  (void)t;
}

static const cf_transport_ops fz_transport_ops = {
    .exchange = fz_exchange,
    .reset = fz_reset,
    .close = fz_close,
};

static void fz_card_up(fz_session *s, const char *why) {
  const cf_card_profile *p = s->h->profile(s->state);
  s->card = p->create(s->store, s->h->params(s->state));
  if (s->card == NULL) fz_fail("%s: card '%s' cannot be built %s", s->h->name, p->name, why);
  cf_card_power_on(s->card);
  s->h->resume(s);
}

/* After a cut: throw away the card (its RAM) and the store's unwritten state, rebuild both. */
static void fz_restart(fz_session *s) {
  cf_card_free(s->card);
  s->card = NULL;
  if (cf_store_power_restore(s->store) != CF_STORE_OK) fz_fail("%s: store cannot restart", s->h->name);
  fz_card_up(s, "on the state a power cut left");
}

void fz_run(const fz_harness *h, const uint8_t *data, size_t size) {
  static uint8_t resp[CF_CARD_MAX_RESPONSE + 2];
  if (size < 1) return;
  fz_session s;
  memset(&s, 0, sizeof s);
  s.h = h;
  s.state = data[0] % h->nstates;
  s.t.ops = &fz_transport_ops;
  s.t.impl = &s;
  snprintf(s.t.name, sizeof s.t.name, "fuzz");
  if (rb_state_to_memory(h->snapshot(s.state), &s.store) != CF_STORE_OK)
    fz_fail("%s: cannot rebuild the start state", h->name);
  fz_card_up(&s, "from its start state");

  const uint8_t *p = data + 1;
  size_t left = size - 1;
  fz_record r;
  for (int i = 0; i < FZ_MAX_RECORDS && fz_next_record(&p, &left, &r); i++) {
    switch (r.kind) {
    case FZ_RAW:
      fz_transmit(&s, r.body, r.len, resp, sizeof resp);
      break;
    case FZ_SECURE:
      if (h->secure)
        h->secure(&s, r.body, r.len);
      else
        fz_transmit(&s, r.body, r.len, resp, sizeof resp);
      break;
    case FZ_RESET:
      cf_card_power_on(s.card);
      h->resume(&s);
      break;
    case FZ_CUT:
      cf_store_fault_at(s.store, (r.arg % 8) + 1);
      fz_transmit(&s, r.body, r.len, resp, sizeof resp);
      if (cf_store_is_cut(s.store))
        fz_restart(&s);
      else
        cf_store_fault_at(s.store, 0);
      break;
    }
  }
  cf_card_free(s.card);
  cf_store_close(s.store);
}

int fz_prepare_state(const cf_card_profile *p, const char *params, int (*prepare)(cf_transport *t, void *arg),
                     void *arg, rb_state *out) {
  cf_store *store = NULL;
  if (p == NULL || cf_store_open_memory(&store) != CF_STORE_OK) return -1;
  cf_card *card = p->create(store, params);
  cf_transport *t = card ? cf_transport_open_card(card) : NULL;
  int rc = -1;
  if (t != NULL) {
    cf_card_power_on(card);
    rc = prepare ? prepare(t, arg) : 0;
    if (rc == 0) rc = rb_state_take(store, out);
    cf_transport_close(t);
  }
  cf_card_free(card);
  cf_store_close(store);
  return rc;
}
