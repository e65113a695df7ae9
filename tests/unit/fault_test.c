/*
 * Unit tests of the drills' fault actions (core/fault.c) through the SDK a plugin uses:
 * ip_drill(), ip_fault_has() and ip_fault() on a report built the way core/runner.c builds
 * one for a drill run (report_new() and a struct drill). The commands are real /bin/sh
 * commands that write into the test's temp dir.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <infraprobe/plugin.h>

#include "report.h"

static char tmp[64];

/* A drill run's report of probe "db" whose only fault action "act" is `command`, each action
 * limited to `action_timeout` seconds. */
static struct fault_action action;
static struct drill drill;

static struct ip_report *drill_report(const char *command, double action_timeout)
{
    struct ip_report *rep = report_new("db", "test", ip_clock() + 30.0);

    ck_assert_ptr_nonnull(rep);
    action = (struct fault_action){.name = "act", .command = command};
    drill = (struct drill){
        .timeout = 20.0, .action_timeout = action_timeout, .actions = &action, .nactions = 1};
    rep->drill = &drill;
    return rep;
}

/* The file tmp/name, read whole (at most 4 KiB); "" when absent. */
static const char *slurp(const char *name)
{
    static char buf[4096];
    char path[128];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    buf[0] = '\0';
    if (!(f = fopen(path, "r")))
        return buf;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int exists(const char *name)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    return access(path, F_OK) == 0;
}

/* ---- drill or not ---------------------------------------------------------------------- */

START_TEST(not_a_drill)
{
    struct ip_report *rep = report_new("db", "test", ip_clock() + 30.0);
    double deadline = -1;
    char err[256] = "";

    ck_assert_ptr_nonnull(rep);
    ck_assert_int_eq(ip_drill(rep, &deadline), 0);
    ck_assert_msg(deadline == -1, "deadline set to %f outside a drill", deadline);
    ck_assert_int_eq(ip_fault_has(rep, "act"), 0);
    ck_assert_int_eq(ip_fault(rep, "act", NULL, err, sizeof(err)), IP_EINVAL);
    ck_assert_str_eq(err, "no fault action \"act\" in failover");
    report_free(rep);
}
END_TEST

START_TEST(drill_and_its_actions)
{
    struct ip_report *rep = drill_report("true", 1.0);
    double before = ip_clock(), deadline = 0;
    char err[256] = "";

    ck_assert_int_eq(ip_drill(rep, &deadline), 1);
    ck_assert_msg(deadline > before && deadline <= rep->deadline + drill.timeout,
                  "drill deadline %f: not after %f or past the run's %f + %f", deadline, before,
                  rep->deadline, drill.timeout);
    ck_assert_int_eq(ip_drill(rep, NULL), 1);
    ck_assert_int_eq(ip_fault_has(rep, "act"), 1);
    ck_assert_int_eq(ip_fault_has(rep, "stop"), 0);
    ck_assert_int_eq(ip_fault_has(rep, NULL), 0);
    ck_assert_int_eq(ip_fault(rep, "stop", NULL, err, sizeof(err)), IP_EINVAL);
    ck_assert_str_eq(err, "no fault action \"stop\" in failover");
    report_free(rep);
}
END_TEST

/* ---- the command ----------------------------------------------------------------------- */

/* Each value is one shell word, whatever it holds: nothing in it runs. */
START_TEST(values_are_quoted)
{
    static const char *const evil[] = {
        "it's",
        "a; touch injected1",
        "$(touch injected2)",
        "`touch injected3`",
        "' ; touch injected4 ; '",
        "\"$HOME\" && touch injected5 \\",
        "two\nlines | touch injected6",
    };
    char cmd[256], err[256], expected[512];

    for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
        const char *vars[] = {"master", evil[i], NULL};
        struct ip_report *rep;
        int rc;

        snprintf(cmd, sizeof(cmd), "cd %s && printf '[%%s]' %%{master} > out", tmp);
        rep = drill_report(cmd, 5.0);
        rc = ip_fault(rep, "act", vars, err, sizeof(err));
        ck_assert_msg(rc == 0, "%s: %d: %s", evil[i], rc, err);
        snprintf(expected, sizeof(expected), "[%s]", evil[i]);
        ck_assert_str_eq(slurp("out"), expected);
        report_free(rep);
    }
    for (int i = 1; i <= 6; i++) {
        char name[32];

        snprintf(name, sizeof(name), "injected%d", i);
        ck_assert_msg(!exists(name), "a value ran a command: %s/%s exists", tmp, name);
    }
}
END_TEST

START_TEST(placeholders)
{
    const char *vars[] = {"master", "127.0.0.1:6379", "replica", "127.0.0.1:6380", NULL};
    struct ip_report *rep;
    char cmd[256], err[256];
    int rc;

    /* %{probe} is the probe's name, %{NAME} a value of vars, %% a literal %. */
    snprintf(cmd, sizeof(cmd), "echo %%{probe} %%{replica} %%{master} 100%%%% > %s/out", tmp);
    rep = drill_report(cmd, 5.0);
    rc = ip_fault(rep, "act", vars, err, sizeof(err));
    ck_assert_msg(rc == 0, "%d: %s", rc, err);
    ck_assert_str_eq(slurp("out"), "db 127.0.0.1:6380 127.0.0.1:6379 100%\n");
    report_free(rep);
}
END_TEST

/* A placeholder nobody gave: nothing runs, and err names it. */
START_TEST(unknown_placeholder)
{
    const char *vars[] = {"master", "127.0.0.1:6379", NULL};
    struct ip_report *rep;
    char cmd[256], err[256] = "";
    int rc;

    snprintf(cmd, sizeof(cmd), "touch %s/ran; echo %%{leader}", tmp);
    rep = drill_report(cmd, 5.0);
    rc = ip_fault(rep, "act", vars, err, sizeof(err));
    ck_assert_msg(rc == IP_EINVAL, "%d, expected IP_EINVAL: %s", rc, err);
    ck_assert_msg(strstr(err, "unknown placeholder %{leader}"), "err: \"%s\"", err);
    ck_assert_msg(!exists("ran"), "the command ran despite its unknown placeholder");
    report_free(rep);
}
END_TEST

/* ---- how it ended ---------------------------------------------------------------------- */

START_TEST(success_gives_the_last_line)
{
    struct ip_report *rep = drill_report("echo starting; echo 'master is up'; echo", 5.0);
    char err[256] = "";
    int rc = ip_fault(rep, "act", NULL, err, sizeof(err));

    ck_assert_msg(rc == 0, "%d: %s", rc, err);
    ck_assert_str_eq(err, "master is up");
    report_free(rep);
}
END_TEST

START_TEST(exit_status_and_last_stderr_line)
{
    struct ip_report *rep =
        drill_report("echo noise; echo 'first words' >&2; echo 'last words' >&2; exit 3", 5.0);
    char err[256] = "";
    int rc = ip_fault(rep, "act", NULL, err, sizeof(err));

    ck_assert_msg(rc == IP_EACTION, "%d, expected IP_EACTION: %s", rc, err);
    ck_assert_str_eq(err, "act: exit status 3: last words");
    report_free(rep);
}
END_TEST

START_TEST(killed_by_a_signal)
{
    struct ip_report *rep = drill_report("echo dying >&2; kill -9 $$", 5.0);
    char err[256] = "";
    int rc = ip_fault(rep, "act", NULL, err, sizeof(err));

    ck_assert_msg(rc == IP_EACTION, "%d, expected IP_EACTION: %s", rc, err);
    ck_assert_str_eq(err, "act: killed by signal 9: dying");
    report_free(rep);
}
END_TEST

/* A command that overruns action_timeout is killed, and with it everything it started: here a
 * background sleep that outlives the shell and holds its output open. The test process is the
 * orphans' reaper, so that it can see how the sleep ended. The 1 s leaves a loaded machine
 * the time to start the shell and have it write its line. */
START_TEST(timeout_kills_the_process_group)
{
    struct ip_report *rep;
    char cmd[256], err[256] = "";
    int rc, status;
    pid_t bg;

    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    snprintf(cmd, sizeof(cmd), "sleep 60 & echo $! > %s/bg; echo 'still going' >&2", tmp);
    rep = drill_report(cmd, 1.0);
    rc = ip_fault(rep, "act", NULL, err, sizeof(err));
    ck_assert_msg(rc == IP_EACTION, "%d, expected IP_EACTION: %s", rc, err);
    ck_assert_str_eq(err, "act: timed out after 1.000 s: still going");
    bg = (pid_t)atoi(slurp("bg"));
    ck_assert_msg(bg > 0, "no pid in %s/bg: \"%s\"", tmp, slurp("bg"));
    /* Were it not killed, this would wait for the sleep's 60 s and see it exit 0. */
    ck_assert_int_eq(waitpid(bg, &status, 0), bg);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the background sleep was not killed: status 0x%x", status);
    report_free(rep);

    /* A command that itself runs on. */
    rep = drill_report("echo waiting; sleep 60", 1.0);
    rc = ip_fault(rep, "act", NULL, err, sizeof(err));
    ck_assert_msg(rc == IP_EACTION, "%d, expected IP_EACTION: %s", rc, err);
    ck_assert_str_eq(err, "act: timed out after 1.000 s: waiting");
    report_free(rep);
}
END_TEST

/* The command's output goes to ip_fault() only, and it reads nothing of ours. */
START_TEST(output_never_reaches_ours)
{
    struct ip_report *rep = drill_report("cat; echo to-stdout; echo to-stderr >&2", 5.0);
    char path[128], err[256] = "";
    int fd, saved_out, saved_err, saved_in, p[2], rc;

    /* Our stdout and stderr into a file, our stdin a pipe that never ends. */
    snprintf(path, sizeof(path), "%s/ours", tmp);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pipe(p), 0);
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(1);
    saved_err = dup(2);
    saved_in = dup(0);
    dup2(fd, 1);
    dup2(fd, 2);
    dup2(p[0], 0);
    rc = ip_fault(rep, "act", NULL, err, sizeof(err));
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    dup2(saved_in, 0);
    close(fd);
    close(p[0]);
    close(p[1]);
    ck_assert_msg(rc == 0, "%d: %s (cat read our stdin?)", rc, err);
    ck_assert_str_eq(err, "to-stderr");
    ck_assert_str_eq(slurp("ours"), "");
    report_free(rep);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fault");
    TCase *tc = tcase_create("fault");
    SRunner *sr;
    int failed;

    snprintf(tmp, sizeof(tmp), "/tmp/infraprobe-fault-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("fault_test: mkdtemp");
        return EXIT_FAILURE;
    }
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, not_a_drill);
    tcase_add_test(tc, drill_and_its_actions);
    tcase_add_test(tc, values_are_quoted);
    tcase_add_test(tc, placeholders);
    tcase_add_test(tc, unknown_placeholder);
    tcase_add_test(tc, success_gives_the_last_line);
    tcase_add_test(tc, exit_status_and_last_stderr_line);
    tcase_add_test(tc, killed_by_a_signal);
    tcase_add_test(tc, timeout_kills_the_process_group);
    tcase_add_test(tc, output_never_reaches_ours);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* The subreaper and the redirections must stay in the test's own process. */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            failed++;
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
