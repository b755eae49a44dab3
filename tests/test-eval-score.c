/*
 * test-eval-score.c -- the arithmetic of `medchat eval` (src/app/
 * eval-score.c) against values worked out by hand: each fixture below
 * says how it was derived, so it can be checked with pencil and paper
 * (or any calculator) and does not come from the code under test.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval-score.h"
#include "testhelp.h"

static int
near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

static void
test_log_softmax(void)
{
	float	x[4], out[4], big[2];
	int	top;

	/* Four equal logits: each probability 1/4, log -ln 4. */
	x[0] = x[1] = x[2] = x[3] = 0.5f;
	top = eval_log_softmax(x, 4, out);
	test_cond(near(out[0], -1.3862944, 1e-6) && near(out[3],
	    -1.3862944, 1e-6), "log-softmax: equal logits give -ln 4");
	test_cond(top == 0, "log-softmax: the first of equal logits is top");

	/*
	 * Logits 0 and ln 3: probabilities 1/4 and 3/4, logs -ln 4 =
	 * -1.3862944 and ln 0.75 = -0.2876821.
	 */
	x[0] = 0.0f;
	x[1] = (float)log(3.0);
	top = eval_log_softmax(x, 2, out);
	test_cond(near(out[0], -1.3862944, 1e-6) &&
	    near(out[1], -0.2876821, 1e-6) && top == 1,
	    "log-softmax: logits 0, ln 3 give ln 1/4, ln 3/4");

	/* The same shifted by 1000: exp(1000) overflows unless shifted. */
	big[0] = 1000.0f;
	big[1] = 1000.0f + (float)log(3.0);
	eval_log_softmax(big, 2, out);
	test_cond(near(out[0], -1.3862944, 1e-4) &&
	    near(out[1], -0.2876821, 1e-4) && isfinite(out[0]),
	    "log-softmax: large logits do not overflow");

	/* One logit: probability 1, log 0. */
	x[0] = -7.25f;
	eval_log_softmax(x, 1, out);
	test_cond(out[0] == 0.0f, "log-softmax: a single token has log p 0");
}

static void
test_kl(void)
{
	float	p[3], q[3];

	/*
	 * P = (1/2, 1/2), Q = (1/4, 3/4):
	 * KL(P||Q) = 1/2 ln 2 + 1/2 ln (2/3) = 0.1438410;
	 * KL(Q||P) = 1/4 ln (1/2) + 3/4 ln (3/2) = 0.1308120.
	 */
	p[0] = p[1] = (float)log(0.5);
	q[0] = (float)log(0.25);
	q[1] = (float)log(0.75);
	test_cond(near(eval_kl(p, q, 2), 0.1438410, 1e-6),
	    "KL: (1/2, 1/2) from (1/4, 3/4) is 0.1438410");
	test_cond(near(eval_kl(q, p, 2), 0.1308120, 1e-6),
	    "KL: not symmetric: (1/4, 3/4) from (1/2, 1/2) is 0.1308120");
	test_cond(eval_kl(p, p, 2) == 0, "KL: of a distribution from itself "
	    "is 0");
	/*
	 * P = (0.7, 0.2, 0.1), Q = (0.5, 0.3, 0.2): 0.7 ln 1.4 +
	 * 0.2 ln (2/3) + 0.1 ln 0.5 = 0.2355306 - 0.0810930 - 0.0693147 =
	 * 0.0851228 (inputs rounded to float: within 1e-5).
	 */
	p[0] = (float)log(0.7);
	p[1] = (float)log(0.2);
	p[2] = (float)log(0.1);
	q[0] = (float)log(0.5);
	q[1] = (float)log(0.3);
	q[2] = (float)log(0.2);
	test_cond(near(eval_kl(p, q, 3), 0.0851228, 1e-5),
	    "KL: three tokens, 0.0851228");
	/* A token P never gives adds nothing, whatever Q says of it. */
	p[0] = 0.0f;
	p[1] = -INFINITY;
	q[0] = (float)log(0.5);
	q[1] = (float)log(0.5);
	test_cond(near(eval_kl(p, q, 2), log(2.0), 1e-6),
	    "KL: a token of probability 0 in the base adds nothing");
}

static void
test_acc(void)
{
	struct eval_acc	a;

	memset(&a, 0, sizeof a);
	test_cond(eval_acc_ppl(&a) == 0 && eval_acc_ppl_err(&a) == 0,
	    "ppl: nothing scored: 0");
	eval_acc_add(&a, 2.0);
	test_cond(near(eval_acc_ppl(&a), exp(2.0), 1e-9) &&
	    eval_acc_ppl_err(&a) == 0,
	    "ppl: one token: e^nll, no standard error");
	/*
	 * nll 1, 2, 3, 4: mean 2.5, ppl e^2.5 = 12.1824940; E[nll^2] =
	 * 30/4 = 7.5, variance 7.5 - 6.25 = 1.25, standard error of the
	 * mean sqrt(1.25 / 3) = 0.6454972, of the ppl 0.6454972 * 12.1824940
	 * = 7.8637660.
	 */
	memset(&a, 0, sizeof a);
	eval_acc_add(&a, 1.0);
	eval_acc_add(&a, 2.0);
	eval_acc_add(&a, 3.0);
	eval_acc_add(&a, 4.0);
	test_cond(a.count == 4 && near(eval_acc_ppl(&a), 12.1824940, 1e-6),
	    "ppl: e^(mean nll) = 12.1824940");
	test_cond(near(eval_acc_ppl_err(&a), 7.8637660, 1e-6),
	    "ppl: standard error 7.8637660");
	/* All equal: no spread, no error. */
	memset(&a, 0, sizeof a);
	eval_acc_add(&a, 0.5);
	eval_acc_add(&a, 0.5);
	test_cond(eval_acc_ppl_err(&a) == 0 &&
	    near(eval_acc_ppl(&a), exp(0.5), 1e-9),
	    "ppl: equal nll: standard error 0");
}

static void
test_percentile(void)
{
	float	v[10] = { 7, 3, 10, 1, 9, 2, 8, 4, 6, 5 };
	float	w[4] = { 4, 1, 3, 2 };
	float	one[1] = { 0.25f };

	/* 1..10: position 0.99 * 9 = 8.91, between 9 and 10: 9.91. */
	test_cond(near(eval_percentile(v, 10, 0.99), 9.91, 1e-6),
	    "percentile: 99th of 1..10 is 9.91");
	test_cond(v[0] == 1 && v[9] == 10, "percentile: the sample sorted");
	/* 1..4: the median at 1.5: 2.5; the ends are the extremes. */
	test_cond(near(eval_percentile(w, 4, 0.5), 2.5, 1e-9),
	    "percentile: 50th of 1..4 is 2.5");
	test_cond(eval_percentile(w, 4, 0) == 1 &&
	    eval_percentile(w, 4, 1) == 4, "percentile: 0 and 1 are the ends");
	test_cond(eval_percentile(one, 1, 0.99) == 0.25f,
	    "percentile: a sample of one is that value");
	test_cond(eval_percentile(NULL, 0, 0.99) == 0,
	    "percentile: an empty sample gives 0");
}

static void
test_top(void)
{
	float	a[4] = { 0.1f, 2.0f, 1.0f, 2.0f }, b[4] = { 3, 1, 1, 1 };
	float	out[4];

	/* Top-token agreement compares the indices these return. */
	test_cond(eval_log_softmax(a, 4, out) == 1,
	    "top token: the first of two equal highest");
	test_cond(eval_log_softmax(b, 4, out) == 0,
	    "top token: the highest at index 0");
}

int
main(void)
{
	test_log_softmax();
	test_kl();
	test_acc();
	test_percentile();
	test_top();
	return test_report();
}
