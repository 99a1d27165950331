/*
 * web-http.h - libmicrohttpd's callbacks (web-http.c), for the daemons
 * that web-server.c starts.  Private to src/web/.
 */
#ifndef MAMORI_WEB_HTTP_H
#define MAMORI_WEB_HTTP_H

#include <microhttpd.h>

/* MHD_AccessHandlerCallback; cls is the struct web_daemon. */
enum MHD_Result web_access(void *cls, struct MHD_Connection *c,
    const char *url, const char *method, const char *version,
    const char *upload, size_t *upload_size, void **con_cls);

/* MHD_RequestCompletedCallback: frees the request. */
void web_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe);

/* MHD_OPTION_UNESCAPE_CALLBACK that leaves URLs and arguments as sent
 * (web-parse.c decodes them, segment by segment). */
size_t web_unescape_none(void *cls, struct MHD_Connection *c, char *s);

/* Content-Security-Policy and the other headers every response carries;
 * with api, also Cache-Control: no-store. */
void web_security_headers(struct MHD_Response *r, int api);

#endif
