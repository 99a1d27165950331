/*
 * respond-caps.c - keeping CAP_NET_ADMIN across the server's privilege
 * drop, so that automatic blocks still work once it runs as an
 * unprivileged user (capabilities(7): "Effect of user ID changes on
 * capabilities"; prctl(2) PR_SET_KEEPCAPS).
 *
 * After the drop the process holds CAP_NET_ADMIN alone, permitted and
 * effective: it cannot get root back (no CAP_SETUID), read others' files
 * (no CAP_DAC_*) or bind low ports; it can change the firewall, which is
 * what respond needs and no more.  Capabilities are per thread: the
 * threads that need it (the responder) must be started after
 * respond_keepcap_after(), by the thread that called it.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "respond/respond.h"

int
respond_keepcap_before(void)
{
	return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0 ? 0 : MAMORI_ESYS;
}

int
respond_keepcap_after(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];
	int e;

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	d[CAP_NET_ADMIN / 32].permitted = 1u << (CAP_NET_ADMIN % 32);
	d[CAP_NET_ADMIN / 32].effective = 1u << (CAP_NET_ADMIN % 32);
	if (syscall(SYS_capset, &h, d) != 0) {
		e = errno;
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		errno = e;
		return MAMORI_ESYS;
	}
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == 0 ? 0 : MAMORI_ESYS;
}
