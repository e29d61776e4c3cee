/* Internal: reading the small line-oriented secret files of the cmcc host (HSM vault, key code
 * sheet, batch lists). One place enforces the file rules: regular file, size cap, and (for files
 * holding keys) no access for group or others, as ssh does for private keys. */
#ifndef CMCC_HOST_TEXTFILE_H
#define CMCC_HOST_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMCC_TEXTFILE_MAX (4u << 20) /* 4 MiB: room for 100k serials */
#define CMCC_LINE_MAX 512
#define CMCC_MAX_TOKENS 16

/* Reads a whole file into a NUL-terminated buffer (caller frees with cmcc_textfile_free, which
 * wipes it). secret: refuse a file readable or writable by group or others. Returns 0, or -1
 * with err filled (one line naming the file). */
int cmcc_textfile_read(const char *path, bool secret, char **text, size_t *len, char *err, size_t errlen);
void cmcc_textfile_free(char *text, size_t len);

/* Line iterator over a text buffer: yields each line with comments (# to end of line) and
 * surrounding blanks removed, skipping empty lines. */
typedef struct cmcc_lines {
  const char *p, *end;
  unsigned lineno;
  char line[CMCC_LINE_MAX];
} cmcc_lines;

void cmcc_lines_init(cmcc_lines *it, const char *text, size_t len);
/* Returns 1 with it->line set, 0 at the end, -1 if a line is longer than CMCC_LINE_MAX - 1. */
int cmcc_lines_next(cmcc_lines *it);

/* Splits a line (modified in place) at blanks. Returns the token count, or -1 if more than max. */
int cmcc_tokenize(char *line, char **tok, int max);

/* Decodes exactly n bytes of hex written without separators. */
bool cmcc_hex_exact(const char *s, uint8_t *out, size_t n);

#endif
