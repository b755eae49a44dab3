#!/bin/sh
# embed.sh NAME INPUT OUTPUT -- turn a data file into a C header holding
# `static const char NAME[]` (NUL-terminated) and NAME_len.
set -e
name=$1; in=$2; out=$3
{
	echo "/* Automatically generated from $(basename "$in") by data/embed.sh -- do not edit. */"
	echo "static const char $name[] = {"
	od -An -v -tx1 "$in" | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/	/'
	echo "	0x00 };"
	echo "static const unsigned long ${name}_len = sizeof($name) - 1;"
} > "$out.tmp"
mv "$out.tmp" "$out"
