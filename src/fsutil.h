/*
 * fsutil.h -- small file-system helpers shared by the store, the TUI and
 * the benchmarks.
 */
#ifndef FSUTIL_H
#define FSUTIL_H

/*
 * mkdir -p: make dir and every missing directory above it, each one this
 * creates with mode 0700 (private: the data is health data).  Existing
 * directories are left as they are.  0, or -1 with errno set and, when
 * failed is not NULL, *failed the path that could not be made (malloc'd,
 * the caller frees).
 */
int	 fs_mkdirs(const char *dir, char **failed);

#endif
