/* The emulator's event loop: one poll() serving every card's vpcd connection.
 *
 * Latency matters: vpcd writes the length and the payload separately and without TCP_NODELAY, so
 * a card that reads plainly waits for the delayed-ACK timer (~40 ms) on every APDU. We set
 * TCP_NODELAY, re-arm TCP_QUICKACK after every read (the kernel clears it), and send each reply
 * as one write.
 *
 * System calls per APDU matter too: the card's own work is 0.1-2 us of a ~60 us round trip
 * through pcscd. A lone card (the usual `cardforge sim`) reads its connection with plain
 * blocking recv calls, the pattern of a card with a socket of its own: no poll() per read and no
 * receive timeout (a timed sleep alone made the round trip ~5 % slower, as did poll()).
 * cf_sim_stop wakes it by shutting the connection's reading side. With several cards poll()
 * serves them all; once it has announced a connection, the rest of a frame under way is read
 * with a blocking recv bounded by SO_RCVTIMEO, so one stalled reader cannot hold the others. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/card.h"
#include "cardforge/params.h"
#include "cardforge/store.h"
#include "cardforge/sw.h"
#include "cardforge/registry.h"
#include "sim.h"
#include "sim_timing.h"

#define VPCD_CTRL_OFF 0
#define VPCD_CTRL_ON 1
#define VPCD_CTRL_RESET 2
#define VPCD_CTRL_ATR 4

#define FRAME_MAX (2 + 0xFFFF)
#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 1000
/* with several cards: the longest the rest of a begun frame is waited for before poll() again */
#define FRAME_WAIT_MS 100
/* How long a connection may stay silent before we conclude vpcd is not serving it. vpcd accepts
 * one card per port, when pcscd polls the reader (every ~400 ms), and then asks for the ATR at
 * once; a second card's connection completes in the kernel's listen backlog but is never
 * accepted, and a third one's connect() hangs. Measured on Debian 12 (pcscd 1.9.9, vpcd 0.8): the
 * first ATR request 0.2-0.4 s after connect; a second card heard nothing in 4 s. */
#define VPCD_SILENCE_MS 3000

/* cf_sim_stop runs in signal handlers: what it touches must be lock-free */
_Static_assert(ATOMIC_BOOL_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "cf_sim_stop needs lock-free atomics");

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
  bool heard;            /* vpcd has sent something on this connection: the card is in its reader */
  bool ever_heard;       /* ... on any connection so far */
  long long silent_deadline;
  /* the card's timing model; with several cards a modelled reply waits in tx until reply_at_ns
   * (no frame is read meanwhile) so that one slow card does not hold up the others */
  cf_timing timing;
  bool reply_pending;
  size_t reply_len;
  long long reply_at_ns;
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
  /* cf_sim_stop: the request, the pipe that wakes poll(), and the connection a lone card is
   * reading with a blocking recv (-1: none), which it shuts to wake that recv */
  atomic_bool stopping;
  int wake[2];
  atomic_int blocked_fd;
  char error[300]; /* why cf_sim_run returned -2 */
};

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

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

/* Opens the card's store and makes the card on it, refusing a state file that is not a sound card
 * of this type made with these parameters. Exit codes: 6 for the file, 2 for the parameters. */
int cf_sim_card_open(const cf_sim_options *opt, const cf_sim_card_spec *spec, cf_store **store_out,
                     cf_card **card_out, char *store_path, size_t path_cap, char *err, size_t errlen,
                     int *exit_code) {
  cf_store *store = NULL;
  *store_out = NULL;
  *card_out = NULL;
  const cf_card_profile *profile = cf_card_profile_find(spec->type);
  if (profile == NULL) {
    snprintf(err, errlen, "unknown card type \"%s\" (see `cardforge sim --list-types`)", spec->type);
    *exit_code = 2;
    return -1;
  }
  int rc;
  if (opt->memory) {
    rc = cf_store_open_memory(&store);
    snprintf(store_path, path_cap, "memory");
  } else {
    if (cf_sim_state_path(opt, spec, store_path, path_cap) != 0) {
      snprintf(err, errlen, "state directory path too long");
      *exit_code = 6;
      return -1;
    }
    /* --fresh erases under the store's lock: a card another emulator serves is left alone. */
    rc = cf_store_open_file_ex(store_path, opt->fresh ? CF_STORE_OPEN_FRESH : 0, &store);
  }
  if (rc != CF_STORE_OK) {
    if (rc == CF_STORE_BUSY)
      snprintf(err, errlen,
               "reader %d: card state %s is in use by another process (a running cardforge sim?)%s",
               spec->reader, store_path, opt->fresh ? "; nothing was erased" : "");
    else if (rc == CF_STORE_EIO || rc == CF_STORE_EINVAL)
      snprintf(err, errlen, "reader %d: cannot open card state %s (%s)", spec->reader, store_path,
               cf_store_error_text(rc));
    else
      snprintf(err, errlen,
               "reader %d: card state %s: %s; refusing it (add --fresh to erase it and make a new card)",
               spec->reader, store_path, cf_store_error_text(rc));
    *exit_code = 6;
    return -1;
  }
  bool new_card = false;
  int state = cf_sim_state_check(store, spec, store_path, &new_card, err, errlen);
  if (state == CF_SIM_STATE_OK && !new_card)
    state = cf_sim_state_required(store, profile, spec, store_path, err, errlen);
  if (state != CF_SIM_STATE_OK) {
    *exit_code = state == CF_SIM_STATE_CONTRADICTS ? 2 : state == CF_SIM_STATE_FAILED ? 1 : 6;
    cf_store_close(store);
    return -1;
  }
  bool had_identity = cf_store_peek(store, CF_STORE_KEY(0, 1), NULL) != NULL;
  *card_out = profile->create(store, spec->params);
  if (*card_out == NULL) {
    /* names only: the values may be keys */
    char names[200] = "";
    size_t n = 0;
    const char *cursor = spec->params;
    cf_param_item it;
    while (cf_params_next(&cursor, &it) && n < sizeof names)
      n += (size_t)snprintf(names + n, sizeof names - n, "%s%.*s", n ? ", " : "", (int)it.name_len, it.name);
    snprintf(err, errlen,
             "reader %d: cannot create a %s card with parameters \"%s\" (a value the card refuses)",
             spec->reader, spec->type, names);
    *exit_code = 2;
    cf_store_close(store);
    return -1;
  }
  if (!had_identity && cf_sim_state_record(store, spec, new_card) != 0) {
    snprintf(err, errlen, "reader %d: cannot record the card's identity in %s", spec->reader, store_path);
    *exit_code = 6;
    cf_card_free(*card_out);
    *card_out = NULL;
    cf_store_close(store);
    return -1;
  }
  *store_out = store;
  return 0;
}

static int slot_open_card(cf_sim *s, sim_slot *slot, char *err, size_t errlen, int *exit_code) {
  return cf_sim_card_open(&s->opt, &slot->spec, &slot->store, &slot->card, slot->store_path,
                          sizeof slot->store_path, err, errlen, exit_code);
}

/* The card's own timing model, else the one for every card, else none. */
static int slot_timing(cf_sim *s, sim_slot *slot, char *err, size_t errlen, int *exit_code) {
  const char *spec = NULL, *every = NULL;
  for (size_t i = 0; i < s->opt.timing_count; i++) {
    if (s->opt.timings[i].reader == slot->spec.reader) spec = s->opt.timings[i].spec;
    if (s->opt.timings[i].reader < 0) every = s->opt.timings[i].spec;
  }
  if (spec == NULL) spec = every;
  if (spec == NULL) return 0;
  if (cf_timing_parse(spec, &slot->timing, err, errlen) != 0) {
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
  atomic_init(&s->stopping, false);
  atomic_init(&s->blocked_fd, -1);
  if (pipe(s->wake) != 0) {
    snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
    *exit_code = 1;
    free(s);
    return NULL;
  }
  for (int i = 0; i < 2; i++) {
    fcntl(s->wake[i], F_SETFD, FD_CLOEXEC);
    fcntl(s->wake[i], F_SETFL, O_NONBLOCK);
  }
  s->addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, o->host, &s->addr.sin_addr) != 1) {
    snprintf(err, errlen, "invalid vpcd address \"%s\" (expected an IPv4 address)", o->host);
    *exit_code = 2;
    cf_sim_free(s);
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
    if (slot_open_card(s, slot, err, errlen, exit_code) != 0 ||
        slot_timing(s, slot, err, errlen, exit_code) != 0) {
      cf_sim_free(s);
      return NULL;
    }
  }
  for (size_t i = 0; i < o->timing_count; i++) {
    bool used = o->timings[i].reader < 0;
    for (size_t k = 0; k < o->card_count && !used; k++)
      used = o->cards[k].reader == o->timings[i].reader;
    if (!used) {
      snprintf(err, errlen, "a timing model for reader %d, which has no card", o->timings[i].reader);
      *exit_code = 2;
      cf_sim_free(s);
      return NULL;
    }
  }
  return s;
}

static void slot_disconnect(cf_sim *s, sim_slot *slot, long long now, bool report) {
  if (slot->fd >= 0) close(slot->fd);
  bool was_connected = slot->state == SLOT_CONNECTED && slot->heard;
  slot->fd = -1;
  slot->state = SLOT_IDLE;
  slot->rx_len = 0;
  slot->reply_pending = false;
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
  slot->heard = false;
  slot->silent_deadline = now + VPCD_SILENCE_MS;
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
  /* Blocking from now on for the reads that choose to wait (slot_serve); every other read and
   * write passes MSG_DONTWAIT. If this fails those reads simply do not wait: slower, still
   * correct. */
  int flags = fcntl(slot->fd, F_GETFL);
  if (flags >= 0) fcntl(slot->fd, F_SETFL, flags & ~O_NONBLOCK);
  if (s->count > 1) {
    struct timeval wait = {.tv_sec = 0, .tv_usec = FRAME_WAIT_MS * 1000};
    setsockopt(slot->fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  }
  slot->state = SLOT_CONNECTED;
  slot->silent_deadline = now_ms() + VPCD_SILENCE_MS;
}

/* vpcd spoke: it has accepted this card into its reader. Only now is the card "connected". */
static void slot_heard(cf_sim *s, sim_slot *slot) {
  slot->heard = slot->ever_heard = true;
  /* Inserted again: the card comes up powered, as after an ATR. pcscd powers it on only if it
   * noticed the removal; when vpcd dropped the connection and the card was back before pcscd's
   * next presence poll (after an oversize command, say), pcscd goes on sending APDUs to a card
   * it believes powered, which must then answer, not 6999. */
  cf_card_power_on(slot->card);
  slot->backoff_ms = BACKOFF_FIRST_MS;
  slot->waiting_reported = false;
  status_line(s, "reader %d: %s card connected to vpcd %s:%d (state %s)", slot->spec.reader, slot->spec.type,
              s->opt.host, slot->port, slot->store_path);
}

/* The connection was not served in time: the reader holds another card. A card that was never in
 * its reader refuses to start; one that was (pcscd restarted, someone took the reader meanwhile)
 * says so and keeps trying. Returns -1 when the emulator must stop. */
static int slot_silent(cf_sim *s, sim_slot *slot, long long now) {
  if (!slot->ever_heard) {
    snprintf(s->error, sizeof s->error,
             "reader %d: vpcd at %s:%d does not serve this card (%s after %d s): the reader already holds "
             "another card (another cardforge sim or virtual card?)",
             slot->spec.reader, s->opt.host, slot->port,
             slot->state == SLOT_CONNECTING ? "connection pending" : "accepted, no word",
             VPCD_SILENCE_MS / 1000);
    return -1;
  }
  status_line(s, "reader %d: %s card not served by vpcd %s:%d (another card in the reader?), retrying",
              slot->spec.reader, slot->spec.type, s->opt.host, slot->port);
  slot->state = SLOT_CONNECTING; /* no "lost" line: it was never connected this time */
  slot_disconnect(s, slot, now, false);
  return 0;
}

/* Sends length + payload as one segment; waits (briefly) only if the socket buffer is full. */
static int slot_send(sim_slot *slot, size_t payload_len) {
  cf_put_be16(slot->tx, (uint16_t)payload_len);
  size_t total = payload_len + 2, off = 0;
  while (off < total) {
    ssize_t n = send(slot->fd, slot->tx + off, total - off, MSG_NOSIGNAL | MSG_DONTWAIT);
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

static int slot_handle_frame(cf_sim *s, sim_slot *slot, const uint8_t *payload, size_t len) {
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
  cf_timing_mark mark = {0};
  if (cf_timing_enabled(&slot->timing)) cf_timing_begin(&mark, slot->store);
  size_t n = cf_card_transmit(slot->card, payload, len, slot->tx + 2, sizeof slot->tx - 2);
  if (n < 2) {
    cf_put_be16(slot->tx + 2, SW_UNKNOWN);
    n = 2;
  }
  if (cf_timing_enabled(&slot->timing)) {
    if (s->count == 1) {
      /* a lone card sleeps; a stop signal (SIGINT, SIGTERM) cuts the sleep short */
      long long until =
          mark.start_ns + (long long)cf_timing_cost_us(&slot->timing, &mark, slot->store) * 1000;
      struct timespec ts = {.tv_sec = until / 1000000000LL, .tv_nsec = until % 1000000000LL};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
             !atomic_load(&s->stopping)) {
      }
    } else {
      slot->reply_pending = true;
      slot->reply_len = n;
      slot->reply_at_ns =
          mark.start_ns + (long long)cf_timing_cost_us(&slot->timing, &mark, slot->store) * 1000;
      return 0;
    }
  }
  return slot_send(slot, n);
}

/* One read into rx (want > 0 bytes at most), then TCP_QUICKACK again. Returns the bytes read,
 * 0 when there was nothing (would block, timed out, interrupted by a signal), -1 when the
 * connection is gone. */
static ssize_t slot_recv(sim_slot *slot, size_t want, int flags) {
  ssize_t n = recv(slot->fd, slot->rx + slot->rx_len, want, flags);
  if (n == 0) return -1;
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  int one = 1;
  setsockopt(slot->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  slot->rx_len += (size_t)n;
  return n;
}

/* Answers every whole frame in rx and keeps the incomplete rest. Returns the frames answered,
 * or -1 when a reply could not be sent. */
static int slot_process(cf_sim *s, sim_slot *slot) {
  size_t off = 0;
  int frames = 0;
  while (!slot->reply_pending && slot->rx_len - off >= 2) {
    size_t len = cf_be16(slot->rx + off);
    if (slot->rx_len - off < 2 + len) break;
    if (slot_handle_frame(s, slot, slot->rx + off + 2, len) != 0) return -1;
    off += 2 + len;
    frames++;
  }
  if (off > 0) {
    memmove(slot->rx, slot->rx + off, slot->rx_len - off);
    slot->rx_len -= off;
  }
  return frames;
}

/* Bytes missing from the frame begun in rx (the length field first, then the payload); 0 when
 * no frame is begun. */
static size_t slot_missing(const sim_slot *slot) {
  if (slot->rx_len == 0) return 0;
  if (slot->rx_len < 2) return 2 - slot->rx_len;
  return 2 + (size_t)cf_be16(slot->rx) - slot->rx_len;
}

/* A blocking read of a lone card's connection. The connection is published in blocked_fd before
 * the stop request is looked at, and cf_sim_stop sets the request before it looks at blocked_fd:
 * so either the request is seen here, or cf_sim_stop shuts the reading side and this recv
 * returns at once, whether it has started yet or not. */
static ssize_t slot_recv_lone(cf_sim *s, sim_slot *slot, size_t want, int flags) {
  atomic_store(&s->blocked_fd, slot->fd);
  ssize_t n = atomic_load(&s->stopping) ? 0 : slot_recv(slot, want, flags);
  atomic_store(&s->blocked_fd, -1);
  return n;
}

/* Serves a connection poll() reported readable. A lone card then stays here, reading its
 * next commands with blocking reads, until it is disconnected, interrupted by a signal or
 * stopped. Returns 0, or -1 when the connection is gone. */
static int slot_serve(cf_sim *s, sim_slot *slot) {
  bool lone = s->count == 1;
  ssize_t n = slot_recv(slot, sizeof slot->rx - slot->rx_len, MSG_DONTWAIT);
  if (n < 0) return -1;
  if (n > 0 && !slot->heard) slot_heard(s, slot);
  /* not heard yet: back to poll(), which keeps the silence deadline */
  if (!slot->heard) return 0;
  for (bool waited = false;; waited = true) {
    if (slot_process(s, slot) < 0) return -1;
    if (slot->reply_pending) return 0; /* back to poll(), which waits for the reply's time */
    size_t missing = slot_missing(slot);
    /* Several cards share poll(): between frames, and after one bounded wait for the rest of a
     * frame (a trickling reader must not keep the others waiting), back to it. */
    if (!lone && (missing == 0 || waited)) return 0;
    size_t want = missing ? missing : sizeof slot->rx - slot->rx_len;
    int flags = missing ? MSG_WAITALL : 0;
    n = lone ? slot_recv_lone(s, slot, want, flags) : slot_recv(slot, want, flags);
    if (n <= 0) return (int)n; /* gone; or timed out, interrupted or stopped: back to poll() */
  }
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

/* Sends the modelled replies whose time has come, then answers what their connections already
 * hold. Returns how many were sent. */
static int slots_send_due(cf_sim *s) {
  int sent = 0;
  long long now = now_ns();
  for (size_t i = 0; i < s->count; i++) {
    sim_slot *slot = s->slots[i];
    if (!slot->reply_pending || slot->reply_at_ns > now) continue;
    slot->reply_pending = false;
    sent++;
    if (slot_send(slot, slot->reply_len) != 0 || slot_process(s, slot) < 0)
      slot_disconnect(s, slot, now_ms(), true);
  }
  return sent;
}

const char *cf_sim_error(const cf_sim *s) {
  return s->error;
}

void cf_sim_stop(cf_sim *s) {
  int saved = errno;
  atomic_store(&s->stopping, true);
  int fd = atomic_load(&s->blocked_fd);
  if (fd >= 0) shutdown(fd, SHUT_RD);
  if (write(s->wake[1], "", 1) < 0) {
    /* the pipe is full: a wake-up is already pending */
  }
  errno = saved;
}

int cf_sim_run(cf_sim *s) {
  struct pollfd pfds[CF_SIM_MAX_CARDS + 1];
  sim_slot *polled[CF_SIM_MAX_CARDS + 1];
  for (;;) {
    long long now = now_ms();
    int timeout = -1;
    nfds_t n = 0;
    if (atomic_load(&s->stopping)) return 0;
    pfds[n] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
    polled[n++] = NULL;
    for (size_t i = 0; i < s->count; i++) {
      sim_slot *slot = s->slots[i];
      if (slot->state == SLOT_IDLE && slot->next_try_ms <= now) slot_connect(s, slot, now);
      if (slot->state == SLOT_IDLE) {
        long long wait = slot->next_try_ms - now;
        if (timeout < 0 || wait < timeout) timeout = wait < 0 ? 0 : (int)wait;
        continue;
      }
      if (slot->reply_pending) {
        long long wait = (slot->reply_at_ns - now_ns() + 999999) / 1000000;
        if (timeout < 0 || wait < timeout) timeout = wait < 0 ? 0 : (int)wait;
      }
      pfds[n] = (struct pollfd){.fd = slot->fd,
                                .events = slot->state == SLOT_CONNECTING ? POLLOUT
                                          : slot->reply_pending          ? 0
                                                                         : POLLIN};
      polled[n++] = slot;
      if (!slot->heard) {
        long long wait = slot->silent_deadline - now;
        if (timeout < 0 || wait < timeout) timeout = wait < 0 ? 0 : (int)wait;
      }
    }
    int ready = poll(pfds, n, timeout);
    if (ready < 0 && errno != EINTR) return -1;
    if (slots_send_due(s) > 0) continue; /* their next frames may already be waiting: poll again */
    if (ready == 0) {
      now = now_ms();
      for (nfds_t i = 1; i < n; i++) {
        sim_slot *slot = polled[i];
        if (!slot->heard && slot->state != SLOT_IDLE && now >= slot->silent_deadline &&
            slot_silent(s, slot, now) != 0)
          return -2;
      }
    }
    if (ready <= 0) continue;
    if (pfds[0].revents != 0 || atomic_load(&s->stopping)) return 0;
    now = now_ms();
    for (nfds_t i = 1; i < n; i++) {
      sim_slot *slot = polled[i];
      if (pfds[i].revents == 0) continue;
      if (slot->state == SLOT_CONNECTING)
        slot_check_connect(s, slot, now);
      else if (slot_serve(s, slot) != 0 && !atomic_load(&s->stopping))
        slot_disconnect(s, slot, now_ms(), true); /* serving may have taken a while */
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
  close(s->wake[0]);
  close(s->wake[1]);
  free(s);
}
