/* The token: which module and token a configuration names (RFC 7512 URI, --pkcs11-module /
 * --pkcs11-token, or SoftHSM2 in the state directory), loading the module with dlopen, finding the
 * token's slot, the session and the user's login; creating a token (`cardforge hsm init`). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/clicommon.h"
#include "cardforge/crypto.h"
#include "cardforge/secret_input.h"
#include "keystore_internal.h"

/* Debian's softhsm2 package installs the module in both places (the second is multiarch). */
static const char *const softhsm_paths[] = {
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
};

const char *ks_rv_name(CK_RV rv) {
  switch (rv) {
  case CKR_OK:
    return "CKR_OK";
  case CKR_ARGUMENTS_BAD:
    return "CKR_ARGUMENTS_BAD";
  case CKR_ATTRIBUTE_SENSITIVE:
    return "CKR_ATTRIBUTE_SENSITIVE";
  case CKR_ATTRIBUTE_VALUE_INVALID:
    return "CKR_ATTRIBUTE_VALUE_INVALID";
  case CKR_DATA_LEN_RANGE:
    return "CKR_DATA_LEN_RANGE";
  case CKR_DEVICE_ERROR:
    return "CKR_DEVICE_ERROR";
  case CKR_FUNCTION_FAILED:
    return "CKR_FUNCTION_FAILED";
  case CKR_GENERAL_ERROR:
    return "CKR_GENERAL_ERROR";
  case CKR_KEY_FUNCTION_NOT_PERMITTED:
    return "CKR_KEY_FUNCTION_NOT_PERMITTED";
  case CKR_KEY_NOT_WRAPPABLE:
    return "CKR_KEY_NOT_WRAPPABLE";
  case CKR_KEY_SIZE_RANGE:
    return "CKR_KEY_SIZE_RANGE";
  case CKR_KEY_TYPE_INCONSISTENT:
    return "CKR_KEY_TYPE_INCONSISTENT";
  case CKR_KEY_UNEXTRACTABLE:
    return "CKR_KEY_UNEXTRACTABLE";
  case CKR_MECHANISM_INVALID:
    return "CKR_MECHANISM_INVALID";
  case CKR_MECHANISM_PARAM_INVALID:
    return "CKR_MECHANISM_PARAM_INVALID";
  case CKR_PIN_INCORRECT:
    return "CKR_PIN_INCORRECT";
  case CKR_PIN_LEN_RANGE:
    return "CKR_PIN_LEN_RANGE";
  case CKR_PIN_LOCKED:
    return "CKR_PIN_LOCKED";
  case CKR_SLOT_ID_INVALID:
    return "CKR_SLOT_ID_INVALID";
  case CKR_TEMPLATE_INCOMPLETE:
    return "CKR_TEMPLATE_INCOMPLETE";
  case CKR_TEMPLATE_INCONSISTENT:
    return "CKR_TEMPLATE_INCONSISTENT";
  case CKR_TOKEN_NOT_PRESENT:
    return "CKR_TOKEN_NOT_PRESENT";
  case CKR_USER_NOT_LOGGED_IN:
    return "CKR_USER_NOT_LOGGED_IN";
  case CKR_USER_PIN_NOT_INITIALIZED:
    return "CKR_USER_PIN_NOT_INITIALIZED";
  default:
    return "CKR_?";
  }
}

void ks_fail(char *err, size_t errlen, const char *what, CK_RV rv) {
  snprintf(err, errlen, "%s: %s (0x%lX)", what, ks_rv_name(rv), (unsigned long)rv);
}

const char *cf_ks_module_path(const cf_keystore *ks) {
  return ks->module;
}

const char *cf_ks_token_label(const cf_keystore *ks) {
  return ks->token;
}

int cf_ks_default_conf_path(const char *state_dir, char *out, size_t cap) {
  char dir[1024];
  if (state_dir == NULL) {
    if (cf_cli_default_state_dir(dir, sizeof dir) != 0) return -1;
    state_dir = dir;
  }
  int n = snprintf(out, cap, "%s/pkcs11/softhsm2.conf", state_dir);
  return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int default_module(char *out, size_t cap, char *err, size_t errlen) {
  const char *env = getenv(CF_KS_MODULE_ENV);
  if (env != NULL && *env != '\0') {
    snprintf(out, cap, "%s", env);
    return 0;
  }
  for (size_t i = 0; i < sizeof softhsm_paths / sizeof softhsm_paths[0]; i++) {
    if (access(softhsm_paths[i], R_OK) == 0) {
      snprintf(out, cap, "%s", softhsm_paths[i]);
      return 0;
    }
  }
  snprintf(err, errlen,
           "SoftHSM2 is not installed (no libsofthsm2.so; Debian: apt-get install softhsm2), "
           "and no --pkcs11-module was given");
  return -1;
}

/* A token label as PKCS#11 holds it: 32 characters padded with blanks, unset when all zero. */
static void label_from_padded(const unsigned char padded[32], char out[33]) {
  memcpy(out, padded, 32);
  out[32] = 0;
  for (int i = 31; i >= 0 && (out[i] == ' ' || out[i] == 0); i--)
    out[i] = 0;
}

static void label_to_padded(const char *label, unsigned char padded[32]) {
  memset(padded, ' ', 32);
  memcpy(padded, label, strnlen(label, 32));
}

static int resolve_uri(const char *text, ks_target *t, char *err, size_t errlen) {
  cf_ks_uri uri;
  if (cf_ks_uri_parse(text, &uri, err, errlen) != 0) return -1;
  snprintf(t->token, sizeof t->token, "%s", uri.token);
  snprintf(t->module, sizeof t->module, "%s", uri.module);
  if (uri.pin_value[0]) {
    snprintf(t->pin_uri, sizeof t->pin_uri, "%s", uri.pin_value);
  } else if (uri.pin_source[0]) {
    /* "file:/path" or a path: read as @FILE, under the rule for secret files */
    const char *p = strncmp(uri.pin_source, "file:", 5) == 0 ? uri.pin_source + 5 : uri.pin_source;
    snprintf(t->pin_uri, sizeof t->pin_uri, "@%s", p);
  }
  cf_wipe(&uri, sizeof uri);
  return 0;
}

int ks_resolve(const cf_ks_config *cfg, ks_target *t, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  if (cfg->uri != NULL && resolve_uri(cfg->uri, t, err, errlen) != 0) return -1;
  if (cfg->module != NULL) snprintf(t->module, sizeof t->module, "%s", cfg->module);
  if (cfg->token != NULL) {
    if (strlen(cfg->token) > 32) {
      snprintf(err, errlen, "--pkcs11-token: a token label has at most 32 characters");
      return -1;
    }
    snprintf(t->token, sizeof t->token, "%s", cfg->token);
  }
  if (t->module[0] == 0) {
    /* no module named: SoftHSM2 with its configuration in the state directory */
    t->default_token = true;
    if (default_module(t->module, sizeof t->module, err, errlen) != 0) return -1;
    if (cf_ks_default_conf_path(cfg->state_dir, t->conf, sizeof t->conf) != 0) {
      snprintf(err, errlen, "no state directory for the default token (set CARDFORGE_HOME)");
      return -1;
    }
  }
  if (t->token[0] == 0) snprintf(t->token, sizeof t->token, "%s", CF_KS_TOKEN_LABEL);
  return 0;
}

/* Keystores open in this process: a module keeps one state per process (initialisation, the
 * user's login), so the last one to close finalises it and no one logs out while another is open
 * (closing the last session ends the login). One module at a time. */
static int open_count;
static bool initialised_here;

int ks_module_load(cf_keystore *ks, const char *path, char *err, size_t errlen) {
  snprintf(ks->module, sizeof ks->module, "%s", path);
  ks->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (ks->lib == NULL) {
    snprintf(err, errlen, "%s: cannot load the PKCS#11 module: %s", path, dlerror());
    return -1;
  }
  CK_C_GetFunctionList get = NULL;
  /* dlsym returns an object pointer; the cast to a function pointer is POSIX's own idiom */
  *(void **)&get = dlsym(ks->lib, "C_GetFunctionList");
  if (get == NULL || get(&ks->p11) != CKR_OK || ks->p11 == NULL) {
    snprintf(err, errlen, "%s: not a PKCS#11 module (no C_GetFunctionList)", path);
    dlclose(ks->lib);
    ks->lib = NULL;
    return -1;
  }
  CK_C_INITIALIZE_ARGS args;
  memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = ks->p11->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    ks_fail(err, errlen, "C_Initialize", rv);
    dlclose(ks->lib);
    ks->lib = NULL;
    ks->p11 = NULL;
    return -1;
  }
  if (rv == CKR_OK) initialised_here = true;
  open_count++;
  ks->finalize = true;
  return 0;
}

void ks_module_unload(cf_keystore *ks) {
  if (ks->p11 != NULL && ks->finalize && --open_count == 0 && initialised_here) {
    ks->p11->C_Finalize(NULL);
    initialised_here = false;
  }
  if (ks->lib != NULL) dlclose(ks->lib);
  ks->p11 = NULL;
  ks->lib = NULL;
}

/* The default token's configuration and token directory (0700), created when missing. */
static int default_conf_ensure(const char *conf, bool create, char *err, size_t errlen) {
  char dir[1100];
  snprintf(dir, sizeof dir, "%s", conf);
  char *slash = strrchr(dir, '/');
  if (slash == NULL) return -1;
  *slash = 0;
  if (!create) {
    struct stat st;
    if (stat(conf, &st) != 0) return -2;
    return setenv("SOFTHSM2_CONF", conf, 1) == 0 ? 0 : -1;
  }
  char tokens[1200];
  snprintf(tokens, sizeof tokens, "%s/tokens", dir);
  if (cf_cli_mkdirs(tokens) != 0 || chmod(dir, 0700) != 0 || chmod(tokens, 0700) != 0) {
    snprintf(err, errlen, "%s: cannot create it (%s)", tokens, strerror(errno));
    return -1;
  }
  int fd = open(conf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
      close(fd);
      return -1;
    }
    fprintf(f,
            "# cardforge's default PKCS#11 token (SoftHSM2), made by `cardforge hsm init`.\n"
            "directories.tokendir = %s/\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n",
            tokens);
    if (fclose(f) != 0) {
      snprintf(err, errlen, "%s: cannot write it", conf);
      return -1;
    }
  } else if (errno != EEXIST) {
    snprintf(err, errlen, "%s: cannot create it (%s)", conf, strerror(errno));
    return -1;
  }
  return setenv("SOFTHSM2_CONF", conf, 1) == 0 ? 0 : -1;
}

/* The slot holding the token labelled label (want_uninit: the first slot whose token is not
 * initialised). Returns 1 with *slot, 0 when there is none, -1 on error. */
static int find_slot(cf_keystore *ks, const char *label, bool want_uninit, CK_SLOT_ID *slot, char *err,
                     size_t errlen) {
  CK_ULONG n = 0;
  CK_RV rv = ks->p11->C_GetSlotList(CK_TRUE, NULL, &n);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_GetSlotList", rv);
    return -1;
  }
  if (n == 0) return 0;
  CK_SLOT_ID *slots = calloc(n, sizeof *slots);
  if (slots == NULL) return -1;
  rv = ks->p11->C_GetSlotList(CK_TRUE, slots, &n);
  int found = 0;
  for (CK_ULONG i = 0; rv == CKR_OK && i < n && !found; i++) {
    CK_TOKEN_INFO ti;
    if (ks->p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK) continue;
    bool init = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
    char have[33];
    label_from_padded(ti.label, have);
    if ((want_uninit && !init) || (!want_uninit && init && strcmp(have, label) == 0)) {
      *slot = slots[i];
      found = 1;
    }
  }
  free(slots);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_GetSlotList", rv);
    return -1;
  }
  return found;
}

static int read_pin(const char *option_value, const char *prompt, const char *env, char *pin, size_t cap,
                    char *err, size_t errlen) {
  cf_secret_spec spec = {.option = "--pkcs11-pin", .value = option_value, .env = env, .prompt = prompt};
  cf_secret_source src;
  int r = cf_secret_get(&spec, pin, cap, &src, err, errlen);
  if (r == 0) snprintf(err, errlen, "no token PIN (give --pkcs11-pin @FILE, or set %s)", env);
  return r == 1 ? 0 : -1;
}

int cf_ks_open(const cf_ks_config *cfg, cf_keystore **out, char *err, size_t errlen) {
  *out = NULL;
  ks_target t;
  if (ks_resolve(cfg, &t, err, errlen) != 0) return -1;
  if (t.default_token) {
    int r = default_conf_ensure(t.conf, false, err, errlen);
    if (r == -2) {
      snprintf(err, errlen, "the default token has not been created (%s missing): run cardforge hsm init",
               t.conf);
      return -2;
    }
    if (r != 0) return -1;
  }
  cf_keystore *ks = calloc(1, sizeof *ks);
  if (ks == NULL) return -1;
  snprintf(ks->token, sizeof ks->token, "%s", t.token);
  if (ks_module_load(ks, t.module, err, errlen) != 0) {
    free(ks);
    return -1;
  }
  CK_SLOT_ID slot = 0;
  int found = find_slot(ks, t.token, false, &slot, err, errlen);
  if (found <= 0) {
    if (found == 0)
      snprintf(err, errlen, "%s: no token labelled \"%s\"%s", t.module, t.token,
               t.default_token ? " (run cardforge hsm init)" : "");
    cf_ks_close(ks);
    return found == 0 && t.default_token ? -2 : -1;
  }
  CK_RV rv = ks->p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &ks->session);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_OpenSession", rv);
    cf_ks_close(ks);
    return -1;
  }
  char pin[256];
  if (read_pin(t.pin_uri[0] ? t.pin_uri : cfg->pin, "token PIN", CF_KS_PIN_ENV, pin, sizeof pin, err,
               errlen) != 0) {
    cf_ks_close(ks);
    return -1;
  }
  rv = ks->p11->C_Login(ks->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
  cf_wipe(pin, sizeof pin);
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    ks_fail(err, errlen, "C_Login (token PIN)", rv);
    cf_ks_close(ks);
    return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED ? -3 : -1;
  }
  *out = ks;
  return 0;
}

void cf_ks_close(cf_keystore *ks) {
  if (ks == NULL) return;
  if (ks->p11 != NULL && ks->session != 0) ks->p11->C_CloseSession(ks->session);
  ks_module_unload(ks);
  free(ks);
}

int cf_ks_init_token(const cf_ks_config *cfg, const char *so_pin, const char *user_pin, char *err,
                     size_t errlen) {
  ks_target t;
  if (ks_resolve(cfg, &t, err, errlen) != 0) return -1;
  if (t.default_token && default_conf_ensure(t.conf, true, err, errlen) != 0) return -1;
  cf_keystore ks;
  memset(&ks, 0, sizeof ks);
  if (ks_module_load(&ks, t.module, err, errlen) != 0) return -1;
  CK_SLOT_ID slot = 0;
  int rc = -1;
  int exists = find_slot(&ks, t.token, false, &slot, err, errlen);
  if (exists != 0) {
    if (exists > 0) snprintf(err, errlen, "a token labelled \"%s\" exists already", t.token);
    goto out;
  }
  int free_slot = find_slot(&ks, t.token, true, &slot, err, errlen);
  if (free_slot <= 0) {
    if (free_slot == 0) snprintf(err, errlen, "%s: no slot with an uninitialised token", t.module);
    goto out;
  }
  unsigned char label[32];
  label_to_padded(t.token, label);
  CK_RV rv = ks.p11->C_InitToken(slot, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), label);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_InitToken", rv);
    goto out;
  }
  /* SoftHSM2 moves a new token to a slot of its own: find it again by label */
  if (find_slot(&ks, t.token, false, &slot, err, errlen) != 1) {
    if (!err[0]) snprintf(err, errlen, "the new token is not found again");
    goto out;
  }
  CK_SESSION_HANDLE s;
  rv = ks.p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
  if (rv != CKR_OK) {
    ks_fail(err, errlen, "C_OpenSession", rv);
    goto out;
  }
  rv = ks.p11->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin));
  if (rv == CKR_OK) rv = ks.p11->C_InitPIN(s, (CK_UTF8CHAR_PTR)user_pin, strlen(user_pin));
  if (rv != CKR_OK) ks_fail(err, errlen, "C_InitPIN", rv);
  ks.p11->C_Logout(s);
  ks.p11->C_CloseSession(s);
  if (rv == CKR_OK) rc = 0;
out:
  ks_module_unload(&ks);
  return rc;
}
