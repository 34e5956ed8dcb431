/*
 * progress.h - one stage's progress on standard error.
 *
 *	pm-fetch history: 120/406 requests, 35.2/s, ETA 0:08; 3 retries
 *
 * Each line names its stage.  done/total when the total is known, the
 * rate since the start, and an ETA once the total is final.  Where it
 * goes is decided once, in progress_new():
 *
 *   --no-progress (asked < 0), or PM_PROGRESS=off with no option: none
 *   PM_PROGRESS=lines (what pipelines.sh sets in a flow, whatever the
 *	stage's options): whole lines, one a second at most, each written
 *	with one write(2) so two stages never share a line
 *   a terminal with TERM other than dumb: one line redrawn in place
 *	(\r ... \e[K), at most five times a second, ended by a newline
 *   --progress elsewhere (or TERM=dumb, PM_PROGRESS=on): whole lines
 *
 * The caller owns label, unit and the progress object (progress_free).
 */
#ifndef PM_PROGRESS_H
#define PM_PROGRESS_H

#include <stdarg.h>

enum { PROGRESS_OFF, PROGRESS_LINES, PROGRESS_TTY };

struct progress;

/* asked: -1 --no-progress, 0 no option, 1 --progress.  The mode alone. */
int progress_mode(int asked);

/* NULL when the mode is off (or out of memory): every call below is a
 * no-op on NULL.  label is copied ("pm-fetch history"). */
struct progress *progress_new(const char *label, const char *unit,
    int asked);

/* total 0: unknown.  final: it will not grow (an ETA is shown). */
void progress_total(struct progress *p, unsigned long total, int final);

/* done so far, and an optional tail after the rate ("3 retries");
 * drawn only when enough time has passed since the last line. */
void progress_update(struct progress *p, unsigned long done,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The last line, always drawn (a newline ends the terminal's line). */
void progress_end(struct progress *p, unsigned long done,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void progress_free(struct progress *p);

/* A message is about to be written: a progress line left open on the
 * terminal is cleared first (msg.c calls this), and drawn again later. */
void progress_interrupt(void);

#endif
