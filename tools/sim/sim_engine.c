/* The emulator's event loop: one poll() serving every card's vpcd connection.
 *
 * Latency matters: vpcd writes the length and the payload separately and without TCP_NODELAY, so
 * a card that reads plainly waits for the delayed-ACK timer (~40 ms) on every APDU. We set
 * TCP_NODELAY, re-arm TCP_QUICKACK after every read (the kernel clears it), and send each reply
 * as one write. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/card.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "sim.h"

#define VPCD_CTRL_OFF 0
#define VPCD_CTRL_ON 1
#define VPCD_CTRL_RESET 2
#define VPCD_CTRL_ATR 4

#define FRAME_MAX (2 + 0xFFFF)
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 1000

typedef enum { SLOT_IDLE, SLOT_CONNECTING, SLOT_CONNECTED } slot_state;

typedef struct sim_slot {
  cf_sim_card_spec spec;
  int port;
  char store_path[1200];
  cf_store *store;
  cf_card *card;
  int fd;
  slot_state state;
  long long next_try_ms;
  int backoff_ms;
  bool waiting_reported; /* "waiting for vpcd" said once per outage */
  size_t rx_len;
  uint8_t rx[FRAME_MAX];
  uint8_t tx[FRAME_MAX];
} sim_slot;

struct cf_sim {
  cf_sim_options opt;
  FILE *status;
  struct sockaddr_in addr;
  sim_slot *slots[CF_SIM_MAX_CARDS];
  size_t count;
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void status_line(cf_sim *s, const char *fmt, ...) {
  if (s->opt.quiet || s->status == NULL) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(s->status, fmt, ap);
  va_end(ap);
  fputc('\n', s->status);
  fflush(s->status);
}

static void remove_state_files(const char *path) {
  static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
  char name[1300];
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
    unlink(name);
  }
}

static int slot_open_card(cf_sim *s, sim_slot *slot, char *err, size_t errlen, int *exit_code) {
  const cf_card_profile *profile = cf_card_profile_find(slot->spec.type);
  if (profile == NULL) {
    snprintf(err, errlen, "unknown card type \"%s\" (see `cardforge sim --list-types`)", slot->spec.type);
    *exit_code = 2;
    return -1;
  }
  int rc;
  if (s->opt.memory) {
    rc = cf_store_open_memory(&slot->store);
    snprintf(slot->store_path, sizeof slot->store_path, "memory");
  } else {
    if (cf_sim_state_path(&s->opt, &slot->spec, slot->store_path, sizeof slot->store_path) != 0) {
      snprintf(err, errlen, "state directory path too long");
      *exit_code = 6;
      return -1;
    }
    if (s->opt.fresh) remove_state_files(slot->store_path);
    rc = cf_store_open_file(slot->store_path, &slot->store);
  }
  if (rc != CF_STORE_OK) {
    snprintf(err, errlen, "cannot open card state %s (store error %d)", slot->store_path, rc);
    slot->store = NULL;
    *exit_code = 6;
    return -1;
  }
  slot->card = profile->create(slot->store, slot->spec.params);
  if (slot->card == NULL) {
    snprintf(err, errlen, "reader %d: cannot create a %s card with parameters \"%s\"", slot->spec.reader,
             slot->spec.type, slot->spec.params);
    *exit_code = 2;
    return -1;
  }
  return 0;
}

cf_sim *cf_sim_new(const cf_sim_options *o, FILE *status, char *err, size_t errlen, int *exit_code) {
  cf_sim *s = calloc(1, sizeof *s);
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    *exit_code = 1;
    return NULL;
  }
  s->opt = *o;
  s->status = status;
  s->addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, o->host, &s->addr.sin_addr) != 1) {
    snprintf(err, errlen, "invalid vpcd address \"%s\" (expected an IPv4 address)", o->host);
    *exit_code = 2;
    free(s);
    return NULL;
  }
  for (size_t i = 0; i < o->card_count; i++) {
    sim_slot *slot = calloc(1, sizeof *slot);
    if (slot == NULL) {
      snprintf(err, errlen, "out of memory");
      *exit_code = 1;
      cf_sim_free(s);
      return NULL;
    }
    s->slots[s->count++] = slot;
    slot->spec = o->cards[i];
    slot->fd = -1;
    slot->port = o->base_port + o->cards[i].reader;
    slot->backoff_ms = BACKOFF_FIRST_MS;
    if (slot->port > 65535) {
      snprintf(err, errlen, "reader %d: port %d out of range", slot->spec.reader, slot->port);
      *exit_code = 2;
      cf_sim_free(s);
      return NULL;
    }
    if (slot_open_card(s, slot, err, errlen, exit_code) != 0) {
      cf_sim_free(s);
      return NULL;
    }
  }
  return s;
}

static void slot_disconnect(cf_sim *s, sim_slot *slot, long long now, bool report) {
  if (slot->fd >= 0) close(slot->fd);
  bool was_connected = slot->state == SLOT_CONNECTED;
  slot->fd = -1;
  slot->state = SLOT_IDLE;
  slot->rx_len = 0;
  /* The card loses power with its reader: transient state (selection, PIN, sessions) goes. */
  cf_card_power_off(slot->card);
  slot->next_try_ms = now + slot->backoff_ms;
  slot->backoff_ms = slot->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : slot->backoff_ms * 2;
  if (report && was_connected)
    status_line(s, "reader %d: %s card lost vpcd %s:%d, reconnecting", slot->spec.reader, slot->spec.type,
                s->opt.host, slot->port);
}

/* vpcd is not there (pcscd not running or restarting): say so once, then retry quietly. */
static void slot_connect_failed(cf_sim *s, sim_slot *slot, long long now) {
  if (!slot->waiting_reported) {
    status_line(s, "reader %d: %s card waiting for vpcd at %s:%d", slot->spec.reader, slot->spec.type,
                s->opt.host, slot->port);
    slot->waiting_reported = true;
  }
  slot->state = SLOT_CONNECTING;
  slot_disconnect(s, slot, now, false);
}

static void slot_connect(cf_sim *s, sim_slot *slot, long long now) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    slot->next_try_ms = now + BACKOFF_MAX_MS;
    return;
  }
  struct sockaddr_in addr = s->addr;
  addr.sin_port = htons((uint16_t)slot->port);
  slot->fd = fd;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EINPROGRESS) {
    slot->state = SLOT_CONNECTING;
    return;
  }
  slot_connect_failed(s, slot, now);
}

static void slot_connected(cf_sim *s, sim_slot *slot) {
  int one = 1;
  setsockopt(slot->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(slot->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  slot->state = SLOT_CONNECTED;
  slot->backoff_ms = BACKOFF_FIRST_MS;
  slot->waiting_reported = false;
  status_line(s, "reader %d: %s card connected to vpcd %s:%d (state %s)", slot->spec.reader, slot->spec.type,
              s->opt.host, slot->port, slot->store_path);
}

/* Sends length + payload as one segment; waits (briefly) only if the socket buffer is full. */
static int slot_send(sim_slot *slot, size_t payload_len) {
  cf_put_be16(slot->tx, (uint16_t)payload_len);
  size_t total = payload_len + 2, off = 0;
  while (off < total) {
    ssize_t n = send(slot->fd, slot->tx + off, total - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd pfd = {.fd = slot->fd, .events = POLLOUT};
      if (poll(&pfd, 1, 2000) > 0) continue;
    }
    return -1;
  }
  return 0;
}

static int slot_handle_frame(sim_slot *slot, const uint8_t *payload, size_t len) {
  if (len == 0) return 0;
  if (len == 1) {
    switch (payload[0]) {
    case VPCD_CTRL_OFF:
      cf_card_power_off(slot->card);
      return 0;
    case VPCD_CTRL_ON:
    case VPCD_CTRL_RESET:
      cf_card_power_on(slot->card);
      return 0;
    case VPCD_CTRL_ATR: {
      size_t atr_len = 0;
      const uint8_t *atr = cf_card_atr(slot->card, &atr_len);
      memcpy(slot->tx + 2, atr, atr_len);
      return slot_send(slot, atr_len);
    }
    default:
      return 0; /* unknown control codes carry no reply in the protocol */
    }
  }
  size_t n = cf_card_transmit(slot->card, payload, len, slot->tx + 2, sizeof slot->tx - 2);
  if (n < 2) {
    cf_put_be16(slot->tx + 2, SW_UNKNOWN);
    n = 2;
  }
  return slot_send(slot, n);
}

static int slot_read(sim_slot *slot) {
  ssize_t n = recv(slot->fd, slot->rx + slot->rx_len, sizeof slot->rx - slot->rx_len, 0);
  if (n == 0) return -1;
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  int one = 1;
  setsockopt(slot->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  slot->rx_len += (size_t)n;
  size_t off = 0;
  while (slot->rx_len - off >= 2) {
    size_t len = cf_be16(slot->rx + off);
    if (slot->rx_len - off < 2 + len) break;
    if (slot_handle_frame(slot, slot->rx + off + 2, len) != 0) return -1;
    off += 2 + len;
  }
  if (off > 0) {
    memmove(slot->rx, slot->rx + off, slot->rx_len - off);
    slot->rx_len -= off;
  }
  return 0;
}

static void slot_check_connect(cf_sim *s, sim_slot *slot, long long now) {
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (getsockopt(slot->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0) {
    slot_connected(s, slot);
    return;
  }
  slot_connect_failed(s, slot, now);
}

int cf_sim_run(cf_sim *s, int stop_fd) {
  struct pollfd pfds[CF_SIM_MAX_CARDS + 1];
  sim_slot *polled[CF_SIM_MAX_CARDS + 1];
  for (;;) {
    long long now = now_ms();
    int timeout = -1;
    nfds_t n = 0;
    pfds[n] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
    polled[n++] = NULL;
    for (size_t i = 0; i < s->count; i++) {
      sim_slot *slot = s->slots[i];
      if (slot->state == SLOT_IDLE && slot->next_try_ms <= now) slot_connect(s, slot, now);
      if (slot->state == SLOT_IDLE) {
        long long wait = slot->next_try_ms - now;
        if (timeout < 0 || wait < timeout) timeout = wait < 0 ? 0 : (int)wait;
        continue;
      }
      pfds[n] = (struct pollfd){.fd = slot->fd, .events = slot->state == SLOT_CONNECTING ? POLLOUT : POLLIN};
      polled[n++] = slot;
    }
    int ready = poll(pfds, n, timeout);
    if (ready < 0 && errno != EINTR) return -1;
    if (ready <= 0) continue;
    if (pfds[0].revents != 0) return 0;
    now = now_ms();
    for (nfds_t i = 1; i < n; i++) {
      sim_slot *slot = polled[i];
      if (pfds[i].revents == 0) continue;
      if (slot->state == SLOT_CONNECTING)
        slot_check_connect(s, slot, now);
      else if (slot_read(slot) != 0)
        slot_disconnect(s, slot, now, true);
    }
  }
}

void cf_sim_free(cf_sim *s) {
  if (s == NULL) return;
  for (size_t i = 0; i < s->count; i++) {
    sim_slot *slot = s->slots[i];
    if (slot->fd >= 0) close(slot->fd);
    if (slot->card != NULL) {
      cf_card_power_off(slot->card);
      cf_card_free(slot->card);
    }
    if (slot->store != NULL) cf_store_close(slot->store);
    free(slot);
  }
  free(s);
}
