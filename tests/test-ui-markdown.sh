#!/bin/sh
# test-ui-markdown.sh -- GitHub-flavoured Markdown in answers on screen: a
# table laid out in aligned columns at 100 columns and as "header: value"
# rows at 40, a link with its URL after the text, a block quote with its
# bar, strike-through with its tildes, a nested list; with NO_COLOR and
# in a non-UTF-8 locale (ASCII bars) too; the stored answer keeps the
# markup as written.
. "$top_srcdir/tests/ui-lib.sh"

# The demo model's random text has no Markdown: the answer comes from an
# imported conversation, opened read-only in the browser.
DB=$TMPD/md.db
cat > "$TMPD/md.json" <<'EOF'
{"format": "medchat-export", "version": 1, "conversations": [
 {"id": 1, "title": "Tables and links", "created": "2026-01-02T03:04:05.006Z",
  "updated": "2026-01-02T03:05:00.000Z", "system": null, "template": null,
  "model_file": "m.gguf", "model_sha256": null, "model_quant": "Q4_K_M",
  "params_json": null, "archived": false, "current_leaf": 2, "messages": [
  {"id": 1, "parent": null, "role": "user", "status": "complete",
   "created": "2026-01-02T03:04:05.006Z", "updated": "2026-01-02T03:04:05.006Z",
   "error": null, "model_file": null, "model_quant": null, "model_sha256": null,
   "template": null, "params_json": null, "seed": null, "n_prompt": 0,
   "n_gen": 0, "prefill_tps": 0, "decode_tps": 0, "trimmed": false,
   "dropped_json": null, "content": "Doses?"},
  {"id": 2, "parent": 1, "role": "assistant", "status": "complete",
   "created": "2026-01-02T03:04:10.000Z", "updated": "2026-01-02T03:04:11.000Z",
   "error": null, "model_file": "m.gguf", "model_quant": "Q4_K_M",
   "model_sha256": null, "template": "chatml", "params_json": null, "seed": 1,
   "n_prompt": 12, "n_gen": 3, "prefill_tps": 1, "decode_tps": 1,
   "trimmed": false, "dropped_json": null,
   "content": "| Drug | Dose | Interval | Note |\n|:---|---:|:---:|---|\n| Paracetamol | 1 g | 4-6 h | with or without food |\n| Ibuprofen | 400 mg | 8 h | with food |\n\nSee [NICE](https://nice.org.uk/ng59) for more; ~~double it~~ never.\n\n> Do not exceed **4 g** a day.\n\n- adults\n  - over 50 kg"}]}]}
EOF
out=$("$MEDCHAT" history import "$TMPD/md.json" --db "$DB" 2>&1)
check "gfm: conversation imported" [ "$out" = "imported 1 conversation: 1" ]
ESC=$(printf '\033')
ui_cap_attr() {
	ui_tmux capture-pane -p -e -t ui | grep -qF -- "$1"
}
md_no_colour() {
	! ui_tmux capture-pane -p -e -t ui | grep -q "${ESC}\[3[0-7]m"
}
# The parts that read the same at any width.
gfm_common() {
	ui_check "gfm ($1): link text with its URL after it" \
	    "^  See NICE \(https://nice\.org\.uk/ng59\)"
	ui_check "gfm ($1): block quote with a bar, markers hidden" \
	    "^  │ Do not exceed 4 g a day\.$"
	ui_check "gfm ($1): nested list keeps its indentation" "^    - over 50 kg$"
}

ui_start --db "$DB"
ui_check "gfm: starts without a model" "No model is loaded"
ui_keys F4
ui_check "gfm: the browser lists the conversation" "Tables and links"
ui_keys Enter
ui_check "gfm: opened read-only" "Tables and links \(conversation 1, read-only\)"
ui_check "gfm (100 columns): table header aligned" \
    "^  Drug        │   Dose │ Interval │ Note$"
ui_check "gfm (100 columns): rule under the header" \
    "^  ─{12}┼─{8}┼─{10}┼─{21}$"
ui_check "gfm (100 columns): rows aligned left, right, centred" \
    "^  Paracetamol │    1 g │  4-6 h   │ with or without food$"
ui_check "gfm (100 columns): second row" \
    "^  Ibuprofen   │ 400 mg │   8 h    │ with food$"
gfm_common "100 columns"
check "gfm: the URL is underlined" ui_cap_attr "${ESC}[4m(https://nice"
check "gfm: the header is bold" ui_cap_attr "${ESC}[1mDrug"
ui_tmux resize-window -t ui -x 40 >/dev/null 2>&1
ui_check "gfm (40 columns): table as header: value rows" "^  Drug: Paracetamol$"
ui_check "gfm (40 columns): each cell under its header" "^  Dose: 400 mg$"
ui_check "gfm (40 columns): the last column too" "^  Note: with food$"
ui_check "gfm (40 columns): quote still has its bar" "^  │ Do not exceed 4 g a day\.$"
ui_check "gfm (40 columns): the link wraps, URL kept" "^  See NICE"
ui_keys q q
ui_check "gfm: back in the chat" "No model is loaded"
ui_keys C-c C-c C-c
ui_check "gfm: quits" "MEDCHAT-EXIT 0"
out=$("$MEDCHAT" history show 1 --db "$DB" 2>&1)
case $out in
*'| Paracetamol | 1 g | 4-6 h |'*'[NICE](https://nice.org.uk/ng59)'*'> Do not exceed **4 g**'*)
	ok "gfm: the stored answer keeps its markup" ;;
*)	fail "gfm: the stored answer keeps its markup"; diag "$out" ;;
esac

UI_ENV="NO_COLOR=1"
ui_start --db "$DB"
ui_check "gfm (NO_COLOR): starts" "No model is loaded"
ui_keys F4
ui_check "gfm (NO_COLOR): the browser lists it" "Tables and links"
ui_keys Enter
ui_check "gfm (NO_COLOR): table aligned" \
    "^  Paracetamol │    1 g │  4-6 h   │ with or without food$"
gfm_common "NO_COLOR"
check "gfm (NO_COLOR): no colour anywhere" md_no_colour
ui_keys q q
ui_check "gfm (NO_COLOR): back in the chat" "No model is loaded"
ui_keys C-c C-c C-c
ui_check "gfm (NO_COLOR): quits" "MEDCHAT-EXIT 0"

# Outside a UTF-8 locale the bars and rules are drawn in ASCII.
UI_ENV="NO_COLOR=1 LC_ALL=C LANG=C"
ui_start --db "$DB"
ui_check "gfm (C locale): starts" "No model is loaded"
ui_keys F4
ui_check "gfm (C locale): the browser lists it" "Tables and links"
ui_keys Enter
ui_check "gfm (C locale): table with ASCII bars" \
    "^  Paracetamol \|    1 g \|  4-6 h   \| with or without food$"
ui_check "gfm (C locale): rule in ASCII" "^  -{12}\+-{8}\+-{10}\+-{21}$"
ui_check "gfm (C locale): quote bar in ASCII" "^  \| Do not exceed 4 g a day\.$"
ui_keys q q
ui_check "gfm (C locale): back in the chat" "No model is loaded"
ui_keys C-c C-c C-c
ui_check "gfm (C locale): quits" "MEDCHAT-EXIT 0"
UI_ENV=""
done_testing
