/* out.c - buffered, checked record output (see out.h). */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "out.h"

#define OUT_BUFSZ (256 * 1024)

static char obuf[OUT_BUFSZ];
static size_t olen;
static int ostate = OUT_OK;

void
out_init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static void
out_fail(int err)
{
	if (ostate != OUT_OK)
		return;
	ostate = err == EPIPE ? OUT_EPIPE : OUT_ERROR;
	if (ostate == OUT_ERROR)
		msg("write error: %s", strerror(err));
}

static void
out_raw(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && ostate == OUT_OK) {
		w = write(STDOUT_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			out_fail(errno);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

int
out_flush(void)
{
	out_raw(obuf, olen);
	olen = 0;
	return ostate;
}

void
out_write(const void *p, size_t n)
{
	if (ostate != OUT_OK)
		return;
	if (olen + n > sizeof obuf) {
		out_flush();
		if (n >= sizeof obuf) {
			out_raw(p, n);
			return;
		}
	}
	memcpy(obuf + olen, p, n);
	olen += n;
}

void
out_line(const void *p, size_t n)
{
	out_write(p, n);
	out_write("\n", 1);
}

int
out_failed(void)
{
	return ostate;
}

int
out_close(void)
{
	/* --help and --version print through stdio; keep their order. */
	if (fflush(stdout) == EOF && ostate == OUT_OK)
		out_fail(errno);
	out_flush();
	if (ostate == OUT_OK && close(STDOUT_FILENO) == -1 && errno != EBADF)
		out_fail(errno);
	return ostate;
}
