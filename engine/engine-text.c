/*
 * engine-text.c -- the parts of engine.h that need no model: the chat
 * templates by name (their names, a conversation rendered as text, their
 * stop strings and turn markers) and the tokenizer of a GGUF file alone
 * (engine_vocab_*: `medchat debug tokenize`, the vocabulary tests), which
 * maps the file and reads its vocabulary but loads no weights.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "gguf.h"
#include "tokenizer.h"
#include "xmalloc.h"

const char *const *
engine_template_names(void)
{
	static const char	*names[TMPL_COUNT + 1];
	int			 i;

	for (i = 0; i < TMPL_COUNT; i++)
		names[i] = chatfmt_name((enum chat_tmpl)i);
	names[TMPL_COUNT] = NULL;
	return names;
}

char *
engine_render_prompt(const char *tmpl, const struct engine_msg *msgs, int n,
    char **cause)
{
	struct chat_turn	*turns;
	char			 esc[96], *text;
	int			 r, i;

	r = tmpl != NULL ? chatfmt_lookup(tmpl) : -1;
	if (r < 0) {
		gguf_escape(tmpl != NULL ? tmpl : "", tmpl != NULL ?
		    strlen(tmpl) : 0, esc, sizeof esc);
		xasprintf(cause, "unknown template '%s' (try chatml, "
		    "meditron, llama2)", esc);
		return NULL;
	}
	if (n < 0)
		n = 0;
	turns = xcalloc(n > 0 ? (size_t)n : 1, sizeof *turns);
	for (i = 0; i < n; i++) {
		turns[i].role = (enum chat_role)msgs[i].role;
		turns[i].text = msgs[i].text != NULL ? msgs[i].text : "";
	}
	text = chatfmt_render((enum chat_tmpl)r, turns, n, 1);
	free(turns);
	return text;
}

const char *const *
engine_template_stops(const char *tmpl)
{
	int	r;

	r = tmpl != NULL ? chatfmt_lookup(tmpl) : -1;
	return r < 0 ? NULL : chatfmt_stops((enum chat_tmpl)r);
}

const char *const *
engine_template_markers(const char *tmpl)
{
	int	r;

	r = tmpl != NULL ? chatfmt_lookup(tmpl) : -1;
	return r < 0 ? NULL : chatfmt_markers((enum chat_tmpl)r);
}

/* ---- the tokenizer alone --------------------------------------------- */

struct engine_vocab {
	struct gguf_file	*gf;
	struct tokenizer	*tok;
};

int
engine_vocab_open(const char *path, struct engine_vocab **out, char **cause)
{
	struct engine_vocab	*v;

	*out = NULL;
	v = xcalloc(1, sizeof *v);
	/* tokenizer_load names the file and an unsupported tokenizer. */
	if (gguf_open(path, &v->gf, cause) != 0 ||
	    tokenizer_load(v->gf, &v->tok, cause) != 0) {
		engine_vocab_close(v);
		return -1;
	}
	*out = v;
	return 0;
}

void
engine_vocab_close(struct engine_vocab *v)
{
	if (v == NULL)
		return;
	tokenizer_free(v->tok);
	if (v->gf != NULL)
		gguf_close(v->gf);
	free(v);
}

int
engine_vocab_size(const struct engine_vocab *v)
{
	return tokenizer_n_vocab(v->tok);
}

void
engine_vocab_tokenize(const struct engine_vocab *v, const char *text,
    size_t len, int add_special, int parse_special, int32_t **ids, int *n)
{
	struct tokvec	tv = { NULL, 0, 0 };

	tokenizer_encode(v->tok, text, len, add_special &&
	    tokenizer_add_bos(v->tok), parse_special, &tv);
	tokvec_take(&tv, ids, n);
}

char *
engine_vocab_detokenize(const struct engine_vocab *v, const int32_t *ids,
    int n, size_t *len, char **cause)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (ids[i] < 0 || ids[i] >= tokenizer_n_vocab(v->tok)) {
			xasprintf(cause, "token id %d out of range (the "
			    "vocabulary has %d)", ids[i],
			    tokenizer_n_vocab(v->tok));
			return NULL;
		}
	}
	return tokenizer_decode_len(v->tok, ids, (size_t)n, 0, len);
}
