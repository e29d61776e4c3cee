/* Decoding what GET DATA returns: card recognition data (tag 66) and CPLC (tag 9F7F). */
#include <stdio.h>
#include <string.h>

#include "cardforge/gp_client.h"
#include "cardforge/tlv.h"

static const uint8_t gp_oid[6] = {0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B};

/* The value of the OID (tag 06) inside tlv v, when it starts with the GP arc and then arc. */
static const uint8_t *gp_arc(const cf_tlv *v, uint8_t arc, size_t *rest) {
  cf_tlv oid;
  if (!cf_tlv_read(v->value, v->len, &oid) || oid.tag != 0x06 || oid.len < 7) return NULL;
  if (memcmp(oid.value, gp_oid, 6) != 0 || oid.value[6] != arc) return NULL;
  *rest = oid.len - 7;
  return oid.value + 7;
}

int cf_gp_parse_card_data(const uint8_t *data, size_t len, cf_gp_card_data *out) {
  cf_tlv t;
  memset(out, 0, sizeof *out);
  if (cf_tlv_read(data, len, &t) && t.tag == 0x66) {
    data = t.value;
    len = t.len;
  }
  if (cf_tlv_read(data, len, &t) && t.tag == 0x73) {
    data = t.value;
    len = t.len;
  } else {
    return -1;
  }
  size_t pos = 0, rest = 0;
  bool err = false;
  cf_tlv item;
  while (cf_tlv_next(data, len, &pos, &item, &err)) {
    const uint8_t *v;
    if (item.tag == 0x60 && (v = gp_arc(&item, 0x02, &rest)) != NULL) {
      size_t w = 0;
      for (size_t i = 0; i < rest && w + 5 < sizeof out->gp_version; i++)
        w += (size_t)snprintf(out->gp_version + w, sizeof out->gp_version - w, i ? ".%u" : "%u", v[i]);
    } else if (item.tag == 0x64 && (v = gp_arc(&item, 0x04, &rest)) != NULL && rest >= 2 &&
               out->scp_count < sizeof out->scp) {
      out->scp[out->scp_count] = v[0];
      out->scp_i[out->scp_count++] = v[1];
    }
  }
  return err ? -1 : 0;
}

int cf_gp_print_cplc(const uint8_t *data, size_t len, FILE *f) {
  static const struct {
    const char *name;
    size_t len;
  } fields[] = {
      {"IC fabricator", 2},
      {"IC type", 2},
      {"OS identifier", 2},
      {"OS release date", 2},
      {"OS release level", 2},
      {"IC fabrication date", 2},
      {"IC serial number", 4},
      {"IC batch identifier", 2},
      {"IC module fabricator", 2},
      {"IC module packaging date", 2},
      {"ICC manufacturer", 2},
      {"IC embedding date", 2},
      {"IC pre-personalizer", 2},
      {"IC pre-perso equipment date", 2},
      {"IC pre-perso equipment ID", 4},
      {"IC personalizer", 2},
      {"IC personalization date", 2},
      {"IC perso equipment ID", 4},
  };
  cf_tlv t;
  if (len != 42 && cf_tlv_read(data, len, &t) && t.tag == 0x9F7F) {
    data = t.value;
    len = t.len;
  }
  if (len != 42) return -1;
  size_t pos = 0;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    fprintf(f, "  %-28s ", fields[i].name);
    for (size_t j = 0; j < fields[i].len; j++)
      fprintf(f, "%02X", data[pos + j]);
    /* dates are YDDD: last digit of the year, day of the year */
    if (strstr(fields[i].name, "date") != NULL && data[pos] != 0 && (data[pos] >> 4) <= 9 &&
        (data[pos] & 0x0F) <= 3 && (data[pos + 1] >> 4) <= 9 && (data[pos + 1] & 0x0F) <= 9)
      fprintf(f, " (year ..%u, day %u%u%u)", data[pos] >> 4, data[pos] & 0x0F, data[pos + 1] >> 4,
              data[pos + 1] & 0x0F);
    fputc('\n', f);
    pos += fields[i].len;
  }
  return 0;
}
