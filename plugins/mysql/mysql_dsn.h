/*
 * The Go MySQL driver's data source name, as the infrastructure guide writes it:
 *
 *     [user[:password]@][net[(addr)]]/dbname[?param1=value1&paramN=valueN]
 *
 * e.g. `im:im_pass@tcp(127.0.0.1:3306)/im_chat?timeout=2s`. Pure parsing, no I/O, so that
 * it is tested without a server and runs at `infraprobe -t` time.
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

/* Parse `s` into *dsn. Returns 0, or -1 with a one-line reason in err, which never quotes
 * the password (nor the credentials part at all). */
int mysql_dsn_parse(const char *s, struct mysql_dsn *dsn, char *err, size_t errlen);

/* A Go duration ("500ms", "2s", "1m30s", "1.5h") in seconds; -1 if malformed or negative. */
double mysql_dsn_duration(const char *s);

#endif
