/* APDU traces (the "> 80 12 ..." / "< ... 9000" lines `cardforge --trace` and the host clients
 * print) turned into fuzz inputs (fuzz_driver.h format).
 *
 * Every command line becomes a record: FZ_RAW, or FZ_SECURE when the line follows a
 * "(secure channel, plain)" marker; the wrapped command that carries such a plain command on the
 * wire is then skipped (its MAC would not verify in another session). Redacted data
 * ("<6 bytes redacted>") is filled with ASCII '1', which the seed flows use as their PIN digit. */
#ifndef CF_FUZZ_TRACE_CORPUS_H
#define CF_FUZZ_TRACE_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#define TC_REDACTED_FILL 0x31

/* Appends the records of the trace text to out (cap bytes, *n used). Returns the number of
 * records added; stops early when out is full or after max_records. */
size_t tc_trace_to_records(const char *text, size_t max_records, uint8_t *out, size_t cap, size_t *n);

#endif
