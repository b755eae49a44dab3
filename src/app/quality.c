/*
 * quality.c -- published quality figures per quant type and the choice
 * of the reference file of a model (see quality.h).
 *
 * The table holds the figures llama.cpp's quantize tool prints beside
 * each type (the man page names the exact source and commit).  Types
 * it lists without a perplexity figure (F32, the IQ and TQ types) have
 * none here either.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "quality.h"

struct quality_pub {
	const char	*quant;
	double		 dppl;		/* perplexity increase */
	const char	*on;		/* the model measured */
};

static const struct quality_pub quality_table[] = {
	{ "Q2_K",	3.5199, "Llama-3-8B" },
	{ "Q2_K_S",	3.1836, "Llama-3-8B" },
	{ "Q3_K_S",	1.6321, "Llama-3-8B" },
	{ "Q3_K_M",	0.6569, "Llama-3-8B" },
	{ "Q3_K_L",	0.5562, "Llama-3-8B" },
	{ "Q4_0",	0.4685, "Llama-3-8B" },
	{ "Q4_1",	0.4511, "Llama-3-8B" },
	{ "Q4_K_S",	0.2689, "Llama-3-8B" },
	{ "Q4_K_M",	0.1754, "Llama-3-8B" },
	{ "Q5_0",	0.1316, "Llama-3-8B" },
	{ "Q5_1",	0.1062, "Llama-3-8B" },
	{ "Q5_K_S",	0.1049, "Llama-3-8B" },
	{ "Q5_K_M",	0.0569, "Llama-3-8B" },
	{ "Q6_K",	0.0217, "Llama-3-8B" },
	{ "Q8_0",	0.0026, "Llama-3-8B" },
	{ "F16",	0.0020, "Mistral-7B" },
	{ "BF16",	-0.0050, "Mistral-7B" },
};

int
quality_published(const char *quant, double *dppl, const char **on)
{
	size_t	i;

	if (quant == NULL)
		return 0;
	for (i = 0; i < sizeof quality_table / sizeof quality_table[0];
	    i++) {
		if (strcasecmp(quant, quality_table[i].quant) == 0) {
			*dppl = quality_table[i].dppl;
			*on = quality_table[i].on;
			return 1;
		}
	}
	return 0;
}

int
quality_same_model(const struct engine_file_summary *a,
    const struct engine_file_summary *b)
{
	if (a->name[0] == '\0' || b->name[0] == '\0')
		return 0;
	return strcmp(a->arch, b->arch) == 0 &&
	    strcmp(a->name, b->name) == 0 && a->n_params == b->n_params &&
	    a->n_vocab == b->n_vocab;
}

int
quality_better_base(const struct engine_file_summary *a,
    const struct engine_file_summary *b)
{
	/* A file's bpw counts its few F32 norms too: 0.01 apart is a tie. */
	if (fabs(a->bpw - b->bpw) > 0.01)
		return a->bpw > b->bpw;
	return strcasecmp(a->quant, "F16") == 0 &&
	    strcasecmp(b->quant, "F16") != 0;
}
