/*
 * fault — making the Nth call fail on purpose, for the tests of every
 * device class (curl's torture tests and SQLite's malloc tests work the
 * same way): a plan counts calls and says which one fails; wrappers consult
 * it. Two wrappers come with it:
 *
 *   allocation  malloc, calloc, realloc and strdup of the code linked into
 *               a test program fail as fault_alloc says, once the program
 *               is linked with fault_alloc_link_args (meson: see
 *               tests/common/meson.build). Allocations inside shared
 *               libraries (OpenSSL, libc itself) are not counted.
 *   transport   a passport reader driver that wraps another and fails the
 *               Nth exchange (fault_transport.h).
 *
 * A loop then runs the operation with fail_at = 1, 2, ... until a run no
 * longer reaches the failure: every run must end in an error or success,
 * never a crash, and (under ASan or valgrind) never a leak.
 */
#pragma once

#include <stdbool.h>

typedef struct fault_plan {
	unsigned long fail_at;  /* the call that fails, counting from 1; 0: none */
	unsigned long calls;    /* calls counted since fault_plan_arm */
	unsigned long failed;   /* calls made to fail */
} fault_plan;

/* Count from zero again; the fail_at-th call from now fails (0: none). */
void fault_plan_arm(fault_plan *p, unsigned long fail_at);
/* Count one call; true when it is the one to fail. */
bool fault_plan_hit(fault_plan *p);
/* After a run: did it get as far as the failure? When not, fail_at has
 * passed the last call and the loop can stop. */
bool fault_plan_reached(const fault_plan *p);

/* The allocation plan of this program (one per process: the allocator is). */
extern fault_plan fault_alloc;
