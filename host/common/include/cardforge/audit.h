/* The ceremony log: one JSON line per command that changed (or tried to change) keys on a card or
 * in the token, appended to an append-only, hash-chained file (docs/security.md "Ceremony log").
 *
 * Each line is a JSON object written by jansson in one canonical form (compact, ASCII, keys in the
 * order written): seq (1, 2, ...: the line number), time (UTC, ISO 8601), prev (hex SHA-256 of the
 * previous line's bytes without its newline; of CF_AUDIT_GENESIS for the first), command, reader,
 * result ("ok" / "failed"), sw (the card's last status word, hex, when there was one), exit, the
 * event's own fields (card identity, key ids, versions, KCVs: never a key), and, when a key is
 * configured, mac (hex HMAC-SHA256 of the line as written without mac). Removing, reordering or
 * editing a line breaks seq or the next line's prev; with a key, rewriting the whole file is
 * caught too, since the MACs cannot be recomputed without it. */
#ifndef CARDFORGE_AUDIT_H
#define CARDFORGE_AUDIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cardforge/cli.h"

#define CF_AUDIT_GENESIS "cardforge ceremony log v1"
#define CF_AUDIT_FILE "audit.log" /* in the state directory */
#define CF_AUDIT_KEY_MIN 16       /* bytes of the HMAC key (given as hex) */
#define CF_AUDIT_KEY_MAX 64
#define CF_AUDIT_ENV_LOG "CARDFORGE_AUDIT_LOG" /* the log's path, like --audit-log */
#define CF_AUDIT_ENV_KEY "CARDFORGE_AUDIT_KEY" /* the HMAC key, like --audit-key */

/* Where the log is and how it is MACed, for this process: --audit-log / --audit-key (the value as
 * given: @FILE, - or hex). NULL keeps the current setting; without one the defaults apply
 * (CARDFORGE_AUDIT_LOG, else the state directory; CARDFORGE_AUDIT_KEY, else no MAC). The key is read
 * each time it is needed. */
void cf_audit_configure(const char *log_path, const char *key_option);

/* The log's path for g (the configured one, else the environment's, else
 * <state dir>/audit.log). Returns 0, or -1 when there is no state directory or it is too long. */
int cf_audit_path(const cf_cli_global *g, char *out, size_t cap);

/* The HMAC key configured (option, else environment): 1 with key/len set, 0 when none, -1 with err
 * (not hex, wrong length, empty variable), -2 with err (the file or standard input unusable: missing,
 * too open). */
int cf_audit_key(uint8_t key[CF_AUDIT_KEY_MAX], size_t *len, char *err, size_t errlen);

/* Appends one event to the log at path under its lock (O_APPEND, fsync, mode 0600). fields is a
 * jansson json_pack format of an object ("{s:i, s:s}") with its arguments in ap, or NULL; key/klen
 * the HMAC key or NULL. sw 0 means no status word. Returns 0, or -1 with err filled. */
int cf_audit_append_v(const char *path, const uint8_t *key, size_t klen, const char *command,
                      const char *reader, unsigned sw, int exit_code, const char *fields, va_list ap,
                      char *err, size_t errlen);
int cf_audit_append(const char *path, const uint8_t *key, size_t klen, const char *command,
                    const char *reader, unsigned sw, int exit_code, const char *fields, ...);

/* The CLI's hook, one line in a handler after the card answered: appends to the configured log
 * (cf_audit_path, cf_audit_key); reader NULL means the one noted by cf_cli_connect, "" none (the
 * token). A failure to
 * record is a warning on stderr (the card has changed already; the command's exit code stays). */
void cf_audit_record(const cf_cli_global *g, const char *reader, const char *command, unsigned sw,
                     int exit_code, const char *fields, ...);

/* Hex of a few public bytes (a UID, a check value) for a hook's fields, without a buffer of its
 * own: one of 8 rotating per-thread buffers of CF_AUDIT_HEX_MAX bytes (longer input is cut). */
#define CF_AUDIT_HEX_MAX 64
const char *cf_audit_hex(const uint8_t *bytes, size_t len);
/* The check value of a DES / 3DES key (klen 8, 16 or 24) in the same buffers: the first 3 bytes
 * of 3DES-ECB(key, 8 x 00), the usual way to name a key without showing it. "" on failure. */
const char *cf_audit_kcv_des(const uint8_t *key, size_t klen);

/* A list of a variable number of items for an event (the keys of a vault, ...): items are
 * json_pack formats with their arguments; the list goes into the event with "o" in fields, which
 * takes it over (pass it to exactly one cf_audit_record). NULL when out of memory. */
typedef struct cf_audit_list cf_audit_list;
cf_audit_list *cf_audit_list_new(void);
void cf_audit_list_add(cf_audit_list *list, const char *item, ...);

/* Checks the whole log, then its head file ("<path>.head", written after every append: the line
 * count and the last line's hash, MACed with the key), which shows lines removed at the end and a
 * changed last line. key NULL: the chain only (MACs present are not checked). Returns 0 with
 * *lines the count; 1 with *bad_line (1-based) and why filled for the first bad line; -1 with why
 * filled when the file cannot be read. */
int cf_audit_verify(const char *path, const uint8_t *key, size_t klen, size_t *lines, size_t *bad_line,
                    char *why, size_t whylen);

/* Prints the log: a table (seq, time, command, reader, result, SW, then the event's own fields as
 * compact JSON), or with as_json the lines themselves (JSON Lines). A line that is not a JSON object
 * is shown as "(unreadable)". Returns 0, or -1 with err when the file cannot be read. */
int cf_audit_show(const char *path, bool as_json, FILE *out, char *err, size_t errlen);

#endif
