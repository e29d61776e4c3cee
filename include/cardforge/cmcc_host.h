/* China Mobile E-Card Pass, host side: the operator HSM (加密机) and the flows of spec chapter 4
 * ("母卡操作流程"), driving the key master card (KMC), the authentication card, the working master
 * card and the target devices (user card, SAM, terminal) through cf_transport.
 *
 * File formats, APDU sequences and exit codes: docs/cmcc-flows.md. Card-side constants and the
 * cryptographic constructions come from cmcc.h / cmcc_crypto.h (never duplicated here). */
#ifndef CARDFORGE_CMCC_HOST_H
#define CARDFORGE_CMCC_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardforge/error.h"
#include "cardforge/transport.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

#define CF_CMCC_ATTR_LEN                                                                                     \
  11 /* type, version, index, algorithm, import/export, diversification,                                     \
        status, usage counter (4) */
#define CF_CMCC_KEY_LEN 16

/* A key with its 11 attribute bytes (as Read KeyInfo / Generate Key / key records carry them). */
typedef struct cf_cmcc_key {
  uint8_t attrs[CF_CMCC_ATTR_LEN];
  uint8_t value[CF_CMCC_KEY_LEN];
  char label[64];
} cf_cmcc_key;

/* Parses the 8 attribute columns "TT VV II AL IO DV ST CCCCCCCC" shared by the HSM vault and the
 * key code sheet. Returns 0, or -1 with err filled. */
int cf_cmcc_parse_attr_columns(char **tok, int ntok, uint8_t attrs[CF_CMCC_ATTR_LEN], char *err,
                               size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * The operator HSM: a key vault in a text file, mode 0600 (refused when group or others have
 * any access). Format (docs/cmcc-flows.md):
 *   cardforge-cmcc-hsm 1
 *   key TT VV II AL IO DV ST CCCCCCCC VALUE [label]
 * one line per key, VALUE 32 hex digits; '#' starts a comment. Keys are found by type, version
 * and index; a (type, version, index) appears once. */
#define CF_CMCC_HSM_MAX_KEYS 64
typedef struct cf_cmcc_hsm cf_cmcc_hsm;

int cf_cmcc_hsm_load(const char *path, cf_cmcc_hsm **out, char *err, size_t errlen);
/* Parses a vault held in memory; name is used in error messages ("name:line: why"). */
int cf_cmcc_hsm_parse(const char *text, size_t len, const char *name, cf_cmcc_hsm **out, char *err,
                      size_t errlen);
cf_cmcc_hsm *cf_cmcc_hsm_new(void);
/* Adds a key; -1 if full, the label is unusable or (type, version, index) exists. */
int cf_cmcc_hsm_add(cf_cmcc_hsm *h, const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t value[16],
                    const char *label);
/* Writes the vault (mode 0600, via a temporary file: never half written). overwrite false
 * refuses an existing file. */
int cf_cmcc_hsm_save(const cf_cmcc_hsm *h, const char *path, bool overwrite, char *err, size_t errlen);
void cf_cmcc_hsm_free(cf_cmcc_hsm *h);
size_t cf_cmcc_hsm_count(const cf_cmcc_hsm *h);
const cf_cmcc_key *cf_cmcc_hsm_key_at(const cf_cmcc_hsm *h, size_t i);
/* The key of this type (version / index -1 = any). NULL with err filled when absent or when
 * several match. */
const cf_cmcc_key *cf_cmcc_hsm_find(const cf_cmcc_hsm *h, uint8_t type, int version, int index, char *err,
                                    size_t errlen);

/* HSM operations on a vault key k (from cf_cmcc_hsm_find). Each returns only what goes to a card.
 * External Authentication data: 3DES_k(R || 00000000). */
int cf_cmcc_hsm_auth_data(const cf_cmcc_hsm *h, const cf_cmcc_key *k, const uint8_t random[4],
                          uint8_t out[8]);
/* An Import Key record for the command cipp (80 D8 00 P2): out = 3DES-ECB_k(1B || attrs || value ||
 * 80000000) || MAC 9.19 over cipp || 24 || cipher with IV random || 00000000. */
int cf_cmcc_hsm_wrap_record(const cf_cmcc_hsm *h, const cf_cmcc_key *k, const uint8_t cipp[4],
                            const uint8_t random[4], const uint8_t attrs[CF_CMCC_ATTR_LEN],
                            const uint8_t value[16], uint8_t out[36]);
/* Any wrapped command (Update Info): out = cipher || MAC over cipp || Lc || cipher; out_len set. */
int cf_cmcc_hsm_wrap_data(const cf_cmcc_hsm *h, const cf_cmcc_key *k, const uint8_t cipp[4],
                          const uint8_t random[4], const uint8_t *plain, size_t len, uint8_t *out, size_t cap,
                          size_t *out_len);

/* ---------------------------------------------------------------------------------------------
 * The key code sheet (密钥码单) of the key-generation flow, mode 0600:
 *   cardforge-cmcc-keysheet 1
 *   seed <32 hex digits>
 *   key TT VV II AL IO DV ST CCCCCCCC      (1..255 lines: the Generate Key data, in order) */
#define CF_CMCC_SHEET_MAX_KEYS 255
typedef struct cf_cmcc_keysheet {
  uint8_t seed[16];
  size_t count;
  uint8_t attrs[CF_CMCC_SHEET_MAX_KEYS][CF_CMCC_ATTR_LEN];
} cf_cmcc_keysheet;

int cf_cmcc_keysheet_load(const char *path, cf_cmcc_keysheet *s, char *err, size_t errlen);
int cf_cmcc_keysheet_parse(const char *text, size_t len, const char *name, cf_cmcc_keysheet *s, char *err,
                           size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * Batch card lists: one card per line, "SERIAL [READER]": the card's 8-byte serial in hex, and
 * optionally the reader holding it (name, substring or index, as --reader takes). */
typedef struct cf_cmcc_card_entry {
  uint8_t serial[8];
  char reader[128]; /* "" = the batch's default user-card reader */
} cf_cmcc_card_entry;

typedef struct cf_cmcc_cardlist {
  cf_cmcc_card_entry *cards;
  size_t count, cap;
} cf_cmcc_cardlist;

int cf_cmcc_cardlist_load(const char *path, cf_cmcc_cardlist *l, char *err, size_t errlen);
int cf_cmcc_cardlist_parse(const char *text, size_t len, const char *name, cf_cmcc_cardlist *l, char *err,
                           size_t errlen);
void cf_cmcc_cardlist_free(cf_cmcc_cardlist *l);

/* ---------------------------------------------------------------------------------------------
 * Flows. A host holds one transport per device role (NULL where a flow does not need it) and the
 * HSM when a flow goes "通过加密机". Every flow function returns 0 (or a count where it says so),
 * or a negative CF_CMCC_E_* code (error.h's codes) with the failure recorded in the host: status
 * (the same code), the refusing status word, the step, a message (the per-handle detail). */
typedef enum cf_cmcc_role {
  CF_CMCC_KMC = 0,  /* key master card (密钥母卡) */
  CF_CMCC_AUTH,     /* authentication card (母卡认证卡) */
  CF_CMCC_WORK,     /* working master card (工作母卡) */
  CF_CMCC_USER,     /* user card (RF-SIM) */
  CF_CMCC_SAM,      /* SAM card */
  CF_CMCC_TERMINAL, /* terminal */
  CF_CMCC_ROLES
} cf_cmcc_role;

/* A flow's result (and cf_cmcc_host.status): error.h's codes of the same meaning. A failed flow
 * returns its code and records it with the step and one line of detail in the host. */
enum {
  CF_CMCC_OK = CF_OK,
  CF_CMCC_E_CARD = CF_ERR_CARD,           /* a card answered a status word other than 9000 (sw says which) */
  CF_CMCC_E_TRANSPORT = CF_ERR_TRANSPORT, /* the reader or PC/SC failed */
  CF_CMCC_E_VERIFY = CF_ERR_VERIFY,       /* a result did not match (response layout, read-back, proof) */
  CF_CMCC_E_INPUT = CF_ERR_ARG,           /* bad parameters, missing device or key */
  CF_CMCC_E_INTERNAL = CF_ERR_INTERNAL,
  /* another program reset or used a card during the session (transport.h) */
  CF_CMCC_E_SHARED = CF_ERR_SHARED,
};

typedef struct cf_cmcc_host {
  cf_transport *card[CF_CMCC_ROLES]; /* not owned */
  const cf_cmcc_hsm *hsm;            /* not owned; NULL when no flow step needs it */
  int status;                        /* CF_CMCC_OK or the first failure */
  uint16_t sw;                       /* with CF_CMCC_E_CARD: the card's answer */
  char step[96];                     /* "KMC External Authentication", ... */
  char message[256];                 /* one line, no secrets */
  /* Keys a multi-key flow (generate, make-working, sam-update) completed, valid after it failed:
   * the partial result the command reports. */
  size_t done;
} cf_cmcc_host;

void cf_cmcc_host_init(cf_cmcc_host *h);
/* Forgets a recorded failure (batches reuse the host). */
void cf_cmcc_host_clear(cf_cmcc_host *h);
/* The exit code (cli.h) for the recorded status. */
int cf_cmcc_exit_code(const cf_cmcc_host *h);
/* Prints the recorded failure as one line "cardforge: <step>: <message>" on f. */
void cf_cmcc_print_error(const cf_cmcc_host *h, FILE *f);

/* The PIN references of a master card (the same values as cmcc.h's CMCC_PIN_*). */
#define CF_CMCC_PIN_MAIN 0x01
#define CF_CMCC_PIN_APP 0x02
#define CF_CMCC_PIN_EXPORT 0x03

/* 4.1.1: Verify PIN (F0 20 00 ref 08) on a master card. ref CF_CMCC_PIN_MAIN/APP/EXPORT. The PIN is
 * never traced. */
int cf_cmcc_verify_pin(cf_cmcc_host *h, cf_cmcc_role r, uint8_t ref, const uint8_t pin[8]);
/* Change PIN (F0 24 00 ref 10: old || new) and Reload PIN (F0 26 00 ref 08, after the operator's
 * External Authentication). */
int cf_cmcc_change_pin(cf_cmcc_host *h, cf_cmcc_role r, uint8_t ref, const uint8_t old_pin[8],
                       const uint8_t new_pin[8]);
int cf_cmcc_reload_pin(cf_cmcc_host *h, cf_cmcc_role r, uint8_t ref, const uint8_t new_pin[8]);

/* 4.1.2: the KMC authenticates the authentication card's master-card master key: Get Challenge on
 * the KMC, Encrypt Data (length 0) on the authentication card, External Authentication P2 = 02 on
 * the KMC. The authentication card must have its PIN verified. */
int cf_cmcc_auth_kmc_via_authcard(cf_cmcc_host *h);
/* External authentication "通过加密机": Get Challenge on card r, the HSM's key of the type that P2
 * names on that card (KMC 01 -> 01; auth card 00 -> 03; working card 01 -> 04, 02 -> 05;
 * version / index -1 = the HSM's only key of that type), External Authentication. */
int cf_cmcc_auth_via_hsm(cf_cmcc_host *h, cf_cmcc_role r, uint8_t p2, int version, int index);
/* The key type External Authentication P2 names on a card of role r, or 0. */
uint8_t cf_cmcc_auth_key_type(cf_cmcc_role r, uint8_t p2);

/* 4.1.3: INIT_FOR_GENERATE with the sheet's seed and count, then one Generate Key per line. The
 * KMC must hold PIN 02 and the master-card master key authentication. */
int cf_cmcc_generate(cf_cmcc_host *h, const cf_cmcc_keysheet *s);
/* Proof by use of generated keys: for each sheet key the KMC may compute with, an Inst_MAC
 * Generate (no session key, 9.19, one level of diversification when the key requires it) whose
 * MAC must equal the host's own computation from the seed. checked / skipped count the keys. */
int cf_cmcc_check_generated(cf_cmcc_host *h, const cf_cmcc_keysheet *s, size_t *checked, size_t *skipped);

/* Proof by use of a key the KMC holds and the host knows (generated, imported): Inst_MAC
 * Generate with it (no session key, 9.19; one level of diversification when its usage requires,
 * 16-byte factors for the SAM initial master key) must equal the host's MAC with value. Returns 1
 * proved, 0 when the KMC may not compute with such a key (master keys, usage 3..5, counted keys),
 * a negative code on failure (a mismatch is CF_CMCC_E_VERIFY). */
int cf_cmcc_prove_kmc_key(cf_cmcc_host *h, const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t value[16]);

/* Reads the KMC's (or another master card's) key attributes with Read KeyInfo: fills up to max
 * records and returns the count, or a negative code. */
int cf_cmcc_read_keyinfo(cf_cmcc_host *h, cf_cmcc_role r, uint8_t (*attrs)[CF_CMCC_ATTR_LEN], size_t max);

/* What a target reports about itself with GET DATA (00 CA 00 tag, docs/cmcc-profile.md 2.1): the
 * user card's 8-byte serial (tag C1), the SAM's 16-byte diversification factor (tag C2). Return 0,
 * or -1 with the failure recorded (CF_CMCC_E_CARD and the card's SW when it does not report it). */
int cf_cmcc_read_serial(cf_cmcc_host *h, uint8_t serial[8]);
int cf_cmcc_read_factor(cf_cmcc_host *h, uint8_t factor[16]);

/* 4.1.4: user-card key and data update through Export Keys&Data (P1 = 00: 8-byte factors, session
 * key, MAC 9.19), the export key being the enterprise management key diversified by the card
 * serial. What to write into one sub-application: */
#define CF_CMCC_JOB_MAX_KEYS 8
typedef struct cf_cmcc_target_key {
  uint8_t id, version;    /* the key's id and version in the target */
  uint8_t kmc_vit[3];     /* the KMC key exported: version, index, type */
  size_t levels;          /* levels of diversification; user cards: 0, or 1 = by the card serial */
  uint8_t factors[3 * 8]; /* SAM keys: the factors, level 1 last (user cards: filled per card) */
} cf_cmcc_target_key;

typedef struct cf_cmcc_user_job {
  uint8_t subapp;     /* 01..08 */
  uint8_t emk_vit[3]; /* export key: version, index, type (08) */
  bool create;        /* CREATE SUB_APPLICATION with eid and the keys */
  uint8_t eid[6];
  size_t data_len; /* UPDATE SUB_APPLICATION DATA when > 0 */
  uint8_t data[64];
  size_t nkeys; /* UPDATE SUB_APPLICATION KEYS (or the CREATE's keys) */
  cf_cmcc_target_key keys[CF_CMCC_JOB_MAX_KEYS];
  bool verify; /* prove each key by use (VERIFY MAC) and read the sub-application back */
  /* Before the first export the card must report (GET DATA) the serial the caller names, else
   * nothing is written (CF_CMCC_E_VERIFY). skip_serial_check: for cards that cannot report it;
   * a wrong card then refuses the first write's MAC (6988). */
  bool skip_serial_check;
} cf_cmcc_user_job;

int cf_cmcc_user_update(cf_cmcc_host *h, const cf_cmcc_user_job *job, const uint8_t serial[8]);

/* A batch over a card list: for each card, open its transport (user-supplied: a reader, or an
 * in-process emulated card), run the job, close; stop at the first failure. Progress lines on
 * progress (NULL = none) at most once per second; the summary is the caller's. */
typedef struct cf_cmcc_batch {
  cf_transport *(*open_card)(void *ctx, const cf_cmcc_card_entry *e, char *err, size_t errlen);
  void (*close_card)(void *ctx, cf_transport *t, const cf_cmcc_card_entry *e, bool ok);
  void *ctx;
  FILE *progress;
  size_t start; /* index of the first card to do (resume) */
  /* Polled before each card (NULL: never): nonzero stops the batch there, the card before it being
   * finished (a SIGINT / SIGTERM flag: cardforge/batch_interrupt.h). */
  int (*stop_requested)(void);
  /* results */
  size_t done;    /* cards completed in this run */
  size_t failed;  /* index of the card that failed, valid when the batch returned -1 */
  int stopped;    /* what stop_requested returned when it stopped the batch (0: not stopped); the
                     next card to do is then start + done */
  double seconds; /* wall time of the run */
  /* Parallel batches (docs/cmcc-flows.md, "Parallel batches"). workers > 1 runs one POSIX thread
   * per worker; each worker opens its cards through open_card / close_card with worker_ctx[w] as
   * ctx (worker_ctx NULL: ctx for all; the callbacks must then be thread-safe). Every other card the
   * host holds (the KMC) is shared: one command exchange at a time under a mutex, inside the one
   * PC/SC transaction the command already holds on it. A worker takes the lowest-numbered card
   * left that it may do (assign[i] == its index, or -1 / assign NULL: any worker); a worker whose
   * card fails stops, the others go on; an interrupt stops every worker before its next card. */
  size_t workers;
  void **worker_ctx;
  const int *assign;
  /* Per card of the list (count entries, or NULL): skip[i] nonzero leaves card i out (resume by
   * line list); outcome[i] is written with CF_CMCC_CARD_*; worker_of[i] the worker that did it. */
  const uint8_t *skip;
  uint8_t *outcome;
  int *worker_of;
  /* One failure record per worker (workers entries, or NULL): the failure of the card it stopped
   * at (status CF_CMCC_OK when it did not fail). The host h gets the lowest-numbered card's. */
  cf_cmcc_host *worker_failure;
  size_t *worker_done; /* cards each worker completed (workers entries, or NULL) */
  /* Names for the progress line (workers entries, or NULL: "w1", "w2", ...). */
  const char *const *worker_name;
} cf_cmcc_batch;

enum { CF_CMCC_CARD_NOT_RUN = 0, CF_CMCC_CARD_DONE, CF_CMCC_CARD_FAILED };
#define CF_CMCC_BATCH_MAX_WORKERS 64

int cf_cmcc_user_batch(cf_cmcc_host *h, const cf_cmcc_user_job *job, const cf_cmcc_cardlist *l,
                       cf_cmcc_batch *b);

/* 4.1.5: initial key import through the authentication card: Get Challenge on the KMC, Encrypt
 * Data (the key record) and MAC Generate (over 80 D8 00 02 24 || cipher) on the authentication
 * card, Import Key P2 = 02 on the KMC. For the level-2 keys (terminal initial key, SAM initial
 * master key). */
int cf_cmcc_import_via_authcard(cf_cmcc_host *h, const uint8_t attrs[CF_CMCC_ATTR_LEN],
                                const uint8_t value[16]);
/* Key import "通过加密机": the HSM wraps the record under wrap (a vault key) for Import Key P2 on
 * card r, with r's Get Challenge random. */
int cf_cmcc_import_via_hsm(cf_cmcc_host *h, cf_cmcc_role r, uint8_t p2, const cf_cmcc_key *wrap,
                           const uint8_t attrs[CF_CMCC_ATTR_LEN], const uint8_t value[16]);
/* Update Info (80 D8 00 00) "通过加密机": type || length || data wrapped under wrap. */
int cf_cmcc_update_info_via_hsm(cf_cmcc_host *h, cf_cmcc_role r, const cf_cmcc_key *wrap, uint8_t type,
                                const uint8_t *data, size_t len);

/* 4.1.6: working-card production. For each key: Get Challenge on the working card, CopyExport
 * Key (P2 00) on the KMC under the export key, Import Key on the working card with the returned
 * record; then the working card's Read KeyInfo must show the KMC's attributes. */
typedef struct cf_cmcc_copy_job {
  uint8_t export_vit[3]; /* the working-card master key on the KMC: version, index, type (05) */
  size_t nkeys;
  uint8_t key_vit[CF_CMCC_JOB_MAX_KEYS][3];
} cf_cmcc_copy_job;

int cf_cmcc_make_working_card(cf_cmcc_host *h, const cf_cmcc_copy_job *job);

/* 4.1.7: terminal key writing, relayed between the working card and the terminal (MAC1..MAC4).
 * verify: then prove the terminal's sub-application key by use against the KMC (needs the KMC
 * with PIN and authentication): VERIFY MAC on the terminal with an Inst_MAC Generate of the
 * terminal application key diversified by the sub-application factor. */
typedef struct cf_cmcc_terminal_job {
  uint8_t subapp_index; /* 01..FF */
  uint8_t key_version;
  bool verify;
  uint8_t tak_vit[3]; /* with verify: the terminal application key on the KMC */
} cf_cmcc_terminal_job;

int cf_cmcc_terminal_write(cf_cmcc_host *h, const cf_cmcc_terminal_job *job);

/* 4.1.8: SAM key update: for each key, Get Challenge on the SAM, Export Keys&Data (P1 = 41: the
 * SAM initial master key diversified by the SAM's 16-byte factor, no session key, 9.19), WRITE_KEY
 * to the SAM; verify proves each key by use (VERIFY MAC). The factor is the one the SAM reports
 * (GET DATA); factor_given: the caller's factor, for SAMs that cannot report theirs (one that
 * reports another factor stops the job before any export: CF_CMCC_E_VERIFY). */
typedef struct cf_cmcc_sam_job {
  bool factor_given;
  uint8_t factor[16];
  uint8_t imk_vit[3]; /* the SAM initial master key on the KMC: version, index, type (0A) */
  size_t nkeys;
  cf_cmcc_target_key keys[CF_CMCC_JOB_MAX_KEYS];
  bool verify;
} cf_cmcc_sam_job;

int cf_cmcc_sam_update(cf_cmcc_host *h, const cf_cmcc_sam_job *job);

/* The Export Keys&Data request of the KMC (spec table 8-2-11), and the write-card command the
 * host builds from its answer: CIPP || Lc || cipher || MAC. */
typedef struct cf_cmcc_export_req {
  uint8_t p1;
  uint8_t cipp[4];
  uint8_t random[4];
  size_t export_levels;
  const uint8_t *export_factors; /* export_levels x (8 or 16) bytes, level 1 last */
  uint8_t export_vit[3];
  size_t nkeys;
  const cf_cmcc_target_key *keys;
  size_t tattr_len;      /* target key attribute length (id || version: 2) */
  const uint8_t *prefix; /* NULL = none */
  size_t prefix_len;
  const uint8_t *suffix;
  size_t suffix_len;
} cf_cmcc_export_req;

/* Encodes the request's data field; returns its length or 0 if it does not fit / is invalid. */
size_t cf_cmcc_export_encode(const cf_cmcc_export_req *req, uint8_t *out, size_t cap);
/* Runs Export Keys&Data on the KMC and builds the write-card command in apdu. */
int cf_cmcc_export(cf_cmcc_host *h, const cf_cmcc_export_req *req, uint8_t *apdu, size_t cap,
                   size_t *apdu_len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
