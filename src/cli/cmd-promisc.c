/*
 * cmd-promisc.c - `mamori promisc-probe`: find sniffers on the local
 * Ethernet segment with PromiScan (net-promisc.h, docs/promiscan.md).
 *
 *   mamori promisc-probe IFACE [TARGET...] [--timeout MS] [--all] [--json]
 *
 * TARGET is an IPv4 address or ADDRESS/PREFIX (at most /20); without
 * one, the subnet of IFACE's address (at most a /22).  Needs CAP_NET_RAW.
 *
 * Exit status: 0 no target is promiscuous; 1 at least one is; 2 usage or
 * error (the reason on standard error).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmds.h"
#include "core/error.h"
#include "net/net-promisc.h"

static const char usage[] =
    "usage: mamori promisc-probe IFACE [TARGET...] [--timeout MS] [--all] "
    "[--json]\n"
    "  TARGET      IPv4 address or ADDRESS/PREFIX (at most /20); default: "
    "the\n"
    "              subnet of IFACE's IPv4 address (at most a /22)\n"
    "  --timeout   wait after each probe, in milliseconds (default 300)\n"
    "  --all       list the targets that did not answer too\n"
    "  --json      one JSON document on standard output\n"
    "exit status: 0 no promiscuous host found, 1 found, 2 usage or error\n";

static void
fmt_addr(uint32_t a, char *buf, size_t len)
{
	struct in_addr in;

	in.s_addr = htonl(a);
	if (inet_ntop(AF_INET, &in, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static void
fmt_mac(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
}

/* The names of the probes in answered, space-separated. */
static void
fmt_answered(uint32_t answered, char *buf, size_t len)
{
	const struct net_promisc_probe *pr = net_promisc_probes();
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < NET_PROMISC_NPROBES; i++)
		if (answered & (1u << i)) {
			int w = snprintf(buf + o, len - o, "%s%s",
			    o > 0 ? " " : "", pr[i].name);
			if (w < 0 || (size_t)w >= len - o)
				break;
			o += (size_t)w;
		}
	if (o == 0)
		snprintf(buf, len, "-");
}

static int
print_json(const struct net_promisc_iface *ifc, int timeout_ms,
    const struct net_promisc_result *res, size_t n, const size_t *count)
{
	const struct net_promisc_probe *pr = net_promisc_probes();
	json_t *j, *probes, *targets, *t, *ans;
	char a[INET_ADDRSTRLEN], m[18];
	size_t i;
	int p, r;

	fmt_addr(ifc->addr, a, sizeof(a));
	fmt_mac(ifc->mac, m, sizeof(m));
	j = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o, s:{s:I, s:I, s:I, s:I}}",
	    "interface", ifc->name, "address", a, "mac", m,
	    "timeout_ms", timeout_ms,
	    "probes", probes = json_array(),
	    "targets", targets = json_array(),
	    "summary",
	    "promiscuous", (json_int_t)count[NET_PROMISC_PROMISCUOUS],
	    "unclear", (json_int_t)count[NET_PROMISC_UNCLEAR],
	    "normal", (json_int_t)count[NET_PROMISC_NORMAL],
	    "no_answer", (json_int_t)count[NET_PROMISC_NOANSWER]);
	if (j == NULL)
		return MAMORI_ENOMEM;
	r = 0;
	for (p = 0; r == 0 && p < NET_PROMISC_NPROBES; p++) {
		fmt_mac(pr[p].mac, m, sizeof(m));
		if (json_array_append_new(probes, json_pack("{s:s, s:s, s:b, "
		    "s:s}", "name", pr[p].name, "mac", m, "fake", pr[p].fake,
		    "what", pr[p].what)) != 0)
			r = MAMORI_ENOMEM;
	}
	for (i = 0; r == 0 && i < n; i++) {
		fmt_addr(res[i].addr, a, sizeof(a));
		fmt_mac(res[i].mac, m, sizeof(m));
		t = json_pack("{s:s, s:s, s:s, s:o, s:i}", "address", a,
		    "mac", res[i].macs > 0 ? m : "",
		    "verdict", net_promisc_verdict_name(res[i].verdict),
		    "answered", ans = json_array(), "macs", res[i].macs);
		if (t == NULL) {
			r = MAMORI_ENOMEM;
			break;
		}
		for (p = 0; p < NET_PROMISC_NPROBES; p++)
			if ((res[i].answered & (1u << p)) &&
			    json_array_append_new(ans,
			    json_string(pr[p].name)) != 0)
				r = MAMORI_ENOMEM;
		if (json_array_append_new(targets, t) != 0)
			r = MAMORI_ENOMEM;
	}
	if (r == 0) {
		if (json_dumpf(j, stdout, JSON_INDENT(2)) != 0)
			r = MAMORI_EIO;
		putchar('\n');
	}
	json_decref(j);
	return r;
}

static void
print_text(const struct net_promisc_iface *ifc, int timeout_ms, int all,
    const struct net_promisc_result *res, size_t n, const size_t *count)
{
	char a[INET_ADDRSTRLEN], m[18], ans[64];
	size_t i;

	fmt_addr(ifc->addr, a, sizeof(a));
	fmt_mac(ifc->mac, m, sizeof(m));
	printf("probed %zu target%s from %s (%s, %s), %d ms per probe\n", n,
	    n == 1 ? "" : "s", ifc->name, a, m, timeout_ms);
	printf("%-15s  %-17s  %-11s  %s\n", "ADDRESS", "MAC", "VERDICT",
	    "ANSWERED");
	for (i = 0; i < n; i++) {
		if (res[i].verdict == NET_PROMISC_NOANSWER && !all)
			continue;
		fmt_addr(res[i].addr, a, sizeof(a));
		if (res[i].macs > 0)
			fmt_mac(res[i].mac, m, sizeof(m));
		else
			snprintf(m, sizeof(m), "-");
		fmt_answered(res[i].answered, ans, sizeof(ans));
		printf("%-15s  %-17s  %-11s  %s%s\n", a, m,
		    net_promisc_verdict_name(res[i].verdict), ans,
		    res[i].macs > 1 ? "  (several MACs answered)" : "");
	}
	printf("%zu promiscuous, %zu unclear, %zu normal, %zu no answer\n",
	    count[NET_PROMISC_PROMISCUOUS], count[NET_PROMISC_UNCLEAR],
	    count[NET_PROMISC_NORMAL], count[NET_PROMISC_NOANSWER]);
}

int
cmd_promisc(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct net_promisc_targets tg;
	struct net_promisc_iface ifc;
	struct net_promisc_result *res = NULL;
	size_t count[NET_PROMISC_PROMISCUOUS + 1] = { 0 };
	char err[512], *end;
	long timeout = NET_PROMISC_TIMEOUT_MS;
	int ch, all = 0, json = 0, r, rc;
	size_t i;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":t:ajh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			printf("%s", usage);
			return 0;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || timeout < 10 ||
			    timeout > 10000) {
				fprintf(stderr, "mamori promisc-probe: "
				    "--timeout '%s': expected milliseconds "
				    "from 10 to 10000\n", optarg);
				return 2;
			}
			break;
		case 'a': all = 1; break;
		case 'j': json = 1; break;
		case ':':
			fprintf(stderr, "mamori promisc-probe: %s needs a "
			    "value\n%s", argv[optind - 1], usage);
			return 2;
		default:
			fprintf(stderr, "mamori promisc-probe: unknown option "
			    "'%s'\n%s", argv[optind - 1], usage);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mamori promisc-probe: which interface?\n%s",
		    usage);
		return 2;
	}
	if ((r = net_promisc_iface_get(argv[optind], &ifc, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "mamori promisc-probe: %s\n", err);
		return 2;
	}
	optind++;
	net_promisc_targets_init(&tg);
	r = 0;
	/* getopt_long() has moved the options before the operands. */
	for (; r == 0 && optind < argc; optind++)
		if ((r = net_promisc_targets_add(&tg, argv[optind], err,
		    sizeof(err))) != 0)
			fprintf(stderr, "mamori promisc-probe: %s\n", err);
	if (r == 0 && tg.n == 0 &&
	    (r = net_promisc_targets_subnet(&tg, &ifc, err, sizeof(err))) != 0)
		fprintf(stderr, "mamori promisc-probe: %s\n", err);
	if (r != 0) {
		net_promisc_targets_release(&tg);
		return 2;
	}
	net_promisc_targets_finish(&tg, ifc.addr);
	if (tg.n == 0) {
		fprintf(stderr, "mamori promisc-probe: no target left (the "
		    "interface's own address is never probed)\n");
		net_promisc_targets_release(&tg);
		return 2;
	}
	if ((res = calloc(tg.n, sizeof(*res))) == NULL) {
		fprintf(stderr, "mamori promisc-probe: out of memory\n");
		net_promisc_targets_release(&tg);
		return 2;
	}
	if ((r = net_promisc_run(&ifc, tg.addr, tg.n, (int)timeout, res, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "mamori promisc-probe: %s\n", err);
		free(res);
		net_promisc_targets_release(&tg);
		return 2;
	}
	for (i = 0; i < tg.n; i++)
		count[res[i].verdict]++;
	rc = count[NET_PROMISC_PROMISCUOUS] > 0 ? 1 : 0;
	/* On links that filter no group address (veth, Linux bridges)
	 * every Linux host answers like a sniffer. */
	if (count[NET_PROMISC_PROMISCUOUS] >= 2 &&
	    count[NET_PROMISC_PROMISCUOUS] + count[NET_PROMISC_NOANSWER] ==
	    tg.n)
		fprintf(stderr, "mamori promisc-probe: note: every host that "
		    "answered looks promiscuous; on a link that does not "
		    "filter multicast (veth, a Linux bridge) every Linux host "
		    "does (docs/promiscan.md)\n");
	if (json) {
		if ((r = print_json(&ifc, (int)timeout, res, tg.n, count)) !=
		    0) {
			fprintf(stderr, "mamori promisc-probe: writing JSON: "
			    "%s\n", mamori_strerror(r));
			rc = 2;
		}
	} else
		print_text(&ifc, (int)timeout, all, res, tg.n, count);
	free(res);
	net_promisc_targets_release(&tg);
	return rc;
}
