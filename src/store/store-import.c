/*
 * store-import.c -- conversations back in from a JSON export
 * (store-export.c writes them).
 *
 * The JSON read back is untrusted.  jansson parses it (jsonx.h: byte
 * offsets for the messages, seeds up to 2^64-1, keys given twice and
 * nesting beyond 2048 levels refused); every field is type-checked, parents
 * must come earlier in the same conversation (so no cycles), and it all
 * goes in one transaction or not at all.  The ids are kept when none of
 * a conversation's is taken in this database or was ever given in it
 * (ids are never reused), else new ones are given.
 *
 * Acknowledgements in an export are imported too, as records: each keeps
 * its fields but its method becomes "import:<method>", and the advisory
 * gate (store_ack_check) ignores such rows -- an acknowledgement given by
 * someone else, or on another machine, must not let this database's user
 * skip the advisory.  A record already present (as imported or as the
 * original) is not added again, so importing a file twice changes nothing
 * the second time.
 *
 * A conversation carries its uid (store.h): one whose uid is already in
 * the database is not added again but reported as skipped, so importing
 * the same export twice duplicates nothing.  Exports made before uids
 * existed have none; their conversations get a new one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"

struct import_ctx {
	struct store	*s;
	struct jsonx_doc doc;		/* the file */
	char		*cause;
	const char	*where;		/* "conversation 3, message 7" */
	char		 wbuf[96];
	struct store_import_skip *skips;	/* already here, not added */
	size_t		 nskips;
};

static int	 import_err(struct import_ctx *, const char *);
static int	 import_err_key(struct import_ctx *, const json_t *,
		     const char *, const char *);
static int	 import_title(struct import_ctx *, const json_t *,
		     const char **);
static int	 import_rate(struct import_ctx *, const json_t *,
		     const char *, double *);
static int	 import_str(struct import_ctx *, const json_t *,
		     const char *, const char **, int);
static int	 import_time(struct import_ctx *, const json_t *,
		     const char *, int64_t *);
static int	 import_int(struct import_ctx *, const json_t *,
		     const char *, int64_t *, int64_t, int64_t);
static int	 import_bool(struct import_ctx *, const json_t *,
		     const char *, int *);
static int	 import_taken(struct import_ctx *, const char *, int64_t,
		     int *);
static int	 import_is_sha256(const char *);
static int	 import_name(struct import_ctx *, const json_t *,
		     const char *, const char **, size_t, int);
static int	 import_acks(struct import_ctx *, const json_t *);
static int	 import_uid(struct import_ctx *, const json_t *,
		     const char *, int *);
static int	 import_conv(struct import_ctx *, const json_t *,
		     int64_t *);

static int
import_err(struct import_ctx *x, const char *what)
{
	if (x->cause == NULL)
		xasprintf(&x->cause, "import: %s: %s", x->where, what);
	return -1;
}

/*
 * import_err with "\"<key>\" <what> (at byte N)": N is where the member's
 * value (or, when it is missing, the object o) starts in the file.
 */
static int
import_err_key(struct import_ctx *x, const json_t *o, const char *key,
    const char *what)
{
	const json_t	*v = json_object_get(o, key);
	char			*m;
	int			 rc;

	xasprintf(&m, "\"%s\" %s (at byte %zu)", key, what,
	    jsonx_offset(&x->doc, v != NULL ? v : o));
	rc = import_err(x, m);
	free(m);
	return rc;
}

/* Optional string member: 0 and *out (NULL for null/absent), or -1. */
static int
import_str(struct import_ctx *x, const json_t *o, const char *key,
    const char **out, int required)
{
	const json_t	*v = json_object_get(o, key);
	char			*m;
	int			 rc;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		xasprintf(&m, "missing \"%s\" (in the object at byte %zu)",
		    key, jsonx_offset(&x->doc, o));
		rc = import_err(x, m);
		free(m);
		return rc;
	}
	if (!json_is_string(v))
		return import_err_key(x, o, key, "is not a string");
	*out = json_string_value(v);
	return 0;
}

static int
import_time(struct import_ctx *x, const json_t *o, const char *key,
    int64_t *ms)
{
	const char	*s;

	if (import_str(x, o, key, &s, 1) != 0)
		return -1;
	if (store_time_parse(s, ms) != 0)
		return import_err_key(x, o, key, "is not a UTC time");
	return 0;
}

static int
import_int(struct import_ctx *x, const json_t *o, const char *key,
    int64_t *v, int64_t lo, int64_t hi)
{
	if (jsonx_int64(&x->doc, json_object_get(o, key), v) != 0 ||
	    *v < lo || *v > hi)
		return import_err_key(x, o, key, "is not a valid integer");
	return 0;
}

static int
import_bool(struct import_ctx *x, const json_t *o, const char *key,
    int *v)
{
	const json_t	*b = json_object_get(o, key);

	if (!json_is_boolean(b))
		return import_err_key(x, o, key, "is not true or false");
	*v = json_is_true(b);
	return 0;
}

/* 1 if any of the ids is taken in table (conversations or messages). */
static int
import_taken(struct import_ctx *x, const char *sql, int64_t id, int *taken)
{
	int	rc;

	rc = store_get(x->s, NULL, NULL, "importing", &x->cause, sql, "I", id);
	if (rc < 0)
		return -1;
	if (rc == 1)
		*taken = 1;
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
import_name(struct import_ctx *x, const json_t *o, const char *key,
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
		return import_err_key(x, o, key, "is not a valid name");
	return 0;
}

/*
 * The conversation's "title": a string of 1..STORE_TITLE_MAX bytes of
 * UTF-8 with at least one visible character (not only spaces, zero-width
 * characters or bidi controls), or null for a conversation not named
 * yet (stored as "", named by its first question).
 */
static int
import_title(struct import_ctx *x, const json_t *o, const char **out)
{
	const json_t	*v = json_object_get(o, "title");

	if (json_is_null(v)) {
		*out = "";
		return 0;
	}
	if (import_str(x, o, "title", out, 1) != 0)
		return -1;
	if (json_string_length(v) > STORE_TITLE_MAX)
		return import_err_key(x, o, "title", "is longer than "
		    STORE_TITLE_MAX_STR " bytes");
	if (!utf8_valid(*out, json_string_length(v)))
		return import_err_key(x, o, "title", "is not UTF-8");
	if (!store_text_visible(*out))
		return import_err_key(x, o, "title", "is empty, blank or "
		    "invisible");
	return 0;
}

/* A rate (tokens per second): a finite number, 0 or more. */
static int
import_rate(struct import_ctx *x, const json_t *o, const char *key,
    double *v)
{
	if (jsonx_double(&x->doc, json_object_get(o, key), v) != 0 ||
	    !isfinite(*v) ||
	    *v < 0)
		return import_err_key(x, o, key, "is not a rate (a number, 0 "
		    "or more)");
	return 0;
}

/*
 * Import the "acknowledgements" array (absent = none) inside the
 * caller's transaction; see the top of the file.
 */
static int
import_acks(struct import_ctx *x, const json_t *root)
{
	static const char *const methods[] = { "tui", "cli-flag", "cli-prompt" };
	static const char *const sql[2] = {
		"SELECT 1 FROM advisory_acks WHERE advisory_version = ?1 AND "
		    "advisory_sha256 = ?2 AND model_file = ?3 AND model_quant "
		    "IS ?4 AND model_sha256 = ?5 AND os_user = ?6 AND time = ?7 "
		    "AND method IN (?8, ?9) AND endpoint_url IS ?10 AND "
		    "remote_model IS ?11",
		"INSERT INTO advisory_acks (advisory_version, advisory_sha256, "
		    "model_file, model_quant, model_sha256, os_user, time, "
		    "method, endpoint_url, remote_model) VALUES (?1, ?2, ?3, ?4, "
		    "?5, ?6, ?7, ?9, ?10, ?11)"
	};
	const json_t	*acks, *ja;
	const char		*ver, *asha, *mf, *mq, *msha, *user, *method;
	const char		*eurl, *rmodel;
	char			*imported;
	int64_t			 t;
	size_t			 i, k;
	int			 rc = 0;

	acks = json_object_get(root, "acknowledgements");
	if (acks == NULL || json_is_null(acks))
		return 0;
	x->where = "the file";
	if (!json_is_array(acks))
		return import_err(x, "\"acknowledgements\" is not an array");
	for (i = 0; i < json_array_size(acks); i++) {
		ja = json_array_get(acks, i);
		snprintf(x->wbuf, sizeof x->wbuf, "acknowledgement %zu", i + 1);
		x->where = x->wbuf;
		if (!json_is_object(ja))
			return import_err(x, "not an object");
		if (import_name(x, ja, "advisory_version", &ver, 64, 1) != 0 ||
		    import_str(x, ja, "advisory_sha256", &asha, 1) != 0 ||
		    import_name(x, ja, "model_file", &mf, 4096, 1) != 0 ||
		    import_name(x, ja, "model_quant", &mq, 64, 0) != 0 ||
		    import_str(x, ja, "model_sha256", &msha, 1) != 0 ||
		    import_name(x, ja, "os_user", &user, 256, 1) != 0 ||
		    import_time(x, ja, "time", &t) != 0 ||
		    import_str(x, ja, "method", &method, 1) != 0 ||
		    import_name(x, ja, "endpoint_url", &eurl, 2048, 0) != 0 ||
		    import_name(x, ja, "remote_model", &rmodel, 1024, 0) != 0)
			return -1;
		/* A remote model's key stands for its URL and id together. */
		if ((eurl == NULL) != (rmodel == NULL))
			return import_err_key(x, ja, eurl == NULL ?
			    "remote_model" : "endpoint_url", "is given without "
			    "the other of endpoint_url and remote_model");
		if (!import_is_sha256(asha))
			return import_err_key(x, ja, "advisory_sha256",
			    "is not 64 lowercase hex digits");
		if (!import_is_sha256(msha))
			return import_err_key(x, ja, "model_sha256",
			    "is not 64 lowercase hex digits");
		if (strncmp(method, "import:", 7) == 0)
			method += 7;
		for (k = 0; k < sizeof methods / sizeof *methods; k++) {
			if (strcmp(method, methods[k]) == 0)
				break;
		}
		if (k == sizeof methods / sizeof *methods)
			return import_err_key(x, ja, "method", "is not known");

		/* Add it unless it is here, imported or as the original. */
		xasprintf(&imported, "import:%s", method);
		for (k = 0; k < 2; k++) {
			rc = store_get(x->s, NULL, NULL, "importing",
			    &x->cause, sql[k], "ttttttItttt", ver, asha, mf, mq,
			    msha, user, t, method, imported, eurl, rmodel);
			if (rc != 0)
				break;
		}
		free(imported);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * The optional "uid" of conversation jc (titled title): -1 if it is not
 * 32 lowercase hex digits; else 0, with *skip set (and the conversation
 * added to x->skips) when a conversation with that uid is already here.
 */
static int
import_uid(struct import_ctx *x, const json_t *jc, const char *title,
    int *skip)
{
	struct store_import_skip	*k;
	const char			*uid;
	int64_t				 id;
	int				 rc;

	*skip = 0;
	if (import_str(x, jc, "uid", &uid, 0) != 0)
		return -1;
	if (uid == NULL)
		return 0;
	if (strlen(uid) != 32 || strspn(uid, "0123456789abcdef") != 32)
		return import_err_key(x, jc, "uid", "is not 32 lowercase hex "
		    "digits");
	rc = store_get(x->s, &store_int64_row, &id, "importing", &x->cause,
	    "SELECT id FROM conversations WHERE uid = ?", "t", uid);
	if (rc <= 0)
		return rc;
	x->skips = xreallocarray(x->skips, x->nskips + 1, sizeof *x->skips);
	k = &x->skips[x->nskips++];
	k->id = id;
	k->uid = xstrdup(uid);
	k->title = xstrdup(title);
	*skip = 1;
	return 0;
}

/*
 * Import one conversation object (inside the caller's transaction):
 * 0 and *newid, the conversation's id here (0 when it was skipped as
 * already here), or -1.
 */
static int
import_conv(struct import_ctx *x, const json_t *jc, int64_t *newid)
{
	const json_t	*msgs, *jm, *seed;
	const char		*title, *sys, *tmpl, *mf, *msha, *mq, *pj;
	const char		*role_s, *status_s, *content, *err;
	struct store_prov	 p;
	enum store_role		 role;
	enum store_status	 status;
	int64_t			 cid, created, updated, leaf = 0, parent;
	int64_t			*oldids = NULL, *newids = NULL, v, cid_new;
	const char		*uid;
	int			 archived = 0, taken = 0, keep, rc = -1;
	int			 trimmed = 0;
	int			 skip;
	size_t			 i, j, nmsgs;

	*newid = 0;
	snprintf(x->wbuf, sizeof x->wbuf, "a conversation");
	x->where = x->wbuf;
	if (!json_is_object(jc))
		return import_err(x, "not an object");
	if (import_int(x, jc, "id", &cid, 1, INT64_MAX) != 0)
		return -1;
	snprintf(x->wbuf, sizeof x->wbuf, "conversation %lld",
	    (long long)cid);
	if (import_title(x, jc, &title) != 0 ||
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
	if (import_uid(x, jc, title, &skip) != 0)
		return -1;
	if (skip)
		return 0;
	uid = json_string_value(json_object_get(jc, "uid"));
	if (json_object_get(jc, "current_leaf") != NULL &&
	    !json_is_null(json_object_get(jc, "current_leaf")) &&
	    import_int(x, jc, "current_leaf", &leaf, 1, INT64_MAX) != 0)
		return -1;
	msgs = json_object_get(jc, "messages");
	if (!json_is_array(msgs))
		return import_err(x, "\"messages\" is not an array");

	/*
	 * Keep the ids if none is taken or was ever given here (an id at or
	 * below sqlite_sequence's high-water mark may be a deleted one's).
	 */
	if (import_taken(x, "SELECT 1 FROM conversations WHERE id = ?1 "
	    "UNION ALL SELECT 1 FROM sqlite_sequence WHERE name = "
	    "'conversations' AND seq >= ?1", cid, &taken) != 0)
		return -1;
	nmsgs = json_array_size(msgs);
	oldids = xcalloc(nmsgs + 1, sizeof *oldids);
	newids = xcalloc(nmsgs + 1, sizeof *newids);
	for (i = 0; i < nmsgs; i++) {
		jm = json_array_get(msgs, i);
		if (!json_is_object(jm) || jsonx_int64(&x->doc,
		    json_object_get(jm, "id"), &v) != 0 || v < 1) {
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
		    "id = ?1 UNION ALL SELECT 1 FROM sqlite_sequence WHERE "
		    "name = 'messages' AND seq >= ?1", v, &taken) != 0)
			goto out;
	}
	keep = !taken;

	if (store_exec(x->s, "importing", &x->cause, "INSERT INTO "
	    "conversations (id, title, created, updated, system, template, "
	    "model_file, model_sha256, model_quant, params_json, archived, "
	    "uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "coalesce(?, lower(hex(randomblob(16)))))", "ztIIttttttit",
	    keep ? cid : (int64_t)0, title, created, updated, sys, tmpl, mf,
	    msha, mq, pj, archived, uid) != 0)
		goto out;
	cid_new = sqlite3_last_insert_rowid(x->s->db);

	for (i = 0; i < nmsgs; i++) {
		jm = json_array_get(msgs, i);
		snprintf(x->wbuf, sizeof x->wbuf, "conversation %lld, message "
		    "%lld", (long long)cid, (long long)oldids[i]);
		memset(&p, 0, sizeof p);
		parent = 0;
		if (json_object_get(jm, "parent") != NULL &&
		    !json_is_null(json_object_get(jm, "parent"))) {
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
		    (const char **)&p.dropped_json, 0) != 0 ||
		    import_name(x, jm, "endpoint", (const char **)&p.endpoint,
		    64, 0) != 0 ||
		    import_name(x, jm, "endpoint_url",
		    (const char **)&p.endpoint_url, 2048, 0) != 0 ||
		    import_name(x, jm, "remote_model",
		    (const char **)&p.remote_model, 1024, 0) != 0 ||
		    import_name(x, jm, "server_model",
		    (const char **)&p.server_model, 1024, 0) != 0 ||
		    import_name(x, jm, "fingerprint",
		    (const char **)&p.fingerprint, 1024, 0) != 0 ||
		    import_str(x, jm, "request_json",
		    (const char **)&p.request_json, 0) != 0)
			goto out;
		seed = json_object_get(jm, "seed");
		if (seed != NULL && !json_is_null(seed)) {
			if (jsonx_uint64(&x->doc, seed, &p.seed) != 0) {
				import_err_key(x, jm, "seed",
				    "is not a valid integer");
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
		if (import_rate(x, jm, "prefill_tps", &p.prefill_tps) != 0 ||
		    import_rate(x, jm, "decode_tps", &p.decode_tps) != 0)
			goto out;
		if (import_bool(x, jm, "trimmed", &trimmed) != 0)
			goto out;
		p.trimmed = trimmed;

		if (store_exec(x->s, "importing", &x->cause, "INSERT INTO "
		    "messages (id, conv_id, parent_id, role, content, "
		    "created, updated, status, error, model_file, "
		    "model_quant, model_sha256, template, params_json, seed, "
		    "n_prompt, n_gen, prefill_tps, decode_tps, trimmed, "
		    "dropped_json, endpoint, endpoint_url, remote_model, "
		    "server_model, fingerprint, request_json) VALUES (?, ?, ?, "
		    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?)", "zIzttIIttp",
		    keep ? oldids[i] : (int64_t)0, cid_new, parent,
		    store_role_name(role), content, created, updated,
		    store_status_name(status), err, &p) != 0)
			goto out;
		newids[i] = sqlite3_last_insert_rowid(x->s->db);
		/*
		 * The answer's system message: absent (an export made before
		 * it was recorded) = the conversation's, null = none.
		 */
		if (role == STORE_ROLE_ASSISTANT) {
			sys = NULL;
			if (json_object_get(jm, "system") != NULL) {
				if (import_str(x, jm, "system", &sys, 0) != 0)
					goto out;
				if (sys == NULL)
					sys = "";
			}
			if (store_msg_set_system(x->s, newids[i], cid_new,
			    sys, &x->cause) != 0)
				goto out;
		}
	}

	if (leaf != 0) {
		for (j = 0; j < nmsgs; j++) {
			if (oldids[j] == leaf)
				break;
		}
		if (j == nmsgs) {
			snprintf(x->wbuf, sizeof x->wbuf, "conversation %lld",
			    (long long)cid);
			import_err(x, "\"current_leaf\" is not one of its "
			    "messages");
			goto out;
		}
		if (store_exec(x->s, "importing", &x->cause, "UPDATE "
		    "conversations SET current_leaf = ? WHERE id = ?", "II",
		    newids[j], cid_new) != 0)
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
	struct store_import_skip	*sk;
	size_t				 nsk;
	int				 rc;

	rc = store_import(s, json, len, ids, n, &sk, &nsk, cause);
	if (rc == 0)
		store_import_skips_free(sk, nsk);
	return rc;
}

void
store_import_skips_free(struct store_import_skip *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].uid);
		free(v[i].title);
	}
	free(v);
}

int
store_import(struct store *s, const char *json, size_t len,
    int64_t **ids, size_t *n, struct store_import_skip **skipped,
    size_t *nskipped, char **cause)
{
	struct import_ctx	 x;
	const json_t		*root, *convs, *fmt;
	int64_t			*v = NULL, ver;
	size_t			 i, k;

	if (ids != NULL)
		*ids = NULL;
	if (n != NULL)
		*n = 0;
	*skipped = NULL;
	*nskipped = 0;
	memset(&x, 0, sizeof x);
	if (jsonx_parse(&x.doc, json, len, cause) != 0) {
		jsonx_free(&x.doc);
		return -1;
	}
	root = x.doc.root;
	x.s = s;
	x.where = "the file";
	fmt = json_object_get(root, "format");
	if (json_string_value(fmt) == NULL ||
	    strcmp(json_string_value(fmt), STORE_EXPORT_FORMAT) != 0) {
		import_err(&x, "not a medchat JSON export");
		goto fail;
	}
	if (jsonx_int64(&x.doc, json_object_get(root, "version"), &ver) != 0 ||
	    ver != STORE_EXPORT_VERSION) {
		import_err(&x, "unsupported export version");
		goto fail;
	}
	convs = json_object_get(root, "conversations");
	if (!json_is_array(convs)) {
		import_err(&x, "\"conversations\" is not an array");
		goto fail;
	}
	if (store_begin(s, &x.cause) != 0)
		goto fail;
	if (import_acks(&x, root) != 0) {
		store_rollback(s);
		goto fail;
	}
	v = xcalloc(json_array_size(convs) + 1, sizeof *v);
	for (i = k = 0; i < json_array_size(convs); i++) {
		if (import_conv(&x, json_array_get(convs, i), &v[k]) != 0) {
			store_rollback(s);
			goto fail;
		}
		if (v[k] != 0)
			k++;
	}
	if (store_commit(s, &x.cause) != 0)
		goto fail;
	if (n != NULL)
		*n = k;
	jsonx_free(&x.doc);
	if (ids != NULL)
		*ids = v;
	else
		free(v);
	*skipped = x.skips;
	*nskipped = x.nskips;
	return 0;

fail:
	free(v);
	store_import_skips_free(x.skips, x.nskips);
	jsonx_free(&x.doc);
	*cause = x.cause;
	return -1;
}
