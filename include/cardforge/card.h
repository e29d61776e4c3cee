/* The card runtime: a card is an ATR, a set of applications and persistent memory.
 *
 * The runtime parses each command APDU, answers SELECT by AID and GET RESPONSE, reassembles
 * ISO 7816-4 command chaining (CLA b5), and gives every other command to the selected
 * application. Each command runs inside a store transaction: it commits when the application
 * answers a success or warning (90xx, 61xx, 62xx, 63xx) and rolls back otherwise, so an error
 * never changes persistent state. An application that must make something durable before it
 * answers (a retry counter) calls cf_store_checkpoint. */
#ifndef CARDFORGE_CARD_H
#define CARDFORGE_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/apdu.h"
#include "cardforge/store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

typedef struct cf_card cf_card;
typedef struct cf_applet cf_applet;

typedef struct cf_applet_ops {
  const char *name;
  size_t ctx_size; /* transient context allocated (zeroed) by the runtime */
  /* Called when the card is created or reopened: create missing persistent records (inside a
   * transaction the runtime commits), load nothing that a later read cannot get from the store.
   * params: the applet's own "key=value,key=value" options, or "" (never NULL). Returns 0 or -1. */
  int (*install)(cf_applet *app, const char *params);
  /* Power on, reset, or power off: forget all transient state. */
  void (*reset)(cf_applet *app);
  /* A SELECT naming this applet's AID (or an implicit selection when it is the default): the Java
   * Card select() and the processing of the SELECT APDU in one. Returns the status word; the applet
   * is selected afterwards unless it answers 6999 (SW_APPLET_SELECT_FAILED: it declines). */
  uint16_t (*select)(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp);
  /* Another application was selected. May be NULL. */
  void (*deselect)(cf_applet *app);
  /* Every command but SELECT (by AID) and GET RESPONSE. A SELECT that selects no applet (an unknown
   * AID, no data on a card without a default, another class or P2, select by file id) also comes
   * here, as on a Java Card: its answer is the application's. */
  uint16_t (*process)(cf_applet *app, const cf_apdu *cmd, cf_rapdu *resp);
  /* Releases what install allocated beyond ctx. May be NULL. */
  void (*destroy)(cf_applet *app);
} cf_applet_ops;

struct cf_applet {
  const cf_applet_ops *ops;
  cf_card *card;
  cf_store *store;
  uint16_t ns; /* store namespace: use CF_STORE_KEY(app->ns, rec) for every record */
  uint8_t aid[16];
  size_t aid_len;
  void *ctx;
  /* The params the applet was added with (a copy the runtime owns and wipes: they may hold keys),
   * so a card manager can install the instance again as the card was built. Never NULL. */
  const char *params;
};

/* ---- Command tables ----
 * Every application lists its commands in one table: a row per instruction (per class too where
 * the class matters) names the INS constant, the security conditions and the handler. The
 * application's dispatcher finds the row with cf_command_find and checks the row's conditions
 * where the card has always checked them, the order of status words being part of the card's
 * behaviour: before the handler (Keycard, GlobalPlatform), or through one check function the
 * handler calls after its parameter checks (China Mobile). docs/architecture.md has the picture. */

/* The security conditions a command needs before its handler runs; a row ORs them. */
enum {
  CF_ACCESS_NONE = 0,                /* none (the handler may still refuse by rules of its own) */
  CF_ACCESS_CHANNEL_SETUP = 1 << 0,  /* opens the secure channel: before any unwrapping, checks its state */
  CF_ACCESS_SECURE_CHANNEL = 1 << 1, /* comes inside the open secure channel, its MAC verified */
  CF_ACCESS_PIN = 1 << 2,            /* the user's PIN verified in this session */
  CF_ACCESS_AUTHENTICATED = 1 << 3,  /* the host authenticated itself with a key (EXTERNAL AUTHENTICATE) */
};
typedef uint8_t cf_command_access;

/* A row with this class matches every class the application accepts. */
#define CF_CLA_ANY 0xFF

/* One command of an application. A table ends with a row whose handler is NULL. */
typedef struct cf_command {
  uint8_t cla;
  uint8_t ins;
  cf_command_access access;
  /* request: the application's per-command request, a cf_apdu_request unless the application
   * says otherwise (the Keycard's carries its secure channel state) */
  uint16_t (*handler)(void *request);
} cf_command;

/* The request of a handler that needs the command and the response only. */
typedef struct cf_apdu_request {
  cf_applet *app;
  const cf_apdu *cmd; /* as the handler must see it: unwrapped if it came protected */
  cf_rapdu *resp;
} cf_apdu_request;

/* The row for (cla, ins): the first with this INS whose class is cla or CF_CLA_ANY (pass CF_CLA_ANY
 * as cla to match on INS alone). NULL if none; *ins_known (may be NULL) then tells whether a row
 * has the INS in another class. */
static inline const cf_command *cf_command_find(const cf_command *table, uint8_t cla, uint8_t ins,
                                                bool *ins_known) {
  bool known = false;
  for (const cf_command *row = table; row->handler; row++) {
    if (row->ins != ins) continue;
    known = true;
    if (cla == CF_CLA_ANY || row->cla == CF_CLA_ANY || row->cla == cla) return row;
  }
  if (ins_known) *ins_known = known;
  return NULL;
}

/* How the card delivers response data longer than the host asked for. */
typedef enum {
  /* T=1 style: data is returned whatever Le says (Le absent or 00 = all, up to 256 for a short
   * command); only data beyond what one response can carry is left for GET RESPONSE (61XX). */
  CF_RESP_T1 = 0,
  /* T=0 style (China Mobile spec 1.1, "方式 2"): a command that carried data (case 4) answers
   * 61XX and leaves all response data for GET RESPONSE; a case-2 command whose Le is larger than
   * the data answers 6CXX; a smaller Le gets Le bytes and 61XX for the rest. */
  CF_RESP_T0 = 1,
} cf_resp_mode;

cf_card *cf_card_new(cf_store *store, const uint8_t *atr, size_t atr_len, cf_resp_mode mode);
void cf_card_free(cf_card *card); /* does not close the store */

/* Adds an application. The first added with is_default set is selected at power on (also for
 * SELECT with no data). Returns the applet or NULL. Applets keep the order they are added in:
 * their store namespace is that index + 1, so a card must add them in the same order every time. */
cf_applet *cf_card_add_applet(cf_card *card, const cf_applet_ops *ops, const uint8_t *aid, size_t aid_len,
                              const char *params, bool is_default);

/* Power on / warm reset / power off: clears every applet's transient state and the selection. */
void cf_card_power_on(cf_card *card);
void cf_card_power_off(cf_card *card);

/* Processes one command APDU; writes response data || SW1 SW2 and returns its length (>= 2). */
size_t cf_card_transmit(cf_card *card, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t resp_cap);

const uint8_t *cf_card_atr(const cf_card *card, size_t *len);
cf_store *cf_card_store(const cf_card *card);
cf_applet *cf_card_selected(const cf_card *card);
/* The card's applications in the order they were added (a card manager lists them). */
size_t cf_card_applet_count(const cf_card *card);
cf_applet *cf_card_applet_at(const cf_card *card, size_t index); /* NULL past the end */
/* A card manager's say over selection (GlobalPlatform: a locked application, a locked card): the
 * runtime asks gate(ctx, a) before selecting a by AID, at power on too, and treats a refused
 * application as absent. NULL removes the gate. */
typedef bool (*cf_select_gate)(void *ctx, const cf_applet *a);
void cf_card_set_select_gate(cf_card *card, cf_select_gate gate, void *ctx);
/* The runtime's response buffer capacity: the most data one command may produce. */
#define CF_CARD_MAX_RESPONSE 4096

/* Card profiles: named kinds of card ("keycard", "gp", "kmc", ...). A card application exports
 * its profiles; the card-type registry (cardforge/registry.h) lists those of the build. */
typedef struct cf_card_profile {
  const char *name;
  const char *summary;
  /* Builds the card on the given store: ATR, applets in a fixed order. params as for install. */
  cf_card *(*create)(cf_store *store, const char *params);
} cf_card_profile;

/* Small helper for applets: reads "key=value" from a params string. Returns true and copies
 * the value (NUL-terminated) if present. */
bool cf_params_get(const char *params, const char *key, char *value, size_t cap);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
