/*
 * web-assets.h - the console's files (web/), embedded into the binary at
 * build time by cmake/embed-web.cmake (the table is generated:
 * <build>/generated/web-assets.c).
 */
#ifndef MAMORI_WEB_ASSETS_H
#define MAMORI_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char		*path;	/* "/index.html", "/js/app.js" */
	const char		*type;	/* "text/html; charset=utf-8" */
	const unsigned char	*data;	/* len bytes, then a NUL */
	size_t			 len;
	const char		*etag;	/* "\"0123456789abcdef\"" (quoted) */
};

/* Sorted by path; web_nassets entries (the array holds one empty entry
 * when web/ was empty). */
extern const struct web_asset web_assets[];
extern const size_t web_nassets;

#endif
