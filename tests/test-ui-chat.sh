#!/bin/sh
# test-ui-chat.sh -- end-to-end test of the full-screen chat in tmux:
# advisory, streamed answer, /regen, /edit, the system-message editor
# (with $EDITOR), templates, command errors, the model menu, a failed
# load, the transcript browser (search, open, export, resume, delete),
# tiny terminals, quitting, and that `medchat history` has everything.
. "$top_srcdir/tests/ui-lib.sh"

ui_need_stories
MODEL=$STORIES
DB=$TMPD/chat.db

# An $EDITOR for C-x C-e: replaces the file with a fixed text.
cat > "$TMPD/editor.sh" <<'EOS'
#!/bin/sh
printf 'Answer in one short sentence.\n' > "$1"
EOS
chmod +x "$TMPD/editor.sh"
UI_ENV="VISUAL='$TMPD/editor.sh'"

ui_start -m "$MODEL" --models-dir "$SHARED/models/real" --db "$DB"

# --- advisory ---------------------------------------------------------
ui_check "advisory shown before the first answer" "Model-risk advisory"
ui_type "ok"
ui_keys Enter
ui_check "anything but the phrase is refused" "type: I understand"
# The wrong phrase is cleared: no C-u, the field must read "I understand".
ui_type "I understand"
ui_keys Enter
# 100x30 cannot show the whole text: it must be scrolled to its end first.
ui_check "the phrase is not taken before the end was on screen" \
    "read to the end first"
ui_keys End
ui_check "End shows the end" "end of text"
ui_keys Enter
ui_check "advisory accepted, chat usable" "advisory accepted"
ui_check "status bar: model, quant, template, ctx, marker" \
    "^ ready \| stories260K F32 \| [a-z0-9]+ \| ctx 0/[0-9]+ .*NOT FOR CLINICAL USE"

# --- ask, streamed answer ---------------------------------------------
ui_type "/set max-tokens 24"
ui_keys Enter
ui_check "/set changes a setting" "max-tokens = 24"
ui_type "/set temp 9"
ui_keys Enter
ui_check "a bad value gets a message" "temp must be a number from 0 to 5"
ui_type "/frobnicate"
ui_keys Enter
ui_check "an unknown command gets a message" "unknown command: /frobnicate"
ui_type "Once upon a time there was a fever"
ui_keys Enter
ui_check "question shown" "^  Once upon a time there was a fever"
ui_check "answer header with the model" "^Assistant \(stories260K.gguf\)"
ui_idle
ui_check "answer finished, context in use" "^ ready \| .*ctx [1-9][0-9]*/"
check "answer text streamed into the transcript" ui_answer_text

# --- /regen -------------------------------------------------------------
ui_type "/regen"
ui_keys Enter
ui_check "/regen keeps the old answer as an alternative" \
    "replaced, kept as an alternative"
ui_idle

# --- /edit ----------------------------------------------------------------
ui_type "/edit"
ui_keys Enter
ui_check "/edit puts the last question in the input" \
    "^> Once upon a time there was a fever"
ui_type " and a cough"
ui_keys Enter
ui_check "edited question sent" "^  Once upon a time there was a fever and a cough"
ui_check "old question marked" "You \(edited away\)"
ui_idle

# --- system-message editor ----------------------------------------------
ui_keys F2
ui_check "F2 opens the system-message editor" "System message \(applies"
ui_check "editor shows its save/cancel keys" "C-s save  Esc cancel"
ui_keys C-p
ui_check "C-p lists the presets" "Presets: Enter picks"
ui_keys Escape
check "Esc closes the preset list" ui_gone "Presets: Enter picks"
ui_keys C-x C-e
ui_check "C-x C-e takes the text from \$VISUAL" "^Answer in one short sentence"
ui_keys End
ui_type " Bitte kurz: ü 中"
ui_keys C-s
ui_check "saved" "system message saved"
ui_check "transcript shows the new system message" \
    "^system: Answer in one short sentence. Bitte kurz: ü 中"
if command -v sqlite3 >/dev/null 2>&1; then
	sys=$(sqlite3 "$DB" "select system from conversations order by id limit 1")
	check "system message stored in the database" \
	    [ "$sys" = "Answer in one short sentence. Bitte kurz: ü 中" ]
else
	skip "system message stored in the database" "no sqlite3"
fi
ui_type "/template llama2"
ui_keys Enter
ui_check "/template changes the status bar" "^ ready \| stories260K F32 \| llama2 \|"
ui_type "/template nonesuch"
ui_keys Enter
ui_check "unknown template refused" "unknown template: nonesuch"
ui_type "Why do we sleep?"
ui_keys Enter
ui_check "second question sent" "^  Why do we sleep\?"
ui_idle

# --- model menu -------------------------------------------------------------
ui_keys F3
ui_check "F3 opens the model menu" "Models -- memory available"
ui_check "current model marked" "^\* stories260K.gguf +F32"
ui_check "rows show quant, size, params, bits per weight, memory" \
    "tinyllama-v0-q4_0.gguf +Q4_0 +[0-9.]+MiB +[0-9.]+[KM] +[0-9]+\.[0-9][0-9] +[0-9.]+[KMG]iB"
ui_keys Down
ui_keys Enter
ui_check "the new model needs the advisory" "Model-risk advisory"
ui_keys Escape
ui_check "Esc on a new model's advisory goes back to the old one" \
    "Advisory declined for tinyllama-v0-q4_0.gguf: going back to stories260K.gguf"
ui_check "... which is loaded again" "^ ready \| stories260K F32 \|"
if ui_cap | grep -q "MEDCHAT-EXIT"; then
	fail "... and the program is still running"
else
	ok "... and the program is still running"
fi
ui_keys F3
ui_check "F3 again" "Models -- memory available"
ui_keys Down
ui_keys Enter
ui_check "the new model needs the advisory again" "Model-risk advisory"
ui_keys End
ui_type "I understand"
ui_keys Enter
ui_check "status bar shows the new model" "^ ready \| tinyllama-v0-q4_0 Q4_0 \|"
printf 'GGUF\003\000\000\000garbage' > "$TMPD/bad.gguf"
ui_type "/model $TMPD/bad.gguf"
ui_keys Enter
ui_check "a bad file gives the reader's one-line error" "bad.gguf"
ui_check "and the previous model stays" "^ ready \| tinyllama-v0-q4_0 Q4_0 \|"

# --- tiny terminals ----------------------------------------------------------
ui_tmux resize-window -t ui -x 40 -y 10
ui_check "40x10 is usable: status and marker" "NOT CLINICAL"
ui_check "40x10 keeps the input row" "^>"
ui_tmux resize-window -t ui -x 30 -y 8
ui_check "smaller than 40x10: a notice" "terminal too small"
ui_tmux resize-window -t ui -x 100 -y 30
check "back to 100x30: notice gone" ui_gone "terminal too small"
ui_check "back to 100x30: full status bar" \
    "^ ready \| tinyllama-v0-q4_0 Q4_0 \| llama2 \| ctx .*NOT FOR CLINICAL USE"

# --- a second conversation, then the browser ---------------------------------
ui_type "/new"
ui_keys Enter
ui_check "/new" "new conversation"
ui_type "Zebra question to delete"
ui_keys Enter
ui_check "third question sent" "^  Zebra question to delete"
ui_idle
ui_keys F4
ui_check "F4 opens the browser" "Conversations \(2\)"
ui_check "newest first" "^20[0-9-]+ [0-9:]+ Zebra question to delete"
ui_keys /
ui_type "feve"
ui_check "incremental search finds a word prefix" "Conversations \([1-9][0-9]* matches\)"
esc=$(printf '\033')
if ui_tmux capture-pane -e -p -t ui | grep -q "${esc}\[[0-9;]*m[Ff]eve"; then
	ok "matches are highlighted"
else
	fail "matches are highlighted"
	ui_tmux capture-pane -e -p -t ui | sed -n 3,6p | cat -v | sed 's/^/#   |/'
fi
ui_keys Enter Enter
ui_check "open read-only" "read-only\)"
ui_check "read-only view shows the transcript" "^  Once upon a time there was a fever and a cough"
ui_keys q
ui_keys Escape
ui_check "search cleared" "Conversations \(2\)"
ui_keys e
ui_check "export asks for a format" "Export as md\|json\|txt"
ui_keys BSpace BSpace
ui_type "md $TMPD/zebra.md"
ui_keys Enter
ui_check "export done" "exported to $TMPD/zebra.md"
check "exported file has the question" grep -q "Zebra question to delete" "$TMPD/zebra.md"
ui_keys n
ui_check "rename asks for the title" "New title \(Enter saves"
ui_keys C-u
ui_type "Renamed zebra ü"
ui_keys Enter
ui_check "renamed" "^20[0-9-]+ [0-9:]+ Renamed zebra ü \("
ui_keys a
ui_check "archive hides the conversation" "Conversations \(1\)"
ui_keys A
ui_check "A shows archived ones too" "Conversations \(2\) incl. archived"
ui_check "archived row marked" "Renamed zebra ü .*\[archived\]"
ui_keys a
ui_check "unarchived" "unarchived conversation"
ui_keys A
ui_check "back to active only" "Conversations \(2\)$"
ui_keys d
ui_check "delete asks for confirmation" "Delete conversation .* y/n"
ui_keys n
ui_check "n cancels" "cancelled"
ui_keys d
ui_keys y
ui_check "deleted" "deleted conversation"
ui_check "one conversation left" "Conversations \(1\)"
ui_keys r
ui_check "resume" "resumed conversation"
ui_check "resumed transcript" "^  Why do we sleep\?"

# --- quit --------------------------------------------------------------------
ui_keys C-c
ui_check "C-c at an empty prompt asks for a second one" \
    "press C-c again to quit"
ui_keys C-c
ui_check "the second C-c quits cleanly" "MEDCHAT-EXIT 0"

out=$("$MEDCHAT" history list --db "$DB" 2>&1)
case $out in
*"Once upon a time"*) ok "history list has the conversation" ;;
*) fail "history list has the conversation"; diag "$out" ;;
esac
case $out in
*Zebra*) fail "deleted conversation is gone from history"; diag "$out" ;;
*) ok "deleted conversation is gone from history" ;;
esac
id=$("$MEDCHAT" history list --json --db "$DB" | grep -o '"id": *[0-9][0-9]*' | grep -o '[0-9]*$' | head -1)
show=$("$MEDCHAT" history show "$id" --db "$DB" 2>&1)
for want in "Once upon a time there was a fever" \
    "Once upon a time there was a fever and a cough" \
    "Why do we sleep?" "Answer in one short sentence."; do
	case $show in
	*"$want"*) ok "history show has: $want" ;;
	*) fail "history show has: $want"; diag "$show" | head -40 ;;
	esac
done
case $show in
*tinyllama-v0-q4_0*) ok "answers record the model that produced them" ;;
*stories260K*) ok "answers record the model that produced them" ;;
*) fail "answers record the model that produced them" ;;
esac
hist=$UI_HOME/data/medchat/history
check "readline history persisted" grep -q "Why do we sleep" "$hist"
mode=$(file_mode "$hist")
check "history file is private (0600)" [ "$mode" = 600 ]
done_testing
