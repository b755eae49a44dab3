/*
 * store-export.c -- conversations out to Markdown, text or JSON (read
 * back by store-import.c).
 *
 * Every export opens with a header naming the advisory (version, sha256)
 * and the acknowledgement records for the models that produced the
 * answers, so a transcript shown to someone else carries the warning and
 * the proof that it was accepted.  Each answer carries its provenance.
 * A conversation's models are the models of its answers
 * (store_conv_models), never its own model columns, which record only
 * what was last selected; the acknowledgements listed are those of the
 * models that answered.
 *
 * JSON ("format": "medchat-export", "version": 1) holds every column of
 * every message, alternatives included (a remote answer's endpoint,
 * model ids, fingerprint and parameters as sent only where it has them,
 * so a local answer is written as before), with times as ISO 8601 UTC with
 * milliseconds, 64-bit seeds as integers and rates as %.17g: importing
 * it and exporting again gives the same bytes (in a database where the
 * ids are free; otherwise only the ids differ).  The document is built
 * as a jansson tree and written by jansson, indented by two spaces
 * (jsonx.h writes the seeds beyond 2^63 and the rates as formatted).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

struct exp_member;

struct export_conv {
	struct store_conv	 c;
	struct store_msg	*msgs;		/* all, oldest first */
	size_t			 nmsgs;
	struct store_msg	*path;		/* the shown alternative path */
	size_t			 npath;
	struct store_conv_model	*models;	/* that answered, first first */
	size_t			 nmodels;
};

static int	 export_collect(struct store *, const int64_t *, size_t,
		     struct export_conv **, size_t *, char **);
static void	 export_free(struct export_conv *, size_t);
static void	 export_last_model(struct export_conv *);
static int	 export_uses_model(struct export_conv *, size_t,
		     const struct store_ack *);
static int	 export_acks(struct store *, struct export_conv *, size_t,
		     struct store_ack **, size_t *, char **);
static void	 export_json(struct buf *, const struct store_advisory *,
		    struct export_conv *, size_t,
		     struct store_ack *, size_t);
static void	 export_text(struct buf *, const struct store_advisory *,
		    struct export_conv *, size_t,
		     struct store_ack *, size_t, int);
static void	 text_model(struct buf *, const struct store_conv_model *);
static void	 text_system(struct buf *, const char *, int);
static json_t	*exp_object(const void *, const struct exp_member *,
		     size_t);
static void	 exp_objects(json_t *, const char *, const void *, size_t,
		     size_t, const struct exp_member *, size_t);

int
store_format_parse(const char *s, enum store_format *f)
{
	if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
		*f = STORE_FMT_MD;
	else if (strcmp(s, "json") == 0)
		*f = STORE_FMT_JSON;
	else if (strcmp(s, "txt") == 0 || strcmp(s, "text") == 0)
		*f = STORE_FMT_TXT;
	else
		return -1;
	return 0;
}

static int
export_cmp_id(const void *a, const void *b)
{
	const struct export_conv	*x = a, *y = b;

	return x->c.id < y->c.id ? -1 : x->c.id > y->c.id;
}

/* Read the conversations (all if n == 0) with their messages. */
static int
export_collect(struct store *s, const int64_t *ids, size_t n,
    struct export_conv **out, size_t *nout, char **cause)
{
	struct store_list_opts	 o;
	struct store_conv	*all = NULL;
	struct export_conv	*v;
	size_t			 nall = 0, i;

	*out = NULL;
	*nout = 0;
	if (n == 0) {
		memset(&o, 0, sizeof o);
		o.archived = -1;
		if (store_conv_list(s, &o, &all, &nall, cause) != 0)
			return -1;
		v = xcalloc(nall ? nall : 1, sizeof *v);
		for (i = 0; i < nall; i++)
			v[i].c = all[i];	/* moves the strings */
		free(all);
		n = nall;
		qsort(v, n, sizeof *v, export_cmp_id);
	} else {
		v = xcalloc(n, sizeof *v);
		for (i = 0; i < n; i++) {
			if (store_conv_get(s, ids[i], &v[i].c, cause) != 0) {
				export_free(v, i);
				return -1;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (store_msg_list(s, v[i].c.id, &v[i].msgs, &v[i].nmsgs,
		    cause) != 0 ||
		    store_msg_path(s, v[i].c.id, 0, &v[i].path, &v[i].npath,
		    cause) != 0 ||
		    store_conv_models(s, v[i].c.id, &v[i].models,
		    &v[i].nmodels, cause) != 0) {
			export_free(v, n);
			return -1;
		}
		export_last_model(&v[i]);
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * Make the conversation's model columns name the model of its latest
 * answer (none without an answer), as the JSON's conversation-level
 * "model_file"... say.
 */
static void
export_last_model(struct export_conv *e)
{
	const struct store_conv_model	*last = NULL;
	size_t				 i;

	for (i = 0; i < e->nmodels; i++) {
		if (last == NULL || e->models[i].last > last->last)
			last = &e->models[i];
	}
	free(e->c.model_file);
	free(e->c.model_quant);
	free(e->c.model_sha256);
	e->c.model_file = last != NULL && last->model_file != NULL ?
	    xstrdup(last->model_file) : NULL;
	e->c.model_quant = last != NULL && last->model_quant != NULL ?
	    xstrdup(last->model_quant) : NULL;
	e->c.model_sha256 = last != NULL && last->model_sha256 != NULL ?
	    xstrdup(last->model_sha256) : NULL;
}

static void
export_free(struct export_conv *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		store_conv_free(&v[i].c);
		store_msgs_free(v[i].msgs, v[i].nmsgs);
		store_msgs_free(v[i].path, v[i].npath);
		store_conv_models_free(v[i].models, v[i].nmodels);
	}
	free(v);
}

/*
 * Did an exported answer come from the model acknowledged by a: a file
 * by its sha256, a remote model by its endpoint URL and id?
 */
static int
export_uses_model(struct export_conv *v, size_t n, const struct store_ack *a)
{
	const struct store_conv_model	*m;
	size_t				 i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nmodels; j++) {
			m = &v[i].models[j];
			if (a->endpoint_url != NULL ? m->endpoint_url != NULL &&
			    m->remote_model != NULL && a->remote_model != NULL &&
			    strcmp(m->endpoint_url, a->endpoint_url) == 0 &&
			    strcmp(m->remote_model, a->remote_model) == 0 :
			    m->model_sha256 != NULL &&
			    strcmp(m->model_sha256, a->model_sha256) == 0)
				return 1;
		}
	}
	return 0;
}

/* The acknowledgements of the models used by the exported answers. */
static int
export_acks(struct store *s, struct export_conv *v, size_t n,
    struct store_ack **out, size_t *nout, char **cause)
{
	struct store_ack	*all;
	size_t			 nall, i, k = 0;

	if (store_ack_list(s, &all, &nall, cause) != 0)
		return -1;
	for (i = 0; i < nall; i++) {
		if (export_uses_model(v, n, &all[i]))
			all[k++] = all[i];
		else
			store_ack_free(&all[i]);
	}
	*out = all;
	*nout = k;
	return 0;
}

int
store_export(struct store *s, const int64_t *ids, size_t n,
    enum store_format fmt, FILE *out, char **cause)
{
	struct export_conv	*v;
	struct store_ack	*acks = NULL;
	struct buf		 b = BUF_INIT;
	size_t			 nv, nacks = 0;

	if (export_collect(s, ids, n, &v, &nv, cause) != 0)
		return -1;
	if (export_acks(s, v, nv, &acks, &nacks, cause) != 0) {
		export_free(v, nv);
		return -1;
	}
	if (fmt == STORE_FMT_JSON)
		export_json(&b, &s->adv, v, nv, acks, nacks);
	else
		export_text(&b, &s->adv, v, nv, acks, nacks, fmt == STORE_FMT_MD);
	export_free(v, nv);
	store_acks_free(acks, nacks);

	if (b.len != 0 && fwrite(b.data, 1, b.len, out) != b.len) {
		xasprintf(cause, "writing the export: %s", strerror(errno));
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	if (fflush(out) != 0 || ferror(out)) {
		xasprintf(cause, "writing the export: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- JSON out -------------------------------------------------------- */

/*
 * The members of an exported object, in order, as a table: what kind of
 * value, and where it is in the struct.  One builder serves the
 * acknowledgements, the conversations and the messages.
 */
enum exp_kind {
	EXP_STR,	/* char *, NULL as null */
	EXP_TITLE,	/* char *, "" (not named yet) as null */
	EXP_TIME,	/* int64_t ms, as ISO 8601 UTC with milliseconds */
	EXP_ID,		/* int64_t, 0 as null */
	EXP_INT,	/* int */
	EXP_BOOL,	/* int */
	EXP_DOUBLE,	/* double, as %.17g */
	EXP_ROLE,	/* enum store_role, by name */
	EXP_STATUS,	/* enum store_status, by name */
	EXP_SEED,	/* struct store_prov: seed, null without has_seed */
	EXP_OPT,	/* char *, left out when NULL (remote fields) */
};

struct exp_member {
	const char	*key;
	enum exp_kind	 kind;
	size_t		 off;
};

/* Members named as their field: of an ack, a conversation, a message. */
#define A(kind, m)	{ #m, kind, offsetof(struct store_ack, m) }
#define C(kind, m)	{ #m, kind, offsetof(struct store_conv, m) }
#define M(kind, m)	{ #m, kind, offsetof(struct store_msg, m) }
#define P(kind, m)	{ #m, kind, offsetof(struct store_msg, prov.m) }
#define CM(kind, m)	{ #m, kind, offsetof(struct store_conv_model, m) }
static const struct exp_member exp_ack_members[] = {
	A(EXP_STR, advisory_version), A(EXP_STR, advisory_sha256),
	A(EXP_STR, model_file), A(EXP_STR, model_quant),
	A(EXP_STR, model_sha256), A(EXP_STR, os_user), A(EXP_TIME, time),
	A(EXP_STR, method), A(EXP_OPT, endpoint_url), A(EXP_OPT, remote_model)
};
static const struct exp_member exp_conv_members[] = {
	C(EXP_ID, id), C(EXP_STR, uid), C(EXP_TITLE, title),
	C(EXP_TIME, created),
	C(EXP_TIME, updated), C(EXP_STR, system),
	{ "template", EXP_STR, offsetof(struct store_conv, template_name) },
	C(EXP_STR, model_file), C(EXP_STR, model_sha256),
	C(EXP_STR, model_quant), C(EXP_STR, params_json),
	C(EXP_BOOL, archived), C(EXP_ID, current_leaf)
};
static const struct exp_member exp_msg_members[] = {
	M(EXP_ID, id),
	{ "parent", EXP_ID, offsetof(struct store_msg, parent_id) },
	M(EXP_ROLE, role), M(EXP_STATUS, status),
	M(EXP_TIME, created), M(EXP_TIME, updated), M(EXP_STR, error),
	P(EXP_STR, model_file), P(EXP_STR, model_quant),
	P(EXP_STR, model_sha256),
	{ "template", EXP_STR,
	    offsetof(struct store_msg, prov.template_name) },
	P(EXP_STR, params_json),
	{ "seed", EXP_SEED, offsetof(struct store_msg, prov) },
	P(EXP_INT, n_prompt), P(EXP_INT, n_gen), P(EXP_DOUBLE, prefill_tps),
	P(EXP_DOUBLE, decode_tps), P(EXP_BOOL, trimmed),
	P(EXP_STR, dropped_json), P(EXP_STR, system), P(EXP_OPT, endpoint),
	P(EXP_OPT, endpoint_url), P(EXP_OPT, remote_model),
	P(EXP_OPT, server_model), P(EXP_OPT, fingerprint),
	P(EXP_OPT, request_json), M(EXP_STR, content)
};
static const struct exp_member exp_model_members[] = {
	CM(EXP_STR, model_file), CM(EXP_STR, model_quant),
	CM(EXP_STR, model_sha256), CM(EXP_OPT, endpoint_url),
	CM(EXP_OPT, remote_model), CM(EXP_INT, n_answers)
};
#undef A
#undef C
#undef CM
#undef M
#undef P

#define EXP_N(a)	(sizeof a / sizeof *a)

/* A new object of the n members of the struct at base. */
static json_t *
exp_object(const void *base, const struct exp_member *mb, size_t n)
{
	const struct store_prov	*p;
	const char		*at;
	json_t			*o, *v = NULL;
	char			 t[40];
	int64_t			 id;
	size_t			 i;

	o = jsonx_object();
	for (i = 0; i < n; i++) {
		at = (const char *)base + mb[i].off;
		switch (mb[i].kind) {
		case EXP_STR:
			v = jsonx_string(*(char *const *)at);
			break;
		case EXP_TITLE:
			v = jsonx_string(**(char *const *)at != '\0' ?
			    *(char *const *)at : NULL);
			break;
		case EXP_TIME:
			v = jsonx_string(store_time_iso_ms(
			    *(const int64_t *)at, t, sizeof t));
			break;
		case EXP_ID:
			id = *(const int64_t *)at;
			v = id != 0 ? json_integer(id) : json_null();
			break;
		case EXP_INT:
			v = json_integer(*(const int *)at);
			break;
		case EXP_BOOL:
			v = json_boolean(*(const int *)at);
			break;
		case EXP_DOUBLE:
			v = jsonx_number("%.17g", *(const double *)at);
			break;
		case EXP_ROLE:
			v = jsonx_string(store_role_name(
			    *(const enum store_role *)at));
			break;
		case EXP_STATUS:
			v = jsonx_string(store_status_name(
			    *(const enum store_status *)at));
			break;
		case EXP_SEED:
			p = (const struct store_prov *)at;
			v = p->has_seed ? jsonx_uint64_new(p->seed) :
			    json_null();
			break;
		case EXP_OPT:
			if (*(char *const *)at == NULL)
				continue;
			v = jsonx_string(*(char *const *)at);
			break;
		}
		jsonx_set(o, mb[i].key, v);
	}
	return o;
}

/* Member key of o: an array of the n structs of size sz at base. */
static void
exp_objects(json_t *o, const char *key, const void *base, size_t n,
    size_t sz, const struct exp_member *mb, size_t nmb)
{
	json_t	*a;
	size_t	 i;

	a = jsonx_array();
	for (i = 0; i < n; i++)
		jsonx_append(a, exp_object((const char *)base + i * sz, mb,
		    nmb));
	jsonx_set(o, key, a);
}

/*
 * The export as one JSON document, indented by jansson.  Each
 * conversation's messages are freed once they are in the tree, so the
 * messages are not held twice.
 */
static void
export_json(struct buf *b, const struct store_advisory *adv,
    struct export_conv *v, size_t n,
    struct store_ack *acks, size_t nacks)
{
	json_t	*root, *o, *convs;
	char	 t[40], *s;
	size_t	 i;

	root = jsonx_object();
	o = jsonx_object();
	convs = jsonx_array();
	jsonx_set(root, "format", jsonx_string(STORE_EXPORT_FORMAT));
	jsonx_set(root, "version", json_integer(STORE_EXPORT_VERSION));
	jsonx_set(root, "exported", jsonx_string(store_time_iso_ms(
	    store_now(), t, sizeof t)));
	jsonx_set(o, "version", jsonx_string(adv->version));
	jsonx_set(o, "sha256", jsonx_string(adv->sha256));
	jsonx_set(root, "advisory", o);
	exp_objects(root, "acknowledgements", acks, nacks, sizeof *acks,
	    exp_ack_members, EXP_N(exp_ack_members));
	for (i = 0; i < n; i++) {
		o = exp_object(&v[i].c, exp_conv_members,
		    EXP_N(exp_conv_members));
		/* Derived (import ignores it): the models that answered. */
		exp_objects(o, "models", v[i].models, v[i].nmodels,
		    sizeof *v[i].models, exp_model_members,
		    EXP_N(exp_model_members));
		exp_objects(o, "messages", v[i].msgs, v[i].nmsgs,
		    sizeof *v[i].msgs, exp_msg_members,
		    EXP_N(exp_msg_members));
		jsonx_append(convs, o);
		store_msgs_free(v[i].msgs, v[i].nmsgs);
		v[i].msgs = NULL;
		v[i].nmsgs = 0;
	}
	jsonx_set(root, "conversations", convs);
	s = jsonx_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	buf_puts(b, s);
	buf_putc(b, '\n');
	free(s);
}

/* ---- Markdown and text out ------------------------------------------- */

/*
 * The system message the answers from here on ran under (sys, NULL for
 * none), before the first answer and wherever it changes.
 */
static void
text_system(struct buf *b, const char *sys, int md)
{
	if (sys == NULL) {
		buf_puts(b, md ? "\n### No system message (for this answer "
		    "and the next, until it changes)\n" : "\n[No system "
		    "message, for this answer and the next until it "
		    "changes]\n");
		return;
	}
	buf_puts(b, md ? "\n### System message (for this answer and the "
	    "next, until it changes)\n\n" : "\n[System message, for this "
	    "answer and the next until it changes]\n\n");
	buf_puts(b, sys);
	if (*sys == '\0' || sys[strlen(sys) - 1] != '\n')
		buf_putc(b, '\n');
}

/*
 * "file (quant, sha256 ...), N answers" of a model that answered, or
 * "name (remote, URL), N answers".
 */
static void
text_model(struct buf *b, const struct store_conv_model *m)
{
	if (m->endpoint_url != NULL) {
		buf_printf(b, "%s (remote, %s), %d answer%s", m->model_file !=
		    NULL ? m->model_file : "unknown", m->endpoint_url,
		    m->n_answers, m->n_answers == 1 ? "" : "s");
		return;
	}
	buf_printf(b, "%s (%s, sha256 %s), %d answer%s", m->model_file !=
	    NULL ? m->model_file : "unknown", m->model_quant != NULL ?
	    m->model_quant : "?", m->model_sha256 != NULL ? m->model_sha256 :
	    "?", m->n_answers, m->n_answers == 1 ? "" : "s");
}

static void
text_prov(struct buf *b, const struct store_msg *m, int md)
{
	const struct store_prov	*p = &m->prov;
	char			*r;

	buf_puts(b, md ? "_Provenance: " : "  [provenance: ");
	if ((r = store_prov_remote(p)) != NULL) {
		/* The endpoint, model ids, template; then as sent. */
		buf_puts(b, r);
		free(r);
		buf_printf(b, ", parameters %s", p->params_json != NULL ?
		    p->params_json : "default");
		if (p->request_json != NULL)
			buf_printf(b, ", sent %s", p->request_json);
	} else {
		buf_printf(b, "model %s", p->model_file != NULL ?
		    p->model_file : "unknown");
		buf_printf(b, " (%s, sha256 %s)", p->model_quant != NULL ?
		    p->model_quant : "quant unknown", p->model_sha256 !=
		    NULL ? p->model_sha256 : "unknown");
		buf_printf(b, ", template %s", p->template_name != NULL ?
		    p->template_name : "model default");
		buf_printf(b, ", parameters %s", p->params_json != NULL ?
		    p->params_json : "default");
	}
	if (p->has_seed)
		buf_printf(b, ", seed %llu", (unsigned long long)p->seed);
	else
		buf_puts(b, ", seed unknown");
	buf_printf(b, ", %d prompt + %d generated tokens", p->n_prompt,
	    p->n_gen);
	if (p->decode_tps > 0)
		buf_printf(b, ", %.1f tok/s prefill, %.1f tok/s decode",
		    p->prefill_tps, p->decode_tps);
	if (p->trimmed)
		buf_printf(b, ", context trimmed (dropped %s)",
		    p->dropped_json != NULL ? p->dropped_json : "?");
	buf_puts(b, md ? "_\n" : "]\n");
}

static void
export_text(struct buf *b, const struct store_advisory *adv,
    struct export_conv *v, size_t n,
    struct store_ack *acks, size_t nacks, int md)
{
	const struct store_conv	*c;
	const struct store_msg	*m;
	char			 t[40], t2[40];
	size_t			 i, j, k, nalt;

	buf_puts(b, md ? "# medchat conversation export\n\n" :
	    "medchat conversation export\n===========================\n\n");
	buf_printf(b, "%sExported: %s\n", md ? "- " : "",
	    store_time_iso(store_now(), t, sizeof t));
	buf_printf(b, "%sAdvisory: version %s, sha256 %s\n", md ? "- " : "",
	    adv->version, adv->sha256);
	if (nacks == 0)
		buf_printf(b, "%sAcknowledgement: none recorded for the "
		    "models in this export\n", md ? "- " : "");
	for (i = 0; i < nacks; i++) {
		if (acks[i].endpoint_url != NULL) {
			buf_printf(b, "%sAcknowledged: advisory version %s "
			    "(sha256 %.12s...) by %s on %s via %s, for remote "
			    "model %s (%s at %s)\n", md ? "- " : "",
			    acks[i].advisory_version, acks[i].advisory_sha256,
			    acks[i].os_user, store_time_iso(acks[i].time, t,
			    sizeof t), acks[i].method, acks[i].model_file,
			    acks[i].remote_model != NULL ?
			    acks[i].remote_model : "?", acks[i].endpoint_url);
			continue;
		}
		buf_printf(b, "%sAcknowledged: advisory version %s (sha256 "
		    "%.12s...) by %s on %s via %s, for model %s (%s, sha256 "
		    "%s)\n", md ? "- " : "", acks[i].advisory_version,
		    acks[i].advisory_sha256, acks[i].os_user,
		    store_time_iso(acks[i].time, t, sizeof t), acks[i].method,
		    acks[i].model_file, acks[i].model_quant != NULL ?
		    acks[i].model_quant : "?", acks[i].model_sha256);
	}
	buf_printf(b, "\n%sThese answers were generated by a language model. "
	    "They are not medical advice, may be wrong, biased or out of "
	    "date, and must be checked against authoritative sources. In an "
	    "emergency call your local emergency number.\n",
	    md ? "> **Warning:** " : "WARNING: ");

	for (i = 0; i < n; i++) {
		c = &v[i].c;
		buf_printf(b, md ? "\n## %s\n\n" : "\n\n%s\n", c->title);
		if (!md)
			buf_puts(b, "----------------------------------------\n");
		buf_printf(b, "%sConversation %lld, created %s, updated %s%s\n",
		    md ? "- " : "", (long long)c->id,
		    store_time_iso(c->created, t, sizeof t),
		    store_time_iso(c->updated, t2, sizeof t2),
		    c->archived ? " (archived)" : "");
		for (k = 0; k < v[i].nmodels; k++) {
			if (k == 0)
				buf_printf(b, "%s%s: ", md ? "- " : "",
				    v[i].nmodels > 1 ? "Models" : "Model");
			else
				buf_puts(b, "; ");
			text_model(b, &v[i].models[k]);
			if (k + 1 == v[i].nmodels)
				buf_putc(b, '\n');
		}
		if (c->template_name != NULL)
			buf_printf(b, "%sTemplate: %s\n", md ? "- " : "",
			    c->template_name);
		if (c->system != NULL)
			buf_printf(b, "%sSystem message for the next answer: "
			    "%s\n", md ? "- " : "", c->system);
		for (j = 0; j < v[i].npath; j++) {
			m = &v[i].path[j];
			if (store_system_changes(v[i].path, v[i].npath, j))
				text_system(b, m->prov.system, md);
			nalt = 0;
			for (k = 0; k < v[i].nmsgs; k++) {
				if (v[i].msgs[k].parent_id == m->parent_id &&
				    v[i].msgs[k].role == m->role)
					nalt++;
			}
			buf_printf(b, md ? "\n### %s (%s)" : "\n[%s, %s]",
			    m->role == STORE_ROLE_USER ? "Question" :
			    m->role == STORE_ROLE_ASSISTANT ? "Answer" :
			    "System", store_time_iso(m->created, t, sizeof t));
			if (m->status != STORE_STATUS_COMPLETE)
				buf_printf(b, " [%s]",
				    store_status_name(m->status));
			if (nalt > 1)
				buf_printf(b, " (%zu alternatives kept, "
				    "this is the one shown)", nalt);
			buf_puts(b, "\n\n");
			buf_puts(b, m->content);
			if (m->content[0] == '\0' ||
			    m->content[strlen(m->content) - 1] != '\n')
				buf_putc(b, '\n');
			if (m->error != NULL)
				buf_printf(b, "%sError: %s\n", md ? "\n" : "",
				    m->error);
			if (m->role == STORE_ROLE_ASSISTANT) {
				buf_putc(b, '\n');
				text_prov(b, m, md);
			}
		}
	}
}
