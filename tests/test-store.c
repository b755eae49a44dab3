/*
 * test-store.c -- the conversation store: creation and permissions,
 * round trips of every table, alternatives and paths, streaming and
 * interrupted answers, FTS search (non-ASCII, hostile queries), the
 * model catalog's lazy sha256, acknowledgements, export/import, upgrades
 * from every earlier schema (tests/store-fixtures/), and files the store
 * must refuse without touching them: not SQLite, truncated, corrupt,
 * newer schema, locked; read-only files and directories (read, never
 * written); and a full disk (RLIMIT_FSIZE).
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "advisory.h"
#include "buf.h"
#include "prompts.h"
#include "sha256.h"
#include "store.h"
#include "store-int.h"
#include "utf8.h"
#include "xmalloc.h"
#include "testhelp.h"

/*
 * The store's structs use char * because the same structs carry owned
 * results; here they are filled with string literals for input only.
 */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static char	tmpdir[] = "/tmp/medchat-store.XXXXXX";

#define STOREHELP_TMPDIR tmpdir
#include "storehelp.h"

/* The sha256 the tests give their model m.gguf. */
#define TEST_SHA256 "0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef"

/*
 * An answer's provenance with every model field and the seed set: m.gguf
 * (Q8_0, TEST_SHA256) through chatml with temp 0.5, top_p 0.9.
 */
static void
full_prov(struct store_prov *p)
{
	memset(p, 0, sizeof *p);
	p->model_file = "m.gguf";
	p->model_quant = "Q8_0";
	p->model_sha256 = TEST_SHA256;
	p->template_name = "chatml";
	p->params_json = "{\"temp\":0.5,\"top_p\":0.9}";
	p->seed = UINT64_MAX - 5;
	p->has_seed = 1;
}

/* A cause is one line that names the file. */
static int
one_line(const char *cause, const char *path)
{
	return cause != NULL && strchr(cause, '\n') == NULL &&
	    (path == NULL || strstr(cause, path) != NULL);
}

static void
file_hash(const char *path, char out[65])
{
	char	*cause;

	if (sha256_file(path, out, NULL, NULL, &cause) != 0) {
		free(cause);
		strcpy(out, "missing");
	}
}

static int
file_mode(const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) != 0)
		return -1;
	return (int)(sb.st_mode & 07777);
}

/* ---- sections -------------------------------------------------------- */

static void
test_create(void)
{
	struct store	*s;
	char		*path, *dir, *wal, *shm, *cause;
	int64_t		 id;
	mode_t		 um;

	path = tpath("new/sub/medchat.db");
	dir = tpath("new/sub");
	wal = tpath("new/sub/medchat.db-wal");
	shm = tpath("new/sub/medchat.db-shm");
	um = umask(022);
	s = open_ok(path);
	test_cond(s != NULL, "create: a new database in a new directory");
	if (s == NULL)
		goto out;
	test_cond(store_conv_create(s, NULL, &id, &cause) == 0,
	    "create: a first write");
	test_condf(file_mode(dir) == 0700, "create: directory is 0700 (%o)",
	    file_mode(dir));
	test_condf(file_mode(path) == 0600, "create: database is 0600 (%o)",
	    file_mode(path));
	test_condf(file_mode(wal) == 0600, "create: -wal is 0600 (%o)",
	    file_mode(wal));
	test_condf(file_mode(shm) == 0600, "create: -shm is 0600 (%o)",
	    file_mode(shm));
	test_cond(raw_int(path, "PRAGMA user_version") ==
	    store_schema_version() && store_schema_version() >= 3,
	    "create: schema at the newest version");
	{
		char	*jm = raw_text(path, "PRAGMA journal_mode");

		test_cond(strcmp(jm, "wal") == 0, "create: WAL mode");
		free(jm);
	}
	test_cond(store_backup_path(s) == NULL,
	    "create: no backup for a new file");
	test_cond(strcmp(store_path(s), path) == 0, "create: store_path");
	store_close(s);

	/* Reopening does not migrate or back up anything. */
	s = open_ok(path);
	test_cond(s != NULL && store_backup_path(s) == NULL,
	    "create: reopen, no backup");
	store_close(s);
out:
	umask(um);
	free(path);
	free(dir);
	free(wal);
	free(shm);
}

static void
test_default_path(void)
{
	/* Each case sets var (HOME stays set, as for the tests after). */
	static const struct {
		const char	*flag, *var, *value, *want, *what;
	} c[] = {
		{ "/x/flag.db", "MEDCHAT_DB", "/x/env.db", "/x/flag.db",
		    "path: --db wins" },
		{ NULL, "MEDCHAT_DB", "/x/env.db", "/x/env.db",
		    "path: MEDCHAT_DB next" },
		{ NULL, "XDG_DATA_HOME", "/x/xdg", "/x/xdg/medchat/medchat.db",
		    "path: XDG_DATA_HOME" },
		{ NULL, "HOME", "/x/home",
		    "/x/home/.local/share/medchat/medchat.db",
		    "path: ~/.local/share fallback" },
	};
	char	*p, *cause = NULL;
	size_t	 i;

	for (i = 0; i < sizeof c / sizeof *c; i++) {
		setenv(c[i].var, c[i].value, 1);
		p = store_default_path(c[i].flag, &cause);
		test_cond(p != NULL && strcmp(p, c[i].want) == 0, c[i].what);
		free(p);
		if (strcmp(c[i].var, "HOME") != 0)
			unsetenv(c[i].var);
	}
}

static void
test_title(void)
{
	char	*t;

	t = store_title_from_text("  What is the usual dose of paracetamol "
	    "for adults with liver disease?");
	test_condf(strcmp(t, "What is the usual dose of paracetamol for...")
	    == 0, "title: first eight words (%s)", t);
	free(t);
	t = store_title_from_text("Short question");
	test_cond(strcmp(t, "Short question") == 0, "title: short kept");
	free(t);
	t = store_title_from_text("\n\t ");
	test_cond(strcmp(t, "(untitled)") == 0, "title: blank");
	free(t);
	t = store_title_from_text("ääääääääääääääääääääääääääääääääääääää"
	    "äääääääääääääää");
	test_cond(strlen(t) <= 63 && utf8_valid(t, strlen(t)),
	    "title: one long word cut on a character boundary");
	free(t);
}

static void
test_convs_messages(const char *path)
{
	struct store		*s;
	struct store_conv	 init, c, *list;
	struct store_msg	 m, *v;
	struct store_prov	 p;
	struct store_list_opts	 lo;
	int64_t			 c1, c2, c3, u1, a1, a2, u2, a3, *alts, leaf;
	char			*cause = NULL;
	size_t			 n, idx;

	if ((s = open_ok(path)) == NULL) {
		test_cond(0, "messages: open");
		return;
	}
	memset(&init, 0, sizeof init);
	init.system = "Be brief.";
	init.template_name = "chatml";
	init.model_file = "m.gguf";
	init.model_sha256 = TEST_SHA256;
	init.model_quant = "Q8_0";
	init.params_json = "{\"temp\":0.5}";
	test_cond(store_conv_create(s, &init, &c1, &cause) == 0 && c1 > 0,
	    "conv: create");
	test_cond(store_conv_get(s, c1, &c, &cause) == 0, "conv: get");
	test_cond(strcmp(c.title, "") == 0 && strcmp(c.system, "Be brief.") ==
	    0 && strcmp(c.template_name, "chatml") == 0 &&
	    strcmp(c.model_file, "m.gguf") == 0 &&
	    strcmp(c.model_sha256, init.model_sha256) == 0 &&
	    strcmp(c.model_quant, "Q8_0") == 0 &&
	    strcmp(c.params_json, "{\"temp\":0.5}") == 0 && !c.archived &&
	    c.n_messages == 0 && c.created > 1700000000000LL,
	    "conv: every field round-trips");
	store_conv_free(&c);

	test_cond(store_msg_add(s, c1, 0, STORE_ROLE_USER,
	    "How much water should an adult drink each day in hot weather?",
	    STORE_STATUS_COMPLETE, NULL, &u1, &cause) == 0, "msg: add user");
	store_conv_get(s, c1, &c, &cause);
	test_condf(strcmp(c.title, "How much water should an adult drink "
	    "each...") == 0, "conv: titled from the first question (%s)",
	    c.title);
	test_cond(c.current_leaf == u1 && c.n_messages == 1,
	    "conv: leaf follows");
	store_conv_free(&c);

	full_prov(&p);
	p.n_prompt = 33;
	p.n_gen = 77;
	p.prefill_tps = 123.456789012345;
	p.decode_tps = 0.1 + 0.2;
	p.trimmed = 1;
	p.dropped_json = "[1,2]";
	test_cond(store_msg_add(s, c1, u1, STORE_ROLE_ASSISTANT,
	    "About two to three litres.", STORE_STATUS_COMPLETE, &p, &a1,
	    &cause) == 0, "msg: add answer with provenance");
	test_cond(store_msg_get(s, a1, &m, &cause) == 0, "msg: get");
	test_cond(m.conv_id == c1 && m.parent_id == u1 &&
	    m.role == STORE_ROLE_ASSISTANT &&
	    strcmp(m.content, "About two to three litres.") == 0 &&
	    m.status == STORE_STATUS_COMPLETE && m.error == NULL &&
	    strcmp(m.prov.model_file, "m.gguf") == 0 &&
	    strcmp(m.prov.model_quant, "Q8_0") == 0 &&
	    strcmp(m.prov.model_sha256, init.model_sha256) == 0 &&
	    strcmp(m.prov.template_name, "chatml") == 0 &&
	    strcmp(m.prov.params_json, p.params_json) == 0 &&
	    m.prov.has_seed && m.prov.seed == UINT64_MAX - 5 &&
	    m.prov.n_prompt == 33 && m.prov.n_gen == 77 &&
	    m.prov.prefill_tps == p.prefill_tps &&
	    m.prov.decode_tps == p.decode_tps && m.prov.trimmed &&
	    strcmp(m.prov.dropped_json, "[1,2]") == 0,
	    "msg: every provenance field round-trips (uint64 seed, doubles)");
	store_msg_free(&m);

	/* Regenerate: a second answer to the same question. */
	test_cond(store_msg_add(s, c1, u1, STORE_ROLE_ASSISTANT,
	    "Roughly 2.5 litres.", STORE_STATUS_CANCELLED, NULL, &a2,
	    &cause) == 0, "msg: alternative answer");
	test_cond(store_msg_alternatives(s, a2, &alts, &n, &idx, &cause) ==
	    0 && n == 2 && alts[0] == a1 && alts[1] == a2 && idx == 1,
	    "msg: alternatives listed in order");
	free(alts);
	test_cond(store_msg_add(s, c1, a2, STORE_ROLE_USER, "And children?",
	    STORE_STATUS_COMPLETE, NULL, &u2, &cause) == 0 &&
	    store_msg_add(s, c1, u2, STORE_ROLE_ASSISTANT, "Less.",
	    STORE_STATUS_COMPLETE, NULL, &a3, &cause) == 0,
	    "msg: continue on the alternative");
	test_cond(store_msg_path(s, c1, 0, &v, &n, &cause) == 0 && n == 4 &&
	    v[0].id == u1 && v[1].id == a2 && v[2].id == u2 && v[3].id == a3,
	    "path: current path root to leaf");
	store_msgs_free(v, n);
	test_cond(store_msg_descend(s, a1, &leaf, &cause) == 0 &&
	    leaf == a1, "descend: an answer without continuation is its own "
	    "end");
	test_cond(store_msg_descend(s, a2, &leaf, &cause) == 0 &&
	    leaf == a3, "descend: an alternative's own continuation");
	test_cond(store_msg_descend(s, u1, &leaf, &cause) == 0 &&
	    leaf == a3, "descend: the newest child at each level");
	test_cond(store_msg_descend(s, 999999, &leaf, &cause) == -1 &&
	    cause != NULL && strstr(cause, "no message 999999") != NULL,
	    "descend: a missing message is named");
	free(cause);
	cause = NULL;
	test_cond(store_msg_path(s, c1, a1, &v, &n, &cause) == 0 && n == 2 &&
	    v[0].id == u1 && v[1].id == a1, "path: to another leaf");
	store_msgs_free(v, n);
	test_cond(store_conv_set_leaf(s, c1, a1, &cause) == 0,
	    "leaf: switch to the first answer");
	store_conv_get(s, c1, &c, &cause);
	test_cond(c.current_leaf == a1, "leaf: stored");
	store_conv_free(&c);
	test_cond(store_conv_set_leaf(s, c1, a2, &cause) == 0, "leaf: back");
	store_conv_get(s, c1, &c, &cause);
	test_cond(c.current_leaf == a3, "leaf: descends to the newest reply");
	store_conv_free(&c);
	test_cond(store_msg_list(s, c1, &v, &n, &cause) == 0 && n == 5,
	    "msg: list has every alternative");
	store_msgs_free(v, n);

	/* Update and finish. */
	test_cond(store_msg_update(s, a3, "Less, by weight.", 16,
	    STORE_STATUS_COMPLETE, &cause) == 0, "msg: update content");
	test_cond(store_msg_finish(s, a3, STORE_STATUS_ERROR, "engine failed",
	    NULL, &cause) == 0, "msg: finish with error");
	store_msg_get(s, a3, &m, &cause);
	test_cond(strcmp(m.content, "Less, by weight.") == 0 &&
	    m.status == STORE_STATUS_ERROR &&
	    strcmp(m.error, "engine failed") == 0, "msg: update+finish stored");
	store_msg_free(&m);
	test_cond(store_msg_update(s, 999999, "x", 1, STORE_STATUS_COMPLETE,
	    &cause) == -1 && one_line(cause, NULL), "msg: update of no message");
	free(cause);
	cause = NULL;
	test_cond(store_msg_add(s, 999999, 0, STORE_ROLE_USER, "x",
	    STORE_STATUS_COMPLETE, NULL, NULL, &cause) == -1 &&
	    strstr(cause, "no conversation 999999") != NULL,
	    "msg: add to no conversation");
	free(cause);
	cause = NULL;

	/* Other conversations: order, archive, rename, delete. */
	store_conv_create(s, NULL, &c2, &cause);
	test_usleep(2000);
	store_conv_create(s, NULL, &c3, &cause);
	test_cond(store_conv_list(s, NULL, &list, &n, &cause) == 0 && n == 3 &&
	    list[0].id == c3 && list[1].id == c2 && list[2].id == c1,
	    "list: newest first");
	test_cond(list[2].n_messages == 5 &&
	    strncmp(list[2].preview, "How much water", 14) == 0,
	    "list: message count and preview");
	store_convs_free(list, n);
	memset(&lo, 0, sizeof lo);
	lo.limit = 1;
	lo.offset = 1;
	test_cond(store_conv_list(s, &lo, &list, &n, &cause) == 0 && n == 1 &&
	    list[0].id == c2, "list: limit and offset");
	store_convs_free(list, n);
	test_cond(store_conv_set_archived(s, c2, 1, &cause) == 0,
	    "archive");
	test_cond(store_conv_list(s, NULL, &list, &n, &cause) == 0 && n == 2,
	    "list: archived hidden");
	store_convs_free(list, n);
	lo.limit = 0;
	lo.offset = 0;
	lo.archived = 1;
	test_cond(store_conv_list(s, &lo, &list, &n, &cause) == 0 && n == 1 &&
	    list[0].id == c2 && list[0].archived, "list: archived only");
	store_convs_free(list, n);
	test_cond(store_conv_rename(s, c1, "Water", &cause) == 0 &&
	    store_conv_set_system(s, c1, NULL, &cause) == 0 &&
	    store_conv_set_settings(s, c1, "llama2", "{\"temp\":0}", &cause) ==
	    0 && store_conv_set_model(s, c1, "n.gguf", NULL, "F16", &cause) ==
	    0, "conv: rename, system, settings, model");
	store_conv_get(s, c1, &c, &cause);
	test_cond(strcmp(c.title, "Water") == 0 && c.system == NULL &&
	    strcmp(c.template_name, "llama2") == 0 &&
	    strcmp(c.params_json, "{\"temp\":0}") == 0 &&
	    strcmp(c.model_file, "n.gguf") == 0 && c.model_sha256 == NULL &&
	    strcmp(c.model_quant, "F16") == 0, "conv: changes stored");
	store_conv_free(&c);
	test_cond(store_conv_rename(s, 424242, "x", &cause) == -1 &&
	    strstr(cause, "no conversation 424242") != NULL,
	    "rename: no such conversation");
	free(cause);
	cause = NULL;
	test_cond(store_conv_delete(s, c3, &cause) == 0 &&
	    store_conv_get(s, c3, &c, &cause) == -1, "delete");
	free(cause);
	cause = NULL;
	store_close(s);
}

static void
test_delete_cascade(const char *path)
{
	struct store	*s;
	struct store_hit *h;
	int64_t		 c, u, a;
	char		*cause = NULL;
	size_t		 n;

	if ((s = open_ok(path)) == NULL)
		return;
	store_conv_create(s, NULL, &c, &cause);
	store_msg_add(s, c, 0, STORE_ROLE_USER, "zebrafish toxicology",
	    STORE_STATUS_COMPLETE, NULL, &u, &cause);
	store_msg_add(s, c, u, STORE_ROLE_ASSISTANT, "zebrafish answer",
	    STORE_STATUS_COMPLETE, NULL, &a, &cause);
	test_cond(store_search(s, "zebrafish", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n == 3, "delete: found before (2 messages + title)");
	store_hits_free(h, n);
	test_cond(store_conv_delete(s, c, &cause) == 0, "delete: ok");
	test_cond(store_search(s, "zebrafish", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n == 0, "delete: search index follows");
	store_hits_free(h, n);
	store_close(s);
	test_cond(raw_int(path, "SELECT count(*) FROM messages WHERE content "
	    "LIKE 'zebrafish%'") == 0, "delete: messages cascade");
}

static void
test_stream(const char *path)
{
	struct store		*s;
	struct store_stream	*ss;
	struct store_prov	 p;
	struct store_msg	 m;
	int64_t			 c, u, id;
	char			*cause = NULL;

	if ((s = open_ok(path)) == NULL)
		return;
	store_conv_create(s, NULL, &c, &cause);
	store_msg_add(s, c, 0, STORE_ROLE_USER, "Tell me about iron.",
	    STORE_STATUS_COMPLETE, NULL, &u, &cause);
	memset(&p, 0, sizeof p);
	p.model_file = "demo.gguf";
	p.has_seed = 1;
	p.seed = 7;
	ss = store_stream_start(s, c, u, &p);
	test_cond(store_stream_id(ss) == 0, "stream: no row before a token");
	test_cond(store_stream_append(ss, "Iron ", 5, &cause) == 0,
	    "stream: first token");
	id = store_stream_id(ss);
	test_cond(id > 0, "stream: row created at the first token");
	store_msg_get(s, id, &m, &cause);
	test_cond(m.status == STORE_STATUS_STREAMING &&
	    strcmp(m.content, "Iron ") == 0 && m.parent_id == u &&
	    strcmp(m.prov.model_file, "demo.gguf") == 0,
	    "stream: row is 'streaming' with the first text");
	store_msg_free(&m);
	store_stream_append(ss, "is ", 3, &cause);
	test_usleep((STORE_STREAM_FLUSH_MS + 30) * 1000);
	test_cond(store_stream_append(ss, "a metal", 7, &cause) == 0,
	    "stream: append after the flush interval");
	store_msg_get(s, id, &m, &cause);
	test_cond(strcmp(m.content, "Iron is a metal") == 0,
	    "stream: saved once 250 ms have passed");
	store_msg_free(&m);
	store_stream_append(ss, ".", 1, &cause);
	test_usleep((STORE_STREAM_FLUSH_MS + 30) * 1000);
	test_cond(store_stream_tick(ss, &cause) == 0, "stream: tick");
	store_msg_get(s, id, &m, &cause);
	test_cond(strcmp(m.content, "Iron is a metal.") == 0,
	    "stream: tick saves text left by a pause");
	store_msg_free(&m);
	p.n_gen = 4;
	p.decode_tps = 12.5;
	test_cond(store_stream_finish(ss, STORE_STATUS_COMPLETE, NULL, &p,
	    &id, &cause) == 0, "stream: finish");
	test_cond(strcmp(store_stream_text(ss), "Iron is a metal.") == 0,
	    "stream: text kept");
	store_stream_free(ss);
	store_msg_get(s, id, &m, &cause);
	test_cond(strcmp(m.content, "Iron is a metal.") == 0 &&
	    m.status == STORE_STATUS_COMPLETE && m.prov.n_gen == 4 &&
	    m.prov.decode_tps == 12.5, "stream: final text, status, provenance");
	store_msg_free(&m);

	/* Cancelled before any token: the row still records it. */
	ss = store_stream_start(s, c, id, NULL);
	test_cond(store_stream_finish(ss, STORE_STATUS_CANCELLED, NULL, NULL,
	    &id, &cause) == 0 && id > 0, "stream: empty cancelled answer");
	store_stream_free(ss);
	store_msg_get(s, id, &m, &cause);
	test_cond(m.status == STORE_STATUS_CANCELLED && m.content[0] == '\0',
	    "stream: cancelled row");
	store_msg_free(&m);
	store_close(s);
}

/*
 * A process that dies while streaming leaves a 'streaming' row; the
 * next open marks it interrupted.  A row whose writer still runs is
 * left alone.
 */
static void
test_interrupted(const char *path)
{
	struct store		*s, *s2;
	struct store_stream	*ss;
	struct store_msg	 m;
	int64_t			 c, u, live;
	char			*cause = NULL;
	pid_t			 pid;
	int			 status, fds[2];
	long long		 res[2] = { 0, -1 };

	if ((s = open_ok(path)) == NULL)
		return;
	store_conv_create(s, NULL, &c, &cause);
	store_msg_add(s, c, 0, STORE_ROLE_USER, "q", STORE_STATUS_COMPLETE,
	    NULL, &u, &cause);
	/* Our own live stream, open while the child runs. */
	ss = store_stream_start(s, c, u, NULL);
	store_stream_append(ss, "live", 4, &cause);
	live = store_stream_id(ss);

	if (pipe(fds) != 0)
		return;
	if ((pid = fork()) == 0) {
		struct store		*cs;
		struct store_stream	*css;

		close(fds[0]);
		if (store_open(path, advisory_ident(), &cs, &cause) == 0) {
			res[1] = store_n_interrupted(cs);
			css = store_stream_start(cs, c, u, NULL);
			store_stream_append(css, "half an ans", 11, &cause);
			res[0] = store_stream_id(css);
		}
		if (write(fds[1], res, sizeof res) != sizeof res)
			_exit(2);
		_exit(0);	/* dies without finishing */
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof res) != sizeof res)
		res[0] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	test_cond(res[0] > 0, "interrupted: child streamed a partial answer");
	test_cond(res[1] == 0,
	    "interrupted: the child left our live answer alone");

	s2 = open_ok(path);
	if (s2 == NULL) {
		store_stream_free(ss);
		store_close(s);
		return;
	}
	test_condf(store_n_interrupted(s2) == 1,
	    "interrupted: the dead child's answer marked at open (%d)",
	    store_n_interrupted(s2));
	store_msg_get(s2, (int64_t)res[0], &m, &cause);
	test_cond(m.status == STORE_STATUS_INTERRUPTED &&
	    strcmp(m.content, "half an ans") == 0,
	    "interrupted: partial text kept, status interrupted");
	store_msg_free(&m);
	store_msg_get(s2, live, &m, &cause);
	test_cond(m.status == STORE_STATUS_STREAMING,
	    "interrupted: a live writer's row is left alone");
	store_msg_free(&m);
	store_close(s2);
	test_cond(store_stream_finish(ss, STORE_STATUS_COMPLETE, NULL, NULL,
	    NULL, &cause) == 0, "interrupted: live stream finishes");
	store_stream_free(ss);
	store_close(s);
}

static void
test_search(const char *path)
{
	static const char *const hostile[] = {
		"\"", "\"\"", "a\"b", "(", ")", "*", "-", "NEAR(", "AND", "OR",
		"NOT", "title:x", "^x", "{a b}", "+", "\\", "x*y", "'", ":",
		"a OR", "\"unbalanced", "col : val", "NEAR/2", "\xff\xfe",
	};
	struct store		*s;
	struct store_hit	*h;
	int64_t			 c, u, a;
	char			*cause = NULL;
	size_t			 n, i;
	int			 bad = 0;

	if ((s = open_ok(path)) == NULL)
		return;
	store_conv_create(s, NULL, &c, &cause);
	store_msg_add(s, c, 0, STORE_ROLE_USER, "Was hilft gegen Übelkeit "
	    "und Schwindel? Ζάλη και ναυτία.", STORE_STATUS_COMPLETE, NULL, &u,
	    &cause);
	store_msg_add(s, c, u, STORE_ROLE_ASSISTANT, "Ingwer kann helfen; "
	    "bei anhaltendem Erbrechen zum Arzt. Метоклопрамид only on "
	    "prescription.", STORE_STATUS_COMPLETE, NULL, &a, &cause);

	test_cond(store_search(s, "Übelkeit", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n >= 1 && h[0].conv_id == c,
	    "search: non-ASCII word in a question");
	test_cond(n >= 1 && strstr(h[0].snippet, "[Übelkeit]") != NULL,
	    "search: match marked in the snippet");
	store_hits_free(h, n);
	test_cond(store_search(s, "übelkeit", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n >= 1, "search: case folding of non-ASCII");
	store_hits_free(h, n);
	test_cond(store_search(s, "ubelkeit", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n >= 1, "search: diacritics ignored");
	store_hits_free(h, n);
	test_cond(store_search(s, "ναυτία", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n >= 1, "search: Greek");
	store_hits_free(h, n);
	test_cond(store_search(s, "метоклопрамид", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n == 1 && h[0].msg_id == a &&
	    h[0].role == STORE_ROLE_ASSISTANT,
	    "search: Cyrillic in an answer (case folded)");
	store_hits_free(h, n);
	test_cond(store_search(s, "Ingw", 1, "[", "]", 0, &h, &n, &cause) ==
	    0 && n == 1, "search: prefix (incremental)");
	store_hits_free(h, n);
	test_cond(store_search(s, "Ingw", 0, "[", "]", 0, &h, &n, &cause) ==
	    0 && n == 0, "search: no prefix without asking");
	store_hits_free(h, n);
	test_cond(store_search(s, "Ingwer Arzt", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n == 1, "search: all words must match");
	store_hits_free(h, n);
	test_cond(store_search(s, "Ingwer Narkose", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n == 0, "search: not across messages");
	store_hits_free(h, n);
	test_cond(store_search(s, "Schwindel", 0, "[", "]", 0, &h, &n,
	    &cause) == 0 && n == 2, "search: title and question both hit");
	store_hits_free(h, n);
	test_cond(store_search(s, "   ", 0, "[", "]", 0, &h, &n, &cause) ==
	    0 && n == 0, "search: empty query, no hits");
	store_hits_free(h, n);
	/* Each hostile query as words (i even) and as a prefix (i odd). */
	for (i = 0; i < 2 * (sizeof hostile / sizeof *hostile); i++) {
		if (store_search(s, hostile[i / 2], i % 2, "[", "]", 0, &h, &n,
		    &cause) != 0) {
			test_diag("%squery '%s': %s", i % 2 ? "prefix " : "",
			    hostile[i / 2], cause);
			free(cause);
			cause = NULL;
			bad++;
		} else
			store_hits_free(h, n);
	}
	test_condf(bad == 0, "search: %zu hostile queries are no syntax error",
	    sizeof hostile / sizeof *hostile);
	{
		char	*q = store_fts_query("a \"b\" c", 1);

		test_condf(strcmp(q, "\"a\" \"\"\"b\"\"\" \"c\"*") == 0,
		    "search: quoting (%s)", q);
		free(q);
	}
	/* A hit on a renamed title. */
	store_conv_rename(s, c, "Reiseübelkeit bei Kindern", &cause);
	test_cond(store_search(s, "Kindern", 0, "<", ">", 0, &h, &n,
	    &cause) == 0 && n == 1 && h[0].msg_id == 0 &&
	    strstr(h[0].snippet, "<Kindern>") != NULL,
	    "search: renamed title indexed");
	store_hits_free(h, n);
	store_close(s);
}

static void
test_settings_models_acks(const char *path)
{
	struct store		*s;
	struct store_model	 m, *mv;
	struct store_ack	 a, *av;
	char			*cause = NULL, *v, h1[65], h2[65], *mp;
	size_t			 n;
	int			 computed, fd;
	FILE			*f;

	if ((s = open_ok(path)) == NULL)
		return;
	test_cond(store_setting_get(s, "nope", &v, &cause) == 0 && v == NULL,
	    "settings: unset is NULL");
	test_cond(store_setting_set(s, "model", "/m/a.gguf", &cause) == 0 &&
	    store_setting_set(s, "model", "/m/b.gguf", &cause) == 0 &&
	    store_setting_get(s, "model", &v, &cause) == 0 &&
	    strcmp(v, "/m/b.gguf") == 0, "settings: set, overwrite, get");
	free(v);
	test_cond(store_setting_set(s, "model", NULL, &cause) == 0 &&
	    store_setting_get(s, "model", &v, &cause) == 0 && v == NULL,
	    "settings: delete");

	memset(&m, 0, sizeof m);
	m.path = "/m/a.gguf";
	m.size = 5000000000ULL;
	m.mtime_ns = 1700000000123456789LL;
	m.sha256 = "ab";
	m.name = "A";
	m.quant = "Q4_K_M";
	m.summary_json = "{\"n_params\":7}";
	test_cond(store_model_put(s, &m, &cause) == 0, "models: put");
	test_cond(store_model_get(s, "/m/a.gguf", &m, &cause) == 0 &&
	    m.size == 5000000000ULL && m.mtime_ns == 1700000000123456789LL &&
	    strcmp(m.sha256, "ab") == 0 && strcmp(m.name, "A") == 0 &&
	    strcmp(m.quant, "Q4_K_M") == 0 &&
	    strcmp(m.summary_json, "{\"n_params\":7}") == 0 &&
	    m.last_used == 0, "models: every field round-trips");
	store_model_free(&m);
	m.path = "/m/a.gguf";
	m.size = 5000000001ULL;
	m.mtime_ns = 1;
	m.sha256 = NULL;
	m.name = m.quant = m.summary_json = NULL;
	m.last_used = 0;
	store_model_put(s, &m, &cause);
	test_cond(store_model_get(s, "/m/a.gguf", &m, &cause) == 0 &&
	    m.sha256 == NULL, "models: a changed file forgets its sha256");
	store_model_free(&m);
	test_cond(store_model_get(s, "/m/none", &m, &cause) == 1,
	    "models: absent is 1");
	m.path = "/m/b.gguf";
	m.size = 1;
	m.mtime_ns = 1;
	store_model_put(s, &m, &cause);
	test_cond(store_model_touch(s, "/m/b.gguf", &cause) == 0 &&
	    store_model_list(s, &mv, &n, &cause) == 0 && n == 2 &&
	    strcmp(mv[0].path, "/m/b.gguf") == 0 && mv[0].last_used > 0,
	    "models: list, most recently used first");
	store_models_free(mv, n);
	test_cond(store_model_delete(s, "/m/b.gguf", &cause) == 0 &&
	    store_model_get(s, "/m/b.gguf", &m, &cause) == 1,
	    "models: delete");

	/* Lazy sha256 of a real file, cached by (path, size, mtime). */
	mp = tpath("model.gguf");
	f = fopen(mp, "w");
	fputs("GGUF pretend weights", f);
	fclose(f);
	file_hash(mp, h1);
	test_cond(store_model_sha256(s, mp, h2, &computed, &cause) == 0 &&
	    computed == 1 && strcmp(h1, h2) == 0,
	    "sha256: computed the first time");
	test_cond(store_model_sha256(s, mp, h2, &computed, &cause) == 0 &&
	    computed == 0 && strcmp(h1, h2) == 0, "sha256: cached after");
	fd = open(mp, O_WRONLY | O_APPEND);
	if (write(fd, "!", 1) != 1)
		test_diag("append failed");
	close(fd);
	file_hash(mp, h1);
	test_cond(store_model_sha256(s, mp, h2, &computed, &cause) == 0 &&
	    computed == 1 && strcmp(h1, h2) == 0,
	    "sha256: recomputed when the file changes");
	test_cond(store_model_sha256(s, "/nonexistent.gguf", h2, &computed,
	    &cause) == -1 && one_line(cause, "/nonexistent.gguf"),
	    "sha256: missing file");
	free(cause);
	cause = NULL;

	/* Acknowledgements. */
	test_cond(store_ack_check(s, h1, NULL, &cause) == 0,
	    "ack: none at first");
	test_cond(store_ack_record(s, "model.gguf", "Q4_0", h1, "cli-flag",
	    &cause) == 0, "ack: record");
	test_cond(store_ack_check(s, h1, &a, &cause) == 1, "ack: found");
	{
		struct passwd	*pw = getpwuid(geteuid());

		test_cond(strcmp(a.advisory_version, advisory_version()) == 0 &&
		    strcmp(a.advisory_sha256, advisory_sha256()) == 0 &&
		    strcmp(a.model_file, "model.gguf") == 0 &&
		    strcmp(a.model_quant, "Q4_0") == 0 &&
		    strcmp(a.model_sha256, h1) == 0 &&
		    strcmp(a.method, "cli-flag") == 0 &&
		    pw != NULL && strcmp(a.os_user, pw->pw_name) == 0 &&
		    a.time > 1700000000000LL, "ack: every field recorded");
	}
	store_ack_free(&a);
	test_cond(store_ack_check(s, "0000000000000000000000000000000000000000"
	    "000000000000000000000000", NULL, &cause) == 0,
	    "ack: another model needs its own");
	test_cond(store_ack_record(s, "x", NULL, "short", "tui", &cause) ==
	    -1, "ack: refuses without a model sha256");
	free(cause);
	cause = NULL;
	store_ack_record(s, "model.gguf", "Q4_0", h1, "tui", &cause);
	test_cond(store_ack_list(s, &av, &n, &cause) == 0 && n == 2 &&
	    strcmp(av[0].method, "tui") == 0, "ack: list newest first");
	store_acks_free(av, n);
	store_close(s);
	/* An older advisory text does not count. */
	raw_exec(path, "UPDATE advisory_acks SET advisory_sha256 = 'old'");
	s = open_ok(path);
	test_cond(s != NULL && store_ack_check(s, h1, NULL, &cause) == 0,
	    "ack: asked again when the advisory text changes");
	store_close(s);
	free(mp);
}

/* Export everything, import into a fresh file, export again: same bytes. */
static void
test_export_import(const char *path)
{
	struct store	*s, *s2;
	char		*p2, *e1, *e2, *md, *txt, *cause = NULL, *x, *u;
	int64_t		*ids;
	size_t		 n, len1, len2, lmd, ltxt;
	FILE		*f;
	long long	 before;

	if ((s = open_ok(path)) == NULL)
		return;
	/* One answer with full provenance on the shown path, acknowledged. */
	{
		struct store_prov	p;
		int64_t			c, u;

		full_prov(&p);
		store_conv_create(s, NULL, &c, &cause);
		store_msg_add(s, c, 0, STORE_ROLE_USER, "Export me",
		    STORE_STATUS_COMPLETE, NULL, &u, &cause);
		store_msg_add(s, c, u, STORE_ROLE_ASSISTANT, "Exported.",
		    STORE_STATUS_COMPLETE, &p, NULL, &cause);
		test_cond(store_ack_record(s, "m.gguf", "Q8_0",
		    p.model_sha256, "cli-flag", &cause) == 0,
		    "export: acknowledge the model first");
	}
	f = open_memstream(&e1, &len1);
	test_cond(store_export(s, NULL, 0, STORE_FMT_JSON, f, &cause) == 0,
	    "export: json of all");
	fclose(f);
	f = open_memstream(&md, &lmd);
	test_cond(store_export(s, NULL, 0, STORE_FMT_MD, f, &cause) == 0,
	    "export: markdown");
	fclose(f);
	f = open_memstream(&txt, &ltxt);
	test_cond(store_export(s, NULL, 0, STORE_FMT_TXT, f, &cause) == 0,
	    "export: text");
	fclose(f);
	xasprintf(&x, "Advisory: version %s, sha256 %s", advisory_version(),
	    advisory_sha256());
	test_cond(strstr(md, x) != NULL && strstr(txt, x) != NULL,
	    "export: header names the advisory version and hash");
	free(x);
	test_cond(strstr(md, "Acknowledged: advisory version") != NULL &&
	    strstr(md, "via cli-flag") != NULL,
	    "export: header carries the acknowledgement record");
	test_cond(strstr(md, "_Provenance: model m.gguf (Q8_0, sha256 "
	    "0123456789abcdef") != NULL && strstr(md, "seed 18446744073709551610")
	    != NULL && strstr(md, "template chatml") != NULL &&
	    strstr(md, "parameters {\"temp\":0.5,\"top_p\":0.9}") != NULL,
	    "export: answers carry model, quant, sha256, template, params, seed");
	test_cond(strstr(e1, "\"acknowledgements\": [\n") != NULL &&
	    strstr(e1, "\"seed\": 18446744073709551610") != NULL,
	    "export: json has acks and exact seed");
	test_cond(strstr(md, "[interrupted]") != NULL,
	    "export: interrupted answers marked");

	p2 = tpath("import.db");
	s2 = open_ok(p2);
	test_cond(s2 != NULL && store_import_json(s2, e1, len1, &ids, &n,
	    &cause) == 0 && n > 3, "import: into a fresh database");
	free(ids);
	f = open_memstream(&e2, &len2);
	store_export(s2, NULL, 0, STORE_FMT_JSON, f, &cause);
	fclose(f);
	/* Only the "exported" time may differ (and the acks: not imported). */
	{
		char	*a = strstr(e1, "\"conversations\""),
			*b = strstr(e2, "\"conversations\"");

		test_cond(a != NULL && b != NULL && strcmp(a, b) == 0,
		    "import: export of the import is byte-identical");
	}
	free(e2);

	/*
	 * Into the same database: every conversation is already there (its
	 * uid), so each is skipped and reported, nothing duplicated.
	 */
	before = raw_int(path, "SELECT count(*) FROM messages");
	{
		struct store_import_skip	*sk;
		size_t				 nsk;
		long long			 nconv;

		nconv = raw_int(path, "SELECT count(*) FROM conversations");
		test_cond(store_import(s, e1, len1, &ids, &n, &sk, &nsk,
		    &cause) == 0 && n == 0 && (long long)nsk == nconv &&
		    raw_int(path, "SELECT count(*) FROM messages") == before,
		    "import: into the database it came from: every "
		    "conversation skipped as already there");
		store_import_skips_free(sk, nsk);
		free(ids);
	}
	/* Without uids (an older export): new ids, same content. */
	while ((u = strstr(e1, "\"uid\": \"")) != NULL)
		memcpy(u, "\"xid", 4);
	test_cond(store_import_json(s, e1, len1, &ids, &n, &cause) == 0,
	    "import: an export without uids into the database it came from");
	test_cond(raw_int(path, "SELECT count(*) FROM messages") == 2 * before,
	    "import: every message again, with new ids");
	if (n > 0) {
		struct store_msg	*v;
		size_t			 nv;

		test_cond(store_msg_path(s, ids[0], 0, &v, &nv, &cause) == 0 &&
		    nv >= 1, "import: remapped parents make a path");
		store_msgs_free(v, nv);
	}
	free(ids);

	/* Bad input: one line, nothing half-imported. */
	before = raw_int(path, "SELECT count(*) FROM messages");
	{
		static const char *const bad[] = {
			"",
			"{",
			"[1,2]",
			"{\"format\": \"other\"}",
			"{\"format\": \"medchat-export\", \"version\": 99}",
			"{\"format\": \"medchat-export\", \"version\": 1, "
			    "\"conversations\": [{\"id\": 1}]}",
			"{\"format\": \"medchat-export\", \"version\": 1, "
			    "\"conversations\": [{\"id\": 1, \"title\": \"t\", "
			    "\"created\": \"2026-01-01T00:00:00.000Z\", "
			    "\"updated\": \"2026-01-01T00:00:00.000Z\", "
			    "\"archived\": false, \"messages\": [{\"id\": 5, "
			    "\"parent\": 6, \"role\": \"user\"}]}]}",
			"{\"format\": \"medchat-export\", \"version\": 1, "
			    "\"conversations\": [{\"id\": 1, \"title\": \"t\", "
			    "\"created\": \"yesterday\", "
			    "\"updated\": \"2026-01-01T00:00:00.000Z\", "
			    "\"archived\": false, \"messages\": []}]}",
			"{\"format\": \"medchat-export\", \"version\": 1, "
			    "\"conversations\": [{\"id\": 1, \"title\": \"t\", "
			    "\"created\": \"2026-01-01T00:00:00.000Z\", "
			    "\"updated\": \"2026-01-01T00:00:00.000Z\", "
			    "\"archived\": false, \"messages\": [{\"id\": 5, "
			    "\"role\": \"wizard\", \"status\": \"complete\", "
			    "\"content\": \"x\", "
			    "\"created\": \"2026-01-01T00:00:00.000Z\", "
			    "\"updated\": \"2026-01-01T00:00:00.000Z\"}]}]}",
		};
		size_t	i;
		int	bad_ok = 1;

		for (i = 0; i < sizeof bad / sizeof *bad; i++) {
			if (store_import_json(s, bad[i], strlen(bad[i]), NULL,
			    NULL, &cause) != -1 || !one_line(cause, NULL)) {
				test_diag("bad import %zu accepted", i);
				bad_ok = 0;
			}
			free(cause);
			cause = NULL;
		}
		test_cond(bad_ok, "import: malformed exports refused, one line");
	}
	/* A valid conversation followed by a bad one: all or nothing. */
	{
		char	*half, *cut;

		xasprintf(&half, "%s", e1);
		cut = strstr(half, "\"role\": \"user\"");
		if (cut != NULL)
			memcpy(cut, "\"role\": \"usex\"", 14);
		test_cond(store_import_json(s, half, strlen(half), NULL, NULL,
		    &cause) == -1, "import: a bad message fails the import");
		free(cause);
		cause = NULL;
		free(half);
	}
	test_cond(raw_int(path, "SELECT count(*) FROM messages") == before,
	    "import: a failed import leaves nothing behind");

	/* Deep nesting is refused by the parser, not a crash. */
	{
		static const char nul[] = "{\"format\": \"a\\u0000b\"}";
		struct buf	 b = BUF_INIT;
		int		 i;

		buf_puts(&b, "{\"format\": \"medchat-export\", \"version\": "
		    "1, \"conversations\": ");
		for (i = 0; i < 100000; i++)
			buf_putc(&b, '[');
		test_cond(store_import_json(s, b.data, b.len, NULL, NULL,
		    &cause) == -1 && one_line(cause, NULL) &&
		    strstr(cause, "JSON error at byte") != NULL &&
		    strstr(cause, "depth") != NULL,
		    "import: nesting bounded, refused in one line");
		free(cause);
		cause = NULL;
		buf_free(&b);
		test_cond(store_import_json(s, nul, strlen(nul), NULL, NULL,
		    &cause) == -1 && one_line(cause, NULL),
		    "import: \\u0000 refused");
		free(cause);
		cause = NULL;
	}
	free(e1);
	free(md);
	free(txt);
	free(p2);
	store_close(s2);
	store_close(s);
}

/* Count the rows of advisory_acks in path matching where ("1" = all). */
static long long
ack_count(const char *path, const char *where)
{
	char		*sql;
	long long	 n;

	xasprintf(&sql, "SELECT count(*) FROM advisory_acks WHERE %s", where);
	n = raw_int(path, sql);
	free(sql);
	return n;
}

/* An export with one acknowledgement whose field key is set to value. */
static char *
ack_json(const char *key, const char *value)
{
	static const char *const keys[] = { "advisory_version",
	    "advisory_sha256", "model_file", "model_quant", "model_sha256",
	    "os_user", "time", "method" };
	static const char *const good[] = { "\"1\"",
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	    "\"x.gguf\"", "\"Q4_0\"",
	    "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"",
	    "\"alice\"", "\"2026-05-06T07:08:09.010Z\"", "\"tui\"" };
	struct buf	 b = BUF_INIT;
	size_t		 i;

	buf_puts(&b, "{\"format\": \"medchat-export\", \"version\": 1, "
	    "\"acknowledgements\": [{");
	for (i = 0; i < sizeof keys / sizeof *keys; i++) {
		if (key != NULL && strcmp(key, keys[i]) == 0 && value == NULL)
			continue;	/* left out */
		buf_printf(&b, "%s\"%s\": %s", i ? ", " : "", keys[i],
		    key != NULL && strcmp(key, keys[i]) == 0 ? value :
		    good[i]);
	}
	buf_puts(&b, "}], \"conversations\": [{\"id\": 900, \"title\": \"t\", "
	    "\"created\": \"2026-01-01T00:00:00.000Z\", \"updated\": "
	    "\"2026-01-01T00:00:00.000Z\", \"archived\": false, "
	    "\"messages\": []}]}");
	return buf_detach(&b);
}

/*
 * Acknowledgements come back with an import: as records marked
 * "import:<method>" that the gate ignores, never twice, every field
 * checked, all or nothing with the conversations.
 */
static void
test_import_acks(const char *path)
{
	static const char *const bad[][2] = {
		{ "advisory_sha256", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"" },
		{ "model_sha256", "\"bbbb\"" },
		{ "model_sha256", NULL },
		{ "time", "\"last tuesday\"" },
		{ "time", "1778051289010" },
		{ "method", "\"magic\"" },
		{ "method", "\"import:import:tui\"" },
		{ "model_file", "\"a\\u001b[2Jb.gguf\"" },
		{ "model_file", "\"\"" },
		{ "model_quant", "4" },
		{ "os_user", NULL },
		{ "advisory_version", "[]" },
	};
	struct store	*s, *s3;
	char		*e1 = NULL, *e3 = NULL, *p3, *j, *cause = NULL;
	const char	*sha = TEST_SHA256;
	size_t		 len1, len3, i, nexp = 0;
	long long	 acks, convs, src_acks;
	int		 bad_ok = 1;
	FILE		*f;

	if ((s = open_ok(path)) == NULL)
		return;
	f = open_memstream(&e1, &len1);
	store_export(s, NULL, 0, STORE_FMT_JSON, f, &cause);
	fclose(f);
	for (j = e1; (j = strstr(j, "\"advisory_version\"")) != NULL; j++)
		nexp++;
	test_condf(nexp >= 1, "import acks: the export holds %zu", nexp);

	p3 = tpath("acks.db");
	if ((s3 = open_ok(p3)) == NULL)
		goto out;
	test_cond(store_import_json(s3, e1, len1, NULL, NULL, &cause) == 0 &&
	    ack_count(p3, "1") == (long long)nexp,
	    "import acks: every record of the export imported");
	test_cond(ack_count(p3, "method = 'import:cli-flag'") >= 1 &&
	    ack_count(p3, "method NOT LIKE 'import:%'") == 0,
	    "import acks: marked import:<method>");
	test_cond(ack_count(p3, "model_file = 'm.gguf' AND model_quant = "
	    "'Q8_0' AND model_sha256 = '0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef'") >= 1,
	    "import acks: fields kept");
	test_cond(store_ack_check(s3, sha, NULL, &cause) == 0,
	    "import acks: the gate ignores imported records");
	test_cond(store_ack_check(s, sha, NULL, &cause) == 1,
	    "import acks: ... while the original still counts");

	convs = raw_int(p3, "SELECT count(*) FROM conversations");
	test_cond(store_import_json(s3, e1, len1, NULL, NULL, &cause) == 0 &&
	    ack_count(p3, "1") == (long long)nexp &&
	    raw_int(p3, "SELECT count(*) FROM conversations") == convs,
	    "import acks: importing twice adds no record (nor conversation)");
	f = open_memstream(&e3, &len3);
	store_export(s3, NULL, 0, STORE_FMT_JSON, f, &cause);
	fclose(f);
	test_cond(e3 != NULL && strstr(e3, "\"method\": \"import:cli-flag\"")
	    != NULL, "import acks: exported again as imported");
	test_cond(store_import_json(s3, e3, len3, NULL, NULL, &cause) == 0 &&
	    ack_count(p3, "1") == (long long)nexp &&
	    ack_count(p3, "method LIKE 'import:import:%'") == 0,
	    "import acks: re-importing that adds nothing, no double mark");
	src_acks = ack_count(path, "1");
	test_cond(store_import_json(s, e3, len3, NULL, NULL, &cause) == 0 &&
	    ack_count(path, "1") == src_acks,
	    "import acks: back where they came from: already there");

	/* Each malformed field: one line naming it, nothing imported. */
	acks = ack_count(p3, "1");
	convs = raw_int(p3, "SELECT count(*) FROM conversations");
	j = ack_json(NULL, NULL);
	test_cond(store_import_json(s3, j, strlen(j), NULL, NULL, &cause) ==
	    0 && ack_count(p3, "os_user = 'alice' AND method = 'import:tui'")
	    == 1, "import acks: the well-formed sample imports");
	free(j);
	acks++;
	convs++;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		j = ack_json(bad[i][0], bad[i][1]);
		cause = NULL;
		if (store_import_json(s3, j, strlen(j), NULL, NULL,
		    &cause) != -1 || !one_line(cause, NULL) ||
		    strstr(cause, "acknowledgement 1") == NULL ||
		    strstr(cause, bad[i][0]) == NULL) {
			test_diag("bad ack %zu (%s): %s", i, bad[i][0],
			    cause != NULL ? cause : "accepted");
			bad_ok = 0;
		}
		free(cause);
		cause = NULL;
		free(j);
	}
	test_cond(bad_ok, "import acks: every malformed field refused, one "
	    "line naming it");
	test_cond(ack_count(p3, "1") == acks && raw_int(p3,
	    "SELECT count(*) FROM conversations") == convs,
	    "import acks: a refused import leaves nothing behind");
	j = xstrdup("{\"format\": \"medchat-export\", \"version\": 1, "
	    "\"acknowledgements\": {}, \"conversations\": []}");
	test_cond(store_import_json(s3, j, strlen(j), NULL, NULL, &cause) ==
	    -1 && one_line(cause, NULL) && strstr(cause, "not an array"),
	    "import acks: not an array");
	free(j);
	free(cause);
	cause = NULL;
	j = xstrdup("{\"format\": \"medchat-export\", \"version\": 1, "
	    "\"acknowledgements\": [{\"os_user\": \"x\",}]}");
	test_cond(store_import_json(s3, j, strlen(j), NULL, NULL, &cause) ==
	    -1 && one_line(cause, NULL) && strstr(cause, "byte 80") != NULL,
	    "import acks: broken JSON names the byte offset");
	if (cause != NULL)
		test_diag("%s", cause);
	free(j);
	free(cause);
	store_close(s3);
out:
	store_close(s);
	free(e1);
	free(e3);
	free(p3);
}

static void
test_migrations(void)
{
	struct store		*s;
	struct store_conv	 c;
	struct store_msg	 m;
	struct store_hit	*h;
	struct store_model	 mo;
	struct store_ack	*av;
	const char		*src;
	char			*fixture, *path, *cause = NULL, *bak;
	size_t			 n;
	int			 v;

	src = getenv("top_srcdir");
	if (src == NULL)
		src = ".";
	for (v = 1; v < store_schema_version(); v++) {
		xasprintf(&fixture, "%s/tests/store-fixtures/v%d.sql", src, v);
		xasprintf(&path, "%s/old-v%d.db", tmpdir, v);
		if (access(fixture, R_OK) != 0) {
			test_condf(0, "migrate v%d: fixture %s exists", v,
			    fixture);
			free(fixture);
			free(path);
			continue;
		}
		test_condf(load_fixture(fixture, path) == 0 &&
		    raw_int(path, "PRAGMA user_version") == v,
		    "migrate v%d: fixture loaded", v);
		s = open_ok(path);
		test_condf(s != NULL, "migrate v%d: opens", v);
		if (s == NULL) {
			free(fixture);
			free(path);
			continue;
		}
		test_condf(raw_int(path, "PRAGMA user_version") ==
		    store_schema_version(), "migrate v%d: now the newest", v);
		bak = store_backup_path(s) != NULL ?
		    xstrdup(store_backup_path(s)) : NULL;
		test_condf(bak != NULL && raw_int(bak, "PRAGMA user_version") ==
		    v && raw_int(bak, "SELECT count(*) FROM messages") == 5 &&
		    file_mode(bak) == 0600,
		    "migrate v%d: backup copy of the old file made first", v);
		free(bak);
		{
			char	*ic = raw_text(path, "PRAGMA integrity_check");

			test_condf(strcmp(ic, "ok") == 0 &&
			    raw_int(path, "SELECT count(*) FROM messages") == 5,
			    "migrate v%d: integrity ok, every message kept", v);
			free(ic);
		}
		test_condf(store_conv_get(s, 1, &c, &cause) == 0 &&
		    strcmp(c.title, "Dose of paracetamol for adults") == 0 &&
		    strcmp(c.params_json, "{\"temp\":0.7,\"top_k\":40}") == 0 &&
		    c.current_leaf == (v == 1 ? 3 : 2),
		    "migrate v%d: conversation fields and leaf", v);
		store_conv_free(&c);
		test_condf(store_msg_get(s, 2, &m, &cause) == 0 &&
		    m.prov.seed == (uint64_t)-8446744073709551616LL &&
		    m.prov.decode_tps == 9.25 && m.prov.n_prompt == 21,
		    "migrate v%d: provenance kept", v);
		store_msg_free(&m);
		test_condf(store_msg_get(s, 3, &m, &cause) == 0 &&
		    m.status == STORE_STATUS_INTERRUPTED,
		    "migrate v%d: old streaming answer marked interrupted", v);
		store_msg_free(&m);
		test_condf(store_search(s, "Narkose", 0, "[", "]", 0, &h, &n,
		    &cause) == 0 && n == 2, "migrate v%d: old text searchable",
		    v);
		store_hits_free(h, n);
		test_condf(store_ack_list(s, &av, &n, &cause) == 0 && n == 1 &&
		    strcmp(av[0].os_user, "alice") == 0,
		    "migrate v%d: acknowledgements kept", v);
		store_acks_free(av, n);
		memset(&mo, 0, sizeof mo);
		if (v >= 2)
			test_condf(store_model_get(s,
			    "/models/meditron-7b.Q4_K_M.gguf", &mo, &cause) ==
			    0 && mo.mtime_ns == 1700000000123456789LL,
			    "migrate v%d: model catalog kept", v);
		else
			test_condf(store_model_get(s, "/m", &mo, &cause) == 1,
			    "migrate v%d: model catalog created", v);
		store_model_free(&mo);
		test_condf(store_msg_add(s, 3, 0, STORE_ROLE_USER, "New "
		    "question after the upgrade", STORE_STATUS_COMPLETE, NULL,
		    NULL, &cause) == 0, "migrate v%d: writable after", v);
		store_close(s);
		free(fixture);
		free(path);
	}
}

/*
 * store_open(path) must fail in one line naming path (and saying needle
 * unless NULL), checked as what; with untouched, the file must be byte
 * for byte as it was, checked as that.
 */
static void
check_refused(const char *path, const char *needle, const char *what,
    const char *untouched)
{
	struct store	*s;
	char		*cause = NULL, h1[65], h2[65];

	file_hash(path, h1);
	test_cond(store_open(path, advisory_ident(), &s, &cause) == -1 &&
	    one_line(cause, path) &&
	    (needle == NULL || strstr(cause, needle) != NULL), what);
	test_diag("%s", cause != NULL ? cause : "(none)");
	free(cause);
	file_hash(path, h2);
	if (untouched != NULL)
		test_cond(strcmp(h1, h2) == 0, untouched);
}

/* Files that must be refused, one line, and left byte for byte. */
static void
test_refuse(const char *good)
{
	struct store	*s;
	char		*path, *cause;
	FILE		*f;
	int		 fd, i;
	off_t		 size;
	struct stat	 sb;

	/* Not SQLite. */
	path = tpath("notes.txt");
	f = fopen(path, "w");
	for (i = 0; i < 100; i++)
		fputs("these are my notes, not a database\n", f);
	fclose(f);
	check_refused(path, "not an SQLite database",
	    "refuse: not SQLite, one line naming the file",
	    "refuse: not SQLite file untouched");
	free(path);

	/* A short file with the SQLite magic. */
	path = tpath("short.db");
	f = fopen(path, "w");
	fwrite("SQLite format 3", 1, 16, f);
	fclose(f);
	check_refused(path, NULL, "refuse: 16-byte file", NULL);
	free(path);

	/* Truncated: half of a real database. */
	path = tpath("truncated.db");
	{
		char	*cmd;

		xasprintf(&cmd, "cp '%s' '%s'", good, path);
		if (system(cmd) != 0)
			test_diag("cp failed");
		free(cmd);
	}
	stat(path, &sb);
	size = sb.st_size;
	test_condf(size >= 8 * 4096, "refuse: a database of %lld bytes to cut",
	    (long long)size);
	if (truncate(path, (size / 4096 / 2) * 4096) != 0)
		test_diag("truncate failed");
	check_refused(path, NULL, "refuse: truncated database, one line",
	    "refuse: truncated file untouched");
	free(path);

	/* Corrupt: garbage over the b-tree pages past the first. */
	path = tpath("corrupt.db");
	{
		char	*cmd, junk[4096];

		xasprintf(&cmd, "cp '%s' '%s'", good, path);
		if (system(cmd) != 0)
			test_diag("cp failed");
		free(cmd);
		memset(junk, 0xA5, sizeof junk);
		fd = open(path, O_WRONLY);
		for (i = 1; i < 6; i++) {
			if (pwrite(fd, junk, sizeof junk, (off_t)i * 4096) !=
			    (ssize_t)sizeof junk)
				test_diag("pwrite failed");
		}
		close(fd);
	}
	check_refused(path, "corrupt", "refuse: corrupt database, one line",
	    "refuse: corrupt file untouched");
	free(path);

	/* Newer schema. */
	path = tpath("newer.db");
	raw_exec(path, "PRAGMA application_id = 1296319304; CREATE TABLE "
	    "future (x); PRAGMA user_version = 99;");
	check_refused(path, "is newer than", "refuse: newer schema version, "
	    "one line",
	    "refuse: newer file untouched");
	test_cond(raw_int(path, "PRAGMA user_version") == 99,
	    "refuse: newer version kept");
	free(path);

	/* Locked by another process for longer than the timeout. */
	{
		sqlite3	*db;
		char	*lk = tpath("locked.db");

		s = open_ok(lk);
		store_close(s);
		sqlite3_open(lk, &db);
		sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN "
		    "EXCLUSIVE; CREATE TABLE hold (x);", NULL, NULL, NULL);
		setenv("MEDCHAT_DB_TIMEOUT_MS", "200", 1);
		cause = NULL;
		test_cond(store_open(lk, advisory_ident(), &s, &cause) == -1 &&
		    one_line(cause, lk) && strstr(cause, "locked") != NULL,
		    "refuse: locked too long, one line");
		test_diag("%s", cause != NULL ? cause : "(none)");
		free(cause);
		unsetenv("MEDCHAT_DB_TIMEOUT_MS");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(db);
		s = open_ok(lk);
		test_cond(s != NULL, "refuse: opens once the lock is gone");
		store_close(s);
		free(lk);
	}
}

/* A refusal of a write on a read-only store: -1, one line, says so. */
static int
ro_refused(int rc, char **cause, const char *path)
{
	int	ok;

	ok = rc == -1 && one_line(*cause, path) &&
	    strstr(*cause, "read-only") != NULL;
	if (!ok)
		test_diag("%s", *cause != NULL ? *cause : "(no cause)");
	free(*cause);
	*cause = NULL;
	return ok;
}

/*
 * Everything that reads works on s (a read-only copy of good), everything
 * that writes is refused.  Returns the number of failed checks, so the
 * child of test_readonly can report through a pipe.
 */
static int
readonly_checks(struct store *s, const char *path, size_t nconv,
    int report)
{
	struct store_list_opts	 lo = { 0, 0, -1 };
	struct store_conv	*cv = NULL;
	struct store_msg	*mv = NULL;
	struct store_hit	*hv = NULL;
	struct store_ack	*av = NULL;
	struct store_model	 mo;
	char			*cause = NULL, *json = NULL, sha[65];
	size_t			 n = 0, nm = 0, nh = 0, na = 0, jlen = 0;
	int64_t			 id;
	FILE			*f;
	int			 bad = 0, ok, rc, i;
	const char		*what[11];
	int			 res[11];

	ok = store_readonly(s) && store_conv_list(s, &lo, &cv, &n,
	    &cause) == 0 && n == nconv && n > 0;
	if (report)
		test_condf(ok, "readonly: lists all %zu conversations", nconv);
	bad += !ok;
	ok = n > 0 && store_msg_list(s, cv[0].id, &mv, &nm, &cause) == 0 &&
	    store_search(s, "question", 0, "[", "]", 0, &hv, &nh,
	    &cause) == 0 && store_ack_list(s, &av, &na, &cause) == 0 &&
	    store_model_get(s, "/nowhere", &mo, &cause) == 1;
	if (report)
		test_cond(ok, "readonly: messages, search, acks, models read");
	bad += !ok;
	f = open_memstream(&json, &jlen);
	ok = f != NULL && store_export(s, NULL, 0, STORE_FMT_JSON, f,
	    &cause) == 0;
	if (f != NULL)
		fclose(f);
	ok = ok && json != NULL && strstr(json, "\"medchat-export\"") != NULL;
	if (report)
		test_cond(ok, "readonly: export works");
	bad += !ok;
	free(cause);
	cause = NULL;

	/* Every kind of write, each refused in one line. */
	id = n > 0 ? cv[0].id : 1;
	i = 0;
	what[i] = "rename";
	rc = store_conv_rename(s, id, "x", &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "archive";
	rc = store_conv_set_archived(s, id, 1, &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "delete";
	rc = store_conv_delete(s, id, &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "create";
	rc = store_conv_create(s, NULL, &id, &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "add a message";
	rc = store_msg_add(s, id, 0, STORE_ROLE_USER, "q",
	    STORE_STATUS_COMPLETE, NULL, NULL, &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "import";
	rc = json != NULL ? store_import_json(s, json, jlen, NULL, NULL,
	    &cause) : -1;
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "acknowledge";
	rc = store_ack_record(s, "m.gguf", "Q4_0", "abababababababababababab"
	    "abababababababababababababababababababab", "cli-flag", &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "setting";
	rc = store_setting_set(s, "k", "v", &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "model catalog";
	rc = store_model_touch(s, "/nowhere", &cause);
	res[i++] = ro_refused(rc, &cause, path);
	what[i] = "store_writable";
	rc = store_writable(s, "save", &cause);
	res[i++] = ro_refused(rc, &cause, path);
	/* A model's hash is still computed; it just is not cached. */
	what[i] = "model sha256 uncached";
	res[i++] = store_model_sha256(s, path, sha, NULL, &cause) == 0 &&
	    strlen(sha) == 64 && store_model_get(s, path, &mo, &cause) == 1;
	free(cause);
	cause = NULL;
	for (i = 0; i < (int)(sizeof res / sizeof *res); i++) {
		if (report)
			test_condf(res[i], "readonly: %s", what[i]);
		bad += !res[i];
	}
	free(json);
	store_convs_free(cv, n);
	store_msgs_free(mv, nm);
	store_hits_free(hv, nh);
	store_acks_free(av, na);
	return bad;
}

/*
 * Read-only databases are opened for reading only.  Two ways to make one:
 * (1) a file with no write bit in a directory with none, which this
 * process checks itself (the store honours the mode bits even for root);
 * (2) where root could write anyway, the permission checks of the kernel,
 * run in a child that drops to the user 'nobody' (as root) or as the user
 * itself: the user's own writable-mode file in its read-only directory,
 * and a new database in that directory.  The file's SHA-256 must not
 * change and nothing may appear next to it.
 */
static void
test_readonly(const char *good)
{
	struct store_list_opts	 lo = { 0, 0, -1 };
	struct store_conv	*cv;
	struct passwd		*pw;
	struct store		*s;
	const char		*src;
	char			*dir, *path, *newp, *cmd, *cause = NULL;
	char			*fixture, *old, h1[65], h2[65];
	size_t			 nconv = 0;
	pid_t			 pid;
	int			 status, fds[2];
	char			 res[4] = { 0, 0, 0, 0 };

	if ((s = open_ok(good)) == NULL ||
	    store_conv_list(s, &lo, &cv, &nconv, &cause) != 0) {
		test_cond(0, "readonly: count the conversations");
		store_close(s);
		return;
	}
	store_convs_free(cv, nconv);
	store_close(s);

	/* (1) 0400 file in a 0500 directory. */
	dir = tpath("ro");
	mkdir(dir, 0700);
	path = tpath("ro/ro.db");
	newp = tpath("ro/new.db");
	xasprintf(&cmd, "cp '%s' '%s'", good, path);
	if (system(cmd) != 0)
		test_diag("cp failed");
	free(cmd);
	chmod(path, 0400);
	chmod(dir, 0500);
	file_hash(path, h1);
	cause = NULL;
	test_cond(store_open(path, advisory_ident(), &s, &cause) == 0 && store_readonly(s),
	    "readonly: a 0400 file in a 0500 directory opens read-only");
	if (cause != NULL)
		test_diag("%s", cause);
	free(cause);
	if (s != NULL) {
		readonly_checks(s, path, nconv, 1);
		store_close(s);
	}
	file_hash(path, h2);
	test_cond(strcmp(h1, h2) == 0, "readonly: file hash unchanged");
	test_cond(!exists_sfx(path, "-wal") && !exists_sfx(path, "-shm") &&
	    !exists_sfx(path, "-journal"), "readonly: nothing made next to it");
	test_condf(file_mode(path) == 0400, "readonly: mode still 0400 (%o)",
	    file_mode(path));

	/* An older schema read-only: refused with the way out, untouched. */
	src = getenv("top_srcdir");
	xasprintf(&fixture, "%s/tests/store-fixtures/v1.sql",
	    src != NULL ? src : ".");
	old = tpath("old-ro.db");
	if (load_fixture(fixture, old) == 0) {
		chmod(old, 0400);
		file_hash(old, h1);
		cause = NULL;
		test_cond(store_open(old, advisory_ident(), &s, &cause) == -1 &&
		    one_line(cause, old) && strstr(cause, "read-only") !=
		    NULL && strstr(cause, "writable once") != NULL,
		    "readonly: older schema refused: open it writable once");
		test_diag("%s", cause != NULL ? cause : "(none)");
		free(cause);
		file_hash(old, h2);
		test_cond(strcmp(h1, h2) == 0 && raw_int(old,
		    "PRAGMA user_version") == 1 && !exists_sfx(old, "-wal"),
		    "readonly: older schema file untouched");
	} else
		test_cond(0, "readonly: v1 fixture loads");
	free(fixture);
	free(old);

	/*
	 * (2) The kernel's checks, as an unprivileged user.  Root drops to
	 * 'nobody', its supplementary groups too: without setgroups(2) (not
	 * POSIX, so absent in the strict build) those would stay.
	 */
	chmod(path, 0600);
	pw = geteuid() == 0 && HAVE_DECL_SETGROUPS ? getpwnam("nobody") :
	    NULL;
	if (geteuid() == 0 && (pw == NULL || chown(dir, pw->pw_uid,
	    pw->pw_gid) != 0 || chown(path, pw->pw_uid, pw->pw_gid) != 0)) {
		test_skip("readonly: own file, read-only directory", "root "
		    "and no user 'nobody' (or no setgroups) to drop to");
		test_skip("readonly: writes refused there", "as above");
		test_skip("readonly: no database in a read-only directory",
		    "as above");
		test_skip("readonly: nothing written", "as above");
		goto out;
	}
	chmod(tmpdir, 0755);
	file_hash(path, h1);
	if (pipe(fds) != 0)
		goto out;
	if ((pid = fork()) == 0) {
		close(fds[0]);
#if HAVE_DECL_SETGROUPS
		if (pw != NULL && (setgroups(0, NULL) != 0 ||
		    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0))
			_exit(3);
#endif
		cause = NULL;
		res[0] = store_open(path, advisory_ident(), &s, &cause) == 0 &&
		    store_readonly(s);
		free(cause);
		if (res[0]) {
			res[1] = readonly_checks(s, path, nconv, 0) == 0;
			store_close(s);
		}
		cause = NULL;
		res[2] = store_open(newp, advisory_ident(), &s, &cause) == -1 &&
		    one_line(cause, newp);
		free(cause);
		res[3] = 1;
		if (write(fds[1], res, sizeof res) != sizeof res)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], res, sizeof res) != sizeof res)
		memset(res, 0, sizeof res);
	close(fds[0]);
	waitpid(pid, &status, 0);
	test_cond(res[0], "readonly: own 0600 file in a 0500 directory opens "
	    "read-only (unprivileged)");
	test_cond(res[1], "readonly: reads work and writes are refused there");
	test_cond(res[2], "readonly: no database in a read-only directory");
	file_hash(path, h2);
	test_cond(res[3] && strcmp(h1, h2) == 0 && access(newp, F_OK) != 0 &&
	    !exists_sfx(path, "-wal") && !exists_sfx(path, "-shm"),
	    "readonly: nothing written");
out:
	if (geteuid() == 0) {
		if (chown(dir, 0, 0) != 0 || chown(path, 0, 0) != 0)
			test_diag("chown back failed");
	}
	chmod(dir, 0700);
	chmod(path, 0600);
	chmod(tmpdir, 0700);
	free(dir);
	free(path);
	free(newp);
}

/*
 * A row the store cannot read (an unknown role written by another
 * connection) in the middle of a list: the whole list fails in one line,
 * nothing half returned, nothing leaked (ASan); other lists still work.
 */
static void
test_bad_row(void)
{
	struct store		*s;
	struct store_msg	*v = (struct store_msg *)1;
	struct store_conv	*cv;
	struct store_list_opts	 lo = { 0, 0, -1 };
	char			*path, *cause = NULL;
	int64_t			 c, u;
	size_t			 n = 99, i;

	path = tpath("badrow.db");
	if ((s = open_ok(path)) == NULL) {
		free(path);
		return;
	}
	store_conv_create(s, NULL, &c, &cause);
	for (i = 0, u = 0; i < 40; i++)
		store_msg_add(s, c, u, i % 2 ? STORE_ROLE_ASSISTANT :
		    STORE_ROLE_USER, "row", STORE_STATUS_COMPLETE, NULL, &u,
		    &cause);
	/* Damaged while open: quick_check would refuse it at open. */
	test_cond(raw_exec(path, "PRAGMA ignore_check_constraints = ON; "
	    "UPDATE messages SET role = 'wizard' "
	    "WHERE id = 30") == 0, "bad row: damage message 30");
	test_cond(store_msg_list(s, c, &v, &n, &cause) == -1 && v == NULL &&
	    n == 0 && one_line(cause, path) && strstr(cause,
	    "message 30 has an unknown role") != NULL,
	    "bad row: the message list fails in one line, nothing returned");
	free(cause);
	cause = NULL;
	test_cond(store_msg_path(s, c, 0, &v, &n, &cause) == -1 && v == NULL,
	    "bad row: the path through it fails too");
	free(cause);
	cause = NULL;
	test_cond(store_conv_list(s, &lo, &cv, &n, &cause) == 0 && n == 1 &&
	    cv[0].n_messages == 40, "bad row: the conversation still lists");
	if (cause == NULL)
		store_convs_free(cv, n);
	free(cause);
	store_close(s);
	free(path);
}

/*
 * Disk full: a child limited to a small file size (RLIMIT_FSIZE, with
 * SIGXFSZ ignored so write() fails with EFBIG) tries to save a large
 * answer.  It must get a one-line error, and nothing stored before may
 * be lost.
 */
static void
test_full(void)
{
	struct store	*s;
	char		*path, *big;
	int64_t		 c, u;
	char		*cause = NULL;
	pid_t		 pid;
	int		 status, fds[2], i;
	char		 res[3] = { 0, 0, 0 };
	long long	 before;

	path = tpath("full.db");
	if ((s = open_ok(path)) == NULL)
		return;
	store_conv_create(s, NULL, &c, &cause);
	for (i = 0; i < 20; i++)
		store_msg_add(s, c, 0, STORE_ROLE_USER, "a stored question",
		    STORE_STATUS_COMPLETE, NULL, &u, &cause);
	store_close(s);
	before = raw_int(path, "SELECT count(*) FROM messages");

	if (pipe(fds) != 0)
		return;
	if ((pid = fork()) == 0) {
		struct rlimit		 rl;
		struct store_stream	*ss;
		struct stat		 sb;

		close(fds[0]);
		signal(SIGXFSZ, SIG_IGN);
		stat(path, &sb);
		rl.rlim_cur = rl.rlim_max = (rlim_t)sb.st_size + 256 * 1024;
		setrlimit(RLIMIT_FSIZE, &rl);
		big = xmalloc(4 << 20);
		memset(big, 'x', 4 << 20);
		big[(4 << 20) - 1] = '\0';
		if (store_open(path, advisory_ident(), &s, &cause) == 0) {
			res[0] = store_msg_add(s, c, 0, STORE_ROLE_USER, big,
			    STORE_STATUS_COMPLETE, NULL, NULL, &cause) == -1 &&
			    one_line(cause, path);
			if (cause != NULL)
				fprintf(stderr, "# %s\n", cause);
			free(cause);
			cause = NULL;
			/* A streamed answer that outgrows the limit. */
			ss = store_stream_start(s, c, u, NULL);
			store_stream_append(ss, "start", 5, &cause);
			test_usleep((STORE_STREAM_FLUSH_MS + 20) * 1000);
			res[1] = store_stream_append(ss, big, strlen(big),
			    &cause) == -1 && one_line(cause, path);
			free(cause);
			cause = NULL;
			/* Small writes still work where they fit. */
			res[2] = store_msg_add(s, c, 0, STORE_ROLE_USER,
			    "small", STORE_STATUS_COMPLETE, NULL, NULL,
			    &cause) == 0;
			free(cause);
			store_stream_free(ss);
			store_close(s);
		}
		free(big);
		if (write(fds[1], res, 3) != 3)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], res, 3) != 3)
		res[0] = res[1] = res[2] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	test_cond(res[0], "full: a write past the size limit fails, one line");
	test_cond(res[1], "full: a streamed answer past the limit fails");
	test_cond(res[2], "full: small writes go on afterwards");
	s = open_ok(path);
	test_cond(s != NULL, "full: reopens");
	store_close(s);
	{
		char	*ic = raw_text(path, "PRAGMA integrity_check");

		test_cond(strcmp(ic, "ok") == 0, "full: integrity_check ok");
		free(ic);
	}
	test_cond(raw_int(path, "SELECT count(*) FROM messages WHERE content "
	    "= 'a stored question'") == before,
	    "full: nothing stored before was lost");
	test_cond(raw_int(path, "SELECT count(*) FROM messages WHERE "
	    "length(content) > 1000000") == 0,
	    "full: the failed write left nothing half-written");
	free(path);
}

/*
 * Three processes open a file that does not exist yet, at once (a TUI
 * and two `medchat ask` started together): all succeed, the schema is
 * made once, and no backup is made of a database that is being born.
 */
static void
test_create_race(void)
{
	char		*dir, *path, *cmd;
	pid_t		 pid[3];
	int		 round, i, status, bad = 0, backups = 0;
	FILE		*p;
	char		 line[256];

	for (round = 0; round < 10; round++) {
		xasprintf(&dir, "%s/race%d", tmpdir, round);
		xasprintf(&path, "%s/m.db", dir);
		for (i = 0; i < 3; i++) {
			if ((pid[i] = fork()) == 0) {
				struct store	*s;
				char		*cause = NULL;
				int64_t		 id;

				if (store_open(path, advisory_ident(), &s, &cause) != 0) {
					fprintf(stderr, "# %s\n", cause);
					_exit(1);
				}
				if (store_conv_create(s, NULL, &id, &cause) != 0) {
					fprintf(stderr, "# %s\n", cause);
					_exit(1);
				}
				store_close(s);
				_exit(0);
			}
		}
		for (i = 0; i < 3; i++) {
			waitpid(pid[i], &status, 0);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				bad++;
		}
		if (raw_int(path, "SELECT count(*) FROM conversations") != 3)
			bad++;
		xasprintf(&cmd, "ls '%s'", dir);
		if ((p = popen(cmd, "r")) != NULL) {
			while (fgets(line, sizeof line, p) != NULL)
				backups += strstr(line, ".bak-") != NULL;
			pclose(p);
		}
		free(cmd);
		free(dir);
		free(path);
	}
	test_condf(bad == 0, "race: 3 processes creating one file at once, "
	    "10 times (%d failures)", bad);
	test_condf(backups == 0, "race: no backup of a file being created "
	    "(%d)", backups);
}

static void
test_advisory_prompts(void)
{
	char			 h[65];
	const struct prompt_preset *p;
	size_t			 i;
	int			 ok = 1;

	test_cond(strcmp(advisory_version(), "1") == 0, "advisory: version");
	sha256_hex(advisory_text(), strlen(advisory_text()), h);
	test_cond(strcmp(h, advisory_sha256()) == 0,
	    "advisory: sha256 is of the text");
	test_cond(strstr(advisory_text(), "emergency") != NULL &&
	    strstr(advisory_text(), "clinical decisions") != NULL &&
	    strstr(advisory_text(), "advisory-version") == NULL,
	    "advisory: text without the version line");
	test_cond(prompts_count() >= 5, "prompts: several presets");
	test_cond(strcmp(prompts_get(0)->name, "default") == 0 &&
	    prompts_default_system() == prompts_get(0)->text,
	    "prompts: default first");
	for (i = 0; i < prompts_count(); i++) {
		p = prompts_get(i);
		if (p->title[0] == '\0' || strchr(p->title, '\n') != NULL ||
		    (p->text[0] != '\0' &&
		    p->text[strlen(p->text) - 1] == '\n'))
			ok = 0;
	}
	test_cond(ok, "prompts: one-line titles, texts without trailing newline");
	test_cond(prompts_find("patient") != NULL &&
	    strstr(prompts_find("patient")->text, "patient") != NULL &&
	    prompts_find("concise") != NULL && prompts_find("nope") == NULL,
	    "prompts: find by name");
	test_cond(prompts_find("none") != NULL &&
	    prompts_find("none")->text[0] == '\0', "prompts: empty preset");
	test_cond(prompts_get(prompts_count()) == NULL, "prompts: bounds");
}

/*
 * Regressions from the QA review: a time stamp at INT64_MIN (a damaged
 * file) overflowed in store_time_iso_ms (UB, wrong year); a parent cycle
 * made store_msg_path return 100000 repeated messages.
 */
static void
test_qa_damaged(void)
{
	struct store		*s;
	struct store_msg	*v;
	sqlite3			*db;
	char			 buf[64], *cause = NULL, *sql, *path;
	int64_t			 c, u, a;
	size_t			 n;

	store_time_iso_ms(INT64_MIN, buf, sizeof buf);
	test_condf(strcmp(buf, "-292275055-05-16T16:47:04.192Z") == 0,
	    "time at INT64_MIN: %s", buf);
	store_time_iso_ms(INT64_MAX, buf, sizeof buf);
	test_condf(strcmp(buf, "292278994-08-17T07:12:55.807Z") == 0,
	    "time at INT64_MAX: %s", buf);
	store_time_iso_ms(-1, buf, sizeof buf);
	test_condf(strcmp(buf, "1969-12-31T23:59:59.999Z") == 0,
	    "time at -1 ms: %s", buf);

	path = tpath("cycle.db");
	if (store_open(path, advisory_ident(), &s, &cause) != 0 ||
	    store_conv_create(s, NULL, &c, &cause) != 0 ||
	    store_msg_add(s, c, 0, STORE_ROLE_USER, "q", STORE_STATUS_COMPLETE,
	    NULL, &u, &cause) != 0 ||
	    store_msg_add(s, c, u, STORE_ROLE_ASSISTANT, "a",
	    STORE_STATUS_COMPLETE, NULL, &a, &cause) != 0) {
		test_cond(0, "cycle: setup");
		test_diag("%s", cause != NULL ? cause : "?");
		free(cause);
		free(path);
		return;
	}
	test_cond(store_msg_path(s, c, 0, &v, &n, &cause) == 0 && n == 2,
	    "cycle: the intact chain has 2 messages");
	if (n == 2)
		store_msgs_free(v, n);
	store_close(s);
	xasprintf(&sql, "UPDATE messages SET parent_id = %lld WHERE id = %lld",
	    (long long)a, (long long)u);
	test_cond(sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
	    "cycle: damage the file");
	sqlite3_close(db);
	free(sql);
	cause = NULL;
	test_cond(store_open(path, advisory_ident(), &s, &cause) == 0, "cycle: opens");
	if (s == NULL) {
		free(cause);
		free(path);
		return;
	}
	v = NULL;
	n = 0;
	test_cond(store_msg_path(s, c, 0, &v, &n, &cause) == -1 &&
	    cause != NULL && strstr(cause, "do not form a chain") != NULL,
	    "cycle: store_msg_path refuses it");
	if (cause != NULL)
		test_diag("%s", cause);
	free(cause);
	store_msgs_free(v, n);
	store_close(s);
	free(path);
}

/*
 * Another process's write lock, as the TUI's connection meets it
 * (issue 19): with the busy timeout at 0 a write fails at once instead
 * of waiting for it, the failure is counted as a lock (and another
 * failure is not), the setting is restored, and the write goes through
 * once the lock is gone.
 */
static void
test_lock_nowait(const char *path)
{
	struct store	*s;
	sqlite3		*db;
	struct timespec	 t0, t1;
	unsigned long	 n0;
	char		*cause = NULL;
	int64_t		 c = 0, ms;
	int		 old, rc;

	unsetenv("MEDCHAT_DB_TIMEOUT_MS");
	if ((s = open_ok(path)) == NULL)
		return;
	test_cond(store_busy_ms(s) == 5000, "lock: the default busy timeout");
	n0 = store_lock_failures(s);
	test_cond(store_conv_rename(s, 999999, "x", &cause) == -1 &&
	    store_lock_failures(s) == n0, "lock: another failure is not "
	    "counted as a lock");
	free(cause);
	cause = NULL;
	sqlite3_open(path, &db);
	test_cond(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK, "lock: another connection holds the write lock");
	old = store_set_busy_ms(s, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = store_conv_create(s, NULL, &c, &cause);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	test_condf(rc == -1 && cause != NULL && strstr(cause, "locked") !=
	    NULL && store_lock_failures(s) == n0 + 1,
	    "lock: busy 0: the write fails as locked, counted (%s)",
	    cause != NULL ? cause : "no cause");
	/* Far under the 5 s it would otherwise wait, on any machine. */
	test_condf(ms < 1000, "lock: busy 0: without waiting (%lld ms)",
	    (long long)ms);
	free(cause);
	cause = NULL;
	test_cond(store_set_busy_ms(s, old) == 0 && store_busy_ms(s) == 5000,
	    "lock: the setting restored");
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	test_cond(store_conv_create(s, NULL, &c, &cause) == 0 && c > 0,
	    "lock: written once the lock is gone");
	free(cause);
	cause = NULL;

	/*
	 * An answer another process is streaming now (this one: alive) does
	 * not make an open wait for the write lock: nothing to mark.
	 */
	{
		struct store	*s2 = NULL;
		int64_t		 a = 0;
		char		*sql;

		test_cond(store_msg_add(s, c, 0, STORE_ROLE_ASSISTANT, "live",
		    STORE_STATUS_STREAMING, NULL, &a, &cause) == 0,
		    "lock: an answer being streamed");
		xasprintf(&sql, "UPDATE messages SET writer_pid = %ld WHERE "
		    "id = %lld", (long)getpid(), (long long)a);
		raw_exec(path, sql);
		free(sql);
		sqlite3_open(path, &db);
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = store_open(path, advisory_ident(), &s2, &cause);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		test_condf(rc == 0 && ms < 2500 && store_n_interrupted(s2) ==
		    0, "lock: opened without waiting for the lock, the live "
		    "answer left alone (%lld ms%s%s)", (long long)ms,
		    cause != NULL ? ": " : "", cause != NULL ? cause : "");
		free(cause);
		cause = NULL;
		store_close(s2);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(db);
		raw_exec(path, "UPDATE messages SET status = 'complete', "
		    "writer_pid = NULL WHERE status = 'streaming'");
	}
	store_close(s);
}

/*
 * A second connection opened in the same process (the chat's answer
 * writer beside its own) must not release the first one's locks: the
 * header was once read with open()/close(), and closing any descriptor
 * of a file drops the process's POSIX locks on it.  Another process
 * closing the database then took it for unused, checkpointed it and
 * deleted the -wal file the first connection still wrote to: what was
 * written after that was lost to every other reader.
 */
static int
child_count(const char *path)
{
	FILE	*p;
	char	*cmd, line[64];
	int	 n = -1;

	/* Another program: a forked copy of this one would share SQLite's
	   in-memory view of which files this process has open. */
	xasprintf(&cmd, "sqlite3 '%s' 'SELECT count(*) FROM conversations;' "
	    "2>/dev/null", path);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fgets(line, sizeof line, p) != NULL)
			n = atoi(line);
		if (pclose(p) != 0)
			n = -1;
	}
	free(cmd);
	return n;
}

static void
test_two_connections(void)
{
	struct store	*a, *b;
	char		*path, *wal, *cause = NULL;
	int64_t		 id;
	int		 n;

	path = tpath("twoconn.db");
	wal = tpath("twoconn.db-wal");
	a = open_ok(path);
	if (a == NULL) {
		test_cond(0, "two connections: open");
		goto out;
	}
	test_cond(store_conv_create(a, NULL, &id, &cause) == 0,
	    "two connections: a first write");
	b = open_ok(path);
	test_cond(b != NULL, "two connections: a second connection in the "
	    "same process");
	n = child_count(path);
	test_condf(n == 1 && access(wal, F_OK) == 0, "two connections: "
	    "another process reads and closes; the -wal in use stays (%d)",
	    n);
	test_cond(store_conv_create(a, NULL, &id, &cause) == 0,
	    "two connections: the first connection writes again");
	n = child_count(path);
	test_condf(n == 2, "two connections: another process sees that "
	    "write (%d conversations)", n);
	store_close(b);
	store_close(a);
out:
	free(wal);
	free(path);
}

int
main(void)
{
	char	*db;

	if (tmpdir_make() != 0)
		return 1;
	test_default_path();
	test_title();
	test_advisory_prompts();
	test_create();
	test_create_race();
	db = tpath("main.db");
	test_convs_messages(db);
	test_delete_cascade(db);
	test_stream(db);
	test_interrupted(db);
	test_search(db);
	test_settings_models_acks(db);
	test_export_import(db);
	test_import_acks(db);
	test_migrations();
	test_refuse(db);
	test_readonly(db);
	test_bad_row();
	test_full();
	test_qa_damaged();
	test_lock_nowait(db);
	test_two_connections();
	free(db);
	test_rmtree(tmpdir);
	return test_report();
}
