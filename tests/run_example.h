/* SPDX-License-Identifier: MIT */
/*
 * tests/run_example.h - integration tests run an example program and look
 * at its exit status, its demo-table rows and its diagnostics.
 *
 * The example binary is found next to the test's own build directory:
 * BUILD/CC/test_x runs BUILD/examples/NAME (the Makefile builds it first).
 * Needs _GNU_SOURCE defined before any system header.
 */
#ifndef ODMA_TEST_RUN_EXAMPLE_H
#define ODMA_TEST_RUN_EXAMPLE_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct example_run {
    int status;       /* exit status; 128 + signal if it was killed */
    char out[16384];  /* stdout */
    char err[16384];  /* stderr */
};

struct example_row {
    char example[32], policy[32], verdict[16];
    unsigned long items, errors;
    double rate;
};

/* BUILD/examples/NAME, from /proc/self/exe = BUILD/CC/test_x. */
static inline int example_path(const char *name, char *path, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash;
    int i;
    if (len <= 0)
        return -1;
    self[len] = '\0';
    for (i = 0; i < 2; i++) { /* strip test_x, then CC */
        slash = strrchr(self, '/');
        if (!slash)
            return -1;
        *slash = '\0';
    }
    return snprintf(path, n, "%s/examples/%s", self, name) < (int)n ? 0 : -1;
}

static inline void example_slurp(FILE *f, char *buf, size_t n)
{
    size_t got;
    rewind(f);
    got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
}

/*
 * Run BUILD/examples/NAME with argv (NULL-terminated, argv[0] included).
 * If kvm_dev is not NULL, ODMA_KVM_DEV is set to it in the child.
 * Returns 0 if it ran (r->status says how it ended), -1 otherwise.
 */
static inline int example_run(struct example_run *r, const char *name, char *const argv[],
                              const char *kvm_dev)
{
    char path[PATH_MAX];
    FILE *out = tmpfile(), *err = tmpfile();
    pid_t pid;
    int st;
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (!out || !err || example_path(name, path, sizeof path) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (kvm_dev)
            setenv("ODMA_KVM_DEV", kvm_dev, 1);
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execv(path, argv);
        fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
        _exit(126);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    example_slurp(out, r->out, sizeof r->out);
    example_slurp(err, r->err, sizeof r->err);
    fclose(out);
    fclose(err);
    if (r->err[0]) /* show the example's diagnostics with the test's */
        fprintf(stderr, "[%s stderr] %s", name, r->err);
    return 0;
}

/* The demo-table rows of its stdout (the header is not a row). */
static inline int example_rows(const struct example_run *r, struct example_row *rows, int max)
{
    const char *line = r->out;
    int n = 0;
    while (*line && n < max) {
        struct example_row x;
        const char *end = strchr(line, '\n');
        if (sscanf(line, "%31s %31s %lu %lu %lf %15s", x.example, x.policy, &x.items,
                   &x.errors, &x.rate, x.verdict) == 6)
            rows[n++] = x;
        if (!end)
            break;
        line = end + 1;
    }
    return n;
}

static inline int example_lines(const struct example_run *r)
{
    const char *p;
    int n = 0;
    for (p = r->out; *p; p++)
        n += *p == '\n';
    return n;
}

#endif
