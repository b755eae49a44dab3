/*
 * enginehelp.h -- what the engine tests share (include after engine.h):
 * struct capture and capture_emit, an engine_emit_fn that keeps the
 * streamed answer as a string and can stop it after some pieces or
 * call engine_cancel() on each one.
 */
#ifndef ENGINEHELP_H
#define ENGINEHELP_H

#include <string.h>

struct capture {
	char	buf[4096];
	size_t	len;
	int	stop_after;	/* return nonzero after this many pieces */
	int	pieces;
	struct engine *cancel;	/* engine_cancel() on the first piece */
};

static __attribute__((unused)) int
capture_emit(const char *s, size_t n, void *arg)
{
	struct capture	*c = arg;

	if (c->len + n < sizeof c->buf) {
		memcpy(c->buf + c->len, s, n);
		c->len += n;
		c->buf[c->len] = '\0';
	}
	c->pieces++;
	if (c->cancel != NULL)
		engine_cancel(c->cancel);
	return c->stop_after > 0 && c->pieces >= c->stop_after;
}

#endif
