/*
 * jsonx.h -- what medchat needs around jansson, the JSON library.
 *
 * jansson parses and writes; this adds what it lacks and what we need
 * everywhere:
 *  - reading: one-line errors with the byte offset; the byte offset of
 *    any value of a parsed document (jansson keeps none), for messages
 *    that name a field and where it is; integers beyond the 64-bit signed
 *    range (seeds go up to 2^64-1; jansson refuses the whole document
 *    over one), which the getters give back exactly; keys given twice
 *    are refused.
 *  - writing: strings from bytes that may not be UTF-8 (each invalid
 *    byte becomes U+FFFD: a record is never dropped for it), and numbers
 *    written exactly as we format them (a 64-bit unsigned seed, a float
 *    in the fewest digits that read back, "%.2f"), which jansson cannot
 *    do (its integers are signed, its reals all use one precision).
 *
 * Nesting is bounded by jansson (2048 levels); deeper input is refused
 * with an error, not a crash.
 */
#ifndef JSONX_H
#define JSONX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* A parsed document. */
struct jsonx_doc {
	json_t		*root;
	const char	*text;		/* what jansson parsed: the caller's
					   text or copy */
	size_t		 len;
	char		*copy;		/* the text with the big integers
					   replaced, or NULL */
	char		**big;		/* those integers' literals */
	size_t		 nbig;
	json_int_t	 bigbase;	/* big[k] reads as -(bigbase + k) */
};

/*
 * Parse text[0..len) (any value at the top): 0, or -1 and *cause
 * ("JSON error at byte N: what", one line).  The text must outlive the
 * document.  Free with jsonx_free (also after a failure).
 */
int	 jsonx_parse(struct jsonx_doc *, const char *text, size_t len,
	    char **cause);
void	 jsonx_free(struct jsonx_doc *);

/*
 * Byte offset in the text where value v of the document starts (the
 * length of the text if v is not in it).
 */
size_t	 jsonx_offset(const struct jsonx_doc *, const json_t *v);

/*
 * Number v as int64 / uint64 (an integer in range, no fraction) or as a
 * finite double (any number): 0 and *out, or -1 (v NULL or not such a
 * number).
 */
int	 jsonx_int64(const struct jsonx_doc *, const json_t *v, int64_t *out);
int	 jsonx_uint64(const struct jsonx_doc *, const json_t *v,
	    uint64_t *out);
int	 jsonx_double(const struct jsonx_doc *, const json_t *v, double *out);

/*
 * New values for building (never NULL; out of memory exits).
 * jsonx_object, jsonx_array: empty ones.
 * jsonx_string: s NULL gives null; invalid UTF-8 bytes become U+FFFD.
 * jsonx_number: a number written exactly as printf formats it (fmt is
 * the caller's, never data); a result that is not a JSON number (nan,
 * inf) gives null.  jsonx_uint64_new: the exact integer.
 * jsonx_float: a float in the fewest digits (at least 6 significant)
 * that read back as the same float: 0.8f is 0.8.
 */
json_t	*jsonx_object(void);
json_t	*jsonx_array(void);
json_t	*jsonx_string(const char *s);
json_t	*jsonx_stringn(const char *s, size_t n);
json_t	*jsonx_number(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
json_t	*jsonx_uint64_new(uint64_t);
json_t	*jsonx_float(float);

/*
 * Add v (a new reference, taken over) to object o under key / to array
 * a.  Out of memory exits.
 */
void	 jsonx_set(json_t *o, const char *key, json_t *v);
void	 jsonx_append(json_t *a, json_t *v);

/*
 * root as text, with jansson's flags (JSON_INDENT(n), JSON_COMPACT...;
 * JSON_ENCODE_ANY is implied), the numbers made by jsonx_number and
 * friends written as formatted, and every character a terminal could
 * act on escaped (jansson leaves DEL, the C1 controls and U+2028/U+2029
 * raw), so the text can be printed as it is.  A new string, the caller frees.
 * jsonx_dump_lines writes array a with one element a line ("[\n  e,\n
 * e\n]"), each element as jsonx_dump(e, flags) writes it.  Neither adds
 * a final newline.
 */
char	*jsonx_dump(json_t *root, size_t flags);
char	*jsonx_dump_lines(json_t *a, size_t flags);

#endif
