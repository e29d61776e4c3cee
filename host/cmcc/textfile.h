/* Internal: reading the small line-oriented secret files of the cmcc host (HSM vault, key code
 * sheet, batch lists). The file rules (regular file, and for files holding keys no access for group
 * or others, as ssh does for private keys) are the ones every family uses: cf_secret_file_read
 * (cardforge/secret_input.h); this adds the size cap. */
#ifndef CMCC_HOST_TEXTFILE_H
#define CMCC_HOST_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMCCH_TEXTFILE_MAX (4u << 20) /* 4 MiB: room for 100k serials */
#define CMCCH_LINE_MAX 512
#define CMCCH_MAX_TOKENS 16

/* Reads a whole file into a NUL-terminated buffer (caller frees with cmcch_textfile_free, which
 * wipes it). secret: refuse a file readable or writable by group or others. Returns 0, or -1
 * with err filled (one line naming the file). */
int cmcch_textfile_read(const char *path, bool secret, char **text, size_t *len, char *err, size_t errlen);
void cmcch_textfile_free(char *text, size_t len);

/* Line iterator over a text buffer: yields each line with comments (# to end of line) and
 * surrounding blanks removed, skipping empty lines. */
typedef struct cmcch_lines {
  const char *p, *end;
  unsigned lineno;
  char line[CMCCH_LINE_MAX];
} cmcch_lines;

void cmcch_lines_init(cmcch_lines *it, const char *text, size_t len);
/* Returns 1 with it->line set, 0 at the end, -1 if a line is longer than CMCCH_LINE_MAX - 1. */
int cmcch_lines_next(cmcch_lines *it);

/* Parses a versioned line file: the first line must be exactly "<magic> 1" (else "name:N: not
 * <what> (first line must be ...)"), then each further line goes to line_fn, whose refusal (-1,
 * why filled) becomes "name:N: why". An empty text or a line too long is refused the same way.
 * Returns 0, or -1 with err filled. */
typedef int (*cmcch_line_fn)(void *ctx, char *line, char *why, size_t whylen);
int cmcch_parse_lines(const char *text, size_t len, const char *name, const char *magic, const char *what,
                      cmcch_line_fn line_fn, void *ctx, char *err, size_t errlen);

/* Splits a line (modified in place) at blanks. Returns the token count, or -1 if more than max. */
int cmcch_tokenize(char *line, char **tok, int max);

/* Decodes exactly n bytes of hex written without separators. */
bool cmcch_hex_exact(const char *s, uint8_t *out, size_t n);

#endif
