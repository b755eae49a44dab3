/*
 * test-tokenizer.c -- the SentencePiece tokenizer against llama.cpp.
 *
 * Always runs: a tiny SPM vocabulary written with our own GGUF writer
 * (merge order by score, ties to the left, byte fallback, special-token
 * splitting on/off, user-defined tokens, EOG detection, load errors,
 * invalid UTF-8, streaming detokenizer).
 * With ../shared: every line of every golden/tok-*.tsv in both modes with
 * its model, every case of models/vocab/ggml-vocab-{llama-spm,phi-3}.gguf
 * .inp/.out, round trips, streaming detok with split multi-byte
 * characters, the GPT-2 vocab rejected, a 4k-token prompt.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "gguf.h"
#include "testhelp.h"
#include "testvocab.h"
#include "tokenizer.h"
#include "utf8.h"
#include "xmalloc.h"

static const char	*shared;

static int
ids_equal(const struct tokvec *tv, const int32_t *want, size_t n)
{
	return test_same_ids(tv->v, tv->n, want, n);
}

/* Stream ids through a detok; returns the malloc'd concatenation. */
static char *
stream_decode(const struct tokenizer *tok, const int32_t *ids, size_t n,
    int *valid_pieces)
{
	struct detok	 d;
	char		 piece[256], *all;
	size_t		 i, len = 0, k;

	all = xmalloc(n * 64 + 64);
	*valid_pieces = 1;
	detok_init(&d, tok);
	for (i = 0; i < n; i++) {
		k = detok_push(&d, ids[i], piece, sizeof piece);
		if (k != strlen(piece) || !utf8_valid(piece, k))
			*valid_pieces = 0;
		memcpy(all + len, piece, k);
		len += k;
	}
	k = detok_flush(&d, piece, sizeof piece);
	if (!utf8_valid(piece, k))
		*valid_pieces = 0;
	memcpy(all + len, piece, k);
	len += k;
	all[len] = '\0';
	return all;
}

/* Undo the tsv escapes \n and \t (only those two, as the README says). */
static size_t
unescape(const char *s, size_t n, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == 'n') {
			out[o++] = '\n';
			i++;
		} else if (s[i] == '\\' && i + 1 < n && s[i + 1] == 't') {
			out[o++] = '\t';
			i++;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

/* 1 if text contains the text of a control token of tok. */
static int
has_control_text(const struct tokenizer *tok, const char *text)
{
	int32_t	id;

	for (id = 0; id < tokenizer_n_vocab(tok); id++) {
		if (tokenizer_is_control(tok, id) &&
		    strstr(text, tokenizer_text(tok, id)) != NULL)
			return 1;
	}
	return 0;
}

static void
golden_tsv(const char *name, const char *model)
{
	struct gguf_file	*gf;
	struct tokenizer	*tok;
	struct tokvec		 tv = { NULL, 0, 0 };
	char			 path[4096], *data, *line, *next, *tab, *text;
	char			*dec, *str;
	size_t			 len, tlen, nwant, nlines = 0, nok = 0, nrt = 0;
	size_t			 nrt_ok = 0, nstream = 0, nstream_ok = 0;
	size_t			 nseg = 0, nseg_ok = 0;
	int32_t			 want[1024];
	int			 special = -1, valid;

	snprintf(path, sizeof path, "%s/golden/%s", shared, name);
	if ((data = test_slurp(path, &len)) == NULL) {
		test_skip(name, "golden file not found");
		return;
	}
	if ((tok = test_load_tokenizer(shared, model, &gf)) == NULL) {
		test_cond(0, "load model for golden file");
		free(data);
		return;
	}
	text = xmalloc(len + 1);
	next = data;
	while ((line = test_tsv_next(&next, &tlen, &tab, &special)) != NULL) {
		tlen = unescape(line, tlen, text);
		nwant = test_parse_ids(tab, want, 1024);
		tv.n = 0;
		tokenizer_encode(tok, text, tlen, 1, special, &tv);
		nlines++;
		if (ids_equal(&tv, want, nwant))
			nok++;
		else {
			test_cond(0, "golden line");
			test_diag("%s (%s) input: %s", name,
			    special ? "special" : "plain", line);
			test_diag_ids("want", want, nwant);
			test_diag_ids("got ", tv.v, tv.n);
		}
		/*
		 * Round trip: decode(encode(x)) == x wherever no control-token
		 * text is turned into a token (then the dummy-prefix space
		 * re-added after it cannot round-trip, in llama.cpp too).
		 */
		if (!special || !has_control_text(tok, text)) {
			nrt++;
			dec = tokenizer_decode(tok, tv.v, tv.n, 0);
			if (strcmp(dec, text) == 0)
				nrt_ok++;
			else
				test_diag("round trip: '%s' -> '%s'", text, dec);
			free(dec);
		}
		/*
		 * Plain text cut into segments anywhere (even inside a UTF-8
		 * character) tokenizes as the whole string.
		 */
		if (!special) {
			struct tok_seg	seg[3];
			struct tokvec	sv = { NULL, 0, 0 };
			size_t		sf[3];

			seg[0].text = text;
			seg[0].len = tlen / 3;
			seg[1].text = text + tlen / 3;
			seg[1].len = tlen / 2 - tlen / 3;
			seg[2].text = text + tlen / 2;
			seg[2].len = tlen - tlen / 2;
			seg[0].parse_special = seg[1].parse_special =
			    seg[2].parse_special = 0;
			tokenizer_encode_segs(tok, seg, 3, 1, &sv, sf);
			nseg++;
			if (ids_equal(&sv, tv.v, tv.n) && sf[0] == 1 &&
			    sf[0] <= sf[1] && sf[1] <= sf[2] && sf[2] <= sv.n)
				nseg_ok++;
			tokvec_free(&sv);
		}
		nstream++;
		dec = tokenizer_decode(tok, tv.v, tv.n, 0);
		str = stream_decode(tok, tv.v, tv.n, &valid);
		if (valid && strcmp(dec, str) == 0)
			nstream_ok++;
		free(dec);
		free(str);
	}
	test_condf(nlines > 0 && nok == nlines, "%s: %zu/%zu lines reproduced",
	    name, nok, nlines);
	test_condf(nrt > 0 && nrt_ok == nrt, "%s: round trip %zu/%zu", name,
	    nrt_ok, nrt);
	test_condf(nstream_ok == nstream, "%s: streaming detok = decode "
	    "%zu/%zu", name, nstream_ok, nstream);
	test_condf(nseg > 0 && nseg_ok == nseg, "%s: plain text in segments "
	    "= whole string %zu/%zu", name, nseg_ok, nseg);
	free(text);
	free(data);
	tokvec_free(&tv);
	tokenizer_free(tok);
	gguf_close(gf);
}

static void
vocab_cases(const char *model)
{
	struct gguf_file	*gf;
	struct tokenizer	*tok;
	struct tokvec		 tv = { NULL, 0, 0 };
	char			 path[4096], *inp, *outs, *p, *end, *sep, *ol;
	char			*onext, *dec;
	size_t			 ilen, olen, n = 0, nok = 0, nrt = 0, nwant;
	int32_t			 want[1024];
	static const char	 sepstr[] = "\n__ggml_vocab_test__\n";

	snprintf(path, sizeof path, "%s/models/vocab/%s.inp", shared, model);
	inp = test_slurp(path, &ilen);
	snprintf(path, sizeof path, "%s/models/vocab/%s.out", shared, model);
	outs = test_slurp(path, &olen);
	snprintf(path, sizeof path, "models/vocab/%s", model);
	if (inp == NULL || outs == NULL ||
	    (tok = test_load_tokenizer(shared, path, &gf)) == NULL) {
		test_cond(0, "vocab test files load");
		free(inp);
		free(outs);
		return;
	}
	p = inp;
	end = inp + ilen;
	ol = outs;
	while (p < end && ol != NULL && *ol != '\0') {
		sep = memmem(p, (size_t)(end - p), sepstr, sizeof sepstr - 1);
		if (sep == NULL)
			break;
		if ((onext = strchr(ol, '\n')) != NULL)
			*onext++ = '\0';
		nwant = test_parse_ids(ol, want, 1024);
		tv.n = 0;
		tokenizer_encode(tok, p, (size_t)(sep - p), 0, 0, &tv);
		n++;
		if (ids_equal(&tv, want, nwant))
			nok++;
		else {
			test_diag("%s case %zu differs", model, n);
			test_diag_ids("want", want, nwant);
			test_diag_ids("got ", tv.v, tv.n);
		}
		dec = tokenizer_decode(tok, tv.v, tv.n, 0);
		if (strlen(dec) == (size_t)(sep - p) &&
		    memcmp(dec, p, (size_t)(sep - p)) == 0)
			nrt++;
		else
			test_diag("%s case %zu: round trip differs", model, n);
		free(dec);
		p = sep + sizeof sepstr - 1;
		ol = onext;
	}
	test_condf(n == 46 && nok == n, "%s: %zu/%zu cases reproduced", model,
	    nok, n);
	test_condf(n > 0 && nrt == n, "%s: round trip %zu/%zu", model, nrt, n);
	tokvec_free(&tv);
	tokenizer_free(tok);
	gguf_close(gf);
	free(inp);
	free(outs);
}

/* The llama SPM vocab: detok, BOS handling, invalid input, long input. */
static void
llama_vocab_checks(void)
{
	struct gguf_file	*gf;
	struct tokenizer	*tok;
	struct tokvec		 tv = { NULL, 0, 0 };
	struct detok		 d;
	char			 out[64], all[256], *dec, *big, *s;
	size_t			 n, len, i, total;
	int32_t			 ids[16];
	int			 ok, valid;
	static const char	 bad[] = "a\xff\xfe b\xe2\x82 \xf0\x9f\xa6 "
	    "\xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 \x80\xbf end\xf0";
	static const char	 bad_nospace[] = "a\xff\xfe" "bcde\xe2\x82xyz "
	    "\xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 \x80\xbf end\xf0";

	if ((tok = test_load_tokenizer(shared,
	    "models/vocab/ggml-vocab-llama-spm.gguf",
	    &gf)) == NULL) {
		test_cond(0, "llama-spm vocab loads");
		return;
	}
	test_cond(tokenizer_bos(tok) == 1 && tokenizer_eos(tok) == 2 &&
	    tokenizer_add_bos(tok) && tokenizer_is_eog(tok, 2) &&
	    !tokenizer_is_eog(tok, 1), "llama vocab: BOS 1, EOS 2, EOG {2}");

	/* examples checked against llama-tokenize on a Llama SPM vocabulary */
	tv.n = 0;
	tokenizer_encode(tok, "<s>hi</s> x", 11, 1, 1, &tv);
	n = test_parse_ids("1 1 7251 2 29871 921", ids, 16);
	test_cond(ids_equal(&tv, ids, n), "<s>hi</s> x with specials");
	tv.n = 0;
	tokenizer_encode(tok, "<s>hi</s> x", 11, 1, 0, &tv);
	n = test_parse_ids("1 529 29879 29958 2918 829 29879 29958 921", ids, 16);
	test_cond(ids_equal(&tv, ids, n), "<s>hi</s> x without specials");
	tv.n = 0;
	tokenizer_encode(tok, "", 0, 1, 1, &tv);
	test_cond(tv.n == 1 && tv.v[0] == 1, "empty text gives only BOS");

	/* Emoji as four byte tokens, fed one at a time. */
	tv.n = 0;
	tokenizer_encode(tok, "héllo 🦙", strlen("héllo 🦙"), 0, 0, &tv);
	n = test_parse_ids("298 3610 417 29871 243 162 169 156", ids, 16);
	test_cond(ids_equal(&tv, ids, n), "héllo 🦙 uses byte fallback");
	detok_init(&d, tok);
	total = 0;
	ok = 1;
	for (i = 0; i < tv.n; i++) {
		len = detok_push(&d, tv.v[i], out, sizeof out);
		if (!utf8_valid(out, len))
			ok = 0;
		/* nothing may come out while the emoji is incomplete */
		if (i >= 4 && i < 7 && len != 0)
			ok = 0;
		memcpy(all + total, out, len);
		total += len;
	}
	total += detok_flush(&d, all + total, sizeof all - total);
	all[total] = '\0';
	test_cond(ok && strcmp(all, "héllo 🦙") == 0,
	    "streaming detok holds a split emoji until complete");

	/* CJK split across byte tokens: 語 = E8 AA 9E = ids 235 173 161 */
	n = test_parse_ids("235 173", ids, 16);
	detok_init(&d, tok);
	len = detok_push(&d, ids[0], out, sizeof out);
	len += detok_push(&d, ids[1], out, sizeof out);
	test_cond(len == 0, "partial CJK character held back");
	len = detok_flush(&d, out, sizeof out);
	test_cond(len == 6 && strcmp(out, "\xEF\xBF\xBD\xEF\xBF\xBD") == 0,
	    "flush writes held bytes as U+FFFD");
	/* a lead byte followed by ASCII: U+FFFD then the ASCII */
	n = test_parse_ids("235 29874", ids, 16);	/* E8, "a" */
	detok_init(&d, tok);
	d.first = 0;
	len = detok_push(&d, ids[0], out, sizeof out);
	len += detok_push(&d, ids[1], out + len, sizeof out - len);
	test_cond(strcmp(out, "\xEF\xBF\xBD" "a") == 0,
	    "broken sequence becomes U+FFFD, following text kept");

	/* Leading space: stripped after BOS and without it. */
	n = test_parse_ids("1 15043 3186", ids, 16);
	dec = tokenizer_decode(tok, ids, n, 0);
	test_cond(strcmp(dec, "Hello world") == 0, "decode strips dummy space "
	    "after BOS");
	free(dec);
	dec = tokenizer_decode(tok, ids, n, 1);
	test_cond(strcmp(dec, "<s>Hello world") == 0, "render_special shows "
	    "<s>");
	free(dec);
	n = test_parse_ids("3186", ids, 16);
	len = tokenizer_piece(tok, ids[0], 0, out, sizeof out);
	test_cond(len == 6 && memcmp(out, " world", 6) == 0, "piece of "
	    "▁world is ' world'");
	test_cond(tokenizer_piece(tok, 2, 0, out, sizeof out) == 0 &&
	    tokenizer_piece(tok, 2, 1, out, sizeof out) == 4,
	    "control piece empty unless render_special");
	test_cond(tokenizer_piece(tok, -5, 1, out, sizeof out) == 0 &&
	    tokenizer_piece(tok, 1 << 30, 1, out, sizeof out) == 0,
	    "invalid ids give empty pieces");

	/*
	 * Invalid UTF-8.  Where no space follows within 3 bytes of a bad
	 * lead byte every byte comes back.  Otherwise the lead byte's
	 * "sequence" swallows part of the U+2581 escape of the space (as in
	 * llama.cpp, which splits the escaped text the same way), and those
	 * bytes decode as raw E2 96 81: no crash, just no round trip.
	 */
	tv.n = 0;
	tokenizer_encode(tok, bad_nospace, sizeof bad_nospace - 1, 1, 1, &tv);
	dec = tokenizer_decode(tok, tv.v, tv.n, 0);
	test_cond(strlen(dec) == sizeof bad_nospace - 1 &&
	    memcmp(dec, bad_nospace, sizeof bad_nospace - 1) == 0,
	    "invalid UTF-8 round-trips byte for byte");
	free(dec);
	tv.n = 0;
	tokenizer_encode(tok, bad, sizeof bad - 1, 1, 1, &tv);
	dec = tokenizer_decode(tok, tv.v, tv.n, 0);
	test_cond(strncmp(dec, "a\xff\xfe\xe2\x96\x81" "b", 7) == 0,
	    "bad lead byte before a space swallows the escape as llama.cpp");
	free(dec);
	s = stream_decode(tok, tv.v, tv.n, &valid);
	test_cond(valid, "streaming detok of invalid UTF-8 emits valid UTF-8");
	free(s);
	tv.n = 0;
	tokenizer_encode(tok, "\xf0", 1, 0, 0, &tv);
	test_cond(tv.n == 2 && tv.v[0] == 29871 && tv.v[1] == 0xf0 + 3,
	    "a lone lead byte at the end is one byte token");

	/* A long prompt (about 4k tokens) is not quadratic. */
	big = xmalloc(20001);
	for (i = 0; i < 20000; i++)
		big[i] = "The patient reports chest pain. "[i % 32];
	big[20000] = '\0';
	tv.n = 0;
	tokenizer_encode(tok, big, 20000, 1, 1, &tv);
	dec = tokenizer_decode(tok, tv.v, tv.n, 0);
	test_condf(tv.n > 3000 && strcmp(dec, big) == 0,
	    "20000-byte prompt: %zu tokens, round trip", tv.n);
	free(dec);
	free(big);

	tokvec_free(&tv);
	tokenizer_free(tok);
	gguf_close(gf);
}

static void
gpt2_rejected(void)
{
	struct gguf_file	*gf;
	struct tokenizer	*tok = NULL;
	char			 path[4096], *cause = NULL;

	snprintf(path, sizeof path, "%s/models/vocab/ggml-vocab-gpt-2.gguf",
	    shared);
	if (gguf_open(path, &gf, &cause) != 0) {
		test_cond(0, "gpt-2 vocab opens");
		test_diag("%s", cause);
		free(cause);
		return;
	}
	test_cond(tokenizer_load(gf, &tok, &cause) == -1 && tok == NULL &&
	    cause != NULL && strstr(cause, "tokenizer.ggml.model") != NULL &&
	    strstr(cause, "'gpt2' is not supported") != NULL &&
	    strchr(cause, '\n') == NULL, "gpt2 vocab rejected with one line");
	if (cause != NULL)
		test_diag("%s", cause);
	free(cause);
	gguf_close(gf);
}

/* ---- tiny vocabulary of our own --------------------------------------- */

/*
 * ids: 0 <unk>, 1 <s>, 2 </s>, 3.. byte tokens <0x00>..<0xFF> (259 of
 * them end at 258), then pieces with scores chosen to test the merge
 * order, a user-defined token and ChatML control tokens.
 */
static const char *const tiny_extra[] = {
	"\xe2\x96\x81", "a", "b", "c", "ab", "bc", "abc", "\xe2\x96\x81" "a",
	"\xe2\x96\x81" "ab", "<|im_start|>", "<|im_end|>", "<tool>", "x", "xx",
	"\xc3\xa9"
};
static const float tiny_extra_score[] = {
	-1, -2, -2, -2, -5, -3, -4, -6,
	-7, 0, 0, 0, -2, -1,
	-3
};
/*
 * <|im_end|> is written NORMAL and <|im_start|> USER_DEFINED on purpose:
 * both must end up CONTROL (EOG detection; our ChatML rule).
 */
static const int tiny_extra_type[] = {
	1, 1, 1, 1, 1, 1, 1, 1,
	1, 4, 1, 4, 1, 1,
	1
};
#define TINY_FIRST	259
#define TINY_ID(i)	(TINY_FIRST + (i))

static struct tokenizer *
tiny_load(const char *model, int with_types, int dup, char **cause)
{
	struct test_vocab	 v;
	struct gguf_writer	*w;
	struct tokenizer	*tok;
	size_t			 i, size;
	void			*data;

	test_vocab_init(&v);
	for (i = 0; i < sizeof tiny_extra / sizeof tiny_extra[0]; i++)
		test_vocab_add(&v, tiny_extra[i], tiny_extra_score[i],
		    tiny_extra_type[i]);
	if (dup)
		v.toks[v.n - 1] = "abc";
	/* without types: the token_type array has the wrong length */
	w = test_vocab_writer(&v, model, with_types ? v.n : v.n - 1);
	gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1);
	gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2);
	gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 99999);
	data = gguf_writer_bytes(w, &size);
	gguf_writer_free(w);
	tok = test_vocab_load(data, size, cause);
	free(data);
	return tok;
}

static void
tiny_expect(const struct tokenizer *tok, const char *text, int add_bos,
    int special, const char *want, const char *what)
{
	struct tokvec	tv = { NULL, 0, 0 };
	int32_t		ids[64];
	size_t		n;

	n = test_parse_ids(want, ids, 64);
	tokenizer_encode(tok, text, strlen(text), add_bos, special, &tv);
	test_cond(ids_equal(&tv, ids, n), what);
	if (!ids_equal(&tv, ids, n)) {
		test_diag_ids("want", ids, n);
		test_diag_ids("got ", tv.v, tv.n);
	}
	tokvec_free(&tv);
}

static void
tiny_tests(void)
{
	struct tokenizer	*tok;
	struct tokvec		 tv = { NULL, 0, 0 };
	struct tok_seg		 segs[3];
	size_t			 first[3];
	char			*cause = NULL, want[128], *dec;
	int32_t			 im_start, im_end;
	size_t			 i;
	/*
	 * Vocabularies tiny_load() must refuse, and the message: want
	 * itself if exact, else a part of it.
	 */
	static const struct {
		const char	*model;
		int		 types_ok, dup, exact;
		const char	*want, *descr;
	} bad[] = {
		{ "gpt2", 1, 0, 1, "tiny.gguf: tokenizer.ggml.model: "
		    "tokenizer model 'gpt2' is not supported (only "
		    "SentencePiece 'llama')",
		    "tiny: gpt2 model rejected, message names key and value" },
		{ NULL, 1, 0, 0, "tokenizer.ggml.model: missing",
		    "tiny: missing tokenizer model rejected" },
		{ "llama", 0, 0, 0, "token_type",
		    "tiny: token_type of the wrong length rejected" },
		{ "llama", 1, 1, 0, "duplicates",
		    "tiny: duplicate token text rejected" },
	};

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tok = tiny_load(bad[i].model, bad[i].types_ok, bad[i].dup,
		    &cause);
		test_cond(tok == NULL && cause != NULL &&
		    (bad[i].exact ? strcmp(cause, bad[i].want) == 0 :
		    strstr(cause, bad[i].want) != NULL), bad[i].descr);
		free(cause);
		cause = NULL;
	}

	tok = tiny_load("llama", 1, 0, &cause);
	test_cond(tok != NULL, "tiny: vocabulary loads");
	if (tok == NULL) {
		test_diag("%s", cause);
		free(cause);
		return;
	}
	im_start = tokenizer_find(tok, "<|im_start|>");
	im_end = tokenizer_find(tok, "<|im_end|>");
	test_cond(im_start == TINY_ID(9) && im_end == TINY_ID(10),
	    "tiny: tokenizer_find");
	test_cond(tokenizer_is_eog(tok, 2) && tokenizer_is_eog(tok, im_end) &&
	    tokenizer_is_control(tok, im_end) &&
	    tokenizer_is_control(tok, im_start) &&
	    !tokenizer_is_eog(tok, im_start) &&
	    !tokenizer_is_control(tok, TINY_ID(11)),
	    "tiny: EOS and <|im_end|> are EOG; <|im_end|>, <|im_start|> "
	    "forced CONTROL, <tool> stays user-defined");

	/*
	 * "abc" with prefix: ▁ a b c.  Pairs: ▁a(-6) ab(-5) bc(-3).  bc
	 * first -> ▁ a bc; then ▁a(-6) and abc(-4): abc -> ▁ abc; then
	 * ▁abc is not a token: result ▁ abc.
	 */
	snprintf(want, sizeof want, "1 %d %d", TINY_ID(0), TINY_ID(6));
	tiny_expect(tok, "abc", 1, 0, want, "tiny: merges by score");
	/* "xxx": x x x; pairs xx at 0 and 1 tie: leftmost first */
	snprintf(want, sizeof want, "%d %d %d", TINY_ID(0), TINY_ID(13),
	    TINY_ID(12));
	tiny_expect(tok, "xxx", 0, 0, want, "tiny: equal scores merge "
	    "leftmost first");
	/* unknown character -> byte tokens (q = 0x71 -> id 0x71 + 3) */
	snprintf(want, sizeof want, "%d %d %d", TINY_ID(0), 0x71 + 3,
	    TINY_ID(1));
	tiny_expect(tok, "qa", 0, 0, want, "tiny: byte fallback");
	/* é is a token; è is not: C3 A8 as bytes */
	snprintf(want, sizeof want, "%d %d %d %d", TINY_ID(0), TINY_ID(14),
	    0xc3 + 3, 0xa8 + 3);
	tiny_expect(tok, "éè", 0, 0, want, "tiny: multi-byte piece and "
	    "bytes");
	/* specials */
	snprintf(want, sizeof want, "1 %d %d %d %d", im_start, TINY_ID(7),
	    im_end, 2);
	tiny_expect(tok, "<|im_start|>a<|im_end|></s>", 1, 1, want,
	    "tiny: control tokens split out with parse_special");
	tv.n = 0;
	tokenizer_encode(tok, "<|im_start|>a<|im_end|>", 23, 1, 0, &tv);
	test_cond(tv.n > 3 && tv.v[1] != im_start && tv.v[tv.n - 1] != im_end,
	    "tiny: control text stays text without parse_special");
	/* user-defined <tool> is matched even with parse_special off */
	snprintf(want, sizeof want, "%d %d %d", TINY_ID(7), TINY_ID(11),
	    TINY_ID(7));
	tiny_expect(tok, "a<tool>a", 0, 0, want, "tiny: user-defined token "
	    "split out with parse_special off, prefix space after it");

	/* segments: control token in the markup segment only */
	segs[0].text = "<|im_start|>";
	segs[0].len = 12;
	segs[0].parse_special = 1;
	segs[1].text = "ab<|im_end|>";
	segs[1].len = 12;
	segs[1].parse_special = 0;
	segs[2].text = "<|im_end|>";
	segs[2].len = 10;
	segs[2].parse_special = 1;
	tv.n = 0;
	tokenizer_encode_segs(tok, segs, 3, 1, &tv, first);
	test_cond(tv.n > 4 && tv.v[0] == 1 && tv.v[1] == im_start &&
	    tv.v[tv.n - 1] == im_end && first[0] == 1 && first[1] == 2 &&
	    first[2] == tv.n - 1, "tiny: segments with per-segment "
	    "parse_special and seg_first");
	dec = tokenizer_decode(tok, tv.v, tv.n, 1);
	test_cond(strcmp(dec, "<s><|im_start|> ab<|im_end|><|im_end|>") == 0,
	    "tiny: decode with render_special");
	free(dec);

	tokvec_free(&tv);
	tokenizer_free(tok);
}

/*
 * A minimal vocabulary: no scores (all 0), no token_type (all NORMAL, so
 * nothing is split out as a special token), no byte tokens: characters
 * without a token become <unk>.
 */
static void
minimal_vocab(void)
{
	static const char *const toks[] = {
		"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "\xe2\x96\x81\x61"
	};
	struct gguf_writer	*w;
	struct gguf_file	*gf;
	struct tokenizer	*tok = NULL;
	char			*cause = NULL;
	void			*data;
	size_t			 size;

	w = gguf_writer_new(3);
	gguf_w_str(w, "tokenizer.ggml.model", "llama");
	gguf_w_arr_str(w, "tokenizer.ggml.tokens", toks, 6);
	gguf_w_bool(w, "tokenizer.ggml.add_bos_token", 1);
	data = gguf_writer_bytes(w, &size);
	gguf_writer_free(w);
	if (gguf_open_mem("min.gguf", data, size, &gf, &cause) != 0 ||
	    tokenizer_load(gf, &tok, &cause) != 0) {
		test_cond(0, "minimal vocab loads");
		test_diag("%s", cause);
		free(cause);
		free(data);
		return;
	}
	gguf_close(gf);
	free(data);
	test_cond(!tokenizer_is_control(tok, 2) && tokenizer_is_eog(tok, 2) &&
	    !tokenizer_is_control(tok, 1), "minimal: without token_type all "
	    "tokens are NORMAL; EOS is still EOG (llama.cpp)");
	tiny_expect(tok, "a</s>b", 1, 1, "1 5 0 0 0 0 0", "minimal: NORMAL "
	    "</s> is not split out; unknown characters become <unk>");
	tiny_expect(tok, "a</s>b", 1, 0, "1 5 0 0 0 0 0", "minimal: plain "
	    "mode gives the same");
	tiny_expect(tok, "b", 0, 0, "3 0", "minimal: no byte tokens, <unk>");
	tokenizer_free(tok);
}

int
main(void)
{
	tiny_tests();
	minimal_vocab();

	shared = test_shared_dir();
	if (shared == NULL) {
		test_skip("golden tokenization", "shared models not found");
		return test_report();
	}
	golden_tsv("tok-chatml-llama2vocab-q4_k_m.tsv",
	    "models/synthetic/chatml-llama2vocab-q4_k_m.gguf");
	golden_tsv("tok-ggml-vocab-llama-spm.tsv",
	    "models/vocab/ggml-vocab-llama-spm.gguf");
	golden_tsv("tok-stories260K.tsv", "models/real/stories260K.gguf");
	golden_tsv("tok-tinyllama-v0-q4_0.tsv",
	    "models/real/tinyllama-v0-q4_0.gguf");
	vocab_cases("ggml-vocab-llama-spm.gguf");
	vocab_cases("ggml-vocab-phi-3.gguf");
	llama_vocab_checks();
	gpt2_rejected();
	return test_report();
}
