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
 *
 * Below the files come the models of remote servers: each [endpoint
 * NAME] of the settings file, and the endpoint the chat was started with
 * or is using when the settings file does not name it.  Their lists
 * come from threads of the same scan (one per server: a server that does
 * not answer holds up its own row only), first as one "listing" row per
 * server, then one row per served model ("lab: meditron-70b", with the
 * context size when the server tells it), or one row saying why there
 * are none ("lab: not available: ... connection refused").  Listing is
 * a GET of the server's /models, no conversation in it.  Enter on a
 * model switches to it: consent to send to that server first (asked
 * once per server, ui-consent.c), then its advisory, as for a file.
 *
 * The rows are drawn by ui-models-draw.c (the state is ui-models.h's),
 * with each file's speed and quality; its keys s, m and M queue
 * measurements (ui-measure.c runs them in the background), x stops
 * them, i opens the file's details (ui-mdetail.c).  Closing the menu
 * stops a measurement started from it.
 */
#include <sys/stat.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "backend.h"
#include "fsutil.h"
#include "host.h"
#include "ui-models.h"
#include "xmalloc.h"

static void	 models_free(void *);
static void	 models_close(void *);
static int	 models_fd(struct ui *, void *);
static void	 models_events(struct ui *, void *);
static int	 models_key(struct ui *, void *, int);
static void	 models_sources(struct ui *, const char ***, size_t *,
		     const char ***, size_t *, char **);
static void	 models_scan(struct ui *, void *);
static void	 models_found(struct models *, const char *);
static void	 models_probed(struct ui *, struct models *,
		     const struct mscan_event *);
static void	 models_apply(struct ui *, struct models *,
		     struct mscan_event *);
static void	 models_endpoints(struct ui *, struct models *);
static void	 models_remote_rows(struct models *);
static void	 models_listed(struct models *, struct mscan_event *);
static void	 models_row_free(struct model_row *);
static void	 models_load_remote(struct ui *, struct models *,
		     const struct model_row *);

/* Opening the menu starts a scan; the scan thread's events come back
   through fd and ready. */
const struct ui_screen_ops ui_screen_models = {
	"models", sizeof(struct models), models_scan, models_close, NULL,
	models_draw, models_key, models_fd, models_events, 0
};

/* The row shown at position i (0 .. mlist.n - 1). */
struct model_row *
models_row(struct models *ms, size_t i)
{
	if (i < ms->nrows)
		return &ms->rows[ms->order[i]];
	if (i - ms->nrows < ms->nrrows)
		return &ms->rrows[i - ms->nrows];
	return &ms->demo;
}

/* Is r the model loaded? */
int
models_current(struct ui *ui, struct models *ms, const struct model_row *r)
{
	const struct ui_endpoint	*e;

	if (ui->model == NULL || r->demo)
		return 0;
	if (!r->remote)
		return !ui->model->remote &&
		    strcmp(r->path, ui->model->path) == 0;
	if (!ui->model->remote || r->model_id == NULL || r->ep >= ms->neps ||
	    (e = ms->eps[r->ep].e) == NULL)
		return 0;
	return strcmp(e->origin, ui->model->origin) == 0 &&
	    strcmp(r->model_id, ui->model->model_id) == 0;
}

static void
models_row_free(struct model_row *r)
{
	free(r->path);
	free(r->name);
	free(r->error);
	free(r->model_id);
	mfacts_free(&r->mf);
}

/*
 * The menu closes (Esc, Enter, or the chat going home): a measurement
 * started from it stops with it, its partial result still stored.
 */
static void
models_close(void *data)
{
	struct models	*ms = data;

	if (ms->ui != NULL)
		measure_stop(ms->ui);
	models_free(ms);
}

/* Stop any scan and forget the rows. */
static void
models_free(void *data)
{
	struct models	*ms = data;
	size_t	i;

	mscan_stop(ms->scan);
	ms->scan = NULL;
	for (i = 0; i < ms->nrows; i++)
		models_row_free(&ms->rows[i]);
	free(ms->rows);
	free(ms->order);
	for (i = 0; i < ms->nrrows; i++)
		models_row_free(&ms->rrows[i]);
	free(ms->rrows);
	ms->rrows = NULL;
	ms->nrrows = 0;
	for (i = 0; i < ms->neps; i++) {
		ui_endpoint_free(ms->eps[i].e);
		free(ms->eps[i].label);
		free(ms->eps[i].error);
		backend_models_free(ms->eps[i].models, ms->eps[i].nmodels);
	}
	free(ms->eps);
	ms->eps = NULL;
	ms->neps = 0;
	free(ms->demo.path);
	free(ms->demo.name);
	memset(&ms->demo, 0, sizeof ms->demo);
	ms->rows = NULL;
	ms->order = NULL;
	ms->nrows = ms->cap = ms->probed = 0;
	ms->list.n = 0;
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

/*
 * The servers to list: each [endpoint NAME] of the settings file, then
 * the one the chat started with and the one of the loaded model when the
 * file does not have them (by URL).  A bad URL is an error row.
 */
static void
models_endpoints(struct ui *ui, struct models *ms)
{
	const struct ui_endpoint	*extra[2];
	struct backend_endpoint		 ep;
	struct model_ep			*me;
	struct ui_endpoint		*opt = NULL;
	char				*cause;
	size_t				 i, k, n;

	n = ui->conf.n_endpoints;
	if (ui->opt_ep.url != NULL)
		opt = ui_endpoint_new(&ui->opt_ep, &cause);
	if (ui->opt_ep.url != NULL && opt == NULL)
		free(cause);
	extra[0] = opt;
	extra[1] = ui->model != NULL && ui->model->remote ? ui->model_ep :
	    NULL;
	ms->eps = xcalloc(n + 2, sizeof *ms->eps);
	for (i = 0; i < n + 2; i++) {
		cause = NULL;
		if (i < n) {
			if (backend_endpoint_resolve(&ui->conf, NULL,
			    ui->conf.endpoints[i].name, NULL, NULL, NULL, &ep,
			    &cause) != 0) {
				free(cause);
				continue;
			}
		} else {
			if (extra[i - n] == NULL)
				continue;
			/* Listed already (the settings file's, or both). */
			for (k = 0; k < ms->neps; k++) {
				if (ms->eps[k].e != NULL && strcmp(
				    ms->eps[k].e->url, extra[i - n]->url) == 0)
					break;
			}
			if (k < ms->neps)
				continue;
			ui_endpoint_get(extra[i - n], &ep);
		}
		me = &ms->eps[ms->neps++];
		me->e = ui_endpoint_new(&ep, &cause);
		/* (Never the URL itself: it could hold credentials.) */
		me->label = xstrdup(ep.name != NULL ? ep.name : me->e != NULL ?
		    me->e->host : "endpoint");
		if (me->e == NULL) {
			me->listed = 1;
			me->error = cause;
		} else if (me->e->model != NULL) {
			/* A default model does not narrow the list. */
			free(me->e->model);
			me->e->model = NULL;
		}
	}
	ui_endpoint_free(opt);
}

/* Rebuild the remote rows from ms->eps, keeping a moved selection's row. */
static void
models_remote_rows(struct models *ms)
{
	struct model_ep		*me;
	struct model_row	*r;
	size_t			 i, k, n, old_sel = (size_t)-1, sel_ep = 0;
	char			*sel_id = NULL;

	if (ms->moved && ms->list.sel >= ms->nrows &&
	    ms->list.sel - ms->nrows < ms->nrrows) {
		r = &ms->rrows[ms->list.sel - ms->nrows];
		old_sel = ms->list.sel;
		sel_ep = r->ep;
		sel_id = r->model_id != NULL ? xstrdup(r->model_id) : NULL;
	}
	for (i = 0; i < ms->nrrows; i++)
		models_row_free(&ms->rrows[i]);
	free(ms->rrows);
	for (i = n = 0; i < ms->neps; i++)
		n += ms->eps[i].listed && ms->eps[i].error == NULL &&
		    ms->eps[i].nmodels > 0 ? ms->eps[i].nmodels : 1;
	ms->rrows = xcalloc(n + 1, sizeof *ms->rrows);
	ms->nrrows = 0;
	for (i = 0; i < ms->neps; i++) {
		me = &ms->eps[i];
		if (!me->listed || me->error != NULL || me->nmodels == 0) {
			r = &ms->rrows[ms->nrrows++];
			r->remote = 1;
			r->ep = i;
			r->path = xstrdup("");
			if (!me->listed) {
				r->pending = 1;
				xasprintf(&r->name, "%s: listing the models...",
				    me->label);
			} else if (me->error != NULL) {
				xasprintf(&r->name, "%s: not available: %s",
				    me->label, me->error);
				r->error = xstrdup(me->error);
			} else {
				xasprintf(&r->name, "%s: serves no model",
				    me->label);
				r->error = xstrdup("the server lists no model");
			}
			continue;
		}
		for (k = 0; k < me->nmodels; k++) {
			r = &ms->rrows[ms->nrrows++];
			r->remote = 1;
			r->ok = 1;
			r->ep = i;
			r->path = xstrdup("");
			r->model_id = xstrdup(me->models[k].id);
			r->n_ctx = me->models[k].n_ctx;
			xasprintf(&r->name, "%s: %s", me->label,
			    me->models[k].id);
		}
	}
	ms->list.n = ms->nrows + ms->nrrows + ms->ndemo;
	if (old_sel != (size_t)-1) {
		/* The same server's same row, else its first. */
		for (i = 0, k = (size_t)-1; i < ms->nrrows; i++) {
			r = &ms->rrows[i];
			if (r->ep != sel_ep)
				continue;
			if (k == (size_t)-1)
				k = i;
			if (sel_id != NULL && r->model_id != NULL &&
			    strcmp(sel_id, r->model_id) == 0) {
				k = i;
				break;
			}
		}
		if (k != (size_t)-1)
			ms->list.sel = ms->nrows + k;
	} else if (ms->moved && ms->list.sel >= ms->nrows && ms->ndemo)
		ms->list.sel = ms->list.n - 1;	/* was on the demo row */
	free(sel_id);
}

/* An endpoint's listing arrived: its models (taken), or why not. */
static void
models_listed(struct models *ms, struct mscan_event *ev)
{
	struct model_ep	*me;
	size_t		 i;

	for (i = 0; i < ms->neps; i++) {
		if (ms->eps[i].e != NULL && ms->eps[i].scan_idx == ev->idx)
			break;
	}
	if (i == ms->neps || ms->eps[i].listed)
		return;
	me = &ms->eps[i];
	me->listed = 1;
	if (ev->ok) {
		me->models = ev->models;
		me->nmodels = ev->nmodels;
		ev->models = NULL;
		ev->nmodels = 0;
	} else
		me->error = xstrdup(ev->error != NULL ? ev->error :
		    "the models could not be listed");
	models_remote_rows(ms);
}

/* Enter on a served model: switch to it (consent, then advisory). */
static void
models_load_remote(struct ui *ui, struct models *ms,
    const struct model_row *r)
{
	struct ui_endpoint	*e;

	if (r->ep >= ms->neps || ms->eps[r->ep].e == NULL)
		return;
	e = ui_endpoint_copy(ms->eps[r->ep].e);
	free(e->model);
	e->model = xstrdup(r->model_id);
	ui_screen_home(ui);		/* ms is gone */
	ui_load_endpoint(ui, e);
}

/* A new file: a pending row, placed by name. */
static void
models_found(struct models *ms, const char *path)
{
	struct model_row	*r;
	char			*dup;
	size_t			 lo, hi, mid, n = ms->nrows;
	int			 ondemo;

	if (n == ms->cap) {
		ms->cap = ms->cap == 0 ? 16 : ms->cap * 2;
		ms->rows = xreallocarray(ms->rows, ms->cap,
		    sizeof *ms->rows);
		ms->order = xreallocarray(ms->order, ms->cap,
		    sizeof *ms->order);
	}
	r = &ms->rows[n];
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
		if (strcmp(ms->rows[ms->order[mid]].name, r->name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* On the demo row when the demo file turns up: on to that file. */
	ondemo = ms->moved && ms->ndemo && ms->list.sel >= n + ms->nrrows;
	memmove(ms->order + lo + 1, ms->order + lo,
	    (n - lo) * sizeof *ms->order);
	ms->order[lo] = n;
	ms->nrows++;
	/* The demo model listed as a file: no row offers it again. */
	if (ms->ndemo && strcmp(path, ms->demo.path) == 0) {
		ms->ndemo = 0;
		if (ondemo)
			ms->list.sel = lo;
	}
	ms->list.n = ms->nrows + ms->nrrows + ms->ndemo;
	if (ms->moved && !(ondemo && ms->ndemo == 0) && lo <= ms->list.sel)
		ms->list.sel++;
}

/* A header read: fill in the row. */
static void
models_probed(struct ui *ui, struct models *ms,
    const struct mscan_event *ev)
{
	struct model_row	*r;
	uint32_t		 ctx;

	if (ev->idx >= ms->nrows)
		return;
	r = &ms->rows[ev->idx];
	if (!r->pending)
		return;
	r->pending = 0;
	ms->probed++;
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
	r->sum = ev->sum;
	mfacts_read(ui, r->path, &r->mf);
}

/* Apply a list of scan events (freeing it). */
static void
models_apply(struct ui *ui, struct models *ms, struct mscan_event *list)
{
	struct mscan_event	*ev;
	size_t			 i;

	for (ev = list; ev != NULL; ev = ev->next) {
		switch (ev->type) {
		case MSCAN_FOUND:
			models_found(ms, ev->path);
			break;
		case MSCAN_PROBED:
			models_probed(ui, ms, ev);
			break;
		case MSCAN_REMOTE:
			models_listed(ms, ev);
			break;
		case MSCAN_DONE:
			mscan_stop(ms->scan);
			ms->scan = NULL;
			break;
		}
	}
	mscan_event_free(list);
	if (!ms->moved) {
		/* Until the user moves: the current model, else the top. */
		ms->list.sel = 0;
		for (i = 0; i < ms->nrows + ms->nrrows; i++) {
			if (models_current(ui, ms, models_row(ms, i)))
				ms->list.sel = i;
		}
	}
	if (ms->list.sel >= ms->list.n)
		ms->list.sel = ms->list.n > 0 ? ms->list.n - 1 : 0;
	ui->dirty = 1;
}

/* The scan thread has news (its descriptor is readable). */
static void
models_events(struct ui *ui, void *data)
{
	struct models	*ms = data;

	if (ms->scan != NULL)
		models_apply(ui, ms, mscan_drain(ms->scan));
}

/*
 * Start over: only the demo row, then rows as the scan thread finds
 * files.  If no thread can be started the scan runs here instead.
 */
static void
models_scan(struct ui *ui, void *data)
{
	struct models		 *ms = data;
	struct backend_endpoint	 *eps;
	const char		**dirs, **files;
	char			 *tmp, *cause = NULL;
	size_t			  nd, nf, i, n;
	struct stat		  sb;

	models_free(ms);
	ms->ui = ui;
	ms->mem_avail = host_mem_available();
	ms->demo.demo = 1;
	xasprintf(&ms->demo.path, "%s/medchat-demo-random.gguf",
	    ui->models_dir);
	/* Written before: load it, do not offer to create it again. */
	ms->demo.ok = stat(ms->demo.path, &sb) == 0;
	xasprintf(&ms->demo.name, "%s the demo model (random weights -- "
	    "meaningless output)", ms->demo.ok ? "load" : "create");
	ms->ndemo = 1;
	ms->list.n = 1;
	ms->list.sel = 0;
	ms->list.top = 0;
	ms->moved = 0;
	models_sources(ui, &dirs, &nd, &files, &nf, &tmp);
	models_endpoints(ui, ms);
	eps = xcalloc(ms->neps + 1, sizeof *eps);
	for (i = n = 0; i < ms->neps; i++) {
		if (ms->eps[i].e != NULL)
			ui_endpoint_get(ms->eps[i].e, &eps[n++]);
	}
	ms->scan = mscan_start(dirs, nd, files, nf, engine_probe, eps, n,
	    backend_list_models, &cause);
	/* The scan's endpoint numbers are those with a good URL. */
	for (i = n = 0; i < ms->neps; i++) {
		if (ms->eps[i].e != NULL)
			ms->eps[i].scan_idx = n++;
	}
	free(eps);
	if (ms->scan == NULL) {
		ui_message(ui, 1, "model menu: %s", cause);
		for (i = 0; i < ms->neps; i++) {
			if (!ms->eps[i].listed) {
				ms->eps[i].listed = 1;
				ms->eps[i].error = xstrdup(cause);
			}
		}
		free(cause);
		models_apply(ui, ms, mscan_run(dirs, nd, files, nf,
		    engine_probe));
	}
	models_remote_rows(ms);
	free(dirs);
	free(files);
	free(tmp);
}

/*
 * The first usable model of the events of a finished scan, by name as
 * the menu shows them, into *path (caller frees); 0, or -1 if none.
 */
static int
models_pick(const struct mscan_event *list, char **path)
{
	const struct mscan_event *ev;
	const char		*best = NULL, *base, *bbase = NULL;
	char			*ok;
	size_t			 n = 0;

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
	return best != NULL ? 0 : -1;
}

/*
 * The scan for the first start's model has ended with the events in
 * ui->default_events: load the first usable model, or say where models
 * go -- unless a model was chosen meanwhile (/model, /demo).
 */
static void
models_default_done(struct ui *ui)
{
	char	*path;

	mscan_stop(ui->default_scan);
	ui->default_scan = NULL;
	if (ui->model == NULL && ui->state == STATE_NOMODEL) {
		if (models_pick(ui->default_events, &path) == 0) {
			ui_load_model(ui, path);
			free(path);
		} else
			ui_no_model(ui);
	}
	mscan_event_free(ui->default_events);
	ui->default_events = NULL;
	ui->dirty = 1;
}

/*
 * The first start (no -m, no last model): find the first usable model
 * of the directories.  Reading headers can be slow (a network file
 * system, a FIFO), so a scan thread does it while the screen is up, as
 * for the menu; models_default_ready() takes the result.  If no thread
 * can be started the scan runs here instead.
 */
void
models_default_start(struct ui *ui)
{
	const char	**dirs, **files;
	char		 *tmp, *cause = NULL;
	size_t		  nd, nf;

	models_sources(ui, &dirs, &nd, &files, &nf, &tmp);
	/* Local files only: nothing is sent anywhere at a plain start. */
	ui->default_scan = mscan_start(dirs, nd, files, nf, engine_probe,
	    NULL, 0, NULL, &cause);
	if (ui->default_scan == NULL) {
		free(cause);
		ui->default_events = mscan_run(dirs, nd, files, nf,
		    engine_probe);
	}
	free(dirs);
	free(files);
	free(tmp);
	if (ui->default_scan == NULL)
		models_default_done(ui);
}

int
models_default_fd(struct ui *ui)
{
	return ui->default_scan != NULL ? mscan_fd(ui->default_scan) : -1;
}

void
models_default_ready(struct ui *ui)
{
	struct mscan_event	*list, *ev, **tail;
	int			 done = 0;

	if (ui->default_scan == NULL)
		return;
	list = mscan_drain(ui->default_scan);
	for (ev = list; ev != NULL; ev = ev->next) {
		if (ev->type == MSCAN_DONE)
			done = 1;
	}
	for (tail = &ui->default_events; *tail != NULL;
	    tail = &(*tail)->next)
		continue;
	*tail = list;
	if (done)
		models_default_done(ui);
}

/* The scan thread's descriptor while it runs. */
static int
models_fd(struct ui *ui, void *data)
{
	struct models	*ms = data;

	(void)ui;
	return ms->scan != NULL ? mscan_fd(ms->scan) : -1;
}

static int
models_key(struct ui *ui, void *data, int key)
{
	struct models		*ms = data;
	struct model_row	*r, *base;
	char			*path, *cause = NULL;
	int			 is_base;

	ui->dirty = 1;
	free(ui->msg);
	ui->msg = NULL;
	if (ui_list_key(&ms->list, key)) {
		ms->moved = 1;
		return 1;
	}
	r = ms->list.sel < ms->list.n ? models_row(ms, ms->list.sel) : NULL;
	switch (key) {
	case 'r':
		models_scan(ui, ms);
		break;
	case 's':
	case 'm':
	case 'M':
		if (r != NULL)
			models_measure(ui, ms, r, key == 's' ? 0 :
			    key == 'm' ? 1 : 2);
		break;
	case 'x':
		if (measure_busy(ui)) {
			measure_stop(ui);
			ui_message(ui, 0, "measurement stopped: what it "
			    "measured so far is kept as partial");
		} else
			ui_message(ui, 1, "no measurement runs");
		break;
	case 'i':
		if (r == NULL || r->remote || r->demo || r->pending ||
		    !r->ok) {
			ui_message(ui, 1, "details are for model files of "
			    "this machine");
			break;
		}
		base = models_base(ms, r, &is_base);
		mdetail_open(ui, r->path, &r->sum, base != NULL ?
		    base->path : NULL, is_base);
		break;
	case UI_KEY_ESC:
	case 'q':
	case 3:
		ui_screen_home(ui);
		break;
	case '\r':
	case KEY_ENTER:
		if (ms->list.sel >= ms->list.n)
			break;
		r = models_row(ms, ms->list.sel);
		if (r->remote && r->pending) {
			ui_message(ui, 1, "%s", r->name);
			break;
		}
		if (r->pending) {
			ui_message(ui, 1, "%s: the header is still being "
			    "read", r->name);
			break;
		}
		if (r->remote) {
			if (r->model_id == NULL)
				ui_message(ui, 1, "%s", r->name);
			else
				models_load_remote(ui, ms, r);
			break;		/* ms may be gone */
		}
		if (r->demo && r->ok)
			path = xstrdup(r->path);
		else if (r->demo) {
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
		ui_screen_home(ui);
		break;
	}
	return 1;
}
