/*
 * audit-system.c - three small checks of the running system's state:
 * interfaces in promiscuous mode (a sniffer collecting other hosts'
 * traffic), the clock's synchronisation (logs with wrong times cannot be
 * correlated, and an intruder may set the clock on purpose), and
 * services enabled that the configuration says are not needed.
 *
 * Interfaces come from /sys/class/net/IFACE/flags (IFF_PROMISC is
 * 0x100, include/uapi/linux/if.h) through the root prefix.  The clock is
 * the kernel's NTP state (adjtimex(2): TIME_ERROR or STA_UNSYNC mean
 * no NTP daemon keeps it), so it is checked only on the running system
 * (--root /): a mounted disk has no clock.  Services are read from the
 * unit links under /etc/systemd/system (what `systemctl enable` makes),
 * the vendor's *.wants directories in /usr/lib/systemd/system, and the SysV rc links,
 * so that a mounted disk can be checked too (no systemctl).
 */
#include <sys/stat.h>
#include <sys/timex.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

#define IFF_PROMISC_FLAG	0x100

int
audit_check_promisc(struct audit_ctx *c, const struct audit_conf *conf)
{
	struct dirent *de;
	char path[512], *buf, *end;
	unsigned long flags;
	json_t *x;
	DIR *d;
	int fd, r = 0;

	(void)conf;
	if ((fd = audit_open(c, "/sys/class/net", O_RDONLY | O_DIRECTORY)) <
	    0) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "no /sys/class/net under the root");
		return 0;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return audit_fail(c, "cannot list /sys/class/net: %s",
		    strerror(errno));
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/flags",
		    de->d_name);
		if (audit_read(c, path, 4096, &buf, NULL) != 0)
			continue;
		errno = 0;
		flags = strtoul(buf, &end, 16);
		if (errno != 0 || end == buf) {
			free(buf);
			continue;
		}
		free(buf);
		if (!(flags & IFF_PROMISC_FLAG))
			continue;
		snprintf(path, sizeof(path), "0x%lx", flags);
		x = json_pack("{s:o?, s:s}", "interface",
		    audit_json_str(de->d_name, strlen(de->d_name)), "flags",
		    path);
		if (x == NULL) {
			r = MAMORI_ENOMEM;
			break;
		}
		r = audit_emitf(c, "promiscuous", AUDIT_SEV_HIGH, de->d_name,
		    "find the program capturing on it (ss -0p, lsof | grep "
		    "packet) and stop it unless it is your IDS or a bridge; "
		    "a sniffer collects other hosts' passwords", x,
		    "interface %s is in promiscuous mode: it sees traffic "
		    "meant for other hosts", de->d_name);
		json_decref(x);
	}
	closedir(d);
	return r;
}

int
audit_clock_unsynced(int state, int status)
{
	return state == TIME_ERROR || (status & STA_UNSYNC) != 0;
}

int
audit_check_clock(struct audit_ctx *c, const struct audit_conf *conf)
{
	struct timex tx;
	json_t *x;
	int state, r;

	(void)conf;
	if (!c->live) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "a root prefix has no clock: checked only on "
		    "the running system");
		return 0;
	}
	memset(&tx, 0, sizeof(tx));
	if ((state = adjtimex(&tx)) < 0)
		return audit_fail(c, "adjtimex: %s", strerror(errno));
	if (!audit_clock_unsynced(state, tx.status))
		return 0;
	x = json_pack("{s:i, s:i, s:I, s:I}", "state", state, "status",
	    tx.status, "maxerror_us", (json_int_t)tx.maxerror,
	    "esterror_us", (json_int_t)tx.esterror);
	if (x == NULL)
		return MAMORI_ENOMEM;
	r = audit_emitf(c, "unsynchronised", AUDIT_SEV_MEDIUM, "clock",
	    "run an NTP client (systemd-timesyncd, chrony) against your "
	    "time servers; the log server's clock-skew events show how far "
	    "off it is", x, "the system clock is not synchronised (the "
	    "kernel's NTP state is unsynchronised, maximum error %ld us): "
	    "its log times cannot be trusted", (long)tx.maxerror);
	json_decref(x);
	return r;
}

/* Is there a link named unit in a *.wants or *.requires directory of
 * dir?  Writes where into where. */
static int
wanted(struct audit_ctx *c, const char *dir, const char *unit, char *where,
    size_t wlen)
{
	struct dirent *de;
	struct stat st;
	size_t n;
	DIR *d;
	int fd, sub, found = 0;

	if ((fd = audit_open(c, dir, O_RDONLY | O_DIRECTORY)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (!found && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (!((n > 6 && strcmp(de->d_name + n - 6, ".wants") == 0) ||
		    (n > 9 && strcmp(de->d_name + n - 9, ".requires") == 0)))
			continue;
		if ((sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		if (fstatat(sub, unit, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			snprintf(where, wlen, "%s/%s/%s", dir, de->d_name,
			    unit);
			found = 1;
		}
		close(sub);
	}
	closedir(d);
	return found;
}

/* Is the unit masked (/etc/systemd/system/UNIT -> /dev/null)? */
static int
masked(struct audit_ctx *c, const char *unit)
{
	char path[512], target[64];
	ssize_t n;
	int fd;

	if ((fd = audit_open(c, "/etc/systemd/system", O_PATH |
	    O_DIRECTORY)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s", unit);
	n = readlinkat(fd, path, target, sizeof(target) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}

/* A SysV start link S??name in /etc/rc[2-5].d. */
static int
sysv_enabled(struct audit_ctx *c, const char *name, char *where,
    size_t wlen)
{
	struct dirent *de;
	char dir[32];
	DIR *d;
	int fd, lvl, found = 0;

	for (lvl = 2; !found && lvl <= 5; lvl++) {
		snprintf(dir, sizeof(dir), "/etc/rc%d.d", lvl);
		if ((fd = audit_open(c, dir, O_RDONLY | O_DIRECTORY)) < 0)
			continue;
		if ((d = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] == 'S' &&
			    de->d_name[1] >= '0' && de->d_name[1] <= '9' &&
			    de->d_name[2] >= '0' && de->d_name[2] <= '9' &&
			    strcmp(de->d_name + 3, name) == 0) {
				snprintf(where, wlen, "%s/%s", dir,
				    de->d_name);
				found = 1;
				break;
			}
		closedir(d);
	}
	return found;
}

static int
svc_emit(struct audit_ctx *c, const char *unit, const char *where,
    int vendor)
{
	char hint[512];
	json_t *x;
	int r;

	x = json_pack("{s:o?, s:o?}", "unit", audit_json_str(unit,
	    strlen(unit)), "link", audit_json_str(where, strlen(where)));
	if (x == NULL)
		return MAMORI_ENOMEM;
	snprintf(hint, sizeof(hint), "%s, or remove its package; if it is "
	    "needed after all, take it out of audit.services.not_needed",
	    vendor ? "systemctl mask --now it (the package enables it)" :
	    "systemctl disable --now it");
	r = audit_emitf(c, "enabled", AUDIT_SEV_MEDIUM, unit, hint, x,
	    "service %s is enabled (%s) but the configuration says it is "
	    "not needed", unit, where);
	json_decref(x);
	return r;
}

int
audit_check_services(struct audit_ctx *c, const struct audit_conf *conf)
{
	static const char *const dirs[] = {
		"/etc/systemd/system", "/usr/lib/systemd/system",
		"/lib/systemd/system",
	};
	char unit[300], where[1024], *const *p;
	const char *suffix[2];
	size_t i, k, ns;
	int r = 0, found;

	if (conf->services == NULL || conf->services[0] == NULL) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "no services are declared not needed");
		return 0;
	}
	for (p = conf->services; r == 0 && *p != NULL; p++) {
		if (strchr(*p, '.') != NULL) {
			suffix[0] = "";
			ns = 1;
		} else {
			suffix[0] = ".service";
			suffix[1] = ".socket";
			ns = 2;
		}
		found = 0;
		for (k = 0; r == 0 && !found && k < ns; k++) {
			snprintf(unit, sizeof(unit), "%s%s", *p, suffix[k]);
			if (masked(c, unit))
				continue;
			for (i = 0; !found && i < sizeof(dirs) /
			    sizeof(dirs[0]); i++)
				if (wanted(c, dirs[i], unit, where,
				    sizeof(where))) {
					found = 1;
					r = svc_emit(c, unit, where, i > 0);
				}
		}
		if (r == 0 && !found && strchr(*p, '.') == NULL &&
		    sysv_enabled(c, *p, where, sizeof(where))) {
			snprintf(unit, sizeof(unit), "%s.service", *p);
			if (!masked(c, unit))
				r = svc_emit(c, *p, where, 0);
		}
	}
	return r;
}
