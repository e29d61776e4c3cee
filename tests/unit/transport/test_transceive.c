/* cf_transceive against the loopback card in process: 61XX / 6CXX following in both response
 * styles, raw mode, extended lengths, buffer limits, and the loop bound against a broken card. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cardforge/loopback.h"
#include "cardforge/sw.h"
#include "cardforge/transport.h"

typedef struct fixture {
  cf_store *store;
  cf_card *card;
  cf_transport *t;
  char *trace_buf;
  size_t trace_len;
  FILE *trace;
} fixture;

static int setup_mode(void **state, const char *params) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  assert_int_equal(cf_store_open_memory(&f->store), CF_STORE_OK);
  f->card = loopback_profile.create(f->store, params);
  assert_non_null(f->card);
  cf_card_power_on(f->card);
  f->t = cf_transport_open_card(f->card);
  assert_non_null(f->t);
  f->trace = open_memstream(&f->trace_buf, &f->trace_len);
  assert_non_null(f->trace);
  f->t->trace = f->trace;
  *state = f;
  return 0;
}

static int setup_t1(void **state) {
  return setup_mode(state, "");
}
static int setup_t0(void **state) {
  return setup_mode(state, "mode=t0");
}

static int teardown(void **state) {
  fixture *f = *state;
  cf_transport_close(f->t);
  cf_card_free(f->card);
  cf_store_close(f->store);
  fclose(f->trace);
  free(f->trace_buf);
  free(f);
  return 0;
}

static const char *trace_text(fixture *f) {
  fflush(f->trace);
  return f->trace_buf;
}

static size_t count_lines(const char *text, const char *prefix) {
  size_t n = 0, plen = strlen(prefix);
  for (const char *p = text; p != NULL && *p != '\0';) {
    if (strncmp(p, prefix, plen) == 0) n++;
    p = strchr(p, '\n');
    if (p != NULL) p++;
  }
  return n;
}

/* INS 02 asks the card for count bytes: byte i is i mod 256. */
static void check_pattern(const uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; i++)
    assert_int_equal(data[i], (uint8_t)i);
}

static void generate(fixture *f, size_t count, size_t le, bool extended, unsigned flags, uint8_t *out,
                     size_t cap, size_t *rlen, uint16_t *sw) {
  cf_apdu a = {.cla = 0x80,
               .ins = LOOPBACK_INS_GENERATE,
               .p1 = (uint8_t)(count >> 8),
               .p2 = (uint8_t)count,
               .le = le,
               .has_le = true,
               .extended = extended};
  uint8_t raw[16];
  size_t len = cf_apdu_encode(&a, extended, raw, sizeof raw);
  assert_true(len > 0);
  assert_int_equal(cf_transceive_raw(f->t, raw, len, flags, out, cap, rlen, sw), 0);
}

static void t1_follows_61xx_for_long_data(void **state) {
  fixture *f = *state;
  uint8_t out[1024];
  size_t rlen = 0;
  uint16_t sw = 0;
  generate(f, 600, 256, false, 0, out, sizeof out, &rlen, &sw);
  assert_int_equal(sw, SW_OK);
  assert_int_equal(rlen, 600);
  check_pattern(out, rlen);
  /* 256 now, then GET RESPONSE for 256 (61 00) and 88 (61 58) */
  const char *tr = trace_text(f);
  assert_non_null(strstr(tr, "> 00 C0 00 00 00\n"));
  assert_non_null(strstr(tr, "> 00 C0 00 00 58\n"));
  assert_int_equal(count_lines(tr, ">"), 3);
}

static void t1_raw_stops_at_61xx(void **state) {
  fixture *f = *state;
  uint8_t out[1024];
  size_t rlen = 0;
  uint16_t sw = 0;
  generate(f, 300, 256, false, CF_TX_RAW, out, sizeof out, &rlen, &sw);
  assert_int_equal(sw, 0x612C);
  assert_int_equal(rlen, 256);
  check_pattern(out, rlen);
  assert_int_equal(count_lines(trace_text(f), ">"), 1);
}

static void t1_extended_le_in_one_exchange(void **state) {
  fixture *f = *state;
  uint8_t *out = malloc(65536);
  size_t rlen = 0;
  uint16_t sw = 0;
  generate(f, 4000, 65536, true, 0, out, 65536, &rlen, &sw);
  assert_int_equal(sw, SW_OK);
  assert_int_equal(rlen, 4000);
  check_pattern(out, rlen);
  assert_int_equal(count_lines(trace_text(f), ">"), 1);
  free(out);
}

static void t0_follows_6cxx_then_data(void **state) {
  fixture *f = *state;
  uint8_t out[256];
  size_t rlen = 0;
  uint16_t sw = 0;
  generate(f, 5, 16, false, 0, out, sizeof out, &rlen, &sw);
  assert_int_equal(sw, SW_OK);
  assert_int_equal(rlen, 5);
  check_pattern(out, rlen);
  const char *tr = trace_text(f);
  assert_non_null(strstr(tr, "< 6C05\n"));
  assert_non_null(strstr(tr, "> 80 02 00 05 05\n"));
}

static void t0_raw_returns_6cxx(void **state) {
  fixture *f = *state;
  uint8_t out[256];
  size_t rlen = 1;
  uint16_t sw = 0;
  generate(f, 5, 16, false, CF_TX_RAW, out, sizeof out, &rlen, &sw);
  assert_int_equal(sw, 0x6C05);
  assert_int_equal(rlen, 0);
}

static void t0_case4_answers_61xx_and_is_followed(void **state) {
  fixture *f = *state;
  const uint8_t echo[] = {0x80, LOOPBACK_INS_ECHO, 0x00, 0x00, 0x03, 0xAA, 0xBB, 0xCC};
  uint8_t out[16];
  size_t rlen = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_transceive_raw(f->t, echo, sizeof echo, 0, out, sizeof out, &rlen, &sw), 0);
  assert_int_equal(sw, SW_OK);
  assert_int_equal(rlen, 3);
  assert_memory_equal(out, echo + 5, 3);
  const char *tr = trace_text(f);
  assert_non_null(strstr(tr, "< 6103\n"));
  assert_non_null(strstr(tr, "> 00 C0 00 00 03\n"));
  assert_non_null(strstr(tr, "< AA BB CC 9000\n"));
}

static void status_word_passes_through(void **state) {
  fixture *f = *state;
  const uint8_t cmd[] = {0x00, LOOPBACK_INS_STATUS, 0x00, 0x00, 0x04, 0x63, 0xC2, 0x01, 0x02};
  uint8_t out[16];
  size_t rlen = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_transceive_raw(f->t, cmd, sizeof cmd, 0, out, sizeof out, &rlen, &sw), 0);
  assert_int_equal(sw, 0x63C2);
  assert_int_equal(rlen, 2);
  assert_int_equal(out[0], 0x01);
  assert_int_equal(out[1], 0x02);
}

static void encoded_apdu_path_matches_raw(void **state) {
  fixture *f = *state;
  uint8_t data[300];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(0xFF - i);
  cf_apdu a = {
      .cla = 0x80, .ins = LOOPBACK_INS_ECHO, .data = data, .lc = sizeof data, .le = 0, .has_le = true};
  uint8_t out[512];
  size_t rlen = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_transceive(f->t, &a, 0, out, sizeof out, &rlen, &sw), 0);
  assert_int_equal(sw, SW_OK);
  assert_int_equal(rlen, sizeof data);
  assert_memory_equal(out, data, sizeof data);
}

static void too_small_buffer_is_an_error(void **state) {
  fixture *f = *state;
  cf_apdu a = {.cla = 0x80, .ins = LOOPBACK_INS_GENERATE, .p1 = 0x01, .p2 = 0x00, .le = 256, .has_le = true};
  uint8_t out[100];
  size_t rlen = 7;
  uint16_t sw = 7;
  assert_int_equal(cf_transceive(f->t, &a, 0, out, sizeof out, &rlen, &sw), -1);
  assert_int_equal(rlen, 0);
  assert_int_equal(sw, 0);
  assert_non_null(strstr(f->t->err, "larger than the buffer"));
}

static void secret_command_is_redacted_in_trace(void **state) {
  fixture *f = *state;
  const uint8_t pin[] = {0x31, 0x32, 0x33, 0x34, 0x35, 0x36};
  cf_apdu a = {.cla = 0x80, .ins = LOOPBACK_INS_ECHO, .data = pin, .lc = sizeof pin};
  uint8_t out[16];
  size_t rlen = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_transceive(f->t, &a, CF_TX_SECRET_CMD | CF_TX_SECRET_RESP, out, sizeof out, &rlen, &sw),
                   0);
  assert_int_equal(sw, SW_OK);
  assert_memory_equal(out, pin, sizeof pin);
  const char *tr = trace_text(f);
  assert_string_equal(tr, "> 80 01 00 00 06 <6 bytes redacted>\n< <6 bytes redacted> 9000\n");
  assert_null(strstr(tr, "31 32"));
}

/* A broken card: always answers 61 01 with one byte, forever. */
static int endless_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                            size_t *rlen) {
  resp[0] = 0x5A;
  resp[1] = 0x61;
  resp[2] = 0x01;
  *rlen = 3;
  return 0;
}

static int failing_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                            size_t *rlen) {
  snprintf(t->err, sizeof t->err, "reader unplugged");
  return -1;
}

static int short_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                          size_t *rlen) {
  resp[0] = 0x90;
  *rlen = 1;
  return 0;
}

static void fake_close(cf_transport *t) {}

static void run_fake(int (*exchange)(cf_transport *, const uint8_t *, size_t, uint8_t *, size_t, size_t *),
                     const char *expect_err) {
  cf_transport_ops ops = {.exchange = exchange, .reset = NULL, .close = fake_close};
  cf_transport t = {.ops = &ops};
  const uint8_t cmd[] = {0x00, 0xB0, 0x00, 0x00, 0x00};
  uint8_t *out = malloc(100000);
  size_t rlen = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_transceive_raw(&t, cmd, sizeof cmd, 0, out, 100000, &rlen, &sw), -1);
  assert_non_null(strstr(t.err, expect_err));
  free(out);
}

static void get_response_loop_is_bounded(void **state) {
  run_fake(endless_exchange, "GET RESPONSE loop");
}
static void exchange_failure_keeps_its_message(void **state) {
  run_fake(failing_exchange, "reader unplugged");
}
static void response_without_sw_is_an_error(void **state) {
  run_fake(short_exchange, "without a status word");
}

/* An exchange that must never be reached. */
static int unreachable_exchange(cf_transport *t, const uint8_t *cmd, size_t len, uint8_t *resp, size_t cap,
                                size_t *rlen) {
  fail_msg("a command longer than the reader carries was sent");
  return -1;
}

/* vpcd's 16-bit frame: 65535 bytes pass, 65536 are refused before sending, naming the reader. */
static void command_past_reader_limit_is_refused_before_sending(void **state) {
  cf_transport_ops ops = {.exchange = unreachable_exchange, .reset = NULL, .close = fake_close};
  cf_transport t = {.ops = &ops, .name = "Virtual PCD 00 00", .max_command = 0xFFFF};
  size_t len = 0x10000;
  uint8_t *cmd = calloc(len, 1);
  assert_non_null(cmd);
  cmd[0] = 0x80; /* case 3 extended: 4 + 3 + 65529 data bytes */
  cmd[1] = 0x10;
  cmd[5] = (uint8_t)((len - 7) >> 8);
  cmd[6] = (uint8_t)(len - 7);
  size_t rlen = 1;
  uint16_t sw = 1;
  assert_int_equal(cf_transceive_raw(&t, cmd, len, 0, NULL, 0, &rlen, &sw), -1);
  assert_non_null(strstr(t.err, "Virtual PCD 00 00"));
  assert_non_null(strstr(t.err, "65536-byte command"));
  assert_int_equal(rlen, 0);
  assert_int_equal(sw, 0);
  free(cmd);
}

static void short_command_is_rejected(void **state) {
  fixture *f = *state;
  const uint8_t cmd[] = {0x00, 0xA4, 0x04};
  size_t rlen = 0;
  uint16_t sw = 0;
  assert_int_equal(cf_transceive_raw(f->t, cmd, sizeof cmd, 0, NULL, 0, &rlen, &sw), -1);
  assert_int_equal(count_lines(trace_text(f), ">"), 0);
}

static void reset_clears_transient_state(void **state) {
  fixture *f = *state;
  const uint8_t cmd[] = {0x80, LOOPBACK_INS_TRANSIENT, 0x00, 0x00, 0x00};
  uint8_t out[8];
  size_t rlen = 0;
  uint16_t sw = 0;
  for (int i = 0; i < 3; i++)
    assert_int_equal(cf_transceive_raw(f->t, cmd, sizeof cmd, 0, out, sizeof out, &rlen, &sw), 0);
  assert_int_equal(rlen, 4);
  assert_int_equal(out[3], 3);
  assert_int_equal(f->t->ops->reset(f->t), 0);
  assert_int_equal(cf_transceive_raw(f->t, cmd, sizeof cmd, 0, out, sizeof out, &rlen, &sw), 0);
  assert_int_equal(out[3], 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(t1_follows_61xx_for_long_data, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(t1_raw_stops_at_61xx, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(t1_extended_le_in_one_exchange, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(t0_follows_6cxx_then_data, setup_t0, teardown),
      cmocka_unit_test_setup_teardown(t0_raw_returns_6cxx, setup_t0, teardown),
      cmocka_unit_test_setup_teardown(t0_case4_answers_61xx_and_is_followed, setup_t0, teardown),
      cmocka_unit_test_setup_teardown(status_word_passes_through, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(encoded_apdu_path_matches_raw, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(too_small_buffer_is_an_error, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(secret_command_is_redacted_in_trace, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(short_command_is_rejected, setup_t1, teardown),
      cmocka_unit_test_setup_teardown(reset_clears_transient_state, setup_t1, teardown),
      cmocka_unit_test(get_response_loop_is_bounded),
      cmocka_unit_test(exchange_failure_keeps_its_message),
      cmocka_unit_test(response_without_sw_is_an_error),
      cmocka_unit_test(command_past_reader_limit_is_refused_before_sending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
