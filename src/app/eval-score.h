/*
 * eval-score.h -- the arithmetic of src/app/eval.c, apart so it can be
 * tested against values worked out by hand (tests/test-eval-score.c):
 * log-softmax, KL divergence, the perplexity and its standard error, the
 * percentile of a sample.  Pure: no I/O, no allocation.
 */
#ifndef EVAL_SCORE_H
#define EVAL_SCORE_H

#include <stddef.h>

/*
 * Log-probabilities of logits x[0..n) into out[0..n) (x - log sum exp x,
 * summed in double after subtracting the largest logit); returns the
 * index of the largest logit (the first of equals).  n > 0.
 */
int	 eval_log_softmax(const float *x, int n, float *out);
/*
 * KL(P || Q) = sum_i P_i (log P_i - log Q_i) of two distributions given
 * as log-probabilities (base: P, the reference; q: the file measured),
 * in nats.  Never negative beyond rounding.
 */
double	 eval_kl(const float *logp, const float *logq, int n);

/* Running sums of the negative log-likelihoods of scored tokens. */
struct eval_acc {
	double	 nll, nll2;	/* sum of -log p, of its square */
	long	 count;
};
void	 eval_acc_add(struct eval_acc *, double nll);
/* exp(mean nll); 0 when nothing was added. */
double	 eval_acc_ppl(const struct eval_acc *);
/*
 * The standard error of the perplexity: that of the mean nll,
 * sqrt((E[nll^2] - E[nll]^2) / (count - 1)), times the perplexity (the
 * derivative of exp); 0 with fewer than two tokens.
 */
double	 eval_acc_ppl_err(const struct eval_acc *);

/*
 * The fraction (0..1) percentile of v[0..n), sorted in place: the value
 * at position fraction * (n - 1) of the sorted sample, interpolated
 * linearly between its neighbours.  0 when n is 0.
 */
double	 eval_percentile(float *v, size_t n, double fraction);

#endif
