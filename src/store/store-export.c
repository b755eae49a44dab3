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
 * every message, alternatives included, with times as ISO 8601 UTC with
 * milliseconds, 64-bit seeds as integers and rates as %.17g: importing
 * it and exporting again gives the same bytes (in a database where the
 * ids are free; otherwise only the ids differ).  The members are
 * written with the base layer's JSON writer (sjson.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sjson.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

struct json_member;

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
static void	 json_object(struct buf *, int, const void *,
		     const struct json_member *, size_t);
static void	 json_item(struct buf *, size_t, int);
static void	 json_end_array(struct buf *, size_t, int);
static void	 json_objects(struct buf *, int, int, const char *,
		     const void *, size_t, size_t, const struct json_member *,
		     size_t);

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

static int
export_uses_model(struct export_conv *v, size_t n, const char *sha)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nmodels; j++) {
			if (v[i].models[j].model_sha256 != NULL &&
			    strcmp(v[i].models[j].model_sha256, sha) == 0)
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
		if (export_uses_model(v, n, all[i].model_sha256))
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
 * value, and where it is in the struct.  One writer serves the
 * acknowledgements, the conversations and the messages.
 */
enum json_kind {
	JSON_STR,	/* char *, NULL as null */
	JSON_TITLE,	/* char *, "" (not named yet) as null */
	JSON_TIME,	/* int64_t ms, as ISO 8601 UTC with milliseconds */
	JSON_ID,	/* int64_t, 0 as null */
	JSON_INT,	/* int */
	JSON_BOOL,	/* int */
	JSON_DOUBLE,	/* double, as %.17g */
	JSON_ROLE,	/* enum store_role, by name */
	JSON_STATUS,	/* enum store_status, by name */
	JSON_SEED,	/* struct store_prov: seed, null without has_seed */
};

struct json_member {
	const char	*key;
	enum json_kind	 kind;
	size_t		 off;
};

/* Members named as their field: of an ack, a conversation, a message. */
#define A(kind, m)	{ #m, kind, offsetof(struct store_ack, m) }
#define C(kind, m)	{ #m, kind, offsetof(struct store_conv, m) }
#define M(kind, m)	{ #m, kind, offsetof(struct store_msg, m) }
#define P(kind, m)	{ #m, kind, offsetof(struct store_msg, prov.m) }
#define CM(kind, m)	{ #m, kind, offsetof(struct store_conv_model, m) }
static const struct json_member json_ack_members[] = {
	A(JSON_STR, advisory_version), A(JSON_STR, advisory_sha256),
	A(JSON_STR, model_file), A(JSON_STR, model_quant),
	A(JSON_STR, model_sha256), A(JSON_STR, os_user), A(JSON_TIME, time),
	A(JSON_STR, method)
};
static const struct json_member json_conv_members[] = {
	C(JSON_ID, id), C(JSON_STR, uid), C(JSON_TITLE, title),
	C(JSON_TIME, created),
	C(JSON_TIME, updated), C(JSON_STR, system),
	{ "template", JSON_STR, offsetof(struct store_conv, template_name) },
	C(JSON_STR, model_file), C(JSON_STR, model_sha256),
	C(JSON_STR, model_quant), C(JSON_STR, params_json),
	C(JSON_BOOL, archived), C(JSON_ID, current_leaf)
};
static const struct json_member json_msg_members[] = {
	M(JSON_ID, id),
	{ "parent", JSON_ID, offsetof(struct store_msg, parent_id) },
	M(JSON_ROLE, role), M(JSON_STATUS, status),
	M(JSON_TIME, created), M(JSON_TIME, updated), M(JSON_STR, error),
	P(JSON_STR, model_file), P(JSON_STR, model_quant),
	P(JSON_STR, model_sha256),
	{ "template", JSON_STR,
	    offsetof(struct store_msg, prov.template_name) },
	P(JSON_STR, params_json),
	{ "seed", JSON_SEED, offsetof(struct store_msg, prov) },
	P(JSON_INT, n_prompt), P(JSON_INT, n_gen), P(JSON_DOUBLE, prefill_tps),
	P(JSON_DOUBLE, decode_tps), P(JSON_BOOL, trimmed),
	P(JSON_STR, dropped_json), P(JSON_STR, system), M(JSON_STR, content)
};
static const struct json_member json_model_members[] = {
	CM(JSON_STR, model_file), CM(JSON_STR, model_quant),
	CM(JSON_STR, model_sha256), CM(JSON_INT, n_answers)
};
#undef A
#undef C
#undef CM
#undef M
#undef P

#define JSON_N(a)	(sizeof a / sizeof *a)

/*
 * Write "{" and the n members of the object at base, one a line at
 * indent (the first on the brace's line); the caller closes it.
 */
static void
json_object(struct buf *b, int indent, const void *base,
    const struct json_member *mb, size_t n)
{
	const struct store_prov	*p;
	const char		*at;
	char			 t[40];
	int64_t			 v;
	size_t			 i;

	buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		at = (const char *)base + mb[i].off;
		if (i == 0) {
			sjson_put_string(b, mb[i].key);
			buf_puts(b, ": ");
		} else
			sjson_put_key(b, indent, mb[i].key);
		switch (mb[i].kind) {
		case JSON_STR:
			sjson_put_string(b, *(char *const *)at);
			break;
		case JSON_TITLE:
			sjson_put_string(b, **(char *const *)at != '\0' ?
			    *(char *const *)at : NULL);
			break;
		case JSON_TIME:
			sjson_put_string(b, store_time_iso_ms(
			    *(const int64_t *)at, t, sizeof t));
			break;
		case JSON_ID:
			if ((v = *(const int64_t *)at) != 0)
				buf_printf(b, "%lld", (long long)v);
			else
				buf_puts(b, "null");
			break;
		case JSON_INT:
			buf_printf(b, "%d", *(const int *)at);
			break;
		case JSON_BOOL:
			buf_puts(b, *(const int *)at ? "true" : "false");
			break;
		case JSON_DOUBLE:
			buf_printf(b, "%.17g", *(const double *)at);
			break;
		case JSON_ROLE:
			sjson_put_string(b, store_role_name(
			    *(const enum store_role *)at));
			break;
		case JSON_STATUS:
			sjson_put_string(b, store_status_name(
			    *(const enum store_status *)at));
			break;
		case JSON_SEED:
			p = (const struct store_prov *)at;
			if (p->has_seed)
				buf_printf(b, "%llu",
				    (unsigned long long)p->seed);
			else
				buf_puts(b, "null");
			break;
		}
	}
}

/* Before element i of an array whose elements start at indent. */
static void
json_item(struct buf *b, size_t i, int indent)
{
	buf_printf(b, "%s%*s", i ? ",\n" : "\n", indent, "");
}

/* Close an array of n elements whose key is at indent. */
static void
json_end_array(struct buf *b, size_t n, int indent)
{
	if (n != 0)
		buf_printf(b, "\n%*s", indent, "");
	buf_putc(b, ']');
}

/*
 * "key": [...] at indent: the n objects of size sz from base, each on
 * its own line with its members at indent oindent.
 */
static void
json_objects(struct buf *b, int indent, int oindent, const char *key,
    const void *base, size_t n, size_t sz, const struct json_member *mb,
    size_t nmb)
{
	size_t	i;

	sjson_put_key(b, indent, key);
	buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		json_item(b, i, indent + 2);
		json_object(b, oindent, (const char *)base + i * sz, mb, nmb);
		buf_putc(b, '}');
	}
	json_end_array(b, n, indent);
}

static void
export_json(struct buf *b, const struct store_advisory *adv,
    struct export_conv *v, size_t n,
    struct store_ack *acks, size_t nacks)
{
	char	t[40];
	size_t	i;

	buf_printf(b, "{\"format\": \"%s\"", STORE_EXPORT_FORMAT);
	sjson_put_member_int(b, 2, "version", STORE_EXPORT_VERSION);
	sjson_put_member_string(b, 2, "exported", store_time_iso_ms(
	    store_now(), t, sizeof t));
	sjson_put_key(b, 2, "advisory");
	buf_puts(b, "{\"version\": ");
	sjson_put_string(b, adv->version);
	sjson_put_member_string(b, 4, "sha256", adv->sha256);
	buf_puts(b, "}");
	json_objects(b, 2, 6, "acknowledgements", acks, nacks, sizeof *acks,
	    json_ack_members, JSON_N(json_ack_members));
	sjson_put_key(b, 2, "conversations");
	buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		json_item(b, i, 4);
		json_object(b, 6, &v[i].c, json_conv_members,
		    JSON_N(json_conv_members));
		/* Derived (import ignores it): the models that answered. */
		json_objects(b, 6, 8, "models", v[i].models, v[i].nmodels,
		    sizeof *v[i].models, json_model_members,
		    JSON_N(json_model_members));
		json_objects(b, 6, 8, "messages", v[i].msgs, v[i].nmsgs,
		    sizeof *v[i].msgs, json_msg_members,
		    JSON_N(json_msg_members));
		buf_putc(b, '}');
	}
	json_end_array(b, n, 2);
	buf_puts(b, "\n}\n");
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

/* "file (quant, sha256 ...), N answers" of a model that answered. */
static void
text_model(struct buf *b, const struct store_conv_model *m)
{
	buf_printf(b, "%s (%s, sha256 %s), %d answer%s", m->model_file !=
	    NULL ? m->model_file : "unknown", m->model_quant != NULL ?
	    m->model_quant : "?", m->model_sha256 != NULL ? m->model_sha256 :
	    "?", m->n_answers, m->n_answers == 1 ? "" : "s");
}

static void
text_prov(struct buf *b, const struct store_msg *m, int md)
{
	const struct store_prov	*p = &m->prov;

	buf_puts(b, md ? "_Provenance: " : "  [provenance: ");
	buf_printf(b, "model %s", p->model_file != NULL ? p->model_file :
	    "unknown");
	buf_printf(b, " (%s, sha256 %s)", p->model_quant != NULL ?
	    p->model_quant : "quant unknown", p->model_sha256 != NULL ?
	    p->model_sha256 : "unknown");
	buf_printf(b, ", template %s", p->template_name != NULL ?
	    p->template_name : "model default");
	buf_printf(b, ", parameters %s", p->params_json != NULL ?
	    p->params_json : "default");
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
