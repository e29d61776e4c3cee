/* The host's bookkeeping: one exchange at a time, the first failure recorded with its step and
 * status word, and the exchanges several flows share (challenges, Inst_MAC, proof by use). */
#include <stdio.h>
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "cmcc_host_internal.h"

void cf_cmcc_host_init(cf_cmcc_host *h) {
  memset(h, 0, sizeof *h);
}

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
  case CF_CMCC_E_SHARED:
    return CF_EXIT_SHARED;
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

int cmcch_fail(cf_cmcc_host *h, int status, uint16_t sw, const char *step, const char *fmt, ...) {
  if (h->status != CF_CMCC_OK) return h->status; /* the first failure is the cause; later ones follow */
  h->status = status;
  h->sw = sw;
  snprintf(h->step, sizeof h->step, "%s", step ? step : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->message, sizeof h->message, fmt, ap);
  va_end(ap);
  return status;
}

/* the library's names for the PIN references are the card's */
_Static_assert(CF_CMCC_PIN_MAIN == CMCC_PIN_MAIN && CF_CMCC_PIN_APP == CMCC_PIN_APP &&
                   CF_CMCC_PIN_EXPORT == CMCC_PIN_EXPORT,
               "cmcc_host.h PIN references");

int cmcch_status(const cf_cmcc_host *h) {
  return h->status < 0 ? h->status : CF_CMCC_E_INTERNAL;
}

/* The meaning of a status word in the China Mobile spec's terms (its tables), else ISO 7816's. */
static const char *sw_meaning(uint16_t sw, char *buf, size_t cap) {
  static const struct {
    uint16_t sw;
    const char *text;
  } table[] = {
      {0x6300, "authentication failed, no try left"},
      {0x6473, "wrong number of diversification levels"},
      {0x6474, "export key not found"},
      {0x6475, "record not found (key file full)"},
      {0x6476, "key not found, or key type not allowed"},
      {0x6478, "decryption key not found"},
      {0x6479, "key to export not found"},
      {0x6480, "file not found"},
      {0x6484, "the key's status or use counter forbids its use"},
      {0x6485, "the key's usage attribute forbids this computation"},
      {0x6982, "security status not satisfied (PIN or external authentication missing)"},
      {0x6983, "authentication method or file blocked"},
      {0x6984, "random invalid (voided by another command)"},
      {0x6985, "conditions of use not satisfied (no random fetched, or PIN blocked)"},
      {0x6988, "MAC incorrect"},
      {0x6A89, "already exists"},
      {0x9303, "application permanently locked"},
      {0x9408, "file type mismatch (key type or algorithm not allowed)"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].sw == sw) return table[i].text;
  if ((sw & 0xFFF0) == 0x6300) {
    snprintf(buf, cap, "authentication failed, %u tries left", sw & 0x0F);
    return buf;
  }
  if ((sw & 0xFFF0) == 0x63C0) {
    snprintf(buf, cap, "verification failed, %u tries left", sw & 0x0F);
    return buf;
  }
  if ((sw & 0xFF00) == 0x6C00) {
    snprintf(buf, cap, "wrong length, should be %02X", sw & 0xFF);
    return buf;
  }
  return cf_sw_meaning(sw);
}

const char *cmcch_sw_text(uint16_t sw, char *buf, size_t cap) {
  return sw_meaning(sw, buf, cap);
}

const char *cmcch_role_name(cf_cmcc_role r) {
  static const char *names[CF_CMCC_ROLES] = {"KMC",       "auth card", "working card",
                                             "user card", "SAM",       "terminal"};
  return (unsigned)r < CF_CMCC_ROLES ? names[r] : "card";
}

/* KMC commands whose only 6982 is "no enterprise rights" (PIN 02 + External Authentication P2 02):
 * after this session opened those rights, a 6982 from one of them means the rights are gone. */
static bool needs_only_enterprise_rights(uint8_t ins, uint8_t p2) {
  switch (ins) {
  case CMCC_INS_INIT_FOR_GENERATE:
  case CMCC_INS_GENERATE_KEY:
  case CMCC_INS_EXPORT_KEYS_DATA:
  case CMCC_INS_INST_MAC_GENERATE:
    return true;
  case CMCC_INS_COPY_EXPORT_KEY:
    return p2 != CMCC_COPY_P2_PLATFORM; /* the platform copy also needs the export PIN */
  default:
    return false;
  }
}

int cmcch_cmd(cf_cmcc_host *h, cf_cmcc_role r, const char *step, uint8_t cla, uint8_t ins, uint8_t p1,
              uint8_t p2, const uint8_t *data, size_t lc, size_t le, unsigned flags, uint8_t *resp,
              size_t cap, size_t *rlen) {
  char what[96];
  snprintf(what, sizeof what, "%s %s", cmcch_role_name(r), step);
  if (h->status != CF_CMCC_OK) return cmcch_status(h);
  cf_transport *t = (unsigned)r < CF_CMCC_ROLES ? h->card[r] : NULL;
  if (t == NULL) return cmcch_fail(h, CF_CMCC_E_INPUT, 0, what, "no %s connected", cmcch_role_name(r));
  cf_apdu a = {.cla = cla,
               .ins = ins,
               .p1 = p1,
               .p2 = p2,
               .data = lc ? data : NULL,
               .lc = lc,
               .le = le,
               .has_le = le > 0};
  uint8_t scratch[258]; /* a command expecting no data still gets whatever the card answers */
  size_t got = 0;
  uint16_t sw = 0;
  if (resp == NULL) {
    resp = scratch;
    cap = sizeof scratch;
  }
  if (cf_transceive(t, &a, flags, resp, cap, &got, &sw) != 0)
    return cmcch_fail(h, t->fault == CF_TRANSPORT_FAULT_SHARED ? CF_CMCC_E_SHARED : CF_CMCC_E_TRANSPORT, 0,
                      what, "%s", t->err[0] ? t->err : "exchange failed");
  if (sw != SW_OK) {
    char buf[64];
    if (r == CF_CMCC_KMC && cla == CMCC_CLA_PROP && needs_only_enterprise_rights(ins, p2) &&
        cf_transport_state_lost(t, sw))
      return cmcch_fail(h, CF_CMCC_E_SHARED, sw, what, "%s", t->err);
    bool pcsc = strcmp(t->name, "in-process") != 0; /* emulated user cards of a batch have no reader */
    return cmcch_fail(h, CF_CMCC_E_CARD, sw, what, "card answered SW %04X (%s)%s%s%s", sw,
                      sw_meaning(sw, buf, sizeof buf), pcsc ? " [reader " : "", pcsc ? t->name : "",
                      pcsc ? "]" : "");
  }
  if (rlen) *rlen = got;
  return 0;
}

int cmcch_cmd_exact(cf_cmcc_host *h, cf_cmcc_role r, const char *step, uint8_t cla, uint8_t ins, uint8_t p1,
                    uint8_t p2, const uint8_t *data, size_t lc, size_t le, unsigned flags, uint8_t *resp,
                    size_t want) {
  uint8_t buf[CF_CARD_MAX_RESPONSE];
  size_t got = 0;
  if (cmcch_cmd(h, r, step, cla, ins, p1, p2, data, lc, le, flags, buf, sizeof buf, &got) != 0)
    return cmcch_status(h);
  if (got != want) {
    char what[96];
    snprintf(what, sizeof what, "%s %s", cmcch_role_name(r), step);
    cf_wipe(buf, sizeof buf);
    return cmcch_fail(h, CF_CMCC_E_VERIFY, 0, what, "card answered %zu bytes, expected %zu", got, want);
  }
  if (want) memcpy(resp, buf, want);
  cf_wipe(buf, got);
  return 0;
}

int cmcch_cmd_raw(cf_cmcc_host *h, cf_cmcc_role r, const char *step, const uint8_t *apdu, size_t len,
                  unsigned flags) {
  cf_apdu a;
  if (len < 5 || cf_apdu_parse(apdu, len, &a) != SW_OK)
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, step, "malformed command built");
  return cmcch_cmd(h, r, step, a.cla, a.ins, a.p1, a.p2, a.data, a.lc, a.le, flags, NULL, 0, NULL);
}

int cmcch_master_challenge(cf_cmcc_host *h, cf_cmcc_role r, uint8_t random[4]) {
  return cmcch_cmd_exact(h, r, "Get Challenge", CMCC_CLA_BASIC, CMCC_INS_GET_CHALLENGE, 0, 0, NULL, 0,
                         CMCC_RANDOM_LEN, 0, random, CMCC_RANDOM_LEN);
}

int cmcch_target_challenge(cf_cmcc_host *h, cf_cmcc_role r, uint8_t random[4]) {
  return cmcch_cmd_exact(h, r, "GET CHALLENGE", 0x00, CMCC_TGT_INS_GET_CHALLENGE, 0, 0, NULL, 0,
                         CMCC_RANDOM_LEN, 0, random, CMCC_RANDOM_LEN);
}

void cmcch_put(cmcch_buf *b, const void *data, size_t len) {
  if (b->overflow || len > b->cap - b->len) {
    b->overflow = true;
    return;
  }
  if (len) memcpy(b->p + b->len, data, len);
  b->len += len;
}

void cmcch_put_u8(cmcch_buf *b, uint8_t v) {
  cmcch_put(b, &v, 1);
}

bool cmcch_key_listed(const uint8_t *pairs, size_t n, uint8_t id, uint8_t version) {
  for (size_t i = 0; i < n; i++)
    if (pairs[2 * i] == id && pairs[2 * i + 1] == version) return true;
  return false;
}

int cmcch_kmc_inst_mac(cf_cmcc_host *h, const cmcch_inst_mac_req *req, uint8_t mac[4]) {
  size_t flen = (req->p1 & CMCC_P1_EXPORT_KEY_FACTOR16) ? 16 : 8;
  uint8_t data[255];
  cmcch_buf b = {data, 0, sizeof data, false};
  cmcch_put(&b, req->cipp, 4);
  cmcch_put(&b, req->random, 4);
  cmcch_put_u8(&b, (uint8_t)req->levels);
  cmcch_put(&b, req->factors, req->levels * flen);
  cmcch_put(&b, req->key_vit, 3);
  cmcch_put_u8(&b, (uint8_t)req->len);
  cmcch_put(&b, req->data, req->len);
  if (b.overflow || req->len > 255)
    return cmcch_fail(h, CF_CMCC_E_INPUT, 0, "KMC Inst_MAC Generate", "data too long");
  return cmcch_cmd_exact(h, CF_CMCC_KMC, "Inst_MAC Generate", CMCC_CLA_PROP, CMCC_INS_INST_MAC_GENERATE,
                         req->p1, 0, data, b.len, 0, 0, mac, CMCC_MAC_LEN);
}

int cmcch_prove_by_verify_mac(cf_cmcc_host *h, cf_cmcc_role target, uint8_t p1, uint8_t p2,
                              cmcch_inst_mac_req *req) {
  uint8_t probe[16], mac[CMCC_MAC_LEN];
  if (cf_rand(probe, sizeof probe) != 0)
    return cmcch_fail(h, CF_CMCC_E_INTERNAL, 0, "proof by use", "no random bytes");
  req->cipp[0] = CMCC_TGT_CLA_SECURE;
  req->cipp[1] = CMCC_TGT_INS_VERIFY_MAC;
  req->cipp[2] = p1;
  req->cipp[3] = p2;
  req->data = probe;
  req->len = sizeof probe;
  /* The target's random goes to the KMC: the MAC binds the target's own challenge, so the target
   * accepts it only if its stored key equals the KMC's key diversified the same way. */
  if (cmcch_target_challenge(h, target, req->random) != 0) return cmcch_status(h);
  if (cmcch_kmc_inst_mac(h, req, mac) != 0) return cmcch_status(h);
  uint8_t cmd[4 + 1 + sizeof probe + CMCC_MAC_LEN];
  memcpy(cmd, req->cipp, 4);
  cmd[4] = (uint8_t)(sizeof probe + CMCC_MAC_LEN);
  memcpy(cmd + 5, probe, sizeof probe);
  memcpy(cmd + 5 + sizeof probe, mac, CMCC_MAC_LEN);
  if (cmcch_cmd_raw(h, target, "VERIFY MAC (proof by use)", cmd, sizeof cmd, 0) != 0) {
    if (h->status == CF_CMCC_E_CARD && h->sw == CMCC_SW_BAD_MAC) {
      /* The target refusing the KMC's MAC is a failed proof, not a refused command. */
      h->status = CF_CMCC_E_VERIFY;
      snprintf(h->message, sizeof h->message,
               "the %s refused the KMC's MAC (SW 6988): its key differs from the KMC's",
               cmcch_role_name(target));
    }
    return cmcch_status(h);
  }
  return 0;
}
