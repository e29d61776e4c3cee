/* The option parser every `cardforge` subcommand with a command table uses (spec strings, see
 * include/cardforge/cli_opts.h). Fixed-size tables: no allocation, nothing to free. */
#include <stdio.h>
#include <string.h>

#include "cardforge/cli_opts.h"

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

int cf_cli_opts_declare(cf_cli_opts *o, const char *spec) {
  for (const char *p = spec + strspn(spec, " "); *p != '\0'; p += strspn(p, " ")) {
    size_t len = strcspn(p, " ");
    const char *tok = p;
    p += len;
    char last = tok[len - 1];
    bool has_value = last == '=' || last == '+';
    if (has_value) len--;
    if (len == 0 || len >= CF_CLI_OPT_NAME_MAX || o->n == CF_CLI_OPTS_MAX || find_n(o, tok, len) != NULL)
      return -1;
    cf_cli_opt *opt = &o->opt[o->n++];
    memset(opt, 0, sizeof *opt);
    memcpy(opt->name, tok, len);
    opt->has_value = has_value;
    opt->repeat = last == '+';
  }
  return 0;
}

static cf_cli_opts_status failed(cf_cli_opts *o, cf_cli_opts_status st, const char *arg,
                                 const cf_cli_opt *opt) {
  o->bad_arg = arg;
  o->bad_opt = opt;
  return st;
}

cf_cli_opts_status cf_cli_opts_parse(cf_cli_opts *o, int argc, char **argv) {
  o->bad_arg = NULL;
  o->bad_opt = NULL;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *eq = strchr(arg, '=');
    cf_cli_opt *opt = find_n(o, arg, eq ? (size_t)(eq - arg) : strlen(arg));
    if (opt == NULL) return failed(o, CF_CLI_OPTS_UNKNOWN, arg, NULL);
    if (opt->count > 0 && !opt->repeat) return failed(o, CF_CLI_OPTS_TWICE, arg, opt);
    /* before the value: another value would not fit whether or not it is there */
    if (opt->count >= o->max_values) return failed(o, CF_CLI_OPTS_TOO_MANY, arg, opt);
    if (opt->has_value) {
      const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
      if (v == NULL) return failed(o, CF_CLI_OPTS_NO_VALUE, arg, opt);
      opt->values[opt->count] = v;
    } else if (eq) {
      return failed(o, CF_CLI_OPTS_FLAG_VALUE, arg, opt);
    }
    opt->count++;
  }
  return CF_CLI_OPTS_OK;
}

const char *cf_cli_opts_message(const cf_cli_opts *o, cf_cli_opts_status st, const char *help_hint, char *out,
                                size_t cap) {
  if (cap == 0) return out;
  const char *name = o->bad_opt ? o->bad_opt->name : "option";
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
