/*
 * alloc_wrap — malloc, calloc, realloc and strdup that fail as fault_alloc
 * (fault.h) says. Compiled into a test program linked with
 * fault_alloc_link_args (-Wl,--wrap=malloc ...), which sends the calls of
 * every object in that program here; __real_* are the allocator's own.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tests/common/fault.h"

/* The linker sends the program's calls to malloc & co. here
 * (-Wl,--wrap=malloc ...); __real_* are the allocator's own. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

void *__wrap_malloc(size_t n)
{
	return fault_plan_hit(&fault_alloc) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fault_plan_hit(&fault_alloc) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fault_plan_hit(&fault_alloc) ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fault_plan_hit(&fault_alloc) ? NULL : __real_strdup(s);
}
