/*
 * SELECT 1, N times, two ways against one server in one run: through the plugin's path
 * (the SDK pool's acquire/release around mysql_conn.c's non-blocking query with a
 * deadline, exactly what the mysql plugin does per query) and through a raw blocking
 * libmariadb loop on one connection. Prints both and their ratio.
 *
 *     bench/mysql_select1 HOST PORT USER PASSWORD DATABASE [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <infraprobe/plugin.h>

#include "mysql_conn.h"

static struct mysql_conn_opts opts;

static int bench_open(void *ctx, double deadline, void **conn, char *err, size_t errlen)
{
    (void)ctx;
    return mysql_conn_open(&opts, deadline, (struct mysql_conn **)conn, err, errlen);
}

static void bench_close(void *ctx, void *conn)
{
    (void)ctx;
    mysql_conn_close(conn);
}

static int bench_ping(void *ctx, void *conn, double deadline)
{
    (void)ctx;
    return mysql_conn_ping(conn, deadline);
}

static double bench_pool(int n)
{
    static const struct ip_pool_ops ops = {bench_open, bench_close, bench_ping};
    struct ip_pool_config cfg = {.max_open = 25, .max_idle = 5, .max_lifetime = 300};
    struct ip_pool *pool = ip_pool_new(&ops, NULL, &cfg);
    struct mysql_conn *c;
    char err[512], v[16];
    double t0 = 0;

    for (int i = -100; i < n; i++) { /* 100 warm-up rounds, the first opening */
        double deadline = ip_clock() + 1.0;
        int rc;

        if (i == 0)
            t0 = ip_clock();
        if (ip_pool_acquire(pool, deadline, (void **)&c, err, sizeof(err)) != 0) {
            fprintf(stderr, "mysql_select1: pool: %s\n", err);
            exit(1);
        }
        rc = mysql_conn_value(c, "SELECT 1", deadline, v, sizeof(v), err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "mysql_select1: pool: SELECT 1: %s\n", err);
            exit(1);
        }
        ip_pool_release(pool, c);
    }
    t0 = ip_clock() - t0;
    ip_pool_free(pool);
    return t0;
}

static double bench_raw(int n)
{
    MYSQL *m = mysql_init(NULL);
    double t0 = 0;

    if (!mysql_real_connect(m, opts.host, opts.user, opts.password, opts.database,
                            (unsigned)opts.port, NULL, 0)) {
        fprintf(stderr, "mysql_select1: raw: %s\n", mysql_error(m));
        exit(1);
    }
    for (int i = -100; i < n; i++) {
        MYSQL_RES *res;

        if (i == 0)
            t0 = ip_clock();
        if (mysql_real_query(m, "SELECT 1", 8) != 0 || !(res = mysql_store_result(m)) ||
            !mysql_fetch_row(res)) {
            fprintf(stderr, "mysql_select1: raw: %s\n", mysql_error(m));
            exit(1);
        }
        mysql_free_result(res);
    }
    t0 = ip_clock() - t0;
    mysql_close(m);
    return t0;
}

int main(int argc, char **argv)
{
    double pool = 0, raw = 0;
    int n;

    if (argc < 6) {
        fprintf(stderr, "usage: mysql_select1 HOST PORT USER PASSWORD DATABASE [N]\n");
        return 2;
    }
    opts.host = argv[1];
    opts.port = atoi(argv[2]);
    opts.user = argv[3];
    opts.password = argv[4];
    opts.database = argv[5];
    n = argc > 6 ? atoi(argv[6]) : 20000;
    /* Alternate, so that a machine that gets busier mid-run burdens both alike. */
    for (int round = 0; round < 4; round++) {
        raw += bench_raw(n / 4);
        pool += bench_pool(n / 4);
    }
    printf("SELECT 1 x %d: raw libmariadb %.1f us/query, plugin pool %.1f us/query, "
           "ratio %.3f (target <= 1.1)\n",
           n, raw / n * 1e6, pool / n * 1e6, pool / raw);
    return 0;
}
