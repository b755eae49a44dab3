/*
 * sse.c -- Server-Sent Events, incrementally, and the OpenAI stream's
 * JSON chunks.  See sse.h for the contracts.
 *
 * The parser keeps the line being read (line), the data lines of the
 * event being built (data) and one bit of state across calls: whether
 * the last byte fed was a CR, so that a CRLF split between two feeds is
 * one line end and not an empty line (which would end the event early).
 * Comment lines are skipped as they stream by, never stored, so a proxy
 * that pings forever costs nothing.  Every byte stored is bounded by
 * max_event: a line longer than that (plus a field name) or an event
 * whose data would pass it refuses the stream, and the parser stays
 * refused.
 *
 * oai_parse() is the only place that reads the server's JSON (jansson).
 * Server text is untrusted: invalid UTF-8 becomes U+FFFD before jansson
 * sees it (jansson would refuse the whole chunk), as do lone surrogate
 * escapes and NUL characters, so every string handed out is valid UTF-8
 * without NUL.  Error messages are made one line of printable text of
 * bounded length (net_oneline).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "netutil.h"
#include "sse.h"
#include "utf8.h"
#include "xmalloc.h"

#define SSE_DEFAULT_MAX	(16u << 20)
/* Room for a field name and its colon on a line beside max_event. */
#define SSE_FIELD_SLACK	64

enum sse_line_state {
	SSE_LINE_START,		/* nothing of the current line seen yet */
	SSE_LINE_FIELD,		/* storing a line */
	SSE_LINE_COMMENT,	/* skipping a comment line */
};

struct sse {
	size_t			 max_event;
	sse_event_fn		 fn;
	void			*arg;
	struct buf		 line;
	struct buf		 data;
	int			 has_data;	/* a data line was seen */
	int			 after_cr;	/* the last byte was CR */
	int			 first_line;	/* a BOM may start it */
	enum sse_line_state	 state;
	int			 done;		/* 1 stopped, -1 refused */
};

static int	sse_line(struct sse *);
static int	sse_dispatch(struct sse *);

struct sse *
sse_new(size_t max_event, sse_event_fn fn, void *arg)
{
	struct sse	*p;

	p = xcalloc(1, sizeof *p);
	p->max_event = max_event == 0 ? SSE_DEFAULT_MAX : max_event;
	p->fn = fn;
	p->arg = arg;
	p->first_line = 1;
	p->state = SSE_LINE_START;
	return p;
}

void
sse_free(struct sse *p)
{
	if (p == NULL)
		return;
	buf_free(&p->line);
	buf_free(&p->data);
	free(p);
}

/* Report the event built so far, if it has data; clear it. */
static int
sse_dispatch(struct sse *p)
{
	int	r = 0;

	/* data is a string once a data line was appended, even empty */
	if (p->has_data && p->fn(p->data.data, p->data.len, p->arg) != 0)
		r = 1;
	buf_clear(&p->data);
	p->has_data = 0;
	return r;
}

/*
 * One whole line (p->line, without its end).  An empty line ends the
 * event; "data" appends its value; any other field is ignored.
 */
static int
sse_line(struct sse *p)
{
	const char	*s = p->line.data, *colon, *val;
	size_t		 n = p->line.len, name, vlen;

	if (p->first_line) {
		p->first_line = 0;
		if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3;
			n -= 3;
		}
	}
	if (n == 0)
		return sse_dispatch(p);
	if ((colon = memchr(s, ':', n)) != NULL) {
		name = (size_t)(colon - s);
		val = colon + 1;
		vlen = n - name - 1;
		if (vlen > 0 && *val == ' ') {
			val++;
			vlen--;
		}
	} else {
		name = n;
		val = s + n;
		vlen = 0;
	}
	if (name != 4 || memcmp(s, "data", 4) != 0)
		return 0;
	if (p->data.len + (p->has_data ? 1 : 0) + vlen > p->max_event)
		return -1;
	if (p->has_data)
		buf_putc(&p->data, '\n');
	buf_append(&p->data, val, vlen);
	p->has_data = 1;
	return 0;
}

int
sse_feed(struct sse *p, const char *data, size_t len)
{
	size_t	i, start;
	int	r;

	if (p->done != 0)
		return p->done;
	i = 0;
	while (i < len) {
		if (p->after_cr) {
			p->after_cr = 0;
			if (data[i] == '\n') {
				i++;
				continue;
			}
		}
		if (p->state == SSE_LINE_START) {
			/* (a line starting with a BOM starts with 0xEF) */
			p->state = data[i] == ':' ? SSE_LINE_COMMENT :
			    SSE_LINE_FIELD;
		}
		/* The rest of this line in this feed: data[start..i). */
		start = i;
		while (i < len && data[i] != '\n' && data[i] != '\r')
			i++;
		if (p->state == SSE_LINE_FIELD) {
			if (p->line.len + (i - start) >
			    p->max_event + SSE_FIELD_SLACK) {
				p->done = -1;
				return -1;
			}
			buf_append(&p->line, data + start, i - start);
		}
		if (i == len)
			break;
		/* A line end. */
		p->after_cr = data[i] == '\r';
		i++;
		if (p->state == SSE_LINE_COMMENT) {
			p->first_line = 0;
			r = 0;
		} else
			r = sse_line(p);
		buf_clear(&p->line);
		p->state = SSE_LINE_START;
		if (r != 0) {
			p->done = r;
			return r;
		}
	}
	return 0;
}

int
sse_finish(struct sse *p)
{
	int	r = 0;

	if (p->done != 0)
		return p->done;
	if (p->state == SSE_LINE_FIELD)
		r = sse_line(p);
	buf_clear(&p->line);
	p->state = SSE_LINE_START;
	if (r == 0)
		r = sse_dispatch(p);
	if (r != 0)
		p->done = r;
	return r;
}

/* ---- the OpenAI stream's chunks ------------------------------------ */

#define OAI_MESSAGE_MAX	300	/* bytes of a server's message kept */

static char	*oai_text(json_t *);
static void	 oai_fix_surrogates(char *, size_t);
static int	 oai_count(json_t *);
static double	 oai_rate(json_t *);

/*
 * Replace each "\uXXXX" escape of a lone UTF-16 surrogate in the JSON
 * text s[0..n) with "\ufffd" (same length, in place): jansson refuses
 * the whole document for one, and a server that cut a character in two
 * should cost that character, not the answer.  A backslash outside a
 * string is bad JSON anyway, so escapes are found without tracking
 * strings: "\\" is skipped as a pair.
 */
static void
oai_fix_surrogates(char *s, size_t n)
{
	size_t		 i = 0;
	unsigned long	 u, v;
	char		 hex[5];

	while (i + 1 < n) {
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (s[i + 1] != 'u' || i + 6 > n) {
			i += 2;
			continue;
		}
		memcpy(hex, s + i + 2, 4);
		hex[4] = '\0';
		if (strspn(hex, "0123456789abcdefABCDEF") != 4) {
			i += 2;
			continue;
		}
		u = strtoul(hex, NULL, 16);
		if (u >= 0xD800 && u <= 0xDBFF && i + 12 <= n &&
		    s[i + 6] == '\\' && s[i + 7] == 'u') {
			memcpy(hex, s + i + 8, 4);
			if (strspn(hex, "0123456789abcdefABCDEF") == 4) {
				v = strtoul(hex, NULL, 16);
				if (v >= 0xDC00 && v <= 0xDFFF) {
					i += 12;	/* a whole pair */
					continue;
				}
			}
		}
		if (u >= 0xD800 && u <= 0xDFFF)
			memcpy(s + i, "\\ufffd", 6);
		i += 6;
	}
}

/*
 * A copy of the JSON string j with each NUL made U+FFFD (jansson's
 * strings are valid UTF-8 already), or NULL when j is not a string.
 */
static char *
oai_text(json_t *j)
{
	const char	*s;
	size_t		 n, i;
	struct buf	 b = BUF_INIT;

	if (!json_is_string(j))
		return NULL;
	s = json_string_value(j);
	n = json_string_length(j);
	if (memchr(s, '\0', n) == NULL)
		return xstrndup(s, n);
	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			buf_append(&b, "\xEF\xBF\xBD", 3);
		else
			buf_putc(&b, s[i]);
	}
	return buf_detach(&b);
}

/* A usage count: a non-negative integer that fits an int, else -1. */
static int
oai_count(json_t *j)
{
	json_int_t	v;

	if (!json_is_integer(j))
		return -1;
	v = json_integer_value(j);
	return v < 0 || v > 0x7fffffff ? -1 : (int)v;
}

/* A rate: a finite positive number, else 0 (unknown). */
static double
oai_rate(json_t *j)
{
	double	v;

	if (!json_is_number(j))
		return 0;
	v = json_number_value(j);
	return v > 0 && v < 1e12 ? v : 0;
}

static void
oai_bad(struct oai_chunk *c, const char *why)
{
	c->kind = OAI_BAD;
	free(c->message);
	c->message = net_oneline(why, strlen(why), OAI_MESSAGE_MAX);
}

void
oai_parse(const char *data, size_t len, struct oai_chunk *c)
{
	json_t		*root, *err, *choices, *ch, *delta, *usage, *j;
	json_t		*timings;
	json_error_t	 jerr;
	char		*clean, *why;
	const char	*msg;
	size_t		 n;

	memset(c, 0, sizeof *c);
	c->n_prompt = c->n_gen = -1;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		c->kind = OAI_DONE;
		return;
	}

	clean = utf8_sanitize(data, len, &n);
	oai_fix_surrogates(clean, n);
	root = json_loadb(clean, n, JSON_ALLOW_NUL | JSON_DECODE_ANY,
	    &jerr);
	free(clean);
	if (root == NULL) {
		xasprintf(&why, "bad JSON at byte %d: %s", jerr.position,
		    jerr.text);
		oai_bad(c, why);
		free(why);
		return;
	}
	if (!json_is_object(root)) {
		oai_bad(c, "a chunk that is not a JSON object");
		json_decref(root);
		return;
	}

	c->model = oai_text(json_object_get(root, "model"));
	c->fingerprint = oai_text(json_object_get(root, "system_fingerprint"));

	/*
	 * Errors: {"error": {"message": ...}} (OpenAI, llama-server),
	 * {"error": "..."}, or vLLM's {"object": "error", "message": ...}.
	 */
	err = json_object_get(root, "error");
	j = json_object_get(root, "object");
	if ((err != NULL && !json_is_null(err)) ||
	    (json_is_string(j) && strcmp(json_string_value(j), "error") == 0)) {
		c->kind = OAI_ERROR;
		if (json_is_object(err))
			j = json_object_get(err, "message");
		else if (json_is_string(err))
			j = err;
		else
			j = json_object_get(root, "message");
		if (json_is_string(j)) {
			msg = json_string_value(j);
			c->message = net_oneline(msg, json_string_length(j),
			    OAI_MESSAGE_MAX);
		} else
			c->message = xstrdup("the server reported an error "
			    "without a message");
		json_decref(root);
		return;
	}

	c->kind = OAI_CHUNK;
	choices = json_object_get(root, "choices");
	if (choices != NULL && !json_is_null(choices) &&
	    !json_is_array(choices)) {
		oai_bad(c, "\"choices\" is not an array");
		goto out;
	}
	if ((ch = json_array_get(choices, 0)) != NULL) {
		if (!json_is_object(ch)) {
			oai_bad(c, "choices[0] is not an object");
			goto out;
		}
		/* "message": a whole answer, not a stream's piece */
		if ((delta = json_object_get(ch, "delta")) == NULL)
			delta = json_object_get(ch, "message");
		if (delta != NULL && !json_is_null(delta)) {
			if (!json_is_object(delta)) {
				oai_bad(c, "choices[0].delta is not an "
				    "object");
				goto out;
			}
			j = json_object_get(delta, "content");
			if (j != NULL && !json_is_null(j) &&
			    !json_is_string(j)) {
				oai_bad(c, "choices[0].delta.content is not "
				    "a string");
				goto out;
			}
			c->text = oai_text(j);
		}
		j = json_object_get(ch, "text");
		if (c->text == NULL && j != NULL && !json_is_null(j)) {
			if (!json_is_string(j)) {
				oai_bad(c, "choices[0].text is not a string");
				goto out;
			}
			c->text = oai_text(j);
		}
		j = json_object_get(ch, "finish_reason");
		if (j != NULL && !json_is_null(j) && !json_is_string(j)) {
			oai_bad(c, "choices[0].finish_reason is not a "
			    "string");
			goto out;
		}
		c->finish = oai_text(j);
	}
	timings = json_object_get(root, "timings");
	c->prefill_tps = oai_rate(json_object_get(timings,
	    "prompt_per_second"));
	c->decode_tps = oai_rate(json_object_get(timings,
	    "predicted_per_second"));
	usage = json_object_get(root, "usage");
	if (json_is_object(usage)) {
		c->n_prompt = oai_count(json_object_get(usage,
		    "prompt_tokens"));
		c->n_gen = oai_count(json_object_get(usage,
		    "completion_tokens"));
	}
out:
	if (c->kind == OAI_BAD) {
		free(c->text);
		free(c->finish);
		c->text = c->finish = NULL;
	}
	json_decref(root);
}

void
oai_chunk_free(struct oai_chunk *c)
{
	if (c == NULL)
		return;
	free(c->text);
	free(c->finish);
	free(c->model);
	free(c->fingerprint);
	free(c->message);
	memset(c, 0, sizeof *c);
}
