#!/bin/sh
# test-history.sh -- `medchat history` and `medchat advisory` end to end:
# import, list, show, search, export (md/json/txt, round trip), rename,
# archive, delete (confirmation), terminal sanitizing of stored text, and
# refusal of a file that is not a database; a read-only database (read,
# never written); acknowledgements through export and import; answers
# stored with the older parameter formats.
. "${top_srcdir:-.}/tests/lib.sh"

export MEDCHAT
DB=$TMPD/data/medchat.db
export MEDCHAT_DB="$DB"
ESC=$(printf '\033')

# A conversation with an escape sequence and a bidi override in stored
# text, non-ASCII words, an interrupted alternative and provenance.
cat > "$TMPD/in.json" <<'EOF'
{"format": "medchat-export", "version": 1,
 "conversations": [
  {"id": 7, "title": "Übelkeit \u001b[2J nach Narkose",
   "created": "2026-01-02T03:04:05.006Z", "updated": "2026-01-02T03:05:00.000Z",
   "system": "Be careful.", "template": "chatml", "model_file": "m.gguf",
   "model_sha256": null, "model_quant": "Q4_K_M", "params_json": "{\"temp\":0.7}",
   "archived": false, "current_leaf": 12,
   "messages": [
    {"id": 10, "parent": null, "role": "user", "status": "complete",
     "created": "2026-01-02T03:04:05.006Z", "updated": "2026-01-02T03:04:05.006Z",
     "error": null, "model_file": null, "model_quant": null, "model_sha256": null,
     "template": null, "params_json": null, "seed": null, "n_prompt": 0, "n_gen": 0,
     "prefill_tps": 0, "decode_tps": 0, "trimmed": false, "dropped_json": null,
     "content": "Was hilft gegen Übelkeit? \u001b]0;pwned\u0007 \u202eevil"},
    {"id": 11, "parent": 10, "role": "assistant", "status": "interrupted",
     "created": "2026-01-02T03:04:10.000Z", "updated": "2026-01-02T03:04:11.000Z",
     "error": null, "model_file": "m.gguf", "model_quant": "Q4_K_M",
     "model_sha256": "abababababababababababababababababababababababababababababababab",
     "template": "chatml", "params_json": "{\"temp\":0.7}", "seed": 18446744073709551615,
     "n_prompt": 12, "n_gen": 3, "prefill_tps": 100.5, "decode_tps": 9.75,
     "trimmed": false, "dropped_json": null, "content": "Ingwer kann"},
    {"id": 12, "parent": 10, "role": "assistant", "status": "complete",
     "created": "2026-01-02T03:04:20.000Z", "updated": "2026-01-02T03:05:00.000Z",
     "error": null, "model_file": "m.gguf", "model_quant": "Q4_K_M",
     "model_sha256": "abababababababababababababababababababababababababababababababab",
     "template": "chatml", "params_json": "{\"temp\":0.7}", "seed": 42,
     "n_prompt": 12, "n_gen": 20, "prefill_tps": 100.5, "decode_tps": 0.1,
     "trimmed": true, "dropped_json": "[3]",
     "content": "Ingwer kann helfen. Bei anhaltendem Erbrechen: Arzt."}
   ]},
  {"id": 8, "title": "Second one", "created": "2026-01-03T00:00:00.000Z",
   "updated": "2026-01-03T00:00:00.000Z", "system": null, "template": null,
   "model_file": null, "model_sha256": null, "model_quant": null,
   "params_json": null, "archived": false, "current_leaf": null, "messages": []}
 ]}
EOF

out=$($MEDCHAT history import "$TMPD/in.json" 2>&1)
check "import: two conversations" test "$out" = "imported 2 conversations: 7 8"
check "database file is 0600" test "$(file_mode "$DB")" = 600
check "database directory is 0700" test "$(file_mode "$TMPD/data")" = 700

# tty CMD: CMD's output on a terminal (script(1)'s pseudo-terminal).
tty() {
	script -qec "$1" /dev/null </dev/null
}
have_script=$(ul_script && echo yes)

out=$($MEDCHAT history list)
check "list: header" sh -c 'echo "$1" | head -1 | grep -q "ID.*UPDATED.*MSGS.*TITLE"' _ "$out"
check "list: newest first" sh -c 'echo "$1" | sed -n 2p | grep -q "Second one"' _ "$out"
check "list: counts messages" sh -c 'echo "$1" | grep "Narkose" | grep -q " 3  "' _ "$out"
check "list | pipe: the stored title's exact bytes" sh -c 'echo "$1" | grep -q "Übelkeit $2\[2J nach"' _ "$out" "$ESC"
if [ -n "$have_script" ]; then
	out=$(tty "$MEDCHAT history list")
	check "list on a terminal: no raw escape from a stored title" sh -c '! echo "$1" | grep -q "$2"' _ "$out" "$ESC"
	check "list on a terminal: escape shown visibly" sh -c 'echo "$1" | grep -q "\^\[\[2J"' _ "$out"
	out=$(tty "$MEDCHAT history list --raw")
	check "list --raw on a terminal: exact bytes" sh -c 'echo "$1" | grep -q "$2\[2J"' _ "$out" "$ESC"
else
	skip "list on a terminal" "no script(1)"
fi
out=$($MEDCHAT history list --limit 1)
check "list --limit 1" test "$(echo "$out" | wc -l)" = 2
out=$($MEDCHAT history list --json)
check "list --json: array with ids" sh -c 'echo "$1" | grep -q "\"id\": 7" && echo "$1" | head -1 | grep -q "^\["' _ "$out"
check "list --json: control characters escaped" sh -c 'echo "$1" | grep -qi "\\\\u001b\[2J"' _ "$out"

out=$($MEDCHAT history show 7)
check "show: question and current answer" sh -c 'echo "$1" | grep -q "Was hilft" && echo "$1" | grep -q "Ingwer kann helfen"' _ "$out"
check "show: alternatives counted" sh -c 'echo "$1" | grep -q "alternative 2 of 2"' _ "$out"
check "show: provenance line" sh -c 'echo "$1" | grep -q "m.gguf (Q4_K_M), template chatml, seed 42"' _ "$out"
check "show | pipe: the stored text's exact bytes" sh -c 'echo "$1" | grep -qF "$(printf "\033]0;pwned\007 \342\200\256evil")"' _ "$out"
if [ -n "$have_script" ]; then
	out=$(tty "$MEDCHAT history show 7")
	check "show on a terminal: no raw escape or BEL" sh -c '! echo "$1" | grep -q "$2" && ! echo "$1" | grep -q "$(printf "\007")"' _ "$out" "$ESC"
	check "show on a terminal: bidi override replaced" sh -c '! echo "$1" | grep -q "$(printf "\342\200\256")"' _ "$out"
	check "show on a terminal: escape shown visibly" sh -c 'echo "$1" | grep -qF "^[]0;pwned^G $(printf "\357\277\275")evil"' _ "$out"
else
	skip "show on a terminal" "no script(1)"
fi
# A conversation whose own model columns name a model that never
# answered in it (selected in the menu, /new, /demo), while its two
# answers came from two other models: list, show and every export name
# exactly the two that answered.
msg() { # id parent role model content
	printf '{"id": %s, "parent": %s, "role": "%s", "status": "complete", "created": "2026-01-04T00:00:0%s.000Z", "updated": "2026-01-04T00:00:0%s.000Z", "error": null, "model_file": %s, "model_quant": %s, "model_sha256": null, "template": null, "params_json": null, "seed": null, "n_prompt": 0, "n_gen": 0, "prefill_tps": 0, "decode_tps": 0, "trimmed": false, "dropped_json": null, "content": "%s"}' "$1" "$2" "$3" "$1" "$1" "$4" "$5" "$6"
}
{
	printf '{"format": "medchat-export", "version": 1, "conversations": [{"id": 1, "title": "Two models", "created": "2026-01-04T00:00:00.000Z", "updated": "2026-01-04T00:00:09.000Z", "system": null, "template": null, "model_file": "never-used.gguf", "model_sha256": null, "model_quant": "Q2_K", "params_json": null, "archived": false, "current_leaf": 4, "messages": [\n'
	msg 1 null user null null "Frage eins"; printf ',\n'
	msg 2 1 assistant '"first.gguf"' '"Q4_0"' "Antwort eins"; printf ',\n'
	msg 3 2 user null null "Frage zwei"; printf ',\n'
	msg 4 3 assistant '"second.gguf"' '"Q8_0"' "Antwort zwei"
	printf ']}]}\n'
} > "$TMPD/models.json"
MDB=$TMPD/models.db
MEDCHAT_DB=$MDB $MEDCHAT history import "$TMPD/models.json" >/dev/null
out=$(MEDCHAT_DB=$MDB $MEDCHAT history list)
check "models: list names the models that answered" sh -c 'echo "$1" | grep -q "Two models  (first.gguf, second.gguf)$" && ! echo "$1" | grep -q never-used' _ "$out"
out=$(MEDCHAT_DB=$MDB $MEDCHAT history list --json)
check "models: list --json names them, the latest as model_file" sh -c 'echo "$1" | grep -q "\"model_file\": \"second.gguf\", \"model_quant\": \"Q8_0\", \"models\": \[\"first.gguf\", \"second.gguf\"\]" && ! echo "$1" | grep -q never-used' _ "$out"
out=$(MEDCHAT_DB=$MDB $MEDCHAT history show 1)
check "models: show names them" sh -c 'echo "$1" | grep -q "^Models: first.gguf (Q4_0), second.gguf (Q8_0)$" && ! echo "$1" | grep -q never-used' _ "$out"
for f in md txt json; do
	out=$(MEDCHAT_DB=$MDB $MEDCHAT history export 1 --format $f)
	check "models: $f export names them and no other" sh -c 'echo "$1" | grep -q first.gguf && echo "$1" | grep -q second.gguf && ! echo "$1" | grep -q never-used' _ "$out"
done

# A conversation whose system message changed twice between its three
# answers: show and every export give each answer's own.
sed -e 's/"Two models"/"Three systems"/' -e 's/"system": null/"system": "Nicht benutzt."/' \
    -e 's/"content": "Antwort eins"/"system": "Sei vorsichtig.", "content": "Antwort eins"/' \
    -e 's/"content": "Antwort zwei"/"system": "Antworte kurz.", "content": "Antwort zwei"/' \
    -e 's/^\(.*"content": "Antwort zwei".*\)\]}\]}$/\1,/' "$TMPD/models.json" > "$TMPD/sys.json"
{
	printf '\n'; msg 5 4 user null null "Frage drei"; printf ',\n'
	msg 6 5 assistant '"second.gguf"' '"Q8_0"' "Antwort drei" | sed 's/"content"/"system": "Antworte ausführlich.", "content"/'
	printf ']}]}\n'
} >> "$TMPD/sys.json"
sed 's/"current_leaf": 4/"current_leaf": 6/' "$TMPD/sys.json" >"$TMPD/sys.tmp" &&
    mv "$TMPD/sys.tmp" "$TMPD/sys.json"
SDB=$TMPD/sys.db
MEDCHAT_DB=$SDB $MEDCHAT history import "$TMPD/sys.json" >/dev/null
# in_order TEXT NEEDLE...: each needle on a later line than the one before
in_order() {
	_t=$1; shift; _last=0
	for _n; do
		_l=$(printf '%s\n' "$_t" | grep -n -F -- "$_n" | awk -F: -v l="$_last" '$1 > l { print $1; exit }')
		test -n "$_l" || return 1
		_last=$_l
	done
}
out=$(MEDCHAT_DB=$SDB $MEDCHAT history show 1)
check "system: show gives each answer's system message where it changes" in_order "$out" "for the next answer: Nicht benutzt." "Frage eins" "from this answer on" "Sei vorsichtig." "Antwort eins" "Frage zwei" "from this answer on" "Antworte kurz." "Antwort zwei" "Frage drei" "from this answer on" "Antworte ausführlich." "Antwort drei"
for f in md txt; do
	out=$(MEDCHAT_DB=$SDB $MEDCHAT history export 1 --format $f)
	check "system: $f export gives each answer's" in_order "$out" "Frage eins" "System message" "Sei vorsichtig." "Antwort eins" "Frage zwei" "System message" "Antworte kurz." "Antwort zwei" "Frage drei" "System message" "Antworte ausführlich." "Antwort drei"
done
out=$(MEDCHAT_DB=$SDB $MEDCHAT history export 1 --format json)
check "system: json export gives each answer's" sh -c 'test $(echo "$1" | grep -c "\"system\": \"Sei vorsichtig.\"") = 1 && test $(echo "$1" | grep -c "\"system\": \"Antworte kurz.\"") = 1 && test $(echo "$1" | grep -c "\"system\": \"Antworte ausführlich.\"") = 1' _ "$out"

$MEDCHAT history show 999 >/dev/null 2>"$TMPD/err"; rc=$?
check "show: unknown id fails" test $rc = 1
check "show: one-line error" sh -c 'test $(wc -l < "$1") = 1 && grep -q "no conversation 999" "$1"' _ "$TMPD/err"
$MEDCHAT history show abc >/dev/null 2>&1; rc=$?
check "show: bad id is a usage error" test $rc = 2

out=$($MEDCHAT history search übelkeit)
check "search: non-ASCII, case-folded, marked" sh -c 'echo "$1" | grep -q "\[Übelkeit\]"' _ "$out"
out=$($MEDCHAT history search Erbrechen)
check "search: finds answers" sh -c 'echo "$1" | grep -q "#12 assistant"' _ "$out"
out=$($MEDCHAT history search '"(' 'NEAR' '*' 2>&1); rc=$?
check "search: FTS syntax in the query is harmless" test $rc = 0
check "search: no match" test "$out" = "no matches"

$MEDCHAT history export 7 --format md -o "$TMPD/c.md"
check "export md: file written 0600" test "$(file_mode "$TMPD/c.md")" = 600
check "export md: advisory header" grep -q "^- Advisory: version 1, sha256 [0-9a-f]\{64\}" "$TMPD/c.md"
check "export md: acknowledgement line" grep -q "Acknowledgement: none recorded" "$TMPD/c.md"
check "export md: provenance with seed" grep -q "_Provenance: model m.gguf (Q4_K_M, sha256 abab.*seed 42" "$TMPD/c.md"
check "export md: context trim noted" grep -q "context trimmed (dropped \[3\])" "$TMPD/c.md"
$MEDCHAT history export 7 --format txt -o "$TMPD/c.txt"
check "export txt: warning header" grep -q "^WARNING: These answers were generated" "$TMPD/c.txt"
$MEDCHAT history export --all --format json -o "$TMPD/all.json"
check "export json: exact uint64 seed" grep -q '"seed": 18446744073709551615' "$TMPD/all.json"
MEDCHAT_DB=$TMPD/other.db $MEDCHAT history import "$TMPD/all.json" >/dev/null
MEDCHAT_DB=$TMPD/other.db $MEDCHAT history export --all --format json -o "$TMPD/again.json"
grep -v '"exported"' "$TMPD/all.json" > "$TMPD/a1"
grep -v '"exported"' "$TMPD/again.json" > "$TMPD/a2"
check "export json: round trip through import is lossless" cmp -s "$TMPD/a1" "$TMPD/a2"
# The same export imported again: every conversation is already there
# (its uid), skipped with one line each, nothing duplicated.
out=$(MEDCHAT_DB=$TMPD/other.db $MEDCHAT history import "$TMPD/all.json"); rc=$?
check "import twice: nothing added, one line per skipped conversation" sh -c 'test $1 = 0 && test "$(echo "$2" | head -1)" = "imported 0 conversations" && test $(echo "$2" | grep -c "^skipped \".*\" (uid [0-9a-f]\{32\}): already here as conversation [0-9]*$") = 2' _ $rc "$out"
check "import twice: the database is as it was" sh -c 'MEDCHAT_DB=$1 $MEDCHAT history export --all --format json | grep -v "\"exported\"" | cmp -s - "$2"' _ "$TMPD/other.db" "$TMPD/a1"
$MEDCHAT history export >/dev/null 2>&1; rc=$?
check "export: needs ids or --all" test $rc = 2
$MEDCHAT history export 7 --format pdf >/dev/null 2>&1; rc=$?
check "export: unknown format" test $rc = 2
$MEDCHAT history import "$TMPD/c.md" >/dev/null 2>"$TMPD/err"; rc=$?
check "import: not JSON fails with one line" sh -c 'test $1 = 1 && test $(wc -l < "$2") = 1' _ $rc "$TMPD/err"

$MEDCHAT history rename 8 Renamed   title >/dev/null
check "rename" sh -c '$MEDCHAT history list | grep -q "Renamed title"'
$MEDCHAT history archive 8
check "archive: hidden from list" sh -c '! $MEDCHAT history list | grep -q "Renamed title"'
check "archive: --archived shows it" sh -c '$MEDCHAT history list --archived | grep -q "Renamed title.*\[archived\]"'
$MEDCHAT history unarchive 8
check "unarchive" sh -c '$MEDCHAT history list | grep -q "Renamed title"'

$MEDCHAT history delete 8 </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
check "delete: refuses without a tty or --yes" sh -c 'test $1 = 1 && grep -q "add --yes" "$2"' _ $rc "$TMPD/err"
check "delete: still there" sh -c '$MEDCHAT history show 8 >/dev/null'
$MEDCHAT history delete 8 --yes >/dev/null
$MEDCHAT history show 8 >/dev/null 2>&1; rc=$?
check "delete --yes" test $rc = 1
if ul_script; then
	printf 'n\n' | script -qec "$MEDCHAT history delete 7" /dev/null >/dev/null 2>&1
	check "delete: answering no on a tty keeps it" sh -c '$MEDCHAT history show 7 >/dev/null'
else
	skip "delete: answering no on a tty keeps it" "no script(1)"
fi

out=$($MEDCHAT advisory)
check "advisory: text and version" sh -c 'echo "$1" | grep -q "MODEL-RISK ADVISORY" && echo "$1" | grep -q "advisory version 1, sha256"' _ "$out"
out=$($MEDCHAT advisory --history)
check "advisory --history: none yet" sh -c 'echo "$1" | grep -q "no acknowledgements recorded"' _ "$out"
$MEDCHAT advisory --show --history >/dev/null 2>&1; rc=$?
check "advisory: --show and --history exclusive" test $rc = 2

# A file that is not a database: refused, one line, untouched.
i=0; while [ $i -lt 50 ]; do echo 'my notes'; i=$((i + 1)); done > "$TMPD/notes.txt"
before=$(digest < "$TMPD/notes.txt")
$MEDCHAT history list --db "$TMPD/notes.txt" >/dev/null 2>"$TMPD/err"; rc=$?
check "not a database: exit 1" test $rc = 1
check "not a database: one line naming the file" sh -c 'test $(wc -l < "$1") = 1 && grep -q "notes.txt: not an SQLite database" "$1"' _ "$TMPD/err"
check "not a database: untouched" test "$(digest < "$TMPD/notes.txt")" = "$before"
$MEDCHAT history frobnicate >/dev/null 2>&1; rc=$?
check "unknown subcommand is a usage error" test $rc = 2

# A read-only copy (0400 file in a 0500 directory): every reading command
# works, every writing command is refused in one line naming the file,
# and the file stays byte for byte the same with nothing made next to it.
RODIR=$TMPD/ro
mkdir "$RODIR"
cp "$DB" "$RODIR/ro.db"
$MEDCHAT history export --all --format json -o "$TMPD/rw.json"
chmod 400 "$RODIR/ro.db"
chmod 500 "$RODIR"
before=$(digest < "$RODIR/ro.db")
out=$($MEDCHAT history list --db "$RODIR/ro.db" 2>"$TMPD/err"); rc=$?
check "read-only: list" sh -c 'test $1 = 0 && echo "$2" | grep -q "Übelkeit" && test ! -s "$3"' _ $rc "$out" "$TMPD/err"
out=$($MEDCHAT history show 7 --db "$RODIR/ro.db"); rc=$?
check "read-only: show" sh -c 'test $1 = 0 && echo "$2" | grep -q "Ingwer kann helfen"' _ $rc "$out"
out=$($MEDCHAT history search Ingwer --db "$RODIR/ro.db"); rc=$?
check "read-only: search" sh -c 'test $1 = 0 && echo "$2" | grep -q "^7 #12"' _ $rc "$out"
$MEDCHAT history export --all --format json --db "$RODIR/ro.db" -o "$TMPD/ro.json"; rc=$?
grep -v '"exported"' "$TMPD/rw.json" > "$TMPD/e1"
grep -v '"exported"' "$TMPD/ro.json" > "$TMPD/e2"
check "read-only: export equals the writable copy's" sh -c 'test $1 = 0 && cmp -s "$2" "$3"' _ $rc "$TMPD/e1" "$TMPD/e2"
for c in "rename 7 New title" "delete 7 --yes" "archive 7" "unarchive 7" "import $TMPD/in.json"; do
	# shellcheck disable=SC2086
	$MEDCHAT history $c --db "$RODIR/ro.db" >"$TMPD/out" 2>"$TMPD/err" </dev/null; rc=$?
	check "read-only: ${c%% *} refused in one line naming the file" sh -c 'test $1 = 1 && test $(wc -l < "$2") = 1 && grep -q "ro/ro.db: cannot .*read-only" "$2" && test ! -s "$3"' _ $rc "$TMPD/err" "$TMPD/out"
done
check "read-only: file unchanged" test "$(digest < "$RODIR/ro.db")" = "$before"
check "read-only: nothing made next to it" test "$(ls -A "$RODIR")" = "ro.db"

# medchat ask and the record, on the demo model.
ADB=$TMPD/ask.db
DEMO=$TMPD/demo.gguf
if $MEDCHAT debug demo -o "$DEMO" >/dev/null 2>&1; then
	$MEDCHAT ask --db "$ADB" -m "$DEMO" -n 5 "Is it safe?" </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
	check "ask: refuses without an acknowledgement" test $rc = 1
	check "ask: the refusal says how to accept" grep -q "medchat advisory.*--accept-advisory" "$TMPD/err"
	check "ask: refusal is one line" test "$(wc -l < "$TMPD/err")" = 1
	check "ask: nothing saved before accepting" sh -c '$MEDCHAT history list --db "$1" | grep -q "no conversations"' _ "$ADB"
	$MEDCHAT ask --db "$ADB" -m "$DEMO" -n 5 --seed 3 --accept-advisory "Is ferritin iron?" </dev/null >"$TMPD/a1" 2>"$TMPD/err"; rc=$?
	check "ask --accept-advisory answers" test $rc = 0
	check "ask: says where the question went" grep -q "question saved as message 1 of conversation 1" "$TMPD/err"
	out=$($MEDCHAT advisory --db "$ADB" --history)
	check "advisory --history: the acknowledgement" sh -c 'echo "$1" | grep -q "via cli-flag: advisory version 1 .* for demo.gguf"' _ "$out"
	$MEDCHAT ask --db "$ADB" -m "$DEMO" -n 5 --seed 4 "Second question" </dev/null >/dev/null 2>&1; rc=$?
	check "ask: accepted once per model" test $rc = 0
	$MEDCHAT ask --db "$ADB" -m "$DEMO" -n 5 --continue 1 "And the follow-up?" </dev/null >/dev/null 2>"$TMPD/err"
	out=$($MEDCHAT history show 1 --db "$ADB")
	check "ask --continue appends" sh -c 'echo "$1" | grep -q "Is ferritin iron?" && echo "$1" | grep -q "And the follow-up?"' _ "$out"
	if command -v sqlite3 >/dev/null 2>&1; then
		check "ask: the answer is stored exactly as printed" test "$(sqlite3 "$ADB" 'SELECT content FROM messages WHERE id = 2')" = "$(cat "$TMPD/a1")"
	else
		skip "ask: the answer is stored exactly as printed" "no sqlite3 shell"
	fi
	check "ask: provenance with seed 3" sh -c 'echo "$1" | grep -q "demo.gguf (.*), template .*, seed 3,"' _ "$out"
	n1=$($MEDCHAT history list --db "$ADB" | wc -l)
	$MEDCHAT ask --db "$ADB" -m "$DEMO" -n 5 --no-save "Not kept" </dev/null >/dev/null 2>&1
	check "ask --no-save saves nothing" test "$($MEDCHAT history list --db "$ADB" | wc -l)" = "$n1"
	$MEDCHAT ask --db "$ADB" -m "$DEMO" -n 5 --continue 99 "x" </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
	check "ask --continue of no conversation fails, one line" sh -c 'test $1 = 1 && test $(wc -l < "$2") = 1' _ $rc "$TMPD/err"
	# Acknowledgements travel with an export: imported as records marked
	# import:<method>, never twice, and they do not open the gate.
	$MEDCHAT history export --all --format json --db "$ADB" -o "$TMPD/acks.json"
	IDB=$TMPD/imported.db
	$MEDCHAT history import --db "$IDB" "$TMPD/acks.json" >/dev/null
	$MEDCHAT history import --db "$IDB" "$TMPD/acks.json" >/dev/null
	out=$($MEDCHAT advisory --db "$IDB" --history)
	check "import: the acknowledgement comes along, once" sh -c 'test "$(echo "$1" | grep -c "via import:cli-flag: advisory version 1 .* for demo.gguf")" = 1' _ "$out"
	$MEDCHAT ask --db "$IDB" -m "$DEMO" -n 5 "Gate?" </dev/null >/dev/null 2>"$TMPD/err"; rc=$?
	check "import: an imported acknowledgement does not open the gate" sh -c 'test $1 = 1 && grep -q "medchat advisory.*--accept-advisory" "$2"' _ $rc "$TMPD/err"
	nconv=$($MEDCHAT history list --db "$IDB" | wc -l)
	sed 's/"os_user": /"os_user" /' "$TMPD/acks.json" > "$TMPD/broken.json"
	$MEDCHAT history import --db "$IDB" "$TMPD/broken.json" >/dev/null 2>"$TMPD/err"; rc=$?
	check "import: broken JSON fails in one line with the byte offset" sh -c 'test $1 = 1 && test $(wc -l < "$2") = 1 && grep -q "broken.json: JSON error at byte [0-9]" "$2"' _ $rc "$TMPD/err"
	sed 's/"method": "cli-flag"/"method": "bogus"/' "$TMPD/acks.json" > "$TMPD/bogus.json"
	$MEDCHAT history import --db "$IDB" "$TMPD/bogus.json" >/dev/null 2>"$TMPD/err"; rc=$?
	check "import: a bad acknowledgement field fails in one line naming it" sh -c 'test $1 = 1 && test $(wc -l < "$2") = 1 && grep -q "acknowledgement 1: \"method\" is not known" "$2"' _ $rc "$TMPD/err"
	out=$($MEDCHAT advisory --db "$IDB" --history)
	check "import: failed imports add nothing" sh -c 'test "$($MEDCHAT history list --db "$2" | wc -l)" = "$3" && test "$(echo "$1" | grep -c "via import")" = 1' _ "$out" "$IDB" "$nconv"

	# ask on a read-only copy: saving refused before answering, one line;
	# --no-save answers (the acknowledgement is already there).
	cp "$ADB" "$TMPD/ask-ro.db"
	chmod 400 "$TMPD/ask-ro.db"
	before=$(digest < "$TMPD/ask-ro.db")
	$MEDCHAT ask --db "$TMPD/ask-ro.db" -m "$DEMO" -n 5 "Saved?" </dev/null >"$TMPD/out" 2>"$TMPD/err"; rc=$?
	check "ask on a read-only database: refused in one line, nothing printed" sh -c 'test $1 = 1 && test $(wc -l < "$2") = 1 && grep -q "ask-ro.db: cannot save the conversation.*read-only" "$2" && test ! -s "$3"' _ $rc "$TMPD/err" "$TMPD/out"
	$MEDCHAT ask --db "$TMPD/ask-ro.db" -m "$DEMO" -n 5 --seed 3 --no-save "Is ferritin iron?" </dev/null >"$TMPD/out" 2>/dev/null; rc=$?
	check "ask --no-save on a read-only database answers" sh -c 'test $1 = 0 && cmp -s "$2" "$3"' _ $rc "$TMPD/out" "$TMPD/a1"
	check "ask: read-only database unchanged" test "$(digest < "$TMPD/ask-ro.db")" = "$before"
else
	skip "ask and the record" "medchat debug demo failed"
fi

# Answers stored by older versions: `ask` wrote the parameters with
# %.9g and no seed_fixed/ctx, the TUI with %g and both.  Their
# provenance still shows in `history show` and in the exports.
OASK='{"temp":0.800000012,"top_k":40,"top_p":0.949999988,"min_p":0.0500000007,"repeat_penalty":1,"repeat_last_n":64,"max_tokens":5,"seed":7}'
OTUI='{"temp":0.3,"top_k":12,"top_p":0.9,"min_p":0.05,"repeat_penalty":1.1,"repeat_last_n":64,"max_tokens":-1,"seed":9,"seed_fixed":1,"ctx":512}'
jq_str() { printf '%s' "$1" | sed 's/"/\\"/g'; }
oldmsg() { # id parent role params seed content
	printf '{"id": %s, "parent": %s, "role": "%s", "status": "complete", "created": "2026-01-02T03:04:05.006Z", "updated": "2026-01-02T03:04:05.006Z", "error": null, "model_file": %s, "model_quant": %s, "model_sha256": null, "template": %s, "params_json": %s, "seed": %s, "n_prompt": 4, "n_gen": 2, "prefill_tps": 0, "decode_tps": 0, "trimmed": false, "dropped_json": null, "content": "%s"}' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9"
}
{
	printf '{"format": "medchat-export", "version": 1, "conversations": [{"id": 1, "title": "Old formats", "created": "2026-01-02T03:04:05.006Z", "updated": "2026-01-02T03:04:05.006Z", "system": null, "template": null, "model_file": "old.gguf", "model_sha256": null, "model_quant": "Q4_0", "params_json": "%s", "archived": false, "current_leaf": 4, "messages": [' "$(jq_str "$OTUI")"
	oldmsg 1 null user null null null null null "From ask?"; printf ', '
	oldmsg 2 1 assistant '"old.gguf"' '"Q4_0"' '"chatml"' "\"$(jq_str "$OASK")\"" 7 "Answer one."; printf ', '
	oldmsg 3 2 user null null null null null "From the TUI?"; printf ', '
	oldmsg 4 3 assistant '"old.gguf"' '"Q4_0"' '"llama2"' "\"$(jq_str "$OTUI")\"" 9 "Answer two."
	printf ']}]}\n'
} > "$TMPD/old.json"
ODB=$TMPD/old.db
$MEDCHAT history import --db "$ODB" "$TMPD/old.json" >/dev/null 2>"$TMPD/err"
out=$($MEDCHAT history show 1 --db "$ODB" 2>&1)
check "old params formats: history show gives both provenance lines" sh -c 'echo "$1" | grep -q "old.gguf (Q4_0), template chatml, seed 7, 4+2 tokens" && echo "$1" | grep -q "old.gguf (Q4_0), template llama2, seed 9, 4+2 tokens"' _ "$out"
$MEDCHAT history export 1 --db "$ODB" --format md -o "$TMPD/old.md"
check "old params formats: export md shows both parameter sets" sh -c 'grep -qF "parameters $1, seed 7" "$3" && grep -qF "parameters $2, seed 9" "$3"' _ "$OASK" "$OTUI" "$TMPD/old.md"
chmod 700 "$RODIR"
done_testing
