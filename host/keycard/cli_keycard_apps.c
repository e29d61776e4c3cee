/* `cardforge keycard` commands for the other applications of the Keycard as shipped: cash (the
 * Cash application), ndef (read as a phone reads it, written through the wallet) and ident
 * (IDENTIFY CARD checked against a CA key; a test card's identity provisioned). */
#include <stdio.h>
#include <string.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cli_keycard_internal.h"

static const char *reader_opt(const keycard_cli *c) {
  return keycard_cli_opt_value(c, "--reader");
}

/* The n-th word after the command, or NULL. */
static const char *word(const keycard_cli *c, int n) {
  return n < c->opts.operands ? c->opts.operand[n] : NULL;
}

/* "label: <hex>" (lower case) for data of up to 1024 bytes (keycard_cli_print_hex stops at 256). */
static void print_long_hex(const keycard_cli *c, const char *label, const uint8_t *data, size_t len) {
  char hex[2 * 1024 + 1];
  if (len > 1024) len = 1024;
  for (size_t i = 0; i < len; i++)
    snprintf(hex + 2 * i, 3, "%02x", data[i]);
  hex[2 * len] = 0;
  keycard_cli_print_field(c, label, hex, NULL);
}

/* Connects without selecting the wallet (the command selects the application it talks to). */
static int connect_only(keycard_cli *c, keycard_cli_card *card) {
  return keycard_cli_open(c, card, reader_opt(c), KEYCARD_CLI_NEED_SELECT);
}

static int cash_info(keycard_cli *c, keycard_cli_card *card) {
  keycard_client_cash_info info;
  int rc = keycard_client_cash_select(&card->kc, &info);
  if (rc != KEYCARD_CLIENT_OK) return keycard_cli_fail(c, &card->kc, rc);
  keycard_cli_print_hex(c, "public-key", info.pub, 65);
  char version[16];
  snprintf(version, sizeof version, "%u.%u", info.version >> 8, info.version & 0xFF);
  keycard_cli_print_field(c, "version", version, NULL);
  keycard_cli_print_hex(c, "cash-data", info.data, info.data_len);
  return CF_EXIT_OK;
}

static int cash_sign(keycard_cli *c, keycard_cli_card *card, const uint8_t hash[32]) {
  keycard_client_cash_info info;
  int rc = keycard_client_cash_select(&card->kc, &info);
  keycard_client_cash_signature sig;
  if (rc == KEYCARD_CLIENT_OK) rc = keycard_client_cash_sign(&card->kc, hash, info.pub, &sig);
  if (rc != KEYCARD_CLIENT_OK) return keycard_cli_fail(c, &card->kc, rc);
  keycard_cli_progress(c, "signature verified with the Cash public key");
  keycard_cli_print_hex(c, "signature-der", sig.der, sig.der_len);
  keycard_cli_print_hex(c, "signature", sig.rs, 64);
  keycard_cli_print_hex(c, "public-key", sig.pub, 65);
  return CF_EXIT_OK;
}

int keycard_cli_cmd_cash(void *ctx) {
  keycard_cli *c = ctx;
  const char *what = word(c, 0);
  uint8_t hash[32];
  bool sign = what && strcmp(what, "sign") == 0;
  if (!what || (!sign && strcmp(what, "info") != 0))
    return keycard_cli_error(c, CF_EXIT_USAGE, "say `cash info` or `cash sign HASH`");
  if (sign && (!word(c, 1) || cf_hex_decode(word(c, 1), hash, sizeof hash) != (long)sizeof hash))
    return keycard_cli_error(c, CF_EXIT_USAGE, "cash sign needs a 32-byte hash in hex");
  if (!sign && word(c, 1)) return keycard_cli_error(c, CF_EXIT_USAGE, "cash info takes no other word");
  keycard_cli_card card;
  int code = connect_only(c, &card);
  if (code == CF_EXIT_OK) code = sign ? cash_sign(c, &card, hash) : cash_info(c, &card);
  keycard_cli_close(&card);
  return code;
}

static int ndef_read(keycard_cli *c) {
  keycard_cli_card card;
  int code = connect_only(c, &card);
  uint8_t msg[1024];
  size_t len = 0;
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_ndef_read(&card.kc, msg, sizeof msg, &len);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) {
    char length[24];
    snprintf(length, sizeof length, "%zu", len);
    keycard_cli_print_field(c, "length", length, json_integer((json_int_t)len));
    print_long_hex(c, "ndef", msg, len);
  }
  keycard_cli_close(&card);
  return code;
}

static int ndef_write(keycard_cli *c) {
  const char *uri = keycard_cli_opt_value(c, "--uri"), *aar = keycard_cli_opt_value(c, "--aar");
  if ((uri == NULL) == (aar == NULL))
    return keycard_cli_error(c, CF_EXIT_USAGE, "ndef write takes --uri URL or --aar PACKAGE");
  uint8_t msg[KEYCARD_CLIENT_NDEF_FILE_MAX_3_2];
  size_t len = 0;
  int rc = uri ? keycard_client_ndef_uri_record(uri, msg, sizeof msg, &len)
               : keycard_client_ndef_aar_record(aar, msg, sizeof msg, &len);
  if (rc != KEYCARD_CLIENT_OK)
    return keycard_cli_error(c, CF_EXIT_USAGE, "the record does not fit the %d-byte NDEF file",
                             KEYCARD_CLIENT_NDEF_FILE_MAX_3_2);
  keycard_cli_card card;
  int code = keycard_cli_open(c, &card, reader_opt(c), KEYCARD_CLI_NEED_PIN);
  if (code == CF_EXIT_OK) {
    rc = keycard_client_ndef_write(&card.kc, msg, len);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) {
    keycard_cli_progress(c, "NDEF message of %zu bytes written", len);
    print_long_hex(c, "ndef", msg, len);
  }
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_ndef(void *ctx) {
  keycard_cli *c = ctx;
  const char *what = word(c, 0);
  bool has_record = keycard_cli_opt_set(c, "--uri") || keycard_cli_opt_set(c, "--aar");
  if (what && strcmp(what, "read") == 0) {
    if (has_record) return keycard_cli_error(c, CF_EXIT_USAGE, "--uri and --aar are for ndef write");
    return ndef_read(c);
  }
  if (what && strcmp(what, "write") == 0) return ndef_write(c);
  return keycard_cli_error(c, CF_EXIT_USAGE, "say `ndef read` or `ndef write --uri URL | --aar PACKAGE`");
}

/* --ca PUBHEX or @FILE: the CA key is public, so a file anyone may read is fine (unlike secrets). */
static int read_ca_text(const keycard_cli *c, char *text, size_t cap) {
  const char *v = keycard_cli_opt_value(c, "--ca");
  if (!v) return keycard_cli_error(c, CF_EXIT_USAGE, "ident verify needs --ca PUBHEX|@FILE");
  if (v[0] != '@') {
    snprintf(text, cap, "%s", v);
    return CF_EXIT_OK;
  }
  FILE *f = fopen(v + 1, "r");
  if (!f) return keycard_cli_error(c, CF_EXIT_FILE, "cannot read %s", v + 1);
  bool ok = fgets(text, (int)cap, f) != NULL;
  fclose(f);
  if (!ok) return keycard_cli_error(c, CF_EXIT_FILE, "%s is empty", v + 1);
  text[strcspn(text, "\r\n")] = '\0';
  return CF_EXIT_OK;
}

static int ident_verify(keycard_cli *c) {
  if (keycard_cli_opt_set(c, "--ca-key") || keycard_cli_opt_set(c, "--ident-key"))
    return keycard_cli_error(c, CF_EXIT_USAGE, "--ca-key and --ident-key are for ident provision");
  char text[256];
  int code = read_ca_text(c, text, sizeof text);
  if (code != CF_EXIT_OK) return code;
  uint8_t ca[65];
  long ca_len = cf_hex_decode(text, ca, sizeof ca);
  if ((ca_len != 33 && ca_len != 65) || cf_ec_pub_normalize(ca, (size_t)ca_len, NULL, NULL) != 0)
    return keycard_cli_error(c, CF_EXIT_USAGE, "--ca needs a secp256k1 public key in hex (33 or 65 bytes)");
  keycard_cli_card card;
  code = connect_only(c, &card);
  keycard_client_identity id;
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_identify(&card.kc, ca, (size_t)ca_len, &id);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) {
    keycard_cli_progress(
        c, "identity verified: certificate signed by the given CA, challenge signed by the card");
    keycard_cli_print_hex(c, "identity-key", id.ident_pub, 33);
    keycard_cli_print_hex(c, "ca-key", id.ca_pub, 33);
    keycard_cli_print_hex(c, "certificate", id.cert, sizeof id.cert);
  }
  keycard_cli_close(&card);
  return code;
}

/* Secret keys of ident provision: the test CA's and, optionally, the identity's (@FILE: 0600). */
static const keycard_cli_secret_spec ca_key_spec = {"--ca-key", "CARDFORGE_IDENT_CA_KEY", NULL, false};
static const keycard_cli_secret_spec ident_key_spec = {"--ident-key", "CARDFORGE_IDENT_KEY", NULL, false};

/* ident provision: certificate made here with the CA key, stored by the Ident application's STORE
 * DATA, then checked through the wallet's IDENTIFY CARD when the card has a wallet. */
static int ident_provision(keycard_cli *c) {
  if (keycard_cli_opt_set(c, "--ca"))
    return keycard_cli_error(c, CF_EXIT_USAGE, "--ca is for ident verify (provision takes --ca-key)");
  uint8_t ca_priv[32], ident_priv[32];
  bool has_ca = false, has_ident = false;
  keycard_cli_card card = {0};
  keycard_client_identity id, check;
  int code = keycard_cli_secret_hex(c, &ca_key_spec, ca_priv, sizeof ca_priv, &has_ca);
  if (code == CF_EXIT_OK && !has_ca)
    code = keycard_cli_error(
        c, CF_EXIT_USAGE,
        "ident provision needs the CA private key: --ca-key @FILE (or CARDFORGE_IDENT_CA_KEY)");
  if (code == CF_EXIT_OK)
    code = keycard_cli_secret_hex(c, &ident_key_spec, ident_priv, sizeof ident_priv, &has_ident);
  if (code == CF_EXIT_OK && (!cf_ec_priv_valid(ca_priv) || (has_ident && !cf_ec_priv_valid(ident_priv))))
    code = keycard_cli_error(c, CF_EXIT_USAGE, "a key is no secp256k1 private key (32 bytes, 1..n-1)");
  if (code == CF_EXIT_OK) code = connect_only(c, &card);
  if (code == CF_EXIT_OK) {
    int rc = keycard_client_ident_provision(&card.kc, ca_priv, has_ident ? ident_priv : NULL, &id);
    if (rc != KEYCARD_CLIENT_OK) code = keycard_cli_fail(c, &card.kc, rc);
  }
  if (code == CF_EXIT_OK) {
    keycard_cli_progress(c, "identity stored in the Ident application");
    keycard_cli_print_hex(c, "identity-key", id.ident_pub, 33);
    keycard_cli_print_hex(c, "ca-key", id.ca_pub, 33);
    keycard_cli_print_hex(c, "certificate", id.cert, sizeof id.cert);
    /* the wallet answers IDENTIFY CARD from the identity just stored: check it end to end */
    if (keycard_client_select(&card.kc, NULL, 0) == KEYCARD_CLIENT_OK) {
      int rc = keycard_client_identify(&card.kc, id.ca_pub, sizeof id.ca_pub, &check);
      if (rc != KEYCARD_CLIENT_OK)
        code = keycard_cli_fail(c, &card.kc, rc);
      else if (memcmp(check.cert, id.cert, sizeof id.cert) != 0)
        code = keycard_cli_error(c, CF_EXIT_VERIFY, "the wallet answers with another certificate");
      else
        keycard_cli_progress(c, "the wallet's IDENTIFY CARD answers with it and verifies under the CA key");
    }
  }
  cf_wipe(ca_priv, sizeof ca_priv);
  cf_wipe(ident_priv, sizeof ident_priv);
  keycard_cli_close(&card);
  return code;
}

int keycard_cli_cmd_ident(void *ctx) {
  keycard_cli *c = ctx;
  const char *what = word(c, 0);
  if (what && strcmp(what, "verify") == 0) return ident_verify(c);
  if (what && strcmp(what, "provision") == 0) return ident_provision(c);
  return keycard_cli_error(
      c, CF_EXIT_USAGE,
      "say `ident verify --ca PUBHEX|@FILE` or `ident provision --ca-key @FILE [--ident-key @FILE]`");
}
