/* supervisor: the parent of every server of one sandbox (tests/sandbox/sandbox).
 *
 * PID 1 on the test machines does not reap orphans: a server whose parent has exited
 * stays a zombie that `kill -0` still finds. So `sandbox up` leaves this one small
 * process behind; it forks every server, reaps it (waitpid), and is the only one that
 * signals it, so a PID it signals is always its own unreaped child, never a reused one.
 * The sandbox CLI talks to it over the unix socket DIR/ctl, one command per connection.
 *
 * Usage: supervisor [-o OWNER_PID] DIR     serve the sandbox in DIR
 *        supervisor -c DIR COMMAND...       send one command, print the reply;
 *                                           exit 0 on "OK", 1 on "ERR", 2 if none answers
 *
 * Commands (the reply ends with a line "OK ..." or "ERR ..."):
 *   spawn NAME          run DIR/NAME/run in DIR/NAME, output to DIR/NAME/out.log
 *   signal NAME SIG     SIG: STOP CONT KILL TERM HUP INT USR1 USR2 (to its process group)
 *   stop NAME MS        SIGTERM, SIGKILL after MS milliseconds; answers once it is reaped
 *   status              one line per member: NAME PID running|paused|exited:N|killed:SIG
 *   down MS             stop every member (SIGKILL after MS), answer, exit
 *   ping
 * SIGTERM, SIGINT and SIGHUP, or the death of OWNER_PID, stop every member, and if `up`
 * marked DIR as its own (DIR/.infraprobe-sandbox), release its port reservations and
 * remove DIR; then it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SV_SOCKET      "ctl"
#define SV_PIDFILE     "supervisor.pid"
#define SV_MARKER      ".infraprobe-sandbox"
#define SV_MAX_MEMBERS 32
#define SV_NAME_LEN    64
#define SV_LINE_LEN    4096
#define SV_KILL_WAIT   30000  /* ms for a SIGKILLed process to be reaped (a JVM, loaded) */
#define SV_SIGNAL_DOWN 3000   /* grace of the shutdown on a signal */
#define SV_REMOVE_DOWN 500    /* the same, when DIR is removed next */
#define SV_CLIENT_WAIT 300000 /* ms the client waits for an answer */

enum sv_state { SV_RUNNING, SV_PAUSED, SV_EXITED };

struct sv_member {
    char name[SV_NAME_LEN];
    pid_t pid;
    enum sv_state state;
    int status; /* from waitpid, once exited */
};

struct sv {
    struct sv_member members[SV_MAX_MEMBERS];
    int nmembers;
    int client; /* the connection being answered */
    pid_t owner;
};

static volatile sig_atomic_t sv_signalled;

static void sv_on_signal(int sig)
{
    sv_signalled = sig;
}

static long long sv_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sv_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void sv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sv_say(struct sv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sv_log(const char *fmt, ...)
{
    char stamp[32];
    time_t t = time(NULL);
    va_list ap;

    strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&t));
    fprintf(stderr, "%s supervisor: ", stamp);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* Writes to the client; a client that went away is not our problem. */
static void sv_say(struct sv *sv, const char *fmt, ...)
{
    char buf[SV_LINE_LEN + 64];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    for (int off = 0; off < n && sv->client >= 0;) {
        ssize_t w = send(sv->client, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (int)w;
    }
}

static struct sv_member *sv_find(struct sv *sv, const char *name)
{
    for (int i = 0; i < sv->nmembers; i++)
        if (!strcmp(sv->members[i].name, name))
            return &sv->members[i];
    return NULL;
}

static int sv_alive(const struct sv_member *m)
{
    return m->state != SV_EXITED;
}

static void sv_reap(struct sv *sv)
{
    pid_t pid;
    int st;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (int i = 0; i < sv->nmembers; i++) {
            struct sv_member *m = &sv->members[i];
            char path[SV_NAME_LEN + 8];

            if (m->pid != pid || !sv_alive(m))
                continue;
            m->state = SV_EXITED;
            m->status = st;
            snprintf(path, sizeof(path), "%s/pid", m->name);
            unlink(path);
            if (WIFSIGNALED(st))
                sv_log("%s (pid %d) killed by signal %d", m->name, (int)pid, WTERMSIG(st));
            else
                sv_log("%s (pid %d) exited %d", m->name, (int)pid, WEXITSTATUS(st));
        }
    }
}

/* Waits until every member in the list is reaped; 0 if they all were within ms. */
static int sv_wait_gone(struct sv *sv, struct sv_member **list, int n, int ms)
{
    long long end = sv_now_ms() + ms;

    for (;;) {
        int left = 0;

        sv_reap(sv);
        for (int i = 0; i < n; i++)
            left += sv_alive(list[i]);
        if (!left)
            return 0;
        if (sv_now_ms() >= end)
            return -1;
        sv_sleep_ms(10);
    }
}

/* Stops the members: SIGTERM (and SIGCONT, for a paused one), SIGKILL after grace_ms. */
static int sv_stop(struct sv *sv, struct sv_member **list, int n, int grace_ms)
{
    int sent = 0;

    for (int i = 0; i < n; i++)
        if (sv_alive(list[i])) {
            kill(-list[i]->pid, SIGTERM);
            kill(-list[i]->pid, SIGCONT);
            sent = 1;
        }
    if (!sent || !sv_wait_gone(sv, list, n, grace_ms))
        return 0;
    for (int i = 0; i < n; i++)
        if (sv_alive(list[i])) {
            sv_log("%s (pid %d) still there after %d ms: SIGKILL", list[i]->name, (int)list[i]->pid,
                   grace_ms);
            kill(-list[i]->pid, SIGKILL);
        }
    return sv_wait_gone(sv, list, n, SV_KILL_WAIT);
}

static int sv_stop_all(struct sv *sv, int grace_ms)
{
    struct sv_member *list[SV_MAX_MEMBERS];

    for (int i = 0; i < sv->nmembers; i++)
        list[i] = &sv->members[i];
    return sv_stop(sv, list, sv->nmembers, grace_ms);
}

static int sv_valid_name(const char *name)
{
    if (!*name || strlen(name) >= SV_NAME_LEN || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
            return 0;
    return 1;
}

static void sv_child(const char *name, pid_t parent)
{
    sigset_t none;
    int log_fd, in_fd;

    setpgid(0, 0);
    /* If the supervisor dies, so do its servers: they must never outlive it as orphans. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* What the supervisor ignores (and what bash's & made it ignore) a server must not. */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    if (chdir(name))
        _exit(127);
    log_fd = open("out.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log_fd < 0)
        _exit(127);
    in_fd = open("/dev/null", O_RDONLY);
    if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
        _exit(127);
    execl("./run", "run", (char *)NULL);
    fprintf(stderr, "supervisor: %s/run: %s\n", name, strerror(errno));
    _exit(127);
}

static void sv_spawn(struct sv *sv, const char *name)
{
    struct sv_member *m = sv_find(sv, name);
    char path[SV_NAME_LEN + 8];
    pid_t pid, self;
    FILE *f;

    if (!sv_valid_name(name)) {
        sv_say(sv, "ERR %s: bad member name", name);
        return;
    }
    if (m && sv_alive(m)) {
        sv_say(sv, "ERR %s: already running as pid %d", name, (int)m->pid);
        return;
    }
    if (!m && sv->nmembers == SV_MAX_MEMBERS) {
        sv_say(sv, "ERR %s: too many members", name);
        return;
    }
    snprintf(path, sizeof(path), "%s/run", name);
    if (access(path, X_OK)) {
        sv_say(sv, "ERR %s: %s", path, strerror(errno));
        return;
    }
    self = getpid();
    pid = fork();
    if (pid < 0) {
        sv_say(sv, "ERR %s: fork: %s", name, strerror(errno));
        return;
    }
    if (pid == 0)
        sv_child(name, self);
    setpgid(pid, pid); /* as the child does: no race on who is first */
    if (!m) {
        m = &sv->members[sv->nmembers++];
        snprintf(m->name, sizeof(m->name), "%s", name);
    }
    m->pid = pid;
    m->state = SV_RUNNING;
    m->status = 0;
    snprintf(path, sizeof(path), "%s/pid", name);
    f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
    }
    sv_log("%s started, pid %d", name, (int)pid);
    sv_say(sv, "OK %d", (int)pid);
}

static int sv_signum(const char *s)
{
    static const struct {
        const char *name;
        int num;
    } sigs[] = {{"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"KILL", SIGKILL}, {"TERM", SIGTERM},
                {"HUP", SIGHUP},   {"INT", SIGINT},   {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};

    if (!strncmp(s, "SIG", 3))
        s += 3;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (!strcmp(s, sigs[i].name))
            return sigs[i].num;
    return 0;
}

static void sv_signal(struct sv *sv, struct sv_member *m, const char *signame)
{
    int sig = sv_signum(signame);

    if (!sig) {
        sv_say(sv, "ERR %s: unknown signal", signame);
        return;
    }
    if (!sv_alive(m)) {
        sv_say(sv, "ERR %s: not running", m->name);
        return;
    }
    if (kill(-m->pid, sig)) {
        sv_say(sv, "ERR %s: kill: %s", m->name, strerror(errno));
        return;
    }
    if (sig == SIGSTOP)
        m->state = SV_PAUSED;
    else if (sig == SIGCONT)
        m->state = SV_RUNNING;
    if (sig == SIGKILL) {
        struct sv_member *list[1] = {m};

        if (sv_wait_gone(sv, list, 1, SV_KILL_WAIT)) {
            sv_say(sv, "ERR %s: pid %d not reaped after SIGKILL", m->name, (int)m->pid);
            return;
        }
    }
    sv_say(sv, "OK");
}

static void sv_status(struct sv *sv)
{
    sv_reap(sv);
    for (int i = 0; i < sv->nmembers; i++) {
        struct sv_member *m = &sv->members[i];

        if (m->state == SV_RUNNING)
            sv_say(sv, "%s %d running", m->name, (int)m->pid);
        else if (m->state == SV_PAUSED)
            sv_say(sv, "%s %d paused", m->name, (int)m->pid);
        else if (WIFSIGNALED(m->status))
            sv_say(sv, "%s %d killed:%d", m->name, (int)m->pid, WTERMSIG(m->status));
        else
            sv_say(sv, "%s %d exited:%d", m->name, (int)m->pid, WEXITSTATUS(m->status));
    }
    sv_say(sv, "OK");
}

/* Handles one command; returns 1 when the supervisor must exit. */
static int sv_command(struct sv *sv, char *line)
{
    char *cmd = strtok(line, " \t\r\n"), *name, *arg;
    struct sv_member *m;

    if (!cmd) {
        sv_say(sv, "ERR empty command");
        return 0;
    }
    if (!strcmp(cmd, "ping")) {
        sv_say(sv, "OK %d", (int)getpid());
        return 0;
    }
    if (!strcmp(cmd, "status")) {
        sv_status(sv);
        return 0;
    }
    name = strtok(NULL, " \t\r\n");
    if (!strcmp(cmd, "down")) {
        int grace = name ? atoi(name) : SV_SIGNAL_DOWN;

        if (sv_stop_all(sv, grace)) {
            sv_say(sv, "ERR some members could not be reaped");
            return 0;
        }
        sv_say(sv, "OK");
        return 1;
    }
    if (!name) {
        sv_say(sv, "ERR %s: missing member", cmd);
        return 0;
    }
    arg = strtok(NULL, "\r\n");
    if (!strcmp(cmd, "spawn")) {
        sv_spawn(sv, name);
        return 0;
    }
    sv_reap(sv);
    m = sv_find(sv, name);
    if (!m) {
        sv_say(sv, "ERR %s: never started", name);
        return 0;
    }
    if (!strcmp(cmd, "signal") && arg) {
        sv_signal(sv, m, arg);
    } else if (!strcmp(cmd, "stop")) {
        struct sv_member *list[1] = {m};

        if (sv_stop(sv, list, 1, arg ? atoi(arg) : SV_SIGNAL_DOWN))
            sv_say(sv, "ERR %s: pid %d not reaped after SIGKILL", name, (int)m->pid);
        else
            sv_say(sv, "OK");
    } else {
        sv_say(sv, "ERR %s: unknown command or missing argument", cmd);
    }
    return 0;
}

static int sv_client(struct sv *sv, int fd)
{
    struct timeval tv = {5, 0};
    char line[SV_LINE_LEN];
    size_t len = 0;
    int done;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
        ssize_t r = recv(fd, line + len, sizeof(line) - 1 - len, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    line[len] = '\0';
    sv->client = fd;
    done = sv_command(sv, line);
    sv->client = -1;
    close(fd);
    return done;
}

static int sv_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Removes the port reservations of this sandbox: DIR/registry names the directory of
 * symlinks PORT -> DIR that `up` made, DIR/ports the ports. */
static void sv_release_ports(const char *dir)
{
    char registry[PATH_MAX], path[PATH_MAX + 16], target[PATH_MAX];
    FILE *f = fopen("registry", "r");
    int port;

    if (!f)
        return;
    if (!fgets(registry, sizeof(registry), f)) {
        fclose(f);
        return;
    }
    fclose(f);
    registry[strcspn(registry, "\n")] = '\0';
    f = fopen("ports", "r");
    if (!f)
        return;
    while (fscanf(f, "%d", &port) == 1) {
        ssize_t n;

        snprintf(path, sizeof(path), "%s/%d", registry, port);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        if (!strcmp(target, dir))
            unlink(path);
    }
    fclose(f);
    rmdir(registry); /* fails while another sandbox holds a port: fine */
}

/* The owner is gone when /proc says so, or when it is a zombie nobody reaps. */
static int sv_owner_gone(pid_t owner)
{
    char path[64], buf[512], *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)owner);
    f = fopen(path, "r");
    if (!f)
        return 1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && (p[2] == 'Z' || p[2] == 'X');
}

/* The listening socket DIR/ctl, in the current directory DIR; -1 after saying why. */
static int sv_listen(const char *dir)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int lfd;

    /* A relative path: DIR may be longer than sun_path. */
    strcpy(addr.sun_path, SV_SOCKET);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        fprintf(stderr, "supervisor: socket: %s\n", strerror(errno));
        return -1;
    }
    if (!connect(lfd, (struct sockaddr *)&addr, sizeof(addr))) {
        fprintf(stderr, "supervisor: %s: a supervisor already runs there\n", dir);
        close(lfd);
        return -1;
    }
    unlink(SV_SOCKET);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 16)) {
        fprintf(stderr, "supervisor: %s/%s: %s\n", dir, SV_SOCKET, strerror(errno));
        close(lfd);
        return -1;
    }
    return lfd;
}

/* Answers commands until "down" (1), a signal or the owner's end (0). */
static int sv_loop(struct sv *sv, int lfd)
{
    int done = 0;

    while (!done && !sv_signalled) {
        struct pollfd pfd = {.fd = lfd, .events = POLLIN};

        if (poll(&pfd, 1, 100) > 0) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

            if (fd >= 0)
                done = sv_client(sv, fd);
        }
        sv_reap(sv);
        if (sv->owner > 0 && sv_owner_gone(sv->owner)) {
            sv_log("owner pid %d is gone", (int)sv->owner);
            break;
        }
    }
    return done;
}

static int sv_serve(struct sv *sv, const char *arg)
{
    struct sigaction sa;
    static char dir[PATH_MAX];
    int lfd, done;
    FILE *f;

    /* Keep nothing of the caller: its fds (a $(...) pipe) must not be held open. */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    /* absolute: the removal on a signal runs from / */
    if (!realpath(arg, dir) || chdir(dir)) {
        fprintf(stderr, "supervisor: %s: %s\n", arg, strerror(errno));
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sv_on_signal; /* no SA_RESTART: poll must return */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = sv_listen(dir);
    if (lfd < 0)
        return 1;
    f = fopen(SV_PIDFILE, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    sv_log("serving %s, pid %d", dir, (int)getpid());
    done = sv_loop(sv, lfd);
    close(lfd);
    unlink(SV_SOCKET);
    if (!done) { /* a signal or the owner's end, not "down": clean up all */
        if (sv_signalled)
            sv_log("signal %d: shutting down", (int)sv_signalled);
        /* Data that is about to be removed needs no clean shutdown: be quick. */
        sv_stop_all(sv, access(SV_MARKER, F_OK) ? SV_SIGNAL_DOWN : SV_REMOVE_DOWN);
        if (!access(SV_MARKER, F_OK)) {
            sv_release_ports(dir);
            if (chdir("/"))
                return 1;
            nftw(dir, sv_rm, 16, FTW_DEPTH | FTW_PHYS);
            return 0;
        }
    }
    unlink(SV_PIDFILE);
    sv_log("exit");
    return 0;
}

/* argv joined by spaces, with a newline, into line; its length, or 0 if too long. */
static size_t sv_join(char *line, size_t size, int argc, char **argv)
{
    size_t len = 0;

    for (int i = 0; i < argc; i++) {
        int n = snprintf(line + len, size - len, "%s%s", i ? " " : "", argv[i]);

        if (n < 0 || (size_t)n >= size - len - 1)
            return 0;
        len += (size_t)n;
    }
    line[len++] = '\n';
    return len;
}

/* Copies the reply on fd to stdout; 0 if its last line starts with OK, 1 if not, 2 if
 * it did not end with a newline (no answer). */
static int sv_relay_reply(int fd)
{
    char reply[SV_LINE_LEN * 4];
    size_t rlen = 0, start;

    for (;;) {
        ssize_t r;

        if (rlen == sizeof(reply)) { /* keep the tail: the last line decides */
            fwrite(reply, 1, rlen / 2, stdout);
            memmove(reply, reply + rlen / 2, rlen - rlen / 2);
            rlen -= rlen / 2;
        }
        r = recv(fd, reply + rlen, sizeof(reply) - rlen, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        rlen += (size_t)r;
    }
    fwrite(reply, 1, rlen, stdout);
    fflush(stdout);
    if (!rlen || reply[rlen - 1] != '\n')
        return 2;
    start = rlen - 1;
    while (start > 0 && reply[start - 1] != '\n')
        start--;
    return rlen - start >= 2 && !strncmp(reply + start, "OK", 2) ? 0 : 1;
}

static int sv_send_command(const char *dir, int argc, char **argv)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct timeval tv = {SV_CLIENT_WAIT / 1000, 0};
    char line[SV_LINE_LEN];
    size_t len;
    int fd, rc;

    len = sv_join(line, sizeof(line), argc, argv);
    if (!len) {
        fprintf(stderr, "supervisor: command too long\n");
        return 2;
    }
    strcpy(addr.sun_path, SV_SOCKET);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || chdir(dir) || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
        fprintf(stderr, "sandbox: %s: no supervisor answers (%s)\n", dir, strerror(errno));
        return 2;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
        fprintf(stderr, "sandbox: %s: send: %s\n", dir, strerror(errno));
        close(fd);
        return 2;
    }
    rc = sv_relay_reply(fd);
    close(fd);
    if (rc == 2)
        fprintf(stderr, "sandbox: %s: the supervisor did not answer\n", dir);
    return rc;
}

int main(int argc, char **argv)
{
    static struct sv sv;

    if (argc >= 4 && !strcmp(argv[1], "-c"))
        return sv_send_command(argv[2], argc - 3, argv + 3);
    if (argc == 4 && !strcmp(argv[1], "-o")) {
        sv.owner = (pid_t)atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: supervisor [-o OWNER_PID] DIR\n"
                        "       supervisor -c DIR COMMAND...\n");
        return 2;
    }
    sv.client = -1;
    return sv_serve(&sv, argv[1]);
}
