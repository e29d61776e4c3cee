/* `cardforge sim`: emulated cards plugged into pcscd through the vpcd driver.
 *
 * Each card is a TCP client of vpcd (reader N listens on base port + N). The wire protocol, both
 * ways, is a 2-byte big-endian length and a payload; a 1-byte payload from vpcd is a control code
 * (0 power off, 1 power on, 2 reset, 4 send the ATR), anything longer is a command APDU. */
#ifndef CARDFORGE_TOOLS_SIM_H
#define CARDFORGE_TOOLS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cardforge/card.h"
#include "cardforge/store.h"

#define CF_SIM_MAX_CARDS 16
#define CF_SIM_DEFAULT_PORT 35963

typedef struct cf_sim_card_spec {
  int reader;       /* reader index: the card connects to base_port + reader */
  char type[64];    /* profile name */
  char params[256]; /* profile params, "" when none */
} cf_sim_card_spec;

/* A timing model for one reader's card, or for every card without one (reader -1); the text form
 * of sim_timing.h. */
typedef struct cf_sim_timing_arg {
  int reader;
  char spec[128];
} cf_sim_timing_arg;

typedef struct cf_sim_options {
  cf_sim_card_spec cards[CF_SIM_MAX_CARDS];
  cf_sim_timing_arg timings[CF_SIM_MAX_CARDS + 1];
  size_t timing_count;
  size_t card_count;
  char host[64];
  int base_port;
  char state_dir[1024]; /* "" until resolved */
  bool fresh;           /* erase each card's state file first */
  bool memory;          /* keep card state in memory only */
  bool quiet;           /* no status lines */
  size_t config_cards;  /* filled by cf_sim_config_load: the cards from the file (they come first) */
} cf_sim_options;

void cf_sim_options_init(cf_sim_options *o);

/* "TYPE" or "TYPE:PARAMS": adds a card in the lowest free reader index. Returns 0 or -1 (err). */
int cf_sim_add_card_arg(cf_sim_options *o, const char *arg, char *err, size_t errlen);
/* Adds a card at a given reader index. Returns 0 or -1 (err: duplicate reader, too many...). */
int cf_sim_add_card(cf_sim_options *o, int reader, const char *type, const char *params, char *err,
                    size_t errlen);

/* "[READER:]SPEC" (--timing): a timing model for the card in READER, or for every card. The
 * model is checked here; a reader given twice is refused. Returns 0 or -1 (err). */
int cf_sim_add_timing_arg(cf_sim_options *o, const char *arg, char *err, size_t errlen);

/* Configuration file, one statement a line ('#' starts a comment):
 *   reader N TYPE [PARAMS]    card of profile TYPE in reader N (PARAMS: key=value,key=value; a
 *                             file giving secret parameters must be private, see sim_main.c)
 *   state-dir DIR             where card state files live (a --state-dir option wins)
 *   port BASE                 vpcd port of reader 0 (a --port option wins)
 *   host ADDR                 vpcd address (a --host option wins)
 *   timing [N] SPEC           timing model of reader N's card, or of every card (sim_timing.h)
 * Returns 0, -1 with err naming the file and line, or -2 if the file cannot be read. */
int cf_sim_config_load(const char *path, cf_sim_options *o, bool keep_state_dir, bool keep_port,
                       bool keep_host, char *err, size_t errlen);
/* One line of it (lineno for messages). */
int cf_sim_config_line(const char *line, cf_sim_options *o, bool keep_state_dir, bool keep_port,
                       bool keep_host, char *err, size_t errlen);

/* The state file of a card: DIR/readerN-TYPE.db (TYPE with unsafe characters replaced). */
int cf_sim_state_path(const cf_sim_options *o, const cf_sim_card_spec *c, char *out, size_t cap);

/* Checks of an existing state file (sim_state.c), before the card is made on it. */
enum { CF_SIM_STATE_OK = 0, CF_SIM_STATE_BROKEN, CF_SIM_STATE_CONTRADICTS, CF_SIM_STATE_FAILED };
/* Whether the store holds a card of c's type made with parameters that agree with c's. Sets
 * *new_card when the store is empty (the identity is then recorded after creation). */
int cf_sim_state_check(cf_store *store, const cf_sim_card_spec *c, const char *path, bool *new_card,
                       char *err, size_t errlen);
/* Records the card's type and creation parameters (params_known false: a card made before
 * identities were recorded). Returns 0 or -1. */
int cf_sim_state_record(cf_store *store, const cf_sim_card_spec *c, bool params_known);
/* Whether every record the profile's installation needs is there (checked on a copy in memory). */
int cf_sim_state_required(cf_store *store, const cf_card_profile *profile, const cf_sim_card_spec *c,
                          const char *path, char *err, size_t errlen);

/* Opens a card's store (its state file under o->state_dir, or memory) and makes the card on it,
 * refusing a state file that is not a sound card of this type made with these parameters: what
 * the emulator and the IFD handler (ifd/) serve. store_path receives the file's path. Returns 0,
 * or -1 with err and *exit_code (2 parameters, 6 the file, 1 internal); nothing stays open then. */
int cf_sim_card_open(const cf_sim_options *o, const cf_sim_card_spec *c, cf_store **store, cf_card **card,
                     char *store_path, size_t path_cap, char *err, size_t errlen, int *exit_code);

typedef struct cf_sim cf_sim;

/* Opens every card's store and builds the cards. Returns NULL with err on failure; *exit_code
 * says which CLI exit code fits (usage for an unknown type, file for a store that cannot open). */
cf_sim *cf_sim_new(const cf_sim_options *o, FILE *status, char *err, size_t errlen, int *exit_code);
/* Serves every card, reconnecting to vpcd as needed, until cf_sim_stop is called. Returns 0
 * then, -1 if the loop itself failed (poll), -2 if a card cannot get into its reader because
 * vpcd does not serve it (the reader holds another card; cf_sim_error says which). A card counts
 * as connected only once vpcd has sent it something. */
int cf_sim_run(cf_sim *s);
const char *cf_sim_error(const cf_sim *s);
/* Makes cf_sim_run return promptly, whatever it is doing (even a lone card blocked waiting for
 * its next command). Async-signal-safe, and callable from another thread. */
void cf_sim_stop(cf_sim *s);
/* Disconnects, frees the cards and closes their stores. */
void cf_sim_free(cf_sim *s);

#endif
