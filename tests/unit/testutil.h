/* Helpers the unit tests share: temporary config files, captured stderr, running a suite. */
#ifndef IP_TESTS_TESTUTIL_H
#define IP_TESTS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write `text` to a new temporary file; returns its path (static buffer per call site). */
static inline char *write_temp(const char *text)
{
    char *path = strdup("/tmp/infraprobe-test-XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

struct capture {
    int saved;
    FILE *tmp;
};

static inline void capture_start(struct capture *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    ck_assert_ptr_nonnull(c->tmp);
    c->saved = dup(STDERR_FILENO);
    dup2(fileno(c->tmp), STDERR_FILENO);
}

/* What was written to stderr since capture_start(); the caller frees it. */
static inline char *capture_end(struct capture *c)
{
    long n;
    char *buf;

    fflush(stderr);
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    n = ftell(c->tmp);
    buf = calloc(1, (size_t)n + 1);
    rewind(c->tmp);
    if (n > 0 && fread(buf, 1, (size_t)n, c->tmp) != (size_t)n)
        buf[0] = '\0';
    fclose(c->tmp);
    return buf;
}

static inline int count_lines(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Run the tests of one test case, named `name`, in a suite of the same name: what main()
 * returns. */
static inline int run_tests(const char *name, const TTest *const *t, size_t n)
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create(name);
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    for (size_t i = 0; i < n; i++)
        tcase_add_test(tc, t[i]);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
