/* The emulator against a fake vpcd (a TCP listener playing pcscd's driver): framing, control
 * codes, split and coalesced frames, latency with vpcd's two-write habit, reconnection, stop. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cardforge/apdu.h"
#include "sim.h"

typedef struct fake_vpcd {
  int listen_fd;
  int port;
  int conn;
  cf_sim *sim;
  pthread_t thread;
  int run_rc;
  atomic_bool done; /* cf_sim_run has returned */
  char *status;
  size_t status_len;
  FILE *status_f;
} fake_vpcd;

static void *sim_thread(void *arg) {
  fake_vpcd *v = arg;
  v->run_rc = cf_sim_run(v->sim);
  atomic_store(&v->done, true);
  return NULL;
}

/* Listens on an ephemeral port; the card is put in reader 1, so base port = port - 1. */
static int setup(void **state) {
  fake_vpcd *v = calloc(1, sizeof *v);
  assert_non_null(v);
  v->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(v->listen_fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(v->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(v->listen_fd, 4), 0);
  socklen_t alen = sizeof a;
  assert_int_equal(getsockname(v->listen_fd, (struct sockaddr *)&a, &alen), 0);
  v->port = ntohs(a.sin_port);
  cf_sim_options o;
  char err[256];
  cf_sim_options_init(&o);
  o.memory = true;
  o.base_port = v->port - 1;
  assert_int_equal(cf_sim_add_card(&o, 1, "loopback", "", err, sizeof err), 0);
  v->status_f = open_memstream(&v->status, &v->status_len);
  int code = 0;
  v->sim = cf_sim_new(&o, v->status_f, err, sizeof err, &code);
  assert_non_null(v->sim);
  assert_int_equal(pthread_create(&v->thread, NULL, sim_thread, v), 0);
  v->conn = accept(v->listen_fd, NULL, NULL);
  assert_true(v->conn >= 0);
  *state = v;
  return 0;
}

/* True once cf_sim_run has returned, waiting up to ms for it (a lost stop request would
 * otherwise hang the test instead of failing it). */
static bool run_ends_within(fake_vpcd *v, int ms) {
  for (int waited = 0; waited < ms && !atomic_load(&v->done); waited++)
    usleep(1000);
  return atomic_load(&v->done);
}

static int teardown(void **state) {
  fake_vpcd *v = *state;
  cf_sim_stop(v->sim);
  assert_true(run_ends_within(v, 2000)); /* fails instead of hanging in join */
  pthread_join(v->thread, NULL);
  assert_int_equal(v->run_rc, 0);
  cf_sim_free(v->sim);
  if (v->conn >= 0) close(v->conn);
  close(v->listen_fd);
  fclose(v->status_f);
  free(v->status);
  free(v);
  return 0;
}

static void read_full(int fd, uint8_t *buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_true(poll(&p, 1, 5000) == 1);
    ssize_t n = read(fd, buf + off, len - off);
    assert_true(n > 0);
    off += (size_t)n;
  }
}

/* Reads one frame; returns its payload length. */
static size_t read_frame(int fd, uint8_t *payload, size_t cap) {
  uint8_t hdr[2];
  read_full(fd, hdr, 2);
  size_t len = cf_be16(hdr);
  assert_true(len <= cap);
  read_full(fd, payload, len);
  return len;
}

/* Writes length and payload separately, the way Debian 12's vpcd does. */
static void send_split(int fd, const uint8_t *payload, size_t len) {
  uint8_t hdr[2];
  cf_put_be16(hdr, (uint16_t)len);
  assert_int_equal(write(fd, hdr, 2), 2);
  assert_int_equal(write(fd, payload, len), (ssize_t)len);
}

static void control(int fd, uint8_t code) {
  send_split(fd, &code, 1);
}

static uint16_t exchange(int fd, const uint8_t *cmd, size_t len, uint8_t *data, size_t *dlen) {
  uint8_t resp[4096];
  send_split(fd, cmd, len);
  size_t n = read_frame(fd, resp, sizeof resp);
  assert_true(n >= 2);
  if (data != NULL) memcpy(data, resp, n - 2);
  if (dlen != NULL) *dlen = n - 2;
  return cf_be16(resp + n - 2);
}

static void atr_and_apdu(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  control(v->conn, 4);
  uint8_t atr[64];
  size_t n = read_frame(v->conn, atr, sizeof atr);
  assert_int_equal(n, 16);
  assert_int_equal(atr[0], 0x3B);
  const uint8_t echo[] = {0x80, 0x01, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03};
  uint8_t data[16];
  size_t dlen = 0;
  assert_int_equal(exchange(v->conn, echo, sizeof echo, data, &dlen), 0x9000);
  assert_int_equal(dlen, 3);
  assert_memory_equal(data, echo + 5, 3);
  fflush(v->status_f);
  char want[96];
  snprintf(want, sizeof want, "reader 1: loopback card connected to vpcd 127.0.0.1:%d", v->port);
  assert_non_null(strstr(v->status, want));
}

static void coalesced_and_byte_by_byte_frames(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  /* ATR request and an APDU in one segment: two answers in order */
  const uint8_t both[] = {0x00, 0x01, 0x04, 0x00, 0x05, 0x80, 0x02, 0x00, 0x02, 0x02};
  assert_int_equal(write(v->conn, both, sizeof both), (ssize_t)sizeof both);
  uint8_t buf[64];
  assert_int_equal(read_frame(v->conn, buf, sizeof buf), 16);
  assert_int_equal(read_frame(v->conn, buf, sizeof buf), 4);
  assert_int_equal(buf[1], 0x01);
  assert_int_equal(cf_be16(buf + 2), 0x9000);
  /* one byte at a time */
  const uint8_t frame[] = {0x00, 0x05, 0x80, 0x02, 0x00, 0x01, 0x01};
  for (size_t i = 0; i < sizeof frame; i++) {
    assert_int_equal(write(v->conn, frame + i, 1), 1);
    usleep(2000);
  }
  assert_int_equal(read_frame(v->conn, buf, sizeof buf), 3);
  assert_int_equal(cf_be16(buf + 1), 0x9000);
}

static void reset_clears_transient_state_power_keeps_counter(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  const uint8_t transient[] = {0x80, 0x05, 0x00, 0x00, 0x00};
  const uint8_t counter[] = {0x80, 0x04, 0x00, 0x00, 0x00};
  uint8_t data[8];
  size_t dlen;
  exchange(v->conn, transient, sizeof transient, data, &dlen);
  assert_int_equal(exchange(v->conn, transient, sizeof transient, data, &dlen), 0x9000);
  assert_int_equal(data[3], 2);
  assert_int_equal(exchange(v->conn, counter, sizeof counter, data, &dlen), 0x9000);
  assert_int_equal(data[3], 1);
  control(v->conn, 2);
  assert_int_equal(exchange(v->conn, transient, sizeof transient, data, &dlen), 0x9000);
  assert_int_equal(data[3], 1);
  control(v->conn, 0);
  control(v->conn, 1);
  assert_int_equal(exchange(v->conn, counter, sizeof counter, data, &dlen), 0x9000);
  assert_int_equal(data[3], 2);
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* vpcd writes the length and the payload separately: the card must reassemble them. (Whether that
 * costs a delayed ACK, ~40 ms without TCP_QUICKACK re-armed, is measured by bench/pcsc_rtt, not
 * asserted here: the figure is printed for the log only.) */
static void split_writes_do_not_hit_delayed_ack(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  const uint8_t cmd[] = {0x80, 0x02, 0x00, 0x08, 0x08};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < 100; i++)
    assert_int_equal(exchange(v->conn, cmd, sizeof cmd, NULL, NULL), 0x9000);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double per_apdu = elapsed_ms(&t0, &t1) / 100;
  printf("# %.3f ms per APDU with split writes\n", per_apdu);
}

static void reconnects_after_vpcd_drops(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  const uint8_t counter[] = {0x80, 0x04, 0x00, 0x00, 0x00};
  uint8_t data[8];
  size_t dlen;
  assert_int_equal(exchange(v->conn, counter, sizeof counter, data, &dlen), 0x9000);
  close(v->conn);
  struct pollfd p = {.fd = v->listen_fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 5000), 1);
  v->conn = accept(v->listen_fd, NULL, NULL);
  assert_true(v->conn >= 0);
  control(v->conn, 1);
  assert_int_equal(exchange(v->conn, counter, sizeof counter, data, &dlen), 0x9000);
  assert_int_equal(data[3], 2);
  fflush(v->status_f);
  assert_non_null(strstr(v->status, "card lost vpcd"));
}

/* The emulator reads the rest of a begun frame with a bounded blocking read: a payload that comes
 * later than that bound (a slow vpcd) is still put together with its length and answered, and a
 * command split across the bound in the middle of its length field too. */
static void frame_finished_after_a_pause(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  const uint8_t cmd[] = {0x80, 0x01, 0x00, 0x00, 0x02, 0x0A, 0x0B};
  uint8_t hdr[2], data[8];
  size_t dlen = 0;
  cf_put_be16(hdr, sizeof cmd);
  assert_int_equal(write(v->conn, hdr, 2), 2);
  usleep(300 * 1000);
  assert_int_equal(write(v->conn, cmd, 3), 3);
  usleep(300 * 1000);
  assert_int_equal(write(v->conn, cmd + 3, sizeof cmd - 3), (ssize_t)(sizeof cmd - 3));
  uint8_t resp[16];
  size_t n = read_frame(v->conn, resp, sizeof resp);
  assert_int_equal(n, 4);
  assert_memory_equal(resp, cmd + 5, 2);
  assert_int_equal(cf_be16(resp + 2), 0x9000);
  assert_int_equal(write(v->conn, hdr, 1), 1);
  usleep(300 * 1000);
  assert_int_equal(write(v->conn, hdr + 1, 1), 1);
  assert_int_equal(write(v->conn, cmd, sizeof cmd), (ssize_t)sizeof cmd);
  assert_int_equal(read_frame(v->conn, resp, sizeof resp), 4);
  /* and the connection goes on as usual */
  assert_int_equal(exchange(v->conn, cmd, sizeof cmd, data, &dlen), 0x9000);
  assert_int_equal(dlen, 2);
}

/* A lone card waits for its next command in a blocking read: cf_sim_stop from another thread
 * must still end the loop at once, and the card must not report a lost connection for it. */
static void stop_is_prompt_while_idle(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  const uint8_t cmd[] = {0x80, 0x02, 0x00, 0x08, 0x08};
  for (int i = 0; i < 200; i++)
    assert_int_equal(exchange(v->conn, cmd, sizeof cmd, NULL, NULL), 0x9000);
  usleep(20 * 1000); /* the card is now blocked waiting for the next command */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cf_sim_stop(v->sim);
  assert_true(run_ends_within(v, 1000));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_int_equal(pthread_join(v->thread, NULL), 0);
  assert_int_equal(v->run_rc, 0);
  double ms = elapsed_ms(&t0, &t1);
  printf("# stopped %.2f ms after the request\n", ms);
  assert_true(ms < 50);
  fflush(v->status_f);
  assert_null(strstr(v->status, "card lost vpcd"));
  /* a stopped emulator stays stopped: a new run returns at once (teardown joins it) */
  atomic_store(&v->done, false);
  assert_int_equal(pthread_create(&v->thread, NULL, sim_thread, v), 0);
  assert_true(run_ends_within(v, 1000));
}

/* A stop requested at any moment of a command (before the card reads it, while it answers,
 * after) is never lost, though the card then waits in a blocking read: many tries at moments
 * spread over the exchange. */
static void stop_at_any_moment_is_not_lost(void **state) {
  fake_vpcd *v = *state;
  const uint8_t cmd[] = {0x80, 0x02, 0x00, 0x08, 0x08};
  for (int round = 0; round < 60; round++) {
    if (round > 0) {
      /* a fresh emulator for every try */
      assert_int_equal(teardown((void **)&v), 0);
      assert_int_equal(setup((void **)&v), 0);
      *state = v;
    }
    control(v->conn, 1);
    assert_int_equal(exchange(v->conn, cmd, sizeof cmd, NULL, NULL), 0x9000);
    uint8_t hdr[2];
    cf_put_be16(hdr, sizeof cmd);
    assert_int_equal(write(v->conn, hdr, 2), 2);
    assert_int_equal(write(v->conn, cmd, sizeof cmd), (ssize_t)sizeof cmd);
    if (round % 6) usleep((useconds_t)(round % 6) * 20);
    cf_sim_stop(v->sim);
    assert_true(run_ends_within(v, 1000));
    assert_int_equal(v->run_rc, 0);
  }
}

/* The card is "connected" once vpcd has talked to it, not when TCP connects: a connection sits
 * in vpcd's listen backlog, unserved, while its reader holds another card. */
static void connected_only_after_vpcd_speaks(void **state) {
  fake_vpcd *v = *state;
  usleep(300 * 1000);
  fflush(v->status_f);
  assert_true(v->status == NULL || strstr(v->status, "connected") == NULL);
  control(v->conn, 4);
  uint8_t atr[64];
  assert_true(read_frame(v->conn, atr, sizeof atr) > 0);
  fflush(v->status_f);
  assert_non_null(strstr(v->status, "card connected to vpcd"));
}

/* The largest command vpcd's 16-bit frame carries (extended Lc 65528 + 7 header bytes = 65535) is
 * answered with a status word, and the card is not reset by it: the transient counter of the
 * loopback applet keeps counting. */
static void largest_frame_is_answered_without_reset(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  const uint8_t transient[] = {0x80, 0x05, 0x00, 0x00, 0x00};
  uint8_t data[8];
  size_t dlen = 0;
  assert_int_equal(exchange(v->conn, transient, sizeof transient, data, &dlen), 0x9000);
  assert_int_equal(data[3], 1);
  size_t lc = 0xFFFF - 7;
  uint8_t *big = malloc(7 + lc);
  assert_non_null(big);
  const uint8_t head[7] = {0x80, 0x01, 0x00, 0x00, 0x00, (uint8_t)(lc >> 8), (uint8_t)lc};
  memcpy(big, head, 7);
  memset(big + 7, 0x5A, lc);
  uint16_t sw = exchange(v->conn, big, 7 + lc, NULL, NULL);
  free(big);
  assert_true(sw >= 0x6000); /* answered: a status word, whatever the card thinks of the size */
  assert_int_equal(exchange(v->conn, transient, sizeof transient, data, &dlen), 0x9000);
  assert_int_equal(data[3], 3);
  fflush(v->status_f);
  assert_null(strstr(v->status, "card lost vpcd"));
}

static void malformed_apdu_gets_status_word(void **state) {
  fake_vpcd *v = *state;
  control(v->conn, 1);
  const uint8_t bad[] = {0x80, 0x01, 0x00, 0x00, 0x05, 0x01};
  assert_int_equal(exchange(v->conn, bad, sizeof bad, NULL, NULL), 0x6700);
  const uint8_t tiny[] = {0x80, 0x01};
  assert_int_equal(exchange(v->conn, tiny, sizeof tiny, NULL, NULL), 0x6700);
}

/* vpcd accepts one card per port: a second card's connection completes in the listen backlog and
 * is never spoken to. A card that never got into its reader stops the emulator with a reason. */
static void silent_vpcd_means_reader_taken(void **state) {
  (void)state;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(lfd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(lfd, 4), 0); /* never accepts: like vpcd with a card in the reader */
  socklen_t alen = sizeof a;
  assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
  cf_sim_options o;
  char err[256];
  cf_sim_options_init(&o);
  o.memory = true;
  o.base_port = ntohs(a.sin_port);
  assert_int_equal(cf_sim_add_card(&o, 0, "loopback", "", err, sizeof err), 0);
  char *status = NULL;
  size_t status_len = 0;
  FILE *sf = open_memstream(&status, &status_len);
  int code = 0;
  cf_sim *sim = cf_sim_new(&o, sf, err, sizeof err, &code);
  assert_non_null(sim);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(cf_sim_run(sim), -2);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ms = elapsed_ms(&t0, &t1);
  printf("# refused after %.0f ms\n", ms);
  assert_true(ms >= 2500 && ms < 6000);
  assert_non_null(strstr(cf_sim_error(sim), "already holds another card"));
  fflush(sf);
  assert_true(status == NULL || strstr(status, "connected") == NULL);
  cf_sim_free(sim);
  fclose(sf);
  free(status);
  close(lfd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(connected_only_after_vpcd_speaks, setup, teardown),
      cmocka_unit_test_setup_teardown(largest_frame_is_answered_without_reset, setup, teardown),
      cmocka_unit_test(silent_vpcd_means_reader_taken),
      cmocka_unit_test_setup_teardown(atr_and_apdu, setup, teardown),
      cmocka_unit_test_setup_teardown(coalesced_and_byte_by_byte_frames, setup, teardown),
      cmocka_unit_test_setup_teardown(reset_clears_transient_state_power_keeps_counter, setup, teardown),
      cmocka_unit_test_setup_teardown(split_writes_do_not_hit_delayed_ack, setup, teardown),
      cmocka_unit_test_setup_teardown(reconnects_after_vpcd_drops, setup, teardown),
      cmocka_unit_test_setup_teardown(malformed_apdu_gets_status_word, setup, teardown),
      cmocka_unit_test_setup_teardown(frame_finished_after_a_pause, setup, teardown),
      cmocka_unit_test_setup_teardown(stop_is_prompt_while_idle, setup, teardown),
      cmocka_unit_test_setup_teardown(stop_at_any_moment_is_not_lost, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
