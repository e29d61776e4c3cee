/* PC/SC transport over pcsc-lite: list readers, pick one (cf_pcsc_match_reader), connect shared
 * with T=0 or T=1 and hold a transaction for the whole session, transmit, warm-reset through
 * SCardReconnect, and end the session resetting the card when it may hold security state. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "cardforge/pcsc.h"
#include "cardforge/transport.h"

typedef struct pcsc_impl {
  SCARDCONTEXT ctx;
  SCARDHANDLE card;
  DWORD protocol;
  bool in_transaction;
} pcsc_impl;

/* How often Begin may meet a reset made by another program before we give up: each such reset is
 * another session ending, so a handful means a program that resets the card in a loop. */
#define BEGIN_MAX_RESETS 64
/* vsmartcard's vpcd frames every APDU with a 16-bit length: a longer command never reaches the card
 * and vpcd drops the card's connection (measured on Debian 12, docs/cli.md). Other readers take what
 * pcsc-lite's extended buffer holds. */
#define VPCD_READER_PREFIX "Virtual PCD"
#define VPCD_FRAME_MAX 0xFFFFu

static size_t reader_command_limit(const char *reader) {
  if (strncmp(reader, VPCD_READER_PREFIX, strlen(VPCD_READER_PREFIX)) == 0) return VPCD_FRAME_MAX;
  return MAX_BUFFER_SIZE_EXTENDED;
}

/* Return codes meaning another program took the card from under this session. */
static bool rv_is_shared(LONG rv) {
  return rv == SCARD_W_RESET_CARD || rv == SCARD_E_SHARING_VIOLATION;
}

const char *cf_pcsc_describe(long rv) {
  switch ((LONG)rv) {
  case SCARD_E_NO_SERVICE:
  case SCARD_E_SERVICE_STOPPED:
    return "PC/SC service not running (start pcscd)";
  case SCARD_E_NO_READERS_AVAILABLE:
    return "no PC/SC reader found";
  case SCARD_E_NO_SMARTCARD:
  case SCARD_W_REMOVED_CARD:
    return "no card in the reader";
  case SCARD_E_SHARING_VIOLATION:
    return "the reader is in exclusive use by another program";
  case SCARD_W_UNRESPONSIVE_CARD:
    return "the card does not respond";
  case SCARD_W_UNPOWERED_CARD:
    return "the card is not powered";
  case SCARD_W_RESET_CARD:
    return "the card was reset by another program";
  case SCARD_E_READER_UNAVAILABLE:
    return "the reader went away";
  case SCARD_E_PROTO_MISMATCH:
    return "the card speaks neither T=0 nor T=1";
  case SCARD_E_TIMEOUT:
    return "PC/SC timeout";
  default:
    return pcsc_stringify_error((LONG)rv);
  }
}

/* Fills names (one block of NUL-terminated strings, as PC/SC returns it) and a pointer table. */
static int list_names(SCARDCONTEXT ctx, char **block, const char **names, int max, char *err, size_t errlen) {
  DWORD len = 0;
  LONG rv = SCardListReaders(ctx, NULL, NULL, &len);
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return 0;
  if (rv != SCARD_S_SUCCESS) {
    snprintf(err, errlen, "cannot list readers: %s", cf_pcsc_describe(rv));
    return -1;
  }
  *block = calloc(len + 1, 1);
  if (*block == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  rv = SCardListReaders(ctx, NULL, *block, &len);
  if (rv == SCARD_E_NO_READERS_AVAILABLE) return 0;
  if (rv != SCARD_S_SUCCESS) {
    snprintf(err, errlen, "cannot list readers: %s", cf_pcsc_describe(rv));
    return -1;
  }
  int count = 0;
  for (char *p = *block; *p != '\0' && count < max; p += strlen(p) + 1)
    names[count++] = p;
  return count;
}

/* Card presence and ATR for each reader, without connecting. */
static int read_states(SCARDCONTEXT ctx, const char **names, int count, cf_pcsc_reader *out, char *err,
                       size_t errlen) {
  SCARD_READERSTATE states[CF_PCSC_MAX_READERS];
  memset(states, 0, sizeof states);
  for (int i = 0; i < count; i++) {
    states[i].szReader = names[i];
    states[i].dwCurrentState = SCARD_STATE_UNAWARE;
  }
  LONG rv = SCardGetStatusChange(ctx, 0, states, (DWORD)count);
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
    snprintf(err, errlen, "cannot read reader states: %s", cf_pcsc_describe(rv));
    return -1;
  }
  for (int i = 0; i < count; i++) {
    snprintf(out[i].name, sizeof out[i].name, "%s", names[i]);
    out[i].has_card = (states[i].dwEventState & SCARD_STATE_PRESENT) != 0 &&
                      (states[i].dwEventState & SCARD_STATE_MUTE) == 0;
    out[i].atr_len = 0;
    if (out[i].has_card && states[i].cbAtr <= CF_PCSC_MAX_ATR) {
      memcpy(out[i].atr, states[i].rgbAtr, states[i].cbAtr);
      out[i].atr_len = states[i].cbAtr;
    }
  }
  return count;
}

/* pcsc-lite's client library (1.9.9) copies the reader states into one process-wide array in
 * SCardListReaders and SCardGetStatusChange, guarded by the context's own mutex only: two threads
 * with two contexts (the workers of a batch) write it at once (ThreadSanitizer shows it). Listing
 * readers therefore takes this lock. */
static pthread_mutex_t reader_states_lock = PTHREAD_MUTEX_INITIALIZER;

static int readers_in(SCARDCONTEXT ctx, cf_pcsc_reader *out, int max, char *err, size_t errlen) {
  char *block = NULL;
  const char *names[CF_PCSC_MAX_READERS];
  if (max > CF_PCSC_MAX_READERS) max = CF_PCSC_MAX_READERS;
  pthread_mutex_lock(&reader_states_lock);
  int count = list_names(ctx, &block, names, max, err, errlen);
  if (count > 0) count = read_states(ctx, names, count, out, err, errlen);
  pthread_mutex_unlock(&reader_states_lock);
  free(block);
  return count;
}

int cf_pcsc_readers(cf_pcsc_reader *out, int max, char *err, size_t errlen) {
  SCARDCONTEXT ctx;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
  if (rv != SCARD_S_SUCCESS) {
    snprintf(err, errlen, "%s", cf_pcsc_describe(rv));
    return -1;
  }
  int count = readers_in(ctx, out, max, err, errlen);
  SCardReleaseContext(ctx);
  return count;
}

int cf_pcsc_list_readers(char names[][128], bool *has_card, int max, char *err, size_t errlen) {
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  int count = cf_pcsc_readers(readers, max, err, errlen);
  for (int i = 0; i < count; i++) {
    _Static_assert(sizeof readers[i].name == 128, "reader name sizes differ");
    memcpy(names[i], readers[i].name, 128); /* NUL-terminated by read_states */
    if (has_card != NULL) has_card[i] = readers[i].has_card;
  }
  return count;
}

/* The reader-choosing rule of cf_transport_open_pcsc, on a list already read. */
static int choose(const cf_pcsc_reader *readers, int count, const char *want, char *err, size_t errlen) {
  const char *names[CF_PCSC_MAX_READERS];
  bool has_card[CF_PCSC_MAX_READERS];
  for (int i = 0; i < count; i++) {
    names[i] = readers[i].name;
    has_card[i] = readers[i].has_card;
  }
  return cf_pcsc_match_reader(names, has_card, count, want, err, errlen);
}

int cf_pcsc_resolve_reader(const char *want, char *name, size_t cap, char *err, size_t errlen) {
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  int count = cf_pcsc_readers(readers, CF_PCSC_MAX_READERS, err, errlen);
  int chosen = count >= 0 ? choose(readers, count, want, err, errlen) : -1;
  if (chosen < 0) return -1;
  snprintf(name, cap, "%s", readers[chosen].name);
  return 0;
}

static int pcsc_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                         size_t *rlen) {
  pcsc_impl *p = t->impl;
  const SCARD_IO_REQUEST *pci = p->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  DWORD n = (DWORD)cap;
  LONG rv = SCardTransmit(p->card, pci, cmd, (DWORD)len, NULL, resp, &n);
  if (rv != SCARD_S_SUCCESS) {
    if (rv_is_shared(rv)) {
      cf_transport_set_shared_fault(t, cf_pcsc_describe(rv));
    } else {
      t->fault = CF_TRANSPORT_FAULT_IO;
      snprintf(t->err, sizeof t->err, "%s: %s", t->name, cf_pcsc_describe(rv));
    }
    return -1;
  }
  *rlen = n;
  return 0;
}

static int pcsc_reset(cf_transport *t) {
  pcsc_impl *p = t->impl;
  LONG rv = SCardReconnect(p->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                           SCARD_RESET_CARD, &p->protocol);
  if (rv != SCARD_S_SUCCESS) {
    if (rv_is_shared(rv)) {
      cf_transport_set_shared_fault(t, cf_pcsc_describe(rv));
    } else {
      t->fault = CF_TRANSPORT_FAULT_IO;
      snprintf(t->err, sizeof t->err, "%s: reset failed: %s", t->name, cf_pcsc_describe(rv));
    }
    return -1;
  }
  return 0;
}

static void pcsc_close(cf_transport *t) {
  pcsc_impl *p = t->impl;
  if (p == NULL) return;
  DWORD disposition = t->secured ? SCARD_RESET_CARD : SCARD_LEAVE_CARD;
  /* The reset happens while we still hold the transaction: no other program's APDU can reach the
   * card between our last command and the reset. */
  if (p->in_transaction) {
    LONG rv = SCardEndTransaction(p->card, disposition);
    if (rv == SCARD_S_SUCCESS) disposition = SCARD_LEAVE_CARD;
  }
  SCardDisconnect(p->card, disposition);
  SCardReleaseContext(p->ctx);
  free(p);
  t->impl = NULL;
}

static const cf_transport_ops pcsc_transport_ops = {
    .exchange = pcsc_exchange,
    .reset = pcsc_reset,
    .close = pcsc_close,
};

/* Begins the session's transaction. SCardBeginTransaction waits while another client holds one;
 * it answers SCARD_W_RESET_CARD when another program reset the card since we connected (typically
 * a session that just ended): that reset cleared what it left, so we take note and try again. */
static LONG begin_transaction(pcsc_impl *p) {
  LONG rv = SCARD_S_SUCCESS;
  for (int resets = 0; resets <= BEGIN_MAX_RESETS; resets++) {
    rv = SCardBeginTransaction(p->card);
    if (rv != SCARD_W_RESET_CARD) break;
    rv = SCardReconnect(p->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
                        &p->protocol);
    if (rv != SCARD_S_SUCCESS && rv != SCARD_W_RESET_CARD) break;
    rv = SCARD_W_RESET_CARD;
  }
  if (rv == SCARD_S_SUCCESS) p->in_transaction = true;
  return rv;
}

cf_transport *cf_transport_open_pcsc(const char *reader, char *err, size_t errlen) {
  return cf_transport_open_pcsc_ex(reader, err, errlen, NULL);
}

cf_transport *cf_transport_open_pcsc_ex(const char *reader, char *err, size_t errlen,
                                        cf_transport_fault *fault) {
  if (fault != NULL) *fault = CF_TRANSPORT_FAULT_IO;
  pcsc_impl *p = calloc(1, sizeof *p);
  cf_transport *t = calloc(1, sizeof *t);
  if (p == NULL || t == NULL) {
    free(p);
    free(t);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
  if (rv != SCARD_S_SUCCESS) {
    snprintf(err, errlen, "%s", cf_pcsc_describe(rv));
    free(p);
    free(t);
    return NULL;
  }
  cf_pcsc_reader readers[CF_PCSC_MAX_READERS];
  int count = readers_in(p->ctx, readers, CF_PCSC_MAX_READERS, err, errlen);
  int chosen = -1;
  if (count >= 0) chosen = choose(readers, count, reader, err, errlen);
  if (chosen >= 0) {
    snprintf(t->name, sizeof t->name, "%s", readers[chosen].name);
    rv = SCardConnect(p->ctx, t->name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card,
                      &p->protocol);
    if (rv == SCARD_S_SUCCESS) {
      rv = begin_transaction(p);
      if (rv == SCARD_S_SUCCESS) {
        t->ops = &pcsc_transport_ops;
        t->impl = p;
        t->max_command = reader_command_limit(t->name);
        return t;
      }
      SCardDisconnect(p->card, SCARD_LEAVE_CARD);
    }
    if (rv_is_shared(rv)) {
      snprintf(err, errlen, "another program reset or used the card in reader %s (%s)", t->name,
               cf_pcsc_describe(rv));
      if (fault != NULL) *fault = CF_TRANSPORT_FAULT_SHARED;
    } else {
      snprintf(err, errlen, "%s: %s", t->name, cf_pcsc_describe(rv));
    }
  }
  SCardReleaseContext(p->ctx);
  free(p);
  free(t);
  return NULL;
}
