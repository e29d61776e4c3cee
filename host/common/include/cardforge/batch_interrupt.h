/* Stopping a batch cleanly on SIGINT / SIGTERM: the signal only raises a flag; the batch finishes
 * the card it is on, reports where to resume ("--from N") and exits 128 + the signal's number
 * (130 for SIGINT, 143 for SIGTERM), as a shell reports a process the signal ended. */
#ifndef CARDFORGE_BATCH_INTERRUPT_H
#define CARDFORGE_BATCH_INTERRUPT_H

/* Catches SIGINT and SIGTERM until cf_batch_interrupt_disarm (system calls restart, so the card in
 * progress is finished); a signal that was ignored (nohup, a background job) stays ignored. Clears an
 * earlier request. */
void cf_batch_interrupt_arm(void);
/* Puts the previous handlers back. */
void cf_batch_interrupt_disarm(void);
/* The signal received since arming (SIGINT, SIGTERM), or 0. */
int cf_batch_interrupted(void);
/* The exit code for a batch stopped by signal sig: 128 + sig. */
int cf_batch_interrupt_exit_code(int sig);

#endif
