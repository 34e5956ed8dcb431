/*
 * normalize.c - Gamma and CLOB objects to pm-records(5) records.
 *
 * Every field is read once through json_pick() and written once through
 * jw; nothing is parsed twice except the JSON-in-a-string arrays, which
 * are joined and parsed together in one call.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jw.h"
#include "normalize.h"
#include "sha.h"
#include "strset.h"
#include "timefmt.h"

struct normalizer {
	json_parser	*inner;		/* outcomes, outcomePrices, clobTokenIds */
	struct buf	 rec;		/* the record being built */
	struct buf	 arrays;	/* "[outcomes,prices,tokens]" */
	char		 err[256];
	struct buf	 id;		/* the market or event id at hand */
	struct buf	 eid;		/* the event id at hand */
	struct buf	 tmp;		/* any other id */
	/* what the final prices of the market at hand say (contracts()) */
	int		 res_winner;	/* index of the one price 1, or -1 */
	int		 res_split;	/* every price 0.5 */
	const char	*res_name;	/* the winner's outcome */
	size_t		 res_namelen;
};

/* Sorted by strcmp: json_pick() searches them; norm_new() checks. */
static const char *const mkeys[] = {
	"active", "archived", "bestAsk", "bestBid", "clobTokenIds", "closed",
	"closedTime", "conditionId", "description", "endDate", "endDateIso",
	"events", "groupItemTitle", "id", "lastTradePrice", "liquidity",
	"liquidityNum", "negRisk", "oneDayPriceChange", "outcomePrices",
	"outcomes", "question", "questionID", "slug", "spread", "startDate",
	"tags", "umaResolutionStatus", "updatedAt", "volume", "volume1wk",
	"volume24hr", "volumeNum",
};
enum {
	M_ACTIVE, M_ARCHIVED, M_BESTASK, M_BESTBID, M_TOKENS, M_CLOSED,
	M_CLOSEDTIME, M_CONDITION, M_DESCRIPTION, M_ENDDATE, M_ENDDATEISO,
	M_EVENTS, M_GROUPTITLE, M_ID, M_LASTTRADE, M_LIQUIDITY,
	M_LIQUIDITYNUM, M_NEGRISK, M_DAYCHANGE, M_PRICES, M_OUTCOMES,
	M_QUESTION, M_QUESTIONID, M_SLUG, M_SPREAD, M_STARTDATE, M_TAGS,
	M_UMASTATUS, M_UPDATEDAT, M_VOLUME, M_VOLUME1WK, M_VOLUME24HR,
	M_VOLUMENUM, M_N
};

static const char *const ekeys[] = {
	"active", "archived", "closed", "description", "endDate", "id",
	"liquidity", "markets", "negRisk", "slug", "startDate", "tags",
	"title", "updatedAt", "volume",
};
enum {
	E_ACTIVE, E_ARCHIVED, E_CLOSED, E_DESCRIPTION, E_ENDDATE, E_ID,
	E_LIQUIDITY, E_MARKETS, E_NEGRISK, E_SLUG, E_STARTDATE, E_TAGS,
	E_TITLE, E_UPDATEDAT, E_VOLUME, E_N
};

/* The embedded event a market carries, and a tag. */
static const char *const evkeys[] = { "id", "slug", "tags", "title" };
enum { EV_ID, EV_SLUG, EV_TAGS, EV_TITLE, EV_N };
static const char *const tkeys[] = { "id", "label", "slug" };
enum { T_ID, T_LABEL, T_SLUG, T_N };

static const char *const endpoints[] = {
	"markets", "markets/keyset", "events", "events/keyset", "price",
	"prices", "prices-history", "midpoint", "book", "last-trade-price",
	"trades",
};

/* A Data API trade row (19 keys upstream; these are the ones kept). */
static const char *const trkeys[] = {
	"asset", "conditionId", "eventSlug", "name", "outcome",
	"outcomeIndex", "price", "proxyWallet", "pseudonym", "side", "size",
	"slug", "timestamp", "title", "transactionHash",
};
enum {
	TR_ASSET, TR_COND, TR_EVSLUG, TR_NAME, TR_OUTCOME, TR_OUTIDX,
	TR_PRICE, TR_WALLET, TR_PSEUDO, TR_SIDE, TR_SIZE, TR_SLUG, TR_TS,
	TR_TITLE, TR_TX, TR_N
};

static int
fail(struct normalizer *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->err, sizeof n->err, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A string holding a decimal number, as a double: any length (an API may
 * send "0.26" and sixty zeros), all of it a number.  strtod()'s other
 * forms ("0x10", "inf", "nan") are not numbers here.  0, or -1 when it is
 * not one, or -2 when memory ran out.
 */
static int
str_double(const char *s, size_t sl, double *d)
{
	char tmp[64], *p = tmp, *end;
	size_t i;
	int r;

	for (i = 0; i < sl && isspace((unsigned char)s[i]); i++)
		;
	for (; i < sl; i++)
		if (!isdigit((unsigned char)s[i]) && !memchr("+-.eE", s[i], 5))
			return -1;
	if (sl >= sizeof tmp && (p = malloc(sl + 1)) == NULL)
		return -2;
	memcpy(p, s, sl);
	p[sl] = 0;
	*d = strtod(p, &end);
	r = sl > 0 && end == p + sl ? 0 : -1;
	if (p != tmp)
		free(p);
	return r;
}

struct normalizer *
norm_new(size_t max_len)
{
	struct normalizer *n;

	if (!json_names_sorted(mkeys, M_N) || !json_names_sorted(ekeys, E_N) ||
	    !json_names_sorted(evkeys, EV_N) || !json_names_sorted(tkeys, T_N) ||
	    !json_names_sorted(trkeys, TR_N))
		abort();	/* a programming error, caught by any test */
	if ((n = calloc(1, sizeof *n)) == NULL)
		return NULL;
	if ((n->inner = json_parser_new(max_len)) == NULL) {
		free(n);
		return NULL;
	}
	/* a record is a bounded multiple of the line it comes from; one
	 * longer than the cap is refused whole by out.c, not here */
	buf_init(&n->rec, 0);
	buf_init(&n->arrays, max_len);
	buf_init(&n->id, 0);
	buf_init(&n->eid, 0);
	buf_init(&n->tmp, 0);
	return n;
}

void
norm_free(struct normalizer *n)
{
	if (n == NULL)
		return;
	json_parser_free(n->inner);
	buf_release(&n->rec);
	buf_release(&n->id);
	buf_release(&n->eid);
	buf_release(&n->tmp);
	buf_release(&n->arrays);
	free(n);
}

int
norm_endpoint_known(const char *e)
{
	size_t i;

	for (i = 0; i < sizeof endpoints / sizeof *endpoints; i++)
		if (strcmp(e, endpoints[i]) == 0)
			return 1;
	return 0;
}

/* An id as text into out: a non-empty string (any length) or an
 * integer, digit for digit (through a double, one past 2^53 lost its
 * last digits: another market's id). */
static int
id_text(const json_val *v, struct buf *out)
{
	const char *s;
	size_t sl;
	int64_t i;
	uint64_t u;

	buf_reset(out);
	if ((s = json_str(v, &sl)) != NULL) {
		if (sl == 0 || memchr(s, 0, sl))
			return -1;
		return buf_add(out, s, sl);
	}
	if (json_int64(v, &i) == 0)
		return buf_printf(out, "%" PRId64, i);
	if (json_uint64(v, &u) == 0)
		return buf_printf(out, "%" PRIu64, u);
	return -1;
}

/* An id of a request as text for a failure (an integer too, as
 * put_id() writes it), or NULL. */
static const char *
id_or_null(struct normalizer *n, const json_val *v)
{
	return id_text(v, &n->tmp) == 0 ? n->tmp.data : NULL;
}

/* The id at hand for a failure, or NULL. */
static const char *
idz(const struct buf *b)
{
	return b->len ? b->data : NULL;
}

static int
put_id(struct normalizer *n, struct buf *b, const char *key,
    const json_val *v, const char *name)
{
	jw_key(b, key);
	if (v->type == JSON_ABSENT || v->type == JSON_NULL)
		return jw_null(b);
	if (id_text(v, &n->tmp) == -1)
		return fail(n, "%s is not a string or integer id", name);
	return jw_str(b, n->tmp.data, n->tmp.len);
}

static int
put_str(struct normalizer *n, struct buf *b, const char *key,
    const json_val *v, const char *name, int empty_is_null)
{
	const char *s;
	size_t sl;

	jw_key(b, key);
	if (v->type == JSON_ABSENT || v->type == JSON_NULL)
		return jw_null(b);
	if ((s = json_str(v, &sl)) == NULL)
		return fail(n, "%s is not a string", name);
	if (sl == 0 && empty_is_null)
		return jw_null(b);
	return jw_str(b, s, sl);
}

/* A number, or a string holding one ("0.51"); "" and null are null. */
static int
num_val(struct normalizer *n, struct buf *b, const json_val *v,
    const char *name)
{
	const char *s;
	size_t sl;
	double d;
	int r;

	switch (v->type) {
	case JSON_ABSENT:
	case JSON_NULL:
		return jw_null(b);
	case JSON_INT:
	case JSON_UINT:
	case JSON_DOUBLE:
		return jw_val(b, v);
	case JSON_STRING:
		s = json_str(v, &sl);
		if (sl == 0)
			return jw_null(b);
		/* Plain decimals cannot overflow a double: no strtod needed. */
		if (sl < 300 && json_is_number(s, sl) && !memchr(s, 'e', sl) &&
		    !memchr(s, 'E', sl))
			return jw_raw(b, s, sl);
		if ((r = str_double(s, sl, &d)) == -2)
			return fail(n, "out of memory");
		if (r == 0 && isfinite(d))
			/* Keep the digits as sent when JSON can. */
			return json_is_number(s, sl) ?
			    jw_raw(b, s, sl) : jw_double(b, d);
		return fail(n, "%s is not a number: \"%.32s\"", name, s);
	}
	return fail(n, "%s is not a number", name);
}

static int
put_num(struct normalizer *n, struct buf *b, const char *key,
    const json_val *v, const char *name)
{
	jw_key(b, key);
	return num_val(n, b, v, name);
}

/* The first of a and b that is present. */
static const json_val *
either(const json_val *a, const json_val *b)
{
	return a->type != JSON_ABSENT && a->type != JSON_NULL ? a : b;
}

static int
put_time(struct normalizer *n, struct buf *b, const char *key,
    const json_val *v, const char *name)
{
	char ts[TS_MAX];
	const char *s;
	int64_t i;
	size_t sl;

	jw_key(b, key);
	if (v->type == JSON_ABSENT || v->type == JSON_NULL)
		return jw_null(b);
	if ((s = json_str(v, &sl)) != NULL) {
		if (sl == 0)
			return jw_null(b);
		if (ts_parse(s, sl, ts) == -1)
			return fail(n, "%s is not a timestamp: \"%.40s\"", name, s);
		return jw_strz(b, ts);
	}
	if (json_int64(v, &i) == 0 && ts_epoch(i, ts) == 0)
		return jw_strz(b, ts);
	return fail(n, "%s is not a timestamp", name);
}

/* A boolean, or a string holding one ("true"): 0, or -1 when not one. */
static int
bool_val(const json_val *v, int *t)
{
	const char *s;
	size_t sl;

	if (json_bool(v, t) == 0)
		return 0;
	if ((s = json_str(v, &sl)) == NULL)
		return -1;
	if (sl == strlen("true") && memcmp(s, "true", sl) == 0)
		*t = 1;
	else if (sl == strlen("false") && memcmp(s, "false", sl) == 0)
		*t = 0;
	else
		return -1;
	return 0;
}

static int
put_bool(struct normalizer *n, struct buf *b, const char *key,
    const json_val *v, const char *name)
{
	int t;

	jw_key(b, key);
	if (v->type == JSON_ABSENT || v->type == JSON_NULL)
		return jw_null(b);
	if (bool_val(v, &t) == 0)
		return jw_bool(b, t);
	return fail(n, "%s is not a boolean", name);
}

/* tags: [{id, slug, label}], from Gamma's tag objects. */
static int
put_tags(struct normalizer *n, struct buf *b, const json_val *v)
{
	json_val t, f[T_N];
	json_iter it;
	size_t i = 0;

	jw_key(b, "tags");
	jw_open(b, '[');
	if (v->type != JSON_ABSENT && v->type != JSON_NULL) {
		if (v->type != JSON_ARRAY)
			return fail(n, "tags is not an array");
		json_iter_init(&it, v);
		for (; json_iter_next(&it, NULL, NULL, &t); i++) {
			if (t.type != JSON_OBJECT)
				return fail(n, "tags[%zu] is not an object", i);
			json_pick(&t, tkeys, T_N, f);
			jw_open(b, '{');
			if (put_id(n, b, "id", &f[T_ID], "tag id") == -1 ||
			    put_str(n, b, "slug", &f[T_SLUG], "tag slug", 1) == -1 ||
			    put_str(n, b, "label", &f[T_LABEL], "tag label", 0) == -1)
				return -1;
			jw_close(b, '}');
		}
	}
	return jw_close(b, ']');
}

/* The text of one JSON-in-a-string array field, into the arrays buffer. */
static int
array_text(struct normalizer *n, const json_val *v, const char *name)
{
	const char *s;
	size_t sl;

	if (v->type == JSON_ABSENT || v->type == JSON_NULL)
		return buf_add(&n->arrays, STRCONST("null"));
	if (v->type == JSON_ARRAY)		/* the pre-2024 shape */
		return jw_val(&n->arrays, v);
	if ((s = json_str(v, &sl)) == NULL)
		return fail(n, "%s is not a JSON array in a string", name);
	if (sl == 0)
		return buf_add(&n->arrays, STRCONST("null"));
	return buf_add(&n->arrays, s, sl);
}

static int
parse_arrays(struct normalizer *n, json_val *root)
{
	const char *err;

	if (buf_reserve(&n->arrays, JSON_PADDING) == -1)
		return fail(n, "outcome arrays too large");
	/* simdjson reads the padding: initialized (json.h) */
	memset(n->arrays.data + n->arrays.len, 0, JSON_PADDING);
	return json_parse(n->inner, n->arrays.data, n->arrays.len, 1, root,
	    &err);
}

/* Which of the three fields does not parse, for the message. */
static int
blame(struct normalizer *n, const json_val *f[3], const char *names[3])
{
	json_val root;
	int i;

	for (i = 0; i < 3; i++) {
		buf_reset(&n->arrays);
		if (array_text(n, f[i], names[i]) == -1)
			return -1;
		if (parse_arrays(n, &root) == -1)
			return fail(n, "%s is not a JSON array", names[i]);
	}
	return fail(n, "outcome arrays do not parse");
}

#define RES_EPS	1e-3	/* a final price within this of 1 or 0 */

/* An outcome price as a double: a number or a string holding one. */
static int
final_price(const json_val *v, double *d)
{
	const char *s;
	size_t sl;

	if (json_double(v, d) == 0)
		return 0;
	if ((s = json_str(v, &sl)) == NULL)
		return -1;
	return str_double(s, sl, d) == 0 ? 0 : -1;
}

static int
contracts(struct normalizer *n, struct buf *b, const json_val *fo,
    const json_val *fp, const json_val *ft)
{
	static const char *names[3] = { "outcomes", "outcomePrices",
	    "clobTokenIds" };
	const json_val *fields[3] = { fo, fp, ft };
	json_val root, a[3], o, p, t;
	json_iter it, io, ip, itk;
	size_t cnt[3], total = 0, k, ones, others;
	double d;
	const char *s;
	size_t sl;
	int i, j;

	buf_reset(&n->arrays);
	buf_addc(&n->arrays, '[');
	for (i = 0; i < 3; i++) {
		if (i > 0)
			buf_addc(&n->arrays, ',');
		if (array_text(n, fields[i], names[i]) == -1)
			return -1;
	}
	if (buf_addc(&n->arrays, ']') == -1)
		return fail(n, "outcome arrays too large");
	if (parse_arrays(n, &root) == -1 || json_count(&root) != 3)
		return blame(n, fields, names);
	json_iter_init(&it, &root);
	for (i = 0; i < 3; i++) {
		json_iter_next(&it, NULL, NULL, &a[i]);
		if (a[i].type != JSON_ARRAY && a[i].type != JSON_NULL)
			return fail(n, "%s is not a JSON array", names[i]);
		cnt[i] = json_count(&a[i]);
		if (cnt[i] > total)
			total = cnt[i];
	}
	for (j = 0; cnt[j] != total; j++)	/* the longest array */
		;
	/* a missing price or token array leaves them null
	 * (pm-records(5)); outcomes sent empty name none of them */
	for (i = 0; i < 3; i++)
		if ((cnt[i] != 0 || (i == 0 && a[i].type == JSON_ARRAY)) &&
		    cnt[i] != total)
			return fail(n, "%s has %zu entries, %s %zu", names[i],
			    cnt[i], names[j], cnt[j]);
	json_iter_init(&io, &a[0]);
	json_iter_init(&ip, &a[1]);
	json_iter_init(&itk, &a[2]);
	n->res_winner = -1;
	n->res_split = total == 2;
	n->res_name = NULL;
	ones = others = 0;
	jw_key(b, "contracts");
	jw_open(b, '[');
	for (k = 0; k < total; k++) {
		o.type = p.type = t.type = JSON_ABSENT;
		json_iter_next(&io, NULL, NULL, &o);
		json_iter_next(&ip, NULL, NULL, &p);
		json_iter_next(&itk, NULL, NULL, &t);
		jw_open(b, '{');
		if (put_str(n, b, "outcome", &o, "outcomes entry", 0) == -1)
			return -1;
		jw_key(b, "token_id");
		if ((s = json_str(&t, &sl)) != NULL && sl > 0)
			jw_str(b, s, sl);
		else if (s != NULL || t.type == JSON_ABSENT || t.type == JSON_NULL)
			jw_null(b);
		else
			return fail(n, "clobTokenIds[%zu] is not a string", k);
		jw_key(b, "price");
		if (num_val(n, b, &p, "outcomePrices entry") == -1)
			return -1;
		jw_close(b, '}');
		if (final_price(&p, &d) == -1)
			d = -1;
		else if (!(d >= 0 && d <= 1))
			return fail(n, "outcomePrices[%zu]: price %g is outside "
			    "[0, 1]", k, d);
		if (d != 0.5)
			n->res_split = 0;
		if (d >= 1 - RES_EPS) {
			ones++;
			n->res_winner = (int)k;
			n->res_name = json_str(&o, &n->res_namelen);
		} else if (d < 0 || d > RES_EPS)
			others++;
	}
	if (ones != 1 || others != 0 || total < 2)
		n->res_winner = -1;
	return jw_close(b, ']');
}

/*
 * How a closed market resolved, from Gamma's word: closed, its UMA
 * status "resolved" (or none sent), and final prices one 1 and the rest
 * 0 ("outcome": resolved_outcome names the winner) or all 0.5 ("split",
 * a 50/50 resolution, scored at 0.5 each).  Anything else is not yet
 * known: null.
 */
static int
put_resolution(struct normalizer *n, struct buf *b, const json_val *f)
{
	const char *s;
	size_t sl;
	int closed = 0, ok;

	/* closed as the record says it: "true" is true there too */
	if (bool_val(&f[M_CLOSED], &closed) == -1)
		closed = 0;
	s = json_str(&f[M_UMASTATUS], &sl);
	ok = closed && (f[M_UMASTATUS].type == JSON_ABSENT ||
	    f[M_UMASTATUS].type == JSON_NULL ||
	    (s && sl == 8 && memcmp(s, "resolved", 8) == 0));
	jw_key(b, "resolution");
	if (ok && n->res_winner >= 0)
		jw_strz(b, "outcome");
	else if (ok && n->res_split)
		jw_strz(b, "split");
	else {
		jw_null(b);
		ok = 0;
	}
	jw_key(b, "resolved_outcome");
	if (ok && n->res_winner >= 0 && n->res_name)
		jw_str(b, n->res_name, n->res_namelen);
	else
		jw_null(b);
	if (ok)
		return put_time(n, b, "resolved_at", &f[M_CLOSEDTIME],
		    "closedTime");
	jw_key(b, "resolved_at");
	return jw_null(b);
}

/* event_id, event_slug and event{event_id, slug, title, tags}. */
static int
put_event(struct normalizer *n, struct buf *b, const json_val *ev,
    json_val *tags, int parent)
{
	json_val f[EV_N];

	tags->type = JSON_ABSENT;
	if (ev == NULL || ev->type != JSON_OBJECT) {
		jw_key(b, "event_id");
		jw_null(b);
		jw_key(b, "event_slug");
		jw_null(b);
		jw_key(b, "event");
		return jw_null(b);
	}
	json_pick(ev, evkeys, EV_N, f);
	*tags = f[EV_TAGS];
	/* the event a market came inside, its id unreadable: event()
	 * failed it, and its markets go on without it */
	if (parent && n->eid.len == 0)
		f[EV_ID].type = JSON_NULL;
	if (put_id(n, b, "event_id", &f[EV_ID], "event id") == -1 ||
	    put_str(n, b, "event_slug", &f[EV_SLUG], "event slug", 1) == -1)
		return -1;
	jw_key(b, "event");
	jw_open(b, '{');
	if (put_id(n, b, "event_id", &f[EV_ID], "event id") == -1 ||
	    put_str(n, b, "slug", &f[EV_SLUG], "event slug", 1) == -1 ||
	    put_str(n, b, "title", &f[EV_TITLE], "event title", 0) == -1 ||
	    put_tags(n, b, &f[EV_TAGS]) == -1)
		return -1;
	return jw_close(b, '}');
}

static void
put_src(struct buf *b, const struct norm_src *src)
{
	jw_key(b, "raw_sha256");
	jw_strz(b, src->sha256);
	jw_key(b, "fetched_at");
	jw_strz(b, src->fetched_at);
}

/* One market into b; parent is the event it came inside, or NULL. */
static int
market(struct normalizer *n, struct buf *b, const json_val *m,
    const json_val *parent, const struct norm_src *src)
{
	json_val f[M_N], ev, evtags;
	const json_val *tags;

	buf_reset(&n->id);
	if (m->type != JSON_OBJECT)
		return fail(n, "market is not an object");
	json_pick(m, mkeys, M_N, f);
	if (f[M_ID].type == JSON_ABSENT || f[M_ID].type == JSON_NULL)
		return fail(n, "market_id missing");
	if (id_text(&f[M_ID], &n->id) == -1)
		return fail(n, "market_id is not a string or integer id");
	ev.type = JSON_ABSENT;
	if (parent)
		ev = *parent;
	else if (f[M_EVENTS].type == JSON_ARRAY) {
		json_iter it;
		json_iter_init(&it, &f[M_EVENTS]);
		json_iter_next(&it, NULL, NULL, &ev);
	}
	buf_reset(b);
	jw_open(b, '{');
	jw_key(b, "kind");
	jw_strz(b, "market");
	jw_key(b, "source");
	jw_strz(b, "polymarket");
	jw_key(b, "market_id");
	jw_str(b, n->id.data, n->id.len);
	if (put_str(n, b, "condition_id", &f[M_CONDITION], "conditionId", 1) ||
	    put_str(n, b, "question_id", &f[M_QUESTIONID], "questionID", 1) ||
	    put_str(n, b, "slug", &f[M_SLUG], "slug", 1) ||
	    put_str(n, b, "question", &f[M_QUESTION], "question", 0) ||
	    put_str(n, b, "description", &f[M_DESCRIPTION], "description", 0) ||
	    put_event(n, b, &ev, &evtags, parent != NULL) ||
	    put_time(n, b, "close_time", either(&f[M_ENDDATE],
		&f[M_ENDDATEISO]), "endDate") ||
	    put_time(n, b, "start_time", &f[M_STARTDATE], "startDate") ||
	    put_time(n, b, "closed_time", &f[M_CLOSEDTIME], "closedTime") ||
	    put_time(n, b, "updated_at", &f[M_UPDATEDAT], "updatedAt") ||
	    put_bool(n, b, "active", &f[M_ACTIVE], "active") ||
	    put_bool(n, b, "closed", &f[M_CLOSED], "closed") ||
	    put_bool(n, b, "archived", &f[M_ARCHIVED], "archived") ||
	    put_bool(n, b, "neg_risk", &f[M_NEGRISK], "negRisk") ||
	    put_str(n, b, "group_item_title", &f[M_GROUPTITLE],
		"groupItemTitle", 1) ||
	    put_str(n, b, "resolution_status", &f[M_UMASTATUS],
		"umaResolutionStatus", 1) ||
	    put_num(n, b, "volume", either(&f[M_VOLUME], &f[M_VOLUMENUM]),
		"volume") ||
	    put_num(n, b, "liquidity", either(&f[M_LIQUIDITY],
		&f[M_LIQUIDITYNUM]), "liquidity") ||
	    put_num(n, b, "best_bid", &f[M_BESTBID], "bestBid") ||
	    put_num(n, b, "best_ask", &f[M_BESTASK], "bestAsk") ||
	    put_num(n, b, "last_trade_price", &f[M_LASTTRADE],
		"lastTradePrice") ||
	    put_num(n, b, "volume_24h", &f[M_VOLUME24HR], "volume24hr") ||
	    put_num(n, b, "volume_1wk", &f[M_VOLUME1WK], "volume1wk") ||
	    put_num(n, b, "spread", &f[M_SPREAD], "spread") ||
	    put_num(n, b, "one_day_price_change", &f[M_DAYCHANGE],
		"oneDayPriceChange") ||
	    contracts(n, b, &f[M_OUTCOMES], &f[M_PRICES], &f[M_TOKENS]) ||
	    put_resolution(n, b, f))
		return -1;
	tags = f[M_TAGS].type == JSON_ARRAY ? &f[M_TAGS] : &evtags;
	if (put_tags(n, b, tags) == -1)
		return -1;
	put_src(b, src);
	if (jw_close(b, '}') == -1)
		return fail(n, "record larger than the line cap");
	return 0;
}

/* The event record of event fields f, its id in n->eid, into b. */
static int
event_record(struct normalizer *n, struct buf *b, const json_val *f,
    const struct norm_src *src)
{
	json_val m, id;
	json_iter it;

	buf_reset(b);
	jw_open(b, '{');
	jw_key(b, "kind");
	jw_strz(b, "event");
	jw_key(b, "source");
	jw_strz(b, "polymarket");
	jw_key(b, "event_id");
	jw_str(b, n->eid.data, n->eid.len);
	if (put_str(n, b, "slug", &f[E_SLUG], "slug", 1) ||
	    put_str(n, b, "title", &f[E_TITLE], "title", 0) ||
	    put_str(n, b, "description", &f[E_DESCRIPTION], "description", 0) ||
	    put_time(n, b, "start_time", &f[E_STARTDATE], "startDate") ||
	    put_time(n, b, "end_time", &f[E_ENDDATE], "endDate") ||
	    put_time(n, b, "updated_at", &f[E_UPDATEDAT], "updatedAt") ||
	    put_bool(n, b, "active", &f[E_ACTIVE], "active") ||
	    put_bool(n, b, "closed", &f[E_CLOSED], "closed") ||
	    put_bool(n, b, "archived", &f[E_ARCHIVED], "archived") ||
	    put_bool(n, b, "neg_risk", &f[E_NEGRISK], "negRisk") ||
	    put_num(n, b, "volume", &f[E_VOLUME], "volume") ||
	    put_num(n, b, "liquidity", &f[E_LIQUIDITY], "liquidity") ||
	    put_tags(n, b, &f[E_TAGS]))
		return -1;
	jw_key(b, "market_ids");
	jw_open(b, '[');
	json_iter_init(&it, &f[E_MARKETS]);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		json_get(&m, "id", &id);
		if (id_text(&id, &n->id) == 0)
			jw_str(b, n->id.data, n->id.len);
	}
	jw_close(b, ']');
	put_src(b, src);
	if (jw_close(b, '}') == -1)
		return fail(n, "record larger than the line cap");
	return 0;
}

static int
event(struct normalizer *n, const json_val *e, const struct norm_src *src,
    const struct norm_sink *sink)
{
	struct buf *b = &n->rec;
	json_val f[E_N], m;
	json_iter it;
	const char *idbad = NULL;
	int failed = 0;

	if (e->type != JSON_OBJECT)
		return fail(n, "event is not an object");
	json_pick(e, ekeys, E_N, f);
	buf_reset(&n->eid);
	if (f[E_ID].type == JSON_ABSENT || f[E_ID].type == JSON_NULL)
		idbad = "event_id missing";
	else if (id_text(&f[E_ID], &n->eid) == -1) {
		buf_reset(&n->eid);
		idbad = "event_id is not a string or integer id";
	}
	if (f[E_MARKETS].type != JSON_ABSENT &&
	    f[E_MARKETS].type != JSON_NULL && f[E_MARKETS].type != JSON_ARRAY)
		return fail(n, "%s", idbad ? idbad : "markets is not an array");
	/* A field of the event it cannot read, its id above all, is the
	 * event's failure, not its markets': they have their own ids and
	 * fields, and without the event's id their event_id is null
	 * (put_event: n->eid empty). */
	if (idbad)
		failed = fail(n, "%s", idbad) == -1;
	else
		failed = event_record(n, b, f, src) == -1;
	if (failed)
		sink->fail(sink->arg, NULL, idz(&n->eid), n->err);
	else
		sink->record(sink->arg, b);

	/* Then each embedded market, with this event as its own. */
	json_iter_init(&it, &f[E_MARKETS]);
	while (json_iter_next(&it, NULL, NULL, &m)) {
		if (market(n, b, &m, e, src) == 0)
			sink->record(sink->arg, b);
		else {
			sink->fail(sink->arg, idz(&n->id), idz(&n->eid),
			    n->err);
			failed++;
		}
	}
	return failed;
}

/* A number, or a string holding one, as a double: 0, or -1 when it is
 * missing or not one. */
static int
num_get(struct normalizer *n, const json_val *v, const char *name, double *d)
{
	const char *s;
	size_t sl;
	int r;

	if (v->type == JSON_ABSENT || v->type == JSON_NULL)
		return fail(n, "%s missing", name);
	if ((s = json_str(v, &sl)) != NULL) {
		if (sl == 0)
			return fail(n, "%s is an empty string", name);
		if ((r = str_double(s, sl, d)) == -2)
			return fail(n, "out of memory");
		if (r == -1)
			return fail(n, "%s is not a number: \"%.32s\"", name,
			    s);
	} else if (json_double(v, d) == -1)
		return fail(n, "%s is not a number", name);
	return 0;
}

/* A price is a probability: a number in [0, 1], or a string of one. */
static int
price_check(struct normalizer *n, const json_val *p, double *d)
{
	if (num_get(n, p, "price", d) == -1)
		return -1;
	if (!(*d >= 0 && *d <= 1))
		return fail(n, "price %g is outside [0, 1]", *d);
	return 0;
}

/* The sides pm-records(5) names. */
static int
side_known(const char *side)
{
	static const char *const sides[] = { "buy", "sell", "mid", "last",
	    "history" };
	size_t i;

	for (i = 0; i < sizeof sides / sizeof sides[0]; i++)
		if (strcmp(side, sides[i]) == 0)
			return 1;
	return 0;
}

/* One price record: token, side, price value, timestamp. */
static int
price(struct normalizer *n, const struct norm_sink *sink,
    const struct norm_src *src, const char *tok, size_t toklen,
    const json_val *ctx, const char *side, const json_val *p, const char *ts)
{
	static const char *const ckeys[] = { "market_id", "outcome" };
	struct buf *b = &n->rec;
	json_val f[2];
	double d;

	if (tok == NULL || toklen == 0)
		return fail(n, "token_id unknown: the raw record's request "
		    "names none");
	if (p->type == JSON_ABSENT || p->type == JSON_NULL)
		return fail(n, "price missing");
	if (price_check(n, p, &d) == -1)
		return -1;
	if (side == NULL)
		return fail(n, "side unknown: the raw record's request names "
		    "none");
	if (!side_known(side))
		return fail(n, "side \"%.20s\" is not buy, sell, mid, last "
		    "or history", side);
	if (ts == NULL)
		return fail(n, "no timestamp: fetched_at missing");
	json_pick(ctx, ckeys, 2, f);
	buf_reset(b);
	jw_open(b, '{');
	jw_key(b, "kind");
	jw_strz(b, "price");
	jw_key(b, "source");
	jw_strz(b, "polymarket");
	jw_key(b, "token_id");
	jw_str(b, tok, toklen);
	if (put_id(n, b, "market_id", &f[0], "market_id") ||
	    put_str(n, b, "outcome", &f[1], "outcome", 0))
		return -1;
	jw_key(b, "side");
	jw_strz(b, side);
	if (put_num(n, b, "price", p, "price") == -1)
		return -1;
	jw_key(b, "ts");
	jw_strz(b, ts);
	put_src(b, src);
	if (jw_close(b, '}') == -1)
		return fail(n, "record larger than the line cap");
	if (sink)	/* NULL: checked only (a book's first pass) */
		sink->record(sink->arg, b);
	return 0;
}

/*
 * A book side's levels, checked: an array (null is none, missing is not
 * a book) of objects, each of a price in [0, 1] and a size of 0 or more.
 * Ranked best first, whatever order they come in: bids by price down,
 * asks up, of equal prices the later first (upstream sends the best
 * last).
 */
struct book_lv {
	json_val	 price;
	double		 px;
	size_t		 i;	/* its place upstream */
};

static int
book_lv_cmp(const struct book_lv *x, const struct book_lv *y, int bid)
{
	if (x->px != y->px)
		return (x->px > y->px) == bid ? -1 : 1;
	return x->i > y->i ? -1 : 1;
}

static int
book_bid_cmp(const void *a, const void *b)
{
	return book_lv_cmp(a, b, 1);
}

static int
book_ask_cmp(const void *a, const void *b)
{
	return book_lv_cmp(a, b, 0);
}

struct book_side {
	const char	*name;		/* "bids" or "asks" */
	json_val	 v;
	struct book_lv	*lv;		/* best first */
	size_t		*rank;		/* rank[i]: the level of element i */
	size_t		 count;
};

/* The failure at hand as that of level i of side bs: "bids[1]: ...". */
static int
book_lv_fail(struct normalizer *n, const struct book_side *bs, size_t i)
{
	char err[sizeof n->err];

	snprintf(err, sizeof err, "%s", n->err);
	return fail(n, "%s[%zu]: %s", bs->name, i, err);
}

static int
book_rank(struct normalizer *n, const json_val *pl, struct book_side *bs)
{
	json_val e, sz;
	json_iter it;
	double d;
	size_t i;

	json_get(pl, bs->name, &bs->v);
	if (bs->v.type == JSON_NULL)	/* Go's empty slice: no level */
		return 0;
	if (bs->v.type != JSON_ARRAY)
		return fail(n, "%s %s", bs->name, bs->v.type == JSON_ABSENT ?
		    "missing" : "is not an array");
	if ((bs->count = json_count(&bs->v)) == 0)
		return 0;
	if ((bs->lv = calloc(bs->count, sizeof *bs->lv)) == NULL ||
	    (bs->rank = calloc(bs->count, sizeof *bs->rank)) == NULL)
		return fail(n, "out of memory");
	json_iter_init(&it, &bs->v);
	for (i = 0; json_iter_next(&it, NULL, NULL, &e); i++) {
		if (e.type != JSON_OBJECT)
			return fail(n, "%s[%zu] is not an object", bs->name, i);
		json_get(&e, "price", &bs->lv[i].price);
		json_get(&e, "size", &sz);
		if (price_check(n, &bs->lv[i].price, &bs->lv[i].px) == -1 ||
		    num_get(n, &sz, "size", &d) == -1 ||
		    (!(d >= 0) && fail(n, "size %g is negative", d)))
			return book_lv_fail(n, bs, i);
		bs->lv[i].i = i;
	}
	qsort(bs->lv, bs->count, sizeof *bs->lv,
	    bs->name[0] == 'b' ? book_bid_cmp : book_ask_cmp);
	for (i = 0; i < bs->count; i++)
		bs->rank[bs->lv[i].i] = i;
	return 0;
}

static void
book_side_free(struct book_side *bs)
{
	free(bs->lv);
	free(bs->rank);
}

/* The best quote of a book side: its level 0. */
static int
book_best(struct normalizer *n, const struct norm_sink *sink,
    const struct norm_src *src, const char *tok, size_t toklen,
    const struct book_side *bs, const char *name, const char *ts)
{
	if (bs->count == 0)
		return 0;
	return price(n, sink, src, tok, toklen, &src->request, name,
	    &bs->lv[0].price, ts);
}

/* The levels of a book side as book_rank() checked and ranked them, in
 * the order they came. */
static int
book_levels(struct normalizer *n, struct buf *b, const struct book_side *bs)
{
	json_val e, v;
	json_iter it;
	size_t i;

	jw_key(b, bs->name);
	jw_open(b, '[');
	if (bs->count > 0)
		json_iter_init(&it, &bs->v);
	for (i = 0; i < bs->count && json_iter_next(&it, NULL, NULL, &e);
	    i++) {
		jw_open(b, '{');
		jw_key(b, "level");
		jw_int(b, (int64_t)bs->rank[i]);
		json_get(&e, "price", &v);
		if (put_num(n, b, "price", &v, "price") == -1)
			return book_lv_fail(n, bs, i);
		json_get(&e, "size", &v);
		if (put_num(n, b, "size", &v, "size") == -1)
			return book_lv_fail(n, bs, i);
		jw_close(b, '}');
	}
	return jw_close(b, ']');
}

/* A whole book snapshot: every level of both sides, best first. */
static int
book(struct normalizer *n, const struct norm_sink *sink,
    const struct norm_src *src, const char *tok, size_t toklen,
    const json_val *pl, const struct book_side bs[2], const char *ts)
{
	static const char *const ckeys[] = { "market_id", "outcome" };
	struct buf *b = &n->rec;
	json_val f[2], v;

	if (tok == NULL || toklen == 0)
		return fail(n, "book without asset_id");
	json_pick(&src->request, ckeys, 2, f);
	buf_reset(b);
	jw_open(b, '{');
	jw_key(b, "kind");
	jw_strz(b, "book");
	jw_key(b, "source");
	jw_strz(b, "polymarket");
	jw_key(b, "token_id");
	jw_str(b, tok, toklen);
	if (put_id(n, b, "market_id", &f[0], "market_id") ||
	    put_str(n, b, "outcome", &f[1], "outcome", 0))
		return -1;
	json_get(pl, "market", &v);
	if (put_str(n, b, "condition_id", &v, "market", 1) == -1)
		return -1;
	jw_key(b, "ts");
	jw_strz(b, ts);
	if (book_levels(n, b, &bs[0]) == -1 ||
	    book_levels(n, b, &bs[1]) == -1)
		return -1;
	put_src(b, src);
	if (jw_close(b, '}') == -1)
		return fail(n, "record larger than the line cap");
	if (sink)
		sink->record(sink->arg, b);
	return 0;
}

/*
 * POST /prices: {"<token>":{"BUY":"0.5","SELL":"0.6"}}; the request may
 * map tokens to {market_id, outcome}.  A price that is not one is a
 * failure of its own, naming its token and market, as a history point
 * is: the other prices of the batch go on.  The number failed.
 */
static int
prices_batch(struct normalizer *n, const json_val *pl,
    const struct norm_src *src, const struct norm_sink *sink)
{
	json_val tokens, ctx, sides, p, mid;
	json_iter it, is;
	const char *tok, *sk;
	char side[8], err[sizeof n->err + 128];
	size_t toklen, skl, i;
	int failed = 0;

	if (pl->type != JSON_OBJECT)
		return fail(n, "prices payload is not an object");
	json_get(&src->request, "tokens", &tokens);
	json_iter_init(&it, pl);
	while (json_iter_next(&it, &tok, &toklen, &sides)) {
		json_get(&tokens, tok, &ctx);
		json_get(&ctx, "market_id", &mid);
		if (sides.type != JSON_OBJECT) {
			snprintf(err, sizeof err, "token %.80s: prices are not "
			    "an object", tok);
			sink->fail(sink->arg, id_or_null(n, &mid), NULL, err);
			failed++;
			continue;
		}
		json_iter_init(&is, &sides);
		while (json_iter_next(&is, &sk, &skl, &p)) {
			for (i = 0; i < skl && i < sizeof side - 1; i++)
				side[i] = (char)(sk[i] | 0x20);
			side[i] = 0;
			if (skl >= sizeof side)
				fail(n, "side \"%.*s\" is not BUY or SELL",
				    (int)(skl < 20 ? skl : 20), sk);
			else if (price(n, sink, src, tok, toklen, &ctx, side,
			    &p, src->fetched_at) == 0)
				continue;
			snprintf(err, sizeof err, "token %.80s %.*s: %s", tok,
			    (int)(skl < 20 ? skl : 20), sk, n->err);
			sink->fail(sink->arg, id_or_null(n, &mid), NULL, err);
			failed++;
		}
	}
	return failed;
}

/*
 * GET /prices-history: {"history":[{"t":<epoch s>,"p":<price>}...]}.  A
 * point that is not one is a failure of its own, as a trade row is: the
 * other points go on.  The number of points failed.
 */
static int
history(struct normalizer *n, const json_val *pl, const struct norm_src *src,
    const struct norm_sink *sink, const char *tok, size_t toklen)
{
	json_val h, pt, t, v, mid;
	json_iter it;
	char ts[TS_MAX], err[sizeof n->err + 32];
	size_t k = 0;
	int64_t sec;
	int failed = 0;

	json_get(pl, "history", &h);
	if (h.type != JSON_ARRAY)
		return fail(n, "history is not an array");
	if (tok == NULL || toklen == 0)		/* one failure, not one a point */
		return fail(n, "token_id unknown: the raw record's request "
		    "names none");
	json_iter_init(&it, &h);
	for (; json_iter_next(&it, NULL, NULL, &pt); k++) {
		json_get(&pt, "t", &t);
		json_get(&pt, "p", &v);
		if (json_int64(&t, &sec) == -1 || ts_epoch(sec, ts) == -1)
			fail(n, "history point without epoch t");
		else if (price(n, sink, src, tok, toklen, &src->request,
		    "history", &v, ts) == 0)
			continue;
		snprintf(err, sizeof err, "history[%zu]: %s", k, n->err);
		json_get(&src->request, "market_id", &mid);
		sink->fail(sink->arg, id_or_null(n, &mid), NULL, err);
		failed++;
	}
	return failed;
}

static int
prices(struct normalizer *n, const char *ep, const json_val *pl,
    const struct norm_src *src, const struct norm_sink *sink)
{
	const json_val *req = &src->request;
	const struct norm_sink *to;
	json_val tv, v, t;
	const char *tok, *s;
	struct book_side bs[2] = { { .name = "bids" }, { .name = "asks" } };
	char ts[TS_MAX], side[8];
	size_t toklen = 0, sl, i;
	int pass, r = 0;

	if (pl->type != JSON_OBJECT)
		return fail(n, "%s payload is not an object", ep);
	if (strcmp(ep, "prices") == 0)
		return prices_batch(n, pl, src, sink);
	json_get(req, "token_id", &tv);
	if (tv.type == JSON_ABSENT)
		json_get(req, "market", &tv);
	tok = json_str(&tv, &toklen);
	if (strcmp(ep, "book") == 0) {
		json_get(pl, "asset_id", &tv);
		tok = json_str(&tv, &toklen);
		json_get(pl, "timestamp", &t);
		if ((s = json_str(&t, &sl)) == NULL || ts_parse(s, sl, ts) == -1)
			return fail(n, "book timestamp missing or not epoch ms");
		/* all of a book or none of it: each level checked and
		 * ranked, each record made and checked (no sink), then
		 * written */
		if (book_rank(n, pl, &bs[0]) == 0 &&
		    book_rank(n, pl, &bs[1]) == 0)
			for (pass = 0; pass < 2; pass++) {
				to = pass ? sink : NULL;
				if ((r = book_best(n, to, src, tok, toklen,
				    &bs[0], "buy", ts)) == -1 ||
				    (r = book_best(n, to, src, tok, toklen,
				    &bs[1], "sell", ts)) == -1 ||
				    (r = book(n, to, src, tok, toklen, pl, bs,
				    ts)) == -1)
					break;
			}
		else
			r = -1;
		book_side_free(&bs[0]);
		book_side_free(&bs[1]);
		return r;
	}
	if (strcmp(ep, "prices-history") == 0)
		return history(n, pl, src, sink, tok, toklen);
	if (strcmp(ep, "midpoint") == 0) {
		json_get(pl, "mid", &v);
		return price(n, sink, src, tok, toklen, req, "mid", &v,
		    src->fetched_at);
	}
	json_get(pl, "price", &v);
	if (strcmp(ep, "last-trade-price") == 0)
		return price(n, sink, src, tok, toklen, req, "last", &v,
		    src->fetched_at);
	/* GET /price: the side asked for (BUY = best bid). */
	json_get(req, "side", &t);
	s = json_str(&t, &sl);
	for (i = 0; s && i < sl && i < sizeof side - 1; i++)
		side[i] = (char)(s[i] | 0x20);
	side[s ? i : 0] = 0;
	if (s && sl >= sizeof side)
		return fail(n, "side \"%.*s\" is not BUY or SELL",
		    (int)(sl < 20 ? sl : 20), s);
	return price(n, sink, src, tok, toklen, req, s ? side : NULL, &v,
	    src->fetched_at);
}

/*
 * A trade's key: no trade id exists upstream.  One transaction is a taker
 * row and its maker rows (takerOnly=false), which differ in wallet, side,
 * token, price or size: all of these, with the transaction and the time,
 * name a fill, and re-fetching it gives the same key.  Numbers enter as
 * their shortest round-trip text, so 5 and 5.0 are one key.
 */
static int
trade_key(const json_val f[TR_N], char key[65], char *err, size_t errlen)
{
	static const int parts[] = { TR_TX, TR_WALLET, TR_SIDE, TR_ASSET,
	    TR_COND, TR_PRICE, TR_SIZE, TR_TS };
	char text[1024], num[40];
	const char *p;
	size_t i, n, len = 0;
	double d;

	for (i = 0; i < sizeof parts / sizeof *parts; i++) {
		const json_val *v = &f[parts[i]];
		/* a price or size sent as a string ("0.50") keys as the
		 * number it holds */
		if ((p = json_str(v, &n)) != NULL &&
		    (parts[i] == TR_PRICE || parts[i] == TR_SIZE) &&
		    str_double(p, n, &d) == 0 && isfinite(d)) {
			n = json_dtoa(d, num);
			p = num;
		} else if (p == NULL) {
			if (json_double(v, &d) == -1) {
				snprintf(err, errlen, "trade %s missing or not "
				    "a string or number", trkeys[parts[i]]);
				return -1;
			}
			n = json_dtoa(d, num);
			p = num;
		}
		if (len + n + 1 >= sizeof text) {
			snprintf(err, errlen, "trade fields too long");
			return -1;
		}
		memcpy(text + len, p, n);
		len += n;
		text[len++] = '\n';
	}
	return sha256_hex(text, len, key);
}

/* One trade record; count: identical rows in its page. */
static int
trade(struct normalizer *n, const json_val f[TR_N], const char *key,
    long count, const struct norm_src *src, const struct norm_sink *sink)
{
	struct buf *b = &n->rec;
	char ts[TS_MAX];
	const char *s;
	size_t sl;
	double d;
	int64_t idx;

	if (json_double(&f[TR_TS], &d) == -1 || d < 0 || d >= 1e12 ||
	    ts_epoch((int64_t)d, ts) == -1)
		return fail(n, "trade timestamp is not epoch seconds");
	if ((s = json_str(&f[TR_SIDE], &sl)) == NULL ||
	    !((sl == 3 && memcmp(s, "BUY", 3) == 0) ||
	    (sl == 4 && memcmp(s, "SELL", 4) == 0)))
		return fail(n, "trade side is not BUY or SELL");
	if (price_check(n, &f[TR_PRICE], &d) == -1 ||
	    num_get(n, &f[TR_SIZE], "size", &d) == -1)
		return -1;
	if (!(d > 0))
		return fail(n, "size %g is not above 0", d);
	buf_reset(b);
	jw_open(b, '{');
	jw_key(b, "kind");
	jw_strz(b, "trade");
	jw_key(b, "source");
	jw_strz(b, "polymarket");
	jw_key(b, "trade_key");
	jw_strz(b, key);
	if (put_str(n, b, "condition_id", &f[TR_COND], "conditionId", 1) ||
	    put_id(n, b, "token_id", &f[TR_ASSET], "asset") ||
	    put_str(n, b, "side", &f[TR_SIDE], "side", 1) ||
	    put_num(n, b, "size", &f[TR_SIZE], "size") ||
	    put_num(n, b, "price", &f[TR_PRICE], "price"))
		return -1;
	jw_key(b, "ts");
	jw_strz(b, ts);
	if (put_str(n, b, "wallet", &f[TR_WALLET], "proxyWallet", 1) ||
	    put_str(n, b, "outcome", &f[TR_OUTCOME], "outcome", 1))
		return -1;
	/* The unscoped feed sends 999 on every row: an index only when it
	 * can be one. */
	jw_key(b, "outcome_index");
	if (json_int64(&f[TR_OUTIDX], &idx) == 0 && idx >= 0 && idx < 100)
		jw_int(b, idx);
	else if (json_double(&f[TR_OUTIDX], &d) == 0 && d >= 0 && d < 100 &&
	    d == (double)(int)d)
		jw_int(b, (int)d);
	else
		jw_null(b);
	if (put_str(n, b, "transaction_hash", &f[TR_TX], "transactionHash",
	    1) ||
	    put_str(n, b, "title", &f[TR_TITLE], "title", 1) ||
	    put_str(n, b, "slug", &f[TR_SLUG], "slug", 1) ||
	    put_str(n, b, "event_slug", &f[TR_EVSLUG], "eventSlug", 1) ||
	    put_str(n, b, "name", &f[TR_NAME], "name", 1) ||
	    put_str(n, b, "pseudonym", &f[TR_PSEUDO], "pseudonym", 1))
		return -1;
	jw_key(b, "count");
	jw_int(b, count);
	put_src(b, src);
	if (jw_close(b, '}') == -1)
		return fail(n, "record larger than the line cap");
	sink->record(sink->arg, b);
	return 0;
}

/* A page of /trades: rows identical in every field within one
 * transaction are one fill reported twice, kept once with a count. */
static int
trades(struct normalizer *n, const json_val *pl, const struct norm_src *src,
    const struct norm_sink *sink)
{
	json_val f[TR_N], row;
	json_iter it;
	struct strset *keys;
	long *count = NULL, *tmp;
	char key[65], err[160], detail[sizeof n->err + 32];
	size_t cap = 0, k;
	long i;
	int failed = 0, pass;

	if (pl->type != JSON_ARRAY)
		return fail(n, "trades payload is not an array");
	if ((keys = strset_new()) == NULL)
		return fail(n, "out of memory");
	for (pass = 0; pass < 2; pass++) {
		json_iter_init(&it, pl);
		for (k = 0; json_iter_next(&it, NULL, NULL, &row); k++) {
			json_pick(&row, trkeys, TR_N, f);
			if (row.type != JSON_OBJECT ||
			    trade_key(f, key, err, sizeof err) == -1) {
				if (pass == 1) {
					snprintf(detail, sizeof detail,
					    "trades[%zu]: %s", k,
					    row.type != JSON_OBJECT ?
					    "a trade is not an object" : err);
					sink->fail(sink->arg, NULL, NULL,
					    detail);
					failed++;
				}
				continue;
			}
			if (pass == 0) {
				if (strset_add(keys, key, 64) == -1)
					goto oom;
				i = strset_index(keys, key, 64);
				if ((size_t)i >= cap) {
					cap = cap ? 2 * cap : 64;
					if ((tmp = realloc(count, cap *
					    sizeof *count)) == NULL)
						goto oom;
					memset(tmp + i, 0, (cap - (size_t)i) *
					    sizeof *tmp);
					count = tmp;
				}
				count[i]++;
				continue;
			}
			i = strset_index(keys, key, 64);
			if (count[i] == 0)
				continue;	/* written with its count */
			if (trade(n, f, key, count[i], src, sink) == -1) {
				snprintf(detail, sizeof detail,
				    "trades[%zu]: %s", k, n->err);
				sink->fail(sink->arg, NULL, NULL, detail);
				failed++;
			}
			count[i] = 0;
		}
	}
	strset_free(keys);
	free(count);
	return failed;
oom:
	strset_free(keys);
	free(count);
	return fail(n, "out of memory");
}

static int
has(const json_val *v)
{
	return v->type != JSON_ABSENT;
}

const char *
norm_envelope(const json_val *pl)
{
	static const char *const keys[] = { "$schema", "events", "id",
	    "markets", "next_cursor" };
	enum { SCHEMA, EVENTS, ID, MARKETS, CURSOR, N };
	json_val f[N];

	if (pl->type != JSON_OBJECT)
		return NULL;
	json_pick(pl, keys, N, f);
	/* an event has an id and markets too, and no cursor */
	if (has(&f[ID]) || !(has(&f[SCHEMA]) || has(&f[CURSOR])))
		return NULL;
	if (f[MARKETS].type == JSON_ARRAY)
		return "markets";
	if (f[EVENTS].type == JSON_ARRAY)
		return "events";
	return NULL;
}

const char *
norm_detect(const json_val *pl)
{
	static const char *const keys[] = { "asset_id", "bids", "clobTokenIds",
	    "conditionId", "history", "markets", "mid", "price", "proxyWallet",
	    "question", "ticker", "title", "transactionHash" };
	enum { ASSET, BIDS, TOKENS, COND, HIST, MARKETS, MID, PRICE, WALLET,
	    QUESTION, TICKER, TITLE, TX, N };
	json_val f[N], first;
	json_iter it;

	if (pl->type == JSON_ARRAY) {
		json_iter_init(&it, pl);
		if (json_iter_next(&it, NULL, NULL, &first)) {
			json_get(&first, "transactionHash", &f[0]);
			if (has(&f[0]))
				return "trades";
		}
		return NULL;
	}
	json_pick(pl, keys, N, f);
	/* a Data API trade row has a conditionId too: no market */
	if (has(&f[TX]) || has(&f[WALLET]))
		return "trades";
	if (has(&f[QUESTION]) || has(&f[COND]) || has(&f[TOKENS]))
		return "markets";
	if (f[MARKETS].type == JSON_ARRAY || has(&f[TICKER]) || has(&f[TITLE]))
		return "events";
	if (f[HIST].type == JSON_ARRAY)
		return "prices-history";
	if (has(&f[ASSET]) && has(&f[BIDS]))
		return "book";
	if (has(&f[MID]))
		return "midpoint";
	if (has(&f[PRICE]))
		return "price";
	return NULL;
}

int
norm_payload(struct normalizer *n, const char *ep, const json_val *pl,
    const struct norm_src *src, const struct norm_sink *sink)
{
	json_val mid;
	int r;

	n->err[0] = 0;
	buf_reset(&n->id);
	if (strncmp(ep, STRCONST("markets")) == 0) {
		if (market(n, &n->rec, pl, NULL, src) == -1) {
			sink->fail(sink->arg, idz(&n->id), NULL,
			    n->err);
			return 1;
		}
		sink->record(sink->arg, &n->rec);
		return 0;
	}
	if (strncmp(ep, STRCONST("events")) == 0)
		r = event(n, pl, src, sink);
	else if (strcmp(ep, "trades") == 0)
		r = trades(n, pl, src, sink);
	else
		r = prices(n, ep, pl, src, sink);
	if (r == -1) {
		/* a CLOB answer's failure names the market its request
		 * names (a Gamma or Data API request names none) */
		json_get(&src->request, "market_id", &mid);
		sink->fail(sink->arg, id_or_null(n, &mid), NULL, n->err);
		return 1;
	}
	return r;
}
