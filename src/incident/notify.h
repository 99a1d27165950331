/*
 * notify.h - the contact plan: who is told about which incident, by mail
 * (SMTP through libcurl: STARTTLS, authentication) and by webhook (a JSON
 * POST, e.g. to a chat system), with retries, a rate limit per contact,
 * and every attempt, sent or failed, recorded in the notifications table
 * and on the incident's timeline.
 *
 *   notify-plan.c	the plan (the configuration's notify: section),
 *			routing, the rate limiter
 *   notify-send.c	composing mails and webhook bodies; one attempt to
 *			send each through libcurl
 *   notify-queue.c	delivery with retries and recording; the notifier
 *			thread of the server; notify_incident() for the CLI
 *
 * Every string that came from logs (titles, parties, alert text) is the
 * attacker's: it is cleaned of control characters before it reaches a
 * mail or a terminal and reaches mail headers only RFC 2047-encoded.
 * Passwords and webhook URLs (whose path is usually the secret) are never
 * logged, printed or recorded: targets are shown as scheme://host/...
 *
 * docs/notification.md describes the plan's format.
 */
#ifndef MAMORI_NOTIFY_H
#define MAMORI_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/yamldoc.h"

typedef struct sqlite3 sqlite3;
struct incident;

/* The roles of a contact plan, as the lecture names them. */
enum notify_role {
	NOTIFY_ROLE_CSIRT = 0,		/* the organisation's own CSIRT */
	NOTIFY_ROLE_ADMINISTRATORS,	/* system and network admins */
	NOTIFY_ROLE_MANAGEMENT,
	NOTIFY_ROLE_LEGAL,
	NOTIFY_ROLE_POLICE,		/* police cybercrime desk */
	NOTIFY_ROLE_EXTERNAL_CSIRT,	/* JPCERT/CC, a national CSIRT */
	NOTIFY_NROLES
};

/* "csirt", "administrators", "management", "legal", "police",
 * "external-csirt"; and back (-1 when unknown). */
const char *notify_role_name(enum notify_role r);
int notify_role_parse(const char *s);

enum notify_starttls {
	NOTIFY_STARTTLS_OPTIONAL = 0,	/* upgrade when the server offers */
	NOTIFY_STARTTLS_REQUIRED,	/* fail unless the upgrade works */
	NOTIFY_STARTTLS_NEVER,		/* plain text (a local relay) */
};

enum notify_lang { NOTIFY_LANG_EN = 0, NOTIFY_LANG_JA };

struct notify_contact {
	char		*name;		/* unique in the plan */
	enum notify_role role;
	char		**email;	/* NULL-terminated; NULL: no mail */
	size_t		 nemail;
	char		*webhook;	/* http(s) URL, or NULL */
	char		*webhook_secret; /* HMAC-SHA256 key for the
					   X-Mamori-Signature header, or
					   NULL */
	enum notify_lang lang;
	size_t		 line;		/* in the configuration file */
};

/*
 * A route: an incident that passes every filter given (categories, and
 * impact and severity at least as high as the minimum) goes to every
 * contact with one of roles and to every contact named.
 */
struct notify_route {
	char		**categories;	/* NULL-terminated; NULL: any */
	int		 min_impact;	/* enum inc_impact; 0: any */
	int		 min_severity;	/* enum inc_severity; 0: any */
	unsigned	 roles;		/* bit (1u << enum notify_role) */
	size_t		*contacts;	/* indices into the plan's contacts */
	size_t		 ncontacts;
	size_t		 line;
};

struct notify_plan {
	char		*from;		/* "mamori <csirt@example.ac.jp>" */
	char		*from_name;	/* "mamori", or NULL */
	char		*from_addr;	/* "csirt@example.ac.jp" */
	char		*smtp_url;	/* smtp:// or smtps://; NULL: no mail */
	enum notify_starttls starttls;
	char		*username;	/* NULL: no AUTH */
	char		*password;	/* given, or read from password_file */
	char		*ca;		/* CA file for the server, or NULL */
	int		 insecure;	/* skip certificate checks */
	char		*console_url;	/* base for links, or NULL */
	int		 attempts;	/* per notification; default 5 */
	int64_t		 retry_delay_ns; /* first wait; doubled each time */
	int64_t		 retry_max_ns;	/* longest wait */
	int64_t		 timeout_ns;	/* per attempt; default 30 s */
	unsigned	 rate_count;	/* per contact and window; 0: none */
	int64_t		 rate_window_ns;
	size_t		 queue_size;	/* notifier_submit() queue */
	struct notify_contact *contacts;
	size_t		 ncontacts;
	struct notify_route *routes;
	size_t		 nroutes;
};

/*
 * Parses the notify: mapping node of the document d (the configuration
 * file name; its nodes are d's) into *out (caller frees with
 * notify_plan_free()).  A password_file is read here.  Returns 0,
 * MAMORI_ECONFIG with "FILE:LINE: setting 'notify.contacts[2].email':
 * reason" in d's error buffer (*out is then NULL), or MAMORI_ENOMEM.
 */
int notify_plan_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct notify_plan **out);
void notify_plan_free(struct notify_plan *p);	/* NULL: no-op */

/* The index of the contact called name, or -1. */
int notify_plan_contact(const struct notify_plan *p, const char *name);

/*
 * Routing: marks chosen[i] = 1 for each contact i (chosen has
 * p->ncontacts entries, cleared here) that some route sends an incident
 * of this category, impact and severity to.  Returns how many were
 * chosen; each contact at most once.
 */
size_t notify_route(const struct notify_plan *p, const char *category,
    int impact, int severity, unsigned char *chosen);

/*
 * The rate limiter (GCRA: a token bucket in one number).  Up to count
 * notifications pass at once, then one every window/count.  State starts
 * zeroed.  notify_rate_take() returns 1 and counts one when a
 * notification may go at now_ns, else 0 and sets *wait_ns (may be NULL)
 * to how long until one may.  count 0 means no limit.
 */
struct notify_rate {
	int64_t		 tat;		/* theoretical arrival time */
};
int notify_rate_take(struct notify_rate *r, unsigned count,
    int64_t window_ns, int64_t now_ns, int64_t *wait_ns);

/*
 * Composition.  A message to one contact about one incident: the mail
 * (RFC 5322 headers, UTF-8 body quoted-printable, CRLF line ends) and
 * the webhook body (JSON).  Strings are allocated; release with
 * notify_msg_release().
 */
struct notify_msg {
	char		*subject;	/* cleaned UTF-8, before encoding */
	char		*text;		/* the body as plain UTF-8 (LF) */
	char		*mail;		/* the whole message, ready to send */
	size_t		 mail_len;
	char		*json;		/* the webhook body */
};

/*
 * Composes m for contact c about inc (loaded whole, incident_get()),
 * because of why (free text: "created", "impact raised", ...), dated
 * now_ns.  Returns 0 or MAMORI_ENOMEM.
 */
int notify_compose(const struct notify_plan *p,
    const struct notify_contact *c, const struct incident *inc,
    const char *why, int64_t now_ns, struct notify_msg *m);

/*
 * Composes a summary of the incidents incs[0..n) that the rate limit
 * held back from contact c (more: how many more were held back but not
 * listed).  Returns 0 or MAMORI_ENOMEM.
 */
int notify_compose_digest(const struct notify_plan *p,
    const struct notify_contact *c, const struct incident *incs, size_t n,
    size_t more, int64_t now_ns, struct notify_msg *m);
void notify_msg_release(struct notify_msg *m);

/*
 * The pieces, for tests and for other mail senders.  Each returns an
 * allocated string (caller frees) or NULL when out of memory.
 *
 * notify_clean(): s[0..len) as valid UTF-8 with every control character
 * (C0 including CR, LF and TAB; DEL; C1; bidirectional overrides)
 * replaced by a space, invalid bytes by U+FFFD, runs of spaces made one,
 * and cut at max bytes on a character boundary ("..." appended).
 *
 * notify_header_encode(): the header "Name: value" folded at 78 columns,
 * value (cleaned) as is when it is plain printable ASCII without "=?",
 * else as RFC 2047 "=?UTF-8?B?...?=" words that never split a
 * character.  Ends in CRLF.
 *
 * notify_qp_encode(): RFC 2045 quoted-printable of UTF-8 text with LF
 * or CRLF line ends, lines of at most 76 characters, CRLF line ends.
 */
char *notify_clean(const char *s, size_t len, size_t max);
char *notify_header_encode(const char *name, const char *value);
char *notify_qp_encode(const char *text, size_t len);

/*
 * A URL shown without what may be secret: "https://chat.example/..."
 * (scheme, host and port only).  Writes into buf; returns buf.
 */
const char *notify_url_redact(const char *url, char *buf, size_t len);

/*
 * One attempt to send m: by mail to c's addresses through the plan's
 * SMTP server, or as a POST of m->json to c's webhook.  Each waits at
 * most timeout_ns.  Returns 0 (the server took it), MAMORI_EAGAIN (a
 * failure worth retrying: no connection, a timeout, 4xx from SMTP, 5xx
 * or 429 from HTTP) or MAMORI_EIO (one that will not go away: refused
 * login, a rejected address, 4xx from HTTP), with the reason in err.
 * Requires curl_global_init() (notifier_start() and notify_incident()
 * do it).
 */
int notify_send_mail(const struct notify_plan *p,
    const struct notify_contact *c, const struct notify_msg *m,
    int64_t timeout_ns, char *err, size_t errlen);
int notify_send_webhook(const struct notify_plan *p,
    const struct notify_contact *c, const struct notify_msg *m,
    int64_t timeout_ns, char *err, size_t errlen);

/*
 * The notifier thread of the server: a bounded queue of incidents to
 * notify about, each routed along the plan, sent with retries (delay
 * doubled each attempt up to retry_max) and the rate limit per contact
 * (what goes over it is recorded as rate-limited and sent later in one
 * summary).  It opens its own connection to the database at db_path to
 * read incidents and record results.
 *
 * notifier_start() returns the notifier (p is borrowed and must outlive
 * it) or NULL with a reason in err.  notifier_submit() copies why and
 * never blocks: 0, MAMORI_EAGAIN when the queue is full (nothing is
 * queued; the caller may log it and try later), MAMORI_ECLOSED once
 * notifier_stop() has begun, or MAMORI_ENOMEM.  notifier_submit_to()
 * does the same for one named contact only, past the routes and the
 * rate limit (the console's "notify" button).  notifier_stop() (NULL: a
 * no-op) stops taking work, tries what is queued until a short deadline
 * (NOTIFY_STOP_NS), records what is still unsent as failed, and frees n.
 */
#define NOTIFY_STOP_NS	(5 * 1000000000LL)

struct notifier;
struct notifier *notifier_start(const struct notify_plan *p,
    const char *db_path, char *err, size_t errlen);
int notifier_submit(struct notifier *n, int64_t incident_id,
    const char *why);
int notifier_submit_to(struct notifier *n, int64_t incident_id,
    const char *why, const char *contact);
void notifier_stop(struct notifier *n);

/*
 * Synchronous, for the CLI: notifies the contacts the plan routes
 * incident_id to (or only the one named only_contact, past the routes),
 * each channel tried up to p->attempts times with the plan's delays (no
 * rate limit: a person asked), recording each result in db.  With
 * dry_run, composes and prints but neither sends nor records.  Writes
 * one line per contact and channel to report (may be NULL).  Returns 0
 * when everything was sent, MAMORI_EIO when something failed,
 * MAMORI_ENOTFOUND (no such incident, or no such contact: a line on
 * report says which), or MAMORI_EDB / MAMORI_ENOMEM.
 */
int notify_incident(const struct notify_plan *p, sqlite3 *db,
    int64_t incident_id, const char *why, const char *only_contact,
    int dry_run, FILE *report);

/*
 * Records one result: a row in notifications and the timeline entry
 * "<channel> to <contact> <target>: <status>[: error]" by who.
 * status is "sent", "failed", "rate-limited" or "summarised".  Returns
 * 0 or MAMORI_EDB.
 */
int notify_record(sqlite3 *db, int64_t incident_id, const char *contact,
    const char *channel, const char *target, const char *status,
    int attempts, const char *error, const char *who);

#endif
