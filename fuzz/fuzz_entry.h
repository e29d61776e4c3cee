/* The libFuzzer entry points every harness defines (also called by the regression replayer). */
#ifndef CF_FUZZ_ENTRY_H
#define CF_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
