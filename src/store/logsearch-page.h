/*
 * logsearch-page.h - the log store a page at a time, newest first, for
 * the console (GET /api/v1/logs) and anything else that shows the latest
 * matches and lets a person go back in time.
 *
 * A page is found without reading the whole store: segments are chosen
 * by the sequence numbers and times their headers and checkpoints give,
 * newest first, and only those that can hold the page are read.  Cost
 * per page: the records of the segments read, at most one segment
 * beyond the page's own for a filter that matches often; a rare filter
 * reads back until it has a page or has examined max_scan records, and
 * then says where to go on.
 */
#ifndef MAMORI_LOGSEARCH_PAGE_H
#define MAMORI_LOGSEARCH_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "store/logsearch.h"

#define LOGSEARCH_PAGE_MAX	1000		/* records per page */
#define LOGSEARCH_PAGE_SCAN	2000000		/* default max_scan */

struct logsearch_page_opts {
	uint64_t	 before;	/* only records with seq < before; 0:
					   from the newest */
	size_t		 limit;		/* 1..LOGSEARCH_PAGE_MAX */
	uint64_t	 max_scan;	/* records examined before giving back
					   what was found; 0: the default */
};

struct logsearch_page_result {
	struct event	**ev;		/* newest first */
	size_t		 n;
	uint64_t	 next;		/* before= for the next page; 0 when
					   no older record can match */
	uint64_t	 scanned;	/* records examined */
	uint64_t	 segments;	/* segments read */
	uint64_t	 corrupt;	/* damaged records skipped */
};

/*
 * Finds the next page of records of the store in dir (the data
 * directory) that s matches (q is the query s was compiled from, for its
 * time bounds).  Fills res (caller releases with
 * logsearch_page_release()).  Returns 0; MAMORI_ENOTFOUND when there is
 * no store yet (res empty); MAMORI_EINVAL (bad limit); or MAMORI_EIO /
 * MAMORI_ENOMEM with err set.  A damaged record is skipped and counted,
 * as logstore_reader_next() does.
 */
int logsearch_page(const char *dir, struct logsearch *s,
    const struct logsearch_query *q, const struct logsearch_page_opts *o,
    struct logsearch_page_result *res, char *err, size_t errlen);
void logsearch_page_release(struct logsearch_page_result *res);

/*
 * Calls cb with each record of the store in dir whose seq is one of
 * seqs[0..n) (sorted ascending, no duplicates), oldest first, reading
 * only the segments that hold them.  The event is borrowed for the call.
 * Stops when cb returns non-zero.  Returns 0, cb's value,
 * MAMORI_ENOTFOUND (no store), or MAMORI_EIO / MAMORI_ENOMEM with err
 * set.
 */
int logsearch_fetch(const char *dir, const uint64_t *seqs, size_t n,
    int (*cb)(void *, const struct event *), void *arg, char *err,
    size_t errlen);

#endif
