#!/bin/sh
# The demo pipeline: import every sample into a fresh store, merge,
# and show what is there.  Run by "make demo" from the top directory.
set -e
cd "$(dirname "$0")/.."
bin=$(pwd)
out=demo.out
rm -rf "$out"
mkdir -p "$out"
export CDP_STORE="$out/store"
PATH="$bin:$PATH"

step() {
	printf '\n$ %s\n' "$*"
	"$@"
}

# Rejected rows are part of the demo: exit status 1 means "done, some
# rows rejected", so only a status above 1 stops it.
imp() {
	name=$1
	shift
	printf '\n$ cdp-import --mapping data-samples/%s.map %s\n' "$name" "data-samples/$*"
	cdp-import --mapping "data-samples/$name.map" --rejects "$out/$name.rejects.csv" \
	    "data-samples/$1" || [ $? -eq 1 ]
}

imp crm crm.csv
imp newsletter newsletter.csv
imp shop_orders shop_orders.csv
imp till_orders till_orders.csv
imp web_events web_events.jsonl
step cdp-merge
step cdp-store info
printf '\n$ cdp-store dump --table profiles --format jsonl | head -n 3\n'
cdp-store dump --table profiles --format jsonl | head -n 3
if [ -x ./cdp-segment ]; then
	step cdp-segment -a --count 'country = "DE" and orders >= 1'
fi
printf '\nRejected rows are in %s/*.rejects.csv; the store is %s.\n' "$out" "$CDP_STORE"
