/* Internal to `cardforge cmcc`: parsed options, connecting the device roles, PINs and key
 * references shared by the subcommands. */
#ifndef CLI_CMCC_INTERNAL_H
#define CLI_CMCC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/cmcc_host.h"

#define CMCCH_CLI_MAX_VALUES 16 /* values of a repeatable option (--key) */

typedef struct cmcch_cli cmcch_cli;

/* What probing the readers found (cli_cmcc_readers.c): for each role, the readers whose card
 * answers with the role's FCI (up to two are named) and one whose card accepts the AID without it. */
typedef struct cmcch_discovery {
  bool done;
  int count[CF_CMCC_ROLES];
  char reader[CF_CMCC_ROLES][2][128];
  char impostor[CF_CMCC_ROLES][128];
} cmcch_discovery;

struct cmcch_cli {
  const cf_cli_global *g;
  const cf_cli_command *cmd;
  cf_cli_global global; /* the global options, with those given after the command */
  cf_cli_opts opts;
  cf_cmcc_host host;
  cf_transport *owned[CF_CMCC_ROLES];
  cmcch_discovery found;
  cf_cmcc_hsm *hsm;
  /* Read KeyInfo of the KMC, read once when a key reference needs it */
  bool kmc_keys_read;
  int kmc_nkeys;
  uint8_t kmc_keys[64][CF_CMCC_ATTR_LEN];
  /* PINs read once per run (a prompt or standard input is asked once); wiped with the struct */
  int npins;
  struct {
    const char *option;
    uint8_t pin[8];
  } pins[8];
};

/* Options. */
const char *cmcch_opt(const cmcch_cli *c, const char *name); /* last value or NULL */
bool cmcch_flag(const cmcch_cli *c, const char *name);       /* given at all */
int cmcch_opt_count(const cmcch_cli *c, const char *name);
const char *cmcch_opt_at(const cmcch_cli *c, const char *name, int i);

/* Prints "cardforge: ..." and returns code. */
int cmcch_cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the host's recorded failure and returns its exit code. */
int cmcch_cli_host_fail(cmcch_cli *c);
/* Prints a host's recorded failure: one text line, or with --json one JSON error object. */
void cmcch_cli_print_host_error(const cf_cmcc_host *h);

/* Connects the card of a role (its option, or auto-detection by SELECT of the role's AID among
 * the readers holding a card). Returns 0 or an exit code (message printed). */
int cmcch_cli_connect(cmcch_cli *c, cf_cmcc_role r);
/* SELECT by the role's AID and the check of its answer: a master card or user card must answer
 * with its FCI naming that AID and the role's device code (9F0C); the SAM and the terminal answer
 * 9000 without data. A card is identified so before any PIN or key is sent to it. */
typedef enum cmcch_identity {
  CMCCH_ID_MATCH,        /* the role's device */
  CMCCH_ID_NO_ANSWER,    /* transport failure (t->err, t->fault) */
  CMCCH_ID_REFUSED,      /* SELECT answered another SW */
  CMCCH_ID_NOT_THE_ROLE, /* 9000, but the answer is not the role's FCI */
} cmcch_identity;
cmcch_identity cmcch_cli_identify_role(cf_transport *t, cf_cmcc_role r, uint16_t *sw_out);
/* "KMC", "authentication card", ... */
const char *cmcch_cli_role_label(cf_cmcc_role r);
/* True when cmcch_cli_identify_role matches (sw_out: the answer, 0 = no answer). */
bool cmcch_cli_select_role(cf_transport *t, cf_cmcc_role r, uint16_t *sw_out);
/* The role named by --card (kmc, auth, work). */
int cmcch_cli_card_role(cmcch_cli *c, cf_cmcc_role *r);

/* PINs: --kmc-pin / --auth-pin / --work-pin / --export-pin, else the environment variable
 * (CARDFORGE_KMC_PIN ...). Text: 16 hex digits, or exactly 8 characters taken as bytes. */
int cmcch_cli_pin(cmcch_cli *c, cf_cmcc_role r, bool export_pin, uint8_t pin[8]);
int cmcch_cli_parse_pin(const char *text, uint8_t pin[8]);
/* Secrets (cli_cmcc_secrets.c): the option's value (literal, warned about; @FILE; -), else the
 * environment variable env, else a prompt on a terminal (prompt NULL: none). *given false when the
 * secret is given nowhere. Return 0 or an exit code (reported). */
int cmcch_cli_secret(cmcch_cli *c, const char *option, const char *env, const char *prompt, bool confirm,
                     char *out, size_t cap, bool *given);
int cmcch_cli_secret_value(const char *value, const char *option, const char *env, const char *prompt,
                           bool confirm, char *out, size_t cap, bool *given);
/* A PIN (required: a message when it is given nowhere). */
int cmcch_cli_secret_pin(cmcch_cli *c, const char *option, const char *env, const char *prompt, bool confirm,
                         uint8_t pin[8]);
/* A 16-byte key value in hex from value (literal, @FILE, -) or env; *given false when neither. */
int cmcch_cli_secret_key(const char *value, const char *option, const char *env, uint8_t key[16],
                         bool *given);
/* Verifies the application PIN (02) of a master card. */
int cmcch_cli_verify_app_pin(cmcch_cli *c, cf_cmcc_role r);
/* Opens the KMC's enterprise rights: KMC and auth card connected, both application PINs, External
 * Authentication P2 = 02 through the authentication card (spec 4.1.1 + 4.1.2). */
int cmcch_cli_open_kmc(cmcch_cli *c);
/* Loads the HSM vault (--hsm, $CARDFORGE_CMCC_HSM, or <state dir>/cmcc-hsm.keys). */
int cmcch_cli_load_hsm(cmcch_cli *c);
const char *cmcch_cli_hsm_path(cmcch_cli *c, char *buf, size_t cap);

/* Key references "TT[/VV/II]" (type, version, index in hex). Without version/index, the KMC's
 * only key of that type (Read KeyInfo). vit = version, index, type as commands send them. */
int cmcch_cli_key_ref(cmcch_cli *c, const char *text, uint8_t default_type, uint8_t vit[3]);
/* Parses "TT/VV/II" strictly (no lookup). Returns 0, or -1 if malformed; *partial set when only
 * TT is given. */
int cmcch_parse_vit(const char *text, uint8_t vit[3], bool *partial);
/* "ID:VER=TT[/VV/II][@F1,F2,...]" (factors 8 bytes hex, level 1 last) or with ",plain" for
 * user keys. */
int cmcch_cli_target_key(cmcch_cli *c, const char *text, cf_cmcc_target_key *k, bool user);
/* Hex of exactly n bytes. */
bool cmcch_cli_hex(const char *text, uint8_t *out, size_t n);

/* Subcommands: each takes the run's cmcch_cli (the command table's cf_cli_command.run). */
int cmcch_cmd_verify_pin(void *ctx);
int cmcch_cmd_change_pin(void *ctx);
int cmcch_cmd_reload_pin(void *ctx);
int cmcch_cmd_auth(void *ctx);
int cmcch_cmd_keyinfo(void *ctx);
int cmcch_cmd_generate(void *ctx);
int cmcch_cmd_user_update(void *ctx);
int cmcch_cmd_import_key(void *ctx);
int cmcch_cmd_set_info(void *ctx);
int cmcch_cmd_make_working(void *ctx);
int cmcch_cmd_terminal_write(void *ctx);
int cmcch_cmd_sam_update(void *ctx);
int cmcch_cmd_hsm_init(void *ctx);
int cmcch_cmd_hsm_list(void *ctx);

#endif
