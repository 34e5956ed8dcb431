/*
 * schema_ch.c - the ClickHouse migrations (see schema_ch.h).  Append a
 * migration, never edit one that has shipped.  Each table is described
 * once and spelled out as a plain table or as a shard's table plus a
 * Distributed one.
 */
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

struct ch_migration {
	int			 version;
	const char		*name;
	const struct ch_table	*tables;
	size_t			 ntables;
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

#define NTAB(a) (sizeof a / sizeof a[0])

static const struct ch_migration migrations[] = {
	{ 1, "initial tables", tables_1, NTAB(tables_1) },
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

/* Statement i (0, 1, ...) of migration m, into b (emptied first); 0 when
 * there is one, 1 past the last. */
static int
statement(const struct ch_migration *m, const char *cluster, size_t i,
    struct buf *b)
{
	size_t per = cluster ? 2 : 1;

	buf_reset(b);
	if (i >= m->ntables * per)
		return 1;
	if (i % per == 0)
		return local_ddl(&m->tables[i / per], cluster, b);
	return dist_ddl(&m->tables[i / per], cluster, b);
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
		    &st)) == 0; j++)
			if (buf_printf(out, "%s;\n", st.data) == -1)
				r = -1;
		r = r == 1 ? 0 : -1;
	}
	buf_release(&st);
	return r;
}

/* The first number of an answer in TabSeparated, -1 when none. */
static long
answer_number(struct ch *c, const char *sql)
{
	struct buf a;
	char *e;
	long v = -1;

	buf_init(&a, 4096);
	if (ch_query(c, sql, &a) == 0 && a.len > 0) {
		v = strtol(a.data, &e, 10);
		if (e == a.data || (*e != '\n' && *e != 0))
			v = -1;
	}
	buf_release(&a);
	return v;
}

int
schema_ch_version(struct ch *c)
{
	long v;

	if ((v = answer_number(c, "EXISTS TABLE schema_migrations")) != 1)
		return v == 0 ? 0 : -1;
	return (int)answer_number(c, "SELECT toInt64(max(version)) "
	    "FROM schema_migrations");
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

/* One shard (or the one server) up to the latest version. */
static int
migrate_one(struct ch *c, const char *cluster, char *err, size_t errlen)
{
	const struct ch_migration *m;
	struct buf st;
	size_t i, j;
	int v, r = 0;

	if (ch_query(c, migrations_table, NULL) == -1 ||
	    (v = schema_ch_version(c)) == -1) {
		snprintf(err, errlen, "%s", ch_errmsg(c));
		return -1;
	}
	if (v > schema_ch_latest()) {
		snprintf(err, errlen, "%s: schema version %d is newer than this "
		    "pm-store knows (%d)", ch_origin(c), v, schema_ch_latest());
		return -1;
	}
	buf_init(&st, 0);
	for (i = 0; i < NMIG && r == 0; i++) {
		m = &migrations[i];
		if (m->version <= v)
			continue;
		/* r: 0 more to run, 1 all ran, -1 out of memory, -2 the
		 * server refused */
		for (j = 0; (r = statement(m, cluster, j, &st)) == 0; j++)
			if (ch_query(c, st.data, NULL) == -1) {
				r = -2;
				break;
			}
		if (r == 1)
			r = record(c, m) == 0 ? 0 : -2;
		if (r != 0)
			snprintf(err, errlen, "migration %d (%s): %s", m->version,
			    m->name, r == -1 ? "out of memory" : ch_errmsg(c));
	}
	buf_release(&st);
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
