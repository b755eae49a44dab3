/*
 * fsutil.c -- file-system helpers (see fsutil.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>

#include "buf.h"
#include "fsutil.h"
#include "xmalloc.h"

int
fs_mkdirs(const char *dir, char **failed)
{
	struct stat	 sb;
	char		*s, *p, save;
	int		 err;

	if (failed != NULL)
		*failed = NULL;
	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	s = xstrdup(dir);
	/* Each prefix that ends before a '/' (not the root), then all. */
	for (p = s + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '/' && (p[-1] == '/' || p[1] == '\0'))
			continue;	/* "a//b", "a/" */
		save = *p;
		*p = '\0';
		if (mkdir(s, 0700) == -1) {
			if (errno != EEXIST)
				goto fail;
			/* something is there: it must be a directory */
			if (stat(s, &sb) == -1)
				goto fail;
			if (!S_ISDIR(sb.st_mode)) {
				errno = ENOTDIR;
				goto fail;
			}
		}
		*p = save;
		if (save == '\0')
			break;
	}
	free(s);
	return 0;

fail:
	err = errno;
	if (failed != NULL)
		*failed = s;
	else
		free(s);
	errno = err;
	return -1;
}

char *
fs_xdg_path(const char *env, const char *fallback, const char *sub)
{
	const char	*x, *home;
	struct passwd	*pw;
	char		*p;

	if ((x = getenv(env)) != NULL && *x == '/') {
		xasprintf(&p, "%s/%s", x, sub);
		return p;
	}
	home = getenv("HOME");
	if (home == NULL || *home != '/') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : NULL;
	}
	if (home == NULL || *home != '/')
		return NULL;
	xasprintf(&p, "%s/%s/%s", home, fallback, sub);
	return p;
}

int
fs_read_file(const char *path, struct buf *b, size_t max)
{
	char	chunk[8192];
	ssize_t	r;
	int	fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 1 : -1;
	for (;;) {
		r = read(fd, chunk, sizeof chunk);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_append(b, chunk, (size_t)r);
		if (max > 0 && b->len > max)
			break;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return r == -1 ? -1 : 0;
}

int
fs_write_all(int fd, const void *p, size_t n)
{
	const char	*q = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, q, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fs_reserve(int fd, off_t size)
{
#ifdef HAVE_POSIX_FALLOCATE
	int		err;
#elif defined(F_PREALLOCATE)
	struct stat	sb;
	fstore_t	fst;
#endif

#ifdef HAVE_POSIX_FALLOCATE
	if ((err = posix_fallocate(fd, 0, size)) == 0)
		return 0;
	/* Not supported by this file system: a sparse file it is. */
	if (err != EOPNOTSUPP && err != EINVAL)
		return err;
#elif defined(F_PREALLOCATE)
	/*
	 * macOS: reserve the blocks past the current end (contiguous if it
	 * can), then set the length, which F_PREALLOCATE does not.
	 */
	if (fstat(fd, &sb) == -1)
		return errno;
	if (sb.st_size < size) {
		memset(&fst, 0, sizeof fst);
		fst.fst_flags = F_ALLOCATECONTIG | F_ALLOCATEALL;
		fst.fst_posmode = F_PEOFPOSMODE;
		fst.fst_length = size - sb.st_size;
		if (fcntl(fd, F_PREALLOCATE, &fst) == -1) {
			fst.fst_flags = F_ALLOCATEALL;
			if (fcntl(fd, F_PREALLOCATE, &fst) == -1 &&
			    errno == ENOSPC)
				return ENOSPC;
		}
	}
#endif
	if (ftruncate(fd, size) == -1)
		return errno;
	return 0;
}
