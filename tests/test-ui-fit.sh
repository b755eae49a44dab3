#!/bin/sh
# test-ui-fit.sh -- nothing hidden by truncation, and where things are
# (issue 20), at 100x30, 80x24 and 20x6 with a model whose file name is
# long (stories260K copied under a long name):
# - the status bar keeps the state, ctx and tok/s: the name is shortened
#   in the middle ("…"), the quant kept;
# - "loaded NAME (F32, context 2048 tokens)" ends whole;
# - the system line ends at a word, with " ...";
# - at 20x6 the too-small notice is read whole;
# - /stats gives the parameters and size as inspect does, and "1 thread";
# - the advisory names the model file;
# - the browser keeps the [interrupted] marker of a long title and model
#   name; search rows say whether the title or which message matched;
# - the model menu says the selected file's directory, sizes in MiB, and
#   offers "create the demo model" only while there is none.
. "$top_srcdir/tests/ui-lib.sh"
ui_need_stories

DB=$TMPD/fit.db
LONGDIR=$TMPD/a-rather-long-directory-name-for-models
LONGNAME=meditron-7b-clinical-guidelines-finetune-extended-v2-stories260K.F32.gguf
mkdir -p "$LONGDIR"
cp "$STORIES" "$LONGDIR/$LONGNAME"
MODEL=$LONGDIR/$LONGNAME
SYS="Answer in plain words for a patient, naming the dose, the interval and the warning signs that need a doctor at once, and never guess."
cat > "$TMPD/editor.sh" <<EOS
#!/bin/sh
printf '%s\n' "$SYS" > "\$1"
EOS
chmod +x "$TMPD/editor.sh"
UI_ENV="VISUAL='$TMPD/editor.sh'"

# A conversation with a long title and model name whose answer was
# interrupted, and one whose title alone has the word "ferritin".
cat > "$TMPD/imp.json" <<EOF
{"format": "medchat-export", "version": 1, "conversations": [
 {"id": 1, "title": "A very long conversation title about iron tablets and what to take them with in the morning",
  "created": "2026-01-02T03:04:05.006Z",
  "updated": "2026-01-02T03:05:00.000Z", "system": null, "template": null,
  "model_file": "$LONGNAME", "model_sha256": null, "model_quant": "F32",
  "params_json": null, "archived": false, "current_leaf": 2, "messages": [
  {"id": 1, "parent": null, "role": "user", "status": "complete",
   "created": "2026-01-02T03:04:05.006Z", "updated": "2026-01-02T03:04:05.006Z",
   "error": null, "model_file": null, "model_quant": null, "model_sha256": null,
   "template": null, "params_json": null, "seed": null, "n_prompt": 0,
   "n_gen": 0, "prefill_tps": 0, "decode_tps": 0, "trimmed": false,
   "dropped_json": null, "content": "Should I take iron with orange juice?"},
  {"id": 2, "parent": 1, "role": "assistant", "status": "interrupted",
   "created": "2026-01-02T03:04:10.000Z", "updated": "2026-01-02T03:04:11.000Z",
   "error": null, "model_file": "$LONGNAME", "model_quant": "F32",
   "model_sha256": null, "template": "chatml", "params_json": null, "seed": 1,
   "n_prompt": 12, "n_gen": 3, "prefill_tps": 1, "decode_tps": 1,
   "trimmed": false, "dropped_json": null,
   "content": "Vitamin C helps the body absorb"}]},
 {"id": 2, "title": "Ferritin levels", "created": "2026-01-03T03:04:05.006Z",
  "updated": "2026-01-03T03:05:00.000Z", "system": null, "template": null,
  "model_file": "m.gguf", "model_sha256": null, "model_quant": "Q4_K_M",
  "params_json": null, "archived": false, "current_leaf": 4, "messages": [
  {"id": 3, "parent": null, "role": "user", "status": "complete",
   "created": "2026-01-03T03:04:05.006Z", "updated": "2026-01-03T03:04:05.006Z",
   "error": null, "model_file": null, "model_quant": null, "model_sha256": null,
   "template": null, "params_json": null, "seed": null, "n_prompt": 0,
   "n_gen": 0, "prefill_tps": 0, "decode_tps": 0, "trimmed": false,
   "dropped_json": null, "content": "What is a normal level?"},
  {"id": 4, "parent": 3, "role": "assistant", "status": "complete",
   "created": "2026-01-03T03:04:10.000Z", "updated": "2026-01-03T03:04:11.000Z",
   "error": null, "model_file": "m.gguf", "model_quant": "Q4_K_M",
   "model_sha256": null, "template": "chatml", "params_json": null, "seed": 1,
   "n_prompt": 12, "n_gen": 3, "prefill_tps": 1, "decode_tps": 1,
   "trimmed": false, "dropped_json": null,
   "content": "It depends on the laboratory; orange juice does not change it."}]}]}
EOF
out=$("$MEDCHAT" history import "$TMPD/imp.json" --db "$DB" 2>&1)
check "two conversations imported" \
    sh -c 'echo "$1" | grep -q "^imported 2 conversations"' _ "$out" ||
    diag "$out"

ui_start -m "$MODEL" --db "$DB" --threads 1
ui_check "the advisory names the model file (shortened in the middle)" \
    "Model-risk advisory \(version [^)]*\) for meditron-7b.*….*stories260K\.F32\.gguf"
ui_accept
# Loaded again (the advisory is acknowledged): the message stays up.
ui_type "/model $MODEL"
ui_keys Enter
ui_check "loaded: the figures end whole" \
    "^loaded meditron-7b.*….*\(F32, context 2048 tokens\)$"
ui_type "/set max-tokens 12"
ui_keys Enter
ui_ask "Once upon a time"
ui_check "100x30: tok/s whole before the marker" \
    "^ (ready|stopped) \| meditron-7b.*… ?.*F32 .*\| ctx [0-9]+/[0-9]+ \| [0-9]+\.[0-9] tok/s +NOT FOR CLINICAL USE"
check "100x30: the long name is shortened in the middle, not cut" \
    ui_wait "^ (ready|stopped) \| meditron-7b[^ ]*…[^ ]*\.F32 F32 \| " 2
diag "status bar: $(ui_cap | grep 'NOT FOR CLINICAL USE')"

# /stats: the figures and units of inspect, "1 thread".
ui_type "/stats"
ui_keys Enter
ui_check "/stats: parameters and size as inspect says them" \
    "quant F32, 292\.8K parameters, 1\.13 MiB"
ui_check "/stats: 1 thread, singular" "context [0-9]+ of [0-9]+ trained, 1 thread,"
check "/stats: no 0.00 B parameters" ui_gone "0\.00 B parameters" 1

# The system line ends at a word.
ui_keys F2
ui_check "editor" "C-s save"
ui_keys C-x C-e
ui_check "the long system message" "never guess\."
ui_keys C-s
ui_check "saved" "system message saved"
line=$(ui_cap | grep '^system: ' | head -n 1)
shown=${line#system: }
shown=${shown%% ...*}
check "the system line is cut at a word, marked ..." \
    sh -c 'case "$1" in *" ...") ;; *) exit 1 ;; esac
    case "$2" in "$3"*) ;; *) exit 1 ;; esac
    rest=${2#"$3"}; [ "${rest# }" != "$rest" ]' _ "$(echo "$line" | sed 's/ *$//')" "$SYS" "$shown"
diag "system line: $line"

# 80x24: the same figures.
ui_tmux resize-window -t ui -x 80 -y 24
ui_check "80x24: ctx and tok/s whole" \
    "\| ctx [0-9]+/[0-9]+ \| [0-9]+\.[0-9] tok/s +NOT FOR CLINICAL USE"
ui_type "/copy"
ui_keys Enter
ui_check "80x24: a long message wraps: its end is shown" \
    "select with the mouse$"

# 20x6: the notice whole.
ui_tmux resize-window -t ui -x 20 -y 6
ui_check "20x6: says the terminal is too small" "^terminal too small"
ui_check "20x6: ... and the size it needs" "\(20x6\), need 40x10"
ui_tmux resize-window -t ui -x 100 -y 30
ui_check "back at 100x30" "NOT FOR CLINICAL USE"

# The browser: markers kept, search rows say what matched.
ui_keys F4
ui_check "browser" "Conversations \([0-9]+\)"
ui_check "100 columns: the [interrupted] marker of a long row is shown" \
    "A very long.*….*\(2 msgs, .*\) \[interrupted\] -- "
ui_type "/"
ui_type "ferritin"
ui_check "search: a title match says [title]" "^ ?[0-9-]+ [0-9:]+ \[title\] .*Ferritin"
ui_keys C-u
ui_type "orange"
ui_check "search: a question's match says [question]" \
    "A very long.*\[question\]: .*orange"
ui_check "search: an answer's match says [answer]" \
    "Ferritin levels \[answer\]: .*orange"
ui_keys Escape
ui_check "search cleared" "Conversations \([0-9]+\) *$"
ui_keys q
ui_check "browser closed" "NOT FOR CLINICAL USE"

# The model menu: the selected file's directory, sizes in MiB, and the
# demo model offered only while it does not exist.
ui_tmux kill-server >/dev/null 2>&1
ui_start -m "$MODEL" --db "$DB" -M "$LONGDIR"
ui_check "started again" "NOT FOR CLINICAL USE"
ui_keys F3
ui_check "menu: sizes in MiB as inspect" "F32 +1\.1MiB +292\.8K"
ui_check "menu: the selected file's directory" "^  in $LONGDIR$"
ui_check "menu: creating the demo model is offered" "\+ create the demo model"
ui_keys q
mkdir -p "$UI_HOME/data/medchat/models"
"$MEDCHAT" debug demo -o "$UI_HOME/data/medchat/models/medchat-demo-random.gguf"
ui_keys F3
ui_check "menu: the demo model is listed" "medchat-demo-random\.gguf"
check "menu: no longer offered to be created" \
    ui_gone "\+ (create|load) the demo model" 10
ui_keys q
ui_keys C-c
ui_wait "press C-c again" 10 >/dev/null
ui_keys C-c
ui_check "quits" "MEDCHAT-EXIT 0"
done_testing
