/*
 * test-jsonx.c -- src/base/jsonx.c: medchat's JSON helpers on jansson.
 * Parse errors name the byte; every value's offset is found; integers up
 * to 2^64-1 read back exactly (also when the document has integers that
 * look like the placeholders); deep nesting, \u0000, lone surrogates and
 * repeated keys are refused; strings with invalid UTF-8 are written with
 * U+FFFD; numbers we format are written as formatted.
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"
#include "xmalloc.h"
#include "testhelp.h"

/* Parse must fail with "JSON error at byte off". */
static void
refused(const char *text, size_t len, size_t off, const char *what)
{
	struct jsonx_doc	 d;
	char			*cause = NULL, *want;
	int			 ok;

	xasprintf(&want, "JSON error at byte %zu: ", off);
	ok = jsonx_parse(&d, text, len, &cause) == -1 && cause != NULL &&
	    strncmp(cause, want, strlen(want)) == 0 &&
	    strchr(cause, '\n') == NULL;
	test_condf(ok, "refused, at byte %zu: %s", off, what);
	if (!ok)
		test_diag("%s", cause != NULL ? cause : "(accepted)");
	free(want);
	free(cause);
	jsonx_free(&d);
}

static void
test_errors(void)
{
	struct buf	 b = BUF_INIT;
	int		 i;
	static const char	ack[] = "{\"format\": \"medchat-export\", "
	    "\"version\": 1, \"acknowledgements\": [{\"os_user\": \"x\",}]}";

	refused(ack, strlen(ack), 80, "a comma before '}'");
	refused("[1, 2", 5, 5, "the end of the text inside an array");
	refused("  {\"x\": tru}", 12, 8, "a bad word");
	refused("{\"a\": 1, \"a\": 2}", 16, 9, "a key given twice");
	refused("\"a\\u0000b\"", 10, 0, "\\u0000");
	refused("\"\\ud83d\"", 8, 0, "a lone surrogate");
	refused("01", 2, 0, "a leading zero");
	refused("[00000000000000000000000001]", 28, 1,
	    "leading zeros on an integer beyond int64");
	refused("{\"a\": 1e400}", 12, 6, "a number out of the double range");
	refused("[\"a\nb\"]", 7, 1, "a raw newline in a string");
	refused("\"\xff\"", 3, 0, "invalid UTF-8");
	refused("[14\0, 2]", 8, 3, "a NUL byte between values");
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	refused(b.data, b.len, 2048, "100000 nested arrays");
	buf_free(&b);
}

static void
test_offsets(void)
{
	static const char	 t[] = "{\"a\": [1, {\"b\": \"x\\\"y\"}, [], {}],"
	    " \"c\\u00e9\": null, \"d\":\n\t-2.5e3, \"e\": true}";
	struct jsonx_doc	 d;
	json_t			*a, *b;
	char			*cause = NULL;

	if (jsonx_parse(&d, t, strlen(t), &cause) != 0) {
		test_condf(0, "parse: %s", cause);
		free(cause);
		return;
	}
	a = json_object_get(d.root, "a");
	b = json_object_get(json_array_get(a, 1), "b");
	test_cond(jsonx_offset(&d, d.root) == 0 &&
	    jsonx_offset(&d, a) == 6 &&
	    jsonx_offset(&d, json_array_get(a, 0)) == 7 &&
	    jsonx_offset(&d, json_array_get(a, 1)) == 10 &&
	    jsonx_offset(&d, b) == 16 &&
	    jsonx_offset(&d, json_array_get(a, 2)) == 25 &&
	    jsonx_offset(&d, json_array_get(a, 3)) == 29 &&
	    jsonx_offset(&d, json_object_get(d.root, "c\xC3\xA9")) == 45 &&
	    jsonx_offset(&d, json_object_get(d.root, "d")) == 57 &&
	    jsonx_offset(&d, json_object_get(d.root, "e")) == 70,
	    "offsets of values: nested, after escapes and empty containers");
	test_cond(jsonx_offset(&d, NULL) == strlen(t),
	    "offset of no value: the end");
	jsonx_free(&d);
}

static void
test_integers(void)
{
	/* -100000000000000000 is the first placeholder: it must not clash. */
	static const char	 t[] = "{\"s\": [18446744073709551615, "
	    "9223372036854775808, 9223372036854775807, -100000000000000000, "
	    "-100000000000000001, 0, -9223372036854775809, 7.5, "
	    "100000000000000000000000], \"k\": 1}";
	struct jsonx_doc	 d;
	const json_t		*s;
	uint64_t		 u;
	int64_t			 v;
	double			 x;
	char			*cause = NULL;

	test_cond(jsonx_parse(&d, t, strlen(t), &cause) == 0,
	    "integers beyond int64 parse");
	if (d.root == NULL) {
		test_diag("%s", cause);
		free(cause);
		return;
	}
	s = json_object_get(d.root, "s");
	test_cond(jsonx_uint64(&d, json_array_get(s, 0), &u) == 0 &&
	    u == UINT64_MAX && jsonx_int64(&d, json_array_get(s, 0), &v) == -1,
	    "2^64-1: exact as uint64, not an int64");
	test_cond(jsonx_uint64(&d, json_array_get(s, 1), &u) == 0 &&
	    u == 9223372036854775808ULL &&
	    jsonx_uint64(&d, json_array_get(s, 2), &u) == 0 &&
	    u == INT64_MAX && jsonx_int64(&d, json_array_get(s, 2), &v) == 0 &&
	    v == INT64_MAX, "2^63 and 2^63-1");
	test_cond(jsonx_int64(&d, json_array_get(s, 3), &v) == 0 &&
	    v == -100000000000000000LL &&
	    jsonx_int64(&d, json_array_get(s, 4), &v) == 0 &&
	    v == -100000000000000001LL &&
	    jsonx_uint64(&d, json_array_get(s, 3), &u) == -1,
	    "integers like the placeholders keep their values");
	test_cond(jsonx_uint64(&d, json_array_get(s, 5), &u) == 0 && u == 0 &&
	    jsonx_uint64(&d, json_array_get(s, 6), &u) == -1 &&
	    jsonx_int64(&d, json_array_get(s, 6), &v) == -1 &&
	    jsonx_double(&d, json_array_get(s, 6), &x) == 0 &&
	    x == -9223372036854775809.0, "below int64: only a double");
	test_cond(jsonx_int64(&d, json_array_get(s, 7), &v) == -1 &&
	    jsonx_uint64(&d, json_array_get(s, 7), &u) == -1 &&
	    jsonx_double(&d, json_array_get(s, 7), &x) == 0 && x == 7.5,
	    "a fraction is a double, no integer");
	test_cond(jsonx_uint64(&d, json_array_get(s, 8), &u) == -1 &&
	    jsonx_double(&d, json_array_get(s, 8), &x) == 0 && x == 1e23,
	    "beyond uint64: only a double");
	test_cond(jsonx_offset(&d, json_array_get(s, 1)) == 29 &&
	    jsonx_offset(&d, json_object_get(d.root, "k")) ==
	    (size_t)(strstr(t, "\"k\"") - t) + 5,
	    "offsets unchanged by the big integers");
	test_cond(jsonx_double(&d, NULL, &x) == -1 &&
	    jsonx_double(&d, json_object_get(d.root, "s"), &x) == -1,
	    "no number: -1");
	jsonx_free(&d);
}

static void
test_writing(void)
{
	json_t	*o, *a, *in;
	char	*s;

	o = json_object();
	jsonx_set(o, "seed", jsonx_uint64_new(UINT64_MAX));
	jsonx_set(o, "small", jsonx_uint64_new(42));
	jsonx_set(o, "temp", jsonx_float(0.8f));
	jsonx_set(o, "p", jsonx_float(0.949999988f));
	jsonx_set(o, "one", jsonx_float(1.0f));
	jsonx_set(o, "gbs", jsonx_number("%.2f", 12.0));
	jsonx_set(o, "nan", jsonx_number("%g", 0.0 / 0.0));
	/* A string that looks like a placeholder stays a string. */
	jsonx_set(o, "text", jsonx_string("-9223372036854775808 \xff\x01"));
	jsonx_set(o, "min", json_integer(INT64_MIN));
	jsonx_set(o, "null", jsonx_string(NULL));
	a = json_array();
	jsonx_append(a, jsonx_uint64_new(9223372036854775808ULL));
	jsonx_append(a, jsonx_number("%d", -3));
	jsonx_set(o, "a", a);
	s = jsonx_dump(o, JSON_COMPACT);
	test_condf(strcmp(s, "{\"seed\":18446744073709551615,\"small\":42,"
	    "\"temp\":0.8,\"p\":0.95,\"one\":1,\"gbs\":12.00,\"nan\":null,"
	    "\"text\":\"-9223372036854775808 \xEF\xBF\xBD\\u0001\","
	    "\"min\":-9223372036854775808,\"null\":null,"
	    "\"a\":[9223372036854775808,-3]}") == 0,
	    "numbers as formatted, U+FFFD for a bad byte: %s", s);
	free(s);
	s = jsonx_dump(o, JSON_COMPACT);
	test_cond(strstr(s, "\"seed\":18446744073709551615,") != NULL,
	    "the tree is unchanged by a dump");
	free(s);

	/* What is written reads back. */
	{
		struct jsonx_doc	 d;
		uint64_t		 u;
		char			*cause = NULL;

		s = jsonx_dump(o, JSON_INDENT(2));
		test_cond(jsonx_parse(&d, s, strlen(s), &cause) == 0 &&
		    jsonx_uint64(&d, json_object_get(d.root, "seed"), &u) ==
		    0 && u == UINT64_MAX, "written, read back: 2^64-1");
		free(cause);
		jsonx_free(&d);
		free(s);
	}
	json_decref(o);

	a = json_array();
	in = json_object();
	jsonx_set(in, "id", json_integer(7));
	jsonx_set(in, "u", jsonx_uint64_new(UINT64_MAX));
	jsonx_append(a, in);
	jsonx_append(a, jsonx_string("x"));
	s = jsonx_dump_lines(a, 0);
	test_condf(strcmp(s, "[\n  {\"id\": 7, \"u\": 18446744073709551615},"
	    "\n  \"x\"\n]") == 0, "one element a line: %s", s);
	free(s);
	json_decref(a);
	a = json_array();
	jsonx_append(a, jsonx_string("del\x7f csi\xC2\x9b[2J ls\xE2\x80\xA8"
	    "ps\xE2\x80\xA9 nbsp\xC2\xA0 \xE2\x80\xA7 rlo\xE2\x80\xAE"
	    "fsi\xE2\x81\xA8 \xF0\x9F\x98\x80"));
	s = jsonx_dump(a, JSON_COMPACT);
	test_condf(strcmp(s, "[\"del\\u007F csi\\u009B[2J ls\\u2028ps\\u2029 "
	    "nbsp\xC2\xA0 \xE2\x80\xA7 rlo\\u202Efsi\\u2068 \xF0\x9F\x98\x80\"]")
	    == 0, "DEL, C1 controls, U+2028/9 and the bidi controls escaped, "
	    "their neighbours not: %s", s);
	free(s);
	json_decref(a);
	a = json_array();
	s = jsonx_dump_lines(a, 0);
	test_cond(strcmp(s, "[]") == 0, "no elements: []");
	free(s);
	json_decref(a);
}

int
main(void)
{
	setlocale(LC_ALL, "");
	test_errors();
	test_offsets();
	test_integers();
	test_writing();
	return test_report();
}
