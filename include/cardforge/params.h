/* Declared card parameters: what each card type accepts in its "key=value,key=value" string.
 *
 * A card type declares its parameters once (name, form of the value, whether it is a secret, the
 * value used when it is absent, what it means); the emulator checks every parameter string
 * against that declaration before a card is made, so a misspelt or malformed parameter is refused
 * with the valid list instead of being ignored. The card's own code still reads the values
 * (cf_params_get): the declaration says what may be given, the card what it does with it. */
#ifndef CARDFORGE_PARAMS_H
#define CARDFORGE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* the library exports what installed headers declare */

typedef enum cf_param_kind {
  CF_PARAM_CHOICE,   /* one of the words in choices, "3.1|2.2" */
  CF_PARAM_HEX,      /* bytes in hex; sizes lists the accepted byte counts */
  CF_PARAM_HEX_LIST, /* a list of one-byte items in hex (may be empty), each 01..max_item */
} cf_param_kind;

typedef struct cf_param_spec {
  const char *name;
  cf_param_kind kind;
  const char *choices; /* CF_PARAM_CHOICE */
  const char
      *aliases;     /* CF_PARAM_CHOICE: other spellings, "alias=choice|...", the same value as that choice */
  uint8_t sizes[4]; /* CF_PARAM_HEX: accepted byte counts, 0-terminated */
  uint8_t max_item; /* CF_PARAM_HEX_LIST */
  bool secret;      /* a key or a PIN: not for command lines, never echoed */
  const char *def;  /* the value the card takes when it is absent; NULL: the card chooses */
  const char *meaning;
} cf_param_spec;

/* One "name[=value]" item of a parameter string. */
typedef struct cf_param_item {
  const char *name, *value; /* value: NULL for a bare name */
  size_t name_len, value_len;
} cf_param_item;

/* Steps through the items of a parameter string: true and *item filled, false at the end. */
bool cf_params_next(const char **cursor, cf_param_item *item);

/* The declaration of name (name_len bytes), or NULL. */
const cf_param_spec *cf_params_find(const cf_param_spec *specs, size_t count, const char *name,
                                    size_t name_len);

/* Checks a parameter string against a declaration: every item declared, given once, with a value
 * of the declared form. Returns 0, or -1 with a one-line reason in err that lists the valid
 * parameters (type names the card type in it). Secret values are never copied into err. */
int cf_params_check(const char *type, const cf_param_spec *specs, size_t count, const char *params, char *err,
                    size_t errlen);

/* Whether two valid values of spec mean the same (hex compares without regard to case). */
bool cf_params_same_value(const cf_param_spec *spec, const char *a, size_t alen, const char *b, size_t blen);

/* The accepted form of spec's values, for messages and listings: "3.1|2.2", "16/24/32 bytes hex". */
void cf_params_form(const cf_param_spec *spec, char *out, size_t cap);

/* The declarations of each card type: cf_card_type_params (cardforge/registry.h). */

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
