/*
 * log.c - diagnostics to standard error.  Each line is written with one
 * write() so lines from different threads do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"

static void
vlog(const char *level, const char *fmt, va_list ap)
{
	char line[2048], ts[40];
	int n, m;

	if (time_format_rfc3339(time_now_ns(), 0, 3, ts, sizeof(ts)) != 0)
		ts[0] = '\0';
	n = snprintf(line, sizeof(line), "%s mamori[%d] %s: ", ts,
	    (int)getpid(), level);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error", fmt, ap);
	va_end(ap);
}
