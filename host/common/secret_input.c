/* Secrets from files, standard input, the environment or a prompt, and the one rule for files that
 * hold secrets (see host/common/include/cardforge/secret_input.h). */
#include "cardforge/secret_input.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cardforge/crypto.h"
#include "cardforge/json_out.h"

static int too_open(const struct stat *st, const char *name, char *err, size_t errlen) {
  if (S_ISREG(st->st_mode) && (st->st_mode & 077) != 0) {
    snprintf(err, errlen, "%s: permissions %04o are too open (it holds secrets: chmod 600 %s)", name,
             (unsigned)(st->st_mode & 07777), name);
    return -1;
  }
  return 0;
}

int cf_secret_file_open(const char *path, bool secret, struct stat *st, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    snprintf(err, errlen, "%s: %s", path,
             errno == ELOOP ? "a symbolic link (not followed)" : strerror(errno));
    return -1;
  }
  if (fstat(fd, st) != 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  /* errno tells the callers why (ENOENT stays "there is none yet") */
  if (!S_ISREG(st->st_mode)) {
    snprintf(err, errlen, "%s: not a regular file", path);
    close(fd);
    errno = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
    return -1;
  }
  if (secret && too_open(st, path, err, errlen) != 0) {
    close(fd);
    errno = EACCES;
    return -1;
  }
  return fd;
}

int cf_secret_fd_check(int fd, const char *name, char *err, size_t errlen) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    snprintf(err, errlen, "%s: %s", name, strerror(errno));
    return -1;
  }
  return too_open(&st, name, err, errlen);
}

/* Reads until EOF or cap - 1 bytes; *got set. -1 on a read error, 1 when more was there. */
static int read_all(int fd, char *buf, size_t cap, size_t *got) {
  *got = 0;
  while (*got < cap - 1) {
    ssize_t r = read(fd, buf + *got, cap - 1 - *got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    *got += (size_t)r;
  }
  char extra;
  ssize_t r;
  do
    r = read(fd, &extra, 1);
  while (r < 0 && errno == EINTR);
  return r > 0 ? 1 : 0;
}

int cf_secret_file_read(const char *path, bool secret, char **text, size_t *len, char *err, size_t errlen) {
  *text = NULL;
  *len = 0;
  struct stat st;
  int fd = cf_secret_file_open(path, secret, &st, err, errlen);
  if (fd < 0) return -1;
  if ((unsigned long long)st.st_size > CF_SECRET_FILE_MAX) {
    snprintf(err, errlen, "%s: larger than %u bytes", path, CF_SECRET_FILE_MAX);
    close(fd);
    return -1;
  }
  size_t cap = (size_t)st.st_size + 1;
  char *buf = malloc(cap);
  if (buf == NULL) {
    snprintf(err, errlen, "%s: out of memory", path);
    close(fd);
    return -1;
  }
  size_t got = 0;
  int r = read_all(fd, buf, cap, &got);
  int saved = errno;
  close(fd);
  buf[got] = '\0';
  /* r == 1: the file grew while being read; the size checked is the one read */
  if (r < 0) {
    snprintf(err, errlen, "%s: %s", path, strerror(saved));
  } else if (memchr(buf, 0, got) != NULL) {
    snprintf(err, errlen, "%s: not a text file (NUL byte)", path);
    r = -1;
  }
  if (r < 0) {
    cf_secret_file_free(buf, cap);
    return -1;
  }
  *text = buf;
  *len = got;
  return 0;
}

void cf_secret_file_free(char *text, size_t len) {
  if (text == NULL) return;
  cf_wipe(text, len);
  free(text);
}

bool cf_secret_is_indirect(const char *value) {
  return value != NULL && (strcmp(value, "-") == 0 || (value[0] == '@' && value[1] != '@'));
}

void cf_secret_warn_command_line(const char *option, const char *env) {
  char msg[512];
  snprintf(msg, sizeof msg,
           "%s on the command line is visible to other users (ps); give %s @FILE, %s -%s%s instead", option,
           option, option, env ? " or " : "", env ? env : "");
  if (cf_json_error_mode()) /* --json: stderr carries JSON objects only */
    cf_json_print_warning(msg);
  else
    fprintf(stderr, "cardforge: warning: %s\n", msg);
}

/* Removes trailing CR and LF; 0, or -1 when nothing is left. */
static int trim_end(char *s, size_t *len) {
  while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
    s[--*len] = '\0';
  return *len > 0 ? 0 : -1;
}

static int copy_text(const char *text, const char *what, char *out, size_t cap, char *err, size_t errlen) {
  size_t n = strlen(text);
  if (n == 0) {
    snprintf(err, errlen, "%s is empty", what);
    return -1;
  }
  if (n >= cap) {
    snprintf(err, errlen, "%s is longer than %zu characters", what, cap - 1);
    return -1;
  }
  memcpy(out, text, n + 1);
  return 0;
}

static int from_file(const char *path, const char *option, char *out, size_t cap, char *err, size_t errlen) {
  struct stat st;
  int fd = cf_secret_file_open(path, true, &st, err, errlen);
  if (fd < 0) return -1;
  size_t got = 0;
  int r = read_all(fd, out, cap, &got);
  int saved = errno;
  close(fd);
  out[got] = '\0';
  int rc = 0;
  if (r < 0)
    snprintf(err, errlen, "%s: %s", path, strerror(saved)), rc = -1;
  else if (r > 0)
    snprintf(err, errlen, "%s (for %s): longer than %zu bytes", path, option, cap - 1), rc = -1;
  else if (memchr(out, 0, got) != NULL || trim_end(out, &got) != 0)
    snprintf(err, errlen, "%s (for %s): empty or not text", path, option), rc = -1;
  if (rc != 0) cf_wipe(out, cap);
  return rc;
}

/* ---- the terminal: no echo while a secret is typed, echo back even after ^C ---- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_changed;

static void restore_tty_and_die(int sig) {
  if (tty_changed) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* One line from the terminal on standard input, echo off. 0, or -1 (err filled). */
static int read_tty_line(const char *prompt, char *out, size_t cap, char *err, size_t errlen) {
  struct termios quiet;
  struct sigaction sa = {0}, old_int, old_term;
  if (tcgetattr(STDIN_FILENO, &saved_tty) != 0) {
    snprintf(err, errlen, "cannot read the terminal settings: %s", strerror(errno));
    return -1;
  }
  sa.sa_handler = restore_tty_and_die;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  quiet = saved_tty;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  quiet.c_lflag |= ECHONL;
  /* echo off before the prompt shows: nothing typed after the prompt appears is echoed */
  tty_changed = 1; /* before the change: a signal right after it must still restore the echo */
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  fprintf(stderr, "%s: ", prompt);
  fflush(stderr);
  size_t n = 0;
  bool too_long = false, eof = false;
  for (;;) {
    char ch;
    ssize_t r = read(STDIN_FILENO, &ch, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      eof = true;
      break;
    }
    if (ch == '\n') break;
    if (n + 1 < cap)
      out[n++] = ch;
    else
      too_long = true;
  }
  out[n] = '\0';
  if (tty_changed) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
  tty_changed = 0;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  trim_end(out, &n);
  if (too_long || n == 0) {
    snprintf(err, errlen, "%s: %s", prompt, too_long ? "too long" : eof ? "no input" : "nothing typed");
    cf_wipe(out, cap);
    return -1;
  }
  return 0;
}

static int from_stdin(const char *option, char *out, size_t cap, char *err, size_t errlen) {
  if (isatty(STDIN_FILENO)) return read_tty_line(option, out, cap, err, errlen);
  if (cf_secret_fd_check(STDIN_FILENO, "standard input", err, errlen) != 0) return -1;
  size_t got = 0;
  int r = read_all(STDIN_FILENO, out, cap, &got);
  out[got] = '\0';
  int rc = 0;
  if (r < 0)
    snprintf(err, errlen, "standard input (for %s): %s", option, strerror(errno)), rc = -1;
  else if (r > 0)
    snprintf(err, errlen, "standard input (for %s): longer than %zu bytes", option, cap - 1), rc = -1;
  else if (memchr(out, 0, got) != NULL || trim_end(out, &got) != 0)
    snprintf(err, errlen, "standard input (for %s): empty or not text", option), rc = -1;
  if (rc != 0) cf_wipe(out, cap);
  return rc;
}

static int from_prompt(const cf_secret_spec *spec, char *out, size_t cap, char *err, size_t errlen) {
  if (read_tty_line(spec->prompt, out, cap, err, errlen) != 0) return -1;
  if (!spec->confirm) return 0;
  char again[CF_SECRET_MAX], label[160];
  snprintf(label, sizeof label, "%s (again)", spec->prompt);
  size_t acap = cap < sizeof again ? cap : sizeof again;
  int rc = read_tty_line(label, again, acap, err, errlen);
  if (rc == 0 && (strlen(again) != strlen(out) || !cf_ct_equal(again, out, strlen(out)))) {
    snprintf(err, errlen, "%s: the two entries differ", spec->prompt);
    rc = -1;
  }
  cf_wipe(again, sizeof again);
  if (rc != 0) cf_wipe(out, cap);
  return rc;
}

int cf_secret_get(const cf_secret_spec *spec, char *out, size_t cap, cf_secret_source *source, char *err,
                  size_t errlen) {
  cf_secret_source src = CF_SECRET_NONE;
  int rc = 0;
  const char *v = spec->value;
  if (cap < 2) {
    snprintf(err, errlen, "%s: no room for the secret", spec->option);
    return -1;
  }
  out[0] = '\0';
  if (v != NULL && strcmp(v, "-") == 0) {
    src = CF_SECRET_STDIN;
    rc = from_stdin(spec->option, out, cap, err, errlen);
  } else if (v != NULL && v[0] == '@' && v[1] != '@') {
    src = CF_SECRET_FILE;
    rc = v[1] == '\0' ? (snprintf(err, errlen, "%s @FILE: no file named", spec->option), -1)
                      : from_file(v + 1, spec->option, out, cap, err, errlen);
  } else if (v != NULL) {
    src = CF_SECRET_ARGUMENT;
    cf_secret_warn_command_line(spec->option, spec->env);
    rc = copy_text(v[0] == '@' ? v + 1 : v, spec->option, out, cap, err, errlen);
  } else if (spec->env != NULL && getenv(spec->env) != NULL) {
    src = CF_SECRET_ENV;
    rc = copy_text(getenv(spec->env), spec->env, out, cap, err, errlen);
  } else if (spec->prompt != NULL && isatty(STDIN_FILENO)) {
    src = CF_SECRET_PROMPT;
    rc = from_prompt(spec, out, cap, err, errlen);
  }
  if (source) *source = src; /* on a failure too: the caller words it by where it came from */
  if (rc != 0) return -1;
  return src == CF_SECRET_NONE ? 0 : 1;
}
