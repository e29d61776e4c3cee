/* Which sessions must reset the card when they end, and how a lost session is reported. A PC/SC
 * card keeps its security state (PIN verified, external authentication, a secure channel) until
 * it is reset, and pcscd leaves it powered for a moment after the last client disconnects: a
 * session that leaves the card as it is hands that state to the next program that connects. */
#include <stdio.h>

#include "cardforge/transport.h"

bool cf_transport_command_is_plain_read(const uint8_t *cmd, size_t len) {
  if (cmd == NULL || len < 4) return false;
  uint8_t cla = cmd[0], ins = cmd[1];
  /* ISO 7816-4 interindustry class 0x00-0x03 (logical channels 0-3); bits 0x0C announce secure
   * messaging, which needs a session key, i.e. security state. */
  bool interindustry = (cla & 0xF0) == 0x00;
  if ((cla & 0x0C) != 0) return false;
  if (ins == 0xA4) return true; /* SELECT, in any class (CMCC master cards take F0 A4) */
  if (interindustry) {
    switch (ins) {
    case 0xC0: /* GET RESPONSE */
    case 0xB0: /* READ BINARY */
    case 0xB2: /* READ RECORD */
    case 0xB4: /* CMCC Read KeyInfo (00 B4): the attributes of a key, never its value */
    case 0xCA: /* GET DATA */
    case 0xCB:
      return true;
    default:
      return false;
    }
  }
  /* proprietary classes (GP 80 CA): GET DATA only; 80 C0 is Keycard's SIGN, not GET RESPONSE */
  return (cla & 0x80) != 0 && ins == 0xCA;
}

void cf_transport_mark_secured(cf_transport *t) {
  if (t == NULL) return;
  t->secured = true;
  t->established = true;
}

bool cf_transport_is_secured(const cf_transport *t) {
  return t != NULL && t->secured;
}

void cf_transport_set_shared_fault(cf_transport *t, const char *detail) {
  if (t == NULL) return;
  t->fault = CF_TRANSPORT_FAULT_SHARED;
  snprintf(t->err, sizeof t->err, "another program reset or used the card in reader %s%s%s%s", t->name,
           detail && detail[0] ? " (" : "", detail ? detail : "", detail && detail[0] ? ")" : "");
}

bool cf_transport_state_lost(cf_transport *t, uint16_t sw) {
  if (t == NULL || !t->established || sw != 0x6982) return false;
  cf_transport_set_shared_fault(t,
                                "SW 6982: the PIN, authentication or secure channel of this session is gone");
  return true;
}
