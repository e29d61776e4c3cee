/* The NDEF application (NDEFApplet, status-im/status-keycard tag 3.2): SELECT by file identifier
 * (P1 00, P2 0C) of the capability container or the NDEF file, then READ BINARY with the offset in
 * P1 P2. Commands are recognised by INS alone, as in the applet. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard.h"
#include "cardforge/ndef.h"
#include "cardforge/sw.h"

const uint8_t ndef_instance_aid[NDEF_AID_LEN] = {0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01};

/* CCLEN 000F, mapping version 2.0, MLe 00FF, MLc 0001, NDEF File Control TLV 04 06: file E104,
 * maximum size 0400, read access 00 (granted), write access FF (none): NDEF_CAPS_FILE of the tag. */
const uint8_t ndef_capability_container[NDEF_CC_LEN] = {0x00, 0x0F, 0x20, 0x00, 0xFF, 0x00, 0x01, 0x04,
                                                        0x06, 0xE1, 0x04, 0x04, 0x00, 0x00, 0xFF};

#define SELECT_P1_BY_FILE_ID 0x00
#define SELECT_P2_FIRST_NO_FCI 0x0C
#define FILE_NONE 0xFFFF

typedef struct ndef_ctx {
  uint16_t wallet_ns; /* from the install parameters; kept across resets */
  uint16_t selected_file;
} ndef_ctx;

static uint16_t ns_param(const char *params) {
  char v[8];
  if (!cf_params_get(params, "wallet_ns", v, sizeof v)) return 0;
  char *end = NULL;
  unsigned long n = strtoul(v, &end, 10);
  return (end != v && *end == '\0' && n > 0 && n <= 0xFFFF) ? (uint16_t)n : 0;
}

/* The applet copies its install data into the file only when it is longer than 2 bytes and its
 * first two bytes are the length of the rest; other data leaves the file as it is. */
static int ndef_install(cf_applet *app, const char *params) {
  ndef_ctx *ctx = app->ctx;
  ctx->wallet_ns = ns_param(params);
  ctx->selected_file = FILE_NONE;
  char hex[2 * KEYCARD_NDEF_FILE_MAX + 2];
  if (ctx->wallet_ns == 0 || !cf_params_get(params, "file", hex, sizeof hex)) return 0;
  uint8_t file[KEYCARD_NDEF_FILE_MAX];
  long n = cf_hex_decode(hex, file, sizeof file);
  if (n < 0) return -1;
  if (n <= 2 || cf_be16(file) != (size_t)n - 2) return 0;
  return cf_keycard_ndef_install(app->store, ctx->wallet_ns, file, (size_t)n) == KEYCARD_NDEF_OK ? 0 : -1;
}

static void ndef_reset(cf_applet *app) {
  ndef_ctx *ctx = app->ctx;
  ctx->selected_file = FILE_NONE;
}

/* Selecting the application forgets the selected file and answers nothing. */
static uint16_t ndef_select(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  (void)cmd, (void)resp;
  ndef_reset(app);
  return SW_OK;
}

static uint16_t ndef_select_file(void *request) {
  cf_apdu_request *rq = request;
  ndef_ctx *ctx = rq->app->ctx;
  if (rq->cmd->p1 != SELECT_P1_BY_FILE_ID || rq->cmd->p2 != SELECT_P2_FIRST_NO_FCI) return SW_INCORRECT_P1P2;
  if (rq->cmd->lc != 2) return SW_WRONG_DATA;
  uint16_t fid = cf_be16(rq->cmd->data);
  if (fid != NDEF_FILE_CC && fid != NDEF_FILE_NDEF) return SW_FILE_NOT_FOUND;
  ctx->selected_file = fid;
  return SW_OK;
}

/* READ BINARY: offset P1 P2 (a Java short: b8 of P1 set is negative), Le bytes capped at 255 and at
 * the file's end (Le absent counts as 256, as setOutgoing gives it). The NDEF file is NLEN + 2
 * bytes long, NLEN read as a signed short: a negative length makes every offset 6A86, a length
 * past the shared memory's 512 bytes fails when a read reaches beyond them (6F00, the applet's
 * array-bounds exception). */
static uint16_t ndef_read_binary(void *request) {
  cf_apdu_request *rq = request;
  const ndef_ctx *ctx = rq->app->ctx;
  uint8_t file[KEYCARD_NDEF_FILE_MAX];
  const uint8_t *data = NULL;
  long data_len = 0;
  size_t avail = 0;
  switch (ctx->selected_file) {
  case NDEF_FILE_CC:
    data = ndef_capability_container;
    data_len = NDEF_CC_LEN;
    avail = NDEF_CC_LEN;
    break;
  case NDEF_FILE_NDEF: {
    size_t len = 0;
    int rc = ctx->wallet_ns ? cf_keycard_ndef_read(rq->app->store, ctx->wallet_ns, file, sizeof file, &len)
                            : KEYCARD_NDEF_OK;
    if (ctx->wallet_ns == 0) { /* no wallet: the array as installed, all zeros */
      memset(file, 0, 2);
      len = 2;
    } else if (rc != KEYCARD_NDEF_OK && rc != KEYCARD_NDEF_OVERRUN) {
      return SW_UNKNOWN;
    }
    data = file;
    avail = len < sizeof file ? len : sizeof file;
    data_len = (int16_t)(uint16_t)(len - 2) + 2; /* NLEN as the applet's signed short */
    break;
  }
  default:
    return SW_CONDITIONS_NOT_SATISFIED;
  }
  long offset = (int16_t)(uint16_t)((rq->cmd->p1 << 8) | rq->cmd->p2);
  if (offset < 0 || offset >= data_len) return SW_INCORRECT_P1P2;
  long le = rq->cmd->has_le ? (long)rq->cmd->le : 256;
  if (le > NDEF_READ_MAX) le = NDEF_READ_MAX;
  if (offset + le >= data_len) le = data_len - offset;
  if ((size_t)(offset + le) > avail) return SW_UNKNOWN;
  return cf_rapdu_put(rq->resp, data + offset, (size_t)le) ? SW_OK : SW_UNKNOWN;
}

static const cf_command ndef_commands[] = {
    {CF_CLA_ANY, NDEF_INS_SELECT, CF_ACCESS_NONE, ndef_select_file},
    {CF_CLA_ANY, NDEF_INS_READ_BINARY, CF_ACCESS_NONE, ndef_read_binary},
    {0, 0, 0, NULL},
};

static uint16_t ndef_process(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp) {
  const cf_command *row = cf_command_find(ndef_commands, CF_CLA_ANY, cmd->ins, NULL);
  if (row == NULL) return SW_INS_NOT_SUPPORTED;
  cf_apdu_request rq = {.app = app, .cmd = cmd, .resp = resp};
  return row->handler(&rq);
}

const cf_applet_ops ndef_applet_ops = {
    .name = "keycard-ndef",
    .ctx_size = sizeof(ndef_ctx),
    .install = ndef_install,
    .reset = ndef_reset,
    .select = ndef_select,
    .deselect = NULL,
    .process = ndef_process,
    .destroy = NULL,
};
