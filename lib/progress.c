/* progress.c - one stage's progress on standard error (progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "progress.h"

/* A terminal line drawn and not ended: a message must clear it first. */
static int open_line;
static int env_said;	/* a bad PM_PROGRESS, said once */

struct progress {
	char		 label[64], unit[32];
	int		 mode;
	double		 t0, last;
	unsigned long	 total;
	int		 final;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dumb(void)
{
	const char *t = getenv("TERM");

	return t == NULL || *t == 0 || strcmp(t, "dumb") == 0;
}

int
progress_mode(int asked)
{
	const char *env = getenv("PM_PROGRESS");
	int tty = isatty(STDERR_FILENO) && !dumb();

	if (asked < 0)
		return PROGRESS_OFF;
	/* lines: a stage of a flow, whatever it was asked */
	if (env && strcmp(env, "lines") == 0)
		return PROGRESS_LINES;
	if (asked == 0 && env && *env) {
		if (strcmp(env, "off") == 0)
			return PROGRESS_OFF;
		if (strcmp(env, "on") == 0)
			asked = 1;
		else if (!env_said) {	/* "0", "no": not a yes, the default */
			env_said = 1;
			msg("PM_PROGRESS: \"%s\" is not on, off or lines "
			    "(ignored)", env);
		}
	}
	if (tty)
		return PROGRESS_TTY;
	return asked > 0 ? PROGRESS_LINES : PROGRESS_OFF;
}

struct progress *
progress_new(const char *label, const char *unit, int asked)
{
	struct progress *p;
	int mode = progress_mode(asked);

	if (mode == PROGRESS_OFF || (p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	snprintf(p->label, sizeof p->label, "%s", label);
	snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
	p->mode = mode;
	p->t0 = now_s();
	return p;
}

void
progress_total(struct progress *p, unsigned long total, int final)
{
	if (p == NULL)
		return;
	p->total = total;
	p->final = final;
}

/* "1:05" or "2:03:04" */
static void
hms(char *b, size_t n, double s)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(b, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(b, n, "%lu:%02lu", t / 60, t % 60);
}

static void
draw(struct progress *p, unsigned long done, int end, const char *fmt,
    va_list ap)
{
	char line[512], eta[32];
	double el = now_s() - p->t0, rate = el > 0 ? (double)done / el : 0;
	size_t n = 0, cap = sizeof line - 8;	/* room for \e[K\n */

#define ADD(...) do { int k_ = snprintf(line + n, cap - n, __VA_ARGS__); \
	if (k_ > 0) n += (size_t)k_ < cap - n ? (size_t)k_ : cap - n - 1; \
	} while (0)
	if (p->mode == PROGRESS_TTY)
		ADD("\r");
	ADD("%s: %lu", p->label, done);
	if (p->total)
		ADD("/%lu", p->total);
	if (*p->unit)
		ADD(" %s", p->unit);
	if (el >= 0.5)
		ADD(", %.1f/s", rate);
	if (!end && p->total && p->final && rate > 0 && done < p->total) {
		hms(eta, sizeof eta, (double)(p->total - done) / rate);
		ADD(", ETA %s", eta);
	}
	if (end) {
		hms(eta, sizeof eta, el);
		ADD(", %s", eta);
	}
	if (fmt && *fmt) {
		ADD("; ");
		if (n < cap - 1) {
			int k = vsnprintf(line + n, cap - n, fmt, ap);
			if (k > 0)
				n += (size_t)k < cap - n ? (size_t)k : cap - n - 1;
		}
	}
#undef ADD
	if (p->mode == PROGRESS_TTY) {
		memcpy(line + n, "\033[K", 3);
		n += 3;
	}
	if (p->mode != PROGRESS_TTY || end)
		line[n++] = '\n';
	/* One write: another stage's line never lands inside this one. */
	open_line = p->mode == PROGRESS_TTY && !end;
	if (write(STDERR_FILENO, line, n) < 0) {
		/* stderr is gone: nothing to tell anyone */
	}
}

void
progress_update(struct progress *p, unsigned long done, const char *fmt, ...)
{
	va_list ap;
	double t;

	if (p == NULL)
		return;
	t = now_s();
	if (t - p->last < (p->mode == PROGRESS_TTY ? 0.2 : 1.0))
		return;
	p->last = t;
	va_start(ap, fmt);
	draw(p, done, 0, fmt, ap);
	va_end(ap);
}

void
progress_end(struct progress *p, unsigned long done, const char *fmt, ...)
{
	va_list ap;

	if (p == NULL)
		return;
	va_start(ap, fmt);
	draw(p, done, 1, fmt, ap);
	va_end(ap);
}

void
progress_interrupt(void)
{
	if (open_line) {
		open_line = 0;
		if (write(STDERR_FILENO, "\r\033[K", 4) < 0) {
			/* nothing to tell */
		}
	}
}

void
progress_free(struct progress *p)
{
	free(p);
}
