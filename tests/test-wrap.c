/*
 * test-wrap.c -- word wrapping (ui/wrap.c) and the conversation model
 * (src/app/chat.c): line breaks, UTF-8 boundaries, double-width characters,
 * combining marks, invalid bytes, cursor location; checked against a
 * naive model where the rules allow; message generations unique.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "chat.h"
#include "utf8.h"
#include "wrap.h"

/* Wrapping cases: the text at a width, its lines joined with '|'. */
static const struct wrap_case {
	const char	*text;
	int		 width;
	const char	*want;
	const char	*name;
} wrap_cases[] = {
	{ "hello world", 20, "hello world", "short line unchanged" },
	{ "hello world", 5, "hello |world", "break after the space" },
	{ "hello wonderful world", 11, "hello |wonderful |world",
	  "break at the last space that fits" },
	{ "abcdefghij", 4, "abcd|efgh|ij", "long word is split" },
	{ "a\nb\n\nc", 10, "a|b||c", "newlines end lines" },
	{ "", 10, "", "empty text" },
	{ "a\tb\tc", 3, "a\tb|\tc", "a tab is one column" },
	{ "trailing\n", 10, "trailing|", "final newline, empty line" },
	/* Double width: 中 is 2 columns and never split over the edge. */
	{ "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad", 5,
	  "\xe4\xb8\xad\xe4\xb8\xad|\xe4\xb8\xad",
	  "double-width characters wrap whole" },
	{ "a\xe4\xb8\xad\xe4\xb8\xad", 4, "a\xe4\xb8\xad|\xe4\xb8\xad",
	  "wide character moves to the next line at the edge" },
	/* Combining acute stays with its e. */
	{ "abce\xcc\x81" "f", 4, "abce\xcc\x81|f",
	  "combining mark stays with its base" },
	/* Invalid bytes are one column each and never lost. */
	{ "ab\xff\xfe" "cd", 3, "ab\xff|\xfe" "cd",
	  "invalid bytes take one column" },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xc3\xa9|\xc3\xa9",
	  "never inside a UTF-8 sequence" },
};

/* Cursor cases: byte offset off of text wrapped at width is (row, col). */
static const struct locate_case {
	const char	*text;
	int		 width;
	size_t		 off;
	size_t		 row;
	int		 col;
	const char	*name;
} locate_cases[] = {
	{ "hello world", 5, 0, 0, 0, "locate start" },
	{ "hello world", 5, 6, 1, 0, "locate at soft break: next line" },
	{ "hello world", 5, 11, 1, 5, "locate end" },
	{ "a\tb", 10, 2, 0, 2, "locate after a tab" },
	{ "\xe4\xb8\xad" "x", 10, 3, 0, 2, "locate after a wide character" },
};

/* The lines of s at width joined with '|' into out. */
static void
lines(const char *s, int width, char *out, size_t len)
{
	struct wrap	wr = WRAP_INIT;
	size_t		i, o = 0;

	wrap_text(&wr, s, strlen(s), width);
	out[0] = '\0';
	for (i = 0; i < wr.n; i++) {
		o += (size_t)snprintf(out + o, len - o, "%s%.*s",
		    i > 0 ? "|" : "", (int)wr.lines[i].len,
		    s + wr.lines[i].off);
	}
	wrap_free(&wr);
}

/* Every line fits and the lines cover the text in order. */
static int
invariants(const char *s, int width)
{
	struct wrap	wr = WRAP_INIT;
	size_t		i, pos = 0, n = strlen(s), len, st;
	uint32_t	cp;
	int		ok = 1, w;

	wrap_text(&wr, s, n, width);
	for (i = 0; i < wr.n; i++) {
		if (wr.lines[i].off < pos)
			ok = 0;
		/* only '\n' or nothing between lines */
		if (wr.lines[i].off > pos &&
		    !(wr.lines[i].off == pos + 1 && s[pos] == '\n'))
			ok = 0;
		pos = wr.lines[i].off + wr.lines[i].len;
		w = (int)utf8_width(s + wr.lines[i].off, wr.lines[i].len);
		/*
		 * Trailing spaces (and marks combining with them) may
		 * overhang; the rest must fit.
		 */
		len = wr.lines[i].len;
		while (w > width && len > 0) {
			for (st = len - 1; st > 0 &&
			    (s[wr.lines[i].off + st] & 0xC0) == 0x80; st--)
				continue;
			if (utf8_decode(s + wr.lines[i].off + st, len - st,
			    &cp) < 0 || (cp != ' ' && utf8_cpwidth(cp) != 0))
				break;
			len = st;
			w = (int)utf8_width(s + wr.lines[i].off, len);
		}
		if (w > width && w > 2)
			ok = 0;
		if (!utf8_valid(s + wr.lines[i].off, wr.lines[i].len) &&
		    utf8_valid(s, n))
			ok = 0;
	}
	if (pos != n)
		ok = 0;
	wrap_free(&wr);
	return ok;
}

int
main(void)
{
	char		 out[1024], s[512];
	struct wrap	 wr = WRAP_INIT;
	struct chat	*c, *c2;
	size_t		 row, i, k;
	unsigned	 g1;
	int		 col, n, *roles;
	const char	**texts;
	long		*idx;
	unsigned	 seed = 1;
	const char	*pieces[] = { "a", "bb", " ", "  ", "\n", "\xc3\xa9",
	    "\xe4\xb8\xad", "word", "\xcc\x81", "\xff", "longerword" };

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
	    setlocale(LC_CTYPE, "en_US.UTF-8") == NULL)
		test_diag("no UTF-8 locale: wide-character tests use C rules");

	for (i = 0; i < sizeof wrap_cases / sizeof wrap_cases[0]; i++) {
		lines(wrap_cases[i].text, wrap_cases[i].width, out,
		    sizeof out);
		test_cond(strcmp(out, wrap_cases[i].want) == 0,
		    wrap_cases[i].name);
	}
	wrap_text(&wr, "", 0, 10);
	test_cond(wr.n == 1, "empty text gives one line");
	wrap_clear(&wr);

	for (i = 0; i < sizeof locate_cases / sizeof locate_cases[0]; i++) {
		wrap_text(&wr, locate_cases[i].text,
		    strlen(locate_cases[i].text), locate_cases[i].width);
		wrap_locate(&wr, locate_cases[i].off, locate_cases[i].text,
		    &row, &col);
		test_cond(row == locate_cases[i].row &&
		    col == locate_cases[i].col, locate_cases[i].name);
		wrap_free(&wr);
	}

	/* Random texts keep the invariants at many widths. */
	for (i = 0; i < 300; i++) {
		s[0] = '\0';
		for (k = 0; k < 20; k++) {
			seed = seed * 1103515245 + 12345;
			strcat(s, pieces[(seed >> 16) %
			    (sizeof pieces / sizeof pieces[0])]);
		}
		if (!invariants(s, 1 + (int)(i % 17))) {
			test_condf(0, "random text %zu keeps the invariants",
			    i);
			break;
		}
	}
	if (i == 300)
		test_cond(1, "300 random texts keep the wrapping invariants");

	/* The conversation model. */
	c = chat_create();
	chat_set_system(c, "be brief");
	k = chat_add(c, CHAT_USER, "q1");
	chat_add(c, CHAT_ASSISTANT, "a1");
	chat_add(c, CHAT_NOTICE, "local note");
	chat_add(c, CHAT_USER, "q2");
	i = chat_add(c, CHAT_ASSISTANT, "");
	chat_append(c, i, "par", 3);
	chat_append(c, i, "tial", 4);
	test_cond(strcmp(buf_str(&c->msgs[i].text), "partial") == 0,
	    "streamed pieces are appended");
	chat_supersede(c, k);
	n = chat_context(c, &roles, &texts, &idx);
	test_cond(n == 4 && roles[0] == CHAT_SYSTEM && idx[0] == -1 &&
	    strcmp(texts[1], "a1") == 0 && strcmp(texts[3], "partial") == 0,
	    "context skips notices and superseded messages");
	free(roles);
	free(texts);
	free(idx);
	test_cond(chat_last(c, CHAT_USER) == 3, "last user message");
	g1 = c->msgs[i].gen;
	chat_set_error(c, i, "gpu1:8000 closed\nthe connection\r\tnow");
	test_cond(c->msgs[i].error != NULL && strcmp(c->msgs[i].error,
	    "gpu1:8000 closed the connection  now") == 0 &&
	    c->msgs[i].gen != g1, "an answer's cause is kept as one line");
	chat_set_error(c, i, NULL);
	test_cond(c->msgs[i].error == NULL, "and can be cleared");
	chat_set_error(c, i, "kept until the chat is cleared");
	chat_set_error(c, c->n + 5, "ignored");
	chat_set_status(c, 3, CHAT_FAILED);
	n = chat_context(c, &roles, &texts, &idx);
	test_cond(n == 3, "failed messages are not sent");
	free(roles);
	free(texts);
	free(idx);
	k = chat_add(c, CHAT_USER, "locked out");
	chat_set_status(c, k, CHAT_SAVING);
	n = chat_context(c, &roles, &texts, &idx);
	test_cond(n == 3, "a question waiting to be saved is not sent");
	free(roles);
	free(texts);
	free(idx);
	chat_set_status(c, k, CHAT_UNSAVED);
	n = chat_context(c, &roles, &texts, &idx);
	test_cond(n == 3, "a question that was not saved is not sent");
	free(roles);
	free(texts);
	free(idx);
	chat_clear(c);
	test_cond(c->n == 0 && strcmp(c->system, "be brief") == 0,
	    "clear keeps the system message");
	/*
	 * A message's generation tells it apart from any other message
	 * (views cache renderings by it): after a clear, in another chat.
	 */
	chat_add(c, CHAT_USER, "hi");
	g1 = c->msgs[0].gen;
	chat_clear(c);
	chat_add(c, CHAT_USER, "yo");
	c2 = chat_create();
	chat_add(c2, CHAT_USER, "hi");
	test_cond(c->msgs[0].gen != g1 && c2->msgs[0].gen != g1 &&
	    c2->msgs[0].gen != c->msgs[0].gen,
	    "message generations are unique across clears and chats");
	g1 = c->msgs[0].gen;
	chat_append(c, 0, "!", 1);
	test_cond(c->msgs[0].gen != g1, "a change gives a new generation");
	chat_free(c2);
	chat_free(c);
	return test_report();
}
