/*
 * store.c - batches, transactions, retries, runs and the annotated output
 * (see store.h).
 *
 * Records are applied as they arrive, inside the open batch transaction
 * (PostgreSQL's bulk kinds only queue rows, store_pg.c); the batch commits when
 * it is full, before a group or run (each gets a transaction of its own),
 * and at the end.  Output waits for the commit, so a record is annotated
 * only with what is durable.  When a batch fails, its records (kept as
 * text) are applied again: the whole batch after a transient error, then
 * one record per transaction to pin a permanent error on its record.
 *
 * A full batch does not wait for its COMMIT: it stays in flight (s->fly)
 * while the next batch is read and goes to the database behind it.  On
 * PostgreSQL its last rows and the COMMIT are sent, the next batch
 * follows in the same pipeline.  On SQLite its end (its payloads, then
 * COMMIT) is queued to the writer thread behind its rows (store_aw.c),
 * and the thread, which has the connection until then, begins the next
 * batch itself at its first row.  The batch's answer is read before the
 * next COMMIT, before any other flush and at the end; then its records
 * are written out.  If it failed, the next batch failed with it (the
 * server skips it; SQLite's writer thread stops at the failure): that
 * one is rolled back, the failed one recovered as above, and the next
 * applied again.  A batch with quotes (written here at its end) does
 * not go in flight on SQLite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"
#include "msg.h"
#include "out.h"
#include "record.h"
#include "store_impl.h"

#define BATCH_RECORDS	2000
#define BATCH_BYTES	(32UL * 1024 * 1024)
/* SQLite's batches are longer: a commit writes every page the batch
 * touched to the WAL, and the index pages of random keys (payload
 * hashes, token ids) are touched by nearly every batch: 8000 records
 * write 30% fewer bytes than 2000, and 16000 (64 MiB) take 10-15% less
 * CPU than 8000 (make bench, 100k markets; 100 MiB more at the peak).
 * Not longer still: a batch holds the writer lock (half a second at
 * 16000 on 2 cores), which another writer waits for only up to
 * PM_DB_TIMEOUT.  PostgreSQL's stay at 2000 (bulk_seen looks a key up in
 * the batch's). */
#define BATCH_RECORDS_SQLITE	16000
#define BATCH_BYTES_SQLITE	(64UL * 1024 * 1024)
/* How long a batch transaction stays open at most: a batch begun this
 * long ago goes at its next record, full or not (store_record). */
#define BATCH_MS		1000
/* bulk_seen's hash set of a batch's keys: open addressing, half full at
 * most */
#define KEYSLOTS		4096
_Static_assert(KEYSLOTS >= 2 * BATCH_RECORDS, "KEYSLOTS too small");

/* How a run the database had as ended ended (run_kept) */
struct run_end {
	int		 ended;
	char		 at[TS_MAX], status[32];
	struct buf	 counts;	/* empty: NULL */
};

static int
sqlite_batches(const struct store *s)
{
	return s->db && db_engine(s->db) == DB_SQLITE;
}

static size_t
batch_records(const struct store *s)
{
	return sqlite_batches(s) ? BATCH_RECORDS_SQLITE : BATCH_RECORDS;
}

static size_t
batch_bytes(const struct store *s)
{
	return sqlite_batches(s) ? BATCH_BYTES_SQLITE : BATCH_BYTES;
}

void
store_refuse_groups(struct store *s, const char *why)
{
	s->no_groups = why;
}

struct store *
store_new(struct db *db, const char *target, size_t max_line)
{
	struct store *s;
	int i;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->db = db;
	s->target = target;
	s->max_line = max_line;
	buf_init(&s->text, 0);
	buf_init(&s->canon, 0);
	buf_init(&s->sql, 0);
	buf_init(&s->content, 0);
	buf_init(&s->packed, 0);
	buf_init(&s->rebuilt, 0);
	for (i = 0; i < NJBUF; i++)
		buf_init(&s->jbuf[i], 0);
	if ((s->jp = json_parser_new(max_line + 4096)) == NULL)
		goto fail;
	if (db == NULL)
		return s;
	if (tbl_prepare(s) == -1)
		goto fail;
	s->xrun = db_prepare(db, "INSERT INTO experiment_runs (run_id, "
	    "experiment_id, status, n_ok, n_failed, n_skipped, started_at, "
	    "fingerprint, version, description) "
	    "VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT (run_id, "
	    "experiment_id) DO UPDATE SET status = 'running', "
	    "fingerprint = excluded.fingerprint, "
	    "version = excluded.version, "
	    "description = excluded.description, "
	    "n_ok = experiment_runs.n_ok + excluded.n_ok, "
	    "n_failed = experiment_runs.n_failed + excluded.n_failed, "
	    "n_skipped = experiment_runs.n_skipped + excluded.n_skipped");
	/* only a row that differs: an end stored again (a dump replayed
	 * twice) changes nothing, and its record says unchanged */
	s->xrunend = db_prepare(db, "UPDATE processing_runs SET "
	    "finished_at = ?2, status = ?3, counts = COALESCE(?4, counts) "
	    "WHERE run_id = ?1 AND (COALESCE(finished_at, '') <> "
	    "COALESCE(CAST(?2 AS TEXT), '') OR COALESCE(status, '') <> "
	    "COALESCE(CAST(?3 AS TEXT), '') OR COALESCE(counts, '') <> "
	    "COALESCE(CAST(?4 AS TEXT), counts, ''))");
	/* A run the database has as ended (a dump cut short, without its
	 * end, replayed into the database its run wrote) is left as it was
	 * ended: the replay's clock and counts are not that run's. */
	s->xrunclose = db_prepare(db, "UPDATE processing_runs SET "
	    "finished_at = ?2, status = ?3, counts = ?4 WHERE run_id = ?1 "
	    "AND (status IS NULL OR status = 'running')");
	s->xrunget = db_prepare(db, "SELECT finished_at, status, counts "
	    "FROM processing_runs WHERE run_id = ?1");
	s->xrunfin = db_prepare(db, "UPDATE experiment_runs SET status = "
	    "CASE WHEN n_failed > 0 AND n_ok = 0 THEN 'failed' "
	    "ELSE 'completed' END, finished_at = ?2 "
	    "WHERE run_id = ?1 AND status = 'running'");
	/* A retried group's result replaces only a result that failed, or
	 * was skipped because its research failed, and only by one that did
	 * not: replaying the first run's dump afterwards changes nothing.
	 * The parameters are experiment_results' columns in order. */
	s->xretry = db_prepare(db, "UPDATE experiment_results SET "
	    "run_id = ?3, suite = ?4, stage = ?5, variant = ?6, type = ?7, "
	    "status = ?8, output = ?9, probabilities = ?10, started_at = ?11, "
	    "finished_at = ?12, latency_ms = ?13, error = ?14, version = ?16, "
	    "lead = ?18 "
	    "WHERE event_key = ?1 AND experiment_id = ?2 AND fingerprint = ?15 "
	    "AND markets = ?17 AND (status = 'failed' OR (status = 'skipped' "
	    "AND error LIKE 'research %')) AND ?8 <> 'failed' AND "
	    "NOT (?8 = 'skipped' AND COALESCE(CAST(?14 AS TEXT), '') "
	    "LIKE 'research %')");
	/* Its markets then hold the replacing result's run, close time and
	 * lead time: the failed run's would score the retried forecast at
	 * the lead of an attempt that gave none.  experiment_markets'
	 * columns in order. */
	s->xretrym = db_prepare(db, "INSERT INTO experiment_markets "
	    "(event_key, experiment_id, fingerprint, markets, market_id, "
	    "run_id, close_time, lead_h) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8) ON CONFLICT (event_key, experiment_id, fingerprint, markets, "
	    "market_id) DO UPDATE SET run_id = excluded.run_id, close_time = "
	    "excluded.close_time, lead_h = excluded.lead_h");
	if (db_engine(db) == DB_SQLITE &&
	    aw_new(s, BATCH_RECORDS_SQLITE + 1) == -1)
		goto fail;
	if (s->xrun && s->xrunend && s->xrunfin && s->xretry && s->xretrym &&
	    s->xrunclose && s->xrunget)
		return s;
fail:
	if (db)
		msg("%s: %s", target, db_errmsg(db));
	store_free(s);
	return NULL;
}

static void
entries_free(struct entry *ent, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ent[i].key);
		free(ent[i].market_id);
	}
}

/* The open batch's entries and text gone. */
static void
batch_clear(struct store *s)
{
	entries_free(s->ent, s->nent);
	s->nent = 0;
	s->nbadline = 0;
	buf_reset(&s->text);
}

/* The open batch and the one in flight trade places. */
static void
batch_swap(struct store *s)
{
	struct batch t = s->fly;
	int *st;

	s->fly = (struct batch){ s->text, s->ent, s->nent, s->cap,
	    s->nbadline };
	s->text = t.text;
	s->ent = t.ent;
	s->nent = t.nent;
	s->cap = t.cap;
	s->nbadline = t.nbadline;
	pgb_swap(s);
	st = s->astat;
	s->astat = s->fstat;
	s->fstat = st;
}

static void
clear_entries(struct store *s)
{
	tbl_payloads_drop(s);	/* none left but of a batch rolled back:
				 * they read the text about to go */
	batch_clear(s);
	if (s->nkeys)
		memset(s->keys, 0, KEYSLOTS * sizeof *s->keys);
	s->nkeys = 0;
	quote_reset(s);
}

void
store_free(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	aw_free(s);	/* before the statements it runs */
	clear_entries(s);
	entries_free(s->fly.ent, s->fly.nent);
	buf_release(&s->fly.text);
	free(s->fly.ent);
	if (s->db)
		tbl_release(s);
	db_finalize(s->xrun);
	db_finalize(s->xrunend);
	db_finalize(s->xrunfin);
	db_finalize(s->xrunclose);
	db_finalize(s->xrunget);
	db_finalize(s->xretry);
	db_finalize(s->xretrym);
	quote_free(s);
	json_parser_free(s->jp);
	buf_release(&s->text);
	buf_release(&s->canon);
	buf_release(&s->sql);
	buf_release(&s->content);
	buf_release(&s->packed);
	buf_release(&s->rebuilt);
	zpack_free(s->zp);
	for (i = 0; i < NJBUF; i++)
		buf_release(&s->jbuf[i]);
	free(s->ent);
	free(s->mc.v);
	free(s->mt.v);
	free(s->keys);
	free(s->run_id);
	free(s->run_text);
	free(s);
}

void
store_get_counts(const struct store *s, struct store_counts *c)
{
	*c = s->total;
}

int
store_fatal(const struct store *s)
{
	return s->fatal;
}

static struct entry *
add_entry(struct store *s, const char *text, size_t len, const char *file,
    unsigned long line, int kind)
{
	struct entry *e, *n;
	size_t cap;

	if (s->nent == s->cap) {
		cap = s->cap ? s->cap * 2 : 256;
		if ((n = realloc(s->ent, cap * sizeof *n)) == NULL)
			return NULL;
		s->ent = n;
		s->cap = cap;
	}
	e = &s->ent[s->nent];
	*e = (struct entry){ .off = s->text.len, .len = len, .file = file,
	    .line = line, .kind = kind };
	/* The batch's text never moves while the batch lasts (a batch
	 * ends before it would pass batch_bytes(); a record longer alone
	 * is a batch's first): the writer and packing threads read payloads
	 * where they are, not copies. */
	if (s->text.len == 0 && buf_reserve(&s->text, batch_bytes(s)) == -1)
		return NULL;
	if (len && buf_add(&s->text, text, len) == -1)
		return NULL;
	s->nent++;
	return e;
}

/* Apply entry i, inside the batch transaction (opened here if need be). */
static int
apply(struct store *s, size_t i, const json_val *root)
{
	struct entry *e = &s->ent[i];
	int aw = aw_on(s) && (e->kind == K_RAW || e->kind == K_MARKET);
	int rc;

	/* only raw and market rows go to the writer thread: the rest are
	 * written here, when it is idle */
	if (aw_on(s) && !aw && (rc = aw_wait(s)) != DB_DONE)
		return rc;
	if (s->db && !s->in_txn && aw && s->fly.nent > 0) {
		/* the writer thread has the connection until the batch in
		 * flight is committed: it begins this one, behind it */
		if ((rc = aw_begin(s)) != DB_DONE)
			return rc;
		s->in_txn = 1;
		s->txn_ms = ts_mono_ms();
	}
	if (s->db && !s->in_txn) {
		tbl_payloads_drop(s);	/* of a batch rolled back */
		if ((rc = tbl_pg_session(s)) != DB_DONE ||
		    (rc = db_begin(s->db)) != DB_DONE)
			return rc;
		s->in_txn = 1;
		s->txn_ms = ts_mono_ms();
		s->txn++;
	}
	return kind_apply(s, e, root, i);
}

static void
reset_entry(struct entry *e)
{
	free(e->key);
	free(e->market_id);
	e->key = e->market_id = NULL;
	e->status = ST_NONE;
	e->reason = NULL;
	if (e->kind != K_BAD && e->kind != K_BADLINE)
		e->detail[0] = 0;
}

/* Entries [from, to) again, from their text, in the open transaction
 * (opened if need be). */
static int
reapply(struct store *s, size_t from, size_t to)
{
	const char *err;
	json_val root;
	size_t i;
	int rc = DB_DONE, t;

	for (t = 0; t < T_COUNT; t++)
		s->ts[t].copied = 0;
	quote_reset(s);
	for (i = from; i < to && rc == DB_DONE; i++) {
		reset_entry(&s->ent[i]);
		root.type = JSON_NULL;
		if (s->ent[i].len && json_parse(s->jp, s->text.data +
		    s->ent[i].off, s->ent[i].len, 0, &root, &err) == -1)
			return DB_ERR;
		rc = apply(s, i, &root);
	}
	return rc;
}

/* Entries [from, to) again, from their text, in one transaction. */
static int
replay(struct store *s, size_t from, size_t to)
{
	int rc = reapply(s, from, to);

	if (rc == DB_DONE && s->in_txn &&
	    (rc = tbl_bulk(s, s->ent, s->nent)) == DB_DONE &&
	    (rc = quote_flush(s)) == DB_DONE)
		rc = db_commit(s->db);
	if (rc != DB_DONE && s->in_txn)
		db_rollback(s->db);
	s->in_txn = 0;
	return rc;
}

static int
replay_retry(struct store *s, size_t from, size_t to)
{
	int attempt, rc = DB_BUSY;

	for (attempt = 0; attempt < DB_RETRIES; attempt++) {
		if ((rc = replay(s, from, to)) != DB_BUSY)
			break;
		db_backoff(attempt);
	}
	return rc;
}

/* The database refused entry i for good: say so, and keep a note in
 * processing_failures if the database still takes that. */
static void
mark_failed(struct store *s, size_t i)
{
	struct entry *e = &s->ent[i];

	reset_entry(e);
	entry_fail(e, "store_failed", db_errmsg(s->db));
	if (db_begin(s->db) != DB_DONE)
		return;
	if (fail_row(s, e) != DB_DONE || db_commit(s->db) != DB_DONE)
		db_rollback(s->db);
}

/* The batch failed: again whole if the database was busy, else record by
 * record, so that one bad record does not take its neighbours down.  When
 * the database itself is gone (db_alive() false: unreachable past
 * PM_DB_TIMEOUT, disk full, I/O error) nothing more is tried: the cause is
 * said once, and every entry of the batch fails with it. */
static int
recover(struct store *s, int rc)
{
	size_t i;

	if (rc == DB_BUSY)
		rc = replay_retry(s, 0, s->nent);
	if (rc == DB_DONE)
		return 0;
	for (i = 0; i < s->nent; i++) {
		if (!s->fatal && db_alive(s->db) && s->nent > 1 &&
		    replay_retry(s, i, i + 1) == DB_DONE)
			continue;
		if (!s->fatal && !db_alive(s->db)) {
			msg("%s: %s", s->target, db_errmsg(s->db));
			s->fatal = 1;
		}
		if (!s->fatal) {
			mark_failed(s, i);
			continue;
		}
		reset_entry(&s->ent[i]);
		entry_fail(&s->ent[i], "store_failed", db_errmsg(s->db));
	}
	return s->fatal ? -1 : 0;
}

void
store_count(struct store_counts *c, int st)
{
	switch (st) {
	case ST_INSERTED: c->inserted++; break;
	case ST_UPDATED: c->updated++; break;
	case ST_UNCHANGED: c->unchanged++; break;
	case ST_DUPLICATE: c->duplicates++; break;
	case ST_SKIPPED: c->skipped++; break;
	case ST_FAILED: c->failed++; break;
	}
}

/* `,"stored":"duplicate"}` for the closing brace: the longest status
 * name (status_name()) */
#define ANNOTATION_MAX	21
#define STR(x)		STR_(x)
#define STR_(x)		#x

void
store_line_cap(struct ndjson *nd)
{
	nd->max_line = ndjson_max_line() - ANNOTATION_MAX;
	nd->max_why = "PM_MAX_LINE less " STR(ANNOTATION_MAX) " bytes for the "
	    "\"stored\" annotation";
}

/* The record as it came, its closing brace replaced by the annotation:
 * the bytes before it are not touched (pm-records(5)). */
void
store_annotate(const char *p, size_t n, int st)
{
	char tail[40];
	size_t end = n, k;
	int len;

	while (end > 0 && p[end - 1] != '}')
		end--;
	if (end == 0) {
		out_line(p, n);
		return;
	}
	end--;
	for (k = end; k > 0 && strchr(" \t\r\n", p[k - 1]); k--)
		;
	len = snprintf(tail, sizeof tail, "%s\"stored\":\"%s\"}",
	    k > 0 && p[k - 1] == '{' ? "" : ",", status_name(st));
	out_write(p, end);
	out_line(tail, (size_t)len);
}

/* A record annotated (store_annotate); an end record stored with a
 * status other than its own (store_end_lost, status not NULL) written out
 * as stored, its status replaced, so that what reads the stream
 * (pm-summary) hears how the run is recorded. */
void
store_annotate_as(json_parser *jp, const char *p, size_t n, int st,
    const char *status)
{
	json_val root, v;
	json_iter it;
	const char *k, *err;
	size_t kl;
	struct buf b;

	if (status == NULL || json_parse(jp, p, n, 0, &root, &err) == -1 ||
	    root.type != JSON_OBJECT) {
		store_annotate(p, n, st);
		return;
	}
	buf_init(&b, 0);
	jw_open(&b, '{');
	json_iter_init(&it, &root);
	while (json_iter_next(&it, &k, &kl, &v)) {
		jw_str(&b, k, kl);
		buf_addc(&b, ':');
		if (kl == 6 && memcmp(k, "status", 6) == 0)
			jw_strz(&b, status);
		else
			jw_val(&b, &v);
	}
	jw_close(&b, '}');
	store_annotate(b.data, b.len, st);
	buf_release(&b);
}

static void
emit_one(struct store *s, const struct buf *text, struct entry *e)
{
	s->last_status = e->status;
	if (e->kind != K_BADLINE) {
		store_annotate_as(s->jp, text->data + e->off, e->len,
		    e->status, e->kind == K_RUN ? s->end_as : NULL);
		if (e->kind == K_RUN)
			s->end_as = NULL;
		s->total.records++;
		s->run.records++;
		store_count(&s->total, e->status);
		store_count(&s->run, e->status);
	}
	if (e->kind == K_FAILURE && e->status != ST_FAILED)
		s->upstream_failures++;
	if (e->status == ST_SKIPPED && e->key)
		rec_skip("store", e->key, "already_processed");
	if (e->status != ST_FAILED)
		return;
	rec_failure(&(struct failure){ .stage = "store", .reason = e->reason,
	    .retriable = strcmp(e->reason, "store_failed") == 0,
	    .file = e->file, .line = e->line, .market_id = e->market_id,
	    .event_key = e->key, .detail = e->detail });
}

/*
 * The batch in flight is done: its COMMIT's answer read (SQLite: the
 * writer thread past its COMMIT), its records written.  If it failed, the
 * open batch, which went to the server behind it and failed with it (on
 * SQLite the writer thread skipped it), is rolled back; the failed one is
 * recovered as flush() does; then the open one is applied again, so a
 * key written in both ends with the later record.  0, or -1 when the
 * database is gone.
 */
static int
fly_done(struct store *s)
{
	size_t i;
	int rc, sq = s->aw != NULL;

	if (s->fly.nent == 0)
		return 0;
	if (sq)
		rc = aw_committed(s);
	else {
		rc = s->fly_rc != DB_DONE ? s->fly_rc : db_committed(s->db);
		s->fly_rc = DB_DONE;
	}
	if (rc != DB_DONE) {
		if (sq) {
			(void)aw_wait(s);	/* the connection is ours */
			aw_statuses(s, 1);	/* none kept: both batches */
			aw_statuses(s, 0);	/* are applied again */
		}
		db_rollback(s->db);
		s->in_txn = 0;
		batch_swap(s);
		s->aw_off = sq;	/* record by record, in line */
		rc = recover(s, rc);
		s->aw_off = 0;
		for (i = 0; i < s->nent; i++)
			emit_one(s, &s->text, &s->ent[i]);
		batch_clear(s);
		batch_swap(s);
		if (s->nent > 0)
			s->pending = rc == 0 ? reapply(s, 0, s->nent) : DB_ERR;
		return rc;
	}
	if (sq)
		aw_statuses(s, 1);
	for (i = 0; i < s->fly.nent; i++)
		emit_one(s, &s->fly.text, &s->fly.ent[i]);
	entries_free(s->fly.ent, s->fly.nent);
	s->fly.nent = s->fly.nbadline = 0;
	buf_reset(&s->fly.text);
	return 0;
}

/* Commit the batch (running the bulk statements first), then write it;
 * the batch in flight first. */
static int
flush(struct store *s)
{
	int rc, arc;
	size_t i;

	if (fly_done(s) == -1 && s->nent > 0)
		s->pending = DB_ERR;
	rc = s->pending;
	s->pending = DB_DONE;
	if (s->nent == 0)
		return s->fatal ? -1 : 0;
	arc = aw_wait(s);
	if (rc == DB_DONE)
		rc = arc;
	if (s->db && s->in_txn) {
		if (rc == DB_DONE &&
		    (rc = tbl_bulk(s, s->ent, s->nent)) == DB_DONE &&
		    (rc = quote_flush(s)) == DB_DONE)
			rc = db_commit(s->db);
		if (rc != DB_DONE)
			db_rollback(s->db);
		s->in_txn = 0;
	}
	aw_statuses(s, 0);
	if (s->db && rc != DB_DONE) {
		s->aw_off = 1;	/* record by record, in line */
		rc = recover(s, rc);
		s->aw_off = 0;
	}
	for (i = 0; i < s->nent; i++)
		emit_one(s, &s->text, &s->ent[i]);
	clear_entries(s);
	return rc == DB_DONE ? 0 : -1;
}

/* A full batch goes in flight while the next batch is read.  PostgreSQL:
 * its last rows and its COMMIT sent without waiting.  SQLite: its end
 * (payloads, COMMIT) queued to the writer thread behind its rows; its
 * quotes, written here, keep it out of flight. */
static int
flush_full(struct store *s)
{
	int rc;

	if (s->db == NULL || fly_done(s) == -1 || s->pending != DB_DONE ||
	    !s->in_txn)
		return flush(s);
	if (aw_on(s)) {
		if (quote_count(s) > 0 || aw_commit(s) != DB_DONE)
			return flush(s);
		batch_swap(s);	/* the open batch now empty: */
		s->in_txn = 0;	/* the thread begins the next (apply) */
		return 0;
	}
	if (db_engine(s->db) != DB_PG)
		return flush(s);
	if ((rc = tbl_bulk_send(s)) != DB_DONE ||
	    (rc = quote_flush(s)) != DB_DONE) {
		s->pending = rc;
		return flush(s);
	}
	batch_swap(s);
	clear_entries(s);
	s->in_txn = 0;
	if ((s->fly_rc = db_commit_send(s->db)) != DB_DONE)
		return fly_done(s);
	return 0;
}

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return (h * 0x100000001b3ULL) ^ 0xff;	/* field separator */
}

static uint64_t
field_hash(uint64_t h, const json_val *root, const char *key)
{
	json_val v;
	const char *p;
	size_t n = 0;

	json_get(root, key, &v);
	p = json_str(&v, &n);
	return fnv(h, p ? p : "", n);
}

/* PostgreSQL's bulk statement takes each key once per batch, so a key
 * seen again closes the batch first.  A hash collision only costs an
 * early commit. */
static int
bulk_seen(struct store *s, int kind, const json_val *root)
{
	static const char *const keys[][4] = { [K_RAW] = { "sha256" },
	    [K_MARKET] = { "source", "market_id" },
	    [K_PRICE] = { "token_id", "side", "ts" } };
	uint64_t h = 0xcbf29ce484222325ULL + (uint64_t)kind;
	const char *const *k;
	size_t i;

	if (s->db == NULL || db_engine(s->db) != DB_PG || kind > K_PRICE ||
	    keys[kind][0] == NULL)
		return 0;
	for (k = keys[kind]; *k; k++)
		h = field_hash(h, root, *k);
	h += h == 0;	/* 0: an empty slot */
	if (s->keys == NULL &&
	    (s->keys = calloc(KEYSLOTS, sizeof *s->keys)) == NULL)
		return 1;
	for (i = h & (KEYSLOTS - 1); s->keys[i]; i = (i + 1) & (KEYSLOTS - 1))
		if (s->keys[i] == h)
			return 1;
	if (s->nkeys < BATCH_RECORDS) {
		s->keys[i] = h;
		s->nkeys++;
	}
	return 0;
}

const char *
store_run_status(const struct store_counts *c, int fatal,
    unsigned long upstream_failures)
{
	if (fatal || (c->failed > 0 && c->inserted + c->updated +
	    c->unchanged + c->duplicates == 0))
		return "failed";
	if (c->failed > 0 || upstream_failures > 0)
		return "partial";
	return "completed";
}

int
store_end_due(const json_val *start)
{
	json_val v;
	int b;

	json_get(start, "end_record", &v);
	return json_bool(&v, &b) == 0 && b;
}

void
store_end_missing(const char *run_id)
{
	msg("run %s: the input ended before its end record, which its start "
	    "said would close it (a dump cut short): partial", run_id);
}

void
store_input_cut(const char *run_id)
{
	msg("run %s: its input was not read to its end: partial", run_id);
}

int
store_end_lost(const char *run_id, unsigned long n, const char *kept,
    const char **status, const char **as)
{
	if (kept) {	/* ended before this input: as it ended */
		if (*status == NULL || strcmp(*status, kept) != 0)
			*as = kept;
		return 1;
	}
	if (*status == NULL || strcmp(*status, "completed") != 0)
		return 0;
	msg("run %s: %lu of its records in this input not stored; its end "
	    "record says completed: partial", run_id, n);
	*status = *as = "partial";
	return 0;
}

/* Did this input lose records of the open run (failed ones)?  0 no; 1
 * yes and the database has it running or not ended (then its end is not
 * complete); 2 yes, but the database has it as ended already (its status
 * in s->end_kept): the rows came before, it stays as it ended; -1 the
 * look-up failed. */
int
store_run_lost(struct store *s)
{
	size_t n;
	const char *p;
	int rc, ended = 0;

	if (s->run.failed == 0)
		return 0;
	db_bind_str(s->xrunget, 1, s->run_id);
	if ((rc = db_step(s->xrunget)) == DB_ROW) {
		p = db_col_text(s->xrunget, 1, &n);
		ended = p && !(n == 7 && memcmp(p, "running", 7) == 0);
		snprintf(s->end_kept, sizeof s->end_kept, "%.*s",
		    p ? (int)n : 0, p ? p : "");
		rc = DB_DONE;
	}
	db_reset(s->xrunget);
	return rc != DB_DONE ? -1 : ended ? 2 : 1;
}

static void
counts_json(struct buf *b, const struct store_counts *c)
{
	buf_printf(b, "{\"records\":%lu,\"inserted\":%lu,\"updated\":%lu,"
	    "\"unchanged\":%lu,\"duplicates\":%lu,\"skipped\":%lu,"
	    "\"failed\":%lu}", c->records, c->inserted, c->updated,
	    c->unchanged, c->duplicates, c->skipped, c->failed);
}

static void
col_copy(struct db_stmt *st, int i, char *dst, size_t cap)
{
	size_t n;
	const char *p = db_col_text(st, i, &n);

	snprintf(dst, cap, "%.*s", p ? (int)n : 0, p ? p : "");
}

/* The end of a run that had ended before this input (the row's status
 * is neither NULL nor running): its finished_at, status and counts into
 * kept, the counts only when they are JSON (set by hand: not passed on
 * as a record's).  DB_DONE, also when the row is not there (kept not
 * ended), or the error. */
static int
run_kept(struct store *s, struct run_end *kept)
{
	json_val root;
	const char *p, *err;
	size_t n;
	int rc;

	buf_reset(&kept->counts);
	db_bind_str(s->xrunget, 1, s->run_id);
	if ((rc = db_step(s->xrunget)) != DB_ROW)
		return rc;
	col_copy(s->xrunget, 0, kept->at, sizeof kept->at);
	col_copy(s->xrunget, 1, kept->status, sizeof kept->status);
	if ((p = db_col_text(s->xrunget, 2, &n)) != NULL &&
	    json_parse(s->jp, p, n, 0, &root, &err) == 0 &&
	    root.type == JSON_OBJECT && buf_add(&kept->counts, p, n) == -1)
		rc = DB_ERR;
	db_reset(s->xrunget);
	kept->ended = rc != DB_ERR;
	return rc == DB_ERR ? DB_ERR : DB_DONE;
}

static int
run_close_db(struct store *s, const char *status, const char *counts,
    struct run_end *kept)
{
	int rc;

	kept->ended = 0;
	if ((rc = db_begin(s->db)) != DB_DONE)
		return rc;
	db_bind_str(s->xrunclose, 1, s->run_id);
	db_bind_str(s->xrunclose, 2, s->now);
	db_bind_str(s->xrunclose, 3, status);
	db_bind_str(s->xrunclose, 4, counts);
	db_bind_str(s->xrunfin, 1, s->run_id);
	db_bind_str(s->xrunfin, 2, s->now);
	if ((rc = db_step(s->xrunclose)) == DB_DONE &&
	    (db_changes(s->xrunclose) > 0 ||
	    (rc = run_kept(s, kept)) == DB_DONE) &&
	    (rc = db_step(s->xrunfin)) == DB_DONE &&
	    (rc = db_commit(s->db)) == DB_DONE)
		return DB_DONE;
	db_rollback(s->db);
	kept->ended = 0;
	return rc;
}

/* The run's end record: its start record's members (start, or NULL),
 * then the end's own. */
void
store_end_record(const json_val *start, const char *now, const char *status,
    const char *counts)
{
	static const char *const own[] = { "kind", "phase", "finished_at",
	    "status", "counts", "stored" };
	struct buf b;
	json_val v;
	json_iter it;
	const char *k;
	size_t kl, i;

	buf_init(&b, 0);
	jw_open(&b, '{');
	jw_key(&b, "kind");
	jw_strz(&b, "run");
	jw_key(&b, "phase");
	jw_strz(&b, "end");
	if (start) {
		json_iter_init(&it, start);
		while (json_iter_next(&it, &k, &kl, &v)) {
			for (i = 0; i < sizeof own / sizeof own[0]; i++)
				if (strlen(own[i]) == kl &&
				    memcmp(own[i], k, kl) == 0)
					break;
			if (i < sizeof own / sizeof own[0])
				continue;
			jw_str(&b, k, kl);
			buf_addc(&b, ':');
			jw_val(&b, &v);
		}
	}
	jw_key(&b, "finished_at");
	jw_strz(&b, now);
	jw_key(&b, "status");
	jw_strz(&b, status);
	jw_key(&b, "counts");
	jw_raw(&b, counts, strlen(counts));
	jw_close(&b, '}');
	out_line(b.data, b.len);
	buf_release(&b);
}

static void
run_end_record(struct store *s, const char *at, const char *status,
    const char *counts)
{
	json_val root;
	const char *err;

	store_end_record(json_parse(s->jp, s->run_text, strlen(s->run_text),
	    0, &root, &err) == 0 ? &root : NULL, at, status, counts);
}

/* Finish the open run: its row gets counts and status, experiment runs
 * are closed, and the end record goes out. */
static int
run_close(struct store *s)
{
	struct buf counts;
	const char *status = store_run_status(&s->run, s->fatal,
	    s->upstream_failures + (s->end_due != 0) + (s->input_cut != 0));
	struct run_end kept = { 0 };
	int attempt, rc = DB_DONE;

	if (s->run_id == NULL)
		return 0;
	buf_init(&counts, 0);
	buf_init(&kept.counts, 0);
	counts_json(&counts, &s->run);
	ts_now(s->now);
	for (attempt = 0; s->db && !s->fatal && attempt < DB_RETRIES;
	    attempt++) {
		if ((rc = run_close_db(s, status, counts.data, &kept)) !=
		    DB_BUSY)
			break;
		db_backoff(attempt);
	}
	if (rc != DB_DONE)
		msg("%s: run %s: cannot record its end: %s", s->target,
		    s->run_id, db_errmsg(s->db));
	if (s->input_cut && !kept.ended)
		store_input_cut(s->run_id);
	else if (s->end_due && !kept.ended)
		store_end_missing(s->run_id);
	/* the end record says how the run ended, as stored */
	if (s->db && kept.ended)
		run_end_record(s, *kept.at ? kept.at : s->now, kept.status,
		    kept.counts.len ? kept.counts.data : counts.data);
	else if (s->db)
		run_end_record(s, s->now, status, counts.data);
	buf_release(&counts);
	buf_release(&kept.counts);
	free(s->run_id);
	free(s->run_text);
	s->run_id = s->run_text = NULL;
	return rc == DB_DONE ? 0 : -1;
}

/* A run record was stored: a start opens the run, an end replayed from
 * a dump closes it without a second end record. */
static void
run_adopt(struct store *s, const json_val *root, const char *phase,
    const char *id)
{
	if (strcmp(phase, "end") == 0) {
		if (s->run_id && strcmp(s->run_id, id) == 0) {
			/* its experiments end with it, as run_close() ends
			 * them (pipelines.sh's final word, a replayed dump) */
			db_bind_str(s->xrunfin, 1, s->run_id);
			db_bind_str(s->xrunfin, 2, s->now);
			if (db_step(s->xrunfin) != DB_DONE)
				db_reset(s->xrunfin);
			free(s->run_id);
			free(s->run_text);
			s->run_id = s->run_text = NULL;
		}
		return;
	}
	buf_reset(&s->canon);
	canon_json(&s->canon, root, 1);
	/* the same start twice (a dump stored twice in one stream) */
	free(s->run_id);
	free(s->run_text);
	s->run_id = strdup(id);
	s->run_text = strdup(s->canon.data ? s->canon.data : "{}");
	memset(&s->run, 0, sizeof s->run);
	s->upstream_failures = 0;
	s->end_due = store_end_due(root);
}

/* A run record goes in a transaction of its own; once it is stored, a
 * start opens the run and an end closes it.  r->root is the input loop's:
 * the flush leaves it alone. */
static int
run_record(struct store *s, struct rec *r)
{
	const char *phase, *id;
	json_val x;
	int rc;

	if (flush(s) == -1)
		return -1;
	json_get(&r->root, "phase", &x);
	phase = json_str(&x, NULL);
	json_get(&r->root, "run_id", &x);
	id = json_str(&x, NULL);
	if (s->db && phase && id && strcmp(phase, "start") == 0 &&
	    s->run_id && strcmp(s->run_id, id) != 0)
		run_close(s);
	if (add_entry(s, r->text, r->len, r->file, r->line, K_RUN) == NULL) {
		msg("out of memory");
		s->fatal = 1;
		return -1;
	}
	ts_now(s->now);
	s->pending = apply(s, 0, &r->root);
	rc = flush(s);
	if (rc == 0 && s->db && phase && id && s->last_status != ST_FAILED)
		run_adopt(s, &r->root, phase, id);
	return rc;
}

int
store_record(struct rec *r, void *arg)
{
	struct store *s = arg;
	struct entry *e;
	int kind = kind_of(r->kind, r->kindlen);

	if (s->fatal)
		return -1;
	if (kind == K_RUN)
		return run_record(s, r);
	if (kind == K_GROUP || s->nent >= batch_records(s) ||
	    s->text.len + r->len > batch_bytes(s) ||
	    bulk_seen(s, kind, &r->root)) {
		if ((kind == K_GROUP ? flush(s) : flush_full(s)) == -1)
			return -1;
		bulk_seen(s, kind, &r->root);
	}
	if (s->nent == 0)
		ts_now(s->now);
	if ((e = add_entry(s, r->text, r->len, r->file, r->line, kind)) == NULL) {
		msg("out of memory");
		s->fatal = 1;
		return -1;
	}
	if (kind == K_BAD && r->kind)
		snprintf(e->detail, sizeof e->detail, "unknown kind: %.*s",
		    (int)(r->kindlen > 40 ? 40 : r->kindlen), r->kind);
	else if (kind == K_BAD)
		snprintf(e->detail, sizeof e->detail, "kind missing");
	if (s->pending == DB_DONE)
		s->pending = apply(s, s->nent - 1, &r->root);
	if (kind == K_GROUP || s->pending != DB_DONE)
		return flush(s);
	/* a producer that never pauses for IDLE_MS (ndjson.c) but is slow
	 * would keep the transaction open until the batch fills: SQLite's
	 * writer lock (every other writer refused after PM_DB_TIMEOUT),
	 * PostgreSQL's row locks, for minutes */
	if (s->db && s->in_txn && ts_mono_ms() - s->txn_ms >= BATCH_MS)
		return flush_full(s);
	return 0;
}

void
store_badline(void *arg, const char *file, unsigned long line,
    const char *detail)
{
	struct store *s = arg;
	struct entry *e;
	json_val none = { .type = JSON_NULL };

	/*
	 * The line's failure record is written by the input loop as soon as
	 * this returns: records before it in the batch are committed and
	 * written out first, so that the output keeps the input's order.  A
	 * batch of bad lines alone has nothing to write: a run of bad lines
	 * shares one transaction instead of one each.
	 */
	if (s->fatal || ((s->nent > s->nbadline || s->fly.nent ||
	    s->nent >= batch_records(s)) && flush(s) == -1))
		return;
	if (s->nent == 0)
		ts_now(s->now);
	if ((e = add_entry(s, NULL, 0, file, line, K_BADLINE)) == NULL) {
		msg("out of memory");
		s->fatal = 1;
		return;
	}
	snprintf(e->detail, sizeof e->detail, "%s", detail);
	s->nbadline++;
	s->total.failed++;
	s->run.failed++;
	if (s->pending == DB_DONE)
		s->pending = apply(s, s->nent - 1, &none);
	if (s->pending != DB_DONE)
		(void)flush(s);
}

void
store_idle(void *arg)
{
	struct store *s = arg;

	if (!s->fatal && (s->nent > 0 || s->fly.nent > 0))
		(void)flush(s);	/* a failure sets s->fatal: the next record stops */
	out_flush();
}

int
store_finish(struct store *s, int whole)
{
	int rc = flush(s);

	s->input_cut = !whole;
	if (s->run_id && run_close(s) == -1)
		rc = -1;
	return rc;
}
