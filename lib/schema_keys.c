/*
 * schema_keys.c - migration 6's part in C: key columns stored before it
 * with more than KEY_MAX bytes take their short form (key.h), computed by
 * the same code as every write, so both engines agree with what pm-store
 * looks up from now on.  Runs inside the migration's transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "schema.h"

/* The key columns of every table older than migration 6. */
static const char *const keycols[][2] = {
	{ "markets", "market_id" }, { "contracts", "market_id" },
	{ "contracts", "token_id" }, { "events", "event_id" },
	{ "tags", "tag_id" }, { "price_history", "token_id" },
	{ "price_history", "market_id" }, { "processed_events", "event_key" },
	{ "processed_markets", "event_key" },
	{ "processed_markets", "market_id" },
	{ "processed_contracts", "event_key" },
	{ "processed_contracts", "market_id" },
	{ "processed_contracts", "token_id" },
	{ "experiment_results", "event_key" },
	{ "experiment_results", "markets" },
	{ "research_artifacts", "event_key" },
	{ "research_artifacts", "markets" },
	{ "experiment_markets", "event_key" },
	{ "experiment_markets", "markets" },
	{ "experiment_markets", "market_id" },
	{ "processing_failures", "market_id" },
	{ "processing_failures", "event_key" },
	{ "experiments", "experiment_id" },
	{ "experiment_runs", "experiment_id" },
	{ "experiment_results", "experiment_id" },
	{ "research_artifacts", "experiment_id" },
	{ "experiment_markets", "experiment_id" },
};

struct change {
	char	*old;
	size_t	 oldn, newn;
	char	 new[KEY_MAX + 1];
};

/* The values of one column that change, read whole before any update. */
static int
collect(struct db *db, const char *sql, struct change **out, size_t *nout)
{
	struct db_stmt *st;
	struct change *v = NULL, *p;
	const char *s;
	char kb[KEY_MAX + 1];
	size_t n, kn, nv = 0;
	int rc;

	if ((st = db_prepare(db, sql)) == NULL)
		return DB_ERR;
	while ((rc = db_step(st)) == DB_ROW) {
		if ((s = db_col_text(st, 0, &n)) == NULL)
			continue;
		if (key_stored(s, n, kb, &kn) == s)
			continue;
		if ((p = realloc(v, (nv + 1) * sizeof *v)) == NULL ||
		    (p[nv].old = malloc(n + 1)) == NULL) {
			v = p ? p : v;
			rc = DB_ERR;
			break;
		}
		v = p;
		memcpy(v[nv].old, s, n);
		v[nv].old[n] = 0;
		v[nv].oldn = n;
		if (key_stored(s, n, v[nv].new, &v[nv].newn) == NULL) {
			free(v[nv].old);
			rc = DB_ERR;
			break;
		}
		nv++;
	}
	db_finalize(st);
	*out = v;
	*nout = nv;
	return rc == DB_DONE ? DB_DONE : rc;
}

/* Is change i's new value the old value of one still to be made? */
static int
taken(const struct change *v, size_t n, size_t i)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (j != i && v[j].old && v[j].oldn == v[i].newn &&
		    memcmp(v[j].old, v[i].new, v[i].newn) == 0)
			return 1;
	return 0;
}

static int
one_column(struct db *db, const char *t, const char *c)
{
	struct change *v = NULL;
	struct db_stmt *st = NULL;
	char sql[256];
	size_t i, n = 0, left, done;
	int rc;

	/* more than 64 characters: at least 65 bytes, all that may change */
	snprintf(sql, sizeof sql, "SELECT DISTINCT %s FROM %s WHERE "
	    "length(%s) > 64", c, t, c);
	rc = collect(db, sql, &v, &n);
	snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?1 WHERE %s = ?2",
	    t, c, c);
	if (rc == DB_DONE && n > 0 && (st = db_prepare(db, sql)) == NULL)
		rc = DB_ERR;
	/* a short id spelled like a stored key changes too: move it before
	 * the long key whose stored form it is takes its place */
	for (left = n; rc == DB_DONE && left > 0; left -= done) {
		for (i = done = 0; rc == DB_DONE && i < n; i++) {
			if (v[i].old == NULL || taken(v, n, i))
				continue;
			db_bind_text(st, 1, v[i].new, v[i].newn);
			db_bind_text(st, 2, v[i].old, v[i].oldn);
			rc = db_step(st);
			db_reset(st);
			free(v[i].old);
			v[i].old = NULL;
			done++;
		}
		if (done == 0)
			rc = DB_ERR;	/* a cycle: sha256 says cannot be */
	}
	for (i = 0; i < n; i++)
		free(v[i].old);
	db_finalize(st);
	free(v);
	return rc;
}

int
schema_long_keys(struct db *db)
{
	size_t i;
	int rc = DB_DONE;

	for (i = 0; rc == DB_DONE && i < sizeof keycols / sizeof *keycols; i++)
		rc = one_column(db, keycols[i][0], keycols[i][1]);
	return rc;
}
