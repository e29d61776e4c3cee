/* `cardforge cmcc` without cards: usage errors and their exit codes, PIN and key-reference syntax,
 * and the HSM file commands (hsm-init / hsm-list need no reader). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../../host/cmcc/cli_cmcc_internal.h"
#include "cardforge/cli.h"
#include "cmcc_host_test_files.h"

static int run(const char *line) {
  char buf[512], *argv[32];
  int argc = 0;
  snprintf(buf, sizeof buf, "%s", line);
  for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && argc < 32; t = strtok_r(NULL, " ", &save))
    argv[argc++] = t;
  cf_cli_global g = {.quiet = true, .state_dir = "/nonexistent"};
  return cf_cli_cmcc(&g, argc, argv);
}

static void cmcc_host_cli_usage_errors(void **state) {
  (void)state;
  assert_int_equal(run("cmcc"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc --help"), CF_EXIT_OK);
  assert_int_equal(run("cmcc frobnicate"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc generate --help"), CF_EXIT_OK);
  assert_int_equal(run("cmcc generate --sheet"), CF_EXIT_USAGE);   /* needs a value */
  assert_int_equal(run("cmcc generate --bogus x"), CF_EXIT_USAGE); /* unknown option */
  assert_int_equal(run("cmcc generate"), CF_EXIT_USAGE);           /* --sheet required */
  assert_int_equal(run("cmcc generate --sheet /nonexistent/s"), CF_EXIT_FILE);
  assert_int_equal(run("cmcc verify-pin --card kmc --card auth"), CF_EXIT_USAGE); /* given twice */
  assert_int_equal(run("cmcc verify-pin --card nope"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc verify-pin --card kmc --ref other"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc verify-pin --card kmc --kmc-pin 123"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc sam-update --no-verify=1"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc user-update --serial 0102"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc user-update"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc sam-update --factor 00"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc terminal-write --index 00"), CF_EXIT_USAGE);
  assert_int_equal(run("cmcc hsm-list --hsm /nonexistent/h"), CF_EXIT_FILE);
}

/* The parallel options are checked before any card is opened: every bad combination is a usage
 * error (a card opened first would show up here as a transport error, exit 4). */
static void cmcc_host_cli_parallel_options(void **state) {
  (void)state;
  char dir[] = "/tmp/cmcc-cli-par-XXXXXX", list[64], cmd[256];
  assert_non_null(mkdtemp(dir));
  snprintf(list, sizeof list, "%s/list", dir);
  FILE *f = fopen(list, "w");
  assert_non_null(f);
  fputs("8600000000000001\n8600000000000002 ReaderX\n8600000000000003\n", f);
  fclose(f);
  static const char *const bad[] = {
      "--lines 0",
      "--lines 4",
      "--lines 3-2",
      "--lines 1,x",
      "--lines 1 --from 2",
      "--lines -",
      "--jobs 2",
      "--jobs 0 --user-sim mem",
      "--jobs 65 --user-sim mem",
      "--readers A,B --jobs 2",
      "--readers A,B --user-sim mem",
      "--readers A,A",
      "--readers ,",
      "--readers A,B", /* line 2 names ReaderX, not one of --readers */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(cmd, sizeof cmd, "cmcc user-update --serials %s %s", list, bad[i]);
    if (run(cmd) != CF_EXIT_USAGE) fail_msg("not a usage error: %s", bad[i]);
  }
  /* well-formed: past the options, the run goes on to the KMC (no reader here: not a usage error) */
  static const char *const good[] = {"--lines 1,3", "--lines 2-", "--lines 1-3", "--jobs 4 --user-sim mem",
                                     "--readers ReaderX,B --report"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    snprintf(cmd, sizeof cmd, "cmcc user-update --serials %s %s", list, good[i]);
    int rc = run(cmd);
    if (rc == CF_EXIT_USAGE || rc == CF_EXIT_OK) fail_msg("%s: exit %d", good[i], rc);
  }
  unlink(list);
  rmdir(dir);
}

static void cmcc_host_cli_pin_and_refs(void **state) {
  (void)state;
  uint8_t pin[8], vit[3];
  bool partial = false;
  assert_int_equal(cmcch_cli_parse_pin("12345678", pin), 0);
  assert_memory_equal(pin, "12345678", 8);
  assert_int_equal(cmcch_cli_parse_pin("3132333435363738", pin), 0);
  assert_memory_equal(pin, "12345678", 8);
  assert_int_equal(cmcch_cli_parse_pin("313233343536373G", pin), -1);
  assert_int_equal(cmcch_cli_parse_pin("1234567", pin), -1);
  assert_int_equal(cmcch_cli_parse_pin("123456789", pin), -1);
  assert_int_equal(cmcch_parse_vit("08/01/02", vit, &partial), 0);
  assert_false(partial);
  assert_int_equal(vit[0], 0x01); /* version, index, type: the order commands send them */
  assert_int_equal(vit[1], 0x02);
  assert_int_equal(vit[2], 0x08);
  assert_int_equal(cmcch_parse_vit("0B", vit, &partial), 0);
  assert_true(partial);
  assert_int_equal(vit[2], 0x0B);
  assert_int_equal(cmcch_parse_vit("08/01", vit, &partial), -1);
  assert_int_equal(cmcch_parse_vit("08-01-02", vit, &partial), -1);
  assert_int_equal(cmcch_parse_vit("8", vit, &partial), -1);
}

static void cmcc_host_cli_hsm_init(void **state) {
  (void)state;
  char dir[] = "/tmp/cmcc_host_cli_XXXXXX", line[512], path[128], err[256];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/hsm.keys", dir);
  snprintf(line, sizeof line,
           "cmcc hsm-init --hsm %s --key 01/01/01=404142434445464748494A4B4C4D4E4F --random 05/01/01", path);
  assert_int_equal(run(line), CF_EXIT_OK);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  cf_cmcc_hsm *h = NULL;
  assert_int_equal(cf_cmcc_hsm_load(path, &h, err, sizeof err), 0);
  assert_int_equal(cf_cmcc_hsm_count(h), 2);
  const cf_cmcc_key *k = cf_cmcc_hsm_find(h, 0x01, 0x01, 0x01, err, sizeof err);
  assert_non_null(k);
  assert_int_equal(k->value[0], 0x40);
  assert_int_equal(k->attrs[6], 0xAA);
  const cf_cmcc_key *r = cf_cmcc_hsm_find(h, 0x05, -1, -1, err, sizeof err);
  assert_non_null(r);
  static const uint8_t zero[16] = {0};
  assert_memory_not_equal(r->value, zero, 16);
  cf_cmcc_hsm_free(h);
  assert_int_equal(run(line), CF_EXIT_FILE); /* no silent overwrite of a vault */
  snprintf(line, sizeof line, "cmcc hsm-init --hsm %s --random 05/01/01 --force", path);
  assert_int_equal(run(line), CF_EXIT_OK);
  snprintf(line, sizeof line, "cmcc hsm-init --hsm %s --key 01/01/01=4041 --force", path);
  assert_int_equal(run(line), CF_EXIT_USAGE);
  snprintf(line, sizeof line, "cmcc hsm-init --hsm %s --random 05/01/01 --random 05/01/01 --force", path);
  assert_int_equal(run(line), CF_EXIT_USAGE);
  snprintf(line, sizeof line, "cmcc hsm-list --hsm %s", path);
  assert_int_equal(run(line), CF_EXIT_OK);
  unlink(path);
  snprintf(path, sizeof path, "%s/hsm.keys.lock", dir);
  unlink(path);
  assert_int_equal(rmdir(dir), 0); /* nothing else left behind (no temporary file) */
}

/* Runs a command line with stderr captured into err (NUL-terminated). */
static int run_capturing(const char *line, char *err, size_t cap) {
  fflush(stderr);
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  int saved = dup(STDERR_FILENO);
  assert_true(saved >= 0);
  assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
  int rc = run(line);
  fflush(stderr);
  assert_true(dup2(saved, STDERR_FILENO) >= 0);
  close(saved);
  rewind(tmp);
  size_t n = fread(err, 1, cap - 1, tmp);
  err[n] = 0;
  fclose(tmp);
  return rc;
}

/* Key values and PINs from files: used when private, refused (naming the file) when group or
 * others may read them; a literal key on the command line works but is warned about. */
static void cmcc_host_cli_secret_files(void **state) {
  (void)state;
  char dir[] = "/tmp/cmcc_host_cli_XXXXXX", line[600], vault[128], keyfile[128], pinfile[128], out[2048],
       err[256];
  assert_non_null(mkdtemp(dir));
  snprintf(vault, sizeof vault, "%s/hsm.keys", dir);
  snprintf(keyfile, sizeof keyfile, "%s/k01.hex", dir);
  snprintf(pinfile, sizeof pinfile, "%s/kmc.pin", dir);
  write_file(keyfile, "00112233445566778899AABBCCDDEEFF\n", 0600);
  snprintf(line, sizeof line, "cmcc hsm-init --hsm %s --key 01/01/01=@%s", vault, keyfile);
  assert_int_equal(run_capturing(line, out, sizeof out), CF_EXIT_OK);
  assert_null(strstr(out, "warning"));
  cf_cmcc_hsm *h = NULL;
  assert_int_equal(cf_cmcc_hsm_load(vault, &h, err, sizeof err), 0);
  const cf_cmcc_key *k = cf_cmcc_hsm_find(h, 0x01, 0x01, 0x01, err, sizeof err);
  assert_non_null(k);
  assert_int_equal(k->value[0], 0x00);
  assert_int_equal(k->value[15], 0xFF);
  cf_cmcc_hsm_free(h);

  chmod(keyfile, 0644);
  snprintf(line, sizeof line, "cmcc hsm-init --hsm %s --force --key 01/01/01=@%s", vault, keyfile);
  assert_int_equal(run_capturing(line, out, sizeof out), CF_EXIT_FILE);
  assert_non_null(strstr(out, keyfile));
  assert_non_null(strstr(out, "0644"));

  snprintf(line, sizeof line,
           "cmcc hsm-init --hsm %s --force --key 01/01/01=404142434445464748494A4B4C4D4E4F", vault);
  assert_int_equal(run_capturing(line, out, sizeof out), CF_EXIT_OK);
  assert_non_null(strstr(out, "warning: --key 01/01/01= on the command line"));

  /* a PIN file others may read is refused before any card is looked for */
  write_file(pinfile, "12345678\n", 0640);
  snprintf(line, sizeof line, "cmcc verify-pin --card kmc --kmc-pin @%s", pinfile);
  assert_int_equal(run_capturing(line, out, sizeof out), CF_EXIT_FILE);
  assert_non_null(strstr(out, pinfile));
  assert_non_null(strstr(out, "0640"));
  snprintf(line, sizeof line, "cmcc verify-pin --card kmc --kmc-pin @%s/missing.pin", dir);
  assert_int_equal(run_capturing(line, out, sizeof out), CF_EXIT_FILE);
  assert_non_null(strstr(out, "missing.pin"));

  snprintf(line, sizeof line, "rm -rf '%s'", dir);
  assert_int_equal(system(line), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cmcc_host_cli_usage_errors), cmocka_unit_test(cmcc_host_cli_parallel_options),
      cmocka_unit_test(cmcc_host_cli_pin_and_refs), cmocka_unit_test(cmcc_host_cli_hsm_init),
      cmocka_unit_test(cmcc_host_cli_secret_files),
  };
  return cmocka_run_group_tests_name("cmcc_host_cli", tests, NULL, NULL);
}
