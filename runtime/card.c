/* The card runtime: APDU dispatch, SELECT, GET RESPONSE, command chaining, and the per-command
 * store transaction that makes every command all-or-nothing. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/card.h"
#include "cardforge/sw.h"

#define CF_CARD_MAX_APPLETS 8
#define CF_CHAIN_MAX 4096

struct cf_card {
  cf_store *store;
  uint8_t atr[33];
  size_t atr_len;
  cf_resp_mode mode;
  cf_applet *applets[CF_CARD_MAX_APPLETS];
  size_t applet_count;
  cf_applet *default_applet;
  cf_applet *selected;
  cf_select_gate gate;
  void *gate_ctx;
  /* response data left for GET RESPONSE, and the status word to give once it is all read */
  uint8_t pending[CF_CARD_MAX_RESPONSE];
  size_t pending_len, pending_off;
  uint16_t pending_sw;
  /* ISO 7816-4 command chaining */
  uint8_t chain[CF_CHAIN_MAX];
  size_t chain_len;
  bool chaining;
  uint8_t chain_ins, chain_p1, chain_p2;
  /* the applet's response is built here */
  uint8_t resp[CF_CARD_MAX_RESPONSE];
};

static bool sw_commits(uint16_t sw) {
  uint8_t sw1 = sw >> 8;
  return sw1 == 0x90 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63;
}

cf_card *cf_card_new(cf_store *store, const uint8_t *atr, size_t atr_len, cf_resp_mode mode) {
  if (store == NULL || atr == NULL || atr_len < 2 || atr_len > sizeof(((cf_card *)0)->atr)) return NULL;
  cf_card *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->store = store;
  memcpy(c->atr, atr, atr_len);
  c->atr_len = atr_len;
  c->mode = mode;
  return c;
}

/* An applet's copy of its params: wiped (they may hold keys) and freed. */
static void free_params(cf_applet *a) {
  if (!a->params) return;
  char *p = (char *)a->params;
  explicit_bzero(p, strlen(p));
  free(p);
  a->params = NULL;
}

void cf_card_free(cf_card *card) {
  if (!card) return;
  for (size_t i = 0; i < card->applet_count; i++) {
    cf_applet *a = card->applets[i];
    if (a->ops->destroy) a->ops->destroy(a);
    if (a->ctx) {
      /* transient secrets (session keys) go with the card; explicit_bzero is not optimised away */
      explicit_bzero(a->ctx, a->ops->ctx_size);
      free(a->ctx);
    }
    free_params(a);
    free(a);
  }
  explicit_bzero(card, sizeof(*card)); /* the chaining buffer may hold a PIN */
  free(card);
}

cf_applet *cf_card_add_applet(cf_card *card, const cf_applet_ops *ops, const uint8_t *aid, size_t aid_len,
                              const char *params, bool is_default) {
  if (!card || !ops || !ops->process || !ops->select || card->applet_count >= CF_CARD_MAX_APPLETS ||
      aid_len < 5 || aid_len > 16)
    return NULL;
  cf_applet *a = calloc(1, sizeof(*a));
  if (!a) return NULL;
  a->ops = ops;
  a->card = card;
  a->store = card->store;
  a->ns = (uint16_t)(card->applet_count + 1);
  memcpy(a->aid, aid, aid_len);
  a->aid_len = aid_len;
  a->ctx = calloc(1, ops->ctx_size ? ops->ctx_size : 1);
  a->params = strdup(params ? params : "");
  if (!a->ctx || !a->params) {
    free(a->ctx);
    free_params(a);
    free(a);
    return NULL;
  }
  int rc = -1;
  if (cf_store_begin(card->store) == CF_STORE_OK) {
    rc = ops->install ? ops->install(a, a->params) : 0;
    if (rc == 0)
      rc = cf_store_commit(card->store) == CF_STORE_OK ? 0 : -1;
    else
      cf_store_rollback(card->store);
  }
  if (rc != 0) {
    if (card->gate_ctx == a) cf_card_set_select_gate(card, NULL, NULL); /* the gate went with it */
    if (ops->destroy) ops->destroy(a);
    explicit_bzero(a->ctx, ops->ctx_size ? ops->ctx_size : 1);
    free(a->ctx);
    free_params(a);
    free(a);
    return NULL;
  }
  card->applets[card->applet_count++] = a;
  if (is_default && !card->default_applet) card->default_applet = a;
  return a;
}

static void clear_session(cf_card *card) {
  card->pending_len = card->pending_off = 0;
  card->chaining = false;
  card->chain_len = 0;
  card->selected = NULL;
}

static uint16_t select_applet(cf_card *card, cf_applet *a, const cf_apdu *cmd, cf_rapdu *r);

/* Whether the card manager (if any) lets a be selected. */
static bool may_select(const cf_card *card, const cf_applet *a) {
  return a && (!card->gate || card->gate(card->gate_ctx, a));
}

void cf_card_power_on(cf_card *card) {
  cf_card_power_off(card);
  if (may_select(card, card->default_applet)) {
    uint8_t raw[5 + 16];
    cf_apdu sel;
    raw[0] = 0x00, raw[1] = 0xA4, raw[2] = 0x04, raw[3] = 0x00,
    raw[4] = (uint8_t)card->default_applet->aid_len;
    memcpy(raw + 5, card->default_applet->aid, card->default_applet->aid_len);
    cf_apdu_parse(raw, 5 + card->default_applet->aid_len, &sel);
    cf_rapdu r = {.buf = card->resp, .len = 0, .cap = sizeof(card->resp)};
    select_applet(card, card->default_applet, &sel, &r);
  }
}

void cf_card_power_off(cf_card *card) {
  for (size_t i = 0; i < card->applet_count; i++)
    if (card->applets[i]->ops->reset) card->applets[i]->ops->reset(card->applets[i]);
  clear_session(card);
}

const uint8_t *cf_card_atr(const cf_card *card, size_t *len) {
  *len = card->atr_len;
  return card->atr;
}
cf_store *cf_card_store(const cf_card *card) {
  return card->store;
}
cf_applet *cf_card_selected(const cf_card *card) {
  return card->selected;
}
size_t cf_card_applet_count(const cf_card *card) {
  return card->applet_count;
}
cf_applet *cf_card_applet_at(const cf_card *card, size_t index) {
  return index < card->applet_count ? card->applets[index] : NULL;
}
void cf_card_set_select_gate(cf_card *card, cf_select_gate gate, void *ctx) {
  card->gate = gate;
  card->gate_ctx = ctx;
}

/* Runs fn (select or process) inside a store transaction: commit on success or warning, roll back
 * otherwise, so an error answer never leaves a persistent trace. */
static uint16_t run_in_transaction(cf_card *card, cf_applet *a, const cf_apdu *cmd, cf_rapdu *r,
                                   bool select) {
  if (cf_store_begin(card->store) != CF_STORE_OK) return SW_MEMORY_FAILURE;
  uint16_t sw = select ? a->ops->select(a, cmd, r) : a->ops->process(a, cmd, r);
  if (sw_commits(sw)) {
    if (cf_store_commit(card->store) != CF_STORE_OK) {
      cf_store_rollback(card->store);
      r->len = 0;
      return SW_MEMORY_FAILURE;
    }
  } else {
    cf_store_rollback(card->store);
    if (!r->keep_on_error) r->len = 0;
  }
  return sw;
}

static uint16_t select_applet(cf_card *card, cf_applet *a, const cf_apdu *cmd, cf_rapdu *r) {
  if (card->selected && card->selected != a && card->selected->ops->deselect)
    card->selected->ops->deselect(card->selected);
  if (card->selected != a && a->ops->reset) a->ops->reset(a);
  card->selected = NULL;
  uint16_t sw = run_in_transaction(card, a, cmd, r, true);
  /* As on a Java Card: only an applet that declines selection (select() false, answered 6999) is not
   * selected; an error in its answer to the SELECT APDU (process) leaves it selected. */
  if (sw != SW_APPLET_SELECT_FAILED) card->selected = a;
  return sw;
}

/* The SELECT FILE the runtime itself handles (JCRE 3.0.x, "Applet Selection with SELECT FILE", step 1):
 * interindustry class without secure messaging (channel bits are refused before this), by DF name, P2
 * %b000xxx00 (first or only occurrence, any FCI option). Any other SELECT is a command for the selected
 * application. */
static bool is_applet_select(const cf_apdu *cmd) {
  return cmd->cla == 0x00 && cmd->ins == 0xA4 && cmd->p1 == 0x04 && (cmd->p2 & 0xE3) == 0;
}

static cf_applet *find_applet(cf_card *card, const uint8_t *aid, size_t len) {
  if (len == 0) return may_select(card, card->default_applet) ? card->default_applet : NULL;
  for (size_t i = 0; i < card->applet_count; i++) { /* full match first, then a partial (prefix) one */
    cf_applet *a = card->applets[i];
    if (a->aid_len == len && memcmp(a->aid, aid, len) == 0 && may_select(card, a)) return a;
  }
  for (size_t i = 0; i < card->applet_count; i++) {
    cf_applet *a = card->applets[i];
    if (len >= 5 && len < a->aid_len && memcmp(a->aid, aid, len) == 0 && may_select(card, a)) return a;
  }
  return NULL;
}

/* Writes SW1 SW2 after n data bytes already in out. */
static size_t finish(uint8_t *out, size_t n, uint16_t sw) {
  out[n] = (uint8_t)(sw >> 8);
  out[n + 1] = (uint8_t)sw;
  return n + 2;
}

static uint16_t remaining_sw(size_t rem) {
  return SW_BYTES_REMAINING(rem > 255 ? 0 : rem);
}

/* Hands out up to max bytes of the pending response. */
static size_t deliver_pending(cf_card *card, size_t max, uint8_t *out) {
  size_t rem = card->pending_len - card->pending_off;
  size_t n = rem < max ? rem : max;
  memcpy(out, card->pending + card->pending_off, n);
  card->pending_off += n;
  rem -= n;
  if (rem) return finish(out, n, remaining_sw(rem));
  card->pending_len = card->pending_off = 0;
  return finish(out, n, card->pending_sw);
}

static size_t get_response(cf_card *card, const cf_apdu *cmd, uint8_t *out, size_t max) {
  if (cmd->p1 != 0 || cmd->p2 != 0) return finish(out, 0, SW_INCORRECT_P1P2);
  if (cmd->lc) return finish(out, 0, SW_WRONG_LENGTH);
  size_t rem = card->pending_len - card->pending_off;
  size_t want = cmd->has_le ? cmd->le : max;
  bool le_all = !cmd->has_le || (!cmd->extended && cmd->le == 256) || (cmd->extended && cmd->le == 65536);
  if (!le_all && want > rem) {
    if (card->mode == CF_RESP_T0) return finish(out, 0, SW_WRONG_LE(rem));
    want = rem;
  }
  return deliver_pending(card, want < max ? want : max, out);
}

/* Decides how much of the applet's response goes out now and how much waits for GET RESPONSE. */
static size_t deliver(cf_card *card, const cf_apdu *cmd, const uint8_t *data, size_t len, uint16_t sw,
                      uint8_t *out, size_t max) {
  if (len == 0) return finish(out, 0, sw);
  memcpy(card->pending, data, len); /* len > 0 here */
  card->pending_len = len;
  card->pending_off = 0;
  card->pending_sw = sw;
  if (card->mode == CF_RESP_T0) {
    if (cmd->lc > 0 || !cmd->has_le) return finish(out, 0, remaining_sw(len)); /* case 1/3/4 */
    bool le_all = (!cmd->extended && cmd->le == 256) || (cmd->extended && cmd->le == 65536);
    if (!le_all && cmd->le > len) {
      card->pending_len = 0;
      return finish(out, 0, SW_WRONG_LE(len));
    }
    size_t n = le_all ? len : cmd->le;
    return deliver_pending(card, n < max ? n : max, out);
  }
  size_t n = len;
  if (cmd->has_le && cmd->le < n) n = cmd->le;
  return deliver_pending(card, n < max ? n : max, out);
}

size_t cf_card_transmit(cf_card *card, const uint8_t *raw, size_t raw_len, uint8_t *out, size_t out_cap) {
  if (out_cap < 2) return 0;
  cf_apdu cmd;
  uint16_t sw = cf_apdu_parse(raw, raw_len, &cmd);
  size_t cap = out_cap - 2;
  if (sw != SW_OK) return finish(out, 0, sw);
  size_t max = cmd.extended ? 65536 : 256;
  if (max > cap) max = cap;
  if (cmd.cla == 0xFF) return finish(out, 0, SW_CLA_NOT_SUPPORTED);
  bool iso_class = (cmd.cla & 0xE0) == 0x00 || (cmd.cla & 0xE0) == 0x80 || (cmd.cla & 0xE0) == 0xA0;
  if (iso_class && (cmd.cla & 0x03) != 0) return finish(out, 0, SW_LOGICAL_CHANNEL_NOT_SUPPORTED);

  /* GET RESPONSE serves what a previous command left */
  if (cmd.ins == 0xC0 && (cmd.cla & 0x80) == 0 && card->pending_len > 0)
    return get_response(card, &cmd, out, max);
  card->pending_len = card->pending_off = 0;

  /* command chaining: collect, answer 9000, hand over the whole command at the last part */
  if (iso_class && (cmd.cla & 0x10)) {
    if (card->chaining &&
        (cmd.ins != card->chain_ins || cmd.p1 != card->chain_p1 || cmd.p2 != card->chain_p2)) {
      card->chaining = false;
      return finish(out, 0, SW_LAST_COMMAND_EXPECTED);
    }
    if (!card->chaining) card->chain_len = 0;
    if (cmd.lc > CF_CHAIN_MAX - card->chain_len) {
      card->chaining = false;
      return finish(out, 0, SW_WRONG_LENGTH);
    }
    if (cmd.lc) memcpy(card->chain + card->chain_len, cmd.data, cmd.lc);
    card->chain_len += cmd.lc;
    card->chaining = true;
    card->chain_ins = cmd.ins, card->chain_p1 = cmd.p1, card->chain_p2 = cmd.p2;
    return finish(out, 0, SW_OK);
  }
  if (card->chaining) {
    card->chaining = false;
    if (cmd.ins != card->chain_ins || cmd.p1 != card->chain_p1 || cmd.p2 != card->chain_p2)
      return finish(out, 0, SW_LAST_COMMAND_EXPECTED);
    if (cmd.lc > CF_CHAIN_MAX - card->chain_len) return finish(out, 0, SW_WRONG_LENGTH);
    if (cmd.lc) memcpy(card->chain + card->chain_len, cmd.data, cmd.lc);
    size_t total = card->chain_len + cmd.lc;
    cf_apdu whole = cmd;
    whole.data = total ? card->chain : NULL;
    whole.lc = total;
    whole.extended = whole.extended || total > 255;
    cmd = whole;
  }

  cf_rapdu r = {.buf = card->resp, .len = 0, .cap = sizeof(card->resp)};
  cf_applet *target = is_applet_select(&cmd) ? find_applet(card, cmd.data, cmd.lc) : NULL;
  if (target) {
    sw = select_applet(card, target, &cmd, &r);
  } else if (card->selected) {
    /* a SELECT that matches no applet goes to the active one's process (same section, step 4) */
    sw = run_in_transaction(card, card->selected, &cmd, &r, false);
  } else {
    sw = SW_APPLET_SELECT_FAILED; /* no active applet (step 4; "Other Command Processing") */
  }
  if (r.len > r.cap) r.len = 0; /* cannot happen through cf_rapdu_put; guards a careless applet */
  return deliver(card, &cmd, card->resp, r.len, sw, out, max);
}
