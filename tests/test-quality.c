/*
 * test-quality.c -- src/app/quality.c: the published figures per quant
 * type (a few checked against the values llama.cpp's quantize tool
 * prints, case-insensitive lookup, no figure for F32 or an unknown
 * type), what counts as the same model, and which file is the
 * reference: on hand-made summaries, and on ../shared's kzoo set (one
 * model in 16 types), where F32 must win and every other file must
 * compare as the same model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testhelp.h"
#include "quality.h"

static struct engine_file_summary
sum(const char *name, const char *quant, double bpw)
{
	struct engine_file_summary	s;

	memset(&s, 0, sizeof s);
	snprintf(s.arch, sizeof s.arch, "llama");
	snprintf(s.name, sizeof s.name, "%s", name);
	snprintf(s.quant, sizeof s.quant, "%s", quant);
	s.bpw = bpw;
	s.n_params = 6738415616ULL;
	s.n_vocab = 32000;
	return s;
}

static void
test_published(void)
{
	const char	*on = NULL;
	double		 d = 0;

	test_cond(quality_published("Q4_K_M", &d, &on) &&
	    fabs(d - 0.1754) < 1e-9 && strcmp(on, "Llama-3-8B") == 0,
	    "Q4_K_M: +0.1754 on Llama-3-8B");
	test_cond(quality_published("q2_k", &d, &on) &&
	    fabs(d - 3.5199) < 1e-9, "q2_k (lower case): +3.5199");
	test_cond(quality_published("Q8_0", &d, &on) &&
	    fabs(d - 0.0026) < 1e-9, "Q8_0: +0.0026");
	test_cond(quality_published("BF16", &d, &on) && d < 0 &&
	    strcmp(on, "Mistral-7B") == 0, "BF16: negative, on Mistral-7B");
	test_cond(!quality_published("F32", &d, &on), "F32: no figure");
	test_cond(!quality_published("IQ2_XS", &d, &on), "IQ2_XS: no figure");
	test_cond(!quality_published("", &d, &on), "empty type: no figure");
	test_cond(!quality_published(NULL, &d, &on), "NULL type: no figure");
	test_cond(!quality_published("Q4_K_M_extra", &d, &on),
	    "a longer name is not a prefix match");
}

static void
test_same(void)
{
	struct engine_file_summary	a, b;

	a = sum("meditron-7b", "Q4_K_M", 4.85);
	b = sum("meditron-7b", "Q8_0", 8.5);
	test_cond(quality_same_model(&a, &b), "same name, arch, size, vocab");
	b.n_vocab = 32002;
	test_cond(!quality_same_model(&a, &b), "another vocabulary");
	b = sum("meditron-7b", "Q8_0", 8.5);
	b.n_params++;
	test_cond(!quality_same_model(&a, &b), "another parameter count");
	b = sum("meditron-7b", "Q8_0", 8.5);
	snprintf(b.arch, sizeof b.arch, "mistral");
	test_cond(!quality_same_model(&a, &b), "another architecture");
	b = sum("llama-2-7b", "Q8_0", 8.5);
	test_cond(!quality_same_model(&a, &b), "another name");
	a = sum("", "Q4_K_M", 4.85);
	b = sum("", "Q8_0", 8.5);
	test_cond(!quality_same_model(&a, &b), "files without a name match "
	    "nothing");
}

static void
test_better(void)
{
	struct engine_file_summary	f32, f16, bf16, q8, q2;

	f32 = sum("m", "F32", 32.0);
	f16 = sum("m", "F16", 16.01);
	bf16 = sum("m", "BF16", 16.01);
	q8 = sum("m", "Q8_0", 8.5);
	q2 = sum("m", "Q2_K", 3.19);
	test_cond(quality_better_base(&f32, &f16) &&
	    !quality_better_base(&f16, &f32), "F32 before F16");
	test_cond(quality_better_base(&f16, &bf16) &&
	    !quality_better_base(&bf16, &f16), "F16 before BF16 (a tie)");
	test_cond(quality_better_base(&bf16, &q8), "BF16 before Q8_0");
	test_cond(quality_better_base(&q8, &q2), "Q8_0 before Q2_K");
	test_cond(!quality_better_base(&q8, &q8), "not better than itself");
}

/* The kzoo set: F32 is the reference of all sixteen. */
static void
test_kzoo(void)
{
	static const char *types[] = { "f32", "f16", "bf16", "q8_0", "q6_k",
	    "q5_k_m", "q5_k_s", "q5_1", "q5_0", "q4_k_m", "q4_k_s", "q4_1",
	    "q4_0", "q3_k_l", "q3_k_m", "q3_k_s", "q2_k" };
	struct engine_file_summary	 s[17];
	const char			*dir;
	char				 path[4200], *cause = NULL;
	size_t				 i, best = 0, same = 0, n = 0;

	if ((dir = test_shared_dir()) == NULL) {
		test_skip("kzoo reference file", "../shared/models not found");
		return;
	}
	for (i = 0; i < 17; i++) {
		snprintf(path, sizeof path, "%s/models/synthetic/kzoo-%s.gguf",
		    dir, types[i]);
		if (engine_probe(path, &s[n], &cause) != 0) {
			test_diag("%s", cause);
			free(cause);
			cause = NULL;
			continue;
		}
		n++;
	}
	test_condf(n == 17, "all 17 kzoo files probed (%zu)", n);
	for (i = 0; i < n; i++) {
		same += quality_same_model(&s[0], &s[i]);
		if (quality_better_base(&s[i], &s[best]))
			best = i;
	}
	test_condf(same == n, "every kzoo file is the same model (%zu)", same);
	test_condf(best == 0 && strcmp(s[best].quant, "F32") == 0,
	    "the reference is kzoo-f32 (%s)", s[best].quant);
	for (i = 1; i < n; i++)
		test_condf(quality_better_base(&s[0], &s[i]),
		    "F32 better than %s", s[i].quant);
}

int
main(void)
{
	test_published();
	test_same();
	test_better();
	test_kzoo();
	return test_report();
}
