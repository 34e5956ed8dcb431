/*
 * schema_ch.c - the ClickHouse migrations (see schema_ch.h).  Append a
 * migration, never edit one that has shipped.  Each table is described
 * once and spelled out as a plain table or as a shard's table plus a
 * Distributed one.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_ch.h"
#include "timefmt.h"

#define S	"String"
#define NS	"Nullable(String)"
#define NI	"Nullable(Int64)"
#define NF	"Nullable(Float64)"

struct ch_table {
	const char	*name;
	const char	*columns;	/* "name Type, ..." */
	const char	*key;		/* ORDER BY, the row's identity */
	const char	*partition;	/* PARTITION BY, or NULL */
};

/* A column added to a table (to both forms in a cluster). */
struct ch_column {
	const char	*table;
	const char	*name;
	const char	*type;
};

/* A migration: its tables made, then its columns added, then its views
 * made (each over the tables as reads name them). */
struct ch_migration {
	int			 version;
	const char		*name;
	const struct ch_table	*tables;
	size_t			 ntables;
	const struct ch_column	*columns;
	size_t			 ncolumns;
	const char *const	*views;
	size_t			 nviews;
};

static const struct ch_table tables_1[] = {
{ "raw_responses",
  "sha256 " S ", source " NS ", endpoint " NS ", url " NS ", fetched_at " NS
  ", request " NS ", payload " S ", run_id " NS ", stored_at " S,
  "sha256", NULL },
{ "markets",
  "source " S ", market_id " S ", condition_id " NS ", question_id " NS
  ", slug " NS ", question " NS ", description " NS ", event_id " NS
  ", event_slug " NS ", close_time " NS ", start_time " NS
  ", closed_time " NS ", updated_at " NS ", active " NI ", closed " NI
  ", archived " NI ", neg_risk " NI ", group_item_title " NS
  ", resolution_status " NS ", volume " NF ", liquidity " NF
  ", best_bid " NF ", best_ask " NF ", last_trade_price " NF
  ", event " NS ", tags " NS ", raw_sha256 " NS ", fetched_at " NS
  ", record " S ", record_sha256 " S ", run_id " NS ", first_seen_at " S
  ", stored_at " S,
  "source, market_id", NULL },
{ "contracts",
  "source " S ", market_id " S ", outcome_index Int64, outcome " NS
  ", token_id " NS ", price " NF,
  "source, market_id, outcome_index", NULL },
{ "events",
  "source " S ", event_id " S ", slug " NS ", title " NS
  ", description " NS ", start_time " NS ", end_time " NS
  ", updated_at " NS ", active " NI ", closed " NI ", archived " NI
  ", neg_risk " NI ", volume " NF ", liquidity " NF ", tags " NS
  ", market_ids " NS ", raw_sha256 " NS ", fetched_at " NS
  ", record " S ", record_sha256 " S ", run_id " NS ", first_seen_at " S
  ", stored_at " S,
  "source, event_id", NULL },
{ "tags",
  "source " S ", tag_id " S ", slug " NS ", label " NS,
  "source, tag_id", NULL },
{ "price_history",
  "token_id " S ", side " S ", ts " S ", price Float64, market_id " NS
  ", outcome " NS ", raw_sha256 " NS ", run_id " NS,
  "token_id, side, ts", "substring(ts, 1, 7)" },
{ "processing_runs",
  "run_id " S ", flow " NS ", run_date " NS ", target_date " NS
  ", window_days " NI ", started_at " NS ", finished_at " NS
  ", status " NS ", counts " NS ", git_sha " NS ", environment " NS
  ", options " NS ", stored_at " S,
  "run_id", NULL },
{ "processing_failures",
  "failure_sha256 " S ", run_id " NS ", stage " NS ", reason " S
  ", retriable " NI ", market_id " NS ", event_key " NS ", input " NS
  ", url " NS ", detail " NS ", recorded_at " S,
  "failure_sha256", NULL },
};

/*
 * Schema 5 of the other engines: trades, one row per trade_key, ordered by
 * market and time (the trade_key hashes both, so the order is still one
 * row per key); book levels per snapshot.
 */
static const struct ch_table tables_2[] = {
{ "trades",
  "trade_key " S ", condition_id " S ", token_id " NS ", side " S
  ", size Float64, price Float64, ts " S ", wallet " NS ", outcome " NS
  ", outcome_index " NI ", transaction_hash " NS ", count " NI
  ", raw_sha256 " NS ", run_id " NS,
  "condition_id, ts, trade_key", "substring(ts, 1, 7)" },
{ "books",
  "token_id " S ", ts " S ", side " S ", level Int64, price Float64"
  ", size Float64, market_id " NS ", raw_sha256 " NS ", run_id " NS,
  "token_id, ts, side, level", "substring(ts, 1, 7)" },
};

/* Schema 5's market columns, added in place.  The contracts' quote
 * columns are not: a contract row written again (each market record
 * writes one) would carry no quote and hide it, and a row cannot be
 * updated; the contract_quotes view gives them from price_history. */
static const struct ch_column columns_2[] = {
	{ "markets", "volume_24h", NF },
	{ "markets", "volume_1wk", NF },
	{ "markets", "spread", NF },
	{ "markets", "one_day_price_change", NF },
	{ "markets", "resolution", NS },
	{ "markets", "resolved_outcome", NS },
	{ "markets", "resolved_at", NS },
};

/* market_outcomes over contracts (a FROM): migration 2's read contracts
 * FINAL, migration 5's SCHEMA_CH_CONTRACTS. */
#define MARKET_OUTCOMES(contracts) \
"CREATE VIEW IF NOT EXISTS market_outcomes AS " \
"SELECT source, market_id, event_id, event_slug, slug, question, " \
"close_time, active, closed, volume, liquidity, resolution_status, " \
"updated_at, outcomes, token_ids, prices FROM (SELECT source, market_id, " \
"event_id, event_slug, slug, question, close_time, active, closed, " \
"volume, liquidity, resolution_status, updated_at FROM markets FINAL) AS m " \
"GLOBAL ANY LEFT JOIN (SELECT source, market_id, " \
"arrayMap(x -> tupleElement(x, 2), arraySort(x -> tupleElement(x, 1), groupArray((outcome_index, " \
"outcome)))) AS outcomes, arrayMap(x -> tupleElement(x, 2), arraySort(x -> tupleElement(x, 1), " \
"groupArray((outcome_index, token_id)))) AS token_ids, " \
"arrayMap(x -> tupleElement(x, 2), arraySort(x -> tupleElement(x, 1), groupArray((outcome_index, " \
"if(lp_n > 0, toNullable(lp), price))))) AS prices " \
"FROM (SELECT source, market_id, outcome_index, outcome, token_id, price, " \
"ifNull(token_id, '') AS tk FROM " contracts ") AS c " \
"GLOBAL ANY LEFT JOIN (SELECT token_id AS tk, price AS lp, 1 AS lp_n " \
"FROM latest_prices) AS p USING (tk) GROUP BY source, market_id) AS o " \
"USING (source, market_id)"

/*
 * The views of the other engines' migrations 5 and 8 that have their
 * tables here (forecasts reads experiment results: not here), spelled
 * for 18.16: no window functions and no correlated subqueries, so each
 * is a GROUP BY or LIMIT BY over FINAL; GLOBAL joins, so that over a
 * cluster's Distributed tables the right side is read once (the shards
 * would refuse a join of one Distributed table with another); each
 * joined subquery with an alias, which later releases require
 * (joined_subquery_requires_alias).
 * market_outcomes gives arrays, not JSON text.
 */
static const char *const views_2[] = {
/* LIMIT BY straight over a Distributed table's FINAL fails in 18.16
 * (row_version not found): over a GROUP BY by key it does not */
"CREATE VIEW IF NOT EXISTS latest_prices AS "
"SELECT token_id, market_id, outcome, side, ts, price FROM (SELECT "
"token_id, ts, side, any(market_id) AS market_id, any(outcome) AS outcome, "
"any(price) AS price FROM price_history FINAL GROUP BY token_id, ts, side) "
"ORDER BY token_id, ts DESC, side LIMIT 1 BY token_id",

"CREATE VIEW IF NOT EXISTS contract_quotes AS "
"SELECT token_id, ts AS quoted_at, best_bid, best_ask, "
"if(nm > 0, mid, if(nb > 0 AND na > 0, (bid + ask) / 2, NULL)) AS midpoint "
"FROM (SELECT token_id, ts, countIf(side = 'buy') AS nb, "
"countIf(side = 'sell') AS na, countIf(side = 'mid') AS nm, "
"anyIf(price, side = 'buy') AS bid, anyIf(price, side = 'sell') AS ask, "
"anyIf(price, side = 'mid') AS mid, if(nb > 0, toNullable(bid), NULL) "
"AS best_bid, if(na > 0, toNullable(ask), NULL) AS best_ask "
"FROM price_history FINAL WHERE side IN ('buy', 'sell', 'mid') "
"GROUP BY token_id, ts) ORDER BY token_id, ts DESC LIMIT 1 BY token_id",

MARKET_OUTCOMES("contracts FINAL"),

"CREATE VIEW IF NOT EXISTS book_summary AS "
"SELECT token_id, ts, market_id, best_bid, best_ask, "
"best_ask - best_bid AS spread, (best_bid + best_ask) / 2 AS midpoint, "
"if(midpoint IS NULL, 0, arraySum(arrayMap((p, z) -> if(abs(p - "
"assumeNotNull(midpoint)) <= 0.01 * assumeNotNull(midpoint), z, 0), ps, "
"zs))) AS depth_1pct, "
"if(midpoint IS NULL, 0, arraySum(arrayMap((p, z) -> if(abs(p - "
"assumeNotNull(midpoint)) <= 0.05 * assumeNotNull(midpoint), z, 0), ps, "
"zs))) AS depth_5pct "
"FROM (SELECT token_id, ts, max(market_id) AS market_id, "
"if(countIf(side = 'bid' AND level = 0) > 0, "
"toNullable(maxIf(price, side = 'bid' AND level = 0)), NULL) AS best_bid, "
"if(countIf(side = 'ask' AND level = 0) > 0, "
"toNullable(maxIf(price, side = 'ask' AND level = 0)), NULL) AS best_ask, "
"groupArray(price) AS ps, groupArray(size) AS zs "
"FROM books FINAL GROUP BY token_id, ts)",
};

/*
 * The run lock of pm-summary --hold (lib/lease.c): a lease row per flow
 * and holder, each claim, renewal and release a new version of it.  A
 * plain table on every server, never Distributed: a lock is taken on the
 * URL's first server alone, where every holder must read every claim.
 * Times are the server's clock in seconds since the epoch.
 */
static const char *const views_3[] = {
"CREATE TABLE IF NOT EXISTS run_leases (flow String, holder String, "
"run_id String, claimed_at Int64, expires_at Int64, "
SCHEMA_CH_VERSION_COLUMN " UInt64) ENGINE = ReplacingMergeTree("
SCHEMA_CH_VERSION_COLUMN ") ORDER BY (flow, holder)",
};

/*
 * Schema 13 of the other engines: a price point keeps the fetch time of
 * the record that wrote it, and its row_version comes from it, as a
 * market's does (store_ch.c): an older fetch no longer outlasts a newer
 * one.  Rows stored before keep the version of when they were stored,
 * below any fetch time, and fetched_at null.
 */
static const struct ch_column columns_4[] = {
	{ "price_history", "fetched_at", NS },
};

/*
 * A market that comes with fewer outcomes than it had (or an older fetch
 * of it with more, stored after) keeps the contract rows past its count
 * (a row cannot be deleted): market_outcomes reads only the contracts of
 * the market's stored version.  18.16 has no CREATE OR REPLACE VIEW.
 */
static const char *const views_5[] = {
"DROP TABLE IF EXISTS market_outcomes",
MARKET_OUTCOMES(SCHEMA_CH_CONTRACTS " AS cn"),
};

#define NTAB(a) (sizeof a / sizeof a[0])

static const struct ch_migration migrations[] = {
	{ 1, "initial tables", tables_1, NTAB(tables_1), NULL, 0, NULL, 0 },
	{ 2, "trades, books, market activity and resolutions, views",
	  tables_2, NTAB(tables_2), columns_2, NTAB(columns_2), views_2,
	  NTAB(views_2) },
	{ 3, "run leases", NULL, 0, NULL, 0, views_3, NTAB(views_3) },
	{ 4, "price_history.fetched_at: the latest fetch of a point wins",
	  NULL, 0, columns_4, NTAB(columns_4), NULL, 0 },
	{ 5, "market_outcomes: the contracts of the stored version",
	  NULL, 0, NULL, 0, views_5, NTAB(views_5) },
};

#define NMIG NTAB(migrations)

static const char migrations_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version Int64, "
    "name String, applied_at String) ENGINE = ReplacingMergeTree "
    "ORDER BY version";

int
schema_ch_latest(void)
{
	return migrations[NMIG - 1].version;
}

/* The MergeTree table: NAME, or NAME_local in a cluster. */
static int
local_ddl(const struct ch_table *t, const char *cluster, struct buf *b)
{
	return buf_printf(b, "CREATE TABLE IF NOT EXISTS %s%s (%s, "
	    SCHEMA_CH_VERSION_COLUMN " UInt64) ENGINE = ReplacingMergeTree("
	    SCHEMA_CH_VERSION_COLUMN ")%s%s ORDER BY (%s)", t->name,
	    cluster ? SCHEMA_CH_LOCAL : "", t->columns,
	    t->partition ? " PARTITION BY " : "",
	    t->partition ? t->partition : "", t->key);
}

/* The Distributed table NAME over the shards' NAME_local. */
static int
dist_ddl(const struct ch_table *t, const char *cluster, struct buf *b)
{
	return buf_printf(b, "CREATE TABLE IF NOT EXISTS %s AS %s" SCHEMA_CH_LOCAL
	    " ENGINE = Distributed(", t->name, t->name) == -1 ||
	    ch_quote(b, cluster) == -1 ||
	    buf_printf(b, ", currentDatabase(), '%s" SCHEMA_CH_LOCAL
	    "', cityHash64(%s))", t->name, t->key) == -1 ? -1 : 0;
}

/* ALTER TABLE t ADD COLUMN, and into check the question whether the
 * column is there already: 18.16 has no ADD COLUMN IF NOT EXISTS. */
static int
column_ddl(const struct ch_column *c, const char *suffix, struct buf *b,
    struct buf *check)
{
	if (check) {
		buf_reset(check);
		if (buf_printf(check, "SELECT count() FROM system.columns WHERE "
		    "database = currentDatabase() AND table = '%s%s' AND "
		    "name = '%s'", c->table, suffix, c->name) == -1)
			return -1;
	}
	return buf_printf(b, "ALTER TABLE %s%s ADD COLUMN %s %s", c->table,
	    suffix, c->name, c->type);
}

/* Statement i (0, 1, ...) of migration m, into b (emptied first); 0 when
 * there is one, 1 past the last.  check, when not NULL, is emptied, or
 * given a query whose answer 1 means the statement ran already. */
static int
statement(const struct ch_migration *m, const char *cluster, size_t i,
    struct buf *b, struct buf *check)
{
	size_t per = cluster ? 2 : 1;

	buf_reset(b);
	if (check)
		buf_reset(check);
	if (i < m->ntables * per) {
		if (i % per == 0)
			return local_ddl(&m->tables[i / per], cluster, b);
		return dist_ddl(&m->tables[i / per], cluster, b);
	}
	i -= m->ntables * per;
	if (i < m->ncolumns * per)
		/* the shard's table first: the Distributed one reads it */
		return column_ddl(&m->columns[i / per], cluster && i % per == 0 ?
		    SCHEMA_CH_LOCAL : "", b, check);
	i -= m->ncolumns * per;
	if (i < m->nviews)
		return buf_adds(b, m->views[i]);
	return 1;
}

int
schema_ch_text(const char *cluster, struct buf *out)
{
	struct buf st;
	size_t i, j;
	int r = 0;

	buf_init(&st, 0);
	if (buf_printf(out, "%s;\n", migrations_table) == -1)
		r = -1;
	for (i = 0; i < NMIG && r == 0; i++) {
		if (buf_printf(out, "-- migration %d: %s\n",
		    migrations[i].version, migrations[i].name) == -1)
			r = -1;
		for (j = 0; r == 0 && (r = statement(&migrations[i], cluster, j,
		    &st, NULL)) == 0; j++)
			if (buf_printf(out, "%s;\n", st.data) == -1)
				r = -1;
		r = r == 1 ? 0 : -1;
	}
	buf_release(&st);
	return r;
}

/* The number a query answers, -1 when none (ch_errmsg() says why). */
static long
answer_number(struct ch *c, const char *sql)
{
	unsigned long long v;

	return ch_number(c, sql, &v) == 0 && v <= LONG_MAX ? (long)v : -1;
}

/*
 * A read of system.tables or system.columns, into out when not NULL (a
 * number's text otherwise, into *n).  18.16 fails one with "Table
 * db.market_outcomes doesn't exist" (UNKNOWN_TABLE, code 60) when another
 * pm-store drops the view (migration 5) while it reads: pm-store started
 * at the same moment on a new database exited 3.  Read again then, a few
 * times.
 */
#define UNKNOWN_TABLE	60

static int
sys_read(struct ch *c, const char *sql, struct buf *out, long *n)
{
	size_t len = out ? out->len : 0;
	int i, r = -1;

	for (i = 0; i < 5; i++) {
		if (i > 0)
			ts_sleep_ms(20L << i);
		if (out) {
			out->len = len;	/* what a failed read left, gone */
			if (out->data)
				out->data[len] = 0;
			r = ch_query(c, sql, out);
		} else
			r = (*n = answer_number(c, sql)) == -1 ? -1 : 0;
		if (r == 0 || ch_code(c) != UNKNOWN_TABLE)
			break;
	}
	return r;
}

int
schema_ch_version(struct ch *c)
{
	long v;

	if ((v = answer_number(c, "EXISTS TABLE schema_migrations")) != 1)
		return v == 0 ? 0 : -1;
	v = answer_number(c, "SELECT toInt64(max(version)) "
	    "FROM schema_migrations");
	return v > INT_MAX ? INT_MAX : (int)v;	/* too new, and said so */
}

static int
record(struct ch *c, const struct ch_migration *m)
{
	struct buf sql;
	char now[TS_MAX];
	int r;

	buf_init(&sql, 0);
	ts_now(now);
	r = buf_printf(&sql, "INSERT INTO schema_migrations VALUES (%d, ",
	    m->version) == -1 || ch_quote(&sql, m->name) == -1 ||
	    buf_printf(&sql, ", '%s')", now) == -1 ? -1 :
	    ch_query(c, sql.data, NULL);
	buf_release(&sql);
	return r;
}

/* The cluster as this shard knows it: the number of its shards. */
static int
check_cluster(struct ch *c, const char *cluster, size_t n, char *err,
    size_t errlen)
{
	struct buf sql;
	long have;

	buf_init(&sql, 0);
	if (buf_adds(&sql, "SELECT count(DISTINCT shard_num) FROM "
	    "system.clusters WHERE cluster = ") == -1 ||
	    ch_quote(&sql, cluster) == -1)
		have = -2;
	else
		have = answer_number(c, sql.data);
	buf_release(&sql);
	if (have == (long)n)
		return 0;
	if (have == -1)
		snprintf(err, errlen, "%s", ch_errmsg(c));
	else if (have == -2)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "%s: cluster %s has %ld shards in "
		    "system.clusters, %zu given", ch_origin(c), cluster, have, n);
	return -1;
}

/* The second column of the answer's line (a newline before each) whose
 * first is key, up to its newline, its length in *n; or NULL.  n NULL:
 * the line that is key whole. */
static const char *
field(const struct buf *ans, const char *key, size_t *n)
{
	const char *p;
	size_t kl = strlen(key);

	for (p = ans->data; (p = strstr(p + 1, key)) != NULL; )
		if (p[-1] == '\n' && (p[kl] == '\t' || (n == NULL &&
		    p[kl] == '\n'))) {
			p += kl + 1;
			if (n)
				*n = strcspn(p, "\n");
			return p;
		}
	return NULL;
}

/* Table name, its engine ending in want (SharedReplacingMergeTree is a
 * ReplacingMergeTree), has every column of columns ("name Type, ...");
 * else -1 with the first lacking in err. */
static int
check_table(const struct buf *tabs, const struct buf *cols, const char *name,
    const char *want, const char *columns, const char *origin, char *err,
    size_t errlen)
{
	char key[300];
	const char *p, *e;
	size_t n, wl = strlen(want), cl;

	if ((e = field(tabs, name, &n)) == NULL) {
		snprintf(err, errlen, "%s: table %s is missing (dropped by "
		    "hand?)", origin, name);
		return -1;
	}
	if (n < wl || strncmp(e + n - wl, want, wl) != 0) {
		snprintf(err, errlen, "%s: table %s is a %.*s, not a %s "
		    "(replaced by hand?)", origin, name, (int)(n > 64 ? 64 : n),
		    e, want);
		return -1;
	}
	for (p = columns; *p; p += strspn(p, ", ")) {
		cl = strcspn(p, " ,");
		snprintf(key, sizeof key, "%s\t%.*s", name, (int)cl, p);
		if (field(cols, key, NULL) == NULL) {
			snprintf(err, errlen, "%s: table %s has no column %.*s "
			    "(dropped or renamed by hand?)", origin, name,
			    (int)cl, p);
			return -1;
		}
		p += strcspn(p, ",");	/* past the type */
	}
	return 0;
}

int
schema_ch_check(struct ch *c, const char *cluster, int v, char *err,
    size_t errlen)
{
	const struct ch_migration *m;
	const struct ch_table *t;
	struct buf tabs, cols, cl;
	char name[128];
	size_t i, j;
	int r = 0;

	buf_init(&tabs, 1 << 20);
	buf_init(&cols, 1 << 22);
	buf_init(&cl, 0);
	if (buf_addc(&tabs, '\n') == -1 || buf_addc(&cols, '\n') == -1 ||
	    sys_read(c, "SELECT name, engine FROM system.tables WHERE "
	    "database = currentDatabase() FORMAT TabSeparated", &tabs,
	    NULL) == -1 ||
	    sys_read(c, "SELECT table, name FROM system.columns WHERE "
	    "database = currentDatabase() FORMAT TabSeparated", &cols,
	    NULL) == -1) {
		snprintf(err, errlen, "%s", ch_errmsg(c));
		r = -1;
	}
	for (i = 0; i < NMIG && r == 0 && migrations[i].version <= v; i++) {
		m = &migrations[i];
		for (j = 0; j < m->ntables && r == 0; j++) {
			t = &m->tables[j];
			snprintf(name, sizeof name, "%s%s", t->name, cluster ?
			    SCHEMA_CH_LOCAL : "");
			buf_reset(&cl);
			if (buf_printf(&cl, "%s, " SCHEMA_CH_VERSION_COLUMN,
			    t->columns) == -1) {
				snprintf(err, errlen, "out of memory");
				r = -1;
				break;
			}
			r = check_table(&tabs, &cols, name, "ReplacingMergeTree",
			    cl.data, ch_origin(c), err, errlen);
			if (r == 0 && cluster)
				r = check_table(&tabs, &cols, t->name,
				    "Distributed", cl.data, ch_origin(c), err,
				    errlen);
		}
		for (j = 0; j < m->ncolumns && r == 0; j++) {
			snprintf(name, sizeof name, "%s%s", m->columns[j].table,
			    cluster ? SCHEMA_CH_LOCAL : "");
			r = check_table(&tabs, &cols, name, "ReplacingMergeTree",
			    m->columns[j].name, ch_origin(c), err, errlen);
			if (r == 0 && cluster)
				r = check_table(&tabs, &cols,
				    m->columns[j].table, "Distributed",
				    m->columns[j].name, ch_origin(c), err, errlen);
		}
	}
	buf_release(&tabs);
	buf_release(&cols);
	buf_release(&cl);
	return r;
}

/*
 * Statement st failed: another pm-store migrating the same database at
 * the same moment may have run it between the question chk and it (two
 * flows started on a new database or one at schema 1: 18.16 has no ADD
 * COLUMN IF NOT EXISTS, and refuses the second "column with this name
 * already exists").  1 when what it makes is there now: a column asked
 * again, a CREATE ... IF NOT EXISTS run again; else 0, the server's
 * reason for the first failure kept in why.
 */
static int
ran_by_another(struct ch *c, const struct buf *st, const struct buf *chk,
    char *why, size_t n)
{
	long had;

	snprintf(why, n, "%s", ch_reason(c));
	if (chk->len > 0)
		return sys_read(c, chk->data, NULL, &had) == 0 && had == 1;
	return ch_query(c, st->data, NULL) == 0;
}

int
schema_ch_newer(const char *where, int v, char *err, size_t errlen)
{
	if (v <= schema_ch_latest())
		return 0;
	snprintf(err, errlen, "%s: schema version %d is newer than this "
	    "pm-store knows (%d)", where, v, schema_ch_latest());
	return 1;
}

/* One shard (or the one server) up to the latest version. */
static int
migrate_one(struct ch *c, const char *cluster, char *err, size_t errlen)
{
	const struct ch_migration *m;
	struct buf st, chk;
	char why[512];
	size_t i, j;
	long had = 0;
	int v, to, r = 0;

	if (ch_query(c, migrations_table, NULL) == -1 ||
	    (v = schema_ch_version(c)) == -1) {
		snprintf(err, errlen, "%s", ch_errmsg(c));
		return -1;
	}
	if (schema_ch_newer(ch_origin(c), v, err, errlen))
		return -1;
	/* PM_SCHEMA_VERSION: only up to that one (for testing upgrades) */
	to = getenv("PM_SCHEMA_VERSION") ? atoi(getenv("PM_SCHEMA_VERSION")) : 0;
	buf_init(&st, 0);
	buf_init(&chk, 0);
	for (i = 0; i < NMIG && r == 0; i++) {
		m = &migrations[i];
		if (m->version <= v || (to > 0 && m->version > to))
			continue;
		/* r: 0 more to run, 1 all ran, -1 out of memory, -2 the
		 * server refused */
		for (j = 0; (r = statement(m, cluster, j, &st, &chk)) == 0; j++) {
			had = 0;
			if (chk.len > 0 && sys_read(c, chk.data, NULL,
			    &had) == -1)
				had = -1;
			if (had == 1)
				continue;
			why[0] = 0;
			if (had == -1 || (ch_query(c, st.data, NULL) == -1 &&
			    !ran_by_another(c, &st, &chk, why, sizeof why))) {
				r = -2;
				break;
			}
		}
		if (r == 1) {
			why[0] = 0;
			r = record(c, m) == 0 ? 0 : -2;
		}
		if (r != 0)
			snprintf(err, errlen, "%s: migration %d (%s): %s",
			    ch_origin(c), m->version, m->name, r == -1 ?
			    "out of memory" : why[0] ? why : ch_reason(c));
	}
	buf_release(&st);
	buf_release(&chk);
	return r == 0 ? 0 : -1;
}

int
schema_ch_migrate(struct ch *const *shards, size_t n, const char *cluster,
    char *err, size_t errlen)
{
	size_t i;

	if (n == 0 || (cluster == NULL && n != 1)) {
		snprintf(err, errlen, "%zu servers given %s a cluster", n,
		    cluster ? "for" : "without");
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((cluster && check_cluster(shards[i], cluster, n, err,
		    errlen) == -1) || migrate_one(shards[i], cluster, err,
		    errlen) == -1)
			return -1;
	return 0;
}
