/* Card key diversification: the static keys of one card from a master key and the card's key
 * diversification data (KDD, the first 10 bytes of INITIALIZE UPDATE's answer), with the three
 * methods hosts meet on deployed cards and GlobalPlatformPro names emv, visa2 and kdf3
 * (martinpaljak/GlobalPlatformPro, library/src/main/java/pro/javacard/gp/keys/PlaintextKeys.java,
 * kdf_templates; check values in library/src/test/java/pro/javacard/gp/test/TestPlaintextKeys.java).
 *
 * EMV CPS 1.1 and VISA2 (two-key 3DES masters): the key of id k (1 ENC, 2 MAC, 3 DEK) is
 * 3DES-ECB(master, D1 || F0 || k || D1 || 0F || k), D1 six bytes of the KDD: bytes 4..9 for EMV,
 * bytes 0, 1, 4..7 for VISA2. KDF3 (AES masters, SCP03): the NIST SP 800-108 counter-mode KDF
 * with AES-CMAC, an 8-bit counter i from 1 BEFORE the fixed data, and the fixed data
 * 00 00 00 || k || 00 || KDD, as many 16-byte blocks as the master key is long. */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/scp.h"

int cf_scp_diversify_parse(const char *name) {
  if (name == NULL) return -1;
  if (strcmp(name, "emv") == 0) return CF_SCP_DIV_EMV;
  if (strcmp(name, "visa2") == 0) return CF_SCP_DIV_VISA2;
  if (strcmp(name, "kdf3") == 0) return CF_SCP_DIV_KDF3;
  if (strcmp(name, "none") == 0) return CF_SCP_DIV_NONE;
  return -1;
}

const char *cf_scp_diversify_name(int method) {
  switch (method) {
  case CF_SCP_DIV_EMV:
    return "emv";
  case CF_SCP_DIV_VISA2:
    return "visa2";
  case CF_SCP_DIV_KDF3:
    return "kdf3";
  default:
    return "none";
  }
}

void cf_scp_diversify_data(int method, uint8_t key_id, const uint8_t kdd[10], uint8_t out[16]) {
  uint8_t six[6];
  if (method == CF_SCP_DIV_EMV) {
    memcpy(six, kdd + 4, 6);
  } else {
    six[0] = kdd[0];
    six[1] = kdd[1];
    memcpy(six + 2, kdd + 4, 4);
  }
  memcpy(out, six, 6);
  out[6] = 0xF0;
  out[7] = key_id;
  memcpy(out + 8, six, 6);
  out[14] = 0x0F;
  out[15] = key_id;
}

static int des_template(int method, const uint8_t master[16], uint8_t key_id, const uint8_t kdd[10],
                        uint8_t out[16]) {
  uint8_t d[16];
  cf_scp_diversify_data(method, key_id, kdd, d);
  int rc = cf_des3_ecb_encrypt(master, 16, d, out, 16);
  cf_wipe(d, sizeof d);
  return rc;
}

static int kdf3(const uint8_t *master, size_t klen, uint8_t key_id, const uint8_t kdd[10], uint8_t *out) {
  uint8_t block[16], mac[16];
  int rc = 0;
  for (size_t done = 0, i = 1; rc == 0 && done < klen; i++) {
    block[0] = (uint8_t)i;
    block[1] = block[2] = block[3] = 0x00;
    block[4] = key_id;
    block[5] = 0x00;
    memcpy(block + 6, kdd, 10);
    rc = cf_aes_cmac(master, klen, block, sizeof block, mac);
    size_t take = klen - done < 16 ? klen - done : 16;
    if (rc == 0) memcpy(out + done, mac, take);
    done += take;
  }
  cf_wipe(mac, sizeof mac);
  return rc;
}

int cf_scp_diversify_key(int method, const uint8_t *master, size_t klen, uint8_t key_id,
                         const uint8_t kdd[10], uint8_t *out) {
  if (master == NULL || kdd == NULL || out == NULL) return -1;
  switch (method) {
  case CF_SCP_DIV_EMV:
  case CF_SCP_DIV_VISA2:
    return klen == 16 ? des_template(method, master, key_id, kdd, out) : -1;
  case CF_SCP_DIV_KDF3:
    return klen == 16 || klen == 24 || klen == 32 ? kdf3(master, klen, key_id, kdd, out) : -1;
  default:
    return -1;
  }
}

int cf_scp_diversify_keys(int method, const cf_scp_keys *master, const uint8_t kdd[10], cf_scp_keys *out) {
  cf_scp_keys k = {.kvn = master->kvn, .klen = master->klen};
  int rc = cf_scp_diversify_key(method, master->enc, master->klen, 1, kdd, k.enc);
  if (rc == 0) rc = cf_scp_diversify_key(method, master->mac, master->klen, 2, kdd, k.mac);
  if (rc == 0) rc = cf_scp_diversify_key(method, master->dek, master->klen, 3, kdd, k.dek);
  if (rc == 0) *out = k;
  cf_wipe(&k, sizeof k);
  return rc;
}
