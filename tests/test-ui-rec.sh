#!/bin/sh
# test-ui-rec.sh -- what the record holds, seen in the chat (issue 20):
# - the start offers to reopen the last conversation and says how many
#   unfinished answers an earlier run left marked interrupted; Enter
#   reopens it, Esc starts a new one;
# - a reopened conversation's context meter is its own, not "ctx 0/";
# - the messages the last answer's context left out are marked, in a
#   reopened conversation and as they happen;
# - /regen's and an edit's alternatives show "‹ i/n ›", Alt-, and Alt-.
#   step through them, and the next question continues from the one
#   shown;
# - Alt-p/Alt-n select messages; Alt-i shows an answer's provenance,
#   readable at 100x30 and at 20x6.
. "$top_srcdir/tests/ui-lib.sh"

ui_need_stories
if ! command -v sqlite3 >/dev/null 2>&1; then
	skip "record in the chat" "the sqlite3 shell is not installed"
	done_testing
	exit 0
fi
DB=$TMPD/rec.db
ask() {
	"$MEDCHAT" ask -m "$STORIES" --db "$DB" --accept-advisory -n 8 \
	    --ctx 64 "$@" >/dev/null 2>&1
}
# Three turns in a 64-token context (no system message: the default one
# alone would not fit): the last two prompts left messages out.  Then the last answer is made one a crashed run left streaming.
check "setup: three turns asked" sh -c '
	"$1" ask -m "$2" --db "$3" --accept-advisory -n 8 --system "" \
	    "Is a fever dangerous?" >/dev/null 2>&1' \
    _ "$MEDCHAT" "$STORIES" "$DB"
check "setup: the second turn" ask --continue 1 "And a cough?"
check "setup: the third turn" ask --continue 1 "What about a rash on the arm?"
check "setup: the last answer left streaming by a dead process" \
    sqlite3 "$DB" "UPDATE messages SET status = 'streaming', writer_pid = \
    NULL WHERE id = 6"

# --- the offer, Enter -------------------------------------------------------
ui_start -m "$STORIES" --db "$DB"
ui_check "offer: the last conversation is named, with the interrupted count" \
    'Last conversation: "Is a fever dangerous\?" \(6 messages\)\. 1 unfinished'
ui_check "offer: the count said in words" "^marked interrupted\. Enter reopens it"
ui_keys Enter
ui_check "offer: Enter reopens it" "resumed conversation 1"
ui_check "reopened: the interrupted answer is shown so" \
    '^Assistant \(stories260K\.gguf\) \[interrupted\]'
ui_check "reopened: the meter shows the conversation's context" \
    '\| ctx [1-9][0-9]*/[0-9]+ \|'
check "reopened: not an empty meter" ui_gone '\| ctx 0/'
ui_check "trimmed: the first question is marked" \
    "^You \[not in the model's context\]"
last_q_plain() {
	ui_cap | grep -B1 "^  What about a rash" | grep -qx "You"
}
check "trimmed: the last question is not" last_q_plain

# --- alternatives -----------------------------------------------------------
ui_type "/set max-tokens 8"
ui_keys Enter
ui_type "/regen"
ui_keys Enter
ui_idle >/dev/null
ui_check "regen: the new answer is alternative 2 of 2" \
    '^Assistant \(stories260K\.gguf\) ‹ 2/2 ›'
ui_check "regen: the whole context fits again: nothing marked" \
    '^You$'
ui_keys M-,
ui_check "Alt-,: alternative 1 of 2 shown" \
    '^Assistant \(stories260K\.gguf\) \[interrupted\] ‹ 1/2 ›'
ui_check "Alt-,: said so" "alternative 1 of 2: the conversation goes on"
ui_keys M-,
ui_check "Alt-, at the first: said so" "already the first of 2 alternatives"
ui_ask "Is it contagious?" >/dev/null
ui_check "next question: answered" "^  Is it contagious\?"
show=$("$MEDCHAT" history show 1 --db "$DB" 2>&1)
check "next question: its parent is the alternative shown" sh -c '
	printf "%s\n" "$1" | awk "
	    /alternative 1 of 2/ { a = 1 }
	    /^Is it contagious/ && a { ok = 1 }
	    END { exit !ok }"' _ "$show"
ui_keys M-.
ui_check "Alt-.: alternative 2 of 2 shown" \
    '^Assistant \(stories260K\.gguf\) ‹ 2/2 ›'
check "Alt-.: with its own continuation (none)" \
    ui_gone "Is it contagious"
ui_keys M-.
ui_check "Alt-. at the last: said so" "already the last of 2 alternatives"

# --- selection and provenance -----------------------------------------------
ui_keys Escape
ui_check "Esc: the alternative shown is no longer selected" "selection left"
ui_keys M-p
ui_check "Alt-p: the last answer selected" "^answer selected"
ui_keys M-p
ui_check "Alt-p: then its question" "^question selected"
ui_keys M-i
ui_check "Alt-i on a question: said so" "provenance is kept for answers"
ui_keys M-n
ui_check "Alt-n: the answer again" "^answer selected"
ui_keys M-i
ui_check "provenance: shown" "^ Provenance of answer [0-9]+"
ui_check "provenance: the model file" "^Model: stories260K\.gguf"
ui_check "provenance: its SHA-256" "^SHA-256: [0-9a-f]{64}"
ui_check "provenance: quantization and template" "^Template: chatml"
ui_check "provenance: sampling as recorded" "^Sampling: temp 0\.8, top_k 40"
ui_check "provenance: the kernels" "kernels [a-z0-9]+"
ui_check "provenance: the seed" "^Seed: [0-9]+"
ui_check "provenance: how it ended" "^Ended: complete"
ui_check "provenance: speeds" "^Speed: prompt [0-9.]+ tok/s, answer"
ui_tmux resize-window -t ui -x 20 -y 6
ui_check "20x6: drawn, not refused" "^ Answer [0-9]+"
check "20x6: no 'too small'" ui_gone "too small"
ui_check "20x6: wrapped, more below" "^more: PgDn/Down"
ui_keys End
ui_check "20x6: scrolled to the end" "^  conversation"
ui_tmux resize-window -t ui -x 100 -y 30
ui_keys Escape
ui_check "provenance: Esc back to the chat" "^ ready \|"
ui_keys Escape
ui_check "Esc: the selection left again" "selection left"

# --- an edited question's alternatives --------------------------------------
ui_keys F6
ui_check "edit: the question in the input" "^> What about a rash on the arm\?"
ui_keys End
ui_type " Be brief."
ui_keys Enter
ui_idle >/dev/null
ui_check "edit: the new question is alternative 2 of 2" '^You ‹ 2/2 ›'
ui_keys M-,
ui_check "edit: Alt-, shows the question before the edit" '^You ‹ 1/2 ›'
ui_check "edit: with its own answers" \
    '^Assistant \(stories260K\.gguf\) ‹ 2/2 ›'
ui_keys C-c
ui_wait "press C-c again" 10 >/dev/null
ui_keys C-c
ui_check "the chat exits" "MEDCHAT-EXIT 0"

# --- the offer, Esc; a trimmed context as it happens ------------------------
# (The default system message alone would not fit: "Be brief.")
ui_brief_env
ui_start -m "$STORIES" --db "$DB" --ctx 128
ui_check "offer again, without interrupted answers" \
    'Last conversation: "Is a fever dangerous\?" \([0-9]+ messages\)\. Enter'
ui_keys Escape
ui_check "offer: Esc starts a new one" "^A new conversation: the last one is in"
ui_brief "live: "
ui_type "/set max-tokens 8"
ui_keys Enter
for q in "Is a fever dangerous?" "And a cough?" "What about a rash?" \
    "And a headache?"; do
	ui_ask "$q" >/dev/null
done
ui_check "live: the context window left the first question out" \
    "^You \[not in the model's context\]"
ui_check "live: the meter is this conversation's" '\| ctx [1-9][0-9]*/128 \|'
ui_keys C-c
ui_wait "press C-c again" 10 >/dev/null
ui_keys C-c
ui_check "the chat exits again" "MEDCHAT-EXIT 0"
done_testing
