/* test-utf8.c -- UTF-8 decode/validate/width/sanitize edge cases. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "utf8.h"

int
main(void)
{
	uint32_t	 cp;
	size_t		 n;
	char		*s, enc[4];

	setlocale(LC_ALL, "C.UTF-8");
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
	s = utf8_sanitize("a\xFF" "b", 3, &n);
	test_cond(n == 5 && memcmp(s, "a\xEF\xBF\xBD" "b", 5) == 0, "sanitize replaces invalid byte");
	free(s);
	s = utf8_printable("a\x1b[2J\n\xC2\x9B\xFF\x7F\xC3\xA9");
	test_cond(strcmp(s, "a?[2J????\xC3\xA9") == 0,
	    "printable: controls, C1, DEL and invalid bytes become '?'");
	free(s);
	test_cond(utf8_encode(0x20AC, enc) == 3 && memcmp(enc, "\xE2\x82\xAC", 3) == 0, "encode euro");
	test_cond(utf8_encode(0xD800, enc) == 0, "encode surrogate refused");
	test_cond(utf8_width("abc", 3) == 3, "ascii width");
	test_cond(utf8_width("\xE4\xB8\xAD", 3) == 2, "CJK is double width");
	test_cond(utf8_width("e\xCC\x81", 3) == 1, "combining accent has width 0");
	return test_report();
}
