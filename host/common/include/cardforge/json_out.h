/* --json output, one helper for every command that reports: one JSON document on stdout per
 * command run, and with --json every error line (cf_cli_error) as one JSON object on stderr
 * instead of text. Documents are built with jansson; the field names are documented per command
 * in docs/cli.md ("Machine-readable output") and do not change once documented. */
#ifndef CARDFORGE_JSON_OUT_H
#define CARDFORGE_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* True when argv holds "--json" as an option (before any "--"); turns the JSON error mode on then,
 * so that even a usage error is reported as JSON. Call it before parsing the command line. */
bool cf_json_requested(int argc, char **argv);
/* The JSON error mode: cf_cli_error prints {"error": {"message": ..., "reader": ...}} lines. */
void cf_json_set_error_mode(bool on);
bool cf_json_error_mode(void);
/* Prints one error object on stderr (reader NULL or "" leaves the field out). */
void cf_json_print_error(const char *message, const char *reader);
/* A warning, {"warning": {"message": ...}}: with --json, the warnings a command prints otherwise as
 * "cardforge: warning: ..." lines. */
void cf_json_print_warning(const char *message);

/* Prints doc on stdout (two-space indent, keys in insertion order, one final newline) and releases
 * it. Returns 0, or -1 (doc NULL: a member could not be added, out of memory; or stdout failed). */
int cf_json_emit(json_t *doc);

/* Members for documents; each returns a new reference (NULL only when out of memory). */
json_t *cf_json_hex(const uint8_t *bytes, size_t len); /* "0A1B..." upper case, "" for none */
json_t *cf_json_sw(unsigned sw);                       /* "9000" */

#endif
