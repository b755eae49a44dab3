#!/bin/sh
# test-ui-prefs.sh -- settings that stay and keys that behave: /set's
# values kept for the next start, given by medchat.conf and overridden by
# --set for one run, each shown with where it comes from; max-tokens 0
# and a bad file line refused with a one-line error (file:line); a
# context beyond the trained one warned; `medchat ask` with the same
# values and the same default system message; C-c (an answer stopped by
# it never counts toward quitting, an idle one asks for a second); C-r
# shows readline's search prompt and says when it fails; /model by the
# name the menu shows, by ~/path, and Tab completing both; /export with
# ~, the full path said, y/n before replacing a file, and no writing
# through a symbolic link.
. "$top_srcdir/tests/ui-lib.sh"
ui_need_tmux

DB=$TMPD/prefs.db
MODELS=$TMPD/models
DEMO=$MODELS/menu-model.gguf
CONF=$UI_HOME/config/medchat/medchat.conf
mkdir -p "$MODELS" "$UI_HOME/config/medchat"
"$MEDCHAT" debug demo -o "$DEMO" >/dev/null 2>&1
check "the demo model is written" test -s "$DEMO"
cp "$DEMO" "$UI_HOME/home-model.gguf"
cat > "$CONF" <<EOF
models-dir = $MODELS
temp = 0.5
max-tokens = 0
top-k = 7
system = concise
EOF
# medchat ask with the chat's directories and settings.
ask() {
	env HOME="$UI_HOME" XDG_DATA_HOME="$UI_HOME/data" \
	    XDG_CONFIG_HOME="$UI_HOME/config" "$MEDCHAT" ask -m "$DEMO" \
	    --db "$DB" --accept-advisory "$@"
}
last_params() {
	"$MEDCHAT" history export "$1" --format json --db "$DB" 2>/dev/null |
	    grep -o '"params_json": "{[^}]*}' | tail -1
}

# --- the file's values, its bad line, /set's listing -------------------------
ui_start --db "$DB" -m "$DEMO"
# (Not ui_accept: the settings file's warning holds the status line.)
ui_check "advisory" "Model-risk advisory"
ui_keys End
ui_type "I understand"
ui_keys Enter
ui_check "the demo model is loaded" "^ ready \| menu-model "
ui_check "conf: max-tokens = 0 is warned with file:line" \
    'medchat\.conf:3: max-tokens must be -1 \(until the'
ui_type "/set"
ui_keys Enter
ui_check "/set: temp comes from medchat.conf" "temp = 0\.5  \(medchat\.conf\)"
ui_check "/set: max-tokens is the default (the bad line is skipped)" \
    "max-tokens = -1  \(default\)"
ui_check "/set: the preset comes from medchat.conf" \
    "system = concise  \(medchat\.conf\)"
ui_check "/set: a value never set is the default" "top-p = 0\.95  \(default\)"

# --- refusals --------------------------------------------------------------------
ui_type "/set max-tokens 0"
ui_keys Enter
ui_check "/set max-tokens 0 is refused, naming the range" \
    "max-tokens must be -1 \(until the context is full\) or a whole number from 1 to"
ui_type "/set max-tokens -3"
ui_keys Enter
ui_check "/set max-tokens -3 is refused" "max-tokens must be -1"
ui_type "/set top-k many"
ui_keys Enter
ui_check "/set top-k many is refused" "top-k must be a whole number from 0 to 1000"
ui_type "/set ctx 20"
ui_keys Enter
ui_check "/set ctx 20 is refused" "ctx must be 0 \(the model's\) or a whole number from 64"

# --- values saved by /set ----------------------------------------------------------
ui_type "/set temp 0.25"
ui_keys Enter
ui_check "/set temp 0.25 is saved" "temp = 0\.25 \(saved by /set\)"
ui_type "/set max-tokens 5"
ui_keys Enter
ui_check "/set max-tokens 5 is saved" "max-tokens = 5 \(saved by /set\)"
ui_type "/set ctx 4096"
ui_keys Enter
ui_check "/set ctx beyond the trained context: a warning" \
    "ctx 4096 is beyond the 2048 tokens the model was trained on"
ui_check "... and the model is reloaded with it" "ctx 0/4096"
ui_type "/set system patient"
ui_keys Enter
ui_check "/set system patient" "system = patient \(saved by /set\)"
ui_type "Is a fever dangerous?"
ui_keys Enter
ui_check "a question is answered" "^Assistant \(menu-model"
check "the answer ends" ui_idle 60

# --- C-c: an answer stopped, then two to quit ---------------------------------------
ui_keys C-c
ui_check "C-c at an idle prompt asks for a second one" \
    "press C-c again to quit"
check "... and does not quit" ui_gone "MEDCHAT-EXIT"
ui_keys C-c
ui_check "the second C-c quits" "MEDCHAT-EXIT 0"

# --- the next start: saved values; --set for one run --------------------------------
ui_start --db "$DB" -m "$DEMO" --set top-p=0.5
ui_check "restart: ready" "^ ready \| menu-model .*\| ctx 0/4096"
ui_type "/set"
ui_keys Enter
ui_check "restart: temp saved by /set" "temp = 0\.25  \(saved by /set\)"
ui_check "restart: top-k from medchat.conf" "top-k = 7  \(medchat\.conf\)"
ui_check "restart: top-p from the command line" \
    "top-p = 0\.5  \(command line\)"
ui_check "restart: ctx saved by /set" "ctx = 4096  \(saved by /set\)"
ui_check "restart: the preset saved by /set" \
    "system = patient  \(saved by /set\)"
ui_type "/set temp reset"
ui_keys Enter
ui_check "/set temp reset: back to medchat.conf" "temp = 0\.5 \(medchat\.conf\)"

# --- C-c during an answer: stops it, never quits -------------------------------------
# (A context of 32768 keeps even the fast demo model answering a while.)
ui_type "/set max-tokens -1"
ui_keys Enter
ui_type "/set ctx 32768"
ui_keys Enter
ui_check "a context of 32768" "ctx 0/32768"
ui_type "Tell me more about fevers in children"
ui_keys Enter
ui_check "a long answer is generating" "^ generating \|"
ui_keys C-c
sleep 0.15
ui_keys C-c
check "C-c C-c 150 ms apart during an answer: stopped" ui_idle 30
sleep 1
check "... and not quit" ui_gone "MEDCHAT-EXIT"
ui_type "/set ctx reset"
ui_keys Enter
ui_check "/set ctx reset: back to the model's" "ctx [0-9]+/2048"

# --- C-r: the search prompt, and a failed search ----------------------------------------
ui_keys C-u C-r
ui_type "max-tok"
ui_check "C-r shows readline's search prompt" \
    "^\(reverse-i-search\)\`max-tok': /set max-tokens -1"
ui_type "zzz"
ui_check "a failed search says so" \
    "^\(failed reverse-i-search\)\`max-tokzzz': /set max-tokens -1"
ui_keys C-g
ui_check "C-g gives the search up" "^> ?$"

# --- /model by the menu's name and by ~/path, with Tab ------------------------------------
ui_type "/model menu-m"
ui_keys Tab
ui_check "Tab completes a name the menu shows" "^> /model menu-model\.gguf"
ui_keys C-u
ui_type "/model ~/home-mo"
ui_keys Tab
ui_check "Tab completes a ~/ path" "^> /model ~/home-model\.gguf"
ui_keys Enter
ui_check "/model ~/FILE loads it" "^ ready \| home-model "
ui_type "/model menu-model.gguf"
ui_keys Enter
ui_check "/model NAME loads the menu's file" "^ ready \| menu-model "
ui_type "/model nowhere.gguf"
ui_keys Enter
ui_check "/model with an unknown name says where it looked" \
    "/model: no model nowhere\.gguf here or in the model menu's directories"
ui_keys C-c C-c C-c
ui_check "quits" "MEDCHAT-EXIT 0"

# --- medchat ask: the same saved and file values, the same system message ------------------
out=$(ask "Is a fever dangerous?" 2>&1)
conv=$(printf '%s\n' "$out" | sed -n 's/.*of conversation \([0-9]*\);.*/\1/p')
params=$(last_params "$conv")
case $params in
*'top_k\":7,'*'max_tokens\":-1,'*) ok "ask: the file's top-k and the saved max-tokens apply" ;;
*)	fail "ask: the file's top-k and the saved max-tokens apply"
	diag "$params" ;;
esac
case $params in
*'temp\":0.5,'*) ok "ask: the file's temp applies (the saved one was reset)" ;;
*)	fail "ask: the file's temp applies (the saved one was reset)" ;;
esac
sys=$("$MEDCHAT" history show "$conv" --db "$DB" 2>&1)
case $sys in
*"System message for the next answer: You are explaining a medical topic to a patient"*)
	ok "ask: the preset saved by /set is its system message" ;;
*)	fail "ask: the preset saved by /set is its system message"
	printf '%s\n' "$sys" | head -5 | sed 's/^/#   /' ;;
esac
out=$(ask -n 0 "hi" 2>&1)
rc=$?
check "ask -n 0 is refused (status 2)" [ "$rc" = 2 ]
case $out in
*"-n: max-tokens must be -1 (until the context is full) or a whole number from 1"*)
	ok "ask -n 0: one line naming the setting and range" ;;
*)	fail "ask -n 0: one line naming the setting and range"
	diag "$out" ;;
esac
out=$(ask --ctx 4096 -n 2 "hi" 2>&1)
case $out in
*"medchat ask: warning: --ctx 4096 is beyond the 2048 tokens the model was trained on"*)
	ok "ask --ctx beyond the trained context: a warning" ;;
*)	fail "ask --ctx beyond the trained context: a warning"
	diag "$out" ;;
esac
out=$(env HOME="$UI_HOME" XDG_CONFIG_HOME="$UI_HOME/config" \
    "$MEDCHAT" ask 2>&1)
case $out in
*"Default system message (preset \"default\""*"You are a medical information assistant."*)
	ok "ask's usage shows the one default system message" ;;
*)	fail "ask's usage shows the one default system message" ;;
esac
out=$("$MEDCHAT" --db "$DB" --help 2>&1)
case $out in
*"Default system message (preset \"default\""*"You are a medical information assistant."*)
	ok "the chat's --help shows the same default system message" ;;
*)	fail "the chat's --help shows the same default system message" ;;
esac
out=$("$MEDCHAT" --set max-tokens=0 2>&1)
rc=$?
check "--set max-tokens=0 is refused before the screen (status 2)" \
    [ "$rc" = 2 ]
case $out in
"medchat: --set: max-tokens must be -1"*) ok "... with one line" ;;
*)	fail "... with one line"; diag "$out" ;;
esac

# --- /export: ~, the full path, y/n before replacing, no symbolic links -----------------------
# (The chat starts in $UI_HOME: a default export is written there.)
ui_start --db "$DB" -m "$DEMO"
ui_check "export: ready" "^ ready \| menu-model "
check "export: an answer" ui_ask "Is a fever dangerous?" 60
ui_type "/export md"
ui_keys Enter
ui_check "export: the full path is said" "exported to $UI_HOME/medchat-[0-9]+\.md"
ui_type "/export md"
ui_keys Enter
ui_check "export again: asks before replacing" \
    "$UI_HOME/medchat-[0-9]+\.md exists: replace it\? \(y replaces"
ui_keys n
ui_check "n keeps the file" "not exported: $UI_HOME/medchat-[0-9]+\.md is kept"
ui_type "/export md"
ui_keys Enter
ui_check "asked again" "exists: replace it\?"
ui_keys y
ui_check "y replaces it" "exported to $UI_HOME/medchat-[0-9]+\.md \(replaced\)"
ui_type "/export txt ~/conv1.txt"
ui_keys Enter
ui_check "~ is expanded" "exported to $UI_HOME/conv1\.txt"
check "... and the file is there" test -s "$UI_HOME/conv1.txt"
printf 'keep me\n' > "$TMPD/target.md"
ln -s "$TMPD/target.md" "$TMPD/link.md"
ui_type "/export md $TMPD/link.md"
ui_keys Enter
ui_check "a symbolic link is not written through" \
    "$TMPD/link\.md is a symbolic link: not written"
check "... and the file it points to is unchanged" \
    [ "$(cat "$TMPD/target.md")" = "keep me" ]
ui_keys C-c C-c C-c
ui_check "export: quits" "MEDCHAT-EXIT 0"
done_testing
