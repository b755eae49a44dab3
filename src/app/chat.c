/*
 * chat.c -- the conversation model (see chat.h).
 *
 * Invariants: msgs[0..n) are valid; every mutator bumps both the message
 * generation and chat->gen, which is all a view needs to decide whether
 * its wrapped lines are stale.  A message's generation comes from one
 * process-wide counter (the UI thread alone uses chats), so it also tells
 * one message from another: a view can keep per-message work (the
 * Markdown rendering) for as long as the generation is the same.
 */
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "xmalloc.h"

static void	 chat_touch(struct chat *, size_t);

static unsigned	 chat_serial;

struct chat *
chat_create(void)
{
	struct chat	*c;

	c = xcalloc(1, sizeof *c);
	c->system = xstrdup("");
	c->sel = -1;
	return c;
}

void
chat_clear(struct chat *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		buf_free(&c->msgs[i].text);
		free(c->msgs[i].model);
		free(c->msgs[i].error);
	}
	c->n = 0;
	c->conv_id = 0;
	c->sel = -1;
	c->gen++;
}

void
chat_free(struct chat *c)
{
	if (c == NULL)
		return;
	chat_clear(c);
	free(c->msgs);
	free(c->system);
	free(c);
}

static void
chat_touch(struct chat *c, size_t i)
{
	c->msgs[i].gen = ++chat_serial;
	c->gen++;
}

size_t
chat_add(struct chat *c, enum chat_role role, const char *text)
{
	struct chat_msg	*m;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 16 : c->cap * 2;
		c->msgs = xreallocarray(c->msgs, c->cap, sizeof *c->msgs);
	}
	m = &c->msgs[c->n];
	memset(m, 0, sizeof *m);
	m->role = role;
	m->status = CHAT_COMPLETE;
	if (text != NULL)
		buf_puts(&m->text, text);
	c->n++;
	chat_touch(c, c->n - 1);
	return c->n - 1;
}

void
chat_append(struct chat *c, size_t i, const char *text, size_t len)
{
	if (i >= c->n || len == 0)
		return;
	buf_append(&c->msgs[i].text, text, len);
	chat_touch(c, i);
}

void
chat_set_text(struct chat *c, size_t i, const char *text)
{
	if (i >= c->n)
		return;
	buf_clear(&c->msgs[i].text);
	buf_puts(&c->msgs[i].text, text);
	chat_touch(c, i);
}

void
chat_set_status(struct chat *c, size_t i, enum chat_status st)
{
	if (i >= c->n)
		return;
	c->msgs[i].status = st;
	chat_touch(c, i);
}

void
chat_set_model(struct chat *c, size_t i, const char *model)
{
	if (i >= c->n)
		return;
	free(c->msgs[i].model);
	c->msgs[i].model = model != NULL ? xstrdup(model) : NULL;
	chat_touch(c, i);
}

void
chat_set_error(struct chat *c, size_t i, const char *error)
{
	char	*p;

	if (i >= c->n)
		return;
	free(c->msgs[i].error);
	c->msgs[i].error = NULL;
	if (error != NULL) {
		c->msgs[i].error = xstrdup(error);
		for (p = c->msgs[i].error; *p != '\0'; p++) {
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		}
	}
	chat_touch(c, i);
}

void
chat_set_system(struct chat *c, const char *s)
{
	free(c->system);
	c->system = xstrdup(s != NULL ? s : "");
	c->gen++;
}

void
chat_supersede(struct chat *c, size_t i)
{
	if (i >= c->n)
		return;
	c->msgs[i].superseded = 1;
	chat_touch(c, i);
}

void
chat_select(struct chat *c, long i)
{
	if (i < 0 || (size_t)i >= c->n)
		i = -1;
	if (c->sel != i) {
		c->sel = i;
		c->gen++;
	}
}

void
chat_set_alt(struct chat *c, size_t i, int alt_i, int alt_n)
{
	if (i >= c->n)
		return;
	if (alt_n < 2 || alt_i < 1 || alt_i > alt_n)
		alt_i = alt_n = 0;
	c->msgs[i].alt_i = alt_i;
	c->msgs[i].alt_n = alt_n;
	chat_touch(c, i);
}

void
chat_set_outside(struct chat *c, size_t i, int outside)
{
	if (i >= c->n || c->msgs[i].outside == (outside != 0))
		return;
	c->msgs[i].outside = outside != 0;
	chat_touch(c, i);
}

long
chat_last(const struct chat *c, enum chat_role role)
{
	size_t	i;

	for (i = c->n; i > 0; i--) {
		if (c->msgs[i - 1].role == role && !c->msgs[i - 1].superseded)
			return (long)(i - 1);
	}
	return -1;
}

int
chat_context(const struct chat *c, int **roles, const char ***texts,
    long **idx)
{
	const struct chat_msg	*m;
	size_t			 i;
	int			 n = 0;

	*roles = xcalloc(c->n + 1, sizeof **roles);
	*texts = xcalloc(c->n + 1, sizeof **texts);
	*idx = xcalloc(c->n + 1, sizeof **idx);
	if (c->system[0] != '\0') {
		(*idx)[n] = -1;
		(*roles)[n] = CHAT_SYSTEM;
		(*texts)[n++] = c->system;
	}
	for (i = 0; i < c->n; i++) {
		m = &c->msgs[i];
		if (m->superseded || m->status == CHAT_FAILED ||
		    m->status == CHAT_SAVING || m->status == CHAT_UNSAVED)
			continue;
		if (m->role != CHAT_USER && m->role != CHAT_ASSISTANT)
			continue;
		if (m->role == CHAT_ASSISTANT && m->text.len == 0)
			continue;
		(*idx)[n] = (long)i;
		(*roles)[n] = m->role;
		(*texts)[n++] = buf_str(&m->text);
	}
	return n;
}
