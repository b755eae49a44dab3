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
 * incomplete (but so far valid) multi-byte sequence.
 */
size_t	 utf8_complete_prefix(const char *s, size_t n);

/*
 * Copy s[0..n) replacing each invalid byte with U+FFFD.  Returns a new
 * NUL-terminated string (caller frees); *outlen gets its length if not NULL.
 */
char	*utf8_sanitize(const char *s, size_t n, size_t *outlen);

/*
 * A copy of the NUL-terminated s fit for a one-line message on a
 * terminal: each C0/C1 control character, DEL and invalid UTF-8 byte
 * becomes '?', so a file name cannot move the cursor, split a message
 * over lines or send escape sequences.  Caller frees.
 */
char	*utf8_printable(const char *s);

/* Display width of one code point (0, 1 or 2; control chars 0). */
int	 utf8_cpwidth(uint32_t cp);

/* Display width of a whole string (invalid bytes count as 1). */
size_t	 utf8_width(const char *s, size_t n);

#endif
