#!/bin/sh
# tests/test-eval-cli.sh -- `medchat eval` end to end on models our own
# writer makes: the output and --json shape of ppl, kld, speed and list,
# a stored result shown instead of measuring again (--again measures),
# `models --json` carrying the measurements, the one-line errors (files
# with different vocabularies, a missing file, a text that is not UTF-8
# or is empty, usage), and a run stopped by SIGINT: the partial result
# printed, stored as partial, exit status 130.
. "$top_srcdir/tests/lib.sh"

DEMO=$TMPD/models/demo.gguf
TINY=$TMPD/tiny.gguf
DB=$TMPD/m.db
mkdir -p "$TMPD/models"
check "debug demo writes the demo model" $MEDCHAT debug demo -o "$DEMO"
check "debug synth writes a model with another vocabulary" \
    $MEDCHAT debug synth --shape tiny --type q8_0 -o "$TINY"

# The value of a JSON document's key (python3, as tests/remote-server.py).
jget() {	# jget FILE EXPRESSION
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --ctx 64 --chunks 2 >"$TMPD/p1" 2>"$TMPD/e1"
check "ppl exits 0" [ $? -eq 0 ]
check "ppl prints the running estimate per chunk" \
    sh -c "grep -q '^\[1/2\] ppl [0-9.]*$' '$TMPD/p1' && grep -q '^\[2/2\] ppl' '$TMPD/p1'"
check "ppl prints the final value and its standard error" \
    grep -q '^Final estimate: PPL = [0-9.]* +/- [0-9.]* (context 64, 2 chunks, 62 tokens scored)$' "$TMPD/p1"
check "no progress bar when stderr is not a terminal" [ ! -s "$TMPD/e1" ]

$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --ctx 64 --chunks 2 >"$TMPD/p2" 2>&1
check "the same measurement again: exit 0" [ $? -eq 0 ]
check "the same measurement again: the stored result, said so" \
    grep -q '^Stored result (measured before; --again measures anew): demo.gguf, text built-in' "$TMPD/p2"
check "the same measurement again: not measured (no chunk lines)" \
    sh -c "! grep -q '^\[1/2\]' '$TMPD/p2'"
check "the stored result has the same figures" \
    [ "$(tail -n 1 "$TMPD/p1")" = "$(tail -n 1 "$TMPD/p2")" ]
$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --ctx 64 --chunks 2 --again >"$TMPD/p3" 2>&1
check "--again measures anew" grep -q '^\[2/2\] ppl' "$TMPD/p3"
$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --ctx 64 --chunks 1 >"$TMPD/p4" 2>&1
check "another chunk count is another measurement" grep -q '^\[1/1\] ppl' "$TMPD/p4"

$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --ctx 64 --chunks 2 --json >"$TMPD/j1" 2>&1
check "ppl --json: one document, the stored result" \
    [ "$(jget "$TMPD/j1" "d['stored'], d['kind'], d['n_ctx'], d['n_chunks'], d['n_tokens'], d['complete'], d['text']")" = "True ppl 64 2 62 True built-in" ]
$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --ctx 64 --chunks 2 --json --again >"$TMPD/j2" 2>&1
check "ppl --json --again: measured, the running estimates, hashes" \
    [ "$(jget "$TMPD/j2" "d['stored'], len(d['chunks']), d['chunks'][-1] == d['ppl'], len(d['model_sha256']), len(d['text_sha256']), d['ppl_err'] > 0, d['version'] != ''")" = "False 2 True 64 64 True True" ]

$MEDCHAT eval kld --db "$DB" --base "$DEMO" -m "$DEMO" --ctx 64 --chunks 2 --json >"$TMPD/k1" 2>&1
check "kld of a file against itself: 0, every top token the same" \
    [ "$(jget "$TMPD/k1" "d['kind'], d['kld_mean'], d['kld_p99'], d['top_agree'], d['ppl_ratio'], d['base'], d['base_sha256'] == d['model_sha256']")" = "kld 0.0 0.0 1.0 1.0 demo.gguf True" ]
$MEDCHAT eval kld --db "$DB" --base "$DEMO" -m "$DEMO" --ctx 64 --chunks 2 >"$TMPD/k2" 2>&1
check "kld text: the stored result with its KL line" \
    sh -c "grep -q '^Stored result' '$TMPD/k2' && grep -q '^KL divergence: mean 0.000000, 99th percentile 0.000000; same top token 100.00%; PPL(file)/PPL(base) 1.000000$' '$TMPD/k2'"

$MEDCHAT eval speed --db "$DB" -m "$DEMO" --json >"$TMPD/s1" 2>&1
check "speed --json: prompt and answer tok/s" \
    [ "$(jget "$TMPD/s1" "d['kind'], d['n_prompt'], d['n_gen'], d['prefill_tps'] > 0, d['decode_tps'] > 0")" = "speed 64 16 True True" ]

$MEDCHAT eval list --db "$DB" --json >"$TMPD/l1" 2>&1
check "list --json: every measurement, newest first" \
    [ "$(jget "$TMPD/l1" "' '.join(m['kind'] for m in d['measurements'])")" = "speed kld ppl ppl ppl ppl" ]
$MEDCHAT eval list --db "$DB" -m "$TINY" >"$TMPD/l2" 2>&1
check "list -m of a file never measured: says so" \
    grep -q '^no measurement stored$' "$TMPD/l2"
MEDCHAT_DB=$DB $MEDCHAT models -M "$TMPD/models" --json >"$TMPD/m1" 2>&1
check "models --json: a file's measurements and hash" \
    [ "$(jget "$TMPD/m1" "[(m['name'], len(m['measurements']), len(m['sha256'])) for m in d['models'] if m['kind'] == 'local' and m['name'] == 'demo.gguf'][0]")" = "('demo.gguf', 6, 64)" ]
check "models --json: no speed from answers yet" \
    [ "$(jget "$TMPD/m1" "[m['speed'] for m in d['models'] if m['name'] == 'demo.gguf'][0]")" = "None" ]

# Errors: one line naming what is wrong, exit 1; usage: exit 2.
oneline() {	# oneline FILE NEEDLE: one line on stderr holding NEEDLE
	[ "$(wc -l <"$1")" -eq 1 ] && grep -q -- "$2" "$1"
}
$MEDCHAT eval kld --db "$DB" --base "$TINY" -m "$DEMO" --ctx 64 >/dev/null 2>"$TMPD/x1"
check "kld: different vocabularies: exit 1" [ $? -eq 1 ]
check "kld: different vocabularies: one line" \
    oneline "$TMPD/x1" 'demo.gguf and .*tiny.gguf do not share a vocabulary (1774 and 32000 tokens)'
$MEDCHAT eval ppl --db "$DB" -m "$TMPD/missing.gguf" >/dev/null 2>"$TMPD/x2"
check "a missing model file: exit 1, one line naming it" \
    sh -c "[ $? -eq 1 ] && [ \$(wc -l <'$TMPD/x2') -eq 1 ] && grep -q missing.gguf '$TMPD/x2'"
printf 'Fever\351 and chills' >"$TMPD/latin1.txt"
$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --text "$TMPD/latin1.txt" >/dev/null 2>"$TMPD/x3"
check "a text not UTF-8: exit 1" [ $? -eq 1 ]
check "a text not UTF-8: one line with the file and offset" \
    oneline "$TMPD/x3" 'latin1.txt: not UTF-8 text (byte offset 5)'
: >"$TMPD/empty.txt"
$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --text "$TMPD/empty.txt" >/dev/null 2>"$TMPD/x4"
check "an empty text: one line" oneline "$TMPD/x4" 'empty.txt: the file is empty'
$MEDCHAT eval ppl --db "$DB" --ctx 64 >/dev/null 2>"$TMPD/x5"
check "ppl without -m: usage, exit 2" sh -c "[ $? -eq 2 ] && grep -q 'needed' '$TMPD/x5'"
$MEDCHAT eval kld --db "$DB" -m "$DEMO" >/dev/null 2>&1
check "kld without --base: exit 2" [ $? -eq 2 ]
$MEDCHAT eval ppl --db "$DB" -m "$DEMO" --ctx 3 >/dev/null 2>"$TMPD/x6"
check "--ctx below 8: exit 2, the option named" \
    sh -c "[ $? -eq 2 ] && grep -q -- '--ctx' '$TMPD/x6'"
$MEDCHAT eval frobnicate >/dev/null 2>&1
check "an unknown eval command: exit 2" [ $? -eq 2 ]

# SIGINT during a run: stops after the chunk, partial result kept.
$MEDCHAT eval ppl --db "$DB" -m "$TINY" --ctx 256 >"$TMPD/i1" 2>"$TMPD/ie" &
pid=$!
n=0
while ! grep -q '^\[1/' "$TMPD/i1" 2>/dev/null && [ $n -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: exit status 130" [ $rc -eq 130 ]
check "SIGINT: said on stderr" grep -q 'stopped by a signal: the result so far is partial' "$TMPD/ie"
check "SIGINT: the partial result printed" \
    grep -q '^Final estimate: PPL = .*, partial)$' "$TMPD/i1"
$MEDCHAT eval list --db "$DB" -m "$TINY" --json >"$TMPD/l3" 2>&1
check "SIGINT: stored as partial" \
    [ "$(jget "$TMPD/l3" "[(m['kind'], m['complete'], m['n_chunks'] >= 1) for m in d['measurements']]")" = "[('ppl', False, True)]" ]

done_testing
