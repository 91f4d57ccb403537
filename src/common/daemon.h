/* Signals and the main loop of a daemon (mbmsec-bsf, mbmsec-bmsc): SIGTERM and SIGINT ask it
 * to stop, SIGPIPE is ignored (a client gone mid-answer is an error return, not a death). */
#ifndef MBMSEC_DAEMON_DAEMON_H
#define MBMSEC_DAEMON_DAEMON_H

/* Installs the handlers. Call before starting threads, so that they inherit the dispositions. */
void daemon_signals(void);
/* The stop signal received (SIGTERM or SIGINT), 0 while none. */
int daemon_stop_signal(void);

/* The main loop: until a stop signal, sleeps 100 ms and calls tick(user) (NULL: nothing).
 * Then logs "stopping" with the signal's name and returns the signal. */
int daemon_wait(void (*tick)(void *user), void *user);

#endif
