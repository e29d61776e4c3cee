/* GlobalPlatform host client: SELECT, the secure channel handshake (INITIALIZE UPDATE, EXTERNAL
 * AUTHENTICATE) for SCP02 and SCP03, protected exchanges, GET DATA. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/gp_client.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"

static int fail(cf_gp_client *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(cf_gp_client *c, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, sizeof c->err, fmt, ap);
  va_end(ap);
  return rc;
}

void cf_gp_client_init(cf_gp_client *c, cf_transport *t) {
  memset(c, 0, sizeof *c);
  c->t = t;
}

void cf_gp_close(cf_gp_client *c) {
  cf_scp_session_wipe(&c->scp);
  c->open = false;
}

/* One exchange without secure messaging. */
static int exchange(cf_gp_client *c, const cf_apdu *cmd, unsigned flags, uint8_t *resp, size_t cap,
                    size_t *rlen, uint16_t *sw) {
  if (cf_transceive(c->t, cmd, flags, resp, cap, rlen, sw) != 0)
    return fail(c, CF_GP_ERR_TRANSPORT, "%s", c->t->err[0] ? c->t->err : "exchange failed");
  c->last_sw = *sw;
  return CF_GP_OK;
}

/* Learns the SCP02 "i" from card recognition data content (tag 73, or 66 around it). */
static void learn_scp02_i(cf_gp_client *c, const uint8_t *data, size_t len) {
  cf_gp_card_data cd;
  if (cf_gp_parse_card_data(data, len, &cd) != 0) return;
  for (size_t n = 0; n < cd.scp_count; n++)
    if (cd.scp[n] == 0x02) c->scp02_i = cd.scp_i[n];
}

static int select_aid(cf_gp_client *c, const uint8_t *aid, size_t aid_len, uint8_t *fci, size_t cap,
                      size_t *len) {
  cf_apdu cmd = {.cla = 0x00,
                 .ins = 0xA4,
                 .p1 = 0x04,
                 .p2 = 0x00,
                 .data = aid,
                 .lc = aid_len,
                 .le = 256,
                 .has_le = true};
  uint16_t sw;
  int rc = exchange(c, &cmd, 0, fci, cap, len, &sw);
  if (rc != CF_GP_OK) return rc;
  if (sw != SW_OK) return fail(c, CF_GP_ERR_CARD, "SELECT: card answered %04X", sw);
  return CF_GP_OK;
}

static bool is_security_domain_fci(const uint8_t *fci, size_t len) {
  cf_tlv outer, prop, max_len;
  return cf_tlv_find(fci, len, 0x6F, &outer) && cf_tlv_find(outer.value, outer.len, 0xA5, &prop) &&
         cf_tlv_find(prop.value, prop.len, 0x9F65, &max_len);
}

int cf_gp_select(cf_gp_client *c, const uint8_t *aid, size_t aid_len, uint8_t *fci, size_t cap, size_t *len) {
  static const uint8_t gp_isd[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
  static const uint8_t op_isd[8] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
  uint8_t buf[512];
  size_t n = 0;
  int rc;
  cf_gp_close(c);
  if (aid_len > 16) return fail(c, CF_GP_ERR_PARAM, "AID longer than 16 bytes");
  if (aid != NULL) {
    rc = select_aid(c, aid, aid_len, buf, sizeof buf, &n);
  } else {
    rc = select_aid(c, gp_isd, sizeof gp_isd, buf, sizeof buf, &n);
    if (rc == CF_GP_ERR_CARD) rc = select_aid(c, op_isd, sizeof op_isd, buf, sizeof buf, &n);
    if (rc == CF_GP_ERR_CARD) {
      rc = select_aid(c, NULL, 0, buf, sizeof buf, &n);
      /* with no AID any card answers with its default application: only a security domain's FCI
       * (GP 2.3.1 11.9.3.1: 6F { A5 { 9F65 max command length, mandatory } }) makes it the ISD */
      if (rc == CF_GP_OK && !is_security_domain_fci(buf, n))
        return fail(c, CF_GP_ERR_CARD,
                    "no GlobalPlatform security domain: the card's default application "
                    "is not one (its SELECT answer has no security domain FCI)");
    }
  }
  if (rc != CF_GP_OK) return rc;
  c->sd_aid_len = 0;
  c->scp02_i = 0;
  c->card_data_read = false;
  cf_tlv fci_tlv, item;
  if (cf_tlv_find(buf, n, 0x6F, &fci_tlv)) {
    if (cf_tlv_find(fci_tlv.value, fci_tlv.len, 0x84, &item) && item.len <= sizeof c->sd_aid) {
      memcpy(c->sd_aid, item.value, item.len);
      c->sd_aid_len = item.len;
    }
    cf_tlv prop, rec;
    if (cf_tlv_find(fci_tlv.value, fci_tlv.len, 0xA5, &prop) && cf_tlv_find(prop.value, prop.len, 0x73, &rec))
      learn_scp02_i(c, rec.value - (rec.total - rec.len), rec.total);
  }
  if (c->sd_aid_len == 0 && aid != NULL) {
    memcpy(c->sd_aid, aid, aid_len);
    c->sd_aid_len = aid_len;
  }
  if (fci != NULL) {
    if (n > cap) return fail(c, CF_GP_ERR_PARAM, "FCI larger than the buffer");
    memcpy(fci, buf, n);
    if (len != NULL) *len = n;
  }
  return CF_GP_OK;
}

static const char *level_text(uint8_t level) {
  switch (level) {
  case 0x00:
    return "none";
  case 0x01:
    return "C-MAC";
  case 0x03:
    return "C-MAC+C-DEC";
  case 0x10:
    return "R-MAC";
  case 0x11:
    return "C-MAC+R-MAC";
  case 0x13:
    return "C-MAC+C-DEC+R-MAC";
  case 0x33:
    return "C-MAC+C-DEC+R-MAC+R-ENC";
  default:
    return "unknown";
  }
}

/* The card's static keys for this session: the given ones, or derived from them (masters) and the
 * KDD the card just sent. */
static int session_static_keys(cf_gp_client *c, const cf_scp_keys *given, int diversify, cf_scp_keys *out) {
  if (diversify == CF_SCP_DIV_NONE) {
    *out = *given;
    return CF_GP_OK;
  }
  if (cf_scp_diversify_keys(diversify, given, c->kdd, out) != 0)
    return fail(c, CF_GP_ERR_PARAM, "%s diversification needs %s master keys",
                cf_scp_diversify_name(diversify),
                diversify == CF_SCP_DIV_KDF3 ? "16, 24 or 32-byte AES" : "16-byte (two-key 3DES)");
  return CF_GP_OK;
}

static int open_with(cf_gp_client *c, const cf_scp_keys *keys, const cf_gp_open_opts *o, int scp,
                     const uint8_t *host, uint8_t *resp, size_t n);

int cf_gp_open(cf_gp_client *c, const cf_scp_keys *master_or_keys, const cf_gp_open_opts *o) {
  uint8_t host[16], resp[64];
  cf_scp_keys derived;
  const cf_scp_keys *keys = &derived;
  size_t n = 0, s_len = o->s16 ? 16 : 8;
  uint16_t sw;
  int rc;
  cf_gp_close(c);
  if (o->host_challenge)
    memcpy(host, o->host_challenge, s_len);
  else if (cf_rand(host, s_len) != 0)
    return fail(c, CF_GP_ERR_PARAM, "no randomness for the host challenge");

  cf_apdu iu = {.cla = 0x80,
                .ins = 0x50,
                .p1 = o->kvn,
                .p2 = 0x00,
                .data = host,
                .lc = s_len,
                .le = 256,
                .has_le = true};
  if ((rc = exchange(c, &iu, 0, resp, sizeof resp, &n, &sw)) != CF_GP_OK) return rc;
  if (sw != SW_OK) return fail(c, CF_GP_ERR_CARD, "INITIALIZE UPDATE: card answered %04X", sw);
  int scp;
  if (n == 28 && resp[11] == 0x02 && !o->s16)
    scp = 2;
  else if ((n == 13 + 2 * s_len || n == 16 + 2 * s_len) && resp[11] == 0x03)
    scp = 3;
  else if (n >= 12)
    return fail(c, CF_GP_ERR_DATA, "INITIALIZE UPDATE: unsupported protocol %02X (%zu bytes)", resp[11], n);
  else
    return fail(c, CF_GP_ERR_DATA, "INITIALIZE UPDATE: %zu-byte answer", n);
  if (o->scp != 0 && o->scp != scp)
    return fail(c, CF_GP_ERR_PARAM, "the card answered SCP0%d, SCP0%d was asked for", scp, o->scp);
  memcpy(c->kdd, resp, sizeof c->kdd);
  c->have_kdd = true;
  if ((rc = session_static_keys(c, master_or_keys, o->diversify, &derived)) != CF_GP_OK) return rc;
  rc = open_with(c, keys, o, scp, host, resp, n);
  cf_wipe(&derived, sizeof derived);
  return rc;
}

/* The handshake after INITIALIZE UPDATE answered resp (n bytes): cryptograms, EXTERNAL
 * AUTHENTICATE. */
static int open_with(cf_gp_client *c, const cf_scp_keys *keys, const cf_gp_open_opts *o, int scp,
                     const uint8_t *host, uint8_t *resp, size_t n) {
  uint8_t card_cg[16], host_cg[16];
  size_t s_len = o->s16 ? 16 : 8;
  uint16_t sw;
  int rc;

  if (scp == 2) {
    if (keys->klen != 16) return fail(c, CF_GP_ERR_PARAM, "SCP02 needs 16-byte (two-key 3DES) keys");
    if (o->level & CF_SCP_R_ENC) return fail(c, CF_GP_ERR_PARAM, "SCP02 has no response encryption");
    uint16_t counter = cf_be16(resp + 12);
    uint8_t i = c->scp02_i ? c->scp02_i : 0x55;
    if (cf_scp02_session_init(&c->scp, keys, counter, i) != 0 ||
        (o->session_keys &&
         o->session_keys(o->session_ctx, &c->scp, counter, host, resp + 14, c->kdd) != 0) ||
        cf_scp02_cryptograms(&c->scp, host, counter, resp + 14, card_cg, host_cg) != 0)
      return fail(c, CF_GP_ERR_PARAM, "SCP02 session keys failed");
    if (!cf_ct_equal(card_cg, resp + 20, 8)) {
      cf_gp_close(c);
      return fail(c, CF_GP_ERR_VERIFY, "card cryptogram does not verify: wrong keys for KVN %02X", resp[10]);
    }
  } else {
    uint8_t i = resp[12];
    if (cf_scp03_s_len(i) != s_len)
      return fail(c, CF_GP_ERR_DATA, "the card (SCP03 i=%02X) is in %s mode", i, o->s16 ? "S8" : "S16");
    if (keys->klen != 16 && keys->klen != 24 && keys->klen != 32)
      return fail(c, CF_GP_ERR_PARAM, "SCP03 needs 16, 24 or 32-byte AES keys");
    if ((o->level & CF_SCP_R_MAC) && !(i & CF_SCP03_I_RMAC))
      return fail(c, CF_GP_ERR_PARAM, "the card (SCP03 i=%02X) offers no R-MAC", i);
    if ((o->level & CF_SCP_R_ENC) && !(i & CF_SCP03_I_RENC))
      return fail(c, CF_GP_ERR_PARAM, "the card (SCP03 i=%02X) offers no R-ENC", i);
    if (cf_scp03_session_init(&c->scp, keys, host, resp + 13, i) != 0 ||
        (o->session_keys && o->session_keys(o->session_ctx, &c->scp, 0, host, resp + 13, c->kdd) != 0) ||
        cf_scp03_cryptograms(&c->scp, host, resp + 13, card_cg, host_cg) != 0)
      return fail(c, CF_GP_ERR_PARAM, "SCP03 session keys failed");
    if (!cf_ct_equal(card_cg, resp + 13 + s_len, s_len)) {
      cf_gp_close(c);
      return fail(c, CF_GP_ERR_VERIFY, "card cryptogram does not verify: wrong keys for KVN %02X", resp[10]);
    }
  }

  uint8_t ea_data[16], buf[64];
  memcpy(ea_data, host_cg, s_len);
  cf_apdu ea = {.cla = 0x80, .ins = 0x82, .p1 = o->level, .p2 = 0x00, .data = ea_data, .lc = s_len}, wrapped;
  c->scp.level = CF_SCP_C_MAC;
  if (cf_scp_wrap_command(&c->scp, &ea, buf, sizeof buf, &wrapped) != 0) {
    cf_gp_close(c);
    return fail(c, CF_GP_ERR_PARAM, "EXTERNAL AUTHENTICATE could not be built");
  }
  rc = exchange(c, &wrapped, 0, resp, sizeof resp, &n, &sw);
  if (rc != CF_GP_OK || sw != SW_OK) {
    cf_gp_close(c);
    if (rc != CF_GP_OK) return rc;
    return fail(c, CF_GP_ERR_CARD, "EXTERNAL AUTHENTICATE (%s): card answered %04X", level_text(o->level),
                sw);
  }
  c->scp.level = o->level;
  c->kvn = resp[10];
  c->open = true;
  return CF_GP_OK;
}

int cf_gp_transmit(cf_gp_client *c, const cf_apdu *plain, unsigned flags, uint8_t *resp, size_t cap,
                   size_t *rlen, uint16_t *sw) {
  uint8_t buf[300];
  cf_apdu wrapped = *plain;
  if (c->open && cf_scp_wrap_command(&c->scp, plain, buf, sizeof buf, &wrapped) != 0)
    return fail(c, CF_GP_ERR_PARAM, "command too long for the secure channel");
  size_t n = 0;
  int rc = exchange(c, &wrapped, flags, resp, cap, &n, sw);
  if (rc != CF_GP_OK) return rc;
  if (c->open) {
    int urc = cf_scp_unwrap_response(&c->scp, plain, resp, n, *sw, resp, cap, &n);
    if (urc < 0) {
      cf_gp_close(c);
      return fail(c, CF_GP_ERR_VERIFY, "the response's R-MAC does not verify");
    }
    /* GP closes the session after a security failure; so do we. An SCP02 error without its R-MAC
     * means the card no longer answers inside the session. */
    if (*sw == SW_SECURITY_STATUS_NOT_SATISFIED || urc == CF_SCP_UNPROTECTED_ERROR) cf_gp_close(c);
  }
  *rlen = n;
  return CF_GP_OK;
}

int cf_gp_get_data(cf_gp_client *c, uint16_t tag, uint8_t *out, size_t cap, size_t *len) {
  cf_apdu cmd = {
      .cla = 0x80, .ins = 0xCA, .p1 = (uint8_t)(tag >> 8), .p2 = (uint8_t)tag, .le = 256, .has_le = true};
  uint16_t sw;
  int rc = cf_gp_transmit(c, &cmd, 0, out, cap, len, &sw);
  if (rc != CF_GP_OK) return rc;
  if (sw != SW_OK) return fail(c, CF_GP_ERR_CARD, "GET DATA %04X: card answered %04X", tag, sw);
  return CF_GP_OK;
}
