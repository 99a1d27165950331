/*
 * queue.h - bounded multi-producer multi-consumer queue of pointers, the
 * link between pipeline stages.
 *
 * Bounded twice: by count and by bytes (each item carries a size), so a
 * queue of 64 KiB messages cannot hold gigabytes.  A full queue pushes
 * back: queue_push() with QUEUE_WAIT blocks the producer (a TCP listener
 * then stops reading its sockets); QUEUE_NOWAIT returns MAMORI_EAGAIN so a
 * UDP listener can count the drop.
 */
#ifndef MAMORI_QUEUE_H
#define MAMORI_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define QUEUE_WAIT	1
#define QUEUE_NOWAIT	0

struct queue;

/* Returns a queue holding at most max_items items and max_bytes bytes (an
 * item larger than max_bytes is still accepted into an empty queue), or
 * NULL.  Caller frees with queue_free(). */
struct queue *queue_new(size_t max_items, size_t max_bytes);

/* Frees q; items still queued are not freed.  NULL is a no-op. */
void queue_free(struct queue *q);

/*
 * Adds item (accounted as bytes).  With QUEUE_WAIT blocks while full;
 * with QUEUE_NOWAIT returns MAMORI_EAGAIN when full.  Returns 0, or
 * MAMORI_ECLOSED once the queue is closed (the item was not queued).
 */
int queue_push(struct queue *q, void *item, size_t bytes, int wait);

/*
 * Adds items[0..n) (each accounted as sizes[i]) in order, under one lock
 * and with one wake-up, which is what makes a batch cheaper than n
 * queue_push() calls.  With QUEUE_WAIT blocks while full until all are
 * in; with QUEUE_NOWAIT adds what fits.  Returns the number added (the
 * rest stay the caller's), or MAMORI_ECLOSED if the queue closed before
 * any was added.
 */
int queue_push_many(struct queue *q, void *const *items,
    const size_t *sizes, size_t n, int wait);

/*
 * Takes up to max items into items[], oldest first, waiting up to
 * timeout_ms (-1: forever) for the first one; sizes, if not NULL, receives
 * each item's bytes.  Returns the number taken (0 on timeout), or
 * MAMORI_ECLOSED when the queue is closed and empty.
 */
int queue_pop(struct queue *q, void **items, size_t *sizes, size_t max,
    int timeout_ms);

/* Makes a queue_pop() waiting on the empty q (or the next one to wait)
 * return 0 at once: something other than an item wants the consumer's
 * attention.  Any thread may call it. */
void queue_kick(struct queue *q);

/* Closes q: producers get MAMORI_ECLOSED, consumers drain what is left. */
void queue_close(struct queue *q);

/* Current depth, in items and bytes; the high-water mark in items. */
void queue_depth(struct queue *q, size_t *items, size_t *bytes,
    size_t *peak);

#endif
