/*
 * ack.h - waiting until events are stored.
 *
 * A producer that must not acknowledge a message before it is on disk (the
 * RELP listener) points each event's ack at one of these, submits, and
 * waits; the writer calls event_ack_done() after the fsync that covers the
 * event.  Many events may share one ack.
 */
#ifndef MAMORI_ACK_H
#define MAMORI_ACK_H

#include <pthread.h>

struct event_ack {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		pending;	/* events not yet stored */
	int		rc;		/* first error, or 0 */
};

void event_ack_init(struct event_ack *a);
void event_ack_release(struct event_ack *a);
/* Counts one more event to wait for; call before submitting it. */
void event_ack_add(struct event_ack *a);
/* Marks one event stored (rc 0) or failed. */
void event_ack_done(struct event_ack *a, int rc);
/* Waits until every counted event is done; returns the first error or 0. */
int event_ack_wait(struct event_ack *a);

#endif
