#!/bin/sh
# test-qa.sh -- regressions found by an adversarial review of `medchat
# inspect` and `medchat history`: hostile file names and arguments never
# put raw control characters on the terminal, a FIFO is refused at once
# instead of blocking, every error is one line, and a refused operation
# leaves the database byte for byte as it was.
. "${top_srcdir:-.}/tests/lib.sh"

ESC=$(printf '\033')
DB=$TMPD/db/m.db
export MEDCHAT MEDCHAT_DB="$DB"

# one_clean FILE: FILE is exactly one line without ESC, BEL or CR.
one_clean() {
	[ "$(wc -l < "$1")" -eq 1 ] && ! grep -q "[$ESC$(printf '\007\r')]" "$1"
}

# ---- inspect ------------------------------------------------------------

mkfifo "$TMPD/fifo"
# A reader that blocked in open(2) would hang: with_timeout ends it.
# (Not a background writer killed at once: a bash subshell killed before
# it has reset the parent's EXIT trap runs it and removes $TMPD.)
with_timeout 10 "$MEDCHAT" inspect "$TMPD/fifo" > /dev/null 2> "$TMPD/err"
rc=$?
check "inspect FIFO: refused without waiting for a writer" test $rc -eq 1
check "inspect FIFO: says it is not a regular file" \
    grep -q "fifo: not a regular file" "$TMPD/err"

# A name with a newline, an escape sequence and a carriage return.
bad="$TMPD/$(printf 'a\nb\033[31mc\r.gguf')"
printf 'GGUF\003\000\000\000' > "$bad"
"$MEDCHAT" inspect "$bad" > /dev/null 2> "$TMPD/err"
rc=$?
check "inspect hostile name: exit 1" test $rc -eq 1
check "inspect hostile name: one line, no control characters" \
    one_clean "$TMPD/err"
check "inspect hostile name: the name is shown with '?'" \
    grep -qF 'a?b?[31mc?.gguf' "$TMPD/err"
"$MEDCHAT" inspect "$TMPD/$(printf 'no\033]0;x\007such')" 2> "$TMPD/err"
check "inspect missing hostile name: one clean line" one_clean "$TMPD/err"

# A sparse file of 2 TB whose header claims 2^35 tensors passed the
# size check and died with "out of memory" (no file, no field).
printf 'GGUF\003\000\000\000\000\000\000\000\010\000\000\000' \
    > "$TMPD/sparse.gguf"
printf '\000\000\000\000\000\000\000\000' >> "$TMPD/sparse.gguf"
if truncate -s 2T "$TMPD/sparse.gguf" 2>/dev/null; then
	"$MEDCHAT" inspect "$TMPD/sparse.gguf" > /dev/null 2> "$TMPD/err"
	rc=$?
	check "inspect 2 TB sparse file claiming 2^35 tensors: one line" \
	    test $rc -eq 1 -a -n "$(grep "sparse.gguf: header: tensor count \
34359738368 is more than medchat accepts" "$TMPD/err")"
	rm -f "$TMPD/sparse.gguf"
else
	skip "inspect 2 TB sparse file" "cannot make a sparse 2 TB file"
fi

# The same for a string array of 2^36 elements (its table is copied).
printf 'GGUF\003\000\000\000\000\000\000\000\000\000\000\000' \
    > "$TMPD/sparse.gguf"
printf '\001\000\000\000\000\000\000\000' >> "$TMPD/sparse.gguf"
printf '\025\000\000\000\000\000\000\000tokenizer.ggml.tokens' \
    >> "$TMPD/sparse.gguf"
printf '\011\000\000\000\010\000\000\000' >> "$TMPD/sparse.gguf"
printf '\000\000\000\000\020\000\000\000' >> "$TMPD/sparse.gguf"
if truncate -s 2T "$TMPD/sparse.gguf" 2>/dev/null; then
	"$MEDCHAT" inspect "$TMPD/sparse.gguf" > /dev/null 2> "$TMPD/err"
	rc=$?
	check "inspect 2 TB sparse file with 2^36 strings: one line" \
	    test $rc -eq 1 -a -n "$(grep "tokenizer.ggml.tokens.*array of \
68719476736 strings is more than medchat accepts" "$TMPD/err")"
	rm -f "$TMPD/sparse.gguf"
else
	skip "inspect 2 TB sparse file with 2^36 strings" \
	    "cannot make a sparse 2 TB file"
fi

# ---- history --------------------------------------------------------------

"$MEDCHAT" history list > /dev/null 2>&1
cat > "$TMPD/in.json" <<'EOF'
{"format": "medchat-export", "version": 1,
 "conversations": [
  {"id": 1, "title": "fever", "created": "2026-01-02T03:04:05.006Z",
   "updated": "2026-01-02T03:04:05.006Z", "system": null, "template": null,
   "model_file": null, "model_sha256": null, "model_quant": null,
   "params_json": null, "archived": false, "current_leaf": null,
   "messages": []}]}
EOF
"$MEDCHAT" history import "$TMPD/in.json" > /dev/null 2>&1
check "history: a conversation to work on" \
    sh -c '"$MEDCHAT" history list | grep -q fever'
cp "$DB" "$TMPD/before.db"

"$MEDCHAT" history rename 1 "" 2> "$TMPD/err"
rc=$?
check "rename to an empty title: usage error" test $rc -eq 2
"$MEDCHAT" history rename 1 "  " 2> "$TMPD/err"
rc=$?
check "rename to a blank title: usage error" test $rc -eq 2
"$MEDCHAT" history rename 1 "$(printf 'bad \377\376 bytes')" 2> "$TMPD/err"
rc=$?
check "rename to non-UTF-8: usage error naming it" \
    test $rc -eq 2 -a -n "$(grep 'not valid UTF-8' "$TMPD/err")"
check "refused renames left the database as it was" \
    cmp -s "$DB" "$TMPD/before.db"

"$MEDCHAT" history show "$(printf '1\033[2J')" 2> "$TMPD/err"
check "show with a hostile id: one clean line" one_clean "$TMPD/err"
"$MEDCHAT" history "$(printf 'x\033[2J')" 2> "$TMPD/err"
check "unknown subcommand: no raw escape" \
    sh -c '! grep -q "$(printf "\033")" "$1"' sh "$TMPD/err"
"$MEDCHAT" history export 1 --format "$(printf 'm\033[2Jd')" 2> "$TMPD/err"
check "unknown format: one clean line" one_clean "$TMPD/err"

printf '{"format": "medchat-export", "version": 1, "conversations": [' \
    > "$TMPD/trunc.json"
"$MEDCHAT" history import "$TMPD/trunc.json" 2> "$TMPD/err"
rc=$?
check "import of a truncated file: exit 1, one clean line" \
    sh -c '[ $1 -eq 1 ] && [ "$(wc -l < "$2")" -eq 1 ]' sh $rc "$TMPD/err"
check "import error: 'medchat:' once, then the file name" \
    sh -c '[ "$(grep -o "medchat:" "$1" | wc -l)" -eq 1 ] &&
    grep -q "^medchat: $2: " "$1"' sh "$TMPD/err" "$TMPD/trunc.json"

# export -o past RLIMIT_FSIZE: a clear error, no file, no temporary.
# The export (300 kB) is far above the limit (64 or 128 kB, the unit of
# ulimit -f depends on the shell); reading the database writes nothing.
{
	printf '{"format": "medchat-export", "version": 1, "conversations": '
	printf '[{"id": 2, "title": "big", "created": "2026-01-02T03:04:05.006Z",'
	printf ' "updated": "2026-01-02T03:04:05.006Z", "system": null, '
	printf '"template": null, "model_file": null, "model_sha256": null, '
	printf '"model_quant": null, "params_json": null, "archived": false, '
	printf '"current_leaf": null, "messages": [{"id": 1, "parent": null, '
	printf '"role": "user", "status": "complete", '
	printf '"created": "2026-01-02T03:04:05.006Z", '
	printf '"updated": "2026-01-02T03:04:05.006Z", "error": null, '
	printf '"model_file": null, "model_quant": null, "model_sha256": null, '
	printf '"template": null, "params_json": null, "seed": null, '
	printf '"n_prompt": 0, "n_gen": 0, "prefill_tps": 0, "decode_tps": 0, '
	printf '"trimmed": false, "dropped_json": null, '
	printf '"content": "%0300000d"}]}]}' 0
} > "$TMPD/big.json"
"$MEDCHAT" history import "$TMPD/big.json" > /dev/null 2> "$TMPD/err"
check "import of a 300 kB message" test $? -eq 0
mkdir "$TMPD/out"
(
	trap '' XFSZ
	ulimit -f 128
	"$MEDCHAT" history export --all --format json -o "$TMPD/out/x.json"
) > /dev/null 2> "$TMPD/err"
rc=$?
n=$(ls -A "$TMPD/out" | wc -l)
check "export over the file size limit: exit 1, nothing left behind" \
    test $rc -eq 1 -a "$n" -eq 0
check "export over the file size limit: says why" \
    grep -q "x.json: File too large" "$TMPD/err"

# export -o onto something that is not a regular file writes into it
# instead of renaming a file over it (as root, -o /dev/stdout replaced
# the device node); -o - is stdout.
ln -s /dev/null "$TMPD/null-link"
"$MEDCHAT" history export --all -o "$TMPD/null-link" 2> "$TMPD/err"
rc=$?
check "export -o a link to /dev/null: exit 0, still a link" \
    test $rc -eq 0 -a -h "$TMPD/null-link"
mkfifo "$TMPD/pipe"
# (the reader gives up after 10 s if the FIFO was replaced by a file)
with_timeout 10 cat "$TMPD/pipe" > "$TMPD/pipe.out" &
"$MEDCHAT" history export 2 --format json -o "$TMPD/pipe" 2> "$TMPD/err"
rc=$?
wait
check "export -o a FIFO: the reader gets the export, FIFO kept" \
    sh -c '[ $1 -eq 0 ] && [ -p "$2" ] && grep -q "medchat-export" "$3"' \
    sh $rc "$TMPD/pipe" "$TMPD/pipe.out"
# (through a link: a medchat with the bug replaces the link, not /dev/full)
if [ -c /dev/full ] && [ -w /dev/full ]; then
	ln -s /dev/full "$TMPD/full-link"
	"$MEDCHAT" history export --all -o "$TMPD/full-link" 2> "$TMPD/err"
	rc=$?
	check "export -o /dev/full: exit 1, says the device is full" \
	    test $rc -eq 1 -a -n "$(grep 'No space left' "$TMPD/err")"
else
	skip "export -o /dev/full" "no writable /dev/full"
fi
(cd "$TMPD" && "$MEDCHAT" history export 2 --format json -o - \
    > "$TMPD/dash.out")
check "export -o -: to stdout, no file named '-'" \
    sh -c 'grep -q medchat-export "$1" && [ ! -e "$2/-" ]' sh \
    "$TMPD/dash.out" "$TMPD"

# A negative schema version (user_version at byte 60) is refused as
# such, and the file is not touched.
printf '\377\377\377\377' | dd of="$DB" bs=1 seek=60 conv=notrunc \
    2>/dev/null
cp "$DB" "$TMPD/neg.db"
"$MEDCHAT" history list > /dev/null 2> "$TMPD/err"
rc=$?
check "negative schema version: exit 1, says it is not valid" \
    test $rc -eq 1 -a -n "$(grep 'schema version -1 is not valid' \
    "$TMPD/err")"
check "negative schema version: file left untouched" \
    cmp -s "$DB" "$TMPD/neg.db"

# A database path with a newline and an escape sequence: the error
# names it, on one line, without the raw bytes.
hostile="$TMPD/$(printf 'd\033[31m\nb.db')"
echo 'not a database' > "$hostile"
"$MEDCHAT" history list --db "$hostile" > /dev/null 2> "$TMPD/err"
rc=$?
check "hostile database name: exit 1, one clean line" \
    sh -c '[ $1 -eq 1 ] && [ "$(wc -l < "$2")" -eq 1 ] &&
    ! grep -q "$(printf "\033")" "$2"' sh $rc "$TMPD/err"
check "hostile database name: shown with '?'" \
    grep -qF 'd?[31m?b.db: not an SQLite database' "$TMPD/err"

# ask refuses a question or system message that is not UTF-8, before
# anything is stored (stored raw, it could not be exported losslessly).
MODEL=${SHARED:+$SHARED/models/real/stories260K.gguf}
if [ -n "$MODEL" ] && [ -f "$MODEL" ]; then
	ADB=$TMPD/ask/m.db
	"$MEDCHAT" ask -m "$MODEL" --db "$ADB" --accept-advisory -n 2 \
	    "$(printf 'caf\351?')" > /dev/null 2> "$TMPD/err"
	rc=$?
	check "ask with a Latin-1 question: exit 1, says not UTF-8" \
	    test $rc -eq 1 -a -n "$(grep 'question is not valid UTF-8' \
	    "$TMPD/err")"
	"$MEDCHAT" ask -m "$MODEL" --db "$ADB" --accept-advisory -n 2 \
	    --system "$(printf '\377')" hello > /dev/null 2> "$TMPD/err"
	rc=$?
	check "ask with a non-UTF-8 system message: exit 1" \
	    test $rc -eq 1 -a -n "$(grep 'system message is not valid' \
	    "$TMPD/err")"
	out=$("$MEDCHAT" history list --db "$ADB" 2>&1)
	check "refused questions stored nothing" test "$out" = \
	    "no conversations"
else
	skip "ask with a Latin-1 question" "no shared models"
	skip "ask with a non-UTF-8 system message" "no shared models"
	skip "refused questions stored nothing" "no shared models"
fi

done_testing
