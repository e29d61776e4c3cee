/* NDEF on a Keycard: read as an NFC phone reads it (NFC Forum Type 4 Tag, mapping version 2.0,
 * from the package's NDEF application), written through the wallet in the form each applet
 * version takes (status-keycard: 2.2.1 SET NDEF; 3.0 and 3.1 one STORE DATA P1 01; 3.2 STORE DATA
 * P1 01 in chunks at P2 = offset / 4 into its 512-byte memory). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "keycard_internal.h"

#define INS_SELECT 0xA4
#define INS_READ_BINARY 0xB0
#define INS_SET_NDEF 0xF3 /* 2.2.1 */
#define CC_FILE_ID 0xE103
#define CC_MIN_LEN 15
#define NDEF_FILE_CONTROL_TLV 0x04
#define VERSION_3_0 0x0300
#define NDEF_MAX_ONE_APDU 223 /* 2.2.1 .. 3.1: the whole file in one secure APDU */

/* NFC Forum NDEF Tag Application, Type 4 Tag mapping 2.0 */
const uint8_t keycard_client_ndef_aid[7] = {0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01};

size_t keycard_client_ndef_max(uint16_t version) {
  return (version >= KEYCARD_CLIENT_VERSION_3_2 ? KEYCARD_CLIENT_NDEF_FILE_MAX_3_2 : NDEF_MAX_ONE_APDU) - 2;
}

/* A plain command with an Le, as a phone sends it; ECARD unless 9000. */
static int t4t_command(keycard_client *kc, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
                       const uint8_t *data, size_t lc, size_t le, uint8_t *resp, size_t cap, size_t *rlen) {
  cf_apdu cmd = {.cla = 0x00,
                 .ins = ins,
                 .p1 = p1,
                 .p2 = p2,
                 .data = lc ? data : NULL,
                 .lc = lc,
                 .le = le,
                 .has_le = le > 0};
  uint8_t scratch[CF_APDU_MAX_RESP];
  size_t n = 0;
  uint16_t sw = 0;
  if (!resp) {
    resp = scratch;
    cap = sizeof scratch;
  }
  if (cf_transceive(kc->t, &cmd, 0, resp, cap, &n, &sw) != 0)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ETRANSPORT, "%s",
                               kc->t->err[0] ? kc->t->err : "transport failure");
  kc->sw = sw;
  if (sw != SW_OK)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "%s: card answered SW %04X", what, sw);
  if (rlen) *rlen = n;
  return KEYCARD_CLIENT_OK;
}

static int select_file(keycard_client *kc, const char *what, uint16_t fid) {
  uint8_t id[2];
  cf_put_be16(id, fid);
  return t4t_command(kc, what, INS_SELECT, 0x00, 0x0C, id, 2, 0, NULL, 0, NULL);
}

/* READ BINARY of exactly len bytes at off, at most mle per command. */
static int read_binary(keycard_client *kc, const char *what, size_t off, size_t len, size_t mle,
                       uint8_t *out) {
  while (len > 0) {
    size_t ask = len < mle ? len : mle, got = 0;
    if (off > 0x7FFF)
      return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "%s: offset %zu out of range", what, off);
    uint8_t resp[CF_APDU_MAX_RESP];
    int rc = t4t_command(kc, what, INS_READ_BINARY, (uint8_t)(off >> 8), (uint8_t)off, NULL, 0, ask, resp,
                         sizeof resp, &got);
    if (rc != KEYCARD_CLIENT_OK) return rc;
    if (got == 0 || got > ask)
      return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "%s: %zu bytes for a read of %zu", what, got,
                                 ask);
    memcpy(out, resp, got);
    out += got;
    off += got;
    len -= got;
  }
  return KEYCARD_CLIENT_OK;
}

int keycard_client_ndef_read(keycard_client *kc, uint8_t *msg, size_t cap, size_t *len) {
  keycard_client_sc_close(&kc->sc);
  kc->selected = false; /* the wallet is deselected */
  *len = 0;
  int rc = t4t_command(kc, "SELECT of the NDEF Tag Application", INS_SELECT, 0x04, 0x00,
                       keycard_client_ndef_aid, sizeof keycard_client_ndef_aid, 256, NULL, 0, NULL);
  if (rc == KEYCARD_CLIENT_OK) rc = select_file(kc, "SELECT of the capability container", CC_FILE_ID);
  uint8_t cc[CC_MIN_LEN];
  if (rc == KEYCARD_CLIENT_OK)
    rc = read_binary(kc, "READ BINARY of the capability container", 0, sizeof cc, sizeof cc, cc);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  /* CCLEN, mapping version (major 2), MLe, MLc, then the NDEF File Control TLV (T4T 5.1) */
  size_t mle = cf_be16(cc + 3);
  if (cf_be16(cc) < CC_MIN_LEN || (cc[2] >> 4) != 2 || mle < 1 || cc[7] != NDEF_FILE_CONTROL_TLV ||
      cc[8] != 6)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO,
                               "the capability container is not a Type 4 Tag 2.0 one");
  uint16_t fid = cf_be16(cc + 9);
  size_t max_file = cf_be16(cc + 11);
  if (cc[13] != 0x00)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ECARD, "the NDEF file may not be read (access %02X)",
                               cc[13]);
  if (mle > 255) mle = 255; /* short APDUs */
  uint8_t nlen_bytes[2];
  rc = select_file(kc, "SELECT of the NDEF file", fid);
  if (rc == KEYCARD_CLIENT_OK) rc = read_binary(kc, "READ BINARY of NLEN", 0, 2, mle, nlen_bytes);
  if (rc != KEYCARD_CLIENT_OK) return rc;
  size_t nlen = cf_be16(nlen_bytes);
  if (nlen + 2 > max_file)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EPROTO, "NLEN %zu is beyond the file's %zu bytes", nlen,
                               max_file);
  if (nlen > cap)
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG, "the %zu-byte message does not fit", nlen);
  rc = read_binary(kc, "READ BINARY of the NDEF message", 2, nlen, mle, msg);
  if (rc == KEYCARD_CLIENT_OK) *len = nlen;
  return rc;
}

int keycard_client_ndef_write(keycard_client *kc, const uint8_t *msg, size_t len) {
  if (!kc->selected || !kc->info.initialized)
    return keycard_client_fail(kc, KEYCARD_CLIENT_ESTATE, "select an initialized wallet first");
  uint16_t version = kc->info.version;
  if (len > keycard_client_ndef_max(version))
    return keycard_client_fail(kc, KEYCARD_CLIENT_EARG,
                               "a %zu-byte NDEF message is more than this card's %zu", len,
                               keycard_client_ndef_max(version));
  uint8_t file[KEYCARD_CLIENT_NDEF_FILE_MAX_3_2];
  cf_put_be16(file, (uint16_t)len);
  if (len) memcpy(file + 2, msg, len);
  size_t total = len + 2;
  if (version < VERSION_3_0)
    return keycard_client_secure_command(kc, "SET NDEF", INS_SET_NDEF, 0x00, 0x00, file, total, false, NULL,
                                         0, NULL);
  if (version < KEYCARD_CLIENT_VERSION_3_2)
    return keycard_client_secure_command(kc, "STORE DATA (NDEF)", KEYCARD_CLIENT_INS_STORE_DATA,
                                         KEYCARD_CLIENT_DATA_NDEF, 0x00, file, total, false, NULL, 0, NULL);
  /* 3.2: each chunk lands at P2 * 4, so every chunk but the last is a multiple of 4 bytes */
  for (size_t off = 0; off < total; off += KEYCARD_CLIENT_NDEF_CHUNK) {
    size_t n = total - off < KEYCARD_CLIENT_NDEF_CHUNK ? total - off : KEYCARD_CLIENT_NDEF_CHUNK;
    int rc = keycard_client_secure_command(kc, "STORE DATA (NDEF chunk)", KEYCARD_CLIENT_INS_STORE_DATA,
                                           KEYCARD_CLIENT_DATA_NDEF, (uint8_t)(off / 4), file + off, n, false,
                                           NULL, 0, NULL);
    if (rc != KEYCARD_CLIENT_OK) return rc;
  }
  return KEYCARD_CLIENT_OK;
}

/* URI RTD 1.0, table 3: the identifier codes for the common prefixes (longest first where one is
 * the start of another). */
static const struct {
  uint8_t code;
  const char *prefix;
} uri_prefixes[] = {
    {0x02, "https://www."}, {0x01, "http://www."}, {0x04, "https://"}, {0x03, "http://"},
    {0x05, "tel:"},         {0x06, "mailto:"},     {0x0D, "ftp://"},
};

/* One record, MB and ME set: short form (SR) when the payload fits a byte. */
static int ndef_record(uint8_t tnf, const char *type, uint8_t prefix_code, bool has_prefix, const char *body,
                       uint8_t *out, size_t cap, size_t *len) {
  size_t type_len = strlen(type), body_len = strlen(body);
  size_t payload_len = body_len + (has_prefix ? 1 : 0);
  bool short_record = payload_len <= 255;
  size_t need = 2 + (short_record ? 1 : 4) + type_len + payload_len;
  if (type_len > 255 || need > cap) return KEYCARD_CLIENT_EARG;
  size_t o = 0;
  out[o++] = (uint8_t)(0xC0 | (short_record ? 0x10 : 0) | tnf); /* MB | ME | SR | TNF */
  out[o++] = (uint8_t)type_len;
  if (short_record) {
    out[o++] = (uint8_t)payload_len;
  } else {
    for (int k = 3; k >= 0; k--)
      out[o++] = (uint8_t)(payload_len >> (8 * k));
  }
  memcpy(out + o, type, type_len);
  o += type_len;
  if (has_prefix) out[o++] = prefix_code;
  memcpy(out + o, body, body_len);
  *len = o + body_len;
  return KEYCARD_CLIENT_OK;
}

int keycard_client_ndef_uri_record(const char *uri, uint8_t *out, size_t cap, size_t *len) {
  if (!uri || !*uri) return KEYCARD_CLIENT_EARG;
  uint8_t code = 0x00;
  const char *rest = uri;
  for (size_t i = 0; i < sizeof uri_prefixes / sizeof uri_prefixes[0]; i++) {
    size_t n = strlen(uri_prefixes[i].prefix);
    if (strncmp(uri, uri_prefixes[i].prefix, n) == 0) {
      code = uri_prefixes[i].code;
      rest = uri + n;
      break;
    }
  }
  return ndef_record(0x01, "U", code, true, rest, out, cap, len);
}

int keycard_client_ndef_aar_record(const char *package, uint8_t *out, size_t cap, size_t *len) {
  if (!package || !*package) return KEYCARD_CLIENT_EARG;
  return ndef_record(0x04, "android.com:pkg", 0, false, package, out, cap, len);
}
