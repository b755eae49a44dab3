#!/bin/sh
# tests/cross-aarch64.sh -- the aarch64 NEON kernels, without an ARM
# machine: cross-compile the engine, libbase and test-quant, test-matmul,
# test-logits and test-attn with gcc-aarch64-linux-gnu (static, into a
# temporary directory) and run them under qemu-user, each NEON level on a
# CPU model that has it and on one that lacks the next (test-attn, whose
# helpers need only ARMv8.0, on the first):
#
#	neon	 qemu -cpu cortex-a53 (ARMv8.0: no dot product)
#	dotprod	 qemu -cpu cortex-a76 (ARMv8.2 dot product, no i8mm)
#	i8mm	 qemu -cpu max
#
# qemu is slow, so test-logits runs a few golden models per level
# (LOGITS_* below), chosen so that every weight type runs on two levels
# and the smmla prefill (i8mm) meets Q4_0, Q5_0 and Q8_0.
#
# TAP: one line per run, the run's own TAP output as diagnostics when it
# fails.  Without the cross compiler or qemu-aarch64 the whole script is
# one visible skip (`1..0 # SKIP ...`; .ci/run installs both).  Run by
# make check; by hand: top_srcdir=. sh tests/cross-aarch64.sh
# ($MEDCHAT_SHARED as for the other tests, default ../shared).
. "$top_srcdir/tests/lib.sh"

CC_A64=${CC_A64:-aarch64-linux-gnu-gcc}
AR_A64=${AR_A64:-aarch64-linux-gnu-ar}
QEMU=${QEMU:-qemu-aarch64}

if ! command -v "$CC_A64" >/dev/null 2>&1 ||
    ! command -v "$AR_A64" >/dev/null 2>&1 ||
    ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "1..0 # SKIP $CC_A64 or $QEMU not found (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
	exit 0
fi

# The compiler alone is not enough: static linking needs the C library
# (libc6-dev-arm64-cross, only recommended by the compiler's package).
printf 'int main(void) { return 0; }\n' >"$TMPD/probe.c"
if ! "$CC_A64" -static -o "$TMPD/probe" "$TMPD/probe.c" >/dev/null 2>&1; then
	echo "1..0 # SKIP $CC_A64 cannot link a static program (Debian: libc6-dev-arm64-cross)"
	exit 0
fi

LOGITS_NEON=stories260K.txt,kzoo-f16,kzoo-q4_0,kzoo-q4_k_m.txt,kzoo-q5_1
LOGITS_DOTPROD=kzoo-bf16,kzoo-q4_1,kzoo-q3_k_m,kzoo-q5_k_m,kzoo-q6_k,kzoo-q8_0
LOGITS_I8MM=kzoo-q4_0,kzoo-q5_0,kzoo-q8_0,kzoo-q2_k,tinyllama-v0-q4_0

B=$TMPD/build
mkdir -p "$B/obj"
# What configure would define on aarch64 for these files.
printf '#define _GNU_SOURCE 1\n#define HAVE_NEON 1\n' >"$B/config.h"
CFLAGS_A64="-O2 -std=gnu11 -pthread -Wall -Wextra -Wno-unused-parameter \
-include $B/config.h -DMEDCHAT_ENGINE_INTERNAL -I$top_srcdir/engine \
-I$top_srcdir/src/base -I$top_srcdir/tests"

# The .c files of a library, as its .am lists them.
am_sources() {	# am_sources FILE VARIABLE
	sed -n "/^$2 *=/,/[^\\\\]\$/p" "$1" | tr ' \t\\' '\n\n\n' |
	    grep '\.c$' | grep -v '^=' || true
}

# One object per source; NAME.o in $B/obj.  Two compilers at a time.
compile() {	# compile "EXTRA FLAGS" SUFFIX FILE...
	_f=$1; _s=$2; shift 2
	printf '%s\n' "$@" | xargs -P 2 -I{} sh -c '
	    o="$1/obj/$(basename "{}" .c)$2.o"
	    $3 $4 $5 -c "$6/{}" -o "$o" 2>"$o.err" || { cat "$o.err" >&2; exit 1; }' \
	    sh "$B" "$_s" "$CC_A64" "$CFLAGS_A64" "$_f" "$top_srcdir"
}

engine_src=$(am_sources "$top_srcdir/engine/engine.am" libengine_a_SOURCES)
# jsonx.c is libjansson's, which only the layers above the engine need.
base_src=$(am_sources "$top_srcdir/src/base/base.am" libbase_a_SOURCES |
    grep -v jsonx.c)
built=yes
if [ -z "$engine_src" ] || [ -z "$base_src" ]; then
	diag "no sources found in engine/engine.am or src/base/base.am"
	built=no
elif ! compile "" "" $engine_src $base_src ||
    ! compile "" "" engine/kernels-neon.c engine/forward-neon.c ||
    ! compile "-DKERNELS_DOTPROD -march=armv8.2-a+dotprod" -dot \
    engine/kernels-neon.c ||
    ! compile "-DKERNELS_I8MM -march=armv8.6-a+dotprod+i8mm" -i8mm \
    engine/kernels-neon.c ||
    ! compile "" "" tests/test-quant.c tests/test-matmul.c \
    tests/test-logits.c tests/test-attn.c; then
	built=no
else
	rm -f "$B/libengine.a"
	for f in $engine_src $base_src engine/kernels-neon.c \
	    engine/forward-neon.c; do
		echo "$B/obj/$(basename "$f" .c).o"
	done | xargs "$AR_A64" rc "$B/libengine.a"
	"$AR_A64" rc "$B/libengine.a" "$B/obj/kernels-neon-dot.o" \
	    "$B/obj/kernels-neon-i8mm.o"
	for t in test-quant test-matmul test-logits test-attn; do
		# (static glibc warns about getpwuid: not called here)
		"$CC_A64" -static -pthread -o "$B/$t" "$B/obj/$t.o" \
		    "$B/libengine.a" -lm 2>"$B/$t.err" || {
			cat "$B/$t.err" >&2
			built=no
		}
	done
fi
check "cross-compile the engine and its tests for aarch64" [ "$built" = yes ]
if [ "$built" != yes ]; then
	done_testing
	exit
fi

# run CPU LEVEL TEST [ENV=VALUE...]: the test under qemu, $out its output
run() {
	_cpu=$1; _lv=$2; _t=$3; shift 3
	out=$(env MEDCHAT_CPU="$_lv" MEDCHAT_SHARED="$MEDCHAT_SHARED" "$@" \
	    "$QEMU" -cpu "$_cpu" "$B/$_t" 2>&1)
	rc=$?
}
# report DESCRIPTION: one TAP line for the last run
report() {
	_pass=$(printf '%s\n' "$out" | grep -c '^ok ')
	_fail=$(printf '%s\n' "$out" | grep -c '^not ok ')
	_skip=$(printf '%s\n' "$out" | grep -c '^ok .*# SKIP')
	if [ "$rc" -eq 0 ] && [ "$_fail" -eq 0 ] && [ "$_pass" -gt 0 ]; then
		ok "$1 ($_pass ok, $_skip skipped)"
	else
		fail "$1 (exit $rc, $_fail failed)"
		printf '%s\n' "$out" | grep -v '^ok ' | head -40 |
		    sed 's/^/#   /'
	fi
}
has() {		# has TEXT: the last output contains TEXT
	case $out in *"$1"*) return 0 ;; esac
	diag "output: $(printf '%s\n' "$out" | head -5)"
	return 1
}

for spec in "cortex-a53 neon dotprod $LOGITS_NEON" \
    "cortex-a76 dotprod i8mm $LOGITS_DOTPROD" \
    "max i8mm - $LOGITS_I8MM"; do
	set -- $spec
	cpu=$1 lv=$2 next=$3 logits=$4
	run "$cpu" "$lv" test-quant MEDCHAT_TEST_LEVELS="scalar,$lv"
	check "qemu $cpu: the default level is $lv" \
	    has "default CPU level: $lv"
	report "qemu $cpu: test-quant, scalar and $lv"
	run "$cpu" "$lv" test-matmul MEDCHAT_TEST_LEVELS="$lv"
	report "qemu $cpu: test-matmul, $lv"
	if [ -n "$SHARED" ]; then
		run "$cpu" "$lv" test-logits MEDCHAT_TEST_LEVELS="$lv" \
		    MEDCHAT_TEST_LOGITS="$logits"
		report "qemu $cpu: test-logits, $lv: $logits"
	else
		skip "qemu $cpu: test-logits, $lv" "shared models not found"
	fi
	if [ "$next" != - ]; then
		# the CPU lacks the next level: asking for it is an error
		run "$cpu" "$next" test-quant MEDCHAT_TEST_LEVELS=none
		check "qemu $cpu: MEDCHAT_CPU=$next is refused" \
		    has "MEDCHAT_CPU=$next: this CPU (or its OS) does not support"
	fi
done
# The attention helpers (forward-neon.c) need only ARMv8.0.
run cortex-a53 neon test-attn
report "qemu cortex-a53: test-attn, scalar and neon"
done_testing
