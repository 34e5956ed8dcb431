/* group.c - market and event records to group records (see group.h). */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "key.h"
#include "json.h"
#include "jspan.h"
#include "jw.h"
#include "timefmt.h"

/* One record's bytes and the keys it is sorted on, in one allocation. */
struct item {
	const char	*id;	/* market_id, or event_id */
	const char	*eid;	/* markets: event_id or NULL */
	const char	*slug;	/* event_slug / slug, or NULL */
	const char	*fetched; /* fetched_at, or NULL */
	const char	*close;	/* markets, with a margin: close_time, or
				   NULL */
	const char	*text;
	size_t		 len;
	unsigned long	 seq;	/* input order: of two fetched at once,
				   the later wins */
};

/* Markets of one group: items[start .. start+n) after sorting. */
struct span {
	size_t	 start, n;
	char	*key;		/* event_key */
};

struct vec {
	struct item	**v;
	size_t		  n, cap;
};

struct grouper {
	struct vec	 markets, events;
	struct item	**by_slug;	/* events sorted by slug */
	size_t		  nslug;
	struct buf	  line;
	unsigned long	  seq;
	struct group_stats st;
	double		  cutoff_ms;	/* grouper_margin() */
	void		(*late)(void *, const char *);
	void		 *late_arg;
};

struct grouper *
grouper_new(void)
{
	struct grouper *g;

	if ((g = calloc(1, sizeof *g)) == NULL)
		return NULL;
	buf_init(&g->line, 0);
	return g;
}

static void
vec_release(struct vec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
}

void
grouper_free(struct grouper *g)
{
	if (g == NULL)
		return;
	vec_release(&g->markets);
	vec_release(&g->events);
	free(g->by_slug);
	buf_release(&g->line);
	free(g);
}

static int
vec_push(struct vec *v, struct item *it)
{
	struct item **p;
	size_t ncap;

	if (v->n == v->cap) {
		ncap = v->cap ? v->cap * 2 : 256;
		if ((p = realloc(v->v, ncap * sizeof *p)) == NULL)
			return -1;
		v->v = p;
		v->cap = ncap;
	}
	v->v[v->n++] = it;
	return 0;
}

/* A string member, or NULL for null/absent; -1 for another type. */
static int
opt_str(const json_val *obj, const char *key, const char **s, size_t *n)
{
	json_val v;

	json_get(obj, key, &v);
	*s = NULL;
	*n = 0;
	if (v.type == JSON_ABSENT || v.type == JSON_NULL)
		return 0;
	return (*s = json_str(&v, n)) == NULL ? -1 : 0;
}

static char *
put(char **p, const char *s, size_t n)
{
	char *r = *p;

	memcpy(r, s, n);
	r[n] = 0;
	*p += n + 1;
	return r;
}

/* Copy the record and its keys; id must be non-empty.  The fetched_at
 * of a record is its age: of two records of one market (or event), the
 * one fetched later wins, as in pm-store. */
static struct item *
item_new(const struct rec *r, const char *id, size_t idl, const char *eid,
    size_t eidl, const char *slug, size_t slugl, int want_close)
{
	struct item *it;
	const char *f, *c = NULL;
	size_t fl, cl = 0;
	char *p;

	if (opt_str(&r->root, "fetched_at", &f, &fl) == -1) {
		f = NULL;
		fl = 0;
	}
	if (want_close && opt_str(&r->root, "close_time", &c, &cl) == -1) {
		c = NULL;	/* not a time: nothing says it is late */
		cl = 0;
	}
	it = malloc(sizeof *it + idl + eidl + slugl + fl + cl + r->len + 6);
	if (it == NULL)
		return NULL;
	p = (char *)(it + 1);
	it->id = put(&p, id, idl);
	it->eid = eid ? put(&p, eid, eidl) : NULL;
	it->slug = slug ? put(&p, slug, slugl) : NULL;
	it->fetched = f ? put(&p, f, fl) : NULL;
	it->close = c ? put(&p, c, cl) : NULL;
	it->text = put(&p, r->text, r->len);
	it->len = r->len;
	return it;
}

int
grouper_add_market(struct grouper *g, const struct rec *r, const char **err)
{
	const char *id, *eid, *slug;
	size_t idl, eidl, slugl;
	struct item *it;

	if (opt_str(&r->root, "market_id", &id, &idl) == -1 || id == NULL ||
	    idl == 0) {
		*err = "market_id missing or not a string";
		return -1;
	}
	if (opt_str(&r->root, "event_id", &eid, &eidl) == -1 ||
	    opt_str(&r->root, "event_slug", &slug, &slugl) == -1) {
		*err = "event_id or event_slug is not a string";
		return -1;
	}
	if (eid && eidl == 0)
		eid = NULL;
	if (slug && slugl == 0)
		slug = NULL;
	if ((it = item_new(r, id, idl, eid, eidl, slug, slugl,
	    g->late != NULL)) == NULL || vec_push(&g->markets, it) == -1) {
		free(it);
		*err = "out of memory";
		return -1;
	}
	it->seq = g->seq++;
	return 0;
}

int
grouper_add_event(struct grouper *g, const struct rec *r, const char **err)
{
	const char *id, *slug;
	size_t idl, slugl;
	struct item *it;

	if (opt_str(&r->root, "event_id", &id, &idl) == -1 || id == NULL ||
	    idl == 0) {
		*err = "event_id missing or not a string";
		return -1;
	}
	if (opt_str(&r->root, "slug", &slug, &slugl) == -1) {
		*err = "slug is not a string";
		return -1;
	}
	if (slug && slugl == 0)
		slug = NULL;
	if ((it = item_new(r, id, idl, NULL, 0, slug, slugl, 0)) == NULL ||
	    vec_push(&g->events, it) == -1) {
		free(it);
		*err = "out of memory";
		return -1;
	}
	it->seq = g->seq++;
	return 0;
}

/* Older first: without a fetched_at, then by fetched_at (one form, so
 * text order is time order), then in input order. */
static int
cmp_age(const struct item *a, const struct item *b)
{
	int c;

	if (a->fetched == NULL || b->fetched == NULL)
		c = (a->fetched != NULL) - (b->fetched != NULL);
	else
		c = strcmp(a->fetched, b->fetched);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
cmp_id(const void *x, const void *y)
{
	const struct item *a = *(struct item *const *)x;
	const struct item *b = *(struct item *const *)y;
	int c = strcmp(a->id, b->id);

	return c ? c : cmp_age(a, b);
}

static int
cmp_slug(const void *x, const void *y)
{
	const struct item *a = *(struct item *const *)x;
	const struct item *b = *(struct item *const *)y;
	int c = strcmp(a->slug, b->slug);

	return c ? c : cmp_age(a, b);
}

/* What a market is grouped on: its event id, else its event slug, else
 * itself.  The class keeps an id and a slug that spell the same apart. */
static int
gclass(const struct item *m, const char **key)
{
	if (m->eid) {
		*key = m->eid;
		return 0;
	}
	if (m->slug) {
		*key = m->slug;
		return 1;
	}
	*key = m->id;
	return 2;
}

static int
cmp_group(const void *x, const void *y)
{
	const struct item *a = *(struct item *const *)x;
	const struct item *b = *(struct item *const *)y;
	const char *ka, *kb;
	int ca = gclass(a, &ka), cb = gclass(b, &kb), c;

	if (ca != cb)
		return ca - cb;
	if ((c = strcmp(ka, kb)) != 0)
		return c;
	return strcmp(a->id, b->id);
}

static int
cmp_span(const void *x, const void *y)
{
	return strcmp(((const struct span *)x)->key,
	    ((const struct span *)y)->key);
}

/* Sort v on cmp (ties by age) and keep the last, the newest, of each
 * run of equal keys; the dropped items are freed. */
static void
dedupe(struct vec *v, int (*cmp)(const void *, const void *),
    int (*same)(const struct item *, const struct item *))
{
	size_t i, n = 0;

	if (v->n == 0)
		return;
	if (v->n > 1)
		qsort(v->v, v->n, sizeof *v->v, cmp);
	for (i = 0; i < v->n; i++) {
		if (i + 1 < v->n && same(v->v[i], v->v[i + 1]))
			free(v->v[i]);
		else
			v->v[n++] = v->v[i];
	}
	v->n = n;
}

static int
same_id(const struct item *a, const struct item *b)
{
	return strcmp(a->id, b->id) == 0;
}

void
grouper_margin(struct grouper *g, double cutoff_ms,
    void (*late)(void *arg, const char *market_id), void *arg)
{
	g->cutoff_ms = cutoff_ms;
	g->late = late;
	g->late_arg = arg;
}

/* The markets, one record each by now, that close before the cutoff:
 * handed to late() and left out, in market_id order. */
static void
drop_late(struct grouper *g)
{
	struct vec *v = &g->markets;
	const char *c;
	size_t i, n = 0;
	double ms;

	for (i = 0; i < v->n; i++) {
		c = v->v[i]->close;
		if (g->late && c && ts_ms(c, strlen(c), &ms) == 0 &&
		    ms < g->cutoff_ms) {
			g->late(g->late_arg, v->v[i]->id);
			g->st.late++;
			free(v->v[i]);
		} else
			v->v[n++] = v->v[i];
	}
	v->n = n;
}

/* Latest event of each slug, sorted by slug, for the slug join. */
static int
index_slugs(struct grouper *g)
{
	size_t i, n = 0;

	if ((g->by_slug = calloc(g->events.n + 1, sizeof *g->by_slug)) == NULL)
		return -1;
	for (i = 0; i < g->events.n; i++)
		if (g->events.v[i]->slug)
			g->by_slug[n++] = g->events.v[i];
	if (n > 1)
		qsort(g->by_slug, n, sizeof *g->by_slug, cmp_slug);
	for (i = 0, g->nslug = 0; i < n; i++)
		if (i + 1 == n || strcmp(g->by_slug[i]->slug,
		    g->by_slug[i + 1]->slug) != 0)
			g->by_slug[g->nslug++] = g->by_slug[i];
	return 0;
}

static struct item *
find(struct item **v, size_t n, const char *key, int byslug)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, byslug ? v[mid]->slug : v[mid]->id);
		if (c == 0)
			return v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The key grammar is pm-records(5) EVENT KEY: an event id as it is,
 * unless it starts with one of the two prefixes, then "event:" and it;
 * else "market:" and the escaped market ids.  Keys of plain ids are the
 * bytes they always were. */
static char *
span_key(struct item **m, size_t n)
{
	struct buf b;
	const char *k;
	size_t i;
	int rc;

	buf_init(&b, 0);
	if (gclass(m[0], &k) == 0) {
		if (strncmp(k, "market:", 7) != 0 &&
		    strncmp(k, "event:", 6) != 0)
			return strdup(k);
		rc = buf_adds(&b, "event:") | buf_adds(&b, k);
	} else {
		rc = buf_adds(&b, "market:");
		for (i = 0; i < n && rc == 0; i++)
			rc = (i ? buf_addc(&b, ',') : 0) |
			    key_add_id(&b, m[i]->id, strlen(m[i]->id));
	}
	if (rc != 0) {
		buf_release(&b);
		return NULL;
	}
	return b.data;
}

/* The markets, split into groups and sorted by event_key; NULL when out of
 * memory.  *nspans is set. */
static struct span *
make_spans(struct grouper *g, size_t *nspans)
{
	struct item **m = g->markets.v;
	struct span *sp;
	const char *ka, *kb;
	size_t i, j, n = 0;

	if ((sp = calloc(g->markets.n + 1, sizeof *sp)) == NULL)
		return NULL;
	if (g->markets.n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(m, g->markets.n, sizeof *m, cmp_group);
	for (i = 0; i < g->markets.n; i = j) {
		int c = gclass(m[i], &ka);

		for (j = i + 1; j < g->markets.n; j++)
			if (gclass(m[j], &kb) != c || strcmp(ka, kb) != 0)
				break;
		sp[n].start = i;
		sp[n].n = j - i;
		if ((sp[n++].key = span_key(m + i, j - i)) == NULL)
			goto nomem;
	}
	if (n > 1)
		qsort(sp, n, sizeof *sp, cmp_span);
	*nspans = n;
	return sp;
nomem:
	while (n > 0)
		free(sp[--n].key);
	free(sp);
	return NULL;
}

/* The event of a group: the event record joined on id, or, when its
 * markets have no event id, on slug (an event of the same slug and
 * another id is another event). */
static struct item *
joined_event(struct grouper *g, struct item **m, size_t n)
{
	struct item *e = NULL;
	size_t i;

	if (m[0]->eid)
		return find(g->events.v, g->events.n, m[0]->eid, 0);
	for (i = 0; e == NULL && i < n; i++)
		if (m[i]->slug)
			e = find(g->by_slug, g->nslug, m[i]->slug, 1);
	return e;
}

/* Of a and b, 1 when b was fetched later; a record without fetched_at
 * is older than one with it. */
static int
fetched_later(const struct item *a, const struct item *b)
{
	if (b->fetched == NULL)
		return 0;
	return a->fetched == NULL || strcmp(b->fetched, a->fetched) > 0;
}

/* Else the event a market carries embedded, as the market fetched last
 * has it (of markets fetched at once, the first by market_id: not the
 * input order); else null.  Parsing a market again here is what keeps
 * no parsed tree alive per record. */
static int
write_event(struct grouper *g, struct item **m, size_t n)
{
	struct item *e = joined_event(g, m, n);
	struct jspan sp = { 0, 0 }, s;
	size_t i, best = n;

	if (e) {
		g->st.joined++;
		return jw_raw(&g->line, e->text, e->len);
	}
	/* its bytes, as the markets' own: a number no double holds is
	 * not rounded, nor made null */
	for (i = 0; i < n; i++) {
		if (best < n && !fetched_later(m[best], m[i]))
			continue;
		if (jspan_member(m[i]->text, m[i]->len, "event", &s) == 0 &&
		    m[i]->text[s.off] == '{') {
			best = i;
			sp = s;
		}
	}
	if (best == n)
		return jw_null(&g->line);
	return jw_raw(&g->line, m[best]->text + sp.off, sp.len);
}

static int
write_group(struct grouper *g, const struct span *sp)
{
	struct item **m = g->markets.v + sp->start;
	struct buf *b = &g->line;
	size_t i;
	int rc = 0;

	buf_reset(b);
	rc |= jw_open(b, '{');
	rc |= jw_key(b, "kind");
	rc |= jw_strz(b, "group");
	rc |= jw_key(b, "event_key");
	rc |= jw_strz(b, sp->key);
	rc |= jw_key(b, "event");
	rc |= write_event(g, m, sp->n);
	rc |= jw_key(b, "markets");
	rc |= jw_open(b, '[');
	for (i = 0; i < sp->n; i++)
		rc |= jw_raw(b, m[i]->text, m[i]->len);
	rc |= jw_close(b, ']');
	rc |= jw_close(b, '}');
	return rc ? -1 : 0;
}

int
grouper_finish(struct grouper *g, group_fn fn, void *arg)
{
	struct span *sp = NULL;
	size_t i, n = 0;
	int rc = -1;

	g->st.markets = g->markets.n;
	dedupe(&g->markets, cmp_id, same_id);
	g->st.duplicates = g->st.markets - g->markets.n;
	drop_late(g);
	dedupe(&g->events, cmp_id, same_id);
	g->st.events = g->events.n;
	if (index_slugs(g) == -1 || (sp = make_spans(g, &n)) == NULL)
		goto out;
	g->st.groups = n;
	for (i = 0; i < n; i++) {
		if (write_group(g, &sp[i]) == -1)
			goto out;
		if (fn(arg, sp[i].key, &g->line) == -1)
			break;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(sp[i].key);
	free(sp);
	return rc;
}

void
grouper_stats(const struct grouper *g, struct group_stats *st)
{
	*st = g->st;
}
