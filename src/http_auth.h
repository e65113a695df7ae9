/*
 * The listener's basic auth: "name:hash" entries checked with crypt(3) (libxcrypt: bcrypt
 * $2b$/$2y$ as the exporters' web configuration takes, yescrypt $y$, SHA-512 $6$), and a
 * cache of the credentials that verified, so that a scraper sending the same name and
 * password every 15 s pays one hash, not one per request (exporter-toolkit caches its bcrypt
 * results the same way). Safe to call from the listener's thread while the daemon's thread
 * replaces the users on a reload.
 */
#ifndef IP_HTTP_AUTH_H
#define IP_HTTP_AUTH_H

#include <stddef.h>

/* Check a "name:hash" entry of listen_users: 0, or -1 with the reason in err. */
int http_check_user(const char *entry, char *err, size_t errlen);

struct http_auth;
/* No users (every request allowed) until http_auth_set_users; NULL when out of memory. */
struct http_auth *http_auth_new(void);
/* Replace the users with copies of `users` ("name:hash", as http_check_user accepts) and
 * forget every cached verdict: 0, or -1 (out of memory; the old users stay). */
int http_auth_set_users(struct http_auth *a, const char *const *users, size_t n);
/* Is the request with these credentials (NULL when it had none) allowed? 1 or 0. Each
 * crypt(3) it runs is logged at debug level (-vv), a verdict from the cache is not. */
int http_auth_allowed(struct http_auth *a, const char *name, const char *password);
void http_auth_free(struct http_auth *a);

#endif
