#!/bin/sh
# tests/test-strict-posix.sh -- every C file of medchat and of its tests
# compiles with nothing but POSIX 2008/XSI (-U_GNU_SOURCE
# -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700, no GNU, BSD or Darwin
# extensions): what `./configure --enable-strict-posix` checks, without
# its second build.  Each file goes through $CC -fsyntax-only (no object,
# no link); an error or an implicitly declared function fails its folder.
#
# Pass 1 compiles every file against this build's config.h as the strict
# configure writes it: the extension macros (_GNU_SOURCE, ...) taken out
# and every HAVE_DECL_* 0, so each compat_ replacement (compat.h) is the
# one used, as on glibc in strict mode or on a system without the call.
# Pass 2 compiles again the files that depend on one of the platform
# checks in FALLBACK_MACROS (found through the dependency lists pass 1
# writes), with those undefined as well: the portable paths of host.c,
# fsutil.c and sha256.c and the whole-second mtime.  Code under such a
# check is only compiled where the call exists, so pass 2 is what every
# other system compiles.
#
# Not compiled here: the SIMD kernels (engine/kernels-*.c,
# forward-avx2.c, forward-avx512.c), which include only <math.h>,
# <string.h>, <stdint.h> and the intrinsics headers and need their own
# target flags, and
# SIMDe's emulation wrappers (tests/avx512*-emu.c).
#
# make check sets STRICT_POSIX_CC (the build's $CC), STRICT_POSIX_FLAGS
# (its include paths, CPPFLAGS, -std, -pthread, library and user CFLAGS)
# and STRICT_POSIX_FILES (tests/tests.am); by hand:
# make check TESTS=tests/test-strict-posix.sh
. "$top_srcdir/tests/lib.sh"

FALLBACK_MACROS="HAVE_LINUX_PROC_SYS HAVE_POSIX_FALLOCATE HAVE_POSIX_FADVISE
HAVE_STRUCT_STAT_ST_MTIM HAVE_STRUCT_STAT_ST_MTIMESPEC HAVE_SYSCTLBYNAME
HAVE_HOST_STATISTICS64"
STRICT="-U_GNU_SOURCE -U_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
-D_XOPEN_SOURCE=700"

if [ -z "${STRICT_POSIX_CC:-}" ] || [ -z "${STRICT_POSIX_FILES:-}" ]; then
	echo "1..0 # SKIP run through make check (STRICT_POSIX_CC and STRICT_POSIX_FILES unset)"
	exit 0
fi
if [ ! -f "$top_builddir/config.h" ]; then
	echo "1..0 # SKIP no $top_builddir/config.h (run configure first)"
	exit 0
fi
# Each check of pass 2 must still exist, or pass 2 silently tests less.
for m in $FALLBACK_MACROS; do
	if ! grep -q "#undef $m\$" "$top_srcdir/config.h.in"; then
		echo "Bail out! $m is not in config.h.in: update FALLBACK_MACROS in $0"
		exit 1
	fi
done

# The build's flags without the extension macros pkg-config files add
# (ncursesw, readline: -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=600) or a
# strict configure put in CPPFLAGS: only ours below count.
flags=
for w in $STRICT_POSIX_FLAGS; do
	case $w in
	-D_*_SOURCE|-D_*_SOURCE=*|-D__EXTENSIONS__*) ;;
	*) flags="$flags $w" ;;
	esac
done
flags="$flags $STRICT -DMEDCHAT_DATADIR=\"/nonexistent\" -fsyntax-only \
-Werror=implicit-function-declaration -Werror=implicit-int"

# config.h as the strict configure writes it (pass 1), then with the
# platform checks of pass 2 off.
S=$TMPD/strict
mkdir -p "$S/deps"
sed -e '/^# *define _[A-Z0-9_]*_SOURCE /d' \
    -e '/^# *define __EXTENSIONS__ /d' \
    -e '/^# *define _HPUX_ALT_XOPEN_SOCKET_API /d' \
    -e '/^# *define _POSIX_PTHREAD_SEMANTICS /d' \
    -e '/^# *define __STDC_WANT_/d' \
    -e 's/^#define \(HAVE_DECL_[A-Za-z0-9_]*\) 1$/#define \1 0/' \
    "$top_builddir/config.h" >"$S/config1.h"
cp "$S/config1.h" "$S/config2.h"
for m in $FALLBACK_MACROS; do
	sed -e "/^#define $m /d" "$S/config2.h" >"$S/config.tmp" &&
	    mv "$S/config.tmp" "$S/config2.h"
done

# The compiler must take these options at all, and the flags must hide
# what they should: a call to memmem (GNU, BSD; not POSIX 2008) compiles
# in the normal build and must not here.  Without this the test could
# pass by testing nothing (as the first strict build did, with
# pkg-config's _DEFAULT_SOURCE still in the flags).
printf '#include <stdio.h>\n#include <string.h>\nint main(void) { puts("x"); return 0; }\n' \
    >"$S/probe-ok.c"
printf '#include <string.h>\nint main(void) { return memmem("ab", 2, "b", 1) != 0; }\n' \
    >"$S/probe-ext.c"
# shellcheck disable=SC2086
if ! $STRICT_POSIX_CC $flags -include "$S/config1.h" "$S/probe-ok.c" \
    >"$S/probe.out" 2>&1; then
	echo "1..0 # SKIP $STRICT_POSIX_CC does not compile a plain C file with $STRICT -fsyntax-only: $(head -n 1 "$S/probe.out")"
	exit 0
fi
# shellcheck disable=SC2086
if $STRICT_POSIX_CC $flags -include "$S/config1.h" "$S/probe-ext.c" \
    >"$S/probe.out" 2>&1; then
	fail "strict flags hide extensions (memmem undeclared)"
	diag "flags:$flags"
else
	ok "strict flags hide extensions (memmem undeclared)"
fi

# compile PASS CONFIG FILE: one file; its diagnostics into $S/out, its
# dependencies into $S/deps (pass 1).
n=0
compile() {
	n=$((n + 1))
	echo "$3" >"$S/deps/$n.src"
	# shellcheck disable=SC2086
	$STRICT_POSIX_CC $flags -include "$2" -MMD -MF "$S/deps/$n.d" \
	    "$top_srcdir/$3" >"$S/out" 2>&1
}

# run_pass PASS CONFIG FILES...: one TAP line per folder.
run_pass() {
	_pass=$1; _conf=$2; shift 2
	_dirs=$(for f in "$@"; do echo "${f%/*}"; done | sort -u)
	for d in $_dirs; do
		_bad=; _nf=0
		for f in "$@"; do
			[ "${f%/*}" = "$d" ] || continue
			_nf=$((_nf + 1))
			if ! compile "$_pass" "$_conf" "$f"; then
				_bad="$_bad $f"
				sed -e 's/^/# /' "$S/out" | head -n 20
			fi
		done
		if [ -z "$_bad" ]; then
			ok "strict pass $_pass: $d ($_nf files)"
		else
			fail "strict pass $_pass: $d:$_bad"
		fi
	done
}

start=$(date +%s)
# shellcheck disable=SC2086
run_pass 1 "$S/config1.h" $STRICT_POSIX_FILES

# Pass 2: the files whose own text or project headers (-MMD lists no
# system headers) mention one of FALLBACK_MACROS; config1.h, which names
# them all, is no reason.
pat=$(echo $FALLBACK_MACROS | tr ' ' '|')
sed -e 's/\\$//' -e 's/^[^:]*://' "$S"/deps/*.d | tr ' ' '\n' |
    grep -v -e '^$' -e "^$S/" | sort -u >"$S/alldeps"
# shellcheck disable=SC2046
grep -El "$pat" $(cat "$S/alldeps") >"$S/hits" 2>/dev/null
again=
i=0
while [ -s "$S/hits" ] && [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	if grep -Fqf "$S/hits" "$S/deps/$i.d"; then
		again="$again $(cat "$S/deps/$i.src")"
	fi
done
if [ -z "$again" ]; then
	fail "strict pass 2: files that test $FALLBACK_MACROS found"
else
	# shellcheck disable=SC2086
	run_pass 2 "$S/config2.h" $again
fi
diag "$(echo $STRICT_POSIX_FILES | wc -w | tr -d " ") files, then $(echo $again | wc -w | tr -d " ") again, in $(($(date +%s) - start)) s"

done_testing
