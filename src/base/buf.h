/*
 * buf.h -- a growable byte buffer, always NUL-terminated.
 *
 *	struct buf b = BUF_INIT;
 *	buf_append(&b, s, n); buf_printf(&b, "%d", x);
 *	use b.data / b.len; buf_free(&b);
 *
 * buf_detach() hands the string to the caller (who frees it).
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
};
#define BUF_INIT { NULL, 0, 0 }

void	 buf_reserve(struct buf *, size_t);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, int);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_clear(struct buf *);
void	 buf_truncate(struct buf *, size_t);
char	*buf_detach(struct buf *);
void	 buf_free(struct buf *);
const char *buf_str(const struct buf *);	/* "" when empty */

#endif
