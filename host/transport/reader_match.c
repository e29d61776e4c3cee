/* Reader selection by name, index or substring: pure logic, shared by the PC/SC transport and
 * `cardforge readers`. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cardforge/pcsc.h"

static bool all_digits(const char *s) {
  if (*s == '\0') return false;
  for (; *s != '\0'; s++)
    if (!isdigit((unsigned char)*s)) return false;
  return true;
}

static bool contains_nocase(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay != '\0'; hay++)
    if (strncasecmp(hay, needle, n) == 0) return true;
  return n == 0;
}

int cf_pcsc_match_reader(const char *const *names, const bool *has_card, int count, const char *want,
                         char *err, size_t errlen) {
  if (count <= 0) {
    snprintf(err, errlen, "no PC/SC reader found");
    return -1;
  }
  if (want == NULL || *want == '\0') {
    for (int i = 0; i < count; i++)
      if (has_card != NULL && has_card[i]) return i;
    snprintf(err, errlen, "no card in any reader (%d reader%s found)", count, count == 1 ? "" : "s");
    return -1;
  }
  for (int i = 0; i < count; i++)
    if (strcmp(names[i], want) == 0) return i;
  if (all_digits(want)) {
    /* An index is never read as a substring: "0" would match "Virtual PCD 00 01" too. */
    unsigned long index = strtoul(want, NULL, 10);
    if (strlen(want) > 6 || index >= (unsigned long)count) {
      snprintf(err, errlen, "no reader number %s (%d reader%s found)", want, count, count == 1 ? "" : "s");
      return -1;
    }
    return (int)index;
  }
  int found = -1, matches = 0;
  for (int i = 0; i < count; i++) {
    if (contains_nocase(names[i], want)) {
      if (found < 0) found = i;
      matches++;
    }
  }
  if (matches == 1) return found;
  if (matches > 1) {
    snprintf(err, errlen, "reader \"%s\" is ambiguous: %d readers match (use the full name or the number)",
             want, matches);
    return -1;
  }
  snprintf(err, errlen, "no reader matches \"%s\" (see `cardforge readers`)", want);
  return -1;
}
