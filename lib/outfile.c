/*
 * outfile.c - see outfile.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "outfile.h"

int
outfile_mkparents(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(dir, path);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = 0;
		if (mkdir(dir, 0777) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A device, FIFO or socket: written where it is, never replaced. */
static int
write_in_place(const char *path, const char *data, size_t len)
{
	int fd, rc;

	if ((fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) == -1) {
		msg("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = write_all(fd, data, len);
	if (rc == -1)
		msg("%s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

/* A regular file (or none yet): a private temp file beside it, renamed. */
static int
replace(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	mode_t mask;
	int fd, rc = -1;

	if (snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", dirlen, path,
	    slash ? slash + 1 : path) >= (int)sizeof tmp) {
		msg("%s: path too long", path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		msg("%s: %s", path, strerror(errno));
		return -1;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 || write_all(fd, data, len) == -1)
		msg("%s: %s", path, strerror(errno));
	else
		rc = 0;
	if (close(fd) == -1 && rc == 0) {
		msg("%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) == -1) {
		msg("%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc == -1)
		unlink(tmp);
	return rc;
}

int
outfile_write(const char *path, const char *data, size_t len)
{
	struct stat st;
	char *real;
	int rc;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return write_in_place(path, data, len);
	if (outfile_mkparents(path) == -1) {
		msg("%s: cannot create its directory: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Through a symlink: replace its target, keep the link. */
	if ((real = realpath(path, NULL)) == NULL)
		return replace(path, data, len);
	rc = replace(real, data, len);
	free(real);
	return rc;
}
