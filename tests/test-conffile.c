/*
 * test-conffile.c -- the settings file parser (src/app/conffile.c): comments,
 * blank lines and spaces, repeated keys, overlong lines, non-UTF-8 and
 * NUL bytes, missing '=', bad numbers and names, ~ in models-dir,
 * input-history on/off, the warning format (FILE:LINE: what, printable,
 * one line), a missing or unreadable file, and the default path from the
 * environment.
 */
#include <sys/stat.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testhelp.h"
#include "conffile.h"
#include "engine.h"
#include "utf8.h"
#include "xmalloc.h"

/* Parse s (with explicit length) into a fresh c; returns the bad lines. */
static size_t
parse(struct conffile *c, const char *s, size_t n)
{
	conffile_free(c);
	conffile_init(c);
	return conffile_parse(c, "t.conf", s, n);
}
#define PARSE(c, s) parse((c), (s), sizeof (s) - 1)

/* 1 if warning i exists and starts with prefix. */
static int
warned(const struct conffile *c, size_t i, const char *prefix)
{
	return i < c->n_warnings &&
	    strncmp(c->warnings[i], prefix, strlen(prefix)) == 0;
}

/* 1 if every warning is valid UTF-8 without control characters. */
static int
printable(const struct conffile *c)
{
	size_t		i, j;

	for (i = 0; i < c->n_warnings; i++) {
		if (!utf8_valid(c->warnings[i], strlen(c->warnings[i])))
			return 0;
		for (j = 0; c->warnings[i][j] != '\0'; j++) {
			if ((unsigned char)c->warnings[i][j] < 0x20 ||
			    c->warnings[i][j] == 0x7f)
				return 0;
		}
	}
	return 1;
}

int
main(void)
{
	struct conffile	 c;
	struct passwd	*pw;
	char		*big, *p, *q, path[256], tmpd[] = "/tmp/test-config.XXXXXX";
	size_t		 n, i;
	FILE		*f;

	conffile_init(&c);
	test_cond(c.ctx == -1 && c.threads == -1 && c.template_name == NULL &&
	    c.n_models_dirs == 0, "an empty config sets nothing");

	n = PARSE(&c, "# a comment\n\n   \n\t# indented comment\n"
	    "ctx=512\n  threads \t=\t 3  \r\n template =   chatml\n");
	test_cond(n == 0 && c.n_warnings == 0, "comments, blanks, spaces, CR: "
	    "no warnings");
	test_cond(c.ctx == 512 && c.threads == 3 &&
	    c.template_name != NULL && strcmp(c.template_name, "chatml") == 0,
	    "values parsed with spaces around key and value");

	n = PARSE(&c, "ctx = 100\nctx = 200\ntemplate = a\ntemplate = b\n"
	    "models-dir = /one\nmodels-dir=/two dirs/x\n");
	test_cond(n == 0 && c.ctx == 200 && strcmp(c.template_name, "b") == 0,
	    "a repeated key: the last value counts");
	test_cond(c.n_models_dirs == 2 &&
	    strcmp(c.models_dirs[0], "/one") == 0 &&
	    strcmp(c.models_dirs[1], "/two dirs/x") == 0,
	    "models-dir repeats, in order, inner spaces kept");

	test_cond(c.input_history == -1, "input-history is not set by default");
	n = PARSE(&c, "input-history = off\n");
	test_cond(n == 0 && c.input_history == 0, "input-history = off");
	n = PARSE(&c, "input-history = off\ninput-history=on\n");
	test_cond(n == 0 && c.input_history == 1, "input-history = on, the "
	    "later line counts");
	n = PARSE(&c, "input-history = no\n");
	test_condf(n == 1 && c.input_history == -1 && warned(&c, 0,
	    "t.conf:1: input-history: \"no\" is not on or off"),
	    "input-history takes only on or off (%s)",
	    c.n_warnings > 0 ? c.warnings[0] : "none");

	n = PARSE(&c, "ctx = 64");
	test_cond(n == 0 && c.ctx == 64, "last line without a newline");

	n = PARSE(&c, "ctx = 64\nbogus = 1\n");
	test_condf(n == 1 && warned(&c, 0, "t.conf:2: unknown key \"bogus\""),
	    "unknown key warned with file:line (%s)",
	    c.n_warnings > 0 ? c.warnings[0] : "none");
	test_cond(c.ctx == 64, "other lines still count");

	n = PARSE(&c, "ctx 512\n= 3\nthreads =\n");
	test_cond(n == 3 && warned(&c, 0, "t.conf:1: no '='") &&
	    warned(&c, 1, "t.conf:2: no key") &&
	    warned(&c, 2, "t.conf:3: threads: bad number"),
	    "missing '=', missing key and empty number warned");

	/* The limits are engine.h's: ENGINE_CTX_MAX is 1 << 20 and
	 * ENGINE_THREADS_MAX 256. */
	n = PARSE(&c, "ctx = -1\nctx = 12x\nctx = 1048577\nthreads = 257\n"
	    "ctx = 99999999999999999999\nthreads = 0x10\nctx = 1 2\n");
	test_condf(n == 7 && c.ctx == -1 && c.threads == -1,
	    "bad numbers rejected (%zu bad), nothing set", n);
	test_cond(warned(&c, 0, "t.conf:1: ctx: bad number \"-1\"") &&
	    warned(&c, 4, "t.conf:5: ctx: bad number"),
	    "bad number warnings quote the value");
	n = PARSE(&c, "ctx = 0\nthreads = 256\nctx = 1048576\n");
	test_cond(n == 0 && c.ctx == ENGINE_CTX_MAX &&
	    c.threads == ENGINE_THREADS_MAX,
	    "limits are accepted");

	n = PARSE(&c, "template = chat ml\ntemplate = \ntemplate = "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	test_cond(n == 3 && c.template_name == NULL,
	    "bad template names rejected");

	n = PARSE(&c, "models-dir =\n");
	test_cond(n == 1 && c.n_models_dirs == 0 &&
	    warned(&c, 0, "t.conf:1: models-dir: empty"), "empty models-dir");

	setenv("HOME", "/home/someone", 1);
	n = PARSE(&c, "models-dir = ~/models\nmodels-dir = ~\n"
	    "models-dir = ~x/y\n");
	test_cond(n == 0 && c.n_models_dirs == 3 &&
	    strcmp(c.models_dirs[0], "/home/someone/models") == 0 &&
	    strcmp(c.models_dirs[1], "/home/someone") == 0 &&
	    strcmp(c.models_dirs[2], "~x/y") == 0,
	    "~/ in models-dir is $HOME, ~user is left alone");

	/* An overlong line is skipped whole; the next one still counts. */
	big = malloc(CONFFILE_LINE_MAX + 64);
	memcpy(big, "models-dir = /", 14);
	memset(big + 14, 'a', CONFFILE_LINE_MAX);
	memcpy(big + 14 + CONFFILE_LINE_MAX, "\nctx = 7\n", 9);
	n = parse(&c, big, 14 + CONFFILE_LINE_MAX + 9);
	test_cond(n == 1 && c.n_models_dirs == 0 && c.ctx == 7 &&
	    warned(&c, 0, "t.conf:1: line longer than"),
	    "an overlong line is skipped with a warning");
	memset(big, 'x', CONFFILE_LINE_MAX);
	memcpy(big, "ctx=1", 5);
	n = parse(&c, big, CONFFILE_LINE_MAX);
	test_condf(n == 1 && warned(&c, 0, "t.conf:1: ctx: bad number") &&
	    strlen(c.warnings[0]) < 120, "a long bad value is cut in the "
	    "warning (%zu bytes)", c.n_warnings > 0 ?
	    strlen(c.warnings[0]) : 0);
	free(big);

	n = PARSE(&c, "models-dir = /caf\xe9\nctx = 9\n\xff\xfe = 1\n"
	    "template = \xc3\xa9t\xc3\xa9\n");
	test_cond(n == 3 && c.n_models_dirs == 0 && c.ctx == 9 &&
	    warned(&c, 0, "t.conf:1: not valid UTF-8") &&
	    warned(&c, 1, "t.conf:3: not valid UTF-8") &&
	    warned(&c, 2, "t.conf:4: template: bad name \"\xc3\xa9t\xc3\xa9\""),
	    "non-UTF-8 lines skipped, UTF-8 quoted as is");
	n = PARSE(&c, "ctx = 1\0 2\nthreads = 2\n");
	test_cond(n == 1 && c.ctx == -1 && c.threads == 2 &&
	    warned(&c, 0, "t.conf:1: NUL byte"), "a NUL byte spoils its line");
	n = PARSE(&c, "k\x1b[2J\x07 = 1\n");
	test_cond(n == 1 && printable(&c), "control characters never reach "
	    "a warning");

	p = malloc(64 * 8);
	for (i = 0; i < 64; i++)
		memcpy(p + i * 8, "bad = 1\n", 8);
	n = parse(&c, p, 64 * 8);
	test_cond(n == 64 && c.n_bad == 64 &&
	    c.n_warnings == CONFFILE_WARN_MAX &&
	    warned(&c, CONFFILE_WARN_MAX - 1, "t.conf:16:"),
	    "all bad lines counted, the first few warnings kept");
	free(p);
	p = malloc(40 * 16);
	for (i = 0; i < 40; i++)
		memcpy(p + i * 16, "models-dir = /d\n", 16);
	n = parse(&c, p, 40 * 16);
	test_cond(n == 40 - CONFFILE_DIRS_MAX &&
	    c.n_models_dirs == CONFFILE_DIRS_MAX, "models-dir lines capped");
	free(p);

	/* Files. */
	if (mkdtemp(tmpd) == NULL) {
		test_skip("files", "mkdtemp failed");
		conffile_free(&c);
		return test_report();
	}
	conffile_free(&c);
	conffile_init(&c);
	snprintf(path, sizeof path, "%s/none.conf", tmpd);
	test_cond(conffile_load(&c, path) == 0 && c.n_warnings == 0,
	    "a missing file is no error");
	snprintf(path, sizeof path, "%s/medchat.conf", tmpd);
	f = fopen(path, "w");
	fputs("# test\nctx = 256\nwhat = 1\n", f);
	fclose(f);
	n = conffile_load(&c, path);
	test_condf(n == 1 && c.ctx == 256 &&
	    c.n_warnings == 1 && strstr(c.warnings[0], "medchat.conf:3: "
	    "unknown key") != NULL, "a file is read (%s)",
	    c.n_warnings > 0 ? c.warnings[0] : "no warning");
	conffile_free(&c);
	conffile_init(&c);
	test_cond(conffile_load(&c, tmpd) == 1 && c.n_warnings == 1 &&
	    strncmp(c.warnings[0], tmpd, strlen(tmpd)) == 0,
	    "a directory is warned about, naming it");
	conffile_free(&c);
	unlink(path);
	rmdir(tmpd);

	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	p = conffile_default_path();
	test_cond(p != NULL && strcmp(p, "/x/conf/medchat/medchat.conf") == 0,
	    "default path under $XDG_CONFIG_HOME");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	p = conffile_default_path();
	test_cond(p != NULL && strcmp(p,
	    "/home/someone/.config/medchat/medchat.conf") == 0,
	    "default path under $HOME/.config");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative/conf", 1);
	p = conffile_default_path();
	test_cond(p != NULL && strcmp(p,
	    "/home/someone/.config/medchat/medchat.conf") == 0,
	    "a relative $XDG_CONFIG_HOME is ignored (XDG spec)");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	pw = getpwuid(getuid());
	p = conffile_default_path();
	if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/') {
		xasprintf(&q, "%s/.config/medchat/medchat.conf", pw->pw_dir);
		test_condf(p != NULL && strcmp(p, q) == 0, "without HOME: "
		    "the password database's home (%s)", p ? p : "NULL");
		free(q);
	} else
		test_cond(p == NULL, "no home directory at all: no path");
	free(p);
	return test_report();
}
