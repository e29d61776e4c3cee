/* --json output (cardforge/json_out.h). */
#include "cardforge/json_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardforge/hex.h"

static bool error_mode;

bool cf_json_requested(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (strcmp(argv[i], "--json") == 0) {
      error_mode = true;
      return true;
    }
  }
  return false;
}

void cf_json_set_error_mode(bool on) {
  error_mode = on;
}

bool cf_json_error_mode(void) {
  return error_mode;
}

/* {"<kind>": {"message": ..., "reader": ...}} on one line of stderr */
static void print_object(const char *kind, const char *message, const char *reader) {
  json_t *inner = json_object();
  json_object_set_new(inner, "message", json_string(message ? message : ""));
  if (reader && *reader) json_object_set_new(inner, "reader", json_string(reader));
  json_t *doc = json_pack("{s:o}", kind, inner);
  char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  if (text)
    fprintf(stderr, "%s\n", text);
  else /* out of memory: the message still reaches the user */
    fprintf(stderr, "{\"%s\":{\"message\":\"out of memory\"}}\n", kind);
  free(text);
  json_decref(doc);
}

void cf_json_print_error(const char *message, const char *reader) {
  print_object("error", message, reader);
}

void cf_json_print_warning(const char *message) {
  print_object("warning", message, NULL);
}

int cf_json_emit(json_t *doc) {
  if (!doc) return -1;
  int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(doc);
  if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0) return -1;
  return 0;
}

json_t *cf_json_hex(const uint8_t *bytes, size_t len) {
  char *text = malloc(2 * len + 1);
  if (!text) return NULL;
  cf_hex_encode(bytes, len, text);
  json_t *s = json_string(text);
  free(text);
  return s;
}

json_t *cf_json_sw(unsigned sw) {
  char text[5];
  snprintf(text, sizeof text, "%04X", sw & 0xFFFF);
  return json_string(text);
}
