/*
 * Basic auth for the listener, with a cache of credentials that verified. A bcrypt hash of
 * cost 10 takes tens of milliseconds by design, and Prometheus sends the same name and
 * password with every scrape: without a cache each scrape paid a whole hash.
 *
 * What is cached is not the password: it is HMAC-SHA-256, under a key drawn at random when
 * the users are set, of the name, the password and the stored hash that verified them. Only
 * verdicts that succeeded are kept, so a wrong password still costs a whole hash every time
 * (guessing is as slow as before); a lookup compares with every slot in constant time; the
 * stored hash is in the MAC, so a user whose hash changed never matches an old slot; and a
 * reload (http_auth_set_users) forgets all of them with a new key.
 */
#include "config.h"

#include "http_auth.h"

#include <crypt.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"

/* Distinct credentials remembered: a handful of scrapers, each with its own user. */
#define HTTP_AUTH_SLOTS 16
#define HTTP_AUTH_MAC   32 /* SHA-256 */

struct http_auth {
    pthread_mutex_t lock;
    char **users;
    size_t nusers;
    unsigned char key[32];
    unsigned char slot[HTTP_AUTH_SLOTS][HTTP_AUTH_MAC];
    unsigned char used[HTTP_AUTH_SLOTS];
    size_t next; /* the slot the next verified credentials replace */
};

int http_check_user(const char *entry, char *err, size_t errlen)
{
    const char *colon = strchr(entry, ':');

    if (!colon || colon == entry) {
        snprintf(err, errlen, "expected \"NAME:HASH\"");
        return -1;
    }
    if (colon[1] != '$' || crypt_checksalt(colon + 1) != CRYPT_SALT_OK) {
        snprintf(err, errlen,
                 "user \"%.*s\": not a crypt(3) hash this system supports ($2b$ bcrypt, $y$ "
                 "yescrypt, $6$ SHA-512)",
                 (int)(colon - entry), entry);
        return -1;
    }
    return 0;
}

/* Equal bytes, in a time that does not tell where they differ. */
static int auth_same(const unsigned char *a, const unsigned char *b, size_t n)
{
    unsigned char d = 0;

    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* Equal strings, in a time that does not tell where they differ. */
static int auth_same_str(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    return auth_same((const unsigned char *)a, (const unsigned char *)b, la < lb ? la : lb) &&
           la == lb;
}

struct http_auth *http_auth_new(void)
{
    struct http_auth *a = calloc(1, sizeof(*a));

    if (a)
        pthread_mutex_init(&a->lock, NULL);
    return a;
}

static void auth_forget(struct http_auth *a)
{
    explicit_bzero(a->slot, sizeof(a->slot));
    memset(a->used, 0, sizeof(a->used));
    a->next = 0;
}

static void auth_free_users(char **users, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(users[i]);
    free(users);
}

int http_auth_set_users(struct http_auth *a, const char *const *users, size_t n)
{
    char **copy = calloc(n + 1, sizeof(*copy));
    unsigned char key[sizeof(a->key)];
    size_t got = 0;

    for (size_t i = 0; copy && i < n; i++)
        if (!(copy[i] = strdup(users[i]))) {
            auth_free_users(copy, i);
            copy = NULL;
        }
    while (copy && got < sizeof(key)) {
        ssize_t r = getrandom(key + got, sizeof(key) - got, 0);

        if (r <= 0) { /* no key, no cache: refuse rather than cache under a known key */
            auth_free_users(copy, n);
            copy = NULL;
        } else {
            got += (size_t)r;
        }
    }
    if (!copy)
        return -1;
    pthread_mutex_lock(&a->lock);
    auth_free_users(a->users, a->nusers);
    a->users = copy;
    a->nusers = n;
    memcpy(a->key, key, sizeof(key));
    auth_forget(a);
    pthread_mutex_unlock(&a->lock);
    explicit_bzero(key, sizeof(key));
    return 0;
}

/* The cache's name for these credentials against this stored hash: 0, or -1. */
static int auth_mac(const struct http_auth *a, const char *name, const char *password,
                    const char *hash, unsigned char mac[HTTP_AUTH_MAC])
{
    gnutls_hmac_hd_t h;

    if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, a->key, sizeof(a->key)) < 0)
        return -1;
    /* With their NULs: ("ab", "c") and ("a", "bc") are different credentials. */
    gnutls_hmac(h, name, strlen(name) + 1);
    gnutls_hmac(h, password, strlen(password) + 1);
    gnutls_hmac(h, hash, strlen(hash));
    gnutls_hmac_deinit(h, mac);
    return 0;
}

/* Were these credentials verified since the users were set? Every slot is compared. */
static int auth_cached(const struct http_auth *a, const unsigned char mac[HTTP_AUTH_MAC])
{
    int hit = 0;

    for (size_t i = 0; i < HTTP_AUTH_SLOTS; i++)
        hit |= a->used[i] & auth_same(a->slot[i], mac, HTTP_AUTH_MAC);
    return hit;
}

/* crypt(3) of the password against the hash: 1 when it matches. */
static int auth_verify(const char *password, const char *hash)
{
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    const char *h;
    int ok;

    if (!cd)
        return 0;
    h = crypt_r(password, hash, cd);
    ok = h && h[0] == '$' && auth_same_str(h, hash);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return ok;
}

/* The stored hash of `name`, or NULL. */
static const char *auth_hash_of(const struct http_auth *a, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < a->nusers; i++) {
        const char *colon = strchr(a->users[i], ':');

        if ((size_t)(colon - a->users[i]) == len && memcmp(name, a->users[i], len) == 0)
            return colon + 1;
    }
    return NULL;
}

static int auth_locked(struct http_auth *a, const char *name, const char *password)
{
    const char *hash;
    unsigned char mac[HTTP_AUTH_MAC];
    int ok, have_mac;

    if (a->nusers == 0)
        return 1;
    if (!name || !password)
        return 0;
    hash = auth_hash_of(a, name);
    if (!hash) {
        /* An unknown name costs a hash too, so that timing does not tell which names exist. */
        auth_verify(password, strchr(a->users[0], ':') + 1);
        return 0;
    }
    have_mac = auth_mac(a, name, password, hash, mac) == 0;
    if (have_mac && auth_cached(a, mac)) {
        explicit_bzero(mac, sizeof(mac));
        return 1;
    }
    ok = auth_verify(password, hash);
    log_msg(LOG_DEBUG, "listen: basic auth: user \"%s\": crypt(3) %s", name,
            ok ? "verified the password (cached until a reload)" : "refused the password");
    if (ok && have_mac) {
        memcpy(a->slot[a->next], mac, sizeof(mac));
        a->used[a->next] = 1;
        a->next = (a->next + 1) % HTTP_AUTH_SLOTS;
    }
    explicit_bzero(mac, sizeof(mac));
    return ok;
}

int http_auth_allowed(struct http_auth *a, const char *name, const char *password)
{
    int ok;

    pthread_mutex_lock(&a->lock);
    ok = auth_locked(a, name, password);
    pthread_mutex_unlock(&a->lock);
    return ok;
}

void http_auth_free(struct http_auth *a)
{
    if (!a)
        return;
    auth_free_users(a->users, a->nusers);
    explicit_bzero(a->key, sizeof(a->key));
    auth_forget(a);
    pthread_mutex_destroy(&a->lock);
    free(a);
}
