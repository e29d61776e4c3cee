/* Splitting one `keycard shell` script line into words (keycard_shell_line.h). */
#include "keycard_shell_line.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_blank(char ch) {
  return ch == ' ' || ch == '\t';
}

int keycard_shell_split(const char *line, size_t len, char *buf, size_t cap, char **words, int max_words,
                        char *err, size_t errlen) {
  /* the line's end: its newline, and a CR before it (a script saved with CR LF line ends) */
  if (len > 0 && line[len - 1] == '\n') len--;
  if (len > 0 && line[len - 1] == '\r') len--;
  if (len + 1 > cap) {
    snprintf(err, errlen, "line longer than %zu bytes", cap - 1);
    return -1;
  }
  if (memchr(line, '\0', len) != NULL) {
    snprintf(err, errlen, "NUL byte in the line");
    return -1;
  }
  int count = 0;
  size_t i = 0, o = 0;
  for (;;) {
    while (i < len && is_blank(line[i]))
      i++;
    if (i == len || line[i] == '#') return count;
    if (count == max_words) {
      snprintf(err, errlen, "more than %d words in the line", max_words);
      return -1;
    }
    words[count++] = buf + o;
    /* one word: runs of plain, quoted and escaped characters until an unquoted blank */
    while (i < len && !is_blank(line[i])) {
      char ch = line[i++];
      if (ch == '\\') {
        if (i == len) {
          snprintf(err, errlen, "backslash at the end of the line");
          return -1;
        }
        buf[o++] = line[i++];
      } else if (ch == '\'') {
        const char *close = memchr(line + i, '\'', len - i);
        if (close == NULL) {
          snprintf(err, errlen, "unclosed single quote");
          return -1;
        }
        size_t n = (size_t)(close - (line + i));
        memcpy(buf + o, line + i, n);
        o += n;
        i += n + 1;
      } else if (ch == '"') {
        /* inside double quotes a backslash escapes only " and \, as in a POSIX shell ($ and ` are
         * not special here: nothing is expanded) */
        for (;;) {
          if (i == len) {
            snprintf(err, errlen, "unclosed double quote");
            return -1;
          }
          ch = line[i++];
          if (ch == '"') break;
          if (ch == '\\' && i < len && (line[i] == '"' || line[i] == '\\')) ch = line[i++];
          buf[o++] = ch;
        }
      } else {
        buf[o++] = ch;
      }
    }
    buf[o++] = '\0';
  }
}
