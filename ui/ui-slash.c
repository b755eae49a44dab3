/*
 * ui-slash.c -- the slash-command table and the key table of the TUI.
 * Commands and keys are tables, not code, so that help and the man page
 * can be checked against them.  Keys that run commands name the command
 * string, so a key and the typed command share one dispatcher
 * (slash_run).  /help is generated from both tables, and
 * tests/test-ui-slash checks that the man page documents every entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "backend.h"
#include "prefs.h"
#include "ui-int.h"
#include "units.h"
#include "xmalloc.h"

static int	 cmdx_simple(void *, int, char **, char **);
static int	 cmdx_model(void *, int, char **, char **);
static void	 cmd_new(struct ui *);
static void	 cmd_system(struct ui *);
static int	 cmd_demo(struct ui *, char **);
static void	 cmd_history(struct ui *);
static int	 cmd_edit(struct ui *, char **);
static void	 cmd_stats(struct ui *);
static void	 cmd_advisory(struct ui *);
static void	 cmd_quit(struct ui *);
static int	 cmd_store_settings(struct ui *, char **);
static int	 cmdx_set(void *, int, char **, char **);
static int	 cmdx_template(void *, int, char **, char **);
static int	 cmdx_export(void *, int, char **, char **);
static int	 cmdx_copy(void *, int, char **, char **);
static int	 cmdx_mouse(void *, int, char **, char **);

static const struct slash_entry slash_table[] = {
	{ "new", NULL, "", "start a new conversation", 0, 0, cmdx_simple },
	{ "system", NULL, "", "edit the system message (presets, $EDITOR)",
	  0, 0, cmdx_simple },
	{ "model", NULL, "[FILE | URL [MODEL] | NAME [MODEL]]", "open the "
	  "model menu (files and servers' models), or load FILE (a path, ~ "
	  "is your home, or a file name the menu shows; Tab completes both), "
	  "or switch to a model of a server: its base URL or a settings "
	  "file [endpoint NAME]", 0, 2, cmdx_model },
	{ "demo", NULL, "", "write and load the demo model (random weights "
	  "-- meaningless output)", 0, 0, cmdx_simple },
	{ "history", NULL, "", "browse, search, resume and export "
	  "conversations", 0, 0, cmdx_simple },
	{ "regen", NULL, "", "answer the last question again (the old answer "
	  "is kept as an alternative)", 0, 0, cmdx_simple },
	{ "edit", NULL, "", "edit the last question and send it again",
	  0, 0, cmdx_simple },
	{ "provenance", "prov", "", "where the selected answer (else the "
	  "last) came from: model file, SHA-256, template, system message, "
	  "sampling, seed, speeds, kernels or server, how it ended", 0, 0,
	  cmdx_simple },
	{ "set", NULL, "[temp|top-k|top-p|min-p|repeat-penalty|seed|"
	  "max-tokens|ctx|system [VALUE|reset]]", "show the settings and "
	  "where each comes from, or change one (kept for the next start; "
	  "reset goes back to medchat.conf or the default)", 0, 2,
	  cmdx_set },
	{ "template", NULL, "NAME", "chat template: chatml, meditron, llama2 "
	  "or auto (the model's)", 1, 1, cmdx_template },
	{ "export", NULL, "md|json|txt [FILE]", "export this conversation "
	  "(default file medchat-ID.EXT here; ~ is your home; asks before "
	  "replacing a file, never writes through a symbolic link)", 1, 2,
	  cmdx_export },
	{ "copy", NULL, "[FILE]", "send the last answer to the terminal's "
	  "clipboard (OSC 52, over ssh too, where the terminal allows it), "
	  "or write it to the new FILE", 0, 1, cmdx_copy },
	{ "mouse", NULL, "[on|off]", "off: the terminal selects text with "
	  "the mouse; on: the wheel scrolls (F7 switches)", 0, 1,
	  cmdx_mouse },
	{ "stats", NULL, "", "model, context and speed figures", 0, 0,
	  cmdx_simple },
	{ "help", NULL, "", "list commands and keys", 0, 0, cmdx_simple },
	{ "advisory", NULL, "", "show the model-risk advisory", 0, 0,
	  cmdx_simple },
	{ "quit", "exit", "", "leave medchat", 0, 0, cmdx_simple },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL }
};

/*
 * What the commands without arguments do (cmdx_simple finds them by
 * name): a function that cannot fail, or one that fails with *cause.
 */
static const struct cmd_simple {
	const char	*name;
	void		(*run)(struct ui *);
	int		(*try)(struct ui *, char **);
} simple_table[] = {
	{ "new", cmd_new, NULL },
	{ "system", cmd_system, NULL },
	{ "demo", NULL, cmd_demo },
	{ "history", cmd_history, NULL },
	{ "regen", NULL, ui_regenerate },
	{ "edit", NULL, cmd_edit },
	{ "provenance", NULL, rec_provenance },
	{ "stats", cmd_stats, NULL },
	{ "help", ui_help, NULL },
	{ "advisory", cmd_advisory, NULL },
	{ "quit", cmd_quit, NULL },
	{ NULL, NULL, NULL }
};

static const struct ui_key key_table[] = {
	{ KEY_F(1), "F1", "chat", "/help", "list commands and keys" },
	{ KEY_F(2), "F2", "chat", "/system", "edit the system message" },
	{ KEY_F(3), "F3", "chat", "/model", "model menu" },
	{ KEY_F(4), "F4", "chat", "/history", "conversation browser" },
	{ KEY_F(5), "F5", "chat", "/regen", "regenerate the last answer" },
	{ KEY_F(6), "F6", "chat", "/edit", "edit the last question" },
	{ KEY_F(7), "F7", "chat", "/mouse", "release the mouse to select "
	  "text, or take it back for the wheel" },
	{ 0, "Enter", "chat", NULL, "send the question or command" },
	{ 0, "Alt-Enter", "chat", NULL, "new line in the input" },
	{ 0, "Backslash-Enter", "chat", NULL,
	  "Enter continues on a new line" },
	{ 0, "Tab", "chat", NULL, "complete slash commands and their words" },
	{ 0, "Esc", "chat", NULL, "stop the answer being generated, or "
	  "give up a question waiting for the database, or leave the "
	  "selection" },
	{ 0, "C-c", "chat", NULL, "stop the answer (or give up a question "
	  "waiting for the database); clear the input; at an idle, empty "
	  "prompt twice in a row quits" },
	{ 0, "C-d", "chat", NULL, "quit (at an empty prompt)" },
	{ 0, "C-r", "chat", NULL, "search the input history backwards "
	  "(again: the next match; Enter takes it, C-g gives up)" },
	{ 0, "PgUp", "chat", NULL, "scroll the transcript up" },
	{ 0, "PgDn", "chat", NULL, "scroll the transcript down" },
	{ 0, "Home", "chat", NULL, "top of the transcript (input empty)" },
	{ 0, "End", "chat", NULL, "bottom of the transcript, follow new text "
	  "(input empty)" },
	{ 0, "mouse wheel", "chat", NULL, "scroll the transcript" },
	{ 0, "Alt-p", "chat", NULL, "select the question or answer before "
	  "(from none: the last one)" },
	{ 0, "Alt-n", "chat", NULL, "select the question or answer after; "
	  "past the last one, none" },
	{ 0, "Alt-,", "chat", NULL, "show the previous alternative of the "
	  "selected message (else of the last answer, or of its edited "
	  "question): the conversation goes on from the one shown" },
	{ 0, "Alt-.", "chat", NULL, "show the next alternative" },
	{ 0, "Alt-i", "chat", NULL, "provenance of the selected answer (else "
	  "of the last one)" },
	{ 0, "Enter", "start", NULL, "at the empty prompt of a new start: "
	  "reopen the last conversation (Esc or typing starts a new one)" },

	{ 0, "C-s", "editor", NULL, "save the system message" },
	{ 0, "Esc", "editor", NULL, "cancel editing (asks whether to keep "
	  "the changes, if any)" },
	{ 0, "C-x C-e", "editor", NULL, "edit in $VISUAL or $EDITOR" },
	{ 0, "C-p", "editor", NULL, "pick a preset" },
	{ 0, "Up", "list", NULL, "previous row" },
	{ 0, "Down", "list", NULL, "next row" },
	{ 0, "q", "list", NULL, "close the screen (also Esc)" },
	{ 0, "Enter", "models", NULL, "load the selected model" },
	{ 0, "r", "models", NULL, "rescan the model directories" },
	{ 0, "s", "models", NULL, "measure the speed of the selected file "
	  "(in the background)" },
	{ 0, "m", "models", NULL, "measure the quality of the selected file: "
	  "KL divergence against its model's reference file, else "
	  "perplexity (in the background)" },
	{ 0, "M", "models", NULL, "measure the quality of every file of the "
	  "selected file's model, one after the other" },
	{ 0, "x", "models", NULL, "stop the measurement (and those waiting); "
	  "closing the menu stops it too" },
	{ 0, "i", "models", NULL, "details: every stored measurement of the "
	  "selected file" },
	{ 0, "Enter", "history", NULL, "open the conversation read-only" },
	{ 0, "/", "history", NULL, "search (incremental, full text; each row "
	  "says [title], or whose message matched)" },
	{ 0, "r", "history", NULL, "resume the conversation" },
	{ 0, "n", "history", NULL, "rename" },
	{ 0, "a", "history", NULL, "archive or unarchive" },
	{ 0, "A", "history", NULL, "show archived conversations too" },
	{ 0, "d", "history", NULL, "delete (asks for confirmation)" },
	{ 0, "e", "history", NULL, "export (md, json or txt)" },
	{ 0, "I understand", "advisory", NULL,
	  "type it and press Enter to accept the advisory" },
	{ 0, "Esc", "advisory", NULL, "decline: back to the model before, or "
	  "quit" },
	{ 0, "yes", "consent", NULL, "type it and press Enter to send "
	  "conversations to that server (asked once per server)" },
	{ 0, "Esc", "consent", NULL, "decline: no conversation is sent, the "
	  "model before stays" },
	{ 0, NULL, NULL, NULL, NULL }
};

const struct slash_entry *
ui_slash_table(void)
{
	return slash_table;
}

const struct ui_key *
ui_key_table(void)
{
	return key_table;
}

/* /help: a notice built from the two tables. */
void
ui_help(struct ui *ui)
{
	const struct slash_entry	*e;
	const struct ui_key	*k;
	const char		*ctx = "";
	struct buf		 b = BUF_INIT;

	buf_puts(&b, "Commands:\n");
	for (e = slash_table; e->name != NULL; e++) {
		buf_printf(&b, "  /%s%s%s -- %s\n", e->name,
		    e->args[0] != '\0' ? " " : "", e->args, e->help);
	}
	for (k = key_table; k->key != NULL; k++) {
		if (strcmp(k->context, ctx) != 0) {
			ctx = k->context;
			buf_printf(&b, "Keys (%s):\n", ctx);
		}
		buf_printf(&b, "  %s -- %s%s%s\n", k->key, k->help,
		    k->command != NULL ? ": " : "",
		    k->command != NULL ? k->command : "");
	}
	buf_puts(&b, "Text starting with // is sent with one /.\n");
	buf_printf(&b, "A header's %s 2/3 %s counts the alternatives of that "
	    "question or answer (/regen, /edit make them; Alt-, Alt-. show "
	    "them); [not in the model's context] marks the messages the last "
	    "answer's prompt left out.\n", ui->utf8 ? "\xe2\x80\xb9" : "<",
	    ui->utf8 ? "\xe2\x80\xba" : ">");
	buf_puts(&b, "Remote models: /model URL or /model NAME (a settings "
	    "file [endpoint NAME]) switches to a model an OpenAI-compatible "
	    "server serves (llama-server, vLLM, Ollama); the model menu "
	    "lists them too.  The status bar then says \"remote\": what you "
	    "send goes to that server, after you agreed once per server.  "
	    "The API key comes from $MEDCHAT_API_KEY (or the endpoint's "
	    "api_key_env), never from the command line.");
	ui_notice(ui, b.data);
	buf_free(&b);
}

/* The exec of every command without arguments (argv[0] is its name). */
static int
cmdx_simple(void *arg, int argc, char **argv, char **cause)
{
	const struct cmd_simple	*c;

	(void)argc;
	for (c = simple_table; c->name != NULL; c++) {
		if (strcmp(c->name, argv[0]) != 0)
			continue;
		if (c->try != NULL)
			return c->try(arg, cause);
		c->run(arg);
		return 0;
	}
	xasprintf(cause, "/%s: not implemented", argv[0]);
	return -1;
}

/*
 * /model: the menu; a URL, or a settings file's endpoint NAME (a word
 * without '/' that names one; ./NAME is the file), with an optional
 * model id; else a file.
 */
static int
cmdx_model(void *arg, int argc, char **argv, char **cause)
{
	struct ui		*ui = arg;
	struct backend_endpoint	 ep;
	char			*path;

	if (argc == 1) {
		ui_screen_open(ui, &ui_screen_models);
		return 0;
	}
	if (strstr(argv[1], "://") != NULL || (strchr(argv[1], '/') == NULL &&
	    conffile_endpoint(&ui->conf, argv[1]) != NULL)) {
		if (backend_endpoint_resolve(&ui->conf, NULL, argv[1],
		    argc > 2 ? argv[2] : NULL, NULL, NULL, &ep, cause) != 0)
			return -1;
		ui_load_remote(ui, &ep);
		return 0;
	}
	if (argc > 2) {
		xasprintf(cause, "/model: a model id goes with a server's URL "
		    "or endpoint NAME, not with a file");
		return -1;
	}
	/* A path (~ expanded) or a name the model menu shows. */
	if ((path = ui_model_resolve(ui, argv[1], cause)) == NULL)
		return -1;
	ui_load_model(ui, path);
	free(path);
	return 0;
}

/*
 * /set: list the settings and where each value comes from; show one; set
 * one (checked, kept in the database for the next start, and with the
 * conversation); "reset" forgets the saved value.  A context size is
 * checked against the loaded model before it reloads it: refused when
 * it needs more memory than is available, a warning beyond the trained
 * context.
 */
static int
cmdx_set(void *arg, int argc, char **argv, char **cause)
{
	struct ui		*ui = arg;
	struct settings		 scratch;
	char			*v, *warn = NULL, *why = NULL;
	int			 old_ctx = ui->set.n_ctx, k, reset;

	if (argc == 1) {
		v = prefs_show(&ui->set, &ui->prefs);
		ui_notice(ui, v);
		free(v);
		return 0;
	}
	for (k = 0; k < PREFS_NOPTS; k++) {
		if (strcmp(opt_table[k].name, argv[1]) == 0)
			break;
	}
	/* (PREFS_SYSTEM is the index after the last of opt_table.) */
	if (k == PREFS_NOPTS && strcmp(argv[1], "system") != 0) {
		xasprintf(cause, "unknown setting: %.40s (/set lists them)",
		    argv[1]);
		return -1;
	}
	if (argc == 2) {
		v = k == PREFS_SYSTEM ? xstrdup(ui->prefs.preset != NULL ?
		    ui->prefs.preset : "your own text") :
		    settings_get(&ui->set, argv[1]);
		ui_message(ui, 0, "%s = %s (%s)", argv[1], v,
		    prefs_src_name(ui->prefs.src[k]));
		free(v);
		return 0;
	}
	reset = strcmp(argv[2], "reset") == 0;
	if (!reset) {
		/* Checked before anything changes or is saved. */
		scratch = ui->set;
		if (k != PREFS_SYSTEM && settings_set(&scratch, argv[1],
		    argv[2], cause) != 0)
			return -1;
		if (k == PREFS_NOPTS - 1 && ui->model != NULL &&
		    !ui->model->remote && prefs_ctx_check(ui->model->path,
		    scratch.n_ctx, "ctx", &warn, cause) != 0)
			return -1;
		if (prefs_set(&ui->set, &ui->prefs, argv[1], argv[2],
		    PREF_SAVED, cause) != 0) {
			free(warn);
			return -1;
		}
		if (prefs_save(ui->store, argv[1], argv[2], &why) != 0)
			ui->prefs.src[k] = PREF_RUN;
	} else {
		if (prefs_save(ui->store, argv[1], NULL, &why) != 0 ||
		    (k == PREFS_SYSTEM && prefs_save_system_text(ui->store,
		    NULL, &why) != 0)) {
			*cause = why;
			return -1;
		}
		if (prefs_reset(&ui->set, &ui->prefs, &ui->conf, argv[1],
		    cause) != 0)
			return -1;
	}
	v = k == PREFS_SYSTEM ? xstrdup(ui->prefs.preset) :
	    settings_get(&ui->set, argv[1]);
	if (why != NULL)
		ui_message(ui, 1, "%s = %s for this run; not saved: %s",
		    argv[1], v, why);
	else if (warn != NULL && ui->set.n_ctx == old_ctx)
		ui_message(ui, 1, "%s = %s (saved); warning: %s", argv[1], v,
		    warn);
	else
		ui_message(ui, 0, "%s = %s (%s)", argv[1], v,
		    prefs_src_name(ui->prefs.src[k]));
	free(v);
	free(why);
	free(warn);
	if (k == PREFS_SYSTEM) {
		chat_set_system(ui->chat, prefs_system(&ui->prefs));
		if (ui->chat->conv_id != 0 && store_conv_set_system(ui->store,
		    ui->chat->conv_id, *prefs_system(&ui->prefs) != '\0' ?
		    prefs_system(&ui->prefs) : NULL, cause) != 0)
			return -1;
		return 0;
	}
	if (cmd_store_settings(ui, cause) != 0)
		return -1;
	if (strcmp(argv[1], "ctx") == 0 && ui->set.n_ctx != old_ctx &&
	    ui->model != NULL && ui->model->remote)
		ui_message(ui, 0, "ctx = %s: for local models; a server sets "
		    "its own context size", argv[2]);
	else if (strcmp(argv[1], "ctx") == 0 && ui->set.n_ctx != old_ctx &&
	    ui->model != NULL)
		ui_load_model(ui, ui->model->path);
	return 0;
}

/* Save the settings and template with the conversation, if it is saved. */
static int
cmd_store_settings(struct ui *ui, char **cause)
{
	char	*params;
	int	 rv;

	if (ui->chat->conv_id == 0)
		return 0;
	params = settings_json(&ui->set);
	rv = store_conv_set_settings(ui->store, ui->chat->conv_id,
	    ui->template_name, params, cause);
	free(params);
	return rv;
}

static int
cmdx_template(void *arg, int argc, char **argv, char **cause)
{
	struct ui		*ui = arg;
	const char *const	*t;

	(void)argc;
	if (strcmp(argv[1], "auto") != 0) {
		for (t = engine_template_names(); *t != NULL; t++) {
			if (strcmp(*t, argv[1]) == 0)
				break;
		}
		if (*t == NULL) {
			xasprintf(cause, "unknown template: %.40s (chatml, "
			    "meditron, llama2 or auto)", argv[1]);
			return -1;
		}
	}
	free(ui->template_name);
	ui->template_name = strcmp(argv[1], "auto") == 0 ? NULL :
	    xstrdup(argv[1]);
	if (cmd_store_settings(ui, cause) != 0)
		return -1;
	if (ui->model != NULL && ui->model->remote)
		ui_message(ui, 0, "template %s: for local models; %s uses %s "
		    "(the endpoint's template setting)", argv[1],
		    ui->model->file_name, ui->model->template_name);
	else
		ui_message(ui, 0, "template %s", argv[1]);
	return 0;
}

static int
cmdx_export(void *arg, int argc, char **argv, char **cause)
{
	struct ui	*ui = arg;

	if (ui->chat->conv_id == 0) {
		xasprintf(cause, "nothing to export yet");
		return -1;
	}
	ui_export_start(ui, ui->chat->conv_id, argv[1], argc > 2 ? argv[2] :
	    NULL);
	return 0;
}

static int
cmdx_copy(void *arg, int argc, char **argv, char **cause)
{
	return ui_copy(arg, argc > 1 ? argv[1] : NULL, cause);
}

static int
cmdx_mouse(void *arg, int argc, char **argv, char **cause)
{
	return ui_mouse(arg, argc > 1 ? argv[1] : NULL, cause);
}

static void
cmd_new(struct ui *ui)
{
	ui_new_conversation(ui);
	ui_message(ui, 0, "new conversation");
}

static void
cmd_system(struct ui *ui)
{
	ui_screen_open(ui, &ui_screen_editor);
}

static int
cmd_demo(struct ui *ui, char **cause)
{
	char		*path;

	if (ui_write_demo(ui, &path, cause) != 0)
		return -1;
	ui_load_model(ui, path);
	free(path);
	return 0;
}

static void
cmd_history(struct ui *ui)
{
	ui_screen_open(ui, &ui_screen_browser);
}

static int
cmd_edit(struct ui *ui, char **cause)
{
	long		 u;

	if (ui->state == STATE_GENERATING) {
		xasprintf(cause, "still answering: Esc stops it");
		return -1;
	}
	if (ui->state == STATE_SAVING) {
		xasprintf(cause, "the last question is not saved yet (the "
		    "database is locked by another process): Esc gives it up");
		return -1;
	}
	if ((u = chat_last(ui->chat, CHAT_USER)) < 0) {
		xasprintf(cause, "no question to edit");
		return -1;
	}
	ui->editing = u;
	input_set_line(buf_str(&ui->chat->msgs[u].text));
	ui_message(ui, 0, "editing the last question: Enter sends it again, "
	    "C-c cancels");
	return 0;
}

static void
cmd_stats(struct ui *ui)
{
	struct buf	 b = BUF_INIT;
	struct worker_model *m = ui->model;

	if (m == NULL)
		buf_puts(&b, "No model loaded.\n");
	else if (m->remote) {
		buf_printf(&b, "Model: %s, remote: what you send goes to %s\n"
		    "  server %s\n  model id %s\n  template %s%s\n",
		    m->file_name, m->host, m->url, m->model_id,
		    m->template_name, m->raw ? " (raw mode: medchat formats "
		    "the prompt)" : "");
		if (m->n_ctx > 0)
			buf_printf(&b, "  context %d tokens\n", m->n_ctx);
		else
			buf_puts(&b, "  context not told by the server\n");
	} else {
		/* The figures and units of `medchat inspect` (units.h). */
		buf_printf(&b, "Model: %s (%s)\n  file %s\n  quant %s, ",
		    m->model_name, m->file_name, m->path, m->quant);
		units_count(&b, m->n_params);
		buf_puts(&b, " parameters, ");
		units_bytes(&b, m->file_size);
		buf_printf(&b, "\n  context %d of %d trained, %d thread%s, "
		    "kernels %s\n  sha256 %s\n", m->n_ctx, m->n_ctx_train,
		    m->n_threads, m->n_threads == 1 ? "" : "s", m->cpu,
		    ui->model_sha[0] != '\0' ? ui->model_sha :
		    "(not computed)");
	}
	if (m == NULL || !m->remote)
		buf_printf(&b, "Template: %s\n", ui->template_name != NULL ?
		    ui->template_name : m != NULL ? m->template_name :
		    "auto");
	if (ui->have_res) {
		buf_printf(&b, "Last answer: %d prompt tokens at %.1f tok/s, "
		    "%d generated at %.1f tok/s, context %d used%s\n",
		    ui->last_res.n_prompt, ui->last_res.prefill_tps,
		    ui->last_res.n_gen, ui->last_res.decode_tps,
		    ui->last_res.n_ctx_used, ui->last_res.trimmed ?
		    ", oldest turns trimmed" : "");
	}
	buf_printf(&b, "Conversation: %lld, %zu messages\nDatabase: %s",
	    (long long)ui->chat->conv_id, ui->chat->n,
	    store_path(ui->store));
	ui_notice(ui, b.data);
	buf_free(&b);
}

static void
cmd_advisory(struct ui *ui)
{
	advisory_open(ui, 0);
}

static void
cmd_quit(struct ui *ui)
{
	ui->quit = 1;
}
