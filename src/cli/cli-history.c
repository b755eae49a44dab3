/*
 * cli-history.c -- `medchat history ...`: the stored conversations from
 * the command line.
 *
 *	history [list] [--json] [--limit N] [--archived | --all]
 *	history show ID
 *	history search QUERY...
 *	history export ID... | --all [--format md|json|txt] [-o FILE]
 *	history import FILE
 *	history rename ID TITLE...
 *	history delete ID [--yes]
 *	history archive ID | unarchive ID
 *
 * Every command takes --db PATH (else $MEDCHAT_DB or the default) and
 * --raw.  Text that comes from the database is untrusted: it reaches
 * stdout through cli_put() (cli-util.c), which on a terminal shows
 * control characters in caret notation and replaces invalid UTF-8, C1
 * controls and bidi controls, so a stored answer cannot move the cursor,
 * change the terminal's settings or reorder what is shown; a pipe, a
 * file or --raw gets the exact bytes.  JSON output escapes them instead.
 * Errors are one line on stderr; exit 1 (2 for usage).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fsutil.h"
#include "inhist.h"
#include "jsonx.h"
#include "opt.h"
#include "session.h"
#include "store.h"
#include "utf8.h"
#include "xmalloc.h"

struct cmdh_opts {
	const char	*db;
	int		 json;
	int		 limit;
	int		 archived;	/* 0 active, 1 archived, -1 all */
	int		 all;
	int		 yes;
	const char	*format;
	const char	*output;
};

enum {
	CMDH_DB = 256, CMDH_JSON, CMDH_LIMIT, CMDH_ARCHIVED, CMDH_ALL,
	CMDH_YES, CMDH_FORMAT, CMDH_HELP, CMDH_RAW
};

static const struct option cmdh_longopts[] = {
	{ "db", required_argument, NULL, CMDH_DB },
	{ "json", no_argument, NULL, CMDH_JSON },
	{ "limit", required_argument, NULL, CMDH_LIMIT },
	{ "archived", no_argument, NULL, CMDH_ARCHIVED },
	{ "all", no_argument, NULL, CMDH_ALL },
	{ "yes", no_argument, NULL, CMDH_YES },
	{ "format", required_argument, NULL, CMDH_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, CMDH_HELP },
	{ "raw", no_argument, NULL, CMDH_RAW },
	{ NULL, 0, NULL, 0 }
};

static const char cmdh_usage[] =
    "usage: medchat history [list] [--json] [--limit N] [--archived|--all]\n"
    "       medchat history show ID\n"
    "       medchat history search QUERY...\n"
    "       medchat history export ID...|--all [--format md|json|txt] "
    "[-o FILE]\n"
    "       medchat history import FILE\n"
    "       medchat history rename ID TITLE...\n"
    "       medchat history delete ID [--yes]\n"
    "       medchat history archive|unarchive ID\n"
    "  every command also takes --db PATH (default $MEDCHAT_DB or\n"
    "  $XDG_DATA_HOME/medchat/medchat.db) and --raw (stored text as\n"
    "  exact bytes on a terminal too)\n";

static void	 cmdh_models(struct store *, int64_t, const char *,
		     const char *, int);
static void	 cmdh_models_json(struct store *, json_t *, int64_t);
static void	 cmdh_put_marked(FILE *, const char *, const char *,
		     const char *);
static int	 cmdh_parse(int, char **, struct cmdh_opts *, int *);
static int	 cmdh_id(const char *, int64_t *);
static int	 cmdh_export_special(const char *, const struct stat *,
		     const char *, size_t, int);

/*
 * A search snippet to f made safe, with the bytes \001 and \002 (the
 * match markers) replaced by mark_open and mark_close.
 */
static void
cmdh_put_marked(FILE *f, const char *s, const char *mark_open,
    const char *mark_close)
{
	size_t	n;

	for (;;) {
		n = strcspn(s, "\001\002");
		cli_putn(f, s, n, 0);
		if (s[n] == '\0')
			break;
		fputs(s[n] == '\001' ? mark_open : mark_close, f);
		s += n + 1;
	}
}

/* Write all of p[0..n) to fd; -1 with errno on failure. */
static int
cmdh_id(const char *s, int64_t *id)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0) {
		fprintf(stderr, "medchat: '");
		cli_put(stderr, s, 0);
		fprintf(stderr, "' is not a conversation id\n");
		return -1;
	}
	*id = v;
	return 0;
}

/*
 * Parse options anywhere in argv (GNU getopt permutes); *first gets the
 * index of the first operand.  -1 on a usage error (message printed).
 */
static int
cmdh_parse(int argc, char **argv, struct cmdh_opts *o, int *first)
{
	long		 v;
	int		 ch;

	memset(o, 0, sizeof *o);
	optind = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "ho:", cmdh_longopts, NULL)) != -1) {
		switch (ch) {
		case CMDH_DB:
			o->db = optarg;
			break;
		case CMDH_JSON:
			o->json = 1;
			break;
		case CMDH_LIMIT:
			if (opt_int("medchat history", "--limit", optarg, 1,
			    INT_MAX, &v) != 0)
				return -1;
			o->limit = (int)v;
			break;
		case CMDH_ARCHIVED:
			o->archived = 1;
			break;
		case CMDH_ALL:
			o->all = 1;
			break;
		case CMDH_RAW:
			cli_set_raw(1);
			break;
		case CMDH_YES:
			o->yes = 1;
			break;
		case CMDH_FORMAT:
			o->format = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case CMDH_HELP:
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	*first = optind;
	return 0;
}

/* "2026-11-27 16:40" from a time stamp. */
static const char *
cmdh_date(int64_t ms, char *buf, size_t len)
{
	store_time_iso(ms, buf, len);
	if (strlen(buf) == 20) {	/* not for years outside 0..9999 */
		buf[10] = ' ';
		buf[16] = '\0';
	}
	return buf;
}

/* ---- history list ---------------------------------------------------- */

static int
cmdh_list(struct store *s, const struct cmdh_opts *o)
{
	struct store_list_opts	 lo;
	struct store_conv	*v;
	json_t			*a, *c;
	char			*cause, *js, t[40];
	size_t			 n, i;

	memset(&lo, 0, sizeof lo);
	lo.limit = o->limit;
	lo.archived = o->all ? -1 : o->archived;
	if (store_conv_list(s, &lo, &v, &n, &cause) != 0)
		return cli_fail(cause);
	if (o->json) {
		/* One conversation a line, as scripts have grepped it. */
		a = jsonx_array();
		for (i = 0; i < n; i++) {
			c = jsonx_object();
			jsonx_set(c, "id", json_integer(v[i].id));
			jsonx_set(c, "title", jsonx_string(v[i].title));
			jsonx_set(c, "created", jsonx_string(store_time_iso(
			    v[i].created, t, sizeof t)));
			jsonx_set(c, "updated", jsonx_string(store_time_iso(
			    v[i].updated, t, sizeof t)));
			jsonx_set(c, "messages", json_integer(v[i].n_messages));
			jsonx_set(c, "archived", json_boolean(v[i].archived));
			cmdh_models_json(s, c, v[i].id);
			jsonx_set(c, "preview", jsonx_string(v[i].preview));
			jsonx_append(a, c);
		}
		js = jsonx_dump_lines(a, JSON_PRESERVE_ORDER);
		json_decref(a);
		printf("%s\n", js);
		free(js);
	} else if (n == 0)
		printf("no conversations\n");
	else {
		printf("%5s  %-16s  %4s  %s\n", "ID", "UPDATED", "MSGS",
		    "TITLE");
		for (i = 0; i < n; i++) {
			printf("%5lld  %-16s  %4d  ", (long long)v[i].id,
			    cmdh_date(v[i].updated, t, sizeof t),
			    v[i].n_messages);
			cli_put(stdout, v[i].title, 0);
			if (v[i].archived)
				printf("  [archived]");
			cmdh_models(s, v[i].id, "  (", ")", 0);
			printf("\n");
		}
	}
	store_convs_free(v, n);
	return 0;
}

/*
 * Print the models that answered in conversation id (store_conv_models:
 * never the model merely selected for it), between before and after,
 * nothing if none.  before NULL: "Model: " or "Models: "; quant: with
 * each one's quantisation.
 */
static void
cmdh_models(struct store *s, int64_t id, const char *before,
    const char *after, int quant)
{
	struct store_conv_model	*m;
	char			*cause;
	size_t			 n, i;

	if (store_conv_models(s, id, &m, &n, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i == 0)
			fputs(before != NULL ? before : n > 1 ? "Models: " :
			    "Model: ", stdout);
		else
			fputs(", ", stdout);
		cli_put(stdout, m[i].model_file != NULL ? m[i].model_file :
		    "?", 0);
		if (quant && m[i].endpoint_url != NULL) {
			printf(" (remote, ");
			cli_put(stdout, m[i].endpoint_url, 0);
			printf(")");
		} else if (quant) {
			printf(" (");
			cli_put(stdout, m[i].model_quant != NULL ?
			    m[i].model_quant : "?", 0);
			printf(")");
		}
	}
	if (n > 0)
		fputs(after, stdout);
	store_conv_models_free(m, n);
}

/*
 * The list --json members for the models of conversation id:
 * "model_file" and "model_quant" of its latest answer's model and
 * "models", every model that answered (file names).
 */
static void
cmdh_models_json(struct store *s, json_t *c, int64_t id)
{
	struct store_conv_model	*m = NULL, *last = NULL;
	json_t			*a;
	char			*cause;
	size_t			 n = 0, i;

	if (store_conv_models(s, id, &m, &n, &cause) != 0)
		free(cause);
	for (i = 0; i < n; i++) {
		if (last == NULL || m[i].last > last->last)
			last = &m[i];
	}
	jsonx_set(c, "model_file", jsonx_string(last != NULL ?
	    last->model_file : NULL));
	jsonx_set(c, "model_quant", jsonx_string(last != NULL ?
	    last->model_quant : NULL));
	a = jsonx_array();
	for (i = 0; i < n; i++)
		jsonx_append(a, jsonx_string(m[i].model_file));
	jsonx_set(c, "models", a);
	store_conv_models_free(m, n);
}

/* ---- history show ---------------------------------------------------- */

static void
cmdh_show_prov(const struct store_prov *p)
{
	char	*r;
	long	 n;

	printf("    -- ");
	if ((r = store_prov_remote(p)) != NULL) {
		/* The endpoint and what the server said, in one piece. */
		cli_put(stdout, r, 0);
		free(r);
	} else {
		cli_put(stdout, p->model_file != NULL ? p->model_file :
		    "model ?", 0);
		printf(" (");
		cli_put(stdout, p->model_quant != NULL ? p->model_quant : "?",
		    0);
		printf("), template ");
		cli_put(stdout, p->template_name != NULL ? p->template_name :
		    "default", 0);
	}
	if (p->has_seed)
		printf(", seed %llu", (unsigned long long)p->seed);
	printf(", %d+%d tokens", p->n_prompt, p->n_gen);
	if (p->decode_tps > 0)
		printf(", %.1f tok/s", p->decode_tps);
	if (p->trimmed && (n = session_dropped_count(p->dropped_json)) >= 0)
		printf(", context trimmed: %ld earlier message(s) left out", n);
	else if (p->trimmed)
		printf(", context trimmed");
	printf("\n");
}

static int
cmdh_show(struct store *s, int64_t id)
{
	struct store_conv	 c;
	struct store_msg	*v;
	int64_t			*alts;
	char			*cause, t[40];
	size_t			 n, i, nalt, idx;

	if (store_conv_get(s, id, &c, &cause) != 0)
		return cli_fail(cause);
	if (store_msg_path(s, id, 0, &v, &n, &cause) != 0) {
		store_conv_free(&c);
		return cli_fail(cause);
	}
	printf("Conversation %lld: ", (long long)c.id);
	cli_put(stdout, c.title, 0);
	printf("%s\n", c.archived ? "  [archived]" : "");
	printf("Created %s, ", cmdh_date(c.created, t, sizeof t));
	printf("updated %s\n", cmdh_date(c.updated, t, sizeof t));
	cmdh_models(s, c.id, NULL, "\n", 1);
	if (c.system != NULL) {
		printf("System message for the next answer: ");
		cli_put(stdout, c.system, 1);
		printf("\n");
	}
	for (i = 0; i < n; i++) {
		/*
		 * The system message each answer ran under: shown where it
		 * first applies and again wherever it changes.
		 */
		if (v[i].role == STORE_ROLE_ASSISTANT &&
		    store_system_changes(v, n, i)) {
			if (v[i].prov.system != NULL) {
				printf("\n[system message from this answer "
				    "on]\n");
				cli_put(stdout, v[i].prov.system, 1);
				printf("\n");
			} else
				printf("\n[no system message from this "
				    "answer on]\n");
		}
		printf("\n[%s %s]", store_role_name(v[i].role),
		    cmdh_date(v[i].created, t, sizeof t));
		if (v[i].status != STORE_STATUS_COMPLETE)
			printf(" (%s)", store_status_name(v[i].status));
		if (store_msg_alternatives(s, v[i].id, &alts, &nalt, &idx,
		    &cause) == 0) {
			if (nalt > 1)
				printf(" (alternative %zu of %zu)", idx + 1,
				    nalt);
			free(alts);
		} else
			free(cause);
		printf("\n");
		cli_put(stdout, v[i].content, 1);
		printf("\n");
		if (v[i].error != NULL) {
			printf("    error: ");
			cli_put(stdout, v[i].error, 0);
			printf("\n");
		}
		if (v[i].role == STORE_ROLE_ASSISTANT)
			cmdh_show_prov(&v[i].prov);
	}
	store_msgs_free(v, n);
	store_conv_free(&c);
	return 0;
}

/* ---- history search -------------------------------------------------- */

static int
cmdh_search(struct store *s, const struct cmdh_opts *o, int argc,
    char **argv)
{
	struct store_hit	*v;
	struct buf		 q = BUF_INIT;
	const char		*mo, *mc;
	char			*cause, t[40];
	size_t			 n, i;
	int			 k, color;

	for (k = 0; k < argc; k++) {
		if (k)
			buf_putc(&q, ' ');
		buf_puts(&q, argv[k]);
	}
	if (q.len == 0) {
		fprintf(stderr, "medchat: history search needs a query\n");
		return 2;
	}
	if (store_search(s, q.data, 0, "\001", "\002", o->limit, &v, &n,
	    &cause) != 0) {
		buf_free(&q);
		return cli_fail(cause);
	}
	buf_free(&q);
	color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	mo = color ? "\033[1;7m" : "[";
	mc = color ? "\033[0m" : "]";
	if (n == 0)
		printf("no matches\n");
	for (i = 0; i < n; i++) {
		printf("%lld", (long long)v[i].conv_id);
		if (v[i].msg_id != 0)
			printf(" #%lld %s", (long long)v[i].msg_id,
			    store_role_name(v[i].role));
		else
			printf(" title");
		printf(" %s  ", cmdh_date(v[i].created, t, sizeof t));
		cli_put(stdout, v[i].title, 0);
		printf("%s\n    ", v[i].archived ? " [archived]" : "");
		cmdh_put_marked(stdout, v[i].snippet, mo, mc);
		printf("\n");
	}
	store_hits_free(v, n);
	return 0;
}

/* ---- history export / import ----------------------------------------- */

static int
cmdh_export(struct store *s, const struct cmdh_opts *o, int argc,
    char **argv)
{
	enum store_format	 fmt = STORE_FMT_MD;
	struct buf		 b = BUF_INIT;
	int64_t			*ids = NULL;
	char			*cause, *tmp = NULL, *text;
	FILE			*f;
	struct stat		 sb;
	size_t			 len;
	int			 i, fd, rc;

	if (o->format != NULL && store_format_parse(o->format, &fmt) != 0) {
		fprintf(stderr, "medchat: unknown format '");
		cli_put(stderr, o->format, 0);
		fprintf(stderr, "' (md, json or txt)\n");
		return 2;
	}
	if ((argc == 0) == (o->all == 0)) {
		fprintf(stderr, "medchat: history export needs conversation "
		    "ids or --all\n");
		return 2;
	}
	if (argc > 0) {
		ids = xcalloc((size_t)argc, sizeof *ids);
		for (i = 0; i < argc; i++) {
			if (cmdh_id(argv[i], &ids[i]) != 0) {
				free(ids);
				return 2;
			}
		}
	}

	/* Export to memory first: a failure leaves no half-written file. */
	f = open_memstream(&text, &len);
	if (f == NULL) {
		free(ids);
		xasprintf(&cause, "cannot allocate the export");
		return cli_fail(cause);
	}
	rc = store_export(s, ids, (size_t)argc, fmt, f, &cause);
	fclose(f);
	free(ids);
	if (rc != 0) {
		free(text);
		return cli_fail(cause);
	}

	if (o->output == NULL || strcmp(o->output, "-") == 0) {
		/* cli_putn: exact bytes unless stdout is a terminal. */
		if (fmt != STORE_FMT_JSON)
			cli_putn(stdout, text, len, 1);
		else
			fwrite(text, 1, len, stdout);
		free(text);
		if (fflush(stdout) != 0) {
			xasprintf(&cause, "writing the export: %s",
			    strerror(errno));
			return cli_fail(cause);
		}
		return 0;
	}
	/*
	 * An existing target that is not a regular file (/dev/stdout, a
	 * terminal, a FIFO, or a symbolic link to one) is written in place:
	 * renaming over it would replace the device or pipe with a file.
	 */
	if (stat(o->output, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		rc = cmdh_export_special(o->output, &sb, text, len,
		    fmt != STORE_FMT_JSON);
		free(text);
		return rc;
	}
	/* The file is private (0600) and appears whole or not at all. */
	buf_printf(&b, "%s.tmpXXXXXX", o->output);
	tmp = buf_detach(&b);
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(&cause, "%s: %s", o->output, strerror(errno));
		free(tmp);
		free(text);
		return cli_fail(cause);
	}
	fchmod(fd, 0600);
	if (fs_write_all(fd, text, len) != 0 || fsync(fd) != 0) {
		xasprintf(&cause, "%s: %s", o->output, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		free(text);
		return cli_fail(cause);
	}
	if (close(fd) != 0 || rename(tmp, o->output) != 0) {
		xasprintf(&cause, "%s: %s", o->output, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(text);
		return cli_fail(cause);
	}
	free(tmp);
	free(text);
	return 0;
}

/*
 * Write an export to path, an existing file that is not a regular one;
 * on a terminal the text is made safe as on stdout unless raw.  0 or 1
 * (message printed).
 */
static int
cmdh_export_special(const char *path, const struct stat *sb,
    const char *text, size_t len, int tty_safe)
{
	char	*cause;
	FILE	*f;
	int	 fd;

	if (S_ISDIR(sb->st_mode)) {
		xasprintf(&cause, "%s: %s", path, strerror(EISDIR));
		return cli_fail(cause);
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1) {
		xasprintf(&cause, "%s: %s", path, strerror(errno));
		return cli_fail(cause);
	}
	if (tty_safe && isatty(fd)) {
		if ((f = fdopen(fd, "w")) == NULL) {
			xasprintf(&cause, "%s: %s", path, strerror(errno));
			close(fd);
			return cli_fail(cause);
		}
		cli_put(f, text, 1);
		if (fclose(f) != 0) {
			xasprintf(&cause, "%s: %s", path, strerror(errno));
			return cli_fail(cause);
		}
		return 0;
	}
	if (fs_write_all(fd, text, len) != 0) {
		xasprintf(&cause, "%s: %s", path, strerror(errno));
		close(fd);
		return cli_fail(cause);
	}
	if (close(fd) != 0) {
		xasprintf(&cause, "%s: %s", path, strerror(errno));
		return cli_fail(cause);
	}
	return 0;
}

static int
cmdh_import(struct store *s, const char *path)
{
	struct buf	 b = BUF_INIT;
	struct store_import_skip *sk;
	int64_t		*ids;
	char		*cause, *msg, chunk[65536];
	size_t		 n, i, r, nsk;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(&cause, "%s: %s", path, strerror(errno));
		return cli_fail(cause);
	}
	while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_append(&b, chunk, r);
		if (b.len > (size_t)1 << 30) {
			fclose(f);
			buf_free(&b);
			xasprintf(&cause, "%s: too large to import", path);
			return cli_fail(cause);
		}
	}
	if (ferror(f)) {
		fclose(f);
		buf_free(&b);
		xasprintf(&cause, "%s: %s", path, strerror(errno));
		return cli_fail(cause);
	}
	fclose(f);
	if (store_import(s, buf_str(&b), b.len, &ids, &n, &sk, &nsk,
	    &cause) != 0) {
		buf_free(&b);
		xasprintf(&msg, "%s: %s", path, cause);
		free(cause);
		return cli_fail(msg);
	}
	buf_free(&b);
	printf("imported %zu conversation%s%s", n, n == 1 ? "" : "s",
	    n != 0 ? ":" : "");
	for (i = 0; i < n; i++)
		printf(" %lld", (long long)ids[i]);
	printf("\n");
	/* One line per conversation already here: not added again. */
	for (i = 0; i < nsk; i++) {
		printf("skipped \"");
		cli_put(stdout, sk[i].title, 0);
		printf("\" (uid %s): already here as conversation %lld\n",
		    sk[i].uid, (long long)sk[i].id);
	}
	store_import_skips_free(sk, nsk);
	free(ids);
	return 0;
}

/* ---- history delete -------------------------------------------------- */

static int
cmdh_delete(struct store *s, const struct cmdh_opts *o, int64_t id)
{
	struct store_conv	 c;
	char			*cause, *hist, line[64];
	int			 rv;

	if (store_conv_get(s, id, &c, &cause) != 0)
		return cli_fail(cause);
	if (!o->yes) {
		if (!isatty(STDIN_FILENO)) {
			store_conv_free(&c);
			fprintf(stderr, "medchat: not deleting conversation "
			    "%lld without confirmation: add --yes\n",
			    (long long)id);
			return 1;
		}
		fprintf(stderr, "Delete conversation %lld \"", (long long)id);
		cli_put(stderr, c.title, 0);
		fprintf(stderr, "\" (%d messages)? [y/N] ", c.n_messages);
		fflush(stderr);
		if (fgets(line, sizeof line, stdin) == NULL ||
		    (strcmp(line, "y\n") != 0 && strcmp(line, "yes\n") != 0 &&
		    strcmp(line, "Y\n") != 0)) {
			store_conv_free(&c);
			fprintf(stderr, "not deleted\n");
			return 1;
		}
	}
	store_conv_free(&c);
	/* Its questions leave the TUI's input history too. */
	hist = inhist_default_path();
	rv = inhist_delete_conv(s, id, hist, NULL, &cause);
	free(hist);
	if (rv < 0)
		return cli_fail(cause);
	printf("deleted conversation %lld\n", (long long)id);
	if (rv > 0)
		return cli_fail(cause);
	return 0;
}

/* ---- entry points ---------------------------------------------------- */

int
cli_history(int argc, char **argv)
{
	struct cmdh_opts	 o;
	struct store		*s;
	struct buf		 title = BUF_INIT;
	const char		*sub;
	char			*cause;
	int64_t			 id = 0;
	int			 first, rc, nargs, k;
	char			**args;

	if ((rc = cmdh_parse(argc, argv, &o, &first)) != 0) {
		fputs(cmdh_usage, rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	sub = first < argc ? argv[first] : "list";
	args = argv + first + (first < argc);
	nargs = argc - first - (first < argc);

	/* Check the operands before touching the database. */
	if (strcmp(sub, "list") == 0 || strcmp(sub, "search") == 0 ||
	    strcmp(sub, "export") == 0) {
		if (strcmp(sub, "list") == 0 && nargs != 0)
			goto usage;
	} else if (strcmp(sub, "show") == 0 || strcmp(sub, "delete") == 0 ||
	    strcmp(sub, "archive") == 0 || strcmp(sub, "unarchive") == 0) {
		if (nargs != 1)
			goto usage;
		if (cmdh_id(args[0], &id) != 0)
			return 2;
	} else if (strcmp(sub, "rename") == 0) {
		if (nargs < 2)
			goto usage;
		if (cmdh_id(args[0], &id) != 0)
			return 2;
		for (k = 1; k < nargs; k++) {
			if (k > 1)
				buf_putc(&title, ' ');
			buf_puts(&title, args[k]);
		}
		if (strspn(buf_str(&title), " \t\n") == title.len) {
			fprintf(stderr, "medchat: history rename: the title is "
			    "empty\n");
			buf_free(&title);
			return 2;
		}
		if (!utf8_valid(title.data, title.len)) {
			fprintf(stderr, "medchat: history rename: the title is "
			    "not valid UTF-8\n");
			buf_free(&title);
			return 2;
		}
	} else if (strcmp(sub, "import") == 0) {
		if (nargs != 1)
			goto usage;
	} else {
		fprintf(stderr, "medchat: unknown history command '");
		cli_put(stderr, sub, 0);
		fprintf(stderr, "'\n");
		goto usage;
	}

	if ((rc = cli_store_open(o.db, &s)) != 0) {
		buf_free(&title);
		return rc;
	}
	/* A read-only database: refuse before asking or reading files. */
	if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "search") != 0 && strcmp(sub, "export") != 0 &&
	    store_writable(s, sub, &cause) != 0) {
		store_close(s);
		buf_free(&title);
		return cli_fail(cause);
	}
	if (strcmp(sub, "list") == 0)
		rc = cmdh_list(s, &o);
	else if (strcmp(sub, "show") == 0)
		rc = cmdh_show(s, id);
	else if (strcmp(sub, "search") == 0)
		rc = cmdh_search(s, &o, nargs, args);
	else if (strcmp(sub, "export") == 0)
		rc = cmdh_export(s, &o, nargs, args);
	else if (strcmp(sub, "import") == 0)
		rc = cmdh_import(s, args[0]);
	else if (strcmp(sub, "delete") == 0)
		rc = cmdh_delete(s, &o, id);
	else if (strcmp(sub, "rename") == 0) {
		if (store_conv_rename(s, id, buf_str(&title), &cause) != 0)
			rc = cli_fail(cause);
		buf_free(&title);
	} else {
		if (store_conv_set_archived(s, id, strcmp(sub, "archive") == 0,
		    &cause) != 0)
			rc = cli_fail(cause);
	}
	store_close(s);
	if (rc == 0 && fflush(stdout) != 0) {
		fprintf(stderr, "medchat: writing output: %s\n",
		    strerror(errno));
		rc = 1;
	}
	return rc;

usage:
	fputs(cmdh_usage, stderr);
	return 2;
}
