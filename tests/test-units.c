/*
 * test-units.c -- sizes and counts for people to read (src/base/units.c):
 * the long forms of `medchat inspect` and /stats, and the short form of
 * the model menu's cells, at the unit boundaries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "units.h"
#include "testhelp.h"

static void
long_bytes(uint64_t n, const char *want)
{
	struct buf	b = { 0 };

	units_bytes(&b, n);
	test_condf(b.data != NULL && strcmp(b.data, want) == 0,
	    "units_bytes(%llu) = \"%s\" (got \"%s\")", (unsigned long long)n,
	    want, b.data != NULL ? b.data : "(null)");
	buf_free(&b);
}

static void
short_bytes(uint64_t n, const char *want)
{
	char	out[16];

	units_bytes_short(out, sizeof out, n);
	test_condf(strcmp(out, want) == 0,
	    "units_bytes_short(%llu) = \"%s\" (got \"%s\")",
	    (unsigned long long)n, want, out);
}

static void
count(uint64_t n, const char *want)
{
	struct buf	b = { 0 };

	units_count(&b, n);
	test_condf(b.data != NULL && strcmp(b.data, want) == 0,
	    "units_count(%llu) = \"%s\" (got \"%s\")", (unsigned long long)n,
	    want, b.data != NULL ? b.data : "(null)");
	buf_free(&b);
}

int
main(void)
{
	char	small[4], out[16];
	uint64_t n;
	int	wide = 0;

	long_bytes(0, "0 bytes");
	long_bytes(1, "1 byte");
	long_bytes(1023, "1023 bytes");
	long_bytes(1024, "1.00 KiB");
	long_bytes(4081070240ULL, "3.80 GiB");

	short_bytes(0, "0B");
	short_bytes(999, "999B");
	short_bytes(1000, "1.0KiB");	/* 1000 bytes would need 5 digits */
	short_bytes(102348, "99.9KiB");
	short_bytes(102349, "100KiB");
	short_bytes(4081070240ULL, "3.8GiB");
	short_bytes(13.5 * 1073741824.0, "13.5GiB");
	short_bytes(UINT64_MAX, "16777216TiB");
	/* Every size below 1000 TiB fits a 7-column cell. */
	for (n = 1; n < 1000ULL << 40; n = n * 3 + 7) {
		units_bytes_short(out, sizeof out, n);
		wide += strlen(out) > 7;
	}
	test_condf(wide == 0, "units_bytes_short is at most 7 characters "
	    "below 1000 TiB (%d wider)", wide);
	/* A buffer too small is cut, still terminated. */
	units_bytes_short(small, sizeof small, 4081070240ULL);
	test_cond(strcmp(small, "3.8") == 0, "units_bytes_short cuts to the "
	    "buffer and terminates");

	count(999, "999");
	count(292800, "292.8K");
	count(6738415616ULL, "6.74B");
	return test_report();
}
