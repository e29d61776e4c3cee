/* `cardforge keycard shell`: many commands on one card, with one PC/SC transaction, one secure
 * channel and one PIN verification, for scripts and wallets. Each script line is a `cardforge
 * keycard` command line; each gets exactly one answer line:
 *
 *   ok[ RESULT]            RESULT: the command's result lines ("name: value"), joined by "; "
 *   error CODE MESSAGE     CODE: the exit code the command would have had
 *
 * The commands run as they do alone (cli_keycard.c lends them the session's card); here the script
 * is read, each line's output captured and answered, and the session ended. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/batch_interrupt.h"
#include "cardforge/crypto.h"
#include "cli_keycard_internal.h"
#include "keycard_shell_line.h"

/* The error line a command wrote ("cardforge: keycard CMD: message"): the last one in log. Other
 * log lines (progress) are passed on to the shell's log. */
static void split_log(const char *log, size_t len, FILE *pass, char *msg, size_t cap) {
  static const char prefix[] = "cardforge: keycard ";
  /* prefix without its last character: "cardforge: keycard" then ' ' or ':' */
  msg[0] = '\0';
  for (size_t i = 0; i < len;) {
    const char *line = log + i;
    size_t n = strcspn(line, "\n");
    if (n >= sizeof prefix - 2 && strncmp(line, prefix, sizeof prefix - 2) == 0 &&
        (line[sizeof prefix - 2] == ' ' || line[sizeof prefix - 2] == ':')) {
      /* "cardforge: keycard CMD: why", or "cardforge: keycard: why" before a command is known */
      size_t skip = sizeof prefix - 1;
      if (line[sizeof prefix - 2] == ':') skip++;
      size_t m = n > skip ? n - skip : 0;
      if (m >= cap) m = cap - 1;
      memcpy(msg, line + skip, m);
      msg[m] = '\0';
    } else {
      fprintf(pass, "%.*s\n", (int)n, line);
    }
    i += n + (line[n] == '\n');
  }
}

/* One answer line; control characters of the command's text become '?' so that the answer stays
 * one line whatever a card or file held. */
static void put_text(FILE *out, const char *text, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)text[i];
    fputc(ch < 0x20 || ch == 0x7F ? '?' : ch, out);
  }
}

static void answer_ok(FILE *out, const char *result, size_t len) {
  fputs("ok", out);
  const char *sep = " ";
  for (size_t i = 0; i < len;) {
    size_t n = strcspn(result + i, "\n");
    if (n > 0) {
      fputs(sep, out);
      put_text(out, result + i, n);
      sep = "; ";
    }
    i += n + (result[i + n] == '\n');
  }
  fputc('\n', out);
}

static void answer_error(FILE *out, int code, const char *msg) {
  fprintf(out, "error %d ", code);
  put_text(out, msg[0] ? msg : "failed", strlen(msg[0] ? msg : "failed"));
  fputc('\n', out);
}

/* Runs one script line (words already split); returns its exit code. */
static int run_line(keycard_cli_session *s, int nwords, char **words) {
  const keycard_cli_io *io = s->shell->io;
  char *argv[KEYCARD_SHELL_MAX_WORDS + 2];
  argv[0] = "keycard";
  for (int i = 0; i < nwords; i++)
    argv[i + 1] = words[i];
  argv[nwords + 1] = NULL;
  char *out_text = NULL, *log_text = NULL;
  size_t out_len = 0, log_len = 0;
  FILE *out = open_memstream(&out_text, &out_len), *log = open_memstream(&log_text, &log_len);
  int code;
  if (out == NULL || log == NULL) {
    if (out) fclose(out);
    if (log) fclose(log);
    free(out_text);
    free(log_text);
    answer_error(io->out, CF_EXIT_INTERNAL, "out of memory");
    return CF_EXIT_INTERNAL;
  }
  keycard_cli_io line_io = *io;
  line_io.out = out;
  line_io.log = log;
  code = keycard_cli_run_in_session(s, nwords + 1, argv, &line_io);
  fclose(out);
  fclose(log);
  char msg[512];
  split_log(log_text, log_len, io->log, msg, sizeof msg);
  if (code == CF_EXIT_OK)
    answer_ok(io->out, out_text, out_len);
  else
    answer_error(io->out, code, msg);
  fflush(io->out);
  /* results may hold secrets a command prints once (init's random PIN) */
  cf_wipe(out_text, out_len);
  free(out_text);
  free(log_text);
  return code;
}

/* The shell's own checks before the first line: the script and the PIN cannot both be standard input. */
static int open_script(keycard_cli *c, FILE **script, bool *owned) {
  const char *file = keycard_cli_opt_value(c, "--file");
  const char *pin = keycard_cli_opt_value(c, "--pin");
  *owned = false;
  if (file == NULL || strcmp(file, "-") == 0) {
    if (pin != NULL && strcmp(pin, "-") == 0)
      return keycard_cli_error(c, CF_EXIT_USAGE, "--pin - needs the script in a file (--file FILE)");
    *script = c->io->in ? c->io->in : stdin;
    return CF_EXIT_OK;
  }
  *script = fopen(file, "r");
  if (*script == NULL) return keycard_cli_error(c, CF_EXIT_FILE, "cannot open the script %s", file);
  *owned = true;
  return CF_EXIT_OK;
}

void keycard_cli_session_end(keycard_cli_session *s) {
  if (s->connected) {
    keycard_client_wipe(&s->card.kc);
    /* the transport resets the card when the session may have left security state on it */
    cf_transport_close(s->card.t);
  }
  cf_wipe(&s->card, sizeof s->card);
  s->connected = false;
  s->pin_verified = false;
  keycard_cli_forget_secrets(s->shell);
}

int keycard_cli_cmd_shell(void *ctx) {
  keycard_cli *c = ctx;
  FILE *script = NULL;
  bool owned = false;
  int code = open_script(c, &script, &owned);
  if (code != CF_EXIT_OK) return code;
  keycard_cli_session s = {.shell = c};
  int first_failure = CF_EXIT_OK;
  unsigned lines = 0, commands = 0, failed = 0;
  char *line = NULL;
  size_t line_cap = 0;
  ssize_t len;
  int signal_seen = 0;
  /* SIGINT / SIGTERM end the session between lines: the line in progress finishes and the card is
   * still reset at the end, never left with its channel open and the PIN verified */
  cf_batch_interrupt_arm();
  while ((len = getline(&line, &line_cap, script)) >= 0) {
    if ((signal_seen = cf_batch_interrupted()) != 0) break;
    lines++;
    char buf[KEYCARD_SHELL_MAX_LINE];
    char *words[KEYCARD_SHELL_MAX_WORDS];
    char err[128];
    int n = keycard_shell_split(line, (size_t)len, buf, sizeof buf, words, KEYCARD_SHELL_MAX_WORDS, err,
                                sizeof err);
    if (n == 0) continue; /* blank or comment: no answer */
    commands++;
    if (n < 0) {
      char msg[192];
      snprintf(msg, sizeof msg, "line %u: %s", lines, err);
      answer_error(c->io->out, CF_EXIT_USAGE, msg);
      fflush(c->io->out); /* each answer as soon as it is known: a wallet reads them as they come */
      code = CF_EXIT_USAGE;
    } else {
      code = run_line(&s, n, words);
    }
    cf_wipe(buf, sizeof buf);
    cf_wipe(line, (size_t)len);
    if (code == CF_EXIT_OK) continue;
    failed++;
    if (first_failure == CF_EXIT_OK) first_failure = code;
    /* the reader is gone or another program took the card: the session's state is lost */
    if (code == CF_EXIT_TRANSPORT || code == CF_EXIT_SHARED) break;
  }
  if (signal_seen == 0) signal_seen = cf_batch_interrupted();
  cf_batch_interrupt_disarm();
  bool read_error = ferror(script) != 0;
  if (line != NULL) cf_wipe(line, line_cap); /* a line left unrun (a signal) may hold a secret */
  free(line);
  if (owned) fclose(script);
  keycard_cli_progress(
      c, "session: %u command%s, %u failed; secure channel opened %u time%s, PIN verified %u time%s",
      commands, commands == 1 ? "" : "s", failed, s.channels_opened, s.channels_opened == 1 ? "" : "s",
      s.pins_verified, s.pins_verified == 1 ? "" : "s");
  keycard_cli_session_end(&s);
  if (signal_seen != 0) {
    keycard_cli_progress(c, "session ended by signal %d after %u command%s", signal_seen, commands,
                         commands == 1 ? "" : "s");
    return cf_batch_interrupt_exit_code(signal_seen);
  }
  if (read_error && first_failure == CF_EXIT_OK)
    return keycard_cli_error(c, CF_EXIT_FILE, "cannot read the script");
  return first_failure;
}
