/* Replays fuzz inputs through a harness without libFuzzer: the regression test of every finding.
 * Arguments are files or directories (every file inside but dot files, sorted). A finding aborts;
 * nothing to replay is a failure too. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_entry.h"

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "robust_replay: cannot open %s\n", path);
    return -1;
  }
  static uint8_t buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  fprintf(stderr, "replay %s (%zu bytes)\n", path, n);
  LLVMFuzzerTestOneInput(buf, n);
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  size_t replayed = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "robust_replay: no %s\n", argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (replay_file(argv[i]) != 0) return 1;
      replayed++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    if (d == NULL) return 1;
    char *names[4096];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < 4096)
      if (e->d_name[0] != '.') names[count++] = strdup(e->d_name);
    closedir(d);
    qsort(names, count, sizeof names[0], by_name);
    for (size_t k = 0; k < count; k++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
      free(names[k]);
      if (replay_file(path) != 0) return 1;
      replayed++;
    }
  }
  /* An empty corpus would pass without testing anything: every harness keeps a seed corpus. */
  if (replayed == 0) {
    fprintf(stderr, "robust_replay: no input to replay\n");
    return 1;
  }
  printf("robust_replay: %zu inputs replayed, no finding\n", replayed);
  return 0;
}
