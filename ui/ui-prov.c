/*
 * ui-prov.c -- where an answer came from, in a scrollable screen over
 * the chat: model file, SHA-256, quantization, template, the system
 * message it ran under, sampling parameters, seed, token counts and
 * speeds, kernel path or server, and how it ended.  Read from the store
 * (the record, not what the screen remembers), so it says what an
 * export or `history show` says.
 *
 * The text is built once as "Label: value" items; each is wrapped for
 * the width at every draw (a resize re-wraps), continuation rows
 * indented, so it fits 20 columns as well as 100.  Up/Down/PgUp/PgDn/
 * Home/End scroll; Esc or q goes back.  It is the one screen drawn
 * down to 20x6 (ui_redraw): the others need 40x10.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "session.h"
#include "ui-int.h"
#include "xmalloc.h"

struct prov {
	char		**items;	/* "Label: value", one per fact */
	size_t		  n;
	int64_t		  id;
	size_t		  top;		/* first shown row */
	size_t		  rows;		/* rows at the last draw */
};

static void	 prov_free(void *);
static void	 prov_draw(struct ui *, void *);
static int	 prov_key(struct ui *, void *, int);
static void	 prov_add(struct prov *, const char *, const char *);
static void	 prov_build(struct prov *, const struct store_msg *);

const struct ui_screen_ops ui_screen_prov = {
	"provenance", sizeof(struct prov), NULL, prov_free, NULL, prov_draw,
	prov_key, NULL, NULL, 1
};

/*
 * Open the provenance of answer id.  0, or -1 and *cause (not an
 * answer, not in the store).
 */
int
prov_open(struct ui *ui, int64_t id, char **cause)
{
	struct store_msg	 m;
	struct prov		*p;

	if (store_msg_get(ui->store, id, &m, cause) != 0)
		return -1;
	if (m.role != STORE_ROLE_ASSISTANT) {
		store_msg_free(&m);
		xasprintf(cause, "message %lld is a question: provenance is "
		    "kept for answers", (long long)id);
		return -1;
	}
	p = ui_screen_open(ui, &ui_screen_prov);
	p->id = id;
	prov_build(p, &m);
	store_msg_free(&m);
	return 0;
}

static void
prov_add(struct prov *p, const char *label, const char *value)
{
	p->items = xreallocarray(p->items, p->n + 1, sizeof *p->items);
	xasprintf(&p->items[p->n++], "%s: %s", label, value);
}

static void
prov_build(struct prov *p, const struct store_msg *m)
{
	const struct store_prov	*v = &m->prov;
	char			 t[40], *s;
	long			 nd;

	xasprintf(&s, "%lld, conversation %lld, %s", (long long)m->id,
	    (long long)m->conv_id, store_time_iso(m->created, t, sizeof t));
	prov_add(p, "Answer", s);
	free(s);
	/* How it ended first: a cut-off answer must not pass for whole. */
	if (m->error != NULL) {
		xasprintf(&s, "%s (%s)", store_status_name(m->status),
		    m->error);
		prov_add(p, "Ended", s);
		free(s);
	} else
		prov_add(p, "Ended", store_status_name(m->status));
	if ((s = store_prov_remote(v)) != NULL) {
		prov_add(p, "Server", s);
		free(s);
	}
	prov_add(p, "Model", v->model_file != NULL ? v->model_file :
	    "(not recorded)");
	if (v->endpoint_url == NULL) {
		prov_add(p, "SHA-256", v->model_sha256 != NULL ?
		    v->model_sha256 : "(not recorded)");
		prov_add(p, "Quantization", v->model_quant != NULL ?
		    v->model_quant : "(not recorded)");
	}
	prov_add(p, "Template", v->template_name != NULL ? v->template_name :
	    "the model's own");
	prov_add(p, "System message", v->system != NULL ? v->system :
	    "(none)");
	if ((s = session_params_text(v->params_json)) != NULL) {
		prov_add(p, "Sampling", s);
		free(s);
	} else
		prov_add(p, "Sampling", "(not recorded)");
	if (v->request_json != NULL &&
	    (s = session_params_text(v->request_json)) != NULL) {
		prov_add(p, "Sent to the server", s);
		free(s);
	}
	if (v->has_seed) {
		xasprintf(&s, "%llu", (unsigned long long)v->seed);
		prov_add(p, "Seed", s);
		free(s);
	} else
		prov_add(p, "Seed", "(none recorded)");
	xasprintf(&s, "%d in the prompt, %d generated", v->n_prompt,
	    v->n_gen);
	prov_add(p, "Tokens", s);
	free(s);
	xasprintf(&s, "prompt %.1f tok/s, answer %.1f tok/s", v->prefill_tps,
	    v->decode_tps);
	prov_add(p, "Speed", s);
	free(s);
	if (v->trimmed) {
		nd = session_dropped_count(v->dropped_json);
		if (nd >= 0)
			xasprintf(&s, "trimmed: %ld earlier message(s) left "
			    "out", nd);
		else
			s = xstrdup("trimmed");
		prov_add(p, "Context", s);
		free(s);
	} else
		prov_add(p, "Context", "the whole conversation");
}

static void
prov_free(void *data)
{
	struct prov	*p = data;

	xfreev(p->items, p->n);
}

static void
prov_draw(struct ui *ui, void *data)
{
	struct prov	*p = data;
	struct wrap	 wr = WRAP_INIT;
	struct buf	 b = BUF_INIT;
	const char	*s;
	size_t		 i, k, row, height;
	int		 w, ind;

	ui_fill(ui, 0, UA_STATUS);
	buf_printf(&b, " %s %lld", COLS < 30 ? "Answer" : "Provenance of "
	    "answer", (long long)p->id);
	ui_draw_text(ui, 0, 0, b.data, b.len, COLS, UA_STATUS);
	buf_free(&b);
	height = LINES > 3 ? (size_t)LINES - 3 : 1;
	/* Count the rows first: the scroll is clamped to them. */
	for (row = 0, i = 0; i < p->n; i++) {
		w = COLS > 4 ? COLS : 4;
		wrap_clear(&wr);
		wrap_text(&wr, p->items[i], strlen(p->items[i]), w - 2);
		row += wr.n > 0 ? wr.n : 1;
	}
	p->rows = row;
	if (p->top + height > p->rows)
		p->top = p->rows > height ? p->rows - height : 0;
	for (row = 0, i = 0; i < p->n; i++) {
		s = p->items[i];
		w = COLS > 4 ? COLS : 4;
		wrap_clear(&wr);
		wrap_text(&wr, s, strlen(s), w - 2);
		for (k = 0; k < wr.n; k++, row++) {
			if (row < p->top || row >= p->top + height)
				continue;
			ind = k == 0 ? 0 : 2;
			ui_draw_text(ui, 1 + (int)(row - p->top), ind,
			    s + wr.lines[k].off, wr.lines[k].len, COLS - ind,
			    UA_TEXT);
		}
		if (wr.n == 0)
			row++;
	}
	wrap_free(&wr);
	ui_draw_footer(ui, p->top + height < p->rows ? "more: PgDn/Down" :
	    NULL,
	    COLS < 40 ? "Esc back  Up/Dn" :
	    "Up/Down/PgUp/PgDn scroll  Esc/q back");
}

static int
prov_key(struct ui *ui, void *data, int key)
{
	struct prov	*p = data;
	size_t		 height, step;

	ui->dirty = 1;
	free(ui->msg);
	ui->msg = NULL;
	height = LINES > 3 ? (size_t)LINES - 3 : 1;
	step = height > 1 ? height - 1 : 1;
	switch (key) {
	case KEY_UP:
	case 'k':
	case UI_KEY_WHEEL_UP:
		p->top = p->top > 0 ? p->top - 1 : 0;
		return 1;
	case KEY_DOWN:
	case 'j':
	case UI_KEY_WHEEL_DOWN:
		p->top++;
		return 1;
	case KEY_PPAGE:
		p->top = p->top > step ? p->top - step : 0;
		return 1;
	case KEY_NPAGE:
	case ' ':
		p->top += step;
		return 1;
	case KEY_HOME:
		p->top = 0;
		return 1;
	case KEY_END:
		p->top = p->rows;
		return 1;
	case UI_KEY_ESC:
	case 'q':
	case 3:
		ui_screen_close(ui);
		return 1;
	}
	return 0;
}
