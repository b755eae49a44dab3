/*
 * netutil.c -- helpers private to src/net.  See netutil.h.
 */
#include <string.h>

#include "buf.h"
#include "netutil.h"
#include "utf8.h"
#include "xmalloc.h"

char *
net_oneline(const char *s, size_t n, size_t max)
{
	struct buf	 safe = BUF_INIT, out = BUF_INIT;
	const char	*p;
	size_t		 i, cut;

	utf8_safe(&safe, s, n, UTF8_SAFE_QMARK | UTF8_SAFE_NL_SPACE);
	p = buf_str(&safe);
	for (i = 0; i < safe.len; i++) {
		if (p[i] == ' ' && (out.len == 0 ||
		    out.data[out.len - 1] == ' '))
			continue;
		buf_putc(&out, p[i]);
	}
	buf_free(&safe);
	while (out.len > 0 && out.data[out.len - 1] == ' ')
		buf_truncate(&out, out.len - 1);
	if (out.len == 0) {
		buf_free(&out);
		return xstrdup("(empty message)");
	}
	if (max < 4)
		max = 4;
	if (out.len > max) {
		/* out is valid UTF-8: back up to a lead byte */
		cut = max - 3;
		while (cut > 0 && (out.data[cut] & 0xC0) == 0x80)
			cut--;
		buf_truncate(&out, cut);
		buf_puts(&out, "...");
	}
	return buf_detach(&out);
}
