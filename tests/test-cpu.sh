#!/bin/sh
# test-cpu.sh -- $MEDCHAT_CPU picks the kernel path; a level the CPU (or
# the build) lacks, or an unknown name, is a one-line error.  Uses
# `medchat bench kernels --types NOPE`, which stops at the type check
# right after the kernels are chosen.
. "$top_srcdir/tests/lib.sh"

run() {		# run LEVEL: output of the bench with MEDCHAT_CPU=LEVEL
	out=$(MEDCHAT_CPU=$1 "$MEDCHAT" bench kernels --types NOPE 2>&1)
	rc=$?
}
has() {		# has TEXT: the last output contains TEXT
	case $out in *"$1"*) return 0 ;; esac
	diag "output: $out"
	return 1
}

run bogus
check "MEDCHAT_CPU=bogus fails" [ "$rc" -eq 1 ]
check "MEDCHAT_CPU=bogus: names the variable" has "MEDCHAT_CPU: unknown level"

run scalar
check "MEDCHAT_CPU=scalar is accepted" has "NOPE: unknown weight type"

flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
avx2=no
case $flags in *avx2*) case $flags in *fma*) case $flags in *f16c*)
	case $flags in *bmi2*) avx2=yes ;; esac ;; esac ;; esac ;; esac
run avx2
if [ "$avx2" = yes ]; then
	check "MEDCHAT_CPU=avx2 is accepted" has "NOPE: unknown weight type"
else
	check "MEDCHAT_CPU=avx2 without AVX2 fails" [ "$rc" -eq 1 ]
fi

run avx512
avx512=no
case $flags in *avx512f*) case $flags in *avx512bw*) case $flags in *avx512vl*)
	avx512=$avx2 ;; esac ;; esac ;; esac
if grep -q '^#define HAVE_AVX512 1' "$top_builddir/config.h"; then
	built=yes
else
	built=no
fi
if [ "$avx512" = yes ] && [ "$built" = yes ]; then
	check "MEDCHAT_CPU=avx512 is accepted" has "NOPE: unknown weight type"
elif [ "$avx512" = yes ]; then
	check "MEDCHAT_CPU=avx512 fails in a build without AVX-512 kernels" \
	    [ "$rc" -eq 1 ]
	check "MEDCHAT_CPU=avx512: says the kernels are missing" \
	    has "no avx512 kernels in this build"
else
	check "MEDCHAT_CPU=avx512 fails on a CPU without AVX-512" [ "$rc" -eq 1 ]
	check "MEDCHAT_CPU=avx512: says the CPU lacks AVX-512" \
	    has "does not support AVX-512"
fi

# The aarch64 levels are names everywhere, refused where the CPU is not
# an aarch64 one (tests/cross-aarch64.sh checks them on aarch64).
case $(uname -m) in
aarch64|arm64) ;;
*)
	for lv in neon dotprod i8mm; do
		run $lv
		check "MEDCHAT_CPU=$lv fails on $(uname -m)" [ "$rc" -eq 1 ]
		check "MEDCHAT_CPU=$lv: says the CPU lacks it" \
		    has "MEDCHAT_CPU=$lv: this CPU (or its OS) does not support"
		check "MEDCHAT_CPU=$lv: in one line" \
		    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]
	done
	;;
esac

done_testing
