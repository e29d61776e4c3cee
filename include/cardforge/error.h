/* The one error convention of the cardforge library: every public function that can fail returns
 * 0 (CF_OK) or a negative cf_err, the same code for the same kind of failure in every module.
 * cf_strerror() names a code in a few words; the handle a function worked on (transport, Keycard
 * session, GP client, China Mobile host) holds one line of detail about its last failure, read with
 * that module's cf_<module>_error_detail().
 *
 * The older family names stay as aliases with the same values: KEYCARD_CLIENT_E* (keycard_client.h),
 * CF_GP_ERR_* (gp_client.h), CF_CMCC_E_* (cmcc_host.h) and CF_STORE_E* (store.h) are each equal to
 * the CF_ERR_* of the same meaning, so a caller can compare any of them with CF_ERR_* directly.
 * Positive results are not errors: CF_STORE_NOT_FOUND (1) says a record is absent. */
#ifndef CARDFORGE_ERROR_H
#define CARDFORGE_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

typedef enum cf_err {
  CF_OK = 0,
  CF_ERR_TRANSPORT = -1, /* the reader, PC/SC or the card's connection failed */
  CF_ERR_CARD = -2,      /* the card answered a status word the operation did not expect */
  CF_ERR_VERIFY = -3,    /* a cryptogram, MAC, check value or read-back did not match */
  CF_ERR_PROTO = -4,     /* the card's answer is malformed */
  CF_ERR_ARG = -5,       /* a caller argument is invalid, or the request cannot be made */
  CF_ERR_STATE = -6,     /* wrong order: nothing selected, no pairing, no channel open */
  CF_ERR_INTERNAL = -7,  /* a crypto or memory allocation failure inside the library */
  CF_ERR_SHARED = -8,    /* another program reset or used the card during the session */
  /* the card's persistent memory (store.h) */
  CF_ERR_IO = -9,          /* the store's back end failed */
  CF_ERR_POWER_CUT = -10,  /* the store lost power (fault injection): reopen it */
  CF_ERR_BUSY = -11,       /* the card file is held by another owner (a running emulator) */
  CF_ERR_FILE_EMPTY = -12, /* the card file exists and is empty */
  CF_ERR_NOT_SQLITE = -13, /* the card file is not an SQLite database */
  CF_ERR_FOREIGN = -14,    /* an SQLite database, but not a card store */
  CF_ERR_CORRUPT = -15,    /* a card store whose content is damaged or was altered */
  CF_ERR_MISSING = -16,    /* a card store that lost records */
} cf_err;

#define CF_ERR_LAST CF_ERR_MISSING /* the most negative code */

/* A few words for code ("card refused the command"); never NULL. A code this version does not know
 * (a positive one included) gives "unknown error". */
const char *cf_strerror(int code);
/* The code's enumerator name without its prefix ("CARD", "VERIFY"), for logs and JSON; NULL for an
 * unknown code. */
const char *cf_err_name(int code);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
