/* `cardforge keycard` commands that talk to one card. */
#include <stdlib.h>
#include <string.h>

#include "cardforge/audit.h"
#include "cardforge/crypto.h"
#include "cardforge/file_lock.h"
#include "cardforge/hex.h"
#include "cardforge/secret_input.h"
#include "cli_keycard_internal.h"
#include "keycard_pairing_token.h"

static const char *reader_opt(const keycard_cli *c) {
  return keycard_cli_opt_value(c, "--reader");
}

/* Decodes a hex option of exactly want bytes (want 0: any length up to cap). */
static int hex_opt(const keycard_cli *c, const char *name, uint8_t *out, size_t want, size_t cap,
                   size_t *len) {
  const char *v = keycard_cli_opt_value(c, name);
  long n = v ? cf_hex_decode(v, out, cap) : -1;
  if (n < 0 || (want && (size_t)n != want)) {
    if (want) return keycard_cli_error(c, CF_EXIT_USAGE, "%s needs %zu bytes of hex", name, want);
    return keycard_cli_error(c, CF_EXIT_USAGE, "%s needs hex (at most %zu bytes)", name, cap);
  }
  if (len) *len = (size_t)n;
  return CF_EXIT_OK;
}

/* The secrets of these commands: option, environment variable, prompt (cli_keycard_secrets.c). */
static const keycard_cli_secret_spec init_pin = {"--pin", "CARDFORGE_PIN", "new Keycard PIN (6 digits)",
                                                 true};
static const keycard_cli_secret_spec puk_spec = {"--puk", "CARDFORGE_PUK", "Keycard PUK", false};
static const keycard_cli_secret_spec init_puk = {"--puk", "CARDFORGE_PUK", "new Keycard PUK (12 digits)",
                                                 true};
static const keycard_cli_secret_spec alt_pin = {"--alt-pin", "CARDFORGE_ALT_PIN", NULL, false};
static const keycard_cli_secret_spec new_pin = {"--new-pin", "CARDFORGE_NEW_PIN", "new Keycard PIN", true};
static const keycard_cli_secret_spec new_puk = {"--new-puk", "CARDFORGE_NEW_PUK", "new Keycard PUK", true};
static const keycard_cli_secret_spec init_password = {"--pairing-password", "CARDFORGE_PAIRING_PASSWORD",
                                                      NULL, false};
static const keycard_cli_secret_spec init_secret = {"--pairing-secret", "CARDFORGE_PAIRING_SECRET", NULL,
                                                    false};
static const keycard_cli_secret_spec pair_password = {"--password", "CARDFORGE_PAIRING_PASSWORD", NULL,
                                                      false};
static const keycard_cli_secret_spec pair_secret = {"--secret", "CARDFORGE_PAIRING_SECRET", NULL, false};
static const keycard_cli_secret_spec new_password = {"--password", "CARDFORGE_NEW_PAIRING_PASSWORD", NULL,
                                                     false};
static const keycard_cli_secret_spec new_secret = {"--secret", "CARDFORGE_NEW_PAIRING_SECRET", NULL, false};
static const keycard_cli_secret_spec mnemonic_spec = {"--mnemonic", "CARDFORGE_MNEMONIC", NULL, false};
static const keycard_cli_secret_spec passphrase_spec = {"--passphrase", "CARDFORGE_PASSPHRASE", NULL, false};
static const keycard_cli_secret_spec seed_spec = {"--seed", "CARDFORGE_SEED", NULL, false};
static const keycard_cli_secret_spec key_spec = {"--key", "CARDFORGE_KEY", NULL, false};

static void print_uid_line(const keycard_cli *c, const char *label, const uint8_t *uid, size_t len) {
  keycard_cli_print_hex(c, label, uid, len);
}

int keycard_cli_cmd_info(void *ctx) {
  keycard_cli *c = ctx;
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_SELECT);
  if (code != CF_EXIT_OK) goto out;
  const keycard_client_info *in = &card.kc.info;
  keycard_cli_print_field(c, "initialized", in->initialized ? "yes" : "no", json_boolean(in->initialized));
  if (in->initialized) {
    char text[96];
    print_uid_line(c, "instance-uid", in->instance_uid, KEYCARD_CLIENT_UID_LEN);
    snprintf(text, sizeof text, "%u.%u", in->version >> 8, in->version & 0xFF);
    keycard_cli_print_field(c, "version", text, NULL);
    snprintf(text, sizeof text, "%u", in->free_slots);
    keycard_cli_print_field(c, "free-pairing-slots", text, json_integer(in->free_slots));
    if (in->has_key)
      print_uid_line(c, "key-uid", in->key_uid, KEYCARD_CLIENT_KEY_UID_LEN);
    else
      keycard_cli_print_field(c, "key-uid", "none", json_null());
    static const struct {
      unsigned bit;
      const char *name;
    } caps[] = {{KEYCARD_CLIENT_CAP_SECURE_CHANNEL, "secure-channel"},
                {KEYCARD_CLIENT_CAP_KEY_MANAGEMENT, "key-management"},
                {KEYCARD_CLIENT_CAP_CREDENTIALS, "credentials"},
                {KEYCARD_CLIENT_CAP_NDEF, "ndef"}};
    json_t *cap_list = json_array();
    size_t used = 0;
    text[0] = 0;
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
      if (in->capabilities & caps[i].bit) {
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", used ? " " : "", caps[i].name);
        json_array_append_new(cap_list, json_string(caps[i].name));
      }
    keycard_cli_print_field(c, "capabilities", text, cap_list);
    uint8_t index, key[32];
    char err[256] = "";
    int found = keycard_client_pairing_get(c->store, in->instance_uid, &index, key, err, sizeof err);
    cf_wipe(key, sizeof key);
    int stored = found > 0 ? keycard_client_pairing_count(c->store, in->instance_uid, err, sizeof err) : 0;
    if (stored > 1)
      snprintf(text, sizeof text, "yes (slot %u, the newest of %d pairings stored)", index, stored);
    else if (found > 0)
      snprintf(text, sizeof text, "yes (slot %u)", index);
    else
      snprintf(text, sizeof text, "no");
    keycard_cli_print_field(
        c, "paired", text,
        found > 0 ? json_pack("{s:i,s:i}", "slot", index, "stored", stored > 1 ? stored : 1) : json_false());
  }
  keycard_cli_print_hex(c, "secure-channel-key", in->sc_pub, 65);
out:
  keycard_cli_close(&card);
  return code;
}

/* init's retry counts: both or neither. */
static int retry_counts(const keycard_cli *c, unsigned long *pin_tries, unsigned long *puk_tries) {
  const char *pt = keycard_cli_opt_value(c, "--pin-retries"), *kt = keycard_cli_opt_value(c, "--puk-retries");
  *pin_tries = *puk_tries = 0;
  if ((pt == NULL) != (kt == NULL))
    return keycard_cli_error(c, CF_EXIT_USAGE, "give both --pin-retries and --puk-retries, or neither");
  if (!pt) return CF_EXIT_OK;
  char *e1, *e2;
  *pin_tries = strtoul(pt, &e1, 10);
  *puk_tries = strtoul(kt, &e2, 10);
  if (*e1 || *e2 || *pin_tries < 2 || *pin_tries > 10 || *puk_tries < 3 || *puk_tries > 12)
    return keycard_cli_error(c, CF_EXIT_USAGE, "PIN tries must be 2..10 and PUK tries 3..12");
  return CF_EXIT_OK;
}

/* The secrets INIT sends: PIN, PUK, optional alternate PIN, pairing secret. */
typedef struct init_secrets {
  char pin[64], puk[64], alt[64];
  bool has_alt;
  uint8_t pairing[32];
} init_secrets;

/* No PIN, PUK or pairing credential given anywhere (options, environment): init draws them. */
static bool no_init_credentials(const keycard_cli *c) {
  static const char *const options[] = {"--pin", "--puk", "--pairing-password", "--pairing-secret",
                                        "--alt-pin"};
  static const char *const env[] = {"CARDFORGE_PIN", "CARDFORGE_PUK", "CARDFORGE_PAIRING_PASSWORD",
                                    "CARDFORGE_PAIRING_SECRET", "CARDFORGE_ALT_PIN"};
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
    if (keycard_cli_opt_set(c, options[i]) || getenv(env[i]) != NULL) return false;
  return true;
}

/* Random PIN, PUK and pairing password (keycard-go GenerateSecrets), printed once by init. */
static int random_init_secrets(const keycard_cli *c, init_secrets *s, keycard_client_credentials *cred) {
  if (keycard_client_random_credentials(cred) != KEYCARD_CLIENT_OK ||
      keycard_client_pairing_secret(cred->pairing_password, s->pairing) != KEYCARD_CLIENT_OK)
    return keycard_cli_error(c, CF_EXIT_INTERNAL, "cannot draw random credentials");
  memcpy(s->pin, cred->pin, sizeof cred->pin);
  memcpy(s->puk, cred->puk, sizeof cred->puk);
  return CF_EXIT_OK;
}

static int read_init_secrets(const keycard_cli *c, init_secrets *s) {
  bool has_pin = false, has_puk = false;
  int code = keycard_cli_secret(c, &init_pin, s->pin, sizeof s->pin, &has_pin);
  if (code == CF_EXIT_OK) code = keycard_cli_secret(c, &init_puk, s->puk, sizeof s->puk, &has_puk);
  if (code == CF_EXIT_OK) code = keycard_cli_secret(c, &alt_pin, s->alt, sizeof s->alt, &s->has_alt);
  if (code == CF_EXIT_OK && (!has_pin || !has_puk))
    code = keycard_cli_error(c, CF_EXIT_USAGE,
                             "init needs a PIN and a PUK (--pin, --puk; @FILE, - or "
                             "CARDFORGE_PIN / CARDFORGE_PUK; or the prompts on a terminal)");
  if (code == CF_EXIT_OK)
    code = keycard_cli_pairing_secret(c, &init_password, &init_secret, true, s->pairing);
  return code;
}

int keycard_cli_cmd_init(void *ctx) {
  keycard_cli *c = ctx;
  unsigned long pin_tries = 0, puk_tries = 0;
  int code = retry_counts(c, &pin_tries, &puk_tries);
  if (code != CF_EXIT_OK) return code;
  init_secrets s;
  memset(&s, 0, sizeof s);
  keycard_cli_card card = {0};
  keycard_client_credentials cred;
  memset(&cred, 0, sizeof cred);
  bool random = no_init_credentials(c), sent = false;
  code = random ? random_init_secrets(c, &s, &cred) : read_init_secrets(c, &s);
  if (code != CF_EXIT_OK) goto out;
  /* The card takes the alternate PIN from the PUK's first digits unless given; when it equals the
   * PIN, the card treats the PIN as the alternate one and derives keys from the alternate chain. */
  const char *alt_pin_text = s.has_alt ? s.alt : s.puk;
  if (strlen(s.pin) == KEYCARD_CLIENT_PIN_LEN && strncmp(alt_pin_text, s.pin, KEYCARD_CLIENT_PIN_LEN) == 0)
    keycard_cli_progress(
        c, "warning: the alternate PIN%s equals the PIN: derived keys will use the alternate chain",
        s.has_alt ? "" : " (the PUK's first six digits)");
  code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_SELECT);
  if (code == CF_EXIT_OK && card.kc.info.initialized)
    code = keycard_cli_error(c, CF_EXIT_CARD, "the card is already initialized (factory-reset it first)");
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_init_card(&card.kc, s.pin, s.puk, s.pairing, (uint8_t)pin_tries,
                                      (uint8_t)puk_tries, s.has_alt ? s.alt : NULL);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
    sent = true;
  }
  if (code == CF_EXIT_OK) code = keycard_cli_reopen(c, &card, KEYCARD_CLI_NEED_SELECT);
  if (sent)
    cf_audit_record(
        c->g, card.reader, "keycard init", card.kc.sw, code, "{s:s?,s:i,s:i,s:b}", "instance_uid",
        code == CF_EXIT_OK ? cf_audit_hex(card.kc.info.instance_uid, KEYCARD_CLIENT_UID_LEN) : NULL,
        "pin_retries", (int)pin_tries, "puk_retries", (int)puk_tries, "random_credentials", random);
  if (code == CF_EXIT_OK) {
    keycard_cli_progress(c, "card initialized");
    print_uid_line(c, "instance-uid", card.kc.info.instance_uid, KEYCARD_CLIENT_UID_LEN);
  }
  if (code == CF_EXIT_OK && random) {
    /* shown this once and kept nowhere: the card cannot tell them again */
    fprintf(c->io->out, "pin: %s\npuk: %s\npairing-password: %s\n", cred.pin, cred.puk,
            cred.pairing_password);
    keycard_cli_progress(c, "the PIN, PUK and pairing password above were drawn at random and are shown only "
                            "this once: keep them");
  }
out:
  cf_wipe(&cred, sizeof cred);
  cf_wipe(&s, sizeof s);
  keycard_cli_close(&card);
  return code;
}

/* PAIR spent a slot whose pairing cannot be saved: give it back (UNPAIR needs the channel and the
 * PIN), else say how to free it. Returns CF_EXIT_FILE either way. */
static int undo_pair(keycard_cli *c, keycard_cli_card *card, const char *why) {
  unsigned slot = card->kc.pairing_index;
  keycard_cli_error(c, CF_EXIT_FILE, "paired in slot %u but the pairing cannot be saved: %s", slot, why);
  int code = keycard_cli_reopen(c, card, KEYCARD_CLI_NEED_PIN);
  int rc = code == CF_EXIT_OK ? keycard_client_unpair(&card->kc, (uint8_t)slot) : KEYCARD_CLIENT_OK;
  if (code == CF_EXIT_OK && rc == KEYCARD_CLIENT_OK) {
    keycard_cli_progress(c, "pairing undone: slot %u is free again", slot);
    return CF_EXIT_FILE;
  }
  if (code == CF_EXIT_OK) keycard_cli_fail(c, &card->kc, rc);
  return keycard_cli_error(
      c, CF_EXIT_FILE, "slot %u stays taken on the card: free it with `cardforge keycard unpair --index %u`",
      slot, slot);
}

/* pair --ephemeral (3.2): slot FF, never saved; it lasts until the wallet is deselected or the card
 * reset, so it is shown working (a channel opened with it) and then gone with this run. */
static int pair_ephemeral(keycard_cli *c, const uint8_t secret[32]) {
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_SELECT);
  if (code == CF_EXIT_OK && !card.kc.info.initialized)
    code = keycard_cli_error(c, CF_EXIT_CARD, "the card is not initialized (run `cardforge keycard init`)");
  int rc = KEYCARD_CLIENT_OK;
  if (code == CF_EXIT_OK) rc = keycard_client_pair_with_mode(&card.kc, secret, KEYCARD_CLIENT_PAIR_EPHEMERAL);
  if (code == CF_EXIT_OK && rc == KEYCARD_CLIENT_OK) rc = keycard_client_open_channel(&card.kc);
  if (code == CF_EXIT_OK && rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  if (code == CF_EXIT_OK) {
    keycard_cli_progress(c, "ephemeral pairing made and a secure channel opened with it; not saved: the card "
                            "forgets it when the wallet is deselected or the card reset");
    fprintf(c->io->out, "pairing-slot: %u\n", card.kc.pairing_index);
  }
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_pair(void *ctx) {
  keycard_cli *c = ctx;
  uint8_t secret[32];
  int code = keycard_cli_pairing_secret(c, &pair_password, &pair_secret, true, secret);
  if (code != CF_EXIT_OK) return code;
  if (keycard_cli_opt_set(c, "--ephemeral")) {
    code = pair_ephemeral(c, secret);
    cf_wipe(secret, sizeof secret);
    return code;
  }
  char err[512] = "";
  /* a slot spent with nowhere to record it would leak: make sure the store takes it first */
  const char *kind = "file";
  if (cf_state_check_writable(c->store, err, sizeof err) != 0 ||
      keycard_cli_pairing_store_ready(c, &kind, err, sizeof err) != 0) {
    cf_wipe(secret, sizeof secret);
    return keycard_cli_error(c, CF_EXIT_FILE, "cannot save a pairing (%s): the card was not paired", err);
  }
  keycard_cli_card card;
  code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_SELECT);
  if (code == CF_EXIT_OK && !card.kc.info.initialized)
    code = keycard_cli_error(c, CF_EXIT_CARD, "the card is not initialized (run `cardforge keycard init`)");
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_pair(&card.kc, secret);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
    cf_audit_record(c->g, card.reader, "keycard pair", card.kc.sw, code, "{s:s,s:i,s:s}", "instance_uid",
                    cf_audit_hex(card.kc.info.instance_uid, KEYCARD_CLIENT_UID_LEN), "pairing_slot",
                    code == CF_EXIT_OK ? (int)card.kc.pairing_index : -1, "pairing_store", kind);
  }
  /* with the token the key goes there and the host copy is wiped (keycard_pairing_token.c) */
  if (code == CF_EXIT_OK && keycard_cli_pairing_save(c, &card.kc, err, sizeof err) != 0)
    code = undo_pair(c, &card, err);
  if (code == CF_EXIT_OK) {
    if (strcmp(kind, "pkcs11") == 0)
      keycard_cli_progress(c, "paired, pairing key in the token, recorded in %s", c->store);
    else
      keycard_cli_progress(c, "paired, pairing saved in %s", c->store);
    fprintf(c->io->out, "pairing-slot: %u\n", card.kc.pairing_index);
  }
  cf_wipe(secret, sizeof secret);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_unpair(void *ctx) {
  keycard_cli *c = ctx;
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code != CF_EXIT_OK) goto out;
  unsigned long index = card.kc.pairing_index;
  const char *iv = keycard_cli_opt_value(c, "--index");
  if (iv) {
    char *end;
    index = strtoul(iv, &end, 10);
    if (*end || index > 255) {
      code = keycard_cli_error(c, CF_EXIT_USAGE, "--index needs a slot number");
      goto out;
    }
  }
  const char *kind = keycard_cli_pairing_kind(c, card.kc.info.instance_uid, (int)index);
  int rc = keycard_client_unpair(&card.kc, (uint8_t)index);
  if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  cf_audit_record(c->g, card.reader, "keycard unpair", card.kc.sw, code, "{s:s,s:i,s:s}", "instance_uid",
                  cf_audit_hex(card.kc.info.instance_uid, KEYCARD_CLIENT_UID_LEN), "pairing_slot", (int)index,
                  "pairing_store", kind);
  if (code != CF_EXIT_OK) goto out;
  /* forget exactly the freed slot: the card's other pairings (other runs, other slots) stay; a key
   * in the token goes with its line */
  char err[512] = "";
  if (keycard_cli_pairing_forget(c, card.kc.info.instance_uid, (int)index, err, sizeof err) != 0)
    code = keycard_cli_error(c, CF_EXIT_FILE, "slot %lu freed but %s", index, err);
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "pairing slot %lu freed", index);
out:
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_status(void *ctx) {
  keycard_cli *c = ctx;
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_CHANNEL);
  keycard_client_status st;
  uint8_t path[64];
  size_t plen = 0;
  char text[160];
  int rc = KEYCARD_CLIENT_OK;
  if (code != CF_EXIT_OK) goto out;
  if ((rc = keycard_client_get_status(&card.kc, &st)) != KEYCARD_CLIENT_OK ||
      (rc = keycard_client_get_key_path(&card.kc, path, sizeof path, &plen)) != KEYCARD_CLIENT_OK) {
    code = keycard_cli_fail(c, &card.kc, rc);
    goto out;
  }
  snprintf(text, sizeof text, "%u", st.pin_retries);
  keycard_cli_print_field(c, "pin-retries", text, json_integer(st.pin_retries));
  snprintf(text, sizeof text, "%u", st.puk_retries);
  keycard_cli_print_field(c, "puk-retries", text, json_integer(st.puk_retries));
  keycard_cli_print_field(c, "key-loaded", st.key_initialized ? "yes" : "no",
                          json_boolean(st.key_initialized));
  if (keycard_client_format_path(path, plen, text, sizeof text) == KEYCARD_CLIENT_OK)
    keycard_cli_print_field(c, "key-path", text, NULL);
out:
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_verify_pin(void *ctx) {
  keycard_cli *c = ctx;
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "PIN verified");
  keycard_cli_close(&card);
  return code;
}

/* CHANGE PIN / CHANGE PUK with the new digits (option, environment variable or prompt). */
static int change_digits(keycard_cli *c, const keycard_cli_secret_spec *spec, uint8_t which, size_t len,
                         const char *what) {
  char v[64];
  bool given = false;
  int code = keycard_cli_secret(c, spec, v, sizeof v, &given);
  if (code == CF_EXIT_OK && (!given || !keycard_client_digits_ok(v, len)))
    code = keycard_cli_error(c, CF_EXIT_USAGE, "%s needs %zu digits", spec->option, len);
  keycard_cli_card card = {0};
  if (code == CF_EXIT_OK) code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_change_secret(&card.kc, which, (const uint8_t *)v, len);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "%s changed", what);
  cf_wipe(v, sizeof v);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_change_pin(void *ctx) {
  keycard_cli *c = ctx;
  return change_digits(c, &new_pin, KEYCARD_CLIENT_CHANGE_PIN, KEYCARD_CLIENT_PIN_LEN, "PIN");
}

int keycard_cli_cmd_change_puk(void *ctx) {
  keycard_cli *c = ctx;
  return change_digits(c, &new_puk, KEYCARD_CLIENT_CHANGE_PUK, KEYCARD_CLIENT_PUK_LEN, "PUK");
}

int keycard_cli_cmd_change_pairing(void *ctx) {
  keycard_cli *c = ctx;
  uint8_t secret[32];
  int code = keycard_cli_pairing_secret(c, &new_password, &new_secret, false, secret);
  if (code != CF_EXIT_OK) return code;
  keycard_cli_card card;
  code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_change_secret(&card.kc, KEYCARD_CLIENT_CHANGE_PAIRING_SECRET, secret, 32);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "pairing secret changed (existing pairings stay valid)");
  cf_wipe(secret, sizeof secret);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_unblock(void *ctx) {
  keycard_cli *c = ctx;
  char puk[64], pin[64];
  bool has_puk = false, has_pin = false;
  int code = keycard_cli_secret(c, &puk_spec, puk, sizeof puk, &has_puk);
  if (code == CF_EXIT_OK) code = keycard_cli_secret(c, &new_pin, pin, sizeof pin, &has_pin);
  if (code == CF_EXIT_OK && (!has_puk || !has_pin))
    code = keycard_cli_error(c, CF_EXIT_USAGE, "unblock needs --puk and --new-pin");
  keycard_cli_card card = {0};
  if (code == CF_EXIT_OK) code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_CHANNEL);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_unblock_pin(&card.kc, puk, pin, NULL);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "PIN unblocked and set");
  cf_wipe(puk, sizeof puk);
  cf_wipe(pin, sizeof pin);
  keycard_cli_close(&card);
  return code;
}

/* The master key load-key sends, from exactly one of --mnemonic (with --passphrase), --seed, --key
 * (with --chain-code); each also from its environment variable when no option names the source. */
typedef struct key_material {
  enum { FROM_MNEMONIC, FROM_SEED, FROM_KEY } from;
  uint8_t seed[64], priv[32], chain[32];
  bool has_chain;
} key_material;

static bool source_given(const keycard_cli *c, const keycard_cli_secret_spec *s, bool any_option) {
  return any_option ? keycard_cli_opt_set(c, s->option) : getenv(s->env) != NULL;
}

static int mnemonic_seed(const keycard_cli *c, key_material *m) {
  char words[CF_SECRET_MAX], pass[CF_SECRET_MAX];
  bool has_words = false, has_pass = false;
  int code = keycard_cli_secret(c, &mnemonic_spec, words, sizeof words, &has_words);
  if (code == CF_EXIT_OK) code = keycard_cli_secret(c, &passphrase_spec, pass, sizeof pass, &has_pass);
  if (code == CF_EXIT_OK) code = keycard_cli_check_mnemonic(c, words);
  if (code == CF_EXIT_OK &&
      keycard_client_mnemonic_to_seed(words, has_pass ? pass : NULL, m->seed) != KEYCARD_CLIENT_OK)
    code = keycard_cli_error(c, CF_EXIT_USAGE, "the mnemonic cannot be used");
  cf_wipe(words, sizeof words);
  cf_wipe(pass, sizeof pass);
  return code;
}

static int read_key_material(const keycard_cli *c, key_material *m) {
  bool any = keycard_cli_opt_set(c, "--mnemonic") || keycard_cli_opt_set(c, "--seed") ||
             keycard_cli_opt_set(c, "--key");
  bool mn = source_given(c, &mnemonic_spec, any), sd = source_given(c, &seed_spec, any),
       k = source_given(c, &key_spec, any), given = false;
  if (mn + sd + k != 1)
    return keycard_cli_error(c, CF_EXIT_USAGE,
                             "give one of --mnemonic, --seed or --key (or one of CARDFORGE_MNEMONIC, "
                             "CARDFORGE_SEED, CARDFORGE_KEY)");
  if (!k && keycard_cli_opt_set(c, "--chain-code"))
    return keycard_cli_error(c, CF_EXIT_USAGE, "--chain-code goes with --key");
  if (!mn && keycard_cli_opt_set(c, "--passphrase"))
    return keycard_cli_error(c, CF_EXIT_USAGE, "--passphrase goes with --mnemonic");
  m->from = mn ? FROM_MNEMONIC : sd ? FROM_SEED : FROM_KEY;
  if (mn) return mnemonic_seed(c, m);
  if (sd) return keycard_cli_secret_hex(c, &seed_spec, m->seed, 64, &given);
  int code = keycard_cli_secret_hex(c, &key_spec, m->priv, 32, &given);
  if (code == CF_EXIT_OK && !cf_ec_priv_valid(m->priv))
    code = keycard_cli_error(c, CF_EXIT_USAGE, "--key is not a valid secp256k1 private key");
  m->has_chain = keycard_cli_opt_set(c, "--chain-code");
  if (code == CF_EXIT_OK && m->has_chain) code = hex_opt(c, "--chain-code", m->chain, 32, 32, NULL);
  return code;
}

int keycard_cli_cmd_load_key(void *ctx) {
  keycard_cli *c = ctx;
  key_material m;
  uint8_t uid[32];
  memset(&m, 0, sizeof m);
  keycard_cli_card card = {0};
  int code = read_key_material(c, &m);
  if (code == CF_EXIT_OK) code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc;
    if (m.from == FROM_KEY) {
      uint8_t pub[65];
      rc = cf_ec_pub_from_priv(m.priv, pub) == 0
               ? keycard_client_load_keypair(&card.kc, m.priv, pub, m.has_chain ? m.chain : NULL, uid)
               : KEYCARD_CLIENT_EINTERNAL;
    } else {
      rc = keycard_client_load_seed(&card.kc, m.seed, uid);
    }
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
    cf_audit_record(c->g, card.reader, "keycard load-key", card.kc.sw, code, "{s:s,s:s?,s:s}", "instance_uid",
                    cf_audit_hex(card.kc.info.instance_uid, KEYCARD_CLIENT_UID_LEN), "key_uid",
                    code == CF_EXIT_OK ? cf_audit_hex(uid, 32) : NULL, "source",
                    m.from == FROM_MNEMONIC ? "mnemonic"
                    : m.from == FROM_SEED   ? "seed"
                                            : "key");
  }
  if (code == CF_EXIT_OK) {
    keycard_cli_progress(c, "key loaded");
    keycard_cli_print_hex(c, "key-uid", uid, 32);
  }
  cf_wipe(&m, sizeof m);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_generate_key(void *ctx) {
  keycard_cli *c = ctx;
  keycard_cli_card card;
  uint8_t uid[32];
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_generate_key(&card.kc, uid);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
    cf_audit_record(c->g, card.reader, "keycard generate-key", card.kc.sw, code, "{s:s,s:s?}", "instance_uid",
                    cf_audit_hex(card.kc.info.instance_uid, KEYCARD_CLIENT_UID_LEN), "key_uid",
                    code == CF_EXIT_OK ? cf_audit_hex(uid, 32) : NULL);
  }
  if (code == CF_EXIT_OK) keycard_cli_print_hex(c, "key-uid", uid, 32);
  keycard_cli_close(&card);
  return code;
}

static int path_opt(const keycard_cli *c, keycard_client_path *path, bool required) {
  const char *v = keycard_cli_opt_value(c, "--path");
  if (!v && !required) return 1; /* absent */
  if (!v || keycard_client_parse_path(v, path) != KEYCARD_CLIENT_OK)
    return keycard_cli_error(c, CF_EXIT_USAGE,
                             "--path needs a key path like m/44'/60'/0'/0/0 (at most %d levels)",
                             KEYCARD_CLIENT_MAX_PATH_DEPTH);
  return CF_EXIT_OK;
}

int keycard_cli_cmd_derive(void *ctx) {
  keycard_cli *c = ctx;
  keycard_client_path path;
  int code = path_opt(c, &path, true);
  if (code != CF_EXIT_OK) return code;
  keycard_cli_card card;
  code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_derive_key(&card.kc, &path);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK)
    keycard_cli_progress(c, "current key is now %s", keycard_cli_opt_value(c, "--path"));
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_sign(void *ctx) {
  keycard_cli *c = ctx;
  uint8_t hash[32];
  keycard_client_path path;
  int code = hex_opt(c, "--hash", hash, 32, 32, NULL);
  if (code != CF_EXIT_OK) return code;
  if (keycard_cli_opt_set(c, "--pinless")) {
    if (keycard_cli_opt_set(c, "--path") || keycard_cli_opt_set(c, "--make-current"))
      return keycard_cli_error(c, CF_EXIT_USAGE, "--pinless signs at the PIN-less path: no --path");
    return keycard_cli_sign_pinless(c, hash);
  }
  int has_path = path_opt(c, &path, false);
  if (has_path != CF_EXIT_OK && has_path != 1) return has_path;
  if (has_path == 1 && keycard_cli_opt_set(c, "--make-current"))
    return keycard_cli_error(c, CF_EXIT_USAGE, "--make-current goes with --path");
  keycard_cli_card card;
  keycard_client_signature sig;
  code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_sign(&card.kc, hash, has_path == 1 ? NULL : &path,
                                 keycard_cli_opt_set(c, "--make-current"), &sig);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_print_signature(c, &sig);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_export_key(void *ctx) {
  keycard_cli *c = ctx;
  keycard_client_path path;
  int has_path = path_opt(c, &path, false);
  if (has_path != CF_EXIT_OK && has_path != 1) return has_path;
  bool priv = keycard_cli_opt_set(c, "--private"), ext = keycard_cli_opt_set(c, "--extended");
  if (priv && ext) return keycard_cli_error(c, CF_EXIT_USAGE, "give --private or --extended, not both");
  if (has_path == 1 && keycard_cli_opt_set(c, "--make-current"))
    return keycard_cli_error(c, CF_EXIT_USAGE, "--make-current goes with --path");
  uint8_t what = priv  ? KEYCARD_CLIENT_EXPORT_PRIVATE
                 : ext ? KEYCARD_CLIENT_EXPORT_EXTENDED_PUBLIC
                       : KEYCARD_CLIENT_EXPORT_PUBLIC;
  keycard_cli_card card;
  keycard_client_exported key;
  memset(&key, 0, sizeof key);
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_export_key(&card.kc, what, has_path == 1 ? NULL : &path,
                                       keycard_cli_opt_set(c, "--make-current"), &key);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) {
    keycard_cli_print_hex(c, "public-key", key.pub, 65);
    if (key.has_chain) keycard_cli_print_hex(c, "chain-code", key.chain, 32);
    if (key.has_priv) keycard_cli_print_hex(c, "private-key", key.priv, 32);
  }
  cf_wipe(&key, sizeof key);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_remove_key(void *ctx) {
  keycard_cli *c = ctx;
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_remove_key(&card.kc);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
    cf_audit_record(c->g, card.reader, "keycard remove-key", card.kc.sw, code, "{s:s,s:s?}", "instance_uid",
                    cf_audit_hex(card.kc.info.instance_uid, KEYCARD_CLIENT_UID_LEN), "key_uid",
                    card.kc.info.has_key ? cf_audit_hex(card.kc.info.key_uid, KEYCARD_CLIENT_KEY_UID_LEN)
                                         : NULL);
  }
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "key removed");
  keycard_cli_close(&card);
  return code;
}

static int data_type(const keycard_cli *c, uint8_t *type) {
  const char *v = keycard_cli_opt_value(c, "--type");
  if (!v || strcmp(v, "public") == 0)
    *type = KEYCARD_CLIENT_DATA_PUBLIC;
  else if (strcmp(v, "ndef") == 0)
    *type = KEYCARD_CLIENT_DATA_NDEF;
  else if (strcmp(v, "cash") == 0)
    *type = KEYCARD_CLIENT_DATA_CASH;
  else
    return keycard_cli_error(c, CF_EXIT_USAGE, "--type is public, ndef or cash");
  return CF_EXIT_OK;
}

int keycard_cli_cmd_get_data(void *ctx) {
  keycard_cli *c = ctx;
  uint8_t type = 0, data[256];
  size_t n = 0;
  int code = data_type(c, &type);
  if (code != CF_EXIT_OK) return code;
  keycard_cli_card card;
  code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_SELECT);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_get_data(&card.kc, type, data, sizeof data, &n);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_print_hex(c, "data", data, n);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_store_data(void *ctx) {
  keycard_cli *c = ctx;
  uint8_t type = 0, data[KEYCARD_CLIENT_MAX_PLAIN];
  size_t n = 0;
  int code = data_type(c, &type);
  if (code == CF_EXIT_OK) code = hex_opt(c, "--data", data, 0, sizeof data, &n);
  if (code != CF_EXIT_OK) return code;
  keycard_cli_card card;
  code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_store_data(&card.kc, type, data, n);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "%zu bytes stored", n);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_factory_reset(void *ctx) {
  keycard_cli *c = ctx;
  if (!keycard_cli_opt_set(c, "--yes"))
    return keycard_cli_error(c, CF_EXIT_USAGE,
                             "factory-reset erases keys, PIN and pairings: confirm with --yes");
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_SELECT);
  uint8_t uid[KEYCARD_CLIENT_UID_LEN];
  bool had_uid = code == CF_EXIT_OK && card.kc.info.initialized;
  if (had_uid) memcpy(uid, card.kc.info.instance_uid, sizeof uid);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_factory_reset(&card.kc);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
    cf_audit_record(c->g, card.reader, "keycard factory-reset", card.kc.sw, code, "{s:s?}", "instance_uid",
                    had_uid ? cf_audit_hex(uid, sizeof uid) : NULL);
  }
  if (code == CF_EXIT_OK && had_uid) {
    char err[256] = "";
    if (keycard_cli_pairing_forget(c, uid, -1, err, sizeof err) != 0)
      code = keycard_cli_error(c, CF_EXIT_FILE, "card reset but %s", err);
  }
  if (code == CF_EXIT_OK) keycard_cli_progress(c, "card reset to its pre-INIT state");
  keycard_cli_close(&card);
  return code;
}
