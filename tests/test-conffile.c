/*
 * test-conffile.c -- the settings file parser (src/app/conffile.c): comments,
 * blank lines and spaces, repeated keys, overlong lines, non-UTF-8 and
 * NUL bytes, missing '=', bad numbers and names, ~ in models-dir,
 * input-history and prefix-cache on/off, the warning format (FILE:LINE: what, printable,
 * one line), a missing or unreadable file, and the default path from the
 * environment.  [endpoint NAME] sections: their keys and checks, bad
 * headers, replaced and url-less sections, and an API key that never
 * reaches a warning and is refused, with the whole file, where others
 * may read it.  Last, the fuzz target's corpus (tests/fuzz/
 * corpus-conffile) replayed through its checks (conffile-touch.h).
 */
#include <sys/types.h>
#include <dirent.h>
#include <sys/stat.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testhelp.h"
#include "buf.h"
#include "conffile.h"
#include "fsutil.h"
#include "fuzz/conffile-touch.h"
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

/* 1 if no warning holds needle. */
static int
unwarned(const struct conffile *c, const char *needle)
{
	size_t	i;

	for (i = 0; i < c->n_warnings; i++) {
		if (strstr(c->warnings[i], needle) != NULL)
			return 0;
	}
	return 1;
}

static void
test_endpoints(void)
{
	struct conffile			 c;
	const struct conffile_endpoint	*e;
	size_t				 n, i;
	char				*p;

	conffile_init(&c);
	n = PARSE(&c, "ctx = 64\n"
	    "[endpoint lab]\n"
	    "url = http://gpu1.lab:8000/v1\n"
	    "model = meditron-70b\n"
	    "template = chatml\n"
	    "cacert = ~/ca.pem\n"
	    "api_key_env = LAB_KEY\n"
	    "  [ endpoint  local_2 ]  \n"
	    "url=http://127.0.0.1:8080/v1\n"
	    "api_key = sk-abc123\n");
	e = conffile_endpoint(&c, "lab");
	test_condf(n == 0 && c.ctx == 64 && c.n_endpoints == 2 && e != NULL &&
	    strcmp(e->url, "http://gpu1.lab:8000/v1") == 0 &&
	    strcmp(e->model, "meditron-70b") == 0 &&
	    strcmp(e->template_name, "chatml") == 0 &&
	    strcmp(e->cacert, "/home/someone/ca.pem") == 0 &&
	    strcmp(e->api_key_env, "LAB_KEY") == 0 && e->api_key == NULL &&
	    e->line == 2, "endpoint: every key of a section (%s)",
	    c.n_warnings > 0 ? c.warnings[0] : "no warning");
	e = conffile_endpoint(&c, "local_2");
	test_cond(e != NULL && strcmp(e->url, "http://127.0.0.1:8080/v1") ==
	    0 && e->model == NULL && e->template_name == NULL &&
	    strcmp(e->api_key, "sk-abc123") == 0 &&
	    conffile_endpoint(&c, "nope") == NULL,
	    "endpoint: spaces in the header, a key given in the file");

	n = PARSE(&c, "[endpoint lab]\nurl = http://a:1/v1\nctx = 5\n"
	    "models-dir = /d\n");
	test_cond(n == 2 && c.ctx == -1 && c.n_models_dirs == 0 &&
	    warned(&c, 0, "t.conf:3: unknown key \"ctx\" in [endpoint lab]"),
	    "endpoint: the chat's keys are not endpoint keys");

	n = PARSE(&c, "[models]\nurl = x\nctx = 5\n[endpoint a/b]\n"
	    "url = http://x:1\n[endpoint]\n[endpoint ok\nctx = 6\n"
	    "[endpoint ok]\nurl = http://ok:1/v1\n");
	test_condf(n == 4 && c.ctx == -1 && c.n_endpoints == 1 &&
	    conffile_endpoint(&c, "ok") != NULL &&
	    warned(&c, 0, "t.conf:1: unknown section \"[models]\"") &&
	    warned(&c, 1, "t.conf:4: endpoint name \"a/b\"") &&
	    warned(&c, 2, "t.conf:6: unknown section") &&
	    warned(&c, 3, "t.conf:7: \"[endpoint ok\" is not a section "
	    "header") && printable(&c), "endpoint: bad headers are warned "
	    "about and their lines skipped (%s)", c.n_warnings > 2 ?
	    c.warnings[2] : "?");

	n = PARSE(&c, "[endpoint a]\nurl = http://one:1/v1\nmodel = m1\n"
	    "[endpoint a]\nurl = http://two:2/v1\n[endpoint b]\nmodel = x\n");
	e = conffile_endpoint(&c, "a");
	test_condf(n == 2 && c.n_endpoints == 1 && e != NULL &&
	    strcmp(e->url, "http://two:2/v1") == 0 && e->model == NULL &&
	    warned(&c, 0, "t.conf:4: [endpoint a] again: it replaces the one "
	    "of line 1") && warned(&c, 1, "t.conf:6: [endpoint b] has no url"),
	    "endpoint: a name again replaces; no url, no endpoint (%s)",
	    c.n_warnings > 1 ? c.warnings[1] : "?");

	n = PARSE(&c, "[endpoint a]\nurl = ftp://x/v1\nurl = http://\n"
	    "url = http://h:1/v 1\nurl = https://bob:hunter2@h:1/v1\n"
	    "model = \ntemplate = chat ml\napi_key_env = 1X\n"
	    "api_key_env = A-B\nurl = HTTPS://H:443/v1\n");
	e = conffile_endpoint(&c, "a");
	test_condf(n == 8 && e != NULL &&
	    strcmp(e->url, "HTTPS://H:443/v1") == 0 && e->model == NULL &&
	    e->template_name == NULL && e->api_key_env == NULL &&
	    warned(&c, 0, "t.conf:2: url: \"ftp://x/v1\" is not an http") &&
	    warned(&c, 3, "t.conf:5: url: credentials") &&
	    unwarned(&c, "hunter2") && unwarned(&c, "bob") && printable(&c),
	    "endpoint: bad values warned about, credentials in a URL not "
	    "shown (%s)", c.n_warnings > 3 ? c.warnings[3] : "?");

	n = PARSE(&c, "[endpoint a]\nurl = http://h:1/v1\n"
	    "sk-SECRET1\napi_key = sk-SECRET2 x\napi_key =\n"
	    "sk-SECRET3 = 1\napi_key = sk-\x01SECRET4\n");
	e = conffile_endpoint(&c, "a");
	test_condf(n == 5 && e != NULL && e->api_key == NULL &&
	    unwarned(&c, "SECRET") && warned(&c, 0, "t.conf:3: no '='") &&
	    warned(&c, 1, "t.conf:4: api_key: not a key") && printable(&c),
	    "endpoint: no warning ever quotes what may be a key (%s)",
	    c.n_warnings > 3 ? c.warnings[3] : "?");

	p = malloc(40 * 32 + 1);
	for (i = 0; i < 40; i++)
		snprintf(p + i * 32, 33, "[endpoint e%02zu]\nurl = http://h:1\n",
		    i);
	n = parse(&c, p, 40 * 32);
	test_condf(n == 40 - CONFFILE_ENDPOINTS_MAX &&
	    c.n_endpoints == CONFFILE_ENDPOINTS_MAX &&
	    conffile_endpoint(&c, "e31") != NULL &&
	    conffile_endpoint(&c, "e32") == NULL, "endpoints capped at %d",
	    CONFFILE_ENDPOINTS_MAX);
	free(p);
	conffile_free(&c);
}

/* Write text to path with mode; 0 or -1. */
static int
write_mode(const char *path, const char *text, mode_t mode)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0 || chmod(path, mode) != 0)
		return -1;
	return 0;
}

/* An API key in a file others may read: the file is refused. */
static void
test_key_file(const char *tmpd)
{
	struct conffile			 c;
	const struct conffile_endpoint	*e;
	char				 path[256];
	size_t				 n;

	snprintf(path, sizeof path, "%s/key.conf", tmpd);
	conffile_init(&c);
	test_cond(write_mode(path, "ctx = 99\n[endpoint lab]\nurl = "
	    "http://h:1/v1\napi_key = sk-FILEKEY\n", 0600) == 0 &&
	    conffile_load(&c, path) == 0 && c.refused == NULL &&
	    (e = conffile_endpoint(&c, "lab")) != NULL &&
	    strcmp(e->api_key, "sk-FILEKEY") == 0 && c.ctx == 99,
	    "key file: mode 0600 is accepted with its key");
	conffile_free(&c);
	conffile_init(&c);
	test_cond(chmod(path, 0640) == 0, "key file: made 0640");
	n = conffile_load(&c, path);
	test_condf(n == 1 && c.refused != NULL && c.n_endpoints == 0 &&
	    c.ctx == -1 && strstr(c.refused, path) == c.refused &&
	    strstr(c.refused, "0640") != NULL &&
	    strchr(c.refused, '\n') == NULL && unwarned(&c, "FILEKEY") &&
	    c.n_warnings == 1 && strcmp(c.warnings[0], c.refused) == 0,
	    "key file: group-readable: the whole file refused in one line "
	    "naming it and its mode (%s)", c.refused != NULL ? c.refused :
	    "not refused");
	conffile_free(&c);
	conffile_init(&c);
	test_cond(chmod(path, 0604) == 0 && conffile_load(&c, path) == 1 &&
	    c.refused != NULL && strstr(c.refused, "0604") != NULL,
	    "key file: other-readable: refused");
	conffile_free(&c);
	conffile_init(&c);
	test_cond(write_mode(path, "[endpoint lab]\nurl = http://h:1/v1\n"
	    "api_key_env = LAB_KEY\n", 0644) == 0 &&
	    conffile_load(&c, path) == 0 && c.refused == NULL &&
	    c.n_endpoints == 1, "key file: a variable's name needs no 0600");
	conffile_free(&c);
	unlink(path);
}

/*
 * Each file of the fuzz corpus whole and cut at every 7th byte: the
 * number of files read and *bad those that failed conffile_touch.
 */
static int
test_corpus(const char *dir, int *bad)
{
	struct dirent	*d;
	struct buf	 b = BUF_INIT;
	DIR		*dp;
	char		 path[4096];
	size_t		 cut;
	int		 n = 0;

	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		buf_truncate(&b, 0);
		if (fs_read_file(path, &b, 0) != 0) {
			(*bad)++;
			continue;
		}
		n++;
		for (cut = b.len; ; cut = cut > 7 ? cut - 7 : 0) {
			if (conffile_touch((const uint8_t *)b.data, cut) != 0) {
				test_diag("%s: fails its checks cut at %zu",
				    path, cut);
				(*bad)++;
				break;
			}
			if (cut == 0)
				break;
		}
	}
	closedir(dp);
	buf_free(&b);
	return n;
}

int
main(void)
{
	struct conffile	 c;
	struct passwd	*pw;
	char		*big, *p, *q, path[256], tmpd[] = "/tmp/test-config.XXXXXX";
	size_t		 n, i;
	int		 bad, nc;
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
	n = PARSE(&c, "ctx = 64\n");
	test_cond(n == 0 && c.prefix_cache == -1, "prefix-cache is not set by "
	    "default");
	n = PARSE(&c, "prefix-cache = off\n");
	test_cond(n == 0 && c.prefix_cache == 0 && c.input_history == -1,
	    "prefix-cache = off (input-history untouched)");
	n = PARSE(&c, "prefix-cache=off\nprefix-cache = on\n");
	test_cond(n == 0 && c.prefix_cache == 1, "prefix-cache = on, the "
	    "later line counts");
	n = PARSE(&c, "prefix-cache = maybe\n");
	test_condf(n == 1 && c.prefix_cache == -1 && warned(&c, 0,
	    "t.conf:1: prefix-cache: \"maybe\" is not on or off"),
	    "prefix-cache takes only on or off (%s)",
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
	memcpy(big + 14 + CONFFILE_LINE_MAX, "\nctx = 700\n", 11);
	n = parse(&c, big, 14 + CONFFILE_LINE_MAX + 11);
	test_cond(n == 1 && c.n_models_dirs == 0 && c.ctx == 700 &&
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

	n = PARSE(&c, "models-dir = /caf\xe9\nctx = 900\n\xff\xfe = 1\n"
	    "template = \xc3\xa9t\xc3\xa9\n");
	test_cond(n == 3 && c.n_models_dirs == 0 && c.ctx == 900 &&
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

	test_endpoints();

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
	test_key_file(tmpd);
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

	snprintf(path, sizeof path, "%s/tests/fuzz/corpus-conffile",
	    getenv("top_srcdir") != NULL && *getenv("top_srcdir") != '\0' ?
	    getenv("top_srcdir") : ".");
	setenv("HOME", "/home/someone", 1);
	bad = 0;
	nc = test_corpus(path, &bad);
	test_condf(nc >= 5 && bad == 0, "fuzz corpus replayed (%d files, "
	    "each whole and cut short): %d failures", nc, bad);
	return test_report();
}
