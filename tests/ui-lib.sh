# tests/ui-lib.sh -- drive the full-screen chat inside a detached tmux
# server of its own (tmux -L <unique socket>).  Source it instead of
# lib.sh (it sources lib.sh); without tmux the whole script is skipped.
#
#	ui_start ARGS...	run "$MEDCHAT ARGS" in a 100x30 window with
#				HOME/XDG dirs under $TMPD and HOME as the
#				current directory; when medchat exits
#				the pane shows "MEDCHAT-EXIT <status>"
#	ui_start2 ARGS...	a second instance beside it, in the same
#				server (session ui2); set UI_T=ui2 to send
#				keys to it and capture it
#	ui_keys KEYS...		tmux send-keys
#	ui_type TEXT		send TEXT literally
#	ui_cap			the screen as text
#	ui_wait REGEX [SECS]	poll the screen until REGEX matches (grep -E);
#				0, or 1 after SECS (default 20) seconds
#	ui_check DESCR REGEX [SECS]	ui_wait + ok/fail (screen on failure)
#	ui_accept [PREFIX [SECS]]	the advisory read to its end and accepted
#	ui_ask_long DB		stories260K on DB, accepted, asked for a long
#				answer that is seen generating
#	ui_brief_env		an editor for C-x C-e that writes "Be brief."
#				(in UI_ENV for the next ui_start)
#	ui_brief [PREFIX]	set the system message to "Be brief." with it
#	ui_need_stories		skip the whole script (visibly) without
#				../shared's stories260K model; else set
#				$STORIES to its path
#	ui_echo_median		type 15 keys at an empty prompt, one at a
#				time, each timed from send-keys until the
#				screen shows it: $samples and $median (ms);
#				1 and $median 10000 when one is not shown
#				within 10 s
#	ui_lock DB		another process (the sqlite3 shell) takes
#				DB's write lock and holds it until ui_unlock
#				(or the script's end); 1 if it did not get it
#	ui_locked DB		0 while another connection holds DB's write
#				lock
#	ui_server [OPTS]	start tests/remote-server.py (OPTS are its
#				own) on a random port of 127.0.0.1: sets
#				SRV_PORT, SRV_URL (http://127.0.0.1:PORT/v1);
#				stopped when the script ends; without
#				python3 the whole script is skipped
#	ui_srv PATH [JSON]	GET the server's PATH, or POST JSON to it
#				(/control, /requests...); prints the body
#	ui_consent [PREFIX]	the consent screen for a server is shown
#				and "yes" typed: checks PREFIX"consent" and
#				PREFIX"consent given"
#	ui_free_port		a port of 127.0.0.1 nothing listens on
#
# Waiting polls with a deadline, never a fixed sleep, so a loaded machine
# only makes the tests slower, not flaky.
. "$top_srcdir/tests/lib.sh"

UI_SOCK_BASE="medchat-test-$$-$(date +%s)"
UI_N=0
UI_SOCK="$UI_SOCK_BASE-0"
UI_HOME="$TMPD/home"
mkdir -p "$UI_HOME"
UI_PIDS=""
# At the end: the servers started, the tmux server and the socket files
# tmux leaves behind after kill-server.
_ui_cleanup() {
	for _p in $UI_PIDS; do
		kill "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	tmux -L "$UI_SOCK" kill-server >/dev/null 2>&1
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$UI_SOCK_BASE"-*
	rm -rf "$TMPD"
}
trap _ui_cleanup EXIT

ui_need_tmux() {
	if ! command -v tmux >/dev/null 2>&1; then
		skip "tmux end-to-end tests" "tmux not installed"
		done_testing
		exit 0
	fi
}
ui_need_stories() {
	STORIES=$SHARED/models/real/stories260K.gguf
	if [ -z "$SHARED" ] || [ ! -f "$STORIES" ]; then
		skip "tmux end-to-end tests" "../shared/models not found"
		done_testing
		exit 0
	fi
}
# ui_accept [PREFIX [SECS]]: the advisory is shown (within SECS), read to
# its end and accepted; the two checks are named PREFIX"advisory" and
# PREFIX"accepted".
ui_accept() {
	ui_check "${1:-}advisory" "Model-risk advisory" ${2:-}
	ui_keys End
	ui_type "I understand"
	ui_keys Enter
	ui_check "${1:-}accepted" "advisory accepted"
}
# ui_ask_long DB: start the chat on stories260K ($STORIES, see
# ui_need_stories) and database DB, accept the advisory and ask for a long
# story; the check "generating" passes once the answer is on its way.
ui_ask_long() {
	ui_start -m "$STORIES" --db "$1"
	ui_accept
	ui_type "Tell me a long story about a fever"
	ui_keys Enter
	ui_check "generating" "^ generating \| stories260K"
}
# A short system message keeps the prompt evaluation (which cannot be
# interrupted) of a big model to a second or two on a loaded machine.
ui_brief_env() {
	cat > "$TMPD/editor.sh" <<'EOS'
#!/bin/sh
printf 'Be brief.\n' > "$1"
EOS
	chmod +x "$TMPD/editor.sh"
	UI_ENV="VISUAL='$TMPD/editor.sh'"
}
ui_brief() {
	ui_keys F2
	ui_check "${1:-}system editor" "C-s save"
	ui_keys C-x C-e
	ui_check "${1:-}short system message" "^Be brief\."
	ui_keys C-s
	ui_check "${1:-}saved" "system message saved"
}
ui_need_python() {
	if ! command -v python3 >/dev/null 2>&1; then
		skip "remote-server tests" "python3 not installed"
		done_testing
		exit 0
	fi
}
ui_server() {
	ui_need_python
	UI_SRVN=$(( ${UI_SRVN:-0} + 1 ))
	_pf=$TMPD/srv-$UI_SRVN.port
	python3 "$top_srcdir/tests/remote-server.py" --port-file "$_pf" \
	    --idle-timeout 600 "$@" >/dev/null 2>"$TMPD/srv-$UI_SRVN.log" &
	SRV_PID=$!
	UI_PIDS="$UI_PIDS $SRV_PID"
	_deadline=$(( $(date +%s) + 30 ))
	until [ -s "$_pf" ]; do
		if [ "$(date +%s)" -ge "$_deadline" ] ||
		    ! kill -0 "$SRV_PID" 2>/dev/null; then
			fail "the test server starts"
			sed 's/^/#   /' "$TMPD/srv-$UI_SRVN.log"
			done_testing
			exit 1
		fi
		sleep 0.05
	done
	SRV_PORT=$(cat "$_pf")
	SRV_URL=http://127.0.0.1:$SRV_PORT/v1
}
ui_srv() {
	python3 - "$SRV_PORT" "$1" "${2:-}" <<'EOS'
import sys, urllib.request
port, path, body = sys.argv[1:4]
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
    data=body.encode() if body else None,
    headers={"Content-Type": "application/json"})
op = urllib.request.build_opener(urllib.request.ProxyHandler({}))
sys.stdout.write(op.open(req, timeout=20).read().decode())
EOS
}
ui_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
ui_consent() {
	ui_check "${1:-}consent" "^ Send conversations to [^ ]+\\?"
	ui_type "yes"
	ui_keys Enter
	check "${1:-}consent given" ui_gone "^ Send conversations to "
}
ui_tmux() {
	tmux -L "$UI_SOCK" -f /dev/null "$@"
}
ui_start() {
	# A fresh server (socket) per start: a dying one cannot be reused.
	ui_tmux kill-server >/dev/null 2>&1
	UI_N=$((UI_N + 1))
	UI_SOCK="$UI_SOCK_BASE-$UI_N"
	UI_T=ui
	_ui_session ui "$@"
}
ui_start2() {
	_ui_session ui2 "$@"
}
_ui_session() {
	_s=$1
	shift
	_args=""
	for _a in "$@"; do
		_args="$_args '$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'"
	done
	ui_tmux new-session -d -x 100 -y 30 -s "$_s" -c "$UI_HOME" \
	    "env HOME='$UI_HOME' XDG_DATA_HOME='$UI_HOME/data' \
	    XDG_CONFIG_HOME='$UI_HOME/config' INPUTRC=/dev/null \
	    LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen ${UI_ENV:-} \
	    '$MEDCHAT'$_args; echo MEDCHAT-EXIT \$?; sleep 600"
	ui_tmux set-option -g remain-on-exit on >/dev/null 2>&1
}
ui_keys() {
	ui_tmux send-keys -t "${UI_T:-ui}" "$@"
}
ui_type() {
	ui_tmux send-keys -t "${UI_T:-ui}" -l -- "$1"
}
ui_cap() {
	ui_tmux capture-pane -p -t "${UI_T:-ui}"
}
ui_wait() {
	_deadline=$(( $(date +%s) + ${2:-20} ))
	while :; do
		if ui_cap | grep -Eq -- "$1"; then
			return 0
		fi
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			return 1
		fi
		sleep 0.05
	done
}
ui_check() {
	if ui_wait "$2" "${3:-20}"; then
		ok "$1"
	else
		fail "$1"
		diag "waited for /$2/; the screen was:"
		ui_cap | sed 's/^/#   |/'
	fi
}
# Poll until the text under the last "Assistant" header is not empty.
ui_answer_text() {
	ui_cap | awk '/^Assistant/ { getline; f = ($0 ~ /^  [^ ]/) } END { exit !f }'
}
ui_wait_answer() {
	_deadline=$(( $(date +%s) + ${1:-20} ))
	until ui_answer_text; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			return 1
		fi
		sleep 0.02
	done
	return 0
}
# Poll until REGEX no longer matches; 0, or 1 after SECS.
ui_gone() {
	_deadline=$(( $(date +%s) + ${2:-20} ))
	while ui_cap | grep -Eq -- "$1"; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			return 1
		fi
		sleep 0.05
	done
	return 0
}
# Wait until the status bar says ready or stopped (the answer is over).
ui_idle() {
	ui_wait '^ (ready|stopped) \|' "${1:-60}"
}
# Ask TEXT in the chat and wait for the answer to end: first the question
# on screen (the chat shows it and a busy status in one redraw, so from
# then on the status bar no longer shows the "ready" of before it; waiting
# for "ready" right after Enter could return before the answer began),
# then ready or stopped.  0, or 1 when either takes more than SECS
# (default 60).  (The question may have scrolled away before a slow poll
# sees it; the status bar's context meter changing counts as seen.)
ui_ask() {
	_ctx0=$(ui_ctx)
	ui_type "$1"
	ui_keys Enter
	_deadline=$(( $(date +%s) + ${2:-60} ))
	until ui_cap | Q="  $1" awk 'index($0, ENVIRON["Q"]) == 1 { f = 1 }
	    END { exit !f }'; do
		# A loaded machine may poll only after a fast answer has
		# scrolled the question away: the context meter moving says
		# as well that this question was answered.
		_ctx=$(ui_ctx)
		if [ -n "$_ctx0" ] && [ -n "$_ctx" ] && [ "$_ctx" != "$_ctx0" ]
		then
			break
		fi
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			return 1
		fi
		sleep 0.05
	done
	ui_idle "${2:-60}"
}
# The status bar's context meter ("| ctx 123/2048"), or nothing.
ui_ctx() {
	ui_cap | sed -n 's/.*| ctx \([0-9][0-9]*\).*/\1/p' | tail -n 1
}
ui_echo_median() {
	samples=""
	_line="> "
	_i=0
	while [ $_i -lt 15 ]; do
		_i=$((_i + 1))
		_line="${_line}k"
		_t0=$(date +%s%N)
		ui_type k
		until ui_cap | grep -qx -- "$_line *"; do
			# A key not shown in 10 s: that is the figure.
			if [ $(( $(date +%s%N) - _t0 )) -gt 10000000000 ]; then
				median=10000
				samples="$samples >10000"
				return 1
			fi
		done
		_t1=$(date +%s%N)
		samples="$samples $(( (_t1 - _t0) / 1000000 ))"
	done
	median=$(printf '%s\n' $samples | sort -n | sed -n 8p)
}

ui_need_tmux
ui_locked() {
	! sqlite3 -cmd ".timeout 0" "$1" "BEGIN IMMEDIATE; ROLLBACK;" \
	    >/dev/null 2>&1
}
ui_lock() {
	rm -f "$TMPD/lock.fifo"
	mkfifo "$TMPD/lock.fifo"
	# (.timeout: medchat's own short writes may hold it a moment.)
	sqlite3 -cmd ".timeout 5000" "$1" < "$TMPD/lock.fifo" >/dev/null 2>&1 &
	UI_LOCKER=$!
	# (Closed when the script ends: the shell then ends too.)
	exec 9> "$TMPD/lock.fifo"
	echo "BEGIN IMMEDIATE;" >&9
	_deadline=$(( $(date +%s) + 10 ))
	until ui_locked "$1"; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			return 1
		fi
		sleep 0.02
	done
	return 0
}
ui_unlock() {
	echo "COMMIT;" >&9
	exec 9>&-
	wait "$UI_LOCKER"
}
