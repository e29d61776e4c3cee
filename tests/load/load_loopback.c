/* Load client for the loopback card, straight on PC/SC (several clients share one reader): each
 * operation runs in an SCardBeginTransaction so that its GET RESPONSE follow-ups are not cut by
 * another client. Mix: echo (short and extended), sized responses, chosen status words, the
 * transient command count and the persistent counter, whose increments are counted for the
 * lost-update check. */
#include <stdlib.h>
#include <string.h>
#include <winscard.h>

#include "load.h"

typedef struct lb {
  SCARDCONTEXT ctx;
  SCARDHANDLE card;
  DWORD protocol;
  load_result *r;
} lb;

static int lb_connect(lb *c, const char *want) {
  if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx) != SCARD_S_SUCCESS) return -1;
  char names[4096];
  DWORD len = sizeof names;
  if (SCardListReaders(c->ctx, NULL, names, &len) != SCARD_S_SUCCESS) return -1;
  int index = atoi(want), i = 0;
  for (const char *n = names; *n; n += strlen(n) + 1, i++) {
    if (i != index) continue;
    LONG rv = SCardConnect(c->ctx, n, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->card,
                           &c->protocol);
    return rv == SCARD_S_SUCCESS ? 0 : -1;
  }
  return -1;
}

/* One exchange; returns the status word or 0 on a transport failure. */
static uint16_t lb_raw(lb *c, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap, size_t *rlen) {
  const SCARD_IO_REQUEST *pci = c->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  DWORD n = (DWORD)cap;
  c->r->apdus++;
  if (SCardTransmit(c->card, pci, cmd, (DWORD)len, NULL, resp, &n) != SCARD_S_SUCCESS || n < 2) return 0;
  *rlen = n - 2;
  return (uint16_t)((resp[n - 2] << 8) | resp[n - 1]);
}

/* An exchange that follows 61XX (GET RESPONSE) and 6CXX (resend with Le) as a host does, inside
 * one PC/SC transaction. Data accumulates in out. */
static uint16_t lb_exchange(lb *c, const uint8_t *cmd, size_t len, uint8_t *out, size_t cap, size_t *olen) {
  static uint8_t buf[65536 + 2], again[65536 + 16];
  *olen = 0;
  if (SCardBeginTransaction(c->card) != SCARD_S_SUCCESS) return 0;
  size_t n = 0;
  uint16_t sw = lb_raw(c, cmd, len, buf, sizeof buf, &n);
  if ((sw >> 8) == 0x6C && len >= 5 && len < sizeof again) {
    memcpy(again, cmd, len);
    again[len - 1] = (uint8_t)sw;
    sw = lb_raw(c, again, len, buf, sizeof buf, &n);
  }
  for (;;) {
    if (sw == 0 || *olen + n > cap) {
      sw = 0;
      break;
    }
    memcpy(out + *olen, buf, n);
    *olen += n;
    if ((sw >> 8) != 0x61) break;
    uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, (uint8_t)sw};
    sw = lb_raw(c, gr, 5, buf, sizeof buf, &n);
  }
  SCardEndTransaction(c->card, SCARD_LEAVE_CARD);
  return sw;
}

static void lb_echo(lb *c, uint32_t *rs, bool extended) {
  static uint8_t cmd[7 + 4096 + 2], data[4096], out[65536];
  size_t len = extended ? 300 + load_rand(rs) % 3000 : 1 + load_rand(rs) % 250, n = 0, olen = 0;
  for (size_t i = 0; i < len; i++)
    data[i] = (uint8_t)load_rand(rs);
  cmd[n++] = 0x80, cmd[n++] = 0x01, cmd[n++] = 0x00, cmd[n++] = 0x00;
  if (extended) {
    cmd[n++] = 0x00, cmd[n++] = (uint8_t)(len >> 8), cmd[n++] = (uint8_t)len;
  } else {
    cmd[n++] = (uint8_t)len;
  }
  memcpy(cmd + n, data, len);
  n += len;
  if (extended)
    cmd[n++] = 0x00, cmd[n++] = 0x00; /* Le 65536 */
  else
    cmd[n++] = 0x00;
  uint16_t sw = lb_exchange(c, cmd, n, out, sizeof out, &olen);
  if (sw != 0x9000 || olen != len || memcmp(out, data, len) != 0)
    load_fail(c->r, "echo of %zu bytes: SW %04X, %zu bytes back", len, sw, olen);
}

static void lb_generate(lb *c, uint32_t *rs) {
  static uint8_t out[65536];
  size_t want = 1 + load_rand(rs) % 256, olen = 0;
  uint8_t cmd[5] = {0x80, 0x02, (uint8_t)(want >> 8), (uint8_t)want, 0x00};
  uint16_t sw = lb_exchange(c, cmd, sizeof cmd, out, sizeof out, &olen);
  bool ok = sw == 0x9000 && olen == want;
  for (size_t i = 0; ok && i < want; i++)
    ok = out[i] == (uint8_t)i;
  if (!ok) load_fail(c->r, "generate %zu: SW %04X, %zu bytes", want, sw, olen);
}

static void lb_status(lb *c) {
  static const uint8_t cmd[] = {0x80, 0x03, 0x00, 0x00, 0x04, 0x63, 0xC1, 0xAB, 0xCD};
  uint8_t out[16];
  size_t olen = 0;
  uint16_t sw = lb_exchange(c, cmd, sizeof cmd, out, sizeof out, &olen);
  if (sw != 0x63C1 || olen != 2 || out[0] != 0xAB || out[1] != 0xCD)
    load_fail(c->r, "status word: SW %04X", sw);
}

static void lb_counter(lb *c) {
  static const uint8_t cmd[] = {0x80, 0x04, 0x00, 0x00};
  uint8_t out[16];
  size_t olen = 0;
  uint16_t sw = lb_exchange(c, cmd, sizeof cmd, out, sizeof out, &olen);
  if (sw != 0x9000 || olen != 4) {
    load_fail(c->r, "counter: SW %04X, %zu bytes", sw, olen);
    return;
  }
  int64_t v = ((int64_t)out[0] << 24) | (out[1] << 16) | (out[2] << 8) | out[3];
  if (v <= c->r->last_value)
    load_fail(c->r, "counter went back: %lld after %lld", (long long)v, (long long)c->r->last_value);
  c->r->last_value = v;
  c->r->updates++;
}

static void lb_transient(lb *c) {
  static const uint8_t cmd[] = {0x80, 0x05, 0x00, 0x00, 0x04};
  uint8_t out[16];
  size_t olen = 0;
  uint16_t sw = lb_exchange(c, cmd, sizeof cmd, out, sizeof out, &olen);
  if (sw != 0x9000 || olen != 4) load_fail(c->r, "transient count: SW %04X", sw);
}

int load_loopback(const load_opts *o, load_result *r) {
  lb c = {.r = r};
  if (lb_connect(&c, o->reader) != 0) {
    load_fail(r, "cannot connect to reader %s", o->reader);
    return -1;
  }
  uint32_t rs = 0x9E3779B9u ^ (o->id * 2654435761u);
  double end = load_now() + o->seconds;
  while (load_now() < end) {
    switch (load_rand(&rs) % 8) {
    case 0:
    case 1:
      lb_echo(&c, &rs, false);
      break;
    case 2:
      lb_echo(&c, &rs, true);
      break;
    case 3:
      lb_generate(&c, &rs);
      break;
    case 4:
      lb_status(&c);
      break;
    case 5:
      lb_transient(&c);
      break;
    default:
      lb_counter(&c);
      break;
    }
    r->operations++;
  }
  SCardDisconnect(c.card, SCARD_LEAVE_CARD);
  SCardReleaseContext(c.ctx);
  return 0;
}
