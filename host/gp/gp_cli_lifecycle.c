/* `cardforge gp` life cycle commands: SET STATUS of an application (lock, unlock) and of the
 * card (initialize-card, secure-card, lock-card, unlock-card, terminate-card), GP Card
 * Specification 2.3.1 11.10 and 5.1 (the states and their transitions). Each opens the secure
 * channel the channel options describe. GlobalPlatformPro names the same operations
 * --lock-applet, --unlock-applet, --initialize-card, --secure-card, --lock-card, --unlock-card
 * and --terminate-card. */
#include <stdio.h>

#include "cardforge/audit.h"
#include "gp_cli_internal.h"

static int lock_app(gp_run *r, const char *what, bool lock) {
  uint8_t aid[16];
  size_t len = 0;
  if (r->opts.operands != 1) {
    cf_cli_error("gp %s: give the application's AID", what);
    return CF_EXIT_USAGE;
  }
  int code = gp_cli_aid(what, r->opts.operand[0], aid, &len);
  if (code == CF_EXIT_OK) code = gp_cli_open_channel(&r->c, &r->o);
  if (code != CF_EXIT_OK) return code;
  int rc = cf_gp_lock_app(&r->c, aid, len, lock);
  code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(&r->c, rc);
  cf_audit_record(&r->global, NULL, lock ? "gp lock" : "gp unlock", r->c.last_sw, code, "{s:s,s:s}", "sd_aid",
                  cf_audit_hex(r->c.sd_aid, r->c.sd_aid_len), "aid", cf_audit_hex(aid, len));
  if (code != CF_EXIT_OK) return code;
  printf("%s ", lock ? "Locked" : "Unlocked");
  gp_cli_print_hex(aid, len);
  printf("\n");
  return CF_EXIT_OK;
}

static int cmd_lock(void *ctx) {
  return lock_app(ctx, "lock", true);
}

static int cmd_unlock(void *ctx) {
  return lock_app(ctx, "unlock", false);
}

static int card_state(gp_run *r, uint8_t state, const char *name, const char *command) {
  int code = gp_cli_open_channel(&r->c, &r->o);
  if (code != CF_EXIT_OK) return code;
  int rc = cf_gp_set_card_status(&r->c, state);
  code = rc == CF_GP_OK ? CF_EXIT_OK : gp_cli_report(&r->c, rc);
  cf_audit_record(&r->global, NULL, command, r->c.last_sw, code, "{s:s,s:s}", "sd_aid",
                  cf_audit_hex(r->c.sd_aid, r->c.sd_aid_len), "state", cf_audit_hex(&state, 1));
  if (code != CF_EXIT_OK) return code;
  printf("Card life cycle: %s (%02X)\n", name, state);
  return CF_EXIT_OK;
}

static int cmd_initialize_card(void *ctx) {
  return card_state(ctx, CF_GP_CARD_INITIALIZED, "INITIALIZED", "gp initialize-card");
}

static int cmd_secure_card(void *ctx) {
  return card_state(ctx, CF_GP_CARD_SECURED, "SECURED", "gp secure-card");
}

static int cmd_lock_card(void *ctx) {
  return card_state(ctx, CF_GP_CARD_LOCKED, "CARD_LOCKED", "gp lock-card");
}

/* Unlocking is the transition CARD_LOCKED -> SECURED (GP 2.3.1 5.1.1.4). */
static int cmd_unlock_card(void *ctx) {
  return card_state(ctx, CF_GP_CARD_SECURED, "SECURED", "gp unlock-card");
}

static int cmd_terminate_card(void *ctx) {
  gp_run *r = ctx;
  if (!cf_cli_opts_given(&r->opts, "--force")) {
    cf_cli_error("gp terminate-card: TERMINATED is final (no secure channel opens again): add --force");
    return CF_EXIT_USAGE;
  }
  return card_state(r, CF_GP_CARD_TERMINATED, "TERMINATED", "gp terminate-card");
}

/* name, handler, options (cardforge/cli_opts.h), words, usage, summary, help */
const cf_cli_command gp_lifecycle_commands[] = {
    {"lock", cmd_lock, "", 1, "AID [channel options]", "SET STATUS: lock an application (not selectable)",
     NULL},
    {"unlock", cmd_unlock, "", 1, "AID [channel options]", "SET STATUS: unlock a locked application", NULL},
    {"initialize-card", cmd_initialize_card, "", 0, "[channel options]",
     "SET STATUS: card life cycle OP_READY -> INITIALIZED (07)", NULL},
    {"secure-card", cmd_secure_card, "", 0, "[channel options]",
     "SET STATUS: card life cycle -> SECURED (0F)", NULL},
    {"lock-card", cmd_lock_card, "", 0, "[channel options]",
     "SET STATUS: SECURED -> CARD_LOCKED (7F): only the ISD answers", NULL},
    {"unlock-card", cmd_unlock_card, "", 0, "[channel options]", "SET STATUS: CARD_LOCKED -> SECURED (0F)",
     NULL},
    {"terminate-card", cmd_terminate_card, "--force", 0, "--force [channel options]",
     "SET STATUS: the card -> TERMINATED (FF), for good",
     "A TERMINATED card answers SELECT and GET DATA only: no secure channel, no command can bring it\n"
     "back (GP 2.3.1 5.1.1.5). --force is required.\n"},
};
const size_t gp_lifecycle_command_count = sizeof gp_lifecycle_commands / sizeof gp_lifecycle_commands[0];
