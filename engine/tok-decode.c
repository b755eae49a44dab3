/*
 * tok-decode.c -- token ids to text: the piece of a token, whole-sequence
 * decoding, and the streaming detokenizer that holds back incomplete
 * UTF-8 sequences between tokens.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gguf.h"
#include "tokenizer.h"
#include "tokenizer-int.h"
#include "utf8.h"
#include "xmalloc.h"

static int	 utf8_partial(const unsigned char *, size_t);


/* ---- decoding --------------------------------------------------------- */

size_t
tokenizer_piece(const struct tokenizer *tok, int32_t id, int render_special,
    char *buf, size_t cap)
{
	const struct tok_entry	*e;

	if (id < 0 || id >= tok->n_vocab)
		return 0;
	e = &tok->tok[id];
	if (!render_special && (e->attr & (TA_CONTROL | TA_UNKNOWN)))
		return 0;
	if (cap > 0)
		memcpy(buf, tok->pieces + e->poff, e->plen < cap ? e->plen : cap);
	return e->plen;
}

/* Piece of id with up to lstrip leading spaces skipped; *p, *n out. */
static void
tok_piece_ref(const struct tokenizer *tok, int32_t id, int render_special,
    int lstrip, const char **p, size_t *n)
{
	const struct tok_entry	*e;

	*p = "";
	*n = 0;
	if (id < 0 || id >= tok->n_vocab)
		return;
	e = &tok->tok[id];
	if (!render_special && (e->attr & (TA_CONTROL | TA_UNKNOWN)))
		return;
	*p = tok->pieces + e->poff;
	*n = e->plen;
	if (lstrip && *n > 0 && **p == ' ') {
		(*p)++;
		(*n)--;
	}
}

char *
tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
    int render_special)
{
	return tokenizer_decode_len(tok, ids, n, render_special, NULL);
}

char *
tokenizer_decode_len(const struct tokenizer *tok, const int32_t *ids,
    size_t n, int render_special, size_t *outlen)
{
	struct buf	 b = BUF_INIT;
	const char	*p;
	size_t		 i, len;
	int		 strip = tok->add_space_prefix;

	buf_append(&b, "", 0);	/* NUL-terminated even when empty */
	for (i = 0; i < n; i++) {
		if (i == 0 && ids[0] == tok->bos && tok->bos >= 0) {
			tok_piece_ref(tok, ids[i], render_special, 0, &p, &len);
			buf_append(&b, p, len);
			continue;
		}
		tok_piece_ref(tok, ids[i], render_special, strip, &p, &len);
		strip = 0;
		buf_append(&b, p, len);
	}
	if (outlen != NULL)
		*outlen = b.len;
	return buf_detach(&b);
}

/* ---- streaming detokenizer ------------------------------------------- */

/*
 * 1 if s[0..n) (n >= 1) is a proper prefix of some valid UTF-8 sequence:
 * a lead byte whose sequence needs more than n bytes, followed by
 * continuation bytes allowed in their positions.
 */
static int
utf8_partial(const unsigned char *s, size_t n)
{
	size_t		need, i;
	unsigned char	lo = 0x80, hi = 0xBF;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (n >= need)
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return 1;
}

size_t
detok_bufsize(const struct tokenizer *tok)
{
	/* Every held or new byte may become a 3-byte U+FFFD, plus NUL. */
	return 3 * (tok->max_piece + sizeof ((struct detok *)0)->pend) + 1;
}

void
detok_init(struct detok *d, const struct tokenizer *tok)
{
	memset(d, 0, sizeof *d);
	d->tok = tok;
	d->first = 2;
}

/*
 * Append s[0..n) (one whole character) to out if it fits before the NUL;
 * otherwise it is lost (the caller's buffer is below detok_bufsize()).
 */
static void
detok_put(char *out, size_t cap, size_t *o, const void *s, size_t n)
{
	if (cap == 0 || *o + n > cap - 1)
		return;
	memcpy(out + *o, s, n);
	*o += n;
}

size_t
detok_push(struct detok *d, int32_t id, char *out, size_t cap)
{
	const struct tokenizer	*tok = d->tok;
	const char		*p;
	size_t			 n, o = 0, i = 0;
	uint32_t		 cp;
	int			 l, lstrip = 0;

	/* first: 2 at the start, 1 after a leading BOS, 0 after that */
	if (d->first == 2 && id == tok->bos && tok->bos >= 0)
		d->first = 1;
	else if (d->first) {
		lstrip = tok->add_space_prefix;
		d->first = 0;
	}
	tok_piece_ref(tok, id, 0, lstrip, &p, &n);

	/*
	 * Complete the held sequence with bytes of the new piece, one at a
	 * time; a held byte that can no longer start a character is
	 * written as U+FFFD and dropped.  npend stays <= 4.
	 */
	while (d->npend > 0) {
		l = utf8_decode(d->pend, d->npend, &cp);
		if (l > 0) {
			detok_put(out, cap, &o, d->pend, (size_t)l);
			d->npend -= (size_t)l;
			memmove(d->pend, d->pend + l, d->npend);
			continue;
		}
		if (utf8_partial((const unsigned char *)d->pend, d->npend)) {
			if (i == n)
				goto done;	/* still incomplete: hold */
			d->pend[d->npend++] = p[i++];
			continue;
		}
		detok_put(out, cap, &o, "\xEF\xBF\xBD", 3);
		memmove(d->pend, d->pend + 1, --d->npend);
	}

	while (i < n) {
		l = utf8_decode(p + i, n - i, &cp);
		if (l > 0) {
			detok_put(out, cap, &o, p + i, (size_t)l);
			i += (size_t)l;
		} else if (utf8_partial((const unsigned char *)p + i, n - i)) {
			memcpy(d->pend, p + i, n - i);	/* <= 3 bytes */
			d->npend = n - i;
			break;
		} else {
			detok_put(out, cap, &o, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
done:
	if (cap > 0)
		out[o] = '\0';
	return o;
}

size_t
detok_flush(struct detok *d, char *out, size_t cap)
{
	size_t	o = 0, i;

	for (i = 0; i < d->npend; i++)
		detok_put(out, cap, &o, "\xEF\xBF\xBD", 3);
	d->npend = 0;
	if (cap > 0)
		out[o] = '\0';
	return o;
}
