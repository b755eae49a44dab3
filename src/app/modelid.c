/*
 * modelid.c -- a model file's identity through the store's model
 * catalog (see modelid.h).  The one place that turns a path into
 * (size, mtime, sha256): `medchat ask`, the TUI's model loading and the
 * worker's hashing all come here.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "modelid.h"
#include "sha256.h"
#include "store.h"

static int	 modelid_stat(const char *, struct modelid *);

/* Size and mtime of path into id (sha256 cleared); 0 or -1. */
static int
modelid_stat(const char *path, struct modelid *id)
{
	struct stat	sb;

	memset(id, 0, sizeof *id);
	if (stat(path, &sb) != 0)
		return -1;
	id->size = (uint64_t)sb.st_size;
	id->mtime_ns = COMPAT_MTIME_NS(&sb);
	return 0;
}

int
modelid_hash(const char *path, struct modelid *id,
    int (*progress)(uint64_t, uint64_t, void *), void *arg, char **cause)
{
	char	sha[65];

	if (modelid_stat(path, id) != 0 ||
	    sha256_file(path, sha, progress, arg, cause) != 0) {
		memset(id, 0, sizeof *id);
		return -1;
	}
	memcpy(id->sha256, sha, sizeof id->sha256);
	return 0;
}

int
modelid_cached(struct store *s, const char *path, struct modelid *id)
{
	char	*cause = NULL;
	int	 rc;

	if (modelid_stat(path, id) != 0)
		return 0;
	rc = store_model_cached_sha256(s, path, id->size, id->mtime_ns,
	    id->sha256, &cause);
	free(cause);
	if (rc != 1)
		id->sha256[0] = '\0';
	return rc == 1;
}

int
modelid_record(struct store *s, const char *path, const struct modelid *id,
    char **cause)
{
	return store_model_set_sha256(s, path, id->size, id->mtime_ns,
	    id->sha256, cause);
}

int
modelid_get(struct store *s, const char *path, const char *announce,
    struct modelid *id, char **cause)
{
	const char	*base;

	if (modelid_cached(s, path, id))
		return 0;
	if (announce != NULL && id->size > (1 << 28)) {
		base = strrchr(path, '/');
		fprintf(stderr, "%s: computing the SHA-256 of %s (once per "
		    "file)...\n", announce, base != NULL ? base + 1 : path);
	}
	if (store_model_sha256(s, path, id->sha256, NULL, cause) != 0) {
		id->sha256[0] = '\0';
		return -1;
	}
	return 0;
}
