/*
 * fuzz-sse.c -- libFuzzer target for the Server-Sent Events parser and
 * the OpenAI chunk decoder (src/net/sse.c), the code that reads what a
 * remote inference server sends.  Built only with --enable-fuzzing
 * (clang); run with `make fuzz-sse`.  Any bytes, split anywhere, must
 * parse without a crash into the same events as the whole stream, and
 * every decoded chunk must hold valid UTF-8 and one-line messages
 * (sse-touch.h, shared with the corpus replay in tests/test-sse.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/sse-touch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sse_touch(data, size) < 0)
		abort();
	return 0;
}
