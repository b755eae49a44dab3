/*
 * fuzz-conffile.c -- libFuzzer target for the settings file parser
 * (src/app/conffile.c).  Built only with --enable-fuzzing (clang); run with
 * `make fuzz-conffile`.  Any bytes must parse without a crash into
 * warnings and values that pass the checks of conffile-touch.h (shared
 * with the corpus replay in tests/test-conffile.c; abort on failure).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/conffile-touch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (conffile_touch(data, size) != 0)
		abort();
	return 0;
}
