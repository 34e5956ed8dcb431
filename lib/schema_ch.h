/*
 * schema_ch.h - the versioned schema pm-store keeps in ClickHouse.
 *
 * The tables of the other engines where they make sense: raw_responses,
 * markets, events, tags, contracts, price_history, trades, books,
 * processing_runs and processing_failures, same columns and values (times as pm-records'
 * RFC 3339 text, fraction kept: 18.16 has no DateTime64), each a
 * ReplacingMergeTree(row_version) ORDER BY the natural key the other
 * engines make their primary key.  ORDER BY is the identity a
 * ReplacingMergeTree deduplicates on, so a rerun or a replay converges to
 * the rows of one clean run; read with FINAL (or argMax(..., row_version)).
 * row_version is the writer's: microseconds since the epoch when pm-store
 * stored the row, so the last store wins as on the other engines (equal
 * versions: the last inserted).  Key columns are never Nullable; the
 * others are where the other engines allow NULL.  The daily flow's
 * bookkeeping (processed_*) and the experiments' tables need transactions
 * and are not here: they stay in a PostgreSQL or SQLite store.
 *
 * Migrations (their own numbering, not the other engines') are recorded
 * in schema_migrations.  ClickHouse has no transactions and no locks: every
 * statement is idempotent (IF NOT EXISTS), so a migration cut short or two
 * pm-store migrating at once converge; the version is recorded after the
 * migration's statements all ran.  A column is added in place (ALTER
 * TABLE ... ADD COLUMN; 18.16 has no IF NOT EXISTS there, so only when
 * system.columns lacks it).  PM_SCHEMA_VERSION, when set, stops at that
 * version (for testing upgrades).  The views (latest_prices,
 * contract_quotes, market_outcomes, book_summary) read FINAL.
 *
 * Cluster form: given a cluster name (a <remote_servers> entry of every
 * server), each shard gets the tables as NAME_local and a Distributed
 * table NAME over them, sharded by cityHash64 of the ORDER BY key, so
 * every version of a row lands on one shard and FINAL sees them together.
 * Without ZooKeeper there is no ON CLUSTER: the DDL goes to each shard in
 * turn, each shard keeping its own schema_migrations.  Reads and writes
 * name NAME in both forms; inserts through a Distributed table want
 * insert_distributed_sync=1 (ch_block_opts.distributed_sync).
 *
 * No ownership: the connections are borrowed.
 */
#ifndef PM_SCHEMA_CH_H
#define PM_SCHEMA_CH_H

#include <stddef.h>

#include "buf.h"
#include "ch.h"

#define SCHEMA_CH_LOCAL	"_local"	/* suffix of a shard's own tables */
#define SCHEMA_CH_VERSION_COLUMN "row_version"

/*
 * The contracts of each market as its stored version has them, for a
 * FROM: contracts FINAL whose row is not older than its market's FINAL
 * row.  A row cannot be deleted here, so when a market comes with fewer
 * outcomes than before (or an older fetch of it with more is stored
 * after), contracts FINAL keeps the rows past its count, of an older
 * version: the other engines delete them (tbl_trim_contracts).  The rows
 * of one market record are written with its version or, without a
 * fetch time, after it (store_ch.c).
 */
#define SCHEMA_CH_CONTRACTS "(SELECT source, market_id, outcome_index, " \
	"outcome, token_id, price FROM (SELECT source, market_id, " \
	"outcome_index, outcome, token_id, price, " SCHEMA_CH_VERSION_COLUMN \
	" AS cv FROM contracts FINAL) AS c0 GLOBAL ANY INNER JOIN (SELECT " \
	"source, market_id, " SCHEMA_CH_VERSION_COLUMN " AS mv FROM markets " \
	"FINAL) AS m0 USING (source, market_id) WHERE cv >= mv)"

/* The version this build writes. */
int schema_ch_latest(void);

/* 1 when version v is newer than this build writes, said in err as
 * where's; else 0. */
int schema_ch_newer(const char *where, int v, char *err, size_t errlen);

/* The version c is at (0: no schema yet), -1 on error (ch_errmsg). */
int schema_ch_version(struct ch *c);

/*
 * Bring shards[0..n) up to the latest version, one after the other.
 * cluster NULL: one server (n must be 1), plain tables.  Otherwise the
 * cluster must be known to every shard with n shards.  0, or -1 with the
 * reason in err.  A shard newer than this build is refused.
 */
int schema_ch_migrate(struct ch *const *shards, size_t n,
    const char *cluster, char *err, size_t errlen);

/*
 * The tables of the migrations up to version v as c has them: each a
 * ReplacingMergeTree (in a cluster NAME_local, and NAME a Distributed
 * table) with every column of the schema.  The server skips a row's keys
 * that are no column of its table (input_format_skip_unknown_fields), so
 * a column dropped or renamed by hand would lose its values without a
 * word; a table replaced by a view or another engine would give rows
 * FINAL does not merge.  0, or -1 with the first such table or column in
 * err.
 */
int schema_ch_check(struct ch *c, const char *cluster, int v, char *err,
    size_t errlen);

/* The migrations as SQL text (statements end in ";\n"), for --schema
 * clickhouse [--cluster NAME]. */
int schema_ch_text(const char *cluster, struct buf *out);

#endif
