/*
 * cli-debug.c -- `medchat debug ...`: developer tools around the engine.
 *
 *	debug tokenize -m FILE [--plain] [--no-bos] TEXT | --file PATH
 *						token ids (BOS included when
 *						the model adds one)
 *	debug detokenize -m FILE [--raw] "ID ..."
 *						the text of token ids
 *	debug logits -m FILE --tokens "ID ..." --from P [--top N]
 *						teacher-forced top logits in
 *						the golden-file format
 *	debug synth --shape 7b|1b|tiny --type T -o FILE
 *						benchmark-shaped random model
 *	debug demo -o FILE			the demo model
 *	debug prompt --template NAME [--system TEXT] MESSAGE...
 *						the prompt text the template
 *						makes of the messages (user,
 *						assistant, ..., the last a
 *						user's): what engine_chat
 *						tokenizes and what raw mode
 *						sends a server
 *
 * `debug logits` evaluates all ids as one prompt and prints, for every
 * position i >= P-1, "step S ID:LOGIT ..." with S = i-P+1, the N highest
 * logits first (ties: lower id first), 5 decimals -- the format of
 * ../shared/golden/logits-*.txt, so outputs diff against llama.cpp's.
 *
 * tokenize and detokenize load the vocabulary alone (engine_vocab_open),
 * so they work on llama.cpp's vocabulary-only files and never read the
 * weights.  --file tokenizes a file's exact bytes (newlines at its end,
 * NUL bytes), which an argument cannot carry.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "engine.h"
#include "fsutil.h"
#include "opt.h"
#include "xmalloc.h"

static int	 debug_tokenize(int, char **);
static int	 debug_detokenize(int, char **);
static void	 debug_fail(const char *, char *);
static int	 debug_vocab(const char *, const char *, struct engine_vocab **);
static int	 debug_ids(const char *, const char *, int32_t **, int *);
static int	 debug_logits(int, char **);
static int	 debug_synth(int, char **);
static int	 debug_demo(int, char **);
static int	 debug_prompt(int, char **);
static int	 debug_cpu(int, char **);
static int	 debug_open(const char *, const char *, int, int,
		    struct engine **);

static void
debug_usage(FILE *f)
{
	fprintf(f,
	    "usage: medchat debug tokenize -m FILE [--plain] [--no-bos] "
	    "TEXT | --file PATH\n"
	    "       medchat debug detokenize -m FILE [--raw] \"ID ID ...\"\n"
	    "       medchat debug logits -m FILE --tokens \"ID ID ...\" "
	    "--from P [--top N] [--threads N]\n"
	    "       medchat debug synth --shape 7b|1b|tiny --type TYPE -o FILE\n"
	    "       medchat debug demo -o FILE\n"
	    "       medchat debug prompt --template NAME [--system TEXT] "
	    "MESSAGE...\n"
	    "       medchat debug cpu\n");
}

static int
debug_open(const char *cmd, const char *path, int n_ctx, int n_threads,
    struct engine **e)
{
	struct engine_opts	 eo;
	char			*cause = NULL;

	memset(&eo, 0, sizeof eo);
	eo.path = path;
	eo.n_ctx = n_ctx;
	eo.n_threads = n_threads;
	if (engine_open(&eo, e, &cause) != 0) {
		fprintf(stderr, "medchat debug %s: %s\n", cmd, cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* "medchat debug CMD: CAUSE" on stderr (made safe); frees cause. */
static void
debug_fail(const char *cmd, char *cause)
{
	fprintf(stderr, "medchat debug %s: ", cmd);
	cli_put(stderr, cause, 0);
	fputc('\n', stderr);
	free(cause);
}

/* The vocabulary of path into *v; 0, or -1 (printed). */
static int
debug_vocab(const char *cmd, const char *path, struct engine_vocab **v)
{
	char	*cause = NULL;

	if (engine_vocab_open(path, v, &cause) != 0) {
		debug_fail(cmd, cause);
		return -1;
	}
	return 0;
}

/*
 * Token ids from s ("ID ID ...", separated by spaces, tabs, newlines or
 * commas) into *ids (caller frees), *n of them; 0, or -1 (printed).
 */
static int
debug_ids(const char *who, const char *s, int32_t **ids, int *n)
{
	char	*copy, *w, *last;
	long	 v;
	size_t	 cap = 0;

	*ids = NULL;
	*n = 0;
	copy = xstrdup(s);
	for (w = strtok_r(copy, " \t\n,", &last); w != NULL;
	    w = strtok_r(NULL, " \t\n,", &last)) {
		if (opt_int(who, "token id", w, 0, INT32_MAX, &v) != 0) {
			free(copy);
			free(*ids);
			*ids = NULL;
			return -1;
		}
		if ((size_t)*n == cap)
			*ids = xgrowarray(*ids, &cap, 64, sizeof **ids);
		(*ids)[(*n)++] = (int32_t)v;
	}
	free(copy);
	return 0;
}

static int
debug_tokenize(int argc, char **argv)
{
	struct engine_vocab	*v;
	struct buf		 text = BUF_INIT;
	const char		*model = NULL, *file = NULL;
	char			*cause;
	int32_t			*ids;
	int			 rc, plain = 0, nobos = 0, n, i;
	const struct cli_opt	 opts[] = {
		{ "model", required_argument, 'm', &model, NULL },
		{ "plain", no_argument, 'p', NULL, &plain },
		{ "no-bos", no_argument, 'b', NULL, &nobos },
		{ "file", required_argument, 'f', &file, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "m:f:", opts, NULL, NULL, debug_usage,
	    &rc) == 0)
		return rc;
	if (model == NULL || optind != argc - (file == NULL)) {
		debug_usage(stderr);
		return 2;
	}
	if (file != NULL) {
		rc = fs_read_file(file, &text, (size_t)1 << 30);
		if (rc != 0 || text.len > (size_t)1 << 30) {
			xasprintf(&cause, "%s: %s", file, rc > 0 ?
			    "no such file" : rc < 0 ? strerror(errno) :
			    "larger than 1 GiB");
			buf_free(&text);
			return cli_fail(cause);
		}
	} else
		buf_puts(&text, argv[optind]);
	if (debug_vocab("tokenize", model, &v) != 0) {
		buf_free(&text);
		return 1;
	}
	engine_vocab_tokenize(v, text.data, text.len, !nobos, !plain, &ids,
	    &n);
	for (i = 0; i < n; i++)
		printf("%s%d", i > 0 ? " " : "", ids[i]);
	printf("\n");
	free(ids);
	buf_free(&text);
	engine_vocab_close(v);
	return 0;
}

static int
debug_detokenize(int argc, char **argv)
{
	struct engine_vocab	*v;
	const char		*model = NULL;
	char			*cause = NULL, *text;
	int32_t			*ids;
	size_t			 len;
	int			 rc, raw = 0, n;
	const struct cli_opt	 opts[] = {
		{ "model", required_argument, 'm', &model, NULL },
		{ "raw", no_argument, 'r', NULL, &raw },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "m:", opts, NULL, NULL, debug_usage,
	    &rc) == 0)
		return rc;
	if (model == NULL || optind != argc - 1) {
		debug_usage(stderr);
		return 2;
	}
	if (debug_ids("medchat debug detokenize", argv[optind], &ids, &n) != 0)
		return 2;
	if (debug_vocab("detokenize", model, &v) != 0) {
		free(ids);
		return 1;
	}
	text = engine_vocab_detokenize(v, ids, n, &len, &cause);
	free(ids);
	engine_vocab_close(v);
	if (text == NULL) {
		debug_fail("detokenize", cause);
		return 1;
	}
	/* The text is the model file's: exact bytes unless a terminal. */
	cli_set_raw(raw);
	cli_putn(stdout, text, len, 1);
	free(text);
	return fflush(stdout) != 0;
}

static int
debug_logits(int argc, char **argv)
{
	struct engine	*e;
	const char	*model = NULL, *toks = NULL;
	char		*cause = NULL;
	int32_t		*ids = NULL;
	float		*logits, *row;
	int		*best;
	long		 from = -1, top = 10, nt = 0;
	struct opt_num	 nums[] = {
		{ 'f', "--from", 1, INT_MAX, &from },
		{ 'n', "--top", 1, 1000, &top },
		{ 't', "--threads", 0, ENGINE_THREADS_MAX, &nt },
		{ 0, NULL, 0, 0, NULL }
	};
	int		 rc, n = 0, nv, i, s, j, k, b;
	const struct cli_opt opts[] = {
		{ "model", required_argument, 'm', &model, NULL },
		{ "tokens", required_argument, 'k', &toks, NULL },
		{ "from", required_argument, 'f', NULL, NULL },
		{ "top", required_argument, 'n', NULL, NULL },
		{ "threads", required_argument, 't', NULL, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "m:t:", opts, nums, "medchat debug",
	    debug_usage, &rc) == 0)
		return rc;
	if (model == NULL || toks == NULL || from < 1 || optind != argc) {
		debug_usage(stderr);
		return 2;
	}
	if (debug_ids("medchat debug", toks, &ids, &n) != 0)
		return 2;
	if (n == 0 || from > n) {
		fprintf(stderr, "medchat debug logits: --from %ld is beyond "
		    "the %d tokens\n", from, n);
		free(ids);
		return 2;
	}
	if (debug_open("logits", model, n, (int)nt, &e) != 0) {
		free(ids);
		return 1;
	}
	nv = engine_get_info(e)->n_vocab;
	if (top > nv)
		top = nv;
	logits = xcalloc((size_t)(n - from + 1) * nv, sizeof *logits);
	if (engine_eval(e, ids, n, (int)from - 1, logits, &cause) != 0) {
		fprintf(stderr, "medchat debug logits: %s\n", cause);
		free(cause);
		free(logits);
		free(ids);
		engine_close(e);
		return 1;
	}
	best = xcalloc(top, sizeof *best);
	for (s = 0; s <= n - from; s++) {
		row = logits + (size_t)s * nv;
		/* Insertion into a sorted top list: highest, then lowest id. */
		k = 0;
		for (i = 0; i < nv; i++) {
			if (k == top && row[i] <= row[best[k - 1]])
				continue;
			j = k < top ? k++ : k - 1;
			while (j > 0 && row[best[j - 1]] < row[i]) {
				best[j] = best[j - 1];
				j--;
			}
			best[j] = i;
		}
		printf("step %d", s);
		for (b = 0; b < k; b++)
			printf(" %d:%.5f", best[b], (double)row[best[b]]);
		printf("\n");
	}
	free(best);
	free(logits);
	free(ids);
	engine_close(e);
	return 0;
}

static int
debug_synth(int argc, char **argv)
{
	const char		*shape = NULL, *type = NULL, *out = NULL;
	char			*cause = NULL;
	int			 rc;
	const struct cli_opt	 opts[] = {
		{ "shape", required_argument, 's', &shape, NULL },
		{ "type", required_argument, 'T', &type, NULL },
		{ "output", required_argument, 'o', &out, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "o:", opts, NULL, NULL, debug_usage,
	    &rc) == 0)
		return rc;
	if (shape == NULL || type == NULL || out == NULL || optind != argc) {
		debug_usage(stderr);
		return 2;
	}
	if (engine_write_synth_model(out, shape, type, &cause) != 0) {
		fprintf(stderr, "medchat debug synth: %s\n", cause);
		free(cause);
		return 1;
	}
	return 0;
}

static int
debug_demo(int argc, char **argv)
{
	const char		*out = NULL;
	char			*cause = NULL;
	int			 rc;
	const struct cli_opt	 opts[] = {
		{ "output", required_argument, 'o', &out, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "o:", opts, NULL, NULL, debug_usage,
	    &rc) == 0)
		return rc;
	if (out == NULL || optind != argc) {
		debug_usage(stderr);
		return 2;
	}
	if (engine_write_demo_model(out, &cause) != 0) {
		fprintf(stderr, "medchat debug demo: %s\n", cause);
		free(cause);
		return 1;
	}
	return 0;
}

static int
debug_prompt(int argc, char **argv)
{
	struct engine_msg	*msgs;
	const char		*tmpl = NULL, *system = NULL;
	char			*text, *cause = NULL;
	int			 rc, n = 0, i;
	const struct cli_opt	 opts[] = {
		{ "template", required_argument, 'T', &tmpl, NULL },
		{ "system", required_argument, 's', &system, NULL },
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "", opts, NULL, NULL, debug_usage,
	    &rc) == 0)
		return rc;
	if (tmpl == NULL || optind >= argc || (argc - optind) % 2 != 1) {
		debug_usage(stderr);
		return 2;
	}
	msgs = xcalloc((size_t)(argc - optind) + 1, sizeof *msgs);
	if (system != NULL) {
		msgs[n].role = ENGINE_SYSTEM;
		msgs[n++].text = system;
	}
	for (i = optind; i < argc; i++) {
		msgs[n].role = (i - optind) % 2 == 0 ? ENGINE_USER :
		    ENGINE_ASSISTANT;
		msgs[n++].text = argv[i];
	}
	text = engine_render_prompt(tmpl, msgs, n, &cause);
	free(msgs);
	if (text == NULL) {
		fprintf(stderr, "medchat debug prompt: %s\n", cause);
		free(cause);
		return 1;
	}
	/* As it is: the test compares it byte for byte. */
	fputs(text, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * What the CPU probe found: per kernel level whether the CPU (and its
 * OS) has it and whether this build has its kernels, then the level
 * chosen ($MEDCHAT_CPU or the best of both).  tests/test-cpu.sh compares
 * it with /proc/cpuinfo, and uses it where there is none.
 */
static int
debug_cpu(int argc, char **argv)
{
	struct engine_cpu_level	 li;
	const char		*level;
	char			*cause = NULL;
	int			 rc, i;
	const struct cli_opt	 opts[] = {
		{ NULL, 0, 0, NULL, NULL }
	};

	optind = 1;
	if (cli_getopt(argc, argv, "", opts, NULL, NULL, debug_usage,
	    &rc) == 0)
		return rc;
	if (optind != argc) {
		debug_usage(stderr);
		return 2;
	}
	if ((level = engine_kernel_level(&cause)) == NULL) {
		debug_fail("cpu", cause);
		return 1;
	}
	for (i = 0; engine_cpu_level_info(i, &li) == 0; i++)
		printf("%-8s cpu %-3s built %s\n", li.name,
		    li.cpu ? "yes" : "no", li.built ? "yes" : "no");
	printf("kernels: %s\n", level);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
cli_debug(int argc, char **argv)
{
	if (argc < 2) {
		debug_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		debug_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "tokenize") == 0)
		return debug_tokenize(argc - 1, argv + 1);
	if (strcmp(argv[1], "detokenize") == 0)
		return debug_detokenize(argc - 1, argv + 1);
	if (strcmp(argv[1], "logits") == 0)
		return debug_logits(argc - 1, argv + 1);
	if (strcmp(argv[1], "synth") == 0)
		return debug_synth(argc - 1, argv + 1);
	if (strcmp(argv[1], "demo") == 0)
		return debug_demo(argc - 1, argv + 1);
	if (strcmp(argv[1], "prompt") == 0)
		return debug_prompt(argc - 1, argv + 1);
	if (strcmp(argv[1], "cpu") == 0)
		return debug_cpu(argc - 1, argv + 1);
	fprintf(stderr, "medchat debug: unknown tool '");
	cli_put(stderr, argv[1], 0);
	fprintf(stderr, "'\n");
	debug_usage(stderr);
	return 2;
}
