/*
 * fsutil.h -- small file-system helpers shared by the engine, the store, the
 * TUI and the benchmarks.
 */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/*
 * mkdir -p: make dir and every missing directory above it, each one this
 * creates with mode 0700 (private: the data is health data).  Existing
 * directories are left as they are.  0, or -1 with errno set and, when
 * failed is not NULL, *failed the path that could not be made (malloc'd,
 * the caller frees).
 */
int	 fs_mkdirs(const char *dir, char **failed);

/*
 * A per-user path under an XDG base directory: "$env/sub" when env (e.g.
 * "XDG_DATA_HOME") holds an absolute path -- the specification says to
 * ignore relative ones -- else "$HOME/fallback/sub" with HOME (or, when
 * HOME is unset or relative, the password database's home directory).
 * malloc'd; NULL when there is no home directory at all.
 */
char	*fs_xdg_path(const char *env, const char *fallback, const char *sub);

struct buf;
/*
 * Read the file at path into b (appended).  0 when read to its end, or
 * once b holds more than max bytes (max 0: no limit); 1 when the file
 * does not exist (b unchanged); -1 with errno on any other failure.
 */
int	 fs_read_file(const char *path, struct buf *b, size_t max);

/*
 * Write all n bytes of p to fd, going on after EINTR and short writes.
 * 0, or -1 with errno set (EIO if write(2) wrote nothing without one).
 */
int	 fs_write_all(int fd, const void *p, size_t n);

/*
 * Make the open file fd size bytes long with its blocks reserved, so that
 * writing it through a mapping cannot fail for want of space (a SIGBUS,
 * not an error).  posix_fallocate where the system has it, F_PREALLOCATE
 * on macOS; where the file system supports neither, the file is only
 * extended (sparse).  0, or an errno value (ENOSPC, EFBIG, ...).
 */
int	 fs_reserve(int fd, off_t size);

#endif
