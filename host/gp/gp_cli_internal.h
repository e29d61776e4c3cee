/* What the files of `cardforge gp` share: the parsed options of one run, the channel, error
 * reporting, and each file's commands (gp_cli.c assembles one table from them). Private to
 * host/gp. */
#ifndef CARDFORGE_GP_CLI_INTERNAL_H
#define CARDFORGE_GP_CLI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"
#include "cardforge/gp_client.h"

typedef struct gp_key_opts {
  uint8_t enc[32], mac[32], dek[32];
  size_t enc_len, mac_len, dek_len;
  const char *p11_enc, *p11_mac, *p11_dek; /* channel keys in the token (pkcs11:LABEL), else NULL */
} gp_key_opts;

typedef struct gp_opts {
  const char *aid_hex, *level_text;
  int scp;
  int kvn;       /* channel: INITIALIZE UPDATE P1 (--key-ver) */
  int diversify; /* channel: CF_SCP_DIV_* (--diversify); the channel keys are masters */
  bool s16;      /* channel: SCP03 S16 mode (--s16) */
  gp_key_opts chan;
  /* command: put-key's new set (--new-kvn) or delete-key's (--delete-kvn), and key id */
  int cmd_kvn, cmd_id, replace;
  int new_diversify; /* put-key: CF_SCP_DIV_* (--new-diversify); the new keys are masters */
  const char *type_text;
  bool chain;
  gp_key_opts new_keys;
} gp_opts;

/* One run: the parsed options and the client; the context every command gets. */
typedef struct gp_run {
  cf_cli_opts opts;
  cf_cli_global global;
  gp_opts o;
  cf_gp_client c;
} gp_run;

/* Opens the secure channel the channel options describe (marks the transport for a reset at the
 * end). Returns an exit code, the failure reported. */
int gp_cli_open_channel(cf_gp_client *c, const gp_opts *o);
/* PUT KEY of the new key set (--new-*) through the open channel, as type, diversified with
 * --new-diversify from the channel's KDD; kcv gets the check values of the keys sent. Returns the
 * client's code; *undiversifiable (nothing sent) when the masters do not fit the method. */
int gp_cli_put_new_keys(cf_gp_client *c, const gp_opts *o, uint8_t type, uint8_t kcv[3][3],
                        bool *undiversifiable);
/* One line for a client failure; returns its exit code. */
int gp_cli_report(const cf_gp_client *c, int rc);
const char *gp_cli_level_name(uint8_t level);
/* An AID option or word: 5 to 16 bytes of hex, else a usage error naming what. */
int gp_cli_aid(const char *what, const char *hex, uint8_t aid[16], size_t *len);
/* Hex of at most cap bytes (min..cap), else a usage error naming what. */
int gp_cli_hex(const char *what, const char *hex, size_t min, uint8_t *out, size_t cap, size_t *len);
void gp_cli_print_hex(const uint8_t *b, size_t n);

/* argv with GlobalPlatformPro's command and diversification flags (-l, --list, --delete, --lock-card,
 * --install, --emv, ...) replaced by cardforge's words (gp_cli_aliases.c); malloc'ed, the strings
 * are argv's or constants. NULL when out of memory. */
char **gp_cli_gppro_aliases(int argc, char **argv, int *out_argc);

/* gp_cli_info.c: `info` and `keys` (their rows are in gp_cli.c's key_commands). */
int gp_cli_cmd_info(void *ctx);
int gp_cli_cmd_keys(void *ctx);

/* gp_cli_list.c: `list` (its row is in gp_content_commands). */
int gp_cli_cmd_list(void *ctx);

/* The commands of each file, in the order `cardforge gp --help` lists them. */
extern const cf_cli_command gp_content_commands[];
extern const size_t gp_content_command_count;
extern const cf_cli_command gp_lifecycle_commands[];
extern const size_t gp_lifecycle_command_count;
extern const cf_cli_command gp_apdu_commands[];
extern const size_t gp_apdu_command_count;
/* gp_cli_rotate.c: put-key over many readers; it opens its readers itself (no connection first) */
extern const cf_cli_command gp_rotate_commands[];
extern const size_t gp_rotate_command_count;
int gp_cli_cmd_rotate(void *ctx);

#endif
