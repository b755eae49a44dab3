/*
 * quality.h -- what the model menu knows about a quant file's quality
 * before anything is measured on this machine, and which file of a
 * model measurements compare against.
 *
 * The published figures are llama.cpp's own: the perplexity increase
 * over the 16-bit model that its quantize tool lists next to each type
 * (measured by llama.cpp's authors on Llama-3-8B, F16 and BF16 on
 * Mistral-7B).  They describe the type on another model, not the file:
 * the menu labels them as published, and a measurement of the file
 * itself always takes their place.
 */
#ifndef QUALITY_H
#define QUALITY_H

#include "engine.h"

/*
 * The published perplexity increase of a quant type ("Q4_K_M"; case
 * does not matter): 1, *dppl and *on (the model it was measured on,
 * a static string); 0 for a type without a figure (F32, IQ types, a
 * mix medchat does not know).
 */
int	 quality_published(const char *quant, double *dppl, const char **on);

/*
 * Are a and b files of the same model (different quantizations of the
 * same weights)?  The same architecture, general.name, parameter count
 * and vocabulary size; a file without a name matches no other.
 */
int	 quality_same_model(const struct engine_file_summary *a,
	    const struct engine_file_summary *b);

/*
 * Is a the better reference than b among files of one model: the more
 * bits per weight (F32 > F16/BF16 > Q8_0 > ...).  Ties go to F16 over
 * BF16 (the published figures are against F16), then to neither (0).
 */
int	 quality_better_base(const struct engine_file_summary *a,
	    const struct engine_file_summary *b);

#endif
