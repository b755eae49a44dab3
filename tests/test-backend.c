/*
 * test-backend.c -- the engine backend (src/app/backend*.c) and the
 * worker over it: URL origins and shown names, endpoint resolution
 * (URL, settings section, MEDCHAT_ENDPOINT, options), the local backend
 * over the demo model (info, streamed chat, counts), and the remote one
 * against tests/remote-server.py started on 127.0.0.1 at a random port
 * (skipped visibly without python3): info, a streamed answer and its
 * provenance, a dropped connection (partial text, dropped set), cancel
 * from another thread, the served models, and the worker loading an
 * endpoint (the network work on its thread) and answering with it,
 * keeping the model before when an endpoint fails (the model menu's
 * listing of endpoints is tested in test-mscan); and `ask`'s session
 * over a remote backend: the consent (refused without a terminal or
 * --accept-remote, then recorded), the advisory per remote model, the
 * provenance saved, and a dropped connection ending the answer as
 * interrupted with its partial text and cause.
 */
#include <sys/wait.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "testhelp.h"
#include "advisory.h"
#include "backend.h"
#include "buf.h"
#include "conffile.h"
#include "session.h"
#include "store.h"
#include "worker.h"
#include "xmalloc.h"

static char	 tmpdir[] = "/tmp/medchat-backend.XXXXXX";
static pid_t	 srv_pid = -1;
static char	 hostport[64];	/* 127.0.0.1:PORT */
static char	 base[128];	/* http://127.0.0.1:PORT/v1 */

/* ---- helpers --------------------------------------------------------- */

static int
collect(const char *text, size_t len, void *arg)
{
	buf_append(arg, text, len);
	return 0;
}

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Start the test server: 1 running, 0 no python3, -1 failed. */
static int
server_start(void)
{
	const char	*src = getenv("top_srcdir");
	char		 script[4096], line[32];
	struct pollfd	 pfd;
	ssize_t		 r;
	size_t		 got = 0;
	int		 fd[2], status, port;

	if (src == NULL || *src == '\0')
		src = ".";
	snprintf(script, sizeof script, "%s/tests/remote-server.py", src);
	if (pipe(fd) != 0)
		return -1;
	if ((srv_pid = fork()) == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execlp("python3", "python3", script, "--idle-timeout", "120",
		    (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	pfd.fd = fd[0];
	pfd.events = POLLIN;
	while (got < sizeof line - 1 && poll(&pfd, 1, 30000) == 1) {
		if ((r = read(fd[0], line + got, sizeof line - 1 - got)) <= 0)
			break;
		got += (size_t)r;
		if (memchr(line, '\n', got) != NULL)
			break;
	}
	close(fd[0]);
	line[got] = '\0';
	if ((port = atoi(line)) <= 0) {
		if (waitpid(srv_pid, &status, 0) == srv_pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 127) {
			srv_pid = -1;
			return 0;
		}
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
		srv_pid = -1;
		return -1;
	}
	snprintf(hostport, sizeof hostport, "127.0.0.1:%d", port);
	snprintf(base, sizeof base, "http://%s/v1", hostport);
	return 1;
}

static void
server_stop(void)
{
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
		srv_pid = -1;
	}
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST /control with json: 0 or -1. */
static int
server_control(const char *json)
{
	char	 url[256];
	CURL	*e;
	long	 code = 0;

	snprintf(url, sizeof url, "http://%s/control", hostport);
	e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	return code == 200 ? 0 : -1;
}

/* ---- URLs and names -------------------------------------------------- */

static void
test_origin(void)
{
	static const struct {
		const char	*url, *origin;
	} good[] = {
		{ "http://localhost:8080/v1", "http://localhost:8080" },
		{ "HTTPS://GPU1.Lab/v1/", "https://gpu1.lab:443" },
		{ "http://10.0.0.2/v1", "http://10.0.0.2:80" },
		{ "http://[::1]:11434/v1", "http://[::1]:11434" },
		{ "https://h.example:8443?x=1", "https://h.example:8443" },
		{ "http://h_1.lab:1", "http://h_1.lab:1" },
	};
	static const char *const bad[] = { "ftp://h/v1", "localhost:8080",
	    "http://", "http:///v1", "http://h:/v1", "http://h:0/v1",
	    "http://h:65536/v1", "http://h:8x/v1", "http://h h/v1",
	    "http://[::1/v1", "http://[]/v1", "" };
	char	*o, *cause = NULL;
	size_t	 i;
	int	 ok;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		ok = backend_origin(good[i].url, &o, &cause) == 0 &&
		    strcmp(o, good[i].origin) == 0;
		test_condf(ok, "origin of %s is %s (%s)", good[i].url,
		    good[i].origin, ok ? o : cause);
		if (ok)
			free(o);
		else
			free(cause);
		cause = NULL;
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		test_condf(backend_origin(bad[i], &o, &cause) == -1 &&
		    cause != NULL && strchr(cause, '\n') == NULL,
		    "'%s' refused in one line (%s)", bad[i],
		    cause != NULL ? cause : "accepted");
		free(cause);
		cause = NULL;
	}
	test_cond(backend_origin("http://alice:s3cret@h/v1", &o, &cause) == -1 &&
	    strstr(cause, "credentials") != NULL &&
	    strstr(cause, "s3cret") == NULL && strstr(cause, "alice") == NULL,
	    "credentials in a URL refused without showing them");
	free(cause);
	cause = NULL;
	test_cond(backend_origin("gopher://alice:s3cret@h/v1", &o, &cause) ==
	    -1 && strstr(cause, "s3cret") == NULL,
	    "a bad scheme with credentials: the URL is not shown");
	free(cause);

	o = backend_display_name("lab", "gpu1:8000", "meditron-70b");
	test_cond(strcmp(o, "lab: meditron-70b") == 0,
	    "shown name: the endpoint's name and the model");
	free(o);
	o = backend_display_name(NULL, "gpu1:8000", "m");
	test_cond(strcmp(o, "gpu1:8000: m") == 0,
	    "shown name: the host without a name");
	free(o);
}

static void
test_resolve(void)
{
	struct conffile			 c;
	struct backend_endpoint		 ep;
	char				*cause = NULL;
	static const char		 conf[] =
	    "[endpoint lab]\nurl = http://gpu1:8000/v1\nmodel = m70\n"
	    "template = chatml\ncacert = /ca.pem\napi_key_env = LAB_KEY\n"
	    "[endpoint keyed]\nurl = http://k:1/v1\napi_key = sk-FILE\n";

	conffile_init(&c);
	conffile_parse(&c, "t.conf", conf, sizeof conf - 1);
	unsetenv("MEDCHAT_ENDPOINT");
	test_cond(backend_endpoint_resolve(&c, "t.conf", NULL, NULL, NULL,
	    NULL, &ep, &cause) == 0 && ep.url == NULL,
	    "resolve: nothing given, no variable: no endpoint");
	test_cond(backend_endpoint_resolve(&c, "t.conf", "lab", NULL, NULL,
	    NULL, &ep, &cause) == 0 && strcmp(ep.url, "http://gpu1:8000/v1")
	    == 0 && strcmp(ep.name, "lab") == 0 && strcmp(ep.model, "m70") ==
	    0 && strcmp(ep.tmpl, "chatml") == 0 && strcmp(ep.cacert,
	    "/ca.pem") == 0 && strcmp(ep.key_env, "LAB_KEY") == 0 &&
	    ep.key == NULL, "resolve: a name takes its section");
	test_cond(backend_endpoint_resolve(&c, "t.conf", "lab", "m7",
	    "llama2", "/other.pem", &ep, &cause) == 0 && strcmp(ep.model,
	    "m7") == 0 && strcmp(ep.tmpl, "llama2") == 0 &&
	    strcmp(ep.cacert, "/other.pem") == 0,
	    "resolve: the options win over the section");
	test_cond(backend_endpoint_resolve(&c, "t.conf", "http://k:1/v1/",
	    NULL, NULL, NULL, &ep, &cause) == 0 && ep.name != NULL &&
	    strcmp(ep.name, "keyed") == 0 && strcmp(ep.key, "sk-FILE") == 0,
	    "resolve: a section's URL takes the section");
	test_cond(backend_endpoint_resolve(&c, "t.conf", "http://x:2/v1",
	    NULL, NULL, NULL, &ep, &cause) == 0 && ep.name == NULL &&
	    ep.model == NULL && strcmp(ep.url, "http://x:2/v1") == 0,
	    "resolve: another URL as it is");
	setenv("MEDCHAT_ENDPOINT", "lab", 1);
	test_cond(backend_endpoint_resolve(&c, "t.conf", NULL, NULL, NULL,
	    NULL, &ep, &cause) == 0 && ep.url != NULL &&
	    strcmp(ep.name, "lab") == 0, "resolve: MEDCHAT_ENDPOINT");
	unsetenv("MEDCHAT_ENDPOINT");
	test_cond(backend_endpoint_resolve(&c, "t.conf", "nope", NULL, NULL,
	    NULL, &ep, &cause) == -1 && strstr(cause, "nope") != NULL &&
	    strstr(cause, "t.conf") != NULL && strchr(cause, '\n') == NULL,
	    "resolve: an unknown name is one line naming the file");
	free(cause);
	cause = NULL;
	test_cond(backend_endpoint_resolve(&c, "t.conf", "", NULL, NULL,
	    NULL, &ep, &cause) == -1, "resolve: an empty argument refused");
	free(cause);
	cause = NULL;
	conffile_free(&c);
	conffile_init(&c);
	c.refused = xstrdup("t.conf: holds an api_key but its mode is 0644");
	test_cond(backend_endpoint_resolve(&c, "t.conf", "lab", NULL, NULL,
	    NULL, &ep, &cause) == -1 && strstr(cause, "0644") != NULL,
	    "resolve: a name in a refused file: the refusal is the error");
	free(cause);
	conffile_free(&c);
}

/* ---- local ----------------------------------------------------------- */

static void
test_local(const char *demo)
{
	struct backend			*b;
	const struct backend_info	*bi;
	struct engine_opts		 eo;
	struct engine_sampling		 sp;
	struct engine_msg		 m = { ENGINE_USER, "Hello" };
	struct backend_result		 r;
	struct buf			 text = BUF_INIT;
	char				*cause = NULL;
	int				 n;

	memset(&eo, 0, sizeof eo);
	eo.path = demo;
	eo.n_ctx = 256;
	eo.n_threads = 1;
	if (backend_open_local(&eo, &b, &cause) != 0) {
		test_condf(0, "local: opens the demo model (%s)", cause);
		free(cause);
		return;
	}
	bi = backend_get_info(b);
	test_cond(!bi->remote && strcmp(bi->name, "demo.gguf") == 0 &&
	    bi->path != NULL && strcmp(bi->path, demo) == 0 &&
	    bi->quant != NULL && bi->kernels != NULL && bi->n_ctx == 256 &&
	    bi->local != NULL && bi->template_name != NULL &&
	    bi->url == NULL && bi->origin == NULL && bi->key[0] == '\0' &&
	    backend_engine(b) != NULL, "local: info");
	engine_sampling_default(&sp);
	sp.seed = 3;
	sp.max_tokens = 8;
	n = backend_count_tokens(b, NULL, &m, 1);
	test_condf(n > 0 && n == engine_count_tokens(backend_engine(b), NULL,
	    &m, 1), "local: counts the engine's tokens (%d)", n);
	test_cond(backend_chat(b, NULL, &m, 1, &sp, collect, &text, &r,
	    &cause) == 0 && r.res.n_gen > 0 && r.res.n_gen <= 8 &&
	    text.len > 0 && r.prov.request_json == NULL &&
	    r.prov.server_model == NULL && !r.prov.dropped,
	    "local: a streamed answer, no remote provenance");
	backend_result_free(&r);
	buf_free(&text);
	backend_close(b);
}

/* ---- remote ---------------------------------------------------------- */

struct cancel_arg {
	struct backend	*b;
	int		 ms;
};

static void *
cancel_later(void *p)
{
	struct cancel_arg	*a = p;
	struct timespec		 ts = { 0, a->ms * 1000000L };

	nanosleep(&ts, NULL);
	backend_cancel(a->b);
	return NULL;
}

static void
test_remote(void)
{
	struct backend			*b;
	const struct backend_info	*bi;
	struct backend_endpoint		 ep;
	struct backend_model		*mv;
	struct engine_sampling		 sp;
	struct engine_msg		 m = { ENGINE_USER, "Hello there" };
	struct backend_result		 r;
	struct buf			 text = BUF_INIT;
	struct cancel_arg		 ca;
	pthread_t			 th;
	char				*cause = NULL, origin[96], key[65];
	size_t				 nm;
	double				 t0, t1;
	int				 rc;

	memset(&ep, 0, sizeof ep);
	ep.url = base;
	ep.name = "lab";
	if (backend_open_remote(&ep, &b, &cause) != 0) {
		test_condf(0, "remote: opens (%s)", cause);
		free(cause);
		return;
	}
	bi = backend_get_info(b);
	snprintf(origin, sizeof origin, "http://%s", hostport);
	store_remote_key(bi->url, "test-model", key);
	test_cond(bi->remote && strcmp(bi->name, "lab: test-model") == 0 &&
	    strcmp(bi->model_id, "test-model") == 0 &&
	    strcmp(bi->endpoint, "lab") == 0 && strcmp(bi->url, base) == 0 &&
	    strcmp(bi->host, hostport) == 0 && strcmp(bi->origin, origin) ==
	    0 && strcmp(bi->template_name, BACKEND_SERVER_TEMPLATE) == 0 &&
	    !bi->raw && bi->n_ctx == 4096 && strcmp(bi->key, key) == 0 &&
	    bi->path == NULL && bi->local == NULL && backend_engine(b) ==
	    NULL, "remote: info (name, host, origin, context, key)");
	engine_sampling_default(&sp);
	sp.seed = 11;
	test_cond(backend_chat(b, "chatml", &m, 1, &sp, collect, &text, &r,
	    &cause) == 0 && strcmp(buf_str(&text), "You said: Hello there") ==
	    0 && r.res.stop == ENGINE_STOP_EOG && r.res.n_gen > 0 &&
	    r.prov.request_json != NULL &&
	    strstr(r.prov.request_json, "\"seed\":11") != NULL &&
	    r.prov.server_model != NULL && strcmp(r.prov.server_model,
	    "test-model") == 0 && !r.prov.dropped,
	    "remote: a streamed answer with its provenance (a template "
	    "given is the local one's: ignored)");
	backend_result_free(&r);
	test_cond(backend_count_tokens(b, NULL, &m, 1) > 0,
	    "remote: counts tokens");

	server_control("{\"scenario\": \"drop\"}");
	buf_truncate(&text, 0);
	rc = backend_chat(b, NULL, &m, 1, &sp, collect, &text, &r, &cause);
	test_cond(rc == -1 && cause != NULL && strstr(cause, hostport) !=
	    NULL && r.prov.dropped && text.len > 0 &&
	    strncmp(buf_str(&text), "You said", text.len) == 0,
	    "remote: a dropped connection: error, partial text, dropped set");
	free(cause);
	cause = NULL;
	backend_result_free(&r);

	server_control("{\"scenario\": \"slow\", \"delay_s\": 0.05}");
	buf_truncate(&text, 0);
	ca.b = b;
	ca.ms = 300;
	pthread_create(&th, NULL, cancel_later, &ca);
	t0 = now_ms();
	rc = backend_chat(b, NULL, &m, 1, &sp, collect, &text, &r, &cause);
	t1 = now_ms();
	pthread_join(th, NULL);
	test_condf(rc == 0 && r.res.stop == ENGINE_STOP_CANCEL &&
	    t1 - t0 < 300 + 1000, "remote: cancelled from another thread "
	    "(%.0f ms after a cancel at 300 ms)", t1 - t0);
	backend_result_free(&r);
	server_control("{\"reset\": true}");
	backend_close(b);

	test_cond(backend_list_models(&ep, &mv, &nm, &cause) == 0 && nm == 2 &&
	    strcmp(mv[0].id, "test-model") == 0 && mv[0].n_ctx == 4096 &&
	    strcmp(mv[1].id, "other-model") == 0,
	    "remote: the served models listed");
	backend_models_free(mv, nm);

	ep.tmpl = "chatml2";
	test_cond(backend_open_remote(&ep, &b, &cause) == -1 &&
	    strstr(cause, "chatml2") != NULL && strstr(cause, "chatml") != NULL,
	    "remote: an unknown raw template refused before any request");
	free(cause);
	cause = NULL;
	ep.tmpl = "chatml";
	ep.model = "other-model";
	test_cond(backend_open_remote(&ep, &b, &cause) == 0 &&
	    backend_get_info(b)->raw &&
	    strcmp(backend_get_info(b)->template_name, "chatml") == 0 &&
	    strcmp(backend_get_info(b)->model_id, "other-model") == 0,
	    "remote: raw mode with a model picked");
	if (cause == NULL)
		backend_close(b);
	free(cause);
	buf_free(&text);
}

/* The worker's events until one of type until (30 s at most). */
static struct worker_event *
worker_wait(struct worker *w, enum worker_ev_type until, struct buf *text)
{
	struct pollfd		 pfd;
	struct worker_event	*list, *ev, *found = NULL;
	int			 waited = 0;

	while (found == NULL && waited < 30000) {
		pfd.fd = worker_fd(w);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == 0) {
			waited += 100;
			continue;
		}
		list = worker_drain(w);
		while ((ev = list) != NULL) {
			list = ev->next;
			ev->next = NULL;
			if (ev->type == WORKER_EV_TOKEN && text != NULL)
				buf_append(text, ev->text, ev->len);
			if (found == NULL && (ev->type == until ||
			    ev->type == WORKER_EV_LOAD_FAILED ||
			    ev->type == WORKER_EV_ERROR))
				found = ev;
			else
				worker_event_free(ev);
		}
	}
	return found;
}

static void
test_worker(void)
{
	struct worker		*w;
	struct worker_event	*ev;
	struct backend_endpoint	 ep;
	struct engine_sampling	 sp;
	struct engine_msg	 m = { ENGINE_USER, "Worker" };
	struct buf		 text = BUF_INIT;
	char			*cause = NULL, key[65], url[160], name[96];
	char			 secret[] = "sk-WORKER-KEY";

	if ((w = worker_create(&cause)) == NULL) {
		test_condf(0, "worker: starts (%s)", cause);
		free(cause);
		return;
	}
	memset(&ep, 0, sizeof ep);
	ep.url = base;
	ep.key = secret;
	worker_load_remote(w, &ep);
	/* The endpoint is the worker's copy: the caller's may go. */
	memset(secret, 'x', sizeof secret - 1);
	ev = worker_wait(w, WORKER_EV_LOADED, NULL);
	store_remote_key(base, "test-model", key);
	snprintf(name, sizeof name, "%s: test-model", hostport);
	test_cond(ev != NULL && ev->type == WORKER_EV_LOADED &&
	    ev->model->remote && strcmp(ev->model->path, "") == 0 &&
	    strcmp(ev->model->file_name, name) == 0 &&
	    strcmp(ev->model->model_id, "test-model") == 0 &&
	    strcmp(ev->model->url, base) == 0 &&
	    strcmp(ev->model->host, hostport) == 0 &&
	    strcmp(ev->model->endpoint, "") == 0 &&
	    strcmp(ev->model->template_name, "server template") == 0 &&
	    ev->model->n_ctx == 4096 && strcmp(ev->model->remote_key, key) ==
	    0 && strcmp(ev->model->quant, "") == 0,
	    "worker: an endpoint loaded on its thread, a remote model");
	worker_event_free(ev);

	engine_sampling_default(&sp);
	worker_chat(w, NULL, &m, 1, &sp);
	ev = worker_wait(w, WORKER_EV_DONE, &text);
	test_cond(ev != NULL && ev->type == WORKER_EV_DONE &&
	    strcmp(buf_str(&text), "You said: Worker") == 0 &&
	    ev->prov.request_json != NULL && !ev->prov.dropped,
	    "worker: answered by the server, provenance in the event");
	worker_event_free(ev);

	server_control("{\"scenario\": \"drop\"}");
	buf_truncate(&text, 0);
	worker_chat(w, NULL, &m, 1, &sp);
	ev = worker_wait(w, WORKER_EV_DONE, &text);
	test_cond(ev != NULL && ev->type == WORKER_EV_ERROR &&
	    ev->prov.dropped && text.len > 0,
	    "worker: a dropped connection is an error with dropped set");
	worker_event_free(ev);
	server_control("{\"reset\": true}");

	snprintf(url, sizeof url, "http://%s/v1", "127.0.0.1:9");
	ep.url = url;
	ep.key = NULL;
	worker_load_remote(w, &ep);
	ev = worker_wait(w, WORKER_EV_LOADED, NULL);
	test_condf(ev != NULL && ev->type == WORKER_EV_LOAD_FAILED &&
	    ev->error != NULL && strchr(ev->error, '\n') == NULL &&
	    ev->model != NULL && ev->model->remote &&
	    strcmp(ev->model->url, base) == 0,
	    "worker: an endpoint that fails keeps the model before (%s)",
	    ev != NULL && ev->error != NULL ? ev->error : "?");
	worker_event_free(ev);
	buf_free(&text);
	worker_free(w);
}

static void
test_session(void)
{
	struct backend			*b;
	struct backend_endpoint		 ep;
	struct backend_result		 r;
	struct session_opts		 o;
	struct session			*sn;
	struct settings			 set;
	struct store			*s;
	struct store_msg		 m;
	const struct engine_msg		*msgs;
	enum session_end		 st;
	struct buf			 text = BUF_INIT;
	char				*cause = NULL, db[300];
	int64_t				 id = 0;
	int				 n, rc;

	memset(&ep, 0, sizeof ep);
	ep.url = base;
	ep.name = "lab";
	if (backend_open_remote(&ep, &b, &cause) != 0) {
		test_condf(0, "session: the endpoint opens (%s)", cause);
		free(cause);
		return;
	}
	snprintf(db, sizeof db, "%s/session.db", tmpdir);
	memset(&o, 0, sizeof o);
	o.db = db;
	o.accept_advisory = 1;
	memset(&set, 0, sizeof set);
	engine_sampling_default(&set.s);
	set.s.seed = 0x123456789abcULL;
	/* Not a terminal: nobody to ask. */
	if (freopen("/dev/null", "r", stdin) == NULL)
		test_diag("stdin stays as it is");
	rc = session_ask_open(&o, b, NULL, NULL, &set, "Q1", &sn, &msgs, &n,
	    &cause);
	test_condf(rc == -1 && cause != NULL && strstr(cause,
	    "--accept-remote") != NULL && strstr(cause, hostport) != NULL,
	    "session: no consent without a terminal or --accept-remote (%s)",
	    cause != NULL ? cause : "opened");
	free(cause);
	cause = NULL;
	o.accept_remote = 1;
	rc = session_ask_open(&o, b, NULL, NULL, &set, "Q2", &sn, &msgs, &n,
	    &cause);
	test_condf(rc == 0 && n == 1 && strcmp(msgs[0].text, "Q2") == 0,
	    "session: opened with --accept-remote (%s)",
	    cause != NULL ? cause : "ok");
	if (rc != 0) {
		free(cause);
		backend_close(b);
		return;
	}
	server_control("{\"scenario\": \"drop\"}");
	rc = backend_chat(b, NULL, msgs, n, &set.s, collect, &text, &r,
	    &cause);
	if (session_emit(sn, text.data, text.len, NULL) != 0 || rc != -1)
		test_diag("the drop scenario answered");
	test_cond(session_end_prov(sn, &r.res, &r.prov, cause, &st, &id,
	    NULL) == 0 && st == SESSION_INTERRUPTED && id > 0,
	    "session: a dropped connection ends the answer interrupted");
	session_free(sn);
	free(cause);
	cause = NULL;
	backend_result_free(&r);
	server_control("{\"reset\": true}");

	if (store_open(db, advisory_ident(), &s, &cause) != 0) {
		test_condf(0, "session: the database opens (%s)", cause);
		free(cause);
		backend_close(b);
		buf_free(&text);
		return;
	}
	test_cond(store_msg_get(s, id, &m, &cause) == 0 &&
	    m.status == STORE_STATUS_INTERRUPTED && m.content[0] != '\0' &&
	    strcmp(m.content, buf_str(&text)) == 0 && m.error != NULL &&
	    strstr(m.error, hostport) != NULL &&
	    strcmp(m.prov.model_file, "lab: test-model") == 0 &&
	    strcmp(m.prov.endpoint, "lab") == 0 &&
	    strcmp(m.prov.endpoint_url, base) == 0 &&
	    strcmp(m.prov.remote_model, "test-model") == 0 &&
	    strcmp(m.prov.template_name, "server template") == 0 &&
	    m.prov.model_sha256 == NULL && m.prov.request_json != NULL &&
	    m.prov.has_seed && m.prov.seed == (0x123456789abcULL & 0x7fffffff),
	    "session: partial text, cause and remote provenance saved; the "
	    "seed is the one sent");
	store_msg_free(&m);
	test_cond(store_consent_check(s, backend_get_info(b)->origin, NULL,
	    &cause) == 1 && store_ack_check(s, backend_get_info(b)->key, NULL,
	    &cause) == 1, "session: consent and acknowledgement recorded");
	store_close(s);
	backend_close(b);
	buf_free(&text);
}

int
main(void)
{
	char	*cause = NULL, demo[256];
	int	 r;

	unsetenv("MEDCHAT_API_KEY");
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	test_origin();
	test_resolve();
	if (mkdtemp(tmpdir) == NULL) {
		test_skip("local backend", "mkdtemp failed");
	} else {
		snprintf(demo, sizeof demo, "%s/demo.gguf", tmpdir);
		if (engine_write_demo_model(demo, &cause) != 0) {
			test_condf(0, "demo model written (%s)", cause);
			free(cause);
		} else
			test_local(demo);
		unlink(demo);
	}
	if ((r = server_start()) == 0)
		test_skip("remote backend", "no python3 for the test server");
	else if (r < 0)
		test_cond(0, "the test server starts");
	else {
		test_remote();
		test_worker();
		test_session();
		server_stop();
	}
	test_rmtree(tmpdir);
	return test_report();
}
