/*
 * json-touch.h -- shared by the JSON fuzz target and the corpus replay
 * test: parse bytes with jsonx_parse() (jansson plus what jsonx adds)
 * and, if they are accepted, visit every value: its byte offset must
 * lie in the input and point at the start of a value of its type, every
 * getter must answer without reading outside the tree, a big integer
 * must read back as the digits at its offset, and the tree must be
 * written (jsonx_dump) and read back.  On rejection, the error must be
 * one line "JSON error at byte N: ..." with N within the input.
 *
 * Returns 1 if accepted, 0 if rejected with a well-formed message, -1
 * on any violation.
 */
#ifndef JSON_TOUCH_H
#define JSON_TOUCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

static int	json_touch_value(const struct jsonx_doc *, const char *,
		    const json_t *, int);

/*
 * Visit v and what is below it (orig: the bytes parsed): 0, or -1 on a
 * violation.
 */
static int
json_touch_value(const struct jsonx_doc *d, const char *orig,
    const json_t *v, int depth)
{
	const char	*key;
	json_t		*c;
	size_t		 off, i;
	int64_t		 s;
	uint64_t	 u;
	double		 x;
	char		 lit[32];
	int		 ch, rs, ru, rd;

	if (depth > 2100)
		return -1;
	off = jsonx_offset(d, v);
	if (off >= d->len)
		return -1;
	ch = d->text[off];
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (ch != '{')
			return -1;
		json_object_foreach((json_t *)(uintptr_t)v, key, c) {
			if (key == NULL || json_touch_value(d, orig, c, depth + 1))
				return -1;
		}
		return 0;
	case JSON_ARRAY:
		if (ch != '[')
			return -1;
		json_array_foreach((json_t *)(uintptr_t)v, i, c) {
			if (json_touch_value(d, orig, c, depth + 1) != 0)
				return -1;
		}
		return 0;
	case JSON_STRING:
		return ch == '"' && json_string_value(v) != NULL ? 0 : -1;
	case JSON_TRUE:
		return ch == 't' ? 0 : -1;
	case JSON_FALSE:
		return ch == 'f' ? 0 : -1;
	case JSON_NULL:
		return ch == 'n' ? 0 : -1;
	default:
		break;
	}
	if (ch != '-' && (ch < '0' || ch > '9'))
		return -1;
	rs = jsonx_int64(d, v, &s);
	ru = jsonx_uint64(d, v, &u);
	rd = jsonx_double(d, v, &x);
	if (json_is_real(v) && (rs == 0 || ru == 0))
		return -1;
	/* Within int64: int64 and uint64 agree where both apply. */
	if (rs == 0 && ru == 0 && (s < 0 || (uint64_t)s != u))
		return -1;
	/* Beyond int64: the digits in the original text. */
	if (rs != 0 && ru == 0) {
		snprintf(lit, sizeof lit, "%llu", (unsigned long long)u);
		if (d->len - off < strlen(lit) ||
		    memcmp(orig + off, lit, strlen(lit)) != 0 ||
		    (d->len - off > strlen(lit) && orig[off + strlen(lit)] >=
		    '0' && orig[off + strlen(lit)] <= '9'))
			return -1;
	}
	return rd == 0 || json_is_integer(v) ? 0 : -1;
}

static int
json_touch(const uint8_t *data, size_t size)
{
	struct jsonx_doc	 d, d2;
	char			*cause = NULL, *s, *end;
	unsigned long long	 at;
	int			 r;

	if (jsonx_parse(&d, (const char *)data, size, &cause) != 0) {
		r = -1;
		if (cause != NULL && strchr(cause, '\n') == NULL &&
		    strncmp(cause, "JSON error at byte ", 19) == 0) {
			at = strtoull(cause + 19, &end, 10);
			if (end != cause + 19 && *end == ':' && at <= size)
				r = 0;
		}
		free(cause);
		jsonx_free(&d);
		return r;
	}
	r = json_touch_value(&d, (const char *)data, d.root, 0) == 0 ? 1 :
	    -1;
	if (r == 1) {
		s = jsonx_dump(d.root, JSON_COMPACT);
		if (jsonx_parse(&d2, s, strlen(s), &cause) != 0)
			r = -1;
		free(cause);
		jsonx_free(&d2);
		free(s);
	}
	jsonx_free(&d);
	return r;
}

#endif
