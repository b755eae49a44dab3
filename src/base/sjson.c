/*
 * sjson.c -- recursive-descent JSON (RFC 8259) reader and string writer.
 * See sjson.h.  The reader works on a cursor over [p, end) and never
 * reads past end; recursion is bounded by SJSON_MAX_DEPTH.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sjson.h"
#include "utf8.h"
#include "xmalloc.h"

struct sjson_cur {
	const char	*start;
	const char	*p;
	const char	*end;
	char		*cause;
};

static struct sjson *sjson_value(struct sjson_cur *, int);
static struct sjson *sjson_value_here(struct sjson_cur *, int);
static struct sjson *sjson_container(struct sjson_cur *, int,
		 enum sjson_type, char);
static void	 sjson_ws(struct sjson_cur *);
static int	 sjson_err(struct sjson_cur *, const char *);
static int	 sjson_str(struct sjson_cur *, char **, size_t *);
static int	 sjson_hex4(struct sjson_cur *, uint32_t *);
static int	 sjson_digits(struct sjson_cur *);
static int	 sjson_integer(const struct sjson *, int, int64_t *, uint64_t *);

static int
sjson_err(struct sjson_cur *c, const char *what)
{
	if (c->cause == NULL)
		xasprintf(&c->cause, "JSON error at byte %zu: %s",
		    (size_t)(c->p - c->start), what);
	return -1;
}

static void
sjson_ws(struct sjson_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
sjson_hex4(struct sjson_cur *c, uint32_t *v)
{
	int	i, d;

	if (c->end - c->p < 4)
		return sjson_err(c, "truncated \\u escape");
	*v = 0;
	for (i = 0; i < 4; i++) {
		d = c->p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return sjson_err(c, "bad \\u escape");
		*v = *v << 4 | (uint32_t)d;
	}
	c->p += 4;
	return 0;
}

/* Read a string literal (c->p at the opening quote). */
static int
sjson_str(struct sjson_cur *c, char **out, size_t *outlen)
{
	struct buf	 b = BUF_INIT;
	uint32_t	 cp, lo;
	char		 enc[4];
	int		 l;

	c->p++;
	for (;;) {
		if (c->p >= c->end) {
			sjson_err(c, "unterminated string");
			goto fail;
		}
		if (*c->p == '"') {
			c->p++;
			break;
		}
		if ((unsigned char)*c->p < 0x20) {
			sjson_err(c, "control character in string");
			goto fail;
		}
		if (*c->p != '\\') {
			l = utf8_decode(c->p, (size_t)(c->end - c->p), &cp);
			if (l < 0) {
				sjson_err(c, "invalid UTF-8 in string");
				goto fail;
			}
			buf_append(&b, c->p, (size_t)l);
			c->p += l;
			continue;
		}
		c->p++;
		if (c->p >= c->end) {
			sjson_err(c, "unterminated escape");
			goto fail;
		}
		switch (*c->p++) {
		case '"':  buf_putc(&b, '"'); break;
		case '\\': buf_putc(&b, '\\'); break;
		case '/':  buf_putc(&b, '/'); break;
		case 'b':  buf_putc(&b, '\b'); break;
		case 'f':  buf_putc(&b, '\f'); break;
		case 'n':  buf_putc(&b, '\n'); break;
		case 'r':  buf_putc(&b, '\r'); break;
		case 't':  buf_putc(&b, '\t'); break;
		case 'u':
			if (sjson_hex4(c, &cp) != 0)
				goto fail;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (c->end - c->p < 2 || c->p[0] != '\\' ||
				    c->p[1] != 'u') {
					sjson_err(c, "lone surrogate");
					goto fail;
				}
				c->p += 2;
				if (sjson_hex4(c, &lo) != 0)
					goto fail;
				if (lo < 0xDC00 || lo > 0xDFFF) {
					sjson_err(c, "bad surrogate pair");
					goto fail;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				sjson_err(c, "lone surrogate");
				goto fail;
			}
			if (cp == 0) {
				sjson_err(c, "\\u0000 in string");
				goto fail;
			}
			l = utf8_encode(cp, enc);
			buf_append(&b, enc, (size_t)l);
			break;
		default:
			c->p--;
			sjson_err(c, "bad escape");
			goto fail;
		}
	}
	if (b.data == NULL)
		buf_puts(&b, "");
	*outlen = b.len;
	*out = buf_detach(&b);
	return 0;

fail:
	buf_free(&b);
	return -1;
}

static struct sjson *
sjson_new(enum sjson_type t)
{
	struct sjson	*v;

	v = xcalloc(1, sizeof *v);
	v->type = t;
	return v;
}

static int
sjson_lit(struct sjson_cur *c, const char *w)
{
	size_t	n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return 0;
	c->p += n;
	return 1;
}

/* Skip one or more digits: -1 ("bad number") if there is none. */
static int
sjson_digits(struct sjson_cur *c)
{
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return sjson_err(c, "bad number");
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return 0;
}

static struct sjson *
sjson_number(struct sjson_cur *c)
{
	const char	*s = c->p;
	struct sjson	*v;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (sjson_digits(c) != 0)
		return NULL;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (sjson_digits(c) != 0)
			return NULL;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (sjson_digits(c) != 0)
			return NULL;
	}
	v = sjson_new(SJSON_NUMBER);
	v->len = (size_t)(c->p - s);
	v->str = xstrndup(s, v->len);
	return v;
}

/*
 * Parse an array (close ']') or an object (close '}') whose opening bracket
 * is at c->p: the members one by one, each object member a "key": value
 * pair, separated by commas.  Return the new value, or NULL with c->cause
 * set.
 */
static struct sjson *
sjson_container(struct sjson_cur *c, int depth, enum sjson_type type,
    char close)
{
	struct sjson	*v, *item;
	char		*key = NULL;
	size_t		 klen, cap = 0;
	int		 object = (close == '}');

	c->p++;
	v = sjson_new(type);
	sjson_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return v;
	}
	for (;;) {
		if (object) {
			sjson_ws(c);
			if (c->p >= c->end || *c->p != '"') {
				sjson_err(c, "expected a member name");
				goto fail;
			}
			if (sjson_str(c, &key, &klen) != 0)
				goto fail;
			sjson_ws(c);
			if (c->p >= c->end || *c->p != ':') {
				sjson_err(c, "expected ':'");
				goto fail;
			}
			c->p++;
		}
		if ((item = sjson_value(c, depth + 1)) == NULL)
			goto fail;
		if (v->n == cap) {
			v->items = xgrowarray(v->items, &cap, 8,
			    sizeof *v->items);
			if (object)
				v->keys = xreallocarray(v->keys, cap,
				    sizeof *v->keys);
		}
		if (object)
			v->keys[v->n] = key;
		key = NULL;
		v->items[v->n++] = item;
		sjson_ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return v;
		}
		sjson_err(c, object ? "expected ',' or '}'" :
		    "expected ',' or ']'");
		goto fail;
	}

fail:
	free(key);
	sjson_free(v);
	return NULL;
}

/* A value, recording the byte offset where it starts. */
static struct sjson *
sjson_value(struct sjson_cur *c, int depth)
{
	struct sjson	*v;
	size_t		 off;

	sjson_ws(c);
	off = (size_t)(c->p - c->start);
	if ((v = sjson_value_here(c, depth)) != NULL)
		v->off = off;
	return v;
}

static struct sjson *
sjson_value_here(struct sjson_cur *c, int depth)
{
	struct sjson	*v;

	if (depth > SJSON_MAX_DEPTH) {
		sjson_err(c, "nested too deeply");
		return NULL;
	}
	sjson_ws(c);
	if (c->p >= c->end) {
		sjson_err(c, "unexpected end");
		return NULL;
	}
	switch (*c->p) {
	case 'n':
		if (sjson_lit(c, "null"))
			return sjson_new(SJSON_NULL);
		break;
	case 't':
		if (sjson_lit(c, "true"))
			return sjson_new(SJSON_TRUE);
		break;
	case 'f':
		if (sjson_lit(c, "false"))
			return sjson_new(SJSON_FALSE);
		break;
	case '"':
		v = sjson_new(SJSON_STRING);
		if (sjson_str(c, &v->str, &v->len) != 0) {
			sjson_free(v);
			return NULL;
		}
		return v;
	case '[':
		return sjson_container(c, depth, SJSON_ARRAY, ']');
	case '{':
		return sjson_container(c, depth, SJSON_OBJECT, '}');
	default:
		if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
			return sjson_number(c);
		break;
	}
	sjson_err(c, "unexpected character");
	return NULL;
}

int
sjson_parse(const char *text, size_t len, struct sjson **out, char **cause)
{
	struct sjson_cur	 c;
	struct sjson		*v;

	c.start = c.p = text;
	c.end = text + len;
	c.cause = NULL;
	*out = NULL;
	if ((v = sjson_value(&c, 0)) == NULL) {
		*cause = c.cause;
		return -1;
	}
	sjson_ws(&c);
	if (c.p != c.end) {
		sjson_err(&c, "trailing data");
		sjson_free(v);
		*cause = c.cause;
		return -1;
	}
	*out = v;
	return 0;
}

void
sjson_free(struct sjson *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		sjson_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const struct sjson *
sjson_get(const struct sjson *v, const char *key)
{
	size_t	i;

	if (v == NULL || v->type != SJSON_OBJECT)
		return NULL;
	for (i = v->n; i > 0; i--) {
		if (strcmp(v->keys[i - 1], key) == 0)
			return v->items[i - 1];
	}
	return NULL;
}

const char *
sjson_string(const struct sjson *v)
{
	if (v == NULL || v->type != SJSON_STRING)
		return NULL;
	return v->str;
}

/*
 * Convert integer v (a number without fraction or exponent; with
 * !is_signed, without a minus sign either) to *sv (strtoll) or *uv
 * (strtoull): 0, or -1 if it is not one or out of range.
 */
static int
sjson_integer(const struct sjson *v, int is_signed, int64_t *sv,
    uint64_t *uv)
{
	char	*end;

	if (v == NULL || v->type != SJSON_NUMBER ||
	    (!is_signed && v->str[0] == '-') ||
	    strpbrk(v->str, ".eE") != NULL)
		return -1;
	errno = 0;
	if (is_signed)
		*sv = strtoll(v->str, &end, 10);
	else
		*uv = strtoull(v->str, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int
sjson_int64(const struct sjson *v, int64_t *out)
{
	int64_t	x;

	if (sjson_integer(v, 1, &x, NULL) != 0)
		return -1;
	*out = x;
	return 0;
}

int
sjson_uint64(const struct sjson *v, uint64_t *out)
{
	uint64_t	x;

	if (sjson_integer(v, 0, NULL, &x) != 0)
		return -1;
	*out = x;
	return 0;
}

int
sjson_double(const struct sjson *v, double *out)
{
	char	*end;
	double	 x;

	if (v == NULL || v->type != SJSON_NUMBER)
		return -1;
	errno = 0;
	x = strtod(v->str, &end);
	if (*end != '\0' || !isfinite(x))
		return -1;
	*out = x;
	return 0;
}

void
sjson_put_string(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 n, i = 0;
	uint32_t		 cp;
	int			 l;
	unsigned char		 ch;

	if (s == NULL) {
		buf_puts(b, "null");
		return;
	}
	n = strlen(s);
	buf_putc(b, '"');
	while (i < n) {
		ch = (unsigned char)s[i];
		if (ch < 0x80) {
			switch (ch) {
			case '"':  buf_puts(b, "\\\""); break;
			case '\\': buf_puts(b, "\\\\"); break;
			case '\n': buf_puts(b, "\\n"); break;
			case '\r': buf_puts(b, "\\r"); break;
			case '\t': buf_puts(b, "\\t"); break;
			case '\b': buf_puts(b, "\\b"); break;
			case '\f': buf_puts(b, "\\f"); break;
			default:
				if (ch < 0x20 || ch == 0x7f) {
					buf_puts(b, "\\u00");
					buf_putc(b, hex[ch >> 4]);
					buf_putc(b, hex[ch & 15]);
				} else
					buf_putc(b, ch);
				break;
			}
			i++;
			continue;
		}
		if ((l = utf8_decode(s + i, n - i, &cp)) < 0) {
			buf_puts(b, "\xEF\xBF\xBD");
			i++;
			continue;
		}
		/* C1, line separators, bidi controls: same text, escaped. */
		if (!utf8_cp_safe(cp))
			buf_printf(b, "\\u%04x", (unsigned)cp);
		else
			buf_append(b, s + i, (size_t)l);
		i += (size_t)l;
	}
	buf_putc(b, '"');
}

/* ---- pretty-printed members ------------------------------------------ */

void
sjson_put_key(struct buf *b, int indent, const char *key)
{
	buf_printf(b, ",\n%*s", indent, "");
	sjson_put_string(b, key);
	buf_puts(b, ": ");
}

void
sjson_put_member_string(struct buf *b, int indent, const char *key,
    const char *s)
{
	sjson_put_key(b, indent, key);
	sjson_put_string(b, s);
}

void
sjson_put_member_int(struct buf *b, int indent, const char *key, int64_t v)
{
	sjson_put_key(b, indent, key);
	buf_printf(b, "%lld", (long long)v);
}

void
sjson_put_member_double(struct buf *b, int indent, const char *key,
    double v)
{
	sjson_put_key(b, indent, key);
	buf_printf(b, "%.17g", v);
}

void
sjson_put_member_bool(struct buf *b, int indent, const char *key, int v)
{
	sjson_put_key(b, indent, key);
	buf_puts(b, v ? "true" : "false");
}
