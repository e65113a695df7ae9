/*
 * The progress line (progress.h). One line, rewritten in place with a carriage return and an
 * erase to its end; under TERM=dumb, which knows no escape sequence, the rest of the old line
 * is overwritten with spaces instead. Cut to the terminal's width, so that it never wraps
 * (a wrapped line could not be rewritten). Probe names are the configuration's, but a control
 * character in one still never reaches the terminal.
 */
#include "config.h"

#include "progress.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *const progress_colours[] = {
    [IP_OK] = "\033[32m",      [IP_WARNING] = "\033[33m", [IP_CRITICAL] = "\033[31m",
    [IP_UNKNOWN] = "\033[35m", [IP_SKIPPED] = "\033[2m",
};

struct progress {
    FILE *out;
    pthread_mutex_t lock;
    size_t total, done;
    int colour;     /* not under NO_COLOR or TERM=dumb */
    int escapes;    /* not under TERM=dumb */
    size_t columns; /* the terminal's width */
    size_t shown;   /* the columns the line on screen takes */
    char last[128]; /* the probe that finished last, and its status */
    enum ip_status last_status;
    char drill[192]; /* "PROBE: PHASE" of the drill that moved last; "" none */
    int ended;       /* erased: nothing more is drawn */
};

static int progress_dumb(void)
{
    const char *term = getenv("TERM");

    return term && strcmp(term, "dumb") == 0;
}

struct progress *progress_new(FILE *out, size_t total)
{
    const char *no = getenv("NO_COLOR");
    struct winsize ws;
    struct progress *p;

    if (!out || !isatty(fileno(out)) || !(p = calloc(1, sizeof(*p))))
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->out = out;
    p->total = total;
    p->escapes = !progress_dumb();
    p->colour = p->escapes && !(no && *no);
    /* The last column left empty: some terminals wrap on writing it. */
    p->columns = ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 79;
    return p;
}

/* Copy `s` into buf (of len) without control characters. */
static void progress_clean(char *buf, size_t len, const char *s)
{
    size_t i = 0;

    for (; s && *s && i + 1 < len; s++)
        buf[i++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    buf[i] = '\0';
}

/* The columns `s` takes (UTF-8 continuation bytes take none), and the byte at which it must
 * be cut to take at most `max`. */
static size_t progress_cut(const char *s, size_t max, size_t *cols)
{
    size_t i, n = 0;

    for (i = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) == 0x80)
            continue;
        if (n == max)
            break;
        n++;
    }
    *cols = n;
    return i;
}

/* Write `s` cut to the columns left of *room; takes them from *room. Returns the columns. */
static size_t progress_put(struct progress *p, const char *s, size_t *room)
{
    size_t cols, len = progress_cut(s, *room, &cols);

    fwrite(s, 1, len, p->out);
    *room -= cols;
    return cols;
}

/* Rewrite the line; under p->lock. The last probe's status is coloured when it fits whole. */
static void progress_draw(struct progress *p)
{
    char head[64], last[160], drill[224];
    const char *status = ip_status_name(p->last_status);
    size_t room = p->columns, cols = 0, n;

    if (p->ended)
        return;
    snprintf(head, sizeof(head), "infraprobe: %zu/%zu done", p->done, p->total);
    snprintf(last, sizeof(last), "%s%s ", p->last[0] ? " \xc2\xb7 " : "", p->last);
    snprintf(drill, sizeof(drill), "%s%s", p->drill[0] ? " \xc2\xb7 drill " : "", p->drill);
    fputc('\r', p->out);
    cols += progress_put(p, head, &room);
    if (p->last[0]) {
        cols += progress_put(p, last, &room);
        int coloured;

        progress_cut(status, SIZE_MAX, &n);
        coloured = p->colour && n <= room;
        if (coloured)
            fputs(progress_colours[p->last_status], p->out);
        cols += progress_put(p, status, &room);
        if (coloured)
            fputs("\033[0m", p->out);
    }
    cols += progress_put(p, drill, &room);
    if (p->escapes)
        fputs("\033[K", p->out);
    else
        for (n = cols; n < p->shown; n++)
            fputc(' ', p->out);
    p->shown = cols;
    fflush(p->out);
}

void progress_probe_done(struct progress *p, const char *probe, enum ip_status status)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->done++;
    progress_clean(p->last, sizeof(p->last), probe);
    p->last_status = (unsigned)status <= IP_SKIPPED ? status : IP_UNKNOWN;
    /* That probe's drill, if it had one, is over. */
    if (p->drill[0] && strncmp(p->drill, p->last, strlen(p->last)) == 0 &&
        p->drill[strlen(p->last)] == ':')
        p->drill[0] = '\0';
    progress_draw(p);
    pthread_mutex_unlock(&p->lock);
}

void progress_phase(void *ctx, const char *probe, const char *phase)
{
    struct progress *p = ctx;
    char name[128], what[32];

    if (!p)
        return;
    progress_clean(name, sizeof(name), probe);
    progress_clean(what, sizeof(what), phase);
    pthread_mutex_lock(&p->lock);
    snprintf(p->drill, sizeof(p->drill), "%s: %s", name, what);
    progress_draw(p);
    pthread_mutex_unlock(&p->lock);
}

void progress_end(struct progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->shown && !p->ended) {
        fputc('\r', p->out);
        if (p->escapes)
            fputs("\033[K", p->out);
        else {
            for (size_t n = 0; n < p->shown; n++)
                fputc(' ', p->out);
            fputc('\r', p->out);
        }
        fflush(p->out);
    }
    p->ended = 1;
    pthread_mutex_unlock(&p->lock);
}

void progress_free(struct progress *p)
{
    if (!p)
        return;
    progress_end(p);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
