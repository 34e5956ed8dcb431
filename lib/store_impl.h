/*
 * store_impl.h - what the parts of the store (store.c: batches and runs;
 * store_tbl.c: tables and their SQL; store_kinds.c: one function per
 * record kind; store_io.c: --new-only and --export) share.  Not for tools.
 *
 * Ownership: everything hangs off struct store (see store.h).  A struct
 * val borrows its text from the parsed record or from the store's
 * scratch buffers, valid until the next extraction.
 */
#ifndef PM_STORE_IMPL_H
#define PM_STORE_IMPL_H

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "json.h"
#include "store.h"
#include "store_tbl.h"
#include "timefmt.h"
#include "zpack.h"

enum kind { K_RAW, K_MARKET, K_EVENT, K_PRICE, K_GROUP, K_RUN, K_FAILURE,
	K_SKIP, K_TRADE, K_BOOK, K_END, K_BADLINE, K_BAD };
enum status { ST_NONE, ST_INSERTED, ST_UPDATED, ST_UNCHANGED, ST_DUPLICATE,
	ST_SKIPPED, ST_FAILED };

/* Column types, as read from JSON. */
/* C_TIME: a string, a time as pm-records(5) has them (ts_is_utc);
 * TIME_IS ends the complaint about one that is not. */
#define TIME_IS "a time (RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.fff]Z)"
/* C_DATE: a string, a day as run records have one (date_is_ymd). */
#define DATE_IS "a date (YYYY-MM-DD)"
enum { C_STR = 1, C_ID, C_NUM, C_BOOL, C_INT, C_JSON, C_ANY, C_TIME,
	C_DATE };
#define F_KEY	0x01	/* part of the conflict key (required) */
#define F_CMP	0x02	/* a change here is an update */
#define F_NOUPD	0x04	/* written on insert only (first_seen_at) */
#define F_X	0x08	/* not from the record: the caller fills it */
#define F_REQ	0x10	/* must be present and not null */
#define F_NEWER	0x20	/* a row is replaced only by a record not older:
			   this time (fetched_at) not before the row's */
#define F_KEEP	0x40	/* null or missing keeps the stored value (a run's
			   start members an end record leaves out) */

struct col {
	const char	*json;
	const char	*sql;
	int		 type;
	int		 flags;
};

struct table {
	const char		*name;
	const struct col	*cols;
	int			 ncols;
	int			 bulk;	/* PostgreSQL takes it in bulk (store_pg.c) */
};

enum { V_NULL, V_TEXT, V_INT, V_DBL, V_BLOB };
struct val {
	int		 t;
	const char	*s;
	size_t		 n;
	int64_t		 i;
	double		 d;
};

/* Column values: text (NULL p: null), a C string (NULL: null), an int. */
static inline struct val
vtext(const char *p, size_t n)
{
	return (struct val){ .t = p ? V_TEXT : V_NULL, .s = p, .n = n };
}

static inline struct val
vstr(const char *p)
{
	return vtext(p, p ? strlen(p) : 0);
}

static inline struct val
vint(int64_t i)
{
	return (struct val){ .t = V_INT, .i = i };
}

#define MAXCOL 40
#define NJBUF 4

struct entry {
	size_t		 off, len;	/* the record's text in s->text */
	const char	*file;
	unsigned long	 line;
	int		 kind, status;
	const char	*reason;	/* failure reason when failed */
	char		*key;		/* event_key of a skip or failure */
	char		*market_id;	/* of a failure */
	char		 detail[200];
};

/* The rows of a record's array (a market's contracts, its tags), each
 * ncols values as tbl_extract fills them, borrowed like theirs. */
struct vrows {
	struct val	*v;
	size_t		 n, cap;
};

struct tstmt {
	struct db_stmt	*put;	/* the upsert */
	unsigned long	 copied;	/* PostgreSQL: rows queued (store_pg.c) */
};

/* A batch whose COMMIT is in flight (store.c): its records and their
 * entries, as the open batch's in struct store.  SQLite's: its ops,
 * payloads and COMMIT queued to the writer thread. */
struct batch {
	struct buf	 text;
	struct entry	*ent;
	size_t		 nent, cap, nbadline;
};

struct store {
	struct db	*db;		/* NULL: dry run */
	const char	*target;
	const char	*no_groups;	/* a group fails so (a dry run for
					 * ClickHouse), NULL: it is stored */
	json_parser	*jp;
	size_t		 max_line;
	struct buf	 text;		/* the open batch's records */
	struct entry	*ent;
	size_t		 nent, cap;
	size_t		 nbadline;	/* entries of nent that are bad lines */
	struct batch	 fly;		/* the batch before, its COMMIT in
					 * flight */
	int		 fly_rc;	/* its COMMIT failed to go */
	uint64_t	*keys;		/* bulk keys of the batch (hash set) */
	size_t		 nkeys;
	struct buf	 canon, content, sql, jbuf[NJBUF];
	struct buf	 packed, rebuilt;	/* a payload packed, a record
					 * made again from its columns */
	struct zpack	*zp;
	struct workq	*zq;		/* SQLite: payloads packed by a thread */
	struct zgroup	*zfill;		/* the payloads it gets next */
	char		*zends[8];	/* endpoints whose dictionary is loaded */
	struct db_stmt	*xhaspay;	/* SQLite: is the payload kept */
	struct db_stmt	*xdictof;	/* an endpoint's newest dictionary */
	unsigned long	 txn;		/* batch transactions opened */
	unsigned long	 dict_txn[8];	/* when each dictionary of */
	char		 dict_put[8][ZPACK_IDLEN + 1];	/* was last written */
	struct db_stmt	*xtrim;		/* contracts a market no longer has */
	struct db_stmt	*xgrew;		/* a processed group's n_markets grows */
	struct pgbulk	*pgb;		/* PostgreSQL's batch (store_pg.c) */
	int		 njbuf;
	struct tstmt	 ts[T_COUNT];
	struct vrows	 mc, mt;	/* the market's contracts and tags */
	int		 mc_array;	/* its contracts were an array */
	struct awriter	*aw;		/* SQLite: the writer thread */
	int		*astat;		/* statuses it sets, by entry (-1:
					 * none), nastat of them: the open
					 * batch's, */
	int		*fstat;		/* the batch in flight's */
	size_t		 nastat;
	int		*wstat;		/* the writer thread's: of the batch
					 * it is on, */
	char		 wnow[TS_MAX];	/* and that batch's time */
	int		 aw_off;	/* recovering: every row in line */
	struct db_stmt	*xrun, *xrunend, *xrunfin;
	struct db_stmt	*xrunclose, *xrunget;	/* a run ended at the input's
						 * end, unless it had ended */
	struct db_stmt	*xretry;	/* a failed result replaced */
	struct db_stmt	*xretrym;	/* and its markets' lead times */
	struct quotes	*quotes;	/* the batch's (store_quote.c) */
	unsigned	 pg_ready;	/* db generation + 1 of the session set */
	char		*run_id;	/* the open run, owned */
	char		*run_text;	/* its start record, canonical, owned */
	char		 sha[65];	/* the hash of the row being written */
	struct store_counts total, run;
	int		 fatal;
	int		 in_txn;
	long		 txn_ms;	/* ts_mono_ms() when in_txn was set */
	int		 last_status;	/* of the last record written out */
	int		 pending;	/* the error an apply hit, for flush */
	unsigned long	 upstream_failures;	/* failure records in this run */
	int		 end_due;	/* store_end_due() of its start */
	int		 input_cut;	/* the input not read to its end */
	const char	*end_as;	/* its end's status as stored, when not
					 * the record's (store_end_lost) */
	char		 end_kept[32];	/* its status, ended before */
	char		 now[TS_MAX];
};

/* store_tbl.c */
extern const struct table store_tables[T_COUNT];
int tbl_prepare(struct store *s);
void tbl_release(struct store *s);
int tbl_extract(struct store *s, enum tbl t, const json_val *obj,
    struct val *v, char *err, size_t errlen);
int tbl_put(struct store *s, enum tbl t, struct val *v, int *status);
int tbl_copy(struct store *s, enum tbl t, const struct val *v, size_t seq);
int tbl_copy_tag(struct store *s, const struct val *tag,
    const struct val *market, size_t seq);
int tbl_bulk(struct store *s, struct entry *ent, size_t nent);
/* The same, without waiting for PostgreSQL's answers (db_commit_send
 * follows). */
int tbl_bulk_send(struct store *s);
int bind_one(struct db_stmt *st, int i, const struct val *v);
/* a row's columns 1.. as stored (long keys short, key.h), bound and
 * the statement stepped: the short keys live only in the call */
int tbl_bind_step(struct db_stmt *st, enum tbl t, const struct val *v);
/* Is v, of column c, a key stored in its short form (a long key)? */
int tbl_key_shortened(const struct col *c, const struct val *v);
int tbl_pg_session(struct store *s);
int tbl_trim_contracts(struct store *s, const struct val *mv, int64_t n);
int tbl_event_grew(struct store *s, const char *key, unsigned long markets);
int tbl_payload(struct store *s, const struct val *sha, const char *endpoint,
    const char *p, size_t n, size_t seq, int *status);
/* SQLite: payloads queued for the packing thread, written (before the
 * batch commits: tbl_bulk does), or dropped with a rolled back batch. */
int tbl_payloads_write(struct store *s, int wait);
void tbl_payloads_drop(struct store *s);
void tbl_conflict(struct buf *b, enum tbl t);
/* A table's column names joined as "c1, c2" (pre before each), those
 * with a flag of want only when want is not 0; whether any has flag. */
void tbl_cols_list(struct buf *b, const struct table *t, int want,
    const char *pre);
int tbl_has(const struct table *t, int flag);

/* store_pg.c: PostgreSQL's bulk rows, sent in chunks while the batch is
 * read; pgb_flush() sends the rest and reads every answer. */
int pgb_prepare(struct store *s);
void pgb_free(struct store *s);
int pgb_row(struct store *s, enum tbl t, const struct val *v,
    const struct val *own, size_t seq);
int pgb_flush(struct store *s);
/* pgb_send() sends the rest without waiting; pgb_swap() follows store.c
 * swapping the open batch and the one in flight (NULL-safe). */
int pgb_send(struct store *s);
void pgb_swap(struct store *s);

/* store_kinds.c: room for need values in *v, an array of *cap grown by
 * doubling; 0, or -1 out of memory (*v left as it was). */
int vals_reserve(struct val **v, size_t *cap, size_t need);
/* store_kinds.c: a checked market's row (v), then, unless it was there
 * unchanged, its contracts and tags rows; *status as tbl_put's. */
int market_write(struct store *s, struct val *v, const struct vrows *cs,
    const struct vrows *tags, int flags, size_t seq, int *status);

/* store_aw.c: SQLite's writer thread.  aw_new() starts it for batches of
 * up to nent entries (-1: out of memory; aw_free() then).  aw_market()
 * and aw_raw() copy a checked record's rows (entry seq) and queue them;
 * aw_wait() returns when the thread is idle, with its first error since
 * the last wait (DB_DONE, DB_ERR, DB_BUSY); aw_statuses() sets the
 * batch's entries (fly: the batch in flight's) to the statuses the thread
 * found, after aw_wait() (fly: aw_committed()).  A full batch goes in
 * flight without waiting: aw_commit() queues its end (its payloads, then
 * COMMIT) behind its ops; aw_begin() has the thread BEGIN the next batch
 * before its first op; aw_committed() waits for the end queued last and
 * returns its outcome (an error there stops the thread's work until the
 * next aw_wait()).  aw_free() waits, then stops the thread (NULL-safe). */
int aw_new(struct store *s, size_t nent);
int aw_market(struct store *s, size_t seq, const struct val *v,
    const struct vrows *cs, const struct vrows *tags);
int aw_raw(struct store *s, size_t seq, const struct val *v,
    const char *endpoint, const char *p, size_t n);
int aw_wait(struct store *s);
int aw_begin(struct store *s);
int aw_commit(struct store *s);
int aw_committed(struct store *s);
void aw_statuses(struct store *s, int fly);
void aw_free(struct store *s);
static inline int
aw_on(const struct store *s)
{
	return s->aw && !s->aw_off;
}

/* store_rec.c: a market or event record made again from its columns
 * (v, as tbl_extract fills them) and, for a market, its contracts rows
 * (nc of them, each CONTRACTS_NCOLS values); 0, or -1 out of memory. */
int rec_rebuild(struct buf *out, enum tbl t, const struct val *v,
    const struct val *contracts, size_t nc);
/* Does the record whose canonical text is canon come back the same
 * from its columns (a market's contracts: s->mc, as its check kept
 * them)?  Then its record column is not needed. */
int rec_rebuildable(struct store *s, enum tbl t, const struct val *v,
    const struct buf *canon);
/* Is line[0..n), the record as read, the very text its columns give back
 * (as rec_rebuildable)?  Then it is its own canonical text: rec_rebuild
 * writes values as canon_json() does, and text either wrote reads back
 * and is written again the same.  1, and the hash of its content
 * (record_sha256: as canon_record would make it) into sha; or 0, and the
 * record is to be made canonical. */
int rec_is_line(struct store *s, enum tbl t, const struct val *v,
    const char *line, size_t n, char sha[65]);
/* store.c: a record's status into the counts; the record as it came,
 * annotated with its status, to standard output (pm-records(5)). */
void store_count(struct store_counts *c, int st);
void store_annotate(const char *p, size_t n, int st);
/* A run's status from its counts: failed, partial or completed. */
const char *store_run_status(const struct store_counts *c, int fatal,
    unsigned long upstream_failures);
/* 1 when a run's start record says an end record closes its stream
 * (end_record true: the dump's copy, pipelines.sh's); 0 else.  A run
 * whose end never came, so promised, was cut short: partial. */
int store_end_due(const json_val *start);
void store_end_missing(const char *run_id);
/* The input was not read to its end (a file that could not be read, an
 * output that failed): its open run missed records, partial, as said. */
void store_input_cut(const char *run_id);
/*
 * An end record of the open run after n of the run's records failed in
 * this input (each reported): the database does not have the run whole.
 * kept: the run's status when the database had it ended before this
 * input (its rows stored then), else NULL.  1: leave the run as it ended;
 * 0: store the end with *status, partial for completed (said).  *as: the
 * status the end record goes out with, when not its own.  Both engines
 * decide so (store_kinds.c, store_ch.c).
 */
int store_end_lost(const char *run_id, unsigned long n, const char *kept,
    const char **status, const char **as);
/* Whether the open run lost records here, and how the database has it
 * (store.c): 0 none lost, 1 not ended, 2 ended (s->end_kept), -1 error. */
int store_run_lost(struct store *);
/* store_annotate(), but with the record's status member said as status
 * (NULL: the record as it came). */
void store_annotate_as(json_parser *jp, const char *p, size_t n, int st,
    const char *status);
/* The run end record of a run whose start record is start (or NULL),
 * to standard output. */
void store_end_record(const json_val *start, const char *now,
    const char *status, const char *counts);

/* --export market (active: those still trading), markets, events: the
 * records, from their record column or made again from the rows of a
 * database at schema version v; the jq filter where (or NULL) keeps
 * some; active markets, with closed_since (or NULL) those closed whose
 * content was fetched at or after it too; what: the kind as the user
 * named it, for the messages; 0 or -1. */
struct jqf;
int rec_export(struct db *db, int v, const char *what, enum tbl t, int active,
    struct jqf *where, const char *run_id, const char *closed_since,
    unsigned long limit, unsigned long *count);
/* A stored record column that is not one JSON object (put in or damaged
 * by hand) is said, naming what (a key), and not written out: the next
 * stage would refuse the line.  0 when it is one, else -1. */
int rec_stored_ok(json_parser *jp, const char *what, const char *key,
    const char *p, size_t n);
/* A watermark (trades_since, history_since) added to the exported market
 * record in b: newest (n bytes, a stored trade's or history point's
 * time) less an overlap; nothing when newest is empty or not a time. */
void rec_add_since(struct buf *b, const char *key, const char *newest,
    size_t n);
/* b back to its first n bytes, the record before its watermarks, when
 * they made it longer than the line cap. */
void rec_since_fit(struct buf *b, size_t n);
int canon_json(struct buf *b, const json_val *v, int top);
int canon_record(struct buf *b, struct buf *content, const json_val *v);

/* store_quote.c: a price record's quote (v as tbl_extract fills
 * T_PRICES) kept for the batch; the batch's quotes into contracts, in its
 * transaction after its rows (DB_DONE, DB_ERR, DB_BUSY); the batch's
 * quotes forgotten (a rollback); everything freed. */
int quote_add(struct store *s, const struct val *v);
int quote_flush(struct store *s);
void quote_reset(struct store *s);
size_t quote_count(const struct store *s);
void quote_free(struct store *s);
/* store_kinds.c: kind_apply() returns DB_DONE with e->status set, or
 * DB_ERR / DB_BUSY from the database; a bad record is DB_DONE, failed. */
int kind_apply(struct store *s, struct entry *e, const json_val *root,
    size_t seq);
int kind_of(const char *k, size_t n);
void entry_fail(struct entry *e, const char *reason, const char *detail);
int fail_row(struct store *s, struct entry *e);
const char *status_name(int st);

/* The delta flow's watermark (pm-store --last-run), in the SQL of every
 * engine: a completed run, not one cut short by --limit (its run
 * record's options.limit set), which moved past what it never read. */
#define WATERMARK_RUN "status = 'completed' AND started_at IS NOT NULL " \
	"AND (options IS NULL OR options NOT LIKE '%\"limit\":%' OR " \
	"options LIKE '%\"limit\":null%')"

#endif
