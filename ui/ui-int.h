/*
 * ui-int.h -- state shared by the files of ui/ (private).
 *
 * One struct ui holds everything the UI thread owns: the store, the
 * worker handle, the conversation model, settings, and the state of
 * each screen.  Screens draw from this state into stdscr (ui.c batches
 * the refresh) and handle keys by changing it and setting ui->dirty.
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
#include "mscan.h"
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

enum ui_screen {
	SCREEN_CHAT,
	SCREEN_ADVISORY,
	SCREEN_EDITOR,
	SCREEN_MODELS,
	SCREEN_BROWSER,
	SCREEN_VIEW,
};

enum ui_state {
	STATE_NOMODEL,
	STATE_LOADING,
	STATE_READY,
	STATE_GENERATING,
	STATE_STOPPED,
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
};

/* The list screens (models, browser) share this. */
struct ui_list {
	size_t		 n;
	size_t		 sel;
	size_t		 top;
};

struct model_row {
	char		*path;
	char		*name;		/* base name */
	int		 pending;	/* header not read yet */
	int		 ok;
	char		*error;
	char		 quant[32];
	uint64_t	 size;
	uint64_t	 n_params;
	uint64_t	 mem;		/* at the chosen context */
	int		 n_ctx_train;
	int		 demo;		/* the "create demo model" row */
};

struct ui {
	/* options */
	char			*opt_model;
	char			*opt_models_dir;
	char			*opt_db;
	char			*opt_template;
	int			 opt_ctx;
	int			 opt_threads;
	struct conffile		 conf;		/* medchat.conf, under them */

	char			*data_dir;	/* $XDG_DATA_HOME/medchat */
	char			*models_dir;	/* data_dir/models */
	struct store		*store;
	struct worker		*worker;
	struct chat		*chat;
	struct settings		 set;
	char			*template_name;	/* NULL = model's */

	/* model */
	enum ui_state		 state;
	struct worker_model	*model;
	char			 model_sha[65];
	float			 load_frac;
	int			 hashing;	/* load_frac is of the hash */
	char			*loading_path;
	unsigned		 load_job;

	/* generation */
	unsigned		 chat_job;
	long			 gen_msg;	/* chat index being written */
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

	/* screens */
	enum ui_screen		 screen;
	enum ui_screen		 prev_screen;
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
	int			 ctrl_c;	/* last key was C-c */

	struct tview		 chatview;

	/* advisory */
	int			 adv_required;	/* cannot be dismissed */
	size_t			 adv_top;
	struct buf		 adv_field;
	struct wrap		 adv_wrap;

	/* system-message editor */
	struct buf		 ed_text;
	size_t			 ed_cur;
	size_t			 ed_top;
	int			 ed_want_col;
	int			 ed_ctrl_x;
	int			 ed_presets;	/* preset picker open */
	struct ui_list		 ed_plist;
	struct wrap		 ed_wrap;

	/* model menu */
	struct model_row	*mrows;		/* files, in the order found */
	size_t			 nmrows, mcap;
	size_t			*morder;	/* shown order: mrows indexes
						   sorted by name */
	struct model_row	 mdemo;		/* "create the demo model",
						   always the last row */
	struct ui_list		 mlist;		/* n = nmrows + 1 */
	uint64_t		 mem_avail;
	struct mscan		*mscan;		/* header reads under way */
	size_t			 mprobed;	/* headers read so far */
	int			 mmoved;	/* the user moved the selection */

	/* transcript browser */
	struct store_conv	*bconvs;
	size_t			 nbconvs;
	int			*bflags;	/* BROWSE_* per conversation */
	struct store_hit	*bhits;
	size_t			 nbhits;
	struct ui_list		 blist;
	struct buf		 bsearch;
	int			 bsearching;
	int			 barchived;	/* show archived */
	int			 bprompt;	/* 0, 'r'ename, 'e'xport, 'd'elete */
	struct buf		 bfield;

	/* read-only view */
	struct chat		*vchat;
	struct tview		 vview;
	int64_t			 vconv;
	char			*vtitle;
};

/* ui.c */
void	 ui_input_line(struct ui *, char *line);
void	 ui_message(struct ui *, int error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	 ui_set_screen(struct ui *, enum ui_screen);
void	 ui_draw_text(struct ui *, int y, int x, const char *s, size_t n,
	    int maxw, int attr);
void	 ui_draw_styled(struct ui *, int y, int x, const char *s,
	    const unsigned char *style, size_t n, int maxw, int attr);
int	 ui_draw_str(struct ui *, int y, int x, const char *s, int maxw,
	    int attr);
void	 ui_fill(struct ui *, int y, int attr);
int	 ui_key_cp(struct ui *, int key, uint32_t *cp);
int	 ui_run_command(struct ui *, const char *line);
void	 ui_send(struct ui *, const char *text);
int	 ui_regenerate(struct ui *, char **cause);
void	 ui_load_model(struct ui *, const char *path);
void	 ui_new_conversation(struct ui *);
int	 ui_resume(struct ui *, int64_t conv, char **cause);
int	 ui_load_conversation(struct ui *, struct chat *, int64_t conv,
	    char **title, char **cause);
int	 ui_export(struct ui *, int64_t conv, const char *fmt,
	    const char *file, char **out_path, char **cause);
int	 ui_suspend_run(struct ui *, char *const argv[]);
void	 ui_notice(struct ui *, const char *text);
int	 ui_write_demo(struct ui *, char **path, char **cause);
void	 ui_list_move(struct ui_list *, int delta, int page);
/* Up/k, Down/j, PgUp, PgDn, Home, End on a list; 1 if key was one. */
int	 ui_list_key(struct ui_list *, int key);
void	 ui_list_scroll(struct ui_list *, int height);

/* ui-chat.c */
void	 tview_free(struct tview *);
void	 tview_build(struct ui *, struct tview *, struct chat *, int width);
void	 tview_draw(struct ui *, struct tview *, int y, int height, int width);
int	 tview_key(struct tview *, int key, int height);
void	 chat_draw(struct ui *);
int	 chat_key(struct ui *, int key);
void	 status_draw(struct ui *, int y);

/* ui-input.c */
void	 input_init(struct ui *, const char *history_path);
void	 input_free(void);
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
int	 advisory_needed(struct ui *);
void	 advisory_open(struct ui *, int required);
void	 advisory_draw(struct ui *);
int	 advisory_key(struct ui *, int key);

/* ui-editor.c */
void	 editor_open(struct ui *);
void	 editor_draw(struct ui *);
int	 editor_key(struct ui *, int key);

/* ui-models.c */
void	 models_open(struct ui *);
void	 models_free(struct ui *);
void	 models_events(struct ui *);
void	 models_draw(struct ui *);
int	 models_key(struct ui *, int key);
int	 models_find_default(struct ui *, char **path);

/* ui-browse.c */
void	 browser_open(struct ui *);
void	 browser_free(struct ui *);
void	 browser_draw(struct ui *);
int	 browser_key(struct ui *, int key);
void	 view_draw(struct ui *);
int	 view_key(struct ui *, int key);

#endif
