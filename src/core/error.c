/*
 * error.c - text for MAMORI_E* codes.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/error.h"

const char *
mamori_strerror(int r)
{
	switch (r) {
	case MAMORI_OK:		return "success";
	case MAMORI_ENOMEM:	return "out of memory";
	case MAMORI_EINVAL:	return "invalid input";
	case MAMORI_ETRUNC:	return "truncated input";
	case MAMORI_ETOOBIG:	return "input too large";
	case MAMORI_ESYS:	return "system call failed";
	case MAMORI_EIO:	return "I/O error";
	case MAMORI_ECORRUPT:	return "stored data is corrupt";
	case MAMORI_EAGAIN:	return "resource temporarily unavailable";
	case MAMORI_ECLOSED:	return "closed";
	case MAMORI_ENOTFOUND:	return "not found";
	case MAMORI_ECONFIG:	return "invalid configuration";
	case MAMORI_ETLS:	return "TLS error";
	case MAMORI_EDB:	return "database error";
	case MAMORI_EEXIST:	return "already exists";
	case MAMORI_EKEY:	return "key missing or wrong";
	default:		return "unknown error";
	}
}

void
mamori_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
