/*
 * slash.h -- slash commands and settings as tables (tmux cmd.c,
 * options-table.c).  This file holds the pure parts: splitting a command
 * line, finding the entry, checking the argument count, completing names
 * and the declarative /set option table.  The command table itself, whose
 * exec functions act on the UI, is ui/ui-slash.c; the same table produces
 * /help and is checked against the man page by a test.
 */
#ifndef SLASH_H
#define SLASH_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

struct slash_entry {
	const char	*name;		/* without the slash */
	const char	*alias;		/* or NULL */
	const char	*args;		/* usage of the arguments, "" if none */
	const char	*help;		/* one line */
	int		 min_args;
	int		 max_args;	/* -1 = any number */
	/* Returns 0, or -1 with *cause (shown in the status line). */
	int		(*exec)(void *ctx, int argc, char **argv,
			    char **cause);
};

/*
 * Split line into words at blanks; "double" and 'single' quotes group,
 * backslash escapes the next character outside single quotes.  Returns 0
 * with *argc and *argv (free with slash_free_argv), or -1 with *cause for an
 * unterminated quote.
 */
int	 slash_split(const char *line, int *argc, char ***argv, char **cause);
void	 slash_free_argv(int argc, char **argv);

/*
 * Find name (without '/') in table (terminated by a NULL name): exact
 * name or alias first, else a unique prefix.  NULL with *cause when
 * unknown or ambiguous.
 */
const struct slash_entry *slash_find(const struct slash_entry *table,
	    const char *name, char **cause);

/*
 * Run the command line (leading '/' optional): split, find, check the
 * argument count (with a "usage: /name args" message), call exec with
 * argv[0] = the full command name.  Returns exec's result, or -1 with
 * *cause.
 */
int	 slash_run(const struct slash_entry *table, void *ctx, const char *line,
	    char **cause);

/*
 * The state-th (from 0) command name of table starting with prefix, as a
 * new string with the leading '/', or NULL when there are no more.
 */
char	*slash_complete(const struct slash_entry *table, const char *prefix,
	    int state);

/* ---- settings (/set) ------------------------------------------------- */

struct settings {
	struct engine_sampling	 s;
	int			 seed_fixed;	/* seed given by the user */
	int			 n_ctx;		/* 0 = model default */
};

enum opt_type { OPT_FLOAT, OPT_INT, OPT_SEED, OPT_CTX };

struct opt_entry {
	const char	*name;
	enum opt_type	 type;
	double		 min, max;
	const char	*help;
};

extern const struct opt_entry opt_table[];

/* Defaults: engine_sampling_default() and n_ctx 0. */
void	 settings_default(struct settings *);
/*
 * Set option name to value after checking type and bounds.  Returns 0,
 * or -1 with *cause ("unknown setting", "temp must be a number from 0 to
 * 5").
 */
int	 settings_set(struct settings *, const char *name, const char *value,
	    char **cause);
/* Current value of option name as text (caller frees), NULL if unknown. */
char	*settings_get(const struct settings *, const char *name);
/* The sampling parameters as a JSON object (caller frees): the one
 * format of session_params_json(), without the engine keys. */
char	*settings_json(const struct settings *);
/* Apply a JSON object made by settings_json() or an older format (see
 * session_params_read); unknown keys ignored. */
void	 settings_from_json(struct settings *, const char *json);

/*
 * The input history file holds one entry a line, so a multi-line input is
 * stored with its newlines escaped: slash_hist_escape turns '\\' into
 * "\\\\" and '\n' into "\\n"; slash_hist_unescape reverses that and leaves
 * any other backslash alone (history written before escaping came back
 * as it was).  Both return a new string the caller frees.
 */
char	*slash_hist_escape(const char *);
char	*slash_hist_unescape(const char *);
#endif
