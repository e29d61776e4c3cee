/* The host's bookkeeping: one exchange at a time, the first failure recorded with its step and
 * status word, and the exchanges several flows share (challenges, Inst_MAC, proof by use). */
#include <stdio.h>
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "cmcc_host_internal.h"

void cf_cmcc_host_init(cf_cmcc_host *h) { memset(h, 0, sizeof *h); }

void cf_cmcc_host_clear(cf_cmcc_host *h) {
  h->status = CF_CMCC_OK;
  h->sw = 0;
  h->step[0] = 0;
  h->message[0] = 0;
}

int cf_cmcc_exit_code(const cf_cmcc_host *h) {
  switch (h->status) {
  case CF_CMCC_OK:
    return CF_EXIT_OK;
  case CF_CMCC_E_CARD:
    return CF_EXIT_CARD;
  case CF_CMCC_E_TRANSPORT:
    return CF_EXIT_TRANSPORT;
  case CF_CMCC_E_VERIFY:
    return CF_EXIT_VERIFY;
  case CF_CMCC_E_INPUT:
    return CF_EXIT_USAGE;
  default:
    return CF_EXIT_INTERNAL;
  }
}

void cf_cmcc_print_error(const cf_cmcc_host *h, FILE *f) {
  if (h->status == CF_CMCC_OK) return;
  if (h->step[0])
    fprintf(f, "cardforge: %s: %s\n", h->step, h->message);
  else
    fprintf(f, "cardforge: %s\n", h->message);
}

int cmcc_fail(cf_cmcc_host *h, int status, uint16_t sw, const char *step, const char *fmt, ...) {
  if (h->status != CF_CMCC_OK) return -1; /* the first failure is the cause; later ones follow */
  h->status = status;
  h->sw = sw;
  snprintf(h->step, sizeof h->step, "%s", step ? step : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->message, sizeof h->message, fmt, ap);
  va_end(ap);
  return -1;
}

const char *cmcc_role_name(cf_cmcc_role r) {
  static const char *names[CF_CMCC_ROLES] = {"KMC", "auth card", "working card", "user card", "SAM", "terminal"};
  return (unsigned)r < CF_CMCC_ROLES ? names[r] : "card";
}

int cmcc_cmd(cf_cmcc_host *h, cf_cmcc_role r, const char *step, uint8_t cla, uint8_t ins, uint8_t p1,
             uint8_t p2, const uint8_t *data, size_t lc, size_t le, unsigned flags, uint8_t *resp, size_t cap,
             size_t *rlen) {
  char what[96];
  snprintf(what, sizeof what, "%s %s", cmcc_role_name(r), step);
  if (h->status != CF_CMCC_OK) return -1;
  cf_transport *t = (unsigned)r < CF_CMCC_ROLES ? h->card[r] : NULL;
  if (t == NULL) return cmcc_fail(h, CF_CMCC_E_INPUT, 0, what, "no %s connected", cmcc_role_name(r));
  cf_apdu a = {.cla = cla, .ins = ins, .p1 = p1, .p2 = p2, .data = lc ? data : NULL, .lc = lc, .le = le,
               .has_le = le > 0};
  uint8_t scratch[2];
  size_t got = 0;
  uint16_t sw = 0;
  if (resp == NULL) {
    resp = scratch;
    cap = 0;
  }
  if (cf_transceive(t, &a, flags, resp, cap, &got, &sw) != 0)
    return cmcc_fail(h, CF_CMCC_E_TRANSPORT, 0, what, "%s", t->err[0] ? t->err : "exchange failed");
  if (sw != SW_OK)
    return cmcc_fail(h, CF_CMCC_E_CARD, sw, what, "card answered SW %04X (%s)", sw, cf_sw_meaning(sw));
  if (rlen) *rlen = got;
  return 0;
}

int cmcc_cmd_exact(cf_cmcc_host *h, cf_cmcc_role r, const char *step, uint8_t cla, uint8_t ins, uint8_t p1,
                   uint8_t p2, const uint8_t *data, size_t lc, size_t le, unsigned flags, uint8_t *resp,
                   size_t want) {
  uint8_t buf[CF_CARD_MAX_RESPONSE];
  size_t got = 0;
  if (cmcc_cmd(h, r, step, cla, ins, p1, p2, data, lc, le, flags, buf, sizeof buf, &got) != 0) return -1;
  if (got != want) {
    char what[96];
    snprintf(what, sizeof what, "%s %s", cmcc_role_name(r), step);
    cf_wipe(buf, sizeof buf);
    return cmcc_fail(h, CF_CMCC_E_VERIFY, 0, what, "card answered %zu bytes, expected %zu", got, want);
  }
  if (want) memcpy(resp, buf, want);
  cf_wipe(buf, got);
  return 0;
}

int cmcc_cmd_raw(cf_cmcc_host *h, cf_cmcc_role r, const char *step, const uint8_t *apdu, size_t len,
                 unsigned flags) {
  cf_apdu a;
  if (len < 5 || cf_apdu_parse(apdu, len, &a) != SW_OK)
    return cmcc_fail(h, CF_CMCC_E_INTERNAL, 0, step, "malformed command built");
  return cmcc_cmd(h, r, step, a.cla, a.ins, a.p1, a.p2, a.data, a.lc, a.le, flags, NULL, 0, NULL);
}

int cmcc_master_challenge(cf_cmcc_host *h, cf_cmcc_role r, uint8_t random[4]) {
  return cmcc_cmd_exact(h, r, "Get Challenge", CMCC_CLA_BASIC, CMCC_INS_GET_CHALLENGE, 0, 0, NULL, 0,
                        CMCC_RANDOM_LEN, 0, random, CMCC_RANDOM_LEN);
}

int cmcc_target_challenge(cf_cmcc_host *h, cf_cmcc_role r, uint8_t random[4]) {
  return cmcc_cmd_exact(h, r, "GET CHALLENGE", 0x00, CMCC_TGT_INS_GET_CHALLENGE, 0, 0, NULL, 0, CMCC_RANDOM_LEN,
                        0, random, CMCC_RANDOM_LEN);
}

void cmcc_put(cmcc_buf *b, const void *data, size_t len) {
  if (b->overflow || len > b->cap - b->len) {
    b->overflow = true;
    return;
  }
  if (len) memcpy(b->p + b->len, data, len);
  b->len += len;
}

void cmcc_put_u8(cmcc_buf *b, uint8_t v) { cmcc_put(b, &v, 1); }

int cmcc_kmc_inst_mac(cf_cmcc_host *h, const cmcc_inst_mac_req *req, uint8_t mac[4]) {
  size_t flen = (req->p1 & CMCC_P1_EXPORT_KEY_FACTOR16) ? 16 : 8;
  uint8_t data[255];
  cmcc_buf b = {data, 0, sizeof data, false};
  cmcc_put(&b, req->cipp, 4);
  cmcc_put(&b, req->random, 4);
  cmcc_put_u8(&b, (uint8_t)req->levels);
  cmcc_put(&b, req->factors, req->levels * flen);
  cmcc_put(&b, req->key_vit, 3);
  cmcc_put_u8(&b, (uint8_t)req->len);
  cmcc_put(&b, req->data, req->len);
  if (b.overflow || req->len > 255) return cmcc_fail(h, CF_CMCC_E_INPUT, 0, "KMC Inst_MAC Generate", "data too long");
  return cmcc_cmd_exact(h, CF_CMCC_KMC, "Inst_MAC Generate", CMCC_CLA_PROP, CMCC_INS_INST_MAC_GENERATE, req->p1,
                        0, data, b.len, 0, 0, mac, CMCC_MAC_LEN);
}

int cmcc_prove_by_verify_mac(cf_cmcc_host *h, cf_cmcc_role target, uint8_t p1, uint8_t p2,
                             cmcc_inst_mac_req *req) {
  uint8_t probe[16], mac[CMCC_MAC_LEN];
  if (cf_rand(probe, sizeof probe) != 0)
    return cmcc_fail(h, CF_CMCC_E_INTERNAL, 0, "proof by use", "no random bytes");
  req->cipp[0] = CMCC_TGT_CLA_SECURE;
  req->cipp[1] = CMCC_TGT_INS_VERIFY_MAC;
  req->cipp[2] = p1;
  req->cipp[3] = p2;
  req->data = probe;
  req->len = sizeof probe;
  /* The target's random goes to the KMC: the MAC binds the target's own challenge, so the target
   * accepts it only if its stored key equals the KMC's key diversified the same way. */
  if (cmcc_target_challenge(h, target, req->random) != 0) return -1;
  if (cmcc_kmc_inst_mac(h, req, mac) != 0) return -1;
  uint8_t cmd[4 + 1 + sizeof probe + CMCC_MAC_LEN];
  memcpy(cmd, req->cipp, 4);
  cmd[4] = (uint8_t)(sizeof probe + CMCC_MAC_LEN);
  memcpy(cmd + 5, probe, sizeof probe);
  memcpy(cmd + 5 + sizeof probe, mac, CMCC_MAC_LEN);
  if (cmcc_cmd_raw(h, target, "VERIFY MAC (proof by use)", cmd, sizeof cmd, 0) != 0) {
    if (h->status == CF_CMCC_E_CARD && h->sw == CMCC_SW_BAD_MAC) {
      /* The target refusing the KMC's MAC is a failed proof, not a refused command. */
      h->status = CF_CMCC_E_VERIFY;
      snprintf(h->message, sizeof h->message,
               "the %s refused the KMC's MAC (SW 6988): its key differs from the KMC's", cmcc_role_name(target));
    }
    return -1;
  }
  return 0;
}
