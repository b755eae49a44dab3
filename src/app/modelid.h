/*
 * modelid.h -- a model file's identity: its SHA-256, known by the size
 * and modification time it had when hashed.  The store's model catalog
 * caches the hash per (path, size, mtime), so a multi-GB file is read
 * once; provenance and the advisory acknowledgement name the file by it.
 *
 * Hashing reads the whole file (seconds for a big model): the TUI has
 * the worker thread do it with modelid_hash() and records the result
 * from the UI thread, which owns the store, with modelid_record();
 * `medchat ask` calls modelid_get(), which does both in line.
 */
#ifndef MODELID_H
#define MODELID_H

#include <stdint.h>

struct store;

struct modelid {
	char		 sha256[65];	/* 64 hex, "" when unknown */
	uint64_t	 size;		/* of the file when hashed */
	int64_t		 mtime_ns;
};

/*
 * Hash the file at path (any thread; no store): 0 and *id, or -1 and
 * *cause (may be NULL).  progress (may be NULL) is sha256_file's: a
 * nonzero return stops the hashing.
 */
int	 modelid_hash(const char *path, struct modelid *id,
	    int (*progress)(uint64_t done, uint64_t total, void *),
	    void *arg, char **cause);
/*
 * 1 and id->sha256 when the catalog knows the hash for the file's current
 * size and mtime; 0 otherwise (id->sha256 ""; also for a file that cannot
 * be read: hashing reports that).  id's size and mtime are the file's.
 */
int	 modelid_cached(struct store *, const char *path, struct modelid *id);
/* Remember an identity hashed elsewhere; 0 or -1 and *cause. */
int	 modelid_record(struct store *, const char *path,
	    const struct modelid *id, char **cause);
/*
 * The identity from the catalog, or hashed now and recorded.  With
 * announce (the message prefix, e.g. "medchat ask") a line on stderr
 * says when a large file is about to be read.  0, or -1 and *cause.
 */
int	 modelid_get(struct store *, const char *path, const char *announce,
	    struct modelid *id, char **cause);

#endif
