/* Signals and the main loop of a daemon. */
#include "daemon.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

void daemon_signals(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int daemon_stop_signal(void) { return stop_signal; }

int daemon_wait(void (*tick)(void *user), void *user)
{
  while (!stop_signal) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (tick) tick(user);
  }
  const int sig = stop_signal;
  dlog(DLOG_INFO, "stopping", "signal", sig == SIGTERM ? "TERM" : "INT", NULL);
  return sig;
}

int daemon_own_store(mbmsec_store *st, const char *uri)
{
  long owner = 0;
  const mbmsec_err rc = mbmsec_store_owner_lock(st, &owner);
  if (rc == MBMSEC_OK) return 0;
  char pid[24];
  snprintf(pid, sizeof pid, "%ld", owner);
  dlog(DLOG_ERROR,
       rc == MBMSEC_ERR_STORE_OWNED ? "the store is in use by another running daemon: stop it first"
                                    : "cannot take the store's owner lock",
       "store", uri, "owner_pid", pid, "code", mbmsec_errname(rc), NULL);
  return 1;
}
