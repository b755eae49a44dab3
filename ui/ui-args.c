/*
 * ui-args.c -- the TUI's command line and settings file.
 *
 * One table of options serves getopt_long and --help.  The settings file
 * (medchat.conf, src/app/conffile.c) is read first and the command line
 * overrides it; the file's warnings become a status-line message and a
 * notice in the transcript once the screen is up.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "engine.h"
#include "opt.h"
#include "prefs.h"
#include "prompts.h"
#include "ui-int.h"
#include "xmalloc.h"

static void	 ui_args_usage(FILE *);
static int	 ui_args_getopt(struct ui *, int, char **);
static int	 ui_args_endpoint(struct ui *, const char *);
static int	 ui_args_set(struct ui *, const char *);

/* The TUI's options: one table for getopt_long and --help. */
static const struct tui_option {
	const char	*name;
	int		 has_arg;
	int		 val;
	const char	*arg;
	const char	*help;
} tui_options[] = {
	{ "model", 1, 'm', "FILE", "load this GGUF model (with --endpoint: "
	  "the served model's id)" },
	{ "endpoint", 1, 'E', "URL|NAME", "a model an OpenAI-compatible "
	  "server serves (llama-server, vLLM, Ollama): its base URL or a "
	  "settings file [endpoint NAME]; default $MEDCHAT_ENDPOINT" },
	{ "models-dir", 1, 'M', "DIR", "also list the models in DIR" },
	{ "db", 1, 'd', "PATH", "conversation database (default "
	  "$XDG_DATA_HOME/medchat/medchat.db)" },
	{ "ctx", 1, 'c', "N", "context size in tokens for this run (default: "
	  "the saved /set, medchat.conf, else the model's)" },
	{ "set", 1, 's', "NAME=VALUE", "a /set setting for this run, not "
	  "saved (repeatable): temp, top-k, top-p, min-p, repeat-penalty, "
	  "seed, max-tokens, ctx, system (a preset)" },
	{ "threads", 1, 't', "N", "inference threads (default: all cores)" },
	{ "template", 1, 'T', "NAME", "chat template (chatml, meditron, "
	  "llama2; default: the model's)" },
	{ "no-input-history", 0, 'H', NULL, "read and write no input history "
	  "file" },
	{ "help", 0, 'h', NULL, "show this help" },
	{ NULL, 0, 0, NULL, NULL }
};

static void
ui_args_usage(FILE *f)
{
	fprintf(f, "usage: medchat [options]\n\n");
	ui_options_help(f);
}

/* The chat's options and settings file: medchat --help prints them too. */
void
ui_options_help(FILE *f)
{
	const struct tui_option	*o;
	char			 left[64];

	fprintf(f, "The full-screen chat. Options:\n");
	for (o = tui_options; o->name != NULL; o++) {
		snprintf(left, sizeof left, "-%c, --%s%s%s", o->val, o->name,
		    o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fprintf(f, "\nSettings file: $XDG_CONFIG_HOME/medchat/medchat.conf "
	    "(default\n~/.config/medchat/medchat.conf), lines \"key = value\" "
	    "with keys models-dir\n(repeatable), ctx, threads, template, "
	    "input-history (on or off), the\ngeneration settings temp, "
	    "top-k, top-p, min-p, repeat-penalty, seed,\nmax-tokens and "
	    "system (a preset).  A /set in the chat is saved and\ncounts "
	    "over the file at the next start; options count over both for\n"
	    "one run.  Sections [endpoint NAME] with url, model, template, "
	    "cacert,\napi_key_env (or api_key, in a file only you can read) "
	    "name remote\nservers; an API key is read from $MEDCHAT_API_KEY "
	    "by default.\n");
	fprintf(f, "\nDefault system message (preset \"%s\", the same for "
	    "`medchat ask`):\n  %s\n", prompts_get(0)->name,
	    prompts_default_system());
	fprintf(f, "\nInside the chat, type /help for commands and keys.\n");
}

/*
 * Show the settings file's warnings: the first in the status line until
 * the first key in the chat, all kept ones in the transcript.
 */
void
ui_args_conf_warnings(struct ui *ui)
{
	struct buf	b = BUF_INIT;
	size_t		i;

	if (ui->conf.n_bad == 0)
		return;
	if (ui->conf.n_bad > 1)
		xasprintf(&ui->conf_msg, "%s (and %zu more)",
		    ui->conf.warnings[0], ui->conf.n_bad - 1);
	else
		ui->conf_msg = xstrdup(ui->conf.warnings[0]);
	buf_puts(&b, "The settings file has lines that were skipped:");
	for (i = 0; i < ui->conf.n_warnings; i++)
		buf_printf(&b, "\n%s", ui->conf.warnings[i]);
	if (ui->conf.n_bad > ui->conf.n_warnings)
		buf_printf(&b, "\n(and %zu more)",
		    ui->conf.n_bad - ui->conf.n_warnings);
	ui_notice(ui, buf_str(&b));
	buf_free(&b);
}

/* Parse the command line into ui; 0, 1 for --help, -1 on error. */
static int
ui_args_getopt(struct ui *ui, int argc, char **argv)
{
	struct option	 lopts[20];
	char		 sopts[64], *p, **str;
	size_t		 i;
	int		 c;
	long		 l;

	p = sopts;
	for (i = 0; tui_options[i].name != NULL; i++) {
		lopts[i].name = tui_options[i].name;
		lopts[i].has_arg = tui_options[i].has_arg;
		lopts[i].flag = NULL;
		lopts[i].val = tui_options[i].val;
		*p++ = (char)tui_options[i].val;
		if (tui_options[i].has_arg)
			*p++ = ':';
	}
	*p = '\0';
	memset(&lopts[i], 0, sizeof lopts[i]);
	optind = 1;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		switch (c) {
		case 'm':
		case 'M':
		case 'd':
		case 'T':
		case 'E':
			/* The last one given counts. */
			str = c == 'm' ? &ui->opt_model : c == 'M' ?
			    &ui->opt_models_dir : c == 'd' ? &ui->opt_db :
			    c == 'E' ? &ui->opt_endpoint : &ui->opt_template;
			free(*str);
			*str = xstrdup(optarg);
			break;
		case 'c':
		case 't':
			if (opt_int("medchat", c == 'c' ? "--ctx" :
			    "--threads", optarg, 0, c == 'c' ? ENGINE_CTX_MAX :
			    ENGINE_THREADS_MAX, &l) != 0)
				return -1;
			if (c == 'c' && l > 0 && l < 64) {
				fprintf(stderr, "medchat: --ctx: ctx must be 0 "
				    "(the model's) or a whole number from 64 "
				    "to %d\n", ENGINE_CTX_MAX);
				return -1;
			}
			if (c == 'c')
				ui->opt_ctx = (int)l;
			else
				ui->opt_threads = (int)l;
			break;
		case 's':
			if (ui_args_set(ui, optarg) != 0)
				return -1;
			break;
		case 'H':
			ui->opt_no_hist = 1;
			break;
		case 'h':
			ui_args_usage(stdout);
			return 1;
		default:
			ui_args_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "medchat: unexpected argument: %s\n",
		    argv[optind]);
		ui_args_usage(stderr);
		return -1;
	}
	return 0;
}

/*
 * --set NAME=VALUE: checked now (a bad one is an error on stderr), kept
 * in ui->opt_sets to apply over the saved settings once the database is
 * open.  0 or -1.
 */
static int
ui_args_set(struct ui *ui, const char *arg)
{
	struct settings	 scratch;
	struct prefs	 p;
	const char	*eq;
	char		*name, *cause = NULL;
	int		 rv;

	if ((eq = strchr(arg, '=')) == NULL) {
		fprintf(stderr, "medchat: --set: expected NAME=VALUE\n");
		return -1;
	}
	name = xstrndup(arg, (size_t)(eq - arg));
	prefs_init(&scratch, &p);
	rv = prefs_set(&scratch, &p, name, eq + 1, PREF_CMDLINE, &cause);
	prefs_free(&p);
	free(name);
	if (rv != 0) {
		fprintf(stderr, "medchat: --set: %s\n", cause);
		free(cause);
		return -1;
	}
	ui->opt_sets = xreallocarray(ui->opt_sets, ui->n_opt_sets + 1,
	    sizeof *ui->opt_sets);
	ui->opt_sets[ui->n_opt_sets++] = xstrdup(arg);
	return 0;
}

/*
 * The command line's settings (--set, --ctx) onto ui->set, over the
 * saved ones: they were checked by ui_args_parse.
 */
void
ui_args_apply(struct ui *ui)
{
	char	*name, *eq, *cause = NULL, num[16];
	size_t	 i;

	for (i = 0; i < ui->n_opt_sets; i++) {
		name = xstrdup(ui->opt_sets[i]);
		eq = strchr(name, '=');
		*eq = '\0';
		if (prefs_set(&ui->set, &ui->prefs, name, eq + 1,
		    PREF_CMDLINE, &cause) != 0) {
			ui_message(ui, 1, "--set: %s", cause);
			free(cause);
			cause = NULL;
		}
		free(name);
	}
	if (ui->opt_ctx >= 0) {
		snprintf(num, sizeof num, "%d", ui->opt_ctx);
		if (prefs_set(&ui->set, &ui->prefs, "ctx", num, PREF_CMDLINE,
		    &cause) != 0) {
			ui_message(ui, 1, "--ctx: %s", cause);
			free(cause);
		}
	}
}

/*
 * The settings file, then the command line, into ui's options.  Returns
 * 0, 1 after --help, -1 on a bad command line (reported on stderr).
 */
int
ui_args_parse(struct ui *ui, int argc, char **argv)
{
	char	*confp;
	int	 rc;

	conffile_init(&ui->conf);
	if ((confp = conffile_default_path()) != NULL)
		conffile_load(&ui->conf, confp);
	/* The file's generation settings are checked (and warned) now. */
	prefs_init(&ui->set, &ui->prefs);
	prefs_conf(&ui->set, &ui->prefs, &ui->conf);
	ui->opt_ctx = -1;
	if (ui->conf.threads >= 0)
		ui->opt_threads = ui->conf.threads;
	if (ui->conf.template_name != NULL)
		ui->opt_template = xstrdup(ui->conf.template_name);
	if (ui->conf.input_history == 0)
		ui->opt_no_hist = 1;
	rc = ui_args_getopt(ui, argc, argv);
	if (rc == 0)
		rc = ui_args_endpoint(ui, confp);
	free(confp);
	return rc;
}

/*
 * --endpoint (or $MEDCHAT_ENDPOINT without -m) into ui->opt_ep, checked
 * before the screen starts: an unknown name or a bad URL is an error on
 * stderr.  0, or -1.
 */
static int
ui_args_endpoint(struct ui *ui, const char *confp)
{
	char	*cause = NULL, *origin = NULL;

	if (ui->opt_endpoint == NULL && ui->opt_model != NULL)
		return 0;
	if (ui->opt_endpoint != NULL) {
		ui->opt_remote_model = ui->opt_model;
		ui->opt_model = NULL;
	}
	if (backend_endpoint_resolve(&ui->conf, confp, ui->opt_endpoint,
	    ui->opt_remote_model, NULL, NULL, &ui->opt_ep, &cause) != 0 ||
	    (ui->opt_ep.url != NULL && backend_origin(ui->opt_ep.url, &origin,
	    &cause) != 0)) {
		fprintf(stderr, "medchat: %s\n", cause);
		free(cause);
		return -1;
	}
	free(origin);
	return 0;
}
