/*
 * test-fsutil.c -- fs_mkdirs: nested private directories, what is in the
 * way; fs_reserve: a file's blocks reserved, and the error for no room;
 * fs_write_all: every byte, and its errors.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "testhelp.h"
#include "xmalloc.h"

static int	 mode_of(const char *);
static void	 test_reserve(const char *);

static int
mode_of(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

/*
 * fs_reserve on a file with a header: the length set, the header kept,
 * the blocks there where the system reserves them, and EFBIG, not a
 * signal, when a file size limit leaves no room.
 */
static void
test_reserve(const char *base)
{
	struct stat	 sb;
	char		*p, head[8];
	pid_t		 pid;
	int		 fd, rc, status;
	off_t		 size = 1 << 20;

	xasprintf(&p, "%s/reserve", base);
	fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600);
	test_cond(fd != -1 && write(fd, "GGUFhead", 8) == 8,
	    "reserve: file with a header");
	rc = fs_reserve(fd, size);
	test_condf(rc == 0, "reserve: 1 MiB (%s)", strerror(rc));
	if (fstat(fd, &sb) != 0)
		sb.st_size = -1;
	test_condf(sb.st_size == size, "reserve: the file is 1 MiB long "
	    "(%lld)", (long long)sb.st_size);
	test_cond(pread(fd, head, 8, 0) == 8 && memcmp(head, "GGUFhead",
	    8) == 0, "reserve: the header is kept");
#ifdef HAVE_POSIX_FALLOCATE
	/* Where the file system reserves at all, all of it is reserved. */
	if (posix_fallocate(fd, size, 4096) == 0)
		test_condf((off_t)sb.st_blocks * 512 >= size,
		    "reserve: %lld bytes of blocks reserved",
		    (long long)sb.st_blocks * 512);
	else
		test_skip("reserve: blocks reserved", "this file system does "
		    "not reserve blocks");
#else
	test_skip("reserve: blocks reserved", "no posix_fallocate: the "
	    "fallback makes a sparse file where F_PREALLOCATE is missing");
#endif
	close(fd);
	unlink(p);

	/* A file size limit below the size stands in for a full disk. */
	pid = fork();
	if (pid == 0) {
		struct rlimit	rl = { 65536, 65536 };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
		    (fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
			_exit(2);
		rc = fs_reserve(fd, size);
		_exit(rc == EFBIG ? 0 : 1);
	}
	status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	test_condf(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "reserve: past the file size limit is EFBIG (status %d)", status);
	unlink(p);
	free(p);
}

/* fs_write_all: every byte, then the errors of a bad descriptor and a
   full device. */
static void
test_write_all(const char *base)
{
	char	*p, *back;
	char	*data;
	size_t	 n = 3u << 20, i, got = 0;
	int	 fd;

	data = xmalloc(n);
	for (i = 0; i < n; i++)
		data[i] = (char)(i * 131 + (i >> 12));
	xasprintf(&p, "%s/all", base);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	test_cond(fd != -1 && fs_write_all(fd, data, n) == 0 &&
	    close(fd) == 0, "write_all: 3 MiB written");
	back = test_slurp(p, &got);
	test_condf(back != NULL && got == n && memcmp(back, data, n) == 0,
	    "write_all: read back the same (%zu bytes)", got);
	free(back);
	free(p);
	errno = 0;
	test_cond(fs_write_all(-1, data, 1) == -1 && errno == EBADF,
	    "write_all: a bad descriptor is -1 with EBADF");
	if ((fd = open("/dev/full", O_WRONLY)) != -1) {
		errno = 0;
		test_cond(fs_write_all(fd, data, 4096) == -1 &&
		    errno == ENOSPC, "write_all: a full device is -1 with "
		    "ENOSPC");
		close(fd);
	} else
		test_skip("write_all: a full device", "no /dev/full");
	free(data);
}

int
main(void)
{
	char	 tmpl[] = "/tmp/medchat-fsutil.XXXXXX", *base, *p, *q, *failed;
	FILE	*f;
	int	 rc;

	base = mkdtemp(tmpl);
	test_cond(base != NULL, "temporary directory");
	if (base == NULL)
		return test_report();
	umask(0);	/* the modes below must come from fs_mkdirs itself */

	xasprintf(&p, "%s/a/b/c", base);
	test_cond(fs_mkdirs(p, NULL) == 0, "nested directories made");
	test_condf(mode_of(p) == 0700, "leaf is 0700 (%o)", mode_of(p));
	free(p);
	xasprintf(&p, "%s/a", base);
	test_condf(mode_of(p) == 0700, "parent is 0700 (%o)", mode_of(p));
	free(p);

	xasprintf(&p, "%s/a/b/c", base);
	test_cond(fs_mkdirs(p, NULL) == 0, "existing directory is fine");
	free(p);

	xasprintf(&p, "%s//x///y/", base);
	test_cond(fs_mkdirs(p, NULL) == 0, "repeated and trailing slashes");
	free(p);
	xasprintf(&p, "%s/x/y", base);
	test_cond(mode_of(p) == 0700, "... made the right directory");
	free(p);

	/* An existing directory with other modes is not changed. */
	xasprintf(&p, "%s/open", base);
	mkdir(p, 0755);
	xasprintf(&q, "%s/open/inner", base);
	test_cond(fs_mkdirs(q, NULL) == 0 && mode_of(p) == 0755 &&
	    mode_of(q) == 0700, "existing parent's mode left alone");
	free(p);
	free(q);

	/* A file in the way: ENOTDIR, and the path that failed. */
	xasprintf(&p, "%s/file", base);
	f = fopen(p, "w");
	if (f != NULL)
		fclose(f);
	xasprintf(&q, "%s/file/sub", base);
	rc = fs_mkdirs(q, &failed);
	test_condf(rc == -1 && errno == ENOTDIR, "file in the way is an "
	    "error (%s)", strerror(errno));
	test_condf(failed != NULL && strcmp(failed, p) == 0,
	    "failed path named (%s)", failed != NULL ? failed : "NULL");
	free(failed);
	rc = fs_mkdirs(p, &failed);
	test_cond(rc == -1 && errno == ENOTDIR, "the file itself is not a "
	    "directory");
	free(failed);
	free(q);
	free(p);

	/* fs_xdg_path: absolute $XDG_* used, relative ignored, $HOME. */
	setenv("HOME", "/home/someone", 1);
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	p = fs_xdg_path("XDG_CACHE_HOME", ".cache", "medchat/bench");
	test_condf(p != NULL && strcmp(p, "/x/cache/medchat/bench") == 0,
	    "xdg: absolute base used (%s)", p ? p : "NULL");
	free(p);
	setenv("XDG_CACHE_HOME", "x/cache", 1);
	p = fs_xdg_path("XDG_CACHE_HOME", ".cache", "medchat/bench");
	test_condf(p != NULL &&
	    strcmp(p, "/home/someone/.cache/medchat/bench") == 0,
	    "xdg: relative base ignored, $HOME used (%s)", p ? p : "NULL");
	free(p);
	unsetenv("XDG_CACHE_HOME");

	test_reserve(base);
	test_write_all(base);

	test_rmtree(base);
	return test_report();
}
