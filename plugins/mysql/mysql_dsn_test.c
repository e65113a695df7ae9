/*
 * The Go DSN parser: the guide's form, the Go driver's defaults and corner cases (a
 * password with ':' and '@', IPv6, unix sockets, parameters), and malformed ones, whose
 * message never quotes the password; and the connection options a parsed DSN sets.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_dsn.h"
#include "testutil.h"

static struct mysql_dsn d;
static char err[256];

START_TEST(guide_form)
{
    ck_assert_int_eq(
        mysql_dsn_parse("im:im_pass@tcp(127.0.0.1:13306)/im_chat", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.user, "im");
    ck_assert_str_eq(d.password, "im_pass");
    ck_assert_int_eq(d.has_password, 1);
    ck_assert_str_eq(d.net, "tcp");
    ck_assert_str_eq(d.host, "127.0.0.1");
    ck_assert_int_eq(d.port, 13306);
    ck_assert_str_eq(d.dbname, "im_chat");
    ck_assert_str_eq(d.tls, "");
    ck_assert(d.timeout == 0);
}
END_TEST

START_TEST(defaults)
{
    ck_assert_int_eq(mysql_dsn_parse("/", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.user, "");
    ck_assert_int_eq(d.has_password, 0);
    ck_assert_str_eq(d.host, "127.0.0.1");
    ck_assert_int_eq(d.port, 3306);
    ck_assert_str_eq(d.dbname, "");
    ck_assert_int_eq(mysql_dsn_parse("root@tcp(db.example)/x", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.user, "root");
    ck_assert_int_eq(d.has_password, 0);
    ck_assert_str_eq(d.host, "db.example");
    ck_assert_int_eq(d.port, 3306);
    ck_assert_int_eq(mysql_dsn_parse("u:@tcp(:4000)/x", &d, err, sizeof(err)), 0);
    ck_assert_int_eq(d.has_password, 1);
    ck_assert_str_eq(d.password, "");
    ck_assert_str_eq(d.host, "127.0.0.1");
    ck_assert_int_eq(d.port, 4000);
}
END_TEST

START_TEST(password_with_colon_and_at)
{
    /* The first ':' ends the user, the last '@' before the '/' ends the password. */
    ck_assert_int_eq(mysql_dsn_parse("me:p:a@s@s@tcp(127.0.0.3:3306)/db", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.user, "me");
    ck_assert_str_eq(d.password, "p:a@s@s");
    ck_assert_str_eq(d.host, "127.0.0.3");
}
END_TEST

START_TEST(ipv6_and_unix)
{
    ck_assert_int_eq(mysql_dsn_parse("u:p@tcp([::1]:3307)/db", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.host, "::1");
    ck_assert_int_eq(d.port, 3307);
    ck_assert_int_eq(mysql_dsn_parse("u:p@tcp6([fe80::1])/db", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.net, "tcp");
    ck_assert_str_eq(d.host, "fe80::1");
    ck_assert_int_eq(d.port, 3306);
    ck_assert_int_eq(mysql_dsn_parse("u:p@unix(/run/mysqld/mysqld.sock)/db", &d, err, sizeof(err)),
                     0);
    ck_assert_str_eq(d.net, "unix");
    ck_assert_str_eq(d.socket, "/run/mysqld/mysqld.sock");
    ck_assert_str_eq(d.dbname, "db");
    ck_assert_int_eq(mysql_dsn_parse("u@unix/db", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.socket, "/tmp/mysql.sock");
}
END_TEST

START_TEST(params)
{
    ck_assert_int_eq(mysql_dsn_parse("u:p@tcp(h:1)/my%20db?timeout=1500ms&readTimeout=2s&"
                                     "writeTimeout=1m30s&tls=skip-verify&charset=utf8mb4,utf8&"
                                     "parseTime=true&loc=Local",
                                     &d, err, sizeof(err)),
                     0);
    ck_assert_str_eq(d.dbname, "my db");
    ck_assert_double_eq_tol(d.timeout, 1.5, 1e-9);
    ck_assert_double_eq_tol(d.read_timeout, 2.0, 1e-9);
    ck_assert_double_eq_tol(d.write_timeout, 90.0, 1e-9);
    ck_assert_str_eq(d.tls, "skip-verify");
    ck_assert_str_eq(d.charset, "utf8mb4");
}
END_TEST

START_TEST(durations)
{
    ck_assert_double_eq_tol(mysql_dsn_duration("500ms"), 0.5, 1e-12);
    ck_assert_double_eq_tol(mysql_dsn_duration("1h2m3s"), 3723, 1e-9);
    ck_assert_double_eq_tol(mysql_dsn_duration("250us"), 250e-6, 1e-12);
    ck_assert_double_eq_tol(mysql_dsn_duration("0"), 0, 1e-12);
    ck_assert_double_eq_tol(mysql_dsn_duration("2.5s"), 2.5, 1e-12);
    ck_assert(mysql_dsn_duration("5") < 0);
    ck_assert(mysql_dsn_duration("-1s") < 0);
    ck_assert(mysql_dsn_duration("1x") < 0);
    ck_assert(mysql_dsn_duration("") < 0);
}
END_TEST

/* Each of these is refused, with a reason that never shows the password "S3cr3t". */
START_TEST(malformed)
{
    static const char *const bad[] = {
        "",
        "im:S3cr3t@tcp(127.0.0.1:3306)",      /* no '/' */
        "im:S3cr3t@tcp(127.0.0.1:3306/db",    /* unclosed '(' */
        "im:S3cr3t@tcp127.0.0.1:3306)/db",    /* ')' without '(' */
        "im:S3cr3t@udp(127.0.0.1:3306)/db",   /* network */
        "im:S3cr3t@tcp(127.0.0.1:99999)/db",  /* port */
        "im:S3cr3t@tcp(127.0.0.1:)/db",       /* empty port */
        "im:S3cr3t@tcp(::1:3306)/db",         /* IPv6 without brackets */
        "im:S3cr3t@tcp([::1)/db",             /* unclosed '[' */
        "im:S3cr3t@tcp(h:1)/db?timeout=soon", /* duration */
        "im:S3cr3t@tcp(h:1)/db?tls=maybe",    /* tls */
        "im:S3cr3t@tcp(h:1)/db?timout=1s",    /* a typo */
        "im:S3cr3t@tcp(h:1)/db?timeout",      /* no '=' */
        "im:S3cr3t@tcp(h:1)/d%zzb",           /* bad escape */
        "im:S3cr3t@unix()/db",                /* no socket path */
        /* The password where the parser looks for another part: */
        "im:S3cr3t/x@tcp(h:1)",              /* its '/' taken for the database's */
        "im:pw@tcp(h:S3cr3t)/db",            /* as the port */
        "im:pw@tcp(h:1)/db?S3cr3t",          /* as a parameter */
        "im:pw@tcp(h:1)/db?tls=S3cr3t",      /* as a value */
        "im:pw@tcp(h:1)/db?timeout=S3cr3t",  /* as a duration */
        "im:pw@tcp(h:1)/db?charset=,S3cr3t", /* as a character set */
        "im:pw@tcp(h:1)/db?S3cr3t%zz=1",     /* badly escaped */
        "im:pw@tcp(h:1)/db?x-S3cr3t=1",      /* not a parameter's name */
        NULL,
    };

    for (size_t i = 0; bad[i]; i++) {
        err[0] = '\0';
        ck_assert_msg(mysql_dsn_parse(bad[i], &d, err, sizeof(err)) == -1, "accepted: %s", bad[i]);
        ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
        ck_assert_msg(!strstr(err, "S3cr3t"), "password in \"%s\"", err);
    }
}
END_TEST

/* What is wrong, and where: the character's position, or a parameter's name. */
START_TEST(malformed_says_where)
{
    ck_assert_int_eq(mysql_dsn_parse("im:S3cr3t/x@tcp(h:1)", &d, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "network at character 1:"), "got \"%s\"", err);
    ck_assert_int_eq(mysql_dsn_parse("im:pw@tcp(h:S3cr3t)/db", &d, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "port at character 13 must be 1..65535"), "got \"%s\"", err);
    ck_assert_int_eq(mysql_dsn_parse("im:pw@tcp(h:1)/db?tls=S3cr3t", &d, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "tls (character 19): expected true"), "got \"%s\"", err);
    ck_assert_int_eq(mysql_dsn_parse("u:p@tcp(h:1)/db?tls=true&timout=1s", &d, err, sizeof(err)),
                     -1);
    ck_assert_msg(strstr(err, "unknown parameter \"timout\" (character 26)"), "got \"%s\"", err);
}
END_TEST

/* An '@' first: empty credentials, then the network. */
START_TEST(empty_credentials)
{
    ck_assert_int_eq(mysql_dsn_parse("@tcp(h:1)/db", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.user, "");
    ck_assert_int_eq(d.has_password, 0);
    ck_assert_str_eq(d.net, "tcp");
    ck_assert_str_eq(d.host, "h");
    ck_assert_int_eq(d.port, 1);
    ck_assert_int_eq(mysql_dsn_parse(":pw@unix(/s)/db", &d, err, sizeof(err)), 0);
    ck_assert_str_eq(d.password, "pw");
    ck_assert_str_eq(d.socket, "/s");
}
END_TEST

/* The options a DSN sets, and those it leaves to the probe's settings. */
START_TEST(options_tcp)
{
    struct mysql_conn_opts o = {.password = "from-setting", .io_timeout = 5, .ssl_ca = "ca"};

    ck_assert_int_eq(mysql_dsn_parse("im@tcp(127.0.0.3:13306)/chat?charset=utf8mb4&timeout=2s", &d,
                                     err, sizeof(err)),
                     0);
    mysql_dsn_options(&d, &o);
    ck_assert_str_eq(o.host, "127.0.0.3");
    ck_assert_int_eq(o.port, 13306);
    ck_assert_ptr_null(o.socket);
    ck_assert_str_eq(o.user, "im");
    ck_assert_str_eq(o.database, "chat");
    ck_assert_str_eq(o.charset, "utf8mb4");
    ck_assert_msg(o.connect_timeout == 2, "connect_timeout %g", o.connect_timeout);
    ck_assert_str_eq(o.password, "from-setting"); /* the DSN has none */
    ck_assert_msg(o.io_timeout == 5, "io_timeout %g", o.io_timeout);
    ck_assert_str_eq(o.ssl_ca, "ca");
}
END_TEST

START_TEST(options_unix_password_timeouts)
{
    struct mysql_conn_opts o = {.host = "h", .io_timeout = 5};

    ck_assert_int_eq(mysql_dsn_parse("u:p@w@unix(/run/my.sock)/db?readTimeout=3s&writeTimeout=4s",
                                     &d, err, sizeof(err)),
                     0);
    mysql_dsn_options(&d, &o);
    ck_assert_ptr_null(o.host);
    ck_assert_str_eq(o.socket, "/run/my.sock");
    ck_assert_str_eq(o.password, "p@w");
    ck_assert_ptr_null(o.charset);
    ck_assert_msg(o.io_timeout == 4, "io_timeout %g", o.io_timeout);
}
END_TEST

START_TEST(ssl_mode_from_tls)
{
    ck_assert_str_eq(mysql_dsn_ssl_mode("true", 0), "verify_identity");
    ck_assert_str_eq(mysql_dsn_ssl_mode("skip-verify", 1), "required");
    ck_assert_str_eq(mysql_dsn_ssl_mode("preferred", 0), "preferred");
    ck_assert_str_eq(mysql_dsn_ssl_mode("false", 1), "verify_ca");
    ck_assert_str_eq(mysql_dsn_ssl_mode("", 0), "disabled");
}
END_TEST

int main(void)
{
    const TTest *const tests[] = {
        guide_form,
        defaults,
        password_with_colon_and_at,
        ipv6_and_unix,
        params,
        durations,
        malformed,
        malformed_says_where,
        empty_credentials,
        options_tcp,
        options_unix_password_timeouts,
        ssl_mode_from_tls,
    };

    return run_tests("mysql_dsn", tests, sizeof(tests) / sizeof(tests[0]));
}
