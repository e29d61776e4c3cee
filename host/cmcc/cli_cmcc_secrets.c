/* The secrets of `cardforge cmcc` (PINs, key values): from the option (a literal value is warned
 * about; "@FILE" and "-" read a file or standard input), else the environment variable, else (PINs)
 * a prompt without echo on a terminal (cardforge/secret_input.h). */
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/secret_input.h"
#include "cli_cmcc_internal.h"

int cmcch_cli_secret(cmcch_cli *c, const char *option, const char *env, const char *prompt, bool confirm,
                     char *out, size_t cap, bool *given) {
  return cmcch_cli_secret_value(cmcch_opt(c, option), option, env, prompt, confirm, out, cap, given);
}

int cmcch_cli_secret_value(const char *value, const char *option, const char *env, const char *prompt,
                           bool confirm, char *out, size_t cap, bool *given) {
  char err[512] = "";
  cf_secret_source src = CF_SECRET_NONE;
  cf_secret_spec spec = {.option = option, .value = value, .env = env, .prompt = prompt, .confirm = confirm};
  int r = cf_secret_get(&spec, out, cap, &src, err, sizeof err);
  *given = r == 1;
  if (r >= 0) return 0;
  bool file = src == CF_SECRET_FILE || src == CF_SECRET_STDIN;
  return cmcch_cli_fail(file ? CF_EXIT_FILE : CF_EXIT_USAGE, "%s", err);
}

int cmcch_cli_secret_pin(cmcch_cli *c, const char *option, const char *env, const char *prompt, bool confirm,
                         uint8_t pin[8]) {
  const int ncache = (int)(sizeof c->pins / sizeof c->pins[0]);
  for (int i = 0; i < c->npins; i++) {
    if (strcmp(c->pins[i].option, option) == 0) {
      memcpy(pin, c->pins[i].pin, 8);
      return 0;
    }
  }
  char text[64];
  bool given = false;
  int rc = cmcch_cli_secret(c, option, env, prompt, confirm, text, sizeof text, &given);
  if (rc == 0 && !given)
    rc = cmcch_cli_fail(CF_EXIT_USAGE, "no %s (give %s @FILE, %s - or set %s; or type it at a terminal)",
                        prompt, option, option, env);
  if (rc == 0 && cmcch_cli_parse_pin(text, pin) != 0)
    rc = cmcch_cli_fail(CF_EXIT_USAGE, "%s: a PIN is 16 hex digits or exactly 8 characters", option);
  cf_wipe(text, sizeof text);
  if (rc == 0 && c->npins < ncache) {
    c->pins[c->npins].option = option;
    memcpy(c->pins[c->npins++].pin, pin, 8);
  }
  return rc;
}

int cmcch_cli_secret_key(const char *value, const char *option, const char *env, uint8_t key[16],
                         bool *given) {
  char text[CF_SECRET_MAX];
  int rc = cmcch_cli_secret_value(value, option, env, NULL, false, text, sizeof text, given);
  if (rc == 0 && *given && !cmcch_cli_hex(text, key, 16))
    rc = cmcch_cli_fail(CF_EXIT_USAGE, "%s: a key value is 32 hex digits", option);
  cf_wipe(text, sizeof text);
  return rc;
}
