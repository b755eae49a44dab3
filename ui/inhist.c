/*
 * inhist.c -- the input history file: its path, its lock, and taking a
 * deleted conversation's questions out of it (see inhist.h).
 *
 * The file holds what was typed, health questions included, so a
 * conversation deleted from the store must not live on here.  Its lines
 * are the escaped inputs (slash_hist_escape); a question sent as
 * "//text" was stored as "/text", so both forms are removed.  Nothing
 * here uses readline: `medchat history delete` links it too.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "inhist.h"
#include "slash.h"
#include "store.h"
#include "xmalloc.h"

static int	 inhist_read(const char *, struct buf *, char **);
static int	 inhist_write(const char *, const char *, size_t, char **);
static int	 inhist_match(const char *, size_t, char *const *, size_t);
static int	 inhist_conv_lines(struct store *, int64_t, char ***,
		    size_t *, char **);

char *
inhist_default_path(void)
{
	return fs_xdg_path("XDG_DATA_HOME", ".local/share", "medchat/history");
}

int
inhist_lock(const char *path)
{
	char	*lp;
	int	 fd;

	xasprintf(&lp, "%s.lock", path);
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lp);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

void
inhist_unlock(int fd)
{
	if (fd != -1)
		close(fd);	/* releases the flock */
}

/* The whole file into b; 0 (a missing file is empty), or -1. */
static int
inhist_read(const char *path, struct buf *b, char **cause)
{
	if (fs_read_file(path, b, 0) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Replace the file at path by data[0..len), atomically, mode 0600. */
static int
inhist_write(const char *path, const char *data, size_t len, char **cause)
{
	char	*tmp;
	int	 fd;

	xasprintf(&tmp, "%s.tmp-XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	fchmod(fd, 0600);
	if (fs_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno != 0 ? errno :
		    EIO));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (close(fd) != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* 1 if s[0..n) equals one of lines[0..nlines). */
static int
inhist_match(const char *s, size_t n, char *const *lines, size_t nlines)
{
	size_t	i;

	for (i = 0; i < nlines; i++) {
		if (strlen(lines[i]) == n && memcmp(lines[i], s, n) == 0)
			return 1;
	}
	return 0;
}

int
inhist_remove(const char *path, char *const *lines, size_t n, char **cause)
{
	struct buf	 in = BUF_INIT, out = BUF_INIT;
	const char	*p, *end, *nl;
	size_t		 len;
	int		 fd, removed = 0, rv = 0;
	struct stat	 st;

	/* No file (input history off, never used): nothing to make. */
	if (n == 0 || (stat(path, &st) == -1 && errno == ENOENT))
		return 0;
	fd = inhist_lock(path);
	if (inhist_read(path, &in, cause) != 0)
		rv = -1;
	p = in.data;
	end = in.data + in.len;
	while (rv == 0 && p != NULL && p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (inhist_match(p, len, lines, n))
			removed++;
		else {
			buf_append(&out, p, len);
			buf_putc(&out, '\n');
		}
		p = nl < end ? nl + 1 : end;
	}
	if (rv == 0 && removed > 0 && inhist_write(path, out.data != NULL ?
	    out.data : "", out.len, cause) != 0)
		rv = -1;
	inhist_unlock(fd);
	buf_free(&in);
	buf_free(&out);
	return rv == 0 ? removed : -1;
}

/*
 * The history lines the conversation's questions were typed as: each
 * user message escaped, and "/"-prefixed once more for one that starts
 * with '/' (typed as "//...").  The caller frees them.
 */
static int
inhist_conv_lines(struct store *s, int64_t conv, char ***lines, size_t *n,
    char **cause)
{
	struct store_msg	*m;
	size_t			 nm, i;
	char			*t;

	*lines = NULL;
	*n = 0;
	if (store_msg_list(s, conv, &m, &nm, cause) != 0)
		return -1;
	*lines = xreallocarray(NULL, 2 * nm + 1, sizeof **lines);
	for (i = 0; i < nm; i++) {
		if (m[i].role != STORE_ROLE_USER)
			continue;
		(*lines)[(*n)++] = slash_hist_escape(m[i].content);
		if (m[i].content[0] == '/') {
			xasprintf(&t, "/%s", (*lines)[*n - 1]);
			(*lines)[(*n)++] = t;
		}
	}
	store_msgs_free(m, nm);
	return 0;
}

int
inhist_delete_conv(struct store *s, int64_t conv, const char *path,
    void (*forget)(char *const *, size_t), char **cause)
{
	char	**lines, *why = NULL;
	size_t	  n, i;
	int	  rv = 0;

	if (inhist_conv_lines(s, conv, &lines, &n, cause) != 0)
		return -1;
	if (store_conv_delete(s, conv, cause) != 0)
		rv = -1;
	else {
		if (forget != NULL)
			forget(lines, n);
		if (path != NULL && inhist_remove(path, lines, n, &why) < 0) {
			xasprintf(cause, "deleted, but its questions could "
			    "not be removed from the input history: %s", why);
			free(why);
			rv = 1;
		}
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return rv;
}
