/*
 * slash.c -- command-line splitting, lookup and the /set option table (see
 * cmd.h).  Pure code: user text never reaches a format string and every
 * number is range-checked before use.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "session.h"
#include "slash.h"
#include "xmalloc.h"

const struct opt_entry opt_table[] = {
	{ "temp", OPT_FLOAT, 0, 5,
	  "sampling temperature (0 = greedy)" },
	{ "top-k", OPT_INT, 0, 1000,
	  "keep the k most likely tokens (0 = all)" },
	{ "top-p", OPT_FLOAT, 0, 1,
	  "nucleus sampling probability mass" },
	{ "min-p", OPT_FLOAT, 0, 1,
	  "drop tokens below min-p times the best probability" },
	{ "repeat-penalty", OPT_FLOAT, 0.5, 3,
	  "penalty for repeating recent tokens (1 = off)" },
	{ "seed", OPT_SEED, 0, 0,
	  "random seed, or 'random'" },
	{ "max-tokens", OPT_INT, -1, 1000000,
	  "longest answer in tokens (-1 = until the context is full; not 0)" },
	{ "ctx", OPT_CTX, 0, ENGINE_CTX_MAX,
	  "context size in tokens (0 = model default; reloads the model)" },
	{ NULL, OPT_INT, 0, 0, NULL }
};

int
slash_split(const char *line, int *argc, char ***argv, char **cause)
{
	struct buf	 word = BUF_INIT;
	const char	*p = line;
	char		 q;
	int		 n = 0, in = 0;
	char		**v = NULL;

	for (;;) {
		if (*p == '\0' || *p == ' ' || *p == '\t' || *p == '\n') {
			if (in) {
				v = xreallocarray(v, (size_t)n + 2, sizeof *v);
				v[n++] = buf_detach(&word);
				if (v[n - 1] == NULL)
					v[n - 1] = xstrdup("");
				in = 0;
			}
			if (*p == '\0')
				break;
			p++;
			continue;
		}
		in = 1;
		if (*p == '"' || *p == '\'') {
			q = *p++;
			while (*p != '\0' && *p != q) {
				if (q == '"' && *p == '\\' && p[1] != '\0')
					p++;
				buf_putc(&word, *p++);
			}
			if (*p != q) {
				buf_free(&word);
				slash_free_argv(n, v);
				xasprintf(cause, "unterminated %c quote", q);
				return -1;
			}
			p++;
			if (word.data == NULL)
				buf_puts(&word, "");
			continue;
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		buf_putc(&word, *p++);
	}
	if (v == NULL)
		v = xcalloc(1, sizeof *v);
	v[n] = NULL;
	*argc = n;
	*argv = v;
	return 0;
}

void
slash_free_argv(int argc, char **argv)
{
	xfreev(argv, argc > 0 ? (size_t)argc : 0);
}

const struct slash_entry *
slash_find(const struct slash_entry *table, const char *name, char **cause)
{
	const struct slash_entry	*e, *found = NULL;
	size_t			 len = strlen(name);
	int			 n = 0;

	for (e = table; e->name != NULL; e++) {
		if (strcmp(e->name, name) == 0 ||
		    (e->alias != NULL && strcmp(e->alias, name) == 0))
			return e;
	}
	if (len > 0) {
		for (e = table; e->name != NULL; e++) {
			if (strncmp(e->name, name, len) == 0) {
				found = e;
				n++;
			}
		}
	}
	if (n == 1)
		return found;
	if (n > 1)
		xasprintf(cause, "ambiguous command: /%.40s", name);
	else
		xasprintf(cause, "unknown command: /%.40s (try /help)", name);
	return NULL;
}

int
slash_run(const struct slash_entry *table, void *ctx, const char *line,
    char **cause)
{
	const struct slash_entry	*e;
	char			**argv;
	int			 argc, rv;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '/')
		line++;
	if (slash_split(line, &argc, &argv, cause) != 0)
		return -1;
	if (argc == 0) {
		slash_free_argv(argc, argv);
		xasprintf(cause, "empty command (try /help)");
		return -1;
	}
	if ((e = slash_find(table, argv[0], cause)) == NULL) {
		slash_free_argv(argc, argv);
		return -1;
	}
	if (argc - 1 < e->min_args ||
	    (e->max_args >= 0 && argc - 1 > e->max_args)) {
		slash_free_argv(argc, argv);
		if (e->args[0] != '\0')
			xasprintf(cause, "usage: /%s %s", e->name, e->args);
		else
			xasprintf(cause, "usage: /%s (no arguments)", e->name);
		return -1;
	}
	free(argv[0]);
	argv[0] = xstrdup(e->name);
	rv = e->exec(ctx, argc, argv, cause);
	slash_free_argv(argc, argv);
	return rv;
}

char *
slash_complete(const struct slash_entry *table, const char *prefix, int state)
{
	const struct slash_entry	*e;
	size_t			 len;
	char			*s;

	if (*prefix == '/')
		prefix++;
	len = strlen(prefix);
	for (e = table; e->name != NULL; e++) {
		if (strncmp(e->name, prefix, len) != 0)
			continue;
		if (state-- == 0) {
			xasprintf(&s, "/%s", e->name);
			return s;
		}
	}
	return NULL;
}

void
settings_default(struct settings *st)
{
	memset(st, 0, sizeof *st);
	engine_sampling_default(&st->s);
	st->n_ctx = 0;
}

/* Parse a whole-string number; 0 or -1. */
static int
settings_number(const char *value, double *out)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(value, &end);
	if (end == value || *end != '\0' || errno != 0 || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int
settings_set(struct settings *st, const char *name, const char *value,
    char **cause)
{
	const struct opt_entry	*o;
	double			 d;
	char			*end;
	unsigned long long	 u;

	for (o = opt_table; o->name != NULL; o++) {
		if (strcmp(o->name, name) == 0)
			break;
	}
	if (o->name == NULL) {
		xasprintf(cause, "unknown setting: %.40s", name);
		return -1;
	}
	if (o->type == OPT_SEED) {
		if (strcmp(value, "random") == 0) {
			st->seed_fixed = 0;
			return 0;
		}
		errno = 0;
		u = strtoull(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || *end != '\0' ||
		    errno != 0) {
			xasprintf(cause, "seed must be a whole number >= 0 "
			    "or 'random'");
			return -1;
		}
		st->s.seed = u;
		st->seed_fixed = 1;
		return 0;
	}
	if (strcmp(name, "max-tokens") == 0 && (settings_number(value,
	    &d) != 0 || d != floor(d) || d == 0 || d < -1 || d > o->max)) {
		/* 0 would store an empty answer marked complete. */
		xasprintf(cause, "max-tokens must be -1 (until the context is "
		    "full) or a whole number from 1 to %.0f", o->max);
		return -1;
	}
	if (strcmp(name, "ctx") == 0 && (settings_number(value, &d) != 0 ||
	    d != floor(d) || (d != 0 && d < 64) || d > o->max)) {
		xasprintf(cause, "ctx must be 0 (the model's) or a whole "
		    "number from 64 to %.0f", o->max);
		return -1;
	}
	if (settings_number(value, &d) != 0 || d < o->min || d > o->max ||
	    (o->type != OPT_FLOAT && d != floor(d))) {
		xasprintf(cause, "%s must be %s from %g to %g", o->name,
		    o->type == OPT_FLOAT ? "a number" : "a whole number",
		    o->min, o->max);
		return -1;
	}
	if (strcmp(name, "temp") == 0)
		st->s.temp = (float)d;
	else if (strcmp(name, "top-k") == 0)
		st->s.top_k = (int)d;
	else if (strcmp(name, "top-p") == 0)
		st->s.top_p = (float)d;
	else if (strcmp(name, "min-p") == 0)
		st->s.min_p = (float)d;
	else if (strcmp(name, "repeat-penalty") == 0)
		st->s.repeat_penalty = (float)d;
	else if (strcmp(name, "max-tokens") == 0)
		st->s.max_tokens = (int)d;
	else if (strcmp(name, "ctx") == 0)
		st->n_ctx = (int)d;
	return 0;
}

char *
settings_get(const struct settings *st, const char *name)
{
	char	*s = NULL;

	if (strcmp(name, "temp") == 0)
		xasprintf(&s, "%g", (double)st->s.temp);
	else if (strcmp(name, "top-k") == 0)
		xasprintf(&s, "%d", st->s.top_k);
	else if (strcmp(name, "top-p") == 0)
		xasprintf(&s, "%g", (double)st->s.top_p);
	else if (strcmp(name, "min-p") == 0)
		xasprintf(&s, "%g", (double)st->s.min_p);
	else if (strcmp(name, "repeat-penalty") == 0)
		xasprintf(&s, "%g", (double)st->s.repeat_penalty);
	else if (strcmp(name, "seed") == 0) {
		if (st->seed_fixed)
			xasprintf(&s, "%llu", (unsigned long long)st->s.seed);
		else
			s = xstrdup("random");
	} else if (strcmp(name, "max-tokens") == 0)
		xasprintf(&s, "%d", st->s.max_tokens);
	else if (strcmp(name, "ctx") == 0)
		xasprintf(&s, "%d", st->n_ctx);
	return s;
}

/* The one parameters format: src/app/session.c. */
char *
settings_json(const struct settings *st)
{
	return session_params_json(st, NULL);
}

void
settings_from_json(struct settings *st, const char *json)
{
	(void)session_params_read(st, json);
}

char *
slash_hist_escape(const char *s)
{
	struct buf	b = BUF_INIT;

	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(&b, "\\\\");
		else if (*s == '\n')
			buf_puts(&b, "\\n");
		else
			buf_putc(&b, *s);
	}
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}

char *
slash_hist_unescape(const char *s)
{
	struct buf	b = BUF_INIT;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == '\\') {
			buf_putc(&b, '\\');
			s++;
		} else if (s[0] == '\\' && s[1] == 'n') {
			buf_putc(&b, '\n');
			s++;
		} else
			buf_putc(&b, *s);
	}
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}
