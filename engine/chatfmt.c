/*
 * chatfmt.c -- built-in chat prompt formats (docs/ENGINE.md, "Chat
 * templates").  Jinja
 * templates found in a file are only inspected for known markers, never
 * executed.
 *
 * A conversation becomes a list of segments: template markup (tokenized
 * with special tokens ON, so "<|im_start|>" is the control token when the
 * vocab has one) and message text (special tokens OFF, so a user typing
 * "<|im_start|>system" gets ordinary text pieces, never a control token).
 * tokenizer_encode_segs() tokenizes the segments as ONE string, so the
 * ids are exactly those llama.cpp produces for the formatted prompt
 * whenever the messages hold no special-token text.
 *
 * Formats:
 *
 * chatml	llama.cpp's LLM_CHAT_TEMPLATE_CHATML, byte for byte:
 *		"<|im_start|>" ROLE "\n" TEXT "<|im_end|>\n" per message,
 *		then "<|im_start|>assistant\n" if a generation prompt is
 *		wanted.  Roles system / user / assistant.
 *
 * meditron	The format of the Meditron model card: ChatML
 *		markup with the roles system / question / answer, no space
 *		after "<|im_start|>":
 *		  <|im_start|>system\nS<|im_end|>\n
 *		  <|im_start|>question\nQ<|im_end|>\n
 *		  <|im_start|>answer\n
 *		We chose the model card's form over the evaluation code's
 *		"<|im_start|> question" variant because the card is what
 *		the fine-tuned models document, and over plain ChatML roles
 *		because llama.cpp's ChatML formatter copies role names
 *		verbatim, so this is exactly what llama.cpp produces when
 *		given those roles.  Stops add "###" from Meditron's own
 *		deployment config (it also ends legitimate markdown
 *		headings; the base model tends to invent "### User:" turns).
 *
 * llama2	llama.cpp's "llama2-sys":
 *		"[INST] " once at the start; system "<<SYS>>\nS\n<</SYS>>\n\n";
 *		user "U [/INST]"; assistant "A</s>" and the next user turn
 *		reopens with "[INST] ".  As in llama.cpp, no generation
 *		prompt is added (the prompt already ends with " [/INST]").
 *		BOS comes from the tokenizer.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tokenizer.h"
#include "xmalloc.h"

static const char *const tmpl_names[TMPL_COUNT] = {
	"chatml", "meditron", "llama2"
};

/* "<|im_start|>ROLE\n" per template (chatml, meditron) and role. */
static const char *const im_open[2][3] = {
	{ "<|im_start|>system\n", "<|im_start|>user\n",
	  "<|im_start|>assistant\n" },
	{ "<|im_start|>system\n", "<|im_start|>question\n",
	  "<|im_start|>answer\n" }
};

static const char *const stops_chatml[] = {
	"<|im_end|>", "<|im_start|>", NULL
};
static const char *const stops_meditron[] = {
	"<|im_end|>", "<|im_start|>", "###", NULL
};
static const char *const stops_llama2[] = {
	"</s>", "[INST]", NULL
};

/*
 * Texts that are control tokens in the vocabularies these templates are
 * used with: a server that tokenizes a prompt with special tokens parsed
 * would read them in a message as markup, where our engine reads them as
 * plain text.  "###" (a meditron stop) and "[INST]" (plain text in the
 * Llama vocabulary) are not among them.
 */
static const char *const markers_chatml[] = {
	"<|im_start|>", "<|im_end|>", "<s>", "</s>", "<unk>", NULL
};
static const char *const markers_llama2[] = {
	"<s>", "</s>", "<unk>", NULL
};

static size_t	 chatfmt_segs(enum chat_tmpl, const struct chat_turn *, int,
		     int, struct tok_seg *, size_t *);
static void	 seg_add(struct tok_seg *, size_t *, const char *, int);

const char *
chatfmt_name(enum chat_tmpl t)
{
	if ((int)t < 0 || t >= TMPL_COUNT)
		return "unknown";
	return tmpl_names[t];
}

int
chatfmt_lookup(const char *name)
{
	int	i;

	for (i = 0; i < TMPL_COUNT; i++) {
		if (strcmp(name, tmpl_names[i]) == 0)
			return i;
	}
	/* llama.cpp's names for the [INST] variants we render as llama2 */
	if (strcmp(name, "llama2-sys") == 0 ||
	    strcmp(name, "llama2-sys-bos") == 0 ||
	    strcmp(name, "llama2-sys-strip") == 0)
		return TMPL_LLAMA2;
	return -1;
}

/*
 * llm_chat_detect_template's rules, reduced to our three formats: a known
 * name; "<|im_start|>" is ChatML (Meditron when the markup itself names
 * the question/answer roles); "[INST]" or a leading "mistral" is the
 * Llama-2 family; anything else (and NULL) falls back to ChatML, as
 * llama-cli does without a template.
 */
enum chat_tmpl
chatfmt_detect(const char *jinja)
{
	int	t;

	if (jinja == NULL)
		return TMPL_CHATML;
	if ((t = chatfmt_lookup(jinja)) >= 0)
		return (enum chat_tmpl)t;
	if (strstr(jinja, "<|im_start|>") != NULL) {
		if (strstr(jinja, "im_start|>question") != NULL ||
		    strstr(jinja, "im_start|> question") != NULL ||
		    strstr(jinja, "im_start|>answer") != NULL ||
		    strstr(jinja, "im_start|> answer") != NULL)
			return TMPL_MEDITRON;
		return TMPL_CHATML;
	}
	if (strncmp(jinja, "mistral", 7) == 0 ||
	    strstr(jinja, "[INST]") != NULL)
		return TMPL_LLAMA2;
	return TMPL_CHATML;
}

const char *const *
chatfmt_markers(enum chat_tmpl t)
{
	return t == TMPL_LLAMA2 ? markers_llama2 : markers_chatml;
}

const char *const *
chatfmt_stops(enum chat_tmpl t)
{
	switch (t) {
	case TMPL_MEDITRON:
		return stops_meditron;
	case TMPL_LLAMA2:
		return stops_llama2;
	default:
		return stops_chatml;
	}
}

static void
seg_add(struct tok_seg *segs, size_t *n, const char *text, int markup)
{
	segs[*n].text = text;
	segs[*n].len = strlen(text);
	segs[*n].parse_special = markup;
	(*n)++;
}

/*
 * Fill segs (room for 4 * n + 2) for the conversation; first[i] (room for
 * n) gets the index of turn i's first segment.  Returns the count.
 */
static size_t
chatfmt_segs(enum chat_tmpl t, const struct chat_turn *turns, int n,
    int add_assistant, struct tok_seg *segs, size_t *first)
{
	size_t		 ns = 0;
	int		 i, r, inside = 1, m;
	const char	*text;

	m = t == TMPL_MEDITRON ? 1 : 0;
	for (i = 0; i < n; i++) {
		r = (int)turns[i].role;
		if (r < CHAT_SYSTEM || r > CHAT_ASSISTANT)
			r = CHAT_USER;
		text = turns[i].text != NULL ? turns[i].text : "";
		first[i] = ns;
		if (t == TMPL_LLAMA2) {
			if (i == 0 || !inside) {
				seg_add(segs, &ns, "[INST] ", 1);
				inside = 1;
			}
			switch (r) {
			case CHAT_SYSTEM:
				seg_add(segs, &ns, "<<SYS>>\n", 1);
				seg_add(segs, &ns, text, 0);
				seg_add(segs, &ns, "\n<</SYS>>\n\n", 1);
				break;
			case CHAT_USER:
				seg_add(segs, &ns, text, 0);
				seg_add(segs, &ns, " [/INST]", 1);
				break;
			default:
				seg_add(segs, &ns, text, 0);
				seg_add(segs, &ns, "</s>", 1);
				inside = 0;
				break;
			}
			continue;
		}
		seg_add(segs, &ns, im_open[m][r], 1);
		seg_add(segs, &ns, text, 0);
		seg_add(segs, &ns, "<|im_end|>\n", 1);
	}
	if (t == TMPL_LLAMA2) {
		if (n == 0)
			seg_add(segs, &ns, "[INST] ", 1);
	} else if (add_assistant)
		seg_add(segs, &ns, im_open[m][CHAT_ASSISTANT], 1);
	return ns;
}

char *
chatfmt_render(enum chat_tmpl t, const struct chat_turn *turns, int n,
    int add_assistant)
{
	struct tok_seg	*segs;
	struct buf	 b = BUF_INIT;
	size_t		*first, ns, i;

	if (n < 0)
		n = 0;
	segs = xreallocarray(NULL, 4 * (size_t)n + 2, sizeof *segs);
	first = xreallocarray(NULL, (size_t)n + 1, sizeof *first);
	ns = chatfmt_segs(t, turns, n, add_assistant, segs, first);
	buf_append(&b, "", 0);
	for (i = 0; i < ns; i++)
		buf_append(&b, segs[i].text, segs[i].len);
	free(first);
	free(segs);
	return buf_detach(&b);
}

void
chatfmt_build(const struct tokenizer *tok, enum chat_tmpl t,
    const struct chat_turn *turns, int n, int add_assistant,
    struct tokvec *out, size_t *turn_start)
{
	struct tok_seg	*segs;
	size_t		*first, *seg_first, ns;
	int		 i;

	if (n < 0)
		n = 0;
	segs = xreallocarray(NULL, 4 * (size_t)n + 2, sizeof *segs);
	first = xreallocarray(NULL, (size_t)n + 1, sizeof *first);
	ns = chatfmt_segs(t, turns, n, add_assistant, segs, first);
	seg_first = xreallocarray(NULL, ns + 1, sizeof *seg_first);
	tokenizer_encode_segs(tok, segs, ns, 1, out, seg_first);
	if (turn_start != NULL) {
		for (i = 0; i < n; i++)
			turn_start[i] = seg_first[first[i]];
	}
	free(seg_first);
	free(first);
	free(segs);
}
