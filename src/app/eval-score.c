/*
 * eval-score.c -- the arithmetic of measuring a model: see eval-score.h.
 * Everything sums in double: a vocabulary of 32,000 floats summed in
 * float loses the digits that a KL divergence of 0.001 lives in.
 */
#include <math.h>
#include <stdlib.h>

#include "eval-score.h"

static int	eval_float_cmp(const void *, const void *);

int
eval_log_softmax(const float *x, int n, float *out)
{
	double	sum = 0, lse;
	float	max = x[0];
	int	i, imax = 0;

	for (i = 1; i < n; i++) {
		if (x[i] > max) {
			max = x[i];
			imax = i;
		}
	}
	for (i = 0; i < n; i++)
		sum += exp((double)x[i] - max);
	lse = (double)max + log(sum);
	for (i = 0; i < n; i++)
		out[i] = (float)((double)x[i] - lse);
	return imax;
}

double
eval_kl(const float *logp, const float *logq, int n)
{
	double	sum = 0;
	int	i;

	for (i = 0; i < n; i++) {
		/* exp underflows to 0 far below anything that adds up. */
		if (logp[i] > -80.0f)
			sum += exp((double)logp[i]) *
			    ((double)logp[i] - (double)logq[i]);
	}
	return sum;
}

void
eval_acc_add(struct eval_acc *a, double nll)
{
	a->nll += nll;
	a->nll2 += nll * nll;
	a->count++;
}

double
eval_acc_ppl(const struct eval_acc *a)
{
	if (a->count == 0)
		return 0;
	return exp(a->nll / a->count);
}

double
eval_acc_ppl_err(const struct eval_acc *a)
{
	double	mean, var;

	if (a->count < 2)
		return 0;
	mean = a->nll / a->count;
	var = a->nll2 / a->count - mean * mean;
	if (var <= 0)
		return 0;
	return sqrt(var / (a->count - 1)) * exp(mean);
}

static int
eval_float_cmp(const void *a, const void *b)
{
	float	x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

double
eval_percentile(float *v, size_t n, double fraction)
{
	double	p;
	size_t	i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, eval_float_cmp);
	if (fraction <= 0)
		return v[0];
	if (fraction >= 1)
		return v[n - 1];
	p = fraction * (double)(n - 1);
	i = (size_t)p;
	p -= (double)i;
	if (i + 1 >= n)
		return v[n - 1];
	return (1 - p) * v[i] + p * v[i + 1];
}
