/* INSTALL [for load] and LOAD (GP Card Specification 2.3.1, 11.5.2.3.1 and 11.6): a load file whose
 * package is built into cardforge is received block by block, its Load File Data Block hash and
 * its CAP Header component's package AID are checked, and the package is registered LOADED. The
 * bytecode is not executed: the package's applications are cardforge's own code, and a loaded
 * package only makes its modules installable again. Unknown packages are refused at INSTALL [for
 * load] with 6A80. Blocks collect in the transient context; only the last block writes the store. */
#include <string.h>

#include <openssl/evp.h>

#include "cardforge/crypto.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "gp_internal.h"

#define GP_LOAD_P1_MORE 0x00
#define GP_LOAD_P1_LAST 0x80
#define GP_TAG_LOAD_FILE_DATA_BLOCK 0xC4
#define GP_TAG_DAP_BLOCK 0xE2

void gp_load_abort(gp_ctx *ctx) {
  if (ctx->load_len) cf_wipe(ctx->load_buf, ctx->load_len);
  ctx->load_active = false;
  ctx->load_len = 0;
  ctx->load_block = 0;
}

static bool find_package(const uint8_t *aid, size_t len, uint8_t *index) {
  for (size_t n = 0; n < gp_package_count(); n++) {
    const gp_package *p = gp_package_at(n);
    if (p->aid.len == len && memcmp(p->aid.b, aid, len) == 0) {
      *index = (uint8_t)n;
      return true;
    }
  }
  return false;
}

/* Data: ELF AID, Security Domain AID, Load File Data Block hash, load parameters, token, each
 * length-prefixed (table 11-43). */
uint16_t gp_install_for_load(cf_applet *isd, const cf_apdu *cmd, cf_rapdu *resp) {
  gp_ctx *ctx = isd->ctx;
  gp_lv f[5];
  gp_registry reg;
  uint8_t index;
  gp_load_abort(ctx);
  if (!gp_parse_lv(cmd->data, cmd->lc, f, 5)) return SW_WRONG_DATA;
  if (f[0].len < 5 || f[0].len > 16) return SW_WRONG_DATA;
  /* choice: the associated Security Domain is the ISD, named or left empty */
  if (f[1].len && (f[1].len != isd->aid_len || memcmp(f[1].v, isd->aid, isd->aid_len) != 0))
    return SW_REFERENCED_DATA_NOT_FOUND;
  /* SHA-1 (GP 2.2 and earlier hosts) or SHA-256; none: no check */
  if (f[2].len != 0 && f[2].len != 20 && f[2].len != 32) return SW_WRONG_DATA;
  if (f[4].len != 0) return SW_WRONG_DATA; /* no Delegated Management: a token is not expected */
  if (!find_package(f[0].v, f[0].len, &index)) return SW_WRONG_DATA; /* not a package cardforge has */
  if (gp_registry_get(isd, &reg) != 0) return SW_MEMORY_FAILURE;
  if (gp_package_listed(isd, &reg, index)) return SW_CONDITIONS_NOT_SATISFIED; /* already there */
  ctx->load_active = true;
  ctx->load_package = index;
  ctx->load_hash_len = (uint8_t)f[2].len;
  if (f[2].len) memcpy(ctx->load_hash, f[2].v, f[2].len);
  return cf_rapdu_put_u8(resp, 0x00) ? SW_OK : SW_UNKNOWN;
}

/* The CAP Header component (Java Card VM spec 6.4): tag 01, size (2), magic DECAFFED, CAP minor
 * and major version, flags, then the package: minor, major, AID length, AID. */
static bool header_names(const uint8_t *lfdb, size_t len, const gp_aid *aid) {
  if (len < 13 || lfdb[0] != 0x01) return false;
  static const uint8_t magic[4] = {0xDE, 0xCA, 0xFF, 0xED};
  size_t size = (size_t)lfdb[1] << 8 | lfdb[2];
  if (size + 3 > len || size < 10 || memcmp(lfdb + 3, magic, 4) != 0) return false;
  size_t aid_len = lfdb[12];
  return 13 + aid_len <= size + 3 && aid_len == aid->len && memcmp(lfdb + 13, aid->b, aid_len) == 0;
}

static bool hash_matches(const gp_ctx *ctx, const uint8_t *data, size_t len) {
  uint8_t digest[32];
  unsigned dlen = 0;
  if (ctx->load_hash_len == 0) return true;
  const EVP_MD *md = ctx->load_hash_len == 20 ? EVP_sha1() : EVP_sha256();
  if (EVP_Digest(data, len, digest, &dlen, md, NULL) != 1 || dlen != ctx->load_hash_len) return false;
  return cf_ct_equal(digest, ctx->load_hash, dlen);
}

/* The whole load file: optional DAP blocks (E2, not verified: no Security Domain here has DAP
 * Verification), then C4 with the Load File Data Block, and nothing after it. */
static uint16_t finish_load(cf_applet *isd, gp_ctx *ctx) {
  size_t pos = 0;
  bool err = false;
  cf_tlv t;
  while (cf_tlv_next(ctx->load_buf, ctx->load_len, &pos, &t, &err)) {
    if (t.tag == GP_TAG_DAP_BLOCK) continue;
    if (t.tag != GP_TAG_LOAD_FILE_DATA_BLOCK || pos != ctx->load_len) return SW_WRONG_DATA;
    if (!hash_matches(ctx, t.value, t.len)) return SW_WRONG_DATA;
    if (!header_names(t.value, t.len, &gp_package_at(ctx->load_package)->aid)) return SW_WRONG_DATA;
    gp_registry reg;
    if (gp_registry_get(isd, &reg) != 0) return SW_MEMORY_FAILURE;
    reg.elf[ctx->load_package] = GP_ELF_LOADED_BY_HOST;
    return gp_registry_put(isd, &reg) == 0 ? SW_OK : SW_MEMORY_FAILURE;
  }
  return SW_WRONG_DATA; /* malformed, or no C4 */
}

uint16_t gp_load(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *isd = rq->app;
  const cf_apdu *cmd = rq->cmd;
  gp_ctx *ctx = isd->ctx;
  if (!ctx->load_active) return SW_CONDITIONS_NOT_SATISFIED; /* no INSTALL [for load] before */
  uint16_t sw = SW_OK;
  if ((cmd->p1 != GP_LOAD_P1_MORE && cmd->p1 != GP_LOAD_P1_LAST) || cmd->p2 != ctx->load_block) {
    sw = SW_INCORRECT_P1P2;
  } else if (cmd->lc == 0) {
    sw = SW_WRONG_LENGTH;
  } else if (cmd->lc > sizeof ctx->load_buf - ctx->load_len) {
    sw = SW_NOT_ENOUGH_MEMORY;
  } else {
    memcpy(ctx->load_buf + ctx->load_len, cmd->data, cmd->lc);
    ctx->load_len += cmd->lc;
    ctx->load_block++;
    if (cmd->p1 == GP_LOAD_P1_MORE) {
      if (ctx->load_block != 0) return SW_OK; /* no data until the last block */
      sw = SW_NOT_ENOUGH_MEMORY;              /* past block FF */
    } else {
      sw = finish_load(isd, ctx);
      if (sw == SW_OK && !cf_rapdu_put_u8(rq->resp, 0x00)) sw = SW_UNKNOWN;
    }
  }
  gp_load_abort(ctx); /* the last block, or an error: the load is over either way */
  return sw;
}
