/*
 * out.h - buffered record output on standard output.
 *
 * Records are written whole, in order, through one buffer that is flushed
 * when full and at out_close().  The first write error sticks: later writes
 * are dropped and out_failed() says why, so the input loop can stop early.
 * SIGPIPE is ignored on purpose: a closed pipe is an EPIPE error that
 * out_close() reports as OUT_EPIPE without a message (the reader chose to
 * stop), any other error (a full disk) with a message.
 *
 * A line is written when it ends.  One longer than PM_MAX_LINE (what no
 * pm-* reader accepts) is not written at all: a failure record (reason
 * bad_record, the program's stage) takes its place, and out_refused()
 * counts them, so the tool exits 1.  A line of out_text_line() (a CSV or
 * TSV row, which no pm-* reader reads) has no cap.  No ownership.
 */
#ifndef PM_OUT_H
#define PM_OUT_H

#include <stddef.h>

enum { OUT_OK = 0, OUT_ERROR = 1, OUT_EPIPE = 2 };

void out_init(void);
void out_write(const void *p, size_t n);
void out_line(const void *p, size_t n);		/* p, then a newline */
void out_text_line(const void *p, size_t n);	/* the same, no cap: CSV, TSV */
int out_flush(void);
int out_failed(void);			/* OUT_OK, OUT_ERROR or OUT_EPIPE */
int out_close(void);			/* flush; returns out_failed() */
unsigned long out_refused(void);	/* lines refused as too long */
/* The input position the records written next come from (file NULL:
 * none), for the failure record of one refused: a tool that writes what
 * it makes of an input line at once sets it. */
void out_at(const char *file, unsigned long line);
/* what is set */
void out_at_get(const char **file, unsigned long *line);

/* What the record written next is about, for the failure record of one
 * refused, when its first bytes do not say (a raw record: its request's
 * url, the market or event of its payload); each NULL when unknown.
 * Borrowed until the next call: out_about(NULL, NULL, NULL) after it. */
void out_about(const char *url, const char *market_id,
    const char *event_key);

#endif
