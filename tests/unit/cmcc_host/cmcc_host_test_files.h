/* Writing the files the host reads (vaults, key sheets, key and PIN files) with the permissions a
 * test gives them: what test_cmcc_host_files.c and test_cmcc_host_cli.c share. */
#ifndef CMCC_HOST_TEST_FILES_H
#define CMCC_HOST_TEST_FILES_H

#include <stdio.h>
#include <sys/stat.h>

static inline void write_file(const char *path, const char *text, mode_t mode) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  assert_int_equal(chmod(path, mode), 0);
}

#endif
