/*
 * conffile.c -- the chat's settings file (see conffile.h for the format).
 *
 * The parser works on a byte buffer so that the unit tests and the fuzz
 * target (tests/fuzz/fuzz-config.c) drive exactly what conffile_load reads.
 * Lines are handled one at a time and never copied beyond
 * CONFFILE_LINE_MAX; every check that can fail adds a warning and skips the
 * line.  Text quoted from the file in a warning is cut to
 * CONFFILE_QUOTE_MAX bytes, made valid UTF-8 and stripped of control
 * characters, so a warning is always one printable line.  Inside an
 * [endpoint] section nothing but key names is quoted, so an API key
 * typed on a wrong line never reaches a warning.
 *
 * conffile_load reads the file through one descriptor and takes its mode
 * from the same descriptor (fstat), so the file whose mode is checked is
 * the file whose api_key is kept.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "conffile.h"
#include "engine.h"
#include "fsutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define CONFFILE_QUOTE_MAX	48		/* bytes of a quoted value */
#define CONFFILE_FILE_MAX		(1024 * 1024)	/* bytes read from a file */
#define CONFFILE_TMPL_MAX		32		/* bytes in a template name */

/* Where conffile_line is: above the first section, or in one. */
#define CONFFILE_TOP		(-1)	/* the chat's settings */
#define CONFFILE_SKIP		(-2)	/* a section that is not kept */

static char	*conffile_quote(const char *, size_t);
static void	 conffile_warn(struct conffile *, const char *, size_t,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	 conffile_number(const char *, size_t, int, int *);
static int	 conffile_name_ok(const char *, size_t, const char *, int,
		    size_t);
static char	*conffile_path(struct conffile *, const char *, size_t,
		    const char *, size_t, const char *);
static void	 conffile_line(struct conffile *, const char *, size_t,
		    const char *, size_t, long *);
static void	 conffile_section(struct conffile *, const char *, size_t,
		    const char *, size_t, long *);
static void	 conffile_ep_key(struct conffile *, const char *, size_t,
		    long, const char *, size_t, const char *, size_t);
static void	 conffile_ep_free(struct conffile_endpoint *);
static void	 conffile_ep_check(struct conffile *, const char *);
static int	 conffile_read(const char *, struct buf *, mode_t *);
static int	 conffile_set_key(const char *, size_t);

void
conffile_init(struct conffile *c)
{
	memset(c, 0, sizeof *c);
	c->ctx = -1;
	c->threads = -1;
	c->input_history = -1;
	c->prefix_cache = -1;
}

void
conffile_free(struct conffile *c)
{
	size_t	i;

	xfreev(c->models_dirs, c->n_models_dirs);
	xfreev(c->warnings, c->n_warnings);
	free(c->template_name);
	for (i = 0; i < c->n_sets; i++) {
		free(c->sets[i].name);
		free(c->sets[i].value);
	}
	free(c->sets);
	free(c->path);
	for (i = 0; i < c->n_endpoints; i++)
		conffile_ep_free(&c->endpoints[i]);
	free(c->endpoints);
	free(c->refused);
	conffile_init(c);
}

/* Free a section's strings, the key wiped first. */
static void
conffile_ep_free(struct conffile_endpoint *e)
{
	if (e->api_key != NULL)
		explicit_bzero(e->api_key, strlen(e->api_key));
	free(e->api_key);
	free(e->name);
	free(e->url);
	free(e->model);
	free(e->template_name);
	free(e->cacert);
	free(e->api_key_env);
	memset(e, 0, sizeof *e);
}

void
conffile_warn_line(struct conffile *c, size_t line, const char *what)
{
	conffile_warn(c, c->path != NULL ? c->path : "medchat.conf", line,
	    "%s", what);
}

const struct conffile_endpoint *
conffile_endpoint(const struct conffile *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->n_endpoints; i++) {
		if (strcmp(c->endpoints[i].name, name) == 0)
			return &c->endpoints[i];
	}
	return NULL;
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

/*
 * Is s[0..n) 1..max bytes of A-Z a-z 0-9 and the characters of extra,
 * not starting with a digit when nodigit is set?
 */
static int
conffile_name_ok(const char *s, size_t n, const char *extra, int nodigit,
    size_t max)
{
	size_t	i;

	if (n == 0 || n > max || (nodigit && s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] != '\0' && strchr(extra, s[i]) != NULL)))
			return 0;
	}
	return 1;
}

/*
 * The path v[0..vn) with a leading ~/ made $HOME: a new string, or NULL
 * after a warning (what names the key).
 */
static char *
conffile_path(struct conffile *c, const char *name, size_t line,
    const char *v, size_t vn, const char *what)
{
	const char	*home;
	char		*dir;

	if (vn == 0) {
		conffile_warn(c, name, line, "%s: empty value", what);
		return NULL;
	}
	if (*v == '~' && (vn == 1 || v[1] == '/')) {
		home = getenv("HOME");
		if (home == NULL || *home == '\0') {
			conffile_warn(c, name, line, "%s: ~ but HOME is not "
			    "set", what);
			return NULL;
		}
		xasprintf(&dir, "%s%.*s", home, (int)(vn - 1), v + 1);
		return dir;
	}
	dir = xmalloc(vn + 1);
	memcpy(dir, v, vn);
	dir[vn] = '\0';
	return dir;
}

/*
 * A section header s[0..n) (starting with '['): [endpoint NAME] starts
 * a new endpoint (or replaces one of the same name) and sets *sect to
 * it; anything else is a bad line, and the lines up to the next header
 * are skipped with it.
 */
static void
conffile_section(struct conffile *c, const char *name, size_t line,
    const char *s, size_t n, long *sect)
{
	struct conffile_endpoint	*e;
	const char			*p, *nm;
	size_t				 pn, nn, i;
	char				*q;

	*sect = CONFFILE_SKIP;
	p = s + 1;
	pn = n - 1;
	if (pn == 0 || p[pn - 1] != ']') {
		q = conffile_quote(s, n);
		conffile_warn(c, name, line, "\"%s\" is not a section header "
		    "[endpoint NAME]; the lines up to the next one are "
		    "ignored", q);
		free(q);
		return;
	}
	pn--;
	while (pn > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		pn--;
	}
	while (pn > 0 && (p[pn - 1] == ' ' || p[pn - 1] == '\t'))
		pn--;
	nm = p + 8;
	nn = pn > 8 ? pn - 8 : 0;
	if (pn < 8 || memcmp(p, "endpoint", 8) != 0 || nn == 0 ||
	    (*nm != ' ' && *nm != '\t')) {
		q = conffile_quote(s, n);
		conffile_warn(c, name, line, "unknown section \"%s\" (only "
		    "[endpoint NAME]); its lines are ignored", q);
		free(q);
		return;
	}
	while (nn > 0 && (*nm == ' ' || *nm == '\t')) {
		nm++;
		nn--;
	}
	if (!conffile_name_ok(nm, nn, "._-", 0, CONFFILE_NAME_MAX)) {
		q = conffile_quote(nm, nn);
		conffile_warn(c, name, line, "endpoint name \"%s\" is not 1 to "
		    "%d of A-Z a-z 0-9 . _ -; its lines are ignored", q,
		    CONFFILE_NAME_MAX);
		free(q);
		return;
	}
	for (i = 0; i < c->n_endpoints; i++) {
		e = &c->endpoints[i];
		if (strlen(e->name) == nn && memcmp(e->name, nm, nn) == 0)
			break;
	}
	if (i < c->n_endpoints) {
		q = conffile_quote(nm, nn);
		conffile_warn(c, name, line, "[endpoint %s] again: it replaces "
		    "the one of line %zu", q, e->line);
		free(q);
		conffile_ep_free(e);
	} else if (c->n_endpoints == CONFFILE_ENDPOINTS_MAX) {
		conffile_warn(c, name, line, "more than %d endpoints; this one "
		    "is ignored", CONFFILE_ENDPOINTS_MAX);
		return;
	} else {
		c->endpoints = xreallocarray(c->endpoints, c->n_endpoints + 1,
		    sizeof *c->endpoints);
		e = &c->endpoints[c->n_endpoints++];
		memset(e, 0, sizeof *e);
	}
	e->name = xstrndup(nm, nn);
	e->line = line;
	*sect = (long)i;
}

/*
 * Key k[0..kn) = v[0..vn) of section sect.  Values are quoted in
 * warnings only where no key can be (url without credentials, model,
 * template, variable names); an api_key never is.
 */
static void
conffile_ep_key(struct conffile *c, const char *name, size_t line, long sect,
    const char *k, size_t kn, const char *v, size_t vn)
{
	struct conffile_endpoint	*e = &c->endpoints[sect];
	const char			*auth;
	char				**dst, *q;
	size_t				 i, an;

#define KEY(s) (kn == sizeof(s) - 1 && memcmp(k, s, kn) == 0)
	if (KEY("url")) {
		auth = vn >= 7 && strncasecmp(v, "http://", 7) == 0 ? v + 7 :
		    vn >= 8 && strncasecmp(v, "https://", 8) == 0 ? v + 8 :
		    NULL;
		/* The authority: up to '/', '?' or '#' (v is not a string). */
		for (an = 0; auth != NULL && auth + an < v + vn &&
		    auth[an] != '/' && auth[an] != '?' && auth[an] != '#';)
			an++;
		if (auth != NULL && memchr(auth, '@', an) != NULL) {
			conffile_warn(c, name, line, "url: credentials (user@ "
			    "or user:password@) are not accepted in a URL (not "
			    "shown); use api_key_env or api_key");
			return;
		}
		for (i = 0; i < vn; i++) {
			if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
				break;
		}
		if (auth == NULL || an == 0 || i < vn || vn > 2048) {
			q = conffile_quote(v, vn);
			conffile_warn(c, name, line, "url: \"%s\" is not an "
			    "http:// or https:// URL", q);
			free(q);
			return;
		}
		dst = &e->url;
	} else if (KEY("model")) {
		for (i = 0; i < vn; i++) {
			if ((unsigned char)v[i] < ' ' || v[i] == 0x7f)
				break;
		}
		if (vn == 0 || vn > 256 || i < vn) {
			conffile_warn(c, name, line, "model: not a model id (1 "
			    "to 256 printable bytes)");
			return;
		}
		dst = &e->model;
	} else if (KEY("template")) {
		if (!conffile_name_ok(v, vn, "._-", 0, CONFFILE_TMPL_MAX)) {
			q = conffile_quote(v, vn);
			conffile_warn(c, name, line, "template: bad name \"%s\"",
			    q);
			free(q);
			return;
		}
		dst = &e->template_name;
	} else if (KEY("cacert")) {
		if ((q = conffile_path(c, name, line, v, vn, "cacert")) ==
		    NULL)
			return;
		free(e->cacert);
		e->cacert = q;
		return;
	} else if (KEY("api_key_env")) {
		if (!conffile_name_ok(v, vn, "_", 1, 64)) {
			conffile_warn(c, name, line, "api_key_env: not the name "
			    "of an environment variable (A-Z a-z 0-9 _, not "
			    "starting with a digit)");
			return;
		}
		dst = &e->api_key_env;
	} else if (KEY("api_key")) {
		for (i = 0; i < vn; i++) {
			if ((unsigned char)v[i] <= ' ' ||
			    (unsigned char)v[i] >= 0x7f)
				break;
		}
		if (vn == 0 || i < vn) {
			conffile_warn(c, name, line, "api_key: not a key "
			    "(printable ASCII without spaces; the value is not "
			    "shown)");
			return;
		}
		if (e->api_key != NULL)
			explicit_bzero(e->api_key, strlen(e->api_key));
		dst = &e->api_key;
	} else {
		/* Quoted only when it cannot be a key: a-z, _ and -. */
		for (i = 0; i < kn && ((k[i] >= 'a' && k[i] <= 'z') ||
		    k[i] == '_' || k[i] == '-'); i++)
			;
		if (kn <= 20 && i == kn) {
			q = conffile_quote(k, kn);
			conffile_warn(c, name, line, "unknown key \"%s\" in "
			    "[endpoint %s]", q, e->name);
			free(q);
		} else
			conffile_warn(c, name, line, "unknown key in [endpoint "
			    "%s] (not shown)", e->name);
		return;
	}
#undef KEY
	free(*dst);
	*dst = xstrndup(v, vn);
}

/* Drop the sections without url (with a warning each). */
static void
conffile_ep_check(struct conffile *c, const char *name)
{
	size_t	i = 0;

	while (i < c->n_endpoints) {
		if (c->endpoints[i].url != NULL) {
			i++;
			continue;
		}
		conffile_warn(c, name, c->endpoints[i].line, "[endpoint %s] "
		    "has no url; it is ignored", c->endpoints[i].name);
		conffile_ep_free(&c->endpoints[i]);
		memmove(&c->endpoints[i], &c->endpoints[i + 1],
		    (c->n_endpoints - i - 1) * sizeof *c->endpoints);
		c->n_endpoints--;
	}
}

/*
 * One line (newline and CR removed, valid UTF-8, no NUL) numbered line,
 * in section *sect (changed by a section header).
 */
static void
conffile_line(struct conffile *c, const char *name, size_t line, const char *s,
    size_t n, long *sect)
{
	const char	*eq, *k, *v;
	size_t		 kn, vn;
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
	if (*s == '[') {
		conffile_section(c, name, line, s, n, sect);
		return;
	}
	if (*sect == CONFFILE_SKIP)
		return;
	if ((eq = memchr(s, '=', n)) == NULL) {
		if (*sect >= 0) {
			/* It may be a key typed without "api_key =". */
			conffile_warn(c, name, line, "no '=' (expected key = "
			    "value; the line is not shown)");
			return;
		}
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
	if (*sect >= 0) {
		conffile_ep_key(c, name, line, *sect, k, kn, v, vn);
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
		if ((dir = conffile_path(c, name, line, v, vn,
		    "models-dir")) == NULL)
			return;
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
		if (kn == 3 && num > 0 && num < 64) {
			conffile_warn(c, name, line, "ctx: %d is too small "
			    "(0 = the model's, else 64..%d)", num,
			    ENGINE_CTX_MAX);
			return;
		}
		if (kn == 3) {
			c->ctx = num;
			c->ctx_line = line;
		} else
			c->threads = num;
	} else if (kn == 8 && memcmp(k, "template", 8) == 0) {
		if (!conffile_name_ok(v, vn, "._-", 0, CONFFILE_TMPL_MAX)) {
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
	} else if ((kn == 13 && memcmp(k, "input-history", 13) == 0) ||
	    (kn == 12 && memcmp(k, "prefix-cache", 12) == 0)) {
		int	*flag = kn == 13 ? &c->input_history :
			    &c->prefix_cache;

		if (vn == 2 && memcmp(v, "on", 2) == 0)
			*flag = 1;
		else if (vn == 3 && memcmp(v, "off", 3) == 0)
			*flag = 0;
		else {
			q = conffile_quote(v, vn);
			conffile_warn(c, name, line, "%s: \"%s\" "
			    "is not on or off", kn == 13 ? "input-history" :
			    "prefix-cache", q);
			free(q);
		}
	} else if (conffile_set_key(k, kn)) {
		if (vn == 0) {
			q = conffile_quote(k, kn);
			conffile_warn(c, name, line, "%s: empty value", q);
			free(q);
			return;
		}
		c->sets = xreallocarray(c->sets, c->n_sets + 1,
		    sizeof *c->sets);
		c->sets[c->n_sets].name = xstrndup(k, kn);
		c->sets[c->n_sets].value = xstrndup(v, vn);
		c->sets[c->n_sets].line = line;
		c->n_sets++;
	} else {
		q = conffile_quote(k, kn);
		conffile_warn(c, name, line, "unknown key \"%s\"", q);
		free(q);
	}
}

/* Is k[0..kn) a generation setting's name (or system)? */
static int
conffile_set_key(const char *k, size_t kn)
{
	static const char *const names[] = { "temp", "top-k", "top-p",
	    "min-p", "repeat-penalty", "seed", "max-tokens", "system",
	    NULL };
	size_t	i;

	for (i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == kn && memcmp(names[i], k, kn) == 0)
			return 1;
	}
	return 0;
}

size_t
conffile_parse(struct conffile *c, const char *name, const char *text,
    size_t len)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 n, line = 0, bad = c->n_bad;
	long		 sect = CONFFILE_TOP;

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
			conffile_line(c, name, line, p, n, &sect);
		if (nl == end)
			break;
		p = nl + 1;
	}
	conffile_ep_check(c, name);
	return c->n_bad - bad;
}

/*
 * Read the file at path into b (at most CONFFILE_FILE_MAX + 1 bytes) and
 * its mode, through one descriptor.  0, 1 if there is no file, or -1 with
 * errno.
 */
static int
conffile_read(const char *path, struct buf *b, mode_t *mode)
{
	struct stat	sb;
	char		tmp[8192];
	ssize_t		r;
	int		fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	*mode = sb.st_mode;
	while (b->len <= CONFFILE_FILE_MAX) {
		if ((r = read(fd, tmp, sizeof tmp)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		buf_append(b, tmp, (size_t)r);
	}
	explicit_bzero(tmp, sizeof tmp);
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

size_t
conffile_load(struct conffile *c, const char *path)
{
	struct buf	 b = BUF_INIT;
	size_t		 bad, i;
	mode_t		 mode = 0;
	int		 rv, key = 0;

	free(c->path);
	c->path = xstrdup(path);
	if ((rv = conffile_read(path, &b, &mode)) != 0) {
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
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	for (i = 0; i < c->n_endpoints; i++) {
		if (c->endpoints[i].api_key != NULL)
			key = 1;
	}
	if (key && (mode & 077) != 0) {
		/* A key others may read is no secret: keep nothing. */
		conffile_free(c);
		c->path = xstrdup(path);
		conffile_warn(c, path, 0, "holds an api_key but its mode is "
		    "%04o, so others may read it: the whole file is ignored "
		    "(chmod 600 it, or name a variable with api_key_env)",
		    (unsigned)(mode & 07777));
		c->refused = xstrdup(c->warnings[0]);
		return 1;
	}
	return bad;
}

char *
conffile_default_path(void)
{
	return fs_xdg_path("XDG_CONFIG_HOME", ".config",
	    "medchat/medchat.conf");
}
