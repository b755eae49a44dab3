/*
 * ui-int.h -- state shared by the files of ui/ (private).
 *
 * struct ui holds what the UI thread owns and every screen shares: the
 * options, the store, the worker handle, the conversation model and its
 * transcript view, settings, the status line and the stack of screens.
 * Each screen keeps its own state private to its file (struct
 * ui_screen_ops).  Screens draw into stdscr (ui.c batches the refresh)
 * and handle keys by changing state and setting ui->dirty.
 */
#ifndef UI_INT_H
#define UI_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chat.h"
#include "slash.h"
#include "conffile.h"
#include "markdown.h"
#include "measure-job.h"
#include "mscan.h"
#include "prefs.h"
#include "store.h"
#include "worker.h"
#include "wrap.h"
#include "ui.h"

/* Key codes beyond curses' KEY_* (which are below 0x1000). */
#define UI_KEY_ESC	0x10000			/* Esc alone */
#define UI_KEY_META	0x20000			/* | byte: Alt+byte */
#define UI_KEY_PASTE	0x30000			/* text in ui->paste */
#define UI_KEY_WHEEL_UP	0x40000			/* mouse wheel, either */
#define UI_KEY_WHEEL_DOWN 0x40001		/*   protocol decoded */
#define UI_KEY_IS_WHEEL(k) ((k) == UI_KEY_WHEEL_UP || (k) == UI_KEY_WHEEL_DOWN)
#define UI_KEY_IS_META(k) (((k) & ~0xff) == UI_KEY_META)

enum ui_state {
	STATE_NOMODEL,
	STATE_LOADING,
	STATE_READY,
	STATE_GENERATING,
	STATE_STOPPED,
	STATE_SAVING,		/* a question waits for another process's
				   write lock (ui->ask_*); nothing runs */
};

/* Colour/attribute roles (ui.c maps them to curses attributes). */
enum ui_attr {
	UA_TEXT,
	UA_USER,
	UA_ASSISTANT,
	UA_SYSTEM,
	UA_NOTICE,
	UA_DIM,
	UA_STATUS,
	UA_MARKER,
	UA_ERROR,
	UA_SELECTED,
	UA_MATCH,
	UA_TITLE,
	UA_CODE,		/* `code` spans */
	UA_NATTRS
};

/* One rendered line of a transcript view. */
struct tview_line {
	const char	*text;
	const unsigned char *style;	/* MD_* per byte of text, or NULL */
	size_t		 len;
	int		 attr;
	int		 indent;
	long		 msg;		/* the chat message it shows, -1 none */
};

/* A transcript view: wrapped lines of a chat plus scroll position. */
struct tview {
	struct tview_line	*lines;
	size_t			 n, cap;
	char			**heads;	/* header strings owned */
	size_t			 nheads;
	struct markdown		*mds;		/* message i's rendering, */
	unsigned		*mdgen;		/*   of its generation mdgen[i] */
	int			*mdflags;	/*   with flags mdflags[i] */
	size_t			 nmds;		/* kept across rebuilds */
	unsigned		 gen;		/* chat->gen wrapped */
	int			 width;
	size_t			 top;		/* first visible line */
	int			 follow;	/* stick to the bottom */
	int			 show_sel;	/* bring the selected message
						   into view at the next
						   draw */
	long			 at_msg;	/* message being pushed */
};

/* The list screens (models, browser) share this. */
struct ui_list {
	size_t		 n;
	size_t		 sel;
	size_t		 top;
};

struct ui;
struct measure;

/*
 * What the model menu has read from the store about one file
 * (ui-measure.c, mfacts_read): the catalog's SHA-256 ("" when the file
 * was never hashed: then nothing is stored for it), the speeds of its
 * answers and every measurement of it, newest first.
 */
struct mfacts {
	char			 sha[65];
	int			 use_n;		/* answers with speeds */
	double			 use_decode;	/* their mean tok/s */
	double			 use_prefill;
	struct store_measure	*m;
	size_t			 nm;
	unsigned		 gen;		/* measure_gen() when read */
};

/*
 * A screen: one file with one table of operations and a state struct
 * private to that file (the pattern of tmux's window modes).  The chat
 * is always at the bottom of a stack; other screens open over it (the
 * read-only view over the browser), close back to the one below, or
 * all at once back to the chat (ui_screen_home).
 */
struct ui_screen_ops {
	const char	*name;
	size_t		 size;		/* of the state, zeroed at open */
	/* Set up the new state; the opener (ui_screen_open's caller, in
	   the screen's file) fills in the rest.  May be NULL. */
	void		 (*open)(struct ui *, void *data);
	/* Release what the state holds (not the state); may be NULL. */
	void		 (*free)(void *data);
	/* The terminal size changed (COLS, LINES are new); may be NULL. */
	void		 (*resize)(struct ui *, void *data);
	/* Draw into stdscr, the whole screen; ui.c refreshes. */
	void		 (*draw)(struct ui *, void *data);
	/* A key (curses KEY_*, a byte, or UI_KEY_*); sets ui->dirty.
	   Returns 1 if the key meant something to the screen. */
	int		 (*key)(struct ui *, void *data, int key);
	/* A descriptor the loop polls for the screen and the handler to
	   call when it is readable; both may be NULL, fd may return -1. */
	int		 (*fd)(struct ui *, void *data);
	void		 (*ready)(struct ui *, void *data);
	int		 wheel;		/* takes the mouse wheel keys */
};

/*
 * A remote endpoint the chat loads or has loaded (ui-remote.c): copies
 * of a struct backend_endpoint's strings, the key included (wiped when
 * freed), and the origin consent is asked for.
 */
struct ui_endpoint {
	char		*name;		/* settings file's NAME, or NULL */
	char		*url;
	char		*model;		/* NULL: the first served */
	char		*tmpl;
	char		*cacert;
	char		*key_env;
	char		*key;
	int		 connect_timeout_s;
	int		 stall_timeout_s;
	char		*origin;	/* backend_origin(url) */
	char		*host;		/* origin without the scheme */
};

struct ui_screen {
	const struct ui_screen_ops *ops;
	void			*data;		/* ops->size bytes, or NULL */
	struct ui_screen	*below;		/* NULL for the chat */
};

struct ui {
	/* options */
	char			*opt_model;
	char			*opt_models_dir;
	char			*opt_db;
	char			*opt_template;
	int			 opt_ctx;	/* -1 = not given */
	char			**opt_sets;	/* --set NAME=VALUE, checked */
	size_t			 n_opt_sets;
	int			 opt_threads;
	int			 opt_no_hist;	/* keep no input history */
	struct conffile		 conf;		/* medchat.conf, under them */
	/*
	 * A remote endpoint to start with (--endpoint URL|NAME [-m ID], or
	 * $MEDCHAT_ENDPOINT without -m), resolved against conf and checked
	 * by ui_args_parse: opt_ep.url is NULL when there is none.  Its
	 * strings point into conf, opt_endpoint, opt_remote_model and the
	 * environment; worker_load_remote copies them.  With it, -m is the
	 * model id (opt_remote_model) and opt_model is NULL.
	 */
	char			*opt_endpoint;
	char			*opt_remote_model;
	struct backend_endpoint	 opt_ep;

	char			*data_dir;	/* $XDG_DATA_HOME/medchat */
	char			*models_dir;	/* data_dir/models */
	struct store		*store;
	struct worker		*worker;
	struct chat		*chat;
	struct settings		 set;
	struct prefs		 prefs;		/* where set's values and the
						   system message come from */
	char			*template_name;	/* NULL = model's */

	/* model */
	enum ui_state		 state;
	struct worker_model	*model;
	char			 model_sha[65];
	float			 load_frac;
	int			 hashing;	/* load_frac is of the hash */
	char			*loading_path;
	char			*prev_model;	/* path of the model loaded
						   before the last switch: a
						   declined advisory goes
						   back to it */
	struct ui_endpoint	*prev_ep;	/* or that model's endpoint
						   when it was remote (one
						   of the two is set) */
	struct ui_endpoint	*load_ep;	/* the endpoint being loaded;
						   NULL while a file is */
	struct ui_endpoint	*model_ep;	/* the loaded model's, with
						   its model id; NULL when
						   it is a file */
	unsigned		 load_job;
	struct mscan		*default_scan;	/* finding the first start's
						   model (ui-models.c) */
	struct mscan_event	*default_events;	/* its events so far */
	struct measure		*measure;	/* the model menu's
						   measurements (ui-measure.c),
						   NULL before the first */

	/* generation */
	unsigned		 chat_job;
	long			 gen_msg;	/* chat index being written */
	char			*send_after;	/* a question waiting for the
						   last answer's save */
	/*
	 * STATE_SAVING: the turn another process's write lock keeps out
	 * of the store, tried again every UI_ASK_RETRY_MS (ui-ask.c) from the
	 * loop until ask_until, never waiting for the lock.
	 */
	char			*ask_text;	/* the question, NULL: an
						   answer again (/regen) */
	int64_t			 ask_parent;
	long			 ask_msg;	/* its chat index, or -1 */
	enum ui_state		 ask_prev;	/* the state to go back to */
	double			 ask_until;	/* ui_now() to give up at */
	double			 ask_next;	/* ... of the next try */
	int			 lock_wait_ms;	/* how long a save kept out by
						   a lock is waited for: six
						   times the store's busy
						   timeout */
	int			 unsaved;	/* answers of this run that
						   were not saved */
	char			*unsaved_cause;	/* the last one's reason */
	struct session		*session;	/* the ask workflow (session.c);
						   created with the first
						   model loaded */
	double			 gen_start;
	int			 gen_tokens;
	double			 tps;
	int			 ctx_used;
	struct engine_result	 last_res;
	int			 have_res;
	long			 editing;	/* /edit: user msg index */
	long			*ctx_idx;	/* chat index of each message
						   the running answer was
						   given (ui-record.c) */
	int			 n_ctx_idx;
	int64_t			 offer_conv;	/* reopen it on Enter: the
						   start's offer */
	long			 offer_msg;	/* its notice's index */

	/* screens */
	struct ui_screen	*screen;	/* the one shown, top of
						   the stack */
	int			 quit;
	int			 exit_code;
	int			 dirty;
	int			 utf8;
	int			 color;
	int			 attrs[UA_NATTRS];
	int			 italic;	/* A_ITALIC, or A_UNDERLINE where
						   the terminal has no italics */
	char			*msg;		/* status-line message */
	char			*conf_msg;	/* settings file warning: shown
						   unless msg is an error, until
						   the first key in the chat */
	int			 msg_error;
	struct buf		 paste;
	char			*exp_path;	/* an export waiting for y/n: */
	char			*exp_fmt;	/*   the file that exists, */
	int64_t			 exp_conv;	/*   format, conversation */
	int			 ctrl_c;	/* last key was C-c */
	int			 quit_armed;	/* the last key was a C-c at
						   an idle, empty prompt: the
						   next one quits */
	int			 mouse_off;	/* /mouse off: the terminal
						   selects text (ui-copy.c) */

	struct tview		 chatview;
};

/* ui.c */
void	 ui_input_line(struct ui *, char *line);
void	 ui_message(struct ui *, int error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 ui_key(struct ui *, int key);
int	 ui_run_command(struct ui *, const char *line);
double	 ui_now(void);
int	 ui_mkdirs(const char *path, char **cause);
void	 ui_new_conversation(struct ui *);
int	 ui_resume(struct ui *, int64_t conv, char **cause);
int	 ui_load_conversation(struct ui *, struct chat *, int64_t conv,
	    char **title, char **cause);
int	 ui_suspend_run(struct ui *, char *const argv[]);

/* ui-fit.c */
char	*ui_fit_name(struct ui *, const char *s, int w);
int	 ui_fit_rows(const char *s, int width, int maxrows);
void	 ui_fit_draw(struct ui *, int y, int rows, const char *s, int attr);
char	*ui_fit_line(const char *s, int w);

/* ui-copy.c */
int	 ui_copy(struct ui *, const char *file, char **cause);
int	 ui_mouse(struct ui *, const char *arg, char **cause);
void	 ui_mouse_modes(struct ui *, int on);
void	 ui_notice(struct ui *, const char *text);

/* ui-ask.c: how often a turn kept out by another process's lock is tried
 * again. */
#define UI_ASK_RETRY_MS		200
void	 ui_send(struct ui *, const char *text);
int	 ui_regenerate(struct ui *, char **cause);
void	 ui_ask_drop(struct ui *, const char *why);
void	 ui_ask_retry(struct ui *);
void	 ui_gen_finish(struct ui *, struct worker_event *);
void	 ui_saved(struct ui *);

/* ui-load.c */
void	 ui_startup_model(struct ui *);
void	 ui_load_model(struct ui *, const char *path);
void	 ui_loaded(struct ui *, struct worker_model *);
void	 ui_no_model(struct ui *);
int	 ui_write_demo(struct ui *, char **path, char **cause);

/* ui-screen.c */
void	*ui_screen_open(struct ui *, const struct ui_screen_ops *);
void	 ui_screen_close(struct ui *);
void	 ui_screen_home(struct ui *);
void	 ui_screen_resize(struct ui *);
struct ui_screen *ui_screen_polled(struct ui *);

/* ui-remote.c */
struct ui_endpoint *ui_endpoint_new(const struct backend_endpoint *,
	    char **cause);
struct ui_endpoint *ui_endpoint_copy(const struct ui_endpoint *);
void	 ui_endpoint_free(struct ui_endpoint *);
void	 ui_endpoint_get(const struct ui_endpoint *,
	    struct backend_endpoint *);
int	 ui_endpoint_same(const struct ui_endpoint *,
	    const struct ui_endpoint *);
void	 ui_load_remote(struct ui *, const struct backend_endpoint *);
void	 ui_load_endpoint(struct ui *, struct ui_endpoint *);
void	 ui_connect(struct ui *, struct ui_endpoint *);
void	 ui_remember_prev(struct ui *);
int	 ui_go_back(struct ui *, const char *what);
int	 ui_consent_given(struct ui *, const char *origin);

/* ui-paths.c */
char	*ui_path_expand(const char *, char **cause);
char	*ui_model_resolve(struct ui *, const char *arg, char **cause);
char	**ui_model_names(struct ui *, const char *prefix, size_t *n);
int	 ui_export(struct ui *, int64_t conv, const char *fmt,
	    const char *file, int overwrite, char **out_path, char **cause);
void	 ui_export_start(struct ui *, int64_t conv, const char *fmt,
	    const char *file);
int	 ui_export_key(struct ui *, int key);

/* ui-consent.c */
extern const struct ui_screen_ops ui_screen_consent;
int	 consent_needed(struct ui *);
void	 consent_open(struct ui *, struct ui_endpoint *pending);

/* ui-args.c */
int	 ui_args_parse(struct ui *, int argc, char **argv);
void	 ui_args_conf_warnings(struct ui *);
void	 ui_args_apply(struct ui *);

/* ui-draw.c */
int	 ui_draw_term_ok(char **cause);
void	 ui_draw_start(struct ui *);
void	 ui_draw_end(void);
void	 ui_draw_text(struct ui *, int y, int x, const char *s, size_t n,
	    int maxw, int attr);
void	 ui_draw_styled(struct ui *, int y, int x, const char *s,
	    const unsigned char *style, size_t n, int maxw, int attr);
int	 ui_draw_str(struct ui *, int y, int x, const char *s, int maxw,
	    int attr);
void	 ui_size_text(uint64_t, char *out, size_t len);
void	 ui_fill(struct ui *, int y, int attr);
void	 ui_draw_footer(struct ui *, const char *hint, const char *keys);
void	 ui_list_move(struct ui_list *, int delta, int page);
/* Up/k, Down/j, PgUp, PgDn, Home, End on a list; 1 if key was one. */
int	 ui_list_key(struct ui_list *, int key);
void	 ui_list_scroll(struct ui_list *, int height);

/* ui-keys.c */
void	 ui_read_keys(struct ui *);
int	 ui_key_cp(struct ui *, int key, uint32_t *cp);

/* ui-chat.c */
extern const struct ui_screen_ops ui_screen_chat;
void	 tview_free(struct tview *);
void	 tview_build(struct ui *, struct tview *, struct chat *, int width);
void	 tview_draw(struct ui *, struct tview *, int y, int height, int width);
int	 tview_key(struct tview *, int key, int height);
void	 status_draw(struct ui *, int y);

/* ui-input.c */
void	 input_init(struct ui *, const char *history_path);
void	 input_free(void);
void	 input_forget(char *const *lines, size_t n);
void	 input_feed(int key);
void	 input_insert(const char *);
void	 input_set_line(const char *);
int	 input_empty(void);
void	 input_clear(void);
int	 input_rows(int width, int maxrows);
void	 input_draw(struct ui *, int y, int rows, int width, int *cy,
	    int *cx);

/* ui-slash.c */
void	 ui_help(struct ui *);

/* ui-advisory.c */
extern const struct ui_screen_ops ui_screen_advisory;
int	 advisory_needed(struct ui *);
void	 advisory_open(struct ui *, int required);

/* ui-editor.c */
extern const struct ui_screen_ops ui_screen_editor;

/* ui-models.c */
extern const struct ui_screen_ops ui_screen_models;
/*
 * The first start's model, found by a scan thread: start, the scan's
 * descriptor for the loop (-1 when none runs), and its news.
 */
void	 models_default_start(struct ui *);
int	 models_default_fd(struct ui *);
void	 models_default_ready(struct ui *);

/* ui-measure.c */
int	 measure_queue(struct ui *, enum mjob_kind, const char *path,
	    const char *sha, const struct engine_file_summary *,
	    const char *base, const char *base_sha,
	    const struct engine_file_summary *base_sum, char **cause);
void	 measure_stop(struct ui *);
void	 measure_free(struct ui *);
int	 measure_fd(struct ui *);
void	 measure_ready(struct ui *);
int	 measure_busy(struct ui *);
unsigned measure_gen(struct ui *);
int	 measure_row(struct ui *, const char *path, int *speed, char *out,
	    size_t len);
void	 measure_status(struct ui *, struct buf *);
void	 mfacts_read(struct ui *, const char *path, struct mfacts *);
void	 mfacts_free(struct mfacts *);
int	 mfacts_has(const struct mfacts *, const char *kind,
	    const char *base_sha);
void	 mfacts_speed(struct ui *, const struct mfacts *, char *out,
	    size_t len, int w);
int	 mfacts_quality(struct ui *, const struct mfacts *,
	    const struct engine_file_summary *, const struct mfacts *base,
	    char *out, size_t len, int w);

/* ui-mdetail.c */
extern const struct ui_screen_ops ui_screen_mdetail;
void	 mdetail_open(struct ui *, const char *path,
	    const struct engine_file_summary *, const char *base, int is_base);

/* ui-browse.c */
extern const struct ui_screen_ops ui_screen_browser;

/* ui-view.c */
/* ui-record.c */
void	 rec_alt_msg(struct ui *, struct chat *, size_t);
void	 rec_loaded(struct ui *, struct chat *, const struct store_msg *,
	    size_t);
void	 rec_trimmed(struct ui *, const struct engine_result *,
	    const long *, int);
void	 rec_select(struct ui *, int dir);
int	 rec_alt_step(struct ui *, int dir, char **cause);
int	 rec_provenance(struct ui *, char **cause);
void	 rec_offer(struct ui *);
int	 rec_offer_key(struct ui *, int key);

/* ui-prov.c */
extern const struct ui_screen_ops ui_screen_prov;
int	 prov_open(struct ui *, int64_t id, char **cause);

extern const struct ui_screen_ops ui_screen_view;
int	 view_open(struct ui *, int64_t conv, char **cause);

#endif
