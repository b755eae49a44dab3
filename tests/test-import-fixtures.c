/*
 * test-import-fixtures.c -- files that earlier versions of medchat wrote
 * still read back, field for field.
 *
 * tests/fixtures/export-cli.json was made with `medchat ask` (two
 * models, system messages changing, seeds up to 2^64-1, a question with
 * astral-plane characters and control characters, context trimming, an
 * answer cancelled with SIGINT, one killed with SIGKILL, one failed) and
 * `medchat history export --format json`; export-alternatives.json by
 * importing export-handmade.json (an export as written before
 * conversations had uids and answers their own system message: three
 * alternative answers, two alternative questions, an untitled archived
 * conversation) and exporting it again.  All were written by the
 * hand-made JSON writer that jansson replaced, so they pin the format
 * scripts and older files rely on.  tests/fixtures/params-*.json are the
 * stored sampling parameters in the three formats session_params_read
 * knows: today's (a conversation's and an answer's), `ask`'s old %.9g
 * and the TUI's old %g.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisory.h"
#include "jsonx.h"
#include "session.h"
#include "slash.h"
#include "store.h"
#include "store-int.h"
#include "xmalloc.h"
#include "testhelp.h"

static char tmpdir[] = "/tmp/medchat-fixtures.XXXXXX";
#define STOREHELP_TMPDIR tmpdir
#include "storehelp.h"

/* What one message of a fixture must read back as. */
struct want_msg {
	int64_t		 id, parent;
	const char	*role, *status;
	const char	*seed;		/* decimal, NULL: none */
	const char	*model_file;
	int		 n_prompt, n_gen;
	const char	*prefill;	/* the literal in the file */
	int		 trimmed;
	const char	*dropped;
	const char	*system;	/* NULL: none */
	const char	*error;
	size_t		 content_len;
	const char	*content_start;
};

static const struct want_msg cli_msgs[] = {
	{ 1, 0, "user", "complete", NULL, NULL, 0, 0, "0", 0, NULL, NULL,
	  NULL, 89, "Is ferritin iron? \xF0\x9F\x98\x80 \xF0\x9D\x94\xBC "
	  "tab\there \"quoted\" back\\slash esc\x1b[1m bel\x07 caf\xC3\xA9 "
	  "\xE4\xB8\xAD\xE6\x96\x87 \xE2\x80\xAErtl" },
	{ 2, 1, "assistant", "complete", "1796548053383945676", "demo.gguf",
	  98, 6, "25736.091613305332", 0, NULL, "Be brief.", NULL, 22,
	  "cou Bet Hell: brain\xEF\xBF\xBD" },
	{ 4, 3, "assistant", "complete", "18446744073709551615", "demo.gguf",
	  146, 6, "16038.22810462893", 0, NULL,
	  "Be very careful, cite sources.", NULL, 30, "i Days" },
	{ 6, 5, "assistant", "complete", "9223372036854775808", "tiny.gguf",
	  484, 4, "2286.054089986945", 0, NULL,
	  "Be very careful, cite sources.", NULL, 25,
	  "t31844 t6311 t2074 t12580" },
	{ 8, 7, "assistant", "complete", "9223372036854775807", "demo.gguf",
	  224, 4, "6949.771395968425", 0, NULL,
	  "Be very careful, cite sources.", NULL, 14, "old old old" },
	{ 14, 13, "assistant", "complete", "13", "demo.gguf", 47, 30,
	  "58648.17210263775", 1, "[[9,12]]", NULL, NULL, 121, NULL },
	{ 18, 17, "assistant", "complete", "15", "demo.gguf", 47, 30,
	  "42732.400580672576", 1, "[[9,16]]", NULL, NULL, 139, NULL },
	{ 20, 19, "assistant", "cancelled", "21", "tiny.gguf", 86, 136,
	  "3193.232130239237", 0, NULL, NULL, NULL, 899, "t17577 t21134 " },
	{ 22, 21, "assistant", "interrupted", "22", "tiny.gguf", 0, 0, "0",
	  0, NULL, NULL, NULL, 3853, "t3993 t15003 " },
	{ 24, 23, "assistant", "error", "23", "demo.gguf", 0, 0, "0", 0,
	  NULL, NULL, "prompt of 52 tokens does not fit the context of 40 "
	  "tokens", 0, "" },
};

static const struct want_msg alt_msgs[] = {
	{ 6, 0, "user", "complete", NULL, NULL, 0, 0, "0", 0, NULL, NULL,
	  NULL, 43, "Line one\nline two\r\n\ttabbed \x01\x1f\x7f \"q\" \\ / "
	  "\xF0\x9F\x98\x80" },
	{ 7, 6, "assistant", "error", "7", "demo.gguf", 10, 0, "0", 0, NULL,
	  "You are careful.", "engine: out of memory", 0, "" },
	{ 8, 6, "assistant", "interrupted", "18446744073709551614",
	  "tiny.gguf", 12, 3, "1234.5678901234567", 1, "[1,[3,5],9]",
	  "You are careful.", NULL, 10, "Partial \xC3\xA4" },
	{ 9, 6, "assistant", "complete", "9", "demo.gguf", 10, 4, "1e-05", 0,
	  NULL, "You are careful.", NULL, 10, "Third try." },
	{ 11, 9, "user", "complete", NULL, NULL, 0, 0, "0", 0, NULL, NULL,
	  NULL, 17, "Edited question B" },
};

/* What one conversation must read back as. */
struct want_conv {
	int64_t		 id;
	const char	*uid, *title, *system, *created;
	int		 archived;
	int64_t		 leaf;
	int		 n_messages;
};

static const struct want_conv cli_convs[] = {
	{ 1, "5ee3e7a8bad095568918f1d1f4197a77", "Is ferritin iron? "
	  "\xF0\x9F\x98\x80 \xF0\x9D\x94\xBC tab here \"quoted\"...",
	  "Be very careful, cite sources.", "2026-12-06T09:07:20.871Z", 0, 8,
	  8 },
	{ 2, "a7b61be43268054489e5022869ae4aff", "First question about blood "
	  "pressure in older adults,...", NULL, "2026-12-06T09:07:21.531Z", 0,
	  18, 10 },
	{ 3, "673809c3a468b7ad22928509d368ba55", "A question I will cancel",
	  NULL, "2026-12-06T09:07:21.965Z", 0, 22, 4 },
	{ 4, "e302c74e80977e72dc52dfb612c6e890", "Renamed: \xC2\xBD \xE2\x9C\x93 "
	  "\xF0\x9F\xA9\xBA", NULL, "2026-12-06T09:07:25.110Z", 1, 24, 2 },
};

static const struct want_conv alt_convs[] = {
	{ 5, "269817bae3e01aa5eb22ec0dbace4f40", "Regenerated twice "
	  "\xE2\x80\x94 \xF0\x9F\xA9\xBA", "You are careful.",
	  "2026-01-05T09:00:00.000Z", 0, 9, 6 },
	{ 6, "4b5254c537b1b517da5f01f6707440d0", "", NULL,
	  "2026-01-06T00:00:00.000Z", 1, 0, 0 },
};

static char *
fixture(const char *name, size_t *len)
{
	const char	*src = getenv("top_srcdir");
	char		*p, *text;

	xasprintf(&p, "%s/tests/fixtures/%s", src != NULL ? src : ".", name);
	text = test_slurp(p, len);
	if (text == NULL)
		test_diag("cannot read %s", p);
	free(p);
	return text;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_conv(struct store *s, const char *what, const struct want_conv *w)
{
	struct store_conv	 c;
	char			 t[40], *cause = NULL;
	int			 ok;

	if (store_conv_get(s, w->id, &c, &cause) != 0) {
		test_condf(0, "%s: conversation %lld: %s", what,
		    (long long)w->id, cause);
		free(cause);
		return;
	}
	ok = same(c.uid, w->uid) && same(c.title, w->title) &&
	    same(c.system, w->system) && c.archived == w->archived &&
	    c.current_leaf == w->leaf && c.n_messages == w->n_messages &&
	    strcmp(store_time_iso_ms(c.created, t, sizeof t), w->created) == 0;
	test_condf(ok, "%s: conversation %lld: uid, title, system, created, "
	    "archived, leaf, count", what, (long long)w->id);
	if (!ok)
		test_diag("got uid %s title '%s' system %s archived %d leaf "
		    "%lld n %d created %s", c.uid, c.title, c.system != NULL ?
		    c.system : "(none)", c.archived, (long long)c.current_leaf,
		    c.n_messages, t);
	store_conv_free(&c);
}

static void
check_msg(struct store *s, const char *what, const struct want_msg *w)
{
	struct store_msg	 m;
	char			 seed[32], *cause = NULL;
	int			 ok;

	if (store_msg_get(s, w->id, &m, &cause) != 0) {
		test_condf(0, "%s: message %lld: %s", what, (long long)w->id,
		    cause);
		free(cause);
		return;
	}
	snprintf(seed, sizeof seed, "%llu", (unsigned long long)m.prov.seed);
	ok = m.parent_id == w->parent &&
	    strcmp(store_role_name(m.role), w->role) == 0 &&
	    strcmp(store_status_name(m.status), w->status) == 0 &&
	    (w->seed == NULL ? !m.prov.has_seed :
	    m.prov.has_seed && strcmp(seed, w->seed) == 0) &&
	    same(m.prov.model_file, w->model_file) &&
	    m.prov.n_prompt == w->n_prompt && m.prov.n_gen == w->n_gen &&
	    m.prov.prefill_tps == strtod(w->prefill, NULL) &&
	    m.prov.trimmed == w->trimmed &&
	    same(m.prov.dropped_json, w->dropped) &&
	    (m.role != STORE_ROLE_ASSISTANT ||
	    same(m.prov.system, w->system)) &&
	    same(m.error, w->error) &&
	    strlen(m.content) == w->content_len &&
	    (w->content_start == NULL || strncmp(m.content, w->content_start,
	    strlen(w->content_start)) == 0);
	test_condf(ok, "%s: message %lld (%s, %s): every field", what,
	    (long long)w->id, w->role, w->status);
	if (!ok)
		test_diag("got parent %lld %s seed %s has %d model %s %d+%d "
		    "prefill %.17g trimmed %d dropped %s system %s error %s "
		    "len %zu", (long long)m.parent_id,
		    store_status_name(m.status), seed, m.prov.has_seed,
		    m.prov.model_file, m.prov.n_prompt, m.prov.n_gen,
		    m.prov.prefill_tps, m.prov.trimmed, m.prov.dropped_json,
		    m.prov.system, m.error, strlen(m.content));
	store_msg_free(&m);
}

/* Export everything in s as JSON, without the "exported" line. */
static char *
export_all(struct store *s)
{
	FILE	*f;
	char	*out = NULL, *cause = NULL, *p, *e;
	size_t	 n = 0;

	if ((f = open_memstream(&out, &n)) == NULL)
		return xstrdup("");
	if (store_export(s, NULL, 0, STORE_FMT_JSON, f, &cause) != 0) {
		test_diag("export: %s", cause);
		free(cause);
	}
	fclose(f);
	if ((p = strstr(out, "\"exported\"")) != NULL &&
	    (e = strchr(p, '\n')) != NULL)
		memmove(p, e, strlen(e) + 1);
	return out;
}

/*
 * Import fixture name into a new database and check it; then export
 * that, import the export into another new database and export again:
 * the two exports must be the same.
 */
static struct store *
import_fixture(const char *name, const char *db, size_t nconv, int uids)
{
	struct store			*s, *s2;
	struct store_import_skip	*sk = NULL;
	int64_t				*ids = NULL;
	size_t				 n = 0, nsk = 0, len = 0;
	char				*json, *cause = NULL, *p, *e1, *e2;

	if ((json = fixture(name, &len)) == NULL)
		return NULL;
	p = tpath(db);
	s = open_ok(p);
	free(p);
	if (s == NULL) {
		free(json);
		return NULL;
	}
	test_condf(store_import(s, json, len, &ids, &n, &sk, &nsk, &cause) ==
	    0 && n == nconv && nsk == 0, "%s: imported, %zu conversations",
	    name, nconv);
	if (cause != NULL)
		test_diag("%s", cause);
	free(cause);
	cause = NULL;
	free(ids);
	store_import_skips_free(sk, nsk);
	/* Again: every conversation is recognised by its uid. */
	if (uids) {
		test_condf(store_import(s, json, len, NULL, &n, &sk, &nsk,
		    &cause) == 0 && n == 0 && nsk == nconv,
		    "%s: imported twice, nothing added", name);
		free(cause);
		cause = NULL;
		store_import_skips_free(sk, nsk);
	}
	free(json);

	e1 = export_all(s);
	p = tpath("again.db");
	unlink(p);
	if ((s2 = open_ok(p)) != NULL) {
		test_condf(store_import_json(s2, e1, strlen(e1), NULL, NULL,
		    &cause) == 0, "%s: its export imports", name);
		free(cause);
		e2 = export_all(s2);
		test_condf(strcmp(e1, e2) == 0 && strlen(e1) > 100,
		    "%s: exported, imported, exported again: the same", name);
		free(e2);
		store_close(s2);
	}
	unlink(p);
	free(p);
	free(e1);
	return s;
}

static void
test_exports(void)
{
	struct store		*s;
	struct store_ack	*acks = NULL;
	size_t			 i, n = 0;
	char			*cause = NULL;
	int			 ok;

	if ((s = import_fixture("export-cli.json", "cli.db", 4, 1)) != NULL) {
		for (i = 0; i < sizeof cli_convs / sizeof *cli_convs; i++)
			check_conv(s, "export-cli", &cli_convs[i]);
		for (i = 0; i < sizeof cli_msgs / sizeof *cli_msgs; i++)
			check_msg(s, "export-cli", &cli_msgs[i]);
		ok = store_ack_list(s, &acks, &n, &cause) == 0 && n == 2;
		for (i = 0; ok && i < n; i++)
			ok = strcmp(acks[i].method, "import:cli-flag") == 0 &&
			    strcmp(acks[i].os_user, "root") == 0 &&
			    (strcmp(acks[i].model_file, "demo.gguf") == 0 ||
			    strcmp(acks[i].model_file, "tiny.gguf") == 0) &&
			    strlen(acks[i].model_sha256) == 64;
		test_cond(ok, "export-cli: both acknowledgements, as imported "
		    "records");
		free(cause);
		store_acks_free(acks, n);
		store_close(s);
	}
	if ((s = import_fixture("export-alternatives.json", "alt.db", 2, 1)) !=
	    NULL) {
		for (i = 0; i < sizeof alt_convs / sizeof *alt_convs; i++)
			check_conv(s, "export-alternatives", &alt_convs[i]);
		for (i = 0; i < sizeof alt_msgs / sizeof *alt_msgs; i++)
			check_msg(s, "export-alternatives", &alt_msgs[i]);
		store_close(s);
	}
	/* The hand-made one has no uids: each import adds them again. */
	if ((s = import_fixture("export-handmade.json", "old.db", 2, 0)) !=
	    NULL) {
		check_msg(s, "export-handmade", &alt_msgs[2]);
		store_close(s);
	}
}

/*
 * Text in the database that is not UTF-8 (the store never writes such,
 * but a file can be edited): the export keeps the record, each bad byte
 * a U+FFFD.
 */
static void
test_not_utf8(void)
{
	struct store	*s;
	struct jsonx_doc d;
	const json_t	*c, *m;
	char		*p, *out, *cause = NULL;
	size_t		 i;
	int		 ok = 0, found = 0;

	if ((s = import_fixture("export-handmade.json", "bad.db", 2, 0)) ==
	    NULL)
		return;
	store_close(s);
	p = tpath("bad.db");
	test_cond(raw_exec(p, "UPDATE messages SET content = "
	    "CAST(X'4f6b20ff20e2' AS TEXT) WHERE id = 9; UPDATE conversations "
	    "SET title = CAST(X'54c3' AS TEXT) WHERE id = 5") == 0,
	    "not UTF-8: made in the database behind the store's back");
	if ((s = open_ok(p)) == NULL) {
		free(p);
		return;
	}
	out = export_all(s);
	if (jsonx_parse(&d, out, strlen(out), &cause) == 0) {
		c = json_array_get(json_object_get(d.root, "conversations"), 0);
		ok = strcmp(json_string_value(json_object_get(c, "title")),
		    "T\xEF\xBF\xBD") == 0;
		for (i = 0; i < json_array_size(json_object_get(c,
		    "messages")); i++) {
			m = json_array_get(json_object_get(c, "messages"), i);
			if (json_integer_value(json_object_get(m, "id")) != 9)
				continue;
			found = 1;
			ok = ok && strcmp(json_string_value(json_object_get(m,
			    "content")), "Ok \xEF\xBF\xBD \xEF\xBF\xBD") == 0;
		}
	}
	test_condf(ok && found, "not UTF-8: exported, each bad byte as U+FFFD, no "
	    "record dropped%s%s", cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	jsonx_free(&d);
	free(out);
	store_close(s);
	free(p);
}

static void
test_params(void)
{
	struct settings	 st;
	char		*j, *w, *nl;

	settings_default(&st);
	j = fixture("params-current.json", NULL);
	test_cond(j != NULL && session_params_read(&st, j) == 0 &&
	    st.s.temp == 0.8f && st.s.top_k == 40 && st.s.top_p == 0.95f &&
	    st.s.min_p == 0.07f && st.s.repeat_penalty == 1.1f &&
	    st.s.repeat_last_n == 64 && st.s.max_tokens == 300 &&
	    st.seed_fixed && st.s.seed == 18446744073709551615ULL &&
	    st.n_ctx == 2048, "params-current: every field, seed 2^64-1");
	/* The writer still writes them byte for byte. */
	if (j != NULL && (nl = strchr(j, '\n')) != NULL)
		*nl = '\0';
	w = session_params_json(&st, NULL);
	test_condf(j != NULL && strcmp(w, j) == 0, "params-current: written "
	    "again the same: %s", w);
	free(w);
	free(j);
	settings_default(&st);
	j = fixture("params-answer.json", NULL);
	test_cond(j != NULL && session_params_read(&st, j) == 0 &&
	    st.s.temp == 0.1f && st.s.top_k == 7 && st.s.max_tokens == -1 &&
	    !st.seed_fixed && st.n_ctx == 0,
	    "params-answer (with engine and kernels): every field");
	if (j != NULL && (nl = strchr(j, '\n')) != NULL)
		*nl = '\0';
	w = session_params_json(&st, "avx2");
	/* Only the version may differ: that of the build that wrote it. */
	test_condf(j != NULL && strncmp(w, j, strstr(j, "\"engine\"") - j) ==
	    0 && strstr(w, ",\"kernels\":\"avx2\"}") != NULL,
	    "params-answer: written again the same: %s", w);
	free(w);
	free(j);
	settings_default(&st);
	j = fixture("params-ask-old.json", NULL);
	test_cond(j != NULL && session_params_read(&st, j) == 0 &&
	    st.s.temp == 0.8f && st.s.top_p == 0.95f && st.s.min_p == 0.05f &&
	    st.s.repeat_penalty == 1.0f && st.s.max_tokens == 5 &&
	    !st.seed_fixed, "params-ask-old (%.9g, no seed_fixed): read, the "
	    "seed not applied");
	free(j);
	settings_default(&st);
	j = fixture("params-tui-old.json", NULL);
	test_cond(j != NULL && session_params_read(&st, j) == 0 &&
	    st.s.temp == 0.3f && st.s.top_k == 12 && st.s.top_p == 0.9f &&
	    st.s.repeat_penalty == 1.1f && st.s.max_tokens == -1 &&
	    st.seed_fixed && st.s.seed == 18446744073709551615ULL &&
	    st.n_ctx == 512, "params-tui-old (%g, seed_fixed, ctx): every "
	    "field");
	free(j);
}

int
main(void)
{
	if (tmpdir_make() != 0)
		return 1;
	test_exports();
	test_not_utf8();
	test_params();
	test_rmtree(tmpdir);
	return test_report();
}
