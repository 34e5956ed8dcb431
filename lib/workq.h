/*
 * workq.h - N worker threads over a queue whose items come back in the
 * order they were queued, however the work interleaves (pm-experiment -j:
 * groups in flight, output in input order).
 *
 * Each thread has a state made by init() in the caller's thread before
 * any thread starts (so a failure is reported cleanly), and freed by
 * fini() after the threads are joined.  init NULL: every state is arg;
 * fini NULL: nothing to free.  An item queued with run=0 needs
 * no work: it is ready at once and only keeps its place in the order.
 *
 * Ownership: the queue never owns items; the caller gets each one back
 * from workq_next() exactly once.  Drain the queue before workq_free(),
 * which joins the threads (NULL-safe).
 */
#ifndef PM_WORKQ_H
#define PM_WORKQ_H

#include <stddef.h>

typedef void *(*workq_init_fn)(void *arg);	/* NULL: failed */
typedef void (*workq_fini_fn)(void *state);
typedef void (*workq_fn)(void *state, void *item);

struct workq;

struct workq *workq_new(int nthreads, workq_init_fn init, workq_fini_fn fini,
    workq_fn fn, void *arg);
void workq_free(struct workq *q);

/* 0, or -1 when out of memory (the item is not queued). */
int workq_add(struct workq *q, void *item, int run);

/* The oldest item once its work is done; wait=0 returns NULL when it is
 * not done yet.  NULL when the queue is empty. */
void *workq_next(struct workq *q, int wait);

/* Items queued with run=1 and not handed back yet. */
size_t workq_pending(struct workq *q);

#endif
