/*
 * prefs.h -- the generation settings a user keeps: /set's settings
 * (temp, top-k, top-p, min-p, repeat-penalty, seed, max-tokens, ctx) and
 * the system message (a preset's name, or the text written in the
 * editor), each with where its value came from.
 *
 * Four places give a value, each over the one before:
 *
 *	default		engine_sampling_default(), ctx 0, preset "default"
 *	medchat.conf	the settings file's keys (conffile.h)
 *	saved		a /set (or the editor's C-s) in the chat: the
 *			database's settings table, keys "set.NAME"
 *	command line	an option of this run (--ctx, --set NAME=VALUE,
 *			ask's --temp...); never saved
 *
 * A resumed conversation brings its own settings (PREF_CONV) for as long
 * as it is open.  The chat and `medchat ask` read the same file and the
 * same database keys, so the same question gets the same settings.
 */
#ifndef PREFS_H
#define PREFS_H

#include <stdint.h>

#include "conffile.h"
#include "slash.h"
#include "store.h"

enum pref_src {
	PREF_DEFAULT,
	PREF_CONF,
	PREF_SAVED,
	PREF_CMDLINE,
	PREF_CONV,
	PREF_RUN,		/* a /set the database did not keep */
};

/* The settings of opt_table (in its order), then the system message. */
#define PREFS_NOPTS	8
#define PREFS_SYSTEM	PREFS_NOPTS
#define PREFS_N		(PREFS_NOPTS + 1)

struct prefs {
	enum pref_src	 src[PREFS_N];
	char		*preset;	/* a preset's name, or NULL with */
	char		*system_text;	/*   this text (the editor's own) */
};

/* Defaults for set and p. */
void	 prefs_init(struct settings *set, struct prefs *p);
void	 prefs_free(struct prefs *p);

/* "default", "medchat.conf", "saved by /set", "command line"... */
const char *prefs_src_name(enum pref_src);

/*
 * Set name ("temp"... or "system", whose value is a preset's name) to
 * value, coming from src.  0, or -1 with *cause naming the setting and
 * what it accepts (nothing changed).
 */
int	 prefs_set(struct settings *set, struct prefs *p, const char *name,
	    const char *value, enum pref_src src, char **cause);

/*
 * The settings file's values (ctx and the keys of c->sets) onto set and
 * p; a value that is not accepted becomes a warning of c ("FILE:LINE:
 * temp must be ...") and is skipped.
 */
void	 prefs_conf(struct settings *set, struct prefs *p, struct conffile *c);

/*
 * The values saved in the database onto set and p.  A stored value that
 * is not accepted (the database is untrusted) is skipped; 0, or -1 with
 * *cause naming the first such key (the others still apply).
 */
int	 prefs_load(struct settings *set, struct prefs *p, struct store *s,
	    char **cause);

/*
 * Keep name = value (NULL: forget the saved value) in the database;
 * value must have been accepted by prefs_set.  0 or -1 with *cause.
 */
int	 prefs_save(struct store *s, const char *name, const char *value,
	    char **cause);
/*
 * name back to the settings file's value, or its default when the file
 * has none (or one not accepted): for /set NAME reset, after the saved
 * value is forgotten.  0, or -1 with *cause for an unknown name.
 */
int	 prefs_reset(struct settings *set, struct prefs *p,
	    const struct conffile *c, const char *name, char **cause);
/* The editor's own system text, saved (NULL: forget it). */
int	 prefs_save_system_text(struct store *s, const char *text,
	    char **cause);

/* The system message in force: the preset's text or the own text. */
const char *prefs_system(const struct prefs *p);

/*
 * The system text chosen in the editor: a preset's name when text is
 * one's, else the text itself.  src as for prefs_set.
 */
void	 prefs_set_system(struct prefs *p, const char *text,
	    enum pref_src src);

/*
 * The /set listing: "NAME = VALUE  (where from) -- help" per setting,
 * then the system message's line.  Caller frees.
 */
char	*prefs_show(const struct settings *set, const struct prefs *p);

/*
 * Check a context size of n_ctx tokens for the model file path before
 * it is loaded: -1 with *cause when the model, its KV cache and run
 * buffers need more memory than is available (engine_mem_needed against
 * MemAvailable); 0 with *warn (or NULL) when n_ctx is beyond the context
 * the model was trained on.  who names the setting in both ("ctx",
 * "--ctx").  A file that cannot be probed is no error here (loading it
 * says why).
 */
int	 prefs_ctx_check(const char *path, int n_ctx, const char *who,
	    char **warn, char **cause);
/* The same against avail bytes (0: not known, never refused). */
int	 prefs_ctx_check_mem(const char *path, int n_ctx, const char *who,
	    uint64_t avail, char **warn, char **cause);
#endif
