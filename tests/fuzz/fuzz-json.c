/*
 * fuzz-json.c -- libFuzzer target for JSON reading (jansson with what
 * src/base/jsonx.c adds: integers beyond int64 rewritten in place,
 * byte offsets of values, the getters, writing back).  Built only with
 * --enable-fuzzing (clang); run with `make fuzz-json`.  Any bytes must
 * parse or be refused without a crash; json-touch.h says what is
 * checked, and abort() marks a violation.  The corpus is replayed by
 * test-fuzz-replay in every `make check`, also through the history
 * import and the stored parameters.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/json-touch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (json_touch(data, size) < 0)
		abort();
	return 0;
}
