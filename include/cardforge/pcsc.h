/* PC/SC helpers beyond transport.h: reader status with ATR, and the reader-choosing rule that
 * cf_transport_open_pcsc applies (separate so it can be tested without pcscd). */
#ifndef CARDFORGE_PCSC_H
#define CARDFORGE_PCSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

#define CF_PCSC_MAX_READERS 16
#define CF_PCSC_MAX_ATR 33

typedef struct cf_pcsc_reader {
  char name[128];
  bool has_card;
  uint8_t atr[CF_PCSC_MAX_ATR]; /* valid when has_card */
  size_t atr_len;
} cf_pcsc_reader;

/* Lists the readers pcscd knows with their card state. Returns the count (0 is not an error),
 * or -1 with err filled (one line). */
int cf_pcsc_readers(cf_pcsc_reader *out, int max, char *err, size_t errlen);

/* Chooses a reader among names[0..count-1]:
 *   want NULL or ""          the first reader holding a card;
 *   exactly a reader's name  that reader;
 *   all decimal digits       that index in the list;
 *   otherwise                the one reader whose name contains want (case-insensitive); two or
 *                            more such readers is an error (ambiguous).
 * Returns the index, or -1 with err filled (one line). has_card may be NULL when want is set. */
int cf_pcsc_match_reader(const char *const *names, const bool *has_card, int count, const char *want,
                         char *err, size_t errlen);

/* The full name of the reader that cf_transport_open_pcsc would choose for want (NULL or "":
 * the first reader holding a card). Returns 0, or -1 with err filled. Programs that hold several
 * readers at once open them in the order of these names, so two of them never wait for each other
 * in a circle (each holds a PC/SC transaction on every card it has open). */
int cf_pcsc_resolve_reader(const char *want, char *name, size_t cap, char *err, size_t errlen);

/* A one-line explanation of a PC/SC return code ("PC/SC service not running (start pcscd)"). */
const char *cf_pcsc_describe(long rv);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
