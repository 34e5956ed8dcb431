/*
 * store_ch.c - pm-store into ClickHouse (see store_ch.h).
 *
 * The checks are store_kinds.c's, run on a dry-run struct store (db NULL:
 * a good record comes back skipped, a bad one failed with its reason), so
 * a record ClickHouse takes is one SQLite or PostgreSQL would take.  The
 * rows are made from the same column specs (store_tbl.h): each column's
 * SQL name is a JSONEachRow key; columns ClickHouse has no table for are
 * skipped by the server (input_format_skip_unknown_fields).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "ch.h"
#include "db_impl.h"
#include "export.h"
#include "http.h"
#include "jqf.h"
#include "jspan.h"
#include "jw.h"
#include "msg.h"
#include "ndjson.h"
#include "out.h"
#include "record.h"
#include "schema_ch.h"
#include "sha.h"
#include "store_ch.h"
#include "store_impl.h"

#define CH_BATCH_RECORDS	20000
#define CH_BATCH_BYTES		(64UL * 1024 * 1024)
#define CH_BATCH_MS		1000
#define CH_BLOCK_ROWS		100000
#define CH_MAX_SHARDS		64
#define NO_ENTRY		UINT64_MAX

/* The servers a URL names: [0] takes the records and the reads. */
struct chdb {
	struct ch	*c[CH_MAX_SHARDS];
	size_t		 n;
	char		 cluster[STORE_CH_CLUSTER_MAX + 1];	/* "" for one server */
};

struct chent {
	size_t		 off, len;	/* the record in text */
	const char	*file;
	unsigned long	 line;
	int		 kind, status;
	const char	*reason;
	int		 row;		/* its failure row is to be written */
	char		 detail[200];
};

/* The batch in flight: its records are emitted once its rows are stored
 * (or refused), while the next batch is gathered. */
struct chbatch {
	struct chent	*ent;
	size_t		 nent, cap;
	struct buf	 text;
	uint64_t	 base;		/* the row id of ent[0] */
};

struct chtab {
	struct store_ch	*s;
	enum tbl	 t;
	struct ch_block	*b;
};

struct store_ch {
	struct chdb	*db;
	const char	*target;
	struct store	*chk;		/* dry run: checks, scratch, parser */
	struct chtab	 tab[T_COUNT];
	struct buf	 text, row;
	struct chent	*ent;
	size_t		 nent, cap;
	uint64_t	 base;		/* the row id of ent[0] */
	struct chbatch	 sent;
	long		 since;		/* ts_mono_ms() of the batch's first */
	uint64_t	 version;	/* the last row_version given */
	uint64_t	 fetched;	/* else this one: a record's fetch time */
	char		*run_id, *run_text;
	struct buf	 started;	/* an end's run as stored (run_started) */
	/* the open run as the database had it ended (a dump cut short,
	 * replayed): its row is left so, and its end record says so */
	int		 kept;
	char		 kept_at[TS_MAX], kept_status[32], kept_counts[400];
	const char	*end_as;	/* its end's status as stored, when not
					 * the record's (end_put) */
	struct store_counts total, run;
	unsigned long	 upstream_failures;
	int		 end_due;	/* store_end_due() of its start */
	int		 input_cut;	/* the input not read to its end */
	int		 fatal;
	char		 now[TS_MAX];
	char		 why[700];	/* why a run's read failed (run_ended,
					 * run_started): its record's detail */
};

/* The tables ClickHouse has (schema_ch.c). */
static int
ch_has(enum tbl t)
{
	return t == T_RAW || t == T_MARKETS || t == T_CONTRACTS ||
	    t == T_TAGS || t == T_EVENTS || t == T_PRICES || t == T_RUNS ||
	    t == T_FAILURES || t == T_TRADES || t == T_BOOKS;
}

static const char *const int_keys[] = { "active", "closed", "archived",
	"neg_risk", "outcome_index", "window_days", "retriable", "count",
	"level", NULL };

/* --- connections ------------------------------------------------------ */

static void
chdb_close(struct chdb *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		ch_close(d->c[i]);
	free(d);
}

/* The value of ?key= in q (up to & or the end), into out. */
static int
param(const char *q, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key), vl;
	const char *p;

	for (p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			vl = strcspn(p + kl + 1, "&");
			if (vl >= n)
				return -1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = 0;
			return 1;
		}
	return 0;
}

/* err prefixed with target, unless it names a server already (ch_open()
 * and schema_ch do, ch_errmsg() does): a server said twice is noise. */
static void
named(char *err, size_t errlen, const char *target)
{
	char was[700];
	int n;

	if (strncmp(err, "clickhouse", 10) == 0 ||
	    (n = snprintf(was, sizeof was, "%s: ", target)) < 0 ||
	    (size_t)n >= sizeof was)
		return;
	snprintf(was + n, sizeof was - (size_t)n, "%s", err);
	snprintf(err, errlen, "%s", was);
}

/*
 * Open every server url names (its first at once, without waiting: a
 * server down at the start is an error), checking the query's keys.  The
 * shards' URLs are the first's with another host:port; they live here
 * only for ch_open() and are wiped.
 */
static struct chdb *
chdb_open(const char *url, const char *target, const char *cluster, char *err,
    size_t errlen)
{
	struct ch_opts o = { db_wait_ms(), 0, 0, db_query_ms() };
	struct chdb *d;
	const char *q = strchr(url, '?'), *p, *auth, *host;
	char base[2048], one[2304], shards[1024], tlserr[256];
	size_t bl, hl;
	int r;

	if ((d = calloc(1, sizeof *d)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	bl = q ? (size_t)(q - url) : strlen(url);
	if (bl >= sizeof base)
		goto long_url;
	memcpy(base, url, bl);
	base[bl] = 0;
	shards[0] = 0;
	if (ch_url_check(url, err, errlen) == -1)
		goto fail;
	if (q) {
		if (param(q + 1, "cluster", d->cluster, sizeof d->cluster) == -1 ||
		    param(q + 1, "shards", shards, sizeof shards) == -1)
			goto long_url;
	}
	if (cluster && *cluster) {
		if (d->cluster[0] && strcmp(d->cluster, cluster)) {
			snprintf(err, errlen, "--cluster %s but the URL says "
			    "cluster=%s", cluster, d->cluster);
			goto fail;
		}
		/* never cut: a cut name is another cluster */
		if (snprintf(d->cluster, sizeof d->cluster, "%s", cluster) >=
		    (int)sizeof d->cluster) {
			snprintf(err, errlen, "--cluster: longer than %zu "
			    "bytes", sizeof d->cluster - 1);
			goto fail;
		}
	}
	if (shards[0] && !d->cluster[0]) {
		snprintf(err, errlen, "shards= without cluster=");
		goto fail;
	}
	if (strncmp(base, "clickhouses://", 14) == 0 &&
	    http_tls_init(NULL, tlserr, sizeof tlserr) == -1) {
		snprintf(err, errlen, "%s", tlserr);
		goto fail;
	}
	if ((d->c[d->n] = ch_open(base, &o, err, errlen)) == NULL)
		goto fail;
	d->n++;
	/* scheme://[userinfo@] of base, then each shard's host:port/db */
	auth = strstr(base, "://") + 3;
	host = auth + strcspn(auth, "/");
	while (host > auth && host[-1] != '@')
		host--;
	hl = strcspn(host, "/");
	for (p = shards; *p; p += strcspn(p, ","), p += *p == ',') {
		if (d->n == CH_MAX_SHARDS) {
			snprintf(err, errlen, "more than %d shards",
			    CH_MAX_SHARDS);
			goto fail;
		}
		r = snprintf(one, sizeof one, "%.*s%.*s%s", (int)(host - base),
		    base, (int)strcspn(p, ","), p, host + hl);
		if (r < 0 || (size_t)r >= sizeof one)
			goto long_url;
		d->c[d->n] = ch_open(one, &o, err, errlen);
		memset(one, 0, sizeof one);
		if (d->c[d->n] == NULL)
			goto fail;
		d->n++;
	}
	memset(base, 0, sizeof base);
	return d;
long_url:
	snprintf(err, errlen, "URL too long");
fail:
	named(err, errlen, target);
	memset(base, 0, sizeof base);
	chdb_close(d);
	return NULL;
}

/* The migrations' error in err names the server (target when none is):
 * once, said as it is. */
static int
chdb_migrate(struct chdb *d, const char *target, char *err, size_t errlen)
{
	if (schema_ch_migrate(d->c, d->n, d->cluster[0] ? d->cluster : NULL,
	    err, errlen) == 0)
		return 0;
	named(err, errlen, target);
	return -1;
}

/* The tables of schema v as the first server has them: a column dropped
 * by hand would lose its values without a word (schema_ch_check). */
static int
chdb_check(struct chdb *d, int v, char *err, size_t errlen)
{
	return schema_ch_check(d->c[0], d->cluster[0] ? d->cluster : NULL, v,
	    err, errlen);
}

struct chdb *
store_ch_lease_open(const char *url, struct ch **first)
{
	struct chdb *d;
	char target[1024], err[700];

	ch_redact(url, target, sizeof target);
	if ((d = chdb_open(url, target, NULL, err, sizeof err)) == NULL ||
	    chdb_migrate(d, target, err, sizeof err) == -1) {
		msg("%s", err);
		chdb_close(d);
		return NULL;
	}
	*first = d->c[0];
	return d;
}

void
store_ch_lease_close(struct chdb *d)
{
	chdb_close(d);
}

int
store_ch_lease_cluster(const struct chdb *d)
{
	return d->cluster[0] != 0;
}

/* --- rows --------------------------------------------------------------- */

static uint64_t
next_version(struct store_ch *s)
{
	struct timeval tv;
	uint64_t v;

	gettimeofday(&tv, NULL);
	v = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	s->version = v > s->version ? v : s->version + 1;
	return s->version;
}

/*
 * A double as ClickHouse reads it back exactly.  18.16 parses the
 * numbers of an INSERT the fast way: the digits after the point and the
 * exponent each scaled by a power of ten apart, so the shortest text
 * that is the double (what the records say, 13.97188112489708) may come
 * back a unit in the last place off, the CSV export and the views then
 * other values than SQLite's.  Text 19 digits close to the double is
 * read as it: an integer as its digits, any other without an exponent
 * (later releases read any of it exactly).  Zero, and the magnitudes
 * below 1e-305 whose digits 18.16 cannot scale, as before.  From 1e308
 * the digits may add up past the largest double (DBL_MAX read as inf,
 * stored null): the shortest text, read finite.  The smallest subnormal's
 * shortest text, 5e-324, is read as 0 (an exponent below -323 scales to
 * nothing): written with one of -323.  An integer of 69 or 89 digits is
 * read as its first 19 scaled by 1e50 or 1e70, powers 18.16 keeps as
 * doubles: some come back a unit off (pm-store(1) BUGS); only digits with
 * a leading zero would avoid them, text not checked on later releases.
 */
static int
ch_double(struct buf *b, double d)
{
	char t[400];
	int e, n, p;

	if (d == 0 || !isfinite(d) || fabs(d) >= 1e308)
		return jw_double(b, d);
	if (fabs(d) < 1e-323)
		return jw_raw(b, d < 0 ? "-0.5e-323" : "0.5e-323",
		    d < 0 ? 9 : 8);
	if (d == trunc(d))
		n = snprintf(t, sizeof t, "%.0f", d);
	else {
		/* the place of the first digit; one off at a power of ten
		 * makes 18 or 20 digits, which read alike */
		e = (int)floor(log10(fabs(d)));
		if (e < -305)
			return jw_double(b, d);
		/* 18.16's powers 1e-10, 1e-30, 1e-50 and 1e-70 are doubles,
		 * the others long doubles: one digit less scales by those */
		p = 18 - e;
		if (p <= 70 && p % 20 == 10)
			p--;
		n = snprintf(t, sizeof t, "%.*f", p, d);
	}
	if (n < 0 || (size_t)n >= sizeof t)
		return jw_double(b, d);
	return jw_raw(b, t, (size_t)n);
}

/* The columns of table t with their values, as the start of a JSON
 * object into s->row (emptied first); -1 for a number that is not finite. */
static int
row_open(struct store_ch *s, enum tbl t, const struct val *v)
{
	const struct table *tb = &store_tables[t];
	struct buf *b = &s->row;
	int i;

	buf_reset(b);
	jw_open(b, '{');
	for (i = 0; i < tb->ncols; i++) {
		jw_key(b, tb->cols[i].sql);
		switch (v[i].t) {
		case V_TEXT:
			jw_str(b, v[i].s, v[i].n);
			break;
		case V_INT:
			jw_int(b, v[i].i);
			break;
		case V_DBL:
			if (!isfinite(v[i].d))
				return -1;
			ch_double(b, v[i].d);
			break;
		default:
			jw_null(b);
		}
	}
	return 0;
}

static void
bad_row(void *arg, uint64_t id, const char *row, size_t n, const char *why);

/* The ClickHouse table of t: raw fetches keep their payload in the row. */
static const char *
ch_table_name(enum tbl t)
{
	return t == T_RAW ? "raw_responses" : store_tables[t].name;
}

static struct ch_block *
block(struct store_ch *s, enum tbl t)
{
	struct chtab *ct = &s->tab[t];
	/* the batch decides when rows go: a block holds a batch's rows */
	struct ch_block_opts o = { CH_BLOCK_ROWS, 2 * CH_BATCH_BYTES,
	    10L * CH_BATCH_MS, s->db->cluster[0] != 0, int_keys, bad_row, ct };

	if (ct->b == NULL) {
		ct->s = s;
		ct->t = t;
		ct->b = ch_block_new(s->db->c[0], ch_table_name(t), &o);
	}
	return ct->b;
}

/* The server is gone (or refuses the table): said once (ch_errmsg()
 * names the server), and the store stops. */
static void
gone(struct store_ch *s)
{
	if (!s->fatal)
		msg("%s", ch_errmsg(s->db->c[0]));
	s->fatal = 1;
}

/* s->row closed with its row_version and queued for table t on behalf of
 * entry id. */
static int
row_add(struct store_ch *s, enum tbl t, uint64_t id)
{
	struct ch_block *b = block(s, t);

	jw_key(&s->row, SCHEMA_CH_VERSION_COLUMN);
	jw_int(&s->row, (int64_t)(s->fetched ? s->fetched : next_version(s)));
	jw_close(&s->row, '}');
	if (b == NULL) {
		msg("out of memory");
		s->fatal = 1;
		return -1;
	}
	if (ch_block_add(b, s->row.data, s->row.len, id) == -1) {
		gone(s);
		return -1;
	}
	return 0;
}

static int
row_put(struct store_ch *s, enum tbl t, const struct val *v, uint64_t id)
{
	if (row_open(s, t, v) == -1)
		return 1;
	return row_add(s, t, id);
}

/* --- entries ------------------------------------------------------------ */

static void
fail_entry(struct chent *e, const char *reason, const char *detail, int row)
{
	e->status = ST_FAILED;
	e->reason = reason;
	e->row = row;
	if (detail != e->detail)	/* cut to fit */
		snprintf(e->detail, sizeof e->detail, "%.*s",
		    (int)sizeof e->detail - 1, detail);
}

/* The entry a row id was given for, in the batch gathered or the one in
 * flight; NULL for none (a failure row of no record). */
static struct chent *
entry_of(struct store_ch *s, uint64_t id)
{
	if (id == NO_ENTRY)
		return NULL;
	if (id >= s->base && id - s->base < s->nent)
		return &s->ent[id - s->base];
	if (id >= s->sent.base && id - s->sent.base < s->sent.nent)
		return &s->sent.ent[id - s->sent.base];
	return NULL;
}

/* A row the server refused: its record fails, with a failure row unless
 * the row was itself a failure row. */
static void
bad_row(void *arg, uint64_t id, const char *row, size_t n, const char *why)
{
	struct chtab *ct = arg;
	struct store_ch *s = ct->s;
	struct chent *e;
	char d[200];

	(void)row;
	(void)n;
	if ((e = entry_of(s, id)) == NULL) {
		msg("%s: %s: a row refused: %s", s->target,
		    ch_table_name(ct->t), why);
		return;
	}
	snprintf(d, sizeof d, "%s: %s", ch_table_name(ct->t), why);
	if (e->status != ST_FAILED)
		fail_entry(e, "bad_record", d, ct->t != T_FAILURES);
}

/* A processing_failures row, keyed as fail_row() keys it. */
static int
failure_row(struct store_ch *s, const char *file, unsigned long line,
    const char *reason, const char *detail)
{
	char sha[65], pos[MSG_POS_SIZE];
	struct buf b;

	msg_pos(pos, sizeof pos, file, line);
	buf_init(&b, 0);
	buf_printf(&b, "%s\n%s\n%s\n%s\n\n", s->run_id ? s->run_id : "", pos,
	    reason, detail);
	sha256_hex(b.data, b.len, sha);
	buf_release(&b);
	return row_put(s, T_FAILURES, (struct val[T_FAILURES_NCOLS]){
	    [FAIL_FAILURE_SHA256] = vstr(sha),
	    [FAIL_RUN_ID] = vstr(s->run_id),
	    [FAIL_STAGE] = vstr("store"),
	    [FAIL_REASON] = vstr(reason),
	    [FAIL_RETRIABLE] = vint(strcmp(reason, "store_failed") == 0),
	    [FAIL_MARKET_ID] = vstr(NULL),
	    [FAIL_EVENT_KEY] = vstr(NULL),
	    [FAIL_INPUT] = vstr(pos),
	    [FAIL_URL] = vstr(NULL),
	    [FAIL_DETAIL] = vstr(detail),
	    [FAIL_RECORDED_AT] = vstr(s->now) }, NO_ENTRY) == 0 ? 0 : -1;
}

static void
emit(struct store_ch *s, const char *text, struct chent *e)
{
	store_annotate_as(s->chk->jp, text + e->off, e->len, e->status,
	    e->kind == K_RUN ? s->end_as : NULL);
	if (e->kind == K_RUN)
		s->end_as = NULL;
	s->total.records++;
	s->run.records++;
	store_count(&s->total, e->status);
	store_count(&s->run, e->status);
	if (e->kind == K_FAILURE && e->status != ST_FAILED)
		s->upstream_failures++;
	if (e->status != ST_FAILED)
		return;
	rec_failure(&(struct failure){ .stage = "store", .reason = e->reason,
	    .retriable = strcmp(e->reason, "store_failed") == 0,
	    .file = e->file, .line = e->line, .detail = e->detail });
}

/* The failure rows of the failed records of ent[0..n), once each; 1 when
 * there were any. */
static int
fail_rows(struct store_ch *s, struct chent *ent, size_t n)
{
	size_t i;
	int any = 0;

	for (i = 0; i < n && !s->fatal; i++)
		if (ent[i].status == ST_FAILED && ent[i].row) {
			ent[i].row = 0;
			any = 1;
			(void)failure_row(s, ent[i].file, ent[i].line,
			    ent[i].reason, ent[i].detail);
		}
	return any;
}

/*
 * The batch in flight is done (wait: wait for it; else its rows are known
 * stored or refused already): the failure rows of its records the server
 * refused a row of go first, and are waited for; then its records are
 * emitted.  When the server is gone, every record not failed already
 * fails with the cause.
 */
static void
finish(struct store_ch *s, int wait)
{
	struct chbatch *b = &s->sent;
	size_t i;
	int t;

	for (t = 0; t < T_COUNT && wait && !s->fatal; t++)
		if (s->tab[t].b && ch_block_wait(s->tab[t].b) == -1)
			gone(s);
	if (fail_rows(s, b->ent, b->nent) && !s->fatal &&
	    ch_block_flush(s->tab[T_FAILURES].b) == -1)
		gone(s);
	for (i = 0; i < b->nent; i++) {
		if (s->fatal && b->ent[i].status != ST_FAILED)
			fail_entry(&b->ent[i], "store_failed",
			    ch_errmsg(s->db->c[0]), 0);
		emit(s, b->text.data, &b->ent[i]);
	}
	b->nent = 0;
	buf_reset(&b->text);
}

/*
 * Send the batch gathered: the failure rows of its records failed so far,
 * every table's rows, the failure rows last.  Sending a table's rows waits
 * for its rows of the batch before, which is then finished; this one
 * goes in flight.  When the server is gone, both fail.
 */
static int
flush(struct store_ch *s)
{
	struct chbatch t;
	int i;

	(void)fail_rows(s, s->ent, s->nent);
	for (i = 0; i < T_COUNT && !s->fatal; i++)
		if (i != T_FAILURES && s->tab[i].b &&
		    ch_block_send(s->tab[i].b) == -1)
			gone(s);
	if (!s->fatal && s->tab[T_FAILURES].b &&
	    ch_block_send(s->tab[T_FAILURES].b) == -1)
		gone(s);
	finish(s, 0);
	t = s->sent;
	s->sent = (struct chbatch){ s->ent, s->nent, s->cap, s->text, s->base };
	s->base += s->nent;
	s->ent = t.ent;
	s->cap = t.cap;
	s->text = t.text;
	s->nent = 0;
	if (s->fatal)
		finish(s, 0);
	return s->fatal ? -1 : 0;
}

/* Send the batch gathered and wait: every record read is emitted. */
static int
drain(struct store_ch *s)
{
	(void)flush(s);
	finish(s, 1);
	return s->fatal ? -1 : 0;
}

/* The batch in flight is stored: emit its records now, not a batch
 * later. */
static void
poll_sent(struct store_ch *s)
{
	int t;

	if (s->sent.nent == 0)
		return;
	for (t = 0; t < T_COUNT; t++)
		if (s->tab[t].b && ch_block_busy(s->tab[t].b))
			return;
	finish(s, 1);
}

static struct chent *
add_entry(struct store_ch *s, const struct rec *r, int kind)
{
	struct chent *n;
	size_t cap;

	if (s->nent == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		if ((n = realloc(s->ent, cap * sizeof *n)) == NULL)
			return NULL;
		s->ent = n;
		s->cap = cap;
	}
	if (s->nent == 0) {
		s->since = ts_mono_ms();
		ts_now(s->now);
	}
	if (buf_add(&s->text, r->text, r->len) == -1)
		return NULL;
	n = &s->ent[s->nent++];
	*n = (struct chent){ .off = s->text.len - r->len, .len = r->len,
	    .file = r->file, .line = r->line, .kind = kind };
	return n;
}

/* --- kinds -------------------------------------------------------------- */

/* The checks of the other engines: 0 good, -1 bad (e failed). */
static int
check(struct store_ch *s, struct chent *e, struct rec *r)
{
	struct store *c = s->chk;
	struct entry ce = { .off = 0, .len = r->len, .file = r->file,
	    .line = r->line, .kind = e->kind };

	buf_reset(&c->text);
	if (buf_add(&c->text, r->text, r->len) == -1) {
		fail_entry(e, "bad_record", "out of memory", 1);
		return -1;
	}
	if (e->kind == K_BAD)
		snprintf(ce.detail, sizeof ce.detail, "%s", e->detail);
	(void)kind_apply(c, &ce, &r->root, 0);
	free(ce.key);
	free(ce.market_id);
	if (ce.status != ST_FAILED)
		return 0;
	fail_entry(e, ce.reason, ce.detail, 1);
	return -1;
}

/* The tags of a market or event: rows of their own. */
static int
tags_rows(struct store_ch *s, const json_val *obj, uint64_t id)
{
	struct val v[MAXCOL];
	json_val tags, tag;
	json_iter it;
	int rc = 0;

	json_get(obj, "tags", &tags);
	if (tags.type != JSON_ARRAY)
		return 0;
	json_iter_init(&it, &tags);
	while (rc == 0 && json_iter_next(&it, NULL, NULL, &tag)) {
		if (tbl_extract(s->chk, T_TAGS, &tag, v, NULL, 0) == -1)
			return 1;
		v[TAGS_SOURCE] = vstr("polymarket");
		rc = row_put(s, T_TAGS, v, id);
	}
	return rc;
}

/* record, record_sha256, run_id, first_seen_at, stored_at: rec[0..4]. */
static void
record_cols(struct store_ch *s, const json_val *obj, struct val *rec)
{
	struct store *c = s->chk;

	buf_reset(&c->canon);
	buf_reset(&c->content);
	canon_record(&c->canon, &c->content, obj);
	sha256_hex(c->content.data, c->content.len, c->sha);
	rec[0] = vtext(c->canon.data, c->canon.len);
	rec[1] = vstr(c->sha);
	rec[2] = vstr(s->run_id);
	rec[3] = rec[4] = vstr(s->now);
}

/*
 * The rows of a market or event (and its contracts and tags), of a price
 * point and of a raw payload are versioned by its fetch time, as the
 * other engines keep the latest fetch (an older one leaves the row as it
 * is: store_tbl.c; every fetch of a payload is kept there): microseconds
 * since the epoch above 2^62, so a row fetched at a known time outlasts
 * any versioned by when it was stored (next_version: a record without
 * fetched_at, and rows stored before 0.2.0, or prices before schema 4);
 * of one fetch time the last stored, as ClickHouse keeps the last of
 * equal versions.  0: no fetch time.
 */
#define FETCHED_BASE	((uint64_t)1 << 62)
static uint64_t
fetched_version(const struct val *at)
{
	double ms;

	if (at->t != V_TEXT || ts_ms(at->s, at->n, &ms) == -1 || ms < 0)
		return 0;
	return FETCHED_BASE + (uint64_t)llround(ms * 1000);
}

/* 0 queued, 1 a value ClickHouse cannot take (the record fails), -1 the
 * store stops. */
static int
market_rows(struct store_ch *s, const json_val *m, uint64_t id)
{
	struct val v[MAXCOL], cv[MAXCOL];
	json_val cs, c;
	json_iter it;
	int64_t idx;
	int rc;

	if (tbl_extract(s->chk, T_MARKETS, m, v, NULL, 0) == -1)
		return 1;
	record_cols(s, m, &v[MARKETS_RECORD]);
	s->fetched = fetched_version(&v[MARKETS_FETCHED_AT]);
	if ((rc = row_put(s, T_MARKETS, v, id)) != 0)
		goto out;
	json_get(m, "contracts", &cs);
	json_iter_init(&it, &cs);
	for (idx = 0; json_iter_next(&it, NULL, NULL, &c); idx++) {
		if (tbl_extract(s->chk, T_CONTRACTS, &c, cv, NULL, 0) == -1) {
			rc = 1;
			goto out;
		}
		cv[CONTRACTS_SOURCE] = v[MARKETS_SOURCE];
		cv[CONTRACTS_MARKET_ID] = v[MARKETS_MARKET_ID];
		cv[CONTRACTS_OUTCOME_INDEX] = vint(idx);
		if ((rc = row_put(s, T_CONTRACTS, cv, id)) != 0)
			goto out;
	}
	rc = tags_rows(s, m, id);
out:
	s->fetched = 0;
	return rc;
}

static int
event_rows(struct store_ch *s, const json_val *ev, uint64_t id)
{
	struct val v[MAXCOL];
	int rc;

	if (tbl_extract(s->chk, T_EVENTS, ev, v, NULL, 0) == -1)
		return 1;
	record_cols(s, ev, &v[EVENTS_RECORD]);
	s->fetched = fetched_version(&v[EVENTS_FETCHED_AT]);
	if ((rc = row_put(s, T_EVENTS, v, id)) == 0)
		rc = tags_rows(s, ev, id);
	s->fetched = 0;
	return rc;
}

static int
raw_rows(struct store_ch *s, struct chent *e, const json_val *root,
    uint64_t id)
{
	const char *text = s->text.data + e->off;
	struct val v[MAXCOL];
	struct jspan span;
	int rc;

	if (tbl_extract(s->chk, T_RAW, root, v, NULL, 0) == -1 ||
	    jspan_member(text, e->len, "payload", &span) == -1)
		return 1;
	v[RAW_RUN_ID] = vstr(s->run_id);
	v[RAW_STORED_AT] = vstr(s->now);
	/* raw_observations' columns, and the payload beside them: one
	 * raw_responses row per fetch (ClickHouse compresses it itself),
	 * of which a payload keeps its latest: a January fetch replayed in
	 * July does not take the place of June's (a prune before March
	 * would then delete the payload) */
	if (row_open(s, T_RAW, v) == -1)
		return 1;
	jw_key(&s->row, "payload");
	jw_str(&s->row, text + span.off, span.len);
	s->fetched = fetched_version(&v[RAW_FETCHED_AT]);
	rc = row_add(s, T_RAW, id);
	s->fetched = 0;
	return rc;
}

static int
price_rows(struct store_ch *s, const json_val *root, uint64_t id)
{
	struct val v[MAXCOL];
	int rc;

	if (tbl_extract(s->chk, T_PRICES, root, v, NULL, 0) == -1)
		return 1;
	v[PRICES_RUN_ID] = vstr(s->run_id);
	s->fetched = fetched_version(&v[PRICES_FETCHED_AT]);
	rc = row_put(s, T_PRICES, v, id);
	s->fetched = 0;
	return rc;
}

static int
trade_rows(struct store_ch *s, const json_val *root, uint64_t id)
{
	struct val v[MAXCOL];

	if (tbl_extract(s->chk, T_TRADES, root, v, NULL, 0) == -1)
		return 1;
	v[TRADES_RUN_ID] = vstr(s->run_id);
	return row_put(s, T_TRADES, v, id);
}

/* A book snapshot: a row per level of each side, as book_put() makes
 * them (checked there already). */
static int
book_rows(struct store_ch *s, const json_val *root, uint64_t id)
{
	static const char *const sides[][2] = { { "bids", "bid" },
	    { "asks", "ask" } };
	struct val v[MAXCOL];
	json_val tok, ts, mid, sha, lv, l;
	json_iter it;
	int i, rc = 0;

	json_get(root, "token_id", &tok);
	json_get(root, "ts", &ts);
	json_get(root, "market_id", &mid);
	json_get(root, "raw_sha256", &sha);
	for (i = 0; i < 2 && rc == 0; i++) {
		json_get(root, sides[i][0], &lv);
		json_iter_init(&it, &lv);
		while (rc == 0 && json_iter_next(&it, NULL, NULL, &l)) {
			if (tbl_extract(s->chk, T_BOOKS, &l, v, NULL, 0) == -1)
				return 1;
			v[BOOKS_TOKEN_ID] = vstr(json_str(&tok, NULL));
			v[BOOKS_TS] = vstr(json_str(&ts, NULL));
			v[BOOKS_SIDE] = vstr(sides[i][1]);
			v[BOOKS_MARKET_ID] = vstr(json_str(&mid, NULL));
			v[BOOKS_RAW_SHA256] = vstr(json_str(&sha, NULL));
			v[BOOKS_RUN_ID] = vstr(s->run_id);
			rc = row_put(s, T_BOOKS, v, id);
		}
	}
	return rc;
}

/* An upstream failure record, keyed as failure_put() keys it. */
static int
failure_rows(struct store_ch *s, const json_val *root, uint64_t id)
{
	struct store *c = s->chk;
	struct val v[MAXCOL];

	if (tbl_extract(c, T_FAILURES, root, v, NULL, 0) == -1)
		return 1;
	buf_reset(&c->canon);
	if (buf_printf(&c->canon, "%s\n", s->run_id ? s->run_id : "") == -1 ||
	    canon_json(&c->canon, root, 1) == -1)
		return 1;
	sha256_hex(c->canon.data, c->canon.len, c->sha);
	v[FAIL_FAILURE_SHA256] = vstr(c->sha);
	v[FAIL_RUN_ID] = vstr(s->run_id);
	v[FAIL_RECORDED_AT] = vstr(s->now);
	return row_put(s, T_FAILURES, v, id);
}

static int run_started(struct store_ch *, const json_val *);

/* A run's row: its start's columns and, for an end, how it finished;
 * a start column the end leaves null is the stored row's (s->started,
 * run_started()), as SQLite and PostgreSQL keep it (F_KEEP): ClickHouse
 * writes a row whole, a new version. */
static int
run_row(struct store_ch *s, const json_val *root, const char *finished,
    const char *status, const char *counts, uint64_t id)
{
	const struct table *t = &store_tables[T_RUNS];
	struct val v[MAXCOL];
	const char *p, *err;
	json_val x, stored;
	size_t n;
	int64_t i64;
	int i, keep;

	if (tbl_extract(s->chk, T_RUNS, root, v, NULL, 0) == -1)
		return 1;
	keep = s->started.len && json_parse(s->chk->jp, s->started.data,
	    s->started.len, 0, &stored, &err) == 0;
	for (i = 0; keep && i < t->ncols; i++) {
		if (!(t->cols[i].flags & F_KEEP) || v[i].t != V_NULL)
			continue;
		json_get(&stored, t->cols[i].sql, &x);
		/* Int64 comes quoted (output_format_json_quote_64bit_...) */
		if (t->cols[i].type == C_INT && ((p = json_str(&x, &n)) ?
		    sscanf(p, "%" SCNd64, &i64) == 1 : json_int64(&x, &i64) == 0))
			v[i] = vint(i64);
		else if (t->cols[i].type != C_INT &&
		    (p = json_str(&x, &n)) != NULL)
			v[i] = vtext(p, n);
	}
	v[RUNS_STORED_AT] = vstr(s->now);
	if (row_open(s, T_RUNS, v) == -1)
		return 1;
	jw_key(&s->row, "finished_at");
	jw_strz(&s->row, finished);
	jw_key(&s->row, "status");
	jw_strz(&s->row, status);
	jw_key(&s->row, "counts");
	jw_strz(&s->row, counts);
	return row_add(s, T_RUNS, id);
}

static int
end_rows(struct store_ch *s, const json_val *root, const char *status,
    uint64_t id)
{
	struct store *c = s->chk;
	json_val f, cn;
	int rc;

	json_get(root, "finished_at", &f);
	json_get(root, "counts", &cn);
	buf_reset(&c->content);
	if (cn.type == JSON_OBJECT && canon_json(&c->content, &cn, 0) == -1)
		return 1;
	if (run_started(s, root) == -1)
		return -1;
	rc = run_row(s, root, json_str(&f, NULL), status,
	    cn.type == JSON_OBJECT ? c->content.data : NULL, id);
	buf_reset(&s->started);
	return rc;
}

/*
 * An end record: the run's row as it says, unless records of the open
 * run failed in this input (store_end_lost): then the run is partial, or,
 * when the database had it ended before this input (its rows stored
 * then), left as it ended: 2, nothing written.  As run_end_put()
 * (store_kinds.c) does on SQLite and PostgreSQL.
 */
static int
end_put(struct store_ch *s, const json_val *root, const char *id,
    uint64_t rid)
{
	json_val x;
	const char *status;

	json_get(root, "status", &x);
	status = json_str(&x, NULL);
	if (s->run.failed > 0 && s->run_id && strcmp(s->run_id, id) == 0 &&
	    store_end_lost(s->run_id, s->run.failed, s->kept ?
	    s->kept_status : NULL, &status, &s->end_as))
		return 2;
	return end_rows(s, root, status, rid);
}

/* --- runs --------------------------------------------------------------- */

static void
run_forget(struct store_ch *s)
{
	free(s->run_id);
	free(s->run_text);
	s->run_id = s->run_text = NULL;
	s->kept = 0;
}

static int run_ended(struct store_ch *, const char *);

/* Finish the open run: a new version of its row with counts and status,
 * and the end record. */
static int
run_close(struct store_ch *s)
{
	const struct store_counts *c = &s->run;
	const char *status = store_run_status(&s->run, s->fatal,
	    s->upstream_failures + (s->end_due != 0) + (s->input_cut != 0)),
	    *err;
	char counts[400];
	json_val root;
	int rc = 0;

	if (s->run_id == NULL)
		return 0;
	if (s->input_cut && !s->kept)
		store_input_cut(s->run_id);
	else if (s->end_due && !s->kept)
		store_end_missing(s->run_id);
	snprintf(counts, sizeof counts, "{\"records\":%lu,\"inserted\":%lu,"
	    "\"updated\":%lu,\"unchanged\":%lu,\"duplicates\":%lu,"
	    "\"skipped\":%lu,\"failed\":%lu}", c->records, c->inserted,
	    c->updated, c->unchanged, c->duplicates, c->skipped, c->failed);
	if (s->kept) {	/* ended before: as it ended; its counts, if any */
		if (json_parse(s->chk->jp, s->run_text, strlen(s->run_text), 0,
		    &root, &err) == 0)
			store_end_record(&root, s->kept_at, s->kept_status,
			    s->kept_counts[0] ? s->kept_counts : counts);
		run_forget(s);
		return 0;
	}
	ts_now(s->now);
	if (json_parse(s->chk->jp, s->run_text, strlen(s->run_text), 0, &root,
	    &err) == -1)
		root.type = JSON_NULL;
	if (!s->fatal && (root.type != JSON_OBJECT ||
	    run_row(s, &root, s->now, status, counts, NO_ENTRY) != 0 ||
	    ch_block_flush(s->tab[T_RUNS].b) == -1)) {
		if (!s->fatal)
			msg("%s: run %s: cannot record its end: %s",
			    ch_origin(s->db->c[0]), s->run_id,
			    ch_reason(s->db->c[0]));
		rc = -1;
	}
	if (s->fatal)
		msg("%s: run %s: cannot record its end: %s",
		    ch_origin(s->db->c[0]), s->run_id, ch_reason(s->db->c[0]));
	if (root.type == JSON_OBJECT)
		store_end_record(&root, s->now, status, counts);
	run_forget(s);
	return rc;
}

/* Why a run record's read or row failed: the read's answer (s->why),
 * else the server's error. */
static const char *
read_why(const struct store_ch *s)
{
	return s->why[0] ? s->why : ch_reason(s->db->c[0]);
}

/* A run record goes alone: the batch before it is sent first. */
static int
run_record(struct store_ch *s, struct rec *r)
{
	struct chent *e;
	const char *phase, *id;
	json_val x;
	uint64_t rid;
	int rc;

	if (drain(s) == -1)
		return -1;
	json_get(&r->root, "phase", &x);
	phase = json_str(&x, NULL);
	json_get(&r->root, "run_id", &x);
	id = json_str(&x, NULL);
	if (phase && id && strcmp(phase, "start") == 0 && s->run_id &&
	    strcmp(s->run_id, id) != 0)
		run_close(s);
	if ((e = add_entry(s, r, K_RUN)) == NULL) {
		msg("out of memory");
		return -1;
	}
	rid = s->base + s->nent - 1;
	s->why[0] = 0;
	if (check(s, e, r) == 0 && strcmp(phase, "end") != 0 &&
	    (rc = run_ended(s, id)) != 0) {
		if (rc == -1)
			fail_entry(e, "store_failed", read_why(s), 1);
		else
			e->status = ST_UNCHANGED;
	} else if (e->status != ST_FAILED) {
		rc = strcmp(phase, "end") == 0 ? end_put(s, &r->root, id, rid) :
		    run_row(s, &r->root, NULL, NULL, NULL, rid);
		if (rc == -1)
			fail_entry(e, "store_failed", read_why(s), 1);
		else if (rc == 1)
			fail_entry(e, "bad_record", "a value ClickHouse cannot "
			    "hold", 1);
		else if (rc == 0)
			e->status = ST_INSERTED;
		else if (rc == 2)
			e->status = ST_UNCHANGED;
	}
	rc = e->status;
	if (drain(s) == -1 || rc == ST_FAILED)
		return s->fatal ? -1 : 0;
	if (strcmp(phase, "end") == 0) {
		if (s->run_id && strcmp(s->run_id, id) == 0)
			run_forget(s);
		return 0;
	}
	buf_reset(&s->chk->canon);
	canon_json(&s->chk->canon, &r->root, 1);
	run_forget(s);
	s->kept = rc == ST_UNCHANGED;
	s->run_id = strdup(id);
	s->run_text = strdup(s->chk->canon.data ? s->chk->canon.data : "{}");
	memset(&s->run, 0, sizeof s->run);
	s->upstream_failures = 0;
	s->end_due = store_end_due(&r->root);
	return 0;
}

static int
store_ch_record(struct rec *r, void *arg)
{
	struct store_ch *s = arg;
	struct chent *e;
	uint64_t id;
	int kind = kind_of(r->kind, r->kindlen), rc = 0;

	if (s->fatal)
		return -1;
	if (kind == K_RUN)
		return run_record(s, r);
	poll_sent(s);
	if ((s->nent >= CH_BATCH_RECORDS ||
	    s->text.len + r->len > CH_BATCH_BYTES ||
	    (s->nent && ts_mono_ms() - s->since >= CH_BATCH_MS)) &&
	    flush(s) == -1)
		return -1;
	if ((e = add_entry(s, r, kind)) == NULL) {
		msg("out of memory");
		s->fatal = 1;
		return -1;
	}
	id = s->base + s->nent - 1;
	if (kind == K_BAD && r->kind)
		snprintf(e->detail, sizeof e->detail, "unknown kind: %.*s",
		    (int)(r->kindlen > 40 ? 40 : r->kindlen), r->kind);
	else if (kind == K_BAD)
		snprintf(e->detail, sizeof e->detail, "kind missing");
	if (kind == K_GROUP) {
		fail_entry(e, "bad_record", STORE_CH_NO_GROUPS, 1);
		return 0;
	}
	if (check(s, e, r) == -1)
		return 0;
	switch (kind) {
	case K_RAW:	rc = raw_rows(s, e, &r->root, id); break;
	case K_MARKET:	rc = market_rows(s, &r->root, id); break;
	case K_EVENT:	rc = event_rows(s, &r->root, id); break;
	case K_PRICE:	rc = price_rows(s, &r->root, id); break;
	case K_FAILURE:	rc = failure_rows(s, &r->root, id); break;
	case K_TRADE:	rc = trade_rows(s, &r->root, id); break;
	case K_BOOK:	rc = book_rows(s, &r->root, id); break;
	case K_SKIP:
	case K_END:	e->status = ST_SKIPPED; return 0;
	default:
		/* a kind this store has no table for: said, not dropped */
		snprintf(e->detail, sizeof e->detail, "%.*s records are not "
		    "stored in ClickHouse", (int)(r->kindlen > 40 ? 40 :
		    r->kindlen), r->kind ? r->kind : "");
		fail_entry(e, "bad_record", e->detail, 1);
		return 0;
	}
	if (rc == -1)
		return -1;
	/* a row may have failed already (ch_row_check) */
	if (rc == 1 && e->status != ST_FAILED)
		fail_entry(e, "bad_record", "a value ClickHouse cannot hold",
		    1);
	else if (e->status != ST_FAILED)
		e->status = ST_INSERTED;
	return 0;
}

static void
store_ch_badline(void *arg, const char *file, unsigned long line,
    const char *detail)
{
	struct store_ch *s = arg;

	/* its failure record follows the records before it */
	if (s->fatal || drain(s) == -1)
		return;
	ts_now(s->now);
	s->total.failed++;
	s->run.failed++;
	if (failure_row(s, file, line, "bad_record", detail) == -1)
		return;
}

static void
store_ch_idle(void *arg)
{
	struct store_ch *s = arg;

	if (!s->fatal && (s->nent > 0 || s->sent.nent > 0 ||
	    (s->tab[T_FAILURES].b &&
	    ch_block_rows(s->tab[T_FAILURES].b) > 0)))
		(void)drain(s);
	out_flush();
}

static void
store_ch_free(struct store_ch *s)
{
	int t;

	/* the blocks first: a send in flight is waited for */
	for (t = 0; t < T_COUNT; t++)
		ch_block_free(s->tab[t].b);
	chdb_close(s->db);
	store_free(s->chk);
	buf_release(&s->text);
	buf_release(&s->sent.text);
	buf_release(&s->row);
	buf_release(&s->started);
	free(s->ent);
	free(s->sent.ent);
	run_forget(s);
	free(s);
}

int
store_ch_store(const char *url, const char *target, int nfiles, char **files)
{
	struct ndjson nd = { 0 };
	struct store_ch *s;
	struct store_counts *c;
	char err[700];
	int rc = 0, io, v;

	if ((s = calloc(1, sizeof *s)) == NULL) {
		msg("out of memory");
		return EXIT_DB;
	}
	buf_init(&s->text, 0);
	buf_init(&s->sent.text, 0);
	buf_init(&s->row, 0);
	s->target = target;
	store_line_cap(&nd);
	if ((s->db = chdb_open(url, target, NULL, err, sizeof err)) == NULL) {
		msg("%s", err);
		store_ch_free(s);
		return EXIT_DB;
	}
	if (chdb_migrate(s->db, target, err, sizeof err) == -1) {
		msg("%s", err);
		store_ch_free(s);
		return EXIT_DB;
	}
	if ((v = schema_ch_version(s->db->c[0])) == -1 ||
	    chdb_check(s->db, v, err, sizeof err) == -1) {
		msg("%s", v == -1 ? ch_errmsg(s->db->c[0]) : err);
		store_ch_free(s);
		return EXIT_DB;
	}
	if ((s->chk = store_new(NULL, target, nd.max_line)) == NULL) {
		msg("out of memory");
		rc = EXIT_DB;
		goto out;
	}
	for (io = 0; io < T_COUNT; io++)
		if (ch_has((enum tbl)io) && block(s, (enum tbl)io) == NULL) {
			msg("out of memory");
			rc = EXIT_DB;
			goto out;
		}
	nd.stage = "store";
	nd.fn = store_ch_record;
	nd.on_idle = store_ch_idle;
	nd.on_bad = store_ch_badline;
	nd.arg = s;
	io = ndjson_run(&nd, nfiles, files);
	/* after a fatal error too: every record read is emitted */
	(void)drain(s);
	s->input_cut = io || ndjson_cut_short();
	if (s->run_id && run_close(s) == -1)
		io = EXIT_DB;
	if (s->fatal)
		io = EXIT_DB;
	c = &s->total;
	if (c->failed || nd.bad)
		rc = EXIT_FAILED;
	if (io)
		rc = EXIT_DB;
	msg_left_out();
	msg("%lu records: %lu inserted, %lu updated, %lu unchanged, "
	    "%lu duplicate, %lu skipped, %lu failed in %s",
	    c->records + nd.bad, c->inserted, c->updated, c->unchanged,
	    c->duplicates, c->skipped, c->failed, target);
out:
	store_ch_free(s);
	return rc;
}

/* --- reads -------------------------------------------------------------- */

/* each_row()'s way through an answer, a line at a time. */
struct rows {
	struct ch	*c;
	int		(*fn)(const json_val *, int, void *);
	void		*arg;
	json_parser	*jp;
	size_t		 jpmax;		/* the longest line jp takes */
	unsigned long	 line;
	int		 rc;
	char		*why;
	size_t		 whylen;
};

static int
row_line(char *p, size_t n, void *arg)
{
	struct rows *r = arg;
	json_val root;
	const char *err = "out of memory";
	int bad;

	r->line++;
	if (n == 0)
		return 0;
	if (n + 4096 > r->jpmax) {	/* room for this line, and more */
		json_parser_free(r->jp);
		r->jpmax = n + 4096 > 2 * r->jpmax ? n + 4096 : 2 * r->jpmax;
		if ((r->jp = json_parser_new(r->jpmax)) == NULL) {
			snprintf(r->why, r->whylen, "%s", err);
			return r->rc = -1;
		}
	}
	bad = utf8_valid(p, n) != n;
	if (bad)
		utf8_clean(p, n);
	if (json_parse(r->jp, p, n, 0, &root, &err) == -1)
		r->rc = -1;
	else if (root.type != JSON_OBJECT)
		r->rc = -1, err = "not an object";
	else if ((r->rc = r->fn(&root, bad, r->arg)) == -1)
		err = "not a row of the table";
	if (r->rc == -1)	/* an answer cut or garbled on its way */
		snprintf(r->why, r->whylen, "%s: line %lu of the answer: %s",
		    ch_origin(r->c), r->line, err);
	return r->rc;
}

/*
 * The answer's lines, each a JSON object (JSONEachRow), to fn as they
 * come (ch_query_lines: an export of any size holds one row, not the
 * answer), fn's -1 a row it cannot take and its other non-zero answer a
 * stop.  A string stored with bytes that are no UTF-8 comes as they are
 * (the server does not check): its row goes to fn with them as '?' and
 * bad set, for fn to name it.  0, fn's answer when it stopped, or -1
 * with the reason in why.
 */
static int
each_row(struct ch *c, const char *sql,
    int (*fn)(const json_val *, int, void *), void *arg, char *why,
    size_t whylen)
{
	struct rows r = { c, fn, arg, NULL, 0, 0, 0, why, whylen };

	if (ch_query_lines(c, sql, row_line, &r) == -1 && r.rc == 0) {
		snprintf(why, whylen, "%s", ch_errmsg(c));
		r.rc = -1;
	}
	json_parser_free(r.jp);
	return r.rc;
}

/* Member key of an answer's row, a string that fits, into out; else
 * out is empty. */
static void
row_str(const json_val *row, const char *key, char *out, size_t cap)
{
	json_val v;
	const char *p;
	size_t n;

	json_get(row, key, &v);
	out[0] = 0;
	if ((p = json_str(&v, &n)) != NULL && n < cap) {
		memcpy(out, p, n);
		out[n] = 0;
	}
}

/* A row of run_ended()'s answer: the run's end, kept.  A row without
 * its status is none (an answer garbled on its way). */
static int
kept_one(const json_val *row, int bad, void *arg)
{
	struct store_ch *s = arg;
	json_val v;

	json_get(row, "status", &v);
	if (bad || json_str(&v, NULL) == NULL)
		return -1;
	row_str(row, "finished_at", s->kept_at, sizeof s->kept_at);
	row_str(row, "status", s->kept_status, sizeof s->kept_status);
	row_str(row, "counts", s->kept_counts, sizeof s->kept_counts);
	s->kept = 1;
	return 0;
}

/*
 * Has the database run id as ended (completed, partial, failed,
 * abandoned)?  Then its start stored again (a dump cut short, without its
 * end, replayed) must not make a new version of its row: ClickHouse
 * replaces a row whole, and the run would be running, then ended by this
 * input as if it had run now.  1 ended (kept_* hold how), 0 not, -1 the
 * query failed.
 */
static int
run_ended(struct store_ch *s, const char *id)
{
	struct buf sql;
	int rc;

	s->kept = 0;
	buf_init(&sql, 0);
	rc = buf_adds(&sql, "SELECT finished_at, status, counts FROM "
	    "processing_runs FINAL WHERE run_id = ") == -1 ||
	    ch_quote(&sql, id) == -1 || buf_adds(&sql, " AND status IS NOT "
	    "NULL AND status != 'running' FORMAT JSONEachRow") == -1 ? -1 :
	    each_row(s->db->c[0], sql.data, kept_one, s, s->why,
	    sizeof s->why);
	buf_release(&sql);
	return rc == -1 ? -1 : s->kept;
}

/* A row of run_started()'s answer: the run as stored, kept as text; a
 * row without each start column is none (an answer garbled on its way). */
static int
started_one(const json_val *row, int bad, void *arg)
{
	const struct table *t = &store_tables[T_RUNS];
	struct store_ch *s = arg;
	json_val v;
	int i;

	for (i = 0; i < t->ncols && !bad; i++)
		if (t->cols[i].flags & F_KEEP) {
			json_get(row, t->cols[i].sql, &v);
			bad = v.type == JSON_ABSENT;
		}
	if (bad)
		return -1;
	buf_reset(&s->started);
	return canon_json(&s->started, row, 0);
}

/* The row of the run an end record names, its start columns, into
 * s->started when the end leaves one of them out or null (run_row):
 * 0 (s->started empty when none is needed or stored), -1 the query
 * failed.  The tools' ends repeat the start: a query only for a flow
 * other than daily (target_date null), one a run. */
static int
run_started(struct store_ch *s, const json_val *root)
{
	const struct table *t = &store_tables[T_RUNS];
	struct buf sql;
	json_val x;
	const char *id;
	int i, need = 0, rc;

	buf_reset(&s->started);
	for (i = 0; i < t->ncols; i++) {
		if (!(t->cols[i].flags & F_KEEP))
			continue;
		json_get(root, t->cols[i].json, &x);
		if (x.type <= JSON_NULL)
			need = 1;
	}
	json_get(root, "run_id", &x);
	if (!need || (id = json_str(&x, NULL)) == NULL)
		return 0;
	buf_init(&sql, 0);
	rc = buf_adds(&sql, "SELECT ") == -1 ? -1 : 0;
	if (rc == 0)
		tbl_cols_list(&sql, t, F_KEEP, "");
	rc = rc == -1 || buf_adds(&sql, " FROM processing_runs FINAL WHERE "
	    "run_id = ") == -1 || ch_quote(&sql, id) == -1 ||
	    buf_adds(&sql, " FORMAT JSONEachRow") == -1 ? -1 :
	    each_row(s->db->c[0], sql.data, started_one, s, s->why,
	    sizeof s->why);
	buf_release(&sql);
	return rc == -1 ? -1 : 0;
}

struct exp {
	struct jqf	*where;
	struct buf	 b;
	const char	*what;		/* export.c's table, or NULL: whole */
	int		 raw, format, since;
	unsigned long	 n, limit;
	const char	*name;		/* --export's */
	json_parser	*jp;		/* the stored records' checks */
	unsigned long	 bad;		/* stored records left out */
	int		 notrades;	/* schema 1, read as it is: no trades */
	const char	*closed_since;	/* market: the closed ones since too */
	int		 nofetched;	/* before 4: prices without fetched_at */
	struct buf	 key;		/* rows: the record of the row before */
};

/* The row's key, for a message: "market polymarket/m1", "payload SHA". */
static void
row_key(const struct exp *x, const json_val *row, char *out, size_t n)
{
	static const char *const keys[][3] = {
		{ "payload", "sha256", NULL },
		{ "market", "source", "market_id" },
		{ "event", "source", "event_id" },
		{ "price", "token_id", "ts" },
	};
	const char *p[2] = { "", "" };
	size_t l[2] = { 0, 0 }, i, k;
	json_val v;

	k = x->raw ? 0 : (x->what ? x->what[0] : x->name[0]) == 'm' ? 1 :
	    (x->what ? x->what[0] : x->name[0]) == 'e' ? 2 : 3;
	for (i = 0; i < 2 && keys[k][i + 1]; i++) {
		json_get(row, keys[k][i + 1], &v);
		if ((p[i] = json_str(&v, &l[i])) == NULL)
			p[i] = "", l[i] = 0;
	}
	snprintf(out, n, "%s %.*s%s%.*s", keys[k][0], (int)l[0], p[0],
	    keys[k][2] ? "/" : "", (int)l[1], p[1]);
}

/* A stored row put in by hand that is no record (why): said, left out. */
static int
left_out(struct exp *x, const json_val *row, const char *why)
{
	char key[300];

	row_key(x, row, key, sizeof key);
	msg("--export %s: the stored record of %s is not a JSON record "
	    "(%s): left out", x->name, key, why);
	x->bad++;
	return 0;
}

/* The watermarks lib/store_rec.c adds to --export market: trades_since,
 * from the newest stored trade of the market, and history_since, from
 * the oldest of its tokens' newest history points (none while a token
 * has none), each of a run that fetched the market's trades or the
 * token's history whole (WHOLE_RUN there): not of a run that failed, was
 * killed or is running, nor of a run with a retriable failure of a
 * request to that endpoint whose market parameter (a list of condition
 * ids for /trades, a token for /prices-history) names it. */
#define CH_WHOLE_RUN(key, path) "ifNull(run_id, '') GLOBAL NOT IN " \
	"(SELECT run_id FROM processing_runs FINAL WHERE status IS NULL OR " \
	"status NOT IN ('completed', 'partial')) AND (" key ", " \
	"ifNull(run_id, '')) GLOBAL NOT IN (SELECT arrayJoin(splitByChar(" \
	"',', decodeURLComponent(extractURLParameter(ifNull(url, ''), " \
	"'market')))), ifNull(run_id, '') FROM processing_failures FINAL " \
	"WHERE retriable = 1 AND url LIKE '%" path "%')"
/* a token without one: the empty string (ifNull: join_use_nulls) */
#define CH_NEWEST_HISTORY "(SELECT source, market_id, min(ifNull(w, '')) " \
	"AS hnewest FROM (SELECT source, market_id, assumeNotNull(token_id) " \
	"AS token_id FROM " SCHEMA_CH_CONTRACTS " AS cn WHERE ifNull(token_id, " \
	"'') != '') " \
	"AS k GLOBAL ANY LEFT JOIN (SELECT token_id, max(ts) AS w FROM " \
	"price_history FINAL WHERE side = 'history' AND " \
	CH_WHOLE_RUN("token_id", "/prices-history") " GROUP BY token_id) " \
	"AS hw USING (token_id) GROUP BY source, market_id) AS h"

static void
add_since(struct buf *b, const json_val *row, const char *col,
    const char *key)
{
	json_val v;
	const char *p;
	size_t n;

	json_get(row, col, &v);
	if ((p = json_str(&v, &n)) != NULL)
		rec_add_since(b, key, p, n);
}

/* A row of export.c's columns, as texts: strings as they are, numbers
 * as JSON wrote them, null as NULL.  A row of another number of columns
 * (an answer cut or garbled on its way) is refused: -1, nothing written
 * (the cells past its end were read unset, a crash). */
#define EXPORT_MAXCOLS	32
static int
export_cols(struct exp *x, const json_val *row)
{
	const char *p[EXPORT_MAXCOLS];
	size_t n[EXPORT_MAXCOLS], i = 0;
	char num[40 * EXPORT_MAXCOLS];
	json_iter it;
	json_val v;
	double d;

	json_iter_init(&it, row);
	while (json_iter_next(&it, NULL, NULL, &v)) {
		if (i == EXPORT_MAXCOLS)
			return -1;
		p[i] = NULL;
		n[i] = 0;
		if ((p[i] = json_str(&v, &n[i])) == NULL &&
		    json_double(&v, &d) == 0) {
			n[i] = (size_t)snprintf(num + 40 * i, 40, "%.17g", d);
			p[i] = num + 40 * i;
		}
		i++;
	}
	switch (export_cells(x->what, x->format, x->where, p, n, i, x->limit,
	    &x->key, &x->n)) {
	case 0:
		return 0;
	case 1:
		return 2;	/* past --limit: done */
	default:
		return -1;
	}
}

static int
export_one(const json_val *row, int bad, void *arg)
{
	static const char *const names[] = { "source", "endpoint", "url",
	    "fetched_at", "sha256" };
	struct exp *x = arg;
	json_val v;
	const char *p;
	char key[300];
	size_t i, n;
	int rc;

	if (x->what == NULL && x->limit && x->n >= x->limit)
		return 2;	/* rows: export_cols() counts */
	if (bad)
		return left_out(x, row, "invalid UTF-8");
	if (x->what && x->what[0] == 'p') {
		/* not Nullable: null is what the server writes for a NaN or
		 * an infinity stored by hand */
		json_get(row, "price", &v);
		if (v.type != JSON_INT && v.type != JSON_UINT &&
		    v.type != JSON_DOUBLE)
			return left_out(x, row, "price: not a finite number");
	}
	if (x->what) {
		if ((rc = export_cols(x, row)) != 0)
			return rc;
		return out_failed() == OUT_OK ? 0 : 1;
	}
	buf_reset(&x->b);
	/* record, sha256 and payload are never null here: a row without
	 * them is an answer garbled on its way, not one to skip */
	if (!x->raw) {
		json_get(row, "record", &v);
		if ((p = json_str(&v, &n)) == NULL)
			return -1;
		/* a record damaged by hand */
		row_key(x, row, key, sizeof key);
		if (rec_stored_ok(x->jp, x->name, key, p, n) == -1) {
			x->bad++;
			return 0;
		}
		buf_add(&x->b, p, n);
		if (x->since) {
			add_since(&x->b, row, "newest", "trades_since");
			add_since(&x->b, row, "hnewest", "history_since");
			rec_since_fit(&x->b, n);
		}
	} else {
		jw_open(&x->b, '{');
		jw_key(&x->b, "kind");
		jw_strz(&x->b, "raw");
		for (i = 0; i < sizeof names / sizeof names[0]; i++) {
			json_get(row, names[i], &v);
			jw_key(&x->b, names[i]);
			jw_val(&x->b, &v);
		}
		json_get(row, "request", &v);
		if ((p = json_str(&v, &n)) != NULL) {
			jw_key(&x->b, "request");
			jw_raw(&x->b, p, n);
		}
		json_get(row, "sha256", &v);
		if (json_str(&v, NULL) == NULL)
			return -1;
		json_get(row, "payload", &v);
		if ((p = json_str(&v, &n)) == NULL)
			return -1;
		jw_key(&x->b, "payload");
		jw_raw(&x->b, p, n);
		jw_close(&x->b, '}');
		/* a payload or request damaged by hand */
		row_key(x, row, key, sizeof key);
		if (rec_stored_ok(x->jp, x->name, key, x->b.data,
		    x->b.len) == -1) {
			x->bad++;
			return 0;
		}
	}
	if (x->where && !jqf_where(x->where, x->b.data, x->b.len))
		return 0;
	out_line(x->b.data, x->b.len);
	x->n++;
	return out_failed() == OUT_OK ? 0 : 1;
}

/* TS_SQL_NINE(t) of lib/timefmt.h as ClickHouse spells it: the time t
 * with its fraction padded to nine digits, which sorts as times do. */
static int
ch_time_nine(struct buf *sql, const char *t)
{
	return buf_printf(sql, "concat(substring(%s, 1, 19), '.', "
	    "substring(concat(replaceAll(substring(%s, 21), 'Z', ''), "
	    "'000000000'), 1, 9), 'Z')", t, t);
}

/*
 * TS_SQL_BEFORE(t, b) (since 0) or TS_SQL_SINCE(t, b) (since 1) of
 * lib/timefmt.h as ClickHouse spells it, b a ts_bound() time: exact
 * whatever the length of t's fraction, a range of t.
 */
static int
ch_time_cmp(struct buf *sql, const char *t, const char *b, int since)
{
	char whole[TS_MAX];

	snprintf(whole, sizeof whole, "%.19sZ", b);
	return buf_printf(sql, "(%s %s ", t, since ? ">=" : "<=") == -1 ||
	    ch_quote(sql, since ? b : whole) == -1 ||
	    buf_printf(sql, " AND (%s %s ", t, since ? ">" : "<") == -1 ||
	    ch_quote(sql, since ? whole : b) == -1 ||
	    buf_adds(sql, " OR ") == -1 || ch_time_nine(sql, t) == -1 ||
	    buf_printf(sql, " %s ", since ? ">=" : "<") == -1 ||
	    ch_quote(sql, b) == -1 || buf_adds(sql, "))") == -1 ? -1 : 0;
}

#define CH_ACTIVE "active = 1 AND (closed IS NULL OR closed = 0)"
#define CH_MARKET_COLS "source, market_id, condition_id, event_id, " \
	"event_slug, slug, question, close_time, active, closed, " \
	"resolution_status, volume, liquidity"

/*
 * The query of --export what (raw; market, markets and events whole;
 * market, event and price as export.c's rows), its filters ("WHERE 1"
 * then AND ...) and its order; x says how its rows are written.  What
 * export.c reads with a join, here a GLOBAL join, over FINAL: a
 * Distributed table joins another only so; each joined subquery with an
 * alias, as later releases require (joined_subquery_requires_alias).
 */
static int
export_sql(struct exp *x, const char *what, int all, const char *run_id,
    struct buf *sql)
{
	int whole = x->format == EXPORT_NDJSON && (strcmp(what, "market") == 0
	    || strcmp(what, "event") == 0 || strcmp(what, "markets") == 0 ||
	    strcmp(what, "events") == 0);
	int markets = what[0] == 'm', rc;

	if (x->raw)
		rc = buf_adds(sql, "SELECT source, endpoint, url, fetched_at, "
		    "sha256, request, payload FROM raw_responses FINAL WHERE 1");
	else if (whole && markets) {
		x->since = strcmp(what, "market") == 0 && !all;
		rc = buf_printf(sql, "SELECT source, market_id, record, %s "
		    "FROM (SELECT source, market_id, record%s FROM "
		    "(SELECT source, "
		    "market_id, record, ifNull(condition_id, '') AS cid FROM "
		    "markets FINAL WHERE %s", x->notrades ?
		    "NULL AS newest, NULL AS hnewest" : "newest, hnewest",
		    x->notrades ? "" : ", newest", x->since ? "(" CH_ACTIVE :
		    "1");
		/* the trades and prices flows: the markets closed since
		 * their last run */
		if (rc == 0 && x->since)
			rc = x->closed_since == NULL ? buf_adds(sql, ")") :
			    buf_adds(sql, " OR closed = 1 AND ") == -1 ||
			    ch_time_cmp(sql, "fetched_at", x->closed_since, 1)
			    == -1 || buf_adds(sql, ")") == -1 ? -1 : 0;
	} else if (whole)
		rc = buf_adds(sql, "SELECT source, event_id, record FROM events "
		    "FINAL WHERE 1");
	else if (markets) {
		x->what = "market";
		rc = buf_printf(sql, "SELECT " CH_MARKET_COLS ", if(has_c = 1, "
		    "toNullable(outcome_index), NULL) AS oi, outcome, token_id, "
		    "price, tags FROM (SELECT " CH_MARKET_COLS ", tags FROM "
		    "markets FINAL WHERE %s", all ? "1" : CH_ACTIVE);
	} else if (what[0] == 'e') {
		x->what = "event";
		rc = buf_adds(sql, "SELECT source, event_id, slug, title, "
		    "start_time, end_time, active, closed, volume, liquidity, "
		    "tags, market_ids FROM events FINAL WHERE 1");
	} else {
		x->what = "price";
		rc = buf_printf(sql, "SELECT token_id, market_id, outcome, "
		    "side, ts, price, %s FROM price_history FINAL WHERE 1",
		    x->nofetched ? "NULL AS fetched_at" : "fetched_at");
	}
	if (run_id && rc == 0)
		rc = buf_adds(sql, " AND run_id = ") == -1 ||
		    ch_quote(sql, run_id) == -1 ? -1 : 0;
	if (rc == 0)
		rc = buf_adds(sql, x->raw ? " ORDER BY fetched_at, sha256" :
		    whole && markets && x->notrades ? ") AS m) AS mt ORDER BY "
		    "source, market_id" : whole && markets ? ") AS m GLOBAL ANY "
		    "LEFT JOIN (SELECT condition_id AS cid, max(ts) AS newest FROM "
		    "trades FINAL WHERE " CH_WHOLE_RUN("condition_id", "/trades")
		    " GROUP BY condition_id) AS t USING (cid)) AS mt GLOBAL ANY "
		    "LEFT JOIN " CH_NEWEST_HISTORY " USING (source, market_id) "
		    "ORDER BY source, market_id" : whole ? " ORDER BY source, event_id" :
		    markets ? ") AS m GLOBAL ALL LEFT JOIN (SELECT source, "
		    "market_id, outcome_index, outcome, token_id, price, 1 AS "
		    "has_c FROM " SCHEMA_CH_CONTRACTS " AS cn) AS c USING "
		    "(source, market_id) "
		    "ORDER BY source, market_id, outcome_index" : what[0] == 'e' ?
		    " ORDER BY source, event_id" : " ORDER BY token_id, side, ts");
	return rc == 0 ? buf_adds(sql, " FORMAT JSONEachRow") : -1;
}

/*
 * The schema version, for a reader: 0 when pm-store never wrote here; -1,
 * said, when it cannot be read, when schema_migrations holds none while
 * the tables are there (emptied or dropped by hand, a migration cut
 * short), or when its tables are not as it made them (chdb_check): no
 * reader takes that database for an empty one.
 */
static int
read_version(struct chdb *d, const char *target)
{
	unsigned long long t;
	char err[700];
	int v;

	if ((v = schema_ch_version(d->c[0])) > 0) {
		if (chdb_check(d, v, err, sizeof err) == 0)
			return v;
		msg("%s", err);
		return -1;
	}
	if (v == 0 && ch_number(d->c[0], "EXISTS TABLE markets", &t) == 0) {
		if (t == 0)
			return 0;
		msg("%s: schema_migrations holds no schema version (emptied "
		    "or edited by hand?)", target);
		return -1;
	}
	msg("%s", ch_errmsg(d->c[0]));	/* it names the server */
	return -1;
}

int
store_ch_export(const char *url, const char *target, const char *what,
    int format, int all, struct jqf *where, const char *run_id,
    const char *closed_since, unsigned long limit)
{
	struct exp x = { where, { 0 }, NULL, strcmp(what, "raw") == 0, format,
	    0, 0, limit, what, NULL, 0, 0, closed_since, 0, { 0 } };
	struct buf sql;
	struct chdb *d;
	char err[700];
	int rc = 0, v;

	if (strcmp(what, "group") == 0 || strcmp(what, "retry") == 0 ||
	    strcmp(what, "result") == 0) {
		msg("--export %s: not on ClickHouse: groups (experiment "
		    "results) are kept in a PostgreSQL or SQLite store; export "
		    "them from there", what);
		return EXIT_USAGE;
	}
	if ((d = chdb_open(url, target, NULL, err, sizeof err)) == NULL) {
		msg("%s", err);
		return EXIT_DB;
	}
	/* no schema yet: nothing to write, exit 0, as from an empty SQLite
	 * or PostgreSQL database, and nothing is made */
	if ((v = read_version(d, target)) <= 0) {
		chdb_close(d);
		return v == 0 ? 0 : EXIT_DB;
	}
	/* a database of schema 1 (before trades), read as it is: its
	 * markets have no trades watermark */
	x.notrades = what[0] == 'm' && v == 1;
	/* and before schema 4, its prices have no fetch time */
	x.nofetched = what[0] == 'p' && v < 4;
	buf_init(&sql, 0);
	buf_init(&x.b, 0);
	if ((x.jp = json_parser_new(ndjson_max_line())) == NULL ||
	    export_sql(&x, what, all, run_id, &sql) == -1) {
		msg("out of memory");
		rc = EXIT_DB;
	} else if (x.what)
		export_header(x.what, format);
	if (rc == 0 && each_row(d->c[0], sql.data, export_one,
	    &x, err, sizeof err) == -1) {
		msg("--export %s: %s", what, err);
		rc = EXIT_DB;
	}
	if (x.bad)	/* each said */
		rc = EXIT_DB;
	json_parser_free(x.jp);
	buf_release(&sql);
	buf_release(&x.b);
	buf_release(&x.key);
	chdb_close(d);
	return rc;
}

/*
 * --prune-before: what SQLite and PostgreSQL prune (lib/prune.c), as a
 * mutation: ClickHouse deletes by ALTER TABLE ... DELETE, in the
 * background; pm-store waits for it.  A row keeps one fetch of its
 * payload (raw_responses is keyed by sha256), so what goes is counted
 * with FINAL.  The rows that name payloads are read with FINAL too: a
 * version replaced but not merged away yet (a market's January row
 * after June's, a January dump replayed) names nothing, as on the other
 * engines; without it the payload stayed, 0 removed, until the server
 * merged.
 */
#define CH_PRUNE_KEEP(in, t) \
	" AND sha256 " in " (SELECT assumeNotNull(raw_sha256) FROM " t \
	" FINAL WHERE raw_sha256 IS NOT NULL)"
/* nor a fetch of a run still open: the rows naming its payload may not
 * be stored yet (lib/prune.c) */
#define CH_PRUNE_OPEN(in) \
	" AND ifNull(run_id, '') " in " (SELECT run_id FROM " \
	"processing_runs FINAL WHERE ifNull(status, 'running') = 'running')"
/* schema 1's tables; schema 2 added trades and books */
#define CH_PRUNE_WHERE1(in) \
	CH_PRUNE_KEEP(in, "markets") CH_PRUNE_KEEP(in, "events") \
	CH_PRUNE_KEEP(in, "price_history") CH_PRUNE_OPEN(in)
#define CH_PRUNE_WHERE(in) \
	CH_PRUNE_WHERE1(in) CH_PRUNE_KEEP(in, "trades") \
	CH_PRUNE_KEEP(in, "books")

static int
prune_sql(struct buf *sql, const char *head, const char *when,
    const char *keep)
{
	return buf_adds(sql, head) == -1 || buf_adds(sql, " WHERE ") == -1 ||
	    ch_time_cmp(sql, "ifNull(fetched_at, stored_at)", when, 0) == -1 ||
	    buf_adds(sql, keep) == -1 ? -1 : 0;
}

/* Wait until c has no mutation of table to do, up to PM_DB_TIMEOUT: 0,
 * -1 not within it, -2 the server's answer failed or was no count
 * (ch_errmsg()). */
static int
prune_wait(struct ch *c, const char *table)
{
	char sql[300];
	long left = db_wait_ms();
	unsigned long long n;

	snprintf(sql, sizeof sql, "SELECT count() FROM system.mutations WHERE "
	    "database = currentDatabase() AND table = '%s' AND is_done = 0",
	    table);
	for (;;) {
		if (ch_number(c, sql, &n) == -1)
			return -2;
		if (n == 0)
			return 0;
		if ((left -= 100) < 0)
			return -1;
		ts_sleep_ms(100);
	}
}

int
store_ch_prune(const char *url, const char *target, const char *before,
    int dry)
{
	char err[700], when[TS_MAX], table[64];
	struct buf sql;
	struct chdb *d;
	unsigned long long n = 0;
	size_t i;
	int rc = 0, v, w;

	if ((d = chdb_open(url, target, NULL, err, sizeof err)) == NULL) {
		msg("%s", err);
		return EXIT_DB;
	}
	/* no schema yet: nothing to prune, and nothing is made; an older
	 * one is brought up (the rows it keeps name trades and books), but
	 * for a dry run, which reads it as it is: before schema 2 no trade
	 * or book names a payload, as none would once upgraded; a newer one
	 * is refused either way */
	v = read_version(d, target);
	if (schema_ch_newer(target, v, err, sizeof err))
		v = -2;
	if (v <= 0 || (!dry && chdb_migrate(d, target, err,
	    sizeof err) == -1)) {
		if (v == 0)
			msg("%s: no tables here: nothing to prune", target);
		else if (v != -1)
			msg("%s", err);
		chdb_close(d);
		return v == 0 ? 0 : EXIT_DB;
	}
	ts_bound(before, when);	/* compared as text, as stored */
	snprintf(table, sizeof table, "raw_responses%s",
	    d->cluster[0] ? SCHEMA_CH_LOCAL : "");
	buf_init(&sql, 0);
	if (prune_sql(&sql, "SELECT count() FROM raw_responses FINAL", when,
	    dry && v < 2 ? CH_PRUNE_WHERE1("GLOBAL NOT IN") :
	    CH_PRUNE_WHERE("GLOBAL NOT IN")) == -1 ||
	    ch_number(d->c[0], sql.data, &n) == -1) {
		msg("%s", ch_errmsg(d->c[0]));	/* it names the server */
		rc = EXIT_DB;
	}
	for (i = 0; i < d->n && rc == 0 && !dry && n > 0; i++) {
		buf_reset(&sql);
		if (buf_printf(&sql, "ALTER TABLE %s DELETE", table) == -1 ||
		    prune_sql(&sql, "", when, CH_PRUNE_WHERE("NOT IN")) == -1 ||
		    ch_query(d->c[i], sql.data, NULL) == -1) {
			msg("%s", ch_errmsg(d->c[i]));
			rc = EXIT_DB;
		} else if ((w = prune_wait(d->c[i], table)) != 0) {
			if (w == -2)
				msg("%s", ch_errmsg(d->c[i]));
			else
				msg("%s: the deletion did not end within "
				    "PM_DB_TIMEOUT (the server goes on with it)",
				    ch_origin(d->c[i]));
			rc = EXIT_DB;
		}
	}
	if (rc == 0)
		msg("%llu raw payload versions fetched before %s %s in %s", n,
		    before, dry ? "would go" : "removed", target);
	buf_release(&sql);
	chdb_close(d);
	return rc;
}

struct last {
	char	when[64];
	int	rows;
};

static int
last_one(const json_val *row, int bad, void *arg)
{
	struct last *l = arg;
	json_val v;

	/* the one row of the aggregate: n, and the time or null */
	json_get(row, "n", &v);
	if (bad || v.type == JSON_ABSENT || l->rows++ > 0)
		return -1;
	row_str(row, "newest", l->when, sizeof l->when);
	return 0;
}

int
store_ch_last_run(const char *url, const char *target, const char *flows,
    const char *before)
{
	struct buf sql;
	struct last l = { "", 0 };
	struct chdb *d;
	char err[700];
	int rc = 0, v;

	if ((d = chdb_open(url, target, NULL, err, sizeof err)) == NULL) {
		msg("%s", err);
		return EXIT_DB;
	}
	/* no schema yet: no runs, and nothing is created */
	if ((v = read_version(d, target)) <= 0) {
		chdb_close(d);
		return v == 0 ? 0 : EXIT_DB;
	}
	buf_init(&sql, 0);
	/* an aggregate: one row, runs or none, so that an answer cut to
	 * nothing on its way is not taken for no run */
	/* the newest as times sort, whatever its fraction's digits */
	buf_adds(&sql, "SELECT argMax(started_at, ");
	ch_time_nine(&sql, "started_at");
	buf_adds(&sql, ") AS newest, count() AS n "
	    "FROM processing_runs FINAL WHERE " WATERMARK_RUN " AND "
	    "has(splitByChar(',', ");
	ch_quote(&sql, flows);
	buf_adds(&sql, "), assumeNotNull(flow)) AND ");
	ch_time_cmp(&sql, "started_at", before, 0);
	buf_adds(&sql, " FORMAT JSONEachRow");
	if (each_row(d->c[0], sql.data, last_one, &l, err,
	    sizeof err) == -1) {
		msg("%s", err);	/* it names the server */
		rc = EXIT_DB;
	} else if (l.rows != 1) {
		msg("%s: the answer held no row, one was due",
		    ch_origin(d->c[0]));
		rc = EXIT_DB;
	} else if (l.when[0])
		printf("%s\n", l.when);
	buf_release(&sql);
	chdb_close(d);
	return rc;
}

int
store_ch_schema(const char *url, const char *target, const char *cluster)
{
	struct chdb *d;
	struct buf b;
	char err[700];
	size_t i;

	if (url == NULL) {
		buf_init(&b, 0);
		if (schema_ch_text(cluster, &b) == -1) {
			buf_release(&b);
			msg("out of memory");
			return EXIT_DB;
		}
		out_write(b.data, b.len);
		buf_release(&b);
		return 0;
	}
	if ((d = chdb_open(url, target, cluster, err, sizeof err)) == NULL) {
		msg("%s", err);
		return EXIT_DB;
	}
	if (chdb_migrate(d, target, err, sizeof err) == -1) {
		msg("%s", err);
		chdb_close(d);
		return EXIT_DB;
	}
	for (i = 0; i < d->n; i++)
		msg("%s: schema version %d%s%s", ch_origin(d->c[i]),
		    schema_ch_version(d->c[i]), d->cluster[0] ? ", cluster " :
		    "", d->cluster);
	chdb_close(d);
	return 0;
}
