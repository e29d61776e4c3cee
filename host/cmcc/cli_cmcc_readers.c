/* Finding each China Mobile device's reader, and identifying the card in it before anything
 * secret is sent: the SELECT answer must be the device's FCI, in exactly one reader.
 *
 * Every card a command uses stays open in a PC/SC transaction until the command ends, and a
 * command takes its cards in role order (KMC, auth card, working card, user card, SAM, terminal),
 * so two commands never wait for each other in a circle. Probing the readers (which waits for
 * readers other programs hold) is done once, for every role, at the first device the command has
 * to find: when it names no reader, that is before it holds any card. */
#include <string.h>

#include "cardforge/cmcc.h"
#include "cardforge/json_out.h"
#include "cardforge/pcsc.h"
#include "cardforge/sw.h"
#include "cardforge/tlv.h"
#include "cli_cmcc_internal.h"

static const char *const role_option[CF_CMCC_ROLES] = {"--kmc",  "--auth", "--work",
                                                       "--user", "--sam",  "--terminal"};
static const uint8_t role_aid[CF_CMCC_ROLES][CMCC_AID_LEN] = {
    CMCC_AID_KMC, CMCC_AID_AUTHCARD, CMCC_AID_WORKCARD, CMCC_AID_USERCARD, CMCC_AID_SAM, CMCC_AID_TERMINAL,
};
static const char *const role_label[CF_CMCC_ROLES] = {
    "KMC", "authentication card", "working card", "user card", "SAM", "terminal"};
/* The device code each role's FCI carries in the last 3 bytes of 9F0C (0: the role answers
 * SELECT without an FCI, spec tables 8-1-17..20; docs/cmcc-profile.md). */
static const uint32_t role_device[CF_CMCC_ROLES] = {
    CMCC_DEVICE_KMC, CMCC_DEVICE_AUTHCARD, CMCC_DEVICE_WORKCARD, CMCC_DEVICE_USER_CARD, 0, 0};

const char *cmcch_cli_role_label(cf_cmcc_role r) {
  return (unsigned)r < CF_CMCC_ROLES ? role_label[r] : "card";
}

/* The SELECT answer of a master card or user card: 6F { 84 AID, A5 { ..., 9F0C (.. || device code) } }. */
static bool fci_names_role(const uint8_t *fci, size_t len, cf_cmcc_role r) {
  cf_tlv top, name, prop, issuer;
  if (!cf_tlv_read(fci, len, &top) || top.tag != 0x6F || top.total != len) return false;
  if (!cf_tlv_find(top.value, top.len, 0x84, &name) || name.len != CMCC_AID_LEN ||
      memcmp(name.value, role_aid[r], CMCC_AID_LEN) != 0)
    return false;
  if (!cf_tlv_find(top.value, top.len, 0xA5, &prop) || !cf_tlv_find(prop.value, prop.len, 0x9F0C, &issuer) ||
      issuer.len < 3)
    return false;
  const uint8_t *code = issuer.value + issuer.len - 3;
  return ((uint32_t)code[0] << 16 | (uint32_t)code[1] << 8 | code[2]) == role_device[r];
}

cmcch_identity cmcch_cli_identify_role(cf_transport *t, cf_cmcc_role r, uint16_t *sw_out) {
  cf_apdu a = {.cla = 0x00,
               .ins = 0xA4,
               .p1 = 0x04,
               .p2 = 0x00,
               .data = role_aid[r],
               .lc = CMCC_AID_LEN,
               .le = 256,
               .has_le = true};
  uint8_t resp[256];
  size_t got = 0;
  uint16_t sw = 0;
  bool sent = cf_transceive(t, &a, 0, resp, sizeof resp, &got, &sw) == 0;
  if (sw_out) *sw_out = sent ? sw : 0;
  if (!sent) return CMCCH_ID_NO_ANSWER;
  if (sw != SW_OK) return CMCCH_ID_REFUSED;
  if (role_device[r] == 0) return CMCCH_ID_MATCH;
  return fci_names_role(resp, got, r) ? CMCCH_ID_MATCH : CMCCH_ID_NOT_THE_ROLE;
}

bool cmcch_cli_select_role(cf_transport *t, cf_cmcc_role r, uint16_t *sw_out) {
  return cmcch_cli_identify_role(t, r, sw_out) == CMCCH_ID_MATCH;
}

static bool reader_taken(const cmcch_cli *c, const char *name) {
  for (int r = 0; r < CF_CMCC_ROLES; r++)
    if (c->owned[r] && strcmp(c->owned[r]->name, name) == 0) return true;
  return false;
}

static void take(cmcch_cli *c, cf_cmcc_role r, cf_transport *t) {
  c->owned[r] = t;
  c->host.card[r] = t;
  cf_cli_note_reader(NULL); /* several readers: every message names its own */
  /* notes are not errors: --json keeps stderr for JSON error objects */
  if (c->g && !c->g->quiet && !cf_json_error_mode())
    fprintf(stderr, "cmcc: %s in reader %s\n", role_label[r], t->name);
}

/* Probes every reader holding a card, one at a time (each probe's session ends before the next
 * begins), with a SELECT of each role's AID, and notes which readers answer as which device. */
static int discover(cmcch_cli *c) {
  cmcch_discovery *d = &c->found;
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  char err[256];
  int n = cf_pcsc_readers(readers, CF_PCSC_MAX_READERS, err, sizeof err);
  if (n < 0) return cmcch_cli_fail(CF_EXIT_TRANSPORT, "%s", err);
  memset(d, 0, sizeof *d);
  for (int i = 0; i < n; i++) {
    if (!readers[i].has_card || reader_taken(c, readers[i].name)) continue;
    cf_transport *t = cf_transport_open_pcsc(readers[i].name, err, sizeof err);
    if (!t) continue; /* a reader another client holds exclusively is not ours to probe */
    if (c->g && c->g->trace) t->trace = stderr;
    for (int r = 0; r < CF_CMCC_ROLES; r++) {
      cmcch_identity id = cmcch_cli_identify_role(t, (cf_cmcc_role)r, NULL);
      if (id == CMCCH_ID_NO_ANSWER) break;
      if (id == CMCCH_ID_NOT_THE_ROLE && !d->impostor[r][0])
        snprintf(d->impostor[r], sizeof d->impostor[r], "%s", t->name);
      if (id != CMCCH_ID_MATCH) continue;
      if (d->count[r] < 2) snprintf(d->reader[r][d->count[r]], sizeof d->reader[r][0], "%s", t->name);
      d->count[r]++;
      break; /* one device per card */
    }
    cf_transport_close(t);
  }
  d->done = true;
  return 0;
}

/* Connects the reader and checks, inside the session now held, that it still holds the role's
 * device: the card identified is the card that gets the PIN. */
static int connect_checked(cmcch_cli *c, cf_cmcc_role r, const char *reader, bool exact) {
  int code = CF_EXIT_TRANSPORT;
  cf_transport *t = cf_cli_connect_ex(c->g, reader, &code);
  if (!t) return code;
  if (exact && strcmp(t->name, reader) != 0) { /* the discovered reader went away */
    cf_transport_close(t);
    return cmcch_cli_fail(CF_EXIT_TRANSPORT, "%s: the reader went away", reader);
  }
  uint16_t sw = 0;
  cmcch_identity id = cmcch_cli_identify_role(t, r, &sw);
  if (id == CMCCH_ID_MATCH) {
    take(c, r, t);
    return 0;
  }
  char name[sizeof t->name], why[sizeof t->err];
  memcpy(name, t->name, sizeof name);
  memcpy(why, t->err, sizeof why);
  code = cf_cli_transport_exit(t);
  cf_transport_close(t);
  if (id == CMCCH_ID_NO_ANSWER) return cmcch_cli_fail(code, "%s: the card does not answer (%s)", name, why);
  if (id == CMCCH_ID_NOT_THE_ROLE)
    return cmcch_cli_fail(CF_EXIT_VERIFY,
                          "%s: the card accepts the %s's AID but its SELECT answer is not a %s's FCI", name,
                          role_label[r], role_label[r]);
  return cmcch_cli_fail(CF_EXIT_CARD, "%s: no %s there (SELECT answered SW %04X)", name, role_label[r], sw);
}

/* The one reader whose card answers as the role: a card that merely answers 9000, or a second card
 * claiming the role, is never sent a PIN (a card plugged in through vpcd by a network peer could
 * be either). */
static int autodetect(cmcch_cli *c, cf_cmcc_role r) {
  int rc;
  if (!c->found.done && (rc = discover(c)) != 0) return rc;
  const cmcch_discovery *d = &c->found;
  if (d->count[r] > 1)
    return cmcch_cli_fail(CF_EXIT_USAGE,
                          "two readers answer as the %s (%s and %s): name the right one with %s",
                          role_label[r], d->reader[r][0], d->reader[r][1], role_option[r]);
  if (d->count[r] == 1) return connect_checked(c, r, d->reader[r][0], true);
  if (d->impostor[r][0])
    return cmcch_cli_fail(CF_EXIT_VERIFY,
                          "no %s found: the card in reader %s accepts its AID but its SELECT answer is not "
                          "a %s's FCI (name the reader with %s)",
                          role_label[r], d->impostor[r], role_label[r], role_option[r]);
  return cmcch_cli_fail(CF_EXIT_TRANSPORT, "no %s found in any reader (name its reader with %s)",
                        role_label[r], role_option[r]);
}

int cmcch_cli_connect(cmcch_cli *c, cf_cmcc_role r) {
  if (c->host.card[r]) return 0;
  const char *reader = cmcch_opt(c, role_option[r]);
  if (!reader) return autodetect(c, r);
  return connect_checked(c, r, reader, false);
}

int cmcch_cli_card_role(cmcch_cli *c, cf_cmcc_role *r) {
  const char *v = cmcch_opt(c, "--card");
  if (!v) return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc %s: --card kmc|auth|work is required", c->cmd->name);
  if (strcmp(v, "kmc") == 0)
    *r = CF_CMCC_KMC;
  else if (strcmp(v, "auth") == 0 || strcmp(v, "authcard") == 0)
    *r = CF_CMCC_AUTH;
  else if (strcmp(v, "work") == 0 || strcmp(v, "workcard") == 0)
    *r = CF_CMCC_WORK;
  else
    return cmcch_cli_fail(CF_EXIT_USAGE, "cmcc %s: --card must be kmc, auth or work", c->cmd->name);
  /* the global --reader names the one card of a single-card command */
  if (!c->host.card[*r] && !cmcch_opt(c, role_option[*r]) && c->g && c->g->reader)
    return connect_checked(c, *r, c->g->reader, false);
  return 0;
}
