/* Short English meanings of ISO 7816-4 and GlobalPlatform status words, for error lines. */
#include <stdio.h>

#include "cardforge/cli.h"

typedef struct sw_text {
  unsigned sw;
  const char *text;
} sw_text;

static const sw_text exact[] = {
    {0x9000, "success"},
    {0x6200, "warning: no information given, state unchanged"},
    {0x6281, "warning: part of the returned data may be corrupted"},
    {0x6282, "warning: end of data reached before Le bytes"},
    {0x6283, "warning: selected file or application invalidated"},
    {0x6284, "warning: FCI not formatted"},
    {0x6300, "verification failed"},
    {0x6400, "execution error, state unchanged"},
    {0x6581, "memory failure"},
    {0x6700, "wrong length"},
    {0x6881, "logical channel not supported"},
    {0x6882, "secure messaging not supported"},
    {0x6883, "last command of the chain expected"},
    {0x6884, "command chaining not supported"},
    {0x6982, "security status not satisfied"},
    {0x6983, "authentication method blocked"},
    {0x6984, "referenced data invalidated"},
    {0x6985, "conditions of use not satisfied"},
    {0x6986, "command not allowed"},
    {0x6987, "expected secure messaging data objects missing"},
    {0x6988, "incorrect secure messaging data objects"},
    {0x6999, "application selection failed"},
    {0x6A80, "incorrect parameters in the data field"},
    {0x6A81, "function not supported"},
    {0x6A82, "file or application not found"},
    {0x6A83, "record not found"},
    {0x6A84, "not enough memory space"},
    {0x6A86, "incorrect parameters P1-P2"},
    {0x6A88, "referenced data not found"},
    {0x6B00, "wrong parameters P1-P2"},
    {0x6D00, "instruction not supported"},
    {0x6E00, "class not supported"},
    {0x6F00, "no precise diagnosis"},
    {0x9484, "algorithm not supported"},
    {0x9485, "invalid key check value"},
};

const char *cf_sw_meaning(unsigned sw) {
  static _Thread_local char text[64];
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (exact[i].sw == sw) return exact[i].text;
  unsigned sw1 = (sw >> 8) & 0xFF, sw2 = sw & 0xFF;
  if (sw1 == 0x61) {
    snprintf(text, sizeof text, "%u more response bytes available", sw2 ? sw2 : 256);
    return text;
  }
  if (sw1 == 0x6C) {
    snprintf(text, sizeof text, "wrong Le: %u bytes available", sw2 ? sw2 : 256);
    return text;
  }
  if (sw1 == 0x63 && (sw2 & 0xF0) == 0xC0) {
    snprintf(text, sizeof text, "verification failed, %u tries left", sw2 & 0x0F);
    return text;
  }
  switch (sw1) {
  case 0x62:
    return "warning, state unchanged";
  case 0x63:
    return "warning, state changed";
  case 0x64:
    return "execution error, state unchanged";
  case 0x65:
    return "execution error, state changed";
  case 0x66:
    return "security-related error";
  case 0x67:
  case 0x68:
  case 0x69:
  case 0x6A:
  case 0x6B:
  case 0x6D:
  case 0x6E:
  case 0x6F:
    return "checking error";
  default:
    return "unknown status word";
  }
}
