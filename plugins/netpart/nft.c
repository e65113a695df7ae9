/*
 * Partitions in this host's kernel through libnftables: a table of the probe's own
 * ("inet infraprobe_netpart_PROBE") whose output chain drops (a blackhole) or rejects with a
 * TCP reset (a refusal) what goes to a target's addresses and port. The table is made at the
 * start of a run (a stale one, left by a run that was killed, is deleted first), its chain
 * flushed at each heal, and the table deleted at the end of the run. Netlink talks to the
 * kernel only: nothing here waits on the network.
 */
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netpart_plugin.h"

/* Is CAP_NET_ADMIN in our effective set? Asked first: without it libnftables would only say
 * "Operation not permitted", and on our stderr too. */
static int nft_have_cap(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2] = {{0}};

    if (syscall(SYS_capget, &h, d) != 0)
        return 1; /* cannot tell: let the kernel say */
    return (d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

/* Run `cmd`; 0, or -1 with libnftables' own words in err. */
static int nft_cmd(const char *cmd, char *err, size_t errlen)
{
    struct nft_ctx *ctx;
    int rc;

    if (!nft_have_cap()) {
        snprintf(err, errlen,
                 "nftables: this process lacks CAP_NET_ADMIN, which netpart's nftables method "
                 "needs (run as root, or grant it: AmbientCapabilities=CAP_NET_ADMIN)");
        return -1;
    }
    if (!(ctx = nft_ctx_new(NFT_CTX_DEFAULT))) {
        snprintf(err, errlen, "nftables: out of memory");
        return -1;
    }
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    rc = nft_run_cmd_from_buffer(ctx, cmd);
    if (rc != 0) {
        const char *e = nft_ctx_get_error_buffer(ctx);
        size_t n = e ? strcspn(e, "\n") : 0;

        snprintf(err, errlen, "nftables: %.*s", (int)n, e && n ? e : "failed");
    }
    nft_ctx_free(ctx);
    return rc == 0 ? 0 : -1;
}

void nft_table_name(const char *probe, char *out, size_t outlen)
{
    size_t n = (size_t)snprintf(out, outlen, "infraprobe_netpart_");

    for (const char *p = probe; *p && n + 1 < outlen; p++)
        out[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                       ? *p
                       : '_';
    out[n] = '\0';
}

int nft_begin(const char *table, char *err, size_t errlen)
{
    char cmd[512], why[512];

    /* A table of ours from a run that was killed: its rules must not outlive it. Deleting one
     * that is not there fails, which is no error here; but a refusal to list is. */
    snprintf(cmd, sizeof(cmd), "list tables");
    if (nft_cmd(cmd, err, errlen) != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "delete table inet %s", table);
    nft_cmd(cmd, why, sizeof(why));
    snprintf(cmd, sizeof(cmd),
             "add table inet %s\n"
             "add chain inet %s out { type filter hook output priority 0; policy accept; }\n",
             table, table);
    return nft_cmd(cmd, err, errlen);
}

int nft_partition(const char *table, char (*addrs)[IP_ADDRSTRLEN], int n, int port,
                  enum netpart_mode mode, char *err, size_t errlen)
{
    const char *verdict = mode == NETPART_REJECT ? "reject with tcp reset" : "drop";
    char cmd[4096];
    size_t len = 0;

    for (int i = 0; i < n && len < sizeof(cmd); i++)
        len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
                                "add rule inet %s out %s daddr %s tcp dport %d counter %s\n", table,
                                strchr(addrs[i], ':') ? "ip6" : "ip", addrs[i], port, verdict);
    if (len >= sizeof(cmd)) {
        snprintf(err, errlen, "nftables: too many addresses");
        return -1;
    }
    return nft_cmd(cmd, err, errlen);
}

int nft_heal(const char *table, char *err, size_t errlen)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "flush chain inet %s out", table);
    return nft_cmd(cmd, err, errlen);
}

int nft_end(const char *table, char *err, size_t errlen)
{
    char cmd[300];

    snprintf(cmd, sizeof(cmd), "delete table inet %s", table);
    return nft_cmd(cmd, err, errlen);
}
