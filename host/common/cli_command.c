/* Finding a family's command and parsing its options (cardforge/cli.h): the same steps and the
 * same help for keycard, gp, cmcc, apdu, readers and sim. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/cli.h"
#include "cardforge/cli_opts.h"

static void print_wrapped(FILE *f, const char *prefix, const char *text) {
  /* "\n" in a usage wraps it: the next lines line up under the first */
  size_t indent = strlen(prefix);
  fputs(prefix, f);
  for (const char *u = text; *u;) {
    size_t n = strcspn(u, "\n");
    fprintf(f, "%.*s\n", (int)n, u);
    u += n + (u[n] == '\n');
    if (*u) fprintf(f, "%*s", (int)indent, "");
  }
  if (*text == '\0') fputc('\n', f);
}

void cf_cli_print_command_row(FILE *f, int width, const char *name, const char *summary, const char *suffix) {
  fprintf(f, "  %-*s ", width, name);
  for (const char *p = summary; *p;) {
    size_t n = strcspn(p, "\n");
    fwrite(p, 1, n, f);
    p += n;
    if (*p == '\n' && *++p) fprintf(f, "\n  %-*s ", width, "");
  }
  fprintf(f, "%s\n", suffix != NULL ? suffix : "");
}

void cf_cli_print_command_help(FILE *f, const cf_cli_family *fam, const cf_cli_command *c) {
  char prefix[128];
  const char *space = c->usage[0] != '\0' ? " " : "";
  if (fam != NULL && fam->name != NULL)
    snprintf(prefix, sizeof prefix, "usage: cardforge %s %s%s", fam->name, c->name, space);
  else
    snprintf(prefix, sizeof prefix, "usage: cardforge %s%s", c->name, space);
  print_wrapped(f, prefix, c->usage);
  fprintf(f, "\n%s\n", c->summary);
  if (c->help != NULL) fprintf(f, "\n%s", c->help);
  /* a help that has its own "options:" section describes them better than a bare list */
  bool described = c->help != NULL && strstr(c->help, "options:\n") != NULL;
  if (!described && c->options[strspn(c->options, " ")] != '\0') {
    fputc('\n', f);
    cf_cli_opts_print_spec(f, "options:", c->options);
  }
  if (fam != NULL && fam->common_options != NULL && fam->common_options[0] != '\0') {
    fputc('\n', f);
    if (fam->common_help != NULL)
      fprintf(f, "common options (before or after the command):\n%s", fam->common_help);
    else
      cf_cli_opts_print_spec(f, "common options (before or after the command):", fam->common_options);
  }
  fputs("\nglobal options (before or after the command): -r, --reader R   -t, --trace   -q, --quiet\n", f);
}

static int usage_error(char *err, size_t cap, const char *fmt, const char *a, const char *b) {
  snprintf(err, cap, fmt, a, b);
  return CF_EXIT_USAGE;
}

static int parse_failed(cf_cli_opts *o, cf_cli_opts_status st, const char *hint, char *err, size_t cap) {
  /* an unknown argument is echoed cut and quoted: it may be anything */
  if (st == CF_CLI_OPTS_UNKNOWN) {
    const char *arg = o->bad_arg ? o->bad_arg : "";
    bool word = arg[0] != '-' || arg[1] == '\0';
    /* an option's "=value" is not echoed: it may be a key given to a misspelt option */
    int shown = word ? 40 : (int)strcspn(arg, "=");
    snprintf(err, cap, "%s \"%.*s\" (see %s)", word ? "unexpected argument" : "unknown option",
             shown > 40 ? 40 : shown, arg, hint);
    return CF_EXIT_USAGE;
  }
  cf_cli_opts_message(o, st, NULL, err, cap);
  return CF_EXIT_USAGE;
}

static void apply_globals(const cf_cli_opts *o, const cf_cli_global *g, cf_cli_global *g_out) {
  *g_out = *g;
  if (cf_cli_opts_given(o, "--trace")) g_out->trace = true;
  if (cf_cli_opts_given(o, "--quiet")) g_out->quiet = true;
  const char *reader = cf_cli_opts_value(o, "--reader");
  if (reader != NULL) g_out->reader = reader;
}

/* Declares the global options, then each spec; -1 when a table does not fit (a bug). */
static int declare(cf_cli_opts *o, int max_values, const char *a, const char *b) {
  cf_cli_opts_init(o, max_values);
  if (cf_cli_opts_declare(o, CF_CLI_GLOBAL_OPTIONS) != 0) return -1;
  if (a != NULL && cf_cli_opts_declare(o, a) != 0) return -1;
  if (b != NULL && cf_cli_opts_declare(o, b) != 0) return -1;
  return 0;
}

/* Parses args (the command's name taken out) for command c. */
static int parse_for(const cf_cli_family *f, const cf_cli_command *c, const cf_cli_global *g, int argc,
                     char **args, cf_cli_opts *o, int max_values, cf_cli_global *g_out, FILE *out, char *err,
                     size_t cap) {
  char hint[96];
  if (f != NULL && f->name != NULL)
    snprintf(hint, sizeof hint, "cardforge %s %s --help", f->name, c->name);
  else
    snprintf(hint, sizeof hint, "cardforge %s --help", c->name);
  if (declare(o, max_values, f ? f->common_options : NULL, c->options) != 0) {
    snprintf(err, cap, "internal error: option table of %s too large", c->name);
    return CF_EXIT_INTERNAL;
  }
  cf_cli_opts_status st =
      cf_cli_opts_parse_mode(o, argc, args, c->max_words != 0 ? CF_CLI_OPERANDS : CF_CLI_NO_OPERANDS);
  if (o->help) {
    cf_cli_print_command_help(out, f, c);
    return CF_EXIT_OK;
  }
  if (st != CF_CLI_OPTS_OK) return parse_failed(o, st, hint, err, cap);
  if (c->max_words > 0 && o->operands > c->max_words)
    return usage_error(err, cap, "unexpected argument \"%.40s\" (see %s)", o->operand[c->max_words], hint);
  apply_globals(o, g, g_out);
  return -1;
}

int cf_cli_parse_single(const cf_cli_command *c, const cf_cli_global *g, int argc, char **argv,
                        struct cf_cli_opts *o, int max_values, cf_cli_global *g_out, char *err, size_t cap) {
  err[0] = '\0';
  return parse_for(NULL, c, g, argc - 1, argv + 1, o, max_values, g_out, stdout, err, cap);
}

static const cf_cli_command *find(const cf_cli_family *f, const char *name) {
  for (size_t i = 0; i < f->count; i++)
    if (strcmp(f->commands[i].name, name) == 0) return &f->commands[i];
  return NULL;
}

int cf_cli_parse_command(const cf_cli_family *f, const cf_cli_global *g, int argc, char **argv,
                         struct cf_cli_opts *o, int max_values, const cf_cli_command **cmd,
                         cf_cli_global *g_out, FILE *out, FILE *log, char *err, size_t cap) {
  char hint[64];
  snprintf(hint, sizeof hint, "cardforge %s --help", f->name);
  err[0] = '\0';
  *cmd = NULL;
  if (argc < 2) {
    f->print_help(log);
    return CF_EXIT_USAGE;
  }
  if (strcmp(argv[1], "help") == 0) {
    const cf_cli_command *c = argc > 2 ? find(f, argv[2]) : NULL;
    if (c != NULL)
      cf_cli_print_command_help(out, f, c);
    else
      f->print_help(out);
    return CF_EXIT_OK;
  }
  /* the options before the command: global and common ones only */
  if (declare(o, max_values, f->common_options, NULL) != 0) {
    snprintf(err, cap, "internal error: common option table of %s too large", f->name);
    return CF_EXIT_INTERNAL;
  }
  cf_cli_opts_status st = cf_cli_opts_parse_mode(o, argc - 1, argv + 1, CF_CLI_STOP_AT_OPERAND);
  int at = 1 + o->stop; /* the command's index in argv */
  const cf_cli_command *c = at < argc ? find(f, argv[at]) : NULL;
  if (o->help && c == NULL) {
    f->print_help(out);
    return CF_EXIT_OK;
  }
  if (st != CF_CLI_OPTS_OK && !o->help) return parse_failed(o, st, hint, err, cap);
  if (at >= argc) return usage_error(err, cap, "no command (see %s)%s", hint, "");
  if (c == NULL) return usage_error(err, cap, "unknown command \"%.40s\" (see %s)", argv[at], hint);
  *cmd = c;
  /* everything but the command's name, in order */
  char **args = malloc((size_t)argc * sizeof *args);
  if (args == NULL) {
    snprintf(err, cap, "out of memory");
    return CF_EXIT_INTERNAL;
  }
  int n = 0;
  for (int i = 1; i < argc; i++)
    if (i != at) args[n++] = argv[i];
  int rc = parse_for(f, c, g, n, args, o, max_values, g_out, out, err, cap);
  free(args);
  return rc;
}
