/* The secrets of `cardforge keycard`: PIN, PUK, pairing password or secret, key material. Each comes
 * from its option (a literal value is warned about; "@FILE" and "-" read a file or standard input),
 * else its environment variable, else (PINs and PUKs) a prompt without echo on a terminal
 * (host/common/include/cardforge/secret_input.h). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/secret_input.h"
#include "cli_keycard_internal.h"

int keycard_cli_secret(const keycard_cli *c, const keycard_cli_secret_spec *s, char *out, size_t cap,
                       bool *given) {
  char err[512] = "";
  cf_secret_source src = CF_SECRET_NONE;
  cf_secret_spec spec = {.option = s->option,
                         .value = keycard_cli_opt_value(c, s->option),
                         .env = s->env,
                         .prompt = s->prompt,
                         .confirm = s->confirm};
  int r = cf_secret_get(&spec, out, cap, &src, err, sizeof err);
  *given = r == 1;
  if (r >= 0) return CF_EXIT_OK;
  /* a file (or standard input) that cannot be used is a file error; anything else, a usage error */
  bool file = src == CF_SECRET_FILE || src == CF_SECRET_STDIN;
  return keycard_cli_error(c, file ? CF_EXIT_FILE : CF_EXIT_USAGE, "%s", err);
}

static const keycard_cli_secret_spec pin_spec = {"--pin", "CARDFORGE_PIN", "Keycard PIN", false};

/* Reads the PIN of src's options (else its environment or the prompt) into cache, reporting any
 * problem on reporter's streams. */
static void resolve_pin(const keycard_cli *src, const keycard_cli *reporter, keycard_cli_pin_cache *cache) {
  bool given = false;
  keycard_cli from = *src; /* src's options, reporter's streams and command name */
  from.io = reporter->io;
  from.cmd = reporter->cmd;
  from.g = reporter->g;
  cache->resolved = true;
  cache->code = keycard_cli_secret(&from, &pin_spec, cache->text, sizeof cache->text, &given);
  if (cache->code == CF_EXIT_OK && !given)
    cache->code = keycard_cli_error(&from, CF_EXIT_USAGE,
                                    "give the PIN: --pin @FILE, --pin - (standard input), CARDFORGE_PIN, "
                                    "or type it at the prompt on a terminal");
  cf_wipe(&from, sizeof from);
}

/* In a shell session the PIN is the shell's (read once for the session, from the shell's own
 * options), never a script line's. */
static keycard_cli_pin_cache *pin_cache(keycard_cli *c) {
  return c->session ? &c->session->shell->pin : &c->pin;
}

const char *keycard_cli_pin(keycard_cli *c) {
  keycard_cli_pin_cache *cache = pin_cache(c);
  if (!cache->resolved) {
    resolve_pin(c->session ? c->session->shell : c, c, cache);
  } else if (cache->code != CF_EXIT_OK && c->session) {
    /* reported at the session's first PIN command; each later one says why it fails too */
    keycard_cli_error(c, cache->code, "no PIN for this session (see the first command that needed it)");
  }
  return cache->code == CF_EXIT_OK ? cache->text : NULL;
}

int keycard_cli_pin_code(const keycard_cli *c) {
  const keycard_cli_pin_cache *cache = c->session ? &c->session->shell->pin : &c->pin;
  return cache->code != CF_EXIT_OK ? cache->code : CF_EXIT_USAGE;
}

void keycard_cli_forget_secrets(keycard_cli *c) {
  cf_wipe(&c->pin, sizeof c->pin);
}

int keycard_cli_secret_hex(const keycard_cli *c, const keycard_cli_secret_spec *s, uint8_t *out, size_t want,
                           bool *given) {
  char text[CF_SECRET_MAX];
  int code = keycard_cli_secret(c, s, text, sizeof text, given);
  if (code == CF_EXIT_OK && *given && cf_hex_decode(text, out, want) != (long)want)
    code = keycard_cli_error(c, CF_EXIT_USAGE, "%s needs %zu bytes of hex", s->option, want);
  cf_wipe(text, sizeof text);
  return code;
}

int keycard_cli_pairing_secret(const keycard_cli *c, const keycard_cli_secret_spec *password,
                               const keycard_cli_secret_spec *secret, bool allow_default, uint8_t out[32]) {
  char pw[CF_SECRET_MAX];
  bool has_pw = false, has_secret = false;
  int code = keycard_cli_secret(c, password, pw, sizeof pw, &has_pw);
  if (code == CF_EXIT_OK) code = keycard_cli_secret_hex(c, secret, out, 32, &has_secret);
  if (code == CF_EXIT_OK && has_pw && has_secret)
    code = keycard_cli_error(c, CF_EXIT_USAGE, "give %s or %s, not both", password->option, secret->option);
  if (code == CF_EXIT_OK && !has_pw && !has_secret && !allow_default)
    code = keycard_cli_error(c, CF_EXIT_USAGE, "give %s or %s", password->option, secret->option);
  if (code == CF_EXIT_OK && !has_secret) {
    int rc = keycard_client_pairing_secret(has_pw ? pw : KEYCARD_CLIENT_DEFAULT_PAIRING_PASSWORD, out);
    if (rc == KEYCARD_CLIENT_EARG)
      code = keycard_cli_error(c, CF_EXIT_USAGE,
                               "the pairing password cannot be normalised (empty, or not UTF-8)");
    else if (rc != KEYCARD_CLIENT_OK)
      code = keycard_cli_error(c, CF_EXIT_INTERNAL, "cannot derive the pairing secret");
  }
  cf_wipe(pw, sizeof pw);
  if (code != CF_EXIT_OK) cf_wipe(out, 32);
  return code;
}
