/*
 * queue.c - bounded MPMC queue: a ring of pointers under one mutex.
 *
 * The pipeline moves batches (queue_pop takes many items per lock), so one
 * mutex is not the bottleneck at the rates a log server sees; measured by
 * bench/ingest.sh.  Two habits keep threads from waking each other for
 * nothing: waiters are signalled after the mutex is released (a woken
 * thread would otherwise block on it at once), and a producer waiting
 * for room is woken only once the queue has drained to half (or is
 * empty), not for every item taken, so that it then moves a batch.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/error.h"
#include "core/queue.h"

struct queue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 not_empty;
	pthread_cond_t	 not_full;
	void		**items;
	size_t		*sizes;
	size_t		 cap;
	size_t		 head;		/* next to pop */
	size_t		 count;
	size_t		 bytes;
	size_t		 max_bytes;
	size_t		 peak;
	int		 closed;
	int		 kicked;	/* queue_kick() since the last pop */
	int		 waiting_producers;
	int		 waiting_consumers;
};

struct queue *
queue_new(size_t max_items, size_t max_bytes)
{
	struct queue *q;
	pthread_condattr_t ca;

	if (max_items == 0 || (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->items = calloc(max_items, sizeof(*q->items));
	q->sizes = calloc(max_items, sizeof(*q->sizes));
	if (q->items == NULL || q->sizes == NULL) {
		free(q->items);
		free(q->sizes);
		free(q);
		return NULL;
	}
	q->cap = max_items;
	q->max_bytes = max_bytes;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->not_empty, &ca);
	pthread_cond_init(&q->not_full, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->items);
	free(q->sizes);
	free(q);
}

static int
is_full(const struct queue *q, size_t bytes)
{
	if (q->count == q->cap)
		return 1;
	/* An empty queue takes any one item, however large. */
	return q->count > 0 && q->bytes + bytes > q->max_bytes;
}

int
queue_push(struct queue *q, void *item, size_t bytes, int wait)
{
	size_t tail;
	int wake;

	pthread_mutex_lock(&q->mu);
	while (!q->closed && is_full(q, bytes)) {
		if (!wait) {
			pthread_mutex_unlock(&q->mu);
			return MAMORI_EAGAIN;
		}
		q->waiting_producers++;
		pthread_cond_wait(&q->not_full, &q->mu);
		q->waiting_producers--;
	}
	if (q->closed) {
		pthread_mutex_unlock(&q->mu);
		return MAMORI_ECLOSED;
	}
	tail = (q->head + q->count) % q->cap;
	q->items[tail] = item;
	q->sizes[tail] = bytes;
	q->count++;
	q->bytes += bytes;
	if (q->count > q->peak)
		q->peak = q->count;
	wake = q->waiting_consumers > 0;
	pthread_mutex_unlock(&q->mu);
	if (wake)
		pthread_cond_signal(&q->not_empty);
	return 0;
}

int
queue_push_many(struct queue *q, void *const *items, const size_t *sizes,
    size_t n, int wait)
{
	size_t done = 0, tail;
	int closed, wake;

	pthread_mutex_lock(&q->mu);
	while (done < n) {
		while (!q->closed && is_full(q, sizes[done])) {
			if (!wait)
				goto out;
			/* Let consumers at what is already in. */
			if (q->waiting_consumers > 0)
				pthread_cond_broadcast(&q->not_empty);
			q->waiting_producers++;
			pthread_cond_wait(&q->not_full, &q->mu);
			q->waiting_producers--;
		}
		if (q->closed)
			break;
		tail = (q->head + q->count) % q->cap;
		q->items[tail] = items[done];
		q->sizes[tail] = sizes[done];
		q->count++;
		q->bytes += sizes[done];
		if (q->count > q->peak)
			q->peak = q->count;
		done++;
	}
 out:
	wake = done > 0 && q->waiting_consumers > 0;
	closed = q->closed;
	pthread_mutex_unlock(&q->mu);
	if (wake)
		pthread_cond_broadcast(&q->not_empty);
	if (done == 0 && closed)
		return MAMORI_ECLOSED;
	return (int)done;
}

int
queue_pop(struct queue *q, void **items, size_t *sizes, size_t max,
    int timeout_ms)
{
	struct timespec deadline;
	size_t n = 0;
	int wake;

	pthread_mutex_lock(&q->mu);
	if (q->count == 0 && !q->closed && !q->kicked && timeout_ms != 0) {
		if (timeout_ms > 0) {
			clock_gettime(CLOCK_MONOTONIC, &deadline);
			deadline.tv_sec += timeout_ms / 1000;
			deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
			if (deadline.tv_nsec >= 1000000000L) {
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000L;
			}
		}
		while (q->count == 0 && !q->closed && !q->kicked) {
			int rc;

			q->waiting_consumers++;
			if (timeout_ms < 0)
				rc = pthread_cond_wait(&q->not_empty, &q->mu);
			else
				rc = pthread_cond_timedwait(&q->not_empty,
				    &q->mu, &deadline);
			q->waiting_consumers--;
			if (rc == ETIMEDOUT)
				break;
		}
	}
	q->kicked = 0;
	if (q->count == 0 && q->closed) {
		pthread_mutex_unlock(&q->mu);
		return MAMORI_ECLOSED;
	}
	while (n < max && q->count > 0) {
		items[n] = q->items[q->head];
		if (sizes != NULL)
			sizes[n] = q->sizes[q->head];
		q->bytes -= q->sizes[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		n++;
	}
	/* Any item fits an empty queue, so waking at empty at the latest
	 * cannot leave a producer stuck. */
	wake = n > 0 && q->waiting_producers > 0 && (q->count == 0 ||
	    (q->count <= q->cap / 2 && q->bytes <= q->max_bytes / 2));
	pthread_mutex_unlock(&q->mu);
	if (wake)
		pthread_cond_broadcast(&q->not_full);
	return (int)n;
}

void
queue_kick(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->kicked = 1;
	pthread_mutex_unlock(&q->mu);
	pthread_cond_broadcast(&q->not_empty);
}

void
queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

void
queue_depth(struct queue *q, size_t *items, size_t *bytes, size_t *peak)
{
	pthread_mutex_lock(&q->mu);
	if (items != NULL)
		*items = q->count;
	if (bytes != NULL)
		*bytes = q->bytes;
	if (peak != NULL)
		*peak = q->peak;
	pthread_mutex_unlock(&q->mu);
}
