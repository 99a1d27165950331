/*
 * respond-nft.c - blocks in the kernel's firewall through libnftables.
 *
 * mamori owns one table (inet mamori unless respond.table says otherwise)
 * and nothing outside it:
 *
 *   table inet mamori {
 *     set block4 { type ipv4_addr; flags interval,timeout; }
 *     set block6 { type ipv6_addr; flags interval,timeout; }
 *     chain input   { type filter hook input priority filter - 10; ...
 *                     ip saddr @block4 drop; ip6 saddr @block6 drop }
 *     chain output  { ... ip daddr @block4 drop; ip6 daddr @block6 drop }
 *     chain forward { ... saddr and daddr of both }
 *   }
 *
 * Priority filter - 10 runs before the usual filter chains (priority 0),
 * and a drop anywhere is final, so no accept rule elsewhere lets a blocked
 * address through; the chains accept everything else and leave it to the
 * host's own ruleset.  The sets' timeout flag lets the kernel expire
 * timed blocks by itself; interval lets one element be a prefix.
 *
 * Every change is one nftables transaction (one nft_run_cmd_from_buffer()
 * call): the table, sets and chains are (re)declared and the chains'
 * rules re-added with the block itself, so a table that someone deleted
 * or emptied is repaired by the next block, and a failure leaves nothing
 * half-done.  Reading uses the JSON output (nft -j list table), which
 * reports timeouts in whole seconds.
 *
 * Cost: each call opens a netlink socket and reads the table (a few
 * hundred microseconds for a few hundred blocks); blocks are rare events.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <nftables/libnftables.h>

#include "core/error.h"
#include "respond/respond.h"

#define NS_PER_SEC_	1000000000LL

/* Growable command text. */
struct cmdbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
cmd_add(struct cmdbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cmd_add(struct cmdbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *np;
	size_t ncap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
		    b->p != NULL ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		ncap = b->cap == 0 ? 1024 : b->cap;
		while (ncap <= b->len + (size_t)n)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* 0 when this process certainly lacks CAP_NET_ADMIN.  libnftables
 * prints its own "(you must be root)" line on standard error before
 * failing, which a daemon's log and a tidy command line can do without;
 * asking first keeps the one message that says what to do. */
static int
may_admin_net(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, d) != 0)
		return 1;	/* unknown: let nftables decide */
	return (d[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32)) & 1;
}

#define NFT_EPERM_MSG	"nftables: Operation not permitted: run as root " \
			"or with CAP_NET_ADMIN"

/*
 * Runs cmds as one nftables transaction.  With out not NULL, the output
 * (JSON) is returned there (caller frees).  Returns 0; MAMORI_ENOTFOUND
 * (no such table, or element); MAMORI_EEXIST (interval overlaps);
 * MAMORI_ESYS (anything else, err set); MAMORI_ENOMEM.
 */
static int
nft_exec(const char *cmds, char **out, char *err, size_t errlen)
{
	struct nft_ctx *ctx;
	const char *eb, *line, *nl;
	char first[256];
	size_t l;
	int rc, r = 0;

	if (out != NULL)
		*out = NULL;
	if (!may_admin_net()) {
		mamori_seterr(err, errlen, NFT_EPERM_MSG);
		return MAMORI_ESYS;
	}
	if ((ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		mamori_seterr(err, errlen, "nftables: cannot create a context");
		return MAMORI_ENOMEM;
	}
	if (out != NULL)
		nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft_ctx_buffer_output(ctx) != 0 ||
	    nft_ctx_buffer_error(ctx) != 0) {
		nft_ctx_free(ctx);
		mamori_seterr(err, errlen, "nftables: cannot buffer output");
		return MAMORI_ENOMEM;
	}
	rc = nft_run_cmd_from_buffer(ctx, cmds);
	eb = nft_ctx_get_error_buffer(ctx);
	if (eb == NULL)
		eb = "";
	if (rc != 0) {
		/* The first "Error: ..." line says what went wrong; the
		 * rest repeats the command and points at it. */
		first[0] = '\0';
		for (line = eb; *line != '\0'; line = nl + 1) {
			nl = strchr(line, '\n');
			l = nl != NULL ? (size_t)(nl - line) : strlen(line);
			if (l > 0 && memmem(line, l, "Error:", 6) != NULL) {
				snprintf(first, sizeof(first), "%.*s",
				    (int)l, line);
				break;
			}
			if (nl == NULL)
				break;
		}
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%.*s", (int)strcspn(eb,
			    "\n"), eb);
		if (strstr(eb, "Operation not permitted") != NULL) {
			mamori_seterr(err, errlen, NFT_EPERM_MSG);
			r = MAMORI_ESYS;
		} else if (strstr(eb, "No such file or directory") != NULL ||
		    strstr(eb, "does not exist") != NULL) {
			mamori_seterr(err, errlen, "nftables: %s", first);
			r = MAMORI_ENOTFOUND;
		} else if (strstr(eb, "overlaps") != NULL) {
			mamori_seterr(err, errlen, "nftables: %s", first);
			r = MAMORI_EEXIST;
		} else {
			mamori_seterr(err, errlen, "nftables: %s", first[0] != '\0' ?
			    first : "command failed");
			r = MAMORI_ESYS;
		}
	} else if (out != NULL) {
		const char *ob = nft_ctx_get_output_buffer(ctx);

		if ((*out = strdup(ob != NULL ? ob : "")) == NULL)
			r = MAMORI_ENOMEM;
	}
	nft_ctx_free(ctx);
	return r;
}

/* The table name goes into command text: respond-conf.c allows only
 * letters, digits and '_'; a struct filled in by hand is checked too. */
static int
table_ok(const char *t, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; t != NULL && t[i] != '\0' && i <= 32; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
			break;
	if (t != NULL && i > 0 && i <= 32 && t[i] == '\0')
		return 1;
	mamori_seterr(err, errlen, "respond.table: not an nftables table name");
	return 0;
}

/* ---- reading the table ---- */

struct entries {
	struct respond_entry *v;
	size_t	 n, cap;
};

static int
entries_add(struct entries *es, const struct respond_entry *e)
{
	struct respond_entry *nv;
	size_t ncap;

	if (es->n == es->cap) {
		ncap = es->cap == 0 ? 16 : es->cap * 2;
		if ((nv = realloc(es->v, ncap * sizeof(*nv))) == NULL)
			return MAMORI_ENOMEM;
		es->v = nv;
		es->cap = ncap;
	}
	es->v[es->n++] = *e;
	return 0;
}

static int
bit(const struct respond_addr *a, int k)
{
	return (a->a[k / 8] >> (7 - k % 8)) & 1;
}

/* The address of a set element's value: "a", {"prefix": {"addr": "a",
 * "len": n}}, or {"range": ["a", "b"]} when it is exactly a prefix.
 * Returns 0, 1 (not an address mamori can name: skipped) or
 * MAMORI_ECORRUPT. */
static int
elem_addr(json_t *v, struct respond_addr *a)
{
	char text[RESPOND_ADDR_MAXLEN + 8];
	struct respond_addr lo, hi;
	json_t *p, *x;
	const char *s;
	int n, bits, i;

	if (json_is_string(v)) {
		s = json_string_value(v);
		return respond_addr_parse(s, strlen(s), a, NULL, 0) == 0 ? 0 :
		    MAMORI_ECORRUPT;
	}
	if ((p = json_object_get(v, "prefix")) != NULL) {
		s = json_string_value(json_object_get(p, "addr"));
		x = json_object_get(p, "len");
		if (s == NULL || !json_is_integer(x))
			return MAMORI_ECORRUPT;
		n = snprintf(text, sizeof(text), "%s/%" JSON_INTEGER_FORMAT, s,
		    json_integer_value(x));
		if (n < 0 || (size_t)n >= sizeof(text))
			return MAMORI_ECORRUPT;
		return respond_addr_parse(text, (size_t)n, a, NULL, 0) == 0 ?
		    0 : MAMORI_ECORRUPT;
	}
	if ((p = json_object_get(v, "range")) != NULL) {
		/* Only mamori writes the set, and only prefixes; a range
		 * someone added by hand is reported when it is a prefix. */
		if (json_array_size(p) != 2 ||
		    elem_addr(json_array_get(p, 0), &lo) != 0 ||
		    elem_addr(json_array_get(p, 1), &hi) != 0 ||
		    lo.family != hi.family)
			return 1;
		bits = lo.family == AF_INET ? 32 : 128;
		for (n = 0; n < bits && bit(&lo, n) == bit(&hi, n); n++)
			;
		for (i = n; i < bits; i++)
			if (bit(&lo, i) != 0 || bit(&hi, i) != 1)
				return 1;
		lo.prefix = n;
		*a = lo;
		return 0;
	}
	return 1;
}

static int
parse_set(json_t *set, struct entries *es)
{
	struct respond_entry e;
	json_t *elems, *it, *inner, *val, *x;
	size_t i;
	int r;

	elems = json_object_get(set, "elem");
	if (elems == NULL)
		return 0;
	if (!json_is_array(elems))
		return MAMORI_ECORRUPT;
	json_array_foreach(elems, i, it) {
		memset(&e, 0, sizeof(e));
		val = it;
		if ((inner = json_object_get(it, "elem")) != NULL) {
			val = json_object_get(inner, "val");
			if ((x = json_object_get(inner, "timeout")) != NULL &&
			    json_is_integer(x) && json_integer_value(x) > 0)
				e.timeout_ns = json_integer_value(x) *
				    NS_PER_SEC_;
			if ((x = json_object_get(inner, "expires")) != NULL &&
			    json_is_integer(x) && json_integer_value(x) > 0)
				e.expires_ns = json_integer_value(x) *
				    NS_PER_SEC_;
		}
		if (val == NULL)
			return MAMORI_ECORRUPT;
		if ((r = elem_addr(val, &e.addr)) < 0)
			return r;
		if (r == 1)
			continue;
		if ((r = entries_add(es, &e)) != 0)
			return r;
	}
	return 0;
}

/* Reads the blocks in table into *es.  A missing table is no blocks. */
static int
read_table(const char *table, struct entries *es, char *err, size_t errlen)
{
	static const char *const sets[] = { "block4", "block6" };
	char cmd[128], *out = NULL;
	json_error_t jerr;
	json_t *root, *arr, *it, *set;
	size_t i, k;
	const char *name, *tbl;
	int r;

	memset(es, 0, sizeof(*es));
	snprintf(cmd, sizeof(cmd), "list table inet %s", table);
	if ((r = nft_exec(cmd, &out, err, errlen)) != 0)
		return r == MAMORI_ENOTFOUND ? 0 : r;
	if ((root = json_loads(out, 0, &jerr)) == NULL) {
		mamori_seterr(err, errlen, "nftables: unreadable JSON listing: %s",
		    jerr.text);
		free(out);
		return MAMORI_ECORRUPT;
	}
	free(out);
	arr = json_object_get(root, "nftables");
	r = 0;
	for (k = 0; k < 2 && r == 0; k++)
		json_array_foreach(arr, i, it) {
			if ((set = json_object_get(it, "set")) == NULL)
				continue;
			name = json_string_value(json_object_get(set, "name"));
			tbl = json_string_value(json_object_get(set, "table"));
			if (name == NULL || tbl == NULL ||
			    strcmp(name, sets[k]) != 0 ||
			    strcmp(tbl, table) != 0)
				continue;
			if ((r = parse_set(set, es)) != 0)
				break;
		}
	json_decref(root);
	if (r == MAMORI_ECORRUPT)
		mamori_seterr(err, errlen, "nftables: unexpected element in table "
		    "inet %s", table);
	if (r != 0) {
		free(es->v);
		memset(es, 0, sizeof(*es));
	}
	return r;
}

int
respond_list(const struct respond_conf *c,
    int (*cb)(void *, const struct respond_entry *), void *arg,
    char *err, size_t errlen)
{
	struct entries es;
	size_t i;
	int r;

	if (!table_ok(c->table, err, errlen))
		return MAMORI_EINVAL;
	if ((r = read_table(c->table, &es, err, errlen)) != 0)
		return r;
	for (i = 0; i < es.n && r == 0; i++)
		r = cb(arg, &es.v[i]);
	free(es.v);
	return r;
}

/* ---- changing it ---- */

static void
cmd_ensure(struct cmdbuf *b, const char *t)
{
	static const char *const hooks[] = { "input", "output", "forward" };
	size_t i;

	cmd_add(b, "add table inet %s { comment \"mamori: blocked addresses "
	    "(mamori block, mamori unblock)\"; }\n", t);
	cmd_add(b, "add set inet %s block4 { type ipv4_addr; "
	    "flags interval,timeout; }\n", t);
	cmd_add(b, "add set inet %s block6 { type ipv6_addr; "
	    "flags interval,timeout; }\n", t);
	for (i = 0; i < 3; i++) {
		cmd_add(b, "add chain inet %s %s { type filter hook %s "
		    "priority filter - 10; policy accept; }\n", t, hooks[i],
		    hooks[i]);
		cmd_add(b, "flush chain inet %s %s\n", t, hooks[i]);
	}
	cmd_add(b, "add rule inet %s input ip saddr @block4 drop\n", t);
	cmd_add(b, "add rule inet %s input ip6 saddr @block6 drop\n", t);
	cmd_add(b, "add rule inet %s output ip daddr @block4 drop\n", t);
	cmd_add(b, "add rule inet %s output ip6 daddr @block6 drop\n", t);
	cmd_add(b, "add rule inet %s forward ip saddr @block4 drop\n", t);
	cmd_add(b, "add rule inet %s forward ip daddr @block4 drop\n", t);
	cmd_add(b, "add rule inet %s forward ip6 saddr @block6 drop\n", t);
	cmd_add(b, "add rule inet %s forward ip6 daddr @block6 drop\n", t);
}

static const char *
set_of(const struct respond_addr *a)
{
	return a->family == AF_INET ? "block4" : "block6";
}

static int
outcome(struct respond_result *res, enum respond_outcome o, int r)
{
	res->outcome = o;
	return r;
}

int
respond_apply(const struct respond_conf *c, const char *addr, size_t len,
    int64_t duration_ns, unsigned flags, struct respond_result *resp,
    char *err, size_t errlen)
{
	struct respond_result local, *res = resp != NULL ? resp : &local;
	struct respond_addr a;
	struct entries es;
	struct cmdbuf b;
	const struct respond_entry *same = NULL;
	char es_s[RESPOND_ADDR_STRLEN], d1[32], d2[32], list[256];
	size_t i, nover = 0, o;
	int r, attempt;

	memset(res, 0, sizeof(*res));
	res->outcome = RESPOND_FAILED;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = respond_addr_parse(addr, len, &a, err, errlen)) != 0)
		return outcome(res, RESPOND_BAD_ADDRESS, MAMORI_EINVAL);
	respond_addr_format(&a, res->addr);
	if (duration_ns < 0 || (duration_ns > 0 &&
	    duration_ns < RESPOND_MIN_DURATION_NS)) {
		mamori_seterr(err, errlen, "%s: a block lasts 0 (until unblocked) or "
		    "at least 1s", res->addr);
		return outcome(res, RESPOND_BAD_DURATION, MAMORI_EINVAL);
	}
	if (c->max_duration_ns > 0 && (duration_ns == 0 ||
	    duration_ns > c->max_duration_ns)) {
		if (!(flags & RESPOND_F_CLAMP)) {
			mamori_seterr(err, errlen, "%s: %s is longer than "
			    "respond.max_duration (%s)", res->addr,
			    duration_ns == 0 ? "until unblocked" :
			    respond_duration_format(duration_ns, d1,
			    sizeof(d1)), respond_duration_format(
			    c->max_duration_ns, d2, sizeof(d2)));
			return outcome(res, RESPOND_BAD_DURATION,
			    MAMORI_EINVAL);
		}
		duration_ns = c->max_duration_ns;
	}
	res->duration_ns = duration_ns;
	if ((r = respond_allowlisted(c, &a, 1, err, errlen)) != 0)
		return r > 0 ? outcome(res, RESPOND_ALLOWLISTED,
		    MAMORI_EINVAL) : outcome(res, RESPOND_FAILED, r);
	if (flags & RESPOND_F_DRY_RUN) {
		res->dry_run = 1;
		return outcome(res, RESPOND_DONE, 0);
	}
	if (!table_ok(c->table, err, errlen))
		return outcome(res, RESPOND_FAILED, MAMORI_EINVAL);

	for (attempt = 0; attempt < 2; attempt++) {
		if ((r = read_table(c->table, &es, err, errlen)) != 0)
			return outcome(res, RESPOND_FAILED, r);
		same = NULL;
		nover = 0;
		list[0] = '\0';
		o = 0;
		for (i = 0; i < es.n; i++) {
			const struct respond_entry *e = &es.v[i];

			if (respond_addr_equal(&e->addr, &a)) {
				same = e;
				continue;
			}
			if (respond_addr_contains(&e->addr, &a)) {
				if (e->expires_ns > 0)
					mamori_seterr(err, errlen, "%s is already "
					    "blocked by %s (expires in %s)",
					    res->addr, respond_addr_format(
					    &e->addr, es_s),
					    respond_duration_format(
					    e->expires_ns, d1, sizeof(d1)));
				else
					mamori_seterr(err, errlen, "%s is already "
					    "blocked by %s (until unblocked)",
					    res->addr, respond_addr_format(
					    &e->addr, es_s));
				free(es.v);
				return outcome(res, RESPOND_COVERED,
				    MAMORI_EEXIST);
			}
			if (respond_addr_overlaps(&e->addr, &a)) {
				if (nover < 4 && o < sizeof(list)) {
					r = snprintf(list + o, sizeof(list) - o,
					    "%s%s", nover > 0 ? ", " : "",
					    respond_addr_format(&e->addr,
					    es_s));
					if (r > 0)
						o += (size_t)r;
				}
				nover++;
			}
		}
		free(es.v);
		if (nover > 0) {
			mamori_seterr(err, errlen, "%s overlaps %zu narrower block%s "
			    "(%s%s): unblock %s first", res->addr, nover,
			    nover == 1 ? "" : "s", list, nover > 4 ? ", ..." :
			    "", nover == 1 ? "it" : "them");
			return outcome(res, RESPOND_OVERLAPS, MAMORI_EINVAL);
		}
		if (same != NULL && (flags & RESPOND_F_NO_REPLACE)) {
			mamori_seterr(err, errlen, "%s is already blocked",
			    res->addr);
			return outcome(res, RESPOND_COVERED, MAMORI_EEXIST);
		}

		memset(&b, 0, sizeof(b));
		cmd_ensure(&b, c->table);
		if (same != NULL)
			cmd_add(&b, "delete element inet %s %s { %s }\n",
			    c->table, set_of(&a), res->addr);
		if (duration_ns > 0)
			cmd_add(&b, "add element inet %s %s { %s timeout "
			    "%" PRId64 "ms }\n", c->table, set_of(&a),
			    res->addr, duration_ns / 1000000);
		else
			cmd_add(&b, "add element inet %s %s { %s }\n",
			    c->table, set_of(&a), res->addr);
		if (b.oom) {
			free(b.p);
			return outcome(res, RESPOND_FAILED, MAMORI_ENOMEM);
		}
		r = nft_exec(b.p, NULL, err, errlen);
		free(b.p);
		/* The block we meant to replace may have expired between
		 * reading and changing (ENOTFOUND), or another one appeared
		 * (EEXIST): read again, once. */
		if ((r == MAMORI_ENOTFOUND || r == MAMORI_EEXIST) &&
		    attempt == 0)
			continue;
		break;
	}
	if (r != 0)
		return outcome(res, RESPOND_FAILED, r == MAMORI_ENOMEM ? r :
		    MAMORI_ESYS);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return outcome(res, same != NULL ? RESPOND_REPLACED : RESPOND_DONE,
	    0);
}

int
respond_block(const struct respond_conf *c, const char *addr,
    int64_t duration_ns, char *err, size_t errlen)
{
	return respond_apply(c, addr, strlen(addr), duration_ns,
	    c->dry_run ? RESPOND_F_DRY_RUN : 0, NULL, err, errlen);
}

int
respond_unblock(const struct respond_conf *c, const char *addr, char *canon,
    char *err, size_t errlen)
{
	struct respond_addr a;
	struct entries es;
	char s[RESPOND_ADDR_STRLEN], w[RESPOND_ADDR_STRLEN], cmd[256];
	const struct respond_entry *wider = NULL;
	size_t i;
	int r, found = 0;

	if (canon != NULL)
		canon[0] = '\0';
	if ((r = respond_addr_parse(addr, strlen(addr), &a, err,
	    errlen)) != 0)
		return MAMORI_EINVAL;
	respond_addr_format(&a, s);
	if (canon != NULL)
		memcpy(canon, s, RESPOND_ADDR_STRLEN);
	if (!table_ok(c->table, err, errlen))
		return MAMORI_EINVAL;
	if ((r = read_table(c->table, &es, err, errlen)) != 0)
		return r;
	for (i = 0; i < es.n; i++) {
		if (respond_addr_equal(&es.v[i].addr, &a))
			found = 1;
		else if (wider == NULL &&
		    respond_addr_contains(&es.v[i].addr, &a))
			wider = &es.v[i];
	}
	if (!found) {
		if (wider != NULL)
			mamori_seterr(err, errlen, "%s is not blocked by itself: it "
			    "is inside the block %s (unblock that)", s,
			    respond_addr_format(&wider->addr, w));
		else
			mamori_seterr(err, errlen, "%s is not blocked", s);
		free(es.v);
		return MAMORI_ENOTFOUND;
	}
	free(es.v);
	snprintf(cmd, sizeof(cmd), "delete element inet %s %s { %s }\n",
	    c->table, set_of(&a), s);
	if ((r = nft_exec(cmd, NULL, err, errlen)) != 0) {
		if (r == MAMORI_ENOTFOUND) {
			mamori_seterr(err, errlen, "%s is not blocked (its block "
			    "has just expired)", s);
			return MAMORI_ENOTFOUND;
		}
		return r == MAMORI_ENOMEM ? r : MAMORI_ESYS;
	}
	return 0;
}
