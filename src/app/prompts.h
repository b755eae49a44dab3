/*
 * prompts.h -- system-message presets for the system-message editor and
 * the default system message (the files in data/prompts/, compiled in).
 */
#ifndef PROMPTS_H
#define PROMPTS_H

#include <stddef.h>

struct prompt_preset {
	const char	*name;	/* short key: "default", "concise"... */
	const char	*title;	/* one line for a menu */
	const char	*text;	/* the system message, no trailing newline */
};

/* Number of presets; prompts_get(0) is the default. */
size_t		 prompts_count(void);
/* Preset i (i < prompts_count()), or NULL. */
const struct prompt_preset *prompts_get(size_t i);
/* Preset by name, or NULL. */
const struct prompt_preset *prompts_find(const char *name);
/* Text of the default system message. */
const char	*prompts_default_system(void);

/*
 * A compiled-in data file that opens with the line "key: value", then
 * blank lines, then its body: *value and *len get the value, the return
 * is the body.  The files are ours, so a malformed one is a build bug
 * (abort).  The advisory text has the same layout.
 */
const char	*prompts_header(const char *file, const char *key,
		    const char **value, size_t *len);

#endif
