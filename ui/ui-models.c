/*
 * ui-models.c -- the model menu.
 *
 * Lists the GGUF files of the models directory ($XDG_DATA_HOME/medchat/
 * models), --models-dir, the settings file's directories, the directory
 * of -m and the loaded model, one row each with what engine_probe() reads
 * from the header (no weights touched): quant type, file size,
 * parameters, and the memory needed at the chosen context
 * (engine_mem_needed) against MemAvailable; rows that do not fit are
 * flagged, files that fail to parse show the reader's one-line error.
 *
 * Listing the directories and reading the headers happen on a scan
 * thread (src/app/mscan.c), never on the UI thread: the menu opens at once
 * and models_events() adds rows as names arrive (kept sorted by name
 * through the morder index, rows themselves stay in the order found so
 * a header result finds its row directly) and fills each row in when its
 * header has been read.  The selection follows the current model until
 * the user moves it.  Enter loads the row in the worker (the UI stays
 * usable, the status bar shows the progress); the last row writes and
 * loads the built-in demo model.
 */
#include <sys/stat.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "ui-int.h"
#include "xmalloc.h"

static void	 models_sources(struct ui *, const char ***, size_t *,
		     const char ***, size_t *, char **);
static void	 models_scan(struct ui *);
static void	 models_found(struct ui *, const char *);
static void	 models_probed(struct ui *, const struct mscan_event *);
static void	 models_apply(struct ui *, struct mscan_event *);
static struct model_row *models_row(struct ui *, size_t);
static const char *models_error_text(const struct model_row *);
static uint64_t	 models_mem_available(void);
static void	 models_size(uint64_t, char *, size_t);

static uint64_t
models_mem_available(void)
{
	FILE			*f;
	char			 line[256];
	unsigned long long	 kb;
	uint64_t		 v = 0;

	if ((f = fopen("/proc/meminfo", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
			v = (uint64_t)kb * 1024;
			break;
		}
	}
	fclose(f);
	return v;
}

static void
models_size(uint64_t n, char *out, size_t len)
{
	if (n >= 1000000000ULL)
		snprintf(out, len, "%.1fG", n / 1e9);
	else if (n >= 1000000ULL)
		snprintf(out, len, "%.1fM", n / 1e6);
	else if (n >= 1000ULL)
		snprintf(out, len, "%.1fK", n / 1e3);
	else
		snprintf(out, len, "%llu", (unsigned long long)n);
}

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

/* The row shown at position i (0 .. mlist.n - 1). */
static struct model_row *
models_row(struct ui *ui, size_t i)
{
	if (i < ui->nmrows)
		return &ui->mrows[ui->morder[i]];
	return &ui->mdemo;
}

/* Stop any scan and forget the rows. */
void
models_free(struct ui *ui)
{
	size_t	i;

	mscan_stop(ui->mscan);
	ui->mscan = NULL;
	for (i = 0; i < ui->nmrows; i++) {
		free(ui->mrows[i].path);
		free(ui->mrows[i].name);
		free(ui->mrows[i].error);
	}
	free(ui->mrows);
	free(ui->morder);
	free(ui->mdemo.path);
	free(ui->mdemo.name);
	memset(&ui->mdemo, 0, sizeof ui->mdemo);
	ui->mrows = NULL;
	ui->morder = NULL;
	ui->nmrows = ui->mcap = ui->mprobed = 0;
	ui->mlist.n = 0;
}

/*
 * Where to look, in order: directories (*dirs, *nd) and single files
 * (*files, *nf).  The arrays point into ui and *tmp (a copy of -m cut to
 * its directory), which the caller frees with the arrays.
 */
static void
models_sources(struct ui *ui, const char ***dirs, size_t *nd,
    const char ***files, size_t *nf, char **tmp)
{
	size_t	i;

	*dirs = xcalloc(ui->conf.n_models_dirs + 4, sizeof **dirs);
	*files = xcalloc(2, sizeof **files);
	*nd = *nf = 0;
	*tmp = NULL;
	(*dirs)[(*nd)++] = ui->models_dir;
	(*dirs)[(*nd)++] = ui->opt_models_dir;
	for (i = 0; i < ui->conf.n_models_dirs; i++)
		(*dirs)[(*nd)++] = ui->conf.models_dirs[i];
	if (ui->opt_model != NULL) {
		*tmp = xstrdup(ui->opt_model);
		(*dirs)[(*nd)++] = dirname(*tmp);
		(*files)[(*nf)++] = ui->opt_model;
	}
	if (ui->model != NULL)
		(*files)[(*nf)++] = ui->model->path;
}

/* A new file: a pending row, placed by name. */
static void
models_found(struct ui *ui, const char *path)
{
	struct model_row	*r;
	char			*dup;
	size_t			 lo, hi, mid, n = ui->nmrows;

	if (n == ui->mcap) {
		ui->mcap = ui->mcap == 0 ? 16 : ui->mcap * 2;
		ui->mrows = xreallocarray(ui->mrows, ui->mcap,
		    sizeof *ui->mrows);
		ui->morder = xreallocarray(ui->morder, ui->mcap,
		    sizeof *ui->morder);
	}
	r = &ui->mrows[n];
	memset(r, 0, sizeof *r);
	r->path = xstrdup(path);
	dup = xstrdup(path);
	r->name = xstrdup(basename(dup));
	free(dup);
	r->pending = 1;
	lo = 0;
	hi = n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(ui->mrows[ui->morder[mid]].name, r->name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(ui->morder + lo + 1, ui->morder + lo,
	    (n - lo) * sizeof *ui->morder);
	ui->morder[lo] = n;
	ui->nmrows++;
	ui->mlist.n = ui->nmrows + 1;
	if (ui->mmoved && lo <= ui->mlist.sel)
		ui->mlist.sel++;
}

/* A header read: fill in the row. */
static void
models_probed(struct ui *ui, const struct mscan_event *ev)
{
	struct model_row	*r;
	uint32_t		 ctx;

	if (ev->idx >= ui->nmrows)
		return;
	r = &ui->mrows[ev->idx];
	if (!r->pending)
		return;
	r->pending = 0;
	ui->mprobed++;
	if (!ev->ok) {
		r->error = xstrdup(ev->error != NULL ? ev->error :
		    "not a usable GGUF file");
		return;
	}
	r->ok = 1;
	snprintf(r->quant, sizeof r->quant, "%s", ev->sum.quant);
	r->size = ev->sum.file_size;
	r->n_params = ev->sum.n_params;
	r->n_ctx_train = (int)ev->sum.n_ctx_train;
	ctx = ui->set.n_ctx > 0 ? (uint32_t)ui->set.n_ctx :
	    ev->sum.n_ctx_train;
	r->mem = engine_mem_needed(&ev->sum, ctx);
}

/* Apply a list of scan events (freeing it). */
static void
models_apply(struct ui *ui, struct mscan_event *list)
{
	struct mscan_event	*ev;
	size_t			 i;

	for (ev = list; ev != NULL; ev = ev->next) {
		switch (ev->type) {
		case MSCAN_FOUND:
			models_found(ui, ev->path);
			break;
		case MSCAN_PROBED:
			models_probed(ui, ev);
			break;
		case MSCAN_DONE:
			mscan_stop(ui->mscan);
			ui->mscan = NULL;
			break;
		}
	}
	mscan_event_free(list);
	if (!ui->mmoved) {
		/* Until the user moves: the current model, else the top. */
		ui->mlist.sel = 0;
		for (i = 0; ui->model != NULL && i < ui->nmrows; i++) {
			if (strcmp(models_row(ui, i)->path,
			    ui->model->path) == 0)
				ui->mlist.sel = i;
		}
	}
	if (ui->mlist.sel >= ui->mlist.n)
		ui->mlist.sel = ui->mlist.n - 1;
	ui->dirty = 1;
}

/* The scan thread has news (its descriptor is readable). */
void
models_events(struct ui *ui)
{
	if (ui->mscan != NULL)
		models_apply(ui, mscan_drain(ui->mscan));
}

/*
 * Start over: only the demo row, then rows as the scan thread finds
 * files.  If no thread can be started the scan runs here instead.
 */
static void
models_scan(struct ui *ui)
{
	const char	**dirs, **files;
	char		 *tmp, *cause = NULL;
	size_t		  nd, nf;

	models_free(ui);
	ui->mem_avail = models_mem_available();
	ui->mdemo.demo = 1;
	ui->mdemo.path = xstrdup("");
	ui->mdemo.name = xstrdup("create the demo model (random weights -- "
	    "meaningless output)");
	ui->mlist.n = 1;
	ui->mlist.sel = 0;
	ui->mlist.top = 0;
	ui->mmoved = 0;
	models_sources(ui, &dirs, &nd, &files, &nf, &tmp);
	ui->mscan = mscan_start(dirs, nd, files, nf, engine_probe, &cause);
	if (ui->mscan == NULL) {
		ui_message(ui, 1, "model menu: %s", cause);
		free(cause);
		models_apply(ui, mscan_run(dirs, nd, files, nf,
		    engine_probe));
	}
	free(dirs);
	free(files);
	free(tmp);
}

/*
 * First usable model of the directories, for the first start (before
 * the screen is up, so the scan runs here).
 */
int
models_find_default(struct ui *ui, char **path)
{
	const char		**dirs, **files;
	struct mscan_event	 *list, *ev;
	char			 *tmp, *best = NULL, *ok;
	const char		 *base, *bbase = NULL;
	size_t			  nd, nf, n = 0;

	models_sources(ui, &dirs, &nd, &files, &nf, &tmp);
	list = mscan_run(dirs, nd, files, nf, engine_probe);
	free(dirs);
	free(files);
	free(tmp);
	/* The first usable one by name, as the menu shows them. */
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_FOUND && ev->idx + 1 > n)
			n = ev->idx + 1;
	}
	ok = xcalloc(n + 1, 1);
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_PROBED && ev->ok && ev->idx < n)
			ok[ev->idx] = 1;
	}
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type != MSCAN_FOUND || !ok[ev->idx])
			continue;
		base = strrchr(ev->path, '/');
		base = base != NULL ? base + 1 : ev->path;
		if (best == NULL || strcmp(base, bbase) < 0) {
			best = ev->path;
			bbase = base;
		}
	}
	free(ok);
	if (best != NULL)
		*path = xstrdup(best);
	mscan_event_free(list);
	return best != NULL ? 0 : -1;
}

void
models_open(struct ui *ui)
{
	models_scan(ui);
	ui_set_screen(ui, SCREEN_MODELS);
}

void
models_draw(struct ui *ui)
{
	struct model_row	*r;
	char			 line[512], sz[16], par[16], mem[16], av[16];
	size_t			 i;
	int			 height, y, nw, attr, cur, fit, narrow;

	ui_fill(ui, 0, UA_STATUS);
	models_size(ui->mem_avail, av, sizeof av);
	if (ui->mscan != NULL)
		snprintf(line, sizeof line, " Models -- memory available %s, "
		    "context %s -- reading headers %zu/%zu", ui->mem_avail > 0 ?
		    av : "?", ui->set.n_ctx > 0 ? "set" : "of each model",
		    ui->mprobed, ui->nmrows);
	else
		snprintf(line, sizeof line, " Models -- memory available %s, "
		    "context %s", ui->mem_avail > 0 ? av : "?",
		    ui->set.n_ctx > 0 ? "set" : "of each model");
	ui_draw_str(ui, 0, 0, line, COLS, UA_STATUS);
	/* Narrow terminals drop the size and parameter columns. */
	narrow = COLS < 70;
	nw = COLS - (narrow ? 20 : 36);
	if (nw < 8)
		nw = 8;
	if (narrow)
		snprintf(line, sizeof line, "  %-*.*s %-7s %7s", nw, nw,
		    "FILE", "QUANT", "MEMORY");
	else
		snprintf(line, sizeof line, "  %-*.*s %-7s %6s %6s %7s", nw,
		    nw, "FILE", "QUANT", "SIZE", "PARAMS", "MEMORY");
	ui_draw_str(ui, 1, 0, line, COLS, UA_TITLE);
	height = LINES - 4;
	ui_list_scroll(&ui->mlist, height);
	for (i = 0; i < (size_t)height && ui->mlist.top + i < ui->mlist.n;
	    i++) {
		r = models_row(ui, ui->mlist.top + i);
		y = 2 + (int)i;
		cur = ui->model != NULL && !r->demo &&
		    strcmp(r->path, ui->model->path) == 0;
		fit = !r->ok || ui->mem_avail == 0 || r->mem <= ui->mem_avail;
		if (r->demo)
			snprintf(line, sizeof line, "  + %s", r->name);
		else if (r->pending)
			snprintf(line, sizeof line, "%c %-*.*s reading the "
			    "header...", cur ? '*' : ' ', nw, nw, r->name);
		else if (!r->ok)
			snprintf(line, sizeof line, "%c %-*.*s error: %s",
			    cur ? '*' : ' ', nw, nw, r->name,
			    models_error_text(r));
		else {
			models_size(r->size, sz, sizeof sz);
			models_size(r->n_params, par, sizeof par);
			models_size(r->mem, mem, sizeof mem);
			if (narrow)
				snprintf(line, sizeof line, "%c %-*.*s %-7.7s "
				    "%6s%s", cur ? '*' : ' ', nw, nw, r->name,
				    r->quant, mem, fit ? " " : "!");
			else
				snprintf(line, sizeof line, "%c %-*.*s %-7.7s "
				    "%6s %6s %6s%s", cur ? '*' : ' ', nw, nw,
				    r->name, r->quant, sz, par, mem,
				    fit ? " " : "!");
		}
		attr = ui->mlist.top + i == ui->mlist.sel ? UA_SELECTED :
		    r->pending ? UA_DIM : (!r->ok && !r->demo) || !fit ?
		    UA_ERROR : UA_TEXT;
		if (attr == UA_SELECTED)
			ui_fill(ui, y, UA_SELECTED);
		ui_draw_str(ui, y, 0, line, COLS, attr);
	}
	if (ui->msg != NULL)
		ui_draw_str(ui, LINES - 2, 0, ui->msg, COLS,
		    ui->msg_error ? UA_ERROR : UA_DIM);
	else
		ui_draw_str(ui, LINES - 2, 0, "* current  ! needs more memory "
		    "than available", COLS, UA_DIM);
	ui_fill(ui, LINES - 1, UA_STATUS);
	ui_draw_str(ui, LINES - 1, 0, "Enter load  r rescan  Esc/q close",
	    COLS, UA_STATUS);
}

int
models_key(struct ui *ui, int key)
{
	struct model_row	*r;
	char			*path, *cause = NULL;

	ui->dirty = 1;
	free(ui->msg);
	ui->msg = NULL;
	if (ui_list_key(&ui->mlist, key)) {
		ui->mmoved = 1;
		return 1;
	}
	switch (key) {
	case 'r':
		models_scan(ui);
		break;
	case UI_KEY_ESC:
	case 'q':
	case 3:
		models_free(ui);
		ui_set_screen(ui, SCREEN_CHAT);
		break;
	case '\r':
	case KEY_ENTER:
		if (ui->mlist.sel >= ui->mlist.n)
			break;
		r = models_row(ui, ui->mlist.sel);
		if (r->pending) {
			ui_message(ui, 1, "%s: the header is still being "
			    "read", r->name);
			break;
		}
		if (r->demo) {
			if (ui_write_demo(ui, &path, &cause) != 0) {
				ui_message(ui, 1, "%s", cause);
				free(cause);
				break;
			}
		} else if (!r->ok) {
			ui_message(ui, 1, "%s", r->error);
			break;
		} else
			path = xstrdup(r->path);
		ui_load_model(ui, path);
		free(path);
		models_free(ui);
		ui_set_screen(ui, SCREEN_CHAT);
		break;
	}
	return 1;
}
