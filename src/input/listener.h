/*
 * listener.h - network listeners: UDP, TCP and TLS (RFC 5425) with RFC
 * 6587 framing, and RELP (librelp).  Each turns what it receives into raw
 * events (receive time, sender, bytes; parsing happens later, in the
 * analysis workers) and hands them to a sink.
 *
 * Binding is separate from running so the server can bind every port,
 * then drop privileges, then start the threads.
 */
#ifndef MAMORI_LISTENER_H
#define MAMORI_LISTENER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/event.h"

/* Where listeners deliver events. */
struct listener_sink {
	/*
	 * Takes ownership of ev and queues it.  With wait set, blocks while
	 * the pipeline is full (backpressure); without, returns
	 * MAMORI_EAGAIN when full and ev stays the caller's.  Returns 0 or
	 * MAMORI_ECLOSED (ev stays the caller's) when shutting down.
	 */
	int	(*submit)(void *arg, struct event *ev, int wait);
	/*
	 * The same for evs[0..n), cheaper per event; each event taken has
	 * its slot set to NULL, the others stay the caller's.  With wait,
	 * takes them all unless shutting down; without, takes what fits.
	 * Returns how many were taken.
	 */
	int	(*submit_many)(void *arg, struct event **evs, size_t n,
		    int wait);
	void	*arg;
};

struct listener_stats {
	atomic_uint_fast64_t received;	/* messages taken in */
	atomic_uint_fast64_t bytes;	/* their raw bytes */
	atomic_uint_fast64_t dropped;	/* UDP: pipeline full; kernel drops */
	atomic_uint_fast64_t truncated;	/* cut at max_message */
	atomic_uint_fast64_t stored;	/* written to the store (by writer) */
	atomic_uint_fast64_t lost;	/* could not be stored (by writer) */
	atomic_uint_fast64_t connections; /* streams accepted */
	atomic_uint_fast64_t active;	/* streams open now */
	atomic_uint_fast64_t errors;	/* read, TLS or protocol errors */
};

struct listener;
struct relp_listeners;

/*
 * Creates and binds a listener for c (UDP, TCP or TLS: RELP listeners go
 * through relp_listeners_*).  index identifies it in events and stats.
 * Returns the listener, or NULL with a reason in err.  Caller frees with
 * listener_free().
 */
struct listener *listener_new(const struct listener_conf *c, uint16_t index,
    size_t max_message, const struct listener_sink *sink, char *err,
    size_t errlen);

/* Starts the listener's thread.  Returns 0 or MAMORI_ESYS. */
int listener_start(struct listener *l);

/* Stops taking new data, delivers what it holds, joins the thread. */
void listener_stop(struct listener *l);

void listener_free(struct listener *l);

struct listener_stats *listener_get_stats(struct listener *l);
const struct listener_conf *listener_conf(const struct listener *l);
/* The address actually bound ("127.0.0.1:5514"), after listener_new(). */
const char *listener_bound(const struct listener *l);

/*
 * RELP: one librelp engine serves every relp:// listener from one thread.
 * Each message is acknowledged only after the writer has made it durable.
 */
struct relp_listeners *relp_listeners_new(size_t max_message,
    const struct listener_sink *sink);
/* Adds and binds a listener; stats go to st.  Returns 0 or an error with
 * a reason in err. */
int relp_listeners_add(struct relp_listeners *r,
    const struct listener_conf *c, uint16_t index,
    struct listener_stats *st, char *err, size_t errlen);
int relp_listeners_start(struct relp_listeners *r);
void relp_listeners_stop(struct relp_listeners *r);
void relp_listeners_free(struct relp_listeners *r);

/* Formats a socket address as "ip:port" ("[ip]:port" for IPv6) or, with
 * port 0 / no_port, just the address. */
struct sockaddr;
void listener_format_addr(const struct sockaddr *sa, int no_port, char *buf,
    size_t len);

#endif
