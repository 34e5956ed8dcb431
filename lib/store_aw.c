/*
 * store_aw.c - SQLite: the rows of raw and market records written by a
 * thread of their own while the store reads, checks and hashes the next
 * records (see store_impl.h).  Reading and writing each took about half
 * of pm-store's time (make bench), one after the other on one core.
 *
 * A record checked good is copied (its column values and the bytes they
 * point at) into an op; ops go to the thread AGROUP at a time, in input
 * order, and the thread runs them on the store's own connection with the
 * very functions the store runs in line (market_write, tbl_payload,
 * tbl_put).  The store touches the connection only when the thread is
 * idle: aw_wait() before any other record, before a commit and before a
 * failure row.  A record's status is the thread's to set (by entry, in
 * its batch's array: the open batch's s->astat, the batch in flight's
 * s->fstat), read back when the batch ends; the thread's first error
 * ends its work on the batch, and the batch is then recovered in line
 * (store.c), the thread left alone.
 *
 * A full batch does not wait for the thread: a mark queued behind its
 * ops (aw_commit) has the thread write the batch's payloads and COMMIT;
 * the store reads the next batch meanwhile, its first op asking the
 * thread to BEGIN (aw_begin), so no transaction is open while the input
 * is idle.  aw_committed() waits only for the mark (groups come back in
 * order: that is the batch in flight, whole).  A failure before or at
 * the mark stays the thread's error: nothing of the next batch goes into
 * the broken transaction, which the store rolls back after aw_wait().
 */
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "workq.h"

#define AGROUP	64
#define BORROWED	INT64_MIN	/* a value's .i: its bytes not copied */
#define ASPARE	16	/* groups kept for their buffers */
/* The lock let go between a COMMIT and the next BEGIN, at least this
 * long, so that another writer waiting for it (a flow started meanwhile)
 * gets it: without the gap the thread took it again at once, and such a
 * writer waited a median 2.25 s into a 100k replay (0.53 s with it, 0.34 s
 * before the overlap: NEWS); a longer replay would have kept it out past
 * PM_DB_TIMEOUT.  The next batch is read on the main thread meanwhile. */
#define AGAP_MS	10

struct aop {
	int		 kind;	/* K_RAW or K_MARKET */
	size_t		 seq;	/* its entry */
	struct buf	 text;	/* the bytes its values point at */
	struct val	*v;	/* raw: T_RAW's, endpoint, payload; market:
				 * T_MARKETS's, then nc contracts rows and
				 * nt tags rows */
	size_t		 nv, cap, nc, nt;
};

struct agroup {
	struct aop	 op[AGROUP];
	int		 n;
	int		 begin;	/* BEGIN before its ops (store.c: the batch
				 * after one in flight) */
	int		 mark;	/* COMMIT after them: its batch ends here */
	int		 rc;	/* the mark's: its batch's outcome */
	int		*stat;	/* its batch's statuses (s->astat then) */
	char		 now[TS_MAX];	/* its batch's time (s->now then) */
};

struct awriter {
	struct workq	*q;
	struct agroup	*fill;	/* the ops being gathered */
	struct agroup	*spare[ASPARE];	/* groups done with, their buffers
					 * kept */
	int		 nspare;
	int		 rc;	/* the thread's first error of the batch (after
				 * a failed mark, of the batch behind it too) */
	int		 mark;	/* a mark queued, not handed back yet */
	int		 mrc;	/* the last mark handed back: its rc */
	long		 committed;	/* ts_mono_ms() of its last COMMIT */
};

static void
group_free(struct agroup *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < AGROUP; i++) {
		buf_release(&g->op[i].text);
		free(g->op[i].v);
	}
	free(g);
}

/* Values v[0..n) at the end of o's, their bytes copied (each followed
 * by a NUL: an endpoint is read as a C string).  Offsets until
 * op_fix(): the bytes may move while o grows. */
static int
op_add(struct aop *o, const struct val *v, size_t n)
{
	size_t i;

	if (vals_reserve(&o->v, &o->cap, o->nv + n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		o->v[o->nv] = v[i];
		if ((v[i].t == V_TEXT || v[i].t == V_BLOB) && v[i].i == BORROWED)
			;	/* in the batch's text: not copied */
		else if (v[i].t == V_TEXT || v[i].t == V_BLOB) {
			o->v[o->nv].i = (int64_t)o->text.len;
			o->v[o->nv].s = NULL;
			if (buf_add(&o->text, v[i].s, v[i].n) == -1 ||
			    buf_addc(&o->text, 0) == -1)
				return -1;
		}
		o->nv++;
	}
	return 0;
}

static void
op_fix(struct aop *o)
{
	size_t i;

	for (i = 0; i < o->nv; i++)
		if ((o->v[i].t == V_TEXT || o->v[i].t == V_BLOB) &&
		    o->v[i].i != BORROWED)
			o->v[i].s = o->text.data + o->v[i].i;
}

static int
op_run(struct store *s, struct aop *o)
{
	struct vrows cs, tags;
	struct val *v = o->v;
	int st = ST_NONE, rc;

	op_fix(o);
	if (o->kind == K_MARKET) {
		cs = (struct vrows){ .v = v + T_MARKETS_NCOLS, .n = o->nc };
		tags = (struct vrows){ .v = cs.v + o->nc * T_CONTRACTS_NCOLS,
		    .n = o->nt };
		rc = market_write(s, v, &cs, &tags, 0, o->seq, &st);
		s->wstat[o->seq] = st;
		return rc;
	}
	/* a payload new here is told by its packing (tbl_payload) */
	s->wstat[o->seq] = ST_DUPLICATE;
	if ((rc = tbl_payload(s, &v[RAW_SHA256],
	    v[T_RAW_NCOLS].t == V_TEXT ? v[T_RAW_NCOLS].s : NULL,
	    v[T_RAW_NCOLS + 1].s, v[T_RAW_NCOLS + 1].n, o->seq,
	    &st)) != DB_DONE)
		return rc;
	return tbl_put(s, T_RAW, v, NULL);
}

static void
aw_run(void *state, void *item)
{
	struct store *s = state;
	struct agroup *g = item;
	struct awriter *a = s->aw;
	long gap;
	int i;

	s->wstat = g->stat;
	memcpy(s->wnow, g->now, sizeof s->wnow);
	if (g->begin && a->rc == DB_DONE) {
		gap = a->committed + AGAP_MS - ts_mono_ms();
		if (a->committed != 0 && gap > 0)
			ts_sleep_ms(gap);
		if ((a->rc = db_begin(s->db)) == DB_DONE)
			s->txn++;
	}
	for (i = 0; i < g->n && a->rc == DB_DONE; i++)
		a->rc = op_run(s, &g->op[i]);
	if (!g->mark)
		return;
	/* the batch's end: its payloads, then its COMMIT; a failure keeps
	 * a->rc, so that nothing of the next batch goes into the broken
	 * transaction (store.c rolls it back) */
	if (a->rc == DB_DONE)
		a->rc = tbl_payloads_write(s, 1);
	if (a->rc == DB_DONE && (a->rc = db_commit(s->db)) == DB_DONE)
		a->committed = ts_mono_ms();
	g->rc = a->rc;
}

int
aw_new(struct store *s, size_t nent)
{
	size_t i;

	if ((s->aw = calloc(1, sizeof *s->aw)) == NULL ||
	    (s->astat = malloc(nent * sizeof *s->astat)) == NULL ||
	    (s->fstat = malloc(nent * sizeof *s->fstat)) == NULL)
		return -1;
	s->nastat = nent;
	for (i = 0; i < nent; i++)
		s->astat[i] = s->fstat[i] = -1;
	s->aw->rc = DB_DONE;
	if ((s->aw->q = workq_new(1, NULL, NULL, aw_run, s)) == NULL)
		return -1;
	return 0;
}

/* A group the thread is done with: its buffers kept for the next; a
 * mark's outcome noted. */
static void
recycle(struct awriter *a, struct agroup *g)
{
	if (g->mark) {
		a->mark = 0;
		a->mrc = g->rc;
	}
	g->n = 0;
	if (a->nspare < ASPARE)
		a->spare[a->nspare++] = g;
	else
		group_free(g);
}

/* Groups the thread is done with (wait: all of them). */
static void
collect(struct awriter *a, int wait)
{
	struct agroup *g;

	while ((g = workq_next(a->q, wait)) != NULL)
		recycle(a, g);
}

int
aw_wait(struct store *s)
{
	struct awriter *a = s->aw;
	int rc;

	if (a == NULL || a->q == NULL)
		return DB_DONE;
	if (a->fill && (a->fill->n > 0 || a->fill->begin)) {
		if (workq_add(a->q, a->fill, 1) == -1)
			return DB_ERR;
		a->fill = NULL;
	}
	collect(a, 1);
	rc = a->rc;
	a->rc = DB_DONE;
	return rc;
}

/* The group to fill: a new one takes the open batch's statuses and
 * time. */
static struct agroup *
fill(struct store *s)
{
	struct awriter *a = s->aw;
	struct agroup *g = a->fill;

	if (g == NULL) {
		g = a->nspare > 0 ? a->spare[--a->nspare] :
		    calloc(1, sizeof *g);
		if (g == NULL)
			return NULL;
		g->n = g->begin = g->mark = 0;
		g->rc = DB_DONE;
		g->stat = s->astat;
		memcpy(g->now, s->now, sizeof g->now);
		a->fill = g;
	}
	return g;
}

int
aw_begin(struct store *s)
{
	struct agroup *g = fill(s);

	if (g == NULL)
		return DB_ERR;
	g->begin = 1;
	return DB_DONE;
}

int
aw_commit(struct store *s)
{
	struct awriter *a = s->aw;
	struct agroup *g = fill(s);

	if (g == NULL)
		return DB_ERR;
	g->mark = 1;
	if (workq_add(a->q, g, 1) == -1) {
		g->mark = 0;
		return DB_ERR;
	}
	a->fill = NULL;
	a->mark = 1;
	return DB_DONE;
}

int
aw_committed(struct store *s)
{
	struct awriter *a = s->aw;
	struct agroup *g;

	/* groups come back in order: the mark's is the batch's last */
	while (a->mark && (g = workq_next(a->q, 1)) != NULL)
		recycle(a, g);
	return a->mrc;
}

void
aw_statuses(struct store *s, int fly)
{
	int *st = fly ? s->fstat : s->astat;
	struct entry *ent = fly ? s->fly.ent : s->ent;
	size_t i, n = fly ? s->fly.nent : s->nent;

	for (i = 0; st && i < s->nastat; i++)
		if (st[i] != -1) {
			if (i < n)
				ent[i].status = st[i];
			st[i] = -1;
		}
}

void
aw_free(struct store *s)
{
	if (s->aw == NULL)
		return;
	(void)aw_wait(s);
	workq_free(s->aw->q);
	group_free(s->aw->fill);
	while (s->aw->nspare > 0)
		group_free(s->aw->spare[--s->aw->nspare]);
	free(s->aw);
	free(s->astat);
	free(s->fstat);
	s->aw = NULL;
	s->astat = s->fstat = NULL;
}

/* The next op to fill, kind of entry seq. */
static struct aop *
op_next(struct store *s, int kind, size_t seq)
{
	struct agroup *g = fill(s);
	struct aop *o;

	if (g == NULL)
		return NULL;
	o = &g->op[g->n];
	o->kind = kind;
	o->seq = seq;
	o->nv = o->nc = o->nt = 0;
	buf_reset(&o->text);
	return o;
}

/* The op filled: to the thread when its group is full. */
static int
op_queue(struct store *s)
{
	struct awriter *a = s->aw;

	if (++a->fill->n < AGROUP)
		return DB_DONE;
	if (workq_add(a->q, a->fill, 1) == -1)
		return DB_ERR;
	a->fill = NULL;
	collect(a, 0);
	return DB_DONE;
}

int
aw_market(struct store *s, size_t seq, const struct val *v,
    const struct vrows *cs, const struct vrows *tags)
{
	struct aop *o;

	if (seq >= s->nastat || (o = op_next(s, K_MARKET, seq)) == NULL ||
	    op_add(o, v, T_MARKETS_NCOLS) == -1 ||
	    op_add(o, cs->v, cs->n * T_CONTRACTS_NCOLS) == -1 ||
	    op_add(o, tags->v, tags->n * T_TAGS_NCOLS) == -1)
		return DB_ERR;
	o->nc = cs->n;
	o->nt = tags->n;
	return op_queue(s);
}

int
aw_raw(struct store *s, size_t seq, const struct val *v, const char *endpoint,
    const char *p, size_t n)
{
	/* the payload (most of the bytes) is read where it is, in the
	 * batch's text, which stays put until the thread is done with the
	 * batch (store.c) */
	struct val extra[2] = { vstr(endpoint),
	    { .t = V_BLOB, .s = p, .n = n, .i = BORROWED } };
	struct aop *o;

	if (seq >= s->nastat || (o = op_next(s, K_RAW, seq)) == NULL ||
	    op_add(o, v, T_RAW_NCOLS) == -1 || op_add(o, extra, 2) == -1)
		return DB_ERR;
	return op_queue(s);
}
