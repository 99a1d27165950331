/*
 * test-agent-run.c - the agent as a whole without a server: its
 * configuration file, the messages it makes (a tailed syslog line keeps
 * its program for the rules), RELP response framing, and a run with a
 * check and a realtime fd registered, whose output is read back from the
 * disk queue; the state across a restart; one agent per state directory.
 */
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "host/agent.h"
#include "input/syslog.h"
#include "store/logsearch.h"
#include "test.h"
#include "test-fs.h"

static char root[64];

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static struct event *
parse(const char *msg, size_t len)
{
	struct event *ev = event_new((const uint8_t *)msg, len,
	    SYSLOG_PARSE_EXTRA);

	if (ev == NULL)
		return NULL;
	ev->recv_ns = time_now_ns();
	syslog_parse(ev, NULL);
	return ev;
}

#define CHECK_FIELD(ev, f, s) CHECK_MEM(event_str(ev, &(ev)->f), (ev)->f.len, s)

/* ---- configuration ---- */

static int
load(const char *yaml, struct agent_conf *c, char *err, size_t errlen)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/agent.yaml", root);
	put(path, yaml);
	return agent_conf_load(c, path, err, errlen);
}

TEST(conf_file)
{
	struct agent_conf c;
	char err[512], host[64], port[16];

	agent_conf_init(&c);
	CHECK_INT(load("agent:\n  name: web1\n  server: logs.example:10514\n"
	    "  transport: tls\n  heartbeat: 30s\n"
	    "  tls: { ca: /etc/ca.pem, cert: /etc/c.pem, key: /etc/c.key }\n"
	    "  queue: { max_size: 16MiB, fsync: 200ms }\n"
	    "  reconnect: { min: 100ms, max: 5s }\n"
	    "logs:\n  start: beginning\n  files:\n"
	    "    - path: /var/log/auth.log\n      facility: auth\n"
	    "      severity: info\n    - /var/log/syslog\n"
	    "    - { path: /var/log/nginx/access.log, tag: nginx, format: "
	    "plain, hostname: line }\n"
	    "fim:\n  anything: here\n", &c, err, sizeof(err)), 0);
	CHECK_STR(c.name, "web1");
	CHECK_INT(c.transport, AGENT_TLS);
	CHECK_INT(c.heartbeat_ns, 30 * NS_PER_SEC);
	CHECK_STR(c.tls_cert, "/etc/c.pem");
	CHECK_INT(c.queue_max, 16u << 20);
	CHECK_INT(c.fsync_ns, 200000000);
	CHECK_INT(c.reconnect_max_ns, 5 * NS_PER_SEC);
	CHECK_INT(c.start, AGENT_START_BEGINNING);
	CHECK_INT(c.nlogs, 3);
	if (c.nlogs == 3) {
		CHECK_INT(c.logs[0].facility, 4);
		CHECK_INT(c.logs[0].severity, 6);
		CHECK_STR(c.logs[1].path, "/var/log/syslog");
		CHECK_STR(c.logs[2].tag, "nginx");
		CHECK_INT(c.logs[2].format, AGENT_FMT_PLAIN);
		CHECK_INT(c.logs[2].host_from_line, 1);
	}
	CHECK_INT(agent_conf_server(&c, host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), 0);
	CHECK_STR(host, "logs.example");
	CHECK_STR(port, "10514");
	CHECK_INT(agent_conf_check(&c, err, sizeof(err)), 0);
	/* Errors: FILE:LINE and the setting; c untouched. */
	CHECK_INT(load("agent:\n  transport: udp\n", &c, err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK(strstr(err, "agent.yaml:2: setting 'agent.transport'") != NULL);
	CHECK_INT(load("logs:\n  files:\n    - path: /a\n      facility: "
	    "mial\n", &c, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, ":4: setting 'logs.files[0].facility'") != NULL);
	CHECK_INT(load("logs:\n  files:\n    - relative.log\n", &c, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, ":3: setting 'logs.files[0]': expected an "
	    "absolute path") != NULL);
	CHECK_INT(load("logs:\n  files:\n    - /a\n    - /a\n", &c, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "already listed") != NULL);
	CHECK_INT(load("agent:\n  sever: x\n", &c, err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK(strstr(err, "server") != NULL);
	CHECK_INT(load("agnet:\n  server: x\n", &c, err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK(strstr(err, "did you mean 'agent'") != NULL);
	CHECK_INT(load("agent:\n  tls: { cert: /c }\n", &c, err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK_STR(c.name, "web1");
	CHECK_INT(c.nlogs, 3);
	/* Servers. */
	free(c.server);
	c.server = strdup("[2001:db8::1]");
	c.transport = AGENT_RELP;
	CHECK_INT(agent_conf_server(&c, host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), 0);
	CHECK_STR(host, "2001:db8::1");
	CHECK_STR(port, "2514");
	free(c.server);
	c.server = strdup("2001:db8::1:514");
	CHECK_INT(agent_conf_server(&c, host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), MAMORI_EINVAL);
	free(c.server);
	c.server = strdup("host:99999");
	CHECK_INT(agent_conf_server(&c, host, sizeof(host), port,
	    sizeof(port), err, sizeof(err)), MAMORI_EINVAL);
	free(c.server);
	c.server = NULL;
	CHECK_INT(agent_conf_check(&c, err, sizeof(err)), MAMORI_ECONFIG);
	agent_conf_release(&c);
}

/* ---- messages ---- */

TEST(messages)
{
	struct agent_msgfmt m;
	struct agent_log_conf lc;
	struct event *ev;
	char buf[4096], sdpath[256];
	size_t len;
	static const char ssh[] = "Nov 28 10:00:00 web1 sshd[123]: Failed "
	    "password for root from 192.0.2.7 port 4242 ssh2";
	static const char iso[] = "2026-11-28T10:00:00.123456+09:00 web1 "
	    "sudo: alice : TTY=pts/0 ; COMMAND=/bin/ls";
	static const char r5424[] = "<38>1 2026-11-28T10:00:00Z web1 app 7 "
	    "ID1 [x@32473 a=\"1\"] structured";

	memset(&m, 0, sizeof(m));
	m.name = "agent1";
	m.facility = 10;
	m.popts.tz_local = 1;
	memset(&lc, 0, sizeof(lc));
	lc.path = "/var/log/auth.log";
	lc.facility = 4;
	lc.severity = 5;
	agent_sd_path(lc.path, sdpath, sizeof(sdpath));
	/* A syslog line keeps its program, pid, time and text. */
	CHECK_INT(agent_msg_line(&m, &lc, sdpath, (const uint8_t *)ssh,
	    sizeof(ssh) - 1, 0, time_now_ns(), buf, sizeof(buf), &len), 0);
	ev = parse(buf, len);
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_FIELD(ev, host, "agent1");
	CHECK_FIELD(ev, app, "sshd");
	CHECK_FIELD(ev, procid, "123");
	CHECK_FIELD(ev, msg, "Failed password for root from 192.0.2.7 "
	    "port 4242 ssh2");
	CHECK_FIELD(ev, sd, "[mamori-agent@32473 file=\"/var/log/"
	    "auth.log\"]");
	CHECK_INT(ev->facility, 4);
	CHECK(ev->flags & EVENT_F_HAS_TS);
	event_free(ev);
	/* The line's host, for a relay's files. */
	lc.host_from_line = 1;
	agent_msg_line(&m, &lc, sdpath, (const uint8_t *)ssh, sizeof(ssh) - 1,
	    0, time_now_ns(), buf, sizeof(buf), &len);
	ev = parse(buf, len);
	CHECK_FIELD(ev, host, "web1");
	event_free(ev);
	lc.host_from_line = 0;
	/* rsyslog's high-precision format: the time and zone kept. */
	agent_msg_line(&m, &lc, sdpath, (const uint8_t *)iso, sizeof(iso) - 1,
	    1, time_now_ns(), buf, sizeof(buf), &len);
	CHECK(strncmp(buf, "<37>1 2026-11-28T10:00:00.123456+09:00 agent1 "
	    "sudo - - [mamori-agent@32473 file=\"/var/log/auth.log\" "
	    "cut=\"1\"] alice : TTY", 104) == 0);
	/* A 5424 line: its SD kept, ours added; its PRI kept. */
	agent_msg_line(&m, &lc, sdpath, (const uint8_t *)r5424,
	    sizeof(r5424) - 1, 0, time_now_ns(), buf, sizeof(buf), &len);
	ev = parse(buf, len);
	CHECK_INT(ev->facility, 4);
	CHECK_INT(ev->severity, 6);
	CHECK_FIELD(ev, app, "app");
	CHECK_FIELD(ev, sd, "[x@32473 a=\"1\"][mamori-agent@32473 "
	    "file=\"/var/log/auth.log\"]");
	CHECK_FIELD(ev, msg, "structured");
	event_free(ev);
	/* Plain text: the file's name as program, the line whole. */
	lc.format = AGENT_FMT_PLAIN;
	agent_msg_line(&m, &lc, sdpath, (const uint8_t *)ssh, sizeof(ssh) - 1,
	    0, time_now_ns(), buf, sizeof(buf), &len);
	ev = parse(buf, len);
	CHECK_FIELD(ev, app, "auth.log");
	CHECK_INT(ev->procid.len, 0);
	CHECK_FIELD(ev, msg, ssh);
	event_free(ev);
	lc.format = AGENT_FMT_AUTO;
	lc.tag = "web";
	agent_msg_line(&m, &lc, sdpath, (const uint8_t *)"GET / 200", 9, 0,
	    time_now_ns(), buf, sizeof(buf), &len);
	ev = parse(buf, len);
	CHECK_FIELD(ev, app, "web");
	CHECK_FIELD(ev, msg, "GET / 200");
	event_free(ev);
	/* Not syslog although it parses as such: kept whole. */
	lc.tag = NULL;
	{
		static const char logfmt[] = "2026-11-28T10:00:00.123Z "
		    "level=info msg=\"hello\"";

		agent_msg_line(&m, &lc, sdpath, (const uint8_t *)logfmt,
		    sizeof(logfmt) - 1, 0, time_now_ns(), buf, sizeof(buf),
		    &len);
		ev = parse(buf, len);
		CHECK_FIELD(ev, app, "auth.log");
		CHECK_FIELD(ev, msg, logfmt);
		event_free(ev);
	}
	lc.tag = "web";
	/* Too small a buffer is an error, not a cut message. */
	CHECK_INT(agent_msg_line(&m, &lc, sdpath, (const uint8_t *)ssh,
	    sizeof(ssh) - 1, 0, time_now_ns(), buf, 100, &len),
	    MAMORI_ETOOBIG);
}

static int
sd_collect(void *arg, const char *id, size_t idlen, const char *name,
    size_t namelen, const char *value, size_t vlen)
{
	char *canon = arg;

	if (name == NULL) {
		snprintf(canon + strlen(canon), 2048 - strlen(canon), "%.*s\n",
		    (int)idlen, id);
		return 0;
	}
	if (namelen == 4 && memcmp(name, "hmac", 4) == 0)
		return 0;
	snprintf(canon + strlen(canon), 2048 - strlen(canon), "%.*s=%.*s\n",
	    (int)namelen, name, (int)vlen, value);
	return 0;
}

TEST(agent_event_hmac)
{
	struct agent_msgfmt m;
	struct agent_kv kv[2] = { { "file", "/x \"q\" ]\\", 0 },
	    { "count", "12", 1 } };
	struct event *ev;
	char *msg, canon[2048] = "", hex[65], err[100];
	const char *h;
	size_t len;
	static const char key[] = "0123456789abcdef";

	memset(&m, 0, sizeof(m));
	m.name = "agent1";
	m.facility = 10;
	snprintf(m.instance, sizeof(m.instance), "%s",
	    "00112233445566778899aabbccddeeff");
	m.key = (const uint8_t *)key;
	m.keylen = 16;
	CHECK_INT(agent_msg_event(&m, "log-truncated", 4, 7, time_now_ns(), kv,
	    2, &msg, &len), 0);
	ev = parse(msg, len);
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_FIELD(ev, app, "mamori-agent");
	CHECK_FIELD(ev, msgid, "log-truncated");
	CHECK(ev->msg.len > 0 && event_str(ev, &ev->msg)[0] == '{');
	CHECK(memmem(event_str(ev, &ev->msg), ev->msg.len,
	    "\"count\":12", 10) != NULL);
	/* The HMAC covers the parameters as a receiver unescapes them. */
	CHECK_INT(logsearch_sd_parse(ev->data + ev->sd.off, ev->sd.len,
	    sd_collect, canon, err, sizeof(err)), 0);
	CHECK(strstr(canon, "file=/x \"q\" ]\\\n") != NULL);
	agent_hmac_hex((const uint8_t *)key, 16, canon, strlen(canon), hex);
	h = memmem(event_str(ev, &ev->sd), ev->sd.len, "hmac=\"", 6);
	CHECK(h != NULL && memcmp(h + 6, hex, 64) == 0);
	event_free(ev);
	free(msg);
}

TEST(relp_frames)
{
	struct agent_relp_frame f;
	size_t used;
	static const char ok[] = "12 rsp 6 200 OK\n3 rsp 0\n";
	static const char offers[] = "200 OK\nrelp_version=0\n"
	    "relp_software=librelp,1.11.0,https://www.rsyslog.com\n"
	    "commands=syslog";
	char big[64], open[256];

	CHECK_INT(agent_relp_parse((const uint8_t *)ok, sizeof(ok) - 1, &f,
	    &used), 0);
	CHECK(f.txnr == 12 && strcmp(f.command, "rsp") == 0 && f.code == 200 &&
	    used == 16);
	CHECK_INT(agent_relp_parse((const uint8_t *)ok + used,
	    sizeof(ok) - 1 - used, &f, &used), 0);
	CHECK(f.txnr == 3 && f.datalen == 0 && used == 8);
	snprintf(open, sizeof(open), "1 rsp %zu %s\n", sizeof(offers) - 1,
	    offers);
	CHECK_INT(agent_relp_parse((const uint8_t *)open, strlen(open), &f,
	    &used), 0);
	CHECK_INT(f.code, 200);
	CHECK_INT(used, strlen(open));
	CHECK_INT(agent_relp_parse((const uint8_t *)"0 serverclose 0\n", 16,
	    &f, &used), 0);
	CHECK_STR(f.command, "serverclose");
	CHECK_INT(agent_relp_parse((const uint8_t *)"5 rsp 17 500 error "
	    "at disk\n", 27, &f, &used), 0);
	CHECK_INT(f.code, 500);
	/* Every prefix of a frame wants more. */
	for (used = 0; used < 15; used++) {
		size_t u;

		CHECK_INT(agent_relp_parse((const uint8_t *)ok, used, &f, &u),
		    MAMORI_ETRUNC);
	}
	CHECK_INT(agent_relp_parse((const uint8_t *)"x rsp 0\n", 8, &f, &used),
	    MAMORI_EINVAL);
	CHECK_INT(agent_relp_parse((const uint8_t *)"1 rsp 3 200X", 12, &f,
	    &used), MAMORI_EINVAL);
	CHECK_INT(agent_relp_parse((const uint8_t *)"1234567890 rsp 0\n", 17,
	    &f, &used), MAMORI_EINVAL);
	snprintf(big, sizeof(big), "1 rsp %u ", AGENT_RELP_DATA_MAX + 1);
	CHECK_INT(agent_relp_parse((const uint8_t *)big, strlen(big), &f,
	    &used), MAMORI_EINVAL);
}

/* ---- a run ---- */

struct probe {
	atomic_int	 runs, ready;
	int		 rfd;
};

static int
check_run(void *ctx, host_emit_fn emit, void *arg)
{
	struct probe *p = ctx;
	struct host_finding f;
	char json[64];
	int n = atomic_fetch_add(&p->runs, 1) + 1;

	if (n == 3)
		return MAMORI_EIO;	/* reported, and the schedule goes on */
	snprintf(json, sizeof(json), "{\"test\":{\"run\":%d,\"x\":\"a\nb\"}}",
	    n);
	memset(&f, 0, sizeof(f));
	f.app = "mamori-test";
	f.severity = 4;
	f.msgid = "probe";
	f.json = json;
	f.len = strlen(json);
	return emit(arg, &f);
}

static int
fd_ready(void *ctx, host_emit_fn emit, void *arg)
{
	struct probe *p = ctx;
	struct host_finding f;
	char c;

	if (read(p->rfd, &c, 1) != 1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.app = "mamori-fim";
	f.severity = 5;
	f.msgid = "realtime";
	f.json = "{\"fim\":{\"event\":\"modified\"}}";
	f.len = strlen(f.json);
	atomic_fetch_add(&p->ready, 1);
	return emit(arg, &f);
}

static void *
runner(void *arg)
{
	char err[256];

	if (agent_run(arg, err, sizeof(err)) != 0)
		fprintf(stderr, "agent_run: %s\n", err);
	return NULL;
}

/* A port nobody listens on. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

struct seen {
	int	 started, stopping, line, checks, failed, realtime, total;
	char	 prev[2][16];
	int	 nprev;
	uint64_t seq_started;
};

static void
read_queue(const char *state, struct seen *s)
{
	struct agent_queue *q;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	struct event *ev;
	char dir[300], err[256];
	uint64_t seq = 1;
	const char *p;

	memset(s, 0, sizeof(*s));
	snprintf(dir, sizeof(dir), "%s/queue", state);
	if (agent_queue_open(dir, 1u << 20, &q, NULL, err, sizeof(err)) != 0) {
		CHECK(0);
		return;
	}
	rd = agent_queue_reader_new(q);
	while (agent_queue_read(rd, seq, &rec) == 0) {
		seq = rec.seq + 1;
		s->total++;
		ev = parse((const char *)rec.data, rec.len);
		CHECK_INT(ev->format, EVENT_FMT_5424);
		CHECK_FIELD(ev, host, "runner");
#define IS(f, v) (ev->f.len == strlen(v) && \
	    memcmp(event_str(ev, &ev->f), v, strlen(v)) == 0)
		if (IS(app, "mamori-agent") && IS(msgid, "started")) {
			s->started++;
			p = memmem(event_str(ev, &ev->sd), ev->sd.len,
			    "previous=\"", 10);
			if (p != NULL && s->nprev < 2)
				sscanf(p + 10, "%15[a-z]", s->prev[s->nprev++]);
		}
		if (IS(app, "mamori-agent") && IS(msgid, "stopping"))
			s->stopping++;
		if (IS(app, "mamori-agent") && IS(msgid, "check-failed"))
			s->failed++;
		if (IS(app, "app.log") && IS(msg, "hello from a file"))
			s->line++;
		if (IS(app, "mamori-test") && IS(msgid, "probe")) {
			s->checks++;
			/* One line, whatever the check gave. */
			CHECK(memchr(event_str(ev, &ev->msg), '\n',
			    ev->msg.len) == NULL);
			CHECK(ev->severity == 4 && ev->facility == 10);
		}
		if (IS(app, "mamori-fim") && IS(msgid, "realtime"))
			s->realtime++;
#undef IS
		event_free(ev);
	}
	agent_queue_reader_free(rd);
	agent_queue_close(q);
}

TEST(run_with_check_and_fd)
{
	struct agent_conf c;
	struct agent *a, *b;
	struct probe p;
	struct agent_check chk;
	struct agent_stats st;
	struct seen s;
	pthread_t th;
	char state[200], file[200], srv[64], err[512];
	int pfd[2], i;

	snprintf(state, sizeof(state), "%s/state", root);
	snprintf(file, sizeof(file), "%s/app.log", root);
	put(file, "hello from a file\n");
	agent_conf_init(&c);
	free(c.state_dir);
	c.state_dir = strdup(state);
	c.name = strdup("runner");
	snprintf(srv, sizeof(srv), "127.0.0.1:%d", closed_port());
	c.server = strdup(srv);
	c.start = AGENT_START_BEGINNING;
	c.fsync_ns = 0;
	c.drain_ns = 0;
	c.reconnect_min_ns = 10000000;
	c.reconnect_max_ns = 50000000;
	agent_conf_add_log(&c, file);
	a = agent_new(&c, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	/* One agent per state directory. */
	b = agent_new(&c, err, sizeof(err));
	CHECK(b == NULL);
	CHECK(strstr(err, "another mamori agent uses this state directory") !=
	    NULL);
	memset(&p, 0, sizeof(p));
	CHECK_INT(pipe(pfd), 0);
	p.rfd = pfd[0];
	chk.name = "probe";
	chk.interval_ns = 20000000;	/* 20 ms */
	chk.run = check_run;
	chk.ctx = &p;
	CHECK_INT(agent_add_check(a, &chk), 0);
	chk.interval_ns = 0;
	CHECK_INT(agent_add_check(a, &chk), MAMORI_EINVAL);
	CHECK_INT(agent_add_fd(a, pfd[0], fd_ready, &p), 0);
	pthread_create(&th, NULL, runner, a);
	CHECK_INT(write(pfd[1], "x", 1), 1);
	for (i = 0; i < 1000 && (atomic_load(&p.runs) < 6 ||
	    atomic_load(&p.ready) < 1); i++)
		usleep(10000);
	CHECK(atomic_load(&p.runs) >= 6);
	CHECK_INT(atomic_load(&p.ready), 1);
	agent_get_stats(a, &st);
	CHECK_INT(st.lines, 1);
	CHECK(st.findings >= 5);
	CHECK_INT(st.connected, 0);
	agent_stop(a);
	pthread_join(th, NULL);
	agent_free(a);
	read_queue(state, &s);
	CHECK_INT(s.started, 1);
	CHECK_STR(s.prev[0], "first");
	CHECK_INT(s.stopping, 1);
	CHECK_INT(s.line, 1);
	CHECK(s.checks >= 5);
	CHECK_INT(s.failed, 1);
	CHECK_INT(s.realtime, 1);
	/* A second run: no line again, and the last stop was clean. */
	a = agent_new(&c, err, sizeof(err));
	CHECK(a != NULL);
	if (a != NULL) {
		pthread_create(&th, NULL, runner, a);
		agent_stop(a);
		pthread_join(th, NULL);
		agent_free(a);
	}
	read_queue(state, &s);
	CHECK_INT(s.started, 2);
	CHECK_STR(s.prev[1], "clean");
	CHECK_INT(s.line, 1);
	close(pfd[0]);
	close(pfd[1]);
	agent_conf_release(&c);
}

TEST(runs_with_no_checks)
{
	struct agent_conf c;
	struct agent *a;
	struct seen s;
	pthread_t th;
	char state[200], srv[64], err[512];

	snprintf(state, sizeof(state), "%s/bare", root);
	agent_conf_init(&c);
	free(c.state_dir);
	c.state_dir = strdup(state);
	c.name = strdup("runner");
	snprintf(srv, sizeof(srv), "127.0.0.1:%d", closed_port());
	c.server = strdup(srv);
	c.drain_ns = 0;
	a = agent_new(&c, err, sizeof(err));
	CHECK(a != NULL);
	if (a == NULL)
		return;
	pthread_create(&th, NULL, runner, a);
	agent_stop(a);
	pthread_join(th, NULL);
	agent_free(a);
	read_queue(state, &s);
	CHECK_INT(s.started, 1);
	CHECK_INT(s.stopping, 1);
	CHECK_INT(s.total, 2);
	agent_conf_release(&c);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-agent-run.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	tzset();
	RUN(conf_file);
	RUN(messages);
	RUN(agent_event_hmac);
	RUN(relp_frames);
	RUN(run_with_check_and_fd);
	RUN(runs_with_no_checks);
	rmtree(root);
	return test_summary();
}
