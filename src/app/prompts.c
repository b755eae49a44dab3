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
	const char	*p, *title;
	char		*text;
	size_t		 i, n;

	for (i = 0; i < PROMPTS_N; i++) {
		p = prompts_header(prompts_files[i].file, "title", &title, &n);
		prompts_table[i].name = prompts_files[i].name;
		prompts_table[i].title = xstrndup(title, n);
		n = strlen(p);
		while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' '))
			n--;
		text = xstrndup(p, n);
		prompts_table[i].text = text;
	}
}

const char *
prompts_header(const char *file, const char *key, const char **value,
    size_t *len)
{
	const char	*p = file, *nl;
	size_t		 kl = strlen(key);

	if (strncmp(p, key, kl) != 0 || p[kl] != ':' ||
	    (nl = strchr(p, '\n')) == NULL)
		abort();
	p += kl + 1;
	while (*p == ' ')
		p++;
	*value = p;
	*len = (size_t)(nl - p);
	p = nl + 1;
	while (*p == '\n')
		p++;
	return p;
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
