#!/bin/sh
# test-vocab.sh -- `medchat debug tokenize` on llama.cpp's vocabulary-only
# files (../shared/models/vocab), through the command line: the files
# have no weights, so the tokenizer is loaded alone.  Each FILE.inp holds
# inputs ended by lines "__ggml_vocab_test__", FILE.out the ids llama.cpp
# gives each (without BOS), one line per input.  A vocabulary whose
# tokenizer.ggml.model is SentencePiece ("llama") must give exactly those
# ids for every input (each passed as a file, so newlines and spaces at
# its end count); any other type (gpt-2's byte-level BPE) is refused
# with exactly one line naming the file and the tokenizer type, exit 1.
# Also: detokenize gives the input back (the SentencePiece round trip)
# where the input is valid UTF-8 and did not lose to an unknown token.
. "$top_srcdir/tests/lib.sh"

VOCAB=${SHARED:+$SHARED/models/vocab}
if [ -z "$VOCAB" ] || ! ls "$VOCAB"/*.gguf >/dev/null 2>&1; then
	skip "vocabulary files" "../shared/models/vocab not found"
	done_testing
	exit $?
fi

for v in "$VOCAB"/*.gguf; do
	name=$(basename "$v")
	type=$($MEDCHAT inspect "$v" |
	    sed -n 's/^  tokenizer\.ggml\.model  *STRING  *"\(.*\)"$/\1/p')
	if [ "$type" != llama ]; then
		$MEDCHAT debug tokenize -m "$v" --no-bos "Hello" \
		    >"$TMPD/out" 2>"$TMPD/err"
		rc=$?
		want="medchat debug tokenize: $name: tokenizer.ggml.model: tokenizer model '$type' is not supported (only SentencePiece 'llama')"
		check "$name ($type): refused, exit 1" test $rc = 1
		check "$name ($type): one line naming the file and the type" \
		    test "$(cat "$TMPD/err")" = "$want" -a \
		    "$(wc -l <"$TMPD/err")" = 1 -a ! -s "$TMPD/out"
		continue
	fi
	if [ ! -f "$v.inp" ] || [ ! -f "$v.out" ]; then
		fail "$name: .inp and .out present"
		continue
	fi
	rm -rf "$TMPD/in"
	mkdir "$TMPD/in"
	# One file per input, its exact bytes.
	awk -v dir="$TMPD/in" 'BEGIN { RS = "\n__ggml_vocab_test__\n" }
	    { f = dir "/" NR; printf "%s", $0 > f; close(f) }' "$v.inp"
	nin=$(ls "$TMPD/in" | wc -l)
	nout=$(wc -l <"$v.out")
	check "$name: $nin inputs, one expected line each" test "$nin" = "$nout"
	good=0
	bad=0
	i=1
	while [ $i -le "$nout" ]; do
		want=$(sed -n "${i}p" "$v.out" | sed 's/^ //')
		got=$($MEDCHAT debug tokenize -m "$v" --no-bos \
		    --file "$TMPD/in/$i" 2>&1)
		if [ "$got" = "$want" ]; then
			good=$((good + 1))
		else
			bad=$((bad + 1))
			[ $bad -le 3 ] && diag "$name input $i: got '$got'," \
			    "llama.cpp '$want'"
		fi
		i=$((i + 1))
	done
	check "$name: all $nout inputs tokenize as llama.cpp's ($good match)" \
	    test $bad = 0 -a $good = "$nout"
	# The round trip, through the ids just checked.
	ids=$(sed -n 2p "$v.out")
	$MEDCHAT debug detokenize -m "$v" "$ids" >"$TMPD/text"
	check "$name: detokenize gives input 2 back, exact bytes" \
	    cmp -s "$TMPD/text" "$TMPD/in/2"
done

# A file with weights works as before, and --file reads exact bytes.
if [ -f "$SHARED/models/real/stories260K.gguf" ]; then
	S=$SHARED/models/real/stories260K.gguf
	printf 'Once upon a time\n' >"$TMPD/t"
	a=$($MEDCHAT debug tokenize -m "$S" "Once upon a time")
	b=$($MEDCHAT debug tokenize -m "$S" --file "$TMPD/t")
	check "stories260K: BOS first, the file's trailing newline one more id" \
	    sh -c 'test "${1#1 }" != "$1" && test "$2" = "$1 13"' _ "$a" "$b"
fi
$MEDCHAT debug tokenize -m "$TMPD/none.gguf" x 2>"$TMPD/err"
check "a missing file: exit 1, one line" \
    sh -c 'test $1 = 1 && test "$(wc -l <"$2")" = 1' _ $? "$TMPD/err"

done_testing
