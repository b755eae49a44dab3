/*
 * host.c -- memory available and physical cores (see host.h).
 *
 * Each system tells these its own way, so each source sits behind the
 * configure check that found it (config.h): Linux's /proc and /sys
 * (HAVE_LINUX_PROC_SYS), macOS's Mach VM statistics
 * (HAVE_HOST_STATISTICS64), sysctlbyname on macOS and FreeBSD
 * (HAVE_SYSCTLBYNAME), and sysconf last (HAVE_DECL__SC_AVPHYS_PAGES,
 * _SC_NPROCESSORS_ONLN), which every target has in some form.  A source
 * that fails at run time falls through to the next one, so a Linux
 * without /proc mounted still gets an answer.
 */
#include <sys/types.h>
#ifdef HAVE_SYSCTLBYNAME
#include <sys/sysctl.h>
#endif
#ifdef HAVE_HOST_STATISTICS64
#include <mach/mach.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "host.h"

#ifdef HAVE_LINUX_PROC_SYS
static uint64_t	 host_meminfo(void);
static long	 host_cpu_topology(int, const char *);
static int	 host_sysfs_cores(long);
#endif
#ifdef HAVE_SYSCTLBYNAME
static int	 host_sysctl_uint(const char *, uint64_t *);
#endif

#ifdef HAVE_LINUX_PROC_SYS
/* MemAvailable from /proc/meminfo in bytes, 0 if unreadable. */
static uint64_t
host_meminfo(void)
{
	char			 line[256];
	unsigned long long	 kb;
	FILE			*f;
	uint64_t		 r = 0;

	if ((f = fopen("/proc/meminfo", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
			r = (uint64_t)kb * 1024;
			break;
		}
	}
	fclose(f);
	return r;
}

/* /sys/devices/system/cpu/cpu<cpu>/topology/<what> as a number, -1 if
 * unreadable. */
static long
host_cpu_topology(int cpu, const char *what)
{
	char	path[128], line[64];
	FILE	*f;
	long	v = -1;

	snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/%s",
	    cpu, what);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(line, sizeof line, f) != NULL)
			v = strtol(line, NULL, 10);
		fclose(f);
	}
	return v;
}

/* Distinct (package, core) pairs of the first ncpu CPUs, 0 if sysfs does
 * not say. */
static int
host_sysfs_cores(long ncpu)
{
	long	 ids[1024], id;
	int	 n = 0, i, j, found;
	long	 pkg, core;

	for (i = 0; i < ncpu && i < 1024; i++) {
		pkg = host_cpu_topology(i, "physical_package_id");
		core = host_cpu_topology(i, "core_id");
		if (pkg < 0 || core < 0)
			return 0;
		id = pkg * 65536 + core;
		found = 0;
		for (j = 0; j < n; j++) {
			if (ids[j] == id)
				found = 1;
		}
		if (!found)
			ids[n++] = id;
	}
	return n;
}
#endif

#ifdef HAVE_SYSCTLBYNAME
/* An unsigned number by sysctl name (4 or 8 bytes wide): 0, or -1 when
 * the system has no such name. */
static int
host_sysctl_uint(const char *name, uint64_t *v)
{
	union {
		uint32_t	u32;
		uint64_t	u64;
	}	u;
	size_t	len = sizeof u;

	if (sysctlbyname(name, &u, &len, NULL, 0) == -1)
		return -1;
	if (len == sizeof u.u32)
		*v = u.u32;
	else if (len == sizeof u.u64)
		*v = u.u64;
	else
		return -1;
	return 0;
}
#endif

uint64_t
host_mem_available(void)
{
	uint64_t	r;
#ifdef HAVE_HOST_STATISTICS64
	vm_statistics64_data_t	vs;
	mach_msg_type_number_t	cnt = HOST_VM_INFO64_COUNT;
#endif
#ifdef HAVE_SYSCTLBYNAME
	uint64_t	free_pg, inact_pg, pgsz;
#endif
#if HAVE_DECL__SC_AVPHYS_PAGES
	long		pages, pgsize;
#endif

	r = 0;
#ifdef HAVE_LINUX_PROC_SYS
	if ((r = host_meminfo()) != 0)
		return r;
#endif
#ifdef HAVE_HOST_STATISTICS64
	/* What macOS can hand out without paging: free, inactive (clean
	 * file pages) and speculative (read-ahead) pages. */
	if (host_statistics64(mach_host_self(), HOST_VM_INFO64,
	    (host_info64_t)&vs, &cnt) == KERN_SUCCESS) {
		r = ((uint64_t)vs.free_count + vs.inactive_count +
		    vs.speculative_count) * (uint64_t)vm_page_size;
		if (r != 0)
			return r;
	}
#endif
#ifdef HAVE_SYSCTLBYNAME
	/* FreeBSD: free and inactive pages, as top(1) adds them. */
	if (host_sysctl_uint("vm.stats.vm.v_free_count", &free_pg) == 0 &&
	    host_sysctl_uint("vm.stats.vm.v_inactive_count", &inact_pg) == 0 &&
	    host_sysctl_uint("vm.stats.vm.v_page_size", &pgsz) == 0) {
		r = (free_pg + inact_pg) * pgsz;
		if (r != 0)
			return r;
	}
#endif
#if HAVE_DECL__SC_AVPHYS_PAGES
	/* Free pages only (OpenBSD, NetBSD): less than could be had, which
	 * errs on the safe side for the context size chosen from it. */
	pages = sysconf(_SC_AVPHYS_PAGES);
	pgsize = sysconf(_SC_PAGESIZE);
	if (pages > 0 && pgsize > 0)
		r = (uint64_t)pages * (uint64_t)pgsize;
#endif
	return r;
}

int
host_physical_cores(void)
{
	long		ncpu;
	int		n;
#ifdef HAVE_SYSCTLBYNAME
	uint64_t	v;
#endif

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	n = 0;
#ifdef HAVE_LINUX_PROC_SYS
	n = host_sysfs_cores(ncpu);
#endif
#ifdef HAVE_SYSCTLBYNAME
	/* macOS, then FreeBSD; a count above the online CPUs is not
	 * believed. */
	if (n <= 0 && (host_sysctl_uint("hw.physicalcpu", &v) == 0 ||
	    host_sysctl_uint("kern.smp.cores", &v) == 0) && v >= 1 &&
	    v <= (uint64_t)ncpu)
		n = (int)v;
#endif
	return n > 0 ? n : (int)ncpu;
}
