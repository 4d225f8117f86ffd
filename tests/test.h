/*
 * tests/test.h - Kiln's tiny unit-test framework.
 *
 *   #include "test.h"
 *   TEST(arena_grows) { CHECK(x == 1); CHECK_INT(a, b); CHECK_STR(s, "x"); }
 *
 * Each test binary links tests/test_main.c, which runs every TEST in its own
 * child process with a timeout (10 s, TEST_TIMEOUT env overrides), prints
 * "ok - NAME" or "not ok - NAME" per test and a last line
 * "N passed, N failed". A failing CHECK prints file:line and the values, then
 * ends the child. `binary NAME...` runs only the named tests; `--list` lists.
 */
#ifndef KILN_TEST_H
#define KILN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
/** Registers a test; called by the TEST macro before main. */
void test_register(const char *name, test_fn fn);
/** Reports a failed check and ends the test. */
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/** Directory of ../shared/conformance (KILN_CONFORMANCE env or default). */
const char *test_conformance_dir(void);

#define TEST(name)                                                             \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void test_reg_##name(void)             \
    {                                                                          \
        test_register(#name, test_##name);                                     \
    }                                                                          \
    static void test_##name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                 \
    } while (0)

#define CHECK_INT(a, b)                                                        \
    do {                                                                       \
        long long test_a_ = (long long)(a), test_b_ = (long long)(b);          \
        if (test_a_ != test_b_)                                                \
            test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld",   \
                      #a, test_a_, #b, test_b_);                               \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *test_a_ = (a), *test_b_ = (b);                             \
        if (!test_a_ || !test_b_ || strcmp(test_a_, test_b_) != 0)             \
            test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
                      test_a_ ? test_a_ : "(null)",                            \
                      test_b_ ? test_b_ : "(null)");                           \
    } while (0)

/* Compares a kiln_str (or any {p, n}) with a C string. */
#define CHECK_VIEW(v, s)                                                       \
    do {                                                                       \
        const char *test_s_ = (s);                                             \
        size_t test_n_ = strlen(test_s_);                                      \
        if ((v).n != test_n_ || memcmp((v).p, test_s_, test_n_) != 0)          \
            test_fail(__FILE__, __LINE__, "%s == \"%.*s\", expected \"%s\"",   \
                      #v, (int)(v).n, (v).p ? (v).p : "", test_s_);            \
    } while (0)

#endif
