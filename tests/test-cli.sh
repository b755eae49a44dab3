#!/bin/sh
# tests/test-cli.sh -- the ask/generate/debug/bench -m commands end to end
# on the demo model (always) and against llama.cpp's golden logits for
# stories260K (when ../shared is present).
. "$top_srcdir/tests/lib.sh"

DEMO=$TMPD/demo.gguf
# ask saves to a database and asks for the advisory once per model file.
ASKDB="--db $TMPD/chat.db --accept-advisory"
check "debug demo writes the demo model" $MEDCHAT debug demo -o "$DEMO"

$MEDCHAT ask $ASKDB -m "$DEMO" --seed 7 -n 12 --temp 0.7 --system "Be brief." \
    "What causes a fever?" >"$TMPD/a1" 2>"$TMPD/e1"
check "ask exits 0" [ $? -eq 0 ]
check "ask prints stats on stderr" grep -q 'prompt [0-9]* tokens, prefill .* tok/s; generated [0-9]* tokens, decode' "$TMPD/e1"
check "ask writes the answer on stdout" [ -s "$TMPD/a1" ]
$MEDCHAT ask $ASKDB -m "$DEMO" --seed 7 -n 12 --temp 0.7 --system "Be brief." \
    "What causes a fever?" >"$TMPD/a2" 2>/dev/null
check "ask with a seed is reproducible" cmp -s "$TMPD/a1" "$TMPD/a2"
# Stopped by -n, the output still ends its last line (piped, and on a
# terminal through script(1)); the stored answer has no newline added.
check "ask stopped by -n ends with a newline (piped)" \
    [ "$(tail -c 1 "$TMPD/a1" | od -An -c | tr -d ' ')" = '\n' ]
check "ask: the stats are on the next line, not after a blank one" \
    sh -c '! grep -q "^\$" "$1"' _ "$TMPD/e1"
if command -v script >/dev/null 2>&1; then
	script -qec "'$MEDCHAT' ask $ASKDB -m '$DEMO' --seed 7 -n 12 \
	    --temp 0.7 --system 'Be brief.' 'What causes a fever?' \
	    2>/dev/null" /dev/null </dev/null >"$TMPD/a3"
	check "ask stopped by -n ends with a newline (terminal)" \
	    [ "$(tail -c 2 "$TMPD/a3" | od -An -c | tr -d ' ')" = '\r\n' ]
else
	skip "ask stopped by -n ends with a newline (terminal)" "no script(1)"
fi
if command -v sqlite3 >/dev/null 2>&1; then
	check "ask: the stored answer has no newline added" \
	    [ "$(sqlite3 "$TMPD/chat.db" "SELECT substr(content, -1) = char(10)
	    FROM messages WHERE id = (SELECT max(id) FROM messages)")" = 0 ]
else
	skip "ask: the stored answer has no newline added" "no sqlite3 shell"
fi

$MEDCHAT generate -m "$DEMO" --seed 3 -n 5 "Once upon a time" >"$TMPD/g" 2>"$TMPD/e2"
check "generate exits 0 with stats" grep -q 'generated 5 tokens' "$TMPD/e2"

ids=$($MEDCHAT debug tokenize -m "$DEMO" "<|im_start|>user")
plain=$($MEDCHAT debug tokenize -m "$DEMO" --plain "<|im_start|>user")
ims=$(echo "$ids" | cut -d' ' -f2)
check "tokenize starts with BOS" [ "$(echo "$ids" | cut -d' ' -f1)" = 1 ]
check "tokenize parses <|im_start|> as one token" [ "$(echo "$ids" | wc -w)" -eq 3 ]
case " $plain " in
*" $ims "*) fail "--plain keeps <|im_start|> as text" ;;
*) ok "--plain keeps <|im_start|> as text" ;;
esac

$MEDCHAT ask -m "$TMPD/missing.gguf" hi >/dev/null 2>"$TMPD/e3"
check "missing model: exit 1" [ $? -eq 1 ]
check "missing model: one-line error naming the file" \
    sh -c "[ \$(wc -l <'$TMPD/e3') -eq 1 ] && grep -q missing.gguf '$TMPD/e3'"
printf 'GGUF\003\000\000\000' >"$TMPD/bad.gguf"
$MEDCHAT ask -m "$TMPD/bad.gguf" hi >/dev/null 2>"$TMPD/e4"
rc=$?
check "corrupt model: exit 1 with one line" sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$TMPD/e4') -eq 1 ]"
$MEDCHAT ask $ASKDB -m "$DEMO" --temp abc hi >/dev/null 2>&1
check "invalid --temp is a usage error" [ $? -eq 2 ]
$MEDCHAT ask $ASKDB --no-save -m "$DEMO" --template nosuch hi >/dev/null 2>"$TMPD/e5"
check "unknown template is an error" grep -q "unknown template" "$TMPD/e5"

$MEDCHAT bench -m "$DEMO" -p 16 -n 4 -r 2 --json >"$TMPD/b" 2>&1
check "bench -m --json reports pp16 and tg4" sh -c "grep -q '\"pp16\"' '$TMPD/b' && grep -q '\"tg4\"' '$TMPD/b'"
$MEDCHAT debug synth --shape 3b --type q4_k_m -o "$TMPD/x.gguf" 2>"$TMPD/e6"
check "debug synth rejects an unknown shape" grep -q "unknown shape" "$TMPD/e6"

# bench --types: synthetic models written once into --dir (0700), one
# result per type, decode as a fraction of the measured bandwidth.
BD=$TMPD/cache/bench
$MEDCHAT bench --types q4_0,Q6_K --shape tiny --dir "$BD" -t 1 -p 8 -n 4 -r 1 \
    --json >"$TMPD/bt" 2>"$TMPD/bte"
check "bench --types exits 0" [ $? -eq 0 ]
check "bench --types writes one model per type" \
    sh -c "[ -s '$BD/tiny-q4_0.gguf' ] && [ -s '$BD/tiny-q6_k.gguf' ] && [ \$(ls '$BD' | wc -l) -eq 2 ]"
check "bench --types makes its directory 0700" [ "$(file_mode "$BD")" = 700 ]
check "bench --types reports both types with the bandwidth fraction" \
    sh -c "grep -q '\"quant\": \"Q4_0\"' '$TMPD/bt' && grep -q '\"quant\": \"Q6_K\"' '$TMPD/bt' && [ \$(grep -o membw_fraction '$TMPD/bt' | wc -l) -eq 2 ] && grep -q '\"membw_gbs\"' '$TMPD/bt'"
check "bench --types says which files it writes" grep -q "writing .*tiny-q4_0.gguf" "$TMPD/bte"
check "bench --types --json names each weight type's kernels" \
    sh -c "grep -Eq '\"kernels\": \"([A-Z0-9_]+ (scalar|avx2|avxvnni|avx512|avx512vnni)(\\+tile)?(, )?)+\"' '$TMPD/bt' && grep -q '\"kernels\": \"[^\"]*Q4_0 ' '$TMPD/bt'"
MEDCHAT_CPU=scalar $MEDCHAT bench --types q4_0 --shape tiny --dir "$BD" -t 1 -p 0 -n 2 -r 1 >"$TMPD/bt3" 2>&1
check "bench --types table: the kernels column, scalar when forced" \
    grep -q "| scalar | Q6_K scalar, Q4_0 scalar | 1 | tg2 |" "$TMPD/bt3"
$MEDCHAT bench kernels --cols 16 --rows 32 --types q4_0,q6_k -t 1 --json >"$TMPD/bk" 2>&1
check "bench kernels --cols: prefill figures per type, with and without tiles" \
    sh -c "grep -q '\"columns\": 16' '$TMPD/bk' && [ \$(grep -o '\"gmacs_gemm\"' '$TMPD/bk' | wc -l) -eq 2 ] && grep -Eq '\"path\": \"(tiles|gemm)\"' '$TMPD/bk'"
$MEDCHAT bench kernels --cols 1 >/dev/null 2>"$TMPD/bke"
check "bench kernels --cols 1 is refused (a product of one column is decode)" \
    sh -c "[ $? -eq 2 ] && [ -s '$TMPD/bke' ]"
$MEDCHAT bench --types q4_0 --shape tiny --dir "$BD" -t 1 -p 0 -n 2 -r 1 >"$TMPD/bt2" 2>"$TMPD/bte2"
check "bench --types reuses its models" sh -c "! grep -q writing '$TMPD/bte2'"
check "bench --types table has the bandwidth columns" grep -q "| tg2 | .* | .*% |" "$TMPD/bt2"
$MEDCHAT bench --types q4_0,q9_z --shape tiny --dir "$BD" >/dev/null 2>"$TMPD/bte3"
rc=$?
check "bench --types rejects an unknown type" sh -c "[ $rc -eq 2 ] && grep -q \"unknown type 'q9_z'\" '$TMPD/bte3'"
$MEDCHAT bench --types q4_0 --shape 3b --dir "$BD" >/dev/null 2>&1
check "bench --types rejects an unknown shape" [ $? -eq 2 ]
$MEDCHAT bench --types , --shape tiny --dir "$BD" >/dev/null 2>"$TMPD/bte4"
rc=$?
check "bench --types rejects an empty list" sh -c "[ $rc -eq 2 ] && grep -q 'no type given' '$TMPD/bte4'"
$MEDCHAT bench -m "$DEMO" -m "$DEMO" -p 4 -n 2 -r 1 >"$TMPD/b2" 2>&1
check "bench takes several -m files" [ "$(grep -c '| tg2 |' "$TMPD/b2")" -eq 2 ]

# debug logits against llama.cpp (same format, values within 0.1).
G=$SHARED/golden/logits-stories260K.txt
if [ -n "$SHARED" ] && [ -f "$G" ]; then
	toks=$(sed -n 's/^tokens //p' "$G")
	np=$(sed -n 's/^n_prompt //p' "$G")
	$MEDCHAT debug logits -m "$SHARED/models/real/stories260K.gguf" \
	    --tokens "$toks" --from "$np" >"$TMPD/l" 2>"$TMPD/e7"
	check "debug logits runs" [ $? -eq 0 ]
	check "debug logits prints step lines in the golden format" \
	    grep -Eq '^step 0( [0-9]+:-?[0-9]+\.[0-9]{5}){10}$' "$TMPD/l"
	grep '^step' "$G" >"$TMPD/gs"
	n=$(wc -l <"$TMPD/gs")
	head -n "$n" "$TMPD/l" >"$TMPD/ls"
	check "debug logits matches llama.cpp's ids and values (0.1)" awk '
	    NR == FNR { for (i = 3; i <= NF; i++) { split($i, a, ":"); g[$2, a[1]] = a[2] }; next }
	    { for (i = 3; i <= NF; i++) { split($i, a, ":");
	        if (($2, a[1]) in g) { d = a[2] - g[$2, a[1]]; if (d < -0.1 || d > 0.1) bad++ } } }
	    $3 != "" { split($3, a, ":"); split("", x) }
	    END { exit bad > 0 }' "$TMPD/gs" "$TMPD/ls"
	check "debug logits: top-1 ids equal llama.cpp's" sh -c \
	    "cut -d' ' -f3 '$TMPD/gs' | cut -d: -f1 >'$TMPD/g1'; cut -d' ' -f3 '$TMPD/ls' | cut -d: -f1 >'$TMPD/l1'; cmp -s '$TMPD/g1' '$TMPD/l1'"
	$MEDCHAT generate -m "$SHARED/models/real/stories260K.gguf" --temp 0 \
	    -n 32 "Once upon a time" >"$TMPD/s" 2>/dev/null
	want=$(sed -n 's/^text //p' "$G" | cut -c1-40)
	check "generate --temp 0 continues like llama.cpp" grep -qF "$want" "$TMPD/s"
else
	skip "debug logits against llama.cpp" "shared models not found"
fi
done_testing
