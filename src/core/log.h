/*
 * log.h - mamori's own diagnostics, on standard error, one line each with
 * a time stamp and level.  Not the log store: these are the operator's
 * messages about the server itself.
 */
#ifndef MAMORI_LOG_H
#define MAMORI_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
