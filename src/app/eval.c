/*
 * eval.c -- measuring a model file: perplexity, KL divergence from a base
 * file, speed (see eval.h for the method and the memory of a KLD run).
 *
 * A run is prepared (eval_prepare: the text read and checked, hashed and
 * tokenized with the file's vocabulary, the context and chunk count
 * decided, the files' hashes), then each file is loaded in turn and its
 * chunks evaluated (eval_pass).  For KLD the base pass writes the
 * log-probabilities of every scored position to an unlinked temporary
 * file and the file's pass reads them back in the same order.  The
 * arithmetic is in eval-score.c.
 *
 * Nothing here prints, touches curses or the store: results and
 * progress go to the caller.
 */
#include <sys/types.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "engine.h"
#include "eval-score.h"
#include "eval.h"
#include "fsutil.h"
#include "sha256.h"
#include "utf8.h"
#include "xmalloc.h"

#include "eval-text-txt.h"

/* The largest evaluation text read (a whole guideline book fits). */
#define EVAL_TEXT_MAX	((size_t)64 << 20)

/* A prepared run: the text's tokens and how they are cut. */
struct eval_job {
	const struct eval_opts	*o;
	char			*text_name;	/* "built-in" or base name */
	char			 text_sha[SHA256_HEXLEN + 1];
	char			 model_sha[SHA256_HEXLEN + 1];
	char			 base_sha[SHA256_HEXLEN + 1];
	int32_t			*tokens;	/* the whole text, BOS first
						   when the vocabulary adds
						   one */
	int			 n_tokens;
	int			 add_bos;
	int32_t			 bos;
	int			 n_vocab;
	int			 n_ctx;
	int			 n_chunks;	/* to evaluate */
	int			 first;		/* n_ctx / 2: scored from */
};

/* What a pass over the chunks adds up. */
struct eval_sums {
	struct eval_acc	 acc;		/* the file's nll */
	struct eval_acc	 base;		/* kld: the base's, same tokens */
	double		 kl_sum;
	float		*kl;		/* kld: each position's */
	long		 n_same;	/* same top token */
	int		 chunks;	/* evaluated */
	int		 threads;
	char		*kernel;
};

enum eval_mode { EVAL_PPL, EVAL_WRITE_BASE, EVAL_AGAINST_BASE };

static int	 eval_text_read(const struct eval_opts *, struct buf *,
		    char **, char **);
static int	 eval_sha(const char *, const char *, char *, char **);
static int	 eval_same_vocab(const char *, const char *, char **);
static int	 eval_prepare(const struct eval_opts *, const char *,
		    struct eval_job *, char **);
static void	 eval_job_free(struct eval_job *);
static int	 eval_pass(struct eval_job *, const char *, int,
		    enum eval_mode, FILE *, const atomic_int *,
		    eval_progress_fn, void *, struct eval_sums *, char **);
static void	 eval_fill(const struct eval_job *, const char *,
		    const struct eval_sums *, struct store_measure *);
static double	 eval_now(void);
static char	*eval_basename(const char *);
static int	 eval_cancelled(const atomic_int *);

const char *
eval_builtin_text(size_t *len)
{
	if (len != NULL)
		*len = eval_text_len;
	return eval_text;
}

static double
eval_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
eval_cancelled(const atomic_int *cancel)
{
	return cancel != NULL && atomic_load(cancel) != 0;
}

static char *
eval_basename(const char *path)
{
	const char	*p = strrchr(path, '/');

	return xstrdup(p != NULL && p[1] != '\0' ? p + 1 : path);
}

/*
 * The evaluation text into b (NUL-terminated), its name shown into
 * *name: the built-in one, or the file o->text, which must be non-empty
 * UTF-8.  0, or -1 and *cause naming the file.
 */
static int
eval_text_read(const struct eval_opts *o, struct buf *b, char **name,
    char **cause)
{
	char		*shown;
	size_t		 good;
	uint32_t	 cp;
	int		 rc, len = 0;

	if (o->text == NULL) {
		buf_append(b, eval_text, eval_text_len);
		*name = xstrdup("built-in");
		return 0;
	}
	shown = utf8_printable(o->text);
	rc = fs_read_file(o->text, b, EVAL_TEXT_MAX);
	if (rc != 0) {
		xasprintf(cause, "%s: %s", shown, rc == 1 ?
		    "no such file" : strerror(errno));
		free(shown);
		return -1;
	}
	if (b->len > EVAL_TEXT_MAX) {
		xasprintf(cause, "%s: larger than %zu MiB: not an evaluation "
		    "text", shown, EVAL_TEXT_MAX >> 20);
		free(shown);
		return -1;
	}
	if (b->len == 0) {
		xasprintf(cause, "%s: the file is empty", shown);
		free(shown);
		return -1;
	}
	/* Say where: the first byte that is not part of UTF-8 text. */
	for (good = 0; good < b->len; good += (size_t)len) {
		if (b->data[good] == '\0' ||
		    (len = utf8_decode(b->data + good, b->len - good, &cp)) < 1)
			break;
	}
	if (good < b->len) {
		xasprintf(cause, "%s: not UTF-8 text (byte offset %zu)", shown,
		    good);
		free(shown);
		return -1;
	}
	free(shown);
	*name = eval_basename(o->text);
	return 0;
}

/* The SHA-256 of path into out: given (64 hex digits) or computed. */
static int
eval_sha(const char *path, const char *given, char *out, char **cause)
{
	size_t	i;

	if (given != NULL && strlen(given) == SHA256_HEXLEN) {
		for (i = 0; i < SHA256_HEXLEN; i++)
			out[i] = (given[i] >= 'A' && given[i] <= 'F') ?
			    given[i] - 'A' + 'a' : given[i];
		out[i] = '\0';
		return 0;
	}
	return sha256_file(path, out, NULL, NULL, cause);
}

/*
 * 0 if the files at a and b have the same vocabulary: the same number of
 * tokens and the same text for each; -1 and *cause otherwise.
 */
static int
eval_same_vocab(const char *a, const char *b, char **cause)
{
	struct engine_vocab	*va = NULL, *vb = NULL;
	int32_t			 id;
	char			*ta, *tb, *sa, *sb, *err = NULL;
	size_t			 la, lb;
	int			 rc = -1, na, nb, same;

	if (engine_vocab_open(b, &vb, cause) != 0)
		return -1;
	if (engine_vocab_open(a, &va, cause) != 0)
		goto out;
	na = engine_vocab_size(va);
	nb = engine_vocab_size(vb);
	sa = utf8_printable(a);
	sb = utf8_printable(b);
	if (na != nb) {
		xasprintf(cause, "%s and %s do not share a vocabulary (%d and "
		    "%d tokens)", sa, sb, na, nb);
		free(sa);
		free(sb);
		goto out;
	}
	for (id = 0; id < na; id++) {
		ta = engine_vocab_detokenize(va, &id, 1, &la, &err);
		free(err);
		err = NULL;
		tb = engine_vocab_detokenize(vb, &id, 1, &lb, &err);
		free(err);
		err = NULL;
		same = (ta == NULL && tb == NULL) || (ta != NULL &&
		    tb != NULL && la == lb && memcmp(ta, tb, la) == 0);
		free(ta);
		free(tb);
		if (!same) {
			xasprintf(cause, "%s and %s do not share a vocabulary "
			    "(token %d differs)", sa, sb, (int)id);
			break;
		}
	}
	free(sa);
	free(sb);
	if (id == na)
		rc = 0;
out:
	engine_vocab_close(va);
	engine_vocab_close(vb);
	return rc;
}

/*
 * Prepare a run of kind ("ppl", "kld", "speed" needs none) of o: j
 * filled (eval_job_free).  0, or -1 and *cause.
 */
static int
eval_prepare(const struct eval_opts *o, const char *kind, struct eval_job *j,
    char **cause)
{
	struct engine_file_summary	 sum;
	struct engine_vocab		*v = NULL;
	struct buf			 text = BUF_INIT;
	int32_t				*ids = NULL;
	char				*shown;
	int				 n = 0, n_max;

	memset(j, 0, sizeof *j);
	j->o = o;
	if (o->model == NULL) {
		xasprintf(cause, "no model file given");
		return -1;
	}
	if (strcmp(kind, "kld") == 0 && o->base == NULL) {
		xasprintf(cause, "a KL divergence needs a base file");
		return -1;
	}
	if (eval_text_read(o, &text, &j->text_name, cause) != 0)
		goto fail;
	sha256_hex(text.data, text.len, j->text_sha);
	if (engine_probe(o->model, &sum, cause) != 0)
		goto fail;
	if (strcmp(kind, "kld") == 0 &&
	    eval_same_vocab(o->model, o->base, cause) != 0)
		goto fail;
	/* The base's tokens are the file's: the vocabularies are equal. */
	if (engine_vocab_open(o->model, &v, cause) != 0)
		goto fail;
	j->n_vocab = engine_vocab_size(v);
	engine_vocab_tokenize(v, "", 0, 1, 0, &ids, &n);
	j->add_bos = n == 1;
	j->bos = n == 1 ? ids[0] : 0;
	free(ids);
	engine_vocab_tokenize(v, text.data, text.len, 1, 0, &j->tokens,
	    &j->n_tokens);
	engine_vocab_close(v);
	v = NULL;

	j->n_ctx = o->n_ctx > 0 ? o->n_ctx : EVAL_CTX_DEFAULT;
	if (sum.n_ctx_train > 0 && (uint32_t)j->n_ctx > sum.n_ctx_train)
		j->n_ctx = (int)sum.n_ctx_train;
	if (j->n_ctx < 8) {
		xasprintf(cause, "a context of %d tokens is too small to "
		    "measure (at least 8)", j->n_ctx);
		goto fail;
	}
	j->first = j->n_ctx / 2;
	/* As llama-perplexity: two contexts' worth at the least. */
	if (j->n_tokens < 2 * j->n_ctx) {
		shown = o->text != NULL ? utf8_printable(o->text) :
		    xstrdup("the built-in text");
		xasprintf(cause, "%s: %d tokens, at least %d are needed for a "
		    "context of %d (a smaller --ctx, or a longer text)", shown,
		    j->n_tokens, 2 * j->n_ctx, j->n_ctx);
		free(shown);
		goto fail;
	}
	n_max = j->n_tokens / j->n_ctx;
	j->n_chunks = o->max_chunks > 0 && o->max_chunks < n_max ?
	    o->max_chunks : n_max;
	if (eval_sha(o->model, o->model_sha, j->model_sha, cause) != 0)
		goto fail;
	if (o->base != NULL && strcmp(kind, "kld") == 0 &&
	    eval_sha(o->base, o->base_sha, j->base_sha, cause) != 0)
		goto fail;
	buf_free(&text);
	return 0;
fail:
	engine_vocab_close(v);
	buf_free(&text);
	eval_job_free(j);
	return -1;
}

static void
eval_job_free(struct eval_job *j)
{
	free(j->text_name);
	free(j->tokens);
	memset(j, 0, sizeof *j);
}

/*
 * Load path and evaluate the job's chunks, adding to s: the nll of each
 * scored token; in EVAL_WRITE_BASE the log-probabilities of each scored
 * position written to f; in EVAL_AGAINST_BASE read back from f and
 * compared (KL divergence, top token, the base's nll).  progress is
 * called after each chunk.  0 when every chunk was done, 1 when cancel
 * stopped it first, -1 and *cause.
 */
static int
eval_pass(struct eval_job *j, const char *path, int phase,
    enum eval_mode mode, FILE *f, const atomic_int *cancel,
    eval_progress_fn progress, void *arg, struct eval_sums *s,
    char **cause)
{
	struct engine_opts		 eo;
	struct engine			*e = NULL;
	const struct engine_info	*info;
	struct eval_progress		 p;
	float				*logits = NULL, *lp = NULL, *lb = NULL;
	int32_t				*ids = NULL;
	size_t				 nv = (size_t)j->n_vocab;
	double				 t0, kl;
	long				 k = 0;
	int				 c, r, rc = -1, tok, top, top_b, rows;

	if (eval_cancelled(cancel))
		return 1;
	memset(&eo, 0, sizeof eo);
	eo.path = path;
	eo.n_ctx = j->n_ctx;
	eo.n_threads = j->o->threads;
	if (engine_open(&eo, &e, cause) != 0)
		return -1;
	info = engine_get_info(e);
	if (info->n_vocab != j->n_vocab) {
		xasprintf(cause, "%s: %d tokens in its vocabulary, %d in its "
		    "tokenizer", info->file_name, info->n_vocab, j->n_vocab);
		goto out;
	}
	if (info->n_ctx < j->n_ctx) {
		xasprintf(cause, "%s: a context of %d does not fit (at most %d "
		    "here)", info->file_name, j->n_ctx, info->n_ctx);
		goto out;
	}
	s->threads = info->n_threads;
	free(s->kernel);
	s->kernel = info->cpu != NULL ? xstrdup(info->cpu) : NULL;
	rows = j->n_ctx - j->first - 1;
	logits = xreallocarray(NULL, (size_t)(j->n_ctx - j->first) * nv,
	    sizeof *logits);
	lp = xreallocarray(NULL, nv, sizeof *lp);
	lb = xreallocarray(NULL, nv, sizeof *lb);
	ids = xreallocarray(NULL, (size_t)j->n_ctx, sizeof *ids);
	if (mode == EVAL_AGAINST_BASE)
		k = s->acc.count;
	t0 = eval_now();
	for (c = 0; c < j->n_chunks; c++) {
		if (eval_cancelled(cancel)) {
			rc = 1;
			goto out;
		}
		memcpy(ids, j->tokens + (size_t)c * j->n_ctx,
		    (size_t)j->n_ctx * sizeof *ids);
		/* Each chunk starts as a text does: BOS first. */
		if (j->add_bos)
			ids[0] = j->bos;
		if (engine_eval(e, ids, j->n_ctx, j->first, logits,
		    cause) != 0)
			goto out;
		for (r = 0; r < rows; r++) {
			top = eval_log_softmax(logits + (size_t)r * nv,
			    j->n_vocab, lp);
			tok = ids[j->first + r + 1];
			eval_acc_add(&s->acc, -(double)lp[tok]);
			if (mode == EVAL_WRITE_BASE &&
			    fwrite(lp, sizeof *lp, nv, f) != nv) {
				xasprintf(cause, "cannot write the base's "
				    "log-probabilities to a temporary file: %s",
				    strerror(errno));
				goto out;
			}
			if (mode != EVAL_AGAINST_BASE)
				continue;
			if (fread(lb, sizeof *lb, nv, f) != nv) {
				xasprintf(cause, "cannot read the base's "
				    "log-probabilities back from a temporary "
				    "file");
				goto out;
			}
			for (top_b = 0, tok = 1; tok < j->n_vocab; tok++)
				if (lb[tok] > lb[top_b])
					top_b = tok;
			tok = ids[j->first + r + 1];
			eval_acc_add(&s->base, -(double)lb[tok]);
			kl = eval_kl(lb, lp, j->n_vocab);
			s->kl_sum += kl;
			s->kl[k++] = (float)kl;
			if (top == top_b)
				s->n_same++;
		}
		s->chunks = c + 1;
		if (progress != NULL) {
			memset(&p, 0, sizeof p);
			p.phase = phase;
			p.chunk = c + 1;
			p.n_chunks = j->n_chunks;
			p.elapsed_s = eval_now() - t0;
			p.eta_s = p.elapsed_s / (c + 1) * (j->n_chunks - c - 1);
			p.value = eval_acc_ppl(&s->acc);
			p.n_tokens = (int)s->acc.count;
			p.kld = s->acc.count > 0 && mode == EVAL_AGAINST_BASE ?
			    s->kl_sum / s->acc.count : 0;
			progress(&p, arg);
		}
	}
	rc = 0;
out:
	engine_close(e);
	free(logits);
	free(lp);
	free(lb);
	free(ids);
	return rc;
}

/* The result of a run into m (strings new). */
static void
eval_fill(const struct eval_job *j, const char *kind,
    const struct eval_sums *s, struct store_measure *m)
{
	memset(m, 0, sizeof *m);
	snprintf(m->model_sha, sizeof m->model_sha, "%s", j->model_sha);
	snprintf(m->kind, sizeof m->kind, "%s", kind);
	m->model_name = eval_basename(j->o->model);
	m->text_name = xstrdup(j->text_name);
	snprintf(m->text_sha, sizeof m->text_sha, "%s", j->text_sha);
	m->n_ctx = j->n_ctx;
	m->n_chunks = s->chunks;
	m->n_tokens = (int)s->acc.count;
	m->ppl = eval_acc_ppl(&s->acc);
	m->ppl_err = eval_acc_ppl_err(&s->acc);
	if (strcmp(kind, "kld") == 0) {
		snprintf(m->base_sha, sizeof m->base_sha, "%s", j->base_sha);
		m->base_name = eval_basename(j->o->base);
		if (s->acc.count > 0) {
			m->kld_mean = s->kl_sum / s->acc.count;
			m->kld_p99 = eval_percentile(s->kl, s->acc.count, 0.99);
			m->top_agree = (double)s->n_same / s->acc.count;
			m->ppl_ratio = exp((s->acc.nll - s->base.nll) /
			    s->acc.count);
		}
	}
	m->threads = s->threads;
	m->kernel = s->kernel != NULL ? xstrdup(s->kernel) : NULL;
	m->created = time(NULL);
	m->version = xstrdup(PACKAGE_VERSION);
}

int
eval_plan(const struct eval_opts *o, const char *kind,
    struct store_measure *m, char **cause)
{
	struct eval_job		j;
	struct eval_sums	s;

	memset(m, 0, sizeof *m);
	if (eval_prepare(o, kind, &j, cause) != 0)
		return -1;
	memset(&s, 0, sizeof s);
	eval_fill(&j, kind, &s, m);
	m->n_chunks = j.n_chunks;
	m->created = 0;
	eval_job_free(&j);
	return 0;
}

int
eval_ppl(const struct eval_opts *o, const atomic_int *cancel,
    eval_progress_fn progress, void *arg, struct eval_result *res,
    char **cause)
{
	struct eval_job		j;
	struct eval_sums	s;
	int			rc;

	memset(res, 0, sizeof *res);
	if (eval_prepare(o, "ppl", &j, cause) != 0)
		return -1;
	memset(&s, 0, sizeof s);
	rc = eval_pass(&j, o->model, 1, EVAL_PPL, NULL, cancel, progress,
	    arg, &s, cause);
	if (rc >= 0) {
		eval_fill(&j, "ppl", &s, &res->m);
		res->m.complete = rc == 0;
	}
	free(s.kernel);
	eval_job_free(&j);
	return rc;
}

/* An unlinked temporary file for the base's log-probabilities. */
static FILE *
eval_tmpfile(char **cause)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;
	FILE		*f;
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	xasprintf(&path, "%s/medchat-kld-XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		xasprintf(cause, "cannot make a temporary file in %s: %s", dir,
		    strerror(errno));
		free(path);
		return NULL;
	}
	/* Gone from the directory at once: nothing is left behind. */
	unlink(path);
	free(path);
	if ((f = fdopen(fd, "w+b")) == NULL) {
		xasprintf(cause, "cannot use a temporary file: %s",
		    strerror(errno));
		close(fd);
	}
	return f;
}

int
eval_kld(const struct eval_opts *o, const atomic_int *cancel,
    eval_progress_fn progress, void *arg, struct eval_result *res,
    char **cause)
{
	struct eval_job		j;
	struct eval_sums	s, sb;
	FILE			*f;
	int			 rc;

	memset(res, 0, sizeof *res);
	if (eval_prepare(o, "kld", &j, cause) != 0)
		return -1;
	if ((f = eval_tmpfile(cause)) == NULL) {
		eval_job_free(&j);
		return -1;
	}
	memset(&s, 0, sizeof s);
	memset(&sb, 0, sizeof sb);
	rc = eval_pass(&j, o->base, 0, EVAL_WRITE_BASE, f, cancel, progress,
	    arg, &sb, cause);
	if (rc == 0 && (fflush(f) != 0 || fseeko(f, 0, SEEK_SET) != 0)) {
		xasprintf(cause, "cannot write the base's log-probabilities "
		    "to a temporary file: %s", strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		s.kl = xreallocarray(NULL, (size_t)j.n_chunks *
		    (j.n_ctx - j.first - 1), sizeof *s.kl);
		rc = eval_pass(&j, o->model, 1, EVAL_AGAINST_BASE, f, cancel,
		    progress, arg, &s, cause);
	} else if (rc == 1 && sb.kernel != NULL)
		s.kernel = xstrdup(sb.kernel);
	fclose(f);
	if (rc >= 0) {
		eval_fill(&j, "kld", &s, &res->m);
		res->m.complete = rc == 0;
	}
	free(s.kl);
	free(s.kernel);
	free(sb.kernel);
	eval_job_free(&j);
	return rc;
}

int
eval_speed(const char *model, int threads, const atomic_int *cancel,
    eval_progress_fn progress, void *arg, struct eval_result *res,
    char **cause)
{
	return eval_speed_sha(model, NULL, threads, cancel, progress, arg,
	    res, cause);
}

int
eval_speed_sha(const char *model, const char *model_sha, int threads,
    const atomic_int *cancel, eval_progress_fn progress, void *arg,
    struct eval_result *res, char **cause)
{
	struct engine_opts		 eo;
	struct engine			*e;
	const struct engine_info	*info;
	struct eval_progress		 p;
	struct store_measure		*m = &res->m;
	char				 sha[SHA256_HEXLEN + 1];
	double				 t0, pp = 0, tg = 0, a, b;
	int				 step, rc = -1;

	memset(res, 0, sizeof *res);
	if (eval_sha(model, model_sha, sha, cause) != 0)
		return -1;
	if (eval_cancelled(cancel))
		return 1;
	memset(&eo, 0, sizeof eo);
	eo.path = model;
	eo.n_ctx = 2 * (EVAL_SPEED_PROMPT + EVAL_SPEED_GEN);
	eo.n_threads = threads;
	if (engine_open(&eo, &e, cause) != 0)
		return -1;
	info = engine_get_info(e);
	t0 = eval_now();
	/*
	 * Three steps, cancel polled between them: a warm-up that reads
	 * every weight once (the first pass over a freshly mapped file
	 * measures the disk), the prompt, the answer -- as medchat bench
	 * and llama-bench measure pp and tg from an empty context.
	 */
	for (step = 0; step < 3; step++) {
		if (eval_cancelled(cancel))
			break;
		if (step == 0 && engine_bench(e, 1, 1, &a, &b, cause) != 0)
			goto out;
		if (step == 1 && engine_bench(e, EVAL_SPEED_PROMPT, 0, &pp, &b,
		    cause) != 0)
			goto out;
		if (step == 2 && engine_bench(e, 0, EVAL_SPEED_GEN, &a, &tg,
		    cause) != 0)
			goto out;
		if (progress != NULL) {
			memset(&p, 0, sizeof p);
			p.phase = 2;
			p.chunk = step + 1;
			p.n_chunks = 3;
			p.elapsed_s = eval_now() - t0;
			p.eta_s = -1;
			p.value = step == 2 ? tg : pp;
			progress(&p, arg);
		}
	}
	snprintf(m->model_sha, sizeof m->model_sha, "%s", sha);
	snprintf(m->kind, sizeof m->kind, "speed");
	m->model_name = eval_basename(model);
	m->n_ctx = EVAL_SPEED_PROMPT;
	m->n_chunks = EVAL_SPEED_GEN;
	m->n_tokens = step >= 2 ? EVAL_SPEED_PROMPT : 0;
	if (step == 3)
		m->n_tokens += EVAL_SPEED_GEN;
	m->prefill_tps = pp;
	m->decode_tps = tg;
	m->threads = info->n_threads;
	m->kernel = info->cpu != NULL ? xstrdup(info->cpu) : NULL;
	m->complete = step == 3;
	m->created = time(NULL);
	m->version = xstrdup(PACKAGE_VERSION);
	rc = step == 3 ? 0 : 1;
out:
	engine_close(e);
	return rc;
}

void
eval_result_free(struct eval_result *r)
{
	if (r == NULL)
		return;
	store_measure_free(&r->m);
}
