/*
 * server-sensor.c - the network sensor inside the server (the sensor:
 * section): one capture thread per interface, each with its own
 * net_sensor (flow table, detectors, signature context).  Detections
 * become events from program "mamori-sensor", flow records events from
 * "mamori-conn" (one Zeek conn.log JSON object each); both enter the
 * pipeline like received messages, so the same workers parse, analyse
 * and store them, and `mamori logs search --app mamori-conn` finds the
 * flows.
 *
 * Captures are opened in server_new(), while the server may still hold
 * CAP_NET_RAW, and run after the privileges are dropped.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "net/net-conf.h"
#include "net/net-sensor.h"
#include "net/net-sig.h"
#include "server/server-impl.h"

struct sensor_cap {
	struct server_sensor *ss;
	const char	*iface;
	const char	*bpf;
	struct net_capture *cap;
	struct net_sensor *sensor;
	pthread_t	 thread;
	int		 running;
	atomic_uint_fast64_t detections;
	atomic_uint_fast64_t conn_records;
	atomic_uint_fast64_t lost;	/* events the pipeline refused */
	atomic_uint_fast64_t packets;
	/* The kernel's counts when the capture stopped (the status saved
	 * at shutdown comes after). */
	uint64_t	 final_recv, final_drop;
	char		 src[EVENT_SRC_MAX];
};

struct server_sensor {
	struct server	*srv;
	const struct net_sensor_conf *conf;
	struct net_sigset *sigs;
	const char	*host;
	struct sensor_cap *caps;
	size_t		 ncaps;
	volatile int	 stop;
};

static void
submit_event(struct sensor_cap *c, struct event *ev)
{
	struct server *s = c->ss->srv;

	if (ev == NULL) {
		atomic_fetch_add(&c->lost, 1);
		return;
	}
	ev->listener = SERVER_INTERNAL_LISTENER;
	snprintf(ev->src, sizeof(ev->src), "%s", c->src);
	atomic_fetch_add(&s->n.internal, 1);
	/* Waiting on a full pipeline holds the capture back; the kernel's
	 * buffer then fills and its drops are counted (pcap_stats). */
	if (s->sink.submit(s->sink.arg, ev, QUEUE_WAIT) != 0) {
		event_free(ev);
		atomic_fetch_add(&c->lost, 1);
	}
}

static void
on_detection(void *arg, const struct net_detection *d, const char *msg,
    size_t len)
{
	struct sensor_cap *c = arg;
	char kind[32];
	size_t i;

	(void)len;
	/* The msgid is the detection's kind, one word. */
	for (i = 0; d->kind != NULL && d->kind[i] != '\0' &&
	    i + 1 < sizeof(kind); i++)
		kind[i] = (unsigned char)d->kind[i] <= ' ' ? '_' : d->kind[i];
	kind[i] = '\0';
	atomic_fetch_add(&c->detections, 1);
	submit_event(c, event_new_app(time_now_ns(), d->ts_ns > 0 ? d->ts_ns :
	    time_now_ns(), c->ss->host, "mamori-sensor", 5, 4,
	    i > 0 ? kind : "-", NULL, msg));
}

static void
on_conn(void *arg, const struct net_flow *f, const char *json, size_t len)
{
	struct sensor_cap *c = arg;

	(void)len;
	atomic_fetch_add(&c->conn_records, 1);
	submit_event(c, event_new_app(time_now_ns(), f->first_ns > 0 ?
	    f->first_ns : time_now_ns(), c->ss->host, "mamori-conn", 5, 6,
	    "conn", NULL, json));
}

static void *
cap_thread(void *arg)
{
	struct sensor_cap *c = arg;
	struct net_sensor_stats st;
	char err[512], name[16];

	snprintf(name, sizeof(name), "mamori-cap-%.4s", c->iface);
	(void)pthread_setname_np(pthread_self(), name);
	if (net_capture_run(c->cap, c->sensor, &c->ss->stop, err,
	    sizeof(err)) != 0)
		log_err("sensor: %s; capture on %s stopped", err, c->iface);
	/* Flows end and windows close now, while the pipeline still
	 * takes events. */
	net_sensor_finish(c->sensor);
	net_sensor_stats(c->sensor, &st);
	atomic_store(&c->packets, st.packets);
	return NULL;
}

int
server_sensor_init(struct server *s, char *err, size_t errlen)
{
	const struct net_sensor_conf *conf = s->cfg->sensor;
	struct server_sensor *ss;
	char dir[4096];
	size_t i;
	int rc;

	if (conf == NULL || !conf->enabled || conf->nifaces == 0)
		return 0;
	if ((ss = calloc(1, sizeof(*ss))) == NULL ||
	    (ss->caps = calloc(conf->nifaces, sizeof(*ss->caps))) == NULL) {
		free(ss);
		snprintf(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	s->sensor = ss;
	ss->srv = s;
	ss->conf = conf;
	ss->host = conf->hostname != NULL ? conf->hostname : s->hostname;
	if (conf->signatures) {
		const char *path = conf->signatures_path;

		if (path == NULL) {
			if (file_bundled_path("MAMORI_NET_RULES",
			    "rules/network", dir, sizeof(dir)) != 0) {
				snprintf(err, errlen, "sensor: no bundled "
				    "signatures found (%s); set "
				    "sensor.signatures", dir);
				return MAMORI_ECONFIG;
			}
			path = dir;
		}
		if ((rc = net_sig_load(path, conf->vars, &ss->sigs, err,
		    errlen)) != 0)
			return rc;
	}
	for (i = 0; i < conf->nifaces; i++) {
		struct sensor_cap *c = &ss->caps[i];
		char cerr[512];

		c->ss = ss;
		c->iface = conf->ifaces[i].name;
		c->bpf = conf->ifaces[i].bpf != NULL ? conf->ifaces[i].bpf :
		    conf->bpf;
		snprintf(c->src, sizeof(c->src), "sensor:%s", c->iface);
		if ((rc = net_capture_open(c->iface, c->bpf, &c->cap, cerr,
		    sizeof(cerr))) != 0) {
			snprintf(err, errlen, "sensor.interfaces: %s", cerr);
			return rc;
		}
		if ((c->sensor = net_sensor_new(&conf->flows, conf->detect,
		    ss->sigs, on_detection, c, NULL)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return MAMORI_ENOMEM;
		}
		if (conf->conn_log)
			net_sensor_set_conn_cb(c->sensor, on_conn, c);
		ss->ncaps++;
	}
	return 0;
}

int
server_sensor_start(struct server *s, char *err, size_t errlen)
{
	struct server_sensor *ss = s->sensor;
	size_t i;

	if (ss == NULL)
		return 0;
	for (i = 0; i < ss->ncaps; i++) {
		struct sensor_cap *c = &ss->caps[i];

		if (pthread_create(&c->thread, NULL, cap_thread, c) != 0) {
			snprintf(err, errlen, "sensor: cannot start the "
			    "capture thread for %s", c->iface);
			return MAMORI_ESYS;
		}
		c->running = 1;
		log_info("sensor: capturing on %s%s%s%s", c->iface,
		    c->bpf != NULL ? " (filter '" : "",
		    c->bpf != NULL ? c->bpf : "", c->bpf != NULL ? "')" : "");
	}
	return 0;
}

void
server_sensor_stop(struct server *s)
{
	struct server_sensor *ss = s->sensor;
	size_t i;

	if (ss == NULL)
		return;
	ss->stop = 1;
	for (i = 0; i < ss->ncaps; i++)
		if (ss->caps[i].running) {
			pthread_join(ss->caps[i].thread, NULL);
			(void)net_capture_stats(ss->caps[i].cap,
			    &ss->caps[i].final_recv, &ss->caps[i].final_drop);
			ss->caps[i].running = 0;
		}
}

void
server_sensor_release(struct server *s)
{
	struct server_sensor *ss = s->sensor;
	size_t i;

	if (ss == NULL)
		return;
	server_sensor_stop(s);
	for (i = 0; i < ss->conf->nifaces; i++) {
		net_sensor_free(ss->caps[i].sensor);
		net_capture_close(ss->caps[i].cap);
	}
	net_sigset_free(ss->sigs);
	free(ss->caps);
	free(ss);
	s->sensor = NULL;
}

json_t *
server_sensor_json(struct server *s)
{
	struct server_sensor *ss = s->sensor;
	json_t *a;
	uint64_t recv, drop;
	size_t i;

	if (ss == NULL)
		return NULL;
	a = json_array();
	for (i = 0; i < ss->ncaps; i++) {
		struct sensor_cap *c = &ss->caps[i];

		/* pcap_stats() is a getsockopt on Linux: safe beside the
		 * capture thread.  Once it stopped, its last counts. */
		recv = c->final_recv;
		drop = c->final_drop;
		if (c->running)
			(void)net_capture_stats(c->cap, &recv, &drop);
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I, "
		    "s:I, s:I}", "interface", c->iface,
		    "received", (json_int_t)recv,
		    "kernel_dropped", (json_int_t)drop,
		    "detections", (json_int_t)atomic_load(&c->detections),
		    "conn_records", (json_int_t)atomic_load(&c->conn_records),
		    "lost", (json_int_t)atomic_load(&c->lost)));
	}
	return a;
}
