/*
 * ask-store.h -- what `medchat ask` needs from the store, kept out of
 * cmd-ask.c: the --db/--continue/--no-save/--accept-advisory options, the
 * advisory gate, saving the question before generation and the answer
 * while it streams, with its provenance.  The two helpers at the end
 * (sampling parameters as JSON, provenance from the engine) serve the
 * TUI as well.
 */
#ifndef ASK_STORE_H
#define ASK_STORE_H

#include <stdint.h>

#include "engine.h"
#include "store.h"

struct ask_store_opts {
	const char	*db;		/* --db, NULL = default */
	int64_t		 continue_id;	/* --continue ID, 0 = new */
	int		 no_save;	/* --no-save */
	int		 accept_advisory; /* --accept-advisory */
};

/* getopt_long entries (append to the command's table) and their codes. */
#define ASK_STORE_OPT_DB	1001
#define ASK_STORE_OPT_CONTINUE	1002
#define ASK_STORE_OPT_NOSAVE	1003
#define ASK_STORE_OPT_ACCEPT	1004
#define ASK_STORE_LONGOPTS \
	{ "db", required_argument, NULL, ASK_STORE_OPT_DB }, \
	{ "continue", required_argument, NULL, ASK_STORE_OPT_CONTINUE }, \
	{ "no-save", no_argument, NULL, ASK_STORE_OPT_NOSAVE }, \
	{ "accept-advisory", no_argument, NULL, ASK_STORE_OPT_ACCEPT }
#define ASK_STORE_USAGE \
	"[--db PATH] [--continue ID] [--no-save] [--accept-advisory]"

/*
 * Handle option ch (from getopt_long) if it is one of ours: 1 if it was,
 * 0 if not ours, -1 on a bad value (message printed).
 */
int	 ask_store_getopt(struct ask_store_opts *, int ch, const char *arg);

struct ask_store;

/*
 * Before generation: open the store, check the advisory acknowledgement
 * for the loaded model (recording one for --accept-advisory or after an
 * interactive "I understand" on a terminal; refusing otherwise), then
 * unless --no-save create the conversation (or load --continue ID) and
 * commit the question.  *msgs and *n (owned by the ask_store) are what to
 * pass to engine_chat: the conversation so far plus the question, with
 * system (or the conversation's system message) first.  A question or
 * system message that is not valid UTF-8 is refused before anything is
 * opened.  0, or -1 and *cause; on -1 nothing needs freeing.
 */
int	 ask_store_begin(const struct ask_store_opts *, struct engine *,
	    const char *system, const char *tmpl,
	    const struct engine_sampling *, const char *question,
	    struct ask_store **, const struct engine_msg **msgs, int *n,
	    char **cause);
/* Save streamed text (call before printing it).  Never fails visibly:
 * a save error is reported once on stderr and generation goes on. */
void	 ask_store_emit(struct ask_store *, const char *text, size_t len);
/*
 * After engine_chat returned rv (res valid when rv == 0; errtext its
 * cause otherwise): finish the answer as complete, cancelled or error
 * with its token counts and speeds.  Frees as.  0 or -1 (printed).
 */
int	 ask_store_end(struct ask_store *as, int rv,
	    const struct engine_result *res, const char *errtext);

/* Sampling parameters as a JSON object (caller frees). */
char	*ask_store_params_json(const struct engine_sampling *);
/*
 * Provenance of an answer from the engine's info, the file's sha256 (may
 * be NULL), the template used and the sampling: strings are new (free
 * with store_prov_free).
 */
void	 ask_store_prov(struct store_prov *, const struct engine_info *,
	    const char *sha256, const char *tmpl,
	    const struct engine_sampling *);

#endif
