/*
 * test-sse.c -- the Server-Sent Events parser and the OpenAI chunk
 * decoder (src/net/sse.c): real-looking streams of llama-server, vLLM
 * and Ollama give the same events however they are cut (at every byte
 * boundary, byte by byte), CR/LF line ends also when split across
 * feeds, comments, "data:" without the space, multi-line data, "[DONE]"
 * only as the whole payload, an oversize event refused, error objects,
 * bad JSON, untrusted UTF-8; then the fuzz corpus (tests/fuzz/corpus-sse
 * and, when present, found-sse and regress-sse) is replayed through
 * sse-touch.h with deterministic mutations.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "buf.h"
#include "fuzz/sse-touch.h"
#include "sse.h"
#include "xmalloc.h"

#define MUTATIONS	300	/* per seed file */

/* The events seen: each one's data, then '|'; stop after stop_at. */
struct seen {
	struct buf	 ev;
	int		 n;
	int		 stop_at;	/* 0 = never stop */
};

static int
on_event(const char *data, size_t len, void *arg)
{
	struct seen	*s = arg;

	s->n++;
	if (data[len] != '\0')
		buf_puts(&s->ev, "<not terminated>");
	buf_append(&s->ev, data, len);
	buf_putc(&s->ev, '|');
	return s->stop_at != 0 && s->n >= s->stop_at;
}

/*
 * Parse text[0..n) fed in pieces: cut at the offsets cuts[0..ncuts)
 * (ascending).  Returns the events as "a|b|" (caller frees) and the
 * final result (feed's, else finish's) in *rc.
 */
static char *
parse_cut(const char *text, size_t n, const size_t *cuts, size_t ncuts,
    size_t max, int *rc)
{
	struct seen	 s;
	struct sse	*p;
	size_t		 off = 0, i, end;
	int		 r = 0;

	memset(&s, 0, sizeof s);
	p = sse_new(max, on_event, &s);
	for (i = 0; i <= ncuts && r == 0; i++) {
		end = i < ncuts ? cuts[i] : n;
		r = sse_feed(p, text + off, end - off);
		off = end;
	}
	if (r == 0)
		r = sse_finish(p);
	sse_free(p);
	*rc = r;
	buf_putc(&s.ev, '\0');	/* a string even when empty */
	return buf_detach(&s.ev);
}

static char *
parse(const char *text, int *rc)
{
	return parse_cut(text, strlen(text), NULL, 0, 0, rc);
}

/* Every one- and two-cut split and byte by byte give want. */
static void
check_splits(const char *name, const char *text, const char *want)
{
	size_t	 n = strlen(text), i, j, cuts[2], *all;
	char	*got;
	int	 rc, bad1 = 0, bad2 = 0, badb = 0;

	got = parse(text, &rc);
	test_condf(strcmp(got, want) == 0 && rc == 0, "%s: whole stream "
	    "gives the expected events", name);
	if (strcmp(got, want) != 0)
		test_diag("got [%s]", got);
	free(got);
	for (i = 0; i <= n; i++) {
		cuts[0] = i;
		got = parse_cut(text, n, cuts, 1, 0, &rc);
		bad1 += strcmp(got, want) != 0 || rc != 0;
		free(got);
	}
	test_condf(bad1 == 0, "%s: cut at each of %zu byte boundaries, same "
	    "events", name, n + 1);
	/* Two cuts, every pair (streams here are short). */
	for (i = 0; i <= n && n <= 1200; i += 1 + n / 300) {
		for (j = i; j <= n; j++) {
			cuts[0] = i;
			cuts[1] = j;
			got = parse_cut(text, n, cuts, 2, 0, &rc);
			bad2 += strcmp(got, want) != 0 || rc != 0;
			free(got);
		}
	}
	test_condf(bad2 == 0, "%s: cut at two places, same events", name);
	all = xreallocarray(NULL, n + 1, sizeof *all);
	for (i = 0; i < n; i++)
		all[i] = i + 1;
	got = parse_cut(text, n, all, n, 0, &rc);
	badb = strcmp(got, want) != 0 || rc != 0;
	free(got);
	free(all);
	test_condf(badb == 0, "%s: one byte per feed, same events", name);
}

static const char llama_chat[] =
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":"
    "{\"role\":\"assistant\",\"content\":null}}],\"created\":1,\"id\":"
    "\"chatcmpl-x\",\"model\":\"meditron\",\"system_fingerprint\":"
    "\"b4000-1\",\"object\":\"chat.completion.chunk\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":"
    "{\"content\":\"Fever \\u00e9\"}}],\"model\":\"meditron\"}\n\n"
    "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,"
    "\"delta\":{}}],\"usage\":{\"completion_tokens\":2,"
    "\"prompt_tokens\":9,\"total_tokens\":11}}\n\n"
    "data: [DONE]\n\n";

static const char vllm_crlf[] =
    "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\","
    "\"choices\":[{\"index\":0,\"text\":\" a\",\"finish_reason\":null}]}"
    "\r\n\r\n"
    "data: {\"id\":\"cmpl-1\",\"choices\":[{\"index\":0,\"text\":\"b\","
    "\"finish_reason\":\"length\"}]}\r\n\r\n"
    "data: [DONE]\r\n\r\n";

static const char mixed[] =
    ": ping\n\n"
    "data:nospace\n\n"
    "data:  two spaces\r\r"
    ":data: a comment\n"
    "event: message\nid: 3\nretry: 100\ndata: line1\ndata: line2\n\n"
    "data\n\n"
    "data:\n\n"
    "event: only\n\n"
    "\n\n\n"
    "data: [DONE]\r\n\r\n";

static void
test_streams(void)
{
	const char	*want_llama, *want_vllm;

	want_llama =
	    "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":"
	    "{\"role\":\"assistant\",\"content\":null}}],\"created\":1,"
	    "\"id\":\"chatcmpl-x\",\"model\":\"meditron\","
	    "\"system_fingerprint\":\"b4000-1\",\"object\":"
	    "\"chat.completion.chunk\"}|"
	    "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":"
	    "{\"content\":\"Fever \\u00e9\"}}],\"model\":\"meditron\"}|"
	    "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,"
	    "\"delta\":{}}],\"usage\":{\"completion_tokens\":2,"
	    "\"prompt_tokens\":9,\"total_tokens\":11}}|[DONE]|";
	check_splits("llama-server chat", llama_chat, want_llama);
	want_vllm =
	    "{\"id\":\"cmpl-1\",\"object\":\"text_completion\","
	    "\"choices\":[{\"index\":0,\"text\":\" a\",\"finish_reason\":"
	    "null}]}|"
	    "{\"id\":\"cmpl-1\",\"choices\":[{\"index\":0,\"text\":\"b\","
	    "\"finish_reason\":\"length\"}]}|[DONE]|";
	check_splits("vLLM completions, CRLF", vllm_crlf, want_vllm);
	check_splits("comments, no space, CR, multi-line, empty data", mixed,
	    "nospace| two spaces|line1\nline2|||[DONE]|");
}

static void
test_line_ends(void)
{
	const char	*crlf = "data: a\r\ndata: b\r\n\r\n";
	size_t	 cuts[3];
	char	*got;
	int	 rc;

	/* CR | LF across two feeds is one line end, not an empty line. */
	cuts[0] = 8;
	got = parse_cut(crlf, strlen(crlf), cuts, 1, 0, &rc);
	test_cond(strcmp(got, "a\nb|") == 0, "CRLF split after the CR: one "
	    "line end (the event keeps both lines)");
	free(got);
	/* The same with the blank line's CRLF split too. */
	cuts[0] = 8;
	cuts[1] = 17;
	cuts[2] = 19;
	got = parse_cut(crlf, strlen(crlf), cuts, 3, 0, &rc);
	test_cond(strcmp(got, "a\nb|") == 0, "every CRLF split: same event");
	free(got);
	got = parse("data: a\r\rdata: b\r\r", &rc);
	test_cond(strcmp(got, "a|b|") == 0, "CR alone ends lines");
	free(got);
	got = parse("data: a\n\r\ndata: b\r\n\n", &rc);
	test_cond(strcmp(got, "a|b|") == 0, "LF then CRLF: an empty line");
	free(got);
	got = parse("\xEF\xBB\xBF" "data: bom\n\n", &rc);
	test_cond(strcmp(got, "bom|") == 0, "a leading byte order mark is "
	    "skipped");
	free(got);
	got = parse("data: x\n\n\xEF\xBB\xBF" "data: y\n\n", &rc);
	test_cond(strcmp(got, "x|") == 0, "a BOM later is part of a field "
	    "name (not data)");
	free(got);
}

static void
test_finish_limits(void)
{
	struct seen	 s;
	struct sse	*p;
	char		 big[200];
	char		*got;
	int		 rc, r1, r2;

	got = parse("data: [DONE]\n", &rc);
	test_cond(strcmp(got, "[DONE]|") == 0 && rc == 0, "finish reports "
	    "an event that lacked its empty line");
	free(got);
	got = parse("data: a\n\ndata: tail", &rc);
	test_cond(strcmp(got, "a|tail|") == 0, "finish reports a last line "
	    "without its line end");
	free(got);
	got = parse(": only a comment", &rc);
	test_cond(strcmp(got, "") == 0 && rc == 0, "a comment is never an "
	    "event");
	free(got);

	/* Limits: 16 bytes of data per event. */
	got = parse_cut("data: 0123456789abcdef\n\n", 24, NULL, 0, 16, &rc);
	test_cond(strcmp(got, "0123456789abcdef|") == 0 && rc == 0,
	    "an event of exactly max_event bytes passes");
	free(got);
	got = parse_cut("data: 0123456789abcdefg\n\n", 25, NULL, 0, 16, &rc);
	test_cond(strcmp(got, "") == 0 && rc == -1, "an event one byte "
	    "over max_event is refused");
	free(got);
	got = parse_cut("data: 01234567\ndata: 89abcdef\n\n", 31, NULL, 0,
	    16, &rc);
	test_cond(rc == -1, "two data lines joined over max_event are "
	    "refused (the joining newline counts)");
	free(got);
	memset(big, 'x', sizeof big);
	memcpy(big, "data: ", 6);
	got = parse_cut(big, sizeof big, NULL, 0, 16, &rc);
	test_cond(rc == -1, "a line without end longer than max_event is "
	    "refused before it ends");
	free(got);
	big[0] = ':';
	big[sizeof big - 1] = '\n';
	got = parse_cut(big, sizeof big, NULL, 0, 16, &rc);
	test_cond(rc == 0 && strcmp(got, "") == 0, "a long comment line "
	    "costs nothing and is not refused");
	free(got);

	memset(&s, 0, sizeof s);
	p = sse_new(16, on_event, &s);
	r1 = sse_feed(p, "data: 0123456789abcdefgh\n\n", 26);
	r2 = sse_feed(p, "data: ok\n\n", 10);
	test_cond(r1 == -1 && r2 == -1 && sse_finish(p) == -1 && s.n == 0,
	    "refused stays refused");
	sse_free(p);
	buf_free(&s.ev);

	memset(&s, 0, sizeof s);
	s.stop_at = 1;
	p = sse_new(0, on_event, &s);
	r1 = sse_feed(p, "data: a\n\ndata: b\n\n", 18);
	r2 = sse_feed(p, "data: c\n\n", 9);
	test_cond(r1 == 1 && r2 == 1 && s.n == 1, "the callback stops the "
	    "parser (1, and no further events)");
	sse_free(p);
	buf_free(&s.ev);
}

static int
chunk_is(const char *json, enum oai_kind kind, const char *text,
    const char *finish)
{
	struct oai_chunk	c;
	int			ok;

	oai_parse(json, strlen(json), &c);
	ok = c.kind == kind &&
	    ((text == NULL && c.text == NULL) || (text != NULL &&
	    c.text != NULL && strcmp(text, c.text) == 0)) &&
	    ((finish == NULL && c.finish == NULL) || (finish != NULL &&
	    c.finish != NULL && strcmp(finish, c.finish) == 0));
	if (!ok)
		test_diag("kind %d text [%s] finish [%s] message [%s]",
		    (int)c.kind, c.text ? c.text : "(null)",
		    c.finish ? c.finish : "(null)",
		    c.message ? c.message : "(null)");
	oai_chunk_free(&c);
	return ok;
}

static int
message_is(const char *json, size_t len, enum oai_kind kind,
    const char *prefix)
{
	struct oai_chunk	c;
	int			ok;

	oai_parse(json, len, &c);
	ok = c.kind == kind && c.message != NULL &&
	    strncmp(c.message, prefix, strlen(prefix)) == 0 &&
	    strchr(c.message, '\n') == NULL && c.text == NULL;
	if (!ok)
		test_diag("kind %d message [%s]", (int)c.kind,
		    c.message ? c.message : "(null)");
	oai_chunk_free(&c);
	return ok;
}

static void
test_oai(void)
{
	struct oai_chunk	 c;
	struct buf		 b = BUF_INIT;
	const char		*j;
	int			 i;

	test_cond(chunk_is("[DONE]", OAI_DONE, NULL, NULL),
	    "[DONE] as the whole payload ends the stream");
	test_cond(message_is(" [DONE]", 7, OAI_BAD, "bad JSON") &&
	    message_is("[DONE] ", 7, OAI_BAD, "bad JSON"),
	    "[DONE] with anything around it is not the end");
	test_cond(message_is("\"[DONE]\"", 8, OAI_BAD, "a chunk that is "
	    "not a JSON object"), "[DONE] as a JSON string is not the end");
	test_cond(chunk_is("{\"choices\":[{\"delta\":{\"content\":"
	    "\"[DONE]\"}}]}", OAI_CHUNK, "[DONE]", NULL),
	    "an answer holding the text [DONE] is text");
	test_cond(chunk_is("{\"choices\":[{\"delta\":{\"content\":\"hi\"},"
	    "\"finish_reason\":null}]}", OAI_CHUNK, "hi", NULL),
	    "chat delta.content, finish_reason null");
	test_cond(chunk_is("{\"choices\":[{\"text\":\" there\","
	    "\"finish_reason\":\"length\"}]}", OAI_CHUNK, " there", "length"),
	    "completions text and finish_reason");
	test_cond(chunk_is("{\"choices\":[{\"delta\":{\"role\":"
	    "\"assistant\"}}]}", OAI_CHUNK, NULL, NULL),
	    "a role-only delta has no text, missing finish_reason is NULL");
	test_cond(chunk_is("{\"choices\":[{\"delta\":{\"content\":null},"
	    "\"text\":\"t\"}]}", OAI_CHUNK, "t", NULL),
	    "content null falls back to text");
	test_cond(chunk_is("{\"choices\":[]}", OAI_CHUNK, NULL, NULL) &&
	    chunk_is("{}", OAI_CHUNK, NULL, NULL),
	    "empty choices and an empty object are chunks without text");

	j = "{\"model\":\"m1\",\"system_fingerprint\":\"fp_1\",\"choices\":[],"
	    "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,"
	    "\"total_tokens\":46}}";
	oai_parse(j, strlen(j), &c);
	test_cond(c.kind == OAI_CHUNK && c.model != NULL &&
	    strcmp(c.model, "m1") == 0 && c.fingerprint != NULL &&
	    strcmp(c.fingerprint, "fp_1") == 0 && c.n_prompt == 12 &&
	    c.n_gen == 34, "model, system_fingerprint and usage");
	oai_chunk_free(&c);
	j = "{\"timings\":{\"prompt_per_second\":812.5,"
	    "\"predicted_per_second\":31.25},\"choices\":[]}";
	oai_parse(j, strlen(j), &c);
	test_cond(c.kind == OAI_CHUNK && c.prefill_tps == 812.5 &&
	    c.decode_tps == 31.25, "llama-server's timings");
	oai_chunk_free(&c);
	j = "{\"timings\":{\"prompt_per_second\":-1,"
	    "\"predicted_per_second\":\"fast\"}}";
	oai_parse(j, strlen(j), &c);
	test_cond(c.prefill_tps == 0 && c.decode_tps == 0, "timings that "
	    "are not positive numbers are unknown (0)");
	oai_chunk_free(&c);
	j = "{\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":"
	    "99999999999}}";
	oai_parse(j, strlen(j), &c);
	test_cond(c.n_prompt == -1 && c.n_gen == -1, "usage out of range "
	    "is unknown (-1)");
	oai_chunk_free(&c);
	j = "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}";
	oai_parse(j, strlen(j), &c);
	test_cond(c.n_prompt == -1 && c.n_gen == -1 && c.model == NULL &&
	    c.fingerprint == NULL, "no usage: -1, no model: NULL");
	oai_chunk_free(&c);

	/* Errors. */
	j = "{\"error\":{\"code\":500,\"message\":\"slot crashed\\nrestart\","
	    "\"type\":\"server_error\"}}";
	test_cond(message_is(j, strlen(j), OAI_ERROR, "slot crashed restart"),
	    "an error object: its message, made one line");
	j = "{\"object\":\"error\",\"message\":\"engine dead\",\"code\":500}";
	test_cond(message_is(j, strlen(j), OAI_ERROR, "engine dead"),
	    "vLLM's error shape");
	j = "{\"error\":\"\\u001b[2Jplain\"}";
	test_cond(message_is(j, strlen(j), OAI_ERROR, "?[2Jplain"),
	    "an error string, control characters shown as ?");
	j = "{\"error\":{\"code\":1}}";
	test_cond(message_is(j, strlen(j), OAI_ERROR, "the server reported"),
	    "an error without a message still says so");
	test_cond(chunk_is("{\"error\":null,\"choices\":[{\"text\":\"ok\"}]}",
	    OAI_CHUNK, "ok", NULL), "\"error\": null is no error");
	buf_puts(&b, "{\"error\":{\"message\":\"");
	for (i = 0; i < 500; i++)
		buf_puts(&b, "\\u00e9");
	buf_puts(&b, "\"}}");
	oai_parse(b.data, b.len, &c);
	test_cond(c.kind == OAI_ERROR && c.message != NULL &&
	    strlen(c.message) <= 303 && utf8_valid(c.message,
	    strlen(c.message)) && strcmp(c.message + strlen(c.message) - 3,
	    "...") == 0, "a long message is cut at a character boundary");
	oai_chunk_free(&c);
	buf_free(&b);

	/* Bad chunks. */
	test_cond(message_is("{not json", 9, OAI_BAD, "bad JSON at byte"),
	    "bad JSON names the byte");
	test_cond(message_is("[1,2]", 5, OAI_BAD, "a chunk that is not"),
	    "an array is not a chunk");
	test_cond(message_is("", 0, OAI_BAD, "bad JSON"), "empty data is "
	    "bad JSON");
	j = "{\"choices\":{\"x\":1}}";
	test_cond(message_is(j, strlen(j), OAI_BAD, "\"choices\" is not"),
	    "choices not an array");
	j = "{\"choices\":[{\"delta\":{\"content\":7}}]}";
	test_cond(message_is(j, strlen(j), OAI_BAD, "choices[0].delta."
	    "content is not"), "content not a string");
	j = "{\"choices\":[{\"finish_reason\":1}]}";
	test_cond(message_is(j, strlen(j), OAI_BAD, "choices[0]."
	    "finish_reason"), "finish_reason not a string");
	j = "{\"choices\":[3]}";
	test_cond(message_is(j, strlen(j), OAI_BAD, "choices[0] is not"),
	    "choice not an object");

	/* Untrusted text. */
	j = "{\"choices\":[{\"text\":\"a\xff" "b\xe2\x82" "c\"}]}";
	test_cond(chunk_is(j, OAI_CHUNK, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD"
	    "\xEF\xBF\xBD" "c", NULL), "raw invalid bytes become U+FFFD, "
	    "the chunk is kept");
	test_cond(chunk_is("{\"choices\":[{\"text\":\"x\\ud800y\\udc00z\"}]}",
	    OAI_CHUNK, "x\xEF\xBF\xBDy\xEF\xBF\xBDz", NULL), "lone surrogate "
	    "escapes become U+FFFD");
	test_cond(chunk_is("{\"choices\":[{\"text\":\"\\ud83d\\ude00\"}]}",
	    OAI_CHUNK, "\xF0\x9F\x98\x80", NULL), "a surrogate pair is one "
	    "character");
	test_cond(chunk_is("{\"choices\":[{\"text\":\"\\\\ud800\"}]}",
	    OAI_CHUNK, "\\ud800", NULL), "an escaped backslash before "
	    "\"ud800\" is text, left alone");
	test_cond(chunk_is("{\"choices\":[{\"text\":\"a\\u0000b\"}]}",
	    OAI_CHUNK, "a\xEF\xBF\xBD" "b", NULL), "NUL becomes U+FFFD");
}

/* ---- corpus replay (after test-fuzz-replay.c) ---------------------- */

static uint64_t	rng = 0x2545f4914f6cdd1dULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A mutated copy of b[0..n) into m (room for n + 64); its length. */
static size_t
mutate(uint8_t *m, const uint8_t *b, size_t n)
{
	static const char	*ins[] = { "\r", "\n", "\r\n", ":", "data:",
				    "\n\n", "\"", "\\u", "\xff", "[DONE]",
				    "{", "}", "\\ud800", "\xe2\x82" };
	const char		*s;
	size_t			 i, pos, l;

	memcpy(m, b, n);
	switch (next() % 4) {
	case 0:		/* truncate */
		return n > 0 ? (size_t)(next() % n) : 0;
	case 1:		/* flip a few bytes */
		for (i = 0; i < 1 + next() % 4 && n > 0; i++)
			m[next() % n] ^= (uint8_t)(1 + next() % 255);
		return n;
	default:	/* insert a token that matters to the parsers */
		s = ins[next() % (sizeof ins / sizeof ins[0])];
		l = strlen(s);
		pos = n > 0 ? (size_t)(next() % (n + 1)) : 0;
		memmove(m + pos + l, m + pos, n - pos);
		memcpy(m + pos, s, l);
		return n + l;
	}
}

static int
replay_dir(const char *dir, int mutations, int *bad)
{
	struct dirent	**ents;
	char		  path[8192];
	uint8_t		 *b, *m;
	size_t		  n, mn;
	int		  k, j, i, r, files = 0, nbad;

	if ((k = scandir(dir, &ents, NULL, alphasort)) < 0)
		return -1;
	for (j = 0; j < k; j++) {
		if (ents[j]->d_name[0] == '.' ||
		    strcmp(ents[j]->d_name, "README") == 0) {
			free(ents[j]);
			continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, ents[j]->d_name);
		if ((b = (uint8_t *)test_slurp(path, &n)) == NULL) {
			free(ents[j]);
			continue;
		}
		files++;
		r = sse_touch(b, n);
		if (r < 0) {
			(*bad)++;
			test_diag("%s: split parse differs or a chunk breaks "
			    "its contract", path);
		}
		nbad = 0;
		m = xmalloc(n + 64);
		for (i = 0; i < mutations; i++) {
			mn = mutate(m, b, n);
			nbad += sse_touch(m, mn) < 0;
		}
		free(m);
		if (nbad > 0)
			test_diag("%s: %d of %d mutations break a contract",
			    path, nbad, mutations);
		*bad += nbad;
		free(b);
		free(ents[j]);
	}
	free(ents);
	return files;
}

static void
test_corpus(void)
{
	const char	*src = getenv("top_srcdir");
	char		 dir[4096];
	int		 n, bad = 0;

	if (src == NULL || *src == '\0')
		src = ".";
	snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus-sse", src);
	n = replay_dir(dir, MUTATIONS, &bad);
	test_condf(n >= 5 && bad == 0, "seed corpus replayed (%d files, %d "
	    "mutations each, split and whole parses agree): %d failures", n,
	    MUTATIONS, bad);
	bad = 0;
	snprintf(dir, sizeof dir, "%s/tests/fuzz/found-sse", src);
	if ((n = replay_dir(dir, 10, &bad)) >= 0)
		test_condf(bad == 0, "fuzzer-found corpus replayed (%d files): "
		    "%d failures", n, bad);
	bad = 0;
	snprintf(dir, sizeof dir, "%s/tests/fuzz/regress-sse", src);
	if ((n = replay_dir(dir, 0, &bad)) >= 0)
		test_condf(bad == 0, "regression inputs replayed (%d files): "
		    "%d failures", n, bad);
}

int
main(void)
{
	test_streams();
	test_line_ends();
	test_finish_limits();
	test_oai();
	test_corpus();
	return test_report();
}
