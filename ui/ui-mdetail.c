/*
 * ui-mdetail.c -- the model menu's detail view of one file (the i key):
 * what the file is, its reference file for the KL divergence, its speed
 * from real use with the number of answers, llama.cpp's published figure
 * for its type, and every measurement stored for it, newest first, with
 * its text, context, chunks, reference file, date, medchat version and
 * whether it is complete or partial.
 *
 * The lines are built from the store when the view opens and again
 * whenever a measurement is stored (measure_gen changes), so a result
 * that arrives while the view is open shows up in it.  Long lines wrap
 * at the terminal's width; Up/Down/PgUp/PgDn scroll; Esc or q goes back
 * to the menu.  Text from the database (names, versions) is drawn by
 * ui_draw_text, which shows control characters as U+FFFD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "buf.h"
#include "quality.h"
#include "units.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

struct mdetail {
	char				*path;
	char				*name;
	struct engine_file_summary	 sum;
	char				*base;		/* reference file, */
	char				*base_name;	/*   or NULL */
	int				 is_base;	/* this is the model's
							   reference */
	unsigned			 gen;	/* measure_gen when built */
	char				**lines;
	size_t				 nlines;
	size_t				 top;	/* first row shown */
};

static void	 mdetail_free(void *);
static void	 mdetail_draw(struct ui *, void *);
static int	 mdetail_key(struct ui *, void *, int);
static void	 mdetail_build(struct ui *, struct mdetail *);
static void	 mdetail_add(struct mdetail *, struct buf *);
static void	 mdetail_measure(struct mdetail *, struct buf *,
		     const struct store_measure *);
static size_t	 mdetail_rows(const char *, int, const char **, size_t *);

const struct ui_screen_ops ui_screen_mdetail = {
	"mdetail", sizeof(struct mdetail), NULL, mdetail_free, NULL,
	mdetail_draw, mdetail_key, NULL, NULL, 1
};

/*
 * Open the view of the file at path (summary sum) over the menu; base is
 * its model's reference file (NULL when there is none, or is_base when
 * it is this file).
 */
void
mdetail_open(struct ui *ui, const char *path,
    const struct engine_file_summary *sum, const char *base, int is_base)
{
	struct mdetail	*d;
	const char	*p;

	d = ui_screen_open(ui, &ui_screen_mdetail);
	d->path = xstrdup(path);
	p = strrchr(path, '/');
	d->name = xstrdup(p != NULL ? p + 1 : path);
	d->sum = *sum;
	if (base != NULL) {
		d->base = xstrdup(base);
		p = strrchr(base, '/');
		d->base_name = xstrdup(p != NULL ? p + 1 : base);
	}
	d->is_base = is_base;
	mdetail_build(ui, d);
}

static void
mdetail_clear(struct mdetail *d)
{
	size_t	i;

	for (i = 0; i < d->nlines; i++)
		free(d->lines[i]);
	free(d->lines);
	d->lines = NULL;
	d->nlines = 0;
}

static void
mdetail_free(void *data)
{
	struct mdetail	*d = data;

	mdetail_clear(d);
	free(d->path);
	free(d->name);
	free(d->base);
	free(d->base_name);
}

/* Take b's text as the next line (b is emptied). */
static void
mdetail_add(struct mdetail *d, struct buf *b)
{
	d->lines = xreallocarray(d->lines, d->nlines + 1, sizeof *d->lines);
	d->lines[d->nlines++] = xstrdup(buf_str(b));
	buf_clear(b);
}

/* The lines of one stored measurement. */
static void
mdetail_measure(struct mdetail *d, struct buf *b,
    const struct store_measure *m)
{
	char	date[40];

	store_time_iso(m->created * 1000, date, sizeof date);
	if (strlen(date) >= 16) {
		date[10] = ' ';
		date[16] = '\0';
	}
	buf_printf(b, "%s  %s  %s", date, strcmp(m->kind, "kld") == 0 ?
	    "KL divergence" : strcmp(m->kind, "ppl") == 0 ? "perplexity" :
	    strcmp(m->kind, "speed") == 0 ? "speed" : m->kind,
	    m->complete ? "complete" : "PARTIAL (stopped early)");
	mdetail_add(d, b);
	if (strcmp(m->kind, "speed") == 0) {
		buf_printf(b, "    %.1f tok/s answers (%d generated), %.1f "
		    "tok/s prompt (%d tokens)", m->decode_tps, m->n_chunks,
		    m->prefill_tps, m->n_ctx);
		mdetail_add(d, b);
	} else {
		if (strcmp(m->kind, "kld") == 0) {
			buf_printf(b, "    mean KLD %.6f, 99th percentile "
			    "%.6f, same top token %.2f%%, ppl ratio %.4f",
			    m->kld_mean, m->kld_p99, m->top_agree * 100,
			    m->ppl_ratio);
			mdetail_add(d, b);
		}
		buf_printf(b, "    perplexity %.4f +/- %.4f", m->ppl,
		    m->ppl_err);
		mdetail_add(d, b);
		buf_printf(b, "    text %s (sha256 %.12s), context %d, %d "
		    "chunks, %d tokens scored", m->text_name != NULL ?
		    m->text_name : "?", m->text_sha, m->n_ctx, m->n_chunks,
		    m->n_tokens);
		mdetail_add(d, b);
		if (strcmp(m->kind, "kld") == 0) {
			buf_printf(b, "    reference %s (sha256 %.12s)",
			    m->base_name != NULL ? m->base_name : "?",
			    m->base_sha);
			mdetail_add(d, b);
		}
	}
	buf_printf(b, "    medchat %s, %d thread%s%s%s",
	    m->version != NULL ? m->version : "?", m->threads,
	    m->threads == 1 ? "" : "s",
	    m->kernel != NULL ? ", kernel " : "",
	    m->kernel != NULL ? m->kernel : "");
	mdetail_add(d, b);
}

/* (Re)build the lines from the store. */
static void
mdetail_build(struct ui *ui, struct mdetail *d)
{
	struct mfacts	 f;
	struct buf	 b = BUF_INIT;
	const char	*on;
	char		 sz[16], par[16];
	double		 dppl;
	size_t		 i;

	memset(&f, 0, sizeof f);
	mdetail_clear(d);
	mfacts_read(ui, d->path, &f);
	d->gen = f.gen;
	buf_printf(&b, "%s", d->path);
	mdetail_add(d, &b);
	units_bytes_short(sz, sizeof sz, d->sum.file_size);
	ui_size_text(d->sum.n_params, par, sizeof par);
	buf_printf(&b, "%s, %s, %s, %.2f bits per weight, %s parameters, "
	    "vocabulary %u", d->sum.name[0] != '\0' ? d->sum.name :
	    "(no general.name)", d->sum.arch, d->sum.quant, d->sum.bpw, par,
	    d->sum.n_vocab);
	buf_printf(&b, ", %s", sz);
	mdetail_add(d, &b);
	if (f.sha[0] != '\0')
		buf_printf(&b, "sha256 %s", f.sha);
	else
		buf_puts(&b, "sha256 not computed yet (a measurement or "
		    "loading the file computes it)");
	mdetail_add(d, &b);
	if (d->is_base)
		buf_puts(&b, "Reference of its model: the file with the most "
		    "bits per weight here (quality shows its perplexity)");
	else if (d->base_name != NULL)
		buf_printf(&b, "Reference for the KL divergence: %s (the file "
		    "of this model with the most bits per weight here)",
		    d->base_name);
	else
		buf_puts(&b, "No other file of this model here: quality "
		    "shows its perplexity");
	mdetail_add(d, &b);
	if (f.use_n > 0)
		buf_printf(&b, "Speed from real use: %.1f tok/s answers, %.1f "
		    "tok/s prompt (mean of %d answer%s)", f.use_decode,
		    f.use_prefill, f.use_n, f.use_n == 1 ? "" : "s");
	else
		buf_puts(&b, "Speed from real use: no answer yet with this "
		    "file");
	mdetail_add(d, &b);
	if (quality_published(d->sum.quant, &dppl, &on))
		buf_printf(&b, "Published (llama.cpp's quantize tool): "
		    "%s%.4f perplexity over 16 bits, on %s, not this model",
		    dppl < 0 ? "" : "+", dppl, on);
	else
		buf_printf(&b, "Published: no figure for %s", d->sum.quant);
	mdetail_add(d, &b);
	mdetail_add(d, &b);
	if (f.nm == 0)
		buf_puts(&b, "No measurement stored: s measures the speed, m "
		    "the quality (in the menu).");
	else
		buf_printf(&b, "%zu measurement%s stored, newest first:", f.nm,
		    f.nm == 1 ? "" : "s");
	mdetail_add(d, &b);
	for (i = 0; i < f.nm; i++)
		mdetail_measure(d, &b, &f.m[i]);
	buf_free(&b);
	mfacts_free(&f);
}

/*
 * Split s into rows of at most w columns, on character boundaries: the
 * number of rows; with starts/lens (may be NULL), row k's start and
 * length in bytes for k < max.
 */
static size_t
mdetail_rows(const char *s, int w, const char **starts, size_t *lens)
{
	size_t		 n = 0, len = strlen(s), i = 0, row0 = 0;
	uint32_t	 cp;
	int		 cw, l, col = 0;

	if (w < 1)
		w = 1;
	while (i < len) {
		l = utf8_decode(s + i, len - i, &cp);
		if (l <= 0) {
			l = 1;
			cw = 1;
		} else
			cw = utf8_cpwidth(cp);
		if (col + cw > w && col > 0) {
			if (starts != NULL) {
				starts[n] = s + row0;
				lens[n] = i - row0;
			}
			n++;
			row0 = i;
			col = 0;
		}
		col += cw;
		i += (size_t)l;
	}
	if (starts != NULL) {
		starts[n] = s + row0;
		lens[n] = len - row0;
	}
	return n + 1;
}

static void
mdetail_draw(struct ui *ui, void *data)
{
	struct mdetail	*d = data;
	struct buf	 b = BUF_INIT;
	const char	**starts;
	size_t		 i, k, nr, row = 0, *lens, total = 0;
	int		 y = 1, height = LINES - 3;

	if (d->gen != measure_gen(ui))
		mdetail_build(ui, d);
	ui_fill(ui, 0, UA_STATUS);
	buf_printf(&b, " Measurements -- %s", d->name);
	measure_status(ui, &b);
	ui_draw_text(ui, 0, 0, b.data, b.len, COLS, UA_STATUS);
	buf_free(&b);
	for (i = 0; i < d->nlines; i++)
		total += mdetail_rows(d->lines[i], COLS, NULL, NULL);
	if (height < 1)
		height = 1;
	if (total <= (size_t)height)
		d->top = 0;
	else if (d->top > total - (size_t)height)
		d->top = total - (size_t)height;
	for (i = 0; i < d->nlines && y < 1 + height; i++) {
		nr = mdetail_rows(d->lines[i], COLS, NULL, NULL);
		starts = xcalloc(nr, sizeof *starts);
		lens = xcalloc(nr, sizeof *lens);
		mdetail_rows(d->lines[i], COLS, starts, lens);
		for (k = 0; k < nr && y < 1 + height; k++, row++) {
			if (row < d->top)
				continue;
			ui_draw_text(ui, y++, 0, starts[k], lens[k], COLS,
			    i < 7 ? UA_TEXT : strncmp(d->lines[i], "    ",
			    4) == 0 ? UA_TEXT : UA_TITLE);
		}
		free(starts);
		free(lens);
	}
	ui_draw_footer(ui, NULL, "Up/Down scroll  Esc/q back to the menu");
}

static int
mdetail_key(struct ui *ui, void *data, int key)
{
	struct mdetail	*d = data;
	int		 page = LINES - 3 > 1 ? LINES - 3 : 1;

	ui->dirty = 1;
	switch (key) {
	case KEY_UP:
	case 'k':
	case UI_KEY_WHEEL_UP:
		if (d->top > 0)
			d->top--;
		break;
	case KEY_DOWN:
	case 'j':
	case UI_KEY_WHEEL_DOWN:
		d->top++;		/* drawing clamps it */
		break;
	case KEY_PPAGE:
		d->top = d->top > (size_t)page ? d->top - (size_t)page : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		d->top += (size_t)page;
		break;
	case KEY_HOME:
		d->top = 0;
		break;
	case KEY_END:
		d->top = (size_t)-1 / 2;
		break;
	case UI_KEY_ESC:
	case 'q':
	case 3:
		ui_screen_close(ui);
		break;
	default:
		return 0;
	}
	return 1;
}
