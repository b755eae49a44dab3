/*
 * store.h -- the conversation store: one SQLite database per user holding
 * conversations, messages (with alternatives and provenance), the
 * model-risk advisory acknowledgements, settings and the model catalog.
 *
 * Threading: a struct store is used by ONE thread only (the UI thread in
 * the TUI, the main thread in the CLI).  Several processes may use the
 * same file at once (WAL, busy timeout, short IMMEDIATE transactions).
 *
 * Errors: every function that can fail returns -1 and sets *cause to one
 * line naming the database file (caller frees *cause with free()).  No
 * function prints anything.  Strings in the structs below are owned by
 * the struct and released by the matching *_free function; pointers to
 * const char passed in are copied, never kept.
 *
 * Time stamps are UTC milliseconds since the Unix epoch (int64_t);
 * store_time_iso() formats them.  Ids are SQLite rowids (> 0); 0 means
 * "none".
 *
 * No SQLite type appears here: the UI never sees the driver.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct store;

/* ---- opening --------------------------------------------------------- */

/*
 * The database path to use: path if not NULL, else $MEDCHAT_DB, else
 * $XDG_DATA_HOME/medchat/medchat.db, else ~/.local/share/medchat/medchat.db.
 * Returns a new string (caller frees); NULL with *cause if no home can be
 * found.
 */
char	*store_default_path(const char *path, char **cause);

/*
 * Open (creating if needed) the database at path (NULL = default above).
 * Creates the directory 0700 and the files 0600 (database, -wal, -shm).
 * Refuses, without writing to the file, a file that is not SQLite, is
 * another application's database (another PRAGMA application_id, or
 * none and tables that are not medchat's: identified read-only before
 * anything is changed, so its bytes, mode and times stay as they were
 * and nothing is created next to it), is corrupt (PRAGMA quick_check),
 * is locked for longer than the busy timeout or has a newer schema than
 * this program knows.  An empty file is initialised like a new one; a
 * medchat database of an older version (no application_id) is upgraded
 * and marked.  Migrates an
 * older schema (each step one transaction) after copying the file to
 * "<path>.bak-v<old>-<UTC time>".  Marks assistant messages left
 * 'streaming' by a process that no longer runs as 'interrupted'.
 *
 * An existing database that cannot be written (file or directory
 * without write permission for this process, a file with no write bit
 * in its mode -- even for root --, a read-only file system) is opened
 * read-only instead: everything that reads works, every function that
 * writes fails with "<file>: cannot ...: the database is read-only" and
 * the file is never changed.  A read-only database whose schema is
 * older than this program's is refused (it must be opened writable once
 * to be upgraded).  store_readonly() tells which mode was used.
 *
 * Returns 0 and *sp, or -1 and *cause.  Free with store_close().
 */
/*
 * The advisory in force (the app layer's advisory.h): its version and the
 * sha256 of its text.  Acknowledgements are checked against it and every
 * export names it.  The strings must outlive the store.
 */
struct store_advisory {
	const char	*version;
	const char	*sha256;
};

int	 store_open(const char *path, const struct store_advisory *adv,
	    struct store **sp, char **cause);
void	 store_close(struct store *);

/* 1 if the database was opened read-only (see store_open), else 0. */
int	 store_readonly(const struct store *);
/*
 * 0 if the database may be written, else -1 and *cause = "<file>: cannot
 * <what>: the database is read-only (...)".  For commands that write, to
 * refuse before asking questions or doing slow work.
 */
int	 store_writable(struct store *, const char *what, char **cause);

const char *store_path(const struct store *);	/* the file opened */
int	 store_schema_version(void);		/* the newest we know */
/* Copy of the backup made by store_open, or NULL if none was needed. */
const char *store_backup_path(const struct store *);
/* Messages marked interrupted by this store_open (for a notice). */
int	 store_n_interrupted(const struct store *);

/*
 * How long a call waits for another process's lock before it fails with
 * "the database is locked by another process", in milliseconds: 5000,
 * or $MEDCHAT_DB_TIMEOUT_MS, from store_open on.  store_set_busy_ms
 * changes it (0: fail at once, without a single sleep -- for a thread
 * that must not wait and tries again later) and returns the previous
 * setting, to restore.
 */
int	 store_set_busy_ms(struct store *, int ms);
int	 store_busy_ms(const struct store *);
/*
 * The number of calls on this store that failed because another process
 * held a lock (after the wait above).  Compared before and after a call
 * that failed, it tells a lock, which a later try may get past, from
 * every other failure.
 */
unsigned long store_lock_failures(const struct store *);

/* ---- conversations --------------------------------------------------- */

struct store_conv {
	int64_t		 id;
	char		*title;		/* never NULL ("" until named) */
	int64_t		 created;
	int64_t		 updated;	/* last message or change */
	char		*system;	/* system message, NULL = none */
	char		*template_name;	/* "chatml"..., NULL = model's */
	char		*model_file;	/* last model used: base name */
	char		*model_sha256;	/* 64 hex or NULL */
	char		*model_quant;	/* "Q4_K_M" or NULL */
	char		*params_json;	/* sampling params as JSON or NULL */
	int		 archived;
	int64_t		 current_leaf;	/* message at the end of the shown
					   path (0 = none yet) */
	/* filled by store_conv_get/store_conv_list only: */
	int		 n_messages;
	char		*preview;	/* first words of the first question */
	/*
	 * Read only (store_conv_create ignores it): 32 lowercase hex digits,
	 * random, made with the conversation and kept by export and import,
	 * so the same conversation imported twice is recognised.
	 */
	char		*uid;
};

/*
 * Create a conversation from the fields of init that are set (id,
 * created, updated, counts and preview are ignored; NULL strings stay
 * NULL; title NULL or "" means it is taken from the first question).
 * Returns 0 and *id, or -1.
 */
int	 store_conv_create(struct store *, const struct store_conv *init,
	    int64_t *id, char **cause);
/*
 * The same with its first question (NULL: none), in one transaction:
 * either both are there afterwards or neither.  0 and *id, *question_id
 * (either may be NULL), or -1.
 */
int	 store_conv_create_asked(struct store *, const struct store_conv *init,
	    const char *question, int64_t *id, int64_t *question_id,
	    char **cause);
/* Read one; -1 with "no conversation N" if absent.  Free with store_conv_free. */
int	 store_conv_get(struct store *, int64_t id, struct store_conv *out,
	    char **cause);

struct store_list_opts {
	int		 limit;		/* 0 = no limit */
	int		 offset;
	int		 archived;	/* 0 = active only, 1 = archived only,
					   -1 = both */
};
/* Newest (by updated) first.  *out is an array of *n; store_convs_free. */
int	 store_conv_list(struct store *, const struct store_list_opts *,
	    struct store_conv **out, size_t *n, char **cause);

int	 store_conv_rename(struct store *, int64_t id, const char *title,
	    char **cause);
int	 store_conv_set_archived(struct store *, int64_t id, int archived,
	    char **cause);
/* system NULL = none.  Applies to the next answer. */
int	 store_conv_set_system(struct store *, int64_t id, const char *system,
	    char **cause);
/* template NULL = model's; params_json NULL = defaults. */
int	 store_conv_set_settings(struct store *, int64_t id,
	    const char *template_name, const char *params_json, char **cause);
int	 store_conv_set_model(struct store *, int64_t id, const char *file,
	    const char *sha256, const char *quant, char **cause);
/* Select which alternative path is shown (leaf must be in conversation). */
int	 store_conv_set_leaf(struct store *, int64_t id, int64_t leaf,
	    char **cause);
/* Delete the conversation and all its messages. */
int	 store_conv_delete(struct store *, int64_t id, char **cause);

void	 store_conv_free(struct store_conv *);	/* frees members only */
void	 store_convs_free(struct store_conv *, size_t n);

/*
 * The models that answered in a conversation: what to show as its
 * model(s).  The conversation's own model columns are what the program
 * last selected for it (a menu switch, /new, /demo change them without
 * an answer), so they must not be shown as "the model used".
 */
struct store_conv_model {
	char		*model_file;
	char		*model_quant;
	char		*model_sha256;
	char		*endpoint_url;	/* a remote model's, else NULL */
	char		*remote_model;	/* its id, else NULL */
	int		 n_answers;	/* answers it gave here */
	int64_t		 last;		/* id of its latest answer here */
};
/*
 * Each distinct (file, quant, sha256, endpoint URL, remote model) of the
 * conversation's assistant messages that name a model, in the order of
 * their first answer; *n is 0 when no answer names one.  Free with
 * store_conv_models_free.
 */
int	 store_conv_models(struct store *, int64_t conv,
	    struct store_conv_model **out, size_t *n, char **cause);
void	 store_conv_models_free(struct store_conv_model *, size_t n);

/* Title made of the first words of text (at most ~60 bytes); caller frees. */
char	*store_title_from_text(const char *text);

/* ---- messages -------------------------------------------------------- */

enum store_role {
	STORE_ROLE_SYSTEM = 0,
	STORE_ROLE_USER,
	STORE_ROLE_ASSISTANT,
};

enum store_status {
	STORE_STATUS_COMPLETE = 0,
	STORE_STATUS_STREAMING,		/* being written right now */
	STORE_STATUS_INTERRUPTED,	/* the writer died (crash, kill -9) */
	STORE_STATUS_CANCELLED,		/* the user stopped it */
	STORE_STATUS_ERROR,		/* the engine failed: see error */
};

/* Where an assistant answer came from (all may be NULL/0 for others). */
struct store_prov {
	char		*model_file;	/* base name of the GGUF */
	char		*model_quant;
	char		*model_sha256;	/* 64 hex */
	char		*template_name;
	char		*params_json;	/* sampling parameters */
	uint64_t	 seed;
	int		 has_seed;
	int		 n_prompt;	/* prompt tokens */
	int		 n_gen;		/* generated tokens */
	double		 prefill_tps;
	double		 decode_tps;
	int		 trimmed;	/* context was trimmed */
	char		*dropped_json;	/* JSON array of the message ids
					   left out of the prompt, or NULL */
	/*
	 * The exact system message the answer was generated under.  Read:
	 * the text, or NULL for none.  Written (store_msg_add, the
	 * streaming functions, store_msg_finish): the text, "" for none,
	 * or NULL for "the conversation's current system message" (at the
	 * answer's creation; a finish with NULL keeps what was recorded).
	 * Each distinct text is stored once.
	 */
	char		*system;
	/*
	 * A remote answer's (a model an OpenAI-compatible server serves;
	 * all NULL for a local one, whose model_file names the GGUF): then
	 * model_file is the name shown ("lab: meditron-70b"), model_sha256
	 * and model_quant are NULL, and template_name is raw mode's
	 * built-in template or "server template".
	 */
	char		*endpoint;	/* its name in the settings file, or
					   NULL when given as a URL */
	char		*endpoint_url;	/* base URL, never with credentials */
	char		*remote_model;	/* the model id asked for */
	char		*server_model;	/* the model the server reported */
	char		*fingerprint;	/* its system_fingerprint */
	char		*request_json;	/* the sampling parameters as sent:
					   a JSON object */
};

struct store_msg {
	int64_t		 id;
	int64_t		 conv_id;
	int64_t		 parent_id;	/* 0 = first message */
	enum store_role	 role;
	char		*content;	/* never NULL */
	int64_t		 created;
	int64_t		 updated;
	enum store_status status;
	char		*error;		/* for STORE_STATUS_ERROR, else NULL */
	struct store_prov prov;
};

/*
 * Add a finished message (a user question, a system note, an imported
 * or complete answer) as a child of parent (0 = root), in one
 * transaction; the conversation's updated time and current leaf move to
 * it.  The first user message names an untitled conversation.  prov may
 * be NULL.  Returns 0 and *id (may be NULL), or -1.
 */
int	 store_msg_add(struct store *, int64_t conv, int64_t parent,
	    enum store_role, const char *content, enum store_status,
	    const struct store_prov *prov, int64_t *id, char **cause);
/* Replace content (and status) of a message, one transaction. */
int	 store_msg_update(struct store *, int64_t id, const char *content,
	    size_t len, enum store_status, char **cause);
/* Set status (and error text, may be NULL) and provenance (may be NULL). */
int	 store_msg_finish(struct store *, int64_t id, enum store_status,
	    const char *error, const struct store_prov *prov, char **cause);
int	 store_msg_get(struct store *, int64_t id, struct store_msg *out,
	    char **cause);
/* Every message of the conversation (all alternatives), oldest first. */
int	 store_msg_list(struct store *, int64_t conv, struct store_msg **out,
	    size_t *n, char **cause);
/*
 * The path from the first message down to leaf (0 = the conversation's
 * current leaf), oldest first: what the transcript shows and what is
 * sent to the model.
 */
int	 store_msg_path(struct store *, int64_t conv, int64_t leaf,
	    struct store_msg **out, size_t *n, char **cause);
/*
 * Alternatives of message id: the messages with the same parent and
 * role (id itself included), oldest first; *index is id's position.
 */
int	 store_msg_alternatives(struct store *, int64_t id,
	    int64_t **ids, size_t *n, size_t *index, char **cause);

/*
 * The end of message id's own continuation: from id down, the newest
 * child at each level (id itself when it has none).  What the
 * transcript shows after id when id becomes the shown alternative.
 */
int	 store_msg_descend(struct store *, int64_t id, int64_t *leaf,
	    char **cause);

/*
 * 1 if answer path[i] ran under another system message than the answer
 * before it in path[0..n) (or is the first answer): where a transcript
 * must show the system message (prov.system) again.
 */
int	 store_system_changes(const struct store_msg *path, size_t n,
	    size_t i);

/*
 * A remote answer's provenance in one line, as `history show` and the
 * Markdown and text exports write it: "remote: lab http://gpu1:8000/v1,
 * model meditron-70b (server: epfl-llm/meditron-70b, fingerprint fp_1),
 * server template"; NULL for a local answer (no endpoint_url).  The text
 * comes from the database: the caller makes it safe to show.  Caller
 * frees.
 */
char	*store_prov_remote(const struct store_prov *);

void	 store_msg_free(struct store_msg *);	/* members only */
void	 store_msgs_free(struct store_msg *, size_t n);
void	 store_prov_free(struct store_prov *);	/* members only */

const char *store_role_name(enum store_role);	/* "user"... */
const char *store_status_name(enum store_status); /* "complete"... */
int	 store_role_parse(const char *, enum store_role *);
int	 store_status_parse(const char *, enum store_status *);

/*
 * Streaming persistence of one assistant answer.  The row is created at
 * the first store_stream_append (status 'streaming', with prov), its
 * content rewritten at most every 250 ms, and on store_stream_finish
 * (final status, error text, final provenance with token counts).  The
 * user message must already be committed (store_msg_add).  A finish
 * without any text still creates the row (an empty cancelled or failed
 * answer is a fact worth keeping).  If a flush fails the stream keeps
 * the text in memory and tries again at the next append/finish.
 */
struct store_stream;

struct store_stream *store_stream_start(struct store *, int64_t conv,
	    int64_t parent, const struct store_prov *prov);
int	 store_stream_append(struct store_stream *, const char *text,
	    size_t len, char **cause);
/*
 * Save text appended more than STORE_STREAM_FLUSH_MS ago and not yet
 * saved (when tokens pause, appends alone would leave it unsaved): call
 * from an idle loop, e.g. the UI's poll() timeout.  0 or -1 with cause.
 */
int	 store_stream_tick(struct store_stream *, char **cause);
/* prov NULL keeps the one given at start. *id (may be NULL) = the row. */
int	 store_stream_finish(struct store_stream *, enum store_status,
	    const char *error, const struct store_prov *prov, int64_t *id,
	    char **cause);
int64_t	 store_stream_id(const struct store_stream *);	/* 0 before 1st */
const char *store_stream_text(const struct store_stream *);
void	 store_stream_free(struct store_stream *);	/* after finish */
/* Minimum time between two flushes, milliseconds (250). */
#define STORE_STREAM_FLUSH_MS 250

/* ---- full-text search ------------------------------------------------ */

struct store_hit {
	int64_t		 conv_id;
	int64_t		 msg_id;	/* 0 = the match is in the title */
	char		*title;
	enum store_role	 role;
	int64_t		 created;
	char		*snippet;	/* matches between open/close marks */
	int		 archived;
};

/*
 * Search message contents and conversation titles.  query is any user
 * text: it is split into words, each quoted for FTS5 (so no input is a
 * syntax error), all must match; prefix nonzero makes the last word a
 * prefix (incremental search).  mark_open/mark_close surround matches
 * in the snippet.  Best first, at most limit (0 = 100).  An empty query
 * gives no hits.  A damaged index (emptied, a trigger dropped) is found
 * and rebuilt from the tables on a writable store: at the open, at the
 * first search, when a search finds nothing and when a write fails as
 * corrupt (the write is then tried again); a read-only store searches
 * what the index holds.
 */
int	 store_search(struct store *, const char *query, int prefix,
	    const char *mark_open, const char *mark_close, int limit,
	    struct store_hit **out, size_t *n, char **cause);
void	 store_hits_free(struct store_hit *, size_t n);
/* The FTS5 expression store_search uses for query; caller frees. */
char	*store_fts_query(const char *query, int prefix);

/* ---- settings -------------------------------------------------------- */

/* *value = new string or NULL if unset (caller frees). */
int	 store_setting_get(struct store *, const char *key, char **value,
	    char **cause);
/* value NULL deletes the key. */
int	 store_setting_set(struct store *, const char *key, const char *value,
	    char **cause);

/* ---- model catalog --------------------------------------------------- */

struct store_model {
	char		*path;		/* absolute path, the key */
	uint64_t	 size;
	int64_t		 mtime_ns;
	char		*sha256;	/* NULL until computed */
	char		*name;		/* general.name or NULL */
	char		*quant;
	char		*summary_json;	/* engine summary as JSON or NULL */
	int64_t		 last_used;	/* 0 = never */
};

/*
 * Insert or update the row for m->path.  If size or mtime changed, a
 * sha256 not given in m is forgotten.
 */
int	 store_model_put(struct store *, const struct store_model *m,
	    char **cause);
/* 0 and *out, 1 if absent, -1 on error. */
int	 store_model_get(struct store *, const char *path,
	    struct store_model *out, char **cause);
/* All rows, most recently used first, then by path. */
int	 store_model_list(struct store *, struct store_model **out, size_t *n,
	    char **cause);
int	 store_model_touch(struct store *, const char *path, char **cause);
int	 store_model_delete(struct store *, const char *path, char **cause);
void	 store_model_free(struct store_model *);
void	 store_models_free(struct store_model *, size_t n);

/*
 * The sha256 (65 bytes incl. NUL) of the file at path: from the catalog
 * if its (path, size, mtime) row has one, else computed by reading the
 * file (seconds for a multi-GB model: call from the CLI, or hash with
 * sha256_file() on a worker thread and record with
 * store_model_set_sha256() on the store's thread).  *computed (may be
 * NULL) says whether the file was read.
 */
int	 store_model_sha256(struct store *, const char *path, char out[65],
	    int *computed, char **cause);
/* 1 and out if the catalog knows the hash for this size and mtime, 0 if not. */
int	 store_model_cached_sha256(struct store *, const char *path,
	    uint64_t size, int64_t mtime_ns, char out[65], char **cause);
int	 store_model_set_sha256(struct store *, const char *path,
	    uint64_t size, int64_t mtime_ns, const char *sha256, char **cause);

/* ---- measurements of model files (store-measure.c) ------------------- */

/*
 * One measurement of a model file (medchat eval): its perplexity on a
 * text, its KL divergence from a base file over the same tokens, or its
 * speed on this machine.  Keyed by the file's SHA-256, so a renamed or
 * copied file keeps its numbers.  Strings are owned by the struct
 * (store_measures_free); the fixed arrays are NUL-terminated.
 */
struct store_measure {
	int64_t	 id;
	char	 model_sha[65];		/* SHA-256 of the measured file */
	char	 kind[8];		/* "ppl", "kld" or "speed" */
	char	*model_name;		/* file base name when measured
					   (display only) */
	char	*text_name;		/* evaluation text: base name, or
					   "built-in" (NULL for speed) */
	char	 text_sha[65];		/* SHA-256 of the text's bytes ("" for
					   speed) */
	int	 n_ctx;			/* context (ppl/kld); prompt tokens
					   (speed) */
	int	 n_chunks;		/* chunks evaluated (ppl/kld);
					   generated tokens (speed) */
	int	 n_tokens;		/* tokens scored */
	char	 base_sha[65];		/* kld: the base file's SHA-256, else
					   "" */
	char	*base_name;		/* kld: the base file's base name,
					   else NULL */
	double	 ppl, ppl_err;		/* ppl and kld (kld: FILE's ppl) */
	double	 kld_mean, kld_p99, top_agree, ppl_ratio;
					/* kld; top_agree in 0..1 */
	double	 prefill_tps, decode_tps;	/* speed */
	int	 threads;
	char	*kernel;		/* kernel level used ("avx2",
					   "avx512vnni", ...) or NULL */
	int	 complete;		/* 0: stopped early (Ctrl-C / cancel):
					   a partial result */
	int64_t	 created;		/* unix seconds */
	char	*version;		/* medchat version */
};

/*
 * Record m (id ignored; created 0 means now).  model_sha must be 64 hex
 * digits, kind one of the three, text_sha and base_sha "" or 64 hex
 * digits.  0 and *id (may be NULL), or -1 and *cause.
 */
int	 store_measure_add(struct store *, const struct store_measure *m,
	    int64_t *id, char **cause);
/*
 * The measurements of the file with SHA-256 model_sha (NULL: of every
 * file), newest first.  0 with the array in *out (NULL when there is
 * none) and *n, or -1 and *cause.  Free with store_measures_free.
 */
int	 store_measure_list(struct store *, const char *model_sha,
	    struct store_measure **out, size_t *n, char **cause);
/*
 * The newest complete measurement of kind for the file model_sha over
 * the same text (text_sha), context and number of chunks evaluated
 * and, for "kld", base file (base_sha; "" otherwise): what a second
 * `medchat eval` of the same file reuses.  1 and *out (free with
 * store_measure_free), 0 if there is none, -1 and *cause.
 */
int	 store_measure_find(struct store *, const char *kind,
	    const char *model_sha, const char *text_sha, int n_ctx,
	    int n_chunks, const char *base_sha, struct store_measure *out,
	    char **cause);
void	 store_measure_free(struct store_measure *);	/* members only */
void	 store_measures_free(struct store_measure *, size_t n);
/*
 * Mean decode and prefill tok/s of the complete local answers of this
 * file (answers' provenance, by model SHA-256), and how many answers
 * (those that recorded a decode speed); 0 answers -> *n = 0 and the
 * speeds 0.  0, or -1 and *cause.
 */
int	 store_model_speed(struct store *, const char *model_sha,
	    double *decode_tps, double *prefill_tps, int *n, char **cause);

/* ---- advisory acknowledgements --------------------------------------- */

struct store_ack {
	int64_t		 id;
	char		*advisory_version;
	char		*advisory_sha256;
	char		*model_file;
	char		*model_quant;
	char		*model_sha256;
	char		*os_user;
	int64_t		 time;		/* UTC ms */
	char		*method;	/* "tui", "cli-flag", "cli-prompt" */
	/*
	 * A remote model's (NULL for a file): model_sha256 then holds
	 * store_remote_key() of these two, model_file the name shown.
	 */
	char		*endpoint_url;
	char		*remote_model;
};

/*
 * Is there an acknowledgement of the current advisory (version and
 * sha256 of its text, see advisory.h) for the model with this sha256?
 * Records imported from an export (method "import:...") do not count.
 * Returns 1 (and the latest record in *found if not NULL), 0 if not,
 * -1 on error.
 */
int	 store_ack_check(struct store *, const char *model_sha256,
	    struct store_ack *found, char **cause);
/* Record one for the current advisory, the OS user and now. */
int	 store_ack_record(struct store *, const char *model_file,
	    const char *model_quant, const char *model_sha256,
	    const char *method, char **cause);
/*
 * A remote model stands where a file's SHA-256 does in acknowledgements
 * (store_ack_check): the SHA-256, in hex, of "medchat remote model", the
 * base URL and the model id, each text after its length -- stable, 64
 * hex digits, and equal to no file's hash.  out gets 65 bytes.
 */
void	 store_remote_key(const char *url, const char *model_id,
	    char out[65]);
/*
 * Record one for the remote model model_id at url (display: the name
 * shown, e.g. "lab: meditron-70b"), for the current advisory, the OS
 * user and now, under store_remote_key(url, model_id).
 */
int	 store_ack_record_remote(struct store *, const char *display,
	    const char *url, const char *model_id, const char *method,
	    char **cause);
/* All records, newest first. */
int	 store_ack_list(struct store *, struct store_ack **out, size_t *n,
	    char **cause);
void	 store_ack_free(struct store_ack *);
void	 store_acks_free(struct store_ack *, size_t n);

/* ---- consent to remote servers --------------------------------------- */

/*
 * The servers the user agreed to send conversations to.  An agreement is
 * for an origin: "scheme://host:port" in lowercase with the port always
 * given (what a remote base URL is reduced to, see backend_origin() in
 * src/app/backend.h), so it covers every path and model of that server.
 */
struct store_consent {
	int64_t		 id;
	char		*origin;
	char		*url;		/* the base URL it was given for */
	char		*os_user;
	int64_t		 time;		/* UTC ms */
	char		*method;	/* "cli", "tui", "flag" */
};

/*
 * Has the user agreed to send conversations to origin?  1 (the latest
 * record in *found if not NULL), 0 if not, -1 on error.
 */
int	 store_consent_check(struct store *, const char *origin,
	    struct store_consent *found, char **cause);
/* Record an agreement for origin (given for url) by method, now. */
int	 store_consent_record(struct store *, const char *origin,
	    const char *url, const char *method, char **cause);
/* All records, newest first. */
int	 store_consent_list(struct store *, struct store_consent **out,
	    size_t *n, char **cause);
void	 store_consent_free(struct store_consent *);
void	 store_consents_free(struct store_consent *, size_t n);

/* ---- export / import ------------------------------------------------- */

enum store_format { STORE_FMT_MD, STORE_FMT_JSON, STORE_FMT_TXT };
int	 store_format_parse(const char *, enum store_format *);

/*
 * Write conversations ids[0..n) (n == 0: all, archived included) to out.
 * Every format starts with a header holding the advisory version and the
 * acknowledgement records for the models used, and gives each answer's
 * provenance (model, quant, sha256, template, parameters, seed, status).
 * Markdown and text show the current path of each conversation with the
 * other alternatives noted; JSON holds every message and field and
 * round-trips through store_import_json().  Text is written as stored
 * (the caller sanitizes when out is a terminal).
 */
int	 store_export(struct store *, const int64_t *ids, size_t n,
	    enum store_format, FILE *out, char **cause);
/*
 * Import the conversations and acknowledgements of a JSON export, all in
 * one transaction.  Ids are kept when none of a conversation's ids is
 * taken or was ever given in this database, else new ones are given
 * (parents follow).  A conversation whose uid is already here is
 * skipped (see store_import).  Acknowledgements are
 * kept as records with method "import:<method>" (the advisory gate
 * ignores them) and are not added twice.  Import is strict: times
 * exactly as the export writes them, on days that exist; titles of
 * 1..1000 bytes with a visible character (null: not named yet); rates
 * and counts not negative.  A bad field is refused in one line naming
 * it and the byte offset of its value.  *ids and *n (may be NULL) get
 * the conversations' ids in this database (caller frees *ids).
 */
int	 store_import_json(struct store *, const char *json, size_t len,
	    int64_t **ids, size_t *n, char **cause);

/* A conversation of an import that is already in the database. */
struct store_import_skip {
	int64_t		 id;		/* its id in this database */
	char		*uid;
	char		*title;		/* as in the file */
};
/*
 * store_import_json, also telling which conversations were skipped
 * because their uid is already in the database (*skipped, an array of
 * *nskipped; free with store_import_skips_free).  *ids and *n hold
 * only the conversations added.
 */
int	 store_import(struct store *, const char *json, size_t len,
	    int64_t **ids, size_t *n, struct store_import_skip **skipped,
	    size_t *nskipped, char **cause);
void	 store_import_skips_free(struct store_import_skip *, size_t n);

/* ---- misc ------------------------------------------------------------ */

int64_t	 store_now(void);			/* UTC ms */
/* "2026-11-27T16:32:24Z" into buf (at least 32 bytes). */
char	*store_time_iso(int64_t ms, char *buf, size_t len);

#endif
