/* SIGINT / SIGTERM as a request to stop a batch between two cards
 * (host/common/include/cardforge/batch_interrupt.h). */
#include "cardforge/batch_interrupt.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Set by the handler, read by a batch's worker threads: a lock-free atomic is both safe in a signal
 * handler and seen across threads (volatile sig_atomic_t is only the former). */
static atomic_int requested;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs a lock-free int");
static struct sigaction old_int, old_term;
static bool armed;

static void note_signal(int sig) {
  atomic_store(&requested, sig);
}

void cf_batch_interrupt_arm(void) {
  struct sigaction sa = {0};
  sa.sa_handler = note_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  atomic_store(&requested, 0);
  if (armed) return;
  sigaction(SIGINT, NULL, &old_int);
  sigaction(SIGTERM, NULL, &old_term);
  /* a signal the caller chose to ignore (nohup, a shell's background job) stays ignored */
  if (old_int.sa_handler != SIG_IGN) sigaction(SIGINT, &sa, NULL);
  if (old_term.sa_handler != SIG_IGN) sigaction(SIGTERM, &sa, NULL);
  armed = true;
}

void cf_batch_interrupt_disarm(void) {
  if (!armed) return;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  armed = false;
}

int cf_batch_interrupted(void) {
  return atomic_load(&requested);
}

int cf_batch_interrupt_exit_code(int sig) {
  return 128 + sig;
}
