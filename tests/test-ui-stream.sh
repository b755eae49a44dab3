#!/bin/sh
# test-ui-stream.sh -- the chat while the model is generating: Esc and
# C-c stop the answer (partial text kept, marked stopped, stored as
# cancelled), typing goes on, the window can be resized to 40x10 and
# back, the status bar's ctx figure counts up while tokens stream, and
# the keystroke echo latency is measured on a model big enough
# to keep the engine busy (a synthetic TinyLlama-1.1B-shaped file made
# by `medchat debug synth`; stories260K if that cannot be written).
. "$top_srcdir/tests/ui-lib.sh"

ui_need_stories
SMALL=$STORIES
DB=$TMPD/stream.db

# --- stop with Esc and C-c, resize, typing during generation --------------
ui_ask_long "$DB"
ui_check "streaming marker" "^Assistant \(stories260K.gguf\) \.\.\.$"
check "text streams in" ui_wait_answer
ui_keys Escape
ui_check "Esc stops the answer" "^ stopped \| stories260K"
# From the top: on a loaded machine the answer may have grown past the
# screen before Esc was read, its header scrolled away.
ui_keys Home
ui_check "the stopped answer is marked" "^Assistant \(stories260K.gguf\) \[stopped\]"
check "the partial answer is kept" ui_answer_text
ui_keys End

ui_type "/regen"
ui_keys Enter
ui_check "regenerating" "^ generating \| stories260K"
ui_type "typed while generating"
ui_check "typing works while generating" "^> typed while generating"
ui_tmux resize-window -t ui -x 40 -y 10
ui_check "resized to 40x10 during generation" "NOT CLINICAL"
ui_tmux resize-window -t ui -x 100 -y 30
check "back to 100x30" ui_gone "^ generating \| stori.*NOT CLINICAL"
ui_keys C-c
ui_check "C-c stops the answer" "^ stopped \| stories260K"
ui_check "the typed line survived" "^> typed while generating"
ui_keys C-c
check "C-c clears the input line" ui_gone "^> typed while generating"
ui_keys C-c C-c
ui_check "C-c C-c at an empty prompt quits" "MEDCHAT-EXIT 0"
id=$("$MEDCHAT" history list --json --db "$DB" | grep -o '"id": *[0-9][0-9]*' | grep -o '[0-9]*$' | head -1)
json=$("$MEDCHAT" history export "$id" --format json --db "$DB" 2>&1)
n=$(printf '%s\n' "$json" | grep -c '"status": *"cancelled"')
check "both stopped answers are stored as cancelled" [ "$n" -ge 2 ]

# --- keystroke echo latency while a 1.1B model generates ---------------------
BIG=$TMPD/synth-1b.gguf
if "$MEDCHAT" debug synth --shape 1b --type q4_0 -o "$BIG" >/dev/null 2>&1; then
	what="synthetic 1.1B Q4_0"
else
	BIG=$SMALL
	what="stories260K (synthetic 1.1B could not be written)"
fi
rm -f "$DB"
ui_brief_env
ui_start -m "$BIG" --db "$DB"
ui_accept "big model: " 60
ui_brief "big model: "
# The same keys while idle first: what this machine, loaded or not, takes
# to echo a key through tmux, as the yardstick for the check below.
ui_echo_median
idle=$median
idle_samples=$samples
ui_keys C-u
ui_type "Tell me everything"
ui_keys Enter
ui_check "big model: generating" "^ generating \|"
ui_echo_median
still=no
if ui_cap | grep -q "^ generating |"; then
	still=yes
fi
meets=no
if [ "$median" -lt 50 ]; then
	meets=yes
fi
diag "keystroke echo latency on $what: median $median ms while generating, $idle ms idle (50 ms target met: $meets), samples (ms):$samples; idle:$idle_samples; still generating at the end: $still"
# The 50 ms target is reported above.  The assertion fails a UI that waits
# for the engine (keys would echo only after the answer), without failing
# the suite on a machine whose other jobs (make check runs two tests at a
# time on two cores) slow every key: under 100 ms, or within twice the
# idle median plus 50 ms.
check "keystroke echo median under 100 ms (or near the idle echo) while generating" \
    [ "$median" -lt 100 -o "$median" -le $((idle * 2 + 50)) ]
check "the engine was busy during the measurement" [ "$still" = yes ]
# The status bar's context figure counts up while the answer streams
# (prompt + tokens so far), not only when it is finished.
ctx_now() {
	ui_cap | sed -n 's/^ generating |.*| ctx \([0-9]*\)\/[0-9]*.*/\1/p' |
	    head -1
}
# Before this conversation's first answer the figure is 0; the first
# token (after the prompt evaluation) makes it prompt + 1.
deadline=$(( $(date +%s) + 60 ))
c1=$(ctx_now)
while [ "${c1:-x}" = 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
	sleep 0.1
	c1=$(ctx_now)
done
c2=$c1
while [ -n "$c1" ] && [ "$(date +%s)" -lt "$deadline" ]; do
	c2=$(ctx_now)
	if [ -z "$c2" ] || [ "$c2" -gt "$c1" ]; then
		break
	fi
	sleep 0.1
done
check "ctx in use is counted while generating" [ "${c1:-0}" -gt 0 ]
if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ]; then
	ok "ctx counts up as tokens stream ($c1 -> $c2)"
else
	fail "ctx counts up as tokens stream"
	diag "first '$c1', then '$c2'; the screen was:"
	ui_cap | sed 's/^/#   |/'
fi
ui_keys Escape
ui_check "big model: Esc stops (after the prompt is evaluated)" "^ stopped \|" 120
ui_keys C-c
ui_keys C-c C-c
ui_check "big model: quit" "MEDCHAT-EXIT 0"
rm -f "$BIG"
done_testing
