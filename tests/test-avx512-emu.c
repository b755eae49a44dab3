/*
 * test-avx512-emu.c -- the AVX-512 kernels, on a machine without AVX-512.
 *
 * engine/kernels-avx512.c is compiled a second time against SIMDe's
 * emulation of the AVX-512 intrinsics (tests/avx512-emu.c and
 * tests/avx512vnni-emu.c: the plain and the VNNI variant), which runs on
 * any CPU with AVX2.  For both variants, over the AVX2 kernels as cpu.c
 * would install them:
 *  - the install replaces dot and gemm of exactly the ten quantized
 *    weight types it has kernels for (kernels-avx512.c's seven, and
 *    Q4_0, Q5_0 and Q8_0 from kernels-avx512-q.c) and keeps the AVX2
 *    float kernels and quantizers;
 *  - every installed vec_dot equals the scalar reference bit for bit, on
 *    random rows (random code bytes, sane scales) of many lengths from
 *    one block up, against activations at two scales;
 *  - every gemm equals the scalar reference bit for bit for 1..8
 *    columns and odd counts above (9, 11, 13, 17), 6 rows (18 for Q4_0,
 *    Q5_0 and Q8_0: one 16-row tile and two rows over), with gaps in
 *    the output that must stay untouched;
 *  - end to end, with ../shared: the logits of a prompt (the gemm path)
 *    and of one token (the vec_dot path) of each kzoo test model equal
 *    those of the AVX2 kernels bit for bit.
 * This checks the kernels' logic as SIMDe defines the intrinsics, not
 * the hardware: see the top of kernels-avx512.c.  Skips visibly without
 * SIMDe (configure), AVX2 (the emulation is built on it) or ../shared.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "kernels.h"
#include "quant.h"
#include "testhelp.h"
#include "xmalloc.h"

#ifdef HAVE_SIMDE
#include "avx512-emu.h"

static const uint32_t qtypes[] = {
	QT_Q4_0, QT_Q5_0, QT_Q8_0, QT_Q4_1, QT_Q5_1,
	QT_Q2_K, QT_Q3_K, QT_Q4_K, QT_Q5_K, QT_Q6_K
};
#define N_QTYPES	(sizeof qtypes / sizeof qtypes[0])

/*
 * Rows of the gemm calls (NR16 for the types with 16-row tiles), and the
 * column counts tried.
 */
#define NR	6
#define NR16	18
static const int ncols[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 17 };
#define N_NCOLS	(sizeof ncols / sizeof ncols[0])
/*
 * Rows and columns of the prefill tile calls (pack + tile): odd row
 * counts, more than one group of rows and of columns.
 */
static const int tile_rows[] = { 1, 5, NR16 };
static const int tile_cols[] = { 1, 4, 7, 29 };
#define MAXC	29

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static void
put_f16(uint8_t *p, float v)
{
	uint16_t	h = f32_to_fp16(v);

	memcpy(p, &h, 2);
}

/*
 * A weight row of n elements: random bytes (every code pattern), then
 * sane f16 scales and mins in place of the random ones.
 */
static void
rnd_row(uint32_t type, uint8_t *row, int n)
{
	const struct qtraits	*t = qtype_traits(type);
	uint8_t			*b;
	size_t			 i, nb = (size_t)(n / t->blck);

	for (i = 0; i < nb * t->type_size; i++)
		row[i] = (uint8_t)test_rand_u32(&rng);
	for (i = 0; i < nb; i++) {
		b = row + i * t->type_size;
		switch (type) {
		case QT_Q4_0: case QT_Q5_0: case QT_Q8_0:
			put_f16(b, test_rand_f(&rng) * 0.01f);
			break;
		case QT_Q4_1: case QT_Q5_1: case QT_Q4_K: case QT_Q5_K:
			put_f16(b, test_rand_f(&rng) * 0.01f);
			put_f16(b + 2, test_rand_f(&rng) * 0.1f);
			break;
		case QT_Q2_K:
			put_f16(b + 80, test_rand_f(&rng) * 0.01f);
			put_f16(b + 82, test_rand_f(&rng) * 0.01f);
			break;
		case QT_Q3_K:
			put_f16(b + 108, test_rand_f(&rng) * 0.01f);
			break;
		case QT_Q6_K:
			put_f16(b + 208, test_rand_f(&rng) * 0.001f);
			break;
		}
	}
}

/* Row lengths in blocks: one block up, odd and even counts. */
static int
lengths_for(uint32_t type, int *len)
{
	static const int l32[] = { 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33 };
	static const int lk[] = { 1, 2, 3, 5 };
	const int	*l = type <= QT_Q8_1 ? l32 : lk;
	int		 k, nl = type <= QT_Q8_1 ? (int)(sizeof l32 / sizeof *l32) :
			    (int)(sizeof lk / sizeof *lk);

	for (k = 0; k < nl; k++)
		len[k] = l[k] * qtype_traits(type)->blck;
	return nl;
}

static int
same(float a, float b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/*
 * The tile kernel over tr packed rows and nc columns against ref; the
 * mismatches plus the writes outside those rows and columns.
 */
static int
check_tile(const struct qtraits *t, int n, const void *pk, int tr,
    const uint8_t *xq, size_t xs, int nc, float *y, int ldy,
    float ref[][NR16])
{
	float	sentinel;
	int	c, r, bad = 0;

	memset(&sentinel, 0x7F, sizeof sentinel);
	for (c = 0; c < MAXC * ldy; c++)
		y[c] = sentinel;
	t->tile(n, pk, tr, xq, xs, nc, y, (size_t)ldy);
	for (c = 0; c < MAXC; c++)
		for (r = 0; r < ldy; r++)
			if (c < nc && r < tr ? !same(y[c * ldy + r], ref[c][r]) :
			    !same(y[c * ldy + r], sentinel))
				bad++;
	return bad;
}

/* Dot and gemm of every type against the reference; one check each. */
static void
test_kernels(const char *variant)
{
	const size_t	 maxrow = 33 * sizeof(block_q8_1) + 5 * 292;
	const int	 ldy = NR16 + 2;
	uint8_t		*w, *xq;
	float		*x, *y, ref[MAXC][NR16], sentinel;
	int		 len[16], nl, li, n, s, r, c, k, nc, nr, bad, badg, badd;
	int		 badt, ntile, tr;
	size_t		 ws, xs, ti;
	void		*pk;

	w = xmalloc(NR16 * maxrow);
	xq = xmalloc(MAXC * maxrow);
	x = xmalloc(2048 * sizeof *x);
	y = xmalloc((size_t)MAXC * ldy * sizeof *y);
	memset(&sentinel, 0x7F, sizeof sentinel);	/* a NaN pattern */
	for (ti = 0; ti < N_QTYPES; ti++) {
		const struct qtraits *t = qtype_traits(qtypes[ti]);
		const struct qtraits *at =
		    qtype_traits((uint32_t)t->vec_dot_type);

		nl = lengths_for(qtypes[ti], len);
		nr = qtypes[ti] == QT_Q4_0 || qtypes[ti] == QT_Q5_0 ||
		    qtypes[ti] == QT_Q8_0 ? NR16 : NR;
		bad = badg = badd = badt = ntile = 0;
		for (li = 0; li < nl; li++) {
			n = len[li];
			ws = qtype_row_size(qtypes[ti], n);
			xs = qtype_row_size((uint32_t)t->vec_dot_type, n);
			for (s = 0; s < 2; s++) {
				for (r = 0; r < NR16; r++)
					rnd_row(qtypes[ti], w + r * ws, n);
				for (c = 0; c < MAXC; c++) {
					for (k = 0; k < n; k++)
						x[k] = (s ? 30.0f : 1.0f) *
						    (test_rand_f(&rng) + test_rand_f(&rng) + test_rand_f(&rng));
					at->from_float(x, xq + c * xs, n);
				}
				for (c = 0; c < MAXC; c++)
					for (r = 0; r < NR16; r++) {
						ref[c][r] = t->vec_dot_ref(n,
						    w + r * ws, xq + c * xs);
						if (r < nr && !same(t->vec_dot(n,
						    w + r * ws, xq + c * xs),
						    ref[c][r]))
							bad++;
					}
				for (k = 0; t->tile != NULL && k < (int)(
				    sizeof tile_rows / sizeof *tile_rows); k++) {
					tr = tile_rows[k];
					pk = xmalloc(t->pack_size(n, tr));
					t->pack(n, w, ws, tr, pk);
					for (c = 0; c < (int)(sizeof tile_cols /
					    sizeof *tile_cols); c++)
						badt += check_tile(t, n, pk, tr,
						    xq, xs, tile_cols[c], y,
						    ldy, ref);
					free(pk);
					ntile++;
				}
				for (k = 0; k < (int)N_NCOLS; k++) {
					nc = ncols[k];
					for (c = 0; c < MAXC * ldy; c++)
						y[c] = sentinel;
					t->gemm(n, w, ws, nr, xq, xs, nc, y,
					    (size_t)ldy);
					for (c = 0; c < MAXC; c++)
						for (r = 0; r < ldy; r++) {
							if (c < nc && r < nr) {
								if (!same(y[c *
								    ldy + r],
								    ref[c][r]))
									badg++;
							} else if (!same(y[c *
							    ldy + r], sentinel))
								badd++;
						}
				}
			}
		}
		test_condf(bad == 0, "%s %s vec_dot bit-identical to the "
		    "reference (%d lengths from %d, %d mismatches)", variant,
		    t->name, nl, len[0], bad);
		test_condf(badg == 0 && badd == 0, "%s %s gemm bit-identical "
		    "to the reference, %d rows, 1..8 9 11 13 17 columns (%d "
		    "mismatches, %d stray writes)", variant, t->name, nr, badg,
		    badd);
		if (t->tile != NULL)
			test_condf(badt == 0 && ntile > 0, "%s %s prefill tiles "
			    "(pack + tile) bit-identical to the reference, "
			    "1, 5 and %d rows x 1, 4, 7 and 29 columns (%d "
			    "mismatches or stray writes)", variant, t->name,
			    NR16, badt);
	}
	free(w);
	free(xq);
	free(x);
	free(y);
}

/* Kernel pointers of every type, to see what an install changed. */
struct snap {
	qdot_fn		dot[QT_COUNT];
	qgemm_fn	gemm[QT_COUNT];
	qfrom_float_fn	quantize[QT_COUNT];
};

static void
snap_take(struct snap *s)
{
	const struct qtraits	*t;
	uint32_t		 i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < QT_COUNT; i++) {
		if ((t = qtype_traits(i)) == NULL)
			continue;
		s->dot[i] = t->vec_dot;
		s->gemm[i] = t->gemm;
		s->quantize[i] = t->quantize;
	}
}

static int
is_qtype(uint32_t type)
{
	size_t	i;

	for (i = 0; i < N_QTYPES; i++)
		if (qtypes[i] == type)
			return 1;
	return 0;
}

/* AVX2 kernels, then the emulated variant over them, as cpu.c does. */
static int
install(void (*fn)(void), const char *variant)
{
	struct snap	avx2, now;
	uint32_t	i;
	int		ok = 1;

	if (cpu_set_level(CPU_AVX2) != 0)
		return -1;
	snap_take(&avx2);
	fn();
	snap_take(&now);
	for (i = 0; i < QT_COUNT; i++) {
		if (is_qtype(i)) {
			if (now.dot[i] == avx2.dot[i] ||
			    now.gemm[i] == avx2.gemm[i] || now.gemm[i] == NULL)
				ok = 0;
		} else if (now.dot[i] != avx2.dot[i] ||
		    now.gemm[i] != avx2.gemm[i])
			ok = 0;
		if (now.quantize[i] != avx2.quantize[i])
			ok = 0;
	}
	test_condf(ok, "%s: installs dot and gemm of the ten quantized "
	    "types over the AVX2 kernels, nothing else", variant);
	return 0;
}

static const char *const models[] = {
	"kzoo-q4_0.gguf", "kzoo-q5_0.gguf", "kzoo-q4_1.gguf",
	"kzoo-q5_1.gguf", "kzoo-q8_0.gguf", "kzoo-q2_k.gguf",
	"kzoo-q3_k_m.gguf", "kzoo-q4_k_m.gguf", "kzoo-q5_k_m.gguf",
	"kzoo-q6_k.gguf"
};
#define N_MODELS	(sizeof models / sizeof models[0])
#define NTOK		9

/*
 * Logits of NTOK tokens as one prompt, then of the first token alone,
 * into lg (NTOK + 1 rows of n_vocab; *nv gets n_vocab).  -1 on error.
 */
static int
model_logits(const char *path, float **lg, int *nv)
{
	struct engine_opts	 eo;
	struct engine		*e;
	char			*cause = NULL;
	int32_t			 ids[NTOK];
	int			 i, rc;

	memset(&eo, 0, sizeof eo);
	eo.path = path;
	eo.n_ctx = 32;
	eo.n_threads = 2;
	if (engine_open(&eo, &e, &cause) != 0) {
		test_diag("%s: %s", path, cause);
		free(cause);
		return -1;
	}
	*nv = engine_get_info(e)->n_vocab;
	for (i = 0; i < NTOK; i++)
		ids[i] = (int32_t)((1 + 37 * i) % *nv);
	*lg = xcalloc((size_t)(NTOK + 1) * *nv, sizeof **lg);
	rc = engine_eval(e, ids, NTOK, 0, *lg, &cause);
	if (rc == 0)
		rc = engine_eval(e, ids, 1, 0, *lg + (size_t)NTOK * *nv,
		    &cause);
	if (rc != 0) {
		test_diag("%s: eval: %s", path, cause);
		free(cause);
		free(*lg);
		*lg = NULL;
	}
	engine_close(e);
	return rc;
}

static void
test_models(const char *shared)
{
	static void (*const fns[])(void) = { avx512_emu_install,
	    avx512vnni_emu_install };
	static const char *const names[] = { "avx512 (emulated)",
	    "avx512-vnni (emulated)" };
	char	 path[4200];
	float	*want, *got;
	int	 nv, nv2, v, bad;
	size_t	 m, k;

	for (m = 0; m < N_MODELS; m++) {
		snprintf(path, sizeof path, "%s/models/synthetic/%s", shared,
		    models[m]);
		cpu_set_level(CPU_AVX2);
		if (model_logits(path, &want, &nv) != 0) {
			test_condf(0, "%s: logits with the AVX2 kernels",
			    models[m]);
			continue;
		}
		for (v = 0; v < 2; v++) {
			install(fns[v], names[v]);
			bad = -1;
			if (model_logits(path, &got, &nv2) == 0 && nv2 == nv) {
				bad = 0;
				for (k = 0; k < (size_t)(NTOK + 1) * nv; k++)
					if (!same(got[k], want[k]))
						bad++;
				free(got);
			}
			test_condf(bad == 0, "%s %s: logits of a %d-token "
			    "prompt and of one token equal the AVX2 kernels' "
			    "bit for bit (%d differ)", names[v], models[m],
			    NTOK, bad);
		}
		free(want);
	}
	cpu_set_level(CPU_AVX2);
}
#endif	/* HAVE_SIMDE */

int
main(void)
{
	char		*cause = NULL;
#ifdef HAVE_SIMDE
	const char	*shared;
#endif

	if (cpu_init(&cause) != 0) {
		test_diag("cpu_init: %s", cause);
		free(cause);
	}
#ifndef HAVE_SIMDE
	test_skip("AVX-512 kernels under emulation", "configure found no "
	    "SIMDe headers (Debian package libsimde-dev) or no AVX-512 "
	    "compiler support");
#else
	if (!cpu_supports(CPU_AVX2)) {
		test_skip("AVX-512 kernels under emulation", "the emulation "
		    "needs AVX2, which this CPU lacks");
		return test_report();
	}
	test_diag("native level: %s; AVX-512 here: %s",
	    cpu_level_name(cpu_level()),
	    cpu_supports(CPU_AVX512) ? "yes" : "no");
	if (install(avx512_emu_install, "avx512 (emulated)") == 0)
		test_kernels("avx512 (emulated)");
	if (install(avx512vnni_emu_install, "avx512-vnni (emulated)") == 0)
		test_kernels("avx512-vnni (emulated)");
	cpu_set_level(CPU_AVX2);
	shared = test_shared_dir();
	if (shared == NULL)
		test_skip("AVX-512 emulated logits", "shared models not found");
	else
		test_models(shared);
#endif
	return test_report();
}
