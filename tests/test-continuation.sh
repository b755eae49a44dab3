#!/bin/sh
# test-continuation.sh -- `medchat generate` prints the continuation as
# the model wrote it: for every golden file of a trained model
# (../shared/golden/logits-*.txt naming stories260K or tinyllama-v0; see
# its README), the prompt's text (the golden prompt ids, detokenized, and
# checked to tokenize back to them) is continued greedily for as many
# tokens as llama.cpp generated, and stdout must equal llama.cpp's text
# byte for byte -- a continuation that starts a new word starts with its
# space (logits-stories260K-long.txt).  Skips visibly without ../shared.
. "$top_srcdir/tests/lib.sh"

G=${SHARED:+$SHARED/golden}
if [ -z "$G" ] || [ ! -d "$G" ]; then
	skip "greedy continuations" "../shared/golden not found"
	done_testing
	exit $?
fi

n=0
for f in "$G"/logits-*.txt; do
	model=$(sed -n 's/^model //p' "$f")
	case $model in
	stories260K*|tinyllama-v0*) ;;
	*) continue ;;
	esac
	name=$(basename "$f")
	M=$SHARED/models/real/$model
	np=$(sed -n 's/^n_prompt //p' "$f")
	set -- $(sed -n 's/^tokens //p' "$f")
	ntok=$#
	prompt=""
	i=0
	for id in "$@"; do
		[ $i -ge "$np" ] && break
		prompt="$prompt${prompt:+ }$id"
		i=$((i + 1))
	done
	# llama.cpp's text, "\n" escapes made newlines again.
	sed -n 's/^text //p' "$f" |
	    awk '{ gsub(/\\n/, "\n"); printf "%s", $0 }' >"$TMPD/want"
	$MEDCHAT debug detokenize -m "$M" "$prompt" >"$TMPD/prompt"
	text=$(cat "$TMPD/prompt")
	got=$($MEDCHAT debug tokenize -m "$M" "$text")
	if [ "$got" != "$prompt" ]; then
		fail "$name: the prompt's text tokenizes to the golden ids"
		diag "got $got"
		continue
	fi
	$MEDCHAT generate -m "$M" --temp 0 -n $((ntok - np)) "$text" \
	    >"$TMPD/got" 2>"$TMPD/err"
	check "$name: generate exits 0" test $? = 0
	if cmp -s "$TMPD/got" "$TMPD/want"; then
		case $(head -c 1 "$TMPD/want") in
		" ")	ok "$name: the continuation is llama.cpp's, byte" \
			    "for byte, its leading space included" ;;
		*)	ok "$name: the continuation is llama.cpp's, byte" \
			    "for byte" ;;
		esac
	else
		fail "$name: the continuation is llama.cpp's, byte for byte"
		diag "got:  '$(cat "$TMPD/got")'"
		diag "want: '$(cat "$TMPD/want")'"
	fi
	n=$((n + 1))
done
check "the trained models' golden files were all found ($n)" test $n -ge 3

done_testing
