/*
 * conffile-touch.h -- shared by the settings-file fuzz target
 * (fuzz-conffile.c) and the corpus replay in test-conffile: parse any
 * bytes with conffile_parse() (src/app/conffile.c) and check what came
 * out.  Returns -1 at the first check that fails, else 0:
 *  - the warnings kept are at most CONFFILE_WARN_MAX and no more than the
 *    bad lines counted, each one line of valid UTF-8 without control
 *    characters that starts with the file name;
 *  - the values set are in range: ctx 0..ENGINE_CTX_MAX, threads
 *    0..ENGINE_THREADS_MAX, models-dir at most CONFFILE_DIRS_MAX
 *    non-empty strings, the template name 1..32 bytes of [A-Za-z0-9._-];
 *  - at most CONFFILE_ENDPOINTS_MAX endpoints, each with a unique name of
 *    1..CONFFILE_NAME_MAX bytes of [A-Za-z0-9._-], an http(s) URL without
 *    credentials, control characters or spaces, and an API key (if any)
 *    of printable ASCII that no warning repeats when the key's own line
 *    is the only place the input holds it (a line is never quoted for
 *    its key).
 */
#ifndef CONFFILE_TOUCH_H
#define CONFFILE_TOUCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "conffile.h"
#include "engine.h"
#include "utf8.h"

/* How many times s occurs in data[0..size). */
static size_t
conffile_touch_count(const uint8_t *data, size_t size, const char *s)
{
	const uint8_t	*p = data, *q;
	size_t		 n = 0, len = strlen(s);

	while ((q = memmem(p, size - (size_t)(p - data), s, len)) != NULL) {
		n++;
		p = q + 1;
	}
	return n;
}

#define CONFFILE_TOUCH_NAMECH \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

static int
conffile_touch_endpoint(const struct conffile *c, size_t k,
    const uint8_t *data, size_t size)
{
	const struct conffile_endpoint	*e = &c->endpoints[k];
	const char			*auth;
	size_t				 n, i;

	n = strlen(e->name);
	if (n == 0 || n > CONFFILE_NAME_MAX ||
	    strspn(e->name, CONFFILE_TOUCH_NAMECH) != n)
		return -1;
	for (i = 0; i < k; i++) {
		if (strcmp(c->endpoints[i].name, e->name) == 0)
			return -1;
	}
	if (e->url == NULL)
		return -1;
	if (strncasecmp(e->url, "http://", 7) == 0)
		auth = e->url + 7;
	else if (strncasecmp(e->url, "https://", 8) == 0)
		auth = e->url + 8;
	else
		return -1;
	n = strcspn(auth, "/?#");
	if (n == 0 || memchr(auth, '@', n) != NULL)
		return -1;
	for (i = 0; e->url[i] != '\0'; i++) {
		if ((unsigned char)e->url[i] <= ' ' || e->url[i] == 0x7f)
			return -1;
	}
	if (e->api_key != NULL) {
		n = strlen(e->api_key);
		if (n == 0)
			return -1;
		for (i = 0; i < n; i++) {
			if ((unsigned char)e->api_key[i] <= ' ' ||
			    (unsigned char)e->api_key[i] >= 0x7f)
				return -1;
		}
		/* Short keys may be in a warning by chance. */
		if (n < 8 || conffile_touch_count(data, size, e->api_key) != 1)
			return 0;
		for (i = 0; i < c->n_warnings; i++) {
			if (strstr(c->warnings[i], e->api_key) != NULL)
				return -1;
		}
	}
	return 0;
}

static int
conffile_touch(const uint8_t *data, size_t size)
{
	struct conffile	 c;
	size_t		 i, j, n, bad;
	const char	*w;
	int		 rv = -1;

	conffile_init(&c);
	bad = conffile_parse(&c, "f.conf", (const char *)data, size);
	if (bad != c.n_bad || c.n_warnings > CONFFILE_WARN_MAX ||
	    c.n_warnings > c.n_bad)
		goto out;
	for (i = 0; i < c.n_warnings; i++) {
		w = c.warnings[i];
		n = strlen(w);
		if (strncmp(w, "f.conf:", 7) != 0 || !utf8_valid(w, n))
			goto out;
		for (j = 0; j < n; j++) {
			if ((unsigned char)w[j] < 0x20 || w[j] == 0x7f)
				goto out;
		}
	}
	if (c.ctx < -1 || c.ctx > ENGINE_CTX_MAX || c.threads < -1 ||
	    c.threads > ENGINE_THREADS_MAX ||
	    c.n_models_dirs > CONFFILE_DIRS_MAX)
		goto out;
	for (i = 0; i < c.n_models_dirs; i++) {
		if (c.models_dirs[i][0] == '\0')
			goto out;
	}
	if (c.template_name != NULL) {
		n = strlen(c.template_name);
		if (n == 0 || n > 32 ||
		    strspn(c.template_name, CONFFILE_TOUCH_NAMECH) != n)
			goto out;
	}
	if (c.n_endpoints > CONFFILE_ENDPOINTS_MAX)
		goto out;
	for (i = 0; i < c.n_endpoints; i++) {
		if (conffile_touch_endpoint(&c, i, data, size) != 0)
			goto out;
	}
	rv = 0;
out:
	conffile_free(&c);
	return rv;
}

#endif
