/*
 * units.c -- sizes and counts for people to read (units.h).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "units.h"

void
units_bytes(struct buf *b, uint64_t n)
{
	static const char *const u[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double	v = (double)n;
	int	i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		buf_printf(b, "%" PRIu64 " byte%s", n, n == 1 ? "" : "s");
	else
		buf_printf(b, "%.2f %s", v, u[i]);
}

void
units_bytes_short(char *out, size_t len, uint64_t n)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	v = (double)n;
	int	i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, len, "%" PRIu64 "B", n);
	else if (v < 99.95)
		snprintf(out, len, "%.1f%s", v, u[i]);
	else
		snprintf(out, len, "%.0f%s", v, u[i]);
}

void
units_count(struct buf *b, uint64_t n)
{
	if (n >= 1000000000)
		buf_printf(b, "%.2fB", (double)n / 1e9);
	else if (n >= 1000000)
		buf_printf(b, "%.2fM", (double)n / 1e6);
	else if (n >= 1000)
		buf_printf(b, "%.1fK", (double)n / 1e3);
	else
		buf_printf(b, "%" PRIu64, n);
}
