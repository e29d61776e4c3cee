/* Helpers shared by the Keycard client's source files (not part of the public interface). */
#ifndef CARDFORGE_HOST_KEYCARD_INTERNAL_H
#define CARDFORGE_HOST_KEYCARD_INTERNAL_H

#include "cardforge/keycard_client.h"

/* Writes one line into kc->err and returns rc. */
int keycard_client_fail(keycard_client *kc, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends a plain (unwrapped) APDU; kc->sw receives the status word. flags: CF_TX_*. */
int keycard_client_plain_exchange(keycard_client *kc, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                                  const uint8_t *data, size_t len, unsigned flags, uint8_t *resp, size_t cap,
                                  size_t *resp_len);

/* A secure command that must answer 9000 (else ECARD naming what). resp may be NULL when no data
 * is expected. */
int keycard_client_secure_command(keycard_client *kc, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
                                  const uint8_t *data, size_t len, bool secret, uint8_t *resp, size_t cap,
                                  size_t *resp_len);

#endif
