/* SIGINT hook for long engine calls (contract in interrupt.h). */
#define _XOPEN_SOURCE 700
#include <signal.h>
#include <errno.h>
#include <string.h>
#include "interrupt.h"

/* Bumped only by the handler (and the test hook); read by the engine's loops. */
static volatile sig_atomic_t fnn_sigint_counter = 0;

long fnn_sigint_now(void) { return (long)fnn_sigint_counter; }

int fnn_interrupted(long sig0)
{
    return sig0 != FNN_NO_INTERRUPT && (long)fnn_sigint_counter != sig0;
}

void fnn_sigint_simulate(void) { fnn_sigint_counter = fnn_sigint_counter + 1; }

#if defined(SA_SIGINFO) && !defined(_WIN32)
static struct sigaction fnn_prev;   /* the handler to chain to while hooked */
static int fnn_depth = 0;

static void fnn_on_sigint(int sig, siginfo_t *info, void *ctx)
{
    const int saved = errno;
    fnn_sigint_counter = fnn_sigint_counter + 1;
    if (fnn_prev.sa_flags & SA_SIGINFO) {
        if (fnn_prev.sa_sigaction) fnn_prev.sa_sigaction(sig, info, ctx);
    } else if (fnn_prev.sa_handler != SIG_IGN && fnn_prev.sa_handler != SIG_DFL
               && fnn_prev.sa_handler) {
        fnn_prev.sa_handler(sig);
    }
    errno = saved;
}

int fnn_sigint_hook_enter(void)
{
    if (fnn_depth > 0) { fnn_depth++; return 0; }
    struct sigaction cur, mine;
    if (sigaction(SIGINT, NULL, &cur) != 0) return -1;
    /* Ignored, or the default (which ends the process): nothing to chain to. */
    if (!(cur.sa_flags & SA_SIGINFO) && (cur.sa_handler == SIG_IGN || cur.sa_handler == SIG_DFL))
        return -1;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = fnn_on_sigint;
    mine.sa_flags = SA_SIGINFO;
#ifdef SA_ONSTACK
    mine.sa_flags |= cur.sa_flags & SA_ONSTACK;   /* as Python installs its own */
#endif
    sigemptyset(&mine.sa_mask);
    fnn_prev = cur;
    if (sigaction(SIGINT, &mine, NULL) != 0) return -1;
    fnn_depth = 1;
    return 0;
}

void fnn_sigint_hook_exit(void)
{
    if (fnn_depth <= 0) return;
    if (--fnn_depth == 0) sigaction(SIGINT, &fnn_prev, NULL);
}
#else
/* No sigaction (e.g. Windows): calls run to the end; Ctrl-C is seen when they return. */
int fnn_sigint_hook_enter(void) { return -1; }
void fnn_sigint_hook_exit(void) { }
#endif
