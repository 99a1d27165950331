/*
 * ack.c - see ack.h.
 */
#include "core/ack.h"

void
event_ack_init(struct event_ack *a)
{
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->pending = 0;
	a->rc = 0;
}

void
event_ack_release(struct event_ack *a)
{
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
}

void
event_ack_add(struct event_ack *a)
{
	pthread_mutex_lock(&a->mu);
	a->pending++;
	pthread_mutex_unlock(&a->mu);
}

void
event_ack_done(struct event_ack *a, int rc)
{
	pthread_mutex_lock(&a->mu);
	if (rc != 0 && a->rc == 0)
		a->rc = rc;
	if (--a->pending == 0)
		pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

int
event_ack_wait(struct event_ack *a)
{
	int rc;

	pthread_mutex_lock(&a->mu);
	while (a->pending > 0)
		pthread_cond_wait(&a->cv, &a->mu);
	rc = a->rc;
	a->rc = 0;
	pthread_mutex_unlock(&a->mu);
	return rc;
}
