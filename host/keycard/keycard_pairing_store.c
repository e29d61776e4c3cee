/* The host's pairing store: a text file, one pairing per line,
 *   <instance UID, 32 hex digits> <pairing index, decimal> <pairing key, 64 hex digits>
 * kept private (mode 0600) and replaced atomically (temporary file, fsync, rename) so a crash never
 * leaves a half-written store. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/crypto.h"
#include "cardforge/hex.h"
#include "cardforge/keycard_client.h"

#define LINE_MAX_LEN 256

typedef struct pairing_line {
  uint8_t uid[KEYCARD_CLIENT_UID_LEN];
  unsigned index;
  uint8_t key[32];
} pairing_line;

/* Parses one line; false for comments, blanks and anything malformed. */
static bool parse_line(const char *line, pairing_line *out) {
  char uid_hex[LINE_MAX_LEN], key_hex[LINE_MAX_LEN];
  unsigned index;
  if (line[0] == '#') return false;
  if (sscanf(line, "%255s %u %255s", uid_hex, &index, key_hex) != 3) return false;
  if (index > 255) return false;
  if (cf_hex_decode(uid_hex, out->uid, sizeof out->uid) != KEYCARD_CLIENT_UID_LEN) return false;
  if (cf_hex_decode(key_hex, out->key, sizeof out->key) != 32) return false;
  out->index = index;
  cf_wipe(key_hex, sizeof key_hex);
  return true;
}

int keycard_client_pairing_get(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t *index,
                               uint8_t key[32], char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    if (errno == ENOENT) return 0;
    snprintf(err, errlen, "cannot read the pairing store %s: %s", path, strerror(errno));
    return -1;
  }
  char line[LINE_MAX_LEN];
  pairing_line p;
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) {
    if (parse_line(line, &p) && memcmp(p.uid, uid, KEYCARD_CLIENT_UID_LEN) == 0) {
      *index = (uint8_t)p.index;
      memcpy(key, p.key, 32);
      found = 1;
    }
  }
  cf_wipe(line, sizeof line);
  cf_wipe(&p, sizeof p);
  fclose(f);
  return found;
}

/* mkdir -p for the store's directory, private to the user. */
static int make_parent_dirs(const char *path, char *err, size_t errlen) {
  char dir[4096];
  if (strlen(path) >= sizeof dir) {
    snprintf(err, errlen, "pairing store path too long");
    return -1;
  }
  strcpy(dir, path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = 0;
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) goto fail;
    *p = '/';
  }
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) goto fail;
  return 0;
fail:
  snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
  return -1;
}

int keycard_client_pairing_put(const char *path, const uint8_t uid[KEYCARD_CLIENT_UID_LEN], uint8_t index,
                               const uint8_t *key, char *err, size_t errlen) {
  if (make_parent_dirs(path, err, errlen) != 0) return -1;
  char tmp[4096 + 16];
  snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
    return -1;
  }
  FILE *out = fdopen(fd, "w");
  if (!out || fchmod(fd, 0600) != 0) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    if (out)
      fclose(out);
    else
      close(fd);
    unlink(tmp);
    return -1;
  }
  char line[LINE_MAX_LEN];
  pairing_line p;
  bool write_ok = true;
  FILE *in = fopen(path, "r");
  if (!in && errno != ENOENT) {
    snprintf(err, errlen, "cannot read the pairing store %s: %s", path, strerror(errno));
    fclose(out);
    unlink(tmp);
    return -1;
  }
  if (in) {
    /* Keep every other line as it was, including comments; drop the old entry for this card. */
    while (fgets(line, sizeof line, in)) {
      if (parse_line(line, &p) && memcmp(p.uid, uid, KEYCARD_CLIENT_UID_LEN) == 0) continue;
      if (fputs(line, out) < 0) write_ok = false;
    }
    fclose(in);
  }
  if (key) {
    char uid_hex[2 * KEYCARD_CLIENT_UID_LEN + 1], key_hex[65];
    cf_hex_encode(uid, KEYCARD_CLIENT_UID_LEN, uid_hex);
    cf_hex_encode(key, 32, key_hex);
    if (fprintf(out, "%s %u %s\n", uid_hex, index, key_hex) < 0) write_ok = false;
    cf_wipe(key_hex, sizeof key_hex);
  }
  cf_wipe(line, sizeof line);
  cf_wipe(&p, sizeof p);
  if (fflush(out) != 0 || fsync(fileno(out)) != 0) write_ok = false;
  if (fclose(out) != 0) write_ok = false;
  if (!write_ok || rename(tmp, path) != 0) {
    snprintf(err, errlen, "cannot write the pairing store %s: %s", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}
