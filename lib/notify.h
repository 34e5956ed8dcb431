/*
 * notify.h - alerts to a webhook (--notify URL, PM_NOTIFY_URL): one POST
 * of a JSON document with a Slack-compatible "text" member.
 *
 * The URL is a secret (lib/secret.h: it carries the webhook's token):
 * no message says more of it than its scheme and host.  Bounded: a few
 * tries within NOTIFY_BUDGET_MS in all, so an alert never holds a run up
 * for more than a few seconds.
 *
 * Ownership: everything is borrowed for the call.
 */
#ifndef PM_NOTIFY_H
#define PM_NOTIFY_H

#include <stddef.h>

#define NOTIFY_BUDGET_MS 5000

/* "https://hooks.example.com": the URL's scheme and host, for messages. */
void notify_where(const char *url, char *out, size_t n);

/* POST json (an object) with "text": text added first.  0, or -1 after a
 * message naming only the scheme and host. */
int notify_post(const char *url, const char *json, size_t len,
    const char *text);

#endif
