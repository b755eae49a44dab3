# tests/lib.sh -- TAP helpers for shell tests.  Source it, then call
# ok/fail/skip; finish with `done_testing`.
T_N=0
T_FAILED=0
ok() {		# ok DESCRIPTION
	T_N=$((T_N + 1)); echo "ok $T_N - $*"
}
fail() {	# fail DESCRIPTION
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $*"
}
check() {	# check DESCRIPTION COMMAND...
	_d=$1; shift
	if "$@"; then ok "$_d"; else fail "$_d"; fi
}
skip() {	# skip DESCRIPTION REASON
	T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"
}
diag() {
	echo "# $*"
}
done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}
: "${MEDCHAT:=$top_builddir/medchat}"
: "${MEDCHAT_SHARED:=$top_srcdir/../shared}"
if [ -d "$MEDCHAT_SHARED/models" ]; then
	SHARED=$MEDCHAT_SHARED
else
	SHARED=
fi
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/medchat-test.XXXXXX")
trap 'rm -rf "$TMPD"' EXIT
