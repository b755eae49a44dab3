/*
 * utf8.c -- UTF-8 helpers.  See utf8.h for contracts.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "buf.h"
#include "utf8.h"
#include "xmalloc.h"

int
utf8_decode(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char	*s = (const unsigned char *)str;
	uint32_t		 c;
	int			 len, i;

	*cp = 0xFFFD;
	if (n == 0)
		return -1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return -1;
	if (n < (size_t)len)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	return len;
}

int
utf8_encode(uint32_t cp, char *out)
{
	unsigned char	*o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return 0;
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	if (cp <= 0x10FFFF) {
		o[0] = (unsigned char)(0xF0 | (cp >> 18));
		o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[3] = (unsigned char)(0x80 | (cp & 0x3F));
		return 4;
	}
	return 0;
}

int
utf8_valid(const char *s, size_t n)
{
	size_t		i = 0;
	uint32_t	cp;
	int		l;

	while (i < n) {
		if ((l = utf8_decode(s + i, n - i, &cp)) < 0)
			return 0;
		i += (size_t)l;
	}
	return 1;
}

size_t
utf8_complete_prefix(const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	unsigned char		 lo, hi;
	size_t			 i, start, need;

	/* The last character starts at most 3 bytes before the end. */
	for (i = 0; i < 3 && i < n; i++) {
		start = n - 1 - i;
		if ((s[start] & 0xC0) != 0x80)
			break;
	}
	if (i == 3 || i == n)
		return n;
	start = n - 1 - i;
	if (s[start] >= 0xC2 && s[start] <= 0xDF)
		need = 2;
	else if (s[start] >= 0xE0 && s[start] <= 0xEF)
		need = 3;
	else if (s[start] >= 0xF0 && s[start] <= 0xF4)
		need = 4;
	else
		return n;
	if (n - start >= need)
		return n;
	/* Held only if the bytes so far can still make a valid one. */
	lo = s[start] == 0xE0 ? 0xA0 : s[start] == 0xF0 ? 0x90 : 0x80;
	hi = s[start] == 0xED ? 0x9F : s[start] == 0xF4 ? 0x8F : 0xBF;
	for (i = start + 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return n;
		lo = 0x80;
		hi = 0xBF;
	}
	return start;
}

char *
utf8_sanitize(const char *s, size_t n, size_t *outlen)
{
	char		*out, *o;
	size_t		 i = 0;
	uint32_t	 cp;
	int		 l;

	out = o = xmalloc(n * 3 + 1);
	while (i < n) {
		if ((l = utf8_decode(s + i, n - i, &cp)) < 0) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, s + i, (size_t)l);
		o += l;
		i += (size_t)l;
	}
	*o = '\0';
	if (outlen != NULL)
		*outlen = (size_t)(o - out);
	return out;
}

int
utf8_cp_safe(uint32_t cp)
{
	return !(cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
}

/* One byte in the UTF8_SAFE_ESCAPE style: \n \t \r \\ \" or \xNN. */
static void
utf8_escape_byte(struct buf *b, unsigned char c)
{
	static const char	 named[] = "\n\t\r\\\"", letter[] = "ntr\\\"";
	static const char	 hex[] = "0123456789abcdef";
	const char		*p;

	buf_putc(b, '\\');
	if (c != '\0' && (p = strchr(named, c)) != NULL)
		buf_putc(b, letter[p - named]);
	else {
		buf_putc(b, 'x');
		buf_putc(b, hex[c >> 4]);
		buf_putc(b, hex[c & 15]);
	}
}

size_t
utf8_safe(struct buf *b, const char *s, size_t n, int flags)
{
	int		 style = flags & UTF8_SAFE_STYLE, l;
	size_t		 i = 0, k, step;
	uint32_t	 cp;
	unsigned char	 c;

	/* A piece of a stream keeps its unfinished last character. */
	if (flags & UTF8_SAFE_PARTIAL)
		n = utf8_complete_prefix(s, n);
	while (i < n) {
		c = (unsigned char)s[i];
		l = utf8_decode(s + i, n - i, &cp);
		step = l < 0 ? 1 : (size_t)l;
		if (l > 0 && utf8_cp_safe(cp) && (style != UTF8_SAFE_ESCAPE ||
		    (flags & UTF8_SAFE_QUOTED) == 0 || (c != '\\' && c != '"')))
			buf_append(b, s + i, step);
		else if ((c == '\n' || c == '\t') &&
		    style != UTF8_SAFE_ESCAPE &&
		    (flags & (UTF8_SAFE_KEEP_NL | UTF8_SAFE_NL_SPACE)) != 0)
			buf_putc(b, (flags & UTF8_SAFE_KEEP_NL) ? c : ' ');
		else if (style == UTF8_SAFE_ESCAPE) {
			for (k = 0; k < step; k++)
				utf8_escape_byte(b, (unsigned char)s[i + k]);
		} else if (style == UTF8_SAFE_CARET && l == 1) {
			buf_putc(b, '^');
			buf_putc(b, c == 0x7f ? '?' : c + '@');
		} else if (style == UTF8_SAFE_CARET)
			buf_puts(b, "\xEF\xBF\xBD");
		else
			buf_putc(b, '?');
		i += step;
	}
	return n;
}

char *
utf8_printable(const char *s)
{
	struct buf	b = BUF_INIT;

	utf8_safe(&b, s, strlen(s), UTF8_SAFE_QMARK);
	return buf_detach(&b);
}

int
utf8_cpwidth(uint32_t cp)
{
	int	w;

	if (cp < 0x20 || cp == 0x7F)
		return 0;
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return 1;
	return w;
}

size_t
utf8_width(const char *s, size_t n)
{
	size_t		i = 0, w = 0;
	uint32_t	cp;
	int		l;

	while (i < n) {
		if ((l = utf8_decode(s + i, n - i, &cp)) < 0) {
			w++;
			i++;
			continue;
		}
		w += (size_t)utf8_cpwidth(cp);
		i += (size_t)l;
	}
	return w;
}
