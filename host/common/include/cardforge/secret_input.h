/* Secrets for the `cardforge` commands without the command line: a secret given as an option value
 * is visible to every user of the machine (ps, /proc/PID/cmdline), so each secret option also takes
 *
 *   --opt @FILE      the secret is the content of FILE (trailing newlines removed)
 *   --opt -          the secret is read from standard input (one line, or all of it)
 *   $CARDFORGE_...   an environment variable named by the command (readable only by the user)
 *   (nothing)        a prompt without echo when standard input is a terminal (PINs)
 *
 * A literal value is still accepted, with a warning on stderr. A value that itself starts with '@'
 * is written "@@...". Files holding secrets (these, key files, vaults, the pairing store) obey one
 * rule, cf_secret_file_open: a regular file that neither group nor others may access. */
#ifndef CARDFORGE_SECRET_INPUT_H
#define CARDFORGE_SECRET_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define CF_SECRET_MAX 2048            /* longest secret (a mnemonic with a long passphrase fits) */
#define CF_SECRET_FILE_MAX (4u << 20) /* largest file read whole by cf_secret_file_read */

/* Opens path for reading under the rule for files holding secrets: no symbolic link as the last
 * component, a regular file, no permission bit for group or others (as ssh does for private keys:
 * a key others could read has leaked already). secret false: only the first two checks. Returns the
 * descriptor (close-on-exec) with *st filled, or -1 with err naming the file, e.g.
 *   "keys.txt: permissions 0644 are too open (it holds secrets: chmod 600 keys.txt)". */
/* errno: ENOENT when there is no such file, EISDIR / EINVAL not a regular file, EACCES too open. */
int cf_secret_file_open(const char *path, bool secret, struct stat *st, char *err, size_t errlen);
/* The permission part of the rule for an open descriptor (a file redirected to standard input):
 * 0, or -1 with err naming the file as `name`. Pipes and terminals pass. */
int cf_secret_fd_check(int fd, const char *name, char *err, size_t errlen);

/* Reads a whole file (at most CF_SECRET_FILE_MAX bytes, no NUL byte) into a NUL-terminated buffer,
 * after cf_secret_file_open. Free it with cf_secret_file_free, which wipes it. Returns 0 or -1 with
 * err filled. */
int cf_secret_file_read(const char *path, bool secret, char **text, size_t *len, char *err, size_t errlen);
void cf_secret_file_free(char *text, size_t len);

/* Where a secret came from. */
typedef enum cf_secret_source {
  CF_SECRET_NONE = 0, /* nowhere: not given */
  CF_SECRET_ARGUMENT, /* the option's literal value (warned about) */
  CF_SECRET_FILE,     /* --opt @FILE */
  CF_SECRET_STDIN,    /* --opt - */
  CF_SECRET_ENV,      /* the environment variable */
  CF_SECRET_PROMPT,   /* typed at the prompt */
} cf_secret_source;

/* How one secret may be given. */
typedef struct cf_secret_spec {
  const char *option; /* "--pin": for messages */
  const char *value;  /* the option's value as given, or NULL when the option is absent */
  const char *env;    /* "CARDFORGE_PIN", or NULL for none */
  const char *prompt; /* "Keycard PIN", or NULL: never prompt */
  bool confirm;       /* prompt twice (a new PIN); both must agree */
} cf_secret_spec;

/* Resolves a secret: the option (literal, @FILE or -), else the environment variable, else the
 * prompt when standard input is a terminal. out receives it NUL-terminated (cap <= CF_SECRET_MAX
 * is enough). Returns 1, 0 when given nowhere, -1 with err filled (unreadable or too open file, too
 * long, prompts that differ); *source says where the secret came (or failed to come) from. Warns on
 * stderr for a literal value. */
int cf_secret_get(const cf_secret_spec *spec, char *out, size_t cap, cf_secret_source *source, char *err,
                  size_t errlen);

/* Only the warning, for a command that takes a literal secret itself (e.g. a key in a bigger
 * option value): "cardforge: warning: <option> on the command line is visible to other users ...". */
void cf_secret_warn_command_line(const char *option, const char *env);

/* Whether a value names a file or standard input ("@FILE", "-") rather than being the secret. */
bool cf_secret_is_indirect(const char *value);

#endif
