#include "textfile.h"

#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/secret_input.h"

int cmcch_textfile_read(const char *path, bool secret, char **text, size_t *len, char *err, size_t errlen) {
  /* one rule for every file that holds secrets, in every family (cardforge/secret_input.h) */
  if (cf_secret_file_read(path, secret, text, len, err, errlen) != 0) return -1;
  if (*len > CMCCH_TEXTFILE_MAX) {
    snprintf(err, errlen, "%s: larger than %u bytes", path, CMCCH_TEXTFILE_MAX);
    cf_secret_file_free(*text, *len + 1);
    *text = NULL;
    *len = 0;
    return -1;
  }
  return 0;
}

void cmcch_textfile_free(char *text, size_t len) {
  cf_secret_file_free(text, len);
}

void cmcch_lines_init(cmcch_lines *it, const char *text, size_t len) {
  it->p = text;
  it->end = text + len;
  it->lineno = 0;
  it->line[0] = 0;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

int cmcch_lines_next(cmcch_lines *it) {
  while (it->p < it->end) {
    const char *start = it->p;
    const char *nl = memchr(start, '\n', (size_t)(it->end - start));
    const char *stop = nl ? nl : it->end;
    it->p = nl ? nl + 1 : it->end;
    it->lineno++;
    const char *hash = memchr(start, '#', (size_t)(stop - start));
    if (hash) stop = hash;
    while (start < stop && is_blank(*start))
      start++;
    while (stop > start && is_blank(stop[-1]))
      stop--;
    if (start == stop) continue;
    size_t n = (size_t)(stop - start);
    if (n >= sizeof it->line) return -1;
    memcpy(it->line, start, n);
    it->line[n] = 0;
    return 1;
  }
  return 0;
}

int cmcch_parse_lines(const char *text, size_t len, const char *name, const char *magic, const char *what,
                      cmcch_line_fn line_fn, void *ctx, char *err, size_t errlen) {
  cmcch_lines it;
  cmcch_lines_init(&it, text, len);
  bool header = false;
  char why[200];
  int r, rc = -1;
  while ((r = cmcch_lines_next(&it)) == 1) {
    if (!header) {
      char *tok[CMCCH_MAX_TOKENS];
      int n = cmcch_tokenize(it.line, tok, CMCCH_MAX_TOKENS);
      if (n != 2 || strcmp(tok[0], magic) != 0 || strcmp(tok[1], "1") != 0) {
        snprintf(err, errlen, "%s:%u: not %s (first line must be \"%s 1\")", name, it.lineno, what, magic);
        goto out;
      }
      header = true;
      continue;
    }
    if (line_fn(ctx, it.line, why, sizeof why) != 0) {
      snprintf(err, errlen, "%s:%u: %s", name, it.lineno, why);
      goto out;
    }
  }
  if (r < 0)
    snprintf(err, errlen, "%s:%u: line too long", name, it.lineno);
  else if (!header)
    snprintf(err, errlen, "%s: empty (first line must be \"%s 1\")", name, magic);
  else
    rc = 0;
out:
  cf_wipe(&it, sizeof it); /* the lines of a key file are key material */
  return rc;
}

int cmcch_tokenize(char *line, char **tok, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p && is_blank(*p))
      p++;
    if (!*p) break;
    if (n == max) return -1;
    tok[n++] = p;
    while (*p && !is_blank(*p))
      p++;
    if (*p) *p++ = 0;
  }
  return n;
}

bool cmcch_hex_exact(const char *s, uint8_t *out, size_t n) {
  if (strlen(s) != 2 * n) return false;
  for (const char *c = s; *c; c++)
    if (*c == ' ' || *c == ':') return false;
  return cf_hex_decode(s, out, n) == (long)n;
}
