/*
 * store-ack.c -- what the user agreed to.  Advisory acknowledgements:
 * who accepted which advisory text (version and sha256) for which model
 * (a file by its sha256, a remote model by store_remote_key of its
 * endpoint URL and id), when and how; the advisory gate asks
 * store_ack_check(), and records imported from another database (method
 * "import:...") never satisfy it.  Consents: the servers (origins) the
 * user agreed to send conversations to.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"
#include "store-int.h"
#include "xmalloc.h"

#define STORE_ACK_COLS \
	"id, advisory_version, advisory_sha256, model_file, model_quant, " \
	"model_sha256, os_user, time, method, endpoint_url, remote_model"
#define STORE_CONSENT_COLS "id, origin, url, os_user, time, method"

static const char *store_os_user(char *, size_t);

#define F(f, kind) { offsetof(struct store_ack, f), STORE_COL_ ## kind }
/* The columns of STORE_ACK_COLS. */
static const struct store_col store_ack_cols[] = { F(id, INT64),
	F(advisory_version, TEXT_NN), F(advisory_sha256, TEXT_NN),
	F(model_file, TEXT_NN), F(model_quant, TEXT), F(model_sha256, TEXT_NN),
	F(os_user, TEXT_NN), F(time, INT64), F(method, TEXT_NN),
	F(endpoint_url, TEXT), F(remote_model, TEXT) };
#undef F
static const struct store_rowtype store_ack_rows =
    STORE_ROWCOLS(struct store_ack, store_ack_cols);

#define F(f, kind) { offsetof(struct store_consent, f), STORE_COL_ ## kind }
/* The columns of STORE_CONSENT_COLS. */
static const struct store_col store_consent_cols[] = { F(id, INT64),
	F(origin, TEXT_NN), F(url, TEXT_NN), F(os_user, TEXT_NN),
	F(time, INT64), F(method, TEXT_NN) };
#undef F
static const struct store_rowtype store_consent_rows =
    STORE_ROWCOLS(struct store_consent, store_consent_cols);

/* The login name of the effective user, or "uid N". */
static const char *
store_os_user(char *buf, size_t len)
{
	struct passwd	*pw;

	if ((pw = getpwuid(geteuid())) != NULL && pw->pw_name != NULL &&
	    *pw->pw_name != '\0')
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)geteuid());
	return buf;
}

int
store_ack_check(struct store *s, const char *model_sha256,
    struct store_ack *found, char **cause)
{
	return store_get(s, found != NULL ? &store_ack_rows : NULL, found,
	    "reading acknowledgements", cause, "SELECT " STORE_ACK_COLS
	    " FROM advisory_acks WHERE advisory_version = ? AND "
	    "advisory_sha256 = ? AND model_sha256 = ? AND "
	    "substr(method, 1, 7) <> 'import:' "
	    "ORDER BY time DESC, id DESC LIMIT 1", "ttt", s->adv.version,
	    s->adv.sha256, model_sha256 != NULL ? model_sha256 : "");
}

int
store_ack_record(struct store *s, const char *model_file,
    const char *model_quant, const char *model_sha256, const char *method,
    char **cause)
{
	char	user[256];

	if (model_sha256 == NULL || strlen(model_sha256) != SHA256_HEXLEN) {
		xasprintf(cause, "%s: acknowledgement needs the model's sha256",
		    s->name);
		return -1;
	}
	return store_write(s, "recording the acknowledgement", cause,
	    "INSERT INTO advisory_acks (advisory_version, advisory_sha256, "
	    "model_file, model_quant, model_sha256, os_user, time, method) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ttttttIt", s->adv.version,
	    s->adv.sha256, model_file != NULL ? model_file : "", model_quant,
	    model_sha256, store_os_user(user, sizeof user), store_now(),
	    method != NULL ? method : "unknown");
}

void
store_remote_key(const char *url, const char *model_id, char out[65])
{
	struct sha256	c;
	uint8_t		md[SHA256_LEN];
	char		len[32];

	/* Each text after its length: no two (url, id) pairs hash alike. */
	sha256_init(&c);
	sha256_update(&c, "medchat remote model\n", 21);
	snprintf(len, sizeof len, "%zu\n", strlen(url));
	sha256_update(&c, len, strlen(len));
	sha256_update(&c, url, strlen(url));
	snprintf(len, sizeof len, "\n%zu\n", strlen(model_id));
	sha256_update(&c, len, strlen(len));
	sha256_update(&c, model_id, strlen(model_id));
	sha256_final(&c, md);
	sha256_tohex(md, out);
}

int
store_ack_record_remote(struct store *s, const char *display,
    const char *url, const char *model_id, const char *method, char **cause)
{
	char	user[256], key[SHA256_HEXLEN + 1];

	if (url == NULL || *url == '\0' || model_id == NULL ||
	    *model_id == '\0') {
		xasprintf(cause, "%s: acknowledgement needs the endpoint's URL "
		    "and the model id", s->name);
		return -1;
	}
	store_remote_key(url, model_id, key);
	return store_write(s, "recording the acknowledgement", cause,
	    "INSERT INTO advisory_acks (advisory_version, advisory_sha256, "
	    "model_file, model_quant, model_sha256, os_user, time, method, "
	    "endpoint_url, remote_model) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, "
	    "?, ?)", "tttttIttt", s->adv.version, s->adv.sha256,
	    display != NULL ? display : model_id, key,
	    store_os_user(user, sizeof user), store_now(),
	    method != NULL ? method : "unknown", url, model_id);
}

int
store_ack_list(struct store *s, struct store_ack **out, size_t *n,
    char **cause)
{
	return store_get_all(s, &store_ack_rows, out, n,
	    "reading acknowledgements", cause, "SELECT " STORE_ACK_COLS
	    " FROM advisory_acks ORDER BY time DESC, id DESC", "");
}

STORE_ROW_FREE(struct store_ack, store_ack_free, store_acks_free,
    store_ack_rows)

/* ---- consents -------------------------------------------------------- */

int
store_consent_check(struct store *s, const char *origin,
    struct store_consent *found, char **cause)
{
	return store_get(s, found != NULL ? &store_consent_rows : NULL, found,
	    "reading the remote consents", cause, "SELECT " STORE_CONSENT_COLS
	    " FROM remote_consents WHERE origin = ? "
	    "ORDER BY time DESC, id DESC LIMIT 1", "t",
	    origin != NULL ? origin : "");
}

int
store_consent_record(struct store *s, const char *origin, const char *url,
    const char *method, char **cause)
{
	char	user[256];

	if (origin == NULL || *origin == '\0' || url == NULL) {
		xasprintf(cause, "%s: a consent needs the server's origin",
		    s->name);
		return -1;
	}
	if (method == NULL || (strcmp(method, "cli") != 0 &&
	    strcmp(method, "tui") != 0 && strcmp(method, "flag") != 0)) {
		xasprintf(cause, "%s: a consent's method is cli, tui or flag",
		    s->name);
		return -1;
	}
	return store_write(s, "recording the consent", cause,
	    "INSERT INTO remote_consents (origin, url, os_user, time, method) "
	    "VALUES (?, ?, ?, ?, ?)", "tttIt", origin, url,
	    store_os_user(user, sizeof user), store_now(), method);
}

int
store_consent_list(struct store *s, struct store_consent **out, size_t *n,
    char **cause)
{
	return store_get_all(s, &store_consent_rows, out, n,
	    "reading the remote consents", cause, "SELECT "
	    STORE_CONSENT_COLS " FROM remote_consents "
	    "ORDER BY time DESC, id DESC", "");
}

STORE_ROW_FREE(struct store_consent, store_consent_free, store_consents_free,
    store_consent_rows)
