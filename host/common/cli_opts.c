/* The option parser of every `cardforge` command line (spec strings, see
 * host/common/include/cardforge/cli_opts.h), on top of getopt_long. Fixed-size tables: no allocation, nothing
 * to free.
 *
 * getopt_long is given one argument at a time (with the next one, for a value): that keeps its
 * global state out of the way of the caller, lets a word stop the parse where the subcommand
 * starts, and tells exactly which argument was at fault. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cardforge/cli_opts.h"

#define LONG_VAL_BASE 256 /* getopt_long's val for option k is LONG_VAL_BASE + k */

void cf_cli_opts_init(cf_cli_opts *o, int max_values) {
  memset(o, 0, sizeof *o);
  if (max_values < 1) max_values = 1;
  if (max_values > CF_CLI_OPTS_MAX_VALUES) max_values = CF_CLI_OPTS_MAX_VALUES;
  o->max_values = max_values;
}

static cf_cli_opt *find_n(const cf_cli_opts *o, const char *name, size_t len) {
  for (int i = 0; i < o->n; i++)
    if (strlen(o->opt[i].name) == len && strncmp(o->opt[i].name, name, len) == 0)
      return (cf_cli_opt *)&o->opt[i];
  return NULL;
}

static cf_cli_opt *find_short(const cf_cli_opts *o, int c) {
  for (int i = 0; i < o->n; i++)
    if (c != 0 && o->opt[i].short_name == c) return (cf_cli_opt *)&o->opt[i];
  return NULL;
}

/* One token of a spec: NAME ["|-" LETTER] [("=" | "+") [PLACEHOLDER]]. */
typedef struct spec_token {
  const char *name;
  size_t name_len;
  char short_name;
  char kind; /* '=', '+' or 0 (a flag) */
  const char *placeholder;
  size_t placeholder_len;
} spec_token;

/* Reads the token at *p (spaces before it skipped) and advances *p. Returns false at the end;
 * *ok false when the token is malformed. */
static bool next_token(const char **p, spec_token *t, bool *ok) {
  const char *q = *p + strspn(*p, " ");
  *ok = true;
  if (*q == '\0') return false;
  size_t len = strcspn(q, " ");
  *p = q + len;
  memset(t, 0, sizeof *t);
  t->name = q;
  t->name_len = strcspn(q, "|=+ ");
  const char *rest = q + t->name_len, *end = q + len;
  if (rest < end && *rest == '|') {
    if (end - rest < 3 || rest[1] != '-' || !isalnum((unsigned char)rest[2])) *ok = false;
    t->short_name = rest[2];
    rest += 3;
  }
  if (rest < end && (*rest == '=' || *rest == '+')) {
    t->kind = *rest++;
    t->placeholder = rest;
    t->placeholder_len = (size_t)(end - rest);
  } else if (rest != end) {
    *ok = false;
  }
  if (t->name_len < 3 || strncmp(t->name, "--", 2) != 0) *ok = false;
  return true;
}

int cf_cli_opts_declare(cf_cli_opts *o, const char *spec) {
  spec_token t;
  bool ok;
  for (const char *p = spec; next_token(&p, &t, &ok);) {
    if (!ok || t.name_len >= CF_CLI_OPT_NAME_MAX || o->n == CF_CLI_OPTS_MAX ||
        find_n(o, t.name, t.name_len) || (t.short_name && find_short(o, t.short_name)))
      return -1;
    cf_cli_opt *opt = &o->opt[o->n++];
    memset(opt, 0, sizeof *opt);
    memcpy(opt->name, t.name, t.name_len);
    opt->short_name = t.short_name;
    opt->has_value = t.kind != 0;
    opt->repeat = t.kind == '+';
  }
  return 0;
}

/* getopt_long's tables for the declared options. */
typedef struct getopt_tables {
  struct option longs[CF_CLI_OPTS_MAX + 1];
  char shorts[3 + 2 * CF_CLI_OPTS_MAX + 1];
} getopt_tables;

static void build_tables(const cf_cli_opts *o, getopt_tables *t) {
  /* '+': stop at a word (the caller handles words); ':': report a missing value as ':' */
  size_t s = 0;
  t->shorts[s++] = '+';
  t->shorts[s++] = ':';
  for (int k = 0; k < o->n; k++) {
    const cf_cli_opt *opt = &o->opt[k];
    t->longs[k] = (struct option){opt->name + 2, opt->has_value ? required_argument : no_argument, NULL,
                                  LONG_VAL_BASE + k};
    if (opt->short_name != 0) {
      t->shorts[s++] = opt->short_name;
      if (opt->has_value) t->shorts[s++] = ':';
    }
  }
  t->longs[o->n] = (struct option){NULL, 0, NULL, 0};
  t->shorts[s] = '\0';
}

static cf_cli_opts_status failed(cf_cli_opts *o, cf_cli_opts_status st, const char *arg,
                                 const cf_cli_opt *opt) {
  o->bad_arg = arg;
  o->bad_opt = opt;
  return st;
}

/* The option a "--name" or "--name=value" argument names exactly (getopt_long also accepts
 * abbreviations, which are refused here). */
static cf_cli_opt *long_named(const cf_cli_opts *o, const char *arg) {
  const char *eq = strchr(arg, '=');
  return find_n(o, arg, eq ? (size_t)(eq - arg) : strlen(arg));
}

/* Parses argv[*i] (an argument starting with '-'), taking argv[*i + 1] as its value when it needs
 * one. Advances *i past what it used. */
static cf_cli_opts_status parse_one(cf_cli_opts *o, const getopt_tables *t, int argc, char **argv, int *i) {
  char *arg = argv[*i];
  char *mini[4] = {"cardforge", arg, *i + 1 < argc ? argv[*i + 1] : NULL, NULL};
  int mini_argc = *i + 1 < argc ? 3 : 2;
  bool is_long = strncmp(arg, "--", 2) == 0;
  optind = 0; /* glibc: start afresh */
  opterr = 0;
  do {
    int index = -1;
    int c = getopt_long(mini_argc, mini, t->shorts, t->longs, &index);
    cf_cli_opt *opt = NULL;
    bool missing = false;
    if (c == -1) return failed(o, CF_CLI_OPTS_UNKNOWN, arg, NULL);
    if (c == ':') {
      missing = true;
      c = optopt;
    }
    if (c == '?') {
      /* a flag given "=value", or no such option */
      opt = is_long ? long_named(o, arg) : NULL;
      if (opt == NULL || opt->has_value) return failed(o, CF_CLI_OPTS_UNKNOWN, arg, NULL);
      if (opt->count > 0 && !opt->repeat) return failed(o, CF_CLI_OPTS_TWICE, arg, opt);
      return failed(o, CF_CLI_OPTS_FLAG_VALUE, arg, opt);
    }
    opt = c >= LONG_VAL_BASE ? &o->opt[c - LONG_VAL_BASE] : find_short(o, c);
    if (opt == NULL || (is_long && long_named(o, arg) != opt))
      return failed(o, CF_CLI_OPTS_UNKNOWN, arg, NULL);
    if (opt->count > 0 && !opt->repeat) return failed(o, CF_CLI_OPTS_TWICE, arg, opt);
    /* before the value: another value would not fit whether or not it is there */
    if (opt->count >= o->max_values) return failed(o, CF_CLI_OPTS_TOO_MANY, arg, opt);
    if (missing) return failed(o, CF_CLI_OPTS_NO_VALUE, arg, opt);
    if (opt->has_value) opt->values[opt->count] = optarg;
    opt->count++;
  } while (optind <= 1); /* "-tq": one letter at a time until the argument is used up */
  *i += optind - 2;      /* the loop steps over the argument itself */
  return CF_CLI_OPTS_OK;
}

/* "--help" (or its short name) among argv[0..argc) before "--": help wins over any usage error. */
static bool help_asked(const cf_cli_opts *o, int argc, char **argv) {
  const cf_cli_opt *help = find_n(o, "--help", 6);
  if (help == NULL) return false;
  char short_form[3] = {'-', help->short_name, '\0'};
  for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--help") == 0 || (help->short_name && strcmp(argv[i], short_form) == 0)) return true;
  return false;
}

cf_cli_opts_status cf_cli_opts_parse_mode(cf_cli_opts *o, int argc, char **argv, cf_cli_operands mode) {
  o->bad_arg = NULL;
  o->bad_opt = NULL;
  o->operands = 0;
  o->stop = argc;
  o->help = help_asked(o, argc, argv);
  getopt_tables t;
  build_tables(o, &t);
  bool words_only = false;
  for (int i = 0; i < argc; i++) {
    char *arg = argv[i];
    bool word = words_only || arg[0] != '-' || arg[1] == '\0';
    if (!word && strcmp(arg, "--") == 0 && mode != CF_CLI_NO_OPERANDS) {
      if (mode == CF_CLI_STOP_AT_OPERAND) {
        o->stop = i + 1;
        o->help = help_asked(o, i, argv);
        return CF_CLI_OPTS_OK;
      }
      words_only = true;
      continue;
    }
    if (word) {
      if (mode == CF_CLI_NO_OPERANDS) return failed(o, CF_CLI_OPTS_UNKNOWN, arg, NULL);
      if (mode == CF_CLI_STOP_AT_OPERAND) {
        o->stop = i;
        o->help = help_asked(o, i, argv); /* a --help after the word is the subcommand's */
        return CF_CLI_OPTS_OK;
      }
      if (o->operands == CF_CLI_OPERANDS_MAX) return failed(o, CF_CLI_OPTS_TOO_MANY, arg, NULL);
      o->operand[o->operands++] = arg;
      continue;
    }
    cf_cli_opts_status st = parse_one(o, &t, argc, argv, &i);
    if (st != CF_CLI_OPTS_OK) return st;
  }
  return CF_CLI_OPTS_OK;
}

cf_cli_opts_status cf_cli_opts_parse(cf_cli_opts *o, int argc, char **argv) {
  return cf_cli_opts_parse_mode(o, argc, argv, CF_CLI_NO_OPERANDS);
}

const char *cf_cli_opts_message(const cf_cli_opts *o, cf_cli_opts_status st, const char *help_hint, char *out,
                                size_t cap) {
  if (cap == 0) return out;
  const char *name = o->bad_opt ? o->bad_opt->name : "arguments";
  const char *arg = o->bad_arg ? o->bad_arg : "";
  switch (st) {
  case CF_CLI_OPTS_OK:
    snprintf(out, cap, "no error");
    break;
  case CF_CLI_OPTS_UNKNOWN:
    if (help_hint)
      snprintf(out, cap, "unknown option %s (see %s)", arg, help_hint);
    else
      snprintf(out, cap, "unknown option %s", arg);
    break;
  case CF_CLI_OPTS_TWICE:
    snprintf(out, cap, "%s given twice", name);
    break;
  case CF_CLI_OPTS_TOO_MANY:
    snprintf(out, cap, "too many %s", name);
    break;
  case CF_CLI_OPTS_NO_VALUE:
    snprintf(out, cap, "%s needs a value", name);
    break;
  case CF_CLI_OPTS_FLAG_VALUE:
    snprintf(out, cap, "%s takes no value", name);
    break;
  default:
    snprintf(out, cap, "bad option %s", arg);
    break;
  }
  return out;
}

const cf_cli_opt *cf_cli_opts_find(const cf_cli_opts *o, const char *name) {
  return find_n(o, name, strlen(name));
}

bool cf_cli_opts_given(const cf_cli_opts *o, const char *name) {
  const cf_cli_opt *opt = cf_cli_opts_find(o, name);
  return opt != NULL && opt->count > 0;
}

int cf_cli_opts_count(const cf_cli_opts *o, const char *name) {
  const cf_cli_opt *opt = cf_cli_opts_find(o, name);
  return opt != NULL ? opt->count : 0;
}

const char *cf_cli_opts_value(const cf_cli_opts *o, const char *name) {
  const cf_cli_opt *opt = cf_cli_opts_find(o, name);
  return opt != NULL && opt->has_value && opt->count > 0 ? opt->values[opt->count - 1] : NULL;
}

const char *cf_cli_opts_value_at(const cf_cli_opts *o, const char *name, int i) {
  const cf_cli_opt *opt = cf_cli_opts_find(o, name);
  return opt != NULL && opt->has_value && i >= 0 && i < opt->count ? opt->values[i] : NULL;
}

void cf_cli_opts_print_spec(FILE *f, const char *heading, const char *spec) {
  spec_token t;
  bool ok, first = true;
  for (const char *p = spec; next_token(&p, &t, &ok);) {
    if (first) fprintf(f, "%s\n", heading);
    first = false;
    fputs("  ", f);
    if (t.short_name) fprintf(f, "-%c, ", t.short_name);
    fprintf(f, "%.*s", (int)t.name_len, t.name);
    if (t.kind != 0 && t.placeholder_len > 0) {
      fprintf(f, " %.*s", (int)t.placeholder_len, t.placeholder);
    } else if (t.kind != 0) {
      /* no placeholder given: the name's last word, upper case ("--new-pin" -> PIN) */
      const char *word = t.name + 2, *end = t.name + t.name_len;
      for (const char *q = word; q < end; q++)
        if (*q == '-') word = q + 1;
      fputc(' ', f);
      for (; word < end; word++)
        fputc(toupper((unsigned char)*word), f);
    }
    fputs(t.kind == '+' ? " (repeatable)\n" : "\n", f);
  }
}
