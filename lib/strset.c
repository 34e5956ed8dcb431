/* strset.c - a set of strings (see strset.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"

struct slot {
	char		*p;
	size_t		 n;
	uint64_t	 h;
	size_t		 ix;		/* insertion order */
};

struct strset {
	struct slot	*t;
	size_t		 cap, count;	/* cap a power of two */
};

static uint64_t
hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ULL;
	}
	return h;
}

struct strset *
strset_new(void)
{
	struct strset *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->cap = 1024;
	if ((s->t = calloc(s->cap, sizeof *s->t)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
strset_free(struct strset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->t[i].p);
	free(s->t);
	free(s);
}

static struct slot *
find(struct slot *t, size_t cap, const char *p, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (t[i].p && !(t[i].h == h && t[i].n == n &&
	    memcmp(t[i].p, p, n) == 0))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

static int
grow(struct strset *s)
{
	struct slot *nt, *d;
	size_t i, ncap = s->cap * 2;

	if ((nt = calloc(ncap, sizeof *nt)) == NULL)
		return -1;
	for (i = 0; i < s->cap; i++) {
		if (s->t[i].p == NULL)
			continue;
		d = find(nt, ncap, s->t[i].p, s->t[i].n, s->t[i].h);
		*d = s->t[i];
	}
	free(s->t);
	s->t = nt;
	s->cap = ncap;
	return 0;
}

/* The slot of p, filled in when p is new; NULL when out of memory. */
static struct slot *
slot_of(struct strset *s, const char *p, size_t n)
{
	uint64_t h = hash(p, n);
	struct slot *sl;

	if ((s->count + 1) * 2 > s->cap && grow(s) == -1)
		return NULL;
	sl = find(s->t, s->cap, p, n, h);
	if (sl->p)
		return sl;
	if ((sl->p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(sl->p, p, n);
	sl->p[n] = 0;
	sl->n = n;
	sl->h = h;
	sl->ix = s->count++;
	return sl;
}

int
strset_add(struct strset *s, const char *p, size_t n)
{
	size_t before = s->count;

	if (slot_of(s, p, n) == NULL)
		return -1;
	return s->count > before;
}

long
strset_index(struct strset *s, const char *p, size_t n)
{
	struct slot *sl = slot_of(s, p, n);

	return sl ? (long)sl->ix : -1;
}

size_t
strset_count(const struct strset *s)
{
	return s->count;
}
