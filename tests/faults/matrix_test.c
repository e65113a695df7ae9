/*
 * The fault matrix: each plugin (tcp, redis, mysql, etcd, netpart,
 * kafka) against each way a server can
 * fail it (badserver's misbehaving servers on 127.0.0.1, and a real sandbox server paused with
 * SIGSTOP), through `infraprobe --once --format json` with a 1 s timeout. In every cell the
 * probe is critical or unknown and the check that says so is the plugin's own (never the
 * core's "run: timed out"), with a message naming what happened and the host:port; the
 * process ends by itself (it is killed, and the cell fails, only past a generous bound), is
 * not killed by a signal, exits 2 or 3 to match its verdict, and its peak RSS stays bounded.
 * Each cell logs its verdict, message, time and peak RSS: the README's table comes from it.
 *
 * A cell whose defect is still open is marked known_failing: the default run leaves it out
 * and names it in the log, and `matrix_test --known-failing` runs just those cells, asserted
 * as the fix will make them behave, for a one-line script in XFAIL_TESTS (an expected
 * failure until fixed, a failure once it passes). None is marked today.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/* Every probe's timeout, seconds. */
#define CELL_TIMEOUT "1.0"
/* A cell's process still running after this is hung: killed, and the cell fails. */
#define HANG_BOUND 20.0
/* Peak RSS allowed in any cell, KiB: "bounded", not a figure to tune (see the log). */
#define RSS_BOUND_KB (150L * 1024)

struct cell {
    const char *plugin;
    const char *fault;    /* a badserver mode, or "sigstop" */
    const char *names[4]; /* the message names what happened: one of these */
    int known_failing;    /* a defect still open: see --known-failing */
};

/* In the message of the check that carries the verdict, case-insensitive. */
static const struct cell cells[] = {
    {"tcp", "refused", {"refused"}, 0},
    {"tcp", "silent", {"timed out"}, 0},
    /* A line protocol cannot tell garbage from a reply still coming: the deadline ends it,
     * and the message shows what came instead. */
    {"tcp", "garbage", {"got \"HTTP/1.1 400"}, 0},
    {"tcp", "drip", {"timed out"}, 0},
    {"tcp", "close", {"connection closed"}, 0},
    {"tcp", "stall", {"timed out"}, 0},
    {"tcp", "huge", {"not in the first"}, 0},
    {"tcp", "sigstop", {"timed out"}, 0},
    {"redis", "refused", {"refused"}, 0},
    {"redis", "silent", {"timed out"}, 0},
    {"redis", "garbage", {"protocol error"}, 0},
    {"redis", "drip", {"timed out"}, 0},
    {"redis", "close", {"connection closed"}, 0},
    {"redis", "stall", {"timed out"}, 0},
    {"redis", "huge", {"larger than"}, 0},
    {"redis", "sigstop", {"timed out"}, 0},
    /* Connector/C says "Can't connect ... (111)" for a refused connection. */
    {"mysql", "refused", {"refused", "can't connect"}, 0},
    {"mysql", "silent", {"timed out"}, 0},
    /* Connector/C gives up on an SSH banner at once (read as a packet header, it announces
     * 4.7 MB with sequence number 45), in its own words: "Lost connection ... at
     * 'handshake: reading initial communication packet'". */
    {"mysql", "garbage", {"lost connection", "protocol", "out of order"}, 0},
    {"mysql", "drip", {"timed out"}, 0},
    {"mysql", "close", {"lost connection"}, 0},
    {"mysql", "stall", {"timed out"}, 0},
    /* Connector/C refuses a handshake of 1 MiB or more as it reads its header. */
    {"mysql", "huge", {"lost connection", "too large", "bigger than"}, 0},
    {"mysql", "sigstop", {"timed out"}, 0},
    {"etcd", "refused", {"couldn't connect"}, 0},
    {"etcd", "silent", {"no answer within"}, 0},
    {"etcd", "garbage", {"not an etcd reply (not json): <html>"}, 0},
    {"etcd", "alien", {"not an etcd status reply"}, 0},
    {"etcd", "drip", {"no answer within"}, 0},
    {"etcd", "close", {"an empty reply"}, 0},
    {"etcd", "stall", {"no answer within"}, 0},
    {"etcd", "huge", {"larger than"}, 0},
    {"etcd", "sigstop", {"no answer within"}, 0},
    /* netpart's operation on a redis target (the redis plugin's PING, through ip_operate()):
     * its baseline names the failure's class. badserver's other modes misbehave only after
     * the PING, which the operation never goes past. */
    {"netpart", "refused", {"ECONNREFUSED"}, 0},
    {"netpart", "silent", {"ETIMEDOUT"}, 0},
    {"netpart", "garbage", {"protocol error"}, 0},
    {"netpart", "sigstop", {"ETIMEDOUT"}, 0},
    {"kafka", "refused", {"refused"}, 0},
    {"kafka", "silent", {"timed out"}, 0},
    /* librdkafka reads "HTTP" as a frame size of 1.2 GB and refuses it. */
    {"kafka", "garbage", {"invalid response size"}, 0},
    {"kafka", "drip", {"timed out"}, 0},
    {"kafka", "close", {"disconnected"}, 0},
    {"kafka", "stall", {"timed out"}, 0},
    {"kafka", "huge", {"invalid response size"}, 0},
    /* The only broker named, paused: the bootstrap never answers. */
    {"kafka", "sigstop", {"timed out"}, 0},
};
#define NCELLS (sizeof(cells) / sizeof(cells[0]))

static const char *workdir;
static int known_failing_run;   /* --known-failing */
static int ports[NCELLS];       /* each cell's server port on 127.0.0.1 */
static size_t selected[NCELLS]; /* the cells this run asserts: a loop test's _i indexes it */
static int nselected;
static struct testlib_sandbox sbx;
static int have_sandbox;
static pid_t badserver_pid;
static int badserver_stdin = -1;

static int plugin_built(const char *plugin)
{
    if (!strcmp(plugin, "tcp"))
        return 1;
#ifdef MATRIX_REDIS
    if (!strcmp(plugin, "redis"))
        return 1;
#endif
#ifdef MATRIX_MYSQL
    if (!strcmp(plugin, "mysql"))
        return 1;
#endif
#ifdef MATRIX_KAFKA
    if (!strcmp(plugin, "kafka"))
        return 1;
#endif
#ifdef MATRIX_ETCD
    if (!strcmp(plugin, "etcd"))
        return 1;
#endif
#if defined(MATRIX_NETPART) && defined(MATRIX_REDIS)
    if (!strcmp(plugin, "netpart"))
        return 1;
#endif
    return 0;
}

/* Whether this run asserts cell i. */
static int cell_selected(size_t i)
{
    return plugin_built(cells[i].plugin) && cells[i].known_failing == known_failing_run;
}

/* ---- the servers -------------------------------------------------------------------------- */

/* Cell i's badserver spec, PROTO:MODE: netpart's target is a redis server, so badserver
 * speaks redis to it. */
static void cell_spec(size_t i, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s:%s", strcmp(cells[i].plugin, "netpart") ? cells[i].plugin : "redis",
             cells[i].fault);
}

/* badserver with one PROTO:MODE per selected cell that needs one; fills ports[]. */
static int badserver_start(void)
{
    char path[1024], line[256];
    const char *argv[NCELLS + 2];
    int in[2], out[2], argc = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/faults/badserver", getenv("top_builddir"));
    argv[argc++] = path;
    for (size_t i = 0; i < NCELLS; i++) {
        static char specs[NCELLS][64];

        if (!cell_selected(i) || !strcmp(cells[i].fault, "sigstop"))
            continue;
        cell_spec(i, specs[i], sizeof(specs[i]));
        argv[argc++] = specs[i];
    }
    argv[argc] = NULL;
    if (argc == 1)
        return 0;
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        return -1;
    badserver_pid = fork();
    if (badserver_pid < 0)
        return -1;
    if (badserver_pid == 0) {
        /* Its stdin is ours to close: at EOF, or when this process dies, it exits. */
        dup2(in[0], 0);
        dup2(out[1], 1);
        execv(path, (char *const *)argv);
        fprintf(stderr, "faults: %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    badserver_stdin = in[1];
    f = fdopen(out[0], "r");
    if (!f)
        return -1;
    for (int k = 1; k < argc; k++) {
        char spec[64];
        int port;

        if (!fgets(line, sizeof(line), f) || sscanf(line, "%63s %d", spec, &port) != 2) {
            fprintf(stderr, "faults: badserver did not give its ports\n");
            fclose(f);
            return -1;
        }
        for (size_t i = 0; i < NCELLS; i++) {
            char s[64];

            cell_spec(i, s, sizeof(s));
            if (cell_selected(i) && !strcmp(s, spec))
                ports[i] = port;
        }
    }
    fclose(f);
    return 0;
}

/* 0, or -1 when badserver had died before its end (the cells after it then failed). */
static int badserver_stop(void)
{
    int status;

    if (badserver_pid <= 0)
        return 0;
    close(badserver_stdin);
    if (waitpid(badserver_pid, &status, 0) != badserver_pid)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fprintf(stderr, "faults: badserver ended with %s %d\n",
            WIFEXITED(status) ? "exit status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
}

/* The port in "... 127.0.0.1:PORT ..." of the sandbox's variable var; 0 when absent. */
static int sandbox_port(const char *var)
{
    char v[512];
    const char *p;

    if (testlib_sandbox_var(&sbx, var, v, sizeof(v)) != 0 || !(p = strstr(v, "127.0.0.1:")))
        return 0;
    return atoi(p + strlen("127.0.0.1:"));
}

/* The sandbox variable naming the server a plugin's sigstop cell pauses, and its member (a
 * kafka cell pauses kafka-1, the first broker of KAFKA_ADDR, and names only that one). */
static const char *member_var(const char *plugin)
{
    return !strcmp(plugin, "mysql")   ? "MYSQL_ADDR"
           : !strcmp(plugin, "etcd")  ? "ETCD_ADDR"
           : !strcmp(plugin, "kafka") ? "KAFKA_ADDR"
                                      : "REDIS_ADDR";
}

static const char *member_name(const char *plugin)
{
    return !strcmp(plugin, "mysql")   ? "mysql"
           : !strcmp(plugin, "etcd")  ? "etcd-1"
           : !strcmp(plugin, "kafka") ? "kafka-1"
                                      : "redis-master";
}

/* A sandbox with the real servers that the selected sigstop cells pause. */
static int sandbox_start(void)
{
    char dir[600], parts[64] = "";
    int redis = 0, mysql = 0, etcd = 0, kafka = 0;

    for (size_t i = 0; i < NCELLS; i++) {
        if (!cell_selected(i) || strcmp(cells[i].fault, "sigstop") != 0)
            continue;
        int e = strcmp(cells[i].plugin, "etcd") == 0, m = strcmp(cells[i].plugin, "mysql") == 0;
        int k = strcmp(cells[i].plugin, "kafka") == 0;

        etcd |= e;
        mysql |= m;
        kafka |= k;
        redis |= !e && !m && !k; /* tcp and netpart probe the paused redis */
    }
    if (!redis && !mysql && !etcd && !kafka)
        return 0;
    snprintf(parts, sizeof(parts), "%s%s%s%s", redis ? "redis " : "", mysql ? "mysql " : "",
             etcd ? "etcd " : "", kafka ? "kafka" : "");
    snprintf(dir, sizeof(dir), "%s/sandbox", workdir);
    if (testlib_sandbox_up(&sbx, dir, parts) != 0)
        return -1;
    have_sandbox = 1;
    for (size_t i = 0; i < NCELLS; i++) {
        if (!cell_selected(i) || strcmp(cells[i].fault, "sigstop") != 0)
            continue;
        ports[i] = sandbox_port(member_var(cells[i].plugin));
        if (!ports[i])
            return -1;
    }
    return 0;
}

/* ---- one cell ----------------------------------------------------------------------------- */

struct outcome {
    int killed;  /* did not end by itself: killed at HANG_BOUND */
    int status;  /* wait status */
    double took; /* s, start to reaped */
    long maxrss; /* KiB */
    char *out;   /* stdout, malloc'd */
    char *err;   /* stderr, malloc'd */
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);

    if (!buf)
        abort();
    while (f && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap && !(buf = realloc(buf, cap *= 2)))
            abort();
    }
    buf[len] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The probe's settings for cell c against 127.0.0.1:port. */
static void cell_settings(const struct cell *c, int port, char *buf, size_t len)
{
    if (!strcmp(c->plugin, "tcp"))
        snprintf(buf, len,
                 "targets = (\"127.0.0.1:%d\"); send = \"PING\\r\\n\"; expect = \"+PONG\";", port);
    else if (!strcmp(c->plugin, "redis"))
        snprintf(buf, len, "address = \"127.0.0.1:%d\";", port);
    else if (!strcmp(c->plugin, "kafka"))
        snprintf(buf, len, "brokers = \"127.0.0.1:%d\";", port);
    else if (!strcmp(c->plugin, "etcd"))
        snprintf(buf, len, "endpoints = \"127.0.0.1:%d\";", port);
    else if (!strcmp(c->plugin, "netpart"))
        snprintf(buf, len,
                 "method = \"actions\"; op_timeout = 0.5; targets = [\"redis://127.0.0.1:%d\"];"
                 " failover = { partition = \"true\"; heal = \"true\"; };",
                 port);
    else
        snprintf(buf, len,
                 "host = \"127.0.0.1\"; port = %d; user = \"im\"; password = \"im_pass\"; "
                 "database = \"im_chat\";",
                 port);
}

/* Run infraprobe on cell i's config, in a process group of its own, reaped with wait4()
 * for its peak RSS; killed (the group) only past HANG_BOUND. wait4()'s usage is that of the
 * process and of the children it reaped (a probe isolated in a child of its own counts
 * once reaped), not of one it left running. */
static void run_cell(size_t i, struct outcome *o)
{
    char conf[600], outf[600], errf[600], settings[512];
    const struct cell *c = &cells[i];
    struct rusage ru;
    double t0;
    pid_t pid;

    memset(o, 0, sizeof(*o));
    snprintf(conf, sizeof(conf), "%s/%s-%s.conf", workdir, c->plugin, c->fault);
    snprintf(outf, sizeof(outf), "%s/%s-%s.out", workdir, c->plugin, c->fault);
    snprintf(errf, sizeof(errf), "%s/%s-%s.err", workdir, c->plugin, c->fault);
    cell_settings(c, ports[i], settings, sizeof(settings));
    testlib_write(conf, "probes = ( { name = \"%s-%s\"; plugin = \"%s\"; timeout = %s; %s } );\n",
                  c->plugin, c->fault, c->plugin, CELL_TIMEOUT, settings);
    t0 = now();
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fo = open(outf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        setpgid(0, 0);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        execl(getenv("INFRAPROBE"), "infraprobe", "--plugin-dir", getenv("INFRAPROBE_PLUGIN_PATH"),
              "--once", "--format", "json", "-c", conf, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* either of us may run first */
    for (;;) {
        struct timespec tick = {0, 5 * 1000000L};
        pid_t r = wait4(pid, &o->status, WNOHANG, &ru);

        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            ck_abort_msg("%s/%s: wait4: %s", c->plugin, c->fault, strerror(errno));
        if (now() - t0 > HANG_BOUND && !o->killed) {
            o->killed = 1;
            kill(-pid, SIGKILL);
        }
        nanosleep(&tick, NULL);
    }
    o->took = now() - t0;
    o->maxrss = ru.ru_maxrss;
    /* Whatever it left in its group (a supervised child) goes with it. */
    kill(-pid, SIGKILL);
    o->out = slurp(outf);
    o->err = slurp(errf);
}

/* The probe's first check with the probe's own status: the one that says why. */
static json_t *verdict_check(json_t *probe)
{
    const char *status = testlib_status(probe);
    size_t k;
    json_t *chk;

    json_array_foreach(json_object_get(probe, "checks"), k, chk)
    {
        if (status && testlib_status(chk) && !strcmp(testlib_status(chk), status))
            return chk;
    }
    return NULL;
}

static int names_any(const char *msg, const char *const *names)
{
    for (size_t k = 0; k < 4 && names[k]; k++)
        if (msg && strcasestr(msg, names[k]))
            return 1;
    return 0;
}

START_TEST(cell)
{
    size_t i = selected[_i];
    const struct cell *c = &cells[i];
    struct outcome o;
    json_error_t jerr;
    json_t *doc, *probe, *chk;
    const char *status, *msg, *name, *target;
    char hostport[32], label[32];
    int code = -1;

    snprintf(label, sizeof(label), "%s/%s", c->plugin, c->fault);
    snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", ports[i]);
    ck_assert_msg(ports[i] > 0, "%s: no server port", label);
    if (!strcmp(c->fault, "sigstop")) {
        const char *member = member_name(c->plugin);

        ck_assert_int_eq(testlib_sandbox(&sbx, "pause %s >/dev/null", member), 0);
        run_cell(i, &o);
        ck_assert_int_eq(testlib_sandbox(&sbx, "resume %s >/dev/null", member), 0);
    } else {
        run_cell(i, &o);
    }
    doc = json_loads(o.out, 0, &jerr);
    probe = doc ? testlib_probe0(doc) : NULL;
    chk = probe ? verdict_check(probe) : NULL;
    status = probe ? testlib_status(probe) : NULL;
    msg = chk ? testlib_message(chk) : NULL;
    name = chk ? json_string_value(json_object_get(chk, "name")) : NULL;
    target = chk ? testlib_target(chk) : NULL;
    if (WIFEXITED(o.status))
        code = WEXITSTATUS(o.status);
    /* The figures first, whatever the assertions say: the README's table is made of them. */
    printf("cell %-16s %-8s %-11s %5.2f s %6.1f MB  %s%s%s\n", label, status ? status : "-",
           name ? name : "-", o.took, (double)o.maxrss / 1024.0, target ? target : "",
           target ? ": " : "", msg ? msg : "-");
    fflush(stdout);

    ck_assert_msg(!o.killed, "%s: still running after %.0f s: killed (a hang)", label, HANG_BOUND);
    ck_assert_msg(WIFEXITED(o.status), "%s: died of signal %d; stderr: %s", label,
                  WTERMSIG(o.status), o.err);
    ck_assert_msg(code >= 0 && code <= 3, "%s: exit %d; stderr: %s", label, code, o.err);
    ck_assert_msg(doc != NULL, "%s: no JSON report (%s), exit %d: %s / %s", label, jerr.text, code,
                  o.out, o.err);
    ck_assert_msg(status && (!strcmp(status, "critical") || !strcmp(status, "unknown")),
                  "%s: probe status %s, expected critical or unknown", label,
                  status ? status : "(none)");
    ck_assert_msg(code == (!strcmp(status, "critical") ? 2 : 3), "%s: exit %d for a %s probe",
                  label, code, status);
    ck_assert_msg(chk != NULL, "%s: no check carries the probe's status %s", label, status);
    ck_assert_msg(strcmp(name, "run") != 0,
                  "%s: the core's check decided (%s: %s): the plugin overran its deadline or "
                  "failed, it did not say what happened",
                  label, name, msg ? msg : "");
    ck_assert_msg(names_any(msg, c->names), "%s: %s: message \"%s\" does not say \"%s\"", label,
                  name, msg ? msg : "", c->names[0]);
    ck_assert_msg((target && strstr(target, hostport)) || (msg && strstr(msg, hostport)),
                  "%s: %s: neither target \"%s\" nor message \"%s\" names %s", label, name,
                  target ? target : "", msg ? msg : "", hostport);
    ck_assert_msg(o.maxrss < RSS_BOUND_KB, "%s: peak RSS %.1f MB, bound %.0f MB", label,
                  (double)o.maxrss / 1024.0, (double)RSS_BOUND_KB / 1024.0);
    json_decref(doc);
    free(o.out);
    free(o.err);
}
END_TEST

int main(int argc, char **argv)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("matrix");
    SRunner *sr;
    int failed, ok;

    known_failing_run = argc > 1 && !strcmp(argv[1], "--known-failing");
    workdir = testlib_init("faults", 1);
    if (!workdir || !getenv("top_builddir"))
        return EXIT_FAILURE;
    for (size_t i = 0; i < NCELLS; i++) {
        if (!plugin_built(cells[i].plugin))
            printf("cell %s/%s: not run: the %s plugin is not built\n", cells[i].plugin,
                   cells[i].fault, cells[i].plugin);
        else if (cells[i].known_failing && !known_failing_run)
            printf("cell %s/%s: KNOWN FAILING, not asserted here (see --known-failing)\n",
                   cells[i].plugin, cells[i].fault);
        if (cell_selected(i))
            selected[nselected++] = i;
    }
    ok = badserver_start() == 0 && sandbox_start() == 0;
    if (!ok) {
        fprintf(stderr, "faults: the servers did not start\n");
        failed = 1;
        goto out;
    }
    tcase_set_timeout(tc, HANG_BOUND + 30);
    tcase_add_loop_test(tc, cell, 0, nselected);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
out:
    if (badserver_stop() != 0)
        failed++;
    if (have_sandbox && testlib_sandbox(&sbx, "down >/dev/null") != 0)
        failed++;
    if (testlib_cleanup() != 0)
        failed++;
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
