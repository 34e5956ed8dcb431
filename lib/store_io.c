/*
 * store_io.c - reading back: the --new-only filter, --export and
 * --last-run.
 */
#include <stdio.h>
#include <string.h>

#include "jqf.h"
#include "jw.h"
#include "key.h"
#include "msg.h"
#include "ndjson.h"
#include "out.h"
#include "record.h"
#include "schema.h"
#include "store_impl.h"
#include "timefmt.h"

/* Results that are done: not failed, not skipped for a failure. */
#define DONE_SQL "(r.status = 'ok' OR (r.status = 'skipped' AND " \
	"COALESCE(r.error, '') NOT LIKE 'research %'))"

int
store_filter_prepare(struct store_filter *f)
{
	int v;

	/* no tables yet (the pm-store after this one creates them while
	 * this one reads) has processed nothing; a database that cannot be
	 * read has not, and would have every group done again */
	if ((v = schema_version(f->db)) == 0)
		return 0;
	if (v == -1 || (f->seen = schema_processed(f->db)) == NULL)
		return -1;
	if (v >= 3)
		f->stored = db_prepare(f->db, "SELECT r.experiment_id, "
	    "r.fingerprint, r.markets, m.market_id, a.content "
	    "FROM experiment_results r JOIN experiment_markets m "
	    "ON m.event_key = r.event_key AND m.experiment_id = "
	    "r.experiment_id AND m.fingerprint = r.fingerprint AND "
	    "m.markets = r.markets LEFT JOIN research_artifacts a ON "
	    "a.event_key = r.event_key AND a.experiment_id = r.experiment_id "
	    "AND a.fingerprint = r.fingerprint AND a.markets = r.markets "
	    "WHERE r.event_key = ?1 AND " DONE_SQL " ORDER BY "
	    "r.experiment_id, r.fingerprint, r.markets, m.market_id");
	/* a database before schema 3: a result covered its whole event,
	 * and no fingerprint was known */
	if (f->stored == NULL)
		f->stored = db_prepare(f->db, "SELECT r.experiment_id, '', '', "
		    "m.market_id, a.content FROM experiment_results r "
		    "JOIN processed_markets m ON m.event_key = r.event_key "
		    "LEFT JOIN research_artifacts a ON a.event_key = "
		    "r.event_key AND a.experiment_id = r.experiment_id "
		    "WHERE r.event_key = ?1 AND " DONE_SQL " ORDER BY "
		    "r.experiment_id, m.market_id");
	return 0;
}

static int
same_col(struct db_stmt *st, int i, const struct buf *b)
{
	const char *p = db_col_text(st, i, NULL);

	return p && b->data && strcmp(p, b->data) == 0;
}

/* One stored_results entry from the row st is on; the entry stays open
 * for the rows of its other markets. */
static void
stored_open(struct buf *b, struct db_stmt *st, int more)
{
	const char *p;
	size_t n;

	if (more)
		buf_addc(b, ',');
	jw_open(b, '{');
	jw_key(b, "experiment_id");
	jw_strz(b, db_col_text(st, 0, NULL));
	jw_key(b, "fingerprint");
	jw_strz(b, db_col_text(st, 1, NULL));
	if ((p = db_col_text(st, 4, &n)) != NULL) {
		/* objects and arrays were stored as JSON, strings as text */
		jw_key(b, "output");
		if (n && (*p == '{' || *p == '['))
			jw_raw(b, p, n);
		else
			jw_str(b, p, n);
	}
	jw_key(b, "market_ids");
	jw_open(b, '[');
}

/* A stored market id as the group spells it: a long id is stored short
 * (key.h), so the group's id of that stored form. */
static void
put_mid(struct buf *b, const json_val *group, const char *m, size_t mn)
{
	json_val ms, x, id;
	json_iter it;
	const char *s, *k;
	char kb[KEY_MAX + 1];
	size_t sn, kn;

	json_get(group, "markets", &ms);
	json_iter_init(&it, &ms);
	while (m && mn >= 72 && memcmp(m + mn - 72, "#sha256:", 8) == 0 &&
	    json_iter_next(&it, NULL, NULL, &x)) {
		json_get(&x, "market_id", &id);
		if ((s = json_str(&id, &sn)) != NULL &&
		    (k = key_stored(s, sn, kb, &kn)) != NULL && kn == mn &&
		    memcmp(k, m, mn) == 0) {
			jw_str(b, s, sn);
			return;
		}
	}
	jw_str(b, m ? m : "", m ? mn : 0);
}

/* The stored_results array of event key into b; the statement's error
 * code when reading failed. */
static int
stored_results(struct store_filter *f, const json_val *group,
    const char *key, size_t n, struct buf *b)
{
	const char *m;
	size_t mn;
	struct db_stmt *st = f->stored;
	struct buf id, fp, mk;
	char kb[KEY_MAX + 1];
	int rc, open = 0;

	buf_init(&id, 0);
	buf_init(&fp, 0);
	buf_init(&mk, 0);
	jw_open(b, '[');
	if ((key = key_stored(key, n, kb, &n)) == NULL)
		return DB_ERR;
	db_bind_text(st, 1, key, n);
	while ((rc = db_step(st)) == DB_ROW) {
		if (!open || !same_col(st, 0, &id) || !same_col(st, 1, &fp) ||
		    !same_col(st, 2, &mk)) {
			if (open) {
				jw_close(b, ']');
				jw_close(b, '}');
			}
			buf_reset(&id);
			buf_reset(&fp);
			buf_reset(&mk);
			buf_printf(&id, "%s", db_col_text(st, 0, NULL));
			buf_printf(&fp, "%s", db_col_text(st, 1, NULL));
			buf_printf(&mk, "%s", db_col_text(st, 2, NULL));
			stored_open(b, st, open);
			open = 1;
		}
		m = db_col_text(st, 3, &mn);
		put_mid(b, group, m, mn);
	}
	if (open) {
		jw_close(b, ']');
		jw_close(b, '}');
	}
	jw_close(b, ']');
	db_reset(st);
	buf_release(&id);
	buf_release(&fp);
	buf_release(&mk);
	return rc;
}

/* The group as it came, "stored_results" added before its last brace.
 * A group that has them already (a stored group, exported again for the
 * retry-failures flow) is written member by member without the old
 * ones: with a key twice, the first would count. */
static int
pass_with_stored(struct store_filter *f, struct rec *r, const char *key,
    size_t n)
{
	struct buf b, old;
	json_iter it;
	json_val v;
	const char *k;
	size_t end = r->len, kl;
	int rc;

	buf_init(&b, 0);
	buf_init(&old, 0);
	buf_adds(&b, ",\"stored_results\":");
	if ((rc = stored_results(f, &r->root, key, n, &b)) != DB_DONE ||
	    b.data == NULL) {
		buf_release(&b);
		return rc == DB_DONE ? DB_ERR : rc;
	}
	json_get(&r->root, "stored_results", &v);
	if (v.type != JSON_ABSENT) {
		jw_open(&old, '{');
		json_iter_init(&it, &r->root);
		while (json_iter_next(&it, &k, &kl, &v))
			if (strcmp(k, "stored_results") != 0) {
				jw_key(&old, k);
				jw_val(&old, &v);
			}
		out_write(old.data, old.len);	/* a group has its kind */
	} else {
		while (end > 0 && r->text[end - 1] != '}')
			end--;
		out_write(r->text, end - 1);
	}
	buf_addc(&b, '}');
	out_line(b.data, b.len);
	buf_release(&b);
	buf_release(&old);
	return DB_DONE;
}

int
store_new_only(struct rec *r, void *arg)
{
	struct store_filter *f = arg;
	json_val k;
	const char *key, *skey;
	char kb[KEY_MAX + 1];
	size_t n, sn;
	int rc;

	if (!rec_is(r, "group") || f->seen == NULL) {
		rec_pass(r);
		f->passed++;
		return 0;
	}
	json_get(&r->root, "event_key", &k);
	if ((key = json_str(&k, &n)) == NULL) {
		rec_pass(r);	/* pm-store proper will say what is wrong */
		f->passed++;
		return 0;
	}
	if ((skey = key_stored(key, n, kb, &sn)) == NULL)
		skey = key;	/* no digest: looked up as it is */
	db_bind_text(f->seen, 1, skey, sn);
	rc = db_step(f->seen);
	db_reset(f->seen);
	if (rc == DB_ROW && f->stored == NULL) {
		rec_skip("store", key, "already_processed");
		f->skipped++;
		return 0;
	}
	if (rc == DB_ROW && (rc = pass_with_stored(f, r, key, n)) == DB_DONE) {
		f->revisited++;
		return 0;
	}
	if (rc == DB_DONE) {
		rec_pass(r);
		f->passed++;
		return 0;
	}
	msg_at(r->file, r->line, "%s", db_errmsg(f->db));
	f->failed++;
	return -1;
}

static const char *const export_sql[][2] = {
	/* every observation of a payload, in the order they were stored */
	{ "raw", "SELECT o.source, o.endpoint, o.url, o.fetched_at, o.sha256, "
	    "o.request, p.payload, p.encoding FROM raw_observations o "
	    "JOIN raw_payloads p ON p.sha256 = o.sha256 WHERE "
	    "(CAST(?1 AS TEXT) IS NULL OR o.run_id = ?1) ORDER BY o.id" },
	/* a database before schema 4 (read only: not migrated) */
	{ "raw3", "SELECT source, endpoint, url, fetched_at, sha256, request, "
	    "payload, NULL FROM raw_responses WHERE (CAST(?1 AS TEXT) IS NULL "
	    "OR run_id = ?1) ORDER BY id" },
	/* the prices flow wants the markets that still trade */
	{ "market", "SELECT record FROM markets WHERE active = 1 AND "
	    "(closed IS NULL OR closed = 0) AND (CAST(?1 AS TEXT) IS NULL OR "
	    "run_id = ?1) ORDER BY source, market_id" },
	{ "group", "SELECT record, event_key FROM processed_events WHERE "
	    "(CAST(?1 AS TEXT) IS NULL OR run_id = ?1) ORDER BY event_key" },
	/* groups to run again: a retriable failure names them (in a run) */
	{ "retry", "SELECT record, event_key FROM processed_events WHERE "
	    "event_key IN "
	    "(SELECT event_key FROM processing_failures WHERE retriable = 1 "
	    "AND event_key IS NOT NULL AND (CAST(?1 AS TEXT) IS NULL OR "
	    "run_id = ?1)) ORDER BY event_key" },
};

/* Every dictionary payloads were packed with, at hand in z (they are
 * few: one or two per endpoint).  Reading them first keeps one
 * statement at a time on the connection. */
static int
dicts_load(struct db *db, struct zpack *z)
{
	struct db_stmt *st;
	struct buf scratch;
	const char *p, *id;
	size_t n;
	int rc;

	if ((st = db_prepare(db, "SELECT dict_id, dict FROM raw_dicts")) ==
	    NULL)
		return -1;
	buf_init(&scratch, 0);
	while ((rc = db_step(st)) == DB_ROW)
		if ((id = db_col_text(st, 0, NULL)) != NULL &&
		    (p = db_col_blob(st, 1, &n, &scratch)) != NULL &&
		    !zpack_has_dict(z, id))
			zpack_add_dict(z, NULL, id, p, n);
	buf_release(&scratch);
	db_finalize(st);
	return rc == DB_DONE ? 0 : -1;
}

/* A bronze row back into the raw record pm-fetch wrote; -1 when its
 * payload cannot be read back (damaged, an unknown encoding). */
static int
raw_record(struct db_stmt *st, struct buf *b, struct zpack *z,
    struct buf *scratch, struct buf *plain)
{
	static const char *const names[] = { "source", "endpoint", "url",
	    "fetched_at", "sha256" };
	const char *p;
	size_t i, n;

	jw_open(b, '{');
	jw_key(b, "kind");
	jw_strz(b, "raw");
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		jw_key(b, names[i]);
		p = db_col_text(st, (int)i, &n);
		if (p)
			jw_str(b, p, n);
		else
			jw_null(b);
	}
	if ((p = db_col_text(st, 5, &n)) != NULL) {
		jw_key(b, "request");
		jw_raw(b, p, n);
	}
	jw_key(b, "payload");
	if ((p = db_col_blob(st, 6, &n, scratch)) == NULL)
		return -1;
	if (zpack_unpack(z, db_col_text(st, 7, NULL), p, n, plain, &p,
	    &n) == -1)
		return -1;
	jw_raw(b, p, n);
	jw_close(b, '}');
	return 0;
}

int
store_export(struct db *db, const char *what, struct jqf *where,
    const char *run_id, const char *closed_since, unsigned long limit,
    unsigned long *count)
{
	struct db_stmt *st = NULL;
	struct zpack *z = NULL;
	json_parser *jp = NULL;
	struct buf b, scratch, plain;
	const char *p, *q = what;
	char err[256];
	size_t i, n;
	unsigned long bad = 0;
	int rc = -1, raw = strcmp(what, "raw") == 0, v = schema_version(db);

	if (strcmp(what, "market") == 0 || strcmp(what, "markets") == 0 ||
	    strcmp(what, "events") == 0)
		return rec_export(db, v, what[0] == 'e' ? T_EVENTS : T_MARKETS,
		    strcmp(what, "market") == 0, where, run_id, closed_since,
		    limit, count);
	buf_init(&b, 0);
	buf_init(&scratch, 0);
	buf_init(&plain, 0);
	if (raw && v < 4)
		q = "raw3";
	if (raw && (z = zpack_new()) == NULL) {
		msg("--export %s: out of memory", what);
		goto out;
	}
	if (raw && v >= 4 && dicts_load(db, z) == -1) {
		msg("--export %s: %s", what, db_errmsg(db));
		goto out;
	}
	jp = json_parser_new(ndjson_max_line());
	for (i = 0; i < sizeof export_sql / sizeof export_sql[0]; i++)
		if (strcmp(export_sql[i][0], q) == 0)
			st = db_prepare(db, export_sql[i][1]);
	if (st == NULL || db_bind_str(st, 1, run_id) == -1) {
		msg("--export %s: %s", what, db_errmsg(db));
		goto out;
	}
	db_stream(st);	/* a row at a time, whatever the store's size */
	while ((limit == 0 || *count < limit) &&
	    (rc = db_step(st)) == DB_ROW && out_failed() == OUT_OK) {
		buf_reset(&b);
		if (raw && raw_record(st, &b, z, &scratch, &plain) == -1) {
			msg("--export raw: payload %s cannot be read back",
			    db_col_text(st, 4, NULL));
			rc = -2;	/* said */
			break;
		} else if (raw) {
			/* a plain payload or request damaged by hand */
			snprintf(err, sizeof err, "payload %s",
			    db_col_text(st, 4, NULL));
			if (rec_stored_ok(jp, what, err, b.data, b.len) == -1) {
				bad++;
				continue;
			}
		} else if ((p = db_col_text(st, 0, &n)) != NULL) {
			snprintf(err, sizeof err, "group %s",
			    db_col_text(st, 1, NULL));
			if (rec_stored_ok(jp, what, err, p, n) == -1) {
				bad++;
				continue;
			}
			buf_add(&b, p, n);
		}
		if (where && jqf_test(where, b.data, b.len, err,
		    sizeof err) != 1)
			continue;
		out_line(b.data, b.len);
		(*count)++;
	}
	if (rc == DB_ROW || (limit && *count >= limit)) {
		db_reset(st);
		rc = DB_DONE;
	}
	if (rc != DB_DONE && rc != -2)
		msg("--export %s: %s", what, db_errmsg(db));
	rc = rc == DB_DONE && bad == 0 ? 0 : -1;
out:
	db_finalize(st);
	json_parser_free(jp);
	zpack_free(z);
	buf_release(&b);
	buf_release(&scratch);
	buf_release(&plain);
	return rc;
}

/* The watermark of the delta flow: when the newest completed run of one
 * of the comma-separated flows started, one that read everything it
 * listed; "" when none did, as in a database without tables yet (an
 * empty file, a new PostgreSQL database, the first pm-store's tables not
 * committed yet).  Not a partial run (a page that failed, a market it
 * could not store: what it missed would never be read again), nor one
 * cut short by --limit (the run record's options.limit). */
int
store_last_run(struct db *db, const char *flows, char *out, size_t outlen)
{
	struct db_stmt *st;
	const char *t;
	size_t n;
	int rc;

	out[0] = 0;
	if ((rc = schema_version(db)) <= 0)
		return rc;
	st = db_prepare(db, "SELECT started_at FROM processing_runs WHERE "
	    WATERMARK_RUN " AND "
	    "(',' || ?1 || ',') LIKE ('%,' || flow || ',%') "
	    "ORDER BY started_at DESC LIMIT 1");
	if (st == NULL)
		return -1;
	db_bind_str(st, 1, flows);
	rc = db_step(st);
	if (rc == DB_ROW && (t = db_col_text(st, 0, &n)) != NULL && n < outlen) {
		memcpy(out, t, n);
		out[n] = 0;
	}
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}
