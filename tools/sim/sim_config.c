/* Which cards the emulator runs: --card arguments and the line-based configuration file. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "sim_timing.h"

void cf_sim_options_init(cf_sim_options *o) {
  memset(o, 0, sizeof *o);
  snprintf(o->host, sizeof o->host, "127.0.0.1");
  o->base_port = CF_SIM_DEFAULT_PORT;
}

static bool copy_field(char *dst, size_t cap, const char *src, size_t len) {
  if (len >= cap) return false;
  memcpy(dst, src, len);
  dst[len] = '\0';
  return true;
}

static bool reader_taken(const cf_sim_options *o, int reader) {
  for (size_t i = 0; i < o->card_count; i++)
    if (o->cards[i].reader == reader) return true;
  return false;
}

int cf_sim_add_card(cf_sim_options *o, int reader, const char *type, const char *params, char *err,
                    size_t errlen) {
  if (o->card_count >= CF_SIM_MAX_CARDS) {
    snprintf(err, errlen, "too many cards (at most %d)", CF_SIM_MAX_CARDS);
    return -1;
  }
  if (reader < 0 || reader >= 100) {
    snprintf(err, errlen, "reader index %d out of range (0-99)", reader);
    return -1;
  }
  if (reader_taken(o, reader)) {
    snprintf(err, errlen, "reader %d is given two cards", reader);
    return -1;
  }
  if (*type == '\0') {
    snprintf(err, errlen, "empty card type");
    return -1;
  }
  cf_sim_card_spec *c = &o->cards[o->card_count];
  if (!copy_field(c->type, sizeof c->type, type, strlen(type))) {
    snprintf(err, errlen, "card type too long: %.40s...", type);
    return -1;
  }
  if (!copy_field(c->params, sizeof c->params, params, strlen(params))) {
    snprintf(err, errlen, "card parameters too long (at most %zu characters)", sizeof c->params - 1);
    return -1;
  }
  c->reader = reader;
  o->card_count++;
  return 0;
}

int cf_sim_add_card_arg(cf_sim_options *o, const char *arg, char *err, size_t errlen) {
  char type[64];
  const char *colon = strchr(arg, ':');
  size_t tlen = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
  if (!copy_field(type, sizeof type, arg, tlen)) {
    snprintf(err, errlen, "card type too long: %.40s...", arg);
    return -1;
  }
  int reader = 0;
  while (reader_taken(o, reader))
    reader++;
  return cf_sim_add_card(o, reader, type, colon != NULL ? colon + 1 : "", err, errlen);
}

/* --timing options are parsed before the configuration file is read, and win over it: the file's
 * model for a reader that already has one is checked, then dropped (keep_given). Among options,
 * the last one for a reader counts. */
static int add_timing(cf_sim_options *o, int reader, const char *spec, size_t len, bool keep_given, char *err,
                      size_t errlen) {
  char text[sizeof o->timings[0].spec];
  cf_timing t;
  if (!copy_field(text, sizeof text, spec, len)) {
    snprintf(err, errlen, "timing model too long");
    return -1;
  }
  if (cf_timing_parse(text, &t, err, errlen) != 0) return -1;
  size_t i = 0;
  while (i < o->timing_count && o->timings[i].reader != reader)
    i++;
  if (i == sizeof o->timings / sizeof o->timings[0]) {
    snprintf(err, errlen, "too many timing models");
    return -1;
  }
  if (i < o->timing_count && keep_given) return 0;
  if (i == o->timing_count) o->timing_count++;
  o->timings[i].reader = reader;
  memcpy(o->timings[i].spec, text, len + 1);
  return 0;
}

int cf_sim_add_timing_arg(cf_sim_options *o, const char *arg, char *err, size_t errlen) {
  const char *colon = strchr(arg, ':');
  int reader = -1;
  if (colon != NULL) {
    char *end;
    long v = strtol(arg, &end, 10);
    if (end != colon || colon == arg || v < 0 || v > 99) {
      snprintf(err, errlen, "expected [READER:]SPEC with READER 0-99");
      return -1;
    }
    reader = (int)v;
    arg = colon + 1;
  }
  return add_timing(o, reader, arg, strlen(arg), false, err, errlen);
}

/* Splits off the next whitespace-separated word; returns its length (0 at the end). */
static size_t next_word(const char **p, const char **word) {
  while (isspace((unsigned char)**p))
    (*p)++;
  *word = *p;
  while (**p != '\0' && !isspace((unsigned char)**p))
    (*p)++;
  return (size_t)(*p - *word);
}

static bool parse_int(const char *s, size_t len, long lo, long hi, long *out) {
  char buf[16];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = '\0';
  for (size_t i = 0; i < len; i++)
    if (!isdigit((unsigned char)buf[i])) return false;
  long v = strtol(buf, NULL, 10);
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

static bool word_is(const char *w, size_t len, const char *keyword) {
  return len == strlen(keyword) && strncmp(w, keyword, len) == 0;
}

/* The rest of the line, without surrounding blanks. */
static size_t rest_of_line(const char **p, const char **start) {
  while (isspace((unsigned char)**p))
    (*p)++;
  *start = *p;
  size_t len = strlen(*p);
  while (len > 0 && isspace((unsigned char)(*start)[len - 1]))
    len--;
  return len;
}

int cf_sim_config_line(const char *line, cf_sim_options *o, bool keep_state_dir, bool keep_port,
                       bool keep_host, char *err, size_t errlen) {
  char buf[1024];
  const char *hash = strchr(line, '#');
  size_t len = hash != NULL ? (size_t)(hash - line) : strlen(line);
  if (!copy_field(buf, sizeof buf, line, len)) {
    snprintf(err, errlen, "line too long");
    return -1;
  }
  const char *p = buf, *word, *rest;
  size_t wlen = next_word(&p, &word);
  if (wlen == 0) return 0;
  if (word_is(word, wlen, "reader")) {
    const char *num, *type;
    size_t nlen = next_word(&p, &num);
    long reader;
    if (!parse_int(num, nlen, 0, 99, &reader)) {
      snprintf(err, errlen, "expected a reader number 0-99 after \"reader\"");
      return -1;
    }
    size_t tlen = next_word(&p, &type);
    char type_buf[64], params[256];
    if (tlen == 0 || !copy_field(type_buf, sizeof type_buf, type, tlen)) {
      snprintf(err, errlen, "expected a card type after \"reader %ld\"", reader);
      return -1;
    }
    size_t plen = rest_of_line(&p, &rest);
    if (!copy_field(params, sizeof params, rest, plen)) {
      snprintf(err, errlen, "card parameters too long");
      return -1;
    }
    return cf_sim_add_card(o, (int)reader, type_buf, params, err, errlen);
  }
  if (word_is(word, wlen, "state-dir")) {
    size_t dlen = rest_of_line(&p, &rest);
    if (dlen == 0) {
      snprintf(err, errlen, "expected a directory after \"state-dir\"");
      return -1;
    }
    if (keep_state_dir) return 0;
    if (!copy_field(o->state_dir, sizeof o->state_dir, rest, dlen)) {
      snprintf(err, errlen, "state directory path too long");
      return -1;
    }
    return 0;
  }
  if (word_is(word, wlen, "port")) {
    const char *num;
    size_t nlen = next_word(&p, &num);
    long port;
    if (!parse_int(num, nlen, 1, 65535, &port) || rest_of_line(&p, &rest) != 0) {
      snprintf(err, errlen, "expected a port number 1-65535 after \"port\"");
      return -1;
    }
    if (!keep_port) o->base_port = (int)port;
    return 0;
  }
  if (word_is(word, wlen, "host")) {
    const char *addr;
    size_t alen = next_word(&p, &addr);
    if (alen == 0 || rest_of_line(&p, &rest) != 0) {
      snprintf(err, errlen, "expected one address after \"host\"");
      return -1;
    }
    if (!keep_host && !copy_field(o->host, sizeof o->host, addr, alen)) {
      snprintf(err, errlen, "host address too long");
      return -1;
    }
    return 0;
  }
  if (word_is(word, wlen, "timing")) {
    const char *first;
    const char *after = p;
    size_t flen = next_word(&after, &first);
    long reader = -1;
    if (flen > 0 && isdigit((unsigned char)first[0])) {
      if (!parse_int(first, flen, 0, 99, &reader)) {
        snprintf(err, errlen, "expected a reader number 0-99 or a model after \"timing\"");
        return -1;
      }
      p = after;
    }
    size_t slen = rest_of_line(&p, &rest);
    if (slen == 0) {
      snprintf(err, errlen, "expected a timing model after \"timing\"");
      return -1;
    }
    return add_timing(o, (int)reader, rest, slen, true, err, errlen);
  }
  snprintf(err, errlen, "unknown statement \"%.*s\" (expected reader, state-dir, port, host or timing)",
           (int)(wlen > 40 ? 40 : wlen), word);
  return -1;
}

int cf_sim_config_load(const char *path, cf_sim_options *o, bool keep_state_dir, bool keep_port,
                       bool keep_host, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -2;
  }
  char line[1024], why[256];
  int lineno = 0, rc = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    lineno++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n') {
      snprintf(err, errlen, "%s:%d: line too long", path, lineno);
      rc = -1;
      break;
    }
    if (cf_sim_config_line(line, o, keep_state_dir, keep_port, keep_host, why, sizeof why) != 0) {
      snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
      rc = -1;
      break;
    }
  }
  fclose(f);
  o->config_cards = o->card_count;
  return rc;
}

int cf_sim_state_path(const cf_sim_options *o, const cf_sim_card_spec *c, char *out, size_t cap) {
  char safe[64];
  size_t i = 0;
  for (; c->type[i] != '\0' && i < sizeof safe - 1; i++) {
    char ch = c->type[i];
    safe[i] = (isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.') ? ch : '_';
  }
  safe[i] = '\0';
  int n = snprintf(out, cap, "%s/reader%d-%s.db", o->state_dir, c->reader, safe);
  return n >= 0 && (size_t)n < cap ? 0 : -1;
}
