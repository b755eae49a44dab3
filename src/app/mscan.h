/*
 * mscan.h -- find GGUF model files and read their headers on a thread of
 * its own, so that a slow disk, an NFS mount, a FIFO or a huge directory
 * never stalls the UI thread; and list the models of remote servers
 * (the settings file's endpoints) on threads of their own, so that a
 * server that does not answer never stalls it either.
 *
 *	UI --mscan_start(dirs, files, endpoints)--> scan thread --(events)--> UI
 *	                                        \-> one thread per endpoint -/
 *
 * The thread first lists the directories (then the single files), sending
 * MSCAN_FOUND for each *.gguf file not seen before (compared by real
 * path), then reads the headers in the order found, sending MSCAN_PROBED
 * with the summary or the reader's one-line error.  Meanwhile each
 * endpoint's thread sends one MSCAN_REMOTE with the models its server
 * serves or the one-line reason it could not list them (refused, DNS,
 * TLS, 401, a timeout...).  MSCAN_DONE comes last, once all have ended.  Events wait in a mutex-protected list; each push writes a
 * byte to a non-blocking pipe whose read end (mscan_fd) the UI polls, as
 * for the worker.  mscan_stop() never waits for the thread: the thread
 * notices at the next file or directory entry and the last of the two to
 * let go frees the shared state, so a read stuck on a dead server cannot
 * freeze the caller.  No curses, no SQLite.
 */
#ifndef MSCAN_H
#define MSCAN_H

#include <stddef.h>

#include "backend.h"
#include "engine.h"

struct mscan;

/* Reads one file's header: engine_probe, or a stand-in in tests. */
typedef int	(*mscan_probe_fn)(const char *, struct engine_file_summary *,
		    char **);
/* Lists one server's models: backend_list_models, or a stand-in. */
typedef int	(*mscan_list_fn)(const struct backend_endpoint *,
		    struct backend_model **, size_t *, char **);

enum mscan_ev_type {
	MSCAN_FOUND,		/* idx, path: a new file */
	MSCAN_PROBED,		/* idx, ok, sum or error */
	MSCAN_REMOTE,		/* idx: the endpoint's number; ok: models
				   and nmodels, else error */
	MSCAN_DONE,		/* every file probed and every endpoint
				   listed (or the scan stopped) */
};

struct mscan_event {
	enum mscan_ev_type		 type;
	size_t				 idx;	/* file number, 0.. as found */
	char				*path;	/* FOUND: the real path */
	int				 ok;	/* PROBED: sum is valid */
	struct engine_file_summary	 sum;
	char				*error;	/* PROBED, REMOTE, !ok: one
						   line */
	struct backend_model		*models; /* REMOTE, ok: in the
						   server's order */
	size_t				 nmodels;
	struct mscan_event		*next;
};

/*
 * Start scanning dirs[0..ndirs) (NULL entries and missing directories are
 * skipped) and then files[0..nfiles) with probe, and listing the models
 * of eps[0..neps) with list (neps 0: list is not used).  The strings are
 * copied, an endpoint's key too (wiped when freed).  Returns NULL with
 * *cause if the pipe or the scan thread cannot be made; an endpoint
 * whose thread cannot be made gets its MSCAN_REMOTE error at once.
 */
struct mscan	*mscan_start(const char *const *dirs, size_t ndirs,
		    const char *const *files, size_t nfiles,
		    mscan_probe_fn probe, const struct backend_endpoint *eps,
		    size_t neps, mscan_list_fn list, char **cause);
/* Read end of the wake-up pipe, for poll(). */
int		 mscan_fd(struct mscan *);
/*
 * Empty the pipe and take the pending events, oldest first, as a list
 * the caller frees with mscan_event_free(); NULL if there are none.
 */
struct mscan_event *mscan_drain(struct mscan *);
/* Free ev and every event after it. */
void		 mscan_event_free(struct mscan_event *);
/* Let go of the scan (see above); never blocks.  NULL is ignored. */
void		 mscan_stop(struct mscan *);
/*
 * The same scan of files in the calling thread, all its events as one
 * list; no endpoints (network work has no place on the caller's thread).
 */
struct mscan_event *mscan_run(const char *const *dirs, size_t ndirs,
		    const char *const *files, size_t nfiles,
		    mscan_probe_fn probe);

#endif
