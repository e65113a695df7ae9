/*
 * The benchmark's TCP listeners: `listeners N` opens N listening sockets on 127.0.0.1 (ports
 * the kernel picks), prints their ports one a line, then accepts and closes every
 * connection until its stdin closes. One process and no dependency, so bench/run can point
 * infraprobe and check_tcp at the same listeners and stop them by one PID.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_one(int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    struct pollfd *pfd;
    long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    int rc = 1;

    if (n < 1 || n > 10000) {
        fprintf(stderr, "usage: listeners N (1..10000)\n");
        return 2;
    }
    /* pfd[0] is stdin: its end (EOF or hangup) is the signal to stop. */
    pfd = calloc((size_t)n + 1, sizeof(*pfd));
    if (!pfd) {
        fprintf(stderr, "listeners: out of memory\n");
        return 1;
    }
    for (long i = 1; i <= n; i++)
        pfd[i].fd = -1;
    pfd[0].fd = STDIN_FILENO;
    pfd[0].events = POLLIN;
    for (long i = 1; i <= n; i++) {
        int port;

        pfd[i].fd = listen_one(&port);
        pfd[i].events = POLLIN;
        if (pfd[i].fd < 0) {
            fprintf(stderr, "listeners: 127.0.0.1: %s\n", strerror(errno));
            goto out;
        }
        printf("%d\n", port);
    }
    if (fflush(stdout) != 0)
        goto out;
    for (;;) {
        if (poll(pfd, (nfds_t)n + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "listeners: poll: %s\n", strerror(errno));
            goto out;
        }
        if (pfd[0].revents) {
            char buf[256];
            ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));

            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                rc = 0;
                goto out;
            }
        }
        for (long i = 1; i <= n; i++) {
            int c;

            if (!pfd[i].revents)
                continue;
            while ((c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
                close(c);
        }
    }
out:
    for (long i = 1; i <= n; i++)
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
    free(pfd);
    return rc;
}
