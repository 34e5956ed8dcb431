/*
 * store_io.c - reading back: the --new-only filter, --export and
 * --last-run.
 */
#include <stdio.h>
#include <stdlib.h>
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
#include "strset.h"
#include "timefmt.h"

/* Results (of alias a) that are done: not failed, not skipped for a
 * failure. */
#define DONE_OF(a) "(" a ".status = 'ok' OR (" a ".status = 'skipped' " \
	"AND COALESCE(" a ".error, '') NOT LIKE 'research %'))"
#define DONE_SQL DONE_OF("r")

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
	    "r.fingerprint, r.markets, m.market_id, a.content, "
	    "a.experiment_id FROM experiment_results r JOIN "
	    "experiment_markets m ON m.event_key = r.event_key AND "
	    "m.experiment_id = r.experiment_id AND m.fingerprint = "
	    "r.fingerprint AND m.markets = r.markets LEFT JOIN "
	    "research_artifacts a ON a.event_key = r.event_key AND "
	    "a.experiment_id = r.experiment_id AND a.fingerprint = "
	    "r.fingerprint AND a.markets = r.markets "
	    "WHERE r.event_key = ?1 AND " DONE_SQL " ORDER BY "
	    "r.experiment_id, r.fingerprint, r.markets, m.market_id");
	/* a database before schema 3: a result covered its whole event,
	 * and no fingerprint was known */
	if (f->stored == NULL)
		f->stored = db_prepare(f->db, "SELECT r.experiment_id, '', '', "
		    "m.market_id, a.content, a.experiment_id "
		    "FROM experiment_results r "
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
	} else if (db_col_text(st, 5, NULL) != NULL) {
		/* research that succeeded with no output; one without an
		 * artifact skipped itself, and has no output member */
		jw_key(b, "output");
		jw_null(b);
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

/*
 * --export group: each processed event's record as first processed and,
 * when its rows hold more than that record (a failed result that a retry
 * replaced, a variant or a market a later run added), one more group
 * record after it: the event's markets (processed_markets) and results
 * (experiment_results) as stored now, which pm-store, storing it after
 * the first as it stores a revisit, makes into the same rows.  Without
 * it a moved store had the results of each event's first run alone.  One
 * statement, read a row at a time, an event's rows together: its record,
 * its markets, each result followed by the markets it covers.
 */
#define GX_RUN "(CAST(?1 AS TEXT) IS NULL OR run_id = ?1)"
#define GX_IN "event_key IN (SELECT event_key FROM processed_events WHERE " \
	GX_RUN ")"
/* --export retry: the events a retriable failure names (in a run) */
#define GX_FAILED "event_key IN (SELECT event_key FROM processing_failures " \
	"WHERE retriable = 1 AND event_key IS NOT NULL AND " GX_RUN ")"
/* the columns of a result, none (PostgreSQL takes a NULL for text) */
#define GX_NONE "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, " \
	"CAST(NULL AS DOUBLE PRECISION), NULL, NULL, NULL, NULL, NULL"

enum { GX_KEY, GX_K, GX_S1, GX_S2, GX_S3, GX_S4, GX_REC, GX_SUITE, GX_STAGE,
	GX_VARIANT, GX_TYPE, GX_STATUS, GX_OUTPUT, GX_PROBS, GX_STARTED,
	GX_FINISHED, GX_LATENCY, GX_ERROR, GX_VERSION, GX_LEAD, GX_PROV,
	GX_DESC };

/* A market of the event's rows: its id in mkids, its record in mk. */
struct gxmk {
	size_t		 io, in, ro, rn;
};

/* The results without markets that cover the same markets: their ids,
 * each followed by 0x1f, and the results. */
struct gxset {
	struct buf	 ids, rs;
};

struct gx {
	json_parser	*jp, *vp;	/* the record; a value checked */
	json_val	 root;
	struct strset	*seen;	/* what the record holds */
	struct buf	 rec, id, mk, rs, ids, tmp;
	struct buf	*w;	/* where the result read is written: rs,
				 * or old for one without markets */
	struct buf	 old, oids, mkids;	/* that one, the markets it
						 * covers, those of mk */
	struct gxmk	*mks;	/* mk's markets */
	size_t		 nmk, mkcap;
	struct gxset	*sets;	/* the results without markets */
	size_t		 nsets;
	int		 oom;
	int		 passed, more, parsed;
	int		 open;		/* a result in rs: 1 with market_ids
					 * open, 2 without; 3 one apart, in old
					 * (gx_result) */
	int		 held;		/* -w false on the record: not written
					 * yet, with its second if that holds */
	int		 retry;		/* --export retry: one record an event */
	struct jqf	*where;
	unsigned long	*count;
};

/* A key of what a record holds or a row is: the parts joined by 0x1f. */
static void
gx_key(struct buf *b, const char *const *p, const size_t *n, int k)
{
	int i;

	buf_reset(b);
	for (i = 0; i < k; i++) {
		if (i)
			buf_addc(b, 0x1f);
		buf_add(b, p[i], n[i]);
	}
}

/* A json_val's text or "" (absent, null). */
static const char *
gx_str(const json_val *o, const char *key, size_t *n)
{
	json_val v;
	const char *p;

	json_get(o, key, &v);
	if ((p = json_str(&v, n)) == NULL)
		*n = 0;
	return p ? p : "";
}

/* What the event's record holds, as its rows would say it: its markets
 * and each result's experiment, fingerprint, markets, status and
 * start, keys as stored (a long one by its short form). */
static int
gx_seen(struct gx *g)
{
	json_val ms, m, rs, r, ids, id;
	json_iter it, ii;
	const char *p[6], *s;
	size_t n[6], sn;
	char kb[KEY_MAX + 1];
	int rc = 0;

	json_get(&g->root, "markets", &ms);
	json_iter_init(&it, &ms);
	while (rc != -1 && json_iter_next(&it, NULL, NULL, &m)) {
		p[0] = "m";
		n[0] = 1;
		p[1] = gx_str(&m, "market_id", &n[1]);
		if ((p[1] = key_stored(p[1], n[1], kb, &n[1])) == NULL)
			continue;
		gx_key(&g->tmp, p, n, 2);
		rc = strset_add(g->seen, g->tmp.data, g->tmp.len);
	}
	json_get(&g->root, "results", &rs);
	json_iter_init(&it, &rs);
	while (rc != -1 && json_iter_next(&it, NULL, NULL, &r)) {
		buf_reset(&g->ids);
		json_get(&r, "market_ids", &ids);
		json_iter_init(&ii, &ids);
		while (json_iter_next(&ii, NULL, NULL, &id))
			if ((s = json_str(&id, &sn)) != NULL) {
				if (g->ids.len)
					buf_addc(&g->ids, ',');
				key_add_id(&g->ids, s, sn);
			}
		p[0] = "r";
		n[0] = 1;
		p[1] = gx_str(&r, "experiment_id", &n[1]);
		p[2] = gx_str(&r, "fingerprint", &n[2]);
		p[3] = key_stored(g->ids.len ? g->ids.data : "", g->ids.len,
		    kb, &n[3]);
		p[4] = gx_str(&r, "status", &n[4]);
		p[5] = gx_str(&r, "started_at", &n[5]);
		if (p[3] == NULL)
			continue;
		gx_key(&g->tmp, p, n, 6);
		rc = strset_add(g->seen, g->tmp.data, g->tmp.len);
	}
	return rc == -1 ? -1 : 0;
}

/* Whether the row's key (parts of st's columns) is one the record
 * holds; -1 when out of memory. */
static int
gx_holds(struct gx *g, struct db_stmt *st, const char *tag, const int *col,
    int k)
{
	const char *p[6];
	size_t n[6];
	int i, rc;

	p[0] = tag;
	n[0] = 1;
	for (i = 0; i < k; i++)
		if ((p[i + 1] = db_col_text(st, col[i], &n[i + 1])) == NULL) {
			p[i + 1] = "";
			n[i + 1] = 0;
		}
	gx_key(&g->tmp, p, n, k + 1);
	rc = strset_add(g->seen, g->tmp.data, g->tmp.len);
	return rc == -1 ? -1 : rc == 0;
}

/* A text column as a member: JSON as it is when it was stored as JSON (an
 * object or an array), else a string; null when null. */
static void
gx_any(struct gx *g, struct db_stmt *st, int c, const char *key)
{
	json_val v;
	const char *p, *e;
	size_t n;

	jw_key(g->w, key);
	if ((p = db_col_text(st, c, &n)) == NULL)
		jw_null(g->w);
	else if (n && (*p == '{' || *p == '[') &&
	    json_parse(g->vp, p, n, 0, &v, &e) == 0)
		jw_raw(g->w, p, n);
	else
		jw_str(g->w, p, n);
}

static void
gx_text(struct gx *g, struct db_stmt *st, int c, const char *key, int opt)
{
	const char *p;
	size_t n;

	if ((p = db_col_text(st, c, &n)) == NULL && opt)
		return;
	jw_key(g->w, key);
	if (p)
		jw_str(g->w, p, n);
	else
		jw_null(g->w);
}

/* The result without markets just read, with those of its set. */
static int
gx_file(struct gx *g)
{
	struct gxset *s;
	size_t i;

	for (i = 0; i < g->nsets; i++)
		if (g->sets[i].ids.len == g->oids.len && (g->oids.len == 0 ||
		    memcmp(g->sets[i].ids.data, g->oids.data,
		    g->oids.len) == 0))
			break;
	if (i == g->nsets) {
		if ((s = realloc(g->sets, (i + 1) * sizeof *s)) == NULL)
			return -1;
		g->sets = s;
		g->nsets++;
		buf_init(&s[i].ids, 0);
		buf_init(&s[i].rs, 0);
		if (buf_add(&s[i].ids, g->oids.data, g->oids.len) == -1)
			return -1;
	}
	return jw_raw(&g->sets[i].rs, g->old.data, g->old.len);
}

/* The result open, if any, closed. */
static void
gx_close(struct gx *g)
{
	if (g->open == 1)
		jw_close(&g->rs, ']');
	if (g->open == 1)
		jw_close(&g->rs, '}');
	else if (g->open == 2)
		jw_close(&g->rs, '}');
	else if (g->open == 3 && (jw_close(&g->old, '}') == -1 ||
	    gx_file(g) == -1))
		g->oom = 1;
	g->open = 0;
}

/* The market of the event's rows named id[0..n), or NULL. */
static const struct gxmk *
gx_market(const struct gx *g, const char *id, size_t n)
{
	size_t i;

	for (i = 0; i < g->nmk; i++)
		if (g->mks[i].in == n &&
		    memcmp(g->mkids.data + g->mks[i].io, id, n) == 0)
			return &g->mks[i];
	return NULL;
}

/* The event's results without markets, a record for each set of markets
 * they cover, with those markets: in the second record they would cover
 * all the event's, and stored again, markets they never covered. */
static void
gx_sets(struct gx *g, const json_val *k)
{
	const struct gxmk *m;
	const char *p, *e;
	size_t i, n;

	for (i = 0; i < g->nsets; i++) {
		buf_reset(&g->tmp);
		buf_adds(&g->tmp, "{\"kind\":\"group\",\"event_key\":");
		jw_val(&g->tmp, k);
		buf_adds(&g->tmp, ",\"markets\":[");
		p = g->sets[i].ids.data;
		e = p + g->sets[i].ids.len;
		for (; p < e; p += n + 1) {
			n = (size_t)((const char *)memchr(p, 0x1f, e - p) - p);
			if ((m = gx_market(g, p, n)) == NULL || m->rn == 0)
				continue;
			jw_raw(&g->tmp, g->mk.data + m->ro, m->rn);
		}
		buf_adds(&g->tmp, "],\"results\":[");
		buf_add(&g->tmp, g->sets[i].rs.data, g->sets[i].rs.len);
		buf_adds(&g->tmp, "]}");
		out_line(g->tmp.data, g->tmp.len);
	}
}

/* The event's sets and markets let go. */
static void
gx_drop(struct gx *g)
{
	size_t i;

	for (i = 0; i < g->nsets; i++) {
		buf_release(&g->sets[i].ids);
		buf_release(&g->sets[i].rs);
	}
	free(g->sets);
	g->sets = NULL;
	g->nsets = g->nmk = 0;
	buf_reset(&g->mkids);
}

/* The result on row st (held: the first record has it), its market_ids
 * left open for the rows after.  A result whose key has no markets ('':
 * stored before schema 3, or from a record without market_ids) gets
 * none: with them, stored again (a store moved) it was another row than
 * the one it came from, and the event had that forecast twice.  One the
 * first record does not have goes apart (gx_sets), with the markets its
 * rows name (the rows after). */
static void
gx_result(struct gx *g, struct db_stmt *st, int held)
{
	static const struct { int c; const char *k; } txt[] = {
	    { GX_S1, "experiment_id" }, { GX_SUITE, "suite" },
	    { GX_STAGE, "stage" }, { GX_VARIANT, "variant" },
	    { GX_TYPE, "type" }, { GX_STATUS, "status" } };
	const char *m;
	size_t i, mn;

	gx_close(g);
	m = db_col_text(st, GX_S3, &mn);
	g->w = (m == NULL || mn == 0) && !held ? &g->old : &g->rs;
	buf_reset(&g->old);
	buf_reset(&g->oids);
	jw_open(g->w, '{');
	for (i = 0; i < sizeof txt / sizeof txt[0]; i++)
		gx_text(g, st, txt[i].c, txt[i].k, 0);
	gx_any(g, st, GX_OUTPUT, "output");
	gx_any(g, st, GX_PROBS, "probabilities");
	gx_text(g, st, GX_STARTED, "started_at", 0);
	gx_text(g, st, GX_FINISHED, "finished_at", 0);
	jw_key(g->w, "latency_ms");
	if (db_col_null(st, GX_LATENCY))
		jw_null(g->w);
	else
		jw_double(g->w, db_col_double(st, GX_LATENCY));
	gx_any(g, st, GX_ERROR, "error");
	gx_text(g, st, GX_S2, "fingerprint", 0);
	gx_text(g, st, GX_VERSION, "version", 1);
	gx_text(g, st, GX_DESC, "description", 1);
	if (!db_col_null(st, GX_LEAD)) {
		jw_key(g->w, "lead");
		jw_raw(g->w, db_col_text(st, GX_LEAD, NULL),
		    strlen(db_col_text(st, GX_LEAD, NULL)));
	}
	if (!db_col_null(st, GX_PROV)) {
		jw_key(g->w, "provenance");
		jw_raw(g->w, db_col_text(st, GX_PROV, NULL),
		    strlen(db_col_text(st, GX_PROV, NULL)));
	}
	if (m == NULL || mn == 0) {
		g->open = g->w == &g->old ? 3 : 2;
		return;
	}
	jw_key(&g->rs, "market_ids");
	jw_open(&g->rs, '[');
	g->open = 1;
}

/* A retry group: record root's members, its markets those of mk unless
 * mk is empty, and retry_experiments last, ids its items as written. */
static int
with_retry(struct buf *out, const json_val *root, const struct buf *mk,
    const struct buf *ids)
{
	json_iter it;
	json_val v;
	const char *k;

	jw_open(out, '{');
	json_iter_init(&it, root);
	while (json_iter_next(&it, &k, NULL, &v)) {
		if (strcmp(k, "retry_experiments") == 0)
			continue;
		jw_key(out, k);
		if (strcmp(k, "markets") != 0 || mk->len == 0)
			jw_val(out, &v);
		else {
			buf_addc(out, '[');
			buf_add(out, mk->data, mk->len);
			buf_addc(out, ']');
		}
	}
	jw_key(out, "retry_experiments");
	buf_addc(out, '[');
	buf_add(out, ids->data, ids->len);
	buf_addc(out, ']');
	return jw_close(out, '}');
}

/* --export retry: the event's record, its markets those a result still
 * to retry covers (a market that joined the event at a later run than
 * its record's, and failed there, is among them), and retry_experiments,
 * the experiments of those results: the variants to run again, no other.
 * An event with none (all made good since) is not written: a retry would
 * only run on it what its runs never had (a variant added since). */
static void
gx_retry(struct gx *g)
{

	if (g->rs.len == 0)
		return;
	buf_reset(&g->tmp);
	if (!g->parsed)
		buf_add(&g->tmp, g->rec.data, g->rec.len);
	else
		with_retry(&g->tmp, &g->root, &g->mk, &g->rs);
	if (g->where && !jqf_where(g->where, g->tmp.data, g->tmp.len))
		return;
	out_line(g->tmp.data, g->tmp.len);
	(*g->count)++;
}

/* The event's second record, when its rows hold more than its first. */
static void
gx_flush(struct gx *g)
{
	json_val k;

	gx_close(g);
	if (g->passed && g->retry)
		gx_retry(g);
	else if (g->passed && g->more) {
		buf_reset(&g->tmp);
		json_get(&g->root, "event_key", &k);
		buf_adds(&g->tmp, "{\"kind\":\"group\",\"event_key\":");
		jw_val(&g->tmp, &k);
		buf_adds(&g->tmp, ",\"markets\":[");
		buf_add(&g->tmp, g->mk.data, g->mk.len);
		buf_adds(&g->tmp, "],\"results\":[");
		buf_add(&g->tmp, g->rs.data, g->rs.len);
		buf_adds(&g->tmp, "]}");
		/* -w holds on the event as stored now: both go, in order */
		if (g->held && jqf_where(g->where, g->tmp.data, g->tmp.len)) {
			out_line(g->rec.data, g->rec.len);
			(*g->count)++;
			g->held = 0;
		}
		if (!g->held) {
			out_line(g->tmp.data, g->tmp.len);
			gx_sets(g, &k);
		}
	}
	gx_drop(g);
	buf_reset(&g->mk);
	buf_reset(&g->rs);
	buf_reset(&g->id);
	strset_free(g->seen);
	g->seen = NULL;
	g->passed = g->more = g->parsed = g->held = 0;
}

/* Market row st's id and where its record goes in mk, kept for
 * gx_sets.  -1 when out of memory. */
static int
gx_mark(struct gx *g, struct db_stmt *st)
{
	struct gxmk *m;
	const char *id;
	size_t n;

	if (g->nmk == g->mkcap) {
		n = g->mkcap ? 2 * g->mkcap : 16;
		if ((m = realloc(g->mks, n * sizeof *m)) == NULL)
			return -1;
		g->mks = m;
		g->mkcap = n;
	}
	if ((id = db_col_text(st, GX_S1, &n)) == NULL)
		n = 0;
	m = &g->mks[g->nmk++];
	m->io = g->mkids.len;
	m->in = n;
	m->ro = g->mk.len;
	db_col_text(st, GX_REC, &m->rn);
	if (db_col_null(st, GX_REC))
		m->rn = 0;
	return buf_add(&g->mkids, id ? id : "", n);
}

/* One row of the statement: a record (k 0), a market (1), a result or a
 * market it covers (2).  -1 when out of memory. */
static int
gx_row(struct gx *g, struct db_stmt *st, unsigned long *bad)
{
	static const int rcols[] = { GX_S1, GX_S2, GX_S3, GX_STATUS,
	    GX_STARTED };
	const char *p, *e;
	size_t n;
	char err[256];
	int k = db_col_int(st, GX_K), h;

	if (k == 0) {
		p = db_col_text(st, GX_REC, &n);
		snprintf(err, sizeof err, "group %s",
		    db_col_text(st, GX_KEY, NULL));
		buf_reset(&g->rec);
		if (p == NULL || buf_add(&g->rec, p, n) == -1 ||
		    rec_stored_ok(g->jp, "group", err, p, n) == -1) {
			(*bad)++;
			return 0;
		}
		/* past the line cap it is refused, and its rows with it */
		g->parsed = json_parse(g->jp, g->rec.data, g->rec.len, 0,
		    &g->root, &e) == 0;
		if (g->retry)
			return (g->passed = 1) - 1;	/* written at its end */
		/* an event's records go together: -w false on its first
		 * record, it waits for its second (gx_flush) */
		g->held = g->where &&
		    !jqf_where(g->where, g->rec.data, g->rec.len);
		if (!g->held) {
			out_line(g->rec.data, g->rec.len);
			(*g->count)++;
		}
		if (!g->parsed)
			return 0;
		if ((g->seen = strset_new()) == NULL || gx_seen(g) == -1)
			return -1;
		g->passed = 1;
		return 0;
	}
	if (!g->passed)
		return 0;
	if (g->retry && k == 2) {	/* an experiment to run again */
		p = db_col_text(st, GX_S1, &n);
		jw_str(&g->rs, p ? p : "", p ? n : 0);
		return 0;
	}
	if (k == 1) {
		h = g->retry ? 1 :
		    gx_holds(g, st, "m", (const int[]){ GX_S1 }, 1);
		if (g->mk.len)
			buf_addc(&g->mk, ',');
		if (!g->retry && gx_mark(g, st) == -1)
			return -1;
		p = db_col_text(st, GX_REC, &n);
		buf_add(&g->mk, p ? p : "null", p ? n : 4);
	} else if (db_col_null(st, GX_REC)) {	/* a result */
		h = gx_holds(g, st, "r", rcols, 5);
		gx_result(g, st, h == 1);
		return h == -1 ? -1 : (g->more |= !h, 0);
	} else {	/* a market the result covers */
		h = 1;
		p = db_col_text(st, GX_REC, &n);
		if (g->open == 1)
			put_mid(&g->rs, &g->root, p, n);
		else if (g->open == 3 && (buf_add(&g->oids, p, n) == -1 ||
		    buf_addc(&g->oids, 0x1f) == -1))
			return -1;
	}
	if (h == -1)
		return -1;
	g->more |= !h;
	return 0;
}

/* --export group's statement: each event's record, its markets, each
 * result followed by the markets it covers. */
static void
group_sql(struct buf *sql, const char *c)
{
	buf_printf(sql, "SELECT event_key%s, 0, ''%s, ''%s, ''%s, ''%s, "
	    "record, " GX_NONE " FROM processed_events WHERE " GX_RUN, c, c, c,
	    c, c);
	buf_printf(sql, " UNION ALL SELECT event_key%s, 1, market_id%s, "
	    "''%s, ''%s, ''%s, record, " GX_NONE " FROM processed_markets "
	    "WHERE " GX_IN, c, c, c, c, c);
	buf_printf(sql, " UNION ALL SELECT r.event_key%s, 2, "
	    "r.experiment_id%s, r.fingerprint%s, r.markets%s, ''%s, NULL, "
	    "r.suite, r.stage, r.variant, r.type, r.status, r.output, "
	    "r.probabilities, r.started_at, r.finished_at, r.latency_ms, "
	    "r.error, r.version, r.lead, a.provenance, CASE WHEN "
	    "x.fingerprint = r.fingerprint THEN x.description END "
	    "FROM experiment_results r LEFT JOIN research_artifacts a ON "
	    "a.event_key = r.event_key AND a.experiment_id = r.experiment_id "
	    "AND a.fingerprint = r.fingerprint AND a.markets = r.markets "
	    "LEFT JOIN experiments x ON x.experiment_id = r.experiment_id "
	    "WHERE r." GX_IN, c, c, c, c, c);
	buf_printf(sql, " UNION ALL SELECT event_key%s, 2, experiment_id%s, "
	    "fingerprint%s, markets%s, market_id%s, market_id, " GX_NONE
	    " FROM experiment_markets WHERE " GX_IN " ORDER BY 1, 2, 3, 4, 5, "
	    "6", c, c, c, c, c);
}

/*
 * Whether a result of result r's event and experiment that is done covers
 * r's market m: a failure a later result made good.  A market joined the
 * event, the next run failed on all its markets too, and the retry of
 * that run succeeded: the first failed row stays as it was (its markets
 * are not those of the result that replaced the other).  Of another
 * fingerprint when it started after r: a variant fixed since (its prompt,
 * its command) made it good under its new one, which is what a retry
 * would run (matched on the old one, the event was to retry for ever,
 * with nothing to run); an older one does not make good a failure of
 * the variant changed since.
 */
#define GX_SAME(t, a) t ".event_key = " a ".event_key AND " t \
	".experiment_id = " a ".experiment_id"
#define GX_MINE(t, a) GX_SAME(t, a) " AND " t ".fingerprint = " a \
	".fingerprint"
#define GX_MADE_GOOD "EXISTS (SELECT 1 FROM experiment_results d JOIN " \
	"experiment_markets dm ON " GX_MINE("dm", "d") " AND dm.markets = " \
	"d.markets WHERE " GX_SAME("d", "r") " AND (d.fingerprint = " \
	"r.fingerprint OR d.started_at > r.started_at) AND dm.market_id = " \
	"m.market_id AND " DONE_OF("d") ")"
/* m is a market of result r */
#define GX_OF_R GX_MINE("m", "r") " AND m.markets = r.markets"

/* --export retry's statement: each event's record, the markets a result
 * that is not done covers and no done one made good since, and the
 * experiments of those results (and of one not done that covers no
 * market). */
static void
retry_sql(struct buf *sql, const char *c)
{
	buf_printf(sql, "SELECT event_key%s, 0, ''%s, ''%s, ''%s, ''%s, "
	    "record, " GX_NONE " FROM processed_events WHERE " GX_FAILED, c, c,
	    c, c, c);
	buf_printf(sql, " UNION ALL SELECT p.event_key%s, 1, p.market_id%s, "
	    "''%s, ''%s, ''%s, p.record, " GX_NONE " FROM processed_markets p "
	    "WHERE p." GX_FAILED " AND EXISTS (SELECT 1 FROM "
	    "experiment_results r JOIN experiment_markets m ON " GX_OF_R
	    " WHERE r.event_key = p.event_key AND m.market_id = p.market_id ",
	    c, c, c, c, c);
	buf_adds(sql, "AND NOT " DONE_SQL " AND NOT " GX_MADE_GOOD ")");
	buf_printf(sql, " UNION ALL SELECT DISTINCT r.event_key%s, 2, "
	    "r.experiment_id%s, "
	    "''%s, ''%s, ''%s, NULL, " GX_NONE " FROM experiment_results r "
	    "WHERE r." GX_FAILED " AND NOT ", c, c, c, c, c);
	buf_adds(sql, DONE_SQL " AND (EXISTS (SELECT 1 FROM experiment_markets "
	    "m WHERE " GX_OF_R " AND NOT " GX_MADE_GOOD ") OR NOT EXISTS "
	    "(SELECT 1 FROM experiment_markets m WHERE " GX_OF_R ")) ORDER BY "
	    "1, 2, 3, 4, 5, 6");
}

static int
group_export(struct db *db, const char *what, struct jqf *where,
    const char *run_id, unsigned long limit, unsigned long *count)
{
	struct gx g = { 0 };
	struct db_stmt *st;
	struct buf sql;
	const char *c = db_engine(db) == DB_PG ? " COLLATE \"C\"" : "", *k;
	unsigned long bad = 0;
	int rc = DB_ERR, oom = 0;

	buf_init(&sql, 0);
	g.retry = strcmp(what, "retry") == 0;
	g.where = where;
	g.count = count;
	if (g.retry)
		retry_sql(&sql, c);
	else
		group_sql(&sql, c);
	buf_init(&g.rec, 0);
	buf_init(&g.id, 0);
	buf_init(&g.mk, 0);
	buf_init(&g.rs, 0);
	buf_init(&g.ids, 0);
	buf_init(&g.tmp, 0);
	buf_init(&g.old, 0);
	buf_init(&g.oids, 0);
	buf_init(&g.mkids, 0);
	g.w = &g.rs;
	g.jp = json_parser_new(ndjson_max_line());
	g.vp = json_parser_new(ndjson_max_line());
	if (sql.data == NULL || g.jp == NULL || g.vp == NULL ||
	    (st = db_prepare(db, sql.data)) == NULL) {
		msg("--export %s: %s", what, sql.data && g.jp && g.vp ?
		    db_errmsg(db) : "out of memory");
		goto out;
	}
	db_bind_str(st, 1, run_id);
	db_stream(st);	/* a row at a time, whatever the store's size */
	while ((rc = db_step(st)) == DB_ROW && out_failed() == OUT_OK) {
		k = db_col_text(st, GX_KEY, NULL);
		if (!g.id.data || strcmp(g.id.data, k ? k : "") != 0) {
			gx_flush(&g);
			if (limit && *count >= limit)
				break;
			buf_printf(&g.id, "%s", k ? k : "");
		}
		if (gx_row(&g, st, &bad) == -1 || g.oom) {
			oom = 1;
			break;
		}
	}
	if (rc == DB_DONE)
		gx_flush(&g);
	if (g.oom)
		oom = 1;
	if (rc == DB_DONE && oom)
		rc = DB_ERR;
	else if (rc == DB_ROW) {
		db_reset(st);
		rc = oom ? DB_ERR : DB_DONE;
	}
	if (oom)
		msg("--export %s: out of memory", what);
	else if (rc != DB_DONE)
		msg("--export %s: %s", what, db_errmsg(db));
	db_finalize(st);
out:
	strset_free(g.seen);
	json_parser_free(g.jp);
	json_parser_free(g.vp);
	buf_release(&sql);
	buf_release(&g.rec);
	buf_release(&g.id);
	buf_release(&g.mk);
	buf_release(&g.rs);
	buf_release(&g.ids);
	buf_release(&g.tmp);
	gx_drop(&g);
	free(g.mks);
	buf_release(&g.old);
	buf_release(&g.oids);
	buf_release(&g.mkids);
	return rc == DB_DONE && bad == 0 ? 0 : -1;
}

/* A result's experiment id, for sorting them as bytes. */
struct xid {
	const char	*p;
	size_t		 n;
};

static int
xid_cmp(const void *a, const void *b)
{
	const struct xid *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/*
 * --export retry of a database before schema 3, read as it is: the
 * record with the retry_experiments the upgraded database's export gives
 * (gx_retry), read from the results the record holds, each once, in
 * byte order; the record as it is (every variant runs) when none is to
 * run again, more than ids holds are, or it cannot be read.  -1 when out
 * of memory.
 */
static int
retry_old(json_parser *jp, const char *p, size_t n, struct buf *out)
{
	struct xid ids[256];
	struct buf names, none;
	json_val root, rs, r, v;
	json_iter it;
	const char *st, *e, *err;
	size_t i, k_n = 0, sl, el;
	int rc;

	buf_reset(out);
	if (json_parse(jp, p, n, 0, &root, &err) == -1)
		return buf_add(out, p, n);
	json_get(&root, "results", &rs);
	json_iter_init(&it, &rs);
	while (json_iter_next(&it, NULL, NULL, &r)) {
		json_get(&r, "status", &v);
		st = json_str(&v, &sl);
		json_get(&r, "error", &v);
		e = json_str(&v, &el);
		/* done: ok, or skipped but not for a research failure */
		if (st && ((sl == 2 && memcmp(st, "ok", 2) == 0) ||
		    (sl == 7 && memcmp(st, "skipped", 7) == 0 && !(e &&
		    el >= 9 && memcmp(e, "research ", 9) == 0))))
			continue;
		json_get(&r, "experiment_id", &v);
		if (k_n == sizeof ids / sizeof ids[0])	/* all run again */
			return buf_add(out, p, n);
		if ((ids[k_n].p = json_str(&v, &ids[k_n].n)) != NULL)
			k_n++;
	}
	if (k_n == 0)
		return buf_add(out, p, n);
	qsort(ids, k_n, sizeof ids[0], xid_cmp);
	buf_init(&names, 0);
	buf_init(&none, 0);
	for (i = 0; i < k_n; i++)
		if (i == 0 || xid_cmp(&ids[i - 1], &ids[i]) != 0)
			jw_str(&names, ids[i].p, ids[i].n);
	rc = names.data ? with_retry(out, &root, &none, &names) : -1;
	buf_release(&names);
	return rc;
}

int
store_export(struct db *db, const char *what, int all, struct jqf *where,
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
	int rc = -1, said = 0, raw = strcmp(what, "raw") == 0;
	int v = schema_version(db);

	/* a database with no tables yet is pm-store's (do_export) */
	if ((strcmp(what, "group") == 0 || strcmp(what, "retry") == 0) &&
	    v >= 3)
		return group_export(db, what, where, run_id, limit, count);
	if (strcmp(what, "market") == 0 || strcmp(what, "markets") == 0 ||
	    strcmp(what, "event") == 0 || strcmp(what, "events") == 0)
		return rec_export(db, v, what, what[0] == 'e' ? T_EVENTS :
		    T_MARKETS, strcmp(what, "market") == 0 && !all, where,
		    run_id, closed_since, limit, count);
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
			said = 1;
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
			if (strcmp(what, "retry") == 0 ?
			    retry_old(jp, p, n, &b) == -1 :
			    buf_add(&b, p, n) == -1) {
				msg("--export %s: out of memory", what);
				said = 1;
				break;
			}
		}
		if (where && !jqf_where(where, b.data, b.len))
			continue;
		out_line(b.data, b.len);
		(*count)++;
	}
	/* a step that failed says why, DB_BUSY (a lost connection) too: the
	 * rows written cannot be written again */
	if (!said && (rc == DB_ROW || (limit && *count >= limit))) {
		db_reset(st);
		rc = DB_DONE;
	}
	if (rc != DB_DONE && !said)
		msg("--export %s: %s", what, db_errmsg(db));
	rc = rc == DB_DONE && bad == 0 && !said ? 0 : -1;
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
 * cut short by --limit (the run record's options.limit).  Only runs that
 * started before before (a bound as ts_bound() makes it), to the last
 * digit of either fraction; the newest so too. */
int
store_last_run(struct db *db, const char *flows, const char *before,
    char *out, size_t outlen)
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
	    "AND " TS_SQL_BEFORE("started_at", "CAST(?2 AS TEXT)")
	    " ORDER BY " TS_SQL_NINE("started_at") " DESC LIMIT 1");
	if (st == NULL)
		return -1;
	db_bind_str(st, 1, flows);
	db_bind_str(st, 2, before);
	rc = db_step(st);
	if (rc == DB_ROW && (t = db_col_text(st, 0, &n)) != NULL && n < outlen) {
		memcpy(out, t, n);
		out[n] = 0;
	}
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : -1;
}
