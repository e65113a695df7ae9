/*
 * The Go MySQL driver's DSN (github.com/go-sql-driver/mysql, dsn.go), parsed the way that
 * driver parses it, so that a DSN copied from a Go service means the same thing here: the
 * last '/' ends the address part, the last '@' before it ends the credentials, the first
 * ':' in them ends the user name (a password may hold ':' and '@'), and an address in
 * parentheses must close right before that '/'. Parameters are the driver's, except that
 * one the driver would send to the server as a system variable is refused here: a typo
 * must never be silently ignored. A DSN holds a password, and a malformed one may hold it
 * anywhere (a '/' in it moves every part): a message says what is wrong at which
 * character, and quotes no byte of the DSN but a parameter's name.
 */
#include "mysql_dsn.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parameters the Go driver interprets on the client side, which mean nothing to a probe. */
static const char *const dsn_ignored[] = {
    "allowAllFiles",
    "allowCleartextPasswords",
    "allowFallbackToPlaintext",
    "allowNativePasswords",
    "allowOldPasswords",
    "checkConnLiveness",
    "clientFoundRows",
    "collation",
    "columnsWithAlias",
    "interpolateParams",
    "loc",
    "maxAllowedPacket",
    "multiStatements",
    "parseTime",
    "rejectReadOnly",
    "serverPubKey",
    "connectionAttributes",
    NULL,
};

/* Copy [s, s + n) into out; -1 when it does not fit. */
static int dsn_copy(char *out, size_t outlen, const char *s, size_t n)
{
    if (n >= outlen)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int dsn_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [s, s + n) into out (as Go's url.QueryUnescape, '+' being a space when
 * plus is set); -1 for a bad escape or no room. */
static int dsn_unescape(char *out, size_t outlen, const char *s, size_t n, int plus)
{
    size_t j = 0;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];

        if (c == '%') {
            int hi, lo;

            if (i + 2 >= n || (hi = dsn_hex(s[i + 1])) < 0 || (lo = dsn_hex(s[i + 2])) < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (j + 1 >= outlen)
            return -1;
        out[j++] = (char)c;
    }
    out[j] = '\0';
    return 0;
}

double mysql_dsn_duration(const char *s)
{
    static const struct {
        const char *unit;
        double seconds;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3},
                 {"s", 1},     {"m", 60},    {"h", 3600}};
    double total = 0;

    if (!s || !*s)
        return -1;
    if (strcmp(s, "0") == 0)
        return 0;
    while (*s) {
        char *end;
        double v, scale = 0;
        size_t best = 0;

        if (!isdigit((unsigned char)*s) && *s != '.')
            return -1;
        v = strtod(s, &end);
        if (end == s || !isfinite(v))
            return -1;
        s = end;
        /* The longest unit that matches: "ms" rather than "m". */
        for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
            size_t len = strlen(units[k].unit);

            if (strncmp(s, units[k].unit, len) == 0 && len > best) {
                best = len;
                scale = units[k].seconds;
            }
        }
        if (!best)
            return -1;
        s += best;
        total += v * scale;
    }
    return total;
}

/* tcp address: host, host:port, [v6], [v6]:port, :port (Go's default host). `dsn` is the
 * whole DSN, for positions in messages. */
/* The port [p, p + n) of the DSN dsn: 1..65535, or -1 with err naming its position. */
static int dsn_port(const char *dsn, const char *p, size_t n, long *port, char *err, size_t errlen)
{
    char buf[8], *end = buf;

    if (n > 0 && n < sizeof(buf)) {
        memcpy(buf, p, n);
        buf[n] = '\0';
        *port = strtol(buf, &end, 10);
    }
    if (n == 0 || n >= sizeof(buf) || *end || !isdigit((unsigned char)buf[0]) || *port < 1 ||
        *port > 65535) {
        snprintf(err, errlen, "address: the port at character %zu must be 1..65535",
                 (size_t)(p - dsn) + 1);
        return -1;
    }
    return 0;
}

static int dsn_tcp_addr(struct mysql_dsn *d, const char *dsn, const char *a, size_t n, char *err,
                        size_t errlen)
{
    const char *colon = NULL, *host = a;
    size_t hostlen;
    long port = 3306;

    if (n > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', n);

        if (!close) {
            snprintf(err, errlen, "address: missing ']' after an IPv6 address");
            return -1;
        }
        host = a + 1;
        hostlen = (size_t)(close - host);
        if (close + 1 < a + n) {
            if (close[1] != ':') {
                snprintf(err, errlen, "address: expected ':' after ']'");
                return -1;
            }
            colon = close + 1;
        }
    } else {
        colon = memchr(a, ':', n);
        if (colon && memchr(colon + 1, ':', n - (size_t)(colon + 1 - a))) {
            snprintf(err, errlen, "address: an IPv6 address needs brackets: [addr]:port");
            return -1;
        }
        hostlen = colon ? (size_t)(colon - a) : n;
    }
    if (colon && dsn_port(dsn, colon + 1, n - (size_t)(colon + 1 - a), &port, err, errlen) != 0)
        return -1;
    if (hostlen == 0) {
        host = "127.0.0.1";
        hostlen = strlen(host);
    }
    if (dsn_copy(d->host, sizeof(d->host), host, hostlen) != 0) {
        snprintf(err, errlen, "address: host name too long");
        return -1;
    }
    d->port = (int)port;
    return 0;
}

/* A parameter's name may be quoted when it looks like one; a value never is. */
static int dsn_is_name(const char *key)
{
    size_t n = strlen(key);

    if (n == 0 || n > 32 || !isalpha((unsigned char)key[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)key[i]) && key[i] != '_')
            return 0;
    return 1;
}

/* ?timeout=, ?readTimeout=, ?writeTimeout=: a Go duration. */
static int dsn_set_timeout(struct mysql_dsn *d, const char *key, const char *value, size_t at,
                           char *err, size_t errlen)
{
    double secs = mysql_dsn_duration(value);

    if (secs < 0) {
        snprintf(err, errlen, "%s (character %zu): expected a duration such as 500ms or 2s", key,
                 at);
        return -1;
    }
    if (key[0] == 't')
        d->timeout = secs;
    else if (key[0] == 'r')
        d->read_timeout = secs;
    else
        d->write_timeout = secs;
    return 0;
}

static int dsn_set_tls(struct mysql_dsn *d, const char *key, const char *value, size_t at,
                       char *err, size_t errlen)
{
    (void)key;
    if (strcmp(value, "true") && strcmp(value, "false") && strcmp(value, "skip-verify") &&
        strcmp(value, "preferred")) {
        snprintf(err, errlen, "tls (character %zu): expected true, false, skip-verify or preferred",
                 at);
        return -1;
    }
    snprintf(d->tls, sizeof(d->tls), "%.15s", value);
    return 0;
}

/* ?charset=: the first of the list. */
static int dsn_set_charset(struct mysql_dsn *d, const char *key, const char *value, size_t at,
                           char *err, size_t errlen)
{
    size_t len = strcspn(value, ",");

    (void)key;
    if (len == 0 || dsn_copy(d->charset, sizeof(d->charset), value, len) != 0) {
        snprintf(err, errlen, "charset (character %zu): expected a character set name", at);
        return -1;
    }
    return 0;
}

/* The parameters a probe uses. */
static const struct {
    const char *key;
    int (*set)(struct mysql_dsn *d, const char *key, const char *value, size_t at, char *err,
               size_t errlen);
} dsn_params[] = {
    {"timeout", dsn_set_timeout},      {"readTimeout", dsn_set_timeout},
    {"writeTimeout", dsn_set_timeout}, {"tls", dsn_set_tls},
    {"charset", dsn_set_charset},
};

static int dsn_param(struct mysql_dsn *d, const char *dsn, const char *p, size_t n, char *err,
                     size_t errlen)
{
    const char *eq = memchr(p, '=', n);
    size_t at = (size_t)(p - dsn) + 1;
    char key[64], value[256];

    if (!eq) {
        snprintf(err, errlen, "the parameter at character %zu: expected key=value", at);
        return -1;
    }
    if (dsn_copy(key, sizeof(key), p, (size_t)(eq - p)) != 0 ||
        dsn_unescape(value, sizeof(value), eq + 1, n - (size_t)(eq + 1 - p), 1) != 0) {
        snprintf(err, errlen, "the parameter at character %zu: too long or badly escaped", at);
        return -1;
    }
    for (size_t i = 0; i < sizeof(dsn_params) / sizeof(dsn_params[0]); i++)
        if (!strcmp(key, dsn_params[i].key))
            return dsn_params[i].set(d, key, value, at, err, errlen);
    for (size_t i = 0; dsn_ignored[i]; i++)
        if (!strcmp(key, dsn_ignored[i]))
            return 0;
    if (dsn_is_name(key))
        snprintf(err, errlen, "unknown parameter \"%s\" (character %zu)", key, at);
    else
        snprintf(err, errlen, "unknown parameter at character %zu", at);
    return -1;
}

/* The credentials, up to the last '@' before the slash: where the network starts (after the
 * '@', or s when there are none), or NULL with err. Not one byte of them is quoted in a message:
 * the user's part may be a password pasted in the wrong place. */
static const char *dsn_credentials(struct mysql_dsn *d, const char *s, const char *slash, char *err,
                                   size_t errlen)
{
    const char *at = NULL, *colon;

    for (size_t i = (size_t)(slash - s); i > 0 && !at; i--)
        if (s[i - 1] == '@')
            at = s + i - 1;
    if (!at)
        return s;
    colon = memchr(s, ':', (size_t)(at - s));
    if (dsn_copy(d->user, sizeof(d->user), s, colon ? (size_t)(colon - s) : (size_t)(at - s))) {
        snprintf(err, errlen, "user name too long");
        return NULL;
    }
    if (colon) {
        if (dsn_copy(d->password, sizeof(d->password), colon + 1, (size_t)(at - colon - 1))) {
            snprintf(err, errlen, "password too long");
            return NULL;
        }
        d->has_password = 1;
    }
    return at + 1;
}

/* The network name from netp up to the '(' (*open, NULL when there is none) or the slash. */
static int dsn_network(struct mysql_dsn *d, const char *s, const char *netp, const char *slash,
                       const char **open, char *err, size_t errlen)
{
    const char *p = memchr(netp, '(', (size_t)(slash - netp));
    size_t len;

    *open = p;
    if (p && (slash == p + 1 || slash[-1] != ')')) {
        snprintf(err, errlen,
                 "the address in parentheses must end with ')' right before the "
                 "'/' (escape a '/' in parameters as %%2F)");
        return -1;
    }
    if (!p && (p = memchr(netp, ')', (size_t)(slash - netp)))) {
        snprintf(err, errlen, "a ')' without '(' at character %zu", (size_t)(p - s) + 1);
        return -1;
    }
    len = (size_t)((*open ? *open : slash) - netp);
    if (len == 0) {
        strcpy(d->net, "tcp");
    } else if (dsn_copy(d->net, sizeof(d->net), netp, len) != 0 ||
               (strcmp(d->net, "tcp") && strcmp(d->net, "tcp4") && strcmp(d->net, "tcp6") &&
                strcmp(d->net, "unix"))) {
        snprintf(err, errlen, "the network at character %zu: expected tcp, tcp4, tcp6 or unix",
                 (size_t)(netp - s) + 1);
        return -1;
    } else if (strncmp(d->net, "tcp", 3) == 0) {
        strcpy(d->net, "tcp");
    }
    return 0;
}

/* The address in the parentheses (open, NULL: none) before the slash: a socket or host:port. */
static int dsn_address(struct mysql_dsn *d, const char *s, const char *open, const char *slash,
                       char *err, size_t errlen)
{
    if (strcmp(d->net, "unix") == 0) {
        const char *a = open ? open + 1 : "/tmp/mysql.sock";
        size_t alen = open ? (size_t)(slash - 1 - a) : strlen(a);

        if (alen == 0 || dsn_copy(d->socket, sizeof(d->socket), a, alen) != 0) {
            snprintf(err, errlen, "unix: expected a socket path in the parentheses");
            return -1;
        }
        return 0;
    }
    if (open)
        return dsn_tcp_addr(d, s, open + 1, (size_t)(slash - 1 - (open + 1)), err, errlen);
    strcpy(d->host, "127.0.0.1");
    d->port = 3306;
    return 0;
}

/* The database name after the slash, and the parameters after its '?'. */
static int dsn_database(struct mysql_dsn *d, const char *s, const char *slash, char *err,
                        size_t errlen)
{
    const char *q = strchr(slash + 1, '?');
    size_t len = q ? (size_t)(q - slash - 1) : strlen(slash + 1);

    if (dsn_unescape(d->dbname, sizeof(d->dbname), slash + 1, len, 0) != 0) {
        snprintf(err, errlen, "database name too long or badly escaped");
        return -1;
    }
    for (const char *p = q ? q + 1 : NULL; p && *p;) {
        size_t n = strcspn(p, "&");

        if (n > 0 && dsn_param(d, s, p, n, err, errlen) != 0)
            return -1;
        p += n;
        if (*p == '&')
            p++;
    }
    return 0;
}

int mysql_dsn_parse(const char *s, struct mysql_dsn *d, char *err, size_t errlen)
{
    const char *slash, *netp, *open;

    memset(d, 0, sizeof(*d));
    err[0] = '\0';
    if (!s || !*s) {
        snprintf(err, errlen, "empty DSN; expected user:password@tcp(host:port)/dbname");
        return -1;
    }
    slash = strrchr(s, '/');
    if (!slash) {
        snprintf(err, errlen,
                 "missing the '/' before the database name; expected "
                 "user:password@tcp(host:port)/dbname");
        return -1;
    }
    netp = dsn_credentials(d, s, slash, err, errlen);
    if (!netp)
        return -1;
    if (dsn_network(d, s, netp, slash, &open, err, errlen) != 0 ||
        dsn_address(d, s, open, slash, err, errlen) != 0)
        return -1;
    return dsn_database(d, s, slash, err, errlen);
}

void mysql_dsn_options(const struct mysql_dsn *dsn, struct mysql_conn_opts *o)
{
    int unix_socket = !strcmp(dsn->net, "unix");

    o->host = unix_socket ? NULL : dsn->host;
    o->port = dsn->port;
    o->socket = unix_socket ? dsn->socket : NULL;
    o->user = dsn->user;
    o->database = dsn->dbname;
    o->charset = dsn->charset[0] ? dsn->charset : NULL;
    o->connect_timeout = dsn->timeout;
    if (dsn->has_password)
        o->password = dsn->password;
    if (dsn->read_timeout > 0 || dsn->write_timeout > 0)
        o->io_timeout = fmax(dsn->read_timeout, dsn->write_timeout);
}

const char *mysql_dsn_ssl_mode(const char *tls, int has_ca)
{
    if (!strcmp(tls, "true"))
        return "verify_identity";
    if (!strcmp(tls, "skip-verify"))
        return "required";
    if (!strcmp(tls, "preferred"))
        return "preferred";
    return has_ca ? "verify_ca" : "disabled";
}
