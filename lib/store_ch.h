/*
 * store_ch.h - pm-store into ClickHouse: the market store that scales out.
 *
 * A URL clickhouse://[user[:password]@]host[:port]/database (clickhouses://
 * over TLS, the CA settings of pm-fetch: PM_CA_BUNDLE) names one server;
 * the parameters ?cluster=NAME&shards=host:port,host:port name a cluster:
 * the URL's host is its first shard, where records go in (through the
 * Distributed tables, insert_distributed_sync=1) and where reads go; the
 * shards listed are the others, reached with the same scheme, user,
 * password and database, and the schema's DDL goes to every shard in turn
 * (no ZooKeeper, no ON CLUSTER).
 *
 * Records are checked exactly as for the other engines (store_kinds.c, in
 * dry-run mode), then become JSONEachRow rows of the tables of
 * schema_ch.h, each with its row_version, sent in blocks: a batch closes
 * at 20,000 records, 64 MiB, one second of input, on idle input, before a
 * run record and at the end; each table's rows of a batch go in one
 * INSERT.  A row the server refuses is split out of its block (lib/ch.c)
 * and its record fails (bad_record) with a processing_failures row; the
 * rest is stored.  Every record stored is annotated "inserted": a row
 * version is appended, never read back; FINAL (or argMax on row_version)
 * gives one row per key, the last stored.  Group records (experiments)
 * are not stored here and fail; --new-only is refused.
 *
 * The functions below are pm-store's modes; each returns pm-store's exit
 * status (0, EXIT_FAILED, EXIT_USAGE, EXIT_DB) and says why on standard
 * error, never with the password.  No ownership crosses the interface.
 */
#ifndef PM_STORE_CH_H
#define PM_STORE_CH_H

/* The longest cluster name (--cluster, ?cluster=). */
#define STORE_CH_CLUSTER_MAX	127
/* why a group record fails there (bad_record) */
#define STORE_CH_NO_GROUPS	"group records (experiment results) are " \
	"not stored in ClickHouse: store them in a PostgreSQL or SQLite " \
	"database"

struct jqf;

/* Store the NDJSON of files (standard input when none) into url; target
 * is the redacted name for messages. */
int store_ch_store(const char *url, const char *target, int nfiles,
    char **files);

/* --last-run FLOWS: when the newest completed run of one of the flows
 * that started before before (ts_bound()) started; nothing when there is
 * none. */
int store_ch_last_run(const char *url, const char *target, const char *flows,
    const char *before);

/* --export raw|market|markets|events, and market|event|price in format
 * (EXPORT_*, lib/export.h), as for the other engines [--all] [--where
 * EXPR] [--run ID] [--limit N]; group, retry and result are refused:
 * groups are not stored in ClickHouse. */
int store_ch_export(const char *url, const char *target, const char *what,
    int format, int all, struct jqf *where, const char *run_id,
    const char *closed_since, unsigned long limit);

/* --prune-before DATE [-N]: the raw_responses rows fetched before date
 * (a date or an RFC 3339 time) that no market, event, price, trade or
 * book row names go, by ALTER TABLE ... DELETE (on each shard's table in
 * a cluster), waited for up to PM_DB_TIMEOUT; dry: only counted. */
int store_ch_prune(const char *url, const char *target, const char *before,
    int dry);

/* --schema clickhouse [--cluster NAME]: url NULL prints the SQL; else
 * every server url names is brought to the latest version (cluster, when
 * given, must be the URL's cluster= or stand in for it). */
int store_ch_schema(const char *url, const char *target, const char *cluster);

/*
 * The run lock's connection (lib/lease.c, pm-summary --hold): every server
 * url names opened and brought to the latest schema, as pm-store does;
 * *first is the URL's first server, where the lock is taken.  NULL after a
 * message.  store_ch_lease_close() closes them all.
 */
struct chdb;
struct ch;
struct chdb *store_ch_lease_open(const char *url, struct ch **first);
void store_ch_lease_close(struct chdb *d);
/* 1 when url names a cluster (?cluster=): writes through its Distributed
 * tables want insert_distributed_sync=1 to be there when they return. */
int store_ch_lease_cluster(const struct chdb *d);

#endif
