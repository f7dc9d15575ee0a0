/* Callgrind's client requests for bench/inprocess.py (loaded with ctypes): count the
   instructions of the measured requests only, not of Python starting up. Outside valgrind
   every call is a no-op. */
#include <valgrind/callgrind.h>

int bench_on_valgrind(void) { return RUNNING_ON_VALGRIND; }

void bench_start(void) {
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
}

void bench_stop(const char *label) {
    CALLGRIND_DUMP_STATS_AT(label);
    CALLGRIND_STOP_INSTRUMENTATION;
}
