#!/bin/sh
# test-ui-measure.sh -- measuring files from the model menu (issue 15):
# the SPEED and QUALITY columns, llama.cpp's published figure shown
# labelled while nothing is measured, a speed and a quality measurement
# started from the menu running in the background with progress in the
# row while the selection moves, their results in the columns and in the
# detail view, stopping with x and by closing the menu, the layout at
# 100, 80 and 40 columns (and the notice at 20x6), and quitting while a
# measurement runs.  Files written by our own code (`medchat debug
# synth`) always; the kzoo set of ../shared (one model in 16 types) for
# the KL divergence against the model's reference file, skipped visibly
# without it.
. "$top_srcdir/tests/ui-lib.sh"

DB=$TMPD/measure.db
MDIR=$TMPD/models
mkdir -p "$MDIR"
"$MEDCHAT" debug synth --shape tiny --type q4_k_m \
    -o "$MDIR/synth-q4_k_m.gguf" >/dev/null 2>&1 &&
"$MEDCHAT" debug synth --shape tiny --type q8_0 \
    -o "$MDIR/synth-q8_0.gguf" >/dev/null 2>&1
check "two tiny synthetic files written" [ -s "$MDIR/synth-q8_0.gguf" ]

ESC=$(printf '\033')
# Wait until the row starting with $1 (a regex) is the selected one:
# reverse video from its first column ("[7m", or "[0;7m" plus colour
# resets after a row that ended dim).
ui_wait_sel() {
	_deadline=$(( $(date +%s) + 20 ))
	until ui_tmux capture-pane -p -e -t ui | grep -Eq -- \
	    "^${ESC}\[(0;)?7m(${ESC}\[[0-9;]*m)*$1"; do
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.05
	done
}
# A row of the menu: the file name at the start, then $2.
row() {
	printf '^[* ] %s +%s' "$(printf '%s' "$1" | sed 's/\./\\./g')" "$2"
}

# --- the columns, published figures while nothing is measured ----------------
ui_start --db "$DB" -m "$MDIR/synth-q8_0.gguf" --models-dir "$MDIR"
ui_accept "start: "
ui_keys F3
ui_check "menu: the new columns" \
    "^  MODEL +QUANT +SIZE +PARAMS +BPW +MEMORY +TOK/S +QUALITY *$"
ui_check "menu: every header read" \
    "^ Models -- memory available [^ ]+, context of each model *$"
ui_check "menu: Q4_K_M's published figure, labelled, no speed yet" \
    "$(row synth-q4_k_m.gguf 'Q4_K_M +[0-9.]+[KMG]iB +[0-9.]+[KMG] +[0-9]\.[0-9][0-9] +[0-9.]+[KMG]iB  +– +\+0\.1754 pub *$')"
ui_check "menu: Q8_0's published figure" \
    "$(row synth-q8_0.gguf 'Q8_0 .* +\+0\.0026 pub *$')"
ui_check "menu: the keys line names the measuring keys" \
    "s speed +m quality +M whole model +i details +x stop"

# --- a speed and a quality measurement of our own file -----------------------
ui_keys Home
ui_keys s
ui_check "speed: the answer/prompt tok/s appear in the column" \
    "$(row synth-q4_k_m.gguf 'Q4_K_M .* [0-9]+(\.[0-9])?/[0-9]+k? +\+0\.1754 pub *$')" 120
ui_keys m
ui_check "quality: a lone file of its model gets its perplexity" \
    "$(row synth-q4_k_m.gguf 'Q4_K_M .* [0-9.]+/[0-9]+k? +ppl [0-9.]+ *$')" 120
ui_check "quality: the result is said on the message line" \
    "^synth-q4_k_m\.gguf: perplexity [0-9.e+]+"
ui_keys i
ui_check "details: open on the file" "^ Measurements -- synth-q4_k_m\.gguf"
ui_check "details: the stored speed measurement" \
    "^[0-9-]+ [0-9:]+  speed  complete"
ui_check "details: the stored perplexity" \
    "^[0-9-]+ [0-9:]+  perplexity  complete"
ui_check "details: its text, context and chunks" \
    "^    text built-in \(sha256 [0-9a-f]+\), context [0-9]+, [0-9]+ chunks"
ui_check "details: the medchat version" "^    medchat [0-9]"
ui_check "details: the file's size in MiB, as inspect and the columns say" \
    "vocabulary [0-9]+, [0-9.]+[KMG]iB *$"
ui_check "details: threads counted in words (\"1 thread\", \"2 threads\")" \
    "^    medchat [^,]+, (1 thread|[02-9][0-9]* threads)(,|$)"
ui_check "details: no answer yet with this file" \
    "^Speed from real use: no answer yet with this file"
ui_check "details: the published figure, named as such" \
    "^Published \(llama\.cpp's quantize tool\): \+0\.1754"
ui_keys q
ui_check "details: q goes back to the menu" "^  MODEL +QUANT"

# --- layout at 80 and 40 columns, the notice at 20x6 --------------------------
ui_tmux resize-window -t ui -x 80 -y 24
ui_check "80 columns: every column still there" \
    "^  MODEL +QUANT +SIZE +PARAMS +BPW +MEMORY +TOK/S +QUALITY *$"
ui_check "80 columns: the row whole, numbers uncut" \
    "$(row synth-q4_k_m.gguf 'Q4_K_M +[0-9.]+[KMG]iB .* [0-9.]+/[0-9]+k? +ppl [0-9.]+ *$')"
ui_tmux resize-window -t ui -x 40 -y 10
ui_check "40 columns: PARAMS, SIZE, MEMORY and TOK/S dropped" \
    "^  MODEL +QUANT +BPW +QUALITY *$"
ui_check "40 columns: the quality figure uncut" \
    "^  synth…m\.gguf Q4_K_M +[0-9]\.[0-9][0-9] +ppl [0-9.]+ *$"
ui_tmux resize-window -t ui -x 20 -y 6
ui_check "20x6: the too-small notice" "^terminal too small"
ui_tmux resize-window -t ui -x 100 -y 30
ui_check "100 columns again" "^  MODEL +QUANT +SIZE"

# --- progress while the selection moves, stop with x, by closing -------------
# A TinyLlama-1.1B-shaped file keeps a measurement busy long enough to see
# it run (as test-ui-stream does for generation).
BIG=$MDIR/big-1b.gguf
if "$MEDCHAT" debug synth --shape 1b --type q4_0 -o "$BIG" >/dev/null 2>&1
then
	ui_keys r
	ui_check "big: listed" "$(row big-1b.gguf 'Q4_0 ')"
	ui_keys Home
	ui_keys m
	ui_check "big: progress in the row" \
	    "$(row big-1b.gguf 'Q4_0 .* (sha|ppl) [0-9]+% *$')" 60
	ui_check "big: the title says a measurement runs" \
	    "^ Models -- .* \| measuring big-1b\.gguf [0-9]+%"
	ui_keys Down
	check "big: the selection moves while it runs" \
	    ui_wait_sel "  synth-q4_k_m\.gguf"
	ui_check "big: ... and the progress goes on" \
	    "$(row big-1b.gguf 'Q4_0 .* (sha|ppl) [0-9]+% *$')"
	ui_keys x
	ui_check "big: x stops it" \
    "^(measurement stopped|big-1b\.gguf: stopped)"
	ui_check "big: the row is back to the published figure" \
	    "$(row big-1b.gguf 'Q4_0 .* – +\+0\.4685 pub *$')" 120
	ui_check "big: nothing measuring any more" \
	    "^ Models -- memory available [^ ]+, context of each model *$" 60
	ui_keys Home
	ui_keys s
	ui_check "big: the speed measurement shows its progress" \
	    "$(row big-1b.gguf 'Q4_0 .* (sha [0-9]+%|run [0-9]+%) +\+0\.4685 pub *$')" 60
	ui_check "big: the speed appears" \
	    "$(row big-1b.gguf 'Q4_0 .* [0-9.]+/[0-9]+ +\+0\.4685 pub *$')" 300
	ui_keys m
	ui_check "big: quality started again" \
	    "$(row big-1b.gguf 'Q4_0 .* ppl [0-9]+% *$')" 60
	ui_keys q
	ui_check "big: closing the menu stops it" "^ ready \| synth-q8_0"
	check "big: the status bar lets go of it" \
	    ui_gone "measuring|stopping" 120
else
	skip "measuring a 1.1B-shaped file" "debug synth --shape 1b failed"
fi
ui_keys C-c C-c
ui_check "quits" "MEDCHAT-EXIT 0"

# --- KL divergence against the model's reference file (kzoo) -----------------
KZ=${SHARED:+$SHARED/models/synthetic}
if [ -z "$KZ" ] || [ ! -f "$KZ/kzoo-f32.gguf" ]; then
	skip "kzoo KL divergence from the menu" "../shared/models not found"
	done_testing
	exit 0
fi
# Five of the sixteen types keep the run short on a busy machine.
KDIR=$TMPD/kzoo
mkdir -p "$KDIR"
for t in f32 q8_0 q6_k q4_k_m q2_k; do
	ln -s "$KZ/kzoo-$t.gguf" "$KDIR/kzoo-$t.gguf"
done
KDB=$TMPD/kzoo.db
ui_start --db "$KDB" -m "$MDIR/synth-q8_0.gguf" --models-dir "$KDIR"
ui_accept "kzoo: "
ui_keys F3
ui_check "kzoo: headers read" \
    "^ Models -- memory available [^ ]+, context of each model *$"
ui_check "kzoo: F32 has no published figure" \
    "$(row kzoo-f32.gguf 'F32 .* – +– *$')"
# kzoo-q2_k: the rows are sorted by name, after big-1b (when it was
# written) and kzoo-f32.
ui_keys Home Down
[ -f "$BIG" ] && ui_keys Down
check "kzoo: kzoo-q2_k selected" ui_wait_sel "  kzoo-q2_k\.gguf"
ui_keys m
ui_check "kzoo: Q2_K's KL divergence against kzoo-f32 appears" \
    "$(row kzoo-q2_k.gguf 'Q2_K .* kld [0-9.]+ *$')" 120
ui_keys i
ui_check "kzoo: details name the reference file" \
    "^Reference for the KL divergence: kzoo-f32\.gguf"
ui_check "kzoo: the stored KLD with its reference" \
    "^    reference kzoo-f32\.gguf \(sha256 [0-9a-f]+\)"
ui_keys q
ui_keys M
ui_check "kzoo: M queues the model's other files" \
    "^4 files of kzoo queued, 1 measured already"
ui_check "kzoo: a queued row says so" "queued *$"
check "kzoo: every file measured" ui_gone "measuring|queued *$| [0-9]+% *$" 300
ui_check "kzoo: the reference shows its perplexity" \
    "$(row kzoo-f32.gguf 'F32 .* ppl [0-9.]+ *$')"
n=$(ui_cap | grep -c '^[* ] kzoo-.* kld [0-9.]* *$')
check "kzoo: the 4 other files show a KLD ($n)" [ "$n" -eq 4 ]
kld() {
	ui_cap | grep "^[* ] kzoo-$1\.gguf " | sed 's/.* kld \([0-9.]*\) *$/\1/'
}
q8=$(kld q8_0)
q6=$(kld q6_k)
q4=$(kld q4_k_m)
q2=$(kld q2_k)
diag "kzoo KLD against F32: Q8_0 $q8, Q6_K $q6, Q4_K_M $q4, Q2_K $q2"
check "kzoo: KLD grows as bits shrink (Q8_0 < Q6_K < Q4_K_M < Q2_K)" \
    awk -v a="$q8" -v b="$q6" -v c="$q4" -v d="$q2" \
    'BEGIN { exit !(a < b && b < c && c < d) }'
ui_keys M
ui_check "kzoo: M again: nothing left to measure" \
    "^every file of kzoo is measured already"
# Quitting while a measurement runs does not wait for it.
ui_keys m
ui_check "kzoo: measuring again" "measuring kzoo-"
ui_keys q
ui_keys C-c C-c
ui_check "kzoo: quits while it runs" "MEDCHAT-EXIT 0" 30
done_testing
