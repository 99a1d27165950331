/*
 * error.h - mamori's error codes.
 *
 * Library functions return 0 or a negative MAMORI_E* code (the OpenSSH
 * ssherr.h convention); mamori_strerror() turns a code into text.  Where the
 * user caused the error, the function also fills a caller-supplied message
 * buffer naming what was wrong and where (file:line, peer, setting).
 */
#ifndef MAMORI_ERROR_H
#define MAMORI_ERROR_H

#include <stddef.h>

#define MAMORI_OK		0
#define MAMORI_ENOMEM		-1	/* allocation failed */
#define MAMORI_EINVAL		-2	/* invalid argument or input */
#define MAMORI_ETRUNC		-3	/* input ends before it should */
#define MAMORI_ETOOBIG		-4	/* input longer than the limit */
#define MAMORI_ESYS		-5	/* system call failed; see errno */
#define MAMORI_EIO		-6	/* read or write failed */
#define MAMORI_ECORRUPT		-7	/* stored data fails its checks */
#define MAMORI_EAGAIN		-8	/* try again (queue full, no data) */
#define MAMORI_ECLOSED		-9	/* queue or peer closed */
#define MAMORI_ENOTFOUND	-10	/* no such entry */
#define MAMORI_ECONFIG		-11	/* invalid configuration */
#define MAMORI_ETLS		-12	/* TLS library error */
#define MAMORI_EDB		-13	/* database error */
#define MAMORI_EEXIST		-14	/* already exists */
#define MAMORI_EKEY		-15	/* key missing or wrong */

/* Returns a static string describing code r. */
const char *mamori_strerror(int r);

/* Formats a message into err, as snprintf(); nothing when err is NULL or
 * errlen is 0. */
void mamori_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
