/*
 * group.h - market and event records to group records (pm-group(1); the
 * contract is pm-records(5), "group" and "EVENT KEY").
 *
 * Markets are grouped on their event id; markets without one on their
 * event slug; a market with neither is a group of its own.  A group's
 * event_key comes from its markets only (the event id, else "market:" and
 * the sorted market ids, escaped; pm-records(5) EVENT KEY), so the same markets always give the same key
 * whatever events were fed alongside.  Groups come out sorted by
 * event_key, markets inside a group by market_id (strcmp order); a market
 * seen twice counts once, the one fetched last winning (its fetched_at;
 * of two fetched at once, or without one, the later in the input).
 *
 * Ownership: a struct grouper owns a copy of each record's bytes (never a
 * parsed tree: memory is the grouped input plus a few pointers per record)
 * and the scratch buffer each group line is built in.  Records given to
 * the add functions are borrowed for the call.  grouper_free() is NULL-safe.
 */
#ifndef PM_GROUP_H
#define PM_GROUP_H

#include "buf.h"
#include "ndjson.h"

struct grouper;

struct grouper *grouper_new(void);
void grouper_free(struct grouper *g);

/* 0 kept; -1 not kept, with a static reason in *err. */
int grouper_add_market(struct grouper *g, const struct rec *r,
    const char **err);
int grouper_add_event(struct grouper *g, const struct rec *r,
    const char **err);

/*
 * No forecast after the fact (pm-group --margin): a market whose
 * close_time, in its record fetched last, is before cutoff_ms (ms since
 * the epoch) is left out of its group at grouper_finish(), each handed
 * to late() once, in market_id order.  Call before adding markets.
 */
void grouper_margin(struct grouper *g, double cutoff_ms,
    void (*late)(void *arg, const char *market_id), void *arg);

/*
 * Build every group in order and hand each to fn with its event_key and
 * the record line (no newline; the buffer is reused after the call).  fn
 * returns 0 to go on, -1 to stop.  Returns 0, or -1 when out of memory.
 */
typedef int (*group_fn)(void *arg, const char *event_key, struct buf *line);
int grouper_finish(struct grouper *g, group_fn fn, void *arg);

/* Counts after grouper_finish(). */
struct group_stats {
	unsigned long	markets, duplicates, events, joined, groups;
	unsigned long	late;		/* grouper_margin() */
};
void grouper_stats(const struct grouper *g, struct group_stats *st);

#endif
