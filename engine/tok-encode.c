/*
 * tok-encode.c -- text to token ids: the special-token partition, then
 * SentencePiece merges over each raw fragment (the two stages described
 * in tokenizer.c).  Special tokens are cut out of a segment only when
 * its parse_special is set, so user text can never produce a control
 * token.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "gguf.h"
#include "tokenizer.h"
#include "tokenizer-int.h"
#include "utf8.h"
#include "xmalloc.h"

/* One fragment of the input after special-token partitioning. */
struct tok_frag {
	int32_t		 id;		/* token, or -1 for raw text */
	int		 ps;		/* parse_special of its segment */
	size_t		 off, len;	/* raw text range in the source */
};

struct tok_fragv {
	struct tok_frag	*v;
	size_t		 n, cap;
};

/* SentencePiece session state for one raw fragment. */
struct spm_sym {
	ptrdiff_t	 prev, next;
	size_t		 start, n;	/* bytes of the escaped text */
};

struct spm_bigram {
	ptrdiff_t	 left, right;
	float		 score;
	size_t		 size;
};

static void	 tok_fragv_push(struct tok_fragv *, int32_t, int, size_t,
		     size_t);
static void	 tok_partition(const struct tokenizer *, const char *,
		     struct tok_fragv *);
static int	 spm_better(const struct spm_bigram *,
		     const struct spm_bigram *);
static void	 spm_swap(struct spm_bigram *, size_t, size_t);
static void	 spm_push(struct spm_bigram *, size_t *,
		     const struct spm_bigram *);
static void	 spm_pop(struct spm_bigram *, size_t *, struct spm_bigram *);
static void	 spm_try_bigram(const struct tokenizer *, const char *,
		     struct spm_sym *, ptrdiff_t, ptrdiff_t,
		     struct spm_bigram *, size_t *);
static void	 spm_encode(const struct tokenizer *, const char *, size_t,
		     int, size_t, struct tokvec *, struct buf *);
static size_t	 utf8_seqlen(unsigned char);

/* ---- encoding: special-token partition -------------------------------- */

static void
tok_fragv_push(struct tok_fragv *fv, int32_t id, int ps, size_t off,
    size_t len)
{
	if (fv->n == fv->cap)
		fv->v = xgrowarray(fv->v, &fv->cap, 16, sizeof *fv->v);
	fv->v[fv->n].id = id;
	fv->v[fv->n].ps = ps;
	fv->v[fv->n].off = off;
	fv->v[fv->n].len = len;
	fv->n++;
}

/*
 * Split the raw fragments of *fv (text in src) at every occurrence of each
 * special token, in cache order (longest first), leftmost occurrence
 * first, as tokenizer_st_partition.  CONTROL and UNKNOWN tokens are only
 * matched in fragments whose segment has parse_special set; USER_DEFINED
 * tokens always are (llama.cpp).  LSTRIP/RSTRIP drop the whitespace next
 * to the match.
 */
static void
tok_partition(const struct tokenizer *tok, const char *src,
    struct tok_fragv *fv)
{
	struct tok_fragv	 nv = { NULL, 0, 0 }, tmpv;
	const struct tok_entry	*e;
	const struct tok_frag	*fr;
	const char		*text, *m;
	size_t			 s, i, off, len, at, l, r;
	int32_t			 id;

	for (s = 0; s < tok->nspecial; s++) {
		id = tok->special[s];
		e = &tok->tok[id];
		text = tok->text + e->off;
		nv.n = 0;
		for (i = 0; i < fv->n; i++) {
			fr = &fv->v[i];
			if (fr->id != -1 || e->len > fr->len ||
			    (!fr->ps && (e->attr & (TA_CONTROL | TA_UNKNOWN)))) {
				tok_fragv_push(&nv, fr->id, fr->ps, fr->off,
				    fr->len);
				continue;
			}
			off = fr->off;
			len = fr->len;
			while (len > 0 && (m = memmem(src + off, len, text,
			    e->len)) != NULL) {
				at = (size_t)(m - src);
				l = at - off;
				if ((e->attr & TA_LSTRIP) != 0) {
					while (l > 0 && isspace((unsigned char)
					    src[off + l - 1]))
						l--;
				}
				if (l > 0)
					tok_fragv_push(&nv, -1, fr->ps, off, l);
				tok_fragv_push(&nv, id, fr->ps, at, e->len);
				r = at + e->len;
				len -= r - off;
				off = r;
				if ((e->attr & TA_RSTRIP) != 0) {
					while (len > 0 && isspace((unsigned char)
					    src[off])) {
						off++;
						len--;
					}
				}
			}
			if (len > 0)
				tok_fragv_push(&nv, -1, fr->ps, off, len);
		}
		tmpv = *fv;
		*fv = nv;
		nv = tmpv;
	}
	free(nv.v);
}

/* ---- encoding: SentencePiece merges ----------------------------------- */

/* llama.cpp's unicode_len_utf8: sequence length from the lead byte. */
static size_t
utf8_seqlen(unsigned char c)
{
	static const size_t	lookup[16] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4
	};

	return lookup[c >> 4];
}

/* a is popped before b: higher score, ties to the leftmost pair. */
static int
spm_better(const struct spm_bigram *a, const struct spm_bigram *b)
{
	return a->score > b->score ||
	    (a->score == b->score && a->left < b->left);
}

/* Exchange heap[a] and heap[b] (the sift-up of push, sift-down of pop). */
static void
spm_swap(struct spm_bigram *heap, size_t a, size_t b)
{
	struct spm_bigram	t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
}

static void
spm_push(struct spm_bigram *heap, size_t *n, const struct spm_bigram *bg)
{
	size_t	i = (*n)++, p;

	heap[i] = *bg;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!spm_better(&heap[i], &heap[p]))
			break;
		spm_swap(heap, i, p);
		i = p;
	}
}

static void
spm_pop(struct spm_bigram *heap, size_t *n, struct spm_bigram *top)
{
	size_t	i = 0, l, r, best;

	*top = heap[0];
	heap[0] = heap[--(*n)];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		best = i;
		if (l < *n && spm_better(&heap[l], &heap[best]))
			best = l;
		if (r < *n && spm_better(&heap[r], &heap[best]))
			best = r;
		if (best == i)
			break;
		spm_swap(heap, i, best);
		i = best;
	}
}

/* Queue the merge of symbols left and right if it forms a token. */
static void
spm_try_bigram(const struct tokenizer *tok, const char *text,
    struct spm_sym *sym, ptrdiff_t left, ptrdiff_t right,
    struct spm_bigram *heap, size_t *nheap)
{
	struct spm_bigram	bg;
	size_t			n;
	int32_t			id;

	if (left == -1 || right == -1)
		return;
	n = sym[left].n + sym[right].n;
	if ((id = tok_lookup(tok, text + sym[left].start, n)) < 0)
		return;
	bg.left = left;
	bg.right = right;
	bg.score = tok->tok[id].score;
	bg.size = n;
	spm_push(heap, nheap, &bg);
}

/*
 * Tokenize one raw fragment src[0..len) (prefix: add the dummy space)
 * into out.  If offs is not NULL, each emitted token's source offset
 * (soff + position in src; the dummy space counts as position 0) is
 * appended to *offs (a struct buf used as an array of size_t).
 */
static void
spm_encode(const struct tokenizer *tok, const char *src, size_t len,
    int prefix, size_t soff, struct tokvec *out, struct buf *offs)
{
	struct spm_sym		*sym;
	struct spm_bigram	*heap, bg;
	char			*text;
	size_t			*map = NULL, tlen = 0, i, nsym, nheap, n, k, o;
	ptrdiff_t		 s;
	int32_t			 id;
	unsigned char		 c;

	text = xmalloc(3 * len + 4);
	if (offs != NULL)
		map = xreallocarray(NULL, 3 * len + 4, sizeof *map);
	if (prefix) {
		memcpy(text, "\xe2\x96\x81", 3);
		if (map != NULL)
			map[0] = map[1] = map[2] = soff;
		tlen = 3;
	}
	for (i = 0; i < len; i++) {
		if (src[i] == ' ') {
			memcpy(text + tlen, "\xe2\x96\x81", 3);
			if (map != NULL)
				map[tlen] = map[tlen + 1] = map[tlen + 2] =
				    soff + i;
			tlen += 3;
		} else {
			if (map != NULL)
				map[tlen] = soff + i;
			text[tlen++] = src[i];
		}
	}
	if (tlen == 0) {
		free(text);
		free(map);
		return;
	}

	/* Split into characters; a truncated sequence keeps what is left. */
	sym = xreallocarray(NULL, tlen, sizeof *sym);
	nsym = 0;
	for (i = 0; i < tlen; i += n) {
		n = utf8_seqlen((unsigned char)text[i]);
		if (n > tlen - i)
			n = tlen - i;
		sym[nsym].start = i;
		sym[nsym].n = n;
		sym[nsym].prev = (ptrdiff_t)nsym - 1;
		sym[nsym].next = i + n == tlen ? -1 : (ptrdiff_t)nsym + 1;
		nsym++;
	}

	/* At most nsym - 1 initial pairs plus two per merge. */
	heap = xreallocarray(NULL, 3 * nsym + 1, sizeof *heap);
	nheap = 0;
	for (i = 1; i < nsym; i++)
		spm_try_bigram(tok, text, sym, (ptrdiff_t)i - 1, (ptrdiff_t)i,
		    heap, &nheap);
	while (nheap > 0) {
		spm_pop(heap, &nheap, &bg);
		if (sym[bg.left].n == 0 || sym[bg.right].n == 0 ||
		    sym[bg.left].n + sym[bg.right].n != bg.size)
			continue;	/* stale */
		sym[bg.left].n += sym[bg.right].n;
		sym[bg.right].n = 0;
		sym[bg.left].next = sym[bg.right].next;
		if (sym[bg.right].next >= 0)
			sym[sym[bg.right].next].prev = bg.left;
		spm_try_bigram(tok, text, sym, sym[bg.left].prev, bg.left,
		    heap, &nheap);
		spm_try_bigram(tok, text, sym, bg.left, sym[bg.left].next,
		    heap, &nheap);
	}

	for (s = 0; s != -1; s = sym[s].next) {
		id = tok_lookup(tok, text + sym[s].start, sym[s].n);
		if (id >= 0) {
			tokvec_push(out, id);
			if (offs != NULL) {
				o = map[sym[s].start];
				buf_append(offs, &o, sizeof o);
			}
			continue;
		}
		for (k = 0; k < sym[s].n; k++) {
			c = (unsigned char)text[sym[s].start + k];
			if ((id = tok->byte_tok[c]) < 0)
				continue;	/* no byte token, no <unk> */
			tokvec_push(out, id);
			if (offs != NULL) {
				o = map[sym[s].start + k];
				buf_append(offs, &o, sizeof o);
			}
		}
	}
	free(heap);
	free(sym);
	free(map);
	free(text);
}

void
tokenizer_encode_segs(const struct tokenizer *tok, const struct tok_seg *segs,
    size_t nseg, int add_bos, struct tokvec *out, size_t *seg_first)
{
	struct tok_fragv	 fv = { NULL, 0, 0 };
	struct tok_frag		*fr;
	struct buf		 src = BUF_INIT, offs = BUF_INIT;
	struct buf		*offp;
	size_t			*segoff = NULL, i, j, base, ntok, o;
	int			 is_prev_special = 1;

	offp = seg_first != NULL ? &offs : NULL;
	if (seg_first != NULL)
		segoff = xreallocarray(NULL, nseg + 1, sizeof *segoff);
	for (i = 0; i < nseg; i++) {
		if (segoff != NULL)
			segoff[i] = src.len;
		if (segs[i].len == 0)
			continue;
		tok_fragv_push(&fv, -1, segs[i].parse_special, src.len,
		    segs[i].len);
		buf_append(&src, segs[i].text, segs[i].len);
	}

	if (add_bos && tok->add_bos && tok->bos >= 0)
		tokvec_push(out, tok->bos);
	base = out->n;

	if (fv.n > 0)
		tok_partition(tok, src.data, &fv);

	/* Raw text running across segment boundaries is one fragment. */
	for (i = 0, j = 0; i < fv.n; i++) {
		if (j > 0 && fv.v[i].id == -1 && fv.v[j - 1].id == -1 &&
		    fv.v[j - 1].off + fv.v[j - 1].len == fv.v[i].off)
			fv.v[j - 1].len += fv.v[i].len;
		else
			fv.v[j++] = fv.v[i];
	}
	fv.n = j;

	for (i = 0; i < fv.n; i++) {
		fr = &fv.v[i];
		if (fr->id != -1) {
			tokvec_push(out, fr->id);
			if (offp != NULL)
				buf_append(offp, &fr->off, sizeof fr->off);
			is_prev_special = 1;
			continue;
		}
		spm_encode(tok, src.data + fr->off, fr->len,
		    tok->add_space_prefix && is_prev_special, fr->off, out,
		    offp);
		is_prev_special = 0;
	}
	if (add_bos && tok->add_eos && tok->eos >= 0) {
		tokvec_push(out, tok->eos);
		if (offp != NULL) {
			o = src.len;
			buf_append(offp, &o, sizeof o);
		}
	}

	if (seg_first != NULL) {
		ntok = out->n - base;
		for (i = 0, j = 0; i < nseg; i++) {
			while (j < ntok) {
				memcpy(&o, offs.data + j * sizeof o, sizeof o);
				if (o >= segoff[i])
					break;
				j++;
			}
			seg_first[i] = base + j;
		}
	}
	free(segoff);
	free(fv.v);
	buf_free(&src);
	buf_free(&offs);
}

void
tokenizer_encode(const struct tokenizer *tok, const char *text, size_t len,
    int add_bos, int parse_special, struct tokvec *out)
{
	struct tok_seg	seg;

	seg.text = text;
	seg.len = len;
	seg.parse_special = parse_special;
	tokenizer_encode_segs(tok, &seg, 1, add_bos, out, NULL);
}
