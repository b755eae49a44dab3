/*
 * ask-store.c -- the store side of `medchat ask`.  See ask-store.h.
 *
 * Order of events, which is what makes `kill -9` at any moment safe:
 *   1. the advisory gate (nothing is generated without an acknowledgement
 *      of the current advisory for this model file's sha256);
 *   2. the question is committed (its own transaction) and a line on
 *      stderr says so -- the crash test relies on that line;
 *   3. each piece of the answer goes to the store before it is printed:
 *      the row appears at the first piece and is rewritten at most every
 *      250 ms, so what the database holds is always a prefix of what the
 *      user saw;
 *   4. the answer is finished with its status and provenance.
 * A process killed between 3 and 4 leaves a 'streaming' row that the
 * next store_open marks 'interrupted'.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "advisory.h"
#include "ask-store.h"
#include "buf.h"
#include "utf8.h"
#include "xmalloc.h"

struct ask_store {
	struct store		*s;
	struct store_stream	*ss;		/* NULL with --no-save */
	int64_t			 conv;
	struct engine_msg	*msgs;
	int64_t			*ids;		/* message id of msgs[i], 0 if none */
	char			**texts;	/* copies of the history's texts */
	int			 n;
	int			 warned;	/* a save error was reported */
	struct store_prov	 prov;
};

static int	 ask_store_gate(struct ask_store *, const struct ask_store_opts *,
		     const struct engine_info *, char **);
static void	 ask_store_free(struct ask_store *);

int
ask_store_getopt(struct ask_store_opts *o, int ch, const char *arg)
{
	char		*end;
	long long	 v;

	switch (ch) {
	case ASK_STORE_OPT_DB:
		o->db = arg;
		return 1;
	case ASK_STORE_OPT_CONTINUE:
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v <= 0) {
			fprintf(stderr, "medchat ask: --continue needs a "
			    "conversation id, not '%s'\n", arg);
			return -1;
		}
		o->continue_id = v;
		return 1;
	case ASK_STORE_OPT_NOSAVE:
		o->no_save = 1;
		return 1;
	case ASK_STORE_OPT_ACCEPT:
		o->accept_advisory = 1;
		return 1;
	}
	return 0;
}

char *
ask_store_params_json(const struct engine_sampling *p)
{
	char	*j;

	xasprintf(&j, "{\"temp\":%.9g,\"top_k\":%d,\"top_p\":%.9g,"
	    "\"min_p\":%.9g,\"repeat_penalty\":%.9g,\"repeat_last_n\":%d,"
	    "\"max_tokens\":%d,\"seed\":%llu}", (double)p->temp, p->top_k,
	    (double)p->top_p, (double)p->min_p, (double)p->repeat_penalty,
	    p->repeat_last_n, p->max_tokens, (unsigned long long)p->seed);
	return j;
}

void
ask_store_prov(struct store_prov *p, const struct engine_info *info,
    const char *sha256, const char *tmpl, const struct engine_sampling *smp)
{
	memset(p, 0, sizeof *p);
	p->model_file = xstrdup(info->file_name != NULL ? info->file_name :
	    "?");
	p->model_quant = info->quant != NULL ? xstrdup(info->quant) : NULL;
	p->model_sha256 = sha256 != NULL ? xstrdup(sha256) : NULL;
	if (tmpl == NULL)
		tmpl = info->template_name;
	p->template_name = tmpl != NULL ? xstrdup(tmpl) : NULL;
	p->params_json = ask_store_params_json(smp);
	p->seed = smp->seed;
	p->has_seed = 1;
}

/*
 * The advisory gate: 0 if this model's sha256 has an acknowledgement of
 * the current advisory (recording one now for --accept-advisory or an
 * interactive "I understand"), -1 and *cause otherwise.
 */
static int
ask_store_gate(struct ask_store *as, const struct ask_store_opts *o,
    const struct engine_info *info, char **cause)
{
	const char	*sha = as->prov.model_sha256;
	const char	*method = NULL;
	char		 line[128];
	size_t		 l;
	int		 rc;

	if ((rc = store_ack_check(as->s, sha, NULL, cause)) != 0)
		return rc == 1 ? 0 : -1;
	if (o->accept_advisory)
		method = "cli-flag";
	else if (isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
		fprintf(stderr, "%s\n", advisory_text());
		fprintf(stderr, "Model: %s (%s, sha256 %s)\n", info->file_name,
		    info->quant != NULL ? info->quant : "?", sha);
		fprintf(stderr, "Type \"I understand\" to accept and go on, "
		    "anything else to stop: ");
		fflush(stderr);
		if (fgets(line, sizeof line, stdin) != NULL) {
			l = strlen(line);
			while (l > 0 && (line[l - 1] == '\n' ||
			    line[l - 1] == '\r' || line[l - 1] == ' '))
				line[--l] = '\0';
			if (strcasecmp(line, "I understand") == 0)
				method = "cli-prompt";
		}
	}
	if (method == NULL) {
		xasprintf(cause, "%s: the model-risk advisory (version %s) has "
		    "not been accepted for this model file (sha256 %.16s...): "
		    "read it with 'medchat advisory', then run again with "
		    "--accept-advisory", info->file_name, advisory_version(),
		    sha);
		return -1;
	}
	return store_ack_record(as->s, info->file_name, info->quant, sha,
	    method, cause);
}

static void
ask_store_free(struct ask_store *as)
{
	int	i;

	if (as == NULL)
		return;
	store_stream_free(as->ss);
	for (i = 0; i < as->n; i++)
		free(as->texts[i]);
	free(as->texts);
	free(as->msgs);
	free(as->ids);
	store_prov_free(&as->prov);
	store_close(as->s);
	free(as);
}

int
ask_store_begin(const struct ask_store_opts *o, struct engine *eng,
    const char *system, const char *tmpl, const struct engine_sampling *smp,
    const char *question, struct ask_store **asp,
    const struct engine_msg **msgs, int *n, char **cause)
{
	const struct engine_info	*info = engine_get_info(eng);
	struct ask_store		*as;
	struct store_conv		 conv, init;
	struct store_msg		*path = NULL;
	struct stat			 sb;
	char				 sha[65];
	size_t				 npath = 0, i;
	int64_t				 parent = 0, uid;
	int				 k = 0, cached, rc;

	*asp = NULL;
	/*
	 * Text that is not UTF-8 (a Latin-1 terminal, a stray byte) is
	 * refused: stored raw it could not be exported losslessly, and
	 * replaced it would differ from what the model was asked.
	 */
	if (!utf8_valid(question, strlen(question))) {
		xasprintf(cause, "the question is not valid UTF-8 (check the "
		    "terminal's character encoding)");
		return -1;
	}
	if (system != NULL && !utf8_valid(system, strlen(system))) {
		xasprintf(cause, "the system message is not valid UTF-8");
		return -1;
	}
	as = xcalloc(1, sizeof *as);
	memset(&conv, 0, sizeof conv);
	if (store_open(o->db, advisory_ident(), &as->s, cause) != 0) {
		free(as);
		return -1;
	}
	/* Refuse before the (slow) hashing, not after the answer. */
	if (!o->no_save && store_writable(as->s, "save the conversation "
	    "(--no-save asks without saving)", cause) != 0)
		goto fail;
	if (store_n_interrupted(as->s) > 0)
		fprintf(stderr, "medchat ask: %d unfinished answer%s from an "
		    "earlier run marked interrupted\n",
		    store_n_interrupted(as->s),
		    store_n_interrupted(as->s) == 1 ? "" : "s");

	/* The model file's identity (hashed once, then cached). */
	cached = 0;
	memset(&sb, 0, sizeof sb);
	if (stat(info->path, &sb) == 0)
		cached = store_model_cached_sha256(as->s, info->path,
		    (uint64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec *
		    1000000000 + sb.st_mtim.tv_nsec, sha, cause);
	if (cached < 0)
		goto fail;
	if (cached == 0) {
		if (sb.st_size > (1 << 28))
			fprintf(stderr, "medchat ask: computing the SHA-256 of "
			    "%s (once per file)...\n", info->file_name);
		if (store_model_sha256(as->s, info->path, sha, NULL,
		    cause) != 0)
			goto fail;
	}
	ask_store_prov(&as->prov, info, sha, tmpl, smp);

	if (ask_store_gate(as, o, info, cause) != 0)
		goto fail;

	/* The conversation so far. */
	if (o->continue_id != 0) {
		if (store_conv_get(as->s, o->continue_id, &conv, cause) != 0 ||
		    store_msg_path(as->s, o->continue_id, 0, &path, &npath,
		    cause) != 0)
			goto fail;
		if (system == NULL)
			system = conv.system;
	}
	as->msgs = xcalloc(npath + 2, sizeof *as->msgs);
	as->ids = xcalloc(npath + 2, sizeof *as->ids);
	as->texts = xcalloc(npath + 2, sizeof *as->texts);
	if (system != NULL && *system != '\0') {
		as->texts[k] = xstrdup(system);
		as->msgs[k].role = ENGINE_SYSTEM;
		as->msgs[k].text = as->texts[k];
		k++;
	}
	for (i = 0; i < npath; i++) {
		parent = path[i].id;
		if (path[i].role == STORE_ROLE_SYSTEM ||
		    path[i].content[0] == '\0')
			continue;
		as->texts[k] = xstrdup(path[i].content);
		as->msgs[k].role = path[i].role == STORE_ROLE_USER ?
		    ENGINE_USER : ENGINE_ASSISTANT;
		as->msgs[k].text = as->texts[k];
		as->ids[k] = path[i].id;
		k++;
	}
	as->texts[k] = xstrdup(question);
	as->msgs[k].role = ENGINE_USER;
	as->msgs[k].text = as->texts[k];
	as->n = ++k;
	store_msgs_free(path, npath);
	path = NULL;

	if (!o->no_save) {
		if (o->continue_id == 0) {
			memset(&init, 0, sizeof init);
			init.system = system != NULL ? xstrdup(system) : NULL;
			init.template_name = as->prov.template_name;
			init.model_file = as->prov.model_file;
			init.model_sha256 = as->prov.model_sha256;
			init.model_quant = as->prov.model_quant;
			init.params_json = as->prov.params_json;
			rc = store_conv_create(as->s, &init, &as->conv,
			    cause);
			free(init.system);
			if (rc != 0)
				goto fail;
		} else {
			as->conv = o->continue_id;
			if ((system != NULL && (conv.system == NULL ||
			    strcmp(system, conv.system) != 0) &&
			    store_conv_set_system(as->s, as->conv, system,
			    cause) != 0) ||
			    store_conv_set_model(as->s, as->conv,
			    as->prov.model_file, as->prov.model_sha256,
			    as->prov.model_quant, cause) != 0)
				goto fail;
		}
		if (store_msg_add(as->s, as->conv, parent, STORE_ROLE_USER,
		    question, STORE_STATUS_COMPLETE, NULL, &uid, cause) != 0)
			goto fail;
		as->ids[as->n - 1] = uid;
		fprintf(stderr, "[question saved as message %lld of "
		    "conversation %lld; continue with --continue %lld]\n",
		    (long long)uid, (long long)as->conv, (long long)as->conv);
		fflush(stderr);
		as->ss = store_stream_start(as->s, as->conv, uid, &as->prov);
	}
	store_conv_free(&conv);
	*asp = as;
	*msgs = as->msgs;
	*n = as->n;
	return 0;

fail:
	store_msgs_free(path, npath);
	store_conv_free(&conv);
	ask_store_free(as);
	return -1;
}

void
ask_store_emit(struct ask_store *as, const char *text, size_t len)
{
	char	*cause = NULL;

	if (as == NULL || as->ss == NULL)
		return;
	if (store_stream_append(as->ss, text, len, &cause) != 0) {
		if (!as->warned)
			fprintf(stderr, "\nmedchat ask: the answer is not "
			    "being saved: %s\n", cause);
		as->warned = 1;
		free(cause);
	}
}

int
ask_store_end(struct ask_store *as, int rv, const struct engine_result *res,
    const char *errtext)
{
	enum store_status	 st;
	struct buf		 b = BUF_INIT;
	char			*cause = NULL;
	int			 i, rc = 0, d;
	int64_t			 id;

	if (as == NULL)
		return 0;
	if (as->ss == NULL) {
		ask_store_free(as);
		return 0;
	}
	if (rv != 0)
		st = STORE_STATUS_ERROR;
	else if (res->stop == ENGINE_STOP_CANCEL)
		st = STORE_STATUS_CANCELLED;
	else
		st = STORE_STATUS_COMPLETE;
	if (rv == 0) {
		as->prov.n_prompt = res->n_prompt;
		as->prov.n_gen = res->n_gen;
		as->prov.prefill_tps = res->prefill_tps;
		as->prov.decode_tps = res->decode_tps;
		as->prov.trimmed = res->trimmed != 0;
		if (res->trimmed) {
			buf_putc(&b, '[');
			for (i = 0; i < res->n_dropped && i < 64; i++) {
				d = res->dropped[i];
				if (d < 0 || d >= as->n || as->ids[d] == 0)
					continue;
				buf_printf(&b, "%s%lld", b.len > 1 ? "," : "",
				    (long long)as->ids[d]);
			}
			buf_putc(&b, ']');
			free(as->prov.dropped_json);
			as->prov.dropped_json = buf_detach(&b);
		}
	}
	if (store_stream_finish(as->ss, st, rv != 0 ? (errtext != NULL ?
	    errtext : "generation failed") : NULL, &as->prov, &id,
	    &cause) != 0) {
		fprintf(stderr, "medchat ask: the answer was not saved: %s\n",
		    cause);
		free(cause);
		rc = -1;
	}
	ask_store_free(as);
	return rc;
}
