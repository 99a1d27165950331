/*
 * mem.h - allocation helpers.
 */
#ifndef MAMORI_MEM_H
#define MAMORI_MEM_H

#include <stdlib.h>
#include <string.h>

#define MEM_LINE	64	/* bytes in a cache line */

/*
 * A zeroed object of size bytes on cache lines of its own: aligned to a
 * line and padded to whole lines (free() frees it).  For the state one
 * thread writes while another thread works beside it: two objects that
 * calloc() had placed on one line would send it back and forth between
 * the threads' caches at every write (false sharing), and whether they
 * did would change with the sizes of whatever was allocated before.
 */
static inline void *
mem_calloc_lines(size_t size)
{
	size_t n = (size + MEM_LINE - 1) & ~(size_t)(MEM_LINE - 1);
	void *p;

	if (n < size || (p = aligned_alloc(MEM_LINE, n)) == NULL)
		return NULL;
	memset(p, 0, n);
	return p;
}

#endif
