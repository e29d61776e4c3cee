/* PUT KEY (GP 2.3.1 11.8) and DELETE KEY (11.2) of the Security Domain.
 *
 * Every PUT KEY form of the specification: add a set (P1 = 00) or replace one (P1 = its KVN, the
 * new KVN the same or another), one key or several (P2 b8), and chains of commands (P1 b8) whose
 * keys wait in transient memory until the last command writes them all in one store transaction.
 * Error words are those of Card Specification 2.1.1, 9.8 table 9-51: 6581, 6A84, 6A88, 9484, 9485
 * besides the general ones (docs/gp.md section 3 says why not 2.3.1's 6A80/6982). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "gp_internal.h"

void gp_chain_abort(gp_ctx *ctx) {
  cf_wipe(ctx->chain_keys, sizeof ctx->chain_keys);
  ctx->chain_count = 0;
  ctx->chain_active = false;
  ctx->chain_old_kvn = ctx->chain_new_kvn = 0;
}

typedef struct key_field {
  uint8_t type;
  const uint8_t *block; /* key component block as sent */
  size_t block_len;
  const uint8_t *kcv;
  size_t kcv_len;
} key_field;

/* Splits the data field after the new KVN into key data fields: type, BER length, block, KCV
 * length, KCV. Returns the count, or -1 when malformed. */
static int parse_fields(const uint8_t *d, size_t len, key_field *out, size_t max) {
  size_t pos = 0;
  int n = 0;
  while (pos < len) {
    if ((size_t)n >= max || len - pos < 2) return -1;
    key_field *f = &out[n++];
    f->type = d[pos++];
    size_t l = d[pos++];
    if (l == 0x81) {
      if (pos >= len || d[pos] < 0x80) return -1;
      l = d[pos++];
    } else if (l > 0x80) {
      return -1;
    }
    if (l == 0 || len - pos < l + 1) return -1;
    f->block = d + pos;
    f->block_len = l;
    pos += l;
    f->kcv_len = d[pos++];
    if (len - pos < f->kcv_len) return -1;
    f->kcv = d + pos;
    pos += f->kcv_len;
  }
  return n;
}

/* Recovers the clear key from its component block. A block that is whole cipher blocks is the
 * encrypted key alone; one byte more means a leading clear length, the key having been padded to
 * the block (GP 2.3.1 Tables 11-70 and 11-71). */
static uint16_t decrypt_key(const cf_scp_session *s, const key_field *f, uint8_t *key, size_t *klen) {
  uint8_t clear[64];
  size_t bs = cf_scp_dek_block(s), enc_len = f->block_len, want = f->block_len;
  const uint8_t *enc = f->block;
  if (f->block_len % bs == 1 && f->block_len > bs) {
    want = f->block[0];
    enc = f->block + 1;
    enc_len = f->block_len - 1;
    if (want == 0 || want > enc_len || enc_len - want >= bs) return SW_WRONG_DATA;
  } else if (f->block_len % bs != 0) {
    return SW_WRONG_DATA;
  }
  if (enc_len > sizeof clear || cf_scp_dek_decrypt(s, enc, enc_len, clear) != 0) return SW_WRONG_DATA;
  memcpy(key, clear, want);
  *klen = want;
  cf_wipe(clear, sizeof clear);
  return SW_OK;
}

static bool key_length_ok(uint8_t type, size_t len) {
  if (type == CF_GP_KEY_DES) return len == 16;
  return len == 16 || len == 24 || len == 32;
}

/* Applies the collected keys to the key table: replace (old_kvn != 0) or add. */
static uint16_t commit_keys(cf_applet *app, gp_ctx *ctx) {
  gp_key_table t;
  uint16_t sw = SW_OK;
  uint8_t old_kvn = ctx->chain_old_kvn, new_kvn = ctx->chain_new_kvn;
  if (gp_keys_load(app, &t) != 0) return SW_MEMORY_FAILURE;
  if (old_kvn != 0) {
    if (!gp_keys_has_kvn(&t, old_kvn)) {
      sw = SW_REFERENCED_DATA_NOT_FOUND;
      goto out;
    }
    if (new_kvn != old_kvn && gp_keys_has_kvn(&t, new_kvn)) {
      sw = SW_WRONG_DATA;
      goto out;
    }
    for (size_t n = 0; n < ctx->chain_count; n++) {
      const gp_key *k = &ctx->chain_keys[n];
      gp_key *slot = gp_keys_find(&t, old_kvn, k->id);
      if (slot == NULL) {
        sw = SW_REFERENCED_DATA_NOT_FOUND;
        goto out;
      }
      if (slot->type != k->type || slot->len != k->len) { /* a slot keeps its algorithm and size */
        sw = SW_WRONG_DATA;
        goto out;
      }
    }
    for (size_t n = 0; n < ctx->chain_count; n++) {
      gp_key *slot = gp_keys_find(&t, old_kvn, ctx->chain_keys[n].id);
      memcpy(slot->value, ctx->chain_keys[n].value, slot->len);
      slot->kvn = new_kvn;
    }
  } else {
    if (gp_keys_has_kvn(&t, new_kvn)) {
      sw = SW_WRONG_DATA;
      goto out;
    }
    if (t.count + ctx->chain_count > GP_MAX_KEYS) {
      sw = SW_NOT_ENOUGH_MEMORY;
      goto out;
    }
    for (size_t n = 0; n < ctx->chain_count; n++)
      t.keys[t.count++] = ctx->chain_keys[n];
  }
  /* A PUT KEY restarts the sequence counter of the set it wrote. */
  if (gp_keys_save(app, &t) != 0 || gp_counter_reset(app, new_kvn) != 0 ||
      (old_kvn != 0 && old_kvn != new_kvn && !gp_keys_has_kvn(&t, old_kvn) &&
       gp_counter_reset(app, old_kvn) != 0))
    sw = SW_MEMORY_FAILURE;
out:
  gp_key_table_wipe(&t);
  return sw;
}

uint16_t gp_put_key(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  gp_ctx *ctx = app->ctx;
  key_field fields[GP_MAX_KEYS];
  uint8_t reply[1 + 3 * GP_MAX_KEYS];
  size_t reply_len = 1;
  bool more = (cmd->p1 & 0x80) != 0, several = (cmd->p2 & 0x80) != 0;
  uint8_t old_kvn = cmd->p1 & 0x7F, first_id = cmd->p2 & 0x7F;
  uint16_t sw = SW_OK;

  if (cmd->lc < 1) {
    sw = SW_WRONG_LENGTH;
    goto fail;
  }
  uint8_t new_kvn = cmd->data[0];
  int n = parse_fields(cmd->data + 1, cmd->lc - 1, fields, GP_MAX_KEYS);
  if (new_kvn == 0 || new_kvn > 0x7F || n <= 0 || (!several && n != 1) || first_id + n - 1 > 0x7F) {
    sw = SW_WRONG_DATA;
    goto fail;
  }
  if (ctx->chain_active && (old_kvn != ctx->chain_old_kvn || new_kvn != ctx->chain_new_kvn)) {
    sw = SW_WRONG_DATA;
    goto fail;
  }
  if (!ctx->chain_active) {
    ctx->chain_count = 0;
    ctx->chain_old_kvn = old_kvn;
    ctx->chain_new_kvn = new_kvn;
  }
  reply[0] = new_kvn;
  for (int i = 0; i < n; i++) {
    const key_field *f = &fields[i];
    uint8_t id = (uint8_t)(first_id + i), kcv[3];
    if (f->type != CF_GP_KEY_DES && f->type != CF_GP_KEY_AES) {
      sw = SW_GP_ALGORITHM_NOT_SUPPORTED;
      goto fail;
    }
    if (ctx->chain_count >= GP_MAX_KEYS) {
      sw = SW_NOT_ENOUGH_MEMORY;
      goto fail;
    }
    for (size_t j = 0; j < ctx->chain_count; j++)
      if (ctx->chain_keys[j].id == id) {
        sw = SW_WRONG_DATA;
        goto fail;
      }
    gp_key *k = &ctx->chain_keys[ctx->chain_count];
    size_t klen = 0;
    sw = decrypt_key(&ctx->scp, f, k->value, &klen);
    if (sw == SW_OK && (!key_length_ok(f->type, klen) || (f->kcv_len != 0 && f->kcv_len != 3)))
      sw = SW_WRONG_DATA;
    if (sw != SW_OK) goto fail;
    if (f->kcv_len == 3) {
      if (cf_scp_kcv(f->type, k->value, klen, kcv) != 0) {
        sw = SW_UNKNOWN;
        goto fail;
      }
      if (!cf_ct_equal(kcv, f->kcv, 3)) {
        sw = SW_GP_INVALID_KCV;
        goto fail;
      }
      memcpy(reply + reply_len, kcv, 3);
      reply_len += 3;
    }
    k->id = id;
    k->kvn = new_kvn;
    k->type = f->type;
    k->len = (uint8_t)klen;
    ctx->chain_count++;
  }
  if (more) {
    ctx->chain_active = true;
  } else {
    sw = commit_keys(app, ctx);
    gp_chain_abort(ctx);
    if (sw != SW_OK) return sw;
  }
  if (!cf_rapdu_put(resp, reply, reply_len)) {
    sw = SW_UNKNOWN;
    goto fail;
  }
  return SW_OK;
fail:
  gp_chain_abort(ctx);
  return sw;
}

/* DELETE KEY: 80 E4 00 00|80 with D0 01 <id> and/or D2 01 <kvn>. */
uint16_t gp_delete_key(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *app = rq->app;
  const cf_apdu *cmd = rq->cmd;
  cf_rapdu *resp = rq->resp;
  int id = -1, kvn = -1;
  size_t pos = 0;
  if (cmd->p1 != 0x00 || (cmd->p2 != 0x00 && cmd->p2 != 0x80)) return SW_INCORRECT_P1P2;
  if (cmd->lc == 0) return SW_WRONG_LENGTH;
  while (pos < cmd->lc) {
    if (cmd->lc - pos < 2) return SW_WRONG_DATA;
    uint8_t tag = cmd->data[pos], len = cmd->data[pos + 1];
    if (cmd->lc - pos - 2 < len) return SW_WRONG_DATA;
    const uint8_t *v = cmd->data + pos + 2;
    pos += 2 + (size_t)len;
    if ((tag != 0xD0 && tag != 0xD2) || len != 1) return SW_WRONG_DATA;
    int *slot = tag == 0xD0 ? &id : &kvn;
    if (*slot != -1) return SW_WRONG_DATA;
    *slot = v[0];
  }
  gp_key_table t;
  if (gp_keys_load(app, &t) != 0) return SW_MEMORY_FAILURE;
  size_t kept = 0, removed = 0;
  uint8_t touched[GP_MAX_KEYS];
  for (size_t n = 0; n < t.count; n++) {
    gp_key *k = &t.keys[n];
    if ((id == -1 || k->id == id) && (kvn == -1 || k->kvn == kvn)) {
      touched[removed++] = k->kvn;
      cf_wipe(k, sizeof *k);
      continue;
    }
    if (kept != n) t.keys[kept] = *k;
    kept++;
  }
  t.count = kept;
  uint16_t sw = SW_OK;
  if (removed == 0) {
    sw = SW_REFERENCED_DATA_NOT_FOUND;
  } else {
    /* Refuse to leave the card without any key set that opens a secure channel: it could never be
     * managed again. */
    bool usable = false;
    cf_scp_keys probe;
    for (size_t n = 0; n < t.count && !usable; n++)
      usable = gp_keys_channel_set(&t, t.keys[n].kvn, &probe) != 0;
    cf_wipe(&probe, sizeof probe);
    if (!usable) sw = SW_CONDITIONS_NOT_SATISFIED;
  }
  if (sw == SW_OK && gp_keys_save(app, &t) != 0) sw = SW_MEMORY_FAILURE;
  for (size_t n = 0; sw == SW_OK && n < removed; n++)
    if (!gp_keys_has_kvn(&t, touched[n]) && gp_counter_reset(app, touched[n]) != 0) sw = SW_MEMORY_FAILURE;
  gp_key_table_wipe(&t);
  if (sw != SW_OK) return sw;
  return cf_rapdu_put_u8(resp, 0x00) ? SW_OK : SW_UNKNOWN; /* no receipt */
}
