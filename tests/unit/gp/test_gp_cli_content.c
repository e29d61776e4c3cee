/* `cardforge gp` card content and life cycle commands in process, on a card with a card manager
 * and applications (gp_composite_card.h): list, delete, install, make-selectable, load (a CAP file
 * built here), store-data, lock/unlock, the card life cycle, apdu [--secure], and channels opened
 * with diversified keys (--diversify) and put-key --new-diversify. Each command's effect is checked
 * on the card itself, not only through the command's own output. */
#include <jansson.h>
#include <stdlib.h>

#include "gp_cap_builder.h"
#include "gp_cli_run.h"
#include "gp_composite_card.h"
#include "cardforge/json_out.h"

#define MASTER "404142434445464748494A4B4C4D4E4F"
#define OTHER_MASTER "B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"
#define LOOPBACK_PKG "F063666C6F6F"

static char out[8192];

static fixture *composite(void) {
  return fx_new_card(composite_create, "");
}

/* SELECT by AID straight to the card: its status word. The ISD is selected first, which ends the
 * session a command left (through PC/SC the card is reset at the end of each run). */
static uint16_t select_sw(fixture *fx, const char *aid_hex) {
  char cmd[64];
  fx_raw(fx, "00A4040008A000000151000000", NULL, 0, NULL);
  snprintf(cmd, sizeof cmd, "00A40400%02zX%s", strlen(aid_hex) / 2, aid_hex);
  uint16_t sw = fx_raw(fx, cmd, NULL, 0, NULL);
  /* back to the ISD for the next command (the runtime keeps a refused SELECT on it anyway) */
  fx_raw(fx, "00A4040008A000000151000000", NULL, 0, NULL);
  return sw;
}

static void test_list(void **state) {
  (void)state;
  fixture *fx = composite();
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "ISD  A000000151000000  SECURED (0F)  privileges 9EFE80\n"
                              "     Security Domain, Card Lock, Card Terminate, Card Reset, CVM Management, "
                              "Trusted Path, Authorized Management, Token Verification, Global Delete, "
                              "Global Lock, Global Registry, Final Application, Receipt Generation\n"));
  assert_non_null(
      strstr(out, "APP  A00000080400010101  SELECTABLE (07)  privileges 000000  load file A0000008040001\n"));
  assert_non_null(
      strstr(out, "APP  D2760000850101  SELECTABLE (07)  privileges 000000  load file A0000008040001\n"));
  assert_non_null(strstr(out, "ELF  A0000008040001  LOADED (01)\n"
                              "     module A000000804000101\n"
                              "     module A000000804000102\n"
                              "     module A000000804000103\n"
                              "     module A000000804000104\n"));
  assert_non_null(strstr(out, "ELF  F063666C6F6F  LOADED (01)\n     module F063666C6F6F70\n"));
  /* the deprecated format is not needed here; a locked application shows as LOCKED (87) */
  assert_int_equal(gp_cli(fx, "lock " CASH_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "--level mac+enc+rmac list", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "APP  A00000080400010301  LOCKED (87)"));
  assert_int_equal(gp_cli(fx, "list extra", out, sizeof out), CF_EXIT_USAGE);
  fx_free(fx);
}

/* list --json: one document, the same entries as the text. */
static void test_list_json(void **state) {
  (void)state;
  fixture *fx = composite();
  assert_int_equal(gp_cli(fx, "lock " CASH_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "list --json", out, sizeof out), CF_EXIT_OK);
  json_error_t jerr;
  json_t *doc = json_loads(out, 0, &jerr);
  assert_non_null(doc);
  assert_string_equal(json_string_value(json_object_get(doc, "security_domain")), "A000000151000000");
  json_t *entries = json_object_get(doc, "entries");
  /* the ISD, seven applications, two load files */
  assert_int_equal(json_array_size(entries), 10);
  json_t *isd = json_array_get(entries, 0);
  assert_string_equal(json_string_value(json_object_get(isd, "kind")), "ISD");
  assert_string_equal(json_string_value(json_object_get(isd, "state")), "SECURED");
  assert_string_equal(json_string_value(json_object_get(isd, "privileges")), "9EFE80");
  assert_int_equal(json_array_size(json_object_get(isd, "privilege_names")), 13);
  assert_true(json_is_null(json_object_get(isd, "load_file")));
  bool cash = false, keycard_elf = false;
  for (size_t i = 0; i < json_array_size(entries); i++) {
    json_t *en = json_array_get(entries, i);
    const char *aid = json_string_value(json_object_get(en, "aid"));
    if (strcmp(aid, CASH_AID) == 0) {
      cash = true;
      assert_string_equal(json_string_value(json_object_get(en, "state")), "LOCKED");
      assert_string_equal(json_string_value(json_object_get(en, "life_cycle")), "87");
      assert_string_equal(json_string_value(json_object_get(en, "load_file")), "A0000008040001");
    }
    if (strcmp(aid, "A0000008040001") == 0) {
      keycard_elf = true;
      assert_string_equal(json_string_value(json_object_get(en, "kind")), "ELF");
      json_t *modules = json_object_get(en, "modules");
      assert_int_equal(json_array_size(modules), 4);
      assert_string_equal(json_string_value(json_array_get(modules, 3)), "A000000804000104");
    }
  }
  assert_true(cash && keycard_elf);
  json_decref(doc);
  /* --json is list's alone */
  assert_int_equal(gp_cli(fx, "auth --json", out, sizeof out), CF_EXIT_USAGE);
  cf_json_set_error_mode(false); /* one process runs every test */
  fx_free(fx);
}

/* GlobalPlatformPro's flags: the same commands. */
static void test_gppro_aliases(void **state) {
  (void)state;
  char listed[8192];
  fixture *fx = composite();
  assert_int_equal(gp_cli(fx, "list", listed, sizeof listed), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "-l", out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, listed);
  assert_int_equal(gp_cli(fx, "--key " MASTER " --list", out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, listed);
  assert_int_equal(gp_cli(fx, "--lock-applet " CASH_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(select_sw(fx, CASH_AID), SW_FILE_NOT_FOUND);
  assert_int_equal(gp_cli(fx, "--unlock-applet " CASH_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(select_sw(fx, CASH_AID), SW_OK);
  assert_int_equal(gp_cli(fx, "--lock-card", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "--unlock-card", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "--delete " CASH_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(select_sw(fx, CASH_AID), SW_FILE_NOT_FOUND);
  /* two commands, or a flag and a word: the usual usage error */
  assert_int_equal(gp_cli(fx, "--list --lock-card", out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(gp_cli(fx, "list --list", out, sizeof out), CF_EXIT_USAGE);
  /* after "--" a flag is a word */
  assert_int_equal(gp_cli(fx, "apdu -- --list", out, sizeof out), CF_EXIT_USAGE);
  fx_free(fx);
}

static void test_delete_and_install(void **state) {
  (void)state;
  fixture *fx = composite();
  assert_int_equal(gp_cli(fx, "delete " WALLET2_AID, out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, "Deleted " WALLET2_AID "\n");
  assert_int_equal(select_sw(fx, WALLET2_AID), SW_FILE_NOT_FOUND);
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_null(strstr(out, WALLET2_AID));
  /* deleting it again: the card's 6A88 */
  assert_int_equal(gp_cli(fx, "delete " WALLET2_AID, out, sizeof out), CF_EXIT_CARD);
  /* the package is referenced: 6985 without --related */
  assert_int_equal(gp_cli(fx, "delete A0000008040001", out, sizeof out), CF_EXIT_CARD);
  /* installed again with C9 parameters (the text "k=v" in hex), selectable */
  assert_int_equal(gp_cli(fx,
                          "install --package A0000008040001 --applet A000000804000101 --create " WALLET2_AID
                          " --params 6B3D76",
                          out, sizeof out),
                   CF_EXIT_OK);
  assert_string_equal(out,
                      "Installed " WALLET2_AID " (module A000000804000101 of A0000008040001), SELECTABLE\n");
  uint8_t params[64];
  size_t n = 0;
  assert_int_equal(select_sw(fx, WALLET2_AID), SW_OK);
  assert_int_equal(fx_raw(fx, "00A4040009" WALLET2_AID, NULL, 0, NULL), SW_OK);
  assert_int_equal(fx_raw(fx, "0010000000", params, sizeof params, &n), SW_OK);
  assert_string_equal((const char *)params, "k=v," PROBE_BUILT_PARAMS);
  /* not selectable until made so */
  assert_int_equal(gp_cli(fx, "delete " WALLET3_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx,
                          "install --not-selectable --package A0000008040001 --applet A000000804000101 "
                          "--create " WALLET3_AID,
                          out, sizeof out),
                   CF_EXIT_OK);
  assert_int_equal(select_sw(fx, WALLET3_AID), SW_FILE_NOT_FOUND);
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "APP  " WALLET3_AID "  INSTALLED (03)"));
  assert_int_equal(gp_cli(fx, "make-selectable " WALLET3_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(select_sw(fx, WALLET3_AID), SW_OK);
  /* the package with every instance */
  assert_int_equal(gp_cli(fx, "delete --related A0000008040001", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(select_sw(fx, WALLET_AID), SW_FILE_NOT_FOUND);
  assert_int_equal(select_sw(fx, NDEF_AID), SW_FILE_NOT_FOUND);
  /* usage */
  assert_int_equal(gp_cli(fx, "delete", out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(gp_cli(fx, "delete A000", out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(gp_cli(fx, "install --package A0000008040001", out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(
      gp_cli(fx, "install --package A0000008040001 --applet A000000804000101 --privs 0000", out, sizeof out),
      CF_EXIT_USAGE);
  assert_int_equal(
      gp_cli(fx, "install --package A0000008040001 --applet A000000804000101 --params XY", out, sizeof out),
      CF_EXIT_USAGE);
  /* a privilege the card does not grant: its 6A80 */
  assert_int_equal(gp_cli(fx,
                          "install --package F063666C6F6F --applet F063666C6F6F70 --create " LOOPBACK_AID
                          " --privs 80",
                          out, sizeof out),
                   CF_EXIT_CARD);
  /* the same privilege by name reaches the card the same way; an unknown name does not */
  assert_int_equal(gp_cli(fx,
                          "install --package F063666C6F6F --applet F063666C6F6F70 --create " LOOPBACK_AID
                          " --privs SecurityDomain",
                          out, sizeof out),
                   CF_EXIT_CARD);
  assert_int_equal(gp_cli(fx,
                          "install --package F063666C6F6F --applet F063666C6F6F70 --create " LOOPBACK_AID
                          " --privs CardLock,NoSuchPrivilege",
                          out, sizeof out),
                   CF_EXIT_USAGE);
  fx_free(fx);
}

static void write_file(const char *path, const uint8_t *b, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
}

/* The loopback package goes (with its instance), comes back from a CAP file and is instantiated;
 * then once more with install --cap doing both. */
static void test_load_cap(void **state) {
  (void)state;
  static const char *const applets[] = {"F063666C6F6F70"};
  cap_part parts[3] = {{.name = "Header"}, {.name = "Applet"}, {.name = "Method"}};
  parts[0].len = cap_header(LOOPBACK_PKG, parts[0].bytes);
  parts[1].len = cap_applets(applets, 1, parts[1].bytes);
  parts[2].len = cap_method(400, parts[2].bytes);
  uint8_t zip[4096];
  size_t zn = cap_zip("org/cardforge/loop", parts, 3, 1, zip, sizeof zip);
  char path[] = "/tmp/cf-gp-cli-cap-XXXXXX", line[256];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, zip, zn);
  fixture *fx = composite();
  snprintf(line, sizeof line, "load --cap %s", path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_CARD); /* listed already: 6985 */
  assert_int_equal(gp_cli(fx, "delete --related " LOOPBACK_PKG, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_null(strstr(out, LOOPBACK_PKG));
  snprintf(line, sizeof line, "load --cap %s --hash --block 64", path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, "Loaded F063666C6F6F (436 bytes, SHA-256 checked)\n");
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "ELF  F063666C6F6F  LOADED (01)\n"));
  assert_int_equal(gp_cli(fx, "install --package F063666C6F6F --applet F063666C6F6F70", out, sizeof out),
                   CF_EXIT_OK);
  assert_int_equal(select_sw(fx, LOOPBACK_AID), SW_OK);
  /* install --cap: load and install in one */
  assert_int_equal(gp_cli(fx, "delete --related " LOOPBACK_PKG, out, sizeof out), CF_EXIT_OK);
  snprintf(line, sizeof line, "install --cap %s", path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, "Loaded F063666C6F6F (436 bytes)\n"
                           "Installed F063666C6F6F70 (module F063666C6F6F70 of F063666C6F6F), SELECTABLE\n");
  assert_int_equal(select_sw(fx, LOOPBACK_AID), SW_OK);
  /* refused before the card is asked: a package that is not the CAP file's, bad block sizes, no file */
  snprintf(line, sizeof line, "install --cap %s --package A0000008040001", path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_USAGE);
  snprintf(line, sizeof line, "load --cap %s --block 300", path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(gp_cli(fx, "load", out, sizeof out), CF_EXIT_USAGE);
  unlink(path);
  snprintf(line, sizeof line, "load --cap %s", path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_FILE);
  /* a package cardforge does not have: the card's 6A80 */
  parts[0].len = cap_header("A0000000620001FF", parts[0].bytes);
  write_file(path, parts[0].bytes, parts[0].len);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_CARD);
  unlink(path);
  fx_free(fx);
}

static void test_store_data(void **state) {
  (void)state;
  fixture *fx = composite();
  assert_int_equal(gp_cli(fx, "store-data " WALLET2_AID " --data 0102 --data 030405", out, sizeof out),
                   CF_EXIT_OK);
  assert_string_equal(out, "STORE DATA 00 00: 9000\nSTORE DATA 80 01: 9000\n");
  uint8_t stored[16];
  size_t n = 0;
  assert_int_equal(select_sw(fx, WALLET2_AID), SW_OK);
  assert_int_equal(fx_raw(fx, "00A4040009" WALLET2_AID, NULL, 0, NULL), SW_OK);
  assert_int_equal(fx_raw(fx, "0012000000", stored, sizeof stored, &n), SW_OK);
  assert_hex(stored, n, "030405");
  assert_int_equal(gp_cli(fx, "store-data " WALLET2_AID, out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(gp_cli(fx, "store-data " WALLET2_AID " --data 01 --p1 80", out, sizeof out),
                   CF_EXIT_USAGE);
  /* a locked application cannot be personalised: 6985 */
  assert_int_equal(gp_cli(fx, "lock " WALLET2_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "store-data " WALLET2_AID " --data 01", out, sizeof out), CF_EXIT_CARD);
  fx_free(fx);
}

static void test_lock_and_card_life_cycle(void **state) {
  (void)state;
  fixture *fx = composite();
  assert_int_equal(gp_cli(fx, "lock " WALLET_AID, out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, "Locked " WALLET_AID "\n");
  assert_int_equal(select_sw(fx, WALLET_AID), SW_FILE_NOT_FOUND);
  assert_int_equal(gp_cli(fx, "lock " WALLET_AID, out, sizeof out), CF_EXIT_CARD); /* 6985 */
  assert_int_equal(gp_cli(fx, "unlock " WALLET_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(select_sw(fx, WALLET_AID), SW_OK);
  assert_int_equal(gp_cli(fx, "lock", out, sizeof out), CF_EXIT_USAGE);
  /* the card */
  assert_int_equal(gp_cli(fx, "unlock-card", out, sizeof out), CF_EXIT_CARD); /* SECURED -> SECURED: 6985 */
  assert_int_equal(gp_cli(fx, "lock-card", out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, "Card life cycle: CARD_LOCKED (7F)\n");
  assert_int_equal(select_sw(fx, WALLET_AID), SW_FILE_NOT_FOUND);
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "ISD  A000000151000000  CARD_LOCKED (7F)"));
  assert_int_equal(gp_cli(fx, "unlock-card", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(select_sw(fx, WALLET_AID), SW_OK);
  assert_int_equal(gp_cli(fx, "initialize-card", out, sizeof out), CF_EXIT_CARD); /* backwards: 6985 */
  assert_int_equal(gp_cli(fx, "terminate-card", out, sizeof out), CF_EXIT_USAGE); /* no --force */
  assert_int_equal(gp_cli(fx, "auth", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "terminate-card --force", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "auth", out, sizeof out), CF_EXIT_CARD); /* INITIALIZE UPDATE 6985 */
  assert_int_equal(select_sw(fx, WALLET_AID), SW_FILE_NOT_FOUND);
  fx_free(fx);
  /* OP_READY -> INITIALIZED -> SECURED */
  fx = fx_new_card(composite_create, "life=01");
  assert_int_equal(gp_cli(fx, "initialize-card", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "secure-card", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "list", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "ISD  A000000151000000  SECURED (0F)"));
  fx_free(fx);
}

static void test_apdu(void **state) {
  (void)state;
  fixture *fx = composite();
  /* GET STATUS needs the channel: plain it is refused, through --secure it answers */
  assert_int_equal(gp_cli(fx, "apdu 80F28002024F0000", out, sizeof out), CF_EXIT_CARD);
  assert_string_equal(out, "6982 (security status not satisfied)\n");
  assert_int_equal(gp_cli(fx, "apdu --no-check 80F28002024F0000 80CA00CF00", out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "6982 (security status not satisfied)\nCF0A"));
  assert_int_equal(gp_cli(fx, "--level mac+enc+rmac apdu --secure 80F28002024F0000", out, sizeof out),
                   CF_EXIT_OK);
  assert_string_equal(out, "E3134F08A0000001510000009F70010FC5039EFE80 9000 (success)\n");
  assert_int_equal(gp_cli(fx, "apdu -s --level mac 80F28002024F0000 80F2400202 4F00", out, sizeof out),
                   CF_EXIT_CARD); /* the second: Lc says 2, two bytes follow in the next word: not one APDU */
  /* a file of APDUs, # comments, stopping at the first refusal */
  char path[] = "/tmp/cf-gp-apdu-XXXXXX", line[256];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "# the ISD's registry entry\n80 F2 80 02 02 4F 00 00\n\n80CA006600 # card data\n80F2FF02024F00\n"
             "80CA00CF00\n");
  fclose(f);
  snprintf(line, sizeof line, "apdu --secure --file %s", path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_CARD);
  assert_non_null(strstr(out, "E3134F08A0000001510000009F70010FC5039EFE80 9000 (success)\n663E"));
  assert_non_null(strstr(out, "\n6A86 ("));
  assert_null(strstr(out, "CF0A"));
  unlink(path);
  assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_FILE);
  assert_int_equal(gp_cli(fx, "apdu", out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(gp_cli(fx, "apdu 80CA", out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(gp_cli(fx, "apdu --secure --key " OTHER_MASTER " 80CA00CF00", out, sizeof out),
                   CF_EXIT_VERIFY);
  fx_free(fx);
}

/* A card holding the keys EMV (or VISA2, KDF3) diversification of MASTER gives for its KDD:
 * KDD = CPLC IC fabricator 4346, IC type 4750, serial, batch 0001 (docs/gp.md 1.2). */
static fixture *diversified_card(int method, const char *scp, const char *serial) {
  uint8_t master[16], kdd[10];
  char params[200], enc[33], mac[33], dek[33], kdd_hex[32];
  hx(MASTER, master, sizeof master);
  snprintf(kdd_hex, sizeof kdd_hex, "43464750%s0001", serial);
  hx(kdd_hex, kdd, sizeof kdd);
  cf_scp_keys m = {.klen = 16}, d;
  memcpy(m.enc, master, 16), memcpy(m.mac, master, 16), memcpy(m.dek, master, 16);
  assert_int_equal(cf_scp_diversify_keys(method, &m, kdd, &d), 0);
  cf_hex_encode(d.enc, 16, enc), cf_hex_encode(d.mac, 16, mac), cf_hex_encode(d.dek, 16, dek);
  snprintf(params, sizeof params, "scp=%s,serial=%s,enc=%s,mac=%s,dek=%s", scp, serial, enc, mac, dek);
  return fx_new(params);
}

static void test_diversified_channel(void **state) {
  (void)state;
  static const struct {
    int method;
    const char *name, *scp;
  } cases[] = {
      {CF_SCP_DIV_EMV, "emv", "02"}, {CF_SCP_DIV_VISA2, "visa2", "02"}, {CF_SCP_DIV_KDF3, "kdf3", "03"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fixture *fx = diversified_card(cases[i].method, cases[i].scp, "11223344");
    char line[200];
    snprintf(line, sizeof line, "--diversify %s auth", cases[i].name);
    assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_OK);
    assert_int_equal(gp_cli(fx, "auth", out, sizeof out),
                     CF_EXIT_VERIFY);                        /* the master itself is not the key */
    snprintf(line, sizeof line, "--%s auth", cases[i].name); /* GlobalPlatformPro's --emv, --visa2, --kdf3 */
    assert_int_equal(gp_cli(fx, line, out, sizeof out), CF_EXIT_OK);
    /* another method's keys do not open it */
    snprintf(line, sizeof line, "--diversify %s auth", cases[(i + 1) % 3].name);
    assert_true(gp_cli(fx, line, out, sizeof out) != CF_EXIT_OK);
    fx_free(fx);
  }
  /* the same master, another card (serial): other keys, the same command line opens it */
  fixture *fx = diversified_card(CF_SCP_DIV_EMV, "02", "55667788");
  assert_int_equal(gp_cli(fx, "--diversify emv --level mac+enc+rmac list", out, sizeof out), CF_EXIT_OK);
  /* put-key --new-diversify: the card gets KVN 21 derived from OTHER_MASTER, the channel opens with it */
  assert_int_equal(
      gp_cli(fx, "--diversify emv put-key --new-kvn 21 --new-diversify visa2 --new-key " OTHER_MASTER, out,
             sizeof out),
      CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "--key-ver 21 --key " OTHER_MASTER " --diversify visa2 auth", out, sizeof out),
                   CF_EXIT_OK);
  assert_string_equal(out, "Secure channel open: SCP02 i=55, KVN 21, level mac+enc\n");
  assert_int_equal(gp_cli(fx, "--key-ver 21 --key " OTHER_MASTER " auth", out, sizeof out), CF_EXIT_VERIFY);
  fx_free(fx);
  /* KDF3 both ways on an SCP03 card: AES-128 masters for the channel and for the set written */
  fx = diversified_card(CF_SCP_DIV_KDF3, "03", "0A0B0C0D");
  assert_int_equal(
      gp_cli(fx, "--kdf3 put-key --new-kvn 31 --new-diversify kdf3 --new-key " OTHER_MASTER, out, sizeof out),
      CF_EXIT_OK);
  assert_int_equal(
      gp_cli(fx, "--key-ver 31 --key " OTHER_MASTER " --diversify kdf3 --level mac+enc+rmac+renc auth", out,
             sizeof out),
      CF_EXIT_OK);
  assert_string_equal(out, "Secure channel open: SCP03 i=70, KVN 31, level mac+enc+rmac+renc\n");
  /* the card's check values are those of the derived keys, not of the master */
  assert_int_equal(gp_cli(fx, "--key-ver 31 --key " OTHER_MASTER " auth", out, sizeof out), CF_EXIT_VERIFY);
  /* usage: unknown method, a DES method on 32-byte keys */
  assert_int_equal(gp_cli(fx, "--diversify visa auth", out, sizeof out), CF_EXIT_USAGE);
  assert_int_equal(
      gp_cli(fx, "put-key --new-kvn 22 --new-diversify x --new-key " OTHER_MASTER, out, sizeof out),
      CF_EXIT_USAGE);
  assert_int_equal(
      gp_cli(fx,
             "--diversify emv put-key --new-kvn 22 --new-diversify emv --new-key " OTHER_MASTER OTHER_MASTER,
             out, sizeof out),
      CF_EXIT_USAGE);
  fx_free(fx);
}

/* --s16: an S16 card (i 71) opens only with 16-byte challenges; an S8 card refuses them. Help per
 * command for the new commands. */
static void test_s16_and_help(void **state) {
  (void)state;
  fixture *fx = fx_new("scp=03,i03=71");
  assert_int_equal(gp_cli(fx, "--s16 --level mac+enc+rmac+renc auth", out, sizeof out), CF_EXIT_OK);
  assert_string_equal(out, "Secure channel open: SCP03 i=71, KVN FF, level mac+enc+rmac+renc\n");
  assert_int_equal(gp_cli(fx, "--s16 list", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "auth", out, sizeof out), CF_EXIT_CARD); /* 8-byte challenge: 6700 */
  fx_free(fx);
  fx = fx_new("scp=03");
  assert_int_equal(gp_cli(fx, "auth --s16", out, sizeof out), CF_EXIT_CARD);
  fx_free(fx);
  fx = composite();
  static const char *const helps[] = {"install --help",    "help load",          "delete --help",
                                      "store-data --help", "lock-card --help",   "terminate-card --help",
                                      "apdu --help",       "make-selectable -h", "list --help"};
  for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
    assert_int_equal(gp_cli(fx, helps[i], out, sizeof out), CF_EXIT_OK);
    assert_non_null(strstr(out, "usage: cardforge gp "));
  }
  fx_free(fx);
}

/* The ceremony log records card content and life cycle changes, refusals too, and never the
 * personalisation data. */
static void test_audit_lines(void **state) {
  (void)state;
  char path[] = "/tmp/cf-gp-audit-XXXXXX", log[8192];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
  const char *saved = getenv("CARDFORGE_AUDIT_LOG");
  char *saved_copy = saved ? strdup(saved) : NULL;
  setenv("CARDFORGE_AUDIT_LOG", path, 1);
  fixture *fx = composite();
  assert_int_equal(gp_cli(fx, "delete " WALLET2_AID, out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "delete " WALLET2_AID, out, sizeof out), CF_EXIT_CARD);
  assert_int_equal(gp_cli(fx, "store-data " WALLET3_AID " --data 5EC2E75EC2E7", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "lock-card", out, sizeof out), CF_EXIT_OK);
  assert_int_equal(gp_cli(fx, "--key " OTHER_MASTER " unlock-card", out, sizeof out), CF_EXIT_VERIFY);
  fx_free(fx);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(log, 1, sizeof log - 1, f);
  log[n] = 0;
  fclose(f);
  unlink(path);
  if (saved_copy)
    setenv("CARDFORGE_AUDIT_LOG", saved_copy, 1);
  else
    unsetenv("CARDFORGE_AUDIT_LOG");
  free(saved_copy);
  assert_non_null(strstr(log, "\"command\":\"gp delete\",\"reader\":null,\"result\":\"ok\",\"sw\":\"9000\""));
  assert_non_null(strstr(log, "\"aid\":\"" WALLET2_AID "\",\"related\":false"));
  assert_non_null(strstr(log, "\"result\":\"failed\",\"sw\":\"6A88\",\"exit\":3"));
  assert_non_null(strstr(log, "\"command\":\"gp store-data\""));
  assert_non_null(strstr(log, "\"blocks\":1"));
  assert_null(strstr(log, "5EC2E7"));
  assert_non_null(strstr(log, "\"command\":\"gp lock-card\""));
  assert_non_null(strstr(log, "\"state\":\"7F\""));
  /* the channel failed: no line for unlock-card */
  assert_null(strstr(log, "unlock-card"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list),
      cmocka_unit_test(test_list_json),
      cmocka_unit_test(test_gppro_aliases),
      cmocka_unit_test(test_delete_and_install),
      cmocka_unit_test(test_load_cap),
      cmocka_unit_test(test_store_data),
      cmocka_unit_test(test_lock_and_card_life_cycle),
      cmocka_unit_test(test_apdu),
      cmocka_unit_test(test_diversified_channel),
      cmocka_unit_test(test_s16_and_help),
      cmocka_unit_test(test_audit_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
