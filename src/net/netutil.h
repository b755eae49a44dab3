/*
 * netutil.h -- small helpers private to src/net.
 */
#ifndef NETUTIL_H
#define NETUTIL_H

#include <stddef.h>

/*
 * Untrusted text s[0..n) (a server's message) as one line fit for an
 * error message: invalid UTF-8 and control characters as '?', newlines
 * and tabs as spaces, runs of spaces as one, no space at either end, and
 * at most max bytes (cut at a character boundary, then "...").  Never
 * empty: "(empty message)" when nothing is left.  Caller frees.
 */
char	*net_oneline(const char *s, size_t n, size_t max);

#endif
