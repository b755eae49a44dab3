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
# The prompt-prefix cache of every medchat a test starts: in the test's
# own directory, so nothing is left behind and no run reads another's.
XDG_CACHE_HOME=$TMPD/cache
export XDG_CACHE_HOME

# Stand-ins for GNU-only tool options, so the scripts also run on macOS
# and the BSDs (docs/PORTABILITY.md).
file_mode() {	# file_mode FILE: permission bits in octal (GNU, BSD stat)
	stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1" 2>/dev/null
}
digest() {	# digest <FILE: a SHA-256 line to compare with another
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256
	else
		sha256
	fi
}
# with_timeout SECONDS CMD...: timeout(1) where there is one, else an
# alarm that outlives exec (python3, which the servers need anyway), so
# no watcher process is left behind.
with_timeout() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$@"
	else
		python3 -c 'import os, signal, sys
signal.alarm(int(sys.argv[1])); os.execvp(sys.argv[2], sys.argv[2:])' "$@"
	fi
}
# ul_script: util-linux script(1), whose -q -e -c the BSDs' lacks.
ul_script() {
	script -qec true /dev/null </dev/null >/dev/null 2>&1
}
