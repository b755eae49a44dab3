/*
 * host.h -- what the machine offers: memory available now and the number
 * of physical cores, each from the best source the system has (see
 * host.c and docs/PORTABILITY.md).
 */
#ifndef HOST_H
#define HOST_H

#include <stdint.h>

/*
 * Bytes of memory a new allocation could take without swapping: Linux's
 * MemAvailable, macOS's free + inactive + speculative pages, FreeBSD's
 * free + inactive pages, else the free pages sysconf reports.  0 when the
 * system tells none of these (callers then assume nothing).
 */
uint64_t host_mem_available(void);

/*
 * Physical cores (hyperthreads of one core count once): Linux's sysfs
 * topology, macOS's hw.physicalcpu, FreeBSD's kern.smp.cores, else the
 * online CPUs.  At least 1.
 */
int	 host_physical_cores(void);

#endif
