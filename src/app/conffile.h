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
 *	ctx = N			context size in tokens (0 = the model's)
 *	threads = N		inference threads (0 = all cores)
 *	template = NAME		chat template
 *	input-history = on|off	keep the input line's history file
 *				($XDG_DATA_HOME/medchat/history); off
 *				reads and writes none
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

struct conffile {
	char	**models_dirs;		/* in file order */
	size_t	  n_models_dirs;
	int	  ctx;			/* -1 = not set */
	int	  threads;		/* -1 = not set */
	char	 *template_name;	/* NULL = not set */
	int	  input_history;	/* -1 = not set, 0 = off, 1 = on */

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
 * 0, nothing set); one that cannot be read adds a warning naming it.
 * Returns the number of bad lines found (an unreadable file counts one).
 */
size_t	 conffile_load(struct conffile *c, const char *path);

/*
 * The default path: $XDG_CONFIG_HOME/medchat/medchat.conf, else
 * $HOME/.config/medchat/medchat.conf; NULL if neither is set.  The
 * caller frees it.
 */
char	*conffile_default_path(void);
#endif
