/* SPDX-License-Identifier: MIT */
/*
 * tests/codegen/stepcount.c - x86-64 only: run a program under ptrace,
 * single-step it, and count the barrier instructions it executes between
 * two addresses (the first time it reaches BEGIN, until it reaches END).
 *
 *   stepcount BEGIN END PROGRAM [ARGS...]     (addresses in hex; the
 *                                              program must not be PIE)
 * Prints one line: "insns=N full=F other=O" and exits with the program's
 * status (or 3 if it never reached both addresses).
 *
 * Full barrier: any lock-prefixed instruction, an xchg with a memory
 * operand (implicitly locked), mfence. Other: lfence, sfence.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

enum kind { NONE, FULL, OTHER };

static enum kind classify(const unsigned char *b)
{
    int i = 0;
    int lock = 0;
    for (;; i++) {
        unsigned char c = b[i];
        if (c == 0xf0)
            lock = 1;
        else if (c != 0xf2 && c != 0xf3 && c != 0x2e && c != 0x36 && c != 0x3e &&
                 c != 0x26 && c != 0x64 && c != 0x65 && c != 0x66 && c != 0x67)
            break;
    }
    if (lock)
        return FULL;
    if (b[i] >= 0x40 && b[i] <= 0x4f) /* REX */
        i++;
    if (b[i] == 0x0f && b[i + 1] == 0xae) {
        unsigned char m = b[i + 2];
        if (m >= 0xf0 && m <= 0xf7)
            return FULL; /* mfence */
        if (m >= 0xe8) /* lfence e8..ef, sfence f8..ff */
            return OTHER;
    }
    if ((b[i] == 0x86 || b[i] == 0x87) && (b[i + 1] >> 6) != 3)
        return FULL; /* xchg with memory */
    return NONE;
}

int main(int argc, char **argv)
{
    uintptr_t begin, end;
    unsigned long insns = 0, full = 0, other = 0;
    int counting = 0, done = 0, status;
    pid_t pid;
    if (argc < 4) {
        fprintf(stderr, "usage: stepcount BEGIN END PROGRAM [ARGS...]\n");
        return 2;
    }
    begin = (uintptr_t)strtoull(argv[1], NULL, 16);
    end = (uintptr_t)strtoull(argv[2], NULL, 16);
    pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
            perror("stepcount: PTRACE_TRACEME");
            _exit(126);
        }
        execv(argv[3], argv + 3);
        perror("stepcount: exec");
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
        fprintf(stderr, "stepcount: the child did not stop at exec\n");
        return 2;
    }
    for (;;) {
        struct user_regs_struct regs;
        if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) != 0) {
            perror("stepcount: PTRACE_GETREGS");
            return 2;
        }
        if (!counting && regs.rip == begin)
            counting = 1;
        else if (counting && regs.rip == end) {
            done = 1;
            break;
        }
        if (counting) {
            union {
                long w[2];
                unsigned char b[16];
            } code;
            errno = 0;
            code.w[0] = ptrace(PTRACE_PEEKTEXT, pid, (void *)regs.rip, NULL);
            code.w[1] = ptrace(PTRACE_PEEKTEXT, pid, (void *)(regs.rip + 8), NULL);
            if (errno) {
                perror("stepcount: PTRACE_PEEKTEXT");
                return 2;
            }
            insns++;
            switch (classify(code.b)) {
            case FULL: full++; break;
            case OTHER: other++; break;
            default: break;
            }
        }
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0) {
            perror("stepcount: PTRACE_SINGLESTEP");
            return 2;
        }
        if (waitpid(pid, &status, 0) != pid)
            return 2;
        if (WIFEXITED(status) || WIFSIGNALED(status))
            break;
    }
    if (done) {
        ptrace(PTRACE_CONT, pid, NULL, NULL);
        waitpid(pid, &status, 0);
    }
    printf("insns=%lu full=%lu other=%lu\n", insns, full, other);
    if (!done) {
        fprintf(stderr, "stepcount: never ran from 0x%lx to 0x%lx\n", (unsigned long)begin,
                (unsigned long)end);
        return 3;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
