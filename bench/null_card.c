/* A card that does no work: a vpcd client answering every command APDU with one canned response,
 * at once. Its round trip through pcscd is the floor any emulated card is measured against
 * (bench_plain --null-reader). It uses the same socket settings as `cardforge sim` (TCP_NODELAY,
 * TCP_QUICKACK re-armed after every read, one write per reply), so the difference between the two
 * is the emulator's own work and nothing else.
 *
 * vpcd protocol: 2-byte big-endian length, then the payload; a 1-byte
 * payload is a control byte (0 power off, 1 power on, 2 reset: no reply; 4: reply the ATR). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cardforge/hex.h"

static const char usage[] =
    "usage: bench_null_card [--port P] [--host ADDR] [--resp HEX] [--atr HEX] [--wait S]\n"
    "A vpcd card that answers every APDU with RESP (default 9000) at once.\n"
    "  --port P     vpcd port (default 35964: Debian's second reader)\n"
    "  --host ADDR  vpcd IPv4 address (default 127.0.0.1)\n"
    "  --resp HEX   the response to every command APDU (data || SW)\n"
    "  --atr HEX    the ATR (default 3B80800101: T=1, no historical bytes)\n"
    "  --wait S     keep trying to connect for S seconds (default 10)\n"
    "Runs until vpcd closes the connection or SIGTERM.\n";

static int read_full(int fd, uint8_t *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, buf + got, len - got);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    got += (size_t)n;
  }
  return 0;
}

/* Length and payload in one write: vpcd would otherwise wait for the second segment. */
static int send_reply(int fd, const uint8_t *data, size_t len) {
  uint8_t buf[2 + 512];
  if (len > sizeof buf - 2) return -1;
  buf[0] = (uint8_t)(len >> 8);
  buf[1] = (uint8_t)len;
  memcpy(buf + 2, data, len);
  size_t off = 0;
  while (off < len + 2) {
    ssize_t n = write(fd, buf + off, len + 2 - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    off += (size_t)n;
  }
  return 0;
}

static int connect_vpcd(const char *host, int port, double wait_s) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
    fprintf(stderr, "bench_null_card: bad address %s\n", host);
    return -1;
  }
  struct timespec start, now, pause = {0, 100 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
    close(fd);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 > wait_s) {
      fprintf(stderr, "bench_null_card: cannot connect to vpcd at %s:%d: %s\n", host, port, strerror(errno));
      return -1;
    }
    nanosleep(&pause, NULL);
  }
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1", *resp_hex = "9000", *atr_hex = "3B80800101";
  int port = 35964;
  double wait_s = 10;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (v == NULL) {
      fprintf(stderr, "bench_null_card: %s needs a value (see --help)\n", a);
      return 2;
    }
    i++;
    if (strcmp(a, "--port") == 0)
      port = atoi(v);
    else if (strcmp(a, "--host") == 0)
      host = v;
    else if (strcmp(a, "--resp") == 0)
      resp_hex = v;
    else if (strcmp(a, "--atr") == 0)
      atr_hex = v;
    else if (strcmp(a, "--wait") == 0)
      wait_s = atof(v);
    else {
      fprintf(stderr, "bench_null_card: unknown option %s (see --help)\n", a);
      return 2;
    }
  }
  uint8_t resp[258], atr[33];
  long resp_len = cf_hex_decode(resp_hex, resp, sizeof resp),
       atr_len = cf_hex_decode(atr_hex, atr, sizeof atr);
  if (resp_len < 2 || atr_len < 2 || port < 1 || port > 65535) {
    fprintf(stderr, "bench_null_card: bad --resp, --atr or --port\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int fd = connect_vpcd(host, port, wait_s);
  if (fd < 0) return 4;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  uint8_t buf[65536 + 2];
  for (;;) {
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    if (read_full(fd, buf, 2) != 0) break;
    size_t len = (size_t)buf[0] << 8 | buf[1];
    if (read_full(fd, buf, len) != 0) break;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    int rc = 0;
    if (len == 1) {
      if (buf[0] == 4) rc = send_reply(fd, atr, (size_t)atr_len);
    } else if (len > 0) {
      rc = send_reply(fd, resp, (size_t)resp_len);
    }
    if (rc != 0) break;
  }
  close(fd);
  return 0;
}
