/*
 * mscan.h -- find GGUF model files and read their headers on a thread of
 * its own, so that a slow disk, an NFS mount, a FIFO or a huge directory
 * never stalls the UI thread.
 *
 *	UI --mscan_start(dirs, files)--> scan thread --(events)--> UI
 *
 * The thread first lists the directories (then the single files), sending
 * MSCAN_FOUND for each *.gguf file not seen before (compared by real
 * path), then reads the headers in the order found, sending MSCAN_PROBED
 * with the summary or the reader's one-line error, and ends with
 * MSCAN_DONE.  Events wait in a mutex-protected list; each push writes a
 * byte to a non-blocking pipe whose read end (mscan_fd) the UI polls, as
 * for the worker.  mscan_stop() never waits for the thread: the thread
 * notices at the next file or directory entry and the last of the two to
 * let go frees the shared state, so a read stuck on a dead server cannot
 * freeze the caller.  No curses, no SQLite.
 */
#ifndef MSCAN_H
#define MSCAN_H

#include <stddef.h>

#include "engine.h"

struct mscan;

/* Reads one file's header: engine_probe, or a stand-in in tests. */
typedef int	(*mscan_probe_fn)(const char *, struct engine_file_summary *,
		    char **);

enum mscan_ev_type {
	MSCAN_FOUND,		/* idx, path: a new file */
	MSCAN_PROBED,		/* idx, ok, sum or error */
	MSCAN_DONE,		/* every file probed (or the scan stopped) */
};

struct mscan_event {
	enum mscan_ev_type		 type;
	size_t				 idx;	/* file number, 0.. as found */
	char				*path;	/* FOUND: the real path */
	int				 ok;	/* PROBED: sum is valid */
	struct engine_file_summary	 sum;
	char				*error;	/* PROBED, !ok: one line */
	struct mscan_event		*next;
};

/*
 * Start scanning dirs[0..ndirs) (NULL entries and missing directories are
 * skipped) and then files[0..nfiles) with probe.  The strings are
 * copied.  Returns NULL with *cause if the pipe or the thread cannot be
 * made.
 */
struct mscan	*mscan_start(const char *const *dirs, size_t ndirs,
		    const char *const *files, size_t nfiles,
		    mscan_probe_fn probe, char **cause);
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
/* The same scan in the calling thread: all its events as one list. */
struct mscan_event *mscan_run(const char *const *dirs, size_t ndirs,
		    const char *const *files, size_t nfiles,
		    mscan_probe_fn probe);

#endif
