/*
 * test-eval.c -- measuring model files (src/app/eval.c).
 *
 * Always: on models our own writer makes (the demo model, a tiny
 * random-weight model with another vocabulary) -- perplexity runs and
 * reports per chunk, stops cleanly when cancelled with the partial
 * result, the KL divergence of a file from itself is 0 with every top
 * token the same, files with different vocabularies are refused, bad
 * texts are refused naming the file and the offset, the speed
 * measurement.
 *
 * With ../shared (skipped visibly without): perplexity on the built-in
 * text agrees within 0.5% with what llama.cpp's llama-perplexity
 * (commit c392e5094, built outside the tree) printed for the same model,
 * text and context; on the kzoo set the mean KL divergence from the F32
 * file grows as the bits shrink.  The reference figures were made with
 *
 *   llama-perplexity -m MODEL -f data/eval-text.txt -c CTX -b CTX -t 2
 *	[--chunks N]
 *
 * and must be measured again whenever data/eval-text.txt changes.
 */
#include <sys/stat.h>

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "eval.h"
#include "sha256.h"
#include "xmalloc.h"
#include "testhelp.h"

static char	tmpdir[] = "/tmp/medchat-eval.XXXXXX";

/* What the progress callback saw; cancel_at: set cancel after chunk N. */
struct seen {
	int		 calls, last_chunk, phases[3];
	double		 last_value;
	int		 cancel_at, cancel_phase;
	atomic_int	*cancel;
};

static void
progress(const struct eval_progress *p, void *arg)
{
	struct seen	*s = arg;

	s->calls++;
	s->last_chunk = p->chunk;
	s->last_value = p->value;
	if (p->phase >= 0 && p->phase < 3)
		s->phases[p->phase]++;
	if (s->cancel != NULL && p->phase == s->cancel_phase &&
	    p->chunk == s->cancel_at)
		atomic_store(s->cancel, 1);
}

static char *
tpath(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

static void
opts_init(struct eval_opts *o, const char *model, int ctx, int chunks)
{
	memset(o, 0, sizeof *o);
	o->model = model;
	o->n_ctx = ctx;
	o->max_chunks = chunks;
	o->threads = 2;
}

static void
test_ppl(const char *demo)
{
	struct eval_opts	 o;
	struct eval_result	 r, r2;
	struct store_measure	 plan;
	struct seen		 s;
	atomic_int		 cancel = 0;
	char			*cause = NULL, sha[65];
	const char		*text;
	size_t			 len;
	int			 rc;

	opts_init(&o, demo, 64, 3);
	memset(&s, 0, sizeof s);
	rc = eval_ppl(&o, NULL, progress, &s, &r, &cause);
	test_condf(rc == 0, "ppl: demo model, 3 chunks of 64 (%s)",
	    rc == 0 ? "ok" : cause);
	free(cause);
	cause = NULL;
	if (rc != 0)
		return;
	/* 64 tokens a chunk, the second half scored less the last: 31. */
	test_cond(r.m.complete == 1 && r.m.n_chunks == 3 &&
	    r.m.n_tokens == 3 * 31 && r.m.n_ctx == 64,
	    "ppl: complete, 3 chunks, 31 tokens scored in each");
	test_cond(strcmp(r.m.kind, "ppl") == 0 &&
	    strcmp(r.m.text_name, "built-in") == 0 &&
	    strcmp(r.m.model_name, "demo.gguf") == 0 && r.m.version != NULL &&
	    r.m.kernel != NULL && r.m.threads == 2 && r.m.created > 0,
	    "ppl: kind, text, file name, kernel, threads, version, date");
	text = eval_builtin_text(&len);
	sha256_hex(text, len, sha);
	test_cond(strcmp(r.m.text_sha, sha) == 0,
	    "ppl: the text's hash is the built-in text's SHA-256");
	test_cond(sha256_file(demo, sha, NULL, NULL, &cause) == 0 &&
	    strcmp(r.m.model_sha, sha) == 0, "ppl: the file's SHA-256");
	test_cond(isfinite(r.m.ppl) && r.m.ppl > 1 && r.m.ppl_err > 0,
	    "ppl: a perplexity and its standard error");
	test_cond(s.calls == 3 && s.last_chunk == 3 && s.phases[1] == 3 &&
	    s.last_value == r.m.ppl,
	    "ppl: progress after each chunk, the last one the result");

	/* The same again: the same figures. */
	rc = eval_ppl(&o, NULL, NULL, NULL, &r2, &cause);
	test_cond(rc == 0 && r2.m.ppl == r.m.ppl &&
	    r2.m.ppl_err == r.m.ppl_err, "ppl: the same run, the same result");
	eval_result_free(&r2);

	/* The plan says what the run is stored under. */
	test_cond(eval_plan(&o, "ppl", &plan, &cause) == 0 &&
	    strcmp(plan.text_sha, r.m.text_sha) == 0 &&
	    strcmp(plan.model_sha, r.m.model_sha) == 0 && plan.n_ctx == 64 &&
	    plan.n_chunks == 3, "plan: the text, file, context and chunks");
	store_measure_free(&plan);

	/* Cancelled after the first chunk: that chunk's partial result. */
	memset(&s, 0, sizeof s);
	s.cancel = &cancel;
	s.cancel_phase = 1;
	s.cancel_at = 1;
	rc = eval_ppl(&o, &cancel, progress, &s, &r2, &cause);
	test_cond(rc == 1 && r2.m.complete == 0 && r2.m.n_chunks == 1 &&
	    r2.m.n_tokens == 31 && r2.m.ppl > 0,
	    "ppl: cancelled after chunk 1: rc 1, the partial result");
	eval_result_free(&r2);
	/* Given hashes are used as given (the catalog's). */
	o.model_sha = "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD";
	o.max_chunks = 1;
	rc = eval_ppl(&o, NULL, NULL, NULL, &r2, &cause);
	test_cond(rc == 0 && strcmp(r2.m.model_sha, "abcdefabcdefabcdef"
	    "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd") == 0,
	    "ppl: a hash given by the caller is stored, lower case");
	eval_result_free(&r2);
	eval_result_free(&r);
}

static void
test_kld(const char *demo, const char *other)
{
	struct eval_opts	 o;
	struct eval_result	 r;
	struct seen		 s;
	atomic_int		 cancel = 0;
	char			*cause = NULL;
	int			 rc;

	opts_init(&o, demo, 64, 2);
	o.base = demo;
	memset(&s, 0, sizeof s);
	rc = eval_kld(&o, NULL, progress, &s, &r, &cause);
	test_condf(rc == 0, "kld: the demo model against itself (%s)",
	    rc == 0 ? "ok" : cause);
	free(cause);
	cause = NULL;
	if (rc == 0) {
		test_cond(fabs(r.m.kld_mean) < 1e-9 && fabs(r.m.kld_p99) < 1e-9,
		    "kld: a file from itself: KL divergence 0");
		test_cond(r.m.top_agree == 1.0 && r.m.ppl_ratio == 1.0,
		    "kld: a file from itself: every top token the same, ratio 1");
		test_cond(strcmp(r.m.kind, "kld") == 0 &&
		    strcmp(r.m.base_sha, r.m.model_sha) == 0 &&
		    strcmp(r.m.base_name, "demo.gguf") == 0 &&
		    r.m.n_tokens == 62 && r.m.complete == 1,
		    "kld: base named and hashed, 62 tokens compared");
		test_cond(s.phases[0] == 2 && s.phases[1] == 2,
		    "kld: progress of the base pass and of the file's");
	}
	eval_result_free(&r);

	/* Cancelled in the base pass: nothing of the file measured. */
	memset(&s, 0, sizeof s);
	s.cancel = &cancel;
	s.cancel_phase = 0;
	s.cancel_at = 1;
	rc = eval_kld(&o, &cancel, progress, &s, &r, &cause);
	test_cond(rc == 1 && r.m.complete == 0 && r.m.n_chunks == 0 &&
	    r.m.n_tokens == 0 && s.phases[1] == 0,
	    "kld: cancelled in the base pass: partial, no chunk of the file");
	eval_result_free(&r);

	o.base = other;
	rc = eval_kld(&o, NULL, NULL, NULL, &r, &cause);
	test_condf(rc == -1 && cause != NULL &&
	    strstr(cause, "do not share a vocabulary") != NULL &&
	    strstr(cause, "demo.gguf") != NULL && strchr(cause, '\n') == NULL,
	    "kld: different vocabularies refused in one line: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);
}

static void
test_texts(const char *demo)
{
	struct eval_opts	 o;
	struct eval_result	 r;
	char			*cause = NULL, *bad = tpath("bad.txt");
	char			*empty = tpath("empty.txt"), *none;
	char			*short_ = tpath("short.txt");
	static const char	 latin1[] = "Fever\xe9 and chills";

	none = tpath("missing.txt");
	opts_init(&o, demo, 64, 1);
	test_spit(bad, latin1, sizeof latin1 - 1);
	test_spit(empty, "", 0);
	test_spit(short_, "Blood pressure.", 15);

	o.text = none;
	test_cond(eval_ppl(&o, NULL, NULL, NULL, &r, &cause) == -1 &&
	    strstr(cause, "missing.txt") != NULL &&
	    strstr(cause, "no such file") != NULL, "text: a missing file");
	free(cause);
	cause = NULL;
	o.text = empty;
	test_cond(eval_ppl(&o, NULL, NULL, NULL, &r, &cause) == -1 &&
	    strstr(cause, "empty.txt: the file is empty") != NULL,
	    "text: an empty file");
	free(cause);
	cause = NULL;
	o.text = bad;
	test_condf(eval_ppl(&o, NULL, NULL, NULL, &r, &cause) == -1 &&
	    strstr(cause, "bad.txt: not UTF-8 text (byte offset 5)") != NULL,
	    "text: Latin-1 refused at its offset: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;
	o.text = short_;
	test_condf(eval_ppl(&o, NULL, NULL, NULL, &r, &cause) == -1 &&
	    strstr(cause, "at least 128 are needed for a context of 64") !=
	    NULL, "text: too short for two contexts: %s",
	    cause != NULL ? cause : "(none)");
	free(cause);
	cause = NULL;
	o.text = NULL;
	o.model = none;
	test_cond(eval_ppl(&o, NULL, NULL, NULL, &r, &cause) == -1 &&
	    strstr(cause, "missing.txt") != NULL, "model: a missing file");
	free(cause);
	free(bad);
	free(empty);
	free(none);
	free(short_);
}

static void
test_speed(const char *demo)
{
	struct eval_result	 r;
	struct seen		 s;
	char			*cause = NULL;
	int			 rc;

	memset(&s, 0, sizeof s);
	rc = eval_speed(demo, 2, NULL, progress, &s, &r, &cause);
	test_condf(rc == 0 && r.m.complete && strcmp(r.m.kind, "speed") == 0 &&
	    r.m.prefill_tps > 0 && r.m.decode_tps > 0 &&
	    r.m.n_ctx == EVAL_SPEED_PROMPT && r.m.n_chunks == EVAL_SPEED_GEN &&
	    r.m.text_name == NULL && r.m.text_sha[0] == '\0' &&
	    s.phases[2] == 3, "speed: prompt and answer tok/s (%s)",
	    rc == 0 ? "ok" : cause);
	free(cause);
	cause = NULL;
	eval_result_free(&r);
	rc = eval_speed_sha(demo, "0123456789ABCDEF0123456789ABCDEF"
	    "0123456789ABCDEF0123456789ABCDEF", 2, NULL, NULL, NULL, &r,
	    &cause);
	test_cond(rc == 0 && strcmp(r.m.model_sha, "0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdef") == 0,
	    "speed: a hash given by the caller is used");
	free(cause);
	eval_result_free(&r);
}

/* Perplexity of shared model file on the built-in text, within 0.5%. */
static void
check_ref(const char *shared, const char *file, int ctx, int chunks,
    double ref)
{
	struct eval_opts	 o;
	struct eval_result	 r;
	char			*path, *cause = NULL;
	int			 rc;

	xasprintf(&path, "%s/models/%s", shared, file);
	opts_init(&o, path, ctx, chunks);
	rc = eval_ppl(&o, NULL, NULL, NULL, &r, &cause);
	test_condf(rc == 0 && fabs(r.m.ppl / ref - 1) < 0.005,
	    "llama-perplexity: %s context %d: %.4f, llama.cpp %.4f", file, ctx,
	    rc == 0 ? r.m.ppl : 0, ref);
	if (rc != 0)
		test_diag("%s", cause);
	free(cause);
	eval_result_free(&r);
	free(path);
}

static void
test_shared(void)
{
	static const char *const types[] = { "q8_0", "q6_k", "q4_k_m",
	    "q2_k" };
	struct eval_opts	 o;
	struct eval_result	 r;
	const char		*shared = test_shared_dir();
	char			*base, *path, *cause = NULL;
	double			 kld[4];
	size_t			 i;

	if (shared == NULL) {
		test_skip("perplexity against llama-perplexity, kzoo KLD",
		    "shared models not found");
		return;
	}
	/* llama-perplexity ... -c 128 -b 128 --chunks 20: 26.4666 */
	check_ref(shared, "real/stories260K.gguf", 128, 20, 26.4666);
	/* llama-perplexity ... -c 512 -b 512 (8 chunks): 1586.7841 */
	check_ref(shared, "real/tinyllama-v0-q4_0.gguf", 512, 0, 1586.7841);
	/* llama-perplexity ... -c 512 -b 512 --chunks 4: 1712.2002 */
	check_ref(shared, "synthetic/kzoo-q4_k_m.gguf", 512, 4, 1712.2002);

	xasprintf(&base, "%s/models/synthetic/kzoo-f32.gguf", shared);
	for (i = 0; i < 4; i++) {
		xasprintf(&path, "%s/models/synthetic/kzoo-%s.gguf", shared,
		    types[i]);
		opts_init(&o, path, 512, 4);
		o.base = base;
		kld[i] = -1;
		if (eval_kld(&o, NULL, NULL, NULL, &r, &cause) == 0)
			kld[i] = r.m.kld_mean;
		else {
			test_diag("%s: %s", types[i], cause);
			free(cause);
			cause = NULL;
		}
		test_diag("kzoo-%s: mean KLD from kzoo-f32 %.6f", types[i],
		    kld[i]);
		eval_result_free(&r);
		free(path);
	}
	test_cond(kld[0] > 0 && kld[0] < kld[1] && kld[1] < kld[2] &&
	    kld[2] < kld[3], "kzoo: mean KLD Q8_0 < Q6_K < Q4_K_M < Q2_K");
	free(base);
}

int
main(void)
{
	char	*demo, *other, *cause = NULL;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	demo = tpath("demo.gguf");
	other = tpath("tiny.gguf");
	if (engine_write_demo_model(demo, &cause) != 0 ||
	    engine_write_synth_model(other, "tiny", "q8_0", &cause) != 0) {
		test_condf(0, "fixture models written: %s", cause);
		free(cause);
	} else {
		test_ppl(demo);
		test_kld(demo, other);
		test_texts(demo);
		test_speed(demo);
	}
	test_shared();
	free(demo);
	free(other);
	test_rmtree(tmpdir);
	return test_report();
}
