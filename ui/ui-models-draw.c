/*
 * ui-models-draw.c -- the model menu's rows and columns, and the
 * measurements its keys queue (the state is ui-models.h's; scanning and
 * keys are ui-models.c's).
 *
 * A file's row: name, QUANT, SIZE, PARAMS, BPW, MEMORY (flagged when it
 * exceeds the available memory), TOK/S and QUALITY (what they show:
 * ui-measure.c's mfacts_speed and mfacts_quality, and the progress of a
 * measurement of the file, measure_row).  The reference file of a
 * file's model, against which its KL divergence is measured, is the
 * listed file of the same model (quality_same_model) with the most bits
 * per weight (quality_better_base).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "buf.h"
#include "quality.h"
#include "ui-models.h"
#include "units.h"
#include "utf8.h"
#include "xmalloc.h"

static void	 models_cell(struct ui *, int, int, int, const char *, int);
static const char *models_error_text(const struct model_row *);
static void	 models_draw_where(struct ui *, struct models *);

/*
 * A row's error without the file name the reader put first (the row
 * shows it already); Enter shows the whole message.
 */
static const char *
models_error_text(const struct model_row *r)
{
	const char	*names[2] = { r->path, r->name };
	size_t		 i, l;

	for (i = 0; i < 2; i++) {
		l = strlen(names[i]);
		if (l > 0 && strncmp(r->error, names[i], l) == 0 &&
		    strncmp(r->error + l, ": ", 2) == 0)
			return r->error + l + 2;
	}
	return r->error;
}

/*
 * The columns after the name, left to right, and the order they are
 * kept in as the terminal narrows (the name keeps at least 12 columns;
 * below 40x10 the chat shows "terminal too small" instead): quality
 * first, the parameter count first to go.  Each has room for its widest
 * value, so a number is never cut.
 */
enum {
	MC_QUANT, MC_SIZE, MC_PARAMS, MC_BPW, MC_MEM, MC_SPEED, MC_QUAL,
	MC_N
};
static const struct {
	const char	*title;
	int		 w;
} models_cols[MC_N] = {
	{ "QUANT", 7 }, { "SIZE", 7 }, { "PARAMS", 6 }, { "BPW", 5 },
	{ "MEMORY", 8 }, { "TOK/S", 9 }, { "QUALITY", 11 }
};
static const int models_keep[MC_N] = {
	MC_QUAL, MC_QUANT, MC_SPEED, MC_MEM, MC_SIZE, MC_BPW, MC_PARAMS
};

/*
 * The reference file of r's model among the rows: the file of the same
 * model with the most bits per weight.  NULL when r is that file
 * (*is_base 1) or no other file of its model is listed (*is_base 0).
 */
struct model_row *
models_base(struct models *ms, const struct model_row *r, int *is_base)
{
	struct model_row	*o, *best = NULL;
	size_t			 i, n = 0;

	*is_base = 0;
	if (r->remote || r->demo || !r->ok)
		return NULL;
	for (i = 0; i < ms->nrows; i++) {
		o = &ms->rows[i];
		if (!o->ok || (o != r && !quality_same_model(&o->sum,
		    &r->sum)))
			continue;
		n++;
		if (best == NULL || quality_better_base(&o->sum, &best->sum))
			best = o;
	}
	if (n < 2)
		return NULL;
	if (best == r) {
		*is_base = 1;
		return NULL;
	}
	return best;
}

/*
 * Where the selected row's file is (names alone do not tell two copies
 * apart), or the server a remote row's text goes to, on the row above
 * the footer.
 */
static void
models_draw_where(struct ui *ui, struct models *ms)
{
	struct model_row	*r;
	char			*dir, *fit, *line;
	const char		*slash;

	if (ms->list.sel >= ms->list.n)
		return;
	r = models_row(ms, ms->list.sel);
	if (r->remote) {
		if (r->ep >= ms->neps || ms->eps[r->ep].e == NULL)
			return;
		dir = xstrdup(ms->eps[r->ep].e->origin);
	} else if ((slash = strrchr(r->path, '/')) == NULL)
		dir = xstrdup(".");
	else
		xasprintf(&dir, "%.*s", slash == r->path ? 1 :
		    (int)(slash - r->path), r->path);
	fit = ui_fit_name(ui, dir, COLS - 12);
	xasprintf(&line, "  %s %s", r->remote ? "server" : "in", fit);
	ui_draw_str(ui, LINES - 3, 0, line, COLS, UA_DIM);
	free(line);
	free(fit);
	free(dir);
}

/* Draw s in column c of row y (right-aligned in its width). */
static void
models_cell(struct ui *ui, int y, int x, int w, const char *s, int attr)
{
	int	sw = (int)utf8_width(s, strlen(s));

	ui_draw_str(ui, y, x + (sw < w ? w - sw : 0), s, w, attr);
}

void
models_draw(struct ui *ui, void *data)
{
	struct models		*ms = data;
	struct model_row	*r, *base;
	struct buf		 b = BUF_INIT;
	char			 line[512], v[64], av[16], dash[8];
	size_t			 i, l;
	int			 height, y, x, nw, attr, cur, fit, listing, c, k;
	int			 on[MC_N], used, namemin, is_base, speed, prog;
	int			 pub;
	char			*nm;

	ui_fill(ui, 0, UA_STATUS);
	units_bytes_short(av, sizeof av, ms->mem_avail);
	for (i = 0, listing = 0; i < ms->neps; i++)
		listing += !ms->eps[i].listed;
	snprintf(line, sizeof line, " Models -- memory available %s, "
	    "context %s", ms->mem_avail > 0 ? av : "?",
	    ui->set.n_ctx > 0 ? "set" : "of each model");
	l = strlen(line);
	if (ms->scan != NULL && (ms->probed < ms->nrows || listing == 0))
		snprintf(line + l, sizeof line - l, " -- reading headers "
		    "%zu/%zu", ms->probed, ms->nrows);
	l = strlen(line);
	if (ms->scan != NULL && listing > 0)
		snprintf(line + l, sizeof line - l, " -- listing %d "
		    "server%s", listing, listing > 1 ? "s" : "");
	buf_puts(&b, line);
	measure_status(ui, &b);
	ui_draw_text(ui, 0, 0, b.data, b.len, COLS, UA_STATUS);
	buf_free(&b);

	/* Which columns fit, in the order they are kept. */
	namemin = 12;
	used = 2 + namemin;
	memset(on, 0, sizeof on);
	for (k = 0; k < MC_N; k++) {
		c = models_keep[k];
		if (used + 1 + models_cols[c].w <= COLS) {
			on[c] = 1;
			used += 1 + models_cols[c].w;
		}
	}
	nw = COLS - used + namemin;
	if (nw < 1)
		nw = 1;
	snprintf(dash, sizeof dash, "%s", ui->utf8 ? "\xe2\x80\x93" : "-");

	ui_draw_str(ui, 1, 2, "MODEL", nw, UA_TITLE);
	for (c = 0, x = 2 + nw; c < MC_N; c++) {
		if (!on[c])
			continue;
		x++;
		if (c == MC_QUANT)
			ui_draw_str(ui, 1, x, models_cols[c].title,
			    models_cols[c].w, UA_TITLE);
		else
			models_cell(ui, 1, x, models_cols[c].w -
			    (c == MC_MEM), models_cols[c].title, UA_TITLE);
		x += models_cols[c].w;
	}
	/* A row below the list says where the selected file is. */
	height = LINES - 4 - (LINES >= 8);
	ui_list_scroll(&ms->list, height);
	for (i = 0; i < (size_t)height && ms->list.top + i < ms->list.n;
	    i++) {
		r = models_row(ms, ms->list.top + i);
		y = 2 + (int)i;
		cur = models_current(ui, ms, r);
		fit = !r->ok || r->remote || ms->mem_avail == 0 ||
		    r->mem <= ms->mem_avail;
		attr = ms->list.top + i == ms->list.sel ? UA_SELECTED :
		    r->pending ? UA_DIM : (!r->ok && !r->demo) || !fit ?
		    UA_ERROR : UA_TEXT;
		if (attr == UA_SELECTED)
			ui_fill(ui, y, UA_SELECTED);
		if (r->demo || (r->remote && r->model_id == NULL)) {
			/* Demo, listing, or why not: the whole line. */
			snprintf(line, sizeof line, "  %s%s", r->demo ?
			    "+ " : "", r->name);
			ui_draw_str(ui, y, 0, line, COLS, attr);
			continue;
		}
		ui_draw_str(ui, y, 0, cur ? "*" : " ", 1, attr);
		/* A long name loses its middle, not its quant and extension. */
		nm = ui_fit_name(ui, r->name, nw);
		ui_draw_str(ui, y, 2, nm, nw, attr);
		free(nm);
		x = 2 + nw;
		if (r->remote) {
			snprintf(line, sizeof line, " remote");
			if (r->n_ctx > 0)
				snprintf(line + 7, sizeof line - 7, " ctx %d",
				    r->n_ctx);
			ui_draw_str(ui, y, x, line, COLS - x, attr);
			continue;
		}
		if (r->pending || !r->ok) {
			snprintf(line, sizeof line, " %s%s", r->pending ?
			    "reading the header..." : "error: ", r->pending ?
			    "" : models_error_text(r));
			ui_draw_str(ui, y, x, line, COLS - x, attr);
			continue;
		}
		if (r->mf.gen != measure_gen(ui))
			mfacts_read(ui, r->path, &r->mf);
		base = models_base(ms, r, &is_base);
		if (base != NULL && base->mf.gen != measure_gen(ui))
			mfacts_read(ui, base->path, &base->mf);
		prog = measure_row(ui, r->path, &speed, line, sizeof line);
		for (c = 0; c < MC_N; c++) {
			if (!on[c])
				continue;
			x++;
			pub = 0;
			switch (c) {
			case MC_QUANT:
				snprintf(v, sizeof v, "%.7s", r->quant);
				ui_draw_str(ui, y, x, v, 7, attr);
				break;
			case MC_SIZE:
				units_bytes_short(v, sizeof v, r->size);
				break;
			case MC_PARAMS:
				ui_size_text(r->n_params, v, sizeof v);
				break;
			case MC_BPW:
				if (r->sum.bpw >= 100)
					snprintf(v, sizeof v, "%s", dash);
				else
					snprintf(v, sizeof v, "%.2f",
					    r->sum.bpw);
				break;
			case MC_MEM:
				units_bytes_short(v, sizeof v, r->mem);
				ui_draw_str(ui, y, x + models_cols[c].w - 1,
				    fit ? " " : "!", 1, attr);
				break;
			case MC_SPEED:
				if (prog && speed)
					snprintf(v, sizeof v, "%s", line);
				else
					mfacts_speed(ui, &r->mf, v, sizeof v,
					    models_cols[c].w);
				break;
			case MC_QUAL:
				if (prog && !speed)
					snprintf(v, sizeof v, "%s", line);
				else
					pub = mfacts_quality(ui, &r->mf,
					    &r->sum, base != NULL ? &base->mf :
					    NULL, v, sizeof v,
					    models_cols[c].w);
				break;
			}
			if (c != MC_QUANT)
				models_cell(ui, y, x, models_cols[c].w -
				    (c == MC_MEM), v, pub && attr == UA_TEXT ?
				    UA_DIM : attr);
			x += models_cols[c].w;
		}
	}
	if (LINES >= 8)
		models_draw_where(ui, ms);
	ui_draw_footer(ui, COLS >= 96 ? "* current  ! needs more memory  "
	    "TOK/S answer/prompt  pub: llama.cpp's figure for the type" :
	    "* current  ! too big  TOK/S answer/prompt  pub: published",
	    COLS >= 90 ?
	    "Enter load  s speed  m quality  M whole model  i details  "
	    "x stop  r rescan  q close" :
	    "Enter load s speed m quality M all i info x stop r rescan q");
}

/*
 * Queue a measurement of r: its speed (what 0), its quality (1), or the
 * quality of every listed file of its model (2): the KL divergence
 * against the model's reference file, the reference's (or a lone
 * file's) perplexity.
 */
void
models_measure(struct ui *ui, struct models *ms, struct model_row *r,
    int what)
{
	struct model_row	*base, *o;
	char			*cause = NULL;
	size_t			 i, n = 0, done = 0;
	int			 is_base, rc;

	if (r->remote || r->demo || r->pending || !r->ok) {
		ui_message(ui, 1, "only a model file of this machine can be "
		    "measured");
		return;
	}
	base = models_base(ms, r, &is_base);
	if (what == 0)
		rc = measure_queue(ui, MJOB_SPEED, r->path, r->mf.sha,
		    &r->sum, NULL, NULL, NULL, &cause);
	else if (what == 1 || (base == NULL && !is_base))
		rc = measure_queue(ui, base != NULL ? MJOB_KLD : MJOB_PPL,
		    r->path, r->mf.sha, &r->sum, base != NULL ? base->path :
		    NULL, base != NULL ? base->mf.sha : NULL, base != NULL ?
		    &base->sum : NULL, &cause);
	else {
		if (base == NULL)
			base = r;
		rc = 0;
		for (i = 0; i < ms->nrows && rc == 0; i++) {
			o = models_row(ms, i);
			if (!o->ok || !quality_same_model(&o->sum, &r->sum))
				continue;
			/* Measured already (m measures one file again). */
			if (mfacts_has(&o->mf, o == base ? "ppl" : "kld",
			    o == base ? NULL : base->mf.sha)) {
				done++;
				continue;
			}
			rc = measure_queue(ui, o == base ? MJOB_PPL : MJOB_KLD,
			    o->path, o->mf.sha, &o->sum, o == base ? NULL :
			    base->path, base->mf.sha, &base->sum, &cause);
			/* One already measured or waiting: the others go. */
			if (rc != 0 && strstr(cause, "already") != NULL) {
				free(cause);
				cause = NULL;
				rc = 0;
				continue;
			}
			n += rc == 0;
		}
	}
	if (rc != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
	} else if (what == 2 && n == 0)
		ui_message(ui, 0, "every file of %s is measured already (m "
		    "measures one again)", r->sum.name);
	else if (what == 2)
		ui_message(ui, 0, "%zu files of %s queued, %zu measured "
		    "already: each is measured in the background in turn (x "
		    "stops)", n, r->sum.name, done);
	else
		ui_message(ui, 0, "%s measured in the background (x stops); "
		    "answers are slower meanwhile", what == 0 ? "speed" :
		    "quality");
}
