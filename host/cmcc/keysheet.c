/* The key code sheet (密钥码单) of the key-generation flow, and the card lists of batch runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/cmcc_host.h"
#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "textfile.h"

static const char sheet_magic[] = "cardforge-cmcc-keysheet";

typedef struct sheet_parse {
  cf_cmcc_keysheet *s;
  bool have_seed;
} sheet_parse;

static int sheet_line(void *ctx, char *line, char *err, size_t errlen) {
  sheet_parse *p = ctx;
  cf_cmcc_keysheet *s = p->s;
  char *tok[CMCCH_MAX_TOKENS];
  int n = cmcch_tokenize(line, tok, CMCCH_MAX_TOKENS);
  if (n < 0) {
    snprintf(err, errlen, "too many columns");
    return -1;
  }
  if (strcmp(tok[0], "seed") == 0) {
    if (p->have_seed) {
      snprintf(err, errlen, "a second seed line (one sheet, one seed)");
      return -1;
    }
    if (n != 2 || !cmcch_hex_exact(tok[1], s->seed, 16)) {
      snprintf(err, errlen, "seed must be 32 hex digits (16 bytes)");
      return -1;
    }
    p->have_seed = true;
    return 0;
  }
  if (strcmp(tok[0], "key") != 0) {
    snprintf(err, errlen, "unknown directive \"%.20s\" (expected \"seed\" or \"key\")", tok[0]);
    return -1;
  }
  if (n != 9) {
    snprintf(err, errlen, "a key line needs: key TT VV II AL IO DV ST CCCCCCCC");
    return -1;
  }
  if (s->count == CF_CMCC_SHEET_MAX_KEYS) {
    snprintf(err, errlen, "more than %d keys (INIT_FOR_GENERATE counts them in one byte)",
             CF_CMCC_SHEET_MAX_KEYS);
    return -1;
  }
  uint8_t attrs[CF_CMCC_ATTR_LEN];
  if (cf_cmcc_parse_attr_columns(tok + 1, 8, attrs, err, errlen) != 0) return -1;
  /* The card treats type, version, index and algorithm as a key's identity (spec 1.2.2.1):
   * a second line with the same four would silently overwrite the first. */
  for (size_t i = 0; i < s->count; i++) {
    if (memcmp(s->attrs[i], attrs, 4) == 0) {
      snprintf(err, errlen, "duplicate key type %02X version %02X index %02X algorithm %02X", attrs[0],
               attrs[1], attrs[2], attrs[3]);
      return -1;
    }
  }
  memcpy(s->attrs[s->count++], attrs, CF_CMCC_ATTR_LEN);
  return 0;
}

int cf_cmcc_keysheet_parse(const char *text, size_t len, const char *name, cf_cmcc_keysheet *s, char *err,
                           size_t errlen) {
  memset(s, 0, sizeof *s);
  sheet_parse p = {s, false};
  if (cmcch_parse_lines(text, len, name, sheet_magic, "a key code sheet", sheet_line, &p, err, errlen) != 0)
    goto fail;
  if (!p.have_seed) {
    snprintf(err, errlen, "%s: no seed line", name);
    goto fail;
  }
  if (s->count == 0) {
    snprintf(err, errlen, "%s: no key line", name);
    goto fail;
  }
  return 0;
fail:
  cf_wipe(s, sizeof *s);
  return -1;
}

int cf_cmcc_keysheet_load(const char *path, cf_cmcc_keysheet *s, char *err, size_t errlen) {
  char *text;
  size_t len;
  if (cmcch_textfile_read(path, true, &text, &len, err, errlen) != 0) return -1;
  int r = cf_cmcc_keysheet_parse(text, len, path, s, err, errlen);
  cmcch_textfile_free(text, len);
  return r;
}

/* ---- batch card lists: "SERIAL [reader name]" per line ---- */

static int cardlist_add(cf_cmcc_cardlist *l, const uint8_t serial[8], const char *reader) {
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    cf_cmcc_card_entry *e = realloc(l->cards, cap * sizeof *e);
    if (e == NULL) return -1;
    l->cards = e;
    l->cap = cap;
  }
  cf_cmcc_card_entry *e = &l->cards[l->count++];
  memcpy(e->serial, serial, 8);
  snprintf(e->reader, sizeof e->reader, "%s", reader ? reader : "");
  return 0;
}

static int serial_cmp(const void *a, const void *b) {
  return memcmp(a, b, 8);
}

/* A serial listed twice is a mistake in the list (the second run would redo the card): refuse it. */
static int cardlist_find_duplicate(const cf_cmcc_cardlist *l, char *err, size_t errlen, const char *name) {
  uint8_t(*sorted)[8] = malloc(l->count * 8);
  if (sorted == NULL) {
    snprintf(err, errlen, "%s: out of memory", name);
    return -1;
  }
  for (size_t i = 0; i < l->count; i++)
    memcpy(sorted[i], l->cards[i].serial, 8);
  qsort(sorted, l->count, 8, serial_cmp);
  for (size_t i = 1; i < l->count; i++) {
    if (memcmp(sorted[i - 1], sorted[i], 8) == 0) {
      char hex[17];
      cf_hex_encode(sorted[i], 8, hex);
      snprintf(err, errlen, "%s: card serial %s is listed twice", name, hex);
      free(sorted);
      return -1;
    }
  }
  free(sorted);
  return 0;
}

int cf_cmcc_cardlist_parse(const char *text, size_t len, const char *name, cf_cmcc_cardlist *l, char *err,
                           size_t errlen) {
  memset(l, 0, sizeof *l);
  cmcch_lines it;
  cmcch_lines_init(&it, text, len);
  int r;
  while ((r = cmcch_lines_next(&it)) == 1) {
    char *line = it.line;
    char *sp = line + strcspn(line, " \t");
    const char *reader = NULL;
    if (*sp) {
      *sp++ = 0;
      while (*sp == ' ' || *sp == '\t')
        sp++;
      reader = sp;
    }
    uint8_t serial[8];
    if (!cmcch_hex_exact(line, serial, 8)) {
      snprintf(err, errlen, "%s:%u: card serial must be 16 hex digits, got \"%.40s\"", name, it.lineno, line);
      goto fail;
    }
    if (reader && strlen(reader) >= sizeof l->cards[0].reader) {
      snprintf(err, errlen, "%s:%u: reader name too long", name, it.lineno);
      goto fail;
    }
    if (cardlist_add(l, serial, reader) != 0) {
      snprintf(err, errlen, "%s: out of memory", name);
      goto fail;
    }
  }
  if (r < 0) {
    snprintf(err, errlen, "%s:%u: line too long", name, it.lineno);
    goto fail;
  }
  if (l->count == 0) {
    snprintf(err, errlen, "%s: no card serial in the list", name);
    goto fail;
  }
  if (cardlist_find_duplicate(l, err, errlen, name) != 0) goto fail;
  return 0;
fail:
  cf_cmcc_cardlist_free(l);
  return -1;
}

int cf_cmcc_cardlist_load(const char *path, cf_cmcc_cardlist *l, char *err, size_t errlen) {
  char *text;
  size_t len;
  memset(l, 0, sizeof *l);
  if (cmcch_textfile_read(path, false, &text, &len, err, errlen) != 0) return -1;
  int r = cf_cmcc_cardlist_parse(text, len, path, l, err, errlen);
  cmcch_textfile_free(text, len);
  return r;
}

void cf_cmcc_cardlist_free(cf_cmcc_cardlist *l) {
  free(l->cards);
  memset(l, 0, sizeof *l);
}
