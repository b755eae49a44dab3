/*
 * test-session.c -- the ask workflow (src/app/session.c) with the
 * engine's demo model, inline as `medchat ask` runs it: a turn saved
 * question first, streamed and finished with its provenance (model,
 * SHA-256, quant, template, the one parameters format, seed, engine
 * version, kernel path, speeds); a continued conversation; regenerate
 * and edit-and-resend as alternatives; a stopped turn; and answers
 * stored with the two older parameter formats, still read and exported.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testhelp.h"
#include "advisory.h"
#include "engine.h"
#include "modelid.h"
#include "session.h"
#include "sha256.h"
#include "store.h"
#include "xmalloc.h"
#include "storehelp.h"

/* What a turn's emit callback sees. */
struct emitted {
	struct session	*sn;
	char		 text[4096];
	size_t		 len;
	int		 errors;
	int		 stop_after;	/* cancel after this many pieces */
	int		 pieces;
	struct engine	*eng;
};

static int
emit(const char *s, size_t len, void *arg)
{
	struct emitted	*e = arg;
	char		*cause = NULL;

	if (session_emit(e->sn, s, len, &cause) != 0) {
		e->errors++;
		free(cause);
	}
	if (e->len + len < sizeof e->text) {
		memcpy(e->text + e->len, s, len);
		e->len += len;
		e->text[e->len] = '\0';
	}
	if (++e->pieces == e->stop_after)
		engine_cancel(e->eng);
	return 0;
}

/*
 * One turn in conversation conv under parent (question NULL: answer
 * parent again); the context is the stored path plus the question.
 * Conversation 0 is created with the question, with the system message
 * "Be brief." (session_conv_id() then names it).  Returns the answer's
 * id; *qid the question's.
 */
static int64_t
turn(struct store *s, struct session *sn, struct engine *eng, int64_t conv,
    int64_t parent, const char *question, const struct settings *set,
    int stop_after, enum session_end *st, int64_t *qid, struct emitted *e)
{
	struct engine_msg	 msgs[32];
	struct engine_result	 res;
	struct session_turn	 t;
	struct store_msg	*path = NULL;
	int64_t			 ids[32], aid = 0;
	size_t			 np = 0, i;
	int			 n = 0, rv;
	char			*cause = NULL;

	if (parent != 0 && store_msg_path(s, conv, parent, &path, &np,
	    &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		return 0;
	}
	for (i = 0; i < np && n < 30; i++) {
		msgs[n].role = path[i].role == STORE_ROLE_USER ? ENGINE_USER :
		    ENGINE_ASSISTANT;
		msgs[n].text = path[i].content;
		ids[n++] = path[i].id;
	}
	if (question != NULL) {
		msgs[n].role = ENGINE_USER;
		msgs[n].text = question;
		ids[n++] = 0;
	}
	memset(&t, 0, sizeof t);
	t.conv = conv;
	t.system = conv == 0 ? "Be brief." : NULL;
	t.parent = parent;
	t.question = question;
	t.set = set;
	t.seed = set->s.seed;
	t.ctx_ids = ids;
	t.n_ctx = n;
	memset(e, 0, sizeof *e);
	e->sn = sn;
	e->eng = eng;
	e->stop_after = stop_after;
	if (session_begin(sn, &t, qid, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		store_msgs_free(path, np);
		return 0;
	}
	rv = engine_chat(eng, NULL, msgs, n, &set->s, emit, e, &res, &cause);
	if (session_end(sn, rv == 0 ? &res : NULL, rv != 0 ? cause : NULL,
	    st, &aid, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		aid = 0;
	}
	store_msgs_free(path, np);
	return aid;
}

/* The stored message id (a fresh read). */
static int
get_msg(struct store *s, int64_t conv, int64_t id, struct store_msg *out)
{
	struct store_msg	*path;
	size_t			 n, i;
	char			*cause = NULL;
	int			 found = 0;

	if (store_msg_path(s, conv, id, &path, &n, &cause) != 0) {
		free(cause);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (path[i].id == id) {
			*out = path[i];
			memset(&path[i], 0, sizeof path[i]);
			path[i].content = xstrdup("");
			found = 1;
		}
	}
	store_msgs_free(path, n);
	return found;
}

/*
 * An answer stored under a new question (itself under parent) with
 * provenance params pj, as older versions wrote them.
 */
static int64_t
old_answer(struct store *s, int64_t conv, int64_t parent, const char *pj,
    uint64_t seed)
{
	struct store_prov	 p;
	struct store_stream	*ss;
	int64_t			 q, id = 0;
	char			*cause = NULL;

	if (store_msg_add(s, conv, parent, STORE_ROLE_USER, "Old question?",
	    STORE_STATUS_COMPLETE, NULL, &q, &cause) != 0) {
		free(cause);
		return 0;
	}
	memset(&p, 0, sizeof p);
	p.model_file = "old.gguf";
	p.model_quant = "Q4_0";
	p.template_name = "chatml";
	p.params_json = (char *)pj;
	p.seed = seed;
	p.has_seed = 1;
	p.n_prompt = 3;
	p.n_gen = 2;
	ss = store_stream_start(s, conv, q, &p);
	store_stream_append(ss, "Old answer.", 11, &cause);
	if (store_stream_finish(ss, STORE_STATUS_COMPLETE, NULL, &p, &id,
	    &cause) != 0) {
		free(cause);
		id = 0;
	}
	store_stream_free(ss);
	return id;
}

/*
 * The record tells the truth (issue 19): the seed once and the
 * parameters as given, a failed first question leaves no conversation,
 * a model change alone does not relabel a conversation, an interrupted
 * turn is not "cancelled", and every dropped message is recorded.
 */
static void
test_record(struct store *s, struct session *sn, struct engine *eng,
    struct settings *set)
{
	struct session_model	 other;
	struct session_turn	 t;
	struct engine_result	 res;
	struct store_conv	*convs, c;
	struct store_msg	 m;
	struct emitted		 e;
	struct settings		 u = *set;
	enum session_end	 st;
	size_t			 n0, n1;
	int64_t			 ids[700], conv = 0, q, a;
	char			*cause = NULL, *j;
	int			 i;

	/* The seed, once; 0.8 as 0.8. */
	u.s.temp = 0.8f;
	u.seed_fixed = 0;
	u.s.seed = 1234567;
	j = session_params_json(&u, NULL);
	test_condf(strstr(j, "\"temp\":0.8,") != NULL &&
	    strstr(j, "\"seed\"") == NULL, "params: temp 0.8 as given, no "
	    "seed unless it is fixed: %s", j);
	free(j);

	/*
	 * A first question that cannot be saved leaves nothing behind (here
	 * a parent that does not exist; the store's test-store-record checks
	 * the one transaction with a refused insert).
	 */
	test_cond(store_conv_list(s, NULL, &convs, &n0, &cause) == 0,
	    "conversations listed");
	store_convs_free(convs, n0);
	memset(&t, 0, sizeof t);
	t.question = "A question under a message that does not exist";
	t.parent = 999999;
	t.set = set;
	test_cond(session_begin(sn, &t, NULL, &cause) == -1 &&
	    !session_running(sn), "question under a missing parent refused");
	free(cause);
	cause = NULL;
	test_cond(store_conv_list(s, NULL, &convs, &n1, &cause) == 0 &&
	    n1 == n0, "a failed first question leaves no empty conversation");
	store_convs_free(convs, n1);

	/* A conversation created with its question, under model A. */
	t.parent = 0;
	t.question = "Which model?";
	t.system = "Be brief.";
	test_cond(session_begin(sn, &t, &q, &cause) == 0 &&
	    (conv = session_conv_id(sn)) > 0 && q > 0,
	    "new conversation created with its first question");
	test_cond(session_end(sn, NULL, NULL, NULL, &a, &cause) == 0,
	    "empty answer finished");
	/* Model B loaded, nothing asked: the conversation keeps A. */
	memset(&other, 0, sizeof other);
	other.file_name = "other-model.gguf";
	other.quant = "Q8_0";
	other.kernels = "scalar";
	session_set_model(sn, &other);
	memset(&c, 0, sizeof c);
	test_cond(store_conv_get(s, conv, &c, &cause) == 0 &&
	    c.model_file != NULL && strcmp(c.model_file,
	    "other-model.gguf") != 0, "a model change alone does not "
	    "relabel the conversation");
	store_conv_free(&c);
	/* An answer under B does. */
	memset(&t, 0, sizeof t);
	t.conv = conv;
	t.parent = q;
	t.set = set;
	test_cond(session_begin(sn, &t, NULL, &cause) == 0 &&
	    session_end(sn, NULL, NULL, NULL, NULL, &cause) == 0 &&
	    store_conv_get(s, conv, &c, &cause) == 0 && c.model_file != NULL &&
	    strcmp(c.model_file, "other-model.gguf") == 0,
	    "an answer under another model labels the conversation");
	store_conv_free(&c);

	/* Interrupted (SIGHUP, SIGTERM): recorded as such, text kept. */
	session_set_engine(sn, engine_get_info(eng), NULL);
	u = *set;
	u.s.max_tokens = 40;
	memset(&t, 0, sizeof t);
	t.conv = conv;
	t.parent = q;
	t.set = &u;
	memset(&e, 0, sizeof e);
	e.sn = sn;
	e.eng = eng;
	e.stop_after = 2;
	{
		struct engine_msg	msg = { ENGINE_USER, "Which model?" };

		test_cond(session_begin(sn, &t, NULL, &cause) == 0,
		    "turn begun");
		session_interrupt(sn);
		(void)engine_chat(eng, NULL, &msg, 1, &u.s, emit, &e, &res,
		    &cause);
	}
	memset(&m, 0, sizeof m);
	test_cond(session_end(sn, &res, NULL, &st, &a, &cause) == 0 &&
	    st == SESSION_INTERRUPTED && get_msg(s, conv, a, &m) &&
	    m.status == STORE_STATUS_INTERRUPTED &&
	    strcmp(m.content, e.text) == 0,
	    "interrupted: recorded as interrupted, not cancelled, text kept");
	store_msg_free(&m);
	/* Freed while running and interrupted: the same. */
	test_cond(session_begin(sn, &t, NULL, &cause) == 0 &&
	    session_emit(sn, "part", 4, &cause) == 0, "turn with a piece");
	session_interrupt(sn);
	a = 0;
	{
		struct store_msg	*v;
		size_t			 nv;

		session_begin(sn, &t, NULL, &cause);	/* stops the last */
		if (store_msg_list(s, conv, &v, &nv, &cause) == 0) {
			test_cond(nv >= 2 && v[nv - 1].status ==
			    STORE_STATUS_INTERRUPTED && strcmp(
			    v[nv - 1].content, "part") == 0,
			    "an interrupted turn stopped by the next is "
			    "interrupted");
			store_msgs_free(v, nv);
		}
		session_end(sn, NULL, NULL, NULL, NULL, &cause);
	}

	/* 600 messages left out: all recorded, as a range. */
	for (i = 0; i < 700; i++)
		ids[i] = i == 0 ? 0 : 5000 + i;
	ids[650] = 0;
	memset(&t, 0, sizeof t);
	t.conv = conv;
	t.parent = q;
	t.set = set;
	t.ctx_ids = ids;
	t.n_ctx = 700;
	memset(&res, 0, sizeof res);
	res.trimmed = 1;
	res.drop_first = 1;
	res.n_dropped = 660;
	memset(&m, 0, sizeof m);
	test_cond(session_begin(sn, &t, NULL, &cause) == 0 &&
	    session_end(sn, &res, NULL, NULL, &a, &cause) == 0 &&
	    get_msg(s, conv, a, &m) && m.prov.trimmed &&
	    m.prov.dropped_json != NULL &&
	    strcmp(m.prov.dropped_json, "[[5001,5649],[5651,5660]]") == 0 &&
	    session_dropped_count(m.prov.dropped_json) == 659,
	    "659 dropped messages recorded as ranges and counted");
	store_msg_free(&m);
	test_cond(session_dropped_count("[1,2,[10,12]]") == 5 &&
	    session_dropped_count("[]") == 0 &&
	    session_dropped_count("{}") == -1 &&
	    session_dropped_count("[[3,1]]") == -1 &&
	    session_dropped_count("[\"x\"]") == -1,
	    "session_dropped_count: ids, ranges, refusals");
	test_cond(session_dropped_has("[1,2,[10,12]]", 2) &&
	    session_dropped_has("[1,2,[10,12]]", 10) &&
	    session_dropped_has("[1,2,[10,12]]", 12) &&
	    !session_dropped_has("[1,2,[10,12]]", 3) &&
	    !session_dropped_has("[1,2,[10,12]]", 13) &&
	    !session_dropped_has("{\"a\":5}", 5) &&
	    !session_dropped_has("[\"5\"]", 5) &&
	    !session_dropped_has("[5", 5) && !session_dropped_has(NULL, 5),
	    "session_dropped_has: ids, ranges, nothing for bad JSON");
	{
		char	*pt;

		pt = session_params_text("{\"temp\":0.8,\"top_k\":40,"
		    "\"seed_fixed\":0,\"engine\":\"0.1.0\",\"kernels\":"
		    "\"avx2\",\"x\":[1],\"big\":1e-7,\"ok\":true}");
		test_cond(pt != NULL && strcmp(pt, "temp 0.8, top_k 40, "
		    "seed_fixed 0, engine 0.1.0, kernels avx2, big 1e-7, "
		    "ok true") == 0,
		    "session_params_text: numbers as written, strings bare, "
		    "arrays left out");
		if (pt != NULL)
			test_diag("%s", pt);
		free(pt);
		test_cond(session_params_text("[1]") == NULL &&
		    session_params_text("{") == NULL &&
		    session_params_text(NULL) == NULL,
		    "session_params_text: NULL for what is not an object");
	}
	free(cause);
}

/*
 * The TUI's async mode: the end only requests the final save, whose
 * result and answer id come through the writer's pipe.
 */
static void
test_async(struct store *s, const struct engine_info *info, int64_t conv,
    int64_t parent, const struct settings *set)
{
	struct session		*sn;
	struct session_turn	 t;
	struct store_msg	 m;
	struct pollfd		 pfd;
	enum session_end	 st = SESSION_ERROR;
	unsigned		 ticket = 0;
	int64_t			 q = 0, id = 0, aid = -1;
	char			*cause = NULL;
	int			 rc = 0, i;

	sn = session_create(s);
	session_set_engine(sn, info, NULL);
	session_set_async(sn, 1);
	memset(&t, 0, sizeof t);
	t.conv = conv;
	t.parent = parent;
	t.question = "And in the background?";
	t.set = set;
	t.seed = 7;
	test_cond(session_begin(sn, &t, &q, &cause) == 0 &&
	    session_emit(sn, "saved ", 6, &cause) == 0 &&
	    session_emit(sn, "later", 5, &cause) == 0,
	    "async: turn begun, pieces queued");
	test_cond(session_end(sn, NULL, NULL, &st, &aid, &cause) == 1 &&
	    aid == 0 && st == SESSION_COMPLETE && session_saving(sn) == 1,
	    "async: the end only requests the final save");
	pfd.fd = session_fd(sn);
	pfd.events = POLLIN;
	for (i = 0; i < 100 && rc == 0; i++) {
		if (poll(&pfd, 1, 100) > 0)
			rc = session_saved(sn, &ticket, &id, &cause);
	}
	test_cond(rc == 1 && ticket != 0 && ticket == session_ticket(sn) &&
	    id > q && session_saving(sn) == 0,
	    "async: the writer's pipe reports the save with the answer's id");
	memset(&m, 0, sizeof m);
	test_cond(get_msg(s, conv, id, &m) &&
	    strcmp(m.content, "saved later") == 0 &&
	    m.status == STORE_STATUS_COMPLETE && m.parent_id == q,
	    "async: the answer is stored complete under its question");
	store_msg_free(&m);
	session_free(sn);
}

/*
 * The async mode never waits for another process's write lock (issue
 * 19): a turn begun while it is held says so at once (1) with nothing
 * saved or started, whether it has a question or not, and goes through
 * once the lock is gone; an answer ended under the lock is tried again
 * in the background, and closing the session then counts it as lost
 * without waiting.  The writer's busy timeout is 100 ms, the session
 * connection's the default 5 s.
 */
static void
test_async_lock(const char *db, struct store *s,
    const struct engine_info *info, int64_t conv, int64_t parent,
    const struct settings *set)
{
	struct session		*sn;
	struct session_turn	 t;
	struct store_msg	*v = NULL;
	struct timespec		 t0, t1;
	sqlite3			*lk;
	size_t			 n0 = 0, n1 = 0;
	int64_t			 q = 0, ms;
	char			*cause = NULL;
	int			 rc, lost;

	setenv("MEDCHAT_DB_TIMEOUT_MS", "100", 1);
	sn = session_create(s);
	session_set_engine(sn, info, NULL);
	session_set_async(sn, 1);
	unsetenv("MEDCHAT_DB_TIMEOUT_MS");
	if (store_msg_list(s, conv, &v, &n0, &cause) == 0)
		store_msgs_free(v, n0);
	sqlite3_open(db, &lk);
	/* The writer's own short saves may hold the lock a moment. */
	sqlite3_busy_timeout(lk, 10000);
	test_cond(sqlite3_exec(lk, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK, "async lock: another connection holds the write lock");
	memset(&t, 0, sizeof t);
	t.conv = conv;
	t.parent = parent;
	t.question = "Asked while locked?";
	t.set = set;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = session_begin(sn, &t, &q, &cause);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	test_condf(rc == 1 && cause != NULL && strstr(cause, "locked") !=
	    NULL && !session_running(sn), "async lock: the question is not "
	    "saved, 1 says to try again (%d: %s)", rc,
	    cause != NULL ? cause : "no cause");
	free(cause);
	cause = NULL;
	test_condf(ms < 1000, "async lock: at once, not after the 5 s busy "
	    "timeout (%lld ms)", (long long)ms);
	test_cond(store_busy_ms(s) == 5000, "async lock: the connection's "
	    "busy timeout restored");
	t.question = NULL;
	t.parent = parent;
	test_cond(session_begin(sn, &t, NULL, &cause) == 1 &&
	    !session_running(sn), "async lock: an answer again (no question) "
	    "is not begun either");
	free(cause);
	cause = NULL;
	test_cond(store_msg_list(s, conv, &v, &n1, &cause) == 0 && n1 == n0,
	    "async lock: nothing was saved");
	store_msgs_free(v, n1);
	sqlite3_exec(lk, "COMMIT", NULL, NULL, NULL);
	t.question = "Asked while locked?";
	test_cond(session_begin(sn, &t, &q, &cause) == 0 && q > 0 &&
	    session_running(sn), "async lock: the same turn begins once the "
	    "lock is gone");
	session_emit(sn, "never saved", 11, &cause);
	test_cond(sqlite3_exec(lk, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK, "async lock: the write lock taken again");
	test_cond(session_end(sn, NULL, NULL, NULL, NULL, &cause) == 1 &&
	    session_saving(sn) == 1, "async lock: the end requested under "
	    "the lock");
	test_usleep(400000);
	test_cond(session_saving(sn) == 1, "async lock: still being tried "
	    "after four busy timeouts");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lost = session_close(sn, &cause);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	test_condf(lost == 1 && cause != NULL && ms < 2000, "async lock: "
	    "closed without waiting, the answer counted lost (%d, %lld ms)",
	    lost, (long long)ms);
	free(cause);
	sqlite3_exec(lk, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(lk);
}

int
main(void)
{
	static const char old_ask[] = "{\"temp\":0.800000012,\"top_k\":40,"
	    "\"top_p\":0.949999988,\"min_p\":0.0500000007,"
	    "\"repeat_penalty\":1,\"repeat_last_n\":64,\"max_tokens\":5,"
	    "\"seed\":7}";
	static const char old_tui[] = "{\"temp\":0.3,\"top_k\":12,"
	    "\"top_p\":0.9,\"min_p\":0.05,\"repeat_penalty\":1.1,"
	    "\"repeat_last_n\":64,\"max_tokens\":-1,\"seed\":"
	    "18446744073709551615,\"seed_fixed\":1,\"ctx\":512}";
	char			 dir[] = "/tmp/test-session.XXXXXX";
	char			*model, *db, *cause = NULL, *j, *text, sha[65];
	struct engine_opts	 eo;
	struct engine		*eng = NULL;
	const struct engine_info *info;
	struct store		*s = NULL;
	struct session		*sn;
	struct modelid		 id;
	struct settings		 set, back;
	struct emitted		 e;
	struct store_msg	 m;
	enum session_end	 st;
	int64_t			 conv = 0, conv2 = 0, q1, a1, q2, a2, a3, q4,
				 a4, a5, *alts, o1, o2;
	size_t			 nalt, idx;

	if (mkdtemp(dir) == NULL)
		return 1;
	xasprintf(&model, "%s/demo.gguf", dir);
	xasprintf(&db, "%s/medchat.db", dir);
	if (engine_write_demo_model(model, &cause) != 0) {
		test_cond(0, "demo model written");
		test_diag("%s", cause);
		return test_report();
	}
	memset(&eo, 0, sizeof eo);
	eo.path = model;
	eo.n_ctx = 256;
	eo.n_threads = 1;
	test_cond(engine_open(&eo, &eng, &cause) == 0 &&
	    store_open(db, advisory_ident(), &s, &cause) == 0,
	    "engine and store open");
	if (eng == NULL || s == NULL)
		return test_report();
	info = engine_get_info(eng);

	/* The parameters: one format, written and read back exactly. */
	settings_default(&set);
	set.s.temp = 0.7f;
	set.s.top_p = 0.95f;
	set.s.max_tokens = 6;
	set.s.seed = 42;
	set.seed_fixed = 1;
	set.n_ctx = 256;
	j = session_params_json(&set, NULL);
	test_condf(strncmp(j, "{\"temp\":0.7,\"top_k\":", 20) == 0 &&
	    strstr(j, "\"seed\":42,\"seed_fixed\":1,\"ctx\":256}") != NULL,
	    "params JSON: shortest floats, seed, seed_fixed, ctx: %s", j);
	settings_default(&back);
	test_cond(session_params_read(&back, j) == 0 &&
	    back.s.temp == set.s.temp && back.s.top_p == set.s.top_p &&
	    back.s.max_tokens == 6 && back.seed_fixed && back.s.seed == 42 &&
	    back.n_ctx == 256, "params JSON reads back exactly");
	free(j);
	j = session_params_json(&set, "avx2");
	test_cond(strstr(j, "\"engine\":\"" PACKAGE_VERSION "\",\"kernels\":"
	    "\"avx2\"}") != NULL, "params JSON of an answer: engine, kernels");
	free(j);
	settings_default(&back);
	test_cond(session_params_read(&back, old_ask) == 0 &&
	    back.s.temp == 0.8f && back.s.top_k == 40 &&
	    back.s.max_tokens == 5 && !back.seed_fixed,
	    "old ask format (%.9g, no seed_fixed) read");
	settings_default(&back);
	test_cond(session_params_read(&back, old_tui) == 0 &&
	    back.s.temp == 0.3f && back.s.top_k == 12 && back.seed_fixed &&
	    back.s.seed == 18446744073709551615ULL && back.n_ctx == 512,
	    "old TUI format (%g, seed_fixed, ctx) read, seed exact");
	settings_default(&back);
	test_cond(session_params_read(&back, "not json") == -1 &&
	    session_params_read(&back, "[1]") == -1 &&
	    session_params_read(&back, "{\"temp\":99,\"top_k\":\"x\"}") ==
	    0 && back.s.temp < 5, "bad parameters refused or ignored");

	/* The model's identity, once through the catalog. */
	test_cond(modelid_get(s, model, NULL, &id, &cause) == 0 &&
	    sha256_file(model, sha, NULL, NULL, &cause) == 0 &&
	    strcmp(id.sha256, sha) == 0, "modelid_get: the file's SHA-256");
	test_cond(modelid_cached(s, model, &id) == 1 &&
	    strcmp(id.sha256, sha) == 0, "modelid_cached: known afterwards");

	sn = session_create(s);
	session_set_engine(sn, info, id.sha256);

	/* begin / emit / end, in a conversation created with the question. */
	a1 = turn(s, sn, eng, 0, 0, "What is ferritin?", &set, 0, &st,
	    &q1, &e);
	conv = session_conv_id(sn);
	test_cond(q1 > 0 && a1 > q1 && st == SESSION_COMPLETE &&
	    e.errors == 0, "turn: question saved, answer complete");
	{
		struct store_conv	c;

		memset(&c, 0, sizeof c);
		test_cond(conv > 0 && store_conv_get(s, conv, &c, &cause) ==
		    0 && c.system != NULL && strcmp(c.system, "Be brief.") ==
		    0 && c.n_messages == 2, "conversation created with the "
		    "first question and its system message");
		store_conv_free(&c);
	}
	test_cond(!session_running(sn), "no turn running after the end");
	memset(&m, 0, sizeof m);
	test_cond(get_msg(s, conv, a1, &m) && strcmp(m.content, e.text) == 0 &&
	    m.status == STORE_STATUS_COMPLETE && m.parent_id == q1,
	    "answer stored exactly as emitted, under the question");
	test_cond(m.prov.model_file != NULL &&
	    strcmp(m.prov.model_file, info->file_name) == 0 &&
	    m.prov.model_sha256 != NULL &&
	    strcmp(m.prov.model_sha256, sha) == 0 &&
	    m.prov.model_quant != NULL && m.prov.template_name != NULL &&
	    strcmp(m.prov.template_name, info->template_name) == 0,
	    "provenance: model file, SHA-256, quant, template");
	test_cond(m.prov.has_seed && m.prov.seed == 42 &&
	    m.prov.n_gen > 0 && m.prov.n_prompt > 0 && m.prov.decode_tps > 0,
	    "provenance: seed, token counts, speeds");
	test_condf(m.prov.params_json != NULL &&
	    strstr(m.prov.params_json, "\"seed\":") == NULL &&
	    strstr(m.prov.params_json, "\"seed_fixed\":1") != NULL &&
	    strstr(m.prov.params_json, "\"kernels\":") != NULL &&
	    strstr(m.prov.params_json, "\"engine\":\"" PACKAGE_VERSION "\"")
	    != NULL, "provenance: the one params format, engine, kernels: %s",
	    m.prov.params_json != NULL ? m.prov.params_json : "(null)");
	store_msg_free(&m);

	/* Continue: the next question under the answer. */
	a2 = turn(s, sn, eng, conv, a1, "And transferrin?", &set, 0, &st, &q2,
	    &e);
	memset(&m, 0, sizeof m);
	test_cond(a2 > 0 && get_msg(s, conv, q2, &m) && m.parent_id == a1,
	    "continue: the question follows the answer");
	store_msg_free(&m);

	/* Regenerate: a second answer to q2, an alternative of a2. */
	a3 = turn(s, sn, eng, conv, q2, NULL, &set, 0, &st, NULL, &e);
	test_cond(a3 > a2 && store_msg_alternatives(s, a3, &alts, &nalt, &idx,
	    &cause) == 0 && nalt == 2 && idx == 1,
	    "regenerate: the new answer is the second alternative");
	free(alts);

	/* Edit and resend: a new question beside q2, with its answer. */
	a4 = turn(s, sn, eng, conv, a1, "And ferritin in men?", &set, 0, &st,
	    &q4, &e);
	test_cond(a4 > 0 && store_msg_alternatives(s, q4, &alts, &nalt, &idx,
	    &cause) == 0 && nalt == 2 && idx == 1,
	    "edit and resend: the new question is an alternative of the old");
	free(alts);

	/* Stopped: the partial answer is kept as cancelled. */
	set.s.max_tokens = 40;
	a5 = turn(s, sn, eng, conv, a4, "Stop early.", &set, 2, &st, NULL, &e);
	memset(&m, 0, sizeof m);
	test_cond(a5 > 0 && st == SESSION_STOPPED && get_msg(s, conv, a5, &m) &&
	    m.status == STORE_STATUS_CANCELLED &&
	    strcmp(m.content, e.text) == 0, "stopped: partial answer kept");
	store_msg_free(&m);

	/* An invalid question is refused before anything is saved. */
	{
		struct session_turn	t;

		memset(&t, 0, sizeof t);
		t.conv = conv;
		t.question = "bad \xff byte";
		t.set = &set;
		test_cond(session_begin(sn, &t, NULL, &cause) == -1 &&
		    strstr(cause, "UTF-8") != NULL && !session_running(sn),
		    "non-UTF-8 question refused");
		free(cause);
		cause = NULL;
	}

	/* Answers stored with each older format still show provenance. */
	{
		struct session_turn	t;
		struct store_conv	c;

		memset(&t, 0, sizeof t);
		t.conv_tmpl = "chatml";
		t.question = "Older formats?";
		t.set = &set;
		memset(&c, 0, sizeof c);
		test_cond(session_begin(sn, &t, NULL, &cause) == 0 &&
		    (conv2 = session_conv_id(sn)) != conv &&
		    session_end(sn, NULL, NULL, NULL, &o1, &cause) == 0 &&
		    store_conv_get(s, conv2, &c, &cause) == 0 &&
		    c.template_name != NULL &&
		    strcmp(c.template_name, "chatml") == 0,
		    "second conversation, with its template");
		store_conv_free(&c);
	}
	o1 = old_answer(s, conv2, o1, old_ask, 7);
	o2 = old_answer(s, conv2, o1, old_tui, 18446744073709551615ULL);
	test_cond(o1 > 0 && o2 > 0, "answers with old params formats stored");
	text = test_export(s, conv2, STORE_FMT_MD, NULL);
	test_cond(strstr(text, old_ask) != NULL && strstr(text, "seed 7") !=
	    NULL, "export md: old ask-format parameters and seed shown");
	free(text);
	text = test_export(s, conv2, STORE_FMT_TXT, NULL);
	test_cond(strstr(text, old_tui) != NULL &&
	    strstr(text, "seed 18446744073709551615") != NULL,
	    "export txt: old TUI-format parameters and seed shown");
	free(text);
	memset(&m, 0, sizeof m);
	settings_default(&back);
	test_cond(get_msg(s, conv2, o2, &m) &&
	    session_params_read(&back, m.prov.params_json) == 0 &&
	    back.s.top_k == 12 && back.n_ctx == 512,
	    "old TUI-format parameters read back from the store");
	store_msg_free(&m);

	test_record(s, sn, eng, &set);
	test_async(s, info, conv, a1, &set);
	test_async_lock(db, s, info, conv, a1, &set);
	session_free(sn);
	store_close(s);
	engine_close(eng);
	unlink(model);
	unlink(db);
	{
		char	*p;

		xasprintf(&p, "%s/medchat.db-wal", dir);
		unlink(p);
		free(p);
		xasprintf(&p, "%s/medchat.db-shm", dir);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	free(model);
	free(db);
	return test_report();
}
