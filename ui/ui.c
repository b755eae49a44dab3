/*
 * ui.c -- the full-screen chat: start-up, the poll() loop, and the glue
 * between the conversation model, the worker thread and the store.  The
 * screens are modules (ui-screen.c); drawing is in ui-draw.c, key
 * decoding in ui-keys.c, the command line in ui-args.c, a question's
 * way from Enter to its saved answer in ui-ask.c, loading a model in
 * ui-load.c.
 *
 * Threads and ownership (docs/ARCHITECTURE.md, "Threads"): this thread
 * owns curses, readline (ui-input.c) and the store; the worker owns the
 * engine; a short-lived scan thread (src/app/mscan.c) reads model
 * headers for the model menu, and one for the first start's model (no
 * -m, no last model).  The loop poll()s these descriptors:
 *
 *	stdin		keys, read with wgetch in no-delay mode
 *	worker_fd()	worker events (tokens, progress, done, errors)
 *	sigpipe[0]	SIGWINCH/SIGTERM/SIGHUP/SIGCONT from the handlers
 *	ops->fd()	a screen's own descriptor: the model menu's scan
 *			thread, while it reads headers
 *	session_fd()	the answer writer's finished saves
 *	models_default_fd()	the first start's scan for a model
 *	measure_fd()	a measurement started from the model menu
 *			(ui-measure.c): its progress and result
 *
 * with a timeout only while loading or generating (to refresh the tok/s
 * figure).  Handlers only set state and ui->dirty; the loop redraws the
 * whole screen into stdscr from the model when dirty and refreshes once
 * (curses sends only the difference).  While curses runs, stderr goes to
 * a log file in the data directory so nothing disturbs the screen.
 *
 * Persistence is the session's (src/app/session.c): a question is
 * committed to the store before the worker gets it; the answer streams
 * into the store (flushed at most every 250 ms) and is finished with its
 * provenance by the writer thread in the background (session_set_async):
 * the loop learns whether it was saved from session_fd().  Nothing here
 * waits for another process's write lock: a question it keeps out waits
 * in STATE_SAVING, tried again from the loop (ui_ask_retry), and
 * quitting waits for pending final saves only as long as the user lets
 * it (ui_quit_saves).
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "advisory.h"
#include "fsutil.h"
#include "modelid.h"
#include "prompts.h"
#include "session.h"
#include "ui-int.h"
#include "utf8.h"
#include "xmalloc.h"

static char	*ui_data_dir(char **);
static void	 ui_signal(int);
static void	 ui_signals(void);
static void	 ui_loop(struct ui *);
static void	 ui_redraw(struct ui *);
static void	 ui_events(struct ui *);
static void	 ui_event(struct ui *, struct worker_event *);
static void	 ui_quit_saves(struct ui *);
static void	 ui_resize(struct ui *);
static void	 ui_free(struct ui *);
static void	 ui_resume_settings(struct ui *, const char *);

/* How long a save kept out by it is waited for: times the busy timeout. */
#define UI_LOCK_WAIT_FACTOR	6

static int	 sigpipe_fds[2] = { -1, -1 };
static int	 saved_stderr = -1;
static int	 log_fd = -1;

/* mkdir -p with mode 0700 for the parts we create. */
int
ui_mkdirs(const char *path, char **cause)
{
	char	*failed;

	if (fs_mkdirs(path, &failed) == 0)
		return 0;
	xasprintf(cause, "%s: %s", failed != NULL ? failed : path,
	    strerror(errno));
	free(failed);
	return -1;
}

/* $XDG_DATA_HOME/medchat or ~/.local/share/medchat, created 0700. */
static char *
ui_data_dir(char **cause)
{
	char	*d;

	if ((d = fs_xdg_path("XDG_DATA_HOME", ".local/share",
	    "medchat")) == NULL) {
		xasprintf(cause, "no home directory (set HOME or "
		    "XDG_DATA_HOME)");
		return NULL;
	}
	if (ui_mkdirs(d, cause) != 0) {
		free(d);
		return NULL;
	}
	return d;
}

static void
ui_signal(int sig)
{
	unsigned char	c = (unsigned char)sig;
	int		saved = errno;

	(void)write(sigpipe_fds[1], &c, 1);
	errno = saved;
}

static void
ui_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = ui_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Send stderr to the log while curses runs (and back with restore). */
static void
ui_stderr(int to_log)
{
	if (to_log && log_fd != -1) {
		fflush(stderr);
		dup2(log_fd, STDERR_FILENO);
	} else if (!to_log && saved_stderr != -1) {
		fflush(stderr);
		dup2(saved_stderr, STDERR_FILENO);
	}
}

int
ui_main(int argc, char **argv)
{
	struct ui	*ui;
	char		*cause = NULL, *hist, *logp, *dbname, *pd;
	int		 rv, code, lost;

	ui = xcalloc(1, sizeof *ui);
	ui->editing = -1;
	ui->gen_msg = -1;
	ui->ask_msg = -1;
	ui->offer_msg = -1;
	if ((rv = ui_args_parse(ui, argc, argv)) != 0) {
		ui_free(ui);
		return rv > 0 ? 0 : 2;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		xasprintf(&cause, "the chat needs a terminal; use `medchat "
		    "ask` in scripts");
		goto fail;
	}
	if (ui_draw_term_ok(&cause) != 0)
		goto fail;
	if ((ui->data_dir = ui_data_dir(&cause)) == NULL)
		goto fail;
	xasprintf(&ui->models_dir, "%s/models", ui->data_dir);
	if (store_open(ui->opt_db, advisory_ident(), &ui->store, &cause) != 0)
		goto fail;
	ui->lock_wait_ms = UI_LOCK_WAIT_FACTOR * store_busy_ms(ui->store);
	if ((ui->worker = worker_create(&cause)) == NULL)
		goto fail;
	/* The system message's K/V kept between runs (medchat.conf's
	   prefix-cache = off: none). */
	if (ui->conf.prefix_cache != 0 && (pd = backend_prefix_dir()) != NULL) {
		worker_set_prefix_dir(ui->worker, pd);
		free(pd);
	}
	if (pipe(sigpipe_fds) != 0) {
		xasprintf(&cause, "pipe: %s", strerror(errno));
		goto fail;
	}
	fcntl(sigpipe_fds[0], F_SETFL, O_NONBLOCK);
	fcntl(sigpipe_fds[1], F_SETFL, O_NONBLOCK);

	/* Saved settings over the file's (ui_args_parse), options over both. */
	if (prefs_load(&ui->set, &ui->prefs, ui->store, &cause) != 0) {
		ui_message(ui, 1, "%s", cause);
		free(cause);
		cause = NULL;
	}
	ui_args_apply(ui);
	ui->chat = chat_create();
	chat_set_system(ui->chat, prefs_system(&ui->prefs));
	if (ui->opt_template != NULL)
		ui->template_name = xstrdup(ui->opt_template);

	xasprintf(&logp, "%s/tui.log", ui->data_dir);
	log_fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(logp);
	saved_stderr = dup(STDERR_FILENO);

	/* After initscr: our handlers replace ncurses' SIGWINCH handler. */
	ui_draw_start(ui);
	ui_signals();
	ui_stderr(1);
	xasprintf(&hist, "%s/history", ui->data_dir);
	input_init(ui, ui->opt_no_hist ? NULL : hist);
	free(hist);

	ui_screen_open(ui, &ui_screen_chat);
	ui->chatview.follow = 1;
	rec_offer(ui);
	ui_startup_model(ui);
	ui_args_conf_warnings(ui);
	if (store_readonly(ui->store)) {
		/* A notice in the transcript: status messages are overwritten. */
		dbname = utf8_printable(store_path(ui->store));
		xasprintf(&logp, "%s is read-only: /history (F4) browses and "
		    "exports it; nothing new can be saved to it.", dbname);
		ui_notice(ui, logp);
		free(logp);
		free(dbname);
	}
	ui->dirty = 1;
	ui_loop(ui);

	/*
	 * Orderly teardown: wait for final saves still kept out by a lock
	 * (as long as the user lets us), finish a running answer as
	 * cancelled, and say what could not be saved: the exit status
	 * then says so too.
	 */
	ui_quit_saves(ui);
	if (session_running(ui->session))
		worker_cancel(ui->worker);
	lost = session_close(ui->session, &cause);
	ui->session = NULL;
	input_free();
	ui_draw_end();
	ui_stderr(0);
	code = ui->exit_code;
	if (lost > 0) {
		ui->unsaved += lost;
		free(ui->unsaved_cause);
		ui->unsaved_cause = cause;
		cause = NULL;
	}
	if (ui->ask_text != NULL || ui->send_after != NULL) {
		fprintf(stderr, "medchat: the last question was not saved "
		    "(%s)\n", ui->ask_text != NULL ? "the database was locked "
		    "by another process" : "it waited for the answer before "
		    "it to be saved");
		code = code != 0 ? code : 1;
	}
	if (ui->unsaved > 0) {
		fprintf(stderr, "medchat: %d answer%s of this session %s not "
		    "saved: %s\n", ui->unsaved, ui->unsaved == 1 ? "" : "s",
		    ui->unsaved == 1 ? "was" : "were", ui->unsaved_cause != NULL ?
		    ui->unsaved_cause : "?");
		code = code != 0 ? code : 1;
	}
	ui_free(ui);
	return code;

fail:
	fprintf(stderr, "medchat: %s\n", cause);
	free(cause);
	ui_free(ui);
	return 1;
}

static void
ui_free(struct ui *ui)
{
	/* The screens first: their state may refer to the rest. */
	ui_screen_home(ui);
	free(ui->screen);
	worker_free(ui->worker);
	if (ui->store != NULL)
		store_close(ui->store);
	chat_free(ui->chat);
	tview_free(&ui->chatview);
	worker_model_free(ui->model);
	conffile_free(&ui->conf);
	prefs_free(&ui->prefs);
	xfreev(ui->opt_sets, ui->n_opt_sets);
	free(ui->conf_msg);
	session_free(ui->session);
	free(ui->opt_model);
	free(ui->opt_endpoint);
	free(ui->opt_remote_model);
	free(ui->opt_models_dir);
	free(ui->send_after);
	free(ui->ctx_idx);
	free(ui->ask_text);
	free(ui->unsaved_cause);
	free(ui->opt_db);
	free(ui->opt_template);
	free(ui->data_dir);
	mscan_stop(ui->default_scan);
	mscan_event_free(ui->default_events);
	measure_free(ui);
	free(ui->models_dir);
	free(ui->template_name);
	free(ui->loading_path);
	free(ui->prev_model);
	ui_endpoint_free(ui->prev_ep);
	ui_endpoint_free(ui->load_ep);
	ui_endpoint_free(ui->model_ep);
	free(ui->msg);
	free(ui->exp_path);
	free(ui->exp_fmt);
	buf_free(&ui->paste);
	if (sigpipe_fds[0] != -1) {
		close(sigpipe_fds[0]);
		close(sigpipe_fds[1]);
		sigpipe_fds[0] = sigpipe_fds[1] = -1;
	}
	if (log_fd != -1)
		close(log_fd);
	if (saved_stderr != -1)
		close(saved_stderr);
	log_fd = saved_stderr = -1;
	free(ui);
}

double
ui_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
ui_notice(struct ui *ui, const char *text)
{
	chat_add(ui->chat, CHAT_NOTICE, text);
	ui->chatview.follow = 1;
	ui->dirty = 1;
}

void
ui_message(struct ui *ui, int error, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	free(ui->msg);
	ui->msg = s;
	ui->msg_error = error;
	ui->dirty = 1;
}

static void
ui_redraw(struct ui *ui)
{
	int	 cy, cx, y, rows;
	char	 note[64], *remote;

	erase();
	curs_set(0);
	/* An answer's provenance is read on a phone's terminal too. */
	if ((COLS < 40 || LINES < 10) && !(ui->screen->ops ==
	    &ui_screen_prov && COLS >= 20 && LINES >= 6)) {
		/* Wrapped at the words: it must be read whole at any size. */
		snprintf(note, sizeof note, "terminal too small (%dx%d), need "
		    "40x10", COLS, LINES);
		rows = ui_fit_rows(note, COLS, LINES);
		y = LINES > rows + 1 ? (LINES - rows) / 2 - 1 : 0;
		ui_fit_draw(ui, y, rows, note, UA_TEXT);
		y += rows - 1;
		/* Typing goes on: what is sent still leaves the machine. */
		if (y + 2 < LINES && ui->model != NULL && ui->model->remote) {
			xasprintf(&remote, "remote %s", ui->model->endpoint[0] !=
			    '\0' ? ui->model->endpoint : ui->model->host);
			ui_draw_str(ui, y + 2, 0, remote, COLS, UA_MARKER);
			free(remote);
		}
	} else {
		ui->screen->ops->draw(ui, ui->screen->data);
	}
	getyx(stdscr, cy, cx);
	(void)cy;
	(void)cx;
	wnoutrefresh(stdscr);
	doupdate();
	ui->dirty = 0;
}

static void
ui_resize(struct ui *ui)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui_screen_resize(ui);
}

static void
ui_loop(struct ui *ui)
{
	struct ui_screen *s;
	struct pollfd	 pfd[7];
	unsigned char	 sigs[64];
	ssize_t		 n, i;
	int		 timeout;

	while (!ui->quit) {
		if (ui->dirty)
			ui_redraw(ui);
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = worker_fd(ui->worker);
		pfd[1].events = POLLIN;
		pfd[2].fd = sigpipe_fds[0];
		pfd[2].events = POLLIN;
		/* A screen's own descriptor (ignored when -1). */
		s = ui_screen_polled(ui);
		pfd[3].fd = s != NULL ? s->ops->fd(ui, s->data) : -1;
		pfd[3].events = POLLIN;
		pfd[3].revents = 0;
		pfd[4].fd = session_fd(ui->session);
		pfd[4].events = POLLIN;
		pfd[4].revents = 0;
		pfd[5].fd = models_default_fd(ui);
		pfd[5].events = POLLIN;
		pfd[5].revents = 0;
		pfd[6].fd = measure_fd(ui);
		pfd[6].events = POLLIN;
		pfd[6].revents = 0;
		timeout = -1;
		if (ui->state == STATE_LOADING ||
		    ui->state == STATE_GENERATING)
			timeout = 500;
		if (ui->state == STATE_SAVING) {
			/* The next try of the turn a lock keeps out. */
			timeout = (int)((ui->ask_next - ui_now()) * 1000);
			if (timeout < 0)
				timeout = 0;
			if (timeout > UI_ASK_RETRY_MS)
				timeout = UI_ASK_RETRY_MS;
		}
		if (poll(pfd, 7, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[2].revents & POLLIN) {
			while ((n = read(sigpipe_fds[0], sigs, sizeof sigs)) >
			    0) {
				for (i = 0; i < n; i++) {
					switch (sigs[i]) {
					case SIGWINCH:
					case SIGCONT:
						ui_resize(ui);
						break;
					case SIGINT:
						ui_key(ui, 3);
						break;
					default:	/* TERM, HUP, QUIT */
						/* Not the user's stop. */
						session_interrupt(
						    ui->session);
						ui->quit = 1;
						ui->exit_code = 1;
						break;
					}
				}
			}
		}
		if (pfd[1].revents & POLLIN)
			ui_events(ui);
		if (pfd[4].revents & POLLIN)
			ui_saved(ui);
		if (pfd[5].revents & POLLIN)
			models_default_ready(ui);
		if (pfd[6].revents & POLLIN)
			measure_ready(ui);
		/* (Unless the events or keys above closed that screen.) */
		if ((pfd[3].revents & POLLIN) &&
		    (s = ui_screen_polled(ui)) != NULL &&
		    s->ops->fd(ui, s->data) == pfd[3].fd)
			s->ops->ready(ui, s->data);
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			ui->quit = 1;
			ui->exit_code = 1;
		} else if (pfd[0].revents & POLLIN)
			ui_read_keys(ui);
		/* After the keys: they are echoed whatever the store does. */
		if (ui->state == STATE_SAVING && !ui->quit &&
		    ui_now() >= ui->ask_next)
			ui_ask_retry(ui);
		if (ui->state == STATE_GENERATING || ui->state == STATE_LOADING)
			ui->dirty = 1;	/* tok/s and progress */
	}
}

/*
 * Quitting while final saves are still tried again because another
 * process holds the write lock: say so on the screen and wait for them,
 * up to ui->lock_wait_ms, unless C-c, Esc or a signal says not to.  Not
 * after a signal or with the terminal gone (ui->exit_code set): those
 * quit at once.  What is still not saved then, ui_main reports.
 */
static void
ui_quit_saves(struct ui *ui)
{
	struct pollfd	 pfd[3];
	unsigned char	 sigs[64];
	double		 until;
	ssize_t		 n, i;
	int		 c, stop = 0;

	if (ui->exit_code != 0 || session_saving(ui->session) == 0)
		return;
	ui_screen_home(ui);
	until = ui_now() + ui->lock_wait_ms / 1000.0;
	while (!stop && session_saving(ui->session) > 0 && ui_now() < until) {
		ui_message(ui, 1, "quitting: the last answer is not saved yet, "
		    "the database is locked by another process; waiting %d s "
		    "more (C-c quits without it)", (int)(until - ui_now() +
		    0.999));
		ui_redraw(ui);
		pfd[0].fd = STDIN_FILENO;
		pfd[1].fd = sigpipe_fds[0];
		pfd[2].fd = session_fd(ui->session);
		for (i = 0; i < 3; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, 3, 250) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			stop = 1;
		else if (pfd[0].revents & POLLIN) {
			while ((c = getch()) != ERR) {
				if (c == 3 || c == 27)
					stop = 1;
			}
		}
		while ((n = read(sigpipe_fds[0], sigs, sizeof sigs)) > 0) {
			for (i = 0; i < n; i++) {
				if (sigs[i] == SIGWINCH || sigs[i] == SIGCONT)
					ui_resize(ui);
				else
					stop = 1;
			}
		}
		if (pfd[2].revents & POLLIN)
			ui_saved(ui);
	}
}

void
ui_key(struct ui *ui, int key)
{
	int	was_ctrl_c = ui->ctrl_c;

	ui->ctrl_c = 0;
	/* An export waits for y/n: the key is its answer (ui-paths.c). */
	if (!UI_KEY_IS_WHEEL(key) && ui_export_key(ui, key))
		return;
	/*
	 * Keys work even while the terminal is too small to draw (typing
	 * goes on into the input); only C-c twice in a row always quits.
	 */
	if ((COLS < 40 || LINES < 10) && key == 3) {
		if (was_ctrl_c) {
			ui->quit = 1;
			return;
		}
		ui->ctrl_c = 1;
	}
	if (UI_KEY_IS_WHEEL(key) && !ui->screen->ops->wheel)
		return;
	ui->screen->ops->key(ui, ui->screen->data, key);
}

/* A line from the input: a command or a question. */
void
ui_input_line(struct ui *ui, char *line)
{
	char	*s;

	if (line == NULL) {		/* C-d on an empty line */
		ui->quit = 1;
		return;
	}
	s = utf8_sanitize(line, strlen(line), NULL);
	free(line);
	if (s[0] == '/' && s[1] != '/' && s[1] != ' ' && s[1] != '\0')
		ui_run_command(ui, s);
	else if (s[0] != '\0') {
		/* "//text" sends "/text". */
		ui_send(ui, s[0] == '/' && s[1] == '/' ? s + 1 : s);
	}
	free(s);
	ui->dirty = 1;
}

int
ui_run_command(struct ui *ui, const char *line)
{
	char	*cause = NULL;

	if (slash_run(ui_slash_table(), ui, line, &cause) != 0) {
		ui_message(ui, 1, "%s", cause != NULL ? cause : "failed");
		free(cause);
		return -1;
	}
	return 0;
}

static void
ui_events(struct ui *ui)
{
	struct worker_event	*list, *ev;

	list = worker_drain(ui->worker);
	while ((ev = list) != NULL) {
		list = ev->next;
		ev->next = NULL;
		ui_event(ui, ev);
		worker_event_free(ev);
	}
}

static void
ui_event(struct ui *ui, struct worker_event *ev)
{
	char	*cause = NULL;
	double	 dt;

	switch (ev->type) {
	case WORKER_EV_PROGRESS:
		if (ev->job == ui->load_job) {
			ui->load_frac = ev->frac;
			ui->hashing = ev->hashing;
			ui->dirty = 1;
		}
		break;
	case WORKER_EV_LOADED:
		if (ev->job == ui->load_job) {
			ui_loaded(ui, ev->model);
			ev->model = NULL;
		}
		break;
	case WORKER_EV_LOAD_FAILED:
		if (ev->job != ui->load_job)
			break;
		ui_message(ui, 1, "%s", ev->error);
		if (ui->load_ep != NULL) {
			/* Stays in the transcript: the status line goes. */
			xasprintf(&cause, "Could not open %s%s%s: %s",
			    ui->load_ep->name != NULL ? ui->load_ep->name :
			    ui->load_ep->host, ui->load_ep->model != NULL ?
			    ": " : "", ui->load_ep->model != NULL ?
			    ui->load_ep->model : "", ev->error);
			ui_notice(ui, cause);
			free(cause);
			cause = NULL;
			ui_endpoint_free(ui->load_ep);
			ui->load_ep = NULL;
		}
		worker_model_free(ui->model);
		ui->model = ev->model;
		ev->model = NULL;
		if (ui->model == NULL || !ui->model->remote) {
			ui_endpoint_free(ui->model_ep);
			ui->model_ep = NULL;
		}
		ui->state = ui->model != NULL ? STATE_READY : STATE_NOMODEL;
		ui->load_job = 0;
		ui->dirty = 1;
		break;
	case WORKER_EV_TOKEN:
		if (ev->job != ui->chat_job || ui->gen_msg < 0)
			break;
		chat_append(ui->chat, (size_t)ui->gen_msg, ev->text, ev->len);
		ui->gen_tokens += ev->ntok;
		/* Counts up while streaming; DONE sets the engine's figure. */
		if (ev->ctx_used > 0 && ui->model != NULL)
			ui->ctx_used = ev->ctx_used < ui->model->n_ctx ||
			    ui->model->n_ctx <= 0 ? ev->ctx_used :
			    ui->model->n_ctx;
		dt = ui_now() - ui->gen_start;
		if (dt > 0.2)
			ui->tps = ui->gen_tokens / dt;
		if (session_emit(ui->session, ev->text, ev->len,
		    &cause) != 0) {
			ui_message(ui, 1, "%s", cause);
			free(cause);
		}
		ui->dirty = 1;
		break;
	case WORKER_EV_DONE:
	case WORKER_EV_ERROR:
		if (ev->job == ui->chat_job)
			ui_gen_finish(ui, ev);
		break;
	}
}

void
ui_new_conversation(struct ui *ui)
{
	ui_ask_drop(ui, NULL);
	if (ui->state == STATE_GENERATING) {
		/* The answer is still finished in the store when DONE comes. */
		worker_cancel(ui->worker);
		ui->gen_msg = -1;
	}
	chat_clear(ui->chat);
	chat_set_system(ui->chat, prefs_system(&ui->prefs));
	ui->editing = -1;
	ui->ctx_used = 0;
	ui->tps = 0;
	ui->chatview.follow = 1;
	ui->dirty = 1;
}

/*
 * Load conversation conv's current path into c.  *title (may be NULL)
 * gets a copy of the title.  0 or -1 with *cause.
 */
int
ui_load_conversation(struct ui *ui, struct chat *c, int64_t conv,
    char **title, char **cause)
{
	struct store_conv	 sc;
	struct store_msg	*m;
	size_t			 n, i, k;
	enum chat_status	 cs;
	char			*label;

	if (store_conv_get(ui->store, conv, &sc, cause) != 0)
		return -1;
	if (store_msg_path(ui->store, conv, 0, &m, &n, cause) != 0) {
		store_conv_free(&sc);
		return -1;
	}
	chat_clear(c);
	chat_set_system(c, sc.system != NULL ? sc.system : "");
	c->conv_id = conv;
	for (i = 0; i < n; i++) {
		if (m[i].role == STORE_ROLE_SYSTEM)
			continue;
		k = chat_add(c, m[i].role == STORE_ROLE_USER ? CHAT_USER :
		    CHAT_ASSISTANT, m[i].content);
		c->msgs[k].id = m[i].id;
		switch (m[i].status) {
		case STORE_STATUS_INTERRUPTED:
		case STORE_STATUS_STREAMING:
			cs = CHAT_INTERRUPTED;
			break;
		case STORE_STATUS_CANCELLED:
			cs = CHAT_STOPPED;
			break;
		case STORE_STATUS_ERROR:
			cs = CHAT_FAILED;
			break;
		default:
			cs = CHAT_COMPLETE;
			break;
		}
		chat_set_status(c, k, cs);
		if (m[i].error != NULL && m[i].role == STORE_ROLE_ASSISTANT &&
		    (cs == CHAT_FAILED || cs == CHAT_INTERRUPTED))
			chat_set_error(c, k, m[i].error);
		if (m[i].prov.model_file != NULL &&
		    m[i].prov.endpoint_url != NULL) {
			/* A server's: the read-only view names it too. */
			xasprintf(&label, "remote %s%s%s", m[i].prov.model_file,
			    c != ui->chat ? " at " : "", c != ui->chat ?
			    m[i].prov.endpoint_url : "");
			chat_set_model(c, k, label);
			free(label);
		} else if (m[i].prov.model_file != NULL)
			chat_set_model(c, k, m[i].prov.model_file);
	}
	rec_loaded(ui, c, m, n);
	if (title != NULL)
		*title = xstrdup(sc.title);
	if (c == ui->chat) {
		free(ui->template_name);
		ui->template_name = sc.template_name != NULL ?
		    xstrdup(sc.template_name) : NULL;
		ui_resume_settings(ui, sc.params_json);
	}
	store_msgs_free(m, n);
	store_conv_free(&sc);
	return 0;
}

/*
 * A resumed conversation's own settings (params, as the store keeps
 * them) over the current ones; the values it changes come from "this
 * conversation" in /set's listing.
 */
static void
ui_resume_settings(struct ui *ui, const char *params)
{
	struct settings	 old = ui->set;
	char		*a, *b;
	size_t		 i;

	settings_from_json(&ui->set, params);
	for (i = 0; i < PREFS_NOPTS; i++) {
		a = settings_get(&old, opt_table[i].name);
		b = settings_get(&ui->set, opt_table[i].name);
		if (strcmp(a, b) != 0)
			ui->prefs.src[i] = PREF_CONV;
		free(a);
		free(b);
	}
}

int
ui_resume(struct ui *ui, int64_t conv, char **cause)
{
	if (ui->state == STATE_GENERATING) {
		xasprintf(cause, "still answering: Esc stops it");
		return -1;
	}
	if (ui->state == STATE_SAVING) {
		xasprintf(cause, "the last question is not saved yet (the "
		    "database is locked by another process): Esc gives it up");
		return -1;
	}
	if (ui_load_conversation(ui, ui->chat, conv, NULL, cause) != 0)
		return -1;
	ui->editing = -1;
	ui->offer_conv = 0;
	ui->chatview.follow = 1;
	ui_screen_home(ui);
	ui_message(ui, 0, "resumed conversation %lld", (long long)conv);
	return 0;
}

/*
 * Leave curses, run argv[0] with the terminal (stderr restored), come
 * back and redraw.  Returns the exit status, or -1.
 */
int
ui_suspend_run(struct ui *ui, char *const argv[])
{
	pid_t	pid;
	int	status = -1;

	def_prog_mode();
	ui_mouse_modes(ui, 0);
	fputs("\033[?2004l", stdout);
	fflush(stdout);
	endwin();
	ui_stderr(0);
	if ((pid = fork()) == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			continue;
	}
	ui_stderr(1);
	reset_prog_mode();
	ui_mouse_modes(ui, 1);
	fputs("\033[?2004h", stdout);
	fflush(stdout);
	clearok(curscr, TRUE);
	ui->dirty = 1;
	if (pid < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
