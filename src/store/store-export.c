/*
 * store-export.c -- conversations out to Markdown, text or JSON, and back
 * in from JSON.
 *
 * Every export opens with a header naming the advisory (version, sha256)
 * and the acknowledgement records for the models that produced the
 * answers, so a transcript shown to someone else carries the warning and
 * the proof that it was accepted.  Each answer carries its provenance.
 *
 * JSON ("format": "medchat-export", "version": 1) holds every column of
 * every message, alternatives included, with times as ISO 8601 UTC with
 * milliseconds, 64-bit seeds as integers and rates as %.17g: importing
 * it and exporting again gives the same bytes (in a database where the
 * ids are free; otherwise only the ids differ).  The JSON read back is
 * untrusted: every field is type-checked, parents must come earlier in
 * the same conversation (so no cycles), and it all goes in one
 * transaction or not at all.
 *
 * Acknowledgements in an export are imported too, as records: each keeps
 * its fields but its method becomes "import:<method>", and the advisory
 * gate (store_ack_check) ignores such rows -- an acknowledgement given by
 * someone else, or on another machine, must not let this database's user
 * skip the advisory.  A record already present (as imported or as the
 * original) is not added again, so importing a file twice changes nothing
 * the second time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sjson.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

#define EXPORT_FORMAT	"medchat-export"
#define EXPORT_VERSION	1

struct export_conv {
	struct store_conv	 c;
	struct store_msg	*msgs;		/* all, oldest first */
	size_t			 nmsgs;
	struct store_msg	*path;		/* the shown alternative path */
	size_t			 npath;
};

static int	 export_collect(struct store *, const int64_t *, size_t,
		     struct export_conv **, size_t *, char **);
static void	 export_free(struct export_conv *, size_t);
static int	 export_acks(struct store *, struct export_conv *, size_t,
		     struct store_ack **, size_t *, char **);
static void	 export_json(struct buf *, const struct store_advisory *,
		    struct export_conv *, size_t,
		     struct store_ack *, size_t);
static void	 export_text(struct buf *, const struct store_advisory *,
		    struct export_conv *, size_t,
		     struct store_ack *, size_t, int);

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
		    cause) != 0) {
			export_free(v, n);
			return -1;
		}
	}
	*out = v;
	*nout = n;
	return 0;
}

static void
export_free(struct export_conv *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		store_conv_free(&v[i].c);
		store_msgs_free(v[i].msgs, v[i].nmsgs);
		store_msgs_free(v[i].path, v[i].npath);
	}
	free(v);
}

static int
export_uses_model(struct export_conv *v, size_t n, const char *sha)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		if (v[i].c.model_sha256 != NULL &&
		    strcmp(v[i].c.model_sha256, sha) == 0)
			return 1;
		for (j = 0; j < v[i].nmsgs; j++) {
			if (v[i].msgs[j].prov.model_sha256 != NULL &&
			    strcmp(v[i].msgs[j].prov.model_sha256, sha) == 0)
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

static void
json_key(struct buf *b, int indent, const char *key)
{
	buf_printf(b, ",\n%*s", indent, "");
	sjson_put_string(b, key);
	buf_puts(b, ": ");
}

static void
json_str(struct buf *b, int indent, const char *key, const char *v)
{
	json_key(b, indent, key);
	sjson_put_string(b, v);
}

static void
json_time(struct buf *b, int indent, const char *key, int64_t ms)
{
	char	t[40];

	json_key(b, indent, key);
	sjson_put_string(b, store_time_iso_ms(ms, t, sizeof t));
}

static void
json_i64(struct buf *b, int indent, const char *key, int64_t v)
{
	json_key(b, indent, key);
	buf_printf(b, "%lld", (long long)v);
}

static void
json_f64(struct buf *b, int indent, const char *key, double v)
{
	json_key(b, indent, key);
	buf_printf(b, "%.17g", v);
}

static void
json_ack(struct buf *b, const struct store_ack *a)
{
	char	t[40];

	buf_puts(b, "{\"advisory_version\": ");
	sjson_put_string(b, a->advisory_version);
	json_str(b, 6, "advisory_sha256", a->advisory_sha256);
	json_str(b, 6, "model_file", a->model_file);
	json_str(b, 6, "model_quant", a->model_quant);
	json_str(b, 6, "model_sha256", a->model_sha256);
	json_str(b, 6, "os_user", a->os_user);
	json_str(b, 6, "time", store_time_iso_ms(a->time, t, sizeof t));
	json_str(b, 6, "method", a->method);
	buf_puts(b, "}");
}

static void
json_msg(struct buf *b, const struct store_msg *m)
{
	const struct store_prov	*p = &m->prov;

	buf_printf(b, "{\"id\": %lld", (long long)m->id);
	json_key(b, 8, "parent");
	if (m->parent_id != 0)
		buf_printf(b, "%lld", (long long)m->parent_id);
	else
		buf_puts(b, "null");
	json_str(b, 8, "role", store_role_name(m->role));
	json_str(b, 8, "status", store_status_name(m->status));
	json_time(b, 8, "created", m->created);
	json_time(b, 8, "updated", m->updated);
	json_str(b, 8, "error", m->error);
	json_str(b, 8, "model_file", p->model_file);
	json_str(b, 8, "model_quant", p->model_quant);
	json_str(b, 8, "model_sha256", p->model_sha256);
	json_str(b, 8, "template", p->template_name);
	json_str(b, 8, "params_json", p->params_json);
	json_key(b, 8, "seed");
	if (p->has_seed)
		buf_printf(b, "%llu", (unsigned long long)p->seed);
	else
		buf_puts(b, "null");
	json_i64(b, 8, "n_prompt", p->n_prompt);
	json_i64(b, 8, "n_gen", p->n_gen);
	json_f64(b, 8, "prefill_tps", p->prefill_tps);
	json_f64(b, 8, "decode_tps", p->decode_tps);
	json_key(b, 8, "trimmed");
	buf_puts(b, p->trimmed ? "true" : "false");
	json_str(b, 8, "dropped_json", p->dropped_json);
	json_str(b, 8, "content", m->content);
	buf_puts(b, "}");
}

static void
export_json(struct buf *b, const struct store_advisory *adv,
    struct export_conv *v, size_t n,
    struct store_ack *acks, size_t nacks)
{
	struct store_conv	*c;
	size_t			 i, j;

	buf_printf(b, "{\"format\": \"%s\"", EXPORT_FORMAT);
	json_i64(b, 2, "version", EXPORT_VERSION);
	json_time(b, 2, "exported", store_now());
	json_key(b, 2, "advisory");
	buf_puts(b, "{\"version\": ");
	sjson_put_string(b, adv->version);
	json_str(b, 4, "sha256", adv->sha256);
	buf_puts(b, "}");
	json_key(b, 2, "acknowledgements");
	buf_puts(b, "[");
	for (i = 0; i < nacks; i++) {
		buf_puts(b, i ? ",\n    " : "\n    ");
		json_ack(b, &acks[i]);
	}
	buf_puts(b, nacks ? "\n  ]" : "]");
	json_key(b, 2, "conversations");
	buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		c = &v[i].c;
		buf_puts(b, i ? ",\n    " : "\n    ");
		buf_printf(b, "{\"id\": %lld", (long long)c->id);
		json_str(b, 6, "title", c->title);
		json_time(b, 6, "created", c->created);
		json_time(b, 6, "updated", c->updated);
		json_str(b, 6, "system", c->system);
		json_str(b, 6, "template", c->template_name);
		json_str(b, 6, "model_file", c->model_file);
		json_str(b, 6, "model_sha256", c->model_sha256);
		json_str(b, 6, "model_quant", c->model_quant);
		json_str(b, 6, "params_json", c->params_json);
		json_key(b, 6, "archived");
		buf_puts(b, c->archived ? "true" : "false");
		json_key(b, 6, "current_leaf");
		if (c->current_leaf != 0)
			buf_printf(b, "%lld", (long long)c->current_leaf);
		else
			buf_puts(b, "null");
		json_key(b, 6, "messages");
		buf_puts(b, "[");
		for (j = 0; j < v[i].nmsgs; j++) {
			buf_puts(b, j ? ",\n        " : "\n        ");
			json_msg(b, &v[i].msgs[j]);
		}
		buf_puts(b, v[i].nmsgs ? "\n      ]}" : "]}");
	}
	buf_puts(b, n ? "\n  ]\n}\n" : "]\n}\n");
}

/* ---- Markdown and text out ------------------------------------------- */

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
		if (c->model_file != NULL)
			buf_printf(b, "%sModel: %s (%s, sha256 %s)\n",
			    md ? "- " : "", c->model_file,
			    c->model_quant != NULL ? c->model_quant : "?",
			    c->model_sha256 != NULL ? c->model_sha256 : "?");
		if (c->template_name != NULL)
			buf_printf(b, "%sTemplate: %s\n", md ? "- " : "",
			    c->template_name);
		if (c->system != NULL)
			buf_printf(b, "%sSystem message: %s\n", md ? "- " : "",
			    c->system);
		for (j = 0; j < v[i].npath; j++) {
			m = &v[i].path[j];
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

/* ---- JSON in --------------------------------------------------------- */

struct import_ctx {
	struct store	*s;
	char		*cause;
	const char	*where;		/* "conversation 3, message 7" */
	char		 wbuf[96];
};

static int
import_err(struct import_ctx *x, const char *what)
{
	if (x->cause == NULL)
		xasprintf(&x->cause, "import: %s: %s", x->where, what);
	return -1;
}

/* import_err with "\"<key>\" <what>". */
static int
import_err_key(struct import_ctx *x, const char *key, const char *what)
{
	char	*m;
	int	 rc;

	xasprintf(&m, "\"%s\" %s", key, what);
	rc = import_err(x, m);
	free(m);
	return rc;
}

/* Optional string member: 0 and *out (NULL for null/absent), or -1. */
static int
import_str(struct import_ctx *x, const struct sjson *o, const char *key,
    const char **out, int required)
{
	const struct sjson	*v = sjson_get(o, key);
	char			*m;
	int			 rc;

	*out = NULL;
	if (v == NULL || v->type == SJSON_NULL) {
		if (!required)
			return 0;
		xasprintf(&m, "missing \"%s\"", key);
		rc = import_err(x, m);
		free(m);
		return rc;
	}
	if (v->type != SJSON_STRING)
		return import_err_key(x, key, "is not a string");
	*out = v->str;
	return 0;
}

static int
import_time(struct import_ctx *x, const struct sjson *o, const char *key,
    int64_t *ms)
{
	const char	*s;

	if (import_str(x, o, key, &s, 1) != 0)
		return -1;
	if (store_time_parse(s, ms) != 0)
		return import_err_key(x, key, "is not a UTC time");
	return 0;
}

static int
import_int(struct import_ctx *x, const struct sjson *o, const char *key,
    int64_t *v, int64_t lo, int64_t hi)
{
	if (sjson_int64(sjson_get(o, key), v) != 0 || *v < lo || *v > hi)
		return import_err_key(x, key, "is not a valid integer");
	return 0;
}

static int
import_bool(struct import_ctx *x, const struct sjson *o, const char *key,
    int *v)
{
	const struct sjson	*b = sjson_get(o, key);

	if (b == NULL || (b->type != SJSON_TRUE && b->type != SJSON_FALSE))
		return import_err_key(x, key, "is not true or false");
	*v = b->type == SJSON_TRUE;
	return 0;
}

/* 1 if any of the ids is taken in table (conversations or messages). */
static int
import_taken(struct import_ctx *x, const char *sql, int64_t id, int *taken)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (store_prepare(x->s, &st, sql, &x->cause) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		*taken = 1;
	else if (rc != SQLITE_DONE)
		return store_fail(x->s, sqlite3_extended_errcode(x->s->db),
		    "importing", &x->cause);
	return 0;
}

/* s is 64 lowercase hex digits. */
static int
import_is_sha256(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/*
 * A required (or, with !required, nullable) string of 1..max bytes of
 * UTF-8 without control characters.
 */
static int
import_name(struct import_ctx *x, const struct sjson *o, const char *key,
    const char **out, size_t max, int required)
{
	const unsigned char	*p;
	size_t			 len;

	if (import_str(x, o, key, out, required) != 0)
		return -1;
	if (*out == NULL)
		return 0;
	len = strlen(*out);
	for (p = (const unsigned char *)*out; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			break;
	}
	if (len == 0 || len > max || *p != '\0' || !utf8_valid(*out, len))
		return import_err_key(x, key, "is not a valid name");
	return 0;
}

/*
 * Import the "acknowledgements" array (absent = none) inside the
 * caller's transaction; see the top of the file.
 */
static int
import_acks(struct import_ctx *x, const struct sjson *root)
{
	static const char *const methods[] = { "tui", "cli-flag", "cli-prompt" };
	static const char *const sql[2] = {
		"SELECT 1 FROM advisory_acks WHERE advisory_version = ?1 AND "
		    "advisory_sha256 = ?2 AND model_file = ?3 AND model_quant "
		    "IS ?4 AND model_sha256 = ?5 AND os_user = ?6 AND time = ?7 "
		    "AND method IN (?8, ?9)",
		"INSERT INTO advisory_acks (advisory_version, advisory_sha256, "
		    "model_file, model_quant, model_sha256, os_user, time, "
		    "method) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9)"
	};
	const struct sjson	*acks, *ja;
	const char		*ver, *asha, *mf, *mq, *msha, *user, *method;
	char			*imported = NULL;
	sqlite3_stmt		*st;
	int64_t			 t;
	size_t			 i, k;
	int			 rc;

	acks = sjson_get(root, "acknowledgements");
	if (acks == NULL || acks->type == SJSON_NULL)
		return 0;
	x->where = "the file";
	if (acks->type != SJSON_ARRAY)
		return import_err(x, "\"acknowledgements\" is not an array");
	for (i = 0; i < acks->n; i++) {
		ja = acks->items[i];
		snprintf(x->wbuf, sizeof x->wbuf, "acknowledgement %zu", i + 1);
		x->where = x->wbuf;
		if (ja->type != SJSON_OBJECT)
			return import_err(x, "not an object");
		if (import_name(x, ja, "advisory_version", &ver, 64, 1) != 0 ||
		    import_str(x, ja, "advisory_sha256", &asha, 1) != 0 ||
		    import_name(x, ja, "model_file", &mf, 4096, 1) != 0 ||
		    import_name(x, ja, "model_quant", &mq, 64, 0) != 0 ||
		    import_str(x, ja, "model_sha256", &msha, 1) != 0 ||
		    import_name(x, ja, "os_user", &user, 256, 1) != 0 ||
		    import_time(x, ja, "time", &t) != 0 ||
		    import_str(x, ja, "method", &method, 1) != 0)
			return -1;
		if (!import_is_sha256(asha))
			return import_err_key(x, "advisory_sha256", "is not 64 "
			    "lowercase hex digits");
		if (!import_is_sha256(msha))
			return import_err_key(x, "model_sha256", "is not 64 "
			    "lowercase hex digits");
		if (strncmp(method, "import:", 7) == 0)
			method += 7;
		for (k = 0; k < sizeof methods / sizeof *methods; k++) {
			if (strcmp(method, methods[k]) == 0)
				break;
		}
		if (k == sizeof methods / sizeof *methods)
			return import_err_key(x, "method", "is not known");

		/* Add it unless it is here, imported or as the original. */
		xasprintf(&imported, "import:%s", method);
		for (k = 0; k < 2; k++) {
			if (store_prepare(x->s, &st, sql[k], &x->cause) != 0)
				goto fail;
			store_bind_text(st, 1, ver);
			store_bind_text(st, 2, asha);
			store_bind_text(st, 3, mf);
			store_bind_text(st, 4, mq);
			store_bind_text(st, 5, msha);
			store_bind_text(st, 6, user);
			sqlite3_bind_int64(st, 7, t);
			store_bind_text(st, 8, method);
			store_bind_text(st, 9, imported);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
				store_fail(x->s, sqlite3_extended_errcode(
				    x->s->db), "importing", &x->cause);
				goto fail;
			}
			if (rc == SQLITE_ROW)
				break;
		}
		free(imported);
		imported = NULL;
	}
	return 0;

fail:
	free(imported);
	return -1;
}

/* Import one conversation object (inside the caller's transaction). */
static int
import_conv(struct import_ctx *x, const struct sjson *jc, int64_t *newid)
{
	const struct sjson	*msgs, *jm, *seed;
	const char		*title, *sys, *tmpl, *mf, *msha, *mq, *pj;
	const char		*role_s, *status_s, *content, *err;
	struct store_prov	 p;
	enum store_role		 role;
	enum store_status	 status;
	sqlite3_stmt		*st;
	int64_t			 cid, created, updated, leaf = 0, mid, parent;
	int64_t			*oldids = NULL, *newids = NULL, v, cid_new;
	int			 archived, taken = 0, keep, rc = -1, trimmed;
	size_t			 i, j;

	snprintf(x->wbuf, sizeof x->wbuf, "a conversation");
	x->where = x->wbuf;
	if (jc->type != SJSON_OBJECT)
		return import_err(x, "not an object");
	if (import_int(x, jc, "id", &cid, 1, INT64_MAX) != 0)
		return -1;
	snprintf(x->wbuf, sizeof x->wbuf, "conversation %lld",
	    (long long)cid);
	if (import_str(x, jc, "title", &title, 1) != 0 ||
	    import_time(x, jc, "created", &created) != 0 ||
	    import_time(x, jc, "updated", &updated) != 0 ||
	    import_str(x, jc, "system", &sys, 0) != 0 ||
	    import_str(x, jc, "template", &tmpl, 0) != 0 ||
	    import_str(x, jc, "model_file", &mf, 0) != 0 ||
	    import_str(x, jc, "model_sha256", &msha, 0) != 0 ||
	    import_str(x, jc, "model_quant", &mq, 0) != 0 ||
	    import_str(x, jc, "params_json", &pj, 0) != 0 ||
	    import_bool(x, jc, "archived", &archived) != 0)
		return -1;
	if (sjson_get(jc, "current_leaf") != NULL &&
	    sjson_get(jc, "current_leaf")->type != SJSON_NULL &&
	    import_int(x, jc, "current_leaf", &leaf, 1, INT64_MAX) != 0)
		return -1;
	msgs = sjson_get(jc, "messages");
	if (msgs == NULL || msgs->type != SJSON_ARRAY)
		return import_err(x, "\"messages\" is not an array");

	/* Keep the ids if none is taken. */
	if (import_taken(x, "SELECT 1 FROM conversations WHERE id = ?", cid,
	    &taken) != 0)
		return -1;
	oldids = xcalloc(msgs->n + 1, sizeof *oldids);
	newids = xcalloc(msgs->n + 1, sizeof *newids);
	for (i = 0; i < msgs->n; i++) {
		jm = msgs->items[i];
		if (jm->type != SJSON_OBJECT ||
		    sjson_int64(sjson_get(jm, "id"), &v) != 0 || v < 1) {
			snprintf(x->wbuf, sizeof x->wbuf, "conversation %lld, "
			    "message %zu", (long long)cid, i + 1);
			import_err(x, "no valid \"id\"");
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (oldids[j] == v) {
				snprintf(x->wbuf, sizeof x->wbuf,
				    "conversation %lld", (long long)cid);
				import_err(x, "two messages have the same id");
				goto out;
			}
		}
		oldids[i] = v;
		if (!taken && import_taken(x, "SELECT 1 FROM messages WHERE "
		    "id = ?", v, &taken) != 0)
			goto out;
	}
	keep = !taken;

	if (store_prepare(x->s, &st, "INSERT INTO conversations (id, title, "
	    "created, updated, system, template, model_file, model_sha256, "
	    "model_quant, params_json, archived) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &x->cause) != 0)
		goto out;
	if (keep)
		sqlite3_bind_int64(st, 1, cid);
	else
		sqlite3_bind_null(st, 1);
	store_bind_text(st, 2, title);
	sqlite3_bind_int64(st, 3, created);
	sqlite3_bind_int64(st, 4, updated);
	store_bind_text(st, 5, sys);
	store_bind_text(st, 6, tmpl);
	store_bind_text(st, 7, mf);
	store_bind_text(st, 8, msha);
	store_bind_text(st, 9, mq);
	store_bind_text(st, 10, pj);
	sqlite3_bind_int(st, 11, archived);
	if (store_step_done(x->s, st, "importing", &x->cause) != 0)
		goto out;
	cid_new = sqlite3_last_insert_rowid(x->s->db);

	for (i = 0; i < msgs->n; i++) {
		jm = msgs->items[i];
		snprintf(x->wbuf, sizeof x->wbuf, "conversation %lld, message "
		    "%lld", (long long)cid, (long long)oldids[i]);
		memset(&p, 0, sizeof p);
		parent = 0;
		if (sjson_get(jm, "parent") != NULL &&
		    sjson_get(jm, "parent")->type != SJSON_NULL) {
			if (import_int(x, jm, "parent", &v, 1, INT64_MAX) != 0)
				goto out;
			for (j = 0; j < i; j++) {
				if (oldids[j] == v)
					break;
			}
			if (j == i) {
				import_err(x, "the parent is not an earlier "
				    "message of the conversation");
				goto out;
			}
			parent = newids[j];
		}
		if (import_str(x, jm, "role", &role_s, 1) != 0 ||
		    import_str(x, jm, "status", &status_s, 1) != 0 ||
		    import_str(x, jm, "content", &content, 1) != 0 ||
		    import_str(x, jm, "error", &err, 0) != 0 ||
		    import_time(x, jm, "created", &created) != 0 ||
		    import_time(x, jm, "updated", &updated) != 0)
			goto out;
		if (store_role_parse(role_s, &role) != 0) {
			import_err(x, "unknown role");
			goto out;
		}
		if (store_status_parse(status_s, &status) != 0) {
			import_err(x, "unknown status");
			goto out;
		}
		if (import_str(x, jm, "model_file", (const char **)&p.model_file,
		    0) != 0 ||
		    import_str(x, jm, "model_quant",
		    (const char **)&p.model_quant, 0) != 0 ||
		    import_str(x, jm, "model_sha256",
		    (const char **)&p.model_sha256, 0) != 0 ||
		    import_str(x, jm, "template",
		    (const char **)&p.template_name, 0) != 0 ||
		    import_str(x, jm, "params_json",
		    (const char **)&p.params_json, 0) != 0 ||
		    import_str(x, jm, "dropped_json",
		    (const char **)&p.dropped_json, 0) != 0)
			goto out;
		seed = sjson_get(jm, "seed");
		if (seed != NULL && seed->type != SJSON_NULL) {
			if (sjson_uint64(seed, &p.seed) != 0) {
				import_err(x, "\"seed\" is not a valid integer");
				goto out;
			}
			p.has_seed = 1;
		}
		if (import_int(x, jm, "n_prompt", &v, 0, INT32_MAX) != 0)
			goto out;
		p.n_prompt = (int)v;
		if (import_int(x, jm, "n_gen", &v, 0, INT32_MAX) != 0)
			goto out;
		p.n_gen = (int)v;
		if (sjson_double(sjson_get(jm, "prefill_tps"),
		    &p.prefill_tps) != 0 ||
		    sjson_double(sjson_get(jm, "decode_tps"),
		    &p.decode_tps) != 0) {
			import_err(x, "a rate is not a number");
			goto out;
		}
		if (import_bool(x, jm, "trimmed", &trimmed) != 0)
			goto out;
		p.trimmed = trimmed;

		if (store_prepare(x->s, &st, "INSERT INTO messages (id, "
		    "conv_id, parent_id, role, content, created, updated, "
		    "status, error, model_file, model_quant, model_sha256, "
		    "template, params_json, seed, n_prompt, n_gen, "
		    "prefill_tps, decode_tps, trimmed, dropped_json) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?)", &x->cause) != 0)
			goto out;
		if (keep)
			sqlite3_bind_int64(st, 1, oldids[i]);
		else
			sqlite3_bind_null(st, 1);
		sqlite3_bind_int64(st, 2, cid_new);
		if (parent != 0)
			sqlite3_bind_int64(st, 3, parent);
		else
			sqlite3_bind_null(st, 3);
		store_bind_text(st, 4, store_role_name(role));
		store_bind_text(st, 5, content);
		sqlite3_bind_int64(st, 6, created);
		sqlite3_bind_int64(st, 7, updated);
		store_bind_text(st, 8, store_status_name(status));
		store_bind_text(st, 9, err);
		store_prov_bind(st, 10, &p);
		if (store_step_done(x->s, st, "importing", &x->cause) != 0)
			goto out;
		mid = sqlite3_last_insert_rowid(x->s->db);
		newids[i] = mid;
	}

	if (leaf != 0) {
		for (j = 0; j < msgs->n; j++) {
			if (oldids[j] == leaf)
				break;
		}
		if (j == msgs->n) {
			snprintf(x->wbuf, sizeof x->wbuf, "conversation %lld",
			    (long long)cid);
			import_err(x, "\"current_leaf\" is not one of its "
			    "messages");
			goto out;
		}
		if (store_prepare(x->s, &st, "UPDATE conversations SET "
		    "current_leaf = ? WHERE id = ?", &x->cause) != 0)
			goto out;
		sqlite3_bind_int64(st, 1, newids[j]);
		sqlite3_bind_int64(st, 2, cid_new);
		if (store_step_done(x->s, st, "importing", &x->cause) != 0)
			goto out;
	}
	*newid = cid_new;
	rc = 0;

out:
	free(oldids);
	free(newids);
	return rc;
}

int
store_import_json(struct store *s, const char *json, size_t len,
    int64_t **ids, size_t *n, char **cause)
{
	struct import_ctx	 x;
	struct sjson		*root;
	const struct sjson	*convs, *fmt;
	int64_t			*v = NULL, ver;
	size_t			 i;

	if (ids != NULL)
		*ids = NULL;
	if (n != NULL)
		*n = 0;
	if (sjson_parse(json, len, &root, cause) != 0)
		return -1;
	memset(&x, 0, sizeof x);
	x.s = s;
	x.where = "the file";
	fmt = sjson_get(root, "format");
	if (sjson_string(fmt) == NULL ||
	    strcmp(sjson_string(fmt), EXPORT_FORMAT) != 0) {
		import_err(&x, "not a medchat JSON export");
		goto fail;
	}
	if (sjson_int64(sjson_get(root, "version"), &ver) != 0 ||
	    ver != EXPORT_VERSION) {
		import_err(&x, "unsupported export version");
		goto fail;
	}
	convs = sjson_get(root, "conversations");
	if (convs == NULL || convs->type != SJSON_ARRAY) {
		import_err(&x, "\"conversations\" is not an array");
		goto fail;
	}
	if (store_begin(s, &x.cause) != 0)
		goto fail;
	if (import_acks(&x, root) != 0) {
		store_rollback(s);
		goto fail;
	}
	v = xcalloc(convs->n + 1, sizeof *v);
	for (i = 0; i < convs->n; i++) {
		if (import_conv(&x, convs->items[i], &v[i]) != 0) {
			store_rollback(s);
			goto fail;
		}
	}
	if (store_commit(s, &x.cause) != 0)
		goto fail;
	if (n != NULL)
		*n = convs->n;
	sjson_free(root);
	if (ids != NULL)
		*ids = v;
	else
		free(v);
	return 0;

fail:
	free(v);
	sjson_free(root);
	*cause = x.cause;
	return -1;
}
