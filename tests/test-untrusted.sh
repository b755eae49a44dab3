#!/bin/sh
# test-untrusted.sh -- a model file is untrusted, and so is all it writes.
# escape.gguf (tests/gguf-mkfixture -e) answers every prompt with terminal
# escape sequences: window title (OSC 0, one of them cut across two
# tokens), clipboard write (OSC 52), clear screen, leave the alternate
# screen, "\r ESC[K" after a dose, BEL, C1 controls as UTF-8, bidi
# override and isolate; its general.name sets the title too.
# - To a pipe, generate and ask write the model's exact bytes, and ask
#   stores them.
# - On a terminal (tmux, set-clipboard on) generate, ask, history show,
#   bench -m and the chat show them visibly: the pane title stays, no
#   paste buffer appears, the line printed before is not erased, the
#   visible forms are on the screen.
# - --raw writes the bytes to the terminal: there the title and the
#   buffer do change, which shows that the checks above can fail.
. "$top_srcdir/tests/ui-lib.sh"

MK=$top_builddir/tests/gguf-mkfixture
M=$TMPD/escape.gguf
DB=$TMPD/chat.db
check "escape model written" "$MK" -e "$TMPD"

# ---- pipes: exact bytes ----------------------------------------------
$MEDCHAT generate -m "$M" --temp 0 go >"$TMPD/gen.out" 2>"$TMPD/err"
check "generate | pipe: exit 0" test $? = 0
check "generate | pipe: the model's exact bytes" \
    cmp -s "$TMPD/gen.out" "$TMPD/escape.txt"
$MEDCHAT ask --db "$DB" --accept-advisory -m "$M" --temp 0 go \
    >"$TMPD/ask.out" 2>"$TMPD/err"
check "ask | pipe: exit 0" test $? = 0
check "ask | pipe: the model's exact bytes" \
    cmp -s "$TMPD/ask.out" "$TMPD/escape.txt"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$DB" "SELECT writefile('$TMPD/stored', content) FROM messages
	    WHERE role = 'assistant'" >/dev/null
	check "ask: the stored answer is the model's exact bytes" \
	    cmp -s "$TMPD/stored" "$TMPD/escape.txt"
else
	skip "ask: the stored answer is the model's exact bytes" \
	    "no sqlite3 shell"
fi
$MEDCHAT history show 1 --db "$DB" >"$TMPD/show.out"
check "history show | pipe: the answer's exact bytes" \
    grep -qF "$(printf 'Title\033]0;PWNED-TITLE\007')" "$TMPD/show.out"

# ---- terminal --------------------------------------------------------
# tty_run ARGS...: a fresh tmux server with set-clipboard on (an OSC 52
# from the program becomes a paste buffer) runs "echo BEFORE-LINE;
# medchat ARGS" in a window wide enough for the answer on one line, and
# waits for it to end.
tty_run() {
	ui_tmux kill-server >/dev/null 2>&1
	UI_N=$((UI_N + 1))
	UI_SOCK="$UI_SOCK_BASE-$UI_N"
	_args=""
	for _a in "$@"; do
		_args="$_args '$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'"
	done
	ui_tmux new-session -d -s keep "sleep 600"
	ui_tmux set-option -s set-clipboard on
	ui_tmux set-option -g remain-on-exit on
	ui_tmux new-session -d -x 250 -y 30 -s ui \
	    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen sh -c \
	    'echo BEFORE-LINE; exec \"\$0\" \"\$@\"' '$MEDCHAT'$_args; \
	    echo MEDCHAT-EXIT \$?; sleep 600"
	ui_wait "MEDCHAT-EXIT" 30
}
title() {
	ui_tmux display -p -t ui '#{pane_title}'
}
# untouched NAME: the pane title and the paste buffers as they were,
# and the line printed before the command still on the screen.
untouched() {
	_t=$(title)
	if echo "$_t" | grep -q TITLE; then
		fail "$1: pane title unchanged"
		diag "title: $_t"
	else
		ok "$1: pane title unchanged"
	fi
	check "$1: no paste buffer (clipboard)" \
	    test -z "$(ui_tmux list-buffers 2>/dev/null)"
	check "$1: the line before is still there" ui_wait "^BEFORE-LINE" 1
}

tty_run generate -m "$M" --temp 0 go
untouched "generate"
check "generate: title and clipboard sequences shown visibly" \
    ui_wait 'Title\^\[\]0;PWNED-TITLE\^G\^\[\]52;c;ZWNobyBwd25lZA==\^G' 1
check "generate: clear screen and alternate screen shown visibly" \
    ui_wait '\^\[\[2J\^\[\[\?1049l' 1
check "generate: the dose is not erased (\\r ESC[K shown)" \
    ui_wait 'dose 5 mg\^M\^\[\[K\^G' 1
check "generate: C1 controls and bidi controls replaced" \
    ui_wait "$(printf '\357\277\275\357\277\27531m\357\277\275gm 05\357\277\275\357\277\275iso\357\277\275')" 1
check "generate: an escape cut between two tokens shown visibly" \
    ui_wait '\^\[\]0;SPLIT-TITLE\^G end' 1
check "generate: exit 0" ui_wait "MEDCHAT-EXIT 0" 1

tty_run ask --db "$DB" -m "$M" --temp 0 go
untouched "ask"
check "ask: the answer shown visibly" \
    ui_wait 'Title\^\[\]0;PWNED-TITLE\^G' 1
check "ask: exit 0" ui_wait "MEDCHAT-EXIT 0" 1

tty_run history show 2 --db "$DB"
untouched "history show"
check "history show: the answer shown visibly" \
    ui_wait 'dose 5 mg\^M\^\[\[K' 1

tty_run bench -m "$M" -p 1 -n 1 -r 1
untouched "bench -m"
check "bench -m: the model's name shown visibly" \
    ui_wait '\| escape\^\[\]0;NAME-TITLE\^G test \|' 1

# The control: --raw sends the bytes, and the checks above see it.
tty_run generate -m "$M" --temp 0 --raw go
check "--raw: the model's title reaches the terminal" \
    sh -c 'test "$1" = SPLIT-TITLE' _ "$(title)"
check "--raw: the model's OSC 52 reaches the clipboard buffer" \
    test "$(ui_tmux show-buffer 2>/dev/null)" = "echo pwned"

# The chat: the same answer on the full screen.
ui_start -m "$M" --db "$TMPD/chat2.db"
ui_tmux set-option -s set-clipboard on
ui_accept
ui_type "go"
ui_keys Enter
ui_check "chat: the answer arrives" "SPLIT-TITLE" 30
check "chat: pane title unchanged" \
    sh -c '! echo "$1" | grep -q TITLE' _ "$(title)"
check "chat: no paste buffer (clipboard)" \
    test -z "$(ui_tmux list-buffers 2>/dev/null)"
check "chat: controls shown as U+FFFD" \
    ui_wait "Title$(printf '\357\277\275')]0;PWNED-TITLE$(printf '\357\277\275')" 1
ui_keys C-q

done_testing
