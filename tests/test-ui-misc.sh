#!/bin/sh
# test-ui-misc.sh -- the chat without a model (explanation, /demo),
# multi-line input (Alt-Enter, trailing backslash, bracketed paste), Tab
# completion, /help from the tables, /copy through OSC 52, /stats,
# /advisory, Markdown in answers (an imported conversation, read-only
# and resumed), the model menu with a FIFO and many files, a non-UTF-8
# locale with NO_COLOR, SIGTERM restoring the
# terminal, browsing a read-only database, and the input history file
# (two instances both keep their lines, a delete removes a conversation's
# questions, input-history = off and --no-input-history write none).
. "$top_srcdir/tests/ui-lib.sh"

DB=$TMPD/misc.db

# --- Markdown in answers: emphasis, code spans, headings; stored text raw ------
# The demo model's random text has no Markdown, so the answer comes from an
# imported conversation, opened read-only in the browser and then resumed.
MDDB=$TMPD/md.db
cat > "$TMPD/md.json" <<'EOF'
{"format": "medchat-export", "version": 1, "conversations": [
 {"id": 1, "title": "Markdown answer", "created": "2026-01-02T03:04:05.006Z",
  "updated": "2026-01-02T03:05:00.000Z", "system": null, "template": null,
  "model_file": "m.gguf", "model_sha256": null, "model_quant": "Q4_K_M",
  "params_json": null, "archived": false, "current_leaf": 2, "messages": [
  {"id": 1, "parent": null, "role": "user", "status": "complete",
   "created": "2026-01-02T03:04:05.006Z", "updated": "2026-01-02T03:04:05.006Z",
   "error": null, "model_file": null, "model_quant": null, "model_sha256": null,
   "template": null, "params_json": null, "seed": null, "n_prompt": 0,
   "n_gen": 0, "prefill_tps": 0, "decode_tps": 0, "trimmed": false,
   "dropped_json": null, "content": "How do I take **it**?"},
  {"id": 2, "parent": 1, "role": "assistant", "status": "complete",
   "created": "2026-01-02T03:04:10.000Z", "updated": "2026-01-02T03:04:11.000Z",
   "error": null, "model_file": "m.gguf", "model_quant": "Q4_K_M",
   "model_sha256": null, "template": "chatml", "params_json": null, "seed": 1,
   "n_prompt": 12, "n_gen": 3, "prefill_tps": 1, "decode_tps": 1,
   "trimmed": false, "dropped_json": null,
   "content": "## Dosage\nTake it **with food** and *after* meals; `ibuprofen 400 mg` at most.\n2 * 3 = 6 and x_1 stay as typed.\nThe words in this sentence run on for a while so that **the bold part crosses the right edge of the window** and wraps."}]}]}
EOF
out=$("$MEDCHAT" history import "$TMPD/md.json" --db "$MDDB" 2>&1)
check "markdown: conversation imported" [ "$out" = "imported 1 conversation: 1" ]
ESC=$(printf '\033')
# The screen with attributes as SGR sequences; 0 if it has the text $1.
ui_cap_attr() {
	ui_tmux capture-pane -p -e -t ui | grep -qF -- "$1"
}
md_no_colour() {
	! ui_tmux capture-pane -p -e -t ui | grep -q "${ESC}\[3[0-7]m"
}
md_screen() {
	ui_check "markdown ($1): **bold** shown without asterisks" \
	    "^  Take it with food and after meals; ibuprofen 400 mg at most\.$"
	ui_check "markdown ($1): heading without its #s" "^  Dosage$"
	ui_check "markdown ($1): a lone * and x_1 stay as typed" \
	    "^  2 \* 3 = 6 and x_1 stay as typed\.$"
	ui_check "markdown ($1): the question is shown as typed" \
	    "^  How do I take \*\*it\*\*\?$"
	check "markdown ($1): bold has the bold attribute" \
	    ui_cap_attr "${ESC}[1mwith food"
	check "markdown ($1): bold carried over the wrap" \
	    ui_cap_attr "${ESC}[1mwindow"
	check "markdown ($1): the wrapped row fits the width" \
	    ui_wait "^  window and wraps\.$" 5
}
ui_start --db "$MDDB"
ui_check "markdown: starts without a model" "No model is loaded"
ui_keys F4
ui_check "markdown: the browser lists the conversation" "Markdown answer"
ui_keys Enter
ui_check "markdown: opened read-only" "Markdown answer \(conversation 1, read-only\)"
md_screen "read-only view"
check "markdown: code span in the code colour" \
    ui_cap_attr "${ESC}[33mibuprofen 400 mg"
check "markdown: italic underlined where TERM has no italics" \
    ui_cap_attr "${ESC}[4mafter"
ui_keys q
ui_keys r
ui_check "markdown: resumed" "resumed conversation"
md_screen "chat"
ui_keys C-c C-c C-c
ui_check "markdown: quits" "MEDCHAT-EXIT 0"
out=$("$MEDCHAT" history show 1 --db "$MDDB" 2>&1)
case $out in
*'Take it **with food** and *after* meals; `ibuprofen 400 mg`'*)
	ok "markdown: the stored answer keeps its markers" ;;
*)	fail "markdown: the stored answer keeps its markers"; diag "$out" ;;
esac
if infocmp tmux-256color >/dev/null 2>&1; then
	UI_ENV="NO_COLOR=1 TERM=tmux-256color"
	ui_start --db "$MDDB"
	ui_check "markdown: starts with NO_COLOR" "No model is loaded"
	ui_keys F4
	ui_keys Enter
	ui_check "markdown (NO_COLOR): opened" "^  Take it with food and after"
	check "markdown (NO_COLOR): italic where TERM has italics" \
	    ui_cap_attr "${ESC}[3mafter"
	check "markdown (NO_COLOR): code span dim, no colour" \
	    ui_cap_attr "${ESC}[2mibuprofen 400 mg"
	check "markdown (NO_COLOR): no colour anywhere" md_no_colour
	ui_keys q q C-c C-c C-c
	ui_check "markdown (NO_COLOR): quits" "MEDCHAT-EXIT 0"
	UI_ENV=""
else
	skip "markdown: italics and NO_COLOR" "no tmux-256color terminfo"
fi

# --- no model: explanation and the demo model ---------------------------------
ui_start --db "$DB"
ui_check "no model: explains where models go" "No model is loaded"
ui_check "no model: names the models directory" "$UI_HOME/data/medchat/models"
ui_check "no model: offers the demo model" "type /demo"
ui_check "no model: state in the status bar" "^ no model "
ui_type "hello"
ui_keys Enter
ui_check "asking without a model explains what to do" "no model loaded: /model picks one"
ui_keys C-u
ui_type "/de"
ui_keys Tab
ui_check "Tab completes a command" "^> /demo"
ui_keys Enter
ui_check "the demo model needs the advisory" "Model-risk advisory" 60
ui_keys End
ui_type "I understand"
ui_keys Enter
ui_check "demo model loaded" "^ ready \| medchat-demo-random "
ui_check "demo model labelled meaningless" "random weights -- meaningless output"
check "demo model written to the models directory" \
    [ -f "$UI_HOME/data/medchat/models/medchat-demo-random.gguf" ]

# Short answers from here on, so a question stays on screen long enough to
# be seen on a slow machine (a long answer scrolls it away).
ui_type "/set max-tokens 8"
ui_keys Enter

# --- multi-line input ---------------------------------------------------------
ui_type "first line"
ui_keys M-Enter
ui_type "second line\\"
ui_keys Enter
ui_type "third line"
ui_check "Alt-Enter and a trailing backslash continue the input" \
    "^second line$"
ui_check "the input grows to three rows" "^third line"
ui_keys C-c
check "C-c clears a multi-line input" ui_gone "^third line"
printf 'pasted one\npasted two\npasted three' > "$TMPD/paste.txt"
ui_tmux load-buffer -b p "$TMPD/paste.txt"
ui_tmux paste-buffer -p -b p -t ui
ui_check "bracketed paste keeps newlines without sending" "^pasted three"
ui_check "bracketed paste: first line in the input" "^> pasted one"
ui_keys Enter
ui_check "the pasted question is sent as one message" "^  pasted three"
ui_idle
# The first answer wrote the system message's K/V (the prefix cache).
prefix_file() {
	[ -n "$(find "$XDG_CACHE_HOME/medchat/prefix" -name '*.kv' \
	    -perm 600 2>/dev/null)" ]
}
check "the first answer wrote the prefix cache's file (0600)" prefix_file

# --- markdown-ish layout: list items hang, code fences coloured --------------------
ui_type "- a list item with enough words to run past the right edge of a one hundred column terminal window"
ui_keys M-Enter
ui_type '```'
ui_keys M-Enter
ui_type "code line"
ui_keys M-Enter
ui_type '```'
ui_keys Enter
ui_check "list item first row" "^  - a list item with enough words"
ui_check "list item continues under its text" "^    window$"
ui_check "code block kept verbatim" "^  code line$"
ui_idle

# --- /help, /stats, /copy, /advisory --------------------------------------------
ui_type "/help"
ui_keys Enter
ui_check "/help lists keys" "I understand -- type it and press Enter"
ui_keys PgUp
ui_check "PgUp scrolls back" "scrolled back: End or PgDn"
ui_check "/help lists the editor's keys" "C-x C-e -- edit in"
# (As far back as the table has grown.)
for _i in 1 2 3 4; do
	ui_keys PgUp
	ui_wait "^  /new -- start a new conversation" 2 && break
done
ui_check "/help lists commands from the table" \
    "^  /new -- start a new conversation"
ui_keys End
check "End follows the bottom again" ui_gone "scrolled back"

# --- mouse wheel: SGR (1006) and X10 reports written into the pane's input ------
# tmux cannot click from a client, so the terminal's report bytes are typed
# literally: ESC [ < 64;x;y M is wheel up, 65 wheel down (SGR); ESC [ M then
# 32+64, 32+x, 32+y is the X10 form that ncurses decodes itself.
sgr_up=$(printf '\033[<64;10;5M')
sgr_down=$(printf '\033[<65;10;5M')
x10_up=$(printf '\033[M`*%%')
x10_down=$(printf '\033[Ma*%%')
bottom=$(ui_cap | sed -n 1,20p)
ui_type "$sgr_up"
ui_check "SGR wheel up scrolls back" "scrolled back: End or PgDn"
moved=$(ui_cap | sed -n 1,20p)
check "SGR wheel up moved the transcript" [ "$moved" != "$bottom" ]
check "SGR report not typed into the input" ui_wait "^> ?$" 5
ui_type "$sgr_down"
check "SGR wheel down returns to the bottom" ui_gone "scrolled back"
check "SGR wheel down: same lines as before" \
    [ "$(ui_cap | sed -n 1,20p)" = "$bottom" ]
ui_type "$x10_up"
ui_check "X10 wheel up scrolls back" "scrolled back: End or PgDn"
ui_type "$x10_down"
check "X10 wheel down returns to the bottom" ui_gone "scrolled back"
check "X10 reports not typed into the input" ui_wait "^> ?$" 5
ui_type "/stats"
ui_keys Enter
ui_check "/stats shows the model and database" "^Database: $DB"
ui_tmux set-option -g set-clipboard on
ui_type "/copy"
ui_keys Enter
# Nothing says whether the terminal took it: "sent", and the fallbacks.
ui_check "/copy says sent to the terminal's clipboard (OSC 52)" \
    "sent the last answer \([0-9]+ bytes\) to the terminal's clipboard \(OSC 52\)"
check "/copy does not claim it was copied" ui_gone "copied the last answer" 1
buf=$(ui_tmux show-buffer 2>/dev/null)
if [ -n "$buf" ] && [ "$buf" != "pasted one" ]; then
	ok "OSC 52 reached the terminal's clipboard"
else
	fail "OSC 52 reached the terminal's clipboard"
fi

# /copy FILE: a new file (0600), named with its whole path; never over
# an existing one.
ui_type "/copy answer.txt"
ui_keys Enter
ui_check "/copy FILE names the whole path" \
    "wrote the last answer \([0-9]+ bytes\) to $UI_HOME/answer.txt"
check "/copy FILE: the file holds the stored answer, mode 0600" \
    sh -c '[ -s "$1" ] && [ "$(stat -c %a "$1")" = 600 ] &&
    [ "$(sqlite3 "$2" "SELECT content FROM messages WHERE role =
    '"'assistant'"' ORDER BY id DESC LIMIT 1")" = "$(cat "$1")" ]' _ \
    "$UI_HOME/answer.txt" "$DB"
ui_type "/copy answer.txt"
ui_keys Enter
ui_check "/copy FILE does not overwrite" "answer.txt: exists"
# /mouse off (and F7): the terminal gets the mouse back to select text.
ui_type "/mouse off"
ui_keys Enter
ui_check "/mouse off says the mouse is released" "mouse released: select text"
ui_check "the status bar says mouse off" "^ ready \| mouse off \|"
ui_type "$sgr_up"
check "mouse off: the mode is off in the pane (no wheel reports asked)" \
    [ "$(ui_tmux display -p -t ui '#{mouse_any_flag}#{mouse_standard_flag}#{mouse_sgr_flag}')" = 000 ]
ui_keys F7
ui_check "F7 takes the mouse back" "mouse taken back: the wheel scrolls"
check "the status bar no longer says mouse off" ui_gone "\| mouse off \|"
check "mouse on: wheel reports asked again (SGR)" \
    [ "$(ui_tmux display -p -t ui '#{mouse_sgr_flag}')" = 1 ]

# Esc in the system-message editor asks when the text changed.
ui_keys F2
ui_check "editor open" "C-s save"
ui_keys Escape
ui_check "Esc without changes closes at once" "system message unchanged$"
ui_keys F2
ui_check "editor open again" "C-s save"
ui_type " Extra words."
ui_keys Escape
ui_check "Esc with changes asks" "The system message was changed: keep the changes\?"
ui_check "the question offers keep, discard and going on" \
    "k keep \(save\)  d discard  Esc go on editing"
ui_keys Escape
ui_check "Esc again goes on editing" "editing goes on: C-s saves"
ui_check "the edits are still there" "Extra words\."
ui_keys Escape
# (Esc and a key sent together would be read as Alt and the key.)
ui_wait "keep the changes\?" 10 >/dev/null
ui_keys d
ui_check "d discards" "edits were discarded"
ui_keys F2
ui_check "discarded: the editor shows the old text" "C-s save"
check "discarded: no Extra words" ui_gone "Extra words\." 2
ui_type " Kept words."
ui_keys Escape
ui_wait "keep the changes\?" 10 >/dev/null
ui_keys k
ui_check "k keeps (saves)" "system message saved"
ui_keys F2
ui_check "kept: the editor shows the new text" "Kept words\."
ui_keys Escape
ui_check "kept: Esc with nothing changed closes" "system message unchanged$"

ui_type "/advisory"
ui_keys Enter
ui_check "/advisory shows the text" "Esc, q or Enter closes"
ui_keys q
ui_check "and closes" "^ ready \|"

# --- resize inside every screen ------------------------------------------------
for screen in "F2:C-s save" "F3:Enter load" "F4:Enter open" "advisory:Esc, q or Enter"; do
	key=${screen%%:*}
	want=${screen#*:}
	if [ "$key" = advisory ]; then
		ui_type "/advisory"
		ui_keys Enter
	else
		ui_keys "$key"
	fi
	ui_wait "$want" >/dev/null
	ui_tmux resize-window -t ui -x 40 -y 10
	ui_check "$key screen redrawn at 40x10" "^$want"
	ui_tmux resize-window -t ui -x 30 -y 8
	ui_check "$key screen: too small notice" "terminal too small"
	ui_tmux resize-window -t ui -x 100 -y 30
	check "$key screen redrawn at 100x30" ui_gone "terminal too small"
	ui_check "$key screen back" "$want"
	ui_keys Escape
	ui_check "$key screen closed" "^ ready \|"
done

# --- SIGTERM restores the terminal ----------------------------------------------
pid=$(pgrep -f "medchat.*--db $DB" | head -1)
if [ -n "$pid" ]; then
	kill -TERM "$pid"
	ui_check "SIGTERM: clean exit" "MEDCHAT-EXIT 1"
	check "SIGTERM: the shell prompt is back on a normal screen" \
	    ui_gone "NOT FOR CLINICAL USE"
else
	skip "SIGTERM" "pgrep found no process"
fi

# --- vi editing from the user's inputrc -------------------------------------------
printf 'set editing-mode vi\n' > "$TMPD/inputrc"
UI_ENV="INPUTRC='$TMPD/inputrc'"
ui_start --db "$DB" -m "$UI_HOME/data/medchat/models/medchat-demo-random.gguf"
ui_check "vi mode: starts" "^ ready \| medchat-demo-random"
ui_type "hello world"
ui_keys Escape
check "vi mode: Esc reaches readline" ui_wait "^> hello world"
ui_keys 0 x d w
ui_check "vi mode: 0 x dw edit the line" "^> world$"
ui_keys i
ui_type "X"
ui_check "vi mode: i inserts" "^> Xworld$"
ui_keys C-c C-c C-c
ui_check "vi mode: quits" "MEDCHAT-EXIT 0"

# --- C locale, NO_COLOR ------------------------------------------------------------
UI_ENV="NO_COLOR=1 LC_ALL=C LANG=C"
ui_start --db "$DB" -m "$UI_HOME/data/medchat/models/medchat-demo-random.gguf"
ui_check "C locale: starts" "^ ready \| medchat-demo-random"
ui_type "/new"
ui_keys Enter
# A short answer keeps the question on the screen (the demo model's
# random text can otherwise run to the end of the context).
ui_type "/set max-tokens 4"
ui_keys Enter
ui_type "caf"
ui_tmux send-keys -t ui -l "é 中"
ui_keys Enter
ui_check "C locale: non-ASCII drawn as ?" "^  caf\? \?$"
ui_idle
ui_keys C-c C-c C-c
ui_check "C locale: quits" "MEDCHAT-EXIT 0"
out=$("$MEDCHAT" history search "café" --db "$DB" 2>&1)
case $out in
*"é 中"*) ok "C locale: the text is stored as typed (UTF-8)" ;;
*) fail "C locale: the text is stored as typed (UTF-8)"; diag "$out" ;;
esac

# --- the settings file: models-dir, ctx, warnings; options override -------------
DEMO=$UI_HOME/data/medchat/models/medchat-demo-random.gguf
mkdir -p "$UI_HOME/config/medchat" "$TMPD/extra"
cp "$DEMO" "$TMPD/extra/extra-model.gguf"
cat > "$UI_HOME/config/medchat/medchat.conf" <<EOF
# settings for the test
models-dir = $TMPD/extra

colour = blue
ctx = 96
threads = many
EOF
UI_ENV=""
ui_start --db "$TMPD/conf.db"
ui_check "config: advisory for the new database" "Model-risk advisory"
ui_keys End
ui_type "I understand"
ui_keys Enter
ui_check "config: a bad line is warned with file:line" \
    'medchat\.conf:4: unknown key "colour" \(and 1 more\)'
ui_check "config: all warnings in the transcript" \
    'medchat\.conf:6: threads: bad number "many"'
ui_keys C-c C-c C-c
ui_check "config: quits" "MEDCHAT-EXIT 0"
ui_start --db "$DB" -m "$DEMO"
ui_check "config: ctx applies" "^ ready \| medchat-demo-random .*\| ctx 0/96 "
ui_keys F3
ui_check "config: models-dir listed in the model menu" "extra-model\.gguf"
ui_keys Escape
check "config: model menu closed" ui_gone "extra-model\.gguf"
ui_keys C-c C-c C-c
ui_check "config: quits again" "MEDCHAT-EXIT 0"
ui_start --db "$DB" -m "$DEMO" --ctx 80
ui_check "config: --ctx overrides the file" \
    "^ ready \| medchat-demo-random .*\| ctx 0/80 "
ui_keys C-c C-c C-c
ui_check "config: quits a third time" "MEDCHAT-EXIT 0"
rm -f "$UI_HOME/config/medchat/medchat.conf"
out=$("$MEDCHAT" --db "$DB" --help 2>&1)
case $out in
*medchat.conf*) ok "--help names the settings file" ;;
*) fail "--help names the settings file"; diag "$out" ;;
esac

# --- the model menu reads files off the UI thread: a FIFO, many files -----------
# (test-mscan holds a header read blocked and checks that names still
# arrive; here the real menu must list a FIFO as one error row without
# waiting for a writer, and take keys at once.)
MDIR=$TMPD/many
mkdir -p "$MDIR"
mkfifo "$MDIR/a-stuck.gguf"
i=0
while [ $i -lt 300 ]; do
	: > "$MDIR/junk-$i.gguf"
	i=$((i + 1))
done
ui_start --db "$DB" -m "$DEMO" --models-dir "$MDIR"
ui_check "menu: starts" "^ ready \| medchat-demo-random"
# Keys sent together with F3 act while the rows come in.
ui_wait_cond() {
	_deadline=$(( $(date +%s) + 20 ))
	until "$@"; do
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.05
	done
}
# (The demo model is a file of the list, the last by name: no row offers
# to create it.  Reverse video, then maybe colour resets, then the row.)
sel_last() {
	ui_tmux capture-pane -p -e -t ui | grep -Eq -- \
	    "${ESC}\[[0-9;]*7m(${ESC}\[[0-9;]*m)*\* medchat-demo-random\.gguf"
}
ui_keys F3 End
check "menu: End right after F3 selects the last row" \
    ui_wait_cond sel_last
ui_keys q
check "menu: q closes it" ui_gone "Models -- memory available"
ui_keys F3
ui_check "menu: opens" "Models -- memory available"
ui_check "menu: every header read" \
    "^ Models -- memory available [^ ]+, context of each model *$"
ui_keys Home
ui_check "menu: a FIFO is one error row, not a hang" \
    "^  a-stuck\.gguf +error: not a regular file *$"
ui_check "menu: empty files are error rows" "^  junk-0\.gguf +error: "
ui_keys Enter
ui_check "menu: Enter on it shows the whole one-line error" \
    "^/.*/a-stuck\.gguf: not a regular file$"
ui_keys End
ui_check "menu: the current model among 300 broken files" \
    "^\* medchat-demo-random\.gguf +[A-Z0-9_]+ "
ui_keys q
ui_check "menu: closes" "^ ready \|"
ui_keys C-c C-c C-c
ui_check "menu: quits" "MEDCHAT-EXIT 0"

# --- a multi-line input comes back whole from the history file -------------------
ui_start --db "$DB" -m "$DEMO"
ui_check "history: starts" "^ ready \| medchat-demo-random"
ui_type "/set max-tokens 4"
ui_keys Enter
ui_type "hist one"
ui_keys M-Enter
ui_type "hist two \\ end"
ui_keys Enter
ui_check "history: the two-line question is sent" "^  hist two \\\\ end$"
ui_idle
ui_keys C-c C-c C-c
ui_check "history: quits" "MEDCHAT-EXIT 0"
check "history: one escaped line in the file" \
    grep -qx 'hist one\\nhist two \\\\ end' "$UI_HOME/data/medchat/history"
ui_start --db "$DB" -m "$DEMO"
ui_check "history: starts again" "^ ready \| medchat-demo-random"
ui_keys Up
ui_check "history: Up brings back the first line" "^> hist one$"
ui_check "history: ... and the second line with it" "^hist two \\\\ end$"
ui_keys Up
ui_check "history: the entry before it" "^> /set max-tokens 4$"
ui_keys C-c C-c C-c
ui_check "history: quits again" "MEDCHAT-EXIT 0"

# --- a read-only database (0400 in 0500): browse it, nothing is written ---------
# Made by export and import: the demo model's acknowledgement comes along
# only as an imported record, which does not count, so the advisory would
# be due -- it must not lock the browser out.
RODIR=$TMPD/ro
mkdir "$RODIR"
$MEDCHAT history export --all --format json --db "$DB" -o "$TMPD/all.json"
$MEDCHAT history import --db "$RODIR/ro.db" "$TMPD/all.json" >/dev/null
chmod 400 "$RODIR/ro.db"
chmod 500 "$RODIR"
before=$(digest < "$RODIR/ro.db")
ui_start --db "$RODIR/ro.db" -m "$DEMO"
ui_check "read-only db: starts" "^ ready \| medchat-demo-random"
ui_check "read-only db: says so" "ro.db is read-only: /history \\(F4\\) browses"
if ui_cap | grep -q "Model-risk advisory"; then
	fail "read-only db: no advisory screen in the way"
else
	ok "read-only db: no advisory screen in the way"
fi
ui_keys F4
ui_check "read-only db: the browser lists it" "^20[0-9-]+ [0-9:]+ hist one"
ui_keys Enter
ui_check "read-only db: a transcript opens" "read-only\)"
ui_check "read-only db: ... with its text" "^  hist two"
ui_keys q
ui_keys n
ui_check "read-only db: rename asks" "New title \(Enter saves"
ui_type " x"
ui_keys Enter
ui_check "read-only db: rename refused" "ro.db: cannot write: the database is read-only"
ui_keys r
ui_check "read-only db: resume shows the conversation" "^  hist two"
ui_type "a new question"
ui_keys Enter
ui_check "read-only db: a question is refused" "^/.*ro.db: cannot save a question: the database is read-only"
ui_check "read-only db: ... and kept in the input line" "^> a new question$"
ui_keys C-u
ui_type "/regen"
ui_keys Enter
ui_check "read-only db: /regen is refused" "ro.db: cannot save an answer: the database is read-only"
ui_keys C-u C-c C-c C-c
ui_check "read-only db: quits" "MEDCHAT-EXIT 0"
check "read-only db: file unchanged" test "$(digest < "$RODIR/ro.db")" = "$before"
check "read-only db: nothing made next to it" test "$(ls -A "$RODIR")" = "ro.db"
chmod 700 "$RODIR"

# --- input history: instances append, a delete removes, a setting turns it off ---
HIST=$UI_HOME/data/medchat/history
ui_start --db "$DB" -m "$DEMO"
ui_check "inhist: first instance starts" "^ ready \| medchat-demo-random"
ui_type "/set max-tokens 4"
ui_keys Enter
ui_ask "Patient: 54 y/o male alpha"
ui_start2 --db "$DB" -m "$DEMO"
UI_T=ui2
ui_check "inhist: second instance starts" "^ ready \| medchat-demo-random"
ui_type "/set max-tokens 4"
ui_keys Enter
ui_ask "beta question from two"
ui_keys C-c C-c C-c
ui_check "inhist: second instance quits first" "MEDCHAT-EXIT 0"
UI_T=ui
ui_keys C-c C-c C-c
ui_check "inhist: first instance quits last" "MEDCHAT-EXIT 0"
check "inhist: the first instance's line is kept" \
    grep -qx "Patient: 54 y/o male alpha" "$HIST"
check "inhist: the second instance's line is kept too" \
    grep -qx "beta question from two" "$HIST"
id=$(XDG_DATA_HOME=$UI_HOME/data "$MEDCHAT" history list --db "$DB" |
    awk '/Patient: 54 y\/o male alpha/ { print $1; exit }')
out=$(XDG_DATA_HOME=$UI_HOME/data "$MEDCHAT" history delete "$id" --yes \
    --db "$DB" 2>&1)
check "inhist: history delete deletes" test "$out" = "deleted conversation $id"
if grep -q "alpha" "$HIST"; then
	fail "inhist: history delete removes its questions from the input history"
else
	ok "inhist: history delete removes its questions from the input history"
fi
check "inhist: ... and leaves the others" \
    grep -qx "beta question from two" "$HIST"
check "inhist: ... the file still 0600" \
    test "$(file_mode "$HIST")" = 600
ui_start --db "$DB" -m "$DEMO"
ui_check "inhist: starts again" "^ ready \| medchat-demo-random"
ui_type "/set max-tokens 4"
ui_keys Enter
ui_ask "gamma secret question"
ui_keys F4
ui_check "inhist: the browser lists the new conversation" "gamma secret question"
ui_keys d
ui_check "inhist: delete asks" "Delete conversation [0-9]+ \"gamma"
ui_keys y
ui_check "inhist: deleted in the browser" "deleted conversation"
ui_keys q
ui_keys C-c C-c C-c
ui_check "inhist: quits after the browser delete" "MEDCHAT-EXIT 0"
if grep -q "gamma" "$HIST"; then
	fail "inhist: a question deleted in the browser is not written at exit"
else
	ok "inhist: a question deleted in the browser is not written at exit"
fi
mkdir -p "$UI_HOME/config/medchat"
printf 'input-history = off\n' > "$UI_HOME/config/medchat/medchat.conf"
rm -f "$HIST" "$HIST.lock"
ui_start --db "$DB" -m "$DEMO"
ui_check "inhist off: starts" "^ ready \| medchat-demo-random"
ui_type "/set max-tokens 4"
ui_keys Enter
ui_ask "delta never written"
ui_keys C-c C-c C-c
ui_check "inhist off: quits" "MEDCHAT-EXIT 0"
check "inhist off: no history file written" test ! -e "$HIST"
id=$("$MEDCHAT" history list --db "$DB" |
    awk '/delta never written/ { print $1; exit }')
XDG_DATA_HOME=$UI_HOME/data "$MEDCHAT" history delete "$id" --yes \
    --db "$DB" >/dev/null
check "inhist off: a delete makes no history file, no lock file" \
    test ! -e "$HIST" -a ! -e "$HIST.lock"
rm -f "$UI_HOME/config/medchat/medchat.conf"
ui_start --db "$DB" -m "$DEMO" --no-input-history
ui_check "--no-input-history: starts" "^ ready \| medchat-demo-random"
ui_type "/set max-tokens 4"
ui_keys Enter
ui_keys C-c C-c C-c
ui_check "--no-input-history: quits" "MEDCHAT-EXIT 0"
check "--no-input-history: no history file written" test ! -e "$HIST"

# --- a terminal that cannot move the cursor is refused; the advisory must be seen whole ---
UI_ENV="TERM=dumb"
ui_start --db "$TMPD/dumb.db" -m "$DEMO"
ui_check "TERM=dumb: refused, pointing at medchat ask" \
    "cannot move the cursor.*medchat ask"
ui_check "TERM=dumb: exit status 1" "MEDCHAT-EXIT 1"
check "TERM=dumb: no database made, nothing recorded" test ! -e "$TMPD/dumb.db"
UI_ENV=
ui_start --db "$TMPD/tiny.db" -m "$DEMO"
ui_check "tiny: the advisory" "Model-risk advisory"
ui_tmux resize-window -t ui -x 60 -y 12
ui_check "tiny: resized, more below" "PgDn: more below"
ui_type "I understand"
ui_keys Enter
ui_check "tiny: not accepted before the end was shown" "read to the end first"
out=$("$MEDCHAT" advisory --history --db "$TMPD/tiny.db" 2>&1)
case $out in
*tui*) fail "tiny: no acknowledgement recorded"; diag "$out" ;;
*) ok "tiny: no acknowledgement recorded" ;;
esac
ui_keys NPage
ui_keys End
ui_check "tiny: End shows the end" "end of text"
ui_keys Enter
ui_check "tiny: then accepted" "advisory accepted"
ui_keys C-c C-c C-c
ui_check "tiny: quits" "MEDCHAT-EXIT 0"
check "tiny: one acknowledgement recorded" \
    sh -c "'$MEDCHAT' advisory --history --db '$TMPD/tiny.db' | grep -q tui"
done_testing
