/*
 * The Go MySQL driver's data source name, as the infrastructure guide writes it:
 *
 *     [user[:password]@][net[(addr)]]/dbname[?param1=value1&paramN=valueN]
 *
 * e.g. `im:im_pass@tcp(127.0.0.1:3306)/im_chat?timeout=2s`. Pure parsing, and the
 * connection options a DSN sets; no I/O, so that it is tested without a server and runs at
 * `infraprobe -t` time.
 */
#ifndef MYSQL_DSN_H
#define MYSQL_DSN_H

#include <stddef.h>

struct mysql_dsn {
    char user[128];
    char password[256]; /* a secret: never in a message */
    int has_password;
    char net[8];         /* "tcp" or "unix" */
    char host[256];      /* tcp: without brackets */
    int port;            /* tcp: 3306 when the address has none */
    char socket[256];    /* unix: the socket's path */
    char dbname[128];    /* may be empty */
    double timeout;      /* ?timeout=, seconds; 0: not set */
    double read_timeout; /* ?readTimeout= */
    double write_timeout;
    char tls[16];     /* ?tls=: "", "true", "false", "skip-verify", "preferred" */
    char charset[32]; /* ?charset=: the first of the list */
};

/* Who to connect to and how: the settings of every connection a probe opens. */
struct mysql_conn_opts {
    const char *host; /* NULL or "": the socket */
    int port;
    const char *socket;
    const char *user;
    const char *password;
    const char *database;
    const char *charset;
    const char *ssl_mode; /* disabled, preferred, required, verify_ca, verify_identity */
    const char *ssl_ca, *ssl_cert, *ssl_key;
    double connect_timeout; /* seconds, 0: the deadline only */
    double io_timeout;      /* seconds: the library's read and write timeouts; 0: none */
    int *code;              /* where mysql_conn_open() puts the IP_E* class of a failure; NULL */
};

/* Parse `s` into *dsn. Returns 0, or -1 with a one-line reason in err, which never quotes
 * the password (nor the credentials part at all). */
int mysql_dsn_parse(const char *s, struct mysql_dsn *dsn, char *err, size_t errlen);

/* A Go duration ("500ms", "2s", "1m30s", "1.5h") in seconds; -1 if malformed or negative. */
double mysql_dsn_duration(const char *s);

/* The connection options a parsed DSN sets, onto *o (borrowing dsn's strings): the address
 * (tcp host and port, or the unix socket), user, database, charset, ?timeout= as the connect
 * timeout, ?readTimeout= / ?writeTimeout= (the larger) as the I/O timeout when set, and the
 * password when the DSN has one. What the DSN does not say, it leaves as it is. */
void mysql_dsn_options(const struct mysql_dsn *dsn, struct mysql_conn_opts *o);

/* The ssl_mode that the Go driver's ?tls= value means ("" when the DSN has none): true is
 * verify_identity, skip-verify required, preferred preferred; without it, verify_ca when a CA
 * is given (has_ca), else disabled. */
const char *mysql_dsn_ssl_mode(const char *tls, int has_ca);

#endif
