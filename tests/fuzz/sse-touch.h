/*
 * sse-touch.h -- shared by the SSE fuzz target and the corpus replay in
 * test-sse: run a byte stream through the SSE parser (src/net/sse.c)
 * twice, once whole and once cut into pieces at places the input's own
 * first bytes choose, and decode every event with oai_parse().  Checks,
 * returning -1 at the first that fails:
 *  - both runs give the same events and the same result (the stream may
 *    be split anywhere);
 *  - no event's data is longer than the parser's limit, and it is
 *    NUL-terminated at its length;
 *  - a decoded chunk's strings are valid UTF-8 without NUL; an error's
 *    or a refusal's message is one line of printable text of bounded
 *    length; DONE only for the exact payload "[DONE]".
 * Returns 1 when the stream was refused (an event too large), else 0.
 */
#ifndef SSE_TOUCH_H
#define SSE_TOUCH_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"
#include "utf8.h"

#define SSE_TOUCH_MAX	4096	/* the parser's limit in these runs */

struct sse_touch_run {
	struct buf	 events;	/* each event's data, then "\1" */
	int		 n, bad;
};

static int
sse_touch_str(const char *s, int one_line)
{
	size_t	n, i;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (!utf8_valid(s, n))
		return -1;
	if (!one_line)
		return 0;
	if (n == 0 || n > 303)
		return -1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	}
	return 0;
}

static int
sse_touch_event(const char *data, size_t len, void *arg)
{
	struct sse_touch_run	*r = arg;
	struct oai_chunk	 c;

	r->n++;
	if (len > SSE_TOUCH_MAX || data[len] != '\0')
		r->bad = 1;
	buf_append(&r->events, data, len);
	buf_putc(&r->events, 1);
	oai_parse(data, len, &c);
	switch (c.kind) {
	case OAI_DONE:
		if (len != 6 || memcmp(data, "[DONE]", 6) != 0)
			r->bad = 1;
		break;
	case OAI_CHUNK:
		if (sse_touch_str(c.text, 0) != 0 ||
		    sse_touch_str(c.finish, 0) != 0 ||
		    sse_touch_str(c.model, 0) != 0 ||
		    sse_touch_str(c.fingerprint, 0) != 0 ||
		    c.message != NULL || c.n_prompt < -1 || c.n_gen < -1)
			r->bad = 1;
		break;
	case OAI_ERROR:
	case OAI_BAD:
		if (c.message == NULL || sse_touch_str(c.message, 1) != 0 ||
		    c.text != NULL || c.finish != NULL)
			r->bad = 1;
		break;
	default:
		r->bad = 1;
	}
	oai_chunk_free(&c);
	return 0;
}

/*
 * Feed data[0..size) in pieces of 1..17 bytes (cuts[] chosen, cycled),
 * or whole when ncuts is 0; an empty feed first.
 */
static int
sse_touch_run(const uint8_t *data, size_t size, const uint8_t *cuts,
    size_t ncuts, struct sse_touch_run *r)
{
	struct sse	*p;
	size_t		 off = 0, k = 0, step;
	int		 rc = 0;

	memset(r, 0, sizeof *r);
	p = sse_new(SSE_TOUCH_MAX, sse_touch_event, r);
	rc = sse_feed(p, "", 0);
	while (off < size && rc == 0) {
		step = ncuts == 0 ? size : (size_t)cuts[k++ % ncuts] % 17 + 1;
		if (step > size - off)
			step = size - off;
		rc = sse_feed(p, (const char *)data + off, step);
		off += step;
	}
	if (rc == 0)
		rc = sse_finish(p);
	/* Refused stays refused. */
	if (rc == -1 && (sse_feed(p, "\n\n", 2) != -1 || sse_finish(p) != -1))
		r->bad = 1;
	sse_free(p);
	return rc;
}

static int
sse_touch(const uint8_t *data, size_t size)
{
	struct sse_touch_run	 whole, split;
	size_t			 ncuts;
	int			 a, b, bad;

	/* The first 8 bytes choose the cuts (they are part of the stream). */
	ncuts = size < 8 ? size : 8;
	a = sse_touch_run(data, size, NULL, 0, &whole);
	b = sse_touch_run(data, size, data, ncuts, &split);
	bad = whole.bad || split.bad || a != b || whole.n != split.n ||
	    whole.events.len != split.events.len ||
	    (whole.events.len != 0 &&
	    memcmp(whole.events.data, split.events.data, whole.events.len));
	buf_free(&whole.events);
	buf_free(&split.events);
	if (bad)
		return -1;
	return a == -1 ? 1 : 0;
}

#endif
