/* cf_strerror and cf_err_name: the words for the library's one set of error codes (error.h). */
#include "cardforge/error.h"

#include <stddef.h>

typedef struct {
  int code;
  const char *name;
  const char *text;
} err_row;

static const err_row err_rows[] = {
    {CF_OK, "OK", "no error"},
    {CF_ERR_TRANSPORT, "TRANSPORT", "reader or transport failure"},
    {CF_ERR_CARD, "CARD", "card refused the command"},
    {CF_ERR_VERIFY, "VERIFY", "verification failed"},
    {CF_ERR_PROTO, "PROTO", "malformed answer from the card"},
    {CF_ERR_ARG, "ARG", "invalid argument"},
    {CF_ERR_STATE, "STATE", "operation out of order"},
    {CF_ERR_INTERNAL, "INTERNAL", "internal error"},
    {CF_ERR_SHARED, "SHARED", "another program reset or used the card"},
    {CF_ERR_IO, "IO", "card memory input/output error"},
    {CF_ERR_POWER_CUT, "POWER_CUT", "card memory lost power"},
    {CF_ERR_BUSY, "BUSY", "card file in use by another process"},
    {CF_ERR_FILE_EMPTY, "FILE_EMPTY", "card file is empty"},
    {CF_ERR_NOT_SQLITE, "NOT_SQLITE", "not a card state file (not an SQLite database)"},
    {CF_ERR_FOREIGN, "FOREIGN", "not a card state file (another application's database)"},
    {CF_ERR_CORRUPT, "CORRUPT", "card file is corrupt"},
    {CF_ERR_MISSING, "MISSING", "records are missing from the card file"},
};

static const err_row *find_row(int code) {
  for (size_t i = 0; i < sizeof err_rows / sizeof err_rows[0]; i++)
    if (err_rows[i].code == code) return &err_rows[i];
  return NULL;
}

const char *cf_strerror(int code) {
  const err_row *row = find_row(code);
  return row ? row->text : "unknown error";
}

const char *cf_err_name(int code) {
  const err_row *row = find_row(code);
  return row ? row->name : NULL;
}
