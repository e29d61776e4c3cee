/* The pcsc-lite IFD handler API (PCSC/ifdhandler.h, IFD handler version 3.0) over a back end
 * (ifd_backend.h): pcscd loads the module named by a reader.conf LIBPATH and calls these for each
 * of its readers, told apart by their logical unit number (Lun). docs/ifd.md.
 *
 * Every reader holds one card, always present: pcscd polls IFDHICCPresence and powers the card up
 * when it first sees it. Removing the card means removing the reader (pcscd closes the channel
 * when it stops). */
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <PCSC/ifdhandler.h>
#include <PCSC/reader.h>

#include "ifd_backend.h"

/* pcscd numbers its readers below PCSCLITE_MAX_READERS_CONTEXTS and calls a driver with
 * Lun = reader number << 16 | slot (pcsc-lite readerfactory.c), so the reader number is the index
 * here: a reader's entry is touched by that reader's calls only, which pcscd serialises, and no
 * call reads another reader's entry. */
#ifdef PCSCLITE_MAX_READERS_CONTEXTS
#define MAX_READERS PCSCLITE_MAX_READERS_CONTEXTS
#else
#define MAX_READERS 16
#endif
#define ATR_MAX 33

typedef struct ifd_reader {
  cf_ifd_card *card; /* NULL: not open */
  uint8_t atr[ATR_MAX];
  size_t atr_len;
} ifd_reader;

static ifd_reader readers[MAX_READERS];

void cf_ifd_log(const char *fmt, ...) {
  char line[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "cardforge-ifd: %s\n", line);
  syslog(LOG_ERR, "cardforge-ifd: %s", line);
}

/* The open reader of lun, or NULL. There is one slot: the low 16 bits must be 0. */
static ifd_reader *find_reader(DWORD lun) {
  if ((lun & 0xFFFF) != 0 || lun >> 16 >= MAX_READERS) return NULL;
  ifd_reader *r = &readers[lun >> 16];
  return r->card != NULL ? r : NULL;
}

static RESPONSECODE open_reader(DWORD lun, const char *device_name, DWORD channel) {
  if ((lun & 0xFFFF) != 0 || lun >> 16 >= MAX_READERS) {
    cf_ifd_log("reader 0x%lX: not a reader number this driver can hold (at most %d, one slot each)",
               (unsigned long)lun, MAX_READERS);
    return IFD_COMMUNICATION_ERROR;
  }
  ifd_reader *r = &readers[lun >> 16];
  if (r->card != NULL) {
    cf_ifd_log("reader 0x%lX opened twice", (unsigned long)lun);
    return IFD_COMMUNICATION_ERROR;
  }
  cf_ifd_card *card = cf_ifd_backend_open(device_name, (unsigned long)channel);
  if (card == NULL) return IFD_COMMUNICATION_ERROR;
  *r = (ifd_reader){.card = card};
  return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName) {
  return open_reader(Lun, DeviceName, 0);
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel) {
  return open_reader(Lun, NULL, Channel);
}

RESPONSECODE IFDHCloseChannel(DWORD Lun) {
  ifd_reader *r = find_reader(Lun);
  if (r == NULL) return IFD_NO_SUCH_DEVICE;
  cf_ifd_backend_close(r->card);
  memset(r, 0, sizeof *r);
  return IFD_SUCCESS;
}

static RESPONSECODE put_byte(PDWORD length, PUCHAR value, UCHAR b) {
  if (*length < 1) return IFD_ERROR_INSUFFICIENT_BUFFER;
  value[0] = b;
  *length = 1;
  return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value) {
  ifd_reader *r = find_reader(Lun);
  if (r == NULL) return IFD_NO_SUCH_DEVICE;
  switch (Tag) {
  case TAG_IFD_ATR:
  case SCARD_ATTR_ATR_STRING:
    if (*Length < r->atr_len) return IFD_ERROR_INSUFFICIENT_BUFFER;
    memcpy(Value, r->atr, r->atr_len);
    *Length = (DWORD)r->atr_len;
    return IFD_SUCCESS;
  case TAG_IFD_SLOTS_NUMBER:
    return put_byte(Length, Value, 1);
  case TAG_IFD_SIMULTANEOUS_ACCESS:
    return put_byte(Length, Value, MAX_READERS);
  case TAG_IFD_THREAD_SAFE:
    /* readers share nothing writable: pcscd may drive several at once */
    return put_byte(Length, Value, 1);
  case TAG_IFD_SLOT_THREAD_SAFE:
    return put_byte(Length, Value, 0);
  default:
    return IFD_ERROR_TAG;
  }
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value) {
  (void)Tag;
  (void)Length;
  (void)Value;
  return find_reader(Lun) != NULL ? IFD_ERROR_TAG : IFD_NO_SUCH_DEVICE;
}

/* No wire to negotiate: every protocol the ATR offers is accepted as it is. */
RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1, UCHAR PTS2,
                                       UCHAR PTS3) {
  (void)Flags;
  (void)PTS1;
  (void)PTS2;
  (void)PTS3;
  if (find_reader(Lun) == NULL) return IFD_NO_SUCH_DEVICE;
  return Protocol == SCARD_PROTOCOL_T0 || Protocol == SCARD_PROTOCOL_T1 ? IFD_SUCCESS
                                                                        : IFD_PROTOCOL_NOT_SUPPORTED;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength) {
  ifd_reader *r = find_reader(Lun);
  if (r == NULL) return IFD_NO_SUCH_DEVICE;
  switch (Action) {
  case IFD_POWER_DOWN:
    cf_ifd_backend_power_off(r->card);
    r->atr_len = 0;
    *AtrLength = 0;
    return IFD_SUCCESS;
  case IFD_POWER_UP:
  case IFD_RESET:
    r->atr_len = cf_ifd_backend_power_on(r->card, r->atr, sizeof r->atr);
    if (r->atr_len == 0 || *AtrLength < r->atr_len) {
      *AtrLength = 0;
      return IFD_ERROR_POWER_ACTION;
    }
    memcpy(Atr, r->atr, r->atr_len);
    *AtrLength = (DWORD)r->atr_len;
    return IFD_SUCCESS;
  default:
    return IFD_NOT_SUPPORTED;
  }
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer, DWORD TxLength,
                               PUCHAR RxBuffer, PDWORD RxLength, PSCARD_IO_HEADER RecvPci) {
  ifd_reader *r = find_reader(Lun);
  if (r == NULL) {
    *RxLength = 0;
    return IFD_NO_SUCH_DEVICE;
  }
  if (r->atr_len == 0) {
    *RxLength = 0;
    return IFD_ICC_NOT_PRESENT; /* powered down */
  }
  size_t n = cf_ifd_backend_transmit(r->card, TxBuffer, TxLength, RxBuffer, *RxLength);
  if (n < 2) {
    *RxLength = 0;
    return IFD_COMMUNICATION_ERROR;
  }
  *RxLength = (DWORD)n;
  if (RecvPci != NULL) RecvPci->Protocol = SendPci.Protocol;
  return IFD_SUCCESS;
}

/* No escape commands: a card is reached only through its APDUs. The feature request (PC/SC part
 * 10), which clients such as OpenSC send on every connection, is answered with no features. */
RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer,
                         DWORD RxLength, LPDWORD pdwBytesReturned) {
  (void)TxBuffer;
  (void)TxLength;
  (void)RxBuffer;
  (void)RxLength;
  *pdwBytesReturned = 0;
  if (find_reader(Lun) == NULL) return IFD_NO_SUCH_DEVICE;
  return dwControlCode == CM_IOCTL_GET_FEATURE_REQUEST ? IFD_SUCCESS : IFD_ERROR_NOT_SUPPORTED;
}

RESPONSECODE IFDHICCPresence(DWORD Lun) {
  return find_reader(Lun) != NULL ? IFD_ICC_PRESENT : IFD_NO_SUCH_DEVICE;
}
