/*
 * advisory.c -- the model-risk advisory compiled in from data/advisory.txt.
 *
 * The file's first line is "advisory-version: V", then a blank line,
 * then the text.  The text's SHA-256 and the version together identify
 * what a user acknowledged (store.c: store_ack_*): editing the text
 * without bumping the version still asks again.  Parsed once, lazily.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "advisory.h"
#include "prompts.h"
#include "sha256.h"
#include "xmalloc.h"

#include "advisory-txt.h"

static pthread_once_t	 advisory_once = PTHREAD_ONCE_INIT;
static const char	*advisory_body;
static char		 advisory_ver[32];
static char		 advisory_hash[SHA256_HEXLEN + 1];

static void
advisory_init(void)
{
	const char	*v;
	size_t		 n;

	/* The file is ours (compiled in); a malformed one is a build bug. */
	advisory_body = prompts_header(advisory_txt, "advisory-version", &v,
	    &n);
	if (n == 0 || n >= sizeof advisory_ver)
		abort();
	memcpy(advisory_ver, v, n);
	advisory_ver[n] = '\0';
	sha256_hex(advisory_body, strlen(advisory_body), advisory_hash);
}

const char *
advisory_text(void)
{
	pthread_once(&advisory_once, advisory_init);
	return advisory_body;
}

const char *
advisory_version(void)
{
	pthread_once(&advisory_once, advisory_init);
	return advisory_ver;
}

const char *
advisory_sha256(void)
{
	pthread_once(&advisory_once, advisory_init);
	return advisory_hash;
}

const struct store_advisory *
advisory_ident(void)
{
	static struct store_advisory	 ident;

	pthread_once(&advisory_once, advisory_init);
	ident.version = advisory_version();
	ident.sha256 = advisory_hash;
	return &ident;
}
