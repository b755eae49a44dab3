/*
 * sse.h -- an incremental parser of Server-Sent Events as inference
 * servers and the proxies before them send them, and of the OpenAI
 * stream's JSON chunks.  No I/O: bytes go in as they arrive from the
 * network, split anywhere, and whole events come out.
 */
#ifndef SSE_H
#define SSE_H

#include <stddef.h>

struct sse;

/*
 * Called with each event's data (the "data:" lines of one event joined
 * by '\n', NUL-terminated, len bytes; events without data lines are not
 * reported).  Return nonzero to stop parsing (sse_feed then returns 1).
 */
typedef int (*sse_event_fn)(const char *data, size_t len, void *arg);

/* A parser; max_event bytes of data per event at most (0 = 16 MiB). */
struct sse	*sse_new(size_t max_event, sse_event_fn, void *arg);
void		 sse_free(struct sse *);
/*
 * Feed len bytes.  Lines end with LF, CRLF or CR (also when the CR and
 * LF arrive in separate calls); "data:" with or without one space;
 * comment lines (":...") and other fields are ignored; an empty line
 * ends an event.  0, 1 (the callback stopped it), or -1 when an event
 * is larger than max_event.
 */
int		 sse_feed(struct sse *, const char *data, size_t len);
/* End of stream: report a pending event that lacked its empty line. */
int		 sse_finish(struct sse *);

/* One chunk of an OpenAI-style stream (the data of one event). */
enum oai_kind {
	OAI_CHUNK,	/* text and/or finish_reason */
	OAI_DONE,	/* the payload was exactly "[DONE]" */
	OAI_ERROR,	/* an "error" object: message */
	OAI_BAD,	/* not JSON, or not an object: message says why */
};

struct oai_chunk {
	enum oai_kind	 kind;
	char		*text;		/* choices[0].delta.content (chat),
					   choices[0].message.content (a
					   whole, non-stream answer) or
					   choices[0].text (completions);
					   NULL when none */
	char		*finish;	/* choices[0].finish_reason or NULL */
	char		*model;		/* "model" or NULL */
	char		*fingerprint;	/* "system_fingerprint" or NULL */
	char		*message;	/* OAI_ERROR / OAI_BAD: one line */
	int		 n_prompt;	/* usage.prompt_tokens, -1 if absent */
	int		 n_gen;		/* usage.completion_tokens, -1 */
	double		 prefill_tps;	/* llama-server's timings:
					   prompt_per_second, 0 = absent */
	double		 decode_tps;	/* predicted_per_second, 0 */
};

/* Decode one event's data into *c (free with oai_chunk_free). */
void	 oai_parse(const char *data, size_t len, struct oai_chunk *c);
void	 oai_chunk_free(struct oai_chunk *);

#endif
