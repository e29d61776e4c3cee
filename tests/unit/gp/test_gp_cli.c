/* `cardforge gp` on an in-process card: each command, its exit codes, and key rotation through
 * the command line (the same code path as through PC/SC, minus the reader). */
#include <stdio.h>
#include <unistd.h>

#include "gp_card_fixture.h"
#include "cardforge/cli.h"

#define AES_KEY "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"

static int run(fixture *fx, const char *line) {
  char buf[1024], *argv[32];
  int argc = 0;
  snprintf(buf, sizeof buf, "gp %s", line);
  print_message("$ cardforge %s\n", buf);
  for (char *tok = strtok(buf, " "); tok != NULL && argc < 31; tok = strtok(NULL, " "))
    argv[argc++] = tok;
  argv[argc] = NULL;
  cf_cli_global g = {0};
  int rc = cf_gp_cli_run(&g, fx->t, argc, argv);
  fflush(stdout);
  return rc;
}

/* The CLI leaves its session on the card, as a real run does until the next SELECT. */
static void key_info(fixture *fx, char *info, size_t cap) {
  assert_int_equal(cf_gp_select(&fx->c, NULL, 0, NULL, 0, NULL), CF_GP_OK);
  fx_key_info(fx, info, cap);
}

static void test_info_and_keys(void **state) {
  (void)state;
  fixture *fx = fx_new("serial=CAFEF00D");
  assert_int_equal(run(fx, "info"), CF_EXIT_OK);
  assert_int_equal(run(fx, "keys"), CF_EXIT_OK);
  assert_int_equal(run(fx, "--aid A000000151000000 keys"), CF_EXIT_OK);
  assert_int_equal(run(fx, "--aid A0000001510000FF keys"), CF_EXIT_CARD);
  fx_free(fx);
}

static void test_usage_errors(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  assert_int_equal(run(fx, ""), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "frobnicate"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "--level fast keys"), CF_EXIT_OK); /* keys needs no channel here */
  assert_int_equal(run(fx, "--level fast delete-key --delete-kvn 30"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "put-key --new-key " AES_KEY), CF_EXIT_USAGE); /* no --new-kvn */
  assert_int_equal(run(fx, "put-key --new-kvn 30"), CF_EXIT_USAGE);       /* no keys */
  assert_int_equal(run(fx, "put-key --new-kvn 80 --new-key " AES_KEY), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "put-key --new-kvn 30 --new-key 0102"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "put-key --new-kvn 30 --type rsa --new-key " AES_KEY), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "put-key --new-kvn 30 --type des --new-key " AES_KEY AES_KEY), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "delete-key"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "keys extra"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "keys --chain"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "--key-ver zz keys"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "--scp 04 keys"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "--key-file /nonexistent/keys.txt keys"), CF_EXIT_FILE);
  /* the card answers SCP02, SCP03 was asked for */
  assert_int_equal(run(fx, "--scp 03 delete-key --delete-kvn 30"), CF_EXIT_USAGE);
  /* SCP02 cannot give R-ENC */
  assert_int_equal(run(fx, "--level mac+enc+rmac+renc delete-key --delete-kvn 30"), CF_EXIT_USAGE);
  /* the options that named the channel before the command and the new set after it are refused */
  assert_int_equal(run(fx, "--kvn FF auth"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "put-key --kvn 30 --type aes --new-key " AES_KEY), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "delete-key --kvn 30"), CF_EXIT_USAGE);
  assert_int_equal(run(fx, "--enc " AES_KEY " auth"), CF_EXIT_USAGE);
  /* a command's own option before the command is refused, not taken for a channel option */
  assert_int_equal(run(fx, "--new-kvn 30 put-key --new-key " AES_KEY), CF_EXIT_USAGE);
  /* help per command, wherever --help stands */
  assert_int_equal(run(fx, "put-key --help"), CF_EXIT_OK);
  assert_int_equal(run(fx, "--help delete-key"), CF_EXIT_OK);
  assert_int_equal(run(fx, "put-key --bogus --help"), CF_EXIT_OK);
  assert_int_equal(run(fx, "help auth"), CF_EXIT_OK);
  fx_free(fx);
}

/* The README walk-through: default keys -> a new AES set, verify, drop the factory set, roll back. */
static void test_rotation(void **state) {
  (void)state;
  fixture *fx = fx_new("");
  char info[256];
  assert_int_equal(run(fx, "--level mac+enc put-key --new-kvn 30 --type aes --new-key " AES_KEY), CF_EXIT_OK);
  assert_int_equal(
      run(fx, "--key-ver 30 --key " AES_KEY " --level mac+enc+rmac+renc delete-key --delete-kvn FF"),
      CF_EXIT_OK);
  key_info(fx, info, sizeof info);
  assert_string_equal(info, "01308810 02308810 03308810");
  /* the factory keys are refused now: the card no longer has KVN FF */
  assert_int_equal(run(fx, "--key-ver FF delete-key --delete-kvn 30"), CF_EXIT_CARD);
  /* wrong keys for KVN 30: the card cryptogram does not verify */
  assert_int_equal(run(fx, "--key-ver 30 delete-key --delete-kvn 30"), CF_EXIT_VERIFY);
  /* roll back: the default keys return as a DES set (KVN 01), chained this time, then 30 goes */
  assert_int_equal(run(fx,
                       "--key-ver 30 --key " AES_KEY
                       " put-key --new-kvn 01 --type des --chain --new-key 404142434445464748494A4B4C4D4E4F"),
                   CF_EXIT_OK);
  assert_int_equal(run(fx, "--key-ver 01 delete-key --delete-kvn 30"), CF_EXIT_OK);
  key_info(fx, info, sizeof info);
  assert_string_equal(info, "01018010 02018010 03018010");
  assert_int_equal(run(fx, "--key-ver 01 --scp 02 --level mac+enc+rmac auth"), CF_EXIT_OK);
  assert_int_equal(run(fx, "--key-ver 01 --level rmac auth"), CF_EXIT_OK);
  assert_int_equal(run(fx, "--key-ver 01 --level none auth"), CF_EXIT_OK);
  assert_int_equal(run(fx, "--key-ver 01 auth --key-ver 01"), CF_EXIT_USAGE); /* given twice */
  /* channel options mean the channel after the command too */
  assert_int_equal(run(fx, "auth --key-ver 01 --level mac"), CF_EXIT_OK);
  assert_int_equal(run(fx, "auth --key-ver 30"), CF_EXIT_CARD); /* KVN 30 is gone: 6A88 */
  /* replacing with the same KVN from a key file */
  char path[] = "/tmp/cf-gp-keys-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fprintf(f, "# new keys\nenc = B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\nmac=C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF\n"
             "dek=D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF\n");
  fclose(f);
  char line[300];
  snprintf(line, sizeof line, "--key-ver 01 put-key --new-kvn 01 --replace 01 --new-key-file %s", path);
  assert_int_equal(run(fx, line), CF_EXIT_OK);
  snprintf(line, sizeof line, "--key-ver 01 --key-file %s --level mac+enc+rmac auth", path);
  assert_int_equal(run(fx, line), CF_EXIT_OK);
  snprintf(line, sizeof line, "--key-ver 01 --key-file %s delete-key --delete-kvn 01 --id 03", path);
  assert_int_equal(run(fx, line), CF_EXIT_CARD); /* would leave no usable set: 6985 */
  /* a malformed key file */
  f = fopen(path, "w");
  fprintf(f, "enc=nothex\n");
  fclose(f);
  snprintf(line, sizeof line, "--key-file %s keys", path);
  assert_int_equal(run(fx, line), CF_EXIT_FILE);
  unlink(path);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_info_and_keys),
      cmocka_unit_test(test_usage_errors),
      cmocka_unit_test(test_rotation),
  };
  return cmocka_run_group_tests_name("gp_cli", tests, NULL, NULL);
}
