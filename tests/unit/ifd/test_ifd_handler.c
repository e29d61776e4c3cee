/* The IFD handler modules (ifd/) called the way pcscd calls them: loaded with dlopen, one reader
 * per logical unit number (reader number << 16), cards from a `cardforge sim` card file in a
 * scratch directory. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <PCSC/ifdhandler.h>
#include <PCSC/reader.h>

typedef struct ifd_api {
  void *handle;
  RESPONSECODE (*create_by_name)(DWORD, LPSTR);
  RESPONSECODE (*create)(DWORD, DWORD);
  RESPONSECODE (*close)(DWORD);
  RESPONSECODE (*get_capabilities)(DWORD, DWORD, PDWORD, PUCHAR);
  RESPONSECODE (*set_capabilities)(DWORD, DWORD, DWORD, PUCHAR);
  RESPONSECODE (*set_protocol)(DWORD, DWORD, UCHAR, UCHAR, UCHAR, UCHAR);
  RESPONSECODE (*power)(DWORD, DWORD, PUCHAR, PDWORD);
  RESPONSECODE (*transmit)(DWORD, SCARD_IO_HEADER, PUCHAR, DWORD, PUCHAR, PDWORD, PSCARD_IO_HEADER);
  RESPONSECODE (*control)(DWORD, DWORD, PUCHAR, DWORD, PUCHAR, DWORD, LPDWORD);
  RESPONSECODE (*presence)(DWORD);
} ifd_api;

static void load(ifd_api *api, const char *path) {
  memset(api, 0, sizeof *api);
  api->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (api->handle == NULL) fail_msg("dlopen %s: %s", path, dlerror());
    /* a data pointer to a function pointer: the dlsym idiom POSIX requires to work */
#define BIND(field, name) *(void **)&api->field = dlsym(api->handle, name), assert_non_null(api->field)
  BIND(create_by_name, "IFDHCreateChannelByName");
  BIND(create, "IFDHCreateChannel");
  BIND(close, "IFDHCloseChannel");
  BIND(get_capabilities, "IFDHGetCapabilities");
  BIND(set_capabilities, "IFDHSetCapabilities");
  BIND(set_protocol, "IFDHSetProtocolParameters");
  BIND(power, "IFDHPowerICC");
  BIND(transmit, "IFDHTransmitToICC");
  BIND(control, "IFDHControl");
  BIND(presence, "IFDHICCPresence");
#undef BIND
  /* nothing but the API: the libraries inside stay private */
  assert_null(dlsym(api->handle, "cf_card_transmit"));
}

static char scratch[256];

static void write_file(const char *name, const char *text, mode_t mode) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", scratch, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(chmod(path, mode), 0);
}

static char *device(const char *name, int reader) {
  static char buf[600];
  snprintf(buf, sizeof buf, "%s/%s:%d", scratch, name, reader);
  return buf;
}

static int setup(void **state) {
  (void)state;
  snprintf(scratch, sizeof scratch, "%s/cf-ifd-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(scratch) == NULL) return -1;
  char text[1024];
  snprintf(text, sizeof text,
           "state-dir %s/cards\nreader 0 loopback\nreader 1 loopback mode=t0\nreader 2 loopback\ntiming 2 "
           "apdu=20ms\n"
           "reader 3 nosuchcard\nreader 4 loopback colour=blue\nreader 5 keycard\ntiming 5 ecdh=200ms\n",
           scratch);
  write_file("cards.conf", text, 0644);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
  return system(cmd) == 0 ? 0 : -1;
}

static SCARD_IO_HEADER t1 = {SCARD_PROTOCOL_T1, 0};

/* Sends hex-free bytes, returns the response length (0 and *rc on failure). */
static DWORD xmit(ifd_api *api, DWORD lun, const uint8_t *cmd, DWORD len, uint8_t *resp, DWORD cap,
                  RESPONSECODE *rc) {
  DWORD n = cap;
  *rc = api->transmit(lun, t1, (PUCHAR)cmd, len, resp, &n, NULL);
  return *rc == IFD_SUCCESS ? n : 0;
}

static void refused_device_names(void **state) {
  (void)state;
  ifd_api api;
  load(&api, CF_IFD_MODULE);
  assert_int_equal(api.create_by_name(0, "no-reader-number"), IFD_COMMUNICATION_ERROR);
  assert_int_equal(api.create_by_name(0, "/nonexistent/cards.conf:0"), IFD_COMMUNICATION_ERROR);
  assert_int_equal(api.create_by_name(0, device("cards.conf", 9)), IFD_COMMUNICATION_ERROR); /* no card */
  assert_int_equal(api.create_by_name(0, device("cards.conf", 3)), IFD_COMMUNICATION_ERROR); /* no type */
  assert_int_equal(api.create_by_name(0, device("cards.conf", 4)), IFD_COMMUNICATION_ERROR); /* a parameter */
  char bad[600];
  snprintf(bad, sizeof bad, "%s/cards.conf:x", scratch);
  assert_int_equal(api.create_by_name(0, bad), IFD_COMMUNICATION_ERROR);
  /* a slot other than 0, a reader number beyond pcscd's */
  assert_int_equal(api.create_by_name(1, device("cards.conf", 0)), IFD_COMMUNICATION_ERROR);
  assert_int_equal(api.create_by_name(99u << 16, device("cards.conf", 0)), IFD_COMMUNICATION_ERROR);
  /* nothing was opened */
  assert_int_equal(api.presence(0), IFD_NO_SUCH_DEVICE);
  dlclose(api.handle);
}

static void one_loopback_card(void **state) {
  (void)state;
  ifd_api api;
  load(&api, CF_IFD_MODULE);
  DWORD lun = 2u << 16;
  assert_int_equal(api.create_by_name(lun, device("cards.conf", 0)), IFD_SUCCESS);
  assert_int_equal(api.create_by_name(lun, device("cards.conf", 0)), IFD_COMMUNICATION_ERROR); /* twice */
  assert_int_equal(api.presence(lun), IFD_ICC_PRESENT);
  assert_int_equal(api.presence(3u << 16), IFD_NO_SUCH_DEVICE);
  UCHAR v[64];
  DWORD n = sizeof v;
  assert_int_equal(api.get_capabilities(lun, TAG_IFD_SLOTS_NUMBER, &n, v), IFD_SUCCESS);
  assert_int_equal(n, 1);
  assert_int_equal(v[0], 1);
  n = sizeof v;
  assert_int_equal(api.get_capabilities(lun, TAG_IFD_THREAD_SAFE, &n, v), IFD_SUCCESS);
  assert_int_equal(v[0], 1);
  n = sizeof v;
  assert_int_equal(api.get_capabilities(lun, 0x7777, &n, v), IFD_ERROR_TAG);
  assert_int_equal(api.set_capabilities(lun, TAG_IFD_SLOTS_NUMBER, 1, v), IFD_ERROR_TAG);
  assert_int_equal(api.set_protocol(lun, SCARD_PROTOCOL_T1, 0, 0, 0, 0), IFD_SUCCESS);
  assert_int_equal(api.set_protocol(lun, SCARD_PROTOCOL_RAW, 0, 0, 0, 0), IFD_PROTOCOL_NOT_SUPPORTED);

  /* not powered yet: no APDU */
  static const uint8_t echo[] = {0x80, 0x01, 0x00, 0x00, 0x03, 0xCA, 0xFE, 0x42};
  uint8_t resp[300];
  RESPONSECODE rc;
  assert_int_equal(xmit(&api, lun, echo, sizeof echo, resp, sizeof resp, &rc), 0);
  assert_int_equal(rc, IFD_ICC_NOT_PRESENT);
  UCHAR atr[MAX_ATR_SIZE];
  DWORD atr_len = sizeof atr;
  assert_int_equal(api.power(lun, IFD_POWER_UP, atr, &atr_len), IFD_SUCCESS);
  assert_true(atr_len >= 2);
  assert_int_equal(atr[0], 0x3B);
  n = sizeof v;
  assert_int_equal(api.get_capabilities(lun, TAG_IFD_ATR, &n, v), IFD_SUCCESS);
  assert_memory_equal(v, atr, atr_len);
  DWORD short_atr = 1;
  assert_int_equal(api.power(lun, IFD_RESET, atr, &short_atr), IFD_ERROR_POWER_ACTION);
  atr_len = sizeof atr;
  assert_int_equal(api.power(lun, IFD_RESET, atr, &atr_len), IFD_SUCCESS);

  assert_int_equal(xmit(&api, lun, echo, sizeof echo, resp, sizeof resp, &rc), 5);
  assert_memory_equal(resp, ((const uint8_t[]){0xCA, 0xFE, 0x42, 0x90, 0x00}), 5);
  /* a small buffer: the card keeps what does not fit for GET RESPONSE (61XX), as it does for any
   * transport; under two bytes nothing can be answered */
  assert_int_equal(xmit(&api, lun, echo, sizeof echo, resp, 3, &rc), 3);
  assert_memory_equal(resp, ((const uint8_t[]){0xCA, 0x61, 0x02}), 3);
  assert_int_equal(xmit(&api, lun, echo, sizeof echo, resp, 1, &rc), 0);
  assert_int_equal(rc, IFD_COMMUNICATION_ERROR);
  /* malformed commands get a status word */
  static const uint8_t two[] = {0x80, 0x01};
  assert_int_equal(xmit(&api, lun, two, sizeof two, resp, sizeof resp, &rc), 2);
  assert_int_not_equal(resp[0], 0x90);
  static const uint8_t unknown[] = {0x80, 0xFF, 0x00, 0x00};
  assert_int_equal(xmit(&api, lun, unknown, sizeof unknown, resp, sizeof resp, &rc), 2);
  assert_memory_equal(resp, ((const uint8_t[]){0x6D, 0x00}), 2);

  DWORD got = 99;
  assert_int_equal(api.control(lun, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, v, sizeof v, &got), IFD_SUCCESS);
  assert_int_equal(got, 0);
  got = 99;
  assert_int_equal(api.control(lun, SCARD_CTL_CODE(1), NULL, 0, v, sizeof v, &got), IFD_ERROR_NOT_SUPPORTED);
  assert_int_equal(got, 0);

  atr_len = sizeof atr;
  assert_int_equal(api.power(lun, IFD_POWER_DOWN, atr, &atr_len), IFD_SUCCESS);
  assert_int_equal(xmit(&api, lun, echo, sizeof echo, resp, sizeof resp, &rc), 0);
  assert_int_equal(rc, IFD_ICC_NOT_PRESENT);
  assert_int_equal(api.close(lun), IFD_SUCCESS);
  assert_int_equal(api.close(lun), IFD_NO_SUCH_DEVICE);
  assert_int_equal(api.presence(lun), IFD_NO_SUCH_DEVICE);
  dlclose(api.handle);
}

static uint32_t counter(ifd_api *api, DWORD lun) {
  static const uint8_t inc[] = {0x80, 0x04, 0x00, 0x00, 0x04};
  uint8_t resp[16];
  RESPONSECODE rc;
  assert_int_equal(xmit(api, lun, inc, sizeof inc, resp, sizeof resp, &rc), 6);
  return (uint32_t)resp[0] << 24 | (uint32_t)resp[1] << 16 | (uint32_t)resp[2] << 8 | resp[3];
}

/* The card lives in its state file: closed and opened again (pcscd restarted), it goes on; a second
 * reader of the same file is refused while the first holds it; the sim's file name. */
static void state_survives_close(void **state) {
  (void)state;
  ifd_api api;
  load(&api, CF_IFD_MODULE);
  UCHAR atr[MAX_ATR_SIZE];
  DWORD atr_len = sizeof atr;
  assert_int_equal(api.create_by_name(0, device("cards.conf", 1)), IFD_SUCCESS);
  assert_int_equal(api.power(0, IFD_POWER_UP, atr, &atr_len), IFD_SUCCESS);
  uint32_t first = counter(&api, 0);
  assert_int_equal(counter(&api, 0), first + 1);
  assert_int_equal(api.create_by_name(1u << 16, device("cards.conf", 1)), IFD_COMMUNICATION_ERROR);
  assert_int_equal(api.close(0), IFD_SUCCESS);
  char path[600];
  snprintf(path, sizeof path, "%s/cards/reader1-loopback.db", scratch);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(api.create_by_name(0, device("cards.conf", 1)), IFD_SUCCESS);
  atr_len = sizeof atr;
  assert_int_equal(api.power(0, IFD_POWER_UP, atr, &atr_len), IFD_SUCCESS);
  assert_int_equal(counter(&api, 0), first + 2);
  assert_int_equal(api.close(0), IFD_SUCCESS);
  dlclose(api.handle);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timing_model_applies(void **state) {
  (void)state;
  ifd_api api;
  load(&api, CF_IFD_MODULE);
  UCHAR atr[MAX_ATR_SIZE];
  DWORD atr_len = sizeof atr;
  assert_int_equal(api.create_by_name(0, device("cards.conf", 2)), IFD_SUCCESS);
  assert_int_equal(api.power(0, IFD_POWER_UP, atr, &atr_len), IFD_SUCCESS);
  static const uint8_t gen[] = {0x80, 0x02, 0x00, 0x04, 0x04};
  uint8_t resp[16];
  RESPONSECODE rc;
  long long t0 = now_ms();
  for (int i = 0; i < 5; i++)
    assert_int_equal(xmit(&api, 0, gen, sizeof gen, resp, sizeof resp, &rc), 6);
  assert_true(now_ms() - t0 >= 100);
  assert_int_equal(api.close(0), IFD_SUCCESS);
  dlclose(api.handle);
}

/* The expensive operations are counted inside the module too: a Keycard's INIT starts with an ECDH
 * against the key in its data (the generator point; the zero rest is then refused, 6A80), charged
 * 200 ms by the model, while its SELECT, which computes none, is not. */
static void operations_are_charged(void **state) {
  (void)state;
  ifd_api api;
  load(&api, CF_IFD_MODULE);
  if (api.create_by_name(0, device("cards.conf", 5)) != IFD_SUCCESS) {
    dlclose(api.handle); /* a build without the Keycard family */
    skip();
  }
  UCHAR atr[MAX_ATR_SIZE];
  DWORD atr_len = sizeof atr;
  assert_int_equal(api.power(0, IFD_POWER_UP, atr, &atr_len), IFD_SUCCESS);
  static const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00,
                                   0x00, 0x08, 0x04, 0x00, 0x01, 0x01, 0x01};
  static const uint8_t g[65] = {0x04, 0x79, 0xBE, 0x66, 0x7E, 0xF9, 0xDC, 0xBB, 0xAC, 0x55, 0xA0, 0x62, 0x95,
                                0xCE, 0x87, 0x0B, 0x07, 0x02, 0x9B, 0xFC, 0xDB, 0x2D, 0xCE, 0x28, 0xD9, 0x59,
                                0xF2, 0x81, 0x5B, 0x16, 0xF8, 0x17, 0x98, 0x48, 0x3A, 0xDA, 0x77, 0x26, 0xA3,
                                0xC4, 0x65, 0x5D, 0xA4, 0xFB, 0xFC, 0x0E, 0x11, 0x08, 0xA8, 0xFD, 0x17, 0xB4,
                                0x48, 0xA6, 0x85, 0x54, 0x19, 0x9C, 0x47, 0xD0, 0x8F, 0xFB, 0x10, 0xD4, 0xB8};
  uint8_t init[5 + 0x92] = {0x80, 0xFE, 0x00, 0x00, 0x92, 0x41};
  memcpy(init + 6, g, sizeof g);
  uint8_t resp[300];
  RESPONSECODE rc;
  long long t0 = now_ms();
  assert_true(xmit(&api, 0, select, sizeof select, resp, sizeof resp, &rc) > 2);
  long long t_select = now_ms() - t0;
  t0 = now_ms();
  assert_int_equal(xmit(&api, 0, init, sizeof init, resp, sizeof resp, &rc), 2);
  long long t_init = now_ms() - t0;
  assert_memory_equal(resp, ((const uint8_t[]){0x6A, 0x80}), 2);
  assert_true(t_init >= 200);
  assert_true(t_select < 150);
  assert_int_equal(api.close(0), IFD_SUCCESS);
  dlclose(api.handle);
}

/* Keys in a card file others may read: refused; the same file made private: served. */
static void secret_parameters_need_a_private_file(void **state) {
  (void)state;
  char text[600];
  snprintf(text, sizeof text,
           "state-dir %s/cards\nreader 0 kmc pin2=3837363534333231,k01=1F1E1D1C1B1A19181716151413121110,"
           "k02=2F2E2D2C2B2A29282726252423222120\n",
           scratch);
  write_file("kmc.conf", text, 0644);
  ifd_api api;
  load(&api, CF_IFD_MODULE);
  RESPONSECODE open_rc = api.create_by_name(0, device("kmc.conf", 0));
  char path[600];
  snprintf(path, sizeof path, "%s/kmc.conf", scratch);
  assert_int_equal(chmod(path, 0600), 0);
  RESPONSECODE private_rc = api.create_by_name(0, device("kmc.conf", 0));
  if (private_rc == IFD_COMMUNICATION_ERROR && open_rc == IFD_COMMUNICATION_ERROR) {
    /* a build without the China Mobile family has no kmc type: nothing to show here */
    dlclose(api.handle);
    skip();
  }
  assert_int_equal(open_rc, IFD_COMMUNICATION_ERROR);
  assert_int_equal(private_rc, IFD_SUCCESS);
  assert_int_equal(api.close(0), IFD_SUCCESS);
  dlclose(api.handle);
}

static void do_nothing_driver(void **state) {
  (void)state;
  ifd_api api;
  load(&api, CF_IFD_NULL_MODULE);
  assert_int_equal(api.create_by_name(0, "ignored"), IFD_SUCCESS);
  UCHAR atr[MAX_ATR_SIZE];
  DWORD atr_len = sizeof atr;
  assert_int_equal(api.power(0, IFD_POWER_UP, atr, &atr_len), IFD_SUCCESS);
  static const uint8_t challenge[] = {0x00, 0x84, 0x00, 0x00, 0x04};
  static const uint8_t select[] = {0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00};
  uint8_t resp[300];
  RESPONSECODE rc;
  assert_int_equal(xmit(&api, 0, challenge, sizeof challenge, resp, sizeof resp, &rc), 6);
  assert_memory_equal(resp, ((const uint8_t[]){0, 0, 0, 0, 0x90, 0x00}), 6);
  assert_int_equal(xmit(&api, 0, select, sizeof select, resp, sizeof resp, &rc), 2);
  assert_memory_equal(resp, ((const uint8_t[]){0x90, 0x00}), 2);
  assert_int_equal(api.close(0), IFD_SUCCESS);
  dlclose(api.handle);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(refused_device_names),   cmocka_unit_test(one_loopback_card),
      cmocka_unit_test(state_survives_close),   cmocka_unit_test(timing_model_applies),
      cmocka_unit_test(operations_are_charged), cmocka_unit_test(secret_parameters_need_a_private_file),
      cmocka_unit_test(do_nothing_driver),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
