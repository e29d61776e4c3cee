/* The card behind one IFD handler channel (ifd_channel.h): the configuration file read and
 * checked as `cardforge sim --config` checks it, then the card opened by the emulator's own
 * cf_sim_card_open, so a state file means the same thing to both. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardforge/clicommon.h"
#include "cardforge/crypto.h"
#include "cardforge/params.h"
#include "cardforge/registry.h"
#include "cardforge/secret_input.h"
#include "ifd_channel.h"
#include "sim.h"

/* "CONFIG:N": splits off N (the last colon, so a path may hold colons). */
static int parse_device_name(const char *name, char *path, size_t cap, int *reader) {
  const char *colon = strrchr(name, ':');
  if (colon == NULL || colon == name || (size_t)(colon - name) >= cap) return -1;
  char *end;
  errno = 0;
  long v = strtol(colon + 1, &end, 10);
  if (errno != 0 || end == colon + 1 || *end != '\0' || v < 0 || v > 99) return -1;
  memcpy(path, name, (size_t)(colon - name));
  path[colon - name] = '\0';
  *reader = (int)v;
  return 0;
}

static bool has_secret(const cf_sim_card_spec *c) {
  size_t count = 0;
  const cf_param_spec *specs = cf_card_type_params(c->type, &count);
  const char *cursor = c->params;
  cf_param_item it;
  while (specs != NULL && cf_params_next(&cursor, &it)) {
    const cf_param_spec *spec = cf_params_find(specs, count, it.name, it.name_len);
    if (spec != NULL && spec->secret) return true;
  }
  return false;
}

/* The file's card for reader, checked: a known type, declared parameters, a private file when they
 * hold keys, a state directory. */
static const cf_sim_card_spec *checked_card(const char *path, const cf_sim_options *o, int reader, char *err,
                                            size_t errlen) {
  const cf_sim_card_spec *c = NULL;
  for (size_t i = 0; i < o->card_count; i++)
    if (o->cards[i].reader == reader) c = &o->cards[i];
  if (c == NULL) {
    snprintf(err, errlen, "%s has no card for reader %d", path, reader);
    return NULL;
  }
  if (cf_card_profile_find(c->type) == NULL) {
    snprintf(err, errlen, "%s: unknown card type \"%s\" (see `cardforge sim --list-types`)", path, c->type);
    return NULL;
  }
  size_t count = 0;
  const cf_param_spec *specs = cf_card_type_params(c->type, &count);
  char why[400];
  if (specs != NULL && cf_params_check(c->type, specs, count, c->params, why, sizeof why) != 0) {
    snprintf(err, errlen, "%s: reader %d (%s): %s", path, reader, c->type, why);
    return NULL;
  }
  if (has_secret(c)) {
    struct stat st;
    int fd = cf_secret_file_open(path, true, &st, why, sizeof why);
    if (fd < 0) {
      snprintf(err, errlen, "%s; the file holds card keys or PINs", why);
      return NULL;
    }
    close(fd);
  }
  if (o->state_dir[0] == '\0') {
    snprintf(err, errlen, "%s: no state-dir statement (pcscd has no home directory to default to)", path);
    return NULL;
  }
  return c;
}

int cf_ifd_channel_open(const char *device_name, cf_ifd_channel *ch, char *err, size_t errlen) {
  memset(ch, 0, sizeof *ch);
  char path[1024];
  int reader;
  if (parse_device_name(device_name, path, sizeof path, &reader) != 0) {
    snprintf(err, errlen, "DEVICENAME \"%s\" is not CONFIG_FILE:READER (docs/ifd.md)", device_name);
    return -1;
  }
  cf_sim_options *o = calloc(1, sizeof *o);
  if (o == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  cf_sim_options_init(o);
  char why[512];
  int rc = -1;
  if (cf_sim_config_load(path, o, false, false, false, why, sizeof why) != 0) {
    snprintf(err, errlen, "%s", why);
    goto done;
  }
  const cf_sim_card_spec *c = checked_card(path, o, reader, err, errlen);
  if (c == NULL) goto done;
  /* the model for every card, then the reader's own over it */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < o->timing_count; i++) {
      if (o->timings[i].reader != (pass == 0 ? -1 : reader)) continue;
      if (cf_timing_parse(o->timings[i].spec, &ch->timing, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        goto done;
      }
    }
  }
  if (cf_cli_mkdirs(o->state_dir) != 0) {
    snprintf(err, errlen, "%s: cannot create the state directory %s: %s", path, o->state_dir,
             strerror(errno));
    goto done;
  }
  int exit_code = 0;
  if (cf_sim_card_open(o, c, &ch->store, &ch->card, ch->state_path, sizeof ch->state_path, err, errlen,
                       &exit_code) != 0)
    goto done;
  ch->reader = reader;
  rc = 0;
done:
  /* the file's parameters may hold keys */
  cf_wipe(o, sizeof *o);
  free(o);
  return rc;
}

void cf_ifd_channel_close(cf_ifd_channel *ch) {
  if (ch->card != NULL) {
    cf_card_power_off(ch->card);
    cf_card_free(ch->card);
  }
  if (ch->store != NULL) cf_store_close(ch->store);
  memset(ch, 0, sizeof *ch);
}
