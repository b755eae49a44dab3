/* test-utf8.c -- UTF-8 decode/validate/width/sanitize edge cases. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "testhelp.h"
#include "utf8.h"

/* utf8_safe(s, strlen(s), flags) == want */
static int
safe_is(const char *s, int flags, const char *want)
{
	struct buf	b = BUF_INIT;
	int		ok;

	utf8_safe(&b, s, strlen(s), flags);
	ok = strcmp(buf_str(&b), want) == 0;
	if (!ok)
		test_diag("utf8_safe: got '%s'", buf_str(&b));
	buf_free(&b);
	return ok;
}

/* Every class utf8_safe() keeps off the terminal, in each style. */
static void
test_safe(void)
{
	const int	q = UTF8_SAFE_QMARK, c = UTF8_SAFE_CARET;
	const int	e = UTF8_SAFE_ESCAPE;

	/* C0 controls (newline and tab per caller) */
	test_cond(safe_is("a\x1b[1m\x01" "b", q, "a?[1m?b"), "safe: C0 as '?'");
	test_cond(safe_is("a\x1b[1m\x01" "b", c, "a^[[1m^Ab"), "safe: C0 in caret notation");
	test_cond(safe_is("a\x1b\x01\r", e, "a\\x1b\\x01\\r"), "safe: C0 as C escapes");
	test_cond(safe_is("a\nb\tc", q, "a?b?c"), "safe: newline and tab unsafe by default");
	test_cond(safe_is("a\nb\tc", c | UTF8_SAFE_KEEP_NL, "a\nb\tc"), "safe: KEEP_NL keeps newline and tab");
	test_cond(safe_is("a\nb\tc", c | UTF8_SAFE_NL_SPACE, "a b c"), "safe: NL_SPACE makes them spaces");
	test_cond(safe_is("a\nb\tc", e | UTF8_SAFE_KEEP_NL, "a\\nb\\tc"), "safe: ESCAPE always escapes newline and tab");
	/* DEL */
	test_cond(safe_is("a\x7f", q, "a?") && safe_is("a\x7f", c, "a^?") &&
	    safe_is("a\x7f", e, "a\\x7f"), "safe: DEL in each style");
	/* C1 controls, as valid UTF-8 (one character) and as raw bytes */
	test_cond(safe_is("a\xc2\x9b" "1m", q, "a?1m"), "safe: UTF-8 C1 (CSI) as one '?'");
	test_cond(safe_is("a\xc2\x85\xc2\x80", c, "a\xEF\xBF\xBD\xEF\xBF\xBD"), "safe: UTF-8 C1 as U+FFFD in caret style");
	test_cond(safe_is("a\xc2\x9b", e, "a\\xc2\\x9b"), "safe: UTF-8 C1 as \\x escapes of its bytes");
	test_cond(safe_is("a\x9b" "1m", q, "a?1m") && safe_is("\x9b", c, "\xEF\xBF\xBD") &&
	    safe_is("\x9b", e, "\\x9b"), "safe: raw C1 byte in each style");
	/* invalid UTF-8: one replacement per byte */
	test_cond(safe_is("\xff\xc3(\xe2\x82", q, "??(??"), "safe: invalid bytes as '?' each");
	test_cond(safe_is("\xc0\xaf", c, "\xEF\xBF\xBD\xEF\xBF\xBD"), "safe: overlong form as U+FFFD per byte");
	test_cond(safe_is("\xed\xa0\x80", e, "\\xed\\xa0\\x80"), "safe: surrogate as \\x escapes");
	/* bidirectional overrides and isolates, line separators */
	test_cond(safe_is("x\xe2\x80\xaey", q, "x?y") && safe_is("x\xe2\x80\xaay", q, "x?y"),
	    "safe: bidi override U+202E and embedding U+202A as '?'");
	test_cond(safe_is("x\xe2\x81\xa6y\xe2\x81\xa9", c, "x\xEF\xBF\xBDy\xEF\xBF\xBD"),
	    "safe: bidi isolates U+2066 and U+2069 as U+FFFD");
	test_cond(safe_is("\xe2\x80\xad", e, "\\xe2\\x80\\xad"), "safe: bidi U+202D as \\x escapes");
	test_cond(safe_is("\xe2\x80\xa8\xe2\x80\xa9", q, "??"), "safe: U+2028 and U+2029 as '?'");
	test_cond(safe_is("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", c,
	    "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
	    "safe: the neighbours of the bidi ranges pass");
	/* what passes, and quoting */
	test_cond(safe_is("caf\xc3\xa9 \xe4\xb8\xad \xc2\xa0!", q, "caf\xc3\xa9 \xe4\xb8\xad \xc2\xa0!") &&
	    safe_is("caf\xc3\xa9 \xc2\xa0", e, "caf\xc3\xa9 \xc2\xa0"), "safe: printable UTF-8 passes");
	test_cond(safe_is("a\\\"b", e, "a\\\"b"), "safe: ESCAPE leaves backslash and quote");
	test_cond(safe_is("a\\\"b", e | UTF8_SAFE_QUOTED, "a\\\\\\\"b"), "safe: QUOTED escapes backslash and quote");
	test_cond(safe_is("", c, ""), "safe: empty string");
}

/*
 * Text that arrives in pieces (a model's answer streamed to a terminal):
 * the partial flag holds an unfinished character back, and the shown
 * text is the same wherever the cuts fall, escape sequences included.
 */
static void
test_safe_partial(void)
{
	static const char	 text[] = "dose 5 mg\r\x1b[K\x1b]0;t\x07"
				    "caf\xc3\xa9 \xe2\x80\xae\xf0\x9f\x98\x80"
				    "\xc2\x9b" "2J\xff!";
	struct buf		 whole = BUF_INIT, b = BUF_INIT;
	const int		 f = UTF8_SAFE_CARET | UTF8_SAFE_KEEP_NL;
	char			 carry[64];
	size_t			 n = sizeof text - 1, cut, cut2, used, k;
	int			 same = 1;

	test_cond(utf8_safe(&whole, text, n, f) == n,
	    "partial: without the flag everything is consumed");
	buf_clear(&b);
	test_cond(utf8_safe(&b, "ab\xe2\x80", 4, f | UTF8_SAFE_PARTIAL) == 2 &&
	    strcmp(buf_str(&b), "ab") == 0,
	    "partial: an unfinished character is left for the next piece");
	buf_clear(&b);
	test_cond(utf8_safe(&b, "ab\xff", 3, f | UTF8_SAFE_PARTIAL) == 3,
	    "partial: a byte that can start nothing is not held");
	/* Every way of cutting the text in three pieces shows the same. */
	for (cut = 0; cut <= n && same; cut++) {
		for (cut2 = cut; cut2 <= n && same; cut2++) {
			buf_clear(&b);
			used = utf8_safe(&b, text, cut, f | UTF8_SAFE_PARTIAL);
			k = cut - used;
			memcpy(carry, text + used, k);
			memcpy(carry + k, text + cut, cut2 - cut);
			used = utf8_safe(&b, carry, k + cut2 - cut,
			    f | UTF8_SAFE_PARTIAL);
			k = k + cut2 - cut - used;
			memmove(carry, carry + used, k);
			memcpy(carry + k, text + cut2, n - cut2);
			utf8_safe(&b, carry, k + n - cut2, f);
			same = b.len == whole.len &&
			    memcmp(b.data, whole.data, b.len) == 0;
		}
	}
	test_cond(same, "partial: any cut into three pieces shows as the "
	    "whole text");
	test_cond(strchr(buf_str(&whole), '\x1b') == NULL &&
	    strchr(buf_str(&whole), '\r') == NULL &&
	    strchr(buf_str(&whole), '\x07') == NULL &&
	    strstr(buf_str(&whole), "\xe2\x80\xae") == NULL &&
	    strstr(buf_str(&whole), "\xc2\x9b") == NULL,
	    "partial: no control reaches the output");
	buf_free(&whole);
	buf_free(&b);
	test_cond(utf8_cp_safe('a') && utf8_cp_safe(0xE9) &&
	    utf8_cp_safe(0x1F600) && !utf8_cp_safe('\n') &&
	    !utf8_cp_safe(0x1B) && !utf8_cp_safe(0x7F) &&
	    !utf8_cp_safe(0x85) && !utf8_cp_safe(0x9B) &&
	    !utf8_cp_safe(0x202E) && !utf8_cp_safe(0x2066) &&
	    !utf8_cp_safe(0x2028) && utf8_cp_safe(0xA0),
	    "utf8_cp_safe: the same classes as utf8_safe");
}

int
main(void)
{
	uint32_t	 cp;
	size_t		 n;
	char		*s, enc[4];

	setlocale(LC_ALL, "C.UTF-8");
	test_safe_partial();
	test_cond(utf8_decode("A", 1, &cp) == 1 && cp == 'A', "ascii");
	test_cond(utf8_decode("\xC3\xA9", 2, &cp) == 2 && cp == 0xE9, "2-byte");
	test_cond(utf8_decode("\xE2\x82\xAC", 3, &cp) == 3 && cp == 0x20AC, "3-byte");
	test_cond(utf8_decode("\xF0\x9F\x98\x80", 4, &cp) == 4 && cp == 0x1F600, "4-byte");
	test_cond(utf8_decode("\xC0\xAF", 2, &cp) == -1, "overlong 2-byte rejected");
	test_cond(utf8_decode("\xE0\x80\xAF", 3, &cp) == -1, "overlong 3-byte rejected");
	test_cond(utf8_decode("\xED\xA0\x80", 3, &cp) == -1, "surrogate rejected");
	test_cond(utf8_decode("\xF4\x90\x80\x80", 4, &cp) == -1, "above U+10FFFF rejected");
	test_cond(utf8_decode("\xE2\x82", 2, &cp) == -1, "truncated rejected");
	test_cond(utf8_decode("\x80", 1, &cp) == -1, "lone continuation rejected");
	test_cond(utf8_valid("h\xC3\xA9llo", 6), "valid string");
	test_cond(!utf8_valid("h\xFFllo", 5), "invalid byte detected");
	test_cond(utf8_complete_prefix("ab\xE2\x82", 4) == 2, "partial tail held back");
	test_cond(utf8_complete_prefix("ab\xE2\x82\xAC", 5) == 5, "complete tail kept");
	test_cond(utf8_complete_prefix("ab", 2) == 2, "ascii complete");
	test_cond(utf8_complete_prefix("ab\xF0\x9F\x98", 5) == 2 &&
	    utf8_complete_prefix("\xC3", 1) == 0,
	    "partial 4-byte and lone lead byte held back");
	test_cond(utf8_complete_prefix("ab\xFF", 3) == 3 &&
	    utf8_complete_prefix("ab\xE0\x80", 4) == 4 &&
	    utf8_complete_prefix("ab\xC3(", 4) == 4 &&
	    utf8_complete_prefix("\x80\x80\x80", 3) == 3,
	    "a tail that can never become valid is not held back");
	s = utf8_sanitize("a\xFF" "b", 3, &n);
	test_cond(n == 5 && memcmp(s, "a\xEF\xBF\xBD" "b", 5) == 0, "sanitize replaces invalid byte");
	free(s);
	s = utf8_printable("a\x1b[2J\n\xC2\x9B\xFF\x7F\xC3\xA9");
	test_cond(strcmp(s, "a?[2J????\xC3\xA9") == 0,
	    "printable: controls, C1, DEL and invalid bytes become '?'");
	free(s);
	s = utf8_printable("\xe2\x80\xae" "evil.gguf");
	test_cond(strcmp(s, "?evil.gguf") == 0, "printable: bidi override becomes '?'");
	free(s);
	test_safe();
	test_cond(utf8_encode(0x20AC, enc) == 3 && memcmp(enc, "\xE2\x82\xAC", 3) == 0, "encode euro");
	test_cond(utf8_encode(0xD800, enc) == 0, "encode surrogate refused");
	test_cond(utf8_width("abc", 3) == 3, "ascii width");
	test_cond(utf8_width("\xE4\xB8\xAD", 3) == 2, "CJK is double width");
	test_cond(utf8_width("e\xCC\x81", 3) == 1, "combining accent has width 0");
	return test_report();
}
