/* The China Mobile benchmarks' card values (bench/cmcc.c, bench/cmcc_parallel.c): the master cards'
 * PIN 02 and keys, and the key sheet (seed, EMK 08 and EAK 09 attributes) both generate from. */
#ifndef CARDFORGE_BENCH_CMCC_VALUES_H
#define CARDFORGE_BENCH_CMCC_VALUES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cardforge/cmcc_crypto.h"
#include "cardforge/cmcc_host.h"
#include "cardforge/hex.h"

#define PIN "87654321"
#define K01 "1B2B3B4B5B6B7B8B9BABBBCBDBEBFB0B"
#define K02 "2C3C4C5C6C7C8C9CACBCCCDCECFC0C1C"
#define K03 "3D4D5D6D7D8D9DADBDCDDDEDFD0D1D2D"
#define SEED "00112233445566778899AABBCCDDEEFF"
static const uint8_t attr_emk[11] = {0x08, 0x01, 0x01, 0x00, 0x00, 0x31, 0xAA, 0, 0, 0, 0};
static const uint8_t attr_eak[11] = {0x09, 0x01, 0x01, 0x00, 0x00, 0x32, 0xAA, 0, 0, 0, 0};

/* `cardforge sim` parameters of the KMC (kmc true) or of the authentication card. */
static inline void cmcc_bench_master_params(char *out, size_t cap, bool kmc) {
  char pin_hex[17];
  cf_hex_encode((const uint8_t *)PIN, 8, pin_hex);
  if (kmc)
    snprintf(out, cap, "pin2=%s,k01=%s,k02=%s", pin_hex, K01, K02);
  else
    snprintf(out, cap, "pin2=%s,k02=%s,k03=%s", pin_hex, K02, K03);
}

/* The two-key sheet, and the EMK the KMC generates from it (hex, for the user cards' parameters).
 * Returns 0, or -1 when the key cannot be computed. */
static inline int cmcc_bench_sheet(cf_cmcc_keysheet *sheet, char emk_hex[33]) {
  cf_hex_decode(SEED, sheet->seed, 16);
  memcpy(sheet->attrs[0], attr_emk, 11);
  memcpy(sheet->attrs[1], attr_eak, 11);
  sheet->count = 2;
  uint8_t emk[16];
  if (cmcc_generated_key(sheet->seed, attr_emk, emk) != 0) return -1;
  cf_hex_encode(emk, 16, emk_hex);
  return 0;
}

#endif
