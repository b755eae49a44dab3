/*
 * ui-measure.c -- measuring model files from the model menu, and what the
 * menu's SPEED and QUALITY columns say.
 *
 * Measurements run one at a time on a job thread of their own
 * (src/app/measure-job.c), never on the UI thread and never at start-up
 * unasked: the menu's keys queue them (one file, or every file of a
 * model one after the other).  The job loads its own engine instance;
 * the worker keeps the chat's model, so answers go on meanwhile, slower
 * (the status bar says a measurement runs).  Before a job starts, the
 * file (and for a KL divergence its reference) plus the loaded model must
 * fit in MemAvailable, or it is not started and the message says why.
 *
 * The loop polls measure_fd(); measure_ready() takes the job's progress
 * (shown in the file's row and on the status bar) and its end: the UI
 * thread, which owns the store, records the hashes the job computed in
 * the model catalog and stores the result -- complete, or partial when
 * it was stopped -- then starts the next queued job.  Stopping (the x
 * key, closing the menu) cancels the job and empties the queue; the job
 * ends at its next chunk and its partial result is still stored.
 * Quitting lets the job go without waiting (mjob_stop).
 *
 * struct mfacts is what the menu has read from the store about one file:
 * its SHA-256 from the catalog (a file never hashed has no measurement),
 * the speeds of its answers (store_model_speed) and its stored
 * measurements.  The menu re-reads them when measure_gen() changes, i.e.
 * after each stored result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "host.h"
#include "measure-job.h"
#include "modelid.h"
#include "quality.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

/* A measurement waiting for its turn. */
struct measure_item {
	enum mjob_kind	 kind;
	char		*path;
	char		*name;		/* base name, for messages */
	char		 sha[65];	/* "" unknown */
	struct engine_file_summary sum;
	char		*base;		/* MJOB_KLD */
	char		*base_name;
	char		 base_sha[65];
	struct engine_file_summary bsum;
};

struct measure {
	struct mjob		*job;		/* NULL when none runs */
	struct measure_item	 cur;		/* the job's */
	int			 stopping;	/* cancelled, not ended yet */
	int			 hashing;	/* the last event was */
	double			 frac;		/* 0..1 of the phase */
	int			 phase;		/* eval_progress.phase */
	struct measure_item	*queue;
	size_t			 nqueue;
	unsigned		 gen;		/* results stored */
};

static struct measure *measure_get(struct ui *);
static void	 measure_item_free(struct measure_item *);
static void	 measure_next(struct ui *);
static int	 measure_fits(struct ui *, const struct measure_item *,
		     char **);
static void	 measure_done(struct ui *, struct mjob_event *);
static void	 measure_fitnum(char *, size_t, int, int, const char *,
		     double, const char *);
static const struct store_measure *mfacts_find(const struct mfacts *,
		     const char *, const char *);

static struct measure *
measure_get(struct ui *ui)
{
	if (ui->measure == NULL)
		ui->measure = xcalloc(1, sizeof *ui->measure);
	return ui->measure;
}

static void
measure_item_free(struct measure_item *it)
{
	free(it->path);
	free(it->name);
	free(it->base);
	free(it->base_name);
	memset(it, 0, sizeof *it);
}

/* Let the job go (not waiting) and forget the queue; at quitting. */
void
measure_free(struct ui *ui)
{
	struct measure	*me = ui->measure;
	size_t		 i;

	if (me == NULL)
		return;
	mjob_stop(me->job);
	measure_item_free(&me->cur);
	for (i = 0; i < me->nqueue; i++)
		measure_item_free(&me->queue[i]);
	free(me->queue);
	free(me);
	ui->measure = NULL;
}

int
measure_fd(struct ui *ui)
{
	return ui->measure != NULL && ui->measure->job != NULL ?
	    mjob_fd(ui->measure->job) : -1;
}

int
measure_busy(struct ui *ui)
{
	return ui->measure != NULL && (ui->measure->job != NULL ||
	    ui->measure->nqueue > 0);
}

unsigned
measure_gen(struct ui *ui)
{
	return ui->measure != NULL ? ui->measure->gen : 0;
}

/*
 * Does the item fit in memory beside the loaded model?  The file at the
 * measuring context -- for a KL divergence the larger of it and its
 * reference, which eval_kld loads one after the other -- and the loaded
 * file's weights, against MemAvailable (not checked when the kernel does
 * not tell it).  0, or -1 and *cause.
 */
static int
measure_fits(struct ui *ui, const struct measure_item *it, char **cause)
{
	uint64_t	 need, loaded = 0, avail;
	char		 n[16], l[16], a[16];

	if ((avail = host_mem_available()) == 0)
		return 0;
	need = engine_mem_needed(&it->sum, EVAL_CTX_DEFAULT);
	if (it->kind == MJOB_KLD &&
	    engine_mem_needed(&it->bsum, EVAL_CTX_DEFAULT) > need)
		need = engine_mem_needed(&it->bsum, EVAL_CTX_DEFAULT);
	if (ui->model != NULL && !ui->model->remote)
		loaded = ui->model->file_size;
	if (need + loaded <= avail)
		return 0;
	ui_size_text(need, n, sizeof n);
	ui_size_text(loaded, l, sizeof l);
	ui_size_text(avail, a, sizeof a);
	xasprintf(cause, "%s: not measured: it needs %s%s beside the loaded "
	    "model's %s, and %s of memory is available", it->name, n,
	    it->kind == MJOB_KLD ? " (or its reference)" : "", l, a);
	return -1;
}

/* Start the first queued item that can start, if none runs. */
static void
measure_next(struct ui *ui)
{
	struct measure		*me = measure_get(ui);
	struct measure_item	 it;
	struct mjob_spec	 spec;
	char			*cause = NULL;

	while (me->job == NULL && me->nqueue > 0) {
		it = me->queue[0];
		memmove(me->queue, me->queue + 1,
		    (me->nqueue - 1) * sizeof *me->queue);
		me->nqueue--;
		if (measure_fits(ui, &it, &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
			measure_item_free(&it);
			continue;
		}
		memset(&spec, 0, sizeof spec);
		spec.kind = it.kind;
		spec.path = it.path;
		spec.sha = it.sha;
		spec.base = it.base;
		spec.base_sha = it.base_sha;
		spec.threads = ui->opt_threads;
		if ((me->job = mjob_start(&spec, &cause)) == NULL) {
			ui_message(ui, 1, "%s: not measured: %s", it.name,
			    cause);
			free(cause);
			measure_item_free(&it);
			continue;
		}
		me->cur = it;
		me->stopping = 0;
		me->hashing = 0;
		me->frac = 0;
		me->phase = it.kind == MJOB_SPEED ? 2 : it.kind == MJOB_KLD ?
		    0 : 1;
	}
	ui->dirty = 1;
}

int
measure_queue(struct ui *ui, enum mjob_kind kind, const char *path,
    const char *sha, const struct engine_file_summary *sum,
    const char *base, const char *base_sha,
    const struct engine_file_summary *bsum, char **cause)
{
	struct measure		*me = measure_get(ui);
	struct measure_item	*it;
	const char		*p;
	size_t			 i;

	/* The same measurement of the same file once. */
	for (i = 0; i < me->nqueue + 1; i++) {
		it = i < me->nqueue ? &me->queue[i] : &me->cur;
		if (it->path != NULL && it->kind == kind &&
		    strcmp(it->path, path) == 0 && (i < me->nqueue ||
		    (me->job != NULL && !me->stopping))) {
			xasprintf(cause, "%s is already %s", it->name,
			    i < me->nqueue ? "waiting to be measured" :
			    "being measured");
			return -1;
		}
	}
	me->queue = xreallocarray(me->queue, me->nqueue + 1,
	    sizeof *me->queue);
	it = &me->queue[me->nqueue];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	it->path = xstrdup(path);
	p = strrchr(path, '/');
	it->name = xstrdup(p != NULL ? p + 1 : path);
	snprintf(it->sha, sizeof it->sha, "%s", sha != NULL ? sha : "");
	it->sum = *sum;
	if (kind == MJOB_KLD) {
		it->base = xstrdup(base);
		p = strrchr(base, '/');
		it->base_name = xstrdup(p != NULL ? p + 1 : base);
		snprintf(it->base_sha, sizeof it->base_sha, "%s",
		    base_sha != NULL ? base_sha : "");
		it->bsum = *bsum;
	}
	/* Refused at once when it cannot fit now; checked again at start. */
	if (measure_fits(ui, it, cause) != 0) {
		measure_item_free(it);
		return -1;
	}
	me->nqueue++;
	measure_next(ui);
	return 0;
}

void
measure_stop(struct ui *ui)
{
	struct measure	*me = ui->measure;
	size_t		 i;

	if (me == NULL)
		return;
	for (i = 0; i < me->nqueue; i++)
		measure_item_free(&me->queue[i]);
	me->nqueue = 0;
	if (me->job != NULL && !me->stopping) {
		mjob_cancel(me->job);
		me->stopping = 1;
	}
	ui->dirty = 1;
}

/*
 * The job ended: record the hashes it computed, store what it measured
 * (a partial result too: the detail view shows it as partial), say so.
 */
static void
measure_done(struct ui *ui, struct mjob_event *ev)
{
	struct measure		*me = ui->measure;
	struct store_measure	*m = &ev->res.m;
	char			*cause = NULL, v[64];
	int64_t			 id;
	int			 busy;

	if (ev->id.sha256[0] != '\0' &&
	    modelid_record(ui->store, me->cur.path, &ev->id, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	if (ev->base_id.sha256[0] != '\0' &&
	    modelid_record(ui->store, me->cur.base, &ev->base_id,
	    &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	if (ev->rc < 0) {
		ui_message(ui, 1, "%s: %s", me->cur.name,
		    ev->error != NULL ? ev->error : "the measurement failed");
		return;
	}
	if (m->n_tokens <= 0 && m->n_chunks <= 0) {
		ui_message(ui, 0, "%s: stopped before anything was measured",
		    me->cur.name);
		return;
	}
	switch (me->cur.kind) {
	case MJOB_SPEED:
		snprintf(v, sizeof v, "%.1f tok/s answers, %.1f prompt",
		    m->decode_tps, m->prefill_tps);
		break;
	case MJOB_PPL:
		snprintf(v, sizeof v, "perplexity %.4g", m->ppl);
		break;
	case MJOB_KLD:
		snprintf(v, sizeof v, "KL divergence %.4g, same top token "
		    "%.1f%%", m->kld_mean, m->top_agree * 100);
		break;
	}
	/* Never wait for another process's write lock on this thread. */
	busy = store_busy_ms(ui->store);
	store_set_busy_ms(ui->store, 0);
	if (store_measure_add(ui->store, m, &id, &cause) != 0) {
		ui_message(ui, 1, "%s: %s%s, not saved: %s", me->cur.name, v,
		    m->complete ? "" : " (partial)", cause);
		free(cause);
	} else
		ui_message(ui, 0, "%s: %s%s%s%s", me->cur.name, v,
		    m->complete ? "" : " (partial: stopped early)",
		    me->cur.kind == MJOB_KLD ? " against " : "",
		    me->cur.kind == MJOB_KLD ? me->cur.base_name : "");
	store_set_busy_ms(ui->store, busy);
}

void
measure_ready(struct ui *ui)
{
	struct measure		*me = ui->measure;
	struct mjob_event	*list, *ev;
	int			 done = 0;

	if (me == NULL || me->job == NULL)
		return;
	list = mjob_drain(me->job);
	for (ev = list; ev != NULL; ev = ev->next) {
		switch (ev->type) {
		case MJOB_HASHING:
			me->hashing = 1;
			me->frac = ev->frac;
			break;
		case MJOB_PROGRESS:
			me->hashing = 0;
			me->phase = ev->p.phase;
			me->frac = ev->p.n_chunks > 0 ?
			    (double)ev->p.chunk / ev->p.n_chunks : 0;
			break;
		case MJOB_DONE:
			measure_done(ui, ev);
			done = 1;
			break;
		}
	}
	mjob_event_free(list);
	if (done) {
		mjob_stop(me->job);
		me->job = NULL;
		measure_item_free(&me->cur);
		me->gen++;
		measure_next(ui);
	}
	ui->dirty = 1;
}

/*
 * The progress to show in path's row: 1 and the text (at most 8 columns)
 * in out, *speed set when it belongs in the SPEED column (else QUALITY);
 * 0 when path is neither measured nor waiting.
 */
int
measure_row(struct ui *ui, const char *path, int *speed, char *out,
    size_t len)
{
	struct measure	*me = ui->measure;
	const char	*what;
	size_t		 i;
	int		 pct;

	if (me == NULL)
		return 0;
	if (me->job != NULL && strcmp(me->cur.path, path) == 0) {
		*speed = me->cur.kind == MJOB_SPEED;
		pct = (int)(me->frac * 100);
		if (pct > 99)
			pct = 99;
		if (pct < 0)
			pct = 0;
		if (me->stopping)
			what = "stop";
		else if (me->hashing)
			what = "sha";
		else if (me->cur.kind == MJOB_SPEED)
			what = "run";
		else if (me->phase == 0)
			what = "ref";
		else
			what = me->cur.kind == MJOB_KLD ? "kld" : "ppl";
		snprintf(out, len, "%s %d%%", what, pct);
		return 1;
	}
	for (i = 0; i < me->nqueue; i++) {
		if (strcmp(me->queue[i].path, path) == 0) {
			*speed = me->queue[i].kind == MJOB_SPEED;
			snprintf(out, len, "queued");
			return 1;
		}
	}
	return 0;
}

/* " | measuring NAME 40%" for the status bars, nothing when idle. */
void
measure_status(struct ui *ui, struct buf *b)
{
	struct measure	*me = ui->measure;

	if (me == NULL || me->job == NULL)
		return;
	buf_printf(b, " | %s %s %d%%", me->stopping ? "stopping" :
	    "measuring", me->cur.name, (int)(me->frac * 100));
	if (me->nqueue > 0)
		buf_printf(b, " (+%zu)", me->nqueue);
}

/* ---- what the columns show ------------------------------------------- */

void
mfacts_free(struct mfacts *f)
{
	if (f->m != NULL)
		store_measures_free(f->m, f->nm);
	memset(f, 0, sizeof *f);
}

/*
 * Read what the store knows of path: its SHA-256 from the catalog (only
 * a stat and a lookup: the hash of a file never hashed is left to a
 * measurement), then the speeds of its answers and its measurements.
 * A store error leaves the facts empty (the columns say "-").
 */
void
mfacts_read(struct ui *ui, const char *path, struct mfacts *f)
{
	struct modelid	 id;
	char		*cause = NULL;

	mfacts_free(f);
	f->gen = measure_gen(ui);
	if (ui->store == NULL || !modelid_cached(ui->store, path, &id))
		return;
	memcpy(f->sha, id.sha256, sizeof f->sha);
	if (store_model_speed(ui->store, f->sha, &f->use_decode,
	    &f->use_prefill, &f->use_n, &cause) != 0) {
		free(cause);
		cause = NULL;
		f->use_n = 0;
	}
	if (store_measure_list(ui->store, f->sha, &f->m, &f->nm,
	    &cause) != 0) {
		free(cause);
		f->m = NULL;
		f->nm = 0;
	}
}

/* The newest complete measurement of kind (against base_sha for kld). */
static const struct store_measure *
mfacts_find(const struct mfacts *f, const char *kind, const char *base_sha)
{
	size_t	i;

	for (i = 0; i < f->nm; i++) {
		if (strcmp(f->m[i].kind, kind) != 0 || !f->m[i].complete)
			continue;
		if (base_sha != NULL && strcmp(f->m[i].base_sha, base_sha) != 0)
			continue;
		return &f->m[i];
	}
	return NULL;
}

/* Is there a complete measurement of kind (against base_sha for kld)? */
int
mfacts_has(const struct mfacts *f, const char *kind, const char *base_sha)
{
	if (base_sha != NULL && base_sha[0] == '\0')
		return 0;
	return mfacts_find(f, kind, base_sha) != NULL;
}

/*
 * prefix, v and suffix in at most w columns: the most decimals (maxprec
 * down to 0) that fit, else the exponent form; a number is never cut,
 * so when even that does not fit out is "#".
 */
static void
measure_fitnum(char *out, size_t len, int w, int maxprec, const char *prefix,
    double v, const char *suffix)
{
	int	prec;

	for (prec = maxprec; prec >= 0; prec--) {
		snprintf(out, len, "%s%.*f%s", prefix, prec, v, suffix);
		if ((int)strlen(out) <= w)
			return;
	}
	snprintf(out, len, "%s%.0e%s", prefix, v, suffix);
	if ((int)strlen(out) <= w)
		return;
	snprintf(out, len, "#");
}

/*
 * The SPEED column (w columns): answer/prompt tok/s from real use, else
 * from the newest speed measurement, else a dash; the prompt speed is
 * left out when both do not fit.
 */
void
mfacts_speed(struct ui *ui, const struct mfacts *f, char *out, size_t len,
    int w)
{
	const struct store_measure	*m;
	double				 d, p;
	char				 a[32], b[32];

	if (f->use_n > 0) {
		d = f->use_decode;
		p = f->use_prefill;
	} else if ((m = mfacts_find(f, "speed", NULL)) != NULL) {
		d = m->decode_tps;
		p = m->prefill_tps;
	} else {
		snprintf(out, len, "%s", ui->utf8 ? "\xe2\x80\x93" : "-");
		return;
	}
	/* A fast prompt rate in thousands, so the answer rate keeps room. */
	if (p >= 9999.5)
		snprintf(b, sizeof b, "%.0fk", p / 1000);
	else
		snprintf(b, sizeof b, "%.0f", p);
	measure_fitnum(a, sizeof a, w - 1 - (int)strlen(b), 1, "", d, "");
	if (p > 0 && strcmp(a, "#") != 0)
		snprintf(out, len, "%s/%s", a, b);
	else
		measure_fitnum(out, len, w, 1, "", d, "");
}

/*
 * The QUALITY column (w columns) of a file with summary sum: against
 * the reference file of its model (base; NULL when the folder has no
 * other file of it, or this is it), the newest KL divergence measured
 * against that file; the reference itself and a file without one show
 * their measured perplexity.  Else llama.cpp's published figure for the
 * type, labelled "pub" (returns 1 so the caller can dim it), else a
 * dash (returns 0).
 */
int
mfacts_quality(struct ui *ui, const struct mfacts *f,
    const struct engine_file_summary *sum, const struct mfacts *base,
    char *out, size_t len, int w)
{
	const struct store_measure	*m;
	const char			*on;
	double				 d;

	if (base != NULL) {
		if (f->sha[0] != '\0' && base->sha[0] != '\0' &&
		    (m = mfacts_find(f, "kld", base->sha)) != NULL) {
			measure_fitnum(out, len, w, 4, "kld ", m->kld_mean, "");
			return 0;
		}
	} else if ((m = mfacts_find(f, "ppl", NULL)) != NULL) {
		measure_fitnum(out, len, w, 2, "ppl ", m->ppl, "");
		return 0;
	}
	if (quality_published(sum->quant, &d, &on)) {
		measure_fitnum(out, len, w, 4, d < 0 ? "" : "+", d, " pub");
		return 1;
	}
	snprintf(out, len, "%s", ui->utf8 ? "\xe2\x80\x93" : "-");
	return 0;
}
