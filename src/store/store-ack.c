/*
 * store-ack.c -- advisory acknowledgements: who accepted which advisory
 * text (version and sha256) for which model (by its sha256), when and
 * how.  The advisory gate asks store_ack_check(); records imported from
 * another database (method "import:...") never satisfy it.
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
	"model_sha256, os_user, time, method"

static const char *store_os_user(char *, size_t);

#define F(f, kind) { offsetof(struct store_ack, f), STORE_COL_ ## kind }
/* The columns of STORE_ACK_COLS. */
static const struct store_col store_ack_cols[] = { F(id, INT64),
	F(advisory_version, TEXT_NN), F(advisory_sha256, TEXT_NN),
	F(model_file, TEXT_NN), F(model_quant, TEXT), F(model_sha256, TEXT_NN),
	F(os_user, TEXT_NN), F(time, INT64), F(method, TEXT_NN) };
#undef F
static const struct store_rowtype store_ack_rows =
    STORE_ROWCOLS(struct store_ack, store_ack_cols);

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
