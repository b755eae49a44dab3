/* test-fsutil.c -- fs_mkdirs: nested private directories, what is in the way. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "testhelp.h"
#include "xmalloc.h"

static int
mode_of(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
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

	test_rmtree(base);
	return test_report();
}
