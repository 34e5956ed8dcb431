/* msg.c - the one place that formats diagnostics (see msg.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "progress.h"

static const char *prog = "pm";

void
msg_init(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == 0)
		return;
	p = strrchr(argv0, '/');
	prog = p ? p + 1 : argv0;
}

const char *
msg_prog(void)
{
	return prog;
}

static void
vmsg(const char *file, unsigned long line, const char *fmt, va_list ap)
{
	char text[2048];

	vsnprintf(text, sizeof text, fmt, ap);
	progress_interrupt();
	/* One write per message, so messages of parallel tools do not mix. */
	if (file)
		fprintf(stderr, "%s: %s:%lu: %s\n", prog, file, line, text);
	else
		fprintf(stderr, "%s: %s\n", prog, text);
}

void
msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, 0, fmt, ap);
	va_end(ap);
}

void
msg_at(const char *file, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(file, line, fmt, ap);
	va_end(ap);
}
