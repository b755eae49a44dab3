/*
 * test-engine.c -- the engine facade on models we write ourselves, so it
 * runs everywhere (no ../shared needed).
 *
 *  - the demo model: writes, opens, generates; same seed -> same text,
 *    also when the second call reuses the KV cache; batched prefill
 *    logits equal one-token-at-a-time logits;
 *  - the ChatML prompt of a chat turn is exactly the expected ids
 *    (template text with special tokens, user text without);
 *  - a "scripted" model (the demo vocabulary with weights that make it a
 *    bigram machine: zero attention and FFN, one-hot embeddings, output
 *    rows that pick a successor) answers a known text, so stopping at
 *    <|im_end|> (as a token, and spelled out as text), cancelling,
 *    context trimming and KV-cache reuse are checked exactly;
 *  - cancelling during a long prompt (another thread calls engine_cancel
 *    while the prompt's batches are evaluated) returns STOP_CANCEL with
 *    no text, and the next call answers exactly as a fresh engine does;
 *  - running out of memory for the KV cache (a child process with a low
 *    address-space limit) makes engine_open fail with a one-line cause
 *    instead of ending the process.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "gguf.h"
#include "kernels.h"
#include "model.h"
#include "quant.h"
#include "tokenizer.h"
#include "buf.h"
#include "testhelp.h"
#include "enginehelp.h"
#include "xmalloc.h"

#define E	64	/* demo model width */

struct canceller {
	struct engine	*e;
	atomic_int	 done;
};

static struct engine	*open_model(const char *, int);
static void		 test_open_oom(const char *);

/* Cancel c->e over and over until the main thread says it returned. */
static void *
canceller_main(void *arg)
{
	struct canceller	*c = arg;

	while (!atomic_load(&c->done)) {
		engine_cancel(c->e);
		test_usleep(100);
	}
	return NULL;
}

/*
 * A prompt of about 1900 tokens (four batches of 512) on the demo model,
 * cancelled from another thread: the call returns STOP_CANCEL without
 * text, keeps only whole batches in the KV cache, and the same prompt
 * afterwards gives exactly the answer of a freshly opened engine.
 */
static void
test_cancel_prefill(const char *demo)
{
	struct engine_sampling	 s;
	struct engine_result	 res, res2;
	struct capture		 c1, c2, c3;
	struct canceller	 cc;
	struct engine		*e, *e2;
	struct buf		 b = BUF_INIT;
	pthread_t		 th;
	char			*cause = NULL;
	int			 i, rv;

	if ((e = open_model(demo, 2048)) == NULL ||
	    (e2 = open_model(demo, 2048)) == NULL) {
		test_cond(0, "demo model opens with a 2048 context");
		if (e != NULL)
			engine_close(e);
		return;
	}
	for (i = 0; i < 190; i++)
		buf_puts(&b, "the patient has a fever and a cough. ");
	engine_sampling_default(&s);
	s.seed = 7;
	s.max_tokens = 8;

	memset(&c1, 0, sizeof c1);
	memset(&cc, 0, sizeof cc);
	cc.e = e;
	if (pthread_create(&th, NULL, canceller_main, &cc) != 0) {
		test_cond(0, "canceller thread starts");
		goto out;
	}
	rv = engine_complete(e, buf_str(&b), &s, capture_emit, &c1, &res, &cause);
	atomic_store(&cc.done, 1);
	pthread_join(th, NULL);
	test_condf(rv == 0 && res.stop == ENGINE_STOP_CANCEL &&
	    res.n_gen == 0 && c1.len == 0, "cancel during a %d-token prompt "
	    "stops with no text (stop %d, %d generated)", res.n_prompt,
	    (int)res.stop, res.n_gen);
	test_condf(res.n_ctx_used == res.n_prompt ||
	    res.n_ctx_used % 512 == 0, "cancelled prompt keeps whole batches "
	    "(%d of %d positions)", res.n_ctx_used, res.n_prompt);
	test_diag("cancel landed %s (%d of %d prompt positions kept)",
	    res.n_ctx_used < res.n_prompt ? "during the prompt" :
	    "after the prompt", res.n_ctx_used, res.n_prompt);
	test_cond(res.n_prompt > 1536, "the prompt spans four batches");

	/* The next call on the cancelled engine == a fresh engine. */
	memset(&c2, 0, sizeof c2);
	memset(&c3, 0, sizeof c3);
	rv = engine_complete(e, buf_str(&b), &s, capture_emit, &c2, &res, &cause);
	rv |= engine_complete(e2, buf_str(&b), &s, capture_emit, &c3, &res2,
	    &cause);
	test_condf(rv == 0 && res.n_gen > 0 && res.n_gen == res2.n_gen &&
	    strcmp(c2.buf, c3.buf) == 0, "after a cancelled prompt the "
	    "answer equals a fresh engine's (%d cached)", res.n_cached);
out:
	free(cause);
	buf_free(&b);
	engine_close(e);
	engine_close(e2);
}

static struct engine *
open_model(const char *path, int n_ctx)
{
	struct engine_opts	 eo;
	struct engine		*e = NULL;
	char			*cause = NULL;

	memset(&eo, 0, sizeof eo);
	eo.path = path;
	eo.n_ctx = n_ctx;
	eo.n_threads = 2;
	if (engine_open(&eo, &e, &cause) != 0) {
		test_diag("open %s: %s", path, cause);
		free(cause);
		return NULL;
	}
	return e;
}

/* Bytes of address space this process has mapped, 0 if unknown. */
static unsigned long long
vm_size(void)
{
	FILE			*fp;
	char			 line[256];
	unsigned long long	 kb = 0;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
			break;
	fclose(fp);
	return kb * 1024;
}

/*
 * engine_open with a context whose KV cache (256 MiB on the demo model)
 * cannot be allocated under an address-space limit 64 MiB above what
 * the process already maps: in a child, which reports engine_open's
 * result and cause through a pipe and then exits 0 itself.  The child
 * exiting any other way means it died inside the allocator.
 */
/*
 * Under AddressSanitizer a failed allocation must return NULL, as the C
 * library's does, for test_open_oom to see it (ASan reads this at start;
 * other builds never call it).
 */
const char	*__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
test_open_oom(const char *demo)
{
	struct engine_opts	 eo;
	struct engine		*e = NULL;
	struct rlimit		 rl;
	char			 msg[512], *cause = NULL;
	unsigned long long	 vm;
	ssize_t			 n, got = 0;
	pid_t			 pid;
	int			 fds[2], st, rv;

	if ((vm = vm_size()) == 0 || pipe(fds) != 0) {
		test_skip("KV cache allocation failure", "no /proc/self/status");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		rl.rlim_cur = rl.rlim_max = vm + (64ULL << 20);
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(3);
		memset(&eo, 0, sizeof eo);
		eo.path = demo;
		eo.n_ctx = ENGINE_CTX_MAX;
		eo.n_threads = 2;
		rv = engine_open(&eo, &e, &cause);
		snprintf(msg, sizeof msg, "%d %s", rv,
		    cause != NULL ? cause : "");
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	memset(msg, 0, sizeof msg);
	while (pid > 0 && got < (ssize_t)sizeof msg - 1 &&
	    (n = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
		got += n;
	close(fds[0]);
	test_cond(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0,
	    "out of memory for the KV cache: engine_open returns (the "
	    "process does not exit)");
	test_condf(strncmp(msg, "-1 ", 3) == 0 && msg[3] != '\0' &&
	    strchr(msg, '\n') == NULL,
	    "out of memory for the KV cache: -1 with a one-line cause (%s)",
	    msg);
}

/* Copy every metadata key of gf into w, except key skip (may be NULL). */
static void
copy_kv(const struct gguf_file *gf, struct gguf_writer *w, const char *skip)
{
	const struct gguf_kv	*kv;
	const char		**ss;
	char			*s;
	uint64_t		 i, j;

	for (i = 0; i < gf->n_kv; i++) {
		kv = &gf->kv[i];
		if (skip != NULL && strcmp(kv->key, skip) == 0)
			continue;
		switch (kv->type) {
		case GGUF_T_STRING:
			s = xstrndup(kv->v.str.ptr, kv->v.str.len);
			gguf_w_str(w, kv->key, s);
			free(s);
			break;
		case GGUF_T_FLOAT32:
			gguf_w_f32(w, kv->key, (float)kv->v.f64);
			break;
		case GGUF_T_BOOL:
			gguf_w_bool(w, kv->key, (int)kv->v.u64);
			break;
		case GGUF_T_ARRAY:
			if (kv->v.arr.type != GGUF_T_STRING) {
				gguf_w_arr(w, kv->key, kv->v.arr.type,
				    kv->v.arr.data, kv->v.arr.n);
				break;
			}
			ss = xcalloc(kv->v.arr.n, sizeof *ss);
			for (j = 0; j < kv->v.arr.n; j++)
				ss[j] = xstrndup(kv->v.arr.strs[j].ptr,
				    kv->v.arr.strs[j].len);
			gguf_w_arr_str(w, kv->key, ss, kv->v.arr.n);
			for (j = 0; j < kv->v.arr.n; j++)
				free((char *)ss[j]);
			free(ss);
			break;
		default:
			gguf_w_u32(w, kv->key, (uint32_t)kv->v.u64);
			break;
		}
	}
}

/*
 * Write the scripted model: the demo's metadata, and weights such that
 * after token chain[i] the argmax is chain[i + 1] (by a margin of
 * hundreds); every other token leads to chain[0].  Returns 0 or -1.
 */
static int
write_scripted(const char *demo, const char *path, const int32_t *chain,
    int nchain)
{
	struct gguf_file	*gf;
	struct gguf_writer	*w;
	const struct gguf_tensor *t;
	char			*cause = NULL;
	float			*emb, *out, *zero, *ones;
	int64_t			 ne[2];
	uint64_t		 i;
	int			 V, k, rv;

	for (k = 0; k < nchain; k++) {
		if (chain[k] < 0) {
			test_diag("scripted chain: piece %d not in vocab", k);
			return -1;
		}
	}

	if (gguf_open(demo, &gf, &cause) != 0) {
		test_diag("%s", cause);
		free(cause);
		return -1;
	}
	t = gguf_find_tensor(gf, "token_embd.weight");
	V = (int)t->ne[1];
	emb = xcalloc((size_t)V * E, sizeof *emb);
	out = xcalloc((size_t)V * E, sizeof *out);
	zero = xcalloc((size_t)E * 192, sizeof *zero);
	ones = xcalloc(E, sizeof *ones);
	for (k = 0; k < E; k++)
		ones[k] = 1.0f;
	/* Token -> one-hot slot: chain[i] gets slot i + 1, others slot 0. */
	for (k = 0; k < V; k++)
		emb[(size_t)k * E] = 1.0f;
	for (k = 0; k < nchain && k + 1 < E; k++) {
		emb[(size_t)chain[k] * E] = 0.0f;
		emb[(size_t)chain[k] * E + k + 1] = 1.0f;
	}
	/* Slot 0 -> chain[0]; slot i + 1 -> chain[i + 1]. */
	out[(size_t)chain[0] * E] = 100.0f;
	for (k = 0; k + 1 < nchain && k + 1 < E; k++)
		out[(size_t)chain[k + 1] * E + k + 1] = 100.0f;

	w = gguf_writer_new(3);
	copy_kv(gf, w, NULL);
	for (i = 0; i < gf->n_tensors; i++) {
		t = &gf->tensors[i];
		ne[0] = t->ne[0];
		ne[1] = t->ne[1];
		if (t->n_dims == 1)
			gguf_w_tensor(w, t->name, QT_F32, 1, ne, ones);
		else if (strcmp(t->name, "token_embd.weight") == 0)
			gguf_w_tensor(w, t->name, QT_F32, 2, ne, emb);
		else if (strcmp(t->name, "output.weight") == 0)
			gguf_w_tensor(w, t->name, QT_F32, 2, ne, out);
		else
			gguf_w_tensor(w, t->name, QT_F32, 2, ne, zero);
	}
	rv = gguf_writer_save(w, path, &cause);
	if (rv != 0) {
		test_diag("%s", cause);
		free(cause);
	}
	gguf_writer_free(w);
	gguf_close(gf);
	free(emb);
	free(out);
	free(zero);
	free(ones);
	return rv;
}

/*
 * Rewrite the demo model with one defect; return the error engine_open
 * gives for it (caller frees), or NULL if it opened.
 */
static char *
open_variant(const char *demo, const char *path, int kind)
{
	struct engine_opts	 eo;
	struct gguf_file	*gf;
	struct gguf_writer	*w;
	struct engine		*e;
	const struct gguf_tensor *t;
	const char		*skip = NULL;
	char			*cause = NULL, name[80];
	int64_t			 ne[2];
	uint64_t		 i;

	if (gguf_open(demo, &gf, &cause) != 0)
		return cause;
	if (kind == 0 || kind == 6)
		skip = "general.architecture";
	else if (kind == 1 || kind == 7)
		skip = "tokenizer.ggml.model";
	else if (kind == 5)
		skip = "llama.attention.head_count";
	w = gguf_writer_new(3);
	copy_kv(gf, w, skip);
	if (kind == 0)
		gguf_w_str(w, "general.architecture", "falcon");
	else if (kind == 1)
		gguf_w_str(w, "tokenizer.ggml.model", "gpt2");
	else if (kind == 5)
		gguf_w_u32(w, "llama.attention.head_count", 5);
	else if (kind == 6)	/* escape sequences from the file */
		gguf_w_str(w, "general.architecture", "fal\x1b[2Jcon\n");
	else if (kind == 7)
		gguf_w_str(w, "tokenizer.ggml.model", "gp\x1b]0;t\a2\r");
	for (i = 0; i < gf->n_tensors; i++) {
		t = &gf->tensors[i];
		ne[0] = t->ne[0];
		ne[1] = t->ne[1];
		if (kind == 2 && strcmp(t->name, "blk.1.ffn_up.weight") == 0)
			continue;
		if (kind == 3 && strcmp(t->name, "blk.0.attn_k.weight") == 0)
			ne[1] = ne[1] / 2;
		gguf_w_tensor(w, t->name, t->type, t->n_dims, ne, t->data);
	}
	if (kind == 4) {
		snprintf(name, sizeof name, "blk.0.attn_q.bias");
		ne[0] = E;
		gguf_w_tensor(w, name, QT_F32, 1, ne, gf->tensors[0].data);
	}
	if (gguf_writer_save(w, path, &cause) != 0) {
		gguf_writer_free(w);
		gguf_close(gf);
		return cause;
	}
	gguf_writer_free(w);
	gguf_close(gf);
	memset(&eo, 0, sizeof eo);
	eo.path = path;
	eo.n_ctx = 64;
	if (engine_open(&eo, &e, &cause) == 0) {
		engine_close(e);
		return NULL;
	}
	return cause;
}

static void
test_bad_models(const char *demo, const char *dir)
{
	static const struct {
		const char	*what, *want;
	} cases[] = {
		{ "unsupported architecture", "unsupported architecture 'falcon'" },
		{ "unsupported tokenizer", "unsupported tokenizer 'gpt2'" },
		{ "missing tensor", "missing tensor 'blk.1.ffn_up.weight'" },
		{ "wrong tensor shape", "tensor 'blk.0.attn_k.weight' has shape" },
		{ "unexpected bias tensor", "unexpected tensor 'blk.0.attn_q.bias'" },
		{ "heads not dividing the width", "head_count (5) does not divide" },
		{ "architecture with control characters",
		    "unsupported architecture 'fal\\x1b[2Jcon\\x0a'" },
		{ "tokenizer with control characters",
		    "unsupported tokenizer 'gp\\x1b]0;t\\x072\\x0d'" },
	};
	char		 path[256], *cause;
	const char	*p;
	size_t		 i;
	int		 raw;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(path, sizeof path, "%s/bad%zu.gguf", dir, i);
		cause = open_variant(demo, path, (int)i);
		raw = 0;
		for (p = cause; p != NULL && *p != '\0'; p++)
			raw |= (unsigned char)*p < 0x20 || *p == 0x7f;
		test_condf(cause != NULL && strstr(cause, cases[i].want) !=
		    NULL && !raw,
		    "%s: one-line error (%s)", cases[i].what,
		    cause != NULL ? cause : "opened");
		free(cause);
		unlink(path);
	}
}

/* Report *cause as a failed test; free it and set it to NULL. */
static void
fail_cause(char **cause)
{
	test_cond(0, *cause);
	free(*cause);
	*cause = NULL;
}

/* Id of piece text s in the demo vocabulary (-1 if absent). */
static int32_t
piece(const struct tokenizer *tok, const char *s)
{
	return tokenizer_find(tok, s);
}

#define SP "\xe2\x96\x81"
#define IMS "<|im_start|>"
#define IME "<|im_end|>"
#define NL "<0x0A>"

static void
test_chatml_ids(struct engine *e, const struct tokenizer *tok)
{
	struct engine_msg	 msgs[2] = {
		{ ENGINE_SYSTEM, "You are a doctor" },
		{ ENGINE_USER, "Hello <|im_end|>" },
	};
	struct engine_sampling	 s;
	struct engine_result	 res;
	int32_t			*ids, want[64];
	char			*cause = NULL;
	int			 n, nw = 0, i, ok;
	/* The pieces of the prompt after BOS. */
	static const char *const pieces[] = {
		IMS, SP "system", NL, "Y", "o", "u", SP "are", SP "a",
		SP "doctor", IME, SP, NL,
		IMS, SP "user", NL, "H", "e", "l", "l", "o", SP,
		"<", "|", "i", "m", "_", "e", "n", "d", "|", ">", IME, SP, NL,
		IMS, SP "assistant", NL,
	};

	/*
	 * llama.cpp: "<|im_start|>system\nYou are a doctor<|im_end|>\n
	 * <|im_start|>user\nHello <|im_end|><|im_end|>\n<|im_start|>
	 * assistant\n" where the user's "<|im_end|>" is plain text; every
	 * raw fragment after a special token gets the SPM space prefix.
	 */
	want[nw++] = 1;
	for (i = 0; i < (int)(sizeof pieces / sizeof pieces[0]); i++)
		want[nw++] = piece(tok, pieces[i]);

	engine_sampling_default(&s);
	s.max_tokens = 16;
	if (engine_chat_tokens(e, "chatml", msgs, 2, &s, &ids, &n, &res,
	    &cause) != 0) {
		fail_cause(&cause);
		return;
	}
	ok = n == nw;
	for (i = 0; ok && i < n; i++)
		ok = ids[i] == want[i];
	if (!ok) {
		for (i = 0; i < n || i < nw; i++)
			test_diag("%d: got %d want %d", i, i < n ? ids[i] : -1,
			    i < nw ? want[i] : -1);
	}
	test_cond(ok, "ChatML prompt has exactly the expected token ids");
	test_cond(!res.trimmed, "short conversation is not trimmed");
	free(ids);
}

int
main(void)
{
	struct engine_sampling	 s;
	struct engine_result	 res, res2;
	struct engine_msg	 msgs[16];
	struct capture		 c1, c2;
	struct engine		*e;
	struct gguf_file	*gf;
	struct model		*m;
	struct tokenizer	*tok;
	struct tpool		*tp;
	struct fwd		*fw;
	char			 dir[] = "/tmp/medchat-engine-XXXXXX";
	char			 demo[256], scr[256], scr2[256], *cause = NULL;
	int32_t			 chain[16], ids[48];
	float			*a, *b;
	double			 md;
	int			 i, k, n, nv, rv;
	int32_t			 sys_id = -2;
	atomic_int		 flag;
	/* Ways a scripted chat stops early (cancel: by engine_cancel()). */
	static const struct {
		int			 stop_after, cancel, max_tokens;
		enum engine_stop	 stop;
		int			 n_gen;
		const char		*descr;
	} stops[] = {
		{ 2, 0, -1, ENGINE_STOP_CANCEL, 2,
		    "emit returning nonzero cancels" },
		{ 0, 1, -1, ENGINE_STOP_CANCEL, 1,
		    "engine_cancel stops after one token" },
		{ 0, 0, 3, ENGINE_STOP_LENGTH, 3,
		    "max_tokens stops generation" },
	};

	if (mkdtemp(dir) == NULL) {
		test_cond(0, "mkdtemp");
		return test_report();
	}
	snprintf(demo, sizeof demo, "%s/demo.gguf", dir);
	snprintf(scr, sizeof scr, "%s/scripted.gguf", dir);
	snprintf(scr2, sizeof scr2, "%s/scripted-text.gguf", dir);
	test_cond(engine_write_demo_model(demo, &cause) == 0,
	    "demo model written");
	if ((e = open_model(demo, 0)) == NULL) {
		test_cond(0, "demo model opens");
		return test_report();
	}
	test_cond(strcmp(engine_get_info(e)->model_name,
	    "medchat demo (random weights)") == 0, "demo model name");
	test_cond(strcmp(engine_get_info(e)->template_name, "chatml") == 0,
	    "demo model template detected as chatml");
	test_bad_models(demo, dir);
	test_open_oom(demo);
	test_cancel_prefill(demo);

	/* Generation with a seed is deterministic, also through KV reuse. */
	engine_sampling_default(&s);
	s.seed = 42;
	s.max_tokens = 24;
	msgs[0].role = ENGINE_SYSTEM;
	msgs[0].text = "You are a helpful medical assistant.";
	msgs[1].role = ENGINE_USER;
	msgs[1].text = "What are the symptoms of diabetes?";
	memset(&c1, 0, sizeof c1);
	memset(&c2, 0, sizeof c2);
	rv = engine_chat(e, NULL, msgs, 2, &s, capture_emit, &c1, &res,
	    &cause);
	test_cond(rv == 0 && res.n_gen > 0 && res.n_prompt > 10,
	    "demo model generates");
	test_diag("demo says: %s", c1.buf);
	rv = engine_chat(e, NULL, msgs, 2, &s, capture_emit, &c2, &res2,
	    &cause);
	test_cond(rv == 0 && strcmp(c1.buf, c2.buf) == 0 &&
	    res.n_gen == res2.n_gen, "same seed gives the same answer");
	test_cond(res2.n_cached == res.n_prompt - 1,
	    "second identical call reuses the cached prompt");

	/* Batched prefill == one token at a time. */
	if (gguf_open(demo, &gf, &cause) == 0 && model_load(gf, &m,
	    &cause) == 0) {
		tp = tpool_create(2);
		fw = fwd_create(m, tp, 64, 16, &cause);
		nv = m->hp.n_vocab;
		for (i = 0; i < 40; i++)
			ids[i] = (i * 7919 + 13) % nv;
		a = xcalloc((size_t)nv * 40, sizeof *a);
		b = xcalloc((size_t)nv * 40, sizeof *b);
		/* 40 tokens in batches of 16 (several batches). */
		fwd_eval(fw, ids, 40, 0, 0, a);
		for (i = 0; i < 40; i++)
			fwd_eval(fw, ids + i, 1, i, 0, b + (size_t)i * nv);
		md = 0.0;
		for (i = 0; i < nv * 40; i++)
			md = fmax(md, fabs(a[i] - b[i]));
		test_condf(md < 1e-4, "batched prefill logits equal one-token "
		    "logits (max diff %g)", md);
		/* A raised cancel flag stops before any batch... */
		atomic_store(&flag, 1);
		fwd_set_cancel(fw, &flag);
		test_cond(fwd_eval(fw, ids, 40, 0, 0, a) == 0,
		    "fwd_eval with the cancel flag up evaluates nothing");
		/* ...and a clear one changes nothing. */
		atomic_store(&flag, 0);
		test_cond(fwd_eval(fw, ids, 40, 0, 0, a) == 40,
		    "fwd_eval with the cancel flag down evaluates all");
		fwd_set_cancel(fw, NULL);
		md = 0.0;
		for (i = 0; i < nv * 40; i++)
			md = fmax(md, fabs(a[i] - b[i]));
		test_condf(md < 1e-4, "with a cancel flag installed the logits "
		    "are unchanged (max diff %g)", md);
		free(a);
		free(b);
		fwd_free(fw);
		tpool_free(tp);
		model_free(m);
		gguf_close(gf);
	} else {
		fail_cause(&cause);
	}

	/* ChatML ids (the tokenizer of the open engine's file). */
	if (gguf_open(demo, &gf, &cause) == 0 &&
	    tokenizer_load(gf, &tok, &cause) == 0) {
		test_chatml_ids(e, tok);
		sys_id = piece(tok, SP "system");

		/* Scripted answer: " The doctor will see you" <|im_end|>. */
		chain[0] = piece(tok, SP "The");
		chain[1] = piece(tok, SP "doctor");
		chain[2] = piece(tok, SP "will");
		chain[3] = piece(tok, SP "see");
		chain[4] = piece(tok, SP "you");
		chain[5] = piece(tok, "<|im_end|>");
		write_scripted(demo, scr, chain, 6);
		/* ... and one that spells "<|im_end|>" in bytes. */
		/* A bigram machine needs distinct tokens: '|' once as a
		 * piece and once as a byte token. */
		chain[5] = piece(tok, "<0x3C>");
		chain[6] = piece(tok, "|");
		chain[7] = piece(tok, "i");
		chain[8] = piece(tok, "m");
		chain[9] = piece(tok, "_");
		chain[10] = piece(tok, "e");
		chain[11] = piece(tok, "n");
		chain[12] = piece(tok, "d");
		chain[13] = piece(tok, "<0x7C>");
		chain[14] = piece(tok, ">");
		chain[15] = piece(tok, SP "help");
		write_scripted(demo, scr2, chain, 16);
		tokenizer_free(tok);
		gguf_close(gf);
	} else {
		fail_cause(&cause);
	}
	engine_close(e);

	if ((e = open_model(scr, 256)) != NULL) {
		s.max_tokens = -1;
		memset(&c1, 0, sizeof c1);
		rv = engine_chat(e, NULL, msgs, 2, &s, capture_emit, &c1,
		    &res, &cause);
		test_condf(rv == 0 && strstr(c1.buf, "The doctor will see you")
		    != NULL && res.stop == ENGINE_STOP_EOG && res.n_gen == 5,
		    "stops at the <|im_end|> token ('%s', %d tokens)", c1.buf,
		    res.n_gen);

		/*
		 * Cancel from the callback (stops within one token), by
		 * engine_cancel(), and max_tokens.
		 */
		for (k = 0; k < (int)(sizeof stops / sizeof stops[0]); k++) {
			memset(&c1, 0, sizeof c1);
			c1.stop_after = stops[k].stop_after;
			c1.cancel = stops[k].cancel ? e : NULL;
			s.max_tokens = stops[k].max_tokens;
			rv = engine_chat(e, NULL, msgs, 2, &s, capture_emit,
			    &c1, &res, &cause);
			test_cond(rv == 0 && res.stop == stops[k].stop &&
			    res.n_gen == stops[k].n_gen, stops[k].descr);
		}

		/* Multi-turn: the history is not evaluated again. */
		s.max_tokens = -1;
		msgs[2].role = ENGINE_ASSISTANT;
		msgs[2].text = "The doctor will see you";
		msgs[3].role = ENGINE_USER;
		msgs[3].text = "When?";
		rv = engine_chat(e, NULL, msgs, 2, &s, capture_emit, &c1,
		    &res, &cause);
		rv |= engine_chat(e, NULL, msgs, 4, &s, capture_emit, &c1,
		    &res2, &cause);
		test_condf(rv == 0 && res2.n_cached >= res.n_prompt + 4,
		    "next turn reuses the KV cache (%d of %d cached, previous "
		    "prompt %d, used %d)", res2.n_cached, res2.n_prompt,
		    res.n_prompt, res.n_ctx_used);

		/* Trimming: ctx 256, reserve 64, turns of ~30 tokens. */
		for (i = 1; i < 15; i += 2) {
			msgs[i].role = ENGINE_USER;
			msgs[i].text = "Please tell me about the blood pressure "
			    "levels of older adults and children, thanks";
			msgs[i + 1].role = ENGINE_ASSISTANT;
			msgs[i + 1].text = "The doctor will see you";
		}
		msgs[15].role = ENGINE_USER;
		msgs[15].text = "And the heart rate?";
		s.max_tokens = 64;
		memset(&c1, 0, sizeof c1);
		rv = engine_chat(e, NULL, msgs, 16, &s, capture_emit, &c1,
		    &res, &cause);
		n = res.drop_first == 1;
		test_condf(rv == 0 && res.trimmed && res.n_dropped >= 2 &&
		    res.n_dropped % 2 == 0 && n && res.n_prompt + 64 <= 256,
		    "oldest whole turns dropped and reported (%d dropped, "
		    "prompt %d)", res.n_dropped, res.n_prompt);
		test_cond(strstr(c1.buf, "The doctor will see you") != NULL,
		    "answer after trimming");
		{
			int32_t	*pids;
			int	 np;

			engine_chat_tokens(e, NULL, msgs, 16, &s, &pids, &np,
			    &res2, &cause);
			test_cond(np > 12 && pids[2] == sys_id &&
			    res2.n_dropped == res.n_dropped,
			    "trimmed prompt keeps the system message");
			free(pids);
		}
		{
			/*
			 * A long conversation (600 turns): every dropped
			 * message counted (not 64), the fewest whole turns:
			 * what is kept fits, one more turn would not.
			 */
			struct engine_msg	*lm, *k;
			int			 nl = 1201, cut, kept, more;

			lm = xcalloc((size_t)nl, sizeof *lm);
			k = xcalloc((size_t)nl, sizeof *k);
			lm[0] = msgs[0];
			for (i = 1; i < nl - 1; i += 2) {
				lm[i] = msgs[1];
				lm[i + 1] = msgs[2];
			}
			lm[nl - 1] = msgs[15];
			rv = engine_chat(e, NULL, lm, nl, &s, capture_emit,
			    &c1, &res, &cause);
			cut = res.drop_first + res.n_dropped;
			/* The system message, then from cut (or a turn
			   earlier) on. */
			k[0] = lm[0];
			memcpy(k + 1, lm + cut - 2, (size_t)(nl - cut + 2) *
			    sizeof *k);
			more = engine_count_tokens(e, NULL, k, nl - cut + 3);
			memcpy(k + 1, lm + cut, (size_t)(nl - cut) *
			    sizeof *k);
			kept = engine_count_tokens(e, NULL, k, nl - cut + 1);
			test_condf(rv == 0 && res.trimmed &&
			    res.drop_first == 1 && res.n_dropped > 1000 &&
			    res.n_dropped % 2 == 0 && kept == res.n_prompt &&
			    kept + 64 <= 256 && more + 64 > 256,
			    "1,200 messages: all %d dropped counted, the "
			    "fewest whole turns (prompt %d, one turn more "
			    "%d)", res.n_dropped, kept, more);
			free(k);
			free(lm);
		}
		engine_close(e);
	} else
		test_cond(0, "scripted model opens");

	if ((e = open_model(scr2, 256)) != NULL) {
		memset(&c1, 0, sizeof c1);
		s.max_tokens = 40;
		rv = engine_chat(e, NULL, msgs, 2, &s, capture_emit, &c1,
		    &res, &cause);
		/* The answer keeps the word marker's space it began with. */
		test_condf(rv == 0 && strcmp(c1.buf, " The doctor will see "
		    "you") == 0 && res.stop == ENGINE_STOP_EOG,
		    "stop string <|im_end|> as text is cut ('%s')", c1.buf);
		engine_close(e);
	} else
		test_cond(0, "scripted text model opens");

	free(cause);
	if (getenv("MEDCHAT_KEEP") == NULL) {
		unlink(demo);
		unlink(scr);
		unlink(scr2);
		rmdir(dir);
	} else
		test_diag("models kept in %s", dir);
	return test_report();
}
