/*
 * Process isolation: the parent's supervisor of one probe's child, the child's serving loop,
 * and the frames between them. Requests and the end of a run travel over SOCK_SEQPACKET, so
 * each is one message that arrives whole or not at all, and the end of the child is the end
 * of the socket. What a run records (checks, metrics, a drill's timeline, the restore it
 * owes) goes into a memory
 * area both share instead, as it is recorded: the parent reads it when the run ends, or after
 * it killed the child, so a run costs one round trip however much it records, and a child
 * killed at its deadline still leaves every check it had recorded.
 */
#include "config.h"

#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "probe_run.h"

extern char **environ;

#define CHILD_FD     3
#define CHILD_SHM_FD 4
#define FRAME_MAX    65536
#define SHM_SIZE     (1u << 20)

/* The shared record of one run: frames, each preceded by its size, `len` bytes of them. The
 * child publishes a frame by storing len after its bytes, so a frame cut by a kill never
 * counts. What does not fit goes over the socket. */
struct shm {
    uint32_t len;
    unsigned char data[];
};

#define SHM_ROOM (SHM_SIZE - sizeof(struct shm))

enum frame_type {
    F_READY = 'Y',   /* child: set up, i32 ok */
    F_RUN = 'R',     /* parent: f64 deadline, i32 drill, i32 light, str run_id, f64 started,
                        f64 wall */
    F_CHECK = 'C',   /* child: a check as recorded */
    F_METRIC = 'M',  /* child: a metric as recorded */
    F_RESTORE = 'S', /* child: the restore owed now (a NULL action: none) */
    F_EVENT = 'E',   /* child: a drill's timeline event as recorded */
    F_HINT = 'H',    /* child: str check, str target, str hint, attached to the check */
    F_PHASE = 'P',   /* child: str phase, a drill's, as it starts; always over the socket */
    F_DONE = 'D',    /* child: the run returned */
};

struct frame {
    unsigned char buf[FRAME_MAX];
    size_t len, pos;
    int bad;
};

static void put(struct frame *f, const void *p, size_t n)
{
    if (f->len + n > sizeof(f->buf)) {
        f->bad = 1;
        return;
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
}

static void put_i32(struct frame *f, int32_t v)
{
    put(f, &v, sizeof(v));
}

static void put_f64(struct frame *f, double v)
{
    put(f, &v, sizeof(v));
}

/* A string, cut to what the frame has room for (a message may be long; the rest is not). */
static void put_str(struct frame *f, const char *s)
{
    size_t n, room;

    if (!s) {
        put_i32(f, -1);
        return;
    }
    n = strlen(s);
    room = sizeof(f->buf) - f->len;
    room = room > 1024 + sizeof(int32_t) ? room - 1024 - sizeof(int32_t) : 0;
    if (n > room)
        n = room;
    put_i32(f, (int32_t)n);
    put(f, s, n);
}

static void get(struct frame *f, void *p, size_t n)
{
    if (f->bad || f->pos + n > f->len) {
        f->bad = 1;
        memset(p, 0, n);
        return;
    }
    memcpy(p, f->buf + f->pos, n);
    f->pos += n;
}

static int32_t get_i32(struct frame *f)
{
    int32_t v;

    get(f, &v, sizeof(v));
    return v;
}

static int64_t get_i64(struct frame *f)
{
    int64_t v;

    get(f, &v, sizeof(v));
    return v;
}

static double get_f64(struct frame *f)
{
    double v;

    get(f, &v, sizeof(v));
    return v;
}

/* A string in a static-sized frame: copied out, NUL-terminated; NULL for a NULL one. */
static char *get_str(struct frame *f)
{
    int32_t n = get_i32(f);
    char *s;

    if (f->bad || n < 0)
        return NULL;
    if ((size_t)n > f->len - f->pos) {
        f->bad = 1;
        return NULL;
    }
    if (!(s = malloc((size_t)n + 1))) {
        f->bad = 1;
        return NULL;
    }
    memcpy(s, f->buf + f->pos, (size_t)n);
    s[n] = '\0';
    f->pos += (size_t)n;
    return s;
}

static void frame_start(struct frame *f, enum frame_type t)
{
    f->len = f->pos = 0;
    f->bad = 0;
    f->buf[f->len++] = (unsigned char)t;
}

static int frame_send(int fd, const struct frame *f)
{
    ssize_t n;

    do
        n = send(fd, f->buf, f->len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)f->len ? 0 : -1;
}

/* One frame, or -1 at the end of the socket. */
static int frame_recv(int fd, struct frame *f)
{
    ssize_t n;

    do
        n = recv(fd, f->buf, sizeof(f->buf), 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -1;
    f->len = (size_t)n;
    f->pos = 1;
    f->bad = 0;
    return f->buf[0];
}

/* ---- the child ------------------------------------------------------------------------ */

static struct shm *child_shm; /* NULL: every frame over the socket */
/* A run's frames stay in order: once one went over the socket, every later one does. */
static int child_overflowed;

/* Record frame `f` for the parent: in the shared area while it has room. */
static void emit(const struct frame *f)
{
    uint32_t len, size = (uint32_t)f->len;

    if (f->bad)
        return;
    if (child_shm && !child_overflowed) {
        len = __atomic_load_n(&child_shm->len, __ATOMIC_RELAXED);
        if (len + sizeof(size) + size <= SHM_ROOM) {
            memcpy(child_shm->data + len, &size, sizeof(size));
            memcpy(child_shm->data + len + sizeof(size), f->buf, size);
            __atomic_store_n(&child_shm->len, len + (uint32_t)sizeof(size) + size,
                             __ATOMIC_RELEASE);
            return;
        }
    }
    child_overflowed = 1;
    frame_send(CHILD_FD, f);
}

/* A frame of its own for a hook: hooks run on the plugin's threads too (under the report's
 * lock, so one at a time), and a frame is too large for their stacks. NULL: out of memory,
 * the record is not relayed. */
static struct frame *frame_new(enum frame_type t)
{
    struct frame *f = malloc(sizeof(*f));

    if (f)
        frame_start(f, t);
    return f;
}

static void emit_free(struct frame *f)
{
    emit(f);
    free(f);
}

static void send_check(void *ctx, const struct check_result *c)
{
    struct frame *f = frame_new(F_CHECK);

    (void)ctx;
    if (!f)
        return;
    put_str(f, c->name);
    put_str(f, c->target);
    put_i32(f, (int32_t)c->status);
    put_f64(f, c->duration);
    put_i32(f, c->has_value);
    put_f64(f, c->value);
    put_str(f, c->message);
    emit_free(f);
}

/* After the check's own frame, which the parent applied first: frames keep their order. */
static void send_hint(void *ctx, const struct check_result *c)
{
    struct frame *f = frame_new(F_HINT);

    (void)ctx;
    if (!f)
        return;
    put_str(f, c->name);
    put_str(f, c->target);
    put_str(f, c->hint);
    emit_free(f);
}

/* A notice for the parent's progress line, not a record: it goes over the socket at once (the
 * shared area is read only when the run ends), and the parent leaves the shared area alone for
 * it, so the records keep their order. */
static void send_phase(void *ctx, const char *phase)
{
    struct frame *f = frame_new(F_PHASE);

    (void)ctx;
    if (!f)
        return;
    put_str(f, phase);
    if (!f->bad)
        frame_send(CHILD_FD, f);
    free(f);
}

static void put_i64(struct frame *f, int64_t v)
{
    put(f, &v, sizeof(v));
}

static void send_event(void *ctx, const struct timeline_event *e)
{
    struct frame *f = frame_new(F_EVENT);

    (void)ctx;
    if (!f)
        return;
    put_i32(f, (int32_t)e->kind);
    put_i64(f, e->id);
    put_f64(f, e->start);
    put_f64(f, e->end);
    put_i32(f, e->ok);
    put_str(f, e->message);
    emit_free(f);
}

static void put_restore(struct frame *f, const struct pending_restore *p)
{
    put_str(f, p ? p->action : NULL);
    put_str(f, p ? p->command : NULL);
    put_f64(f, p ? p->timeout : 0);
    put_i32(f, p ? p->pgid : 0);
}

static void send_restore(void *ctx, const struct pending_restore *p)
{
    struct frame *f = frame_new(F_RESTORE);

    (void)ctx;
    if (!f)
        return;
    put_restore(f, p);
    emit_free(f);
}

static void send_metrics(const struct ip_report *rep, struct frame *f)
{
    for (size_t i = 0; i < rep->nmetrics; i++) {
        const struct metric_result *m = &rep->metrics[i];
        int32_t n = 0;

        while (m->labels && m->labels[n])
            n++;
        frame_start(f, F_METRIC);
        put_str(f, m->name);
        put_str(f, m->help);
        put_i32(f, (int32_t)m->type);
        put_str(f, m->target);
        put_f64(f, m->value);
        put_i32(f, n);
        for (int32_t j = 0; j < n; j++)
            put_str(f, m->labels[j]);
        emit(f);
    }
}

static const struct report_hooks child_hooks = {.check = send_check,
                                                .restore = send_restore,
                                                .event = send_event,
                                                .hint = send_hint,
                                                .phase = send_phase};

static atomic_int child_running; /* a run is in the plugin's hands */

/* A parent that dies in the middle of a run must not leave its child running a plugin for
 * ever. PR_SET_PDEATHSIG cannot tell: it fires when the *thread* that started the child ends,
 * and workers end whenever a stuck run is replaced. The socket's end is the parent's end. */
static void *watch_parent(void *arg)
{
    struct pollfd pfd = {.fd = CHILD_FD, .events = 0};

    (void)arg;
    for (;;) {
        if (poll(&pfd, 1, -1) < 0)
            continue;
        if (pfd.revents & (POLLHUP | POLLERR)) {
            if (atomic_load(&child_running))
                _exit(3);
            /* Between runs, the serving loop reads the end and tears down. */
            return NULL;
        }
    }
}

static void start_watcher(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, watch_parent, NULL) == 0)
        pthread_detach(t);
}

/* One run, as the parent asked for it in `f`. */
static int serve_run(const struct probe_conf *pc, struct frame *f)
{
    double deadline = get_f64(f);
    int drill = get_i32(f);
    int light = get_i32(f);
    char *run_id = get_str(f);
    double started = get_f64(f), wall = get_f64(f);
    struct ip_report *rep;

    child_overflowed = 0;
    if (f->bad || !run_id) {
        free(run_id);
        return -1;
    }
    /* The parent's id and times: the report that goes out is the parent's. */
    rep = probe_run_report(pc, deadline, drill, light, run_id);
    free(run_id);
    if (!rep)
        return -1;
    rep->started = started;
    rep->wall = wall;
    rep->hooks = &child_hooks;
    atomic_store(&child_running, 1);
    probe_run(pc, rep);
    atomic_store(&child_running, 0);
    send_metrics(rep, f);
    report_free(rep);
    frame_start(f, F_DONE);
    return frame_send(CHILD_FD, f);
}

int isolate_serve(struct conf *c, const char *probe)
{
    struct frame *f = malloc(sizeof(*f));
    const struct probe_conf *pc = NULL;
    int rc = 3;

    /* Our parent decides when we end: a terminal's ^C or systemd's SIGTERM goes to it. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    start_watcher();
    child_shm = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, CHILD_SHM_FD, 0);
    if (child_shm == MAP_FAILED)
        child_shm = NULL;
    for (size_t i = 0; i < c->nprobes; i++)
        if (strcmp(c->probes[i].name, probe) == 0 && c->probes[i].ready)
            pc = &c->probes[i];
    if (!f)
        return rc;
    frame_start(f, F_READY);
    put_i32(f, pc != NULL);
    if (frame_send(CHILD_FD, f) != 0 || !pc)
        goto out;
    for (;;) {
        int t = frame_recv(CHILD_FD, f);

        if (t < 0) {
            rc = 0; /* the parent closed: tear down and leave */
            break;
        }
        if (t != F_RUN || serve_run(pc, f) != 0)
            break;
    }
out:
    free(f);
    return rc;
}

/* ---- the parent ----------------------------------------------------------------------- */

static char **child_argv; /* exe, options..., "--run-probe", NULL (the name is added) */
static size_t child_argc;

int isolate_init(const char *exe, const char *const *argv)
{
    size_t n = 0;

    while (argv && argv[n])
        n++;
    child_argv = calloc(n + 4, sizeof(*child_argv));
    if (!child_argv)
        return -1;
    child_argv[child_argc++] = strdup(exe);
    for (size_t i = 0; i < n; i++)
        child_argv[child_argc++] = strdup(argv[i]);
    child_argv[child_argc++] = strdup("--run-probe");
    for (size_t i = 0; i < child_argc; i++)
        if (!child_argv[i])
            return -1;
    return 0;
}

void isolate_cleanup(void)
{
    for (size_t i = 0; child_argv && i < child_argc; i++)
        free(child_argv[i]);
    free(child_argv);
    child_argv = NULL;
    child_argc = 0;
}

struct child {
    const struct probe_conf *pc;
    pthread_mutex_t lock; /* pid and why, which child_kill() reads from another thread */
    pid_t pid;            /* 0: not running */
    int fd;
    int shm_fd; /* the shared area's memfd, kept across restarts; -1: none */
    struct shm *shm;
    char why[128]; /* set by child_kill(), or at the deadline */
    int killed;    /* child_kill() was called: this probe runs no more (sticky) */
    struct frame frame;
    struct frame shared; /* apply_shared()'s, apart from a socket frame being applied */
};

/* `fd` moved above the numbers a child's file actions write to (0..4), so that no dup2()
 * of one action overwrites the source of the next. */
static int high_fd(int fd)
{
    int n;

    if (fd < 0 || fd > CHILD_SHM_FD)
        return fd;
    n = fcntl(fd, F_DUPFD_CLOEXEC, CHILD_SHM_FD + 1);
    close(fd);
    return n;
}

struct child *child_new(const struct probe_conf *pc)
{
    struct child *ch = calloc(1, sizeof(*ch));

    if (!ch)
        return NULL;
    ch->pc = pc;
    ch->fd = -1;
    ch->shm_fd = high_fd(memfd_create("infraprobe-run", MFD_CLOEXEC));
    if (ch->shm_fd >= 0 && ftruncate(ch->shm_fd, SHM_SIZE) == 0)
        ch->shm = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ch->shm_fd, 0);
    if (ch->shm == MAP_FAILED)
        ch->shm = NULL;
    if (!ch->shm && ch->shm_fd >= 0) {
        /* Every frame goes over the socket then: slower, as sound. */
        close(ch->shm_fd);
        ch->shm_fd = -1;
    }
    pthread_mutex_init(&ch->lock, NULL);
    return ch;
}

static int spawn_child(struct child *ch, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    char *argv[child_argc + 2];
    int sv[2], rc;
    pid_t pid;

    if (!child_argv) {
        snprintf(err, errlen, "isolation is not initialised");
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    sv[0] = high_fd(sv[0]);
    sv[1] = high_fd(sv[1]);
    if (sv[0] < 0 || sv[1] < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        if (sv[0] >= 0)
            close(sv[0]);
        if (sv[1] >= 0)
            close(sv[1]);
        return -1;
    }
    /* Workers start children at once: each has its own argv. */
    memcpy(argv, child_argv, child_argc * sizeof(*argv));
    argv[child_argc] = (char *)ch->pc->name;
    argv[child_argc + 1] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, sv[1], CHILD_FD);
    if (ch->shm_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, ch->shm_fd, CHILD_SHM_FD);
    else
        posix_spawn_file_actions_addclose(&fa, CHILD_SHM_FD); /* never map a stray fd */
    /* A plugin that prints must not write into the report on our stdout. */
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    /* Its own process group: killed whole at its deadline, and out of the terminal's ^C. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        snprintf(err, errlen, "cannot start the probe's process: %s", strerror(rc));
        return -1;
    }
    pthread_mutex_lock(&ch->lock);
    ch->pid = pid;
    ch->fd = sv[0];
    if (ch->killed)
        kill(-pid, SIGKILL); /* an interrupt came while it was being started */
    else
        ch->why[0] = '\0';
    pthread_mutex_unlock(&ch->lock);
    return 0;
}

/* Wait for the child to end, by `deadline`, then kill it; its status. Its whole process group
 * goes too, killed while the child is a zombie still, so that its id cannot have been reused
 * by an unrelated group meanwhile. */
static int reap(struct child *ch, double deadline)
{
    struct pollfd pfd = {.events = POLLIN};
    siginfo_t info;
    int status = 0;
    pid_t pid = ch->pid;

    if (pid <= 0)
        return 0;
    /* A pidfd becomes readable the moment the child ends: no sleeping in slices. */
    pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        info.si_pid = 0;
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid)
            break;
        if (ip_clock() >= deadline)
            break;
        if (pfd.fd < 0 || poll(&pfd, 1, ip_deadline_ms(deadline)) < 0)
            poll(NULL, 0, 1);
    }
    if (pfd.fd >= 0)
        close(pfd.fd);
    kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&ch->lock);
    ch->pid = 0;
    pthread_mutex_unlock(&ch->lock);
    if (ch->fd >= 0)
        close(ch->fd);
    ch->fd = -1;
    return status;
}

static void kill_child(struct child *ch)
{
    pthread_mutex_lock(&ch->lock);
    if (ch->pid > 0)
        kill(-ch->pid, SIGKILL);
    pthread_mutex_unlock(&ch->lock);
}

void child_kill(struct child *ch, const char *why)
{
    if (!ch)
        return;
    pthread_mutex_lock(&ch->lock);
    snprintf(ch->why, sizeof(ch->why), "%s", why);
    ch->killed = 1;
    pthread_mutex_unlock(&ch->lock);
    kill_child(ch);
}

static void apply_check(struct ip_report *rep, struct frame *f)
{
    char *name = get_str(f), *target = get_str(f), *msg;
    int status = get_i32(f);
    double duration = get_f64(f);
    int has_value = get_i32(f);
    double value = get_f64(f);

    msg = get_str(f);
    if (!f->bad && name)
        report_add_check(rep, name, target, (enum ip_status)status, duration, has_value, value,
                         msg);
    free(name);
    free(target);
    free(msg);
}

static void apply_metric(struct ip_report *rep, struct frame *f)
{
    struct metric_result m = {0};
    int32_t n;

    m.name = get_str(f);
    m.help = get_str(f);
    m.type = (enum ip_metric_type)get_i32(f);
    m.target = get_str(f);
    m.value = get_f64(f);
    n = get_i32(f);
    if (n > 0 && n < 256 && (m.labels = calloc((size_t)n + 1, sizeof(*m.labels))))
        for (int32_t i = 0; i < n; i++)
            m.labels[i] = get_str(f);
    if (!f->bad && m.name)
        report_add_metric(rep, &m);
    free(m.name);
    free(m.help);
    free(m.target);
    for (int32_t i = 0; m.labels && i < n; i++)
        free(m.labels[i]);
    free(m.labels);
}

static void apply_event(struct ip_report *rep, struct frame *f)
{
    struct timeline_event e;

    e.kind = (enum timeline_kind)get_i32(f);
    e.id = get_i64(f);
    e.start = get_f64(f);
    e.end = get_f64(f);
    e.ok = get_i32(f);
    e.message = get_str(f);
    if (!f->bad && (unsigned)e.kind <= TL_KIND_MAX)
        report_add_event(rep, &e);
    free(e.message);
}

static void apply_hint(struct ip_report *rep, struct frame *f)
{
    char *name = get_str(f), *target = get_str(f), *hint = get_str(f);

    if (!f->bad && name && hint)
        report_set_hint(rep, name, target, hint);
    free(name);
    free(target);
    free(hint);
}

static void apply_phase(struct ip_report *rep, struct frame *f)
{
    char *phase = get_str(f);

    if (!f->bad && phase)
        report_phase(rep, phase);
    free(phase);
}

static void apply_restore(struct ip_report *rep, struct frame *f)
{
    struct pending_restore p;

    p.action = get_str(f);
    p.command = get_str(f);
    p.timeout = get_f64(f);
    p.pgid = get_i32(f);
    if (!f->bad)
        fault_owe(rep, &p);
    free(p.action);
    free(p.command);
}

/* The parent's copy of what the child recorded. */
static void apply_frame(struct ip_report *rep, struct frame *f, int type)
{
    switch (type) {
    case F_CHECK:
        apply_check(rep, f);
        break;
    case F_METRIC:
        apply_metric(rep, f);
        break;
    case F_EVENT:
        apply_event(rep, f);
        break;
    case F_RESTORE:
        apply_restore(rep, f);
        break;
    case F_HINT:
        apply_hint(rep, f);
        break;
    case F_PHASE:
        apply_phase(rep, f);
        break;
    }
}

/* What the run recorded in the shared area, into its report. */
static void apply_shared(struct child *ch, struct ip_report *rep)
{
    uint32_t len, off = 0, size;

    if (!ch->shm)
        return;
    len = __atomic_load_n(&ch->shm->len, __ATOMIC_ACQUIRE);
    if (len > SHM_ROOM)
        len = 0;
    while (off + sizeof(size) <= len) {
        memcpy(&size, ch->shm->data + off, sizeof(size));
        off += sizeof(size);
        if (size == 0 || size > FRAME_MAX || size > len - off)
            break;
        memcpy(ch->shared.buf, ch->shm->data + off, size);
        off += size;
        ch->shared.len = size;
        ch->shared.pos = 1;
        ch->shared.bad = 0;
        apply_frame(rep, &ch->shared, ch->shared.buf[0]);
    }
    __atomic_store_n(&ch->shm->len, 0, __ATOMIC_RELEASE);
}

/* Wait for a frame by `deadline`: its type, 0 at the deadline, -1 at the child's end. */
static int wait_frame(struct child *ch, double deadline)
{
    for (;;) {
        struct pollfd pfd = {.fd = ch->fd, .events = POLLIN};
        int n;

        if (ip_clock() >= deadline)
            return 0;
        n = poll(&pfd, 1, ip_deadline_ms(deadline));
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0)
            return frame_recv(ch->fd, &ch->frame);
    }
}

static int start(struct child *ch, double deadline, char *err, size_t errlen)
{
    int t;

    if (spawn_child(ch, err, errlen) != 0)
        return -1;
    t = wait_frame(ch, deadline);
    if (t == F_READY && get_i32(&ch->frame) == 1)
        return 0;
    kill_child(ch);
    reap(ch, deadline);
    snprintf(err, errlen, "%s",
             t == 0 ? "its process did not start by the deadline"
                    : "its process could not set it up (see the log)");
    return -1;
}

/* What ended the child, for the report. */
static void describe_end(struct child *ch, int status, char *out, size_t outlen)
{
    pthread_mutex_lock(&ch->lock);
    snprintf(out, outlen, "%s", ch->why);
    pthread_mutex_unlock(&ch->lock);
    if (*out)
        return;
    if (WIFSIGNALED(status))
        snprintf(out, outlen, "plugin %s crashed (SIG%s)", ch->pc->plugin->name,
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
    else
        snprintf(out, outlen, "plugin %s exited with status %d", ch->pc->plugin->name,
                 WEXITSTATUS(status));
}

/* Ask the child for one run: 0, or -1 when the socket failed. */
static int send_run(struct child *ch, const struct ip_report *rep)
{
    struct frame *f = &ch->frame;

    if (ch->shm)
        __atomic_store_n(&ch->shm->len, 0, __ATOMIC_RELEASE);
    frame_start(f, F_RUN);
    put_f64(f, rep->deadline);
    put_i32(f, rep->drill != NULL);
    /* A light run is one whose report skips what a light run skips. */
    put_i32(f, ch->pc->light_disabled && rep->disabled == ch->pc->light_disabled);
    put_str(f, rep->run_id);
    put_f64(f, rep->started);
    put_f64(f, rep->wall);
    return frame_send(ch->fd, f);
}

/* The run did not end with DONE (t: 0 at the deadline, -1 when the socket ended): the child
 * is killed if need be and reaped, and what it left is kept. */
static void run_lost(struct child *ch, struct ip_report *rep, double deadline, int t)
{
    char why[256];
    int status;

    if (t == 0) {
        pthread_mutex_lock(&ch->lock);
        if (!ch->why[0])
            snprintf(ch->why, sizeof(ch->why), "timed out after %.3f s", deadline - rep->started);
        pthread_mutex_unlock(&ch->lock);
        kill_child(ch);
    }
    /* The socket's end is the child's, or near enough: wait briefly, then make sure. */
    status = reap(ch, ip_clock() + 1.0);
    apply_shared(ch, rep);
    describe_end(ch, status, why, sizeof(why));
    report_run_check(rep, IP_UNKNOWN, "%s", why);
    fault_restore(rep, why);
    /* The child cannot clean up after itself any more: its plugin, here, can. */
    if (ch->pc->plugin->reclaim && ch->pc->ready)
        ch->pc->plugin->reclaim(ch->pc->state, rep);
}

void child_run(struct child *ch, struct ip_report *rep, double deadline)
{
    char why[256];
    int t;

    pthread_mutex_lock(&ch->lock);
    snprintf(why, sizeof(why), "%s", ch->killed ? ch->why : "");
    pthread_mutex_unlock(&ch->lock);
    if (*why || (ch->pid <= 0 && start(ch, deadline, why, sizeof(why)) != 0)) {
        report_run_check(rep, IP_UNKNOWN, "%s", why);
        return;
    }
    t = send_run(ch, rep) == 0 ? 1 : -1;
    while (t > 0 && (t = wait_frame(ch, deadline)) > 0 && t != F_DONE) {
        /* A record over the socket means the shared area filled: what it holds came first. */
        if (t != F_PHASE)
            apply_shared(ch, rep);
        apply_frame(rep, &ch->frame, t);
    }
    if (t == F_DONE)
        apply_shared(ch, rep);
    else
        run_lost(ch, rep, deadline, t);
}

void child_hangup(struct child *ch)
{
    /* Its end of the socket closes: it tears the probe down and exits. */
    if (ch && ch->pid > 0 && ch->fd >= 0)
        shutdown(ch->fd, SHUT_RDWR);
}

void child_rebind(struct child *ch, const struct probe_conf *pc)
{
    ch->pc = pc;
}

void child_free(struct child *ch, double deadline)
{
    if (!ch)
        return;
    if (ch->pid > 0) {
        child_hangup(ch);
        reap(ch, deadline);
    }
    if (ch->shm)
        munmap(ch->shm, SHM_SIZE);
    if (ch->shm_fd >= 0)
        close(ch->shm_fd);
    pthread_mutex_destroy(&ch->lock);
    free(ch);
}
