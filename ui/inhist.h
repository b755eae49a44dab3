/*
 * inhist.h -- the input history file, $XDG_DATA_HOME/medchat/history:
 * what the chat's input line remembers across runs (ui-input.c reads and
 * appends it through readline), and what deleting a conversation must
 * take out of it (the TUI's browser and `medchat history delete`).
 *
 * One entry a line, escaped with slash_hist_escape.  Every change to the
 * file is made holding an exclusive flock on "FILE.lock" (the file itself
 * is replaced by rename, so it cannot carry the lock): running instances
 * append their new lines at exit and never overwrite another's, and a
 * removal rewrites the file into a temporary one and renames it over,
 * mode 0600.
 */
#ifndef INHIST_H
#define INHIST_H
#include <stddef.h>
#include <stdint.h>

struct store;

/*
 * $XDG_DATA_HOME/medchat/history, else ~/.local/share/medchat/history;
 * NULL without a home directory.  The caller frees it.
 */
char	*inhist_default_path(void);

/*
 * Take the exclusive lock of the history file at path (waits for it).
 * Returns a descriptor for inhist_unlock, or -1 (the caller goes on
 * unlocked: the lock only orders medchat's own writers).
 */
int	 inhist_lock(const char *path);
void	 inhist_unlock(int fd);

/*
 * Remove every line of the file at path that equals one of lines[0..n)
 * (history lines, already escaped).  A missing file is no error.
 * Returns the number of lines removed, or -1 with *cause (the file is
 * then unchanged).
 */
int	 inhist_remove(const char *path, char *const *lines, size_t n,
	    char **cause);

/*
 * Delete conversation conv from the store and its questions (every user
 * message, edited-away ones too) from the history file at path (may be
 * NULL: the store only).  forget, when not NULL, gets the same lines to
 * drop from a running instance's memory.  Returns 0; -1 with *cause when
 * nothing was deleted; 1 with *cause when the conversation was deleted
 * but the history file could not be cleaned.
 */
int	 inhist_delete_conv(struct store *, int64_t conv, const char *path,
	    void (*forget)(char *const *, size_t), char **cause);
#endif
