/*
 * cli-eval.c -- measuring model files from the command line:
 *
 *   medchat eval ppl -m FILE [--text FILE] [--ctx N] [--chunks N]
 *	    [--threads N] [--again] [--json] [--db PATH]
 *   medchat eval kld --base BASEFILE -m FILE [the same options]
 *   medchat eval speed -m FILE [--threads N] [--json] [--db PATH]
 *   medchat eval list [-m FILE] [--json] [--db PATH]
 *
 * The measuring is src/app/eval.c's; this file parses, finds a stored
 * result first (a file is measured once: the same file, text, context
 * and chunks print what is stored, --again measures anew), shows the
 * progress, prints and stores the result.
 *
 * Output: the running perplexity after each chunk and the final figures
 * on stdout (--json: one JSON document at the end instead); a progress
 * bar on stderr when it is a terminal.  A signal (INT, TERM, HUP) stops
 * the run after the chunk being evaluated: the partial result is
 * printed and stored as partial, and the exit status is 128 + the
 * signal (130 for ^C).  Other exit statuses: 0 done (or a stored result
 * shown), 1 an error (one line on stderr), 2 a usage error.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "eval.h"
#include "jsonx.h"
#include "opt.h"
#include "store.h"
#include "utf8.h"
#include "xmalloc.h"

/* What a run of eval ppl/kld/speed shows as it goes. */
struct ev_show {
	int	 json;		/* no per-chunk lines on stdout */
	int	 bar;		/* stderr is a terminal */
	int	 bar_shown;	/* a bar line is on the screen */
	int	 n_ctx;
	int	 kld;		/* kld: phase 1 shows the mean KLD too */
	json_t	*chunks;	/* --json: the running estimates */
};

static atomic_int		 ev_cancel;
static volatile sig_atomic_t	 ev_signal;
static const int		 ev_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void	 ev_usage(FILE *);
static void	 ev_on_signal(int);
static void	 ev_signals_set(void);
static void	 ev_progress(const struct eval_progress *, void *);
static void	 ev_bar_clear(struct ev_show *);
static void	 ev_print(const struct store_measure *, int);
static json_t	*ev_measure_json(const struct store_measure *);
static int	 ev_run(const char *, int, char **);
static int	 ev_list(int, char **);

static void
ev_usage(FILE *f)
{
	fputs("usage: medchat eval ppl -m FILE [--text FILE] [--ctx N] "
	    "[--chunks N] [--threads N] [--again] [--json] [--db PATH]\n"
	    "       medchat eval kld --base BASEFILE -m FILE [--text FILE] "
	    "[--ctx N] [--chunks N] [--threads N] [--again] [--json] "
	    "[--db PATH]\n"
	    "       medchat eval speed -m FILE [--threads N] [--json] "
	    "[--db PATH]\n"
	    "       medchat eval list [-m FILE] [--json] [--db PATH]\n", f);
}

/* The first signal asks the run to stop after its chunk; a second ends. */
static void
ev_on_signal(int sig)
{
	if (ev_signal != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	ev_signal = sig;
	atomic_store(&ev_cancel, 1);
}

static void
ev_signals_set(void)
{
	struct sigaction	sa;
	size_t			i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ev_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof ev_signals / sizeof ev_signals[0]; i++)
		sigaction(ev_signals[i], &sa, NULL);
}

/* "1:02:03" or "2:03" of s seconds into buf. */
static const char *
ev_hms(double s, char *buf, size_t len)
{
	long	t = s < 0 ? 0 : s > 1e9 ? 1000000000L : (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
		    t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
	return buf;
}

static void
ev_bar_clear(struct ev_show *sh)
{
	if (sh->bar_shown) {
		fputs("\r\033[K", stderr);
		sh->bar_shown = 0;
	}
}

/*
 * After each chunk: the running estimate as a line on stdout (text) or
 * kept for the JSON; the bar on stderr (a terminal only).
 */
static void
ev_progress(const struct eval_progress *p, void *arg)
{
	struct ev_show	*sh = arg;
	char		 bar[21], e[48], eta[48];
	int		 i, fill;
	static const char *const phase[] = { "base", "file", "speed" };

	if (p->phase == 2) {
		if (sh->bar) {
			fprintf(stderr, "\r\033[Kspeed: step %d/%d  %s", p->chunk,
			    p->n_chunks, ev_hms(p->elapsed_s, e, sizeof e));
			sh->bar_shown = 1;
		}
		return;
	}
	ev_bar_clear(sh);
	if (!sh->json) {
		if (p->phase == 0)
			printf("[base %d/%d] ppl %.4f\n", p->chunk,
			    p->n_chunks, p->value);
		else if (sh->kld)
			printf("[%d/%d] ppl %.4f  kld %.6f\n", p->chunk,
			    p->n_chunks, p->value, p->kld);
		else
			printf("[%d/%d] ppl %.4f\n", p->chunk, p->n_chunks,
			    p->value);
		fflush(stdout);
	} else if (sh->chunks != NULL && p->phase == 1)
		jsonx_append(sh->chunks, jsonx_number("%.6f", p->value));
	if (!sh->bar)
		return;
	fill = p->n_chunks > 0 ? p->chunk * 20 / p->n_chunks : 0;
	for (i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "%s [%s] chunk %d/%d  position %d/%d  %s elapsed, "
	    "ETA %s", sh->kld ? phase[p->phase] : "ppl", bar, p->chunk, p->n_chunks,
	    p->chunk * sh->n_ctx, p->n_chunks * sh->n_ctx,
	    ev_hms(p->elapsed_s, e, sizeof e), p->eta_s < 0 ? "?" :
	    ev_hms(p->eta_s, eta, sizeof eta));
	sh->bar_shown = 1;
}

/* A measurement as a JSON object (strings from files: escaped). */
static json_t *
ev_measure_json(const struct store_measure *m)
{
	json_t	*o = jsonx_object();
	char	 t[32];
	int	 speed = strcmp(m->kind, "speed") == 0;
	int	 kld = strcmp(m->kind, "kld") == 0;

	jsonx_set(o, "kind", jsonx_string(m->kind));
	jsonx_set(o, "model", jsonx_string(m->model_name));
	jsonx_set(o, "model_sha256", jsonx_string(m->model_sha));
	if (!speed) {
		jsonx_set(o, "text", jsonx_string(m->text_name));
		jsonx_set(o, "text_sha256", jsonx_string(m->text_sha));
		jsonx_set(o, "n_ctx", json_integer(m->n_ctx));
		jsonx_set(o, "n_chunks", json_integer(m->n_chunks));
		jsonx_set(o, "n_tokens", json_integer(m->n_tokens));
		jsonx_set(o, "ppl", jsonx_number("%.6f", m->ppl));
		jsonx_set(o, "ppl_err", jsonx_number("%.6f", m->ppl_err));
	}
	if (kld) {
		jsonx_set(o, "base", jsonx_string(m->base_name));
		jsonx_set(o, "base_sha256", jsonx_string(m->base_sha));
		jsonx_set(o, "kld_mean", jsonx_number("%.8f", m->kld_mean));
		jsonx_set(o, "kld_p99", jsonx_number("%.8f", m->kld_p99));
		jsonx_set(o, "top_agree", jsonx_number("%.6f", m->top_agree));
		jsonx_set(o, "ppl_ratio", jsonx_number("%.6f", m->ppl_ratio));
	}
	if (speed) {
		jsonx_set(o, "n_prompt", json_integer(m->n_ctx));
		jsonx_set(o, "n_gen", json_integer(m->n_chunks));
		jsonx_set(o, "prefill_tps", jsonx_number("%.2f",
		    m->prefill_tps));
		jsonx_set(o, "decode_tps", jsonx_number("%.2f",
		    m->decode_tps));
	}
	jsonx_set(o, "threads", json_integer(m->threads));
	jsonx_set(o, "kernel", jsonx_string(m->kernel));
	jsonx_set(o, "complete", json_boolean(m->complete));
	jsonx_set(o, "created", jsonx_string(store_time_iso(m->created * 1000,
	    t, sizeof t)));
	jsonx_set(o, "version", jsonx_string(m->version));
	return o;
}

json_t *
cli_measure_json(const struct store_measure *m)
{
	return ev_measure_json(m);
}

/* The figures of m, as text, on stdout (names through cli_put). */
static void
ev_print(const struct store_measure *m, int detail)
{
	char	t[32];

	if (detail) {
		cli_put(stdout, m->model_name != NULL ? m->model_name : "?", 0);
		if (m->base_name != NULL) {
			printf(" against ");
			cli_put(stdout, m->base_name, 0);
		}
		if (m->text_name != NULL) {
			printf(", text ");
			cli_put(stdout, m->text_name, 0);
			printf(" (%.12s)", m->text_sha);
		}
		printf(", %s, medchat ", store_time_iso(m->created * 1000, t,
		    sizeof t));
		cli_put(stdout, m->version != NULL ? m->version : "?", 0);
		printf("%s\n", m->complete ? "" : " (partial)");
	}
	if (strcmp(m->kind, "speed") == 0) {
		printf("Speed: prompt %.2f tok/s (%d tokens), answer %.2f tok/s "
		    "(%d tokens), %d threads, ", m->prefill_tps, m->n_ctx,
		    m->decode_tps, m->n_chunks, m->threads);
		cli_put(stdout, m->kernel != NULL ? m->kernel : "?", 0);
		printf("\n");
		return;
	}
	printf("Final estimate: PPL = %.4f +/- %.5f (context %d, %d chunk%s, "
	    "%d tokens scored%s)\n", m->ppl, m->ppl_err, m->n_ctx, m->n_chunks,
	    m->n_chunks == 1 ? "" : "s", m->n_tokens, m->complete ? "" :
	    ", partial");
	if (strcmp(m->kind, "kld") == 0)
		printf("KL divergence: mean %.6f, 99th percentile %.6f; same top "
		    "token %.2f%%; PPL(file)/PPL(base) %.6f\n", m->kld_mean,
		    m->kld_p99, 100 * m->top_agree, m->ppl_ratio);
}

/* eval ppl, kld or speed (kind). */
static int
ev_run(const char *kind, int argc, char **argv)
{
	struct eval_opts	 o;
	struct eval_result	 res;
	struct store_measure	 plan, found;
	struct ev_show		 sh;
	struct store		*s = NULL;
	const char		*db = NULL, *model = NULL, *base = NULL;
	const char		*text = NULL;
	char			 sha[65], bsha[65], *cause = NULL, *js, who[32];
	long			 ctx = 0, chunks = 0, threads = 0;
	int			 ch, rc = 0, json = 0, again = 0, r;
	int			 speed = strcmp(kind, "speed") == 0;
	int			 kld = strcmp(kind, "kld") == 0;
	json_t			*root;
	int64_t			 id;
	const struct cli_opt	 opts[] = {
		{ "model", required_argument, 'm', &model, NULL },
		{ "base", required_argument, 'b', &base, NULL },
		{ "text", required_argument, 'T', &text, NULL },
		{ "ctx", required_argument, 'c', NULL, NULL },
		{ "chunks", required_argument, 'n', NULL, NULL },
		{ "threads", required_argument, 't', NULL, NULL },
		{ "again", no_argument, 'a', NULL, &again },
		{ "json", no_argument, 'j', NULL, &json },
		{ "db", required_argument, 'D', &db, NULL },
		{ "help", no_argument, 'h', NULL, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};
	const struct opt_num	 nums[] = {
		{ 'c', "--ctx", 8, ENGINE_CTX_MAX, &ctx },
		{ 'n', "--chunks", 1, 1000000, &chunks },
		{ 't', "--threads", 1, ENGINE_THREADS_MAX, &threads },
		{ 0, NULL, 0, 0, NULL }
	};

	snprintf(who, sizeof who, "medchat eval %s", kind);
	optind = 0;
	opterr = 1;
	while ((ch = cli_getopt(argc, argv, "m:t:", opts, nums, who,
	    ev_usage, &rc)) != -1) {
		if (ch == 0)
			return rc;
	}
	if (optind != argc || model == NULL || (kld && base == NULL) ||
	    (!kld && base != NULL) || (speed && (text != NULL || ctx != 0 ||
	    chunks != 0 || again))) {
		if (model == NULL && optind == argc)
			fprintf(stderr, "%s: -m FILE is needed\n", who);
		else if (kld && base == NULL)
			fprintf(stderr, "%s: --base BASEFILE is needed\n", who);
		ev_usage(stderr);
		return 2;
	}

	if (cli_store_open(db, &s) != 0)
		return 1;
	if (store_writable(s, "store a measurement", &cause) != 0 ||
	    store_model_sha256(s, model, sha, NULL, &cause) != 0 ||
	    (kld && store_model_sha256(s, base, bsha, NULL, &cause) != 0)) {
		store_close(s);
		return cli_fail(cause);
	}
	memset(&o, 0, sizeof o);
	o.model = model;
	o.base = base;
	o.text = text;
	o.n_ctx = (int)ctx;
	o.max_chunks = (int)chunks;
	o.threads = (int)threads;
	o.model_sha = sha;
	o.base_sha = kld ? bsha : NULL;

	memset(&sh, 0, sizeof sh);
	sh.json = json;
	sh.bar = isatty(STDERR_FILENO);
	sh.kld = kld;
	if (json)
		sh.chunks = jsonx_array();

	/* A file is measured once: the same measurement shows what is kept. */
	if (!speed) {
		if (eval_plan(&o, kind, &plan, &cause) != 0) {
			store_close(s);
			json_decref(sh.chunks);
			return cli_fail(cause);
		}
		sh.n_ctx = plan.n_ctx;
		r = again ? 0 : store_measure_find(s, kind, sha, plan.text_sha,
		    plan.n_ctx, plan.n_chunks, kld ? bsha : "", &found,
		    &cause);
		store_measure_free(&plan);
		if (r < 0) {
			store_close(s);
			json_decref(sh.chunks);
			return cli_fail(cause);
		}
		if (r == 1) {
			if (json) {
				root = ev_measure_json(&found);
				jsonx_set(root, "stored", json_true());
				js = jsonx_dump(root, JSON_INDENT(2) |
				    JSON_PRESERVE_ORDER);
				printf("%s\n", js);
				free(js);
				json_decref(root);
			} else {
				printf("Stored result (measured before; --again "
				    "measures anew): ");
				ev_print(&found, 1);
			}
			store_measure_free(&found);
			store_close(s);
			json_decref(sh.chunks);
			return fflush(stdout) != 0 ? 1 : 0;
		}
	}

	ev_signals_set();
	if (speed)
		r = eval_speed_sha(model, sha, (int)threads, &ev_cancel,
		    ev_progress, &sh, &res, &cause);
	else if (kld)
		r = eval_kld(&o, &ev_cancel, ev_progress, &sh, &res, &cause);
	else
		r = eval_ppl(&o, &ev_cancel, ev_progress, &sh, &res, &cause);
	ev_bar_clear(&sh);
	if (r < 0) {
		store_close(s);
		json_decref(sh.chunks);
		return cli_fail(cause);
	}
	rc = 0;
	if (r == 1)
		fprintf(stderr, "%s: stopped by a signal: the result so far is "
		    "partial\n", who);
	if (store_measure_add(s, &res.m, &id, &cause) != 0) {
		cli_fail(cause);
		cause = NULL;
		rc = 1;
	}
	if (json) {
		root = ev_measure_json(&res.m);
		jsonx_set(root, "stored", json_false());
		if (!speed)
			jsonx_set(root, "chunks", sh.chunks);
		else
			json_decref(sh.chunks);
		sh.chunks = NULL;
		js = jsonx_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", js);
		free(js);
		json_decref(root);
	} else
		ev_print(&res.m, 0);
	eval_result_free(&res);
	store_close(s);
	if (fflush(stdout) != 0)
		rc = 1;
	if (r == 1 && rc == 0)
		rc = 128 + (ev_signal != 0 ? ev_signal : SIGINT);
	return rc;
}

/* eval list: what is stored, of every file or of -m FILE. */
static int
ev_list(int argc, char **argv)
{
	struct store_measure	*v = NULL;
	struct store		*s = NULL;
	const char		*db = NULL, *model = NULL;
	char			 sha[65], *cause = NULL, *js;
	size_t			 n = 0, i;
	int			 ch, rc = 0, json = 0;
	json_t			*root, *arr;
	const struct cli_opt	 opts[] = {
		{ "model", required_argument, 'm', &model, NULL },
		{ "json", no_argument, 'j', NULL, &json },
		{ "db", required_argument, 'D', &db, NULL },
		{ "help", no_argument, 'h', NULL, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 0;
	opterr = 1;
	while ((ch = cli_getopt(argc, argv, "m:", opts, NULL, NULL, ev_usage,
	    &rc)) != -1) {
		if (ch == 0)
			return rc;
	}
	if (optind != argc) {
		ev_usage(stderr);
		return 2;
	}
	if (cli_store_open(db, &s) != 0)
		return 1;
	if ((model != NULL && store_model_sha256(s, model, sha, NULL,
	    &cause) != 0) || store_measure_list(s, model != NULL ? sha : NULL,
	    &v, &n, &cause) != 0) {
		store_close(s);
		return cli_fail(cause);
	}
	if (json) {
		root = jsonx_object();
		arr = jsonx_array();
		for (i = 0; i < n; i++)
			jsonx_append(arr, ev_measure_json(&v[i]));
		jsonx_set(root, "measurements", arr);
		js = jsonx_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", js);
		free(js);
		json_decref(root);
	} else {
		for (i = 0; i < n; i++) {
			printf("%s  ", v[i].kind);
			ev_print(&v[i], 1);
		}
		if (n == 0)
			printf("no measurement stored\n");
	}
	store_measures_free(v, n);
	store_close(s);
	return fflush(stdout) != 0 ? 1 : 0;
}

int
cli_eval(int argc, char **argv)
{
	const char	*sub = argc > 1 ? argv[1] : NULL;

	if (sub == NULL || strcmp(sub, "-h") == 0 ||
	    strcmp(sub, "--help") == 0) {
		ev_usage(sub != NULL ? stdout : stderr);
		return sub != NULL ? 0 : 2;
	}
	if (strcmp(sub, "ppl") == 0 || strcmp(sub, "kld") == 0 ||
	    strcmp(sub, "speed") == 0)
		return ev_run(sub, argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return ev_list(argc - 1, argv + 1);
	fprintf(stderr, "medchat eval: unknown command '");
	cli_put(stderr, sub, 0);
	fprintf(stderr, "'\n");
	ev_usage(stderr);
	return 2;
}
