/* workq.c - ordered worker pool on pthreads (see workq.h). */
#include <pthread.h>
#include <stdlib.h>

#include "workq.h"

enum { TODO, RUNNING, DONE };

struct node {
	void		*item;
	int		 state;
	int		 run;
	struct node	*next;
};

struct workq {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work, done;
	struct node	*head, *tail;
	size_t		 pending;
	int		 stop;
	int		 n;
	pthread_t	*threads;
	void		**states;
	workq_fini_fn	 fini;
	workq_fn	 fn;
};

struct start {
	struct workq	*q;
	void		*state;
};

static struct node *
first_todo(struct workq *q)
{
	struct node *n;

	for (n = q->head; n; n = n->next)
		if (n->state == TODO)
			return n;
	return NULL;
}

static void *
worker(void *arg)
{
	struct workq *q = ((struct start *)arg)->q;
	void *state = ((struct start *)arg)->state;
	struct node *n;

	free(arg);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->stop && (n = first_todo(q)) == NULL)
			pthread_cond_wait(&q->work, &q->mu);
		if (q->stop)
			break;
		n->state = RUNNING;
		pthread_mutex_unlock(&q->mu);
		q->fn(state, n->item);
		pthread_mutex_lock(&q->mu);
		n->state = DONE;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct workq *
workq_new(int nthreads, workq_init_fn init, workq_fini_fn fini, workq_fn fn,
    void *arg)
{
	struct workq *q;
	struct start *s;

	if ((q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->done, NULL);
	q->fini = fini;
	q->fn = fn;
	q->threads = calloc((size_t)nthreads, sizeof *q->threads);
	q->states = calloc((size_t)nthreads, sizeof *q->states);
	if (q->threads == NULL || q->states == NULL)
		goto fail;
	for (q->n = 0; q->n < nthreads; q->n++) {
		if ((q->states[q->n] = init ? init(arg) : arg) == NULL ||
		    (s = malloc(sizeof *s)) == NULL)
			goto fail;
		s->q = q;
		s->state = q->states[q->n];
		if (pthread_create(&q->threads[q->n], NULL, worker, s) != 0) {
			free(s);
			goto fail;
		}
	}
	return q;
fail:
	if (q->n < nthreads && q->states && q->states[q->n] && fini)
		fini(q->states[q->n]);
	workq_free(q);
	return NULL;
}

void
workq_free(struct workq *q)
{
	struct node *n;
	int i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->work);
	pthread_mutex_unlock(&q->mu);
	for (i = 0; i < q->n; i++) {
		pthread_join(q->threads[i], NULL);
		if (q->fini)
			q->fini(q->states[i]);
	}
	while ((n = q->head) != NULL) {
		q->head = n->next;
		free(n);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->work);
	pthread_cond_destroy(&q->done);
	free(q->threads);
	free(q->states);
	free(q);
}

int
workq_add(struct workq *q, void *item, int run)
{
	struct node *n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		return -1;
	n->item = item;
	n->run = run;
	n->state = run ? TODO : DONE;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	if (run) {
		q->pending++;
		pthread_cond_signal(&q->work);
	}
	pthread_mutex_unlock(&q->mu);
	return 0;
}

void *
workq_next(struct workq *q, int wait)
{
	struct node *n;
	void *item = NULL;

	pthread_mutex_lock(&q->mu);
	while (wait && q->head && q->head->state != DONE)
		pthread_cond_wait(&q->done, &q->mu);
	if ((n = q->head) != NULL && n->state == DONE) {
		q->head = n->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->pending -= n->run;
		item = n->item;
		free(n);
	}
	pthread_mutex_unlock(&q->mu);
	return item;
}

size_t
workq_pending(struct workq *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->pending;
	pthread_mutex_unlock(&q->mu);
	return n;
}
