/* The fail-every-allocation hooks of the unit tests (nghttp2's test): a test executable
 * linked with -Wl,--wrap=malloc -Wl,--wrap=calloc includes this once; its own code and the
 * project's static libraries then allocate through these wrappers (shared libraries such as
 * OpenSSL, libsrtp and libcurl keep theirs). Set g_fail_at = n to make the n-th allocation
 * counted in g_allocs fail (0: none fails). */
#ifndef MBMSEC_TESTS_FAIL_ALLOC_H
#define MBMSEC_TESTS_FAIL_ALLOC_H
#include <stddef.h>

static long g_fail_at, g_allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_malloc(size_t n)
{
  return g_fail_at && ++g_allocs == g_fail_at ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
  return g_fail_at && ++g_allocs == g_fail_at ? NULL : __real_calloc(a, b);
}

#endif
