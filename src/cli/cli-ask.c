/*
 * cli-ask.c -- `medchat ask` (one chat turn with a template) and
 * `medchat generate` (raw completion) on the command line.
 *
 * Both parse the same options, open the model, stream the generated text
 * to stdout as it arrives (terminal-safe on a terminal, exact bytes to a
 * pipe or with --raw: cli_stream_text) and print the statistics on
 * stderr.  The model
 * is a GGUF file run here (-m FILE) or, for `ask`, one a server serves
 * (--endpoint URL|NAME [-m MODEL_ID], or $MEDCHAT_ENDPOINT when neither
 * --endpoint nor -m is given): src/app/backend.h hides which.  A remote
 * model is named on stderr ("remote: sending to HOST (model M)") before
 * anything is sent, so the user always sees that text leaves the
 * machine.  A signal (INT, TERM, HUP, QUIT, or PIPE when stdout's reader
 * is gone) stops the generation (the engine stops within one token, a
 * remote transfer within 100 ms; nothing more is printed), the answer is
 * saved with everything printed -- stopped for ^C, interrupted for the
 * others -- the statistics are still printed and the exit status is 128
 * + the signal.  An answer that failed (a lost connection too: it is
 * saved as interrupted with its partial text) or could not be saved is
 * said, and is exit status 1.  Flow of cli_ask, kept deliberately flat
 * so features can be slotted in: parse options -> open the backend ->
 * backend_chat -> print stats.  Both commands end in ask_finish(), which
 * does the same for each.  What `ask` keeps in the store (consent,
 * advisory gate, question, streamed answer, provenance) is the
 * session's: src/app/session.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advisory.h"
#include "backend.h"
#include "buf.h"
#include "cli.h"
#include "conffile.h"
#include "engine.h"
#include "opt.h"
#include "prefs.h"
#include "prompts.h"
#include "session.h"
#include "xmalloc.h"

struct ask_opts {
	const char		*model;		/* file, or the endpoint's id */
	const char		*endpoint;	/* --endpoint URL|NAME */
	const char		*cacert;	/* --cacert FILE */
	const char		*system;
	const char		*tmpl;
	int			 n_ctx;
	int			 n_threads;
	struct engine_sampling	 smp;
	int			 seed_given;	/* --seed */
	unsigned		 given;		/* bit i: ask_numopts[i] given */
	struct prefs		 prefs;		/* ask: the system message */
	int			 raw;		/* --raw */
	int			 no_prefix;	/* --no-prefix-cache, or
						   medchat.conf's off */
	struct session_opts	 st;	/* ask only */
};

/* The running answer's session, for ask_emit (NULL: not saved). */
struct ask_run {
	struct session	*sn;
	int		 warned;	/* a save error was reported */
};

static struct backend		*ask_backend;
/* How the output reaches stdout (cli-util.c: terminal-safe or exact). */
static struct cli_stream	 ask_out;
/* Bytes of answer written to stdout, and the last of them. */
static size_t			 ask_nout;
static char			 ask_lastc;
/* The first signal that stopped the run (0 = none). */
static volatile sig_atomic_t	 ask_signal;
static const int		 ask_signals[] = { SIGINT, SIGTERM, SIGHUP,
				    SIGQUIT, SIGPIPE };

static int	 ask_numopt(const char *, int, const char *,
		    struct ask_opts *);
static int	 ask_parse(const char *, int, char **, struct ask_opts *,
		    const char **);
static int	 ask_emit(const char *, size_t, void *);
static void	 ask_sig(int);
static void	 ask_sigs(int);
static void	 ask_write(const char *, size_t);
static void	 ask_show(const char *, size_t, int);
static void	 ask_stats(const struct engine_result *);
static int	 ask_prefs(struct ask_opts *);
static int	 ask_open(const char *, const struct ask_opts *);
static int	 ask_open_remote(const struct ask_opts *, char **);
static int	 ask_finish(const char *, struct session *, int,
		    struct backend_result *, char *);
static void	 ask_usage(FILE *, const char *);

/*
 * The options cmd takes, and only those: generate refuses --system and
 * --template and saves nothing, so its usage names neither.
 */
static void
ask_usage(FILE *f, const char *cmd)
{
	int	ask = strcmp(cmd, "ask") == 0;

	fprintf(f, "usage: medchat %s %s%s[--temp T] [--top-k K] [--top-p P] "
	    "[--min-p P] [--repeat-penalty R] [--seed N] [-n MAX] [--ctx N] "
	    "[--threads N] [--raw] %s\n", cmd, ask ?
	    "-m FILE | --endpoint URL|NAME [-m MODEL_ID] [--cacert FILE] " :
	    "-m FILE ", ask ? "[--system TEXT] [--template NAME] "
	    "[--no-prefix-cache] " : "",
	    ask ? SESSION_USAGE " QUESTION" : "PROMPT");
	if (!ask)
		return;
	fprintf(f, "\nUnless given here, --temp, --top-k, --top-p, "
	    "--min-p, --repeat-penalty,\n--seed, -n (max-tokens), --ctx and "
	    "the system message are the chat's:\nthe values a /set saved, "
	    "else medchat.conf's, else the defaults.\nDefault system "
	    "message (preset \"%s\", the chat's too; --system '' sends "
	    "none):\n  %s\n", prompts_get(0)->name,
	    prompts_default_system());
	fprintf(f, "\nThe system message's evaluation is kept in "
	    "$XDG_CACHE_HOME/medchat/prefix\n(~/.cache/...) and read by the "
	    "next question on the same model file;\n--no-prefix-cache (or "
	    "prefix-cache = off in medchat.conf) neither reads\nnor writes "
	    "it.  The answer is the same either way.\n");
}

/*
 * The numeric options: getopt code, name, range, and where the value
 * goes in struct ask_opts (a float, an int, or the 64-bit seed).
 */
enum ask_numkind { ASK_FLOAT, ASK_INT, ASK_SEED };
static const struct ask_numopt {
	int			 code;
	const char		*name;
	double			 lo, hi;
	enum ask_numkind	 kind;
	size_t			 off;
} ask_numopts[] = {
	{ 1, "--temp", 0, 100, ASK_FLOAT, offsetof(struct ask_opts, smp.temp) },
	{ 2, "--top-k", 0, INT_MAX, ASK_INT,
	  offsetof(struct ask_opts, smp.top_k) },
	{ 3, "--top-p", 0, 1, ASK_FLOAT, offsetof(struct ask_opts, smp.top_p) },
	{ 4, "--min-p", 0, 1, ASK_FLOAT, offsetof(struct ask_opts, smp.min_p) },
	{ 5, "--repeat-penalty", 0, 100, ASK_FLOAT,
	  offsetof(struct ask_opts, smp.repeat_penalty) },
	{ 6, "--seed", 0, 18446744073709551615.0, ASK_SEED,
	  offsetof(struct ask_opts, smp.seed) },
	{ 'n', "-n", -1, INT_MAX, ASK_INT,
	  offsetof(struct ask_opts, smp.max_tokens) },
	{ 'c', "--ctx", 0, ENGINE_CTX_MAX, ASK_INT,
	  offsetof(struct ask_opts, n_ctx) },
	{ 't', "--threads", 0, ENGINE_THREADS_MAX, ASK_INT,
	  offsetof(struct ask_opts, n_threads) },
};

/* Check and set numeric option ch from arg; 0, or -1 (printed). */
static int
ask_numopt(const char *cmd, int ch, const char *arg, struct ask_opts *o)
{
	const struct ask_numopt	*n = ask_numopts;
	char			*field, who[64];
	double			 d;

	while (n->code != ch)
		n++;
	/* Doubles for the integer options too: the seed's range is 64-bit. */
	snprintf(who, sizeof who, "medchat %s", cmd);
	if (opt_double(who, n->name, arg, n->lo, n->hi, &d) != 0)
		return -1;
	/* 0 would be an empty answer marked complete; ctx 1..63 no room. */
	if (ch == 'n' && d == 0) {
		fprintf(stderr, "%s: -n: max-tokens must be -1 (until the "
		    "context is full) or a whole number from 1\n", who);
		return -1;
	}
	if (ch == 'c' && d > 0 && d < 64) {
		fprintf(stderr, "%s: --ctx: ctx must be 0 (the model's) or a "
		    "whole number from 64 to %d\n", who, ENGINE_CTX_MAX);
		return -1;
	}
	o->given |= 1u << (n - ask_numopts);
	field = (char *)o + n->off;
	if (n->kind == ASK_FLOAT)
		*(float *)(void *)field = (float)d;
	else if (n->kind == ASK_INT)
		*(int *)(void *)field = (int)d;
	else {
		/* Exactly as typed: a double cannot hold every seed. */
		o->smp.seed = strtoull(arg, NULL, 10);
		o->seed_given = 1;
	}
	return 0;
}

/*
 * Parse argv into *o; the positional text (question or prompt) in *text.
 * Returns 0, 1 after -h or --help (the usage on stdout), or -1 after
 * printing a message.
 */
static int
ask_parse(const char *cmd, int argc, char **argv, struct ask_opts *o,
    const char **text)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "system", required_argument, NULL, 's' },
		{ "template", required_argument, NULL, 'T' },
		{ "temp", required_argument, NULL, 1 },
		{ "top-k", required_argument, NULL, 2 },
		{ "top-p", required_argument, NULL, 3 },
		{ "min-p", required_argument, NULL, 4 },
		{ "repeat-penalty", required_argument, NULL, 5 },
		{ "seed", required_argument, NULL, 6 },
		{ "n-predict", required_argument, NULL, 'n' },
		{ "ctx", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "raw", no_argument, NULL, 'r' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "cacert", required_argument, NULL, 7 },
		{ "no-prefix-cache", no_argument, NULL, 8 },
		{ "help", no_argument, NULL, 'h' },
		SESSION_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof *o);
	engine_sampling_default(&o->smp);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "m:s:T:n:c:t:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			o->model = optarg;
			break;
		case 's':
			o->system = optarg;
			break;
		case 'T':
			o->tmpl = optarg;
			break;
		case 'r':
			o->raw = 1;
			break;
		case 8:
			o->no_prefix = 1;
			break;
		case 'h':
			ask_usage(stdout, cmd);
			return 1;
		case 'E':
		case 7:
			if (strcmp(cmd, "ask") != 0) {
				fprintf(stderr, "medchat %s: runs a local model "
				    "(-m FILE) only\n", cmd);
				return -1;
			}
			if (ch == 'E')
				o->endpoint = optarg;
			else
				o->cacert = optarg;
			break;
		case 1: case 2: case 3: case 4: case 5: case 6:
		case 'n': case 'c': case 't':
			if (ask_numopt(cmd, ch, optarg, o) != 0)
				return -1;
			break;
		default:
			if ((ch = session_getopt(&o->st, ch, optarg)) < 0)
				return -1;
			if (ch > 0 && strcmp(cmd, "ask") == 0)
				break;
			ask_usage(stderr, cmd);
			return -1;
		}
	}
	/* No -m and no --endpoint: MEDCHAT_ENDPOINT, else a usage error. */
	if ((o->model == NULL && o->endpoint == NULL &&
	    (strcmp(cmd, "ask") != 0 || getenv("MEDCHAT_ENDPOINT") == NULL ||
	    *getenv("MEDCHAT_ENDPOINT") == '\0')) || optind != argc - 1) {
		ask_usage(stderr, cmd);
		return -1;
	}
	if (o->cacert != NULL && o->model != NULL && o->endpoint == NULL) {
		fprintf(stderr, "medchat %s: --cacert is for --endpoint\n", cmd);
		return -1;
	}
	*text = argv[optind];
	return 0;
}

/*
 * Each piece is saved before it is shown.  A save error is reported once
 * on stderr and generation goes on (later pieces are tried again).
 * After a signal nothing more is saved or shown, and generation stops.
 */
static int
ask_emit(const char *s, size_t len, void *arg)
{
	struct ask_run	*run = arg;
	char		*cause = NULL;
	const char	*z;
	size_t		 n;

	if (ask_signal != 0)
		return 1;
	/* A NUL byte (a model's <0x00> token) is neither saved nor shown. */
	for (; len > 0; s += n, len -= n) {
		if ((z = memchr(s, '\0', len)) == NULL)
			n = len;
		else if ((n = (size_t)(z - s)) == 0) {
			n = 1;
			continue;
		}
		if (run != NULL && session_emit(run->sn, s, n, &cause) != 0) {
			if (!run->warned)
				fprintf(stderr, "\nmedchat ask: the answer is "
				    "not being saved: %s\n", cause);
			run->warned = 1;
			free(cause);
			cause = NULL;
		}
		ask_show(s, n, 0);
	}
	return ask_signal != 0;
}

/*
 * The piece as stdout shows it: a terminal gets the terminal-safe form
 * (an escape sequence from the model cannot drive it), a pipe or --raw
 * the exact bytes.  final: the end of the output.
 */
static void
ask_show(const char *s, size_t n, int final)
{
	struct buf	b = BUF_INIT;

	cli_stream_text(&ask_out, s, n, final, &b);
	if (b.len > 0)
		ask_write(b.data, b.len);
	buf_free(&b);
}

/*
 * The piece to stdout, whole: a signal that arrives meanwhile does not
 * cut it (what is saved is what was printed), unless the reader does not
 * take it within a second.  A reader that is gone (EPIPE, after the
 * SIGPIPE that stops the run) ends the output.
 */
static void
ask_write(const char *s, size_t len)
{
	struct pollfd	pfd;
	ssize_t		w;

	while (len > 0) {
		if ((w = write(STDOUT_FILENO, s, len)) > 0) {
			ask_lastc = s[w - 1];
			s += w;
			len -= (size_t)w;
			ask_nout += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EINTR && errno != EAGAIN)
			return;
		pfd.fd = STDOUT_FILENO;
		pfd.events = POLLOUT;
		if (ask_signal != 0 && poll(&pfd, 1, 1000) <= 0)
			return;
	}
}

static void
ask_sig(int sig)
{
	if (ask_signal == 0)
		ask_signal = sig;
	if (ask_backend != NULL)
		backend_cancel(ask_backend);
}

/* Route the stopping signals to ask_sig (on), or back to the default. */
static void
ask_sigs(int on)
{
	struct sigaction	sa;
	size_t			i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? ask_sig : SIG_DFL;
	for (i = 0; i < sizeof ask_signals / sizeof ask_signals[0]; i++)
		sigaction(ask_signals[i], &sa, NULL);
}

static void
ask_stats(const struct engine_result *r)
{
	static const char *const why[] = { "end of answer", "max tokens",
	    "context full", "cancelled" };
	char	cached[48];

	/* On a line of its own after the output (generate's has no end). */
	cached[0] = '\0';
	if (r->prefix == ENGINE_PREFIX_LOADED)
		snprintf(cached, sizeof cached, " (%d from the prefix cache)",
		    r->n_prefix);
	fprintf(stderr, "%s[prompt %d tokens%s, prefill %.2f tok/s; "
	    "generated %d tokens, decode %.2f tok/s; stop: %s; context used "
	    "%d]\n", ask_nout > 0 && ask_lastc == '\n' ? "" : "\n",
	    r->n_prompt, cached, r->prefill_tps, r->n_gen, r->decode_tps,
	    r->stop <= ENGINE_STOP_CANCEL ? why[r->stop] : "?", r->n_ctx_used);
	if (r->prefix_error != NULL)
		fprintf(stderr, "[prefix cache: %s]\n", r->prefix_error);
	if (r->trimmed)
		fprintf(stderr, "[context full: %d earlier message(s) left "
		    "out]\n", r->n_dropped);
}

/*
 * The endpoint of --endpoint, or of MEDCHAT_ENDPOINT when neither
 * --endpoint nor -m is given, opened into ask_backend (the settings
 * file's sections resolve a NAME): 1 when there is one, 0 when the model
 * is a local file, -1 with *cause.
 */
static int
ask_open_remote(const struct ask_opts *o, char **cause)
{
	struct conffile		 conf;
	struct backend_endpoint	 ep;
	char			*confp;
	int			 rc;

	if (o->endpoint == NULL && o->model != NULL)
		return 0;
	conffile_init(&conf);
	if ((confp = conffile_default_path()) != NULL)
		conffile_load(&conf, confp);
	rc = backend_endpoint_resolve(&conf, confp, o->endpoint, o->model,
	    o->tmpl, o->cacert, &ep, cause);
	if (rc == 0 && ep.url == NULL) {
		xasprintf(cause, "no model: -m FILE, --endpoint URL|NAME or "
		    "MEDCHAT_ENDPOINT");
		rc = -1;
	}
	if (rc == 0)
		rc = backend_open_remote(&ep, &ask_backend, cause);
	/* The settings' key, if any, is wiped here: the client has a copy. */
	conffile_free(&conf);
	free(confp);
	return rc == 0 ? 1 : -1;
}

/*
 * ask's settings as the chat has them: the defaults, the settings file's
 * values (its warnings about them on stderr), the values a /set saved in
 * the database (when it exists), then the options given.  Then the
 * context size is checked against a local model file (refused above the
 * memory available, a warning beyond the trained context).  0, or -1
 * after a message.
 */
static int
ask_prefs(struct ask_opts *o)
{
	struct conffile		 conf;
	struct settings		 set;
	struct store		*st = NULL;
	struct stat		 sb;
	const struct ask_numopt	*n;
	char			*confp, *dbp, *cause = NULL, *warn = NULL;
	size_t			 i, w;
	int			 k;

	prefs_init(&set, &o->prefs);
	conffile_init(&conf);
	if ((confp = conffile_default_path()) != NULL)
		conffile_load(&conf, confp);
	w = conf.n_warnings;
	prefs_conf(&set, &o->prefs, &conf);
	for (i = w; i < conf.n_warnings; i++)
		fprintf(stderr, "medchat ask: %s\n", conf.warnings[i]);
	if (conf.prefix_cache == 0)
		o->no_prefix = 1;
	conffile_free(&conf);
	free(confp);
	if (!o->st.no_save && (dbp = store_default_path(o->st.db,
	    &cause)) != NULL) {
		if (stat(dbp, &sb) == 0 && store_open(dbp, advisory_ident(),
		    &st, &cause) == 0) {
			if (prefs_load(&set, &o->prefs, st, &cause) != 0) {
				fprintf(stderr, "medchat ask: %s\n", cause);
				free(cause);
			}
			store_close(st);
		} else if (cause != NULL) {
			/* session_ask_open says it again, and stops. */
			free(cause);
		}
		free(dbp);
	} else
		free(cause);
	for (k = 0, n = ask_numopts; k < (int)(sizeof ask_numopts /
	    sizeof *ask_numopts); k++, n++) {
		if (!(o->given & (1u << k)))
			continue;
		switch (n->code) {
		case 1: set.s.temp = o->smp.temp; break;
		case 2: set.s.top_k = o->smp.top_k; break;
		case 3: set.s.top_p = o->smp.top_p; break;
		case 4: set.s.min_p = o->smp.min_p; break;
		case 5: set.s.repeat_penalty = o->smp.repeat_penalty; break;
		case 6:
			set.s.seed = o->smp.seed;
			set.seed_fixed = 1;
			break;
		case 'n': set.s.max_tokens = o->smp.max_tokens; break;
		case 'c': set.n_ctx = o->n_ctx; break;
		}
	}
	o->smp = set.s;
	o->seed_given = set.seed_fixed;
	o->n_ctx = set.n_ctx;
	if (o->endpoint == NULL && o->model != NULL &&
	    prefs_ctx_check(o->model, o->n_ctx, (o->given & (1u << 7)) ?
	    "--ctx" : "ctx", &warn, &cause) != 0) {
		fprintf(stderr, "medchat ask: %s\n", cause);
		free(cause);
		return -1;
	}
	if (warn != NULL) {
		fprintf(stderr, "medchat ask: warning: %s\n", warn);
		free(warn);
	}
	return 0;
}

/* Open the model into ask_backend and route ^C to it; 0 or -1. */
static int
ask_open(const char *cmd, const struct ask_opts *o)
{
	struct engine_opts	 eo;
	char			*cause = NULL, *pdir;
	int			 rc;

	if ((rc = ask_open_remote(o, &cause)) == 0) {
		memset(&eo, 0, sizeof eo);
		eo.path = o->model;
		eo.n_ctx = o->n_ctx;
		eo.n_threads = o->n_threads;
		/* generate has no system message: no cache (or directory) */
		pdir = o->no_prefix || strcmp(cmd, "ask") != 0 ? NULL :
		    backend_prefix_dir();
		eo.prefix_dir = pdir;
		rc = backend_open_local(&eo, &ask_backend, &cause);
		free(pdir);
	}
	if (rc < 0) {
		fprintf(stderr, "medchat %s: %s\n", cmd, cause);
		free(cause);
		return -1;
	}
	ask_sigs(1);
	cli_set_raw(o->raw);
	/* A chat answer's leading space is not shown on a terminal. */
	cli_stream_init(&ask_out, STDOUT_FILENO, strcmp(cmd, "ask") == 0);
	return 0;
}

/*
 * The end of both commands, once ask_open succeeded: the signals back to
 * the default, the answer finished in the store and the session freed
 * (sn, ask only; NULL for none), then the error (rv != 0: cause, freed
 * here) or the statistics of r on stderr, and the backend closed; r's
 * strings are freed.  Returns the exit status: 128 + the signal that
 * stopped the run, else 1 when generation failed (a remote answer cut
 * short by a lost connection included) or the answer could not be
 * saved, else 0.
 */
static int
ask_finish(const char *cmd, struct session *sn, int rv,
    struct backend_result *r, char *cause)
{
	char	*scause = NULL, *p;
	size_t	 len;
	int	 lost = 0;

	ask_show(NULL, 0, 1);
	/*
	 * An answer is text: its last line ends with a newline on stdout
	 * (the shell's prompt does not follow it on that line), whatever
	 * stopped it, unless the reader is gone.  The stored answer is as
	 * generated.
	 */
	if (strcmp(cmd, "ask") == 0 && ask_nout > 0 && ask_lastc != '\n' &&
	    ask_signal != SIGPIPE) {
		ask_write("\n", 1);
	}
	if (ask_signal != 0 && ask_signal != SIGINT)
		session_interrupt(sn);
	(void)session_text(sn, &len);
	if (session_end_prov(sn, r != NULL && (rv == 0 || r->prov.dropped) ?
	    &r->res : NULL, r != NULL ? &r->prov : NULL, rv != 0 ?
	    (cause != NULL ? cause : "generation failed") : NULL, NULL, NULL,
	    &scause) != 0) {
		/* The store's "nothing was lost" is about its file only. */
		if ((p = strstr(scause, " (nothing was lost)")) != NULL)
			*p = '\0';
		fprintf(stderr, "\nmedchat ask: the answer was not saved: %s\n"
		    "medchat ask: LOST: the %zu byte(s) of answer printed above "
		    "are not in the database (at most an earlier part of them "
		    "is, marked interrupted); the question is saved\n", scause,
		    len);
		free(scause);
		lost = 1;
	}
	session_free(sn);
	ask_sigs(0);
	if (rv != 0) {
		/* After a partial answer, on a line of its own. */
		fprintf(stderr, "%smedchat %s: %s\n", ask_nout > 0 &&
		    ask_lastc != '\n' ? "\n" : "", cmd, cause);
		free(cause);
	} else
		ask_stats(&r->res);
	if (r != NULL)
		backend_result_free(r);
	backend_close(ask_backend);
	ask_backend = NULL;
	if (ask_signal != 0)
		return 128 + ask_signal;
	return rv != 0 || lost;
}

int
cli_ask(int argc, char **argv)
{
	struct ask_opts		 o;
	const struct backend_info *info;
	const struct engine_msg	*msgs;
	struct backend_result	 res;
	struct settings		 set;
	struct ask_run		 run;
	const char		*question;
	char			*cause = NULL;
	int			 n = 0, rv;

	if ((rv = ask_parse("ask", argc, argv, &o, &question)) != 0)
		return rv > 0 ? 0 : 2;
	if (ask_prefs(&o) != 0) {
		prefs_free(&o.prefs);
		return 1;
	}
	if (o.system == NULL && o.st.continue_id == 0)
		o.system = prefs_system(&o.prefs);
	if (ask_open("ask", &o) != 0) {
		prefs_free(&o.prefs);
		return 1;
	}
	memset(&set, 0, sizeof set);
	set.s = o.smp;
	set.seed_fixed = o.seed_given;
	set.n_ctx = o.n_ctx;
	memset(&run, 0, sizeof run);
	/* Advisory gate, conversation so far, question saved first. */
	rv = session_ask_open(&o.st, ask_backend, o.system, o.tmpl, &set,
	    question, &run.sn, &msgs, &n, &cause);
	/* session_ask_open copied the system message. */
	o.system = NULL;
	prefs_free(&o.prefs);
	if (rv != 0)
		return ask_finish("ask", NULL, -1, NULL, cause);
	info = backend_get_info(ask_backend);
	if (info->remote) {
		fprintf(stderr, "remote: sending to %s (model ", info->host);
		cli_put(stderr, info->model_id, 0);
		fprintf(stderr, ")\n");
		fflush(stderr);
	}
	if (ask_signal != 0) {
		/* Stopped before the first token: an empty answer. */
		memset(&res, 0, sizeof res);
		res.res.stop = ENGINE_STOP_CANCEL;
		rv = 0;
	} else
		rv = backend_chat(ask_backend, o.tmpl, msgs, n, &o.smp,
		    ask_emit, &run, &res, &cause);
	return ask_finish("ask", run.sn, rv, &res, cause);
}

int
cli_generate(int argc, char **argv)
{
	struct ask_opts		 o;
	struct backend_result	 res;
	const char		*prompt;
	char			*cause = NULL;
	int			 rv;

	if ((rv = ask_parse("generate", argc, argv, &o, &prompt)) != 0)
		return rv > 0 ? 0 : 2;
	if (o.system != NULL || o.tmpl != NULL) {
		fprintf(stderr, "medchat generate: --system and --template "
		    "apply to ask only\n");
		return 2;
	}
	if (ask_open("generate", &o) != 0)
		return 1;
	/* A raw completion has no backend operation: the engine's own. */
	memset(&res, 0, sizeof res);
	rv = engine_complete(backend_engine(ask_backend), prompt, &o.smp,
	    ask_emit, NULL, &res.res, &cause);
	return ask_finish("generate", NULL, rv, &res, cause);
}
