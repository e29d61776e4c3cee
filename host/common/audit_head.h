/* The ceremony log's head file ("<log>.head", docs/security.md "Ceremony log"): how many lines the
 * log had after the last append and the hash of its last line, MACed when the log is. A hash chain
 * cannot see its own end being cut off or its last line changed; the head can. */
#ifndef CARDFORGE_AUDIT_HEAD_H
#define CARDFORGE_AUDIT_HEAD_H

#include <stddef.h>
#include <stdint.h>

#define CF_AUDIT_HEAD_SUFFIX ".head"

/* Records that the log at log_path now has `lines` lines, the last one's SHA-256 being last_hex.
 * The caller holds the log's lock. The head is replaced atomically (0600). Returns 0 or -1 with
 * err. */
int cf_audit_head_write(const char *log_path, size_t lines, const char *last_hex, const uint8_t *key,
                        size_t klen, char *err, size_t errlen);

/* Checks a log whose lines all verified against its head: `lines` lines, the last one hashing to
 * last_hex and the one before to before_hex (the genesis hash for one line). A head one line behind
 * is accepted (a crash between the two writes of an append). Returns 0, 1 with *bad (the line at
 * fault) and why, or -1 when the head cannot be read. */
int cf_audit_head_check(const char *log_path, size_t lines, const char *last_hex, const char *before_hex,
                        const uint8_t *key, size_t klen, size_t *bad, char *why, size_t whylen);

#endif
