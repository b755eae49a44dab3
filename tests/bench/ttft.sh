#!/bin/sh
# ttft.sh -- time to first token of `medchat ask` for a long question:
# from starting the command (the user's Enter) to the first byte of the
# answer on standard output, which includes opening the model, the
# prompt's tokenization, the prefill and the first sampled token.
#
#   tests/bench/ttft.sh MEDCHAT MODEL [TOKENS [RUNS [THREADS]]]
#
# The question is the start of data/eval-text.txt, cut to the first
# prefix that the model's tokenizer makes TOKENS tokens or more (default
# 1500).  Each run prints the milliseconds and medchat's own statistics
# line (prompt tokens, prefill tok/s); nothing is saved (--no-save).  A
# benchmark, not a test: make check does not run it.  Run it on a quiet
# machine and compare two binaries in alternation, not absolute numbers.
#
# The prompt-prefix cache lives in a directory of this run's own
# (XDG_CACHE_HOME), so run 1 evaluates the system message and writes its
# K/V, and runs 2.. read them: run 1 is a first question, the others are
# every question after it.  OPTS (e.g. --no-prefix-cache) are added to
# medchat ask's options; OPTS "alternate" makes each run two, one with
# --no-prefix-cache and one with the cache, side by side on a noisy
# machine (the first with the cache is the cold one).
set -eu

[ $# -ge 2 ] || { echo "usage: $0 MEDCHAT MODEL [TOKENS [RUNS [THREADS" \
    "[OPTS]]]]" >&2; exit 2; }
mc=$1 model=$2 want=${3:-1500} runs=${4:-1} threads=${5:-2} opts=${6:-}
here=$(cd "$(dirname "$0")/../.." && pwd)
text=$here/data/eval-text.txt
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ttft.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
XDG_CACHE_HOME=$tmp/cache
export XDG_CACHE_HOME

ntok() {
	"$mc" debug tokenize -m "$model" --plain --file "$1" | wc -w
}

# Grow the prefix 400 characters at a time, then 20 at a time.
len=0
for step in 400 20; do
	while :; do
		head -c $((len + step)) "$text" > "$tmp/q"
		[ "$(ntok "$tmp/q")" -ge "$want" ] && break
		len=$((len + step))
		[ "$len" -lt "$(wc -c < "$text")" ] || { echo "$0: text too short" >&2;
		    exit 1; }
	done
done
head -c $((len + 20)) "$text" | tr '\n' ' ' > "$tmp/q"
echo "question: $(wc -c < "$tmp/q") bytes, $(ntok "$tmp/q") tokens"

# one LABEL OPTS: one run.  The clock starts just before medchat, and
# stops at its first byte; the rest of the answer is drained and timed
# no further.
one() {
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	"$mc" ask -m "$model" --no-save --accept-advisory --threads "$threads" \
	    --ctx 4096 -n 16 --temp 0 $2 "$(cat "$tmp/q")" 2>"$tmp/err" |
	    { head -c 1 > /dev/null; t1=$(date +%s%N);
	      echo "$1: first byte after $(( (t1 - t0) / 1000000 )) ms";
	      cat > /dev/null; }
	grep -h '^\[prompt' "$tmp/err" || cat "$tmp/err" >&2
}
i=0
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	if [ "$opts" = alternate ]; then
		one "run $i, --no-prefix-cache" --no-prefix-cache
		one "run $i, prefix cache" ""
	else
		one "run $i" "$opts"
	fi
done
