/*
 * conffile.c -- the chat's settings file (see conffile.h for the format).
 *
 * The parser works on a byte buffer so that the unit tests and the fuzz
 * target (tests/fuzz/fuzz-config.c) drive exactly what conffile_load reads.
 * Lines are handled one at a time and never copied beyond
 * CONFFILE_LINE_MAX; every check that can fail adds a warning and skips the
 * line.  Text quoted from the file in a warning is cut to
 * CONFFILE_QUOTE_MAX bytes, made valid UTF-8 and stripped of control
 * characters, so a warning is always one printable line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conffile.h"
#include "engine.h"
#include "fsutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define CONFFILE_QUOTE_MAX	48		/* bytes of a quoted value */
#define CONFFILE_FILE_MAX		(1024 * 1024)	/* bytes read from a file */
#define CONFFILE_TMPL_MAX		32		/* bytes in a template name */

static char	*conffile_quote(const char *, size_t);
static void	 conffile_warn(struct conffile *, const char *, size_t,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	 conffile_number(const char *, size_t, int, int *);
static void	 conffile_line(struct conffile *, const char *, size_t,
		    const char *, size_t);

void
conffile_init(struct conffile *c)
{
	memset(c, 0, sizeof *c);
	c->ctx = -1;
	c->threads = -1;
	c->input_history = -1;
}

void
conffile_free(struct conffile *c)
{
	xfreev(c->models_dirs, c->n_models_dirs);
	xfreev(c->warnings, c->n_warnings);
	free(c->template_name);
	conffile_init(c);
}

/*
 * s[0..n) made safe to show: at most CONFFILE_QUOTE_MAX bytes (then "..."),
 * invalid UTF-8 replaced, control characters as '?'.  Caller frees.
 */
static char *
conffile_quote(const char *s, size_t n)
{
	char	*q, *out;
	size_t	 cut, i;

	cut = n > CONFFILE_QUOTE_MAX ? utf8_complete_prefix(s,
	    CONFFILE_QUOTE_MAX) : n;
	q = utf8_sanitize(s, cut, NULL);
	for (i = 0; q[i] != '\0'; i++) {
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			q[i] = '?';
	}
	if (cut == n)
		return q;
	xasprintf(&out, "%s...", q);
	free(q);
	return out;
}

/* Count a bad line and keep its warning "NAME:LINE: what" (or "NAME: "). */
static void
conffile_warn(struct conffile *c, const char *name, size_t line,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*what, *w, *qname;

	c->n_bad++;
	if (c->n_warnings == CONFFILE_WARN_MAX)
		return;
	va_start(ap, fmt);
	xvasprintf(&what, fmt, ap);
	va_end(ap);
	qname = utf8_sanitize(name, strlen(name), NULL);
	for (w = qname; *w != '\0'; w++) {
		if ((unsigned char)*w < 0x20 || *w == 0x7f)
			*w = '?';
	}
	if (line > 0)
		xasprintf(&w, "%s:%zu: %s", qname, line, what);
	else
		xasprintf(&w, "%s: %s", qname, what);
	free(qname);
	free(what);
	c->warnings = xreallocarray(c->warnings, c->n_warnings + 1,
	    sizeof *c->warnings);
	c->warnings[c->n_warnings++] = w;
}

/* s[0..n) as a decimal number 0..max into *v; 0, or -1 if it is not. */
static int
conffile_number(const char *s, size_t n, int max, int *v)
{
	long	l = 0;
	size_t	i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		l = l * 10 + (s[i] - '0');
		if (l > max)
			return -1;
	}
	*v = (int)l;
	return 0;
}

/* One line (newline and CR removed, valid UTF-8, no NUL) numbered line. */
static void
conffile_line(struct conffile *c, const char *name, size_t line, const char *s,
    size_t n)
{
	const char	*eq, *k, *v, *home;
	size_t		 kn, vn, i;
	char		*q, *dir;
	int		 num;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || *s == '#')
		return;
	if ((eq = memchr(s, '=', n)) == NULL) {
		q = conffile_quote(s, n);
		conffile_warn(c, name, line, "no '=' in \"%s\" (expected "
		    "key = value)", q);
		free(q);
		return;
	}
	k = s;
	kn = (size_t)(eq - s);
	while (kn > 0 && (k[kn - 1] == ' ' || k[kn - 1] == '\t'))
		kn--;
	v = eq + 1;
	vn = n - (size_t)(v - s);
	while (vn > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	if (kn == 0) {
		conffile_warn(c, name, line, "no key before '='");
		return;
	}

	if (kn == 10 && memcmp(k, "models-dir", 10) == 0) {
		if (vn == 0) {
			conffile_warn(c, name, line, "models-dir: empty value");
			return;
		}
		if (c->n_models_dirs == CONFFILE_DIRS_MAX) {
			conffile_warn(c, name, line, "more than %d models-dir "
			    "lines; this one is ignored", CONFFILE_DIRS_MAX);
			return;
		}
		if (*v == '~' && (vn == 1 || v[1] == '/')) {
			home = getenv("HOME");
			if (home == NULL || *home == '\0') {
				conffile_warn(c, name, line, "models-dir: ~ but "
				    "HOME is not set");
				return;
			}
			xasprintf(&dir, "%s%.*s", home, (int)(vn - 1), v + 1);
		} else {
			dir = xmalloc(vn + 1);
			memcpy(dir, v, vn);
			dir[vn] = '\0';
		}
		c->models_dirs = xreallocarray(c->models_dirs,
		    c->n_models_dirs + 1, sizeof *c->models_dirs);
		c->models_dirs[c->n_models_dirs++] = dir;
	} else if ((kn == 3 && memcmp(k, "ctx", 3) == 0) ||
	    (kn == 7 && memcmp(k, "threads", 7) == 0)) {
		if (conffile_number(v, vn, kn == 3 ? ENGINE_CTX_MAX :
		    ENGINE_THREADS_MAX, &num) != 0) {
			q = conffile_quote(v, vn);
			conffile_warn(c, name, line, "%s: bad number \"%s\" "
			    "(0..%d)", kn == 3 ? "ctx" : "threads", q,
			    kn == 3 ? ENGINE_CTX_MAX : ENGINE_THREADS_MAX);
			free(q);
			return;
		}
		if (kn == 3)
			c->ctx = num;
		else
			c->threads = num;
	} else if (kn == 8 && memcmp(k, "template", 8) == 0) {
		for (i = 0; i < vn; i++) {
			if (!((v[i] >= 'a' && v[i] <= 'z') ||
			    (v[i] >= 'A' && v[i] <= 'Z') ||
			    (v[i] >= '0' && v[i] <= '9') ||
			    v[i] == '-' || v[i] == '_' || v[i] == '.'))
				break;
		}
		if (vn == 0 || vn > CONFFILE_TMPL_MAX || i < vn) {
			q = conffile_quote(v, vn);
			conffile_warn(c, name, line, "template: bad name \"%s\"",
			    q);
			free(q);
			return;
		}
		free(c->template_name);
		c->template_name = xmalloc(vn + 1);
		memcpy(c->template_name, v, vn);
		c->template_name[vn] = '\0';
	} else if (kn == 13 && memcmp(k, "input-history", 13) == 0) {
		if (vn == 2 && memcmp(v, "on", 2) == 0)
			c->input_history = 1;
		else if (vn == 3 && memcmp(v, "off", 3) == 0)
			c->input_history = 0;
		else {
			q = conffile_quote(v, vn);
			conffile_warn(c, name, line, "input-history: \"%s\" "
			    "is not on or off", q);
			free(q);
		}
	} else {
		q = conffile_quote(k, kn);
		conffile_warn(c, name, line, "unknown key \"%s\"", q);
		free(q);
	}
}

size_t
conffile_parse(struct conffile *c, const char *name, const char *text,
    size_t len)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 n, line = 0, bad = c->n_bad;

	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > CONFFILE_LINE_MAX)
			conffile_warn(c, name, line, "line longer than %d bytes",
			    CONFFILE_LINE_MAX);
		else if (memchr(p, '\0', n) != NULL)
			conffile_warn(c, name, line, "NUL byte in the line");
		else if (!utf8_valid(p, n))
			conffile_warn(c, name, line, "not valid UTF-8");
		else
			conffile_line(c, name, line, p, n);
		if (nl == end)
			break;
		p = nl + 1;
	}
	return c->n_bad - bad;
}

size_t
conffile_load(struct conffile *c, const char *path)
{
	struct buf	 b = BUF_INIT;
	size_t		 bad;
	int		 rv;

	if ((rv = fs_read_file(path, &b, CONFFILE_FILE_MAX)) != 0) {
		if (rv == -1)
			conffile_warn(c, path, 0, "%s", strerror(errno));
		buf_free(&b);
		return rv == -1 ? 1 : 0;
	}
	bad = 0;
	if (b.len > CONFFILE_FILE_MAX) {
		buf_truncate(&b, CONFFILE_FILE_MAX);
		conffile_warn(c, path, 0, "longer than %d bytes; the rest is "
		    "ignored", CONFFILE_FILE_MAX);
		bad = 1;
	}
	bad += conffile_parse(c, path, b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	return bad;
}

char *
conffile_default_path(void)
{
	return fs_xdg_path("XDG_CONFIG_HOME", ".config",
	    "medchat/medchat.conf");
}
