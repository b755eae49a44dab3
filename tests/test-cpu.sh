#!/bin/sh
# test-cpu.sh -- $MEDCHAT_CPU picks the kernel path; a level the CPU (or
# the build) lacks, or an unknown name, is a one-line error.  Uses
# `medchat bench kernels --types NOPE`, which stops at the type check
# right after the kernels are chosen.
#
# Which levels the CPU has comes from the x86 flags line of
# /proc/cpuinfo, against which `medchat debug cpu` (the CPUID probe) is
# checked as well.  Without that line (macOS, the BSDs, aarch64) the
# comparison is a visible skip and the probe's own answer is used.
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

# What the probe says: "LEVEL cpu yes|no built yes|no" per level, then
# "kernels: LEVEL" (the default, with MEDCHAT_CPU empty).
info=$(MEDCHAT_CPU= "$MEDCHAT" debug cpu 2>&1)
check "debug cpu runs" [ $? -eq 0 ]
probe() {	# probe LEVEL cpu|built: yes or no, as debug cpu says
	printf '%s\n' "$info" | awk -v l="$1" -v f="$2" \
	    '$1 == l { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }'
}
is() {		# is WHAT GOT WANT
	[ "$2" = "$3" ] && return 0
	diag "$1: got '$2', want '$3'"
	return 1
}

# The built column against config.h.
cfg() {		# cfg MACRO: yes if config.h defines it to 1
	if grep -q "^#define $1 1" "$top_builddir/config.h"; then
		echo yes
	else
		echo no
	fi
}
check "debug cpu: scalar is always there" \
    is scalar "$(probe scalar cpu) $(probe scalar built)" "yes yes"
check "debug cpu: avx2 built as configured" \
    is avx2 "$(probe avx2 built)" "$(cfg HAVE_X86_SIMD)"
check "debug cpu: avxvnni built as configured" \
    is avxvnni "$(probe avxvnni built)" "$(cfg HAVE_AVXVNNI)"
check "debug cpu: avx512 built as configured" \
    is avx512 "$(probe avx512 built)" "$(cfg HAVE_AVX512)"
check "debug cpu: neon built as configured" \
    is neon "$(probe neon built)" "$(cfg HAVE_NEON)"

# (CPUINFO=/nonexistent shows the path other systems take.)
flags=$(grep -m1 '^flags' "${CPUINFO:-/proc/cpuinfo}" 2>/dev/null)
if [ -n "$flags" ]; then
	avx2=no
	case $flags in *avx2*) case $flags in *fma*) case $flags in *f16c*)
		case $flags in *bmi2*) avx2=yes ;; esac ;; esac ;; esac ;; esac
	avx512=no
	case $flags in *avx512f*) case $flags in *avx512bw*)
		case $flags in *avx512vl*) avx512=$avx2 ;; esac ;; esac ;; esac
	check "debug cpu: AVX2 as /proc/cpuinfo says" \
	    is avx2 "$(probe avx2 cpu)" "$avx2"
	check "debug cpu: AVX-512 as /proc/cpuinfo says" \
	    is avx512 "$(probe avx512 cpu)" "$avx512"
	avxvnni=no
	case $flags in *avx_vnni*) avxvnni=$avx2 ;; esac
	check "debug cpu: AVX-VNNI as /proc/cpuinfo says" \
	    is avxvnni "$(probe avxvnni cpu)" "$avxvnni"
else
	diag "no x86 flags line in /proc/cpuinfo: the CPU's levels are medchat's own probe's"
	skip "debug cpu: AVX2 as /proc/cpuinfo says" "no /proc/cpuinfo flags"
	skip "debug cpu: AVX-512 as /proc/cpuinfo says" "no /proc/cpuinfo flags"
	skip "debug cpu: AVX-VNNI as /proc/cpuinfo says" "no /proc/cpuinfo flags"
	avx2=$(probe avx2 cpu)
	avxvnni=$(probe avxvnni cpu)
	avx512=$(probe avx512 cpu)
fi

# The default is the highest level with both (the order of the lines).
best=$(printf '%s\n' "$info" |
    awk '$2 == "cpu" && $3 == "yes" && $5 == "yes" { b = $1 } END { print b }')
check "debug cpu: the default is the best level there is" \
    is kernels "$(printf '%s\n' "$info" | sed -n 's/^kernels: //p')" "$best"
out=$(MEDCHAT_CPU=scalar "$MEDCHAT" debug cpu 2>&1)
check "debug cpu: MEDCHAT_CPU=scalar chooses scalar" \
    has "kernels: scalar"

run avx2
if [ "$avx2" = yes ]; then
	check "MEDCHAT_CPU=avx2 is accepted" has "NOPE: unknown weight type"
else
	check "MEDCHAT_CPU=avx2 without AVX2 fails" [ "$rc" -eq 1 ]
fi

# level_checks LEVEL HAS MACRO NAME NEEDS: MEDCHAT_CPU=LEVEL is taken
# where the CPU has the level (HAS) and config.h defines MACRO (its
# kernels are built), else refused with the reason (NAME: the
# instructions, NEEDS: what the error says the CPU lacks).
level_checks() {
	run "$1"
	if [ "$2" = yes ] && [ "$(cfg "$3")" = yes ]; then
		check "MEDCHAT_CPU=$1 is accepted" has "NOPE: unknown weight type"
	elif [ "$2" = yes ]; then
		check "MEDCHAT_CPU=$1 fails in a build without $4 kernels" \
		    [ "$rc" -eq 1 ]
		check "MEDCHAT_CPU=$1: says the kernels are missing" \
		    has "no $1 kernels in this build"
	else
		check "MEDCHAT_CPU=$1 fails on a CPU without $4" [ "$rc" -eq 1 ]
		check "MEDCHAT_CPU=$1: says the CPU lacks $4" \
		    has "does not support $5"
	fi
}
level_checks avxvnni "$avxvnni" HAVE_AVXVNNI AVX-VNNI \
    "AVX2+FMA+F16C+BMI2 and AVX-VNNI"
level_checks avx512 "$avx512" HAVE_AVX512 AVX-512 "AVX-512"

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
