/* score.c - forecast scores against resolved markets (see score.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "jw.h"
#include "key.h"
#include "msg.h"
#include "schema.h"
#include "score.h"
#include "sha.h"
#include "timefmt.h"

#define MAXK		64	/* outcomes of one market we score */
#define RESOLVED_EPS	1e-3	/* a final price is within this of 1 or 0 */
#define SUM_EPS		1e-9	/* probabilities summing to 1, but for
				 * rounding (0.1 + 0.2 + 0.7) */

/* Lead-time buckets, in days: [0,1) [1,3) [3,6) [6,8) [8,inf).  The
 * default daily cohort (7 days ahead, run at 07:00) falls in [6,8). */
static const double lead_lo[] = { 0, 1, 3, 6, 8 };
#define NLEAD	(int)(sizeof lead_lo / sizeof lead_lo[0])

/* A market as stored now (outcomes, final prices) or as the experiment
 * saw it (processed_contracts): names owned, freed by mkt_release(). */
struct mkt {
	int	 k, winner;	/* winner: -1 unless resolved */
	double	 o[MAXK];	/* resolved: each outcome's value, 1/0, or
				 * 0.5 each in a 50/50 */
	char	*name[MAXK];
	double	 p[MAXK];
	int	 has[MAXK];
};

/* One market scored: the forecast's Brier score and log loss, and the
 * reference's when it has one (ref). */
struct scored {
	double	 b, ll, rb, rll;
	int	 ref;
};

/* Sums over scored markets, to be averaged. */
struct sums {
	unsigned long	 markets;
	double		 brier, logloss;
	unsigned long	 ref_n;		/* markets with a reference price */
	double		 ref_brier, ref_logloss, paired_brier;
};

/* One variant as configured: an experiment id and a fingerprint. */
struct acc {
	char		*xid, *fp, *suite, *stage, *variant;
	unsigned long	 forecasts, pending;
	unsigned long	 invalid;	/* markets whose forecast is not one */
	unsigned long	 normalized;	/* scored, made to sum to 1 */
	struct sums	 all, lead[NLEAD];
	struct sums	 paired;	/* on the markets every variant scored */
	unsigned long	 no_lead;	/* scored, lead unknown */
	unsigned long	 after_close;	/* forecast after the close,
					 * resolved or not: not scored */
	unsigned long	*bn;		/* calibration: pairs per bucket */
	double		*bp, *bo;	/* sum of forecasts, of outcomes */
};

/*
 * A market one variant scored, kept for the paired comparison: its
 * event key and market id as the first 16 bytes of their SHA-256 (a
 * fixed size, whatever the keys' length), the variant (its index in
 * acc) and its scores: 64 bytes for each market each variant scored.
 */
struct mark {
	unsigned char	 d[16];
	uint32_t	 acc;
	unsigned char	 common, first;	/* every variant scored it; the
					 * first mark of it, in order */
	struct scored	 x;
};

struct scorer {
	struct db		*db;
	const struct score_opts	*o;
	struct db_stmt		*q_mkt, *q_ref, *q_lead, *q_res;
	char			**src;	/* the markets' sources, in order */
	size_t			 nsrc;
	json_parser		*jp;
	struct acc		*acc;
	size_t			 nacc, capacc;
	struct mark		*mk;	/* every market scored, in order */
	size_t			 nmk, capmk;
	struct sums		 pref;	/* the markets every variant scored,
					 * the reference on them, once each */
	char			*err;
	size_t			 errlen;
	int			 v;	/* the schema version */
};

static void
mkt_release(struct mkt *m)
{
	int i;

	for (i = 0; i < m->k; i++)
		free(m->name[i]);
	m->k = 0;
}

static int
dberr(struct scorer *s, const char *what)
{
	snprintf(s->err, s->errlen, "%s: %s", what, db_errmsg(s->db));
	return -1;
}

/* Rows of (outcome, price[, closed, resolution_status]) into m. */
static int
load_rows(struct scorer *s, struct db_stmt *st, struct mkt *m, int *closed,
    int *status_ok)
{
	const char *t;
	int rc;

	m->k = 0;
	m->winner = -1;
	while ((rc = db_step(st)) == DB_ROW) {
		if (m->k == MAXK)
			continue;
		t = db_col_text(st, 0, NULL);
		m->name[m->k] = strdup(t ? t : "");
		/* as a double: SQLite's text of a REAL has 15 digits only
		 * (1/3 read back as 0.333333333333333), PostgreSQL's all */
		m->has[m->k] = !db_col_null(st, 1);
		m->p[m->k] = m->has[m->k] ? db_col_double(st, 1) : 0;
		if (closed) {
			*closed = db_col_int(st, 2) == 1;
			t = db_col_text(st, 3, NULL);
			*status_ok = t == NULL || strcmp(t, "resolved") == 0;
		}
		if (m->name[m->k++] == NULL) {
			snprintf(s->err, s->errlen, "out of memory");
			db_reset(st);
			return -1;
		}
	}
	return rc == DB_DONE ? 0 : dberr(s, "contracts");
}

/* The resolution the store keeps (pm-records(5) market resolution):
 * 1 when it says, 0 when it has none (a row stored before it had, or a
 * database before schema 5, which keeps none: no q_res). */
static int
stored_resolution(struct scorer *s, const char *src, const char *id,
    struct mkt *m)
{
	const char *r, *w;
	int i, rc, known = 0;

	if (s->q_res == NULL)
		return 0;
	db_bind_str(s->q_res, 1, id);
	db_bind_str(s->q_res, 2, src);
	if ((rc = db_step(s->q_res)) != DB_ROW) {
		db_reset(s->q_res);
		return rc == DB_DONE ? 0 : -1;
	}
	r = db_col_text(s->q_res, 0, NULL);
	w = db_col_text(s->q_res, 1, NULL);
	if (r && strcmp(r, "outcome") == 0 && w) {
		for (i = 0; i < m->k; i++)
			if (strcmp(m->name[i], w) == 0) {
				m->winner = i;
				known = 1;
			}
	} else if (r && strcmp(r, "split") == 0 && m->k >= 2) {
		for (i = 0; i < m->k; i++)
			m->o[i] = 1.0 / m->k;
		m->winner = 0;	/* resolved; o says how */
		known = 2;
	}
	db_reset(s->q_res);
	if (known == 1)
		for (i = 0; i < m->k; i++)
			m->o[i] = i == m->winner;
	return known ? 1 : 0;
}

/* The market now: resolved as stored, else (a row from before
 * resolutions were stored) when closed with final prices 1 and 0.  A
 * result names a market by its id alone: it is looked up under each
 * source in turn (there is one, polymarket), the first that has it
 * taken, so that each look-up is one of the primary key (source,
 * market_id), not a scan of every market. */
static int
load_market(struct scorer *s, const char *id, struct mkt *m)
{
	int closed = 0, status_ok = 0, i, ones = 0, win = -1, r;
	size_t k;

	for (k = 0; k < s->nsrc; k++) {
		db_bind_str(s->q_mkt, 1, id);
		db_bind_str(s->q_mkt, 2, s->src[k]);
		if (load_rows(s, s->q_mkt, m, &closed, &status_ok) == -1)
			return -1;
		if (m->k > 0)
			break;
	}
	if (k == s->nsrc)
		return 0;	/* not stored (now): pending */
	if ((r = stored_resolution(s, s->src[k], id, m)) != 0)
		return r < 0 ? dberr(s, "markets") : 0;
	if (!closed || !status_ok || m->k < 2)
		return 0;
	for (i = 0; i < m->k; i++) {
		if (!m->has[i])
			return 0;
		if (m->p[i] >= 1 - RESOLVED_EPS)
			ones++, win = i;
		else if (m->p[i] > RESOLVED_EPS)
			return 0;
	}
	if (ones == 1)
		m->winner = win;
	for (i = 0; i < m->k; i++)
		m->o[i] = i == m->winner;
	return 0;
}

/* The prices the experiment saw, as a probability: normalised to sum 1.
 * Returns 1 when every outcome had one, else 0 (no reference): a price
 * that is negative or not finite (an Infinity put in by hand) is none,
 * or the reference scores would be NaN. */
static int
load_ref(struct scorer *s, const char *key, const char *id,
    const struct mkt *now, double *q)
{
	struct mkt r = { 0 };
	double sum = 0;
	int i, j, ok = 0;

	db_bind_str(s->q_ref, 1, key);
	db_bind_str(s->q_ref, 2, id);
	if (load_rows(s, s->q_ref, &r, NULL, NULL) == -1) {
		mkt_release(&r);
		return -1;
	}
	if (r.k == now->k) {
		ok = 1;
		for (i = 0; i < now->k; i++) {
			for (j = 0; j < r.k; j++)
				if (r.has[j] && strcmp(r.name[j], now->name[i]) == 0)
					break;
			if (j == r.k || !(r.p[j] >= 0 && isfinite(r.p[j]))) {
				ok = 0;
				break;
			}
			sum += q[i] = r.p[j];
		}
		if (ok && sum > 0)
			for (i = 0; i < now->k; i++)
				q[i] /= sum;
		ok = ok && sum > 0 && isfinite(sum);
	}
	mkt_release(&r);
	return ok;
}

/* The outcome of m that key names exactly (exact), or ignoring case;
 * -1 when none does. */
static int
outcome_index(const struct mkt *m, const char *key, size_t n, int exact)
{
	int i;

	for (i = 0; i < m->k; i++)
		if (strlen(m->name[i]) == n && (exact ?
		    memcmp(m->name[i], key, n) == 0 :
		    strncasecmp(m->name[i], key, n) == 0))
			return i;
	return -1;
}

/*
 * A forecast as one probability per outcome of m.  An object {outcome: p}
 * names outcomes exactly, else ignoring case (an exact name wins over one
 * that differs in case only, wherever it stands); a number is the first
 * outcome's probability, as pm-experiment(1) reads one.  The outcomes it
 * leaves out share what the others leave below 1.  Probabilities that
 * then do not sum to 1 are divided by their sum, as the reference's are:
 * scored as given, {Yes: 1, No: 1} would have a perfect log loss (1 when
 * so, else 0).  -1 when it is not
 * probabilities from 0 to 1 of the market's outcomes: not an object or a
 * number, a value not from 0 to 1, a name that is no outcome of m, one
 * named exactly twice, or twice in other cases and never exactly
 * ({"yes": .9, "YES": .2}), or none at all (counted as invalid, never
 * silently left out).
 */
static int
forecast_vec(const json_val *f, const struct mkt *m, double *p)
{
	json_iter it;
	json_val v;
	const char *key;
	size_t n;
	double d, sum = 0;
	int i, exact, given[MAXK] = { 0 }, ngiven = 0;

	if (f->type != JSON_OBJECT) {
		if (json_double(f, &d) == -1 || !(d >= 0 && d <= 1) ||
		    m->k < 1)
			return -1;
		p[0] = sum = d;
		given[0] = ngiven = 1;
	} else {
		json_iter_init(&it, f);
		while (json_iter_next(&it, &key, &n, &v))
			if (json_double(&v, &d) == -1 || !(d >= 0 && d <= 1) ||
			    outcome_index(m, key, n, 0) < 0)
				return -1;	/* counted, never scored */
	}
	/* the names as they are first, then those that differ in case */
	for (exact = 1; f->type == JSON_OBJECT && exact >= 0; exact--) {
		json_iter_init(&it, f);
		while (json_iter_next(&it, &key, &n, &v)) {
			if ((!exact && outcome_index(m, key, n, 1) >= 0) ||
			    (i = outcome_index(m, key, n, exact)) < 0)
				continue;
			if (given[i] == 1 + exact)
				return -1;	/* named twice: which is it? */
			if (given[i])
				continue;	/* the exact name won */
			json_double(&v, &d);
			p[i] = d;
			given[i] = 1 + exact;
			ngiven++;
			sum += d;
		}
	}
	if (ngiven == 0)
		return -1;
	for (i = 0; i < m->k; i++)
		if (!given[i])
			p[i] = sum < 1 ? (1 - sum) / (m->k - ngiven) : 0;
	for (i = 0, sum = 0; i < m->k; i++)
		sum += p[i];
	if (!(sum > 0))
		return -1;	/* all 0: a forecast of nothing */
	if (fabs(sum - 1) <= SUM_EPS)
		return 0;
	for (i = 0; i < m->k; i++)
		p[i] /= sum;
	return 1;
}

static double
brier(const double *p, const struct mkt *m)
{
	double b = 0, d;
	int i;

	for (i = 0; i < m->k; i++) {
		d = p[i] - m->o[i];
		b += d * d;
	}
	return b / m->k;
}

static double
logloss(const double *p, const struct mkt *m, double eps)
{
	double q, l = 0;
	int i;

	for (i = 0; i < m->k; i++) {
		if (m->o[i] == 0)
			continue;
		q = p[i] < eps ? eps : p[i] > 1 - eps ? 1 - eps : p[i];
		l -= m->o[i] * log(q);
	}
	return l;
}

static const char *
col(struct db_stmt *st, int i)
{
	const char *t = db_col_text(st, i, NULL);

	return t ? t : "";
}

/* The accumulator of the result row st is on (its experiment_id and
 * fingerprint, columns 6 and 7), new at the end when there is none. */
static struct acc *
find_acc(struct scorer *s, struct db_stmt *st)
{
	struct acc *a;
	size_t i, nb = (size_t)s->o->buckets;
	void *np;

	for (i = 0; i < s->nacc; i++) {
		a = &s->acc[i];
		if (!strcmp(a->xid, col(st, 6)) && !strcmp(a->fp, col(st, 7)))
			return a;
	}
	if (s->nacc == s->capacc) {
		s->capacc = s->capacc ? 2 * s->capacc : 8;
		if ((np = realloc(s->acc, s->capacc * sizeof *a)) == NULL)
			return NULL;
		s->acc = np;
	}
	a = &s->acc[s->nacc++];
	memset(a, 0, sizeof *a);
	a->xid = strdup(col(st, 6));
	a->fp = strdup(col(st, 7));
	a->suite = strdup(col(st, 1));
	a->stage = strdup(col(st, 2));
	a->variant = strdup(col(st, 3));
	a->bn = calloc(nb, sizeof *a->bn);
	a->bp = calloc(nb, sizeof *a->bp);
	a->bo = calloc(nb, sizeof *a->bo);
	if (!a->xid || !a->fp || !a->suite || !a->stage || !a->variant ||
	    !a->bn || !a->bp || !a->bo)
		return NULL;
	return a;
}

static void
calibrate(struct acc *a, const double *p, const struct mkt *m, int nb)
{
	int i, b;

	for (i = 0; i < m->k; i++) {
		/* the bucket whose edges, as reported ((double)b / nb), hold
		 * p: p * nb alone puts 0.58 in [0.56, 0.58) of 50 buckets
		 * (0.58 * 50 is 28.999...) */
		b = (int)(p[i] * nb);
		if (b < nb && (double)(b + 1) / nb <= p[i])
			b++;
		else if (b > 0 && (double)b / nb > p[i])
			b--;
		if (b >= nb)
			b = nb - 1;
		a->bn[b]++;
		a->bp[b] += p[i];
		a->bo[b] += m->o[i];
	}
}

static void
add_sums(struct sums *t, const struct scored *x)
{
	t->markets++;
	t->brier += x->b;
	t->logloss += x->ll;
	if (x->ref) {
		t->ref_n++;
		t->ref_brier += x->rb;
		t->ref_logloss += x->rll;
		t->paired_brier += x->b;
	}
}

/* Market id of event key scored as x by variant acc, kept for the
 * paired comparison (pair()). */
static int
mark(struct scorer *s, const char *key, const char *id, size_t acc,
    const struct scored *x)
{
	unsigned char md[32];
	struct buf k;
	struct mark *e;
	void *np;
	int rc;

	if (s->nmk == s->capmk) {
		s->capmk = s->capmk ? 2 * s->capmk : 256;
		if ((np = realloc(s->mk, s->capmk * sizeof *s->mk)) == NULL)
			s->capmk = s->nmk;
		else
			s->mk = np;
	}
	/* the key, its NUL, the id: no two pairs run together alike */
	buf_init(&k, 0);
	rc = s->nmk == s->capmk || buf_add(&k, key, strlen(key) + 1) == -1 ||
	    buf_add(&k, id, strlen(id)) == -1 ||
	    sha256(k.data, k.len, md) == -1 ? -1 : 0;
	buf_release(&k);
	if (rc == -1) {
		snprintf(s->err, s->errlen, "out of memory");
		return -1;
	}
	e = &s->mk[s->nmk++];
	memset(e, 0, sizeof *e);
	memcpy(e->d, md, sizeof e->d);
	e->acc = (uint32_t)acc;
	e->x = *x;
	return 0;
}

/* The result being scored, copied out of its row: the sub-queries
 * cannot move it.  NULL members for null columns. */
struct row {
	struct acc	*a;
	char		*key, *markets, *started, *run;
};

/*
 * The lead time of a forecast of one market, in hours, as stored with the
 * result (experiment_markets): lead_h, else the close time the forecast
 * saw less the result's start.  A row of another run than the result's is
 * that of a failed attempt the result replaced (retry-failures, stored
 * before its rows followed): its lead_h is the attempt's, not the
 * forecast's.  0 when known, in *lead_h; -1 when unknown; 1 when
 * negative (forecast after the close); -2 on a database error.
 */
static int
lead_time(struct scorer *s, const struct row *r, const char *id,
    double *lead_h)
{
	struct db_stmt *q = s->q_lead;
	const char *close, *run;
	double c, t;
	int rc, known = 0;

	*lead_h = -1;
	db_bind_str(q, 1, r->key);
	db_bind_str(q, 2, r->a->xid);
	db_bind_str(q, 3, r->a->fp);
	db_bind_str(q, 4, r->markets ? r->markets : "");
	db_bind_str(q, 5, id);
	if ((rc = db_step(q)) == DB_ROW) {
		close = db_col_text(q, 1, NULL);
		run = db_col_text(q, 2, NULL);
		if (!db_col_null(q, 0) && (!run || !r->run ||
		    strcmp(run, r->run) == 0)) {	/* a double, as in
							 * load_rows() */
			*lead_h = db_col_double(q, 0);
			known = 1;
		} else if (close && r->started &&
		    ts_ms(close, strlen(close), &c) == 0 &&
		    ts_ms(r->started, strlen(r->started), &t) == 0) {
			*lead_h = (c - t) / 3600e3;
			known = 1;
		}
	}
	db_reset(q);
	if (rc != DB_ROW && rc != DB_DONE) {
		dberr(s, "lead time");
		return -2;
	}
	return !known ? -1 : *lead_h >= 0 ? 0 : 1;
}

static int
lead_bucket(double lead_h)
{
	int i;

	for (i = NLEAD - 1; i > 0 && lead_h < lead_lo[i] * 24; i--)
		;
	return i;
}

/* One market of one forecast.  1 when scored, 0 when not resolved or
 * not a forecast of it (invalid), -1 on a database error. */
static int
score_market(struct scorer *s, const struct row *r, const char *id,
    const json_val *f)
{
	struct acc *a = r->a;
	struct mkt m = { 0 };
	struct scored x = { 0 };
	double p[MAXK], q[MAXK], lead_h, eps = s->o->clamp;
	int rc = 0, ref, lr, fv = 0;

	if (load_market(s, id, &m) == -1)
		rc = -1;
	else if ((fv = forecast_vec(f, &m, p)) == -1)
		a->invalid++;
	else if ((lr = lead_time(s, r, id, &lead_h)) == -2)
		rc = -1;
	else if (lr == 1)
		a->after_close++;	/* a look ahead: never scored */
	else if (m.winner < 0)
		a->pending++;
	else {
		if ((ref = load_ref(s, r->key, id, &m, q)) == -1)
			rc = -1;
		else {
			x.b = brier(p, &m);
			x.ll = logloss(p, &m, eps);
			if ((x.ref = ref) != 0) {
				x.rb = brier(q, &m);
				x.rll = logloss(q, &m, eps);
			}
			add_sums(&a->all, &x);
			if (lr == 0)
				add_sums(&a->lead[lead_bucket(lead_h)], &x);
			else
				a->no_lead++;
			calibrate(a, p, &m, s->o->buckets);
			a->normalized += fv == 1;
			rc = mark(s, r->key, id, (size_t)(a - s->acc), &x) ==
			    -1 ? -1 : 1;
		}
	}
	mkt_release(&m);
	return rc;
}

static char *
col_dup(struct db_stmt *st, int i, int *nomem)
{
	const char *t = db_col_text(st, i, NULL);
	char *d = t ? strdup(t) : NULL;

	*nomem |= t && !d;
	return d;
}

/* How many times (1, or 2 for more) object o names key[0..n), and in
 * *before whether it does before its member number at. */
static int
named(const json_val *o, const char *key, size_t n, size_t at, int *before)
{
	json_iter it;
	json_val v;
	const char *k;
	size_t kn, i;
	int times = 0;

	*before = 0;
	json_iter_init(&it, o);
	for (i = 0; times < 2 && json_iter_next(&it, &k, &kn, &v); i++)
		if (kn == n && memcmp(k, key, n) == 0) {
			times++;
			*before |= i < at;
		}
	return times;
}

/* Every market of one stored result that its probabilities name.  The
 * text is parsed into the scorer's own parser (a copy).  A market named
 * twice (JSON pm-store keeps as it came) is one invalid market, not two
 * forecasts of it. */
static int
score_result(struct scorer *s, struct db_stmt *st)
{
	const char *text, *err, *id;
	struct row r = { 0 };
	size_t n, idn;
	json_val root, f;
	json_iter it;
	char mid[KEY_MAX + 1];
	size_t at = 0;
	int rc = 0, any = 0, nomem = 0, before;

	text = db_col_text(st, 4, &n);
	if (text == NULL || json_parse(s->jp, text, n, 0, &root, &err) == -1 ||
	    root.type != JSON_OBJECT)
		return 0;	/* not a forecast we can read: not scored */
	r.a = find_acc(s, st);
	r.key = col_dup(st, 0, &nomem);
	r.started = col_dup(st, 5, &nomem);
	r.markets = col_dup(st, 8, &nomem);
	r.run = col_dup(st, 9, &nomem);
	if (r.a == NULL || r.key == NULL || nomem) {
		snprintf(s->err, s->errlen, "out of memory");
		rc = -1;
	}
	json_iter_init(&it, &root);
	while (rc == 0 && json_iter_next(&it, &id, &idn, &f)) {
		char kb[KEY_MAX + 1];
		const char *sid;
		size_t sn;

		if (named(&root, id, idn, at++, &before) > 1) {
			r.a->invalid += !before;
			continue;
		}
		/* looked up as stored: a long id by its short form */
		if ((sid = key_stored(id, idn, kb, &sn)) == NULL)
			continue;
		memcpy(mid, sid, sn);
		mid[sn] = 0;
		if ((rc = score_market(s, &r, mid, &f)) == 1)
			any = 1;
		rc = rc == -1 ? -1 : 0;
	}
	if (r.a)
		r.a->forecasts += any;
	free(r.key);
	free(r.started);
	free(r.markets);
	free(r.run);
	return rc;
}

/* The sources of the stored markets, once, in byte order. */
static int
load_sources(struct scorer *s)
{
	struct db_stmt *st;
	const char *t;
	void *np;
	int rc;

	st = db_prepare(s->db, db_engine(s->db) == DB_PG ?
	    "SELECT DISTINCT source COLLATE \"C\" FROM markets ORDER BY 1" :
	    "SELECT DISTINCT source FROM markets ORDER BY 1");
	if (st == NULL)
		return dberr(s, "markets");
	while ((rc = db_step(st)) == DB_ROW) {
		t = db_col_text(st, 0, NULL);
		if ((np = realloc(s->src, (s->nsrc + 1) * sizeof *s->src)) !=
		    NULL)
			s->src = np;
		if (np == NULL || (s->src[s->nsrc] = strdup(t ? t : "")) ==
		    NULL) {
			db_reset(st);
			db_finalize(st);
			snprintf(s->err, s->errlen, "out of memory");
			return -1;
		}
		s->nsrc++;
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : dberr(s, "markets");
}

/* The rows of st scored, counted in *n. */
static int
score_rows(struct scorer *s, struct db_stmt *st, unsigned long *n)
{
	int rc;

	*n = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		++*n;
		if (score_result(s, st) == -1) {
			db_reset(st);
			return -1;
		}
	}
	return rc == DB_DONE ? 0 : dberr(s, "experiment_results");
}

/*
 * PostgreSQL: the results through the cursor pm_score (declared by
 * score_all), FETCH_ROWS at a time.  An answer is held whole in memory
 * (a year of daily forecasts, hundreds of MB) unless read a row at a
 * time, which leaves the connection to no other statement, and each
 * result's markets are looked up on it.  A cursor lives in one
 * transaction, as a pooler in transaction mode allows.
 */
#define FETCH_ROWS	500

static int
score_cursor(struct scorer *s, const char *declare)
{
	struct db_stmt *st = NULL;
	char fetch[64];
	unsigned long n = FETCH_ROWS;
	int rc = -1;

	snprintf(fetch, sizeof fetch, "FETCH %d FROM pm_score", FETCH_ROWS);
	if (db_begin(s->db) != DB_DONE)
		return dberr(s, "experiment_results");
	if (db_exec(s->db, declare) != DB_DONE ||
	    (st = db_prepare(s->db, fetch)) == NULL)
		dberr(s, "experiment_results");
	else
		for (rc = 0; rc == 0 && n == FETCH_ROWS; )
			rc = score_rows(s, st, &n);
	if (rc == 0 && db_commit(s->db) != DB_DONE)
		rc = dberr(s, "experiment_results");
	if (rc == -1)
		db_rollback(s->db);
	db_finalize(st);
	return rc;
}

static int
score_all(struct scorer *s)
{
	struct db_stmt *st;
	const char *c;
	char sql[1024];
	unsigned long n = 0;
	int rc, pg = db_engine(s->db) == DB_PG;

	if (load_sources(s) == -1)
		return -1;
	s->q_mkt = db_prepare(s->db, "SELECT c.outcome, c.price, m.closed, "
	    "m.resolution_status FROM markets m JOIN contracts c ON "
	    "c.source = m.source AND c.market_id = m.market_id WHERE "
	    "m.source = ?2 AND m.market_id = ?1 ORDER BY c.outcome_index");
	/* a database before schema 5, read as it is, stored no
	 * resolutions: its markets are resolved by their final prices, as
	 * rows stored before them are once it is upgraded */
	if (s->v >= 5)
		s->q_res = db_prepare(s->db, "SELECT resolution, "
		    "resolved_outcome FROM markets WHERE source = ?2 AND "
		    "market_id = ?1 AND resolution IS NOT NULL");
	s->q_ref = db_prepare(s->db, "SELECT outcome, price FROM "
	    "processed_contracts WHERE event_key = ?1 AND market_id = ?2 "
	    "ORDER BY outcome_index");
	s->q_lead = db_prepare(s->db, "SELECT lead_h, close_time, run_id FROM "
	    "experiment_markets WHERE event_key = ?1 AND experiment_id = ?2 "
	    "AND fingerprint = ?3 AND markets = ?4 AND market_id = ?5");
	/* In one order on every engine, the variants' lines and the sums
	 * (a float sum depends on its order): bytes, as SQLite compares
	 * text, not a PostgreSQL database's locale (en_US puts "a" before
	 * "B"), and a null suite as '' (PostgreSQL sorts nulls last). */
	c = pg ? " COLLATE \"C\"" : "";
	snprintf(sql, sizeof sql, "%sSELECT event_key, COALESCE(suite, ''), "
	    "COALESCE(stage, ''), COALESCE(variant, ''), probabilities, "
	    "started_at, experiment_id, fingerprint, markets, run_id FROM "
	    "experiment_results WHERE status = 'ok' AND probabilities IS NOT "
	    "NULL ORDER BY COALESCE(suite, '')%s, COALESCE(stage, '')%s, "
	    "COALESCE(variant, '')%s, experiment_id%s, fingerprint%s, "
	    "event_key%s, markets%s", pg ?
	    "DECLARE pm_score NO SCROLL CURSOR FOR " : "", c, c, c, c, c, c, c);
	st = pg ? NULL : db_prepare(s->db, sql);
	if (!s->q_mkt || !s->q_ref || !s->q_lead || (s->v >= 5 && !s->q_res) ||
	    (!pg && !st)) {
		db_finalize(st);
		return dberr(s, "prepare");
	}
	if (pg)
		return score_cursor(s, sql);
	rc = score_rows(s, st, &n);
	db_finalize(st);
	return rc;
}

/* Marks, through pointers to them: by market, variant, then order. */
static int
mark_cmp(const void *pa, const void *pb)
{
	const struct mark *a = *(const struct mark *const *)pa;
	const struct mark *b = *(const struct mark *const *)pb;
	int c = memcmp(a->d, b->d, sizeof a->d);

	if (c != 0)
		return c;
	if (a->acc != b->acc)
		return a->acc < b->acc ? -1 : 1;
	return a < b ? -1 : a > b;
}

/*
 * The paired comparison: the markets (event key and market id) that
 * every variant scored; each variant's sums on them in the order it
 * scored them (so its line's sums, to the last digit, when it scored no
 * others), a market it scored twice counted twice as in its line; the
 * reference's once per market, at the first mark of it.
 */
static int
pair(struct scorer *s)
{
	struct mark **ix, *first, *e;
	size_t i, j, k, n;

	if (s->nacc < 2 || s->nmk == 0)
		return 0;
	if ((ix = calloc(s->nmk, sizeof *ix)) == NULL) {
		snprintf(s->err, s->errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < s->nmk; i++)
		ix[i] = &s->mk[i];
	qsort(ix, s->nmk, sizeof *ix, mark_cmp);
	for (i = 0; i < s->nmk; i = j) {
		/* the marks of one market, its variants counted */
		for (j = i + 1, n = 1; j < s->nmk &&
		    memcmp(ix[j]->d, ix[i]->d, sizeof ix[i]->d) == 0; j++)
			n += ix[j]->acc != ix[j - 1]->acc;
		if (n < s->nacc)
			continue;
		for (k = i, first = ix[i]; k < j; k++) {
			ix[k]->common = 1;
			if (ix[k] < first)
				first = ix[k];
		}
		first->first = 1;
	}
	free(ix);
	for (i = 0; i < s->nmk; i++) {
		e = &s->mk[i];
		if (e->common)
			add_sums(&s->acc[e->acc].paired, &e->x);
		if (e->first)
			add_sums(&s->pref, &e->x);
	}
	return 0;
}

static void
json_calibration(const struct scorer *s, const struct acc *a, struct buf *b)
{
	int i, nb = s->o->buckets;

	jw_key(b, "calibration");
	jw_open(b, '[');
	for (i = 0; i < nb; i++) {
		jw_open(b, '{');
		jw_key(b, "lo");
		jw_double(b, (double)i / nb);
		jw_key(b, "hi");
		jw_double(b, (double)(i + 1) / nb);
		jw_key(b, "n");
		jw_int(b, (int64_t)a->bn[i]);
		jw_key(b, "mean_forecast");
		if (a->bn[i]) jw_double(b, a->bp[i] / a->bn[i]); else jw_null(b);
		jw_key(b, "observed");
		if (a->bn[i]) jw_double(b, a->bo[i] / a->bn[i]); else jw_null(b);
		jw_close(b, '}');
	}
	jw_close(b, ']');
}

/* A mean, or null when there is nothing to average. */
static void
jmean(struct buf *b, const char *key, double sum, unsigned long n)
{
	jw_key(b, key);
	if (n)
		jw_double(b, sum / (double)n);
	else
		jw_null(b);
}

static void
json_skill(const struct sums *t, struct buf *b)
{
	jw_key(b, "skill");
	/* a perfect reference leaves no room to beat it: no skill */
	if (t->ref_n && t->ref_brier > 0)
		jw_double(b, 1 - t->paired_brier / t->ref_brier);
	else
		jw_null(b);
}

/* markets, brier, log_loss, reference {...}, skill: members of an open
 * object. */
static void
json_sums(const struct sums *t, struct buf *b)
{
	jw_key(b, "markets"); jw_int(b, (int64_t)t->markets);
	jmean(b, "brier", t->brier, t->markets);
	jmean(b, "log_loss", t->logloss, t->markets);
	jw_key(b, "reference");
	jw_open(b, '{');
	jw_key(b, "markets"); jw_int(b, (int64_t)t->ref_n);
	jmean(b, "brier", t->ref_brier, t->ref_n);
	jmean(b, "log_loss", t->ref_logloss, t->ref_n);
	jmean(b, "variant_brier", t->paired_brier, t->ref_n);
	jw_close(b, '}');
	json_skill(t, b);
}

static void
json_lead(const struct acc *a, struct buf *b)
{
	int i;

	jw_key(b, "lead_days");
	jw_open(b, '[');
	for (i = 0; i < NLEAD; i++) {
		jw_open(b, '{');
		jw_key(b, "lo");
		jw_double(b, lead_lo[i]);
		jw_key(b, "hi");
		if (i + 1 < NLEAD)
			jw_double(b, lead_lo[i + 1]);
		else
			jw_null(b);
		json_sums(&a->lead[i], b);
		jw_close(b, '}');
	}
	jw_close(b, ']');
	jw_key(b, "lead_unknown");
	jw_int(b, (int64_t)a->no_lead);
	jw_key(b, "after_close");
	jw_int(b, (int64_t)a->after_close);
}

/* experiment_id, fingerprint, suite, stage, variant: members of an open
 * object. */
static void
json_names(const struct acc *a, struct buf *b)
{
	jw_key(b, "experiment_id"); jw_strz(b, a->xid);
	jw_key(b, "fingerprint"); jw_strz(b, a->fp);
	jw_key(b, "suite"); jw_strz(b, a->suite);
	jw_key(b, "stage"); jw_strz(b, a->stage);
	jw_key(b, "variant"); jw_strz(b, a->variant);
}

static void
json_acc(const struct scorer *s, const struct acc *a, struct buf *b)
{
	jw_open(b, '{');
	json_names(a, b);
	jw_key(b, "forecasts"); jw_int(b, (int64_t)a->forecasts);
	jw_key(b, "pending"); jw_int(b, (int64_t)a->pending);
	if (a->invalid) {
		jw_key(b, "invalid");
		jw_int(b, (int64_t)a->invalid);
	}
	if (a->normalized) {
		jw_key(b, "normalized");
		jw_int(b, (int64_t)a->normalized);
	}
	json_sums(&a->all, b);
	json_calibration(s, a, b);
	json_lead(a, b);
	jw_close(b, '}');
}

/* paired {markets, variants [...], reference {...}}: a member of the
 * open report, when it has two variants or more. */
static void
json_paired(const struct scorer *s, struct buf *b)
{
	const struct acc *a;
	const struct sums *t = &s->pref;
	size_t i;

	if (s->nacc < 2)
		return;
	jw_key(b, "paired");
	jw_open(b, '{');
	jw_key(b, "markets"); jw_int(b, (int64_t)t->markets);
	jw_key(b, "variants");
	jw_open(b, '[');
	for (i = 0; i < s->nacc; i++) {
		a = &s->acc[i];
		jw_open(b, '{');
		json_names(a, b);
		jw_key(b, "markets"); jw_int(b, (int64_t)a->paired.markets);
		jmean(b, "brier", a->paired.brier, a->paired.markets);
		jmean(b, "log_loss", a->paired.logloss, a->paired.markets);
		json_skill(&a->paired, b);
		jw_close(b, '}');
	}
	jw_close(b, ']');
	jw_key(b, "reference");
	jw_open(b, '{');
	jw_key(b, "markets"); jw_int(b, (int64_t)t->ref_n);
	jmean(b, "brier", t->ref_brier, t->ref_n);
	jmean(b, "log_loss", t->ref_logloss, t->ref_n);
	jw_close(b, '}');
	jw_close(b, '}');
}

/* brier, logloss, market brier, market logloss, skill columns. */
static void
text_sums(const struct sums *t, struct buf *b)
{
	if (t->markets)
		buf_printf(b, " %7.4f %7.4f", t->brier / t->markets,
		    t->logloss / t->markets);
	else
		buf_printf(b, " %7s %7s", "-", "-");
	if (t->ref_n)
		buf_printf(b, " %7.4f %7.4f", t->ref_brier / t->ref_n,
		    t->ref_logloss / t->ref_n);
	else
		buf_printf(b, " %7s %7s", "-", "-");
	if (t->ref_n && t->ref_brier > 0)
		buf_printf(b, " %7.3f\n", 1 - t->paired_brier / t->ref_brier);
	else
		buf_printf(b, " %7s\n", "-");
}

/* One line per lead-time bucket that has markets, in the columns of the
 * variant's line. */
static void
text_lead(const struct acc *a, struct buf *b)
{
	char name[64];
	int i;

	for (i = 0; i < NLEAD; i++) {
		if (a->lead[i].markets == 0)
			continue;
		if (i + 1 < NLEAD)
			snprintf(name, sizeof name, "  lead [%g, %g) days",
			    lead_lo[i], lead_lo[i + 1]);
		else
			snprintf(name, sizeof name, "  lead [%g, inf) days",
			    lead_lo[i]);
		buf_printf(b, "%-34s %9s %7lu %7s", name, "", a->lead[i].markets,
		    "");
		text_sums(&a->lead[i], b);
	}
	if (a->no_lead)
		buf_printf(b, "  no lead time (close unknown): %lu market(s)\n",
		    a->no_lead);
}

/* The variant's name on its lines, after indent. */
static void
text_name(const struct acc *a, const char *indent, char *name, size_t n)
{
	snprintf(name, n, "%s%s:%s (%s)%s%s", indent, a->suite, a->variant,
	    a->stage, *a->fp ? " " : "", a->fp);
	/* one line: output() keeps the report's newlines, not a name's;
	 * one cut short is cut between characters, as UTF-8 */
	msg_clean(name, strlen(name), 0);
	name[utf8_valid(name, strlen(name))] = 0;
}

static void
text_acc(const struct scorer *s, const struct acc *a, struct buf *b)
{
	char name[256];
	int i, nb = s->o->buckets, dec = nb > 100 ? 3 : 2;

	text_name(a, "", name, sizeof name);
	buf_printf(b, "%s%*s %9lu %7lu %7lu", name, utf8_pad(name, 34), "",
	    a->forecasts,
	    a->all.markets, a->pending);
	text_sums(&a->all, b);
	if (a->invalid)
		buf_printf(b, "  not probabilities from 0 to 1 of the market's "
		    "outcomes, not scored: %lu market(s)\n", a->invalid);
	if (a->normalized)
		buf_printf(b, "  not summing to 1, scored divided by their sum: "
		    "%lu market(s)\n", a->normalized);
	if (a->after_close)
		buf_printf(b, "  forecast after the market closed, not scored: "
		    "%lu market(s)\n", a->after_close);
	text_lead(a, b);
	/* edges apart: of more than 100 buckets 0.580 and 0.585 are not
	 * both 0.58 */
	for (i = 0; i < nb; i++)
		if (a->bn[i])
			buf_printf(b, "    [%.*f, %.*f%c n %lu, forecast %.3f, "
			    "observed %.3f\n", dec, (double)i / nb, dec,
			    (double)(i + 1) / nb, i == nb - 1 ? ']' : ')',
			    a->bn[i], a->bp[i] / a->bn[i], a->bo[i] / a->bn[i]);
}

/* The paired block, after the variants' lines: each variant on the
 * markets every variant scored, in the columns of its line. */
static void
text_paired(const struct scorer *s, struct buf *b)
{
	const struct acc *a;
	char name[256];
	size_t i;

	if (s->nacc < 2)
		return;
	if (s->pref.markets == 0) {
		buf_printf(b, "paired: no market scored by every variant\n");
		return;
	}
	buf_printf(b, "paired: the %lu market(s) every variant scored, %lu "
	    "with market prices\n", s->pref.markets, s->pref.ref_n);
	for (i = 0; i < s->nacc; i++) {
		a = &s->acc[i];
		text_name(a, "  ", name, sizeof name);
		buf_printf(b, "%s%*s %9s %7lu %7s", name, utf8_pad(name, 34),
		    "", "", a->paired.markets, "");
		text_sums(&a->paired, b);
	}
}

static int
output(const struct scorer *s, struct buf *b)
{
	size_t i, start = b->len;

	if (s->o->json) {
		jw_open(b, '{');
		jw_key(b, "clamp");
		jw_double(b, s->o->clamp);
		jw_key(b, "variants");
		jw_open(b, '[');
		for (i = 0; i < s->nacc; i++)
			json_acc(s, &s->acc[i], b);
		jw_close(b, ']');
		json_paired(s, b);
		jw_close(b, '}');
		return buf_addc(b, '\n');
	}
	if (s->nacc == 0)
		return buf_printf(b, "score: no stored forecasts\n");
	buf_printf(b, "%-34s %9s %7s %7s %7s %7s %7s %7s %7s\n",
	    "suite:variant (stage)", "forecasts", "markets", "pending", "brier",
	    "logloss", "mkt bri", "mkt ll", "skill");
	for (i = 0; i < s->nacc; i++)
		text_acc(s, &s->acc[i], b);
	text_paired(s, b);
	/* names from the configuration, ids from upstream: safe for a
	 * terminal */
	msg_clean(b->data + start, b->len - start, 1);
	return 0;
}

static void
scorer_release(struct scorer *s)
{
	size_t i, k;

	for (i = 0; i < s->nacc; i++) {
		struct acc *a = &s->acc[i];
		void *own[] = { a->xid, a->fp, a->suite, a->stage, a->variant,
		    a->bn, a->bp, a->bo };

		for (k = 0; k < sizeof own / sizeof own[0]; k++)
			free(own[k]);
	}
	free(s->acc);
	free(s->mk);
	for (i = 0; i < s->nsrc; i++)
		free(s->src[i]);
	free(s->src);
	db_finalize(s->q_mkt);
	db_finalize(s->q_ref);
	db_finalize(s->q_lead);
	db_finalize(s->q_res);
	json_parser_free(s->jp);
}

int
score_report(struct db *db, const struct score_opts *o, struct buf *out,
    char *err, size_t errlen)
{
	struct scorer s = { 0 };
	int rc = -1, v = 0;

	s.db = db;
	s.o = o;
	s.err = err;
	s.errlen = errlen;
	if ((s.jp = json_parser_new(64 << 20)) == NULL)
		snprintf(err, errlen, "out of memory");
	else if ((v = schema_version(db)) == -1)
		snprintf(err, errlen, "schema version: %s", db_errmsg(db));
	else if (v > 0 && v < 3)
		snprintf(err, errlen, "schema version %d: pm-store upgrades it "
		    "to one with lead times (3)", v);
	else if ((s.v = v) == 0 || (score_all(&s) == 0 && pair(&s) == 0))
		rc = output(&s, out) == -1 ? -1 : 0;
	scorer_release(&s);
	return rc;
}
