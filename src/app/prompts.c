/*
 * prompts.c -- system-message presets compiled in from data/prompts/.
 *
 * Each file is "title: ONE LINE", a blank line, then the text.  The
 * table below fixes their order (the default first); the texts are
 * split out of the embedded files once, lazily.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "prompts.h"
#include "xmalloc.h"

#include "prompt-default.h"
#include "prompt-concise.h"
#include "prompt-patient.h"
#include "prompt-differential.h"
#include "prompt-exam.h"
#include "prompt-plain.h"

static const struct {
	const char	*name;
	const char	*file;
} prompts_files[] = {
	{ "default", prompt_default },
	{ "concise", prompt_concise },
	{ "patient", prompt_patient },
	{ "differential", prompt_differential },
	{ "exam", prompt_exam },
	{ "none", prompt_plain },
};
#define PROMPTS_N (sizeof prompts_files / sizeof *prompts_files)

static pthread_once_t		 prompts_once = PTHREAD_ONCE_INIT;
static struct prompt_preset	 prompts_table[PROMPTS_N];

static void
prompts_init(void)
{
	const char	*p, *nl;
	char		*text;
	size_t		 i, n;

	for (i = 0; i < PROMPTS_N; i++) {
		p = prompts_files[i].file;
		/* Compiled-in files: a malformed one is a build bug. */
		if (strncmp(p, "title:", 6) != 0 ||
		    (nl = strchr(p, '\n')) == NULL)
			abort();
		p += 6;
		while (*p == ' ')
			p++;
		prompts_table[i].name = prompts_files[i].name;
		prompts_table[i].title = xstrndup(p, (size_t)(nl - p));
		p = nl + 1;
		while (*p == '\n')
			p++;
		n = strlen(p);
		while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' '))
			n--;
		text = xstrndup(p, n);
		prompts_table[i].text = text;
	}
}

size_t
prompts_count(void)
{
	return PROMPTS_N;
}

const struct prompt_preset *
prompts_get(size_t i)
{
	if (i >= PROMPTS_N)
		return NULL;
	pthread_once(&prompts_once, prompts_init);
	return &prompts_table[i];
}

const struct prompt_preset *
prompts_find(const char *name)
{
	size_t	i;

	pthread_once(&prompts_once, prompts_init);
	for (i = 0; i < PROMPTS_N; i++) {
		if (strcmp(prompts_table[i].name, name) == 0)
			return &prompts_table[i];
	}
	return NULL;
}

const char *
prompts_default_system(void)
{
	return prompts_get(0)->text;
}
