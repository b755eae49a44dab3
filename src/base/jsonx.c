/*
 * jsonx.c -- medchat's additions to jansson (see jsonx.h).
 *
 * jansson builds the tree and does all parsing and string escaping.
 * What is here works on text jansson has accepted or written, through a
 * small scanner that knows only where strings and numbers start and end
 * (jsonx_skip_string, jsonx_skip_number):
 *
 *  - Integers beyond int64 (jsonx_parse): when jansson refuses a
 *    document for a too big integer, each such literal in a copy of the
 *    text is replaced by a negative integer of at most the same length
 *    (padded with spaces, so every byte offset stays) that stands for
 *    it: -(bigbase + k) for the k-th, with bigbase chosen so that no
 *    integer of the document has such a value.  The getters read the
 *    literal back.
 *  - Offsets (jsonx_offset): the text and the tree are walked together
 *    until the value is reached.  jansson keeps an object's members in
 *    the order of the text, and keys given twice are refused, so the
 *    two walks stay in step.
 *  - Numbers we format (jsonx_number): a marker object, {KEY: "literal"},
 *    stands in the tree.  jsonx_dump puts in its place an integer that
 *    no other integer of the tree equals, lets jansson write the tree,
 *    puts the marker back, and replaces each such integer in the text
 *    (outside strings) by the literal.
 */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"
#include "utf8.h"
#include "xmalloc.h"

/* The key of a number marker: no tree we build has it otherwise. */
#define JSONX_RAW_KEY		"\001jsonx-number"

/* Flags of every parse. */
#define JSONX_LOAD_FLAGS	(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

/* Placeholders of big integers: -(bigbase + k), at most 18 digits. */
#define JSONX_BIG_FIRST		100000000000000000LL
#define JSONX_BIG_LAST		999999999999999999LL

struct jsonx_walk {
	const char	*t;
	size_t		 len;
	size_t		 i;
	const json_t	*target;
};

/* A marker of jsonx_dump: where it is, and its placeholder. */
struct jsonx_raw {
	json_t		*parent;
	char		*key;		/* member of an object, or NULL */
	size_t		 index;		/* element of an array */
	json_t		*marker;	/* held while the placeholder is in
					   its place; the tree's again after */
};

struct jsonx_raws {
	struct jsonx_raw *v;
	size_t		 n;
	size_t		 cap;
	json_int_t	*ints;		/* every integer of the tree */
	size_t		 nints;
	size_t		 capints;
};

static size_t	 jsonx_skip_string(const char *, size_t, size_t);
static size_t	 jsonx_skip_number(const char *, size_t, size_t);
static size_t	 jsonx_skip_ws(const char *, size_t, size_t);
static int	 jsonx_is_integer_literal(const char *, size_t);
static int	 jsonx_is_number_literal(const char *);
static int	 jsonx_big(struct jsonx_doc *);
static size_t	 jsonx_err_offset(const json_error_t *, size_t);
static int	 jsonx_find(struct jsonx_walk *, const json_t *);
static const char *jsonx_big_literal(const struct jsonx_doc *,
		     const json_t *);
static int	 jsonx_is_raw(const json_t *);
static void	 jsonx_collect(struct jsonx_raws *, json_t *);
static int	 jsonx_cmp_int(const void *, const void *);
static void	 jsonx_put(json_t *, const char *, size_t, json_t *);

/* ---- the scanner ----------------------------------------------------- */

/* Index after the string literal that starts at t[i] ('"'), or len. */
static size_t
jsonx_skip_string(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return len;
}

/* Index after the number literal (or other bare word) at t[i]. */
static size_t
jsonx_skip_number(const char *t, size_t len, size_t i)
{
	while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '-' ||
	    t[i] == '+' || t[i] == '.'))
		i++;
	return i;
}

static size_t
jsonx_skip_ws(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' ||
	    t[i] == '\r'))
		i++;
	return i;
}

/*
 * t[0..n) is an integer as JSON writes it: an optional minus sign and
 * digits, without leading zeros.
 */
static int
jsonx_is_integer_literal(const char *t, size_t n)
{
	size_t	i = (n > 0 && t[0] == '-');

	if (i == n || (t[i] == '0' && n - i > 1))
		return 0;
	for (; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return 0;
	}
	return 1;
}

/* s is a number as JSON writes it (RFC 8259, section 6). */
static int
jsonx_is_number_literal(const char *s)
{
	const char	*p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
	} else
		return 0;
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* ---- parsing --------------------------------------------------------- */

static int
jsonx_cmp_int(const void *a, const void *b)
{
	json_int_t	x = *(const json_int_t *)a, y = *(const json_int_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Replace the integer literals of doc->text beyond int64 in a copy (see
 * the top of the file): 1 if there was one, 0 if none, -1 if they
 * cannot be placed (more than the placeholders' range).
 */
static int
jsonx_big(struct jsonx_doc *d)
{
	const char	*t = d->text;
	json_int_t	*neg = NULL, v = 0, base;
	size_t		 i, j, k, nneg = 0, capneg = 0, cap = 0;
	size_t		*at = NULL, *alen = NULL;
	char		 lit[32];

	for (i = 0; i < d->len;) {
		if (t[i] == '"') {
			i = jsonx_skip_string(t, d->len, i);
			continue;
		}
		if (t[i] != '-' && (t[i] < '0' || t[i] > '9')) {
			i++;
			continue;
		}
		j = jsonx_skip_number(t, d->len, i);
		if (!jsonx_is_integer_literal(t + i, j - i)) {
			i = j;
			continue;
		}
		/* Longer than any int64 (leading zeros are not JSON). */
		errno = ERANGE;
		if (j - i < sizeof lit) {
			memcpy(lit, t + i, j - i);
			lit[j - i] = '\0';
			errno = 0;
			v = strtoll(lit, NULL, 10);
		}
		if (errno != ERANGE) {
			/* Only those the placeholders could be. */
			if (v <= -JSONX_BIG_FIRST && v >= -JSONX_BIG_LAST) {
				if (nneg == capneg)
					neg = xgrowarray(neg, &capneg, 16,
					    sizeof *neg);
				neg[nneg++] = -v;
			}
			i = j;
			continue;
		}
		if (d->nbig == cap) {
			d->big = xgrowarray(d->big, &cap, 4, sizeof *d->big);
			at = xreallocarray(at, cap, sizeof *at);
			alen = xreallocarray(alen, cap, sizeof *alen);
		}
		at[d->nbig] = i;
		alen[d->nbig] = j - i;
		d->big[d->nbig++] = xstrndup(t + i, j - i);
		i = j;
	}
	if (d->nbig == 0) {
		free(neg);
		return 0;
	}

	/* The first run of nbig magnitudes no negative integer here has. */
	if (nneg > 0)
		qsort(neg, nneg, sizeof *neg, jsonx_cmp_int);
	base = JSONX_BIG_FIRST;
	for (k = 0; k < nneg; k++) {
		if (neg[k] < base)
			continue;
		if ((size_t)(neg[k] - base) >= d->nbig)
			break;
		base = neg[k] + 1;
	}
	free(neg);
	if (base > JSONX_BIG_LAST - (json_int_t)d->nbig) {
		free(at);
		free(alen);
		return -1;
	}
	d->bigbase = base;
	d->copy = xmalloc(d->len + 1);
	memcpy(d->copy, t, d->len);
	d->copy[d->len] = '\0';
	for (k = 0; k < d->nbig; k++) {
		/* At least 19 bytes long, the placeholder at most 19. */
		snprintf(lit, sizeof lit, "%lld", -(long long)(base +
		    (json_int_t)k));
		memset(d->copy + at[k], ' ', alen[k]);
		memcpy(d->copy + at[k], lit, strlen(lit));
	}
	free(at);
	free(alen);
	d->text = d->copy;
	return 1;
}

/*
 * Where jansson's error is: the start of the token it names ("near
 * 'x'", after which its position is), else the byte it stopped at.
 */
static size_t
jsonx_err_offset(const json_error_t *e, size_t len)
{
	const char	*near;
	size_t		 pos, tl;

	pos = e->position > 0 ? (size_t)e->position : 0;
	if (pos > len)
		pos = len;
	if (strstr(e->text, "near end of file") != NULL)
		return pos;
	if ((near = strstr(e->text, " near '")) != NULL) {
		tl = strlen(near + 7);
		if (tl > 0 && near[7 + tl - 1] == '\'' && tl - 1 <= pos)
			return pos - (tl - 1);
	}
	return pos > 0 ? pos - 1 : 0;
}

int
jsonx_parse(struct jsonx_doc *d, const char *text, size_t len, char **cause)
{
	json_error_t	 e;
	const char	*nul;
	char		*what;
	size_t		 i;

	memset(d, 0, sizeof *d);
	d->text = text;
	d->len = len;
	/* jansson skips a NUL between tokens; JSON has none anywhere. */
	if ((nul = memchr(text, '\0', len)) != NULL) {
		xasprintf(cause, "JSON error at byte %zu: a NUL byte",
		    (size_t)(nul - text));
		return -1;
	}
	d->root = json_loadb(text, len, JSONX_LOAD_FLAGS, &e);
	if (d->root == NULL &&
	    json_error_code(&e) == json_error_numeric_overflow &&
	    jsonx_big(d) == 1)
		d->root = json_loadb(d->text, len, JSONX_LOAD_FLAGS, &e);
	if (d->root != NULL)
		return 0;

	/* jansson quotes the text near the error: keep it one safe line. */
	what = utf8_sanitize(e.text, strnlen(e.text, sizeof e.text), NULL);
	for (i = 0; what[i] != '\0'; i++) {
		if ((unsigned char)what[i] < 0x20 || what[i] == 0x7f)
			what[i] = '?';
	}
	xasprintf(cause, "JSON error at byte %zu: %s",
	    jsonx_err_offset(&e, len), what);
	free(what);
	return -1;
}

void
jsonx_free(struct jsonx_doc *d)
{
	size_t	k;

	json_decref(d->root);
	for (k = 0; k < d->nbig; k++)
		free(d->big[k]);
	free(d->big);
	free(d->copy);
	memset(d, 0, sizeof *d);
}

/* ---- reading --------------------------------------------------------- */

/* Walk w->t from w->i over value v: 1 when w->target is reached. */
static int
jsonx_find(struct jsonx_walk *w, const json_t *v)
{
	json_t	*o = (json_t *)(uintptr_t)v;
	void	*it;
	size_t	 k;

	w->i = jsonx_skip_ws(w->t, w->len, w->i);
	if (v == w->target)
		return 1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		w->i++;
		for (it = json_object_iter(o); it != NULL;
		    it = json_object_iter_next(o, it)) {
			w->i = jsonx_skip_ws(w->t, w->len, w->i);
			w->i = jsonx_skip_string(w->t, w->len, w->i);
			w->i = jsonx_skip_ws(w->t, w->len, w->i) + 1;
			if (jsonx_find(w, json_object_iter_value(it)))
				return 1;
			w->i = jsonx_skip_ws(w->t, w->len, w->i) + 1;
		}
		if (json_object_size(o) == 0)
			w->i = jsonx_skip_ws(w->t, w->len, w->i) + 1;
		return 0;
	case JSON_ARRAY:
		w->i++;
		for (k = 0; k < json_array_size(o); k++) {
			if (jsonx_find(w, json_array_get(o, k)))
				return 1;
			w->i = jsonx_skip_ws(w->t, w->len, w->i) + 1;
		}
		if (json_array_size(o) == 0)
			w->i = jsonx_skip_ws(w->t, w->len, w->i) + 1;
		return 0;
	case JSON_STRING:
		w->i = jsonx_skip_string(w->t, w->len, w->i);
		return 0;
	default:
		w->i = jsonx_skip_number(w->t, w->len, w->i);
		return 0;
	}
}

size_t
jsonx_offset(const struct jsonx_doc *d, const json_t *v)
{
	struct jsonx_walk	w;

	if (d->root == NULL || v == NULL)
		return d->len;
	w.t = d->text;
	w.len = d->len;
	w.i = 0;
	w.target = v;
	if (!jsonx_find(&w, d->root) || w.i > d->len)
		return d->len;
	return w.i;
}

/* The literal v stands for if it is a big integer's placeholder. */
static const char *
jsonx_big_literal(const struct jsonx_doc *d, const json_t *v)
{
	json_int_t	x;

	if (d->nbig == 0 || !json_is_integer(v))
		return NULL;
	x = json_integer_value(v);
	if (x > -d->bigbase || x <= -(d->bigbase + (json_int_t)d->nbig))
		return NULL;
	return d->big[-x - d->bigbase];
}

int
jsonx_int64(const struct jsonx_doc *d, const json_t *v, int64_t *out)
{
	if (!json_is_integer(v) || jsonx_big_literal(d, v) != NULL)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

int
jsonx_uint64(const struct jsonx_doc *d, const json_t *v, uint64_t *out)
{
	const char		*lit;
	unsigned long long	 u;
	char			*end;

	if (!json_is_integer(v))
		return -1;
	if ((lit = jsonx_big_literal(d, v)) == NULL) {
		if (json_integer_value(v) < 0)
			return -1;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (lit[0] == '-')
		return -1;
	errno = 0;
	u = strtoull(lit, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = u;
	return 0;
}

int
jsonx_double(const struct jsonx_doc *d, const json_t *v, double *out)
{
	const char	*lit;
	double		 x;

	if (json_is_real(v))
		x = json_real_value(v);
	else if (!json_is_integer(v))
		return -1;
	else if ((lit = jsonx_big_literal(d, v)) != NULL)
		x = strtod(lit, NULL);
	else
		x = (double)json_integer_value(v);
	if (!isfinite(x))
		return -1;
	*out = x;
	return 0;
}

/* ---- building -------------------------------------------------------- */

json_t *
jsonx_object(void)
{
	json_t	*o;

	if ((o = json_object()) == NULL) {
		fprintf(stderr, "medchat: out of memory (JSON object)\n");
		exit(1);
	}
	return o;
}

json_t *
jsonx_array(void)
{
	json_t	*a;

	if ((a = json_array()) == NULL) {
		fprintf(stderr, "medchat: out of memory (JSON array)\n");
		exit(1);
	}
	return a;
}

json_t *
jsonx_stringn(const char *s, size_t n)
{
	json_t	*v;
	char	*clean;

	if ((v = json_stringn(s, n)) != NULL)
		return v;
	/* Not UTF-8 (as jansson judges it, the same as utf8_decode). */
	clean = utf8_sanitize(s, n, &n);
	v = json_stringn(clean, n);
	free(clean);
	if (v == NULL) {
		fprintf(stderr, "medchat: out of memory (JSON string)\n");
		exit(1);
	}
	return v;
}

json_t *
jsonx_string(const char *s)
{
	if (s != NULL)
		return jsonx_stringn(s, strlen(s));
	return json_null();
}

json_t *
jsonx_number(const char *fmt, ...)
{
	const char	*dp = localeconv()->decimal_point;
	json_t		*o;
	va_list		 ap;
	char		*s, *p;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	/* The decimal point of the locale (LC_NUMERIC) is '.' in JSON. */
	if (dp != NULL && dp[0] != '\0' && dp[0] != '.' && dp[1] == '\0' &&
	    (p = strchr(s, dp[0])) != NULL)
		*p = '.';
	if (!jsonx_is_number_literal(s)) {
		free(s);
		return jsonx_string(NULL);
	}
	o = jsonx_object();
	jsonx_set(o, JSONX_RAW_KEY, jsonx_string(s));
	free(s);
	return o;
}

json_t *
jsonx_uint64_new(uint64_t u)
{
	json_t	*v;

	if (u > (uint64_t)INT64_MAX)
		return jsonx_number("%llu", (unsigned long long)u);
	if ((v = json_integer((json_int_t)u)) == NULL) {
		fprintf(stderr, "medchat: out of memory (JSON integer)\n");
		exit(1);
	}
	return v;
}

json_t *
jsonx_float(float f)
{
	char	t[32];
	int	p;

	if (!isfinite(f))
		return jsonx_string(NULL);
	for (p = 6; p < 9; p++) {
		snprintf(t, sizeof t, "%.*g", p, (double)f);
		if ((float)strtod(t, NULL) == f)
			break;
	}
	return jsonx_number("%.*g", p, (double)f);
}

void
jsonx_set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0) {
		fprintf(stderr, "medchat: out of memory (JSON member)\n");
		exit(1);
	}
}

void
jsonx_append(json_t *a, json_t *v)
{
	if (v == NULL || json_array_append_new(a, v) != 0) {
		fprintf(stderr, "medchat: out of memory (JSON element)\n");
		exit(1);
	}
}

/* ---- writing --------------------------------------------------------- */

static int
jsonx_is_raw(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	    json_is_string(json_object_get(v, JSONX_RAW_KEY));
}

/* The markers below v (not v itself) and every integer. */
static void
jsonx_collect(struct jsonx_raws *r, json_t *v)
{
	const char	*key;
	json_t		*c;
	size_t		 i;

	if (json_is_integer(v)) {
		if (r->nints == r->capints)
			r->ints = xgrowarray(r->ints, &r->capints, 64,
			    sizeof *r->ints);
		r->ints[r->nints++] = json_integer_value(v);
		return;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, key, c) {
			if (!jsonx_is_raw(c)) {
				jsonx_collect(r, c);
				continue;
			}
			if (r->n == r->cap)
				r->v = xgrowarray(r->v, &r->cap, 16,
				    sizeof *r->v);
			r->v[r->n].parent = v;
			r->v[r->n].key = xstrdup(key);
			r->v[r->n].marker = json_incref(c);
			r->n++;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c) {
			if (!jsonx_is_raw(c)) {
				jsonx_collect(r, c);
				continue;
			}
			if (r->n == r->cap)
				r->v = xgrowarray(r->v, &r->cap, 16,
				    sizeof *r->v);
			r->v[r->n].parent = v;
			r->v[r->n].key = NULL;
			r->v[r->n].index = i;
			r->v[r->n].marker = json_incref(c);
			r->n++;
		}
	}
}

/* Put v (a new reference, taken over) where a marker was. */
static void
jsonx_put(json_t *parent, const char *key, size_t index, json_t *v)
{
	int	rc;

	if (v == NULL)
		rc = -1;
	else if (key != NULL)
		rc = json_object_set_new(parent, key, v);
	else
		rc = json_array_set_new(parent, index, v);
	if (rc != 0) {
		fprintf(stderr, "medchat: out of memory (JSON)\n");
		exit(1);
	}
}

/*
 * jsonx_dump without the final escaping: jansson's text with the
 * numbers put in.
 */
static char *
jsonx_dump_numbers(json_t *root, size_t flags)
{
	struct jsonx_raws	 r;
	struct buf		 b = BUF_INIT;
	json_int_t		 base, x;
	const char		*lit;
	char			*s, tok[32];
	size_t			 i, j, k, n, run;

	if (jsonx_is_raw(root))
		return xstrdup(json_string_value(json_object_get(root,
		    JSONX_RAW_KEY)));
	memset(&r, 0, sizeof r);
	jsonx_collect(&r, root);
	base = INT64_MIN;
	if (r.n > 0) {
		/* Placeholders base.. that no integer of the tree is. */
		qsort(r.ints, r.nints, sizeof *r.ints, jsonx_cmp_int);
		for (k = 0; k < r.nints; k++) {
			if (r.ints[k] < base)
				continue;
			if ((uint64_t)r.ints[k] - (uint64_t)base >= r.n)
				break;
			base = r.ints[k] + 1;
		}
		for (k = 0; k < r.n; k++)
			jsonx_put(r.v[k].parent, r.v[k].key, r.v[k].index,
			    json_integer(base + (json_int_t)k));
	}
	s = json_dumps(root, flags | JSON_ENCODE_ANY);
	/* The markers back, with the references collect took. */
	for (k = 0; k < r.n; k++)
		jsonx_put(r.v[k].parent, r.v[k].key, r.v[k].index,
		    r.v[k].marker);
	free(r.ints);
	if (s == NULL) {
		fprintf(stderr, "medchat: out of memory (writing JSON)\n");
		exit(1);
	}
	if (r.n == 0) {
		free(r.v);
		return s;
	}

	/* Each placeholder, outside strings, becomes its literal. */
	n = strlen(s);
	buf_reserve(&b, n + 16);
	for (i = run = 0; i < n;) {
		if (s[i] == '"') {
			i = jsonx_skip_string(s, n, i);
			continue;
		}
		if (s[i] != '-') {
			i++;
			continue;
		}
		j = jsonx_skip_number(s, n, i);
		if (j - i >= sizeof tok || !jsonx_is_integer_literal(s + i,
		    j - i)) {
			i = j;
			continue;
		}
		memcpy(tok, s + i, j - i);
		tok[j - i] = '\0';
		errno = 0;
		x = strtoll(tok, NULL, 10);
		if (errno != 0 || x < base ||
		    (uint64_t)x - (uint64_t)base >= r.n) {
			i = j;
			continue;
		}
		lit = json_string_value(json_object_get(
		    r.v[(uint64_t)x - (uint64_t)base].marker, JSONX_RAW_KEY));
		buf_append(&b, s + run, i - run);
		buf_puts(&b, lit);
		i = run = j;
	}
	buf_append(&b, s + run, n - run);
	free(s);
	for (k = 0; k < r.n; k++)
		free(r.v[k].key);
	free(r.v);
	return buf_detach(&b);
}

/*
 * Escape what jansson writes raw but a terminal may act on: every code
 * point utf8_cp_safe() keeps off a terminal -- DEL, the C1 controls
 * (CSI among them), the line and paragraph separators and the bidi
 * overrides and isolates.  The structure of jansson's text is ASCII, so
 * such characters are inside strings, where \uXXXX means the same.
 * jansson already escapes the C0 controls; its output is valid UTF-8.
 */
static char *
jsonx_escape_controls(char *s)
{
	struct buf		 b = BUF_INIT;
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, run = 0, n = strlen(s);
	uint32_t		 cp;
	int			 l;

	for (i = 0; i < n; i += (size_t)l) {
		if (p[i] < 0x7f) {
			l = 1;
			continue;
		}
		l = utf8_decode(s + i, n - i, &cp);
		if (l <= 0) {
			l = 1;
			continue;
		}
		if (utf8_cp_safe(cp))
			continue;
		buf_append(&b, s + run, i - run);
		buf_printf(&b, "\\u%04X", (unsigned)cp);
		run = i + (size_t)l;
	}
	if (run == 0)
		return s;
	buf_append(&b, s + run, n - run);
	free(s);
	return buf_detach(&b);
}

char *
jsonx_dump(json_t *root, size_t flags)
{
	return jsonx_escape_controls(jsonx_dump_numbers(root, flags));
}

char *
jsonx_dump_lines(json_t *a, size_t flags)
{
	struct buf	 b = BUF_INIT;
	char		*s;
	size_t		 i, n = json_array_size(a);

	buf_putc(&b, '[');
	for (i = 0; i < n; i++) {
		buf_puts(&b, i ? ",\n  " : "\n  ");
		s = jsonx_dump(json_array_get(a, i), flags);
		buf_puts(&b, s);
		free(s);
	}
	buf_puts(&b, n ? "\n]" : "]");
	return buf_detach(&b);
}
