/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/replay.c - run fuzz inputs without libFuzzer.
 *
 *   replay FILE|DIR...
 *
 * Feeds every file (a directory: every regular file in it) once to
 * LLVMFuzzerTestOneInput. Used to replay the corpus with gcc's sanitizers
 * and to measure line coverage with clang's -fprofile-instr-generate.
 * A failed check aborts, as under libFuzzer.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long runs;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    buf = (unsigned char *)malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    runs++;
}

static void run_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: not found\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(2);
    }
    while ((e = readdir(d)) != NULL) {
        char sub[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (stat(sub, &st) == 0 && S_ISREG(st.st_mode))
            run_file(sub);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++)
        run_path(argv[i]);
    printf("replay: %lu inputs, all checks passed\n", runs);
    return 0;
}
