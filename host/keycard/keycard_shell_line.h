/* The line syntax of `cardforge keycard shell` scripts: one command a line, words split as a POSIX
 * shell splits them (blanks, single and double quotes, backslash), a word starting with # begins a
 * comment. Kept apart from the session so that it can be tested on its own. */
#ifndef CARDFORGE_HOST_KEYCARD_SHELL_LINE_H
#define CARDFORGE_HOST_KEYCARD_SHELL_LINE_H

#include <stddef.h>

#define KEYCARD_SHELL_MAX_WORDS 32
#define KEYCARD_SHELL_MAX_LINE 4096

/* Splits line (len bytes, without or with its trailing newline / CR LF) into words written to buf
 * (cap >= len + 1); words[] points into buf. Returns the number of words (0: a blank or comment
 * line), or -1 with one line in err: a NUL byte, an unclosed quote, a trailing backslash, more than
 * max_words words, or a line that does not fit. */
int keycard_shell_split(const char *line, size_t len, char *buf, size_t cap, char **words, int max_words,
                        char *err, size_t errlen);

#endif
