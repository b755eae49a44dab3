/*
 * conffile.h -- the chat's settings file, $XDG_CONFIG_HOME/medchat/medchat.conf
 * (default ~/.config/medchat/medchat.conf).
 *
 * One setting a line, "key = value"; blank lines and lines whose first
 * non-blank character is '#' are ignored; spaces and tabs around key and
 * value (and a CR before the newline) do not count.  Keys:
 *
 *	models-dir = DIR	also list the GGUF files in DIR in the model
 *				menu (repeatable; a leading ~/ is $HOME)
 *	ctx = N			context size in tokens (0 = the model's,
 *				else 64 or more)
 *	temp, top-k, top-p, min-p, repeat-penalty, seed, max-tokens = V
 *				the generation settings of /set (their
 *				values are checked by prefs_conf, which
 *				adds its warnings here)
 *	system = NAME		the system-message preset (default,
 *				concise, patient, differential, exam,
 *				none), checked by prefs_conf too
 *	threads = N		inference threads (0 = all cores)
 *	template = NAME		chat template
 *	input-history = on|off	keep the input line's history file
 *				($XDG_DATA_HOME/medchat/history); off
 *				reads and writes none
 *	prefix-cache = on|off	keep the K/V of the system message in
 *				$XDG_CACHE_HOME/medchat/prefix, so that a
 *				first question does not evaluate it again
 *				(default on)
 *
 * A line "[endpoint NAME]" starts the section of a remote endpoint (a
 * server speaking the OpenAI API: llama-server, vLLM, Ollama), which
 * `--endpoint NAME` and the model menu use; NAME is 1 to
 * CONFFILE_NAME_MAX of [A-Za-z0-9._-].  Its keys, up to the next
 * section:
 *
 *	url = URL		base URL, http:// or https://, required
 *	model = ID		model id (default: the first served)
 *	template = NAME		raw mode with this built-in template
 *				(default: the server's chat template)
 *	cacert = FILE		CA bundle for https (a leading ~/ is $HOME)
 *	api_key_env = VAR	environment variable holding the API key
 *				(default MEDCHAT_API_KEY)
 *	api_key = KEY		the key itself: only in a file no one else
 *				may read (mode 0600 or stricter), else
 *				conffile_load refuses the whole file
 *
 * Every setting above the first section is the chat's; a key of the
 * other kind inside a section is a bad line.  The same NAME again
 * replaces the earlier section (with a warning); a section without url
 * is dropped (with a warning).  An API key is never quoted in a warning.
 *
 * The file is untrusted text: a bad line (unknown key, bad number, no
 * '=', not UTF-8, a NUL byte, longer than CONFFILE_LINE_MAX) is skipped
 * with a one-line warning "FILE:LINE: what" and the rest still counts;
 * nothing in it ever stops the program.  A later value of a key replaces
 * an earlier one, except models-dir which adds.
 */
#ifndef CONFFILE_H
#define CONFFILE_H
#include <stddef.h>

#define CONFFILE_LINE_MAX		4096	/* bytes in a line, newline excluded */
#define CONFFILE_DIRS_MAX		32	/* models-dir lines kept */
#define CONFFILE_WARN_MAX		16	/* warnings kept (all are counted) */
#define CONFFILE_ENDPOINTS_MAX		32	/* [endpoint] sections kept */
#define CONFFILE_NAME_MAX		32	/* bytes in an endpoint's name */

/* One [endpoint NAME] section; NULL = not set. */
struct conffile_endpoint {
	char	 *name;
	char	 *url;
	char	 *model;
	char	 *template_name;
	char	 *cacert;
	char	 *api_key_env;
	char	 *api_key;		/* wiped when freed */
	size_t	  line;			/* of the section's header */
};

/* A generation setting (or system) line, its value not yet checked. */
struct conffile_set {
	char	 *name;			/* "temp", ..., "system" */
	char	 *value;
	size_t	  line;
};

struct conffile {
	char	**models_dirs;		/* in file order */
	size_t	  n_models_dirs;
	int	  ctx;			/* -1 = not set */
	int	  threads;		/* -1 = not set */
	char	 *template_name;	/* NULL = not set */
	int	  input_history;	/* -1 = not set, 0 = off, 1 = on */
	int	  prefix_cache;		/* -1 = not set, 0 = off, 1 = on */
	size_t	  ctx_line;		/* ctx's line, 0 = not set */
	struct conffile_set *sets;	/* in file order (a later line of
					   the same name counts) */
	size_t	  n_sets;
	char	 *path;			/* as given to conffile_load, or
					   NULL */
	struct conffile_endpoint *endpoints;	/* in file order */
	size_t	  n_endpoints;
	/*
	 * Why conffile_load ignored the whole file (it holds an api_key and
	 * others may read it): one line naming the file and its mode, also
	 * the first warning; NULL when it did not.
	 */
	char	 *refused;

	char	**warnings;		/* "FILE:LINE: what", sanitized */
	size_t	  n_warnings;		/* kept, <= CONFFILE_WARN_MAX */
	size_t	  n_bad;		/* all bad lines, kept or not */
};

/* An empty configuration (nothing set). */
void	 conffile_init(struct conffile *);
void	 conffile_free(struct conffile *);

/*
 * Parse text[0..len) (any bytes) as the file called name (used only in
 * warnings) into c, on top of what c holds.  Never fails; returns the
 * number of bad lines found.
 */
size_t	 conffile_parse(struct conffile *c, const char *name, const char *text,
	    size_t len);

/*
 * Read and parse the file at path.  A missing file is no error (returns
 * 0, nothing set); one that cannot be read adds a warning naming it.  A
 * file that sets an api_key while its mode lets the group or others read
 * it is refused: nothing of it is kept, c->refused and the first warning
 * say why.  Returns the number of bad lines found (an unreadable or
 * refused file counts one).
 */
size_t	 conffile_load(struct conffile *c, const char *path);

/*
 * Add a warning "FILE:LINE: what" about a line of the file (for checks
 * made outside the parser: prefs_conf); it counts as a bad line.
 */
void	 conffile_warn_line(struct conffile *, size_t line, const char *what);

/* The section [endpoint name], or NULL. */
const struct conffile_endpoint *conffile_endpoint(const struct conffile *,
	    const char *name);

/*
 * The default path: $XDG_CONFIG_HOME/medchat/medchat.conf, else
 * $HOME/.config/medchat/medchat.conf; NULL if neither is set.  The
 * caller frees it.
 */
char	*conffile_default_path(void);
#endif
