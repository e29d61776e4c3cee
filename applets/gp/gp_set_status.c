/* SET STATUS (GP Card Specification 2.3.1, 11.10): the card life cycle (P1 80, the ISD) and an
 * application's LOCKED state (P1 40). The new state is written to the registry record in the
 * command's store transaction, so a power cut leaves the old state or the new one. */
#include <string.h>

#include "cardforge/sw.h"
#include "gp_internal.h"

#define GP_SET_STATUS_ISD 0x80
#define GP_SET_STATUS_APP 0x40
#define GP_APP_LOCK 0x80
#define GP_APP_UNLOCK 0x00

/* The card life cycle transitions of GP 2.3.1 5.1.1 (figure 5-1): OP_READY, INITIALIZED and
 * SECURED only move forward; SECURED and CARD_LOCKED go to each other; every state may end in
 * TERMINATED, which is final. */
static bool card_transition_allowed(uint8_t from, uint8_t to) {
  if (from == GP_CARD_TERMINATED) return false;
  switch (to) {
  case GP_CARD_INITIALIZED:
    return from == GP_CARD_OP_READY;
  case GP_CARD_SECURED:
    return from == GP_CARD_OP_READY || from == GP_CARD_INITIALIZED || from == GP_CARD_LOCKED;
  case GP_CARD_LOCKED:
    return from == GP_CARD_SECURED;
  case GP_CARD_TERMINATED:
    return true;
  default:
    return false;
  }
}

static bool is_card_state(uint8_t s) {
  return s == GP_CARD_INITIALIZED || s == GP_CARD_SECURED || s == GP_CARD_LOCKED || s == GP_CARD_TERMINATED;
}

static uint16_t set_card_state(cf_applet *isd, gp_registry *reg, const cf_apdu *cmd) {
  /* The data field may name the ISD (GlobalPlatformPro sends it empty). */
  if (cmd->lc != 0 && (cmd->lc != isd->aid_len || memcmp(cmd->data, isd->aid, isd->aid_len) != 0))
    return SW_REFERENCED_DATA_NOT_FOUND;
  if (!is_card_state(cmd->p2)) return SW_INCORRECT_P1P2;
  if (!card_transition_allowed(reg->card_state, cmd->p2)) return SW_CONDITIONS_NOT_SATISFIED;
  reg->card_state = cmd->p2;
  return SW_OK;
}

static uint16_t set_app_state(cf_applet *isd, gp_registry *reg, const cf_apdu *cmd) {
  if (cmd->p2 != GP_APP_LOCK && cmd->p2 != GP_APP_UNLOCK) return SW_INCORRECT_P1P2;
  if (cmd->lc < 5 || cmd->lc > 16) return SW_WRONG_DATA;
  cf_applet *a = gp_find_instance(isd, cmd->data, cmd->lc);
  if (a == NULL) return SW_REFERENCED_DATA_NOT_FOUND;
  /* The ISD is locked by locking the card (P1 80), never as an application. */
  if (a == isd) return SW_CONDITIONS_NOT_SATISFIED;
  uint8_t state = gp_registry_app_state(reg, a->aid, a->aid_len);
  bool locked = (state & GP_APP_LOCKED_BIT) != 0;
  /* Figure 5-3: LOCKED is entered from an unlocked state and left to the state it locked. */
  if (locked == (cmd->p2 == GP_APP_LOCK)) return SW_CONDITIONS_NOT_SATISFIED;
  state = (uint8_t)(cmd->p2 == GP_APP_LOCK ? state | GP_APP_LOCKED_BIT : state & ~GP_APP_LOCKED_BIT);
  if (gp_registry_set_app_state(reg, a->aid, a->aid_len, state) != 0) return SW_NOT_ENOUGH_MEMORY;
  return SW_OK;
}

uint16_t gp_set_status(void *request) {
  const cf_apdu_request *rq = request;
  cf_applet *isd = rq->app;
  const cf_apdu *cmd = rq->cmd;
  gp_registry reg;
  if (cmd->p1 != GP_SET_STATUS_ISD && cmd->p1 != GP_SET_STATUS_APP) return SW_INCORRECT_P1P2;
  if (gp_registry_get(isd, &reg) != 0) return SW_MEMORY_FAILURE;
  uint16_t sw = cmd->p1 == GP_SET_STATUS_ISD ? set_card_state(isd, &reg, cmd) : set_app_state(isd, &reg, cmd);
  if (sw != SW_OK) return sw;
  return gp_registry_put(isd, &reg) == 0 ? SW_OK : SW_MEMORY_FAILURE;
}
