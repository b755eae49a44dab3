/*
 * chat.h -- the conversation as the UI shows it: plain C, no curses.
 *
 * Views (ui/ui-chat.c) render from this model plus geometry; every change
 * bumps chat->gen so views know to re-wrap.  Messages are never shared
 * with the worker thread: worker_chat() copies the texts it needs.
 */
#ifndef CHAT_H
#define CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum chat_role {
	CHAT_SYSTEM,
	CHAT_USER,
	CHAT_ASSISTANT,
	CHAT_NOTICE,	/* local information, never sent nor stored */
};

enum chat_status {
	CHAT_COMPLETE,
	CHAT_STREAMING,
	CHAT_STOPPED,		/* cancelled by the user */
	CHAT_INTERRUPTED,	/* found partial in the store */
	CHAT_FAILED,		/* the engine reported an error */
	CHAT_SAVING,		/* a question another process's write lock
				   keeps out of the store for now: not sent
				   to the model yet */
	CHAT_UNSAVED,		/* a question that could not be saved:
				   never sent */
};

struct chat_msg {
	enum chat_role	 role;
	enum chat_status status;
	struct buf	 text;
	int64_t		 id;		/* store id, 0 = not stored */
	int		 superseded;	/* replaced by /regen or /edit: shown
					   dimmed, not sent to the model */
	char		*model;		/* assistant: model file, or NULL */
	char		*error;		/* assistant: why it failed or was
					   cut off (one line: the engine's
					   or the server's words), or NULL */
	unsigned	 gen;		/* changed on every change: a serial
					   unique in the process, so views
					   may cache per message */
	unsigned	 saving;	/* its final save's ticket while
					   that runs (session_ticket) */
	int		 alt_i;		/* alternative alt_i of alt_n (the
					   store's siblings: same parent
					   and role), 1-based; 0 when it */
	int		 alt_n;		/*   has none or is not known */
	int		 outside;	/* left out of the prompt of the
					   last answer: the context window
					   cut it */
};

struct chat {
	struct chat_msg	*msgs;
	size_t		 n;
	size_t		 cap;
	int64_t		 conv_id;	/* store id, 0 = not stored yet */
	char		*system;	/* system message, never NULL */
	unsigned	 gen;		/* bumped on every change */
	long		 sel;		/* the selected message, -1 none */
};

struct chat	*chat_create(void);
void		 chat_free(struct chat *);
/* Drop all messages and forget the store id; keeps the system message. */
void		 chat_clear(struct chat *);
/* Append a message with a copy of text (may be NULL); returns its index. */
size_t		 chat_add(struct chat *, enum chat_role, const char *text);
/* Append len bytes to message i. */
void		 chat_append(struct chat *, size_t i, const char *text,
		     size_t len);
void		 chat_set_text(struct chat *, size_t i, const char *text);
void		 chat_set_status(struct chat *, size_t i, enum chat_status);
void		 chat_set_system(struct chat *, const char *);
void		 chat_set_model(struct chat *, size_t i, const char *);
/*
 * Why message i failed or was cut off (NULL: nothing), kept as one line:
 * line breaks and tabs become spaces.
 */
void		 chat_set_error(struct chat *, size_t i, const char *);
void		 chat_supersede(struct chat *, size_t i);
/* Select message i (-1: none); an index past the end selects none. */
void		 chat_select(struct chat *, long i);
/* Mark message i as alternative alt_i of alt_n (0 0: none). */
void		 chat_set_alt(struct chat *, size_t i, int alt_i, int alt_n);
/* Mark message i as left out of the model's context (or not). */
void		 chat_set_outside(struct chat *, size_t i, int outside);
/* Index of the last non-superseded message of role, or -1. */
long		 chat_last(const struct chat *, enum chat_role);
/*
 * Build the list the engine gets: the system message (if not empty), then
 * user and assistant messages that are not superseded, notices, failed,
 * or questions not saved (CHAT_SAVING, CHAT_UNSAVED).  Returns the count; *roles, *texts and *idx (the message index
 * of each, -1 for the system message) are arrays the caller frees (texts
 * point into the chat and stay valid until it changes).
 */
int		 chat_context(const struct chat *, int **roles,
		     const char ***texts, long **idx);

#endif
