/*
 * test.h - a minimal unit-test harness.  Each test file defines tests with
 * TEST(name) and lists them in main() with RUN(name); CHECK() records a
 * failure with file:line and goes on; main() returns test_summary(), which
 * prints "N passed, N failed" and is non-zero on any failure.
 */
#ifndef MAMORI_TEST_H
#define MAMORI_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failed_checks;
static int test_passed, test_failed;

#define TEST(name) static void name(void)

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		test_failed_checks++;					\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_) {							\
		fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",	\
		    __FILE__, __LINE__, #a, a_, b_);			\
		test_failed_checks++;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {		\
		fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",\
		    __FILE__, __LINE__, #a, a_ ? a_ : "(null)",		\
		    b_ ? b_ : "(null)");				\
		test_failed_checks++;					\
	}								\
} while (0)

/* Compares a (pointer, length) slice with a C string. */
#define CHECK_MEM(p, len, s) do {					\
	const char *s_ = (s);						\
	size_t l_ = (size_t)(len);					\
	if (l_ != strlen(s_) || memcmp((p), s_, l_) != 0) {		\
		fprintf(stderr, "%s:%d: %s == \"%.*s\", expected \"%s\"\n",\
		    __FILE__, __LINE__, #p, (int)l_, (const char *)(p), s_);\
		test_failed_checks++;					\
	}								\
} while (0)

#define RUN(name) do {							\
	int before_ = test_failed_checks;				\
	name();								\
	if (test_failed_checks == before_) {				\
		test_passed++;						\
	} else {							\
		test_failed++;						\
		fprintf(stderr, "FAIL %s\n", #name);			\
	}								\
} while (0)

static inline int
test_summary(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed != 0;
}

#endif
