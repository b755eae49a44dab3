/*
 * utf8.h -- UTF-8 decoding, validation and display width.  Pure functions,
 * no locale state except utf8_width() which uses wcwidth(3).
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode one code point from s[0..n).  Returns the number of bytes used
 * (1..4) and stores the code point in *cp; on an invalid or truncated
 * sequence returns -1 (and *cp = U+FFFD), consuming nothing.  Overlong
 * forms, surrogates and values above U+10FFFF are invalid.
 */
int	 utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Encode cp into out (4 bytes room); returns length, 0 if cp invalid. */
int	 utf8_encode(uint32_t cp, char *out);

/* 1 if s[0..n) is entirely valid UTF-8. */
int	 utf8_valid(const char *s, size_t n);

/*
 * Length of the longest prefix of s[0..n) that does not end inside an
 * incomplete (but so far valid) multi-byte sequence: n, or the start of
 * a last character that more bytes could still complete.
 */
size_t	 utf8_complete_prefix(const char *s, size_t n);

/*
 * Copy s[0..n) replacing each invalid byte with U+FFFD.  Returns a new
 * NUL-terminated string (caller frees); *outlen gets its length if not NULL.
 */
char	*utf8_sanitize(const char *s, size_t n, size_t *outlen);

/*
 * The one terminal-safe text function.  Appends s[0..n) to b so that it
 * cannot drive a terminal: move the cursor, send escape sequences, split
 * a one-line message or reorder what is shown.  What is not passed
 * through as is:
 *
 *	- C0 controls U+0000-U+001F (newline and tab: see the flags);
 *	- DEL (U+007F);
 *	- C1 controls U+0080-U+009F (the valid UTF-8 forms C2 80..C2 9F;
 *	  a raw byte 0x80-0x9F is invalid UTF-8);
 *	- invalid UTF-8, byte by byte (utf8_decode()'s definition);
 *	- the line and paragraph separators U+2028, U+2029;
 *	- the bidirectional embeddings, overrides and isolates U+202A-U+202E
 *	  and U+2066-U+2069.
 *
 * The style (flags & UTF8_SAFE_STYLE) says how each of those is shown:
 *	UTF8_SAFE_QMARK		as '?' (one per character or invalid byte);
 *	UTF8_SAFE_CARET		C0 and DEL in caret notation (^[, ^?), the
 *				others as U+FFFD;
 *	UTF8_SAFE_ESCAPE	C escapes: \n \t \r, and every byte of
 *				the others as \xNN (lower-case hex).
 * and the modifiers:
 *	UTF8_SAFE_KEEP_NL	newline and tab pass through (QMARK, CARET);
 *	UTF8_SAFE_NL_SPACE	newline and tab become one space (QMARK,
 *				CARET);
 *	UTF8_SAFE_QUOTED	'\\' and '"' become \\ and \" (ESCAPE), for
 *				text shown between double quotes;
 *	UTF8_SAFE_PARTIAL	s is one piece of a stream: an incomplete
 *				(so far valid) UTF-8 sequence at its end is
 *				left unconsumed, for the caller to put in
 *				front of the next piece (text that arrives
 *				in pieces shows as if it came whole).
 * Every other character, printable ASCII and valid UTF-8, is copied.
 * Each control is shown on its own, so an escape sequence cut between
 * two pieces is as harmless as a whole one.  Returns the number of bytes
 * of s consumed: n, or less with UTF8_SAFE_PARTIAL.
 *
 * Used by everything that puts untrusted text on a terminal: the TUI
 * (through utf8_cp_safe() per character), the command-line tools
 * (src/cli/cli-util.c), the engine's inspect output.
 */
struct buf;

#define UTF8_SAFE_QMARK		0x00
#define UTF8_SAFE_CARET		0x01
#define UTF8_SAFE_ESCAPE	0x02
#define UTF8_SAFE_STYLE		0x03	/* mask of the three above */
#define UTF8_SAFE_KEEP_NL	0x04
#define UTF8_SAFE_NL_SPACE	0x08
#define UTF8_SAFE_QUOTED	0x10
#define UTF8_SAFE_PARTIAL	0x20

size_t	 utf8_safe(struct buf *b, const char *s, size_t n, int flags);

/*
 * 1 if utf8_safe() passes code point cp through as is, 0 if it shows it
 * in another form (newline and tab: 0, whatever the flags).  For code
 * that draws character by character (the TUI).
 */
int	 utf8_cp_safe(uint32_t cp);

/*
 * utf8_safe(s, strlen(s), UTF8_SAFE_QMARK) as a new string: a copy of
 * the NUL-terminated s fit for a one-line message on a terminal, every
 * character utf8_safe() will not pass (newline included) as '?'.  Caller
 * frees.
 */
char	*utf8_printable(const char *s);

/* Display width of one code point (0, 1 or 2; control chars 0). */
int	 utf8_cpwidth(uint32_t cp);

/* Display width of a whole string (invalid bytes count as 1). */
size_t	 utf8_width(const char *s, size_t n);

#endif
