/*
 * playbook.h - response checklists: one playbook per incident category,
 * read from YAML files (playbooks/<category>.yaml) that an organisation
 * edits without recompiling.  When an incident is created its category's
 * playbook becomes the incident's checklist (incident_create() copies the
 * steps into incident_steps); people then mark each step done or skipped.
 *
 * The format is in docs/playbooks.md.  In short:
 *
 *	id: intrusion
 *	category: intrusion
 *	title: Intrusion into a host
 *	summary: >
 *	  ...
 *	steps:
 *	  - id: stay-calm
 *	    title: Stay calm and start the incident record
 *	    detail: >
 *	      ...
 *	  - id: announce
 *	    title: Announce to the victims and the public
 *	    when: external
 *
 * Loading is all or nothing: a set is returned only when every file of
 * the directory was accepted, and every error names "FILE:LINE: reason".
 * A set is read-only once loaded; share it between threads freely and
 * replace it whole (load the new one, swap, free the old) to reload.
 */
#ifndef MAMORI_PLAYBOOK_H
#define MAMORI_PLAYBOOK_H

#include <stddef.h>

#define PLAYBOOK_MAX_FILE	(256 * 1024)	/* bytes in one file */
#define PLAYBOOK_MAX_FILES	1024		/* files in one directory */
#define PLAYBOOK_MAX_STEPS	64		/* steps in one playbook */
#define PLAYBOOK_MAX_ID		64		/* bytes of an id */
#define PLAYBOOK_MAX_TITLE	200		/* bytes of a title */
#define PLAYBOOK_MAX_TEXT	8192		/* bytes of summary, detail */

/* The category of the playbook for incidents reported from outside. */
#define PLAYBOOK_REPORT		"report"

struct playbook_step {
	char	*id;		/* unique within the playbook: "isolate" */
	char	*title;		/* one line, not empty */
	char	*detail;	/* may be NULL; may hold newlines */
	int	 min_impact;	/* 0: always attached; else the step is for
				   incidents whose impact (enum inc_impact:
				   1 internal, 2 external, 3 infrastructure)
				   is at least this ("when:" in the file) */
};

struct playbook {
	char	*id;
	char	*category;	/* taxonomy id, or "report" */
	char	*title;
	char	*summary;	/* may be NULL */
	char	*path;		/* file it came from */
	struct playbook_step *steps;	/* 1..PLAYBOOK_MAX_STEPS of them */
	size_t	 nsteps;
};

struct playbook_set;

/*
 * Loads every *.yaml file in dir (in name order; names starting with '.'
 * are skipped, other files such as README.md are ignored).
 * categories[0..ncat) are the valid category ids ("report" is always
 * valid besides them); NULL/0 accepts any well-formed id.  Two playbooks
 * for one category, or two with one id, are an error naming both files.
 * Returns 0 and a new set in *out (caller frees with playbook_set_free();
 * an empty directory gives an empty set), or MAMORI_ECONFIG with
 * "FILE:LINE: reason" in err, MAMORI_ESYS (dir or a file cannot be read;
 * err says which) or MAMORI_ENOMEM; *out is NULL on error, so nothing is
 * half-loaded.
 */
int playbook_set_load(const char *dir, const char *const *categories,
    size_t ncat, struct playbook_set **out, char *err, size_t errlen);

/*
 * Loads one file alone (any well-formed category), for tests and for
 * checking a file before it is installed.  Returns 0 and *out (caller
 * frees with playbook_free()), or an error as playbook_set_load().
 */
int playbook_load_file(const char *path, struct playbook **out, char *err,
    size_t errlen);

/*
 * The same from buf[0..len) (need not be NUL-terminated), named path in
 * messages and in (*out)->path.  The fuzz harness's entry point.
 */
int playbook_load_buf(const char *path, const char *buf, size_t len,
    struct playbook **out, char *err, size_t errlen);

/* Free a playbook from playbook_load_file() (not one borrowed from a
 * set), or a whole set with its playbooks.  NULL is a no-op. */
void playbook_free(struct playbook *pb);
void playbook_set_free(struct playbook_set *set);

/* The playbook for category (a taxonomy id or "report"), or the one with
 * id; NULL if none.  Borrowed until playbook_set_free(set). */
const struct playbook *playbook_for(const struct playbook_set *set,
    const char *category);
const struct playbook *playbook_get(const struct playbook_set *set,
    const char *id);

/* The set's playbooks in load (file name) order, i < count. */
size_t playbook_set_count(const struct playbook_set *set);
const struct playbook *playbook_at(const struct playbook_set *set,
    size_t i);

/*
 * Whether step s belongs on the checklist of an incident of the given
 * impact (enum inc_impact value, 1..3): 1 when s->min_impact is 0 or at
 * most impact.  Attach the steps that apply when the incident is created;
 * when its impact is raised later, append those that apply now and did
 * not before.
 */
int playbook_step_applies(const struct playbook_step *s, int impact);

/* The name of a min_impact value as "when:" spells it ("internal",
 * "external", "infrastructure"), or NULL for 0 (always). */
const char *playbook_when_name(int min_impact);

/*
 * The bundled playbooks directory: $MAMORI_PLAYBOOKS if set and not
 * empty, else playbooks/ beside the executable's directory (build/mamori
 * in the source tree finds <src>/playbooks; an install under a prefix
 * finds <prefix>/share/mamori/playbooks), else
 * /usr/share/mamori/playbooks.  argv0 is used only when /proc/self/exe
 * cannot be read (may be NULL).  Returns a new path (caller frees), or
 * NULL when no such directory exists (or $MAMORI_PLAYBOOKS names none) or
 * memory ran out.
 */
char *playbook_default_dir(const char *argv0);

#endif
