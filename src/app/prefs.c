/*
 * prefs.c -- the generation settings a user keeps, and where each value
 * came from (see prefs.h).
 *
 * Values are checked by one function, settings_set (slash.c), whichever
 * place they come from: a /set, the settings file, the database, the
 * command line.  The database keeps each as the text /set accepted
 * ("set.temp" = "0.7"), so a value is read back exactly as it was typed
 * and checked again: the database is untrusted like the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "fsutil.h"
#include "host.h"
#include "prefs.h"
#include "prompts.h"
#include "utf8.h"
#include "xmalloc.h"

#define PREFS_KEY_MAX	64
#define PREFS_TEXT_KEY	"set.system-text"

static int	 prefs_index(const char *);

void
prefs_init(struct settings *set, struct prefs *p)
{
	settings_default(set);
	memset(p, 0, sizeof *p);
	p->preset = xstrdup(prompts_get(0)->name);
}

void
prefs_free(struct prefs *p)
{
	free(p->preset);
	free(p->system_text);
	memset(p, 0, sizeof *p);
}

const char *
prefs_src_name(enum pref_src src)
{
	switch (src) {
	case PREF_DEFAULT:
		return "default";
	case PREF_CONF:
		return "medchat.conf";
	case PREF_SAVED:
		return "saved by /set";
	case PREF_CMDLINE:
		return "command line";
	case PREF_CONV:
		return "this conversation";
	case PREF_RUN:
		return "this run, not saved";
	}
	return "?";
}

/* Index of name in opt_table, PREFS_SYSTEM for "system", or -1. */
static int
prefs_index(const char *name)
{
	int	i;

	if (strcmp(name, "system") == 0)
		return PREFS_SYSTEM;
	for (i = 0; i < PREFS_NOPTS && opt_table[i].name != NULL; i++) {
		if (strcmp(opt_table[i].name, name) == 0)
			return i;
	}
	return -1;
}

int
prefs_set(struct settings *set, struct prefs *p, const char *name,
    const char *value, enum pref_src src, char **cause)
{
	const struct prompt_preset	*pp;
	struct buf			 b = BUF_INIT;
	size_t				 i;
	int				 k;

	if ((k = prefs_index(name)) < 0) {
		xasprintf(cause, "unknown setting: %.40s", name);
		return -1;
	}
	if (k != PREFS_SYSTEM) {
		if (settings_set(set, name, value, cause) != 0)
			return -1;
		p->src[k] = src;
		return 0;
	}
	if ((pp = prompts_find(value)) == NULL) {
		for (i = 0; i < prompts_count(); i++)
			buf_printf(&b, "%s%s", i > 0 ? ", " : "",
			    prompts_get(i)->name);
		xasprintf(cause, "system must be a preset: %s", buf_str(&b));
		buf_free(&b);
		return -1;
	}
	free(p->preset);
	free(p->system_text);
	p->preset = xstrdup(pp->name);
	p->system_text = NULL;
	p->src[k] = src;
	return 0;
}

void
prefs_conf(struct settings *set, struct prefs *p, struct conffile *c)
{
	char	*cause = NULL, num[16];
	size_t	 i;

	if (c->ctx >= 0) {
		snprintf(num, sizeof num, "%d", c->ctx);
		if (prefs_set(set, p, "ctx", num, PREF_CONF, &cause) != 0) {
			conffile_warn_line(c, c->ctx_line, cause);
			free(cause);
			cause = NULL;
		}
	}
	for (i = 0; i < c->n_sets; i++) {
		if (prefs_set(set, p, c->sets[i].name, c->sets[i].value,
		    PREF_CONF, &cause) != 0) {
			conffile_warn_line(c, c->sets[i].line, cause);
			free(cause);
			cause = NULL;
		}
	}
}

int
prefs_load(struct settings *set, struct prefs *p, struct store *s,
    char **cause)
{
	char	 key[PREFS_KEY_MAX], *v, *why = NULL, *text = NULL;
	size_t	 i;
	int	 rv = 0;

	for (i = 0; i < PREFS_N; i++) {
		snprintf(key, sizeof key, "set.%s", i == PREFS_SYSTEM ?
		    "system" : opt_table[i].name);
		v = NULL;
		if (store_setting_get(s, key, &v, &why) != 0) {
			if (rv == 0)
				*cause = why;
			else
				free(why);
			why = NULL;
			rv = -1;
			continue;
		}
		if (v == NULL)
			continue;
		if (prefs_set(set, p, key + 4, v, PREF_SAVED, &why) != 0) {
			if (rv == 0)
				xasprintf(cause, "the saved setting %s is not "
				    "used: %s", key + 4, why);
			free(why);
			why = NULL;
			rv = -1;
		}
		free(v);
	}
	if (p->src[PREFS_SYSTEM] != PREF_SAVED &&
	    store_setting_get(s, PREFS_TEXT_KEY, &text, &why) == 0 &&
	    text != NULL) {
		if (utf8_valid(text, strlen(text))) {
			free(p->preset);
			free(p->system_text);
			p->preset = NULL;
			p->system_text = text;
			p->src[PREFS_SYSTEM] = PREF_SAVED;
			text = NULL;
		} else if (rv == 0) {
			xasprintf(cause, "the saved system message is not used: "
			    "it is not valid UTF-8");
			rv = -1;
		}
	}
	free(text);
	free(why);
	return rv;
}

int
prefs_save(struct store *s, const char *name, const char *value,
    char **cause)
{
	char	key[PREFS_KEY_MAX];
	int	k;

	if ((k = prefs_index(name)) < 0) {
		xasprintf(cause, "unknown setting: %.40s", name);
		return -1;
	}
	snprintf(key, sizeof key, "set.%s", name);
	if (store_setting_set(s, key, value, cause) != 0)
		return -1;
	/* A preset chosen replaces the editor's own text. */
	if (k == PREFS_SYSTEM && store_setting_set(s, PREFS_TEXT_KEY, NULL,
	    cause) != 0)
		return -1;
	return 0;
}

int
prefs_save_system_text(struct store *s, const char *text, char **cause)
{
	if (text != NULL && store_setting_set(s, "set.system", NULL,
	    cause) != 0)
		return -1;
	return store_setting_set(s, PREFS_TEXT_KEY, text, cause);
}

const char *
prefs_system(const struct prefs *p)
{
	const struct prompt_preset	*pp;

	if (p->system_text != NULL)
		return p->system_text;
	if (p->preset != NULL && (pp = prompts_find(p->preset)) != NULL)
		return pp->text;
	return prompts_default_system();
}

void
prefs_set_system(struct prefs *p, const char *text, enum pref_src src)
{
	const struct prompt_preset	*pp;
	size_t				 i;

	free(p->preset);
	free(p->system_text);
	p->preset = p->system_text = NULL;
	for (i = 0; i < prompts_count(); i++) {
		pp = prompts_get(i);
		if (strcmp(pp->text, text) == 0) {
			p->preset = xstrdup(pp->name);
			break;
		}
	}
	if (p->preset == NULL)
		p->system_text = xstrdup(text);
	p->src[PREFS_SYSTEM] = src;
}

char *
prefs_show(const struct settings *set, const struct prefs *p)
{
	struct buf	 b = BUF_INIT;
	char		*v;
	size_t		 i, n;

	buf_puts(&b, "Settings (/set NAME VALUE saves one for the next start; "
	    "/set NAME reset forgets it):\n");
	for (i = 0; i < PREFS_NOPTS; i++) {
		v = settings_get(set, opt_table[i].name);
		buf_printf(&b, "  %s = %s  (%s) -- %s\n", opt_table[i].name, v,
		    prefs_src_name(p->src[i]), opt_table[i].help);
		free(v);
	}
	if (p->preset != NULL)
		buf_printf(&b, "  system = %s  (%s) -- the system-message "
		    "preset (/system edits it)", p->preset,
		    prefs_src_name(p->src[PREFS_SYSTEM]));
	else {
		n = strlen(p->system_text);
		buf_printf(&b, "  system = your own text, %zu bytes  (%s) -- "
		    "/system edits it", n, prefs_src_name(p->src[PREFS_SYSTEM]));
	}
	return buf_detach(&b);
}

int
prefs_ctx_check(const char *path, int n_ctx, const char *who, char **warn,
    char **cause)
{
	return prefs_ctx_check_mem(path, n_ctx, who, host_mem_available(), warn,
	    cause);
}

int
prefs_ctx_check_mem(const char *path, int n_ctx, const char *who,
    uint64_t avail, char **warn, char **cause)
{
	struct engine_file_summary	 sum;
	char				*why = NULL;
	uint64_t			 need;

	*warn = NULL;
	if (n_ctx <= 0 || path == NULL || *path == '\0')
		return 0;
	if (engine_probe(path, &sum, &why) != 0) {
		free(why);
		return 0;
	}
	need = engine_mem_needed(&sum, (uint32_t)n_ctx);
	if (avail > 0 && need > avail) {
		xasprintf(cause, "%s %d: the model needs %.1f GiB at that "
		    "context, %.1f GiB of memory is available (trained on "
		    "%u tokens)", who, n_ctx, need / 1073741824.0,
		    avail / 1073741824.0, sum.n_ctx_train);
		return -1;
	}
	if (sum.n_ctx_train > 0 && (uint32_t)n_ctx > sum.n_ctx_train)
		xasprintf(warn, "%s %d is beyond the %u tokens the model was "
		    "trained on: answers past that are unreliable", who, n_ctx,
		    sum.n_ctx_train);
	return 0;
}

int
prefs_reset(struct settings *set, struct prefs *p, const struct conffile *c,
    const char *name, char **cause)
{
	struct settings	 def;
	struct prefs	 dp;
	const char	*from = NULL;
	char		*v, num[16];
	size_t		 i;
	int		 k, rv;

	if ((k = prefs_index(name)) < 0) {
		xasprintf(cause, "unknown setting: %.40s", name);
		return -1;
	}
	if (k == PREFS_NOPTS - 1 && c->ctx >= 0) {
		snprintf(num, sizeof num, "%d", c->ctx);
		from = num;
	}
	for (i = 0; i < c->n_sets; i++) {
		if (strcmp(c->sets[i].name, name) == 0)
			from = c->sets[i].value;
	}
	/* The file's value if it is accepted, else the default. */
	if (from != NULL && prefs_set(set, p, name, from, PREF_CONF,
	    cause) == 0)
		return 0;
	if (from != NULL) {
		free(*cause);
		*cause = NULL;
	}
	prefs_init(&def, &dp);
	if (k == PREFS_SYSTEM)
		v = xstrdup(dp.preset);
	else
		v = settings_get(&def, name);
	rv = prefs_set(set, p, name, v, PREF_DEFAULT, cause);
	free(v);
	prefs_free(&dp);
	return rv;
}
