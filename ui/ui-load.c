/*
 * ui-load.c -- loading a model in the chat: the one picked at start
 * (ui_startup_model), one chosen later (ui_load_model), and what happens
 * when the worker has it (ui_loaded: the catalog, the advisory); the
 * demo model (ui_write_demo) and the screen shown without a model.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "advisory.h"
#include "fsutil.h"
#include "modelid.h"
#include "prompts.h"
#include "session.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

/* Pick the model to load at start: -m, the last used, or the first found. */
void
ui_startup_model(struct ui *ui)
{
	char		*path = NULL, *cause = NULL;
	struct stat	 sb;

	if (ui->opt_ep.url != NULL) {
		/* --endpoint, or $MEDCHAT_ENDPOINT without -m. */
		ui_load_remote(ui, &ui->opt_ep);
		return;
	}
	if (ui->opt_model != NULL) {
		ui_load_model(ui, ui->opt_model);
		return;
	}
	if (store_setting_get(ui->store, "last_model", &path, &cause) != 0) {
		free(cause);
		path = NULL;
	}
	if (path != NULL && stat(path, &sb) == 0) {
		ui_load_model(ui, path);
		free(path);
		return;
	}
	free(path);
	/* The first usable model found: on the scan thread (ui-models.c). */
	ui->state = STATE_NOMODEL;
	models_default_start(ui);
}

/* No model to load at start: say where models go. */
void
ui_no_model(struct ui *ui)
{
	ui_notice(ui,
	    "No model is loaded.\n\n"
	    "medchat answers with a local Meditron-7B model in GGUF format "
	    "(for example meditron-7b.Q4_K_M.gguf, about 4 GB, published on "
	    "Hugging Face by TheBloke as TheBloke/meditron-7B-GGUF).\n\n"
	    "Put .gguf files in the models directory:\n  ");
	chat_append(ui->chat, ui->chat->n - 1, ui->models_dir,
	    strlen(ui->models_dir));
	chat_append(ui->chat, ui->chat->n - 1, "\n",  1);
	chat_append(ui->chat, ui->chat->n - 1,
	    "or start medchat with -m FILE (or --models-dir DIR), then pick "
	    "one with /model (F3).\n\n"
	    "To try every screen now, type /demo: it writes the built-in "
	    "demo model (random weights -- meaningless output) and loads it.",
	    strlen("or start medchat with -m FILE (or --models-dir DIR), then "
	    "pick one with /model (F3).\n\nTo try every screen now, type "
	    "/demo: it writes the built-in demo model (random weights -- "
	    "meaningless output) and loads it."));
}

/* A model finished loading: remember it, then check the advisory. */
void
ui_loaded(struct ui *ui, struct worker_model *m)
{
	struct session_model	 sm;
	struct modelid		 id;
	char			*cause = NULL, *name, buf[64];
	int			 busy;

	worker_model_free(ui->model);
	ui->model = m;
	ui->state = STATE_READY;
	ui->load_job = 0;
	ui_endpoint_free(ui->model_ep);
	ui->model_ep = NULL;
	if (m->remote && ui->load_ep != NULL) {
		/* Going back to it later asks for the same model. */
		ui->model_ep = ui->load_ep;
		free(ui->model_ep->model);
		ui->model_ep->model = xstrdup(m->model_id);
	} else
		ui_endpoint_free(ui->load_ep);
	ui->load_ep = NULL;
	ui->ctx_used = 0;
	ui->tps = 0;
	ui->have_res = 0;
	ui->hashing = 0;
	ui->model_sha[0] = '\0';
	if (m->remote) {
		/* Acknowledged by endpoint and model id, not by a hash. */
		memcpy(ui->model_sha, m->remote_key, sizeof ui->model_sha);
	} else if (m->ident.sha256[0] != '\0') {
		/* Hashed by the worker: remember it in the catalog. */
		memcpy(ui->model_sha, m->ident.sha256, sizeof ui->model_sha);
		busy = store_set_busy_ms(ui->store, 0);
		if (modelid_record(ui->store, m->path, &m->ident,
		    &cause) != 0) {
			free(cause);
			cause = NULL;
		}
		store_set_busy_ms(ui->store, busy);
	} else if (modelid_get(ui->store, m->path, NULL, &id, &cause) != 0) {
		/* Cached (or small): quick. */
		ui_message(ui, 1, "%s", cause);
		free(cause);
		cause = NULL;
	} else
		memcpy(ui->model_sha, id.sha256, sizeof ui->model_sha);
	if (ui->session == NULL) {
		ui->session = session_create(ui->store);
		session_set_async(ui->session, 1);
	}
	memset(&sm, 0, sizeof sm);
	sm.file_name = m->file_name;
	sm.quant = m->quant;
	sm.template_name = m->template_name;
	sm.kernels = m->cpu;
	sm.sha256 = ui->model_sha;
	sm.remote = m->remote;
	sm.endpoint = m->endpoint[0] != '\0' ? m->endpoint : NULL;
	sm.url = m->url;
	sm.model_id = m->model_id;
	session_set_model(ui->session, &sm);
	/*
	 * A remote model is not the one a plain start loads: text would
	 * leave the machine without --endpoint saying so.
	 */
	/*
	 * The catalog's "last used" and the last model are conveniences:
	 * under another process's write lock they are skipped rather than
	 * waited for (the keyboard would wait with them).
	 */
	busy = store_set_busy_ms(ui->store, 0);
	if (!m->remote && store_model_touch(ui->store, m->path,
	    &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	if (!m->remote && store_setting_set(ui->store, "last_model", m->path,
	    &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	store_set_busy_ms(ui->store, busy);
	/* The open conversation is labelled by the answers given in it. */
	snprintf(buf, sizeof buf, "%d", m->n_ctx);
	if (m->remote)
		ui_message(ui, 0, "connected to %s: %s (context %s)", m->host,
		    m->model_id, m->n_ctx > 0 ? buf : "not told");
	else {
		/* The figures whole: a long file name gives way. */
		name = ui_fit_name(ui, m->file_name, COLS - 35 -
		    (int)strlen(m->quant) - (int)strlen(buf));
		ui_message(ui, 0, "loaded %s (%s, context %s tokens)", name,
		    m->quant, buf);
		free(name);
	}
	if (!m->remote && (strstr(m->model_name, "demo") != NULL ||
	    strstr(m->file_name, "demo") != NULL))
		ui_notice(ui, "This is the built-in demo model: random "
		    "weights -- meaningless output.  It exists so you can try "
		    "every screen.");
	/* Nothing can be answered into a read-only database: browse it. */
	if (!store_readonly(ui->store) && advisory_needed(ui))
		advisory_open(ui, 1);
	ui->dirty = 1;
}

/* Queue loading path (keeps the current model until it succeeds). */
void
ui_load_model(struct ui *ui, const char *path)
{
	struct modelid	 id;
	char		*abs, *warn = NULL, *cause = NULL;

	/* A context the memory cannot hold is refused before loading. */
	if (prefs_ctx_check(path, ui->set.n_ctx, "ctx", &warn, &cause) != 0) {
		ui_message(ui, 1, "%s: not loaded (/set ctx 0 uses the "
		    "model's)", cause);
		free(cause);
		return;
	}
	if (warn != NULL) {
		ui_notice(ui, warn);
		free(warn);
	}
	if (ui->state == STATE_GENERATING) {
		worker_cancel(ui->worker);
	}
	ui_ask_drop(ui, NULL);
	ui_remember_prev(ui);
	ui_endpoint_free(ui->load_ep);
	ui->load_ep = NULL;
	abs = realpath(path, NULL);
	free(ui->loading_path);
	ui->loading_path = abs != NULL ? abs : xstrdup(path);
	ui->load_frac = 0;
	ui->hashing = 0;
	ui->state = STATE_LOADING;
	/* The worker hashes the file unless the catalog knows its hash. */
	ui->load_job = worker_load(ui->worker, ui->loading_path,
	    ui->set.n_ctx, ui->opt_threads,
	    !modelid_cached(ui->store, ui->loading_path, &id));
	ui->dirty = 1;
}

/* Write the demo model into the models directory; *path gets it. */
int
ui_write_demo(struct ui *ui, char **path, char **cause)
{
	if (ui_mkdirs(ui->models_dir, cause) != 0)
		return -1;
	xasprintf(path, "%s/medchat-demo-random.gguf", ui->models_dir);
	if (engine_write_demo_model(*path, cause) != 0) {
		free(*path);
		*path = NULL;
		return -1;
	}
	return 0;
}
