/*
 * ui-models.c -- the model menu.
 *
 * Lists the GGUF files of the models directory ($XDG_DATA_HOME/medchat/
 * models), --models-dir, the directory of -m and the loaded model, one
 * row each with what engine_probe() reads from the header (no weights
 * touched): quant type, file size, parameters, and the memory needed at
 * the chosen context (engine_mem_needed) against MemAvailable; rows that
 * do not fit are flagged, files that fail to parse show the reader's
 * one-line error.  Enter loads the row in the worker (the UI stays
 * usable, the status bar shows the progress); the last row writes and
 * loads the built-in demo model.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curses.h>

#include "ui-int.h"
#include "xmalloc.h"

static void	 models_scan(struct ui *);
static void	 models_scan_dir(struct ui *, const char *, size_t *);
static void	 models_add(struct ui *, const char *, size_t *);
static uint64_t	 models_mem_available(void);
static void	 models_size(uint64_t, char *, size_t);
static int	 models_cmp(const void *, const void *);

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

void
models_free(struct ui *ui)
{
	size_t	i;

	for (i = 0; i < ui->mlist.n; i++) {
		free(ui->mrows[i].path);
		free(ui->mrows[i].name);
		free(ui->mrows[i].error);
	}
	free(ui->mrows);
	ui->mrows = NULL;
	ui->mlist.n = 0;
}

/* Add path (if a new .gguf) to the rows, probing it. */
static void
models_add(struct ui *ui, const char *path, size_t *cap)
{
	struct engine_file_summary	 sum;
	struct model_row		*r;
	char				*abs, *cause = NULL, *dup;
	size_t				 i;
	uint32_t			 ctx;

	if ((abs = realpath(path, NULL)) == NULL)
		return;
	for (i = 0; i < ui->mlist.n; i++) {
		if (strcmp(ui->mrows[i].path, abs) == 0) {
			free(abs);
			return;
		}
	}
	if (ui->mlist.n == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		ui->mrows = xreallocarray(ui->mrows, *cap, sizeof *ui->mrows);
	}
	r = &ui->mrows[ui->mlist.n++];
	memset(r, 0, sizeof *r);
	r->path = abs;
	dup = xstrdup(abs);
	r->name = xstrdup(basename(dup));
	free(dup);
	if (engine_probe(abs, &sum, &cause) != 0) {
		r->error = cause != NULL ? cause : xstrdup("not a usable GGUF");
		return;
	}
	r->ok = 1;
	snprintf(r->quant, sizeof r->quant, "%s", sum.quant);
	r->size = sum.file_size;
	r->n_params = sum.n_params;
	r->n_ctx_train = (int)sum.n_ctx_train;
	ctx = ui->set.n_ctx > 0 ? (uint32_t)ui->set.n_ctx : sum.n_ctx_train;
	r->mem = engine_mem_needed(&sum, ctx);
}

static void
models_scan_dir(struct ui *ui, const char *dir, size_t *cap)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;
	size_t		 l;

	if (dir == NULL || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l < 6 || strcasecmp(de->d_name + l - 5, ".gguf") != 0)
			continue;
		xasprintf(&p, "%s/%s", dir, de->d_name);
		models_add(ui, p, cap);
		free(p);
	}
	closedir(d);
}

static int
models_cmp(const void *a, const void *b)
{
	const struct model_row	*x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void
models_scan(struct ui *ui)
{
	struct model_row	*r;
	char			*dup;
	size_t			 cap = 0, i;

	models_free(ui);
	ui->mem_avail = models_mem_available();
	models_scan_dir(ui, ui->models_dir, &cap);
	models_scan_dir(ui, ui->opt_models_dir, &cap);
	for (i = 0; i < ui->conf.n_models_dirs; i++)
		models_scan_dir(ui, ui->conf.models_dirs[i], &cap);
	if (ui->opt_model != NULL) {
		dup = xstrdup(ui->opt_model);
		models_scan_dir(ui, dirname(dup), &cap);
		free(dup);
		models_add(ui, ui->opt_model, &cap);
	}
	if (ui->model != NULL)
		models_add(ui, ui->model->path, &cap);
	if (ui->mlist.n > 1)
		qsort(ui->mrows, ui->mlist.n, sizeof *ui->mrows, models_cmp);
	if (ui->mlist.n == cap) {
		cap = cap == 0 ? 1 : cap + 1;
		ui->mrows = xreallocarray(ui->mrows, cap, sizeof *ui->mrows);
	}
	r = &ui->mrows[ui->mlist.n++];
	memset(r, 0, sizeof *r);
	r->demo = 1;
	r->path = xstrdup("");
	r->name = xstrdup("create the demo model (random weights -- "
	    "meaningless output)");
	if (ui->mlist.sel >= ui->mlist.n)
		ui->mlist.sel = 0;
}

/* First usable model of the directories, for the first start. */
int
models_find_default(struct ui *ui, char **path)
{
	size_t	i;

	models_scan(ui);
	for (i = 0; i < ui->mlist.n; i++) {
		if (ui->mrows[i].ok && !ui->mrows[i].demo) {
			*path = xstrdup(ui->mrows[i].path);
			models_free(ui);
			return 0;
		}
	}
	models_free(ui);
	return -1;
}

void
models_open(struct ui *ui)
{
	size_t	i;

	models_scan(ui);
	ui->mlist.sel = 0;
	ui->mlist.top = 0;
	for (i = 0; ui->model != NULL && i < ui->mlist.n; i++) {
		if (strcmp(ui->mrows[i].path, ui->model->path) == 0)
			ui->mlist.sel = i;
	}
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
	snprintf(line, sizeof line, " Models -- memory available %s, "
	    "context %s", ui->mem_avail > 0 ? av : "?", ui->set.n_ctx > 0 ?
	    "set" : "of each model");
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
		r = &ui->mrows[ui->mlist.top + i];
		y = 2 + (int)i;
		cur = ui->model != NULL && !r->demo &&
		    strcmp(r->path, ui->model->path) == 0;
		fit = !r->ok || ui->mem_avail == 0 || r->mem <= ui->mem_avail;
		if (r->demo)
			snprintf(line, sizeof line, "  + %s", r->name);
		else if (!r->ok)
			snprintf(line, sizeof line, "%c %-*.*s error: %s",
			    cur ? '*' : ' ', nw, nw, r->name, r->error);
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
		    (!r->ok && !r->demo) || !fit ? UA_ERROR : UA_TEXT;
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
	if (ui_list_key(&ui->mlist, key))
		return 1;
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
		r = &ui->mrows[ui->mlist.sel];
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
