/*
 * store_pg.c - PostgreSQL's bulk path (see store_impl.h): the rows of a
 * batch's payloads, observations, markets with their contracts, tags and
 * prices go to their tables as the array parameters of one statement a
 * table and chunk of rows, sent without waiting (db_send), so the server
 * writes one chunk while the next is read.  No temporary table: nothing
 * is written twice, nothing is made per transaction behind a pooler.
 *
 * A market's contracts go in its market's statement, and only when the
 * market's row was inserted or changed (as on SQLite); the contracts it
 * no longer has are deleted there too.  Within a statement the rows are
 * taken in key order (two writers lock rows in the same order) and each
 * key once (the last wins), as the COPY path did.  A batch holds each
 * key of markets, payloads and prices once (bulk_seen), so their rows
 * are neither sorted out nor numbered on the server: their statement
 * returns the keys it inserted or changed, and the store finds their
 * entries by key (a set per table and batch).
 *
 * The keys are kept per batch: the answers of a batch whose COMMIT is in
 * flight (store.c) come while the next batch is sent, and go to its
 * entries (s->fly), the open batch's to s->ent.
 *
 * Ownership: struct pgbulk hangs off the store (s->pgb), its arrays own
 * their bytes; the rows of a transaction left unsent when it failed are
 * dropped when the next one copies its first row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "store_impl.h"
#include "strset.h"

#define CHUNK	250	/* rows of a table (markets: markets) a statement */
#define POLL	32	/* rows between looks at the connection */

/* A market's tags are written only when the market's row was (as on
 * SQLite: an older fetch leaves both as they are, store_tbl.c).  They go
 * in a statement after the markets', so each carries its market's key
 * and fetch time, and is written when that row holds that fetch time. */
#define NOWN	3
#define OWN_COLS ", unnest(?%d::text[]) AS m_source, " \
	"unnest(?%d::text[]) AS m_id, unnest(?%d::text[]) AS m_fetched"
#define OWN_SQL	" WHERE EXISTS (SELECT FROM markets m WHERE " \
	"m.source = u.m_source AND m.market_id = u.m_id AND " \
	"m.fetched_at IS NOT DISTINCT FROM u.m_fetched)"

struct pgtab {
	struct db_stmt	*st;		/* NULL: not bulk, or sent with another */
	struct db_array	 seq, col[MAXCOL];
	struct db_array	 own[NOWN];	/* tags: their market's (OWN_SQL) */
	size_t		 rows;
	int		 status;	/* its answer says inserted or updated */
};

/* A batch's keys of a status table, in order, and the entry of each. */
struct pgkeys {
	struct store	*s;
	int		 side;		/* of pgbulk's k */
	struct strset	*keys;
	size_t		*kseq;
	size_t		 nkseq, capkseq;
};

struct pgbulk {
	struct pgtab	 t[T_COUNT];
	struct pgkeys	 k[2][T_COUNT];	/* k[cur]: the open batch's */
	int		 cur;
	unsigned long	 txn;		/* of the rows held */
	unsigned	 npoll;
};

static const char *const tname[] = { [DB_A_BLOB] = "bytea",
    [DB_A_INT] = "int8", [DB_A_TEXT] = "text", [DB_A_DOUBLE] = "float8" };

/* The array type of a column: from its JSON type, or for the columns the
 * store fills, from its name. */
static unsigned
col_type(const struct col *c)
{
	if (!(c->flags & F_X))
		return c->type == C_NUM ? DB_A_DOUBLE : c->type == C_INT ||
		    c->type == C_BOOL ? DB_A_INT : DB_A_TEXT;
	if (strcmp(c->sql, "outcome_index") == 0)
		return DB_A_INT;
	if (strcmp(c->sql, "payload") == 0 || strcmp(c->sql, "dict") == 0)
		return DB_A_BLOB;
	return DB_A_TEXT;
}

/* (SELECT unnest(?n::type[]) AS seq, unnest(...) AS column, ...) AS
 * alias, parameters from *n: the arrays in step, in the select list,
 * where the executor takes them a row at a time (unnest in FROM stores
 * every row in a tuplestore first).  Tags: their markets' too. */
static void
source(struct buf *b, enum tbl id, int seq, const char *alias, int *n)
{
	const struct table *t = &store_tables[id];
	int i;

	buf_adds(b, "(SELECT ");
	if (seq)
		buf_printf(b, "unnest(?%d::int8[]) AS seq, ", (*n)++);
	for (i = 0; i < t->ncols; i++)
		buf_printf(b, "%sunnest(?%d::%s[]) AS %s", i ? ", " : "", (*n)++,
		    tname[col_type(&t->cols[i])], t->cols[i].sql);
	if (id == T_TAGS) {
		buf_printf(b, OWN_COLS, *n, *n + 1, *n + 2);
		*n += NOWN;
	}
	buf_printf(b, ") AS %s", alias);
}

/* INSERT INTO t (...) SELECT [DISTINCT ON (keys)] ... FROM from ORDER BY
 * keys (each once, the last wins, unless uniq: each is there once) or
 * seq, and the conflict clause. */
static void
insert(struct buf *b, enum tbl id, const char *from, int seq, int uniq)
{
	const struct table *t = &store_tables[id];

	buf_printf(b, "INSERT INTO %s (", t->name);
	tbl_cols_list(b, t, 0, "");
	buf_adds(b, ") SELECT ");
	if (tbl_has(t, F_KEY) && !uniq) {
		buf_adds(b, "DISTINCT ON (");
		tbl_cols_list(b, t, F_KEY, "");
		buf_adds(b, ") ");
	}
	tbl_cols_list(b, t, 0, "");
	buf_printf(b, " FROM %s ORDER BY ", from);
	if (tbl_has(t, F_KEY)) {
		tbl_cols_list(b, t, F_KEY, "");
		buf_adds(b, seq ? ", seq DESC" : "");
	} else
		buf_adds(b, "seq");
	if (id == T_RAW)	/* the key index alone: the id is new */
		buf_adds(b, " ON CONFLICT (sha256, COALESCE(fetched_at, ''), "
		    "COALESCE(endpoint, ''), COALESCE(url, '')) DO NOTHING");
	else
		tbl_conflict(b, id);
}

/* A table whose rows say whether they were new (markets, payloads,
 * prices): the key of each row inserted or changed, and which. */
static void
with_status(struct buf *b, enum tbl id, int *n)
{
	const struct table *t = &store_tables[id];
	struct buf from;

	buf_init(&from, 0);
	source(&from, id, 0, "u", n);
	buf_adds(b, "WITH ins AS (");
	insert(b, id, from.data ? from.data : "", 0, 1);
	buf_release(&from);
	buf_adds(b, " RETURNING ");
	tbl_cols_list(b, t, F_KEY, "");
	buf_adds(b, tbl_has(t, F_CMP) ? ", (xmax = 0) AS fresh)" :
	    ", true AS fresh)");
	if (id == T_MARKETS) {	/* the contracts of the markets that moved */
		buf_adds(b, ", csrc AS MATERIALIZED (SELECT * FROM ");
		source(b, T_CONTRACTS, 0, "c", n);
		buf_adds(b, "), con AS (");
		insert(b, T_CONTRACTS, "csrc WHERE EXISTS (SELECT FROM ins "
		    "WHERE ins.source = csrc.source AND "
		    "ins.market_id = csrc.market_id)", 0, 1);
		buf_adds(b, "), cut AS (DELETE FROM contracts x USING "
		    "(SELECT ins.source, ins.market_id, count(csrc.market_id) "
		    "AS n FROM ins LEFT JOIN csrc ON csrc.source = ins.source "
		    "AND csrc.market_id = ins.market_id WHERE NOT ins.fresh "
		    "GROUP BY 1, 2) k WHERE x.source = k.source AND "
		    "x.market_id = k.market_id AND x.outcome_index >= k.n)");
	}
	buf_adds(b, " SELECT ");
	tbl_cols_list(b, t, F_KEY, "");
	buf_adds(b, ", fresh FROM ins");
}

static int
prepare_one(struct store *s, enum tbl id)
{
	struct pgtab *pt = &s->pgb->t[id];
	struct buf *b = &s->sql;
	int n = 1;

	buf_reset(b);
	pt->status = id == T_PAYLOADS || id == T_MARKETS || id == T_PRICES;
	if (pt->status)
		with_status(b, id, &n);
	else {
		buf_adds(b, "WITH src AS (SELECT * FROM ");
		source(b, id, 1, "u", &n);
		buf_adds(b, id == T_TAGS ? OWN_SQL ") " : ") ");
		insert(b, id, "src", 1, 0);
	}
	if (b->data == NULL)
		return -1;
	return (pt->st = db_prepare(s->db, b->data)) == NULL ? -1 : 0;
}

int
pgb_prepare(struct store *s)
{
	int i, j;

	if ((s->pgb = calloc(1, sizeof *s->pgb)) == NULL)
		return -1;
	for (i = 0; i < T_COUNT; i++) {
		s->pgb->k[0][i] = (struct pgkeys){ .s = s, .side = 0 };
		s->pgb->k[1][i] = (struct pgkeys){ .s = s, .side = 1 };
		db_array_init(&s->pgb->t[i].seq);
		for (j = 0; j < MAXCOL; j++)
			db_array_init(&s->pgb->t[i].col[j]);
		for (j = 0; j < NOWN; j++)
			db_array_init(&s->pgb->t[i].own[j]);
	}
	for (i = 0; i < T_COUNT; i++)
		if (store_tables[i].bulk && i != T_CONTRACTS &&
		    prepare_one(s, (enum tbl)i) == -1)
			return -1;
	return 0;
}

void
pgb_free(struct store *s)
{
	int i, j;

	if (s->pgb == NULL)
		return;
	for (i = 0; i < T_COUNT; i++) {
		db_finalize(s->pgb->t[i].st);
		db_array_release(&s->pgb->t[i].seq);
		for (j = 0; j < MAXCOL; j++)
			db_array_release(&s->pgb->t[i].col[j]);
		for (j = 0; j < NOWN; j++)
			db_array_release(&s->pgb->t[i].own[j]);
		for (j = 0; j < 2; j++) {
			strset_free(s->pgb->k[j][i].keys);
			free(s->pgb->k[j][i].kseq);
		}
	}
	free(s->pgb);
	s->pgb = NULL;
}

static void
clear(struct store *s, enum tbl id)
{
	struct pgtab *pt = &s->pgb->t[id];
	int i;

	db_array_reset(&pt->seq, DB_A_INT);
	for (i = 0; i < store_tables[id].ncols; i++)
		db_array_reset(&pt->col[i], col_type(&store_tables[id].cols[i]));
	for (i = 0; i < NOWN; i++)
		db_array_reset(&pt->own[i], DB_A_TEXT);
	pt->rows = 0;
	s->ts[id].copied = 0;
}

/* The batch's keys of a table forgotten (its answers are read). */
static void
keys_reset(struct pgkeys *pt)
{
	strset_free(pt->keys);
	pt->keys = NULL;
	pt->nkseq = 0;
}

/* A key's columns (text) joined: the set's name of a row.  Its length,
 * or -1 when it cannot be (a key column not text, or too long). */
static int
key_join(char *out, size_t cap, const char *const *p, const size_t *n,
    int nk)
{
	size_t len = 0;
	int i;

	for (i = 0; i < nk; i++) {
		if (p[i] == NULL || len + n[i] + 1 > cap)
			return -1;
		memcpy(out + len, p[i], n[i]);
		len += n[i];
		out[len++] = 0x1f;
	}
	return (int)len;
}

/* Row v of a status table, for entry seq: its key into the batch's set
 * (each key is there once: bulk_seen). */
static int
key_add(struct pgkeys *pt, const struct table *t, const struct val *v,
    size_t seq)
{
	char k[4 * (KEY_MAX + 1)];
	const char *p[4];
	size_t n[4], *ns;
	long ix;
	int i, nk = 0, len;

	for (i = 0; i < t->ncols && nk < 4; i++)
		if (t->cols[i].flags & F_KEY) {
			p[nk] = v[i].t == V_TEXT ? v[i].s : NULL;
			n[nk++] = v[i].n;
		}
	if ((len = key_join(k, sizeof k, p, n, nk)) == -1)
		return DB_ERR;
	if ((pt->keys == NULL && (pt->keys = strset_new()) == NULL) ||
	    (ix = strset_index(pt->keys, k, (size_t)len)) == -1)
		return DB_ERR;
	if ((size_t)ix >= pt->capkseq) {
		if ((ns = realloc(pt->kseq, (pt->capkseq * 2 + 256) *
		    sizeof *ns)) == NULL)
			return DB_ERR;
		pt->kseq = ns;
		pt->capkseq = pt->capkseq * 2 + 256;
	}
	pt->kseq[ix] = seq;
	if ((size_t)ix >= pt->nkseq)
		pt->nkseq = (size_t)ix + 1;
	return DB_DONE;
}

/* A row of the answer: its key columns, then whether it is new; the
 * entry of that key (of the open batch, or the one in flight) was
 * inserted, or changed. */
static void
answer(void *arg, int nc, const char *const *val)
{
	struct pgkeys *pt = arg;
	struct store *s = pt->s;
	int open = pt->side == s->pgb->cur;
	struct entry *ent = open ? s->ent : s->fly.ent;
	char k[4 * (KEY_MAX + 1)];
	size_t n[4], seq;
	long ix;
	int i, len;

	if (nc < 2 || nc > 5 || pt->keys == NULL)
		return;
	for (i = 0; i < nc - 1; i++)
		n[i] = val[i] ? strlen(val[i]) : 0;
	if ((len = key_join(k, sizeof k, val, n, nc - 1)) == -1 ||
	    (ix = strset_index(pt->keys, k, (size_t)len)) == -1 ||
	    (size_t)ix >= pt->nkseq)
		return;	/* not a key of the batch: cannot be */
	seq = pt->kseq[ix];
	if (seq < (open ? s->nent : s->fly.nent))
		ent[seq].status = val[nc - 1] && *val[nc - 1] == 't' ?
		    ST_INSERTED : ST_UPDATED;
}

static int
bind_table(struct db_stmt *st, struct pgtab *pt, enum tbl id, int seq,
    int *n)
{
	int i;

	if (seq && db_bind_array(st, (*n)++, &pt->seq) == -1)
		return -1;
	for (i = 0; i < store_tables[id].ncols; i++)
		if (db_bind_array(st, (*n)++, &pt->col[i]) == -1)
			return -1;
	for (i = 0; id == T_TAGS && i < NOWN; i++)
		if (db_bind_array(st, (*n)++, &pt->own[i]) == -1)
			return -1;
	return 0;
}

/* The rows held for table id (a market's with its contracts), sent. */
static int
send_table(struct store *s, enum tbl id)
{
	struct pgtab *pt = &s->pgb->t[id];
	int n = 1, rc;

	if (pt->rows == 0)
		return DB_DONE;
	if (bind_table(pt->st, pt, id, !pt->status, &n) == -1 ||
	    (id == T_MARKETS && bind_table(pt->st, &s->pgb->t[T_CONTRACTS],
	    T_CONTRACTS, 0, &n) == -1))
		rc = DB_ERR;
	else
		rc = db_send(pt->st, pt->status ? answer : NULL,
		    &s->pgb->k[s->pgb->cur][id]);
	clear(s, id);
	if (id == T_MARKETS)
		clear(s, T_CONTRACTS);
	return rc;
}

static int
put_val(struct db_array *a, const struct val *v)
{
	char num[40];
	int n;

	switch (v->t) {
	case V_NULL:
		return db_array_add(a, NULL, 0);
	case V_INT:
		if (a->type == DB_A_INT)
			return db_array_int(a, v->i);
		if (a->type == DB_A_DOUBLE)
			return db_array_double(a, (double)v->i);
		n = snprintf(num, sizeof num, "%lld", (long long)v->i);
		return db_array_add(a, num, (size_t)n);
	case V_DBL:
		if (a->type == DB_A_DOUBLE)
			return db_array_double(a, v->d);
		if (a->type != DB_A_TEXT)
			return -1;
		n = snprintf(num, sizeof num, "%.17g", v->d);
		return db_array_add(a, num, (size_t)n);
	case V_TEXT:
	case V_BLOB:
		if (a->type != DB_A_TEXT && a->type != DB_A_BLOB)
			return -1;
		return db_array_add(a, v->s, v->n);
	}
	return -1;
}

/* One row (v, as stored) of table id for entry seq: held, and sent with
 * its chunk; a tag with its market's source, market_id and fetched_at
 * (own, as stored). */
int
pgb_row(struct store *s, enum tbl id, const struct val *v,
    const struct val *own, size_t seq)
{
	struct pgtab *pt = &s->pgb->t[id];
	int i, rc;

	if (s->pgb->txn != s->txn) {	/* a new transaction: drop the rest */
		for (i = 0; i < T_COUNT; i++) {
			clear(s, (enum tbl)i);
			keys_reset(&s->pgb->k[s->pgb->cur][i]);
		}
		s->pgb->txn = s->txn;
	}
	/* a market's contracts go in its chunk: a full chunk goes before
	 * the next market, not after */
	if (id == T_MARKETS && pt->rows >= CHUNK &&
	    (rc = send_table(s, T_MARKETS)) != DB_DONE)
		return rc;
	if (pt->status ? key_add(&s->pgb->k[s->pgb->cur][id], &store_tables[id],
	    v, seq) == DB_ERR :
	    db_array_int(&pt->seq, (int64_t)seq) == -1)
		return DB_ERR;
	for (i = 0; i < store_tables[id].ncols; i++)
		if (put_val(&pt->col[i], &v[i]) == -1)
			return DB_ERR;	/* out of memory, or a type mismatch */
	for (i = 0; id == T_TAGS && i < NOWN; i++)
		if (put_val(&pt->own[i], own ? &own[i] : &(struct val){ 0 }) ==
		    -1)
			return DB_ERR;
	pt->rows++;
	s->ts[id].copied++;
	/* tags after the markets held: each looks its market's row up */
	if (id == T_TAGS && pt->rows >= CHUNK &&
	    (rc = send_table(s, T_MARKETS)) != DB_DONE)
		return rc;
	if (id != T_MARKETS && id != T_CONTRACTS && pt->rows >= CHUNK &&
	    (rc = send_table(s, id)) != DB_DONE)
		return rc;
	if (++s->pgb->npoll % POLL == 0)
		return db_poll(s->db);
	return DB_DONE;
}

/* The batch's rows all sent, their answers not waited for. */
int
pgb_send(struct store *s)
{
	static const enum tbl order[] = { T_PAYLOADS, T_RAW, T_MARKETS,
	    T_TAGS, T_PRICES };
	size_t i;
	int rc = DB_DONE;

	if (s->pgb == NULL || s->pgb->txn != s->txn)
		return DB_DONE;	/* SQLite, or nothing held for this transaction */
	for (i = 0; i < sizeof order / sizeof order[0] && rc == DB_DONE; i++)
		rc = send_table(s, order[i]);
	for (i = 0; i < T_COUNT; i++)
		clear(s, (enum tbl)i);
	return rc;
}

/* The batch's rows all sent, every answer read. */
int
pgb_flush(struct store *s)
{
	int i, rc;

	if (s->pgb == NULL || s->pgb->txn != s->txn)
		return DB_DONE;
	if ((rc = pgb_send(s)) != DB_DONE)
		(void)db_wait(s->db);
	else
		rc = db_wait(s->db);
	for (i = 0; i < T_COUNT; i++)
		keys_reset(&s->pgb->k[s->pgb->cur][i]);
	return rc;
}

/* store.c swapped the open batch and the one in flight: the answers
 * follow their batch; the new open one's keys are those of a batch whose
 * answers are all read. */
void
pgb_swap(struct store *s)
{
	int i;

	if (s->pgb == NULL)
		return;
	s->pgb->cur ^= 1;
	for (i = 0; i < T_COUNT; i++)
		keys_reset(&s->pgb->k[s->pgb->cur][i]);
}
