/*
 * outfile.h - write a whole output file (--json, --status-path, --plot)
 * the way a careful Unix tool does: to what the path is.
 *
 * A path naming a device, a FIFO or a terminal (/dev/null, /dev/stdout, a
 * named pipe) is written in place, never replaced.  A regular file, or a
 * path that does not exist yet, is replaced atomically: the data goes to a
 * temp file created exclusively (mkstemp) in the directory of the file the
 * path resolves to, then renamed over it; a symlink keeps pointing at its
 * target, which gets the new content.  Missing parent directories are
 * made.  The caller owns path and data; nothing is kept.
 */
#ifndef PM_OUTFILE_H
#define PM_OUTFILE_H

#include <stddef.h>

/* 0, or -1 after a message naming the path once. */
int outfile_write(const char *path, const char *data, size_t len);

/* mkdir -p of the directory part of path (the database's, a lock's
 * too): 0, or -1 with errno set, nothing said. */
int outfile_mkparents(const char *path);

#endif
