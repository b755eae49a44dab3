/*
 * test-store-remote.c -- what the store keeps of remote engines (schema
 * 5): an answer's remote provenance (endpoint, URL, model ids, the
 * server's fingerprint, the parameters as sent) through every way an
 * answer is written and read, the advisory acknowledged per remote model
 * (store_remote_key), the consents to send conversations to a server,
 * and the upgrade of a real version-4 database (tests/store-fixtures/
 * v4.sql) to them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advisory.h"
#include "store.h"
#include "xmalloc.h"
#include "testhelp.h"

static char	tmpdir[] = "/tmp/medchat-store-remote.XXXXXX";

#define STOREHELP_TMPDIR tmpdir
#include "storehelp.h"

#define URL	"http://gpu1.lab:8000/v1"

/* The provenance of an answer from endpoint "lab". */
static void
remote_prov(struct store_prov *p)
{
	memset(p, 0, sizeof *p);
	p->model_file = "lab: meditron-70b";
	p->template_name = "server template";
	p->params_json = "{\"temp\":0.7}";
	p->endpoint = "lab";
	p->endpoint_url = URL;
	p->remote_model = "meditron-70b";
	p->server_model = "epfl-llm/meditron-70b";
	p->fingerprint = "fp_44709d6fcb";
	p->request_json = "{\"model\":\"meditron-70b\",\"temperature\":0.7,"
	    "\"max_tokens\":-1}";
	p->seed = 7;
	p->has_seed = 1;
	p->n_prompt = 12;
	p->n_gen = 34;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Every remote field of m as p gave it. */
static int
remote_kept(const struct store_msg *m, const struct store_prov *p)
{
	return same(m->prov.model_file, p->model_file) &&
	    m->prov.model_sha256 == NULL && m->prov.model_quant == NULL &&
	    same(m->prov.template_name, p->template_name) &&
	    same(m->prov.endpoint, p->endpoint) &&
	    same(m->prov.endpoint_url, p->endpoint_url) &&
	    same(m->prov.remote_model, p->remote_model) &&
	    same(m->prov.server_model, p->server_model) &&
	    same(m->prov.fingerprint, p->fingerprint) &&
	    same(m->prov.request_json, p->request_json) &&
	    m->prov.n_gen == p->n_gen && m->prov.seed == p->seed;
}

static void
test_prov(struct store *s)
{
	struct store_conv	 init;
	struct store_msg	 m;
	struct store_prov	 p, local;
	struct store_stream	*ss;
	struct store_conv_model	*cm;
	int64_t			 conv, q, a1, a2, a3;
	size_t			 n;
	char			*cause = NULL, *t;

	memset(&init, 0, sizeof init);
	init.model_file = "lab: meditron-70b";
	test_cond(store_conv_create_asked(s, &init, "Was ist Sepsis?", &conv,
	    &q, &cause) == 0, "prov: conversation with a question");
	remote_prov(&p);
	test_cond(store_msg_add(s, conv, q, STORE_ROLE_ASSISTANT, "Eine "
	    "Organdysfunktion.", STORE_STATUS_COMPLETE, &p, &a1, &cause) == 0,
	    "prov: remote answer added");
	test_cond(store_msg_get(s, a1, &m, &cause) == 0 && remote_kept(&m, &p),
	    "prov: every remote field read back (store_msg_add)");
	store_msg_free(&m);

	/* Streamed: the start's provenance, then the finish's. */
	ss = store_stream_start(s, conv, q, &p);
	test_cond(store_stream_append(ss, "Teil", 4, &cause) == 0 &&
	    store_msg_get(s, store_stream_id(ss), &m, &cause) == 0 &&
	    m.status == STORE_STATUS_STREAMING && remote_kept(&m, &p),
	    "prov: remote fields while streaming");
	store_msg_free(&m);
	p.server_model = "other/model";
	p.fingerprint = NULL;
	test_cond(store_stream_finish(ss, STORE_STATUS_INTERRUPTED,
	    "connection to gpu1.lab:8000 lost", &p, &a2, &cause) == 0,
	    "prov: streamed answer finished interrupted");
	store_stream_free(ss);
	test_cond(store_msg_get(s, a2, &m, &cause) == 0 && remote_kept(&m, &p) &&
	    m.status == STORE_STATUS_INTERRUPTED && strcmp(m.content,
	    "Teil") == 0 && strcmp(m.error, "connection to gpu1.lab:8000 "
	    "lost") == 0, "prov: finish's remote fields, cause and partial "
	    "text kept");
	store_msg_free(&m);

	/* A local answer after it: no remote field. */
	memset(&local, 0, sizeof local);
	local.model_file = "m.gguf";
	local.model_sha256 = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	local.template_name = "chatml";
	test_cond(store_msg_add(s, conv, q, STORE_ROLE_ASSISTANT, "Lokal.",
	    STORE_STATUS_COMPLETE, &local, &a3, &cause) == 0 &&
	    store_msg_get(s, a3, &m, &cause) == 0 && m.prov.endpoint == NULL &&
	    m.prov.endpoint_url == NULL && m.prov.remote_model == NULL &&
	    m.prov.server_model == NULL && m.prov.fingerprint == NULL &&
	    m.prov.request_json == NULL && same(m.prov.model_file, "m.gguf"),
	    "prov: a local answer has no remote field");
	store_msg_free(&m);

	remote_prov(&p);
	t = store_prov_remote(&p);
	test_condf(t != NULL && strcmp(t, "remote: lab " URL ", model "
	    "meditron-70b (server: epfl-llm/meditron-70b, fingerprint "
	    "fp_44709d6fcb), server template") == 0, "prov: one line (%s)",
	    t != NULL ? t : "NULL");
	free(t);
	p.endpoint = NULL;
	p.server_model = NULL;
	p.template_name = "chatml";
	t = store_prov_remote(&p);
	test_condf(t != NULL && strcmp(t, "remote: " URL ", model "
	    "meditron-70b (fingerprint fp_44709d6fcb), chatml") == 0,
	    "prov: one line without a name or server model (%s)",
	    t != NULL ? t : "NULL");
	free(t);
	test_cond(store_prov_remote(&local) == NULL,
	    "prov: no remote line for a local answer");

	test_cond(store_conv_models(s, conv, &cm, &n, &cause) == 0 && n == 2 &&
	    same(cm[0].model_file, "lab: meditron-70b") &&
	    same(cm[0].endpoint_url, URL) &&
	    same(cm[0].remote_model, "meditron-70b") && cm[0].n_answers == 2 &&
	    cm[1].endpoint_url == NULL && cm[1].remote_model == NULL &&
	    same(cm[1].model_file, "m.gguf"),
	    "prov: the conversation's models name the endpoint's URL");
	store_conv_models_free(cm, n);
}

static void
test_acks(struct store *s)
{
	struct store_ack	 a, *v;
	char			 k1[65], k2[65], k3[65], *cause = NULL;
	size_t			 n;

	store_remote_key(URL, "meditron-70b", k1);
	store_remote_key(URL, "meditron-7b", k2);
	test_cond(strlen(k1) == 64 && strspn(k1, "0123456789abcdef") == 64 &&
	    strcmp(k1, k2) != 0, "ack: the key is 64 hex digits, per model");
	store_remote_key("http://gpu2.lab:8000/v1", "meditron-70b", k3);
	test_cond(strcmp(k1, k3) != 0, "ack: the key differs per endpoint");
	/* The boundary between URL and id is part of the key. */
	store_remote_key("u\nm", "x", k2);
	store_remote_key("u", "m\nx", k3);
	test_cond(strcmp(k2, k3) != 0, "ack: the key keeps URL and id apart");

	test_cond(store_ack_check(s, k1, NULL, &cause) == 0,
	    "ack: a remote model starts unacknowledged");
	test_cond(store_ack_record_remote(s, "lab: meditron-70b", URL,
	    "meditron-70b", "cli-flag", &cause) == 0,
	    "ack: recorded for a remote model");
	memset(&a, 0, sizeof a);
	test_cond(store_ack_check(s, k1, &a, &cause) == 1 &&
	    same(a.endpoint_url, URL) && same(a.remote_model, "meditron-70b") &&
	    same(a.model_file, "lab: meditron-70b") && a.model_quant == NULL &&
	    same(a.model_sha256, k1) && same(a.method, "cli-flag"),
	    "ack: found by its key, with endpoint and model readable");
	store_ack_free(&a);
	store_remote_key(URL, "meditron-7b", k2);
	test_cond(store_ack_check(s, k2, NULL, &cause) == 0,
	    "ack: another model of the same endpoint is not acknowledged");
	test_cond(store_ack_record_remote(s, "x", URL, "", "cli-flag",
	    &cause) == -1 && cause != NULL && strchr(cause, '\n') == NULL,
	    "ack: a remote ack without a model id is refused");
	free(cause);
	cause = NULL;
	test_cond(store_ack_list(s, &v, &n, &cause) == 0 && n == 1 &&
	    same(v[0].remote_model, "meditron-70b"),
	    "ack: listed with its remote model");
	store_acks_free(v, n);
}

static void
test_consent(struct store *s)
{
	struct store_consent	 c, *v;
	char			*cause = NULL;
	size_t			 n;

	test_cond(store_consent_check(s, "http://gpu1.lab:8000", NULL,
	    &cause) == 0, "consent: none at first");
	test_cond(store_consent_record(s, "http://gpu1.lab:8000", URL, "cli",
	    &cause) == 0, "consent: recorded");
	memset(&c, 0, sizeof c);
	test_cond(store_consent_check(s, "http://gpu1.lab:8000", &c,
	    &cause) == 1 && same(c.url, URL) && same(c.method, "cli") &&
	    c.time > 0 && c.os_user != NULL && *c.os_user != '\0',
	    "consent: found with URL, method, time and user");
	store_consent_free(&c);
	test_cond(store_consent_check(s, "https://gpu1.lab:8000", NULL,
	    &cause) == 0 && store_consent_check(s, "http://gpu1.lab:8001",
	    NULL, &cause) == 0, "consent: another scheme or port is another "
	    "server");
	test_cond(store_consent_record(s, "http://x:1", "http://x:1/v1",
	    "bogus", &cause) == -1 && cause != NULL, "consent: unknown "
	    "method refused");
	free(cause);
	cause = NULL;
	test_cond(store_consent_record(s, "https://x:443", "https://x/v1",
	    "flag", &cause) == 0 && store_consent_record(s, "http://y:80",
	    "http://y/v1", "tui", &cause) == 0, "consent: flag and tui");
	test_cond(store_consent_list(s, &v, &n, &cause) == 0 && n == 3,
	    "consent: all listed");
	store_consents_free(v, n);
}

/* A real version-4 database upgraded: nothing remote in it, all works. */
static void
test_migrate_v4(void)
{
	struct store		*s;
	struct store_msg	 m;
	struct store_ack	*v;
	struct store_prov	 p;
	const char		*src;
	char			*fixture, *path, *cause = NULL;
	size_t			 n;
	int64_t			 id;

	if ((src = getenv("top_srcdir")) == NULL)
		src = ".";
	xasprintf(&fixture, "%s/tests/store-fixtures/v4.sql", src);
	path = tpath("v4.db");
	test_cond(load_fixture(fixture, path) == 0 &&
	    raw_int(path, "PRAGMA user_version") == 4, "v4: fixture loaded");
	test_cond(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'remote_consents'") == 0, "v4: no consent table before");
	s = open_ok(path);
	test_cond(s != NULL && raw_int(path, "PRAGMA user_version") ==
	    store_schema_version() && store_schema_version() >= 5,
	    "v4: upgraded");
	if (s == NULL)
		goto out;
	test_cond(store_msg_get(s, 2, &m, &cause) == 0 &&
	    same(m.prov.model_file, "meditron-7b.Q4_K_M.gguf") &&
	    m.prov.endpoint == NULL && m.prov.endpoint_url == NULL &&
	    m.prov.request_json == NULL && same(m.prov.system,
	    "You are careful."), "v4: an old answer is local, as it was");
	store_msg_free(&m);
	test_cond(store_ack_list(s, &v, &n, &cause) == 0 && n == 1 &&
	    v[0].endpoint_url == NULL && v[0].remote_model == NULL,
	    "v4: the old acknowledgement is a file's");
	store_acks_free(v, n);
	test_cond(store_consent_check(s, "http://a:1", NULL, &cause) == 0,
	    "v4: no consent yet");
	remote_prov(&p);
	test_cond(store_msg_add(s, 1, 1, STORE_ROLE_ASSISTANT, "remote",
	    STORE_STATUS_COMPLETE, &p, &id, &cause) == 0 &&
	    store_msg_get(s, id, &m, &cause) == 0 && remote_kept(&m, &p),
	    "v4: a remote answer saved after the upgrade");
	store_msg_free(&m);
	store_close(s);
out:
	free(fixture);
	free(path);
}

int
main(void)
{
	struct store	*s;
	char		*db;

	if (tmpdir_make() != 0)
		return 1;
	db = tpath("remote.db");
	if ((s = open_ok(db)) != NULL) {
		test_prov(s);
		test_acks(s);
		test_consent(s);
		store_close(s);
		test_cond(raw_int(db, "SELECT count(*) FROM messages WHERE "
		    "instr(coalesce(endpoint_url, ''), '@') > 0") == 0,
		    "no URL with credentials was stored");
	}
	test_migrate_v4();
	free(db);
	test_rmtree(tmpdir);
	return test_report();
}
