/*
 * Drills' fault actions: shell commands from the probe's failover block, with placeholders
 * the plugin fills (a leader's host:port, as the cluster names it now). Values come from
 * servers, so each is shell-quoted; the command runs in its own process group so that a
 * timeout kills all it started; it is spawned, not forked, since the caller is a thread
 * of a threaded program.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "report.h"

extern char **environ;

int ip_drill(struct ip_report *report, double *deadline)
{
    double d;

    if (!report->drill)
        return 0;
    d = ip_clock() + report->drill->timeout;
    /* Within what the core enforces, less the plugin's margin to record and return. */
    if (d > report->deadline + report->drill->timeout)
        d = report->deadline + report->drill->timeout;
    if (deadline)
        *deadline = d;
    return 1;
}

/* The probe's fault actions: in every run (a plugin whose regular checks make a fault, such as
 * netpart's partition / heal), else only in a drill run. */
static const struct drill *actions_of(const struct ip_report *r)
{
    return r->faults ? r->faults : r->drill;
}

static const struct fault_action *find_action(const struct ip_report *r, const char *action)
{
    const struct drill *d = actions_of(r);

    for (size_t i = 0; d && action && i < d->nactions; i++)
        if (strcmp(d->actions[i].name, action) == 0)
            return &d->actions[i];
    return NULL;
}

int ip_fault_has(const struct ip_report *report, const char *action)
{
    return find_action(report, action) != NULL;
}

/* 'value', with each ' written as '\'' : safe in any shell word position. */
static void shell_quote(FILE *out, const char *v)
{
    fputc('\'', out);
    for (; *v; v++) {
        if (*v == '\'')
            fputs("'\\''", out);
        else
            fputc(*v, out);
    }
    fputc('\'', out);
}

static const char *lookup_var(const char *probe, const char *const *vars, const char *name,
                              size_t n)
{
    if (n == 5 && strncmp(name, "probe", 5) == 0)
        return probe;
    for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
        if (strlen(vars[i]) == n && strncmp(vars[i], name, n) == 0)
            return vars[i + 1];
    return NULL;
}

/* The command with its placeholders filled; NULL with the reason in err. */
static char *substitute(const char *cmd, const char *probe, const char *const *vars, char *err,
                        size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (const char *p = cmd; *p; p++) {
        const char *end, *value;

        if (p[0] == '%' && p[1] == '%') {
            fputc('%', out);
            p++;
            continue;
        }
        if (p[0] != '%' || p[1] != '{' || !(end = strchr(p + 2, '}'))) {
            fputc(*p, out);
            continue;
        }
        value = lookup_var(probe, vars, p + 2, (size_t)(end - p - 2));
        if (!value) {
            snprintf(err, errlen, "unknown placeholder %.*s in \"%s\"", (int)(end - p + 1), p, cmd);
            fclose(out);
            free(buf);
            return NULL;
        }
        shell_quote(out, value);
        p = end;
    }
    if (fclose(out) != 0) {
        free(buf);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return buf;
}

/* The last non-empty line of `s`, for a one-line reason. */
static void last_line(const char *s, size_t n, char *out, size_t outlen)
{
    size_t end = n, start;

    while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r' || s[end - 1] == ' '))
        end--;
    start = end;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    snprintf(out, outlen, "%.*s", (int)(end - start), s + start);
}

/* Spawn `sh -c cmd` with stdout and stderr into one pipe, stdin from /dev/null. */
static int spawn(const char *cmd, pid_t *pid, int *outfd)
{
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    int p[2], err;

    if (pipe2(p, O_CLOEXEC) != 0)
        return errno;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    err = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(p[1]);
    if (err) {
        close(p[0]);
        return err;
    }
    *outfd = p[0];
    return 0;
}

/* While a breaking action runs, a restore must be able to find its group and stop it. */
static void publish_pgid(struct ip_report *r, pid_t pid)
{
    pthread_mutex_lock(&r->lock);
    r->restore.pgid = pid;
    if (r->hooks && r->hooks->restore)
        r->hooks->restore(r->hooks->ctx, &r->restore);
    pthread_mutex_unlock(&r->lock);
}

static void unpublish_pgid(struct ip_report *r, pid_t pid)
{
    pthread_mutex_lock(&r->lock);
    if (r->restore.pgid == pid) {
        r->restore.pgid = 0;
        /* A child's parent must forget it too: a reaped group's id can be reused. */
        if (r->hooks && r->hooks->restore)
            r->hooks->restore(r->hooks->ctx, &r->restore);
    }
    pthread_mutex_unlock(&r->lock);
}

/* Wait for `pid` by `deadline`, then kill its group: a command that closed its output early
 * (`exec >/dev/null 2>&1`) must not hold us past its timeout. Returns 1 when it was killed. */
static int wait_action(pid_t pid, double deadline, int *status)
{
    struct pollfd pfd = {.fd = (int)syscall(SYS_pidfd_open, pid, 0), .events = POLLIN};
    pid_t got;
    int killed = 0;

    while ((got = waitpid(pid, status, WNOHANG)) == 0 && ip_clock() < deadline) {
        if (pfd.fd < 0 || ip_poll_until(&pfd, 1, deadline) < 0)
            ip_sleep_until(ip_clock() + 0.005);
    }
    if (pfd.fd >= 0)
        close(pfd.fd);
    if (got == 0) {
        kill(-pid, SIGKILL);
        killed = 1;
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
    }
    return killed;
}

/* Read until the command closes its output, keeping the last 4 KiB of it in out (its size
 * in *got). Returns 1 when the deadline came first. */
static int read_output(int fd, double deadline, char *out, size_t size, size_t *got)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (ip_clock() >= deadline)
            return 1;
        if (ip_poll_until(&pfd, 1, deadline) <= 0)
            continue;
        if (*got == size) {
            memmove(out, out + size / 2, size / 2);
            *got = size / 2;
        }
        n = read(fd, out + *got, size - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        *got += (size_t)n;
    }
}

/* Why an action failed, from its wait status and the last line it printed. */
static void action_failure(char *err, size_t errlen, const char *action, int status,
                           const char *line)
{
    if (WIFSIGNALED(status))
        snprintf(err, errlen, "%s: killed by signal %d%s%s", action, WTERMSIG(status),
                 *line ? ": " : "", line);
    else
        snprintf(err, errlen, "%s: exit status %d%s%s", action, WEXITSTATUS(status),
                 *line ? ": " : "", line);
}

/* Run `cmd` with /bin/sh, killed with its process group at `timeout`. While a breaking action
 * runs, its group is published in r->restore.pgid, so that a restore can stop it first.
 * Returns 0 when it exited 0; IP_EACTION with the reason in err. */
static int run_action(struct ip_report *r, const char *action, const char *cmd, double timeout,
                      int breaking, char *err, size_t errlen)
{
    double deadline = ip_clock() + timeout;
    char out[4096], line[512];
    size_t got = 0;
    int fd = -1, status = 0, timed_out, rc;
    pid_t pid;

    if ((rc = spawn(cmd, &pid, &fd)) != 0) {
        snprintf(err, errlen, "%s: cannot run /bin/sh: %s", action, strerror(rc));
        return IP_EACTION;
    }
    if (breaking)
        publish_pgid(r, pid);
    timed_out = read_output(fd, deadline, out, sizeof(out), &got);
    close(fd);
    /* A background child may hold the pipe after sh exits: the group goes either way. */
    if (timed_out)
        kill(-pid, SIGKILL);
    timed_out |= wait_action(pid, deadline, &status);
    if (breaking)
        unpublish_pgid(r, pid);
    last_line(out, got, line, sizeof(line));
    if (timed_out) {
        snprintf(err, errlen, "%s: timed out after %.3f s%s%s", action, timeout, *line ? ": " : "",
                 line);
        return IP_EACTION;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        snprintf(err, errlen, "%s", line);
        return 0;
    }
    action_failure(err, errlen, action, status, line);
    return IP_EACTION;
}

/* Actions that break something, and the action that puts it back. */
static const char *const undo[][2] = {
    {"stop", "start"},
    {"kill", "start"},
    {"pause", "resume"},
    {"partition", "heal"},
};

static const char *undo_of(const char *action)
{
    for (size_t i = 0; i < sizeof(undo) / sizeof(undo[0]); i++)
        if (strcmp(undo[i][0], action) == 0)
            return undo[i][1];
    return NULL;
}

/* Swap what `r` owes for `p` (which it then owns); notify a child's parent. */
static void owe(struct ip_report *r, struct pending_restore *p)
{
    struct pending_restore old;

    pthread_mutex_lock(&r->lock);
    old = r->restore;
    r->restore = *p;
    if (r->hooks && r->hooks->restore)
        r->hooks->restore(r->hooks->ctx, &r->restore);
    pthread_mutex_unlock(&r->lock);
    free(old.action);
    free(old.command);
}

void fault_owe(struct ip_report *r, const struct pending_restore *p)
{
    struct pending_restore copy = {0};

    if (p && p->action) {
        copy.action = strdup(p->action);
        copy.command = p->command ? strdup(p->command) : NULL;
        copy.timeout = p->timeout;
        copy.pgid = p->pgid;
        if (!copy.action || !copy.command) {
            free(copy.action);
            free(copy.command);
            copy = (struct pending_restore){0};
        }
    }
    owe(r, &copy);
}

/* An action in the run's timeline: the fault, or the restore. */
static void record_event(struct ip_report *r, enum timeline_kind kind, const char *action,
                         double t0, int rc)
{
    report_event(r, kind, -1, t0, ip_clock(), rc == 0, action);
}

/* Record the restore, run by the drill itself (why NULL) or by the core because of `why`;
 * it started at t0. */
static void record_restore(struct ip_report *r, const char *action, int rc, double t0,
                           const char *why, const char *err)
{
    double took = ip_clock() - t0;
    char msg[768];

    snprintf(msg, sizeof(msg), "%s %s in %.3f s (run by %s%s)%s%s", action,
             rc == 0 ? "ran" : "failed", took, why ? "infraprobe: " : "the drill", why ? why : "",
             rc != 0 && *err ? ": " : "", rc != 0 ? err : "");
    report_add_check(r, "restore", NULL, rc == 0 ? IP_OK : IP_CRITICAL, took, 0, 0, msg);
    record_event(r, TL_RESTORE, action, t0, rc);
}

int fault_restore(struct ip_report *r, const char *why)
{
    struct pending_restore p, none = {0};
    char err[512];
    double t0;
    int rc;

    pthread_mutex_lock(&r->lock);
    p = r->restore;
    r->restore = none;
    pthread_mutex_unlock(&r->lock);
    if (!p.action) {
        free(p.command);
        return 0;
    }
    /* The fault must not go on breaking what the restore puts back. */
    if (p.pgid > 0)
        kill(-(pid_t)p.pgid, SIGKILL);
    t0 = ip_clock();
    rc = run_action(r, p.action, p.command, p.timeout, 0, err, sizeof(err));
    record_restore(r, p.action, rc, t0, why, err);
    free(p.action);
    free(p.command);
    return 1;
}

/* Is `action` the restore owed now? Then it is owed no more: tested and cleared at once, so
 * that the core taking it over meanwhile cannot make it run twice. */
static int take_owed(struct ip_report *r, const char *action)
{
    struct pending_restore old = {0};
    int owed;

    pthread_mutex_lock(&r->lock);
    owed = r->restore.action && strcmp(r->restore.action, action) == 0;
    if (owed) {
        old = r->restore;
        r->restore = (struct pending_restore){0};
        if (r->hooks && r->hooks->restore)
            r->hooks->restore(r->hooks->ctx, &r->restore);
    }
    pthread_mutex_unlock(&r->lock);
    free(old.action);
    free(old.command);
    return owed;
}

int ip_fault(struct ip_report *report, const char *action, const char *const *vars, char *err,
             size_t errlen)
{
    const struct fault_action *a = find_action(report, action);
    const char *restore = a ? undo_of(action) : NULL;
    const struct fault_action *ra = restore ? find_action(report, restore) : NULL;
    int breaking = 0, restoring, rc;
    double t0;
    char *cmd;

    if (!a) {
        snprintf(err, errlen, "no fault action \"%s\" in failover", action ? action : "");
        return IP_EINVAL;
    }
    if (!(cmd = substitute(a->command, report->probe, vars, err, errlen)))
        return IP_EINVAL;
    if (ra) {
        /* Owed before the fault starts: whatever happens next, the core can put it back. */
        struct pending_restore p = {.action = strdup(ra->name),
                                    .timeout = actions_of(report)->action_timeout};

        p.command = substitute(ra->command, report->probe, vars, err, errlen);
        if (!p.action || !p.command) {
            free(p.action);
            free(p.command);
            free(cmd);
            return IP_EINVAL;
        }
        owe(report, &p);
        breaking = 1;
    }
    restoring = take_owed(report, action);
    t0 = ip_clock();
    rc = run_action(report, action, cmd, actions_of(report)->action_timeout, breaking, err, errlen);
    if (restoring)
        record_restore(report, action, rc, t0, NULL, err);
    else if (breaking)
        record_event(report, TL_FAULT, action, t0, rc);
    free(cmd);
    return rc;
}
