/*
 * fuzz-gguf.c -- libFuzzer target for the GGUF reader.  Built only with
 * --enable-fuzzing (clang); `make fuzz` runs it on the seed corpus in
 * tests/fuzz/corpus-gguf.  Any input must either be rejected with a
 * one-line message or yield structures whose every byte can be read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gguf-touch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (gguf_touch(data, size) < 0)
		abort();	/* malformed error message */
	return 0;
}
