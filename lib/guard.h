/* Internal: one-line error paths (after s2n-tls). Not installed. */
#ifndef MBMSEC_GUARD_H
#define MBMSEC_GUARD_H
#include "mbmsec/error.h"

/* Return the error of a call that failed. */
#define GUARD(expr)                               \
  do {                                            \
    mbmsec_err guard_rc_ = (expr);                \
    if (guard_rc_ != MBMSEC_OK) return guard_rc_; \
  } while (0)
/* Return code when a condition does not hold. */
#define ENSURE(cond, code)      \
  do {                          \
    if (!(cond)) return (code); \
  } while (0)
/* Same, but jump to the function's cleanup label `out` with rc set. */
#define GUARD_OUT(expr)            \
  do {                             \
    rc = (expr);                   \
    if (rc != MBMSEC_OK) goto out; \
  } while (0)
#define ENSURE_OUT(cond, code) \
  do {                         \
    if (!(cond)) {             \
      rc = (code);             \
      goto out;                \
    }                          \
  } while (0)

#endif
