/* Interrupts (Ctrl-C) for long engine calls.
 *
 * A process-wide counter, fnn_sigint_count, is bumped by a SIGINT hook that the
 * bindings install around an engine call (fnn_sigint_hook_enter/exit, reference
 * counted; the caller serialises them, e.g. under Python's GIL). The hook chains to the
 * handler that was there before it (Python's, which then raises KeyboardInterrupt when
 * the call returns), so nothing else changes. An engine loop given a baseline `sig0`
 * (the count when the call began) stops at its next step or block boundary once the
 * count differs; FNN_NO_INTERRUPT as the baseline means "never stop". The boundary is a
 * consistent point: every step before it is complete, none after it has begun.
 */
#ifndef FNN_INTERRUPT_H
#define FNN_INTERRUPT_H

#define FNN_NO_INTERRUPT (-1L)

/* The count now (what an engine call takes as sig0). */
long fnn_sigint_now(void);

/* Non-zero once a SIGINT arrived after the baseline sig0 (0 for FNN_NO_INTERRUPT). */
int fnn_interrupted(long sig0);

/* Install the hook (the first of nested enters) / remove it (the last exit), chaining
 * to and then restoring whatever SIGINT handler was installed at the first enter.
 * Returns 0, or -1 where signals cannot be hooked (the caller passes FNN_NO_INTERRUPT). */
int fnn_sigint_hook_enter(void);
void fnn_sigint_hook_exit(void);

/* Test hook: act as if a SIGINT had arrived (bumps the count, calls nothing). */
void fnn_sigint_simulate(void);
#endif
