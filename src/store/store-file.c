/*
 * store-file.c -- reading a database file's bytes without SQLite's API
 * (its header before SQLite sees it, a private copy for a read-only
 * open), always through SQLite's own file layer: see store_file_read
 * for why a descriptor of our own would lose the process's locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-int.h"
#include "xmalloc.h"

/*
 * Read up to n bytes at off of the database file at path, through
 * SQLite's own file layer and never with open()/close() of our own:
 * closing any descriptor of a file drops every POSIX lock the process
 * holds on it, so a plain close() of a database that a connection of
 * this process has open (the chat's, when the answer writer opens its
 * own) would silently release that connection's locks -- and another
 * process closing the database would then take it for unused,
 * checkpoint it and delete the -wal file still in use here.  SQLite's
 * unix layer keeps such a descriptor open until the process's locks on
 * the file are gone.  The number of bytes read, or -1 with errno.
 */
ssize_t
store_file_read(const char *path, int64_t off, void *buf, size_t n)
{
	sqlite3_vfs	*vfs;
	sqlite3_file	*f;
	sqlite3_int64	 size;
	size_t		 want;
	int		 rc, outflags = 0, saved;

	if ((vfs = sqlite3_vfs_find(NULL)) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	f = xcalloc(1, (size_t)vfs->szOsFile);
	errno = 0;
	rc = vfs->xOpen(vfs, path, f, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_MAIN_DB, &outflags);
	if (rc != SQLITE_OK) {
		saved = errno != 0 ? errno : EACCES;
		if (f->pMethods != NULL)
			f->pMethods->xClose(f);
		free(f);
		errno = saved;
		return -1;
	}
	rc = f->pMethods->xFileSize(f, &size);
	want = 0;
	if (rc == SQLITE_OK && size > off)
		want = (uint64_t)(size - off) < n ? (size_t)(size - off) : n;
	if (rc == SQLITE_OK && want > 0)
		rc = f->pMethods->xRead(f, buf, (int)want, off);
	saved = errno;
	f->pMethods->xClose(f);
	free(f);
	if (rc != SQLITE_OK) {
		errno = saved != 0 ? saved : EIO;
		return -1;
	}
	return (ssize_t)want;
}

/*
 * Copy the file from to the new file to (0600); 0 or -1 with errno.  A
 * database (db) is read through store_file_read, never a descriptor of
 * our own (see there); its -wal file holds no lock SQLite relies on.
 */
int
store_copy_file(const char *from, const char *to, int db)
{
	char	 b[65536];
	ssize_t	 r, w, off;
	int64_t	 at = 0;
	int	 in = -1, out, rc = 0, saved;

	if (!db && (in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		saved = errno;
		if (in != -1)
			close(in);
		errno = saved;
		return -1;
	}
	for (;;) {
		r = db ? store_file_read(from, at, b, sizeof b) :
		    read(in, b, sizeof b);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR && !db)
				continue;
			rc = -1;
			break;
		}
		at += r;
		for (off = 0; rc == 0 && off < r; off += w) {
			if ((w = write(out, b + off, (size_t)(r - off))) < 0) {
				if (errno != EINTR)
					rc = -1;
				w = 0;
			}
		}
		if (rc != 0)
			break;
	}
	saved = errno;
	if (in != -1)
		close(in);
	if (close(out) != 0 && rc == 0)
		rc = -1;
	errno = saved;
	return rc;
}
