/* Signals and the main loop of a daemon (mbmsec-bsf, mbmsec-bmsc): SIGTERM and SIGINT ask it
 * to stop, SIGPIPE is ignored (a client gone mid-answer is an error return, not a death). */
#ifndef MBMSEC_DAEMON_DAEMON_H
#define MBMSEC_DAEMON_DAEMON_H

#include "mbmsec/store.h"

/* Installs the handlers. Call before starting threads, so that they inherit the dispositions. */
void daemon_signals(void);
/* The stop signal received (SIGTERM or SIGINT), 0 while none. */
int daemon_stop_signal(void);

/* The main loop: until a stop signal, sleeps 100 ms and calls tick(user) (NULL: nothing).
 * Then logs "stopping" with the signal's name and returns the signal. */
int daemon_wait(void (*tick)(void *user), void *user);

/* One daemon per store: takes st's owner lock (mbmsec_store_owner_lock; the system releases it
 * when the process ends, kill -9 included) before the daemon listens or sends anything. On
 * failure logs why (for another running daemon: its pid) naming uri, and returns 1; else 0. */
int daemon_own_store(mbmsec_store *st, const char *uri);

#endif
