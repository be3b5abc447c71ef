/*
 * fault — the call-counting plan; see fault.h.
 */
#include "tests/common/fault.h"

fault_plan fault_alloc;

void fault_plan_arm(fault_plan *p, unsigned long fail_at)
{
	p->fail_at = fail_at;
	p->calls = 0;
	p->failed = 0;
}

bool fault_plan_hit(fault_plan *p)
{
	if (!p->fail_at)
		return false;
	if (++p->calls != p->fail_at)
		return false;
	p->failed++;
	return true;
}

bool fault_plan_reached(const fault_plan *p)
{
	return p->failed > 0;
}
