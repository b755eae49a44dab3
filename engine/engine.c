/*
 * engine.c -- the inference facade of engine.h: wires gguf -> model ->
 * tokenizer -> forward pass -> sampler, and runs chat turns.
 *
 * engine_open() does every allocation a conversation needs: the mapped
 * file, the model views, the tokenizer, the thread pool, the run state
 * and f16 KV cache (struct fwd), one row of logits, the record of which
 * tokens the KV cache holds, and the stop-string hold buffer.  Sampling
 * and generating a token then never allocate (a sampler is created per
 * call, before the first token).
 *
 * KV reuse: e->kv_toks[0..n_past) are the tokens whose K/V are cached at
 * positions 0..n_past-1.  A new prompt is compared with them and only the
 * tokens after the common prefix are evaluated, so a multi-turn chat pays
 * only for the new turn.  Our previous answer, re-tokenized from its text
 * in the next prompt, is recognised by its text and replaced by the ids
 * we generated (engine_splice), so it is not evaluated twice either.
 *
 * Chat turns: the conversation is rendered by the template (chatfmt_build,
 * user text with special tokens OFF).  If it does not fit the context with
 * room for an answer, whole turns after the leading system message(s) are
 * dropped, oldest first (a user message together with the answer that
 * follows it), and reported in engine_result.
 *
 * Output: generated ids go through the streaming detokenizer (whole UTF-8
 * only) and then a stop-string filter that holds back any tail that could
 * be the start of a stop string; a completed stop string ends generation
 * and is never emitted.
 *
 * Threads: engine_chat/complete run on one caller thread at a time; the
 * only cross-thread entry is engine_cancel(), an atomic flag checked once
 * per generated token and, during the prompt, by the forward pass after
 * every layer of every batch (fwd_set_cancel).  A prompt cut short keeps
 * the K/V of its whole batches evaluated so far (n_past and kv_toks say
 * which), so the next call's prefix reuse stays exact.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "engine.h"
#include "gguf.h"
#include "kernels.h"
#include "model.h"
#include "prefix.h"
#include "quant.h"
#include "tokenizer.h"
#include "buf.h"
#include "host.h"
#include "xmalloc.h"

#define ENGINE_BATCH		512
#define ENGINE_HOLD		1024	/* stop-string hold buffer */
#define ENGINE_PIECE		256	/* one detokenized piece */
#define ENGINE_PREFIX_MIN	32	/* a shorter system part is not cached */
#ifdef PACKAGE_VERSION
#define ENGINE_VERSION		PACKAGE_VERSION
#else
#define ENGINE_VERSION		"unknown"	/* built without configure */
#endif

struct engine {
	struct engine_info	 info;
	char			*path;
	char			*model_name;
	char			 quant[32];
	char			 kernels[160];	/* info.kernels */
	struct gguf_file	*gf;
	struct model		*m;
	struct tokenizer	*tok;
	struct tpool		*tp;
	struct fwd		*fw;
	enum chat_tmpl		 tmpl;		/* the model's default */
	int			 n_ctx;
	int			 n_vocab;
	float			*logits;	/* [n_vocab] */
	int32_t			*kv_toks;	/* [n_ctx] tokens in the cache */
	int			 n_past;
	atomic_int		 cancel;
	char			 hold[ENGINE_HOLD];
	size_t			 nhold;
	char			*piece;		/* detokenizer output */
	size_t			 piece_size;
	char			*prefix_dir;	/* NULL: no prefix cache */
	char			*ident;		/* the file's and kernels'
						   identity (prefix_key) */
	char			*prefix_why;	/* engine_result.prefix_error */
	int			 sys_end;	/* tokens of the prompt's system
						   part (engine_chat), or 0 */
};

/* One generation: the prompt is in e->kv_toks-to-be. */
struct engine_gen {
	const char *const	*stops;		/* NULL-terminated, or NULL */
	engine_emit_fn		 emit;
	void			*arg;
	int			 stopped;	/* stop string seen */
	int			 emit_stop;	/* emit returned nonzero */
};

static double	 engine_now(void);
static void	 engine_quant_name(struct engine *);
static void	 engine_to_params(const struct engine *,
		    const struct engine_sampling *, struct sampler_params *);
static void	 engine_out(struct engine *, struct engine_gen *,
		    const char *, size_t, int);
static void	 engine_text(struct engine *, const int32_t *, int,
		    struct buf *);
static int32_t	*engine_splice(struct engine *, const int32_t *, int, int,
		    int *);
static int	 engine_run(struct engine *, const int32_t *, int,
		    const struct engine_sampling *, struct engine_gen *,
		    struct engine_result *, char **);
static int	 engine_tmpl(struct engine *, const char *, enum chat_tmpl *,
		    char **);
static void	 engine_build(struct engine *, enum chat_tmpl,
		    const struct engine_msg *, int, const int *,
		    struct tokvec *, size_t *);
static int	 engine_count(struct engine *, enum chat_tmpl,
		    const struct engine_msg *, int);
static void	 engine_build_cut(struct engine *, enum chat_tmpl,
		    const struct engine_msg *, int, int, int, int *,
		    struct tokvec *);
static void	 engine_prompt(struct engine *, enum chat_tmpl,
		    const struct engine_msg *, int, int,
		    struct engine_result *, struct tokvec *);
static int	 engine_reserve(const struct engine *,
		    const struct engine_sampling *);
static void	 engine_ident(struct engine *, const struct stat *,
		    const char *);
static int	 engine_sys_end(struct engine *, enum chat_tmpl,
		    const struct engine_msg *, int, const struct tokvec *);
static int	 engine_prefix_load(struct engine *, const int32_t *, int,
		    uint8_t [PREFIX_KEY_LEN], struct engine_result *, int);
static void	 engine_prefix_save(struct engine *, const int32_t *, int,
		    const uint8_t [PREFIX_KEY_LEN], struct engine_result *);
static int	 engine_run_free(struct engine *, struct tokvec *,
		    const char *const *, const struct engine_sampling *,
		    engine_emit_fn, void *, struct engine_result *, char **);

static double
engine_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "Q4_K_M" from general.file_type, else the type of attn_q in layer 0. */
static void
engine_quant_name(struct engine *e)
{
	const char	*s;
	uint32_t	 ft;
	char		*err = NULL;
	size_t		 i;

	s = NULL;
	if (gguf_get_u32(e->gf, "general.file_type", &ft, &err) == 1)
		s = gguf_ftype_name(ft);
	free(err);
	if (s == NULL)
		s = qtype_name(e->m->layers[0].wq.type);
	else if (strncmp(s, "MOSTLY_", 7) == 0)
		s += 7;
	else if (strncmp(s, "ALL_", 4) == 0)
		s += 4;
	for (i = 0; s[i] != '\0' && i + 1 < sizeof e->quant; i++)
		e->quant[i] = s[i];
	e->quant[i] = '\0';
}

int
engine_open(const struct engine_opts *opts, struct engine **out,
    char **cause)
{
	char			 esc[96];
	struct engine		*e;
	const struct hparams	*hp;
	struct stat		 st;
	const char		*slash;
	char			*tm = NULL, *jinja = NULL;
	uint64_t		 avail, per_pos, budget;
	int			 r, nt, n_ctx;

	*out = NULL;
	if (cpu_init(cause) != 0)
		return -1;
	e = xcalloc(1, sizeof *e);
	e->path = xstrdup(opts->path);
	if (opts->progress != NULL)
		opts->progress(0.0f, opts->progress_arg);
	if (gguf_open(opts->path, &e->gf, cause) != 0)
		goto fail;

	r = gguf_get_str(e->gf, "tokenizer.ggml.model", &tm, cause);
	if (r < 0)
		goto fail;
	if (r == 0) {
		xasprintf(cause, "%s: missing required key "
		    "'tokenizer.ggml.model'", e->gf->name);
		goto fail;
	}
	if (strcmp(tm, "llama") != 0) {
		gguf_escape(tm, strlen(tm), esc, sizeof esc);
		xasprintf(cause, "%s: unsupported tokenizer '%s' (only "
		    "SentencePiece 'llama' is supported)", e->gf->name, esc);
		free(tm);
		goto fail;
	}
	free(tm);

	if (model_load(e->gf, &e->m, cause) != 0)
		goto fail;
	hp = &e->m->hp;
	if (opts->progress != NULL)
		opts->progress(0.3f, opts->progress_arg);
	if (tokenizer_load(e->gf, &e->tok, cause) != 0)
		goto fail;
	if (tokenizer_n_vocab(e->tok) != hp->n_vocab) {
		xasprintf(cause, "%s: tokenizer has %d tokens but the model "
		    "has %d", e->gf->name, tokenizer_n_vocab(e->tok),
		    hp->n_vocab);
		goto fail;
	}
	e->n_vocab = hp->n_vocab;

	/*
	 * Default: one thread per physical core, but a single thread for
	 * tiny models, whose per-layer work is smaller than a barrier.
	 */
	nt = opts->n_threads > 0 ? opts->n_threads : host_physical_cores();
	if (opts->n_threads <= 0 && e->m->weight_bytes < (16 << 20))
		nt = 1;
	if (nt > ENGINE_THREADS_MAX)
		nt = ENGINE_THREADS_MAX;

	per_pos = 2ULL * 2 * hp->n_layer * hp->n_head_kv * hp->head_dim;
	if (opts->n_ctx > 0) {
		if (opts->n_ctx > ENGINE_CTX_MAX) {
			xasprintf(cause, "context size %d is too large",
			    opts->n_ctx);
			goto fail;
		}
		n_ctx = opts->n_ctx;
	} else {
		n_ctx = hp->n_ctx_train;
		avail = host_mem_available();
		if (avail > 0) {
			budget = avail > e->gf->size ? avail - e->gf->size :
			    avail / 2;
			budget = budget / 4 * 3;
			if ((uint64_t)n_ctx * per_pos > budget)
				n_ctx = (int)(budget / per_pos) / 32 * 32;
			if (n_ctx < 256)
				n_ctx = hp->n_ctx_train < 256 ?
				    hp->n_ctx_train : 256;
		}
	}
	e->n_ctx = n_ctx;

	e->tp = tpool_create(nt);
	e->fw = fwd_create(e->m, e->tp, n_ctx, ENGINE_BATCH, cause);
	if (e->fw == NULL)
		goto fail;
	/* Run state sized by the model and the context: checked, not x*. */
	e->logits = calloc(hp->n_vocab, sizeof *e->logits);
	e->kv_toks = calloc(n_ctx, sizeof *e->kv_toks);
	if (e->logits == NULL || e->kv_toks == NULL) {
		xasprintf(cause, "out of memory for the logits and the "
		    "context of %d tokens", n_ctx);
		goto fail;
	}
	e->piece_size = detok_bufsize(e->tok);
	if (e->piece_size < ENGINE_PIECE)
		e->piece_size = ENGINE_PIECE;
	if (e->piece_size > ENGINE_HOLD / 2)
		e->piece_size = ENGINE_HOLD / 2;
	e->piece = xmalloc(e->piece_size);
	if (opts->progress != NULL)
		opts->progress(0.9f, opts->progress_arg);

	r = gguf_get_str(e->gf, "tokenizer.chat_template", &jinja, cause);
	if (r < 0)
		goto fail;
	e->tmpl = chatfmt_detect(jinja);
	free(jinja);
	engine_quant_name(e);

	slash = strrchr(e->path, '/');
	e->info.path = e->path;
	e->info.file_name = slash != NULL ? slash + 1 : e->path;
	e->info.model_name = e->m->name != NULL && *e->m->name != '\0' ?
	    e->m->name : e->info.file_name;
	e->info.quant = e->quant;
	e->info.template_name = chatfmt_name(e->tmpl);
	e->info.cpu = cpu_level_name(cpu_level());
	model_kernels(e->m, e->kernels, sizeof e->kernels);
	e->info.kernels = e->kernels;
	e->info.file_size = e->gf->size;
	e->info.n_params = e->m->n_params;
	e->info.token_bytes = e->m->token_bytes;
	e->info.n_ctx_train = hp->n_ctx_train;
	e->info.n_ctx = n_ctx;
	e->info.n_vocab = hp->n_vocab;
	e->info.n_layer = hp->n_layer;
	e->info.n_embd = hp->n_embd;
	e->info.n_threads = nt;
	if (opts->prefix_dir != NULL && fstat(e->gf->fd, &st) == 0)
		engine_ident(e, &st, opts->prefix_dir);
	if (opts->progress != NULL)
		opts->progress(1.0f, opts->progress_arg);
	*out = e;
	return 0;

fail:
	engine_close(e);
	return -1;
}

void
engine_close(struct engine *e)
{
	if (e == NULL)
		return;
	fwd_free(e->fw);
	if (e->tp != NULL)
		tpool_free(e->tp);
	tokenizer_free(e->tok);
	model_free(e->m);
	if (e->gf != NULL)
		gguf_close(e->gf);
	free(e->logits);
	free(e->kv_toks);
	free(e->piece);
	free(e->path);
	free(e->prefix_dir);
	free(e->ident);
	free(e->prefix_why);
	free(e);
}

/*
 * The prefix cache's identity of this engine (prefix_key): the model
 * file's (st), the program's own file where the system names it (a
 * rebuilt medchat may compute other K/V: its files are not read), the
 * version, the CPU level and the kernels.
 */
static void
engine_ident(struct engine *e, const struct stat *st, const char *dir)
{
	struct stat	xs;
	int		exe;

	exe = stat("/proc/self/exe", &xs) == 0;
	e->prefix_dir = xstrdup(dir);
	xasprintf(&e->ident, "%llu:%llu:%llu:%lld|%llu:%llu:%llu:%lld|%s|%s|%s",
	    (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
	    (unsigned long long)st->st_size, (long long)COMPAT_MTIME_NS(st),
	    exe ? (unsigned long long)xs.st_dev : 0ULL,
	    exe ? (unsigned long long)xs.st_ino : 0ULL,
	    exe ? (unsigned long long)xs.st_size : 0ULL,
	    exe ? (long long)COMPAT_MTIME_NS(&xs) : 0LL, ENGINE_VERSION,
	    e->info.cpu, e->kernels);
}

const struct engine_info *
engine_get_info(const struct engine *e)
{
	return &e->info;
}

void
engine_sampling_default(struct engine_sampling *s)
{
	struct sampler_params	p;
	struct timespec		ts;

	sampler_params_default(&p);
	s->temp = p.temp;
	s->top_k = p.top_k;
	s->top_p = p.top_p;
	s->min_p = p.min_p;
	s->repeat_penalty = p.repeat_penalty;
	s->repeat_last_n = p.repeat_last_n;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->seed = (uint64_t)ts.tv_sec * 1000000007ULL + (uint64_t)ts.tv_nsec;
	s->max_tokens = -1;
}

/* Sampler parameters for s; a negative repeat_last_n means the context. */
static void
engine_to_params(const struct engine *e, const struct engine_sampling *s,
    struct sampler_params *p)
{
	sampler_params_default(p);
	p->temp = s->temp;
	p->top_k = s->top_k;
	p->top_p = s->top_p;
	p->min_p = s->min_p;
	p->repeat_penalty = s->repeat_penalty;
	p->repeat_last_n = s->repeat_last_n < 0 ? e->n_ctx : s->repeat_last_n;
	p->seed = s->seed;
}

void
engine_cancel(struct engine *e)
{
	atomic_store(&e->cancel, 1);
}

/*
 * Pass generated text through the stop-string filter to the callback.
 * Text that may begin a stop string is held back in e->hold; at the end
 * (final = 1) whatever is held is released.
 */
static void
engine_out(struct engine *e, struct engine_gen *g, const char *s, size_t n,
    int final)
{
	const char *const	*st;
	size_t			 keep, sl, k, cut;
	char			*p;

	if (g->stopped || g->emit_stop)
		return;
	if (n > sizeof e->hold - e->nhold) {
		/* Cannot happen with our piece sizes; flush to make room. */
		if (e->nhold > 0 && g->emit(e->hold, e->nhold, g->arg) != 0)
			g->emit_stop = 1;
		e->nhold = 0;
		if (n > sizeof e->hold)
			n = sizeof e->hold;
	}
	memcpy(e->hold + e->nhold, s, n);
	e->nhold += n;

	cut = e->nhold;
	for (st = g->stops; st != NULL && *st != NULL; st++) {
		sl = strlen(*st);
		if (sl == 0 || sl > e->nhold)
			continue;
		p = memmem(e->hold, e->nhold, *st, sl);
		if (p != NULL && (size_t)(p - e->hold) < cut) {
			cut = p - e->hold;
			g->stopped = 1;
		}
	}
	if (g->stopped) {
		if (cut > 0 && g->emit(e->hold, cut, g->arg) != 0)
			g->emit_stop = 1;
		e->nhold = 0;
		return;
	}

	/* Longest tail of hold that is a proper prefix of a stop string. */
	keep = 0;
	if (!final) {
		for (st = g->stops; st != NULL && *st != NULL; st++) {
			sl = strlen(*st);
			if (sl == 0)
				continue;
			for (k = sl - 1; k > keep; k--) {
				if (k <= e->nhold && memcmp(e->hold + e->nhold -
				    k, *st, k) == 0) {
					keep = k;
					break;
				}
			}
		}
	}
	if (e->nhold > keep) {
		if (g->emit(e->hold, e->nhold - keep, g->arg) != 0)
			g->emit_stop = 1;
		memmove(e->hold, e->hold + e->nhold - keep, keep);
		e->nhold = keep;
	}
}

/*
 * Text of ids[0..n) (control tokens rendered) into b; b is reset first.
 */
static void
engine_text(struct engine *e, const int32_t *ids, int n, struct buf *b)
{
	size_t	len;
	int	i;

	buf_clear(b);
	for (i = 0; i < n; i++) {
		len = tokenizer_piece(e->tok, ids[i], 1, e->piece,
		    e->piece_size);
		buf_append(b, e->piece, len < e->piece_size ? len :
		    e->piece_size);
	}
}

/*
 * Our own previous answer comes back in the next prompt re-tokenized from
 * its text, and SentencePiece rarely gives the same ids ("▁The" generated
 * after a newline, "T" "h" "e" re-tokenized).  If the cached tokens after
 * the common prefix c spell the same text (ignoring one leading space) as
 * prompt[c..j) for some j, splice the cached ids into the prompt in place
 * of prompt[c..j), so the answer is not evaluated again.  Returns a new
 * prompt (caller frees) with its length in *np, or NULL if nothing
 * matches.
 */
static int32_t *
engine_splice(struct engine *e, const int32_t *prompt, int n, int c,
    int *np)
{
	struct buf	 kt = BUF_INIT, pt = BUF_INIT;
	const char	*a, *b;
	size_t		 la, lb, len;
	int32_t		*out = NULL;
	int		 j;

	if (c >= e->n_past || c >= n)
		return NULL;
	engine_text(e, e->kv_toks + c, e->n_past - c, &kt);
	a = buf_str(&kt);
	la = kt.len;
	if (la > 0 && a[0] == ' ') {
		a++;
		la--;
	}
	for (j = c; j < n && pt.len < kt.len; j++) {
		len = tokenizer_piece(e->tok, prompt[j], 1, e->piece,
		    e->piece_size);
		buf_append(&pt, e->piece, len < e->piece_size ? len :
		    e->piece_size);
		b = buf_str(&pt);
		lb = pt.len;
		if (lb > 0 && b[0] == ' ') {
			b++;
			lb--;
		}
		if (la > 0 && lb == la && memcmp(a, b, la) == 0) {
			*np = c + (e->n_past - c) + (n - j - 1);
			out = xcalloc(*np, sizeof *out);
			memcpy(out, prompt, (size_t)c * sizeof *out);
			memcpy(out + c, e->kv_toks + c,
			    (size_t)(e->n_past - c) * sizeof *out);
			memcpy(out + e->n_past, prompt + j + 1,
			    (size_t)(n - j - 1) * sizeof *out);
			break;
		}
	}
	buf_free(&kt);
	buf_free(&pt);
	return out;
}

/*
 * Evaluate prompt[0..n) (reusing the cached prefix) and generate.  Fills
 * *res; 0, or -1 with *cause when the prompt does not fit.
 */
static int
engine_run(struct engine *e, const int32_t *prompt, int n,
    const struct engine_sampling *s, struct engine_gen *g,
    struct engine_result *res, char **cause)
{
	struct sampler_params	 sp;
	struct sampler		*smp;
	struct detok		 dt;
	double			 t0, t1, t_dec = 0.0;
	size_t			 pl;
	int32_t			 id, *spliced;
	int			 common, i, first, ns, done, sys;
	uint8_t			 key[PREFIX_KEY_LEN];

	atomic_store(&e->cancel, 0);
	e->nhold = 0;
	res->n_prompt = n;
	res->n_gen = 0;
	res->prefill_tps = res->decode_tps = 0.0;
	res->stop = ENGINE_STOP_EOG;
	if (n < 1) {
		xasprintf(cause, "empty prompt");
		return -1;
	}
	if (n >= e->n_ctx) {
		xasprintf(cause, "prompt of %d tokens does not fit the context "
		    "of %d tokens", n, e->n_ctx);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (prompt[i] < 0 || prompt[i] >= e->n_vocab) {
			xasprintf(cause, "token id %d out of range", prompt[i]);
			return -1;
		}
	}

	/* Reuse the cached prefix; at least the last token is evaluated. */
	common = 0;
	while (common < n && common < e->n_past &&
	    e->kv_toks[common] == prompt[common])
		common++;
	spliced = engine_splice(e, prompt, n, common, &ns);
	if (spliced != NULL && ns < e->n_ctx) {
		prompt = spliced;
		n = ns;
		res->n_prompt = n;
		while (common < n && common < e->n_past &&
		    e->kv_toks[common] == prompt[common])
			common++;
	}
	/*
	 * The system part from the prefix cache when it is not in the KV
	 * cache already (the first answer of a process or a chat).  The
	 * time it takes counts as prefill.
	 */
	t0 = engine_now();
	sys = e->prefix_dir != NULL && e->sys_end >= ENGINE_PREFIX_MIN &&
	    e->sys_end < n && common < e->sys_end ? e->sys_end : 0;
	if (sys > 0)
		common = engine_prefix_load(e, prompt, sys, key, res,
		    common);
	if (common == n)
		common = n - 1;
	e->n_past = common;
	fwd_set_cancel(e->fw, &e->cancel);
	done = fwd_eval(e->fw, prompt + common, n - common, common,
	    n - common - 1, e->logits);
	fwd_set_cancel(e->fw, NULL);
	memcpy(e->kv_toks + common, prompt + common,
	    (size_t)done * sizeof *prompt);
	e->n_past = common + done;
	if (done < n - common) {
		/* Cancelled during the prompt: no text at all. */
		res->n_cached = common;
		res->stop = ENGINE_STOP_CANCEL;
		res->n_ctx_used = e->n_past;
		free(spliced);
		return 0;
	}
	t1 = engine_now();
	res->n_cached = common;
	res->prefill_tps = t1 > t0 ? (n - common) / (t1 - t0) : 0.0;

	engine_to_params(e, s, &sp);
	smp = sampler_create(&sp, e->n_vocab);
	for (i = n > sp.repeat_last_n && sp.repeat_last_n > 0 ?
	    n - sp.repeat_last_n : 0; i < n; i++)
		sampler_accept(smp, prompt[i]);
	detok_init(&dt, e->tok);
	/*
	 * The output continues the prompt: its first piece keeps the
	 * leading space (SentencePiece's word marker) the model wrote, so
	 * that prompt + output is the model's text and a stored answer
	 * re-tokenizes as generated.  Only after a prompt of BOS alone is
	 * the output the start of a text, whose dummy-prefix space goes.
	 */
	if (n != 1 || prompt[0] != tokenizer_bos(e->tok))
		dt.first = 0;
	first = 1;

	for (;;) {
		if (atomic_load(&e->cancel)) {
			res->stop = ENGINE_STOP_CANCEL;
			break;
		}
		if (s->max_tokens >= 0 && res->n_gen >= s->max_tokens) {
			res->stop = ENGINE_STOP_LENGTH;
			break;
		}
		id = sampler_sample(smp, e->logits);
		sampler_accept(smp, id);
		if (tokenizer_is_eog(e->tok, id)) {
			res->stop = ENGINE_STOP_EOG;
			break;
		}
		res->n_gen++;
		pl = detok_push(&dt, id, e->piece, e->piece_size);
		if (pl > 0)
			engine_out(e, g, e->piece, pl, 0);
		if (g->stopped) {
			res->stop = ENGINE_STOP_EOG;
			break;
		}
		if (g->emit_stop) {
			res->stop = ENGINE_STOP_CANCEL;
			break;
		}
		if (s->max_tokens >= 0 && res->n_gen >= s->max_tokens) {
			res->stop = ENGINE_STOP_LENGTH;
			break;	/* no need to evaluate the last token */
		}
		if (e->n_past >= e->n_ctx) {
			res->stop = ENGINE_STOP_CONTEXT;
			break;
		}
		if (first) {
			t0 = engine_now();
			first = 0;
		}
		fwd_eval(e->fw, &id, 1, e->n_past, 0, e->logits);
		e->kv_toks[e->n_past++] = id;
		t_dec = engine_now() - t0;
	}
	if (!g->stopped && !g->emit_stop) {
		pl = detok_flush(&dt, e->piece, e->piece_size);
		engine_out(e, g, e->piece, pl, 1);
	}
	sampler_free(smp);
	free(spliced);
	if (res->n_gen > 1 && t_dec > 0.0)
		res->decode_tps = (res->n_gen - 1) / t_dec;
	res->n_ctx_used = e->n_past;
	/* Written after the answer, so it costs the first token nothing;
	   not when the user stopped it (they are waiting to get out). */
	if (res->prefix == ENGINE_PREFIX_UNSAVED &&
	    res->stop != ENGINE_STOP_CANCEL)
		engine_prefix_save(e, prompt, sys, key, res);
	return 0;
}

/*
 * Read the K/V of prompt[0..sys) from the prefix cache: the prompt
 * tokens the KV cache now holds (sys, or 0 when the file was absent or
 * not usable: then res->prefix says it is to be written).
 */
static int
engine_prefix_load(struct engine *e, const int32_t *prompt, int sys,
    uint8_t key[PREFIX_KEY_LEN], struct engine_result *res, int common)
{
	char	*why;
	int	 r;

	prefix_key(e->ident, prompt, sys, key);
	r = prefix_load(e->prefix_dir, key, e->fw, &e->m->hp, prompt, sys,
	    &why);
	if (r == 0) {
		memcpy(e->kv_toks, prompt, (size_t)sys * sizeof *prompt);
		e->n_past = sys;
		res->prefix = ENGINE_PREFIX_LOADED;
		res->n_prefix = sys;
		return sys;
	}
	res->prefix = ENGINE_PREFIX_UNSAVED;
	res->n_prefix = sys;
	if (r > 0)
		return common;
	free(e->prefix_why);
	e->prefix_why = why;
	res->prefix_error = why;
	/* A damaged file may have written some of the cache's rows. */
	e->n_past = 0;
	return 0;
}

static void
engine_prefix_save(struct engine *e, const int32_t *prompt, int sys,
    const uint8_t key[PREFIX_KEY_LEN], struct engine_result *res)
{
	char	*why;

	if (e->n_past < sys ||
	    memcmp(e->kv_toks, prompt, (size_t)sys * sizeof *prompt) != 0)
		return;
	if (prefix_save(e->prefix_dir, key, e->fw, &e->m->hp, prompt, sys,
	    &why) != 0) {
		free(e->prefix_why);
		e->prefix_why = why;
		res->prefix_error = why;
		return;
	}
	res->prefix = ENGINE_PREFIX_SAVED;
}

/* Template by name, or the model's when name is NULL or empty. */
static int
engine_tmpl(struct engine *e, const char *name, enum chat_tmpl *t,
    char **cause)
{
	char	esc[96];
	int	r;

	if (name == NULL || *name == '\0') {
		*t = e->tmpl;
		return 0;
	}
	r = chatfmt_lookup(name);
	if (r < 0) {
		gguf_escape(name, strlen(name), esc, sizeof esc);
		xasprintf(cause, "unknown template '%s' (try chatml, "
		    "meditron, llama2)", esc);
		return -1;
	}
	*t = (enum chat_tmpl)r;
	return 0;
}

/*
 * Render msgs[i] for which drop[i] is 0 (drop may be NULL) into out;
 * turn_start (may be NULL, room for n) gets where each rendered turn's
 * tokens begin.
 */
static void
engine_build(struct engine *e, enum chat_tmpl t,
    const struct engine_msg *msgs, int n, const int *drop,
    struct tokvec *out, size_t *turn_start)
{
	struct chat_turn	*turns;
	int			 i, k;

	turns = xcalloc(n > 0 ? n : 1, sizeof *turns);
	for (i = k = 0; i < n; i++) {
		if (drop != NULL && drop[i])
			continue;
		turns[k].role = (enum chat_role)msgs[i].role;
		turns[k].text = msgs[i].text != NULL ? msgs[i].text : "";
		k++;
	}
	out->n = 0;
	chatfmt_build(e->tok, t, turns, k, 1, out, turn_start);
	free(turns);
}

/* Render msgs[0..n) with msgs[first..cut) left out into out. */
static void
engine_build_cut(struct engine *e, enum chat_tmpl t,
    const struct engine_msg *msgs, int n, int first, int cut, int *drop,
    struct tokvec *out)
{
	int	i;

	for (i = 0; i < n; i++)
		drop[i] = i >= first && i < cut;
	engine_build(e, t, msgs, n, drop, out, NULL);
}

/* Tokens of msgs[0..n) rendered on their own (an estimate of their share). */
static int
engine_count(struct engine *e, enum chat_tmpl t,
    const struct engine_msg *msgs, int n)
{
	struct tokvec	tv = { NULL, 0, 0 };
	int		r;

	engine_build(e, t, msgs, n, NULL, &tv, NULL);
	r = (int)tv.n;
	tokvec_free(&tv);
	return r;
}

/*
 * The prompt for msgs[0..n) under template t, trimmed by whole oldest
 * turns (after the leading system messages: a message goes with the
 * answers that follow it) until it leaves reserve tokens of context;
 * the drops are recorded in res.  Result in *tv.
 *
 * Only what can be kept is tokenized: the messages are counted one at a
 * time from the newest until the context is full, which says how many
 * turns to drop; what is kept (short: it fits the context) is then
 * rendered and corrected a turn at a time where a template renders a
 * turn differently next to others.  The result is the fewest whole
 * turns whose removal fits, as removing them one at a time would find,
 * in time that does not grow with the part of the conversation left
 * out (ask --continue on 80,000 messages).
 */
static void
engine_prompt(struct engine *e, enum chat_tmpl t,
    const struct engine_msg *msgs, int n, int reserve,
    struct engine_result *res, struct tokvec *tv)
{
	struct tokvec	 alt = { NULL, 0, 0 };
	int		*drop, *cuts, first, nc, j, i, sum;

	for (first = 0; first < n && msgs[first].role == ENGINE_SYSTEM;
	    first++)
		;
	if (first >= n - 1) {
		engine_build(e, t, msgs, n, NULL, tv, NULL);
		return;
	}
	/* cuts[j]: the first message kept when j turns are dropped. */
	cuts = xcalloc((size_t)n + 1, sizeof *cuts);
	nc = 0;
	i = first;
	cuts[nc++] = i;
	while (i < n - 1) {
		do
			i++;
		while (i < n - 1 && msgs[i].role != ENGINE_USER);
		cuts[nc++] = i;
	}
	/* The estimate: the system messages, then turns from the newest. */
	sum = engine_count(e, t, msgs, first);
	i = n - 1;
	for (j = nc - 1; j >= 0; j--) {
		while (i >= cuts[j] && sum + reserve <= e->n_ctx)
			sum += engine_count(e, t, msgs + i--, 1);
		if (sum + reserve > e->n_ctx)
			break;
	}
	j = j + 1 < nc - 1 ? j + 1 : nc - 1;
	drop = xcalloc((size_t)n, sizeof *drop);
	engine_build_cut(e, t, msgs, n, first, cuts[j], drop, tv);
	/* Rendered: more turns dropped if it does not fit, fewer if so. */
	while ((int)tv->n + reserve > e->n_ctx && j < nc - 1)
		engine_build_cut(e, t, msgs, n, first, cuts[++j], drop, tv);
	while (j > 0) {
		engine_build_cut(e, t, msgs, n, first, cuts[j - 1], drop, &alt);
		if ((int)alt.n + reserve > e->n_ctx)
			break;
		tokvec_free(tv);
		*tv = alt;
		memset(&alt, 0, sizeof alt);
		j--;
	}
	tokvec_free(&alt);
	res->drop_first = first;
	res->n_dropped = cuts[j] - first;
	res->trimmed = res->n_dropped > 0;
	free(cuts);
	free(drop);
}

/*
 * How many leading tokens of the prompt *tv render the leading system
 * message(s) (for the prefix cache): its common prefix with those
 * messages rendered alone; 0 without a system message or a cache.
 */
static int
engine_sys_end(struct engine *e, enum chat_tmpl t,
    const struct engine_msg *msgs, int n, const struct tokvec *tv)
{
	struct tokvec	sv = { NULL, 0, 0 };
	size_t		i;
	int		first;

	for (first = 0; first < n && msgs[first].role == ENGINE_SYSTEM;
	    first++)
		;
	if (first == 0 || first == n || e->prefix_dir == NULL)
		return 0;
	engine_build(e, t, msgs, first, NULL, &sv, NULL);
	for (i = 0; i < sv.n && i < tv->n && sv.v[i] == tv->v[i]; i++)
		;
	tokvec_free(&sv);
	return (int)i;
}

/* Tokens of generation room to keep when trimming a conversation. */
static int
engine_reserve(const struct engine *e, const struct engine_sampling *s)
{
	int	reserve;

	reserve = s->max_tokens > 0 ? s->max_tokens : e->n_ctx / 4;
	if (reserve > e->n_ctx / 2)
		reserve = e->n_ctx / 2;
	return reserve;
}

/*
 * Generate from the prompt in *tv (freed here), stopping at the stop
 * strings (NULL: none) as well as end-of-generation tokens; as
 * engine_run.
 */
static int
engine_run_free(struct engine *e, struct tokvec *tv,
    const char *const *stops, const struct engine_sampling *s,
    engine_emit_fn emit, void *arg, struct engine_result *res, char **cause)
{
	struct engine_gen	g;
	int			rv;

	memset(&g, 0, sizeof g);
	g.stops = stops;
	g.emit = emit;
	g.arg = arg;
	rv = engine_run(e, tv->v, (int)tv->n, s, &g, res, cause);
	tokvec_free(tv);
	return rv;
}

int
engine_chat(struct engine *e, const char *tmpl,
    const struct engine_msg *msgs, int n, const struct engine_sampling *s,
    engine_emit_fn emit, void *arg, struct engine_result *res, char **cause)
{
	struct tokvec		 tv = { NULL, 0, 0 };
	enum chat_tmpl		 t;

	memset(res, 0, sizeof *res);
	if (engine_tmpl(e, tmpl, &t, cause) != 0)
		return -1;
	if (n < 1 || msgs[n - 1].role != ENGINE_USER) {
		xasprintf(cause, "the conversation must end with a user "
		    "message");
		return -1;
	}
	engine_prompt(e, t, msgs, n, engine_reserve(e, s), res, &tv);
	e->sys_end = engine_sys_end(e, t, msgs, n, &tv);
	return engine_run_free(e, &tv, chatfmt_stops(t), s, emit, arg, res,
	    cause);
}

int
engine_chat_tokens(struct engine *e, const char *tmpl,
    const struct engine_msg *msgs, int n, const struct engine_sampling *s,
    int32_t **ids, int *nids, struct engine_result *res, char **cause)
{
	struct tokvec	tv = { NULL, 0, 0 };
	enum chat_tmpl	t;

	memset(res, 0, sizeof *res);
	if (engine_tmpl(e, tmpl, &t, cause) != 0)
		return -1;
	engine_prompt(e, t, msgs, n, engine_reserve(e, s), res, &tv);
	tokvec_take(&tv, ids, nids);
	return 0;
}

int
engine_complete(struct engine *e, const char *prompt,
    const struct engine_sampling *s, engine_emit_fn emit, void *arg,
    struct engine_result *res, char **cause)
{
	struct tokvec		 tv = { NULL, 0, 0 };

	memset(res, 0, sizeof *res);
	tokenizer_encode(e->tok, prompt, strlen(prompt),
	    tokenizer_add_bos(e->tok), 1, &tv);
	e->sys_end = 0;
	return engine_run_free(e, &tv, NULL, s, emit, arg, res, cause);
}

int
engine_count_tokens(struct engine *e, const char *tmpl,
    const struct engine_msg *msgs, int n)
{
	struct tokvec	 tv = { NULL, 0, 0 };
	enum chat_tmpl	 t;
	char		*cause = NULL;
	int		 r;

	if (engine_tmpl(e, tmpl, &t, &cause) != 0) {
		free(cause);
		return -1;
	}
	engine_build(e, t, msgs, n, NULL, &tv, NULL);
	r = (int)tv.n;
	tokvec_free(&tv);
	return r;
}

int
engine_tokenize(struct engine *e, const char *text, int parse_special,
    int32_t **ids, int *n)
{
	struct tokvec	tv = { NULL, 0, 0 };

	tokenizer_encode(e->tok, text, strlen(text), tokenizer_add_bos(e->tok),
	    parse_special, &tv);
	tokvec_take(&tv, ids, n);
	return 0;
}

int
engine_eval(struct engine *e, const int32_t *ids, int n, int from,
    float *logits, char **cause)
{
	int	i;

	if (n < 1 || n > e->n_ctx) {
		xasprintf(cause, "%d tokens do not fit the context of %d", n,
		    e->n_ctx);
		return -1;
	}
	if (from < 0 || from >= n) {
		xasprintf(cause, "position %d is outside the %d tokens", from,
		    n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ids[i] < 0 || ids[i] >= e->n_vocab) {
			xasprintf(cause, "token id %d out of range (vocabulary "
			    "of %d)", ids[i], e->n_vocab);
			return -1;
		}
	}
	fwd_eval(e->fw, ids, n, 0, from, logits);
	memcpy(e->kv_toks, ids, (size_t)n * sizeof *ids);
	e->n_past = n;
	return 0;
}

int
engine_bench(struct engine *e, int n_prompt, int n_gen, double *pp_tps,
    double *tg_tps, char **cause)
{
	int32_t	*ids;
	double	 t0;
	int	 i;
	uint32_t rnd = 12345;

	if (n_prompt < 0 || n_gen < 0 || n_prompt + n_gen > e->n_ctx) {
		xasprintf(cause, "%d + %d tokens do not fit the context of %d",
		    n_prompt, n_gen, e->n_ctx);
		return -1;
	}
	ids = xcalloc(n_prompt + n_gen + 1, sizeof *ids);
	for (i = 0; i < n_prompt + n_gen + 1; i++) {
		rnd = rnd * 1664525u + 1013904223u;
		ids[i] = (int32_t)((rnd >> 8) % (uint32_t)e->n_vocab);
	}
	*pp_tps = *tg_tps = 0.0;
	if (n_prompt > 0) {
		t0 = engine_now();
		fwd_eval(e->fw, ids, n_prompt, 0, n_prompt - 1, e->logits);
		*pp_tps = n_prompt / (engine_now() - t0);
	}
	if (n_gen > 0) {
		t0 = engine_now();
		for (i = 0; i < n_gen; i++)
			fwd_eval(e->fw, ids + i, 1, i, 0, e->logits);
		*tg_tps = n_gen / (engine_now() - t0);
	}
	e->n_past = 0;
	free(ids);
	return 0;
}

uint64_t
engine_kv_bytes(const struct engine *e)
{
	return fwd_mem_bytes(e->fw);
}
