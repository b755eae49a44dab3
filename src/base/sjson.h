/*
 * sjson.h -- a small JSON reader and string writer for the store's
 * export/import (and whoever else needs one).
 *
 * The reader builds a tree; strings are decoded to UTF-8 (\u0000 is
 * refused since our strings are C strings), numbers keep their literal
 * text so 64-bit integers and doubles convert back exactly.  Input is
 * untrusted: nesting depth is bounded, every error is one line giving
 * the byte offset.
 */
#ifndef SJSON_H
#define SJSON_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum sjson_type {
	SJSON_NULL = 0,
	SJSON_FALSE,
	SJSON_TRUE,
	SJSON_NUMBER,
	SJSON_STRING,
	SJSON_ARRAY,
	SJSON_OBJECT,
};

struct sjson {
	enum sjson_type	  type;
	char		 *str;		/* STRING: value; NUMBER: literal */
	size_t		  len;		/* of str */
	struct sjson	**items;	/* ARRAY elements, OBJECT values */
	char		**keys;		/* OBJECT keys (same order) */
	size_t		  n;
	size_t		  off;		/* byte offset of the value in the
					   parsed text, for messages */
};

#define SJSON_MAX_DEPTH	64

/* Parse text[0..len); 0 and *out (sjson_free), or -1 and *cause. */
int	 sjson_parse(const char *text, size_t len, struct sjson **out,
	    char **cause);
void	 sjson_free(struct sjson *);

/* Member key of an object (the last if repeated), or NULL. */
const struct sjson *sjson_get(const struct sjson *, const char *key);
/* String value, or NULL if v is NULL, null or not a string. */
const char *sjson_string(const struct sjson *v);
/*
 * Number as int64 / uint64 / double: 0 and *out, -1 if v is not a number
 * of that kind (an integer with a fraction, out of range...).
 */
int	 sjson_int64(const struct sjson *v, int64_t *out);
int	 sjson_uint64(const struct sjson *v, uint64_t *out);
int	 sjson_double(const struct sjson *v, double *out);

/*
 * Append s as a JSON string literal with quotes.  Control characters
 * (C0, DEL, C1), the line separators and the bidi controls utf8_safe()
 * keeps off a terminal are escaped (\uXXXX: the same string to a JSON
 * reader, harmless on a terminal); invalid UTF-8 bytes become U+FFFD.
 * s NULL gives null.
 */
void	 sjson_put_string(struct buf *, const char *s);

/*
 * Writers of pretty-printed objects, one member a line.  sjson_put_key
 * starts a member that follows another: ",\n", indent spaces, the key
 * as a string literal and ": "; the caller then writes the value.  The
 * sjson_put_member_* functions write the key and a value: a string (NULL
 * gives null), an integer, a double as %.17g (so it reads back exactly)
 * or true/false.  The caller writes the braces and the first member.
 */
void	 sjson_put_key(struct buf *, int indent, const char *key);
void	 sjson_put_member_string(struct buf *, int indent, const char *key,
	    const char *s);
void	 sjson_put_member_int(struct buf *, int indent, const char *key,
	    int64_t v);
void	 sjson_put_member_double(struct buf *, int indent, const char *key,
	    double v);
void	 sjson_put_member_bool(struct buf *, int indent, const char *key,
	    int v);

#endif
