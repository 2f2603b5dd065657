#!/bin/sh
# cdp-import of JSON Lines: the sample event stream compared with jq.
. "$(dirname "$0")/lib.sh"

import_web() {
	cdp-import -q --mapping "$SAMPLES/web_events.map" --rejects rejects.csv \
	    "$SAMPLES/web_events.jsonl" || test $? -eq 1
}

test_every_good_line_imported_once() {
	import_web
	# the source's valid objects, first occurrence of each messageId
	jq -R -c 'fromjson? | objects | {m: (.messageId // .message_id), t: .timestamp}' \
	    "$SAMPLES/web_events.jsonl" | jq -s -c 'unique_by(.m) | sort_by(.m) | .[]' > want.txt
	cdp-store dump --format jsonl | jq -c '{m: ._message_id, t: .timestamp}' |
	    jq -s -c 'sort_by(.m) | .[]' > got.txt
	diff want.txt got.txt
}

test_rejects_name_lines_and_reasons() {
	import_web
	test "$(tail -n +2 rejects.csv | wc -l)" -eq 3
	grep -q '^47,"invalid JSON' rejects.csv
	grep -q '^122,"not a JSON object"' rejects.csv
	grep -q '^201,"invalid JSON' rejects.csv
}

test_nested_objects_flattened() {
	import_web
	# an empty string is stored as null, like an empty CSV field
	jq -R -c 'fromjson? | objects | select((.context.campaign.name // "") != "") |
	    {m: (.messageId // .message_id), c: .context.campaign.name}' "$SAMPLES/web_events.jsonl" |
	    jq -s -c 'unique_by(.m) | .[]' > want.txt
	cdp-store dump --format jsonl | jq -c 'select(.["context.campaign.name"] != null) |
	    {m: ._message_id, c: .["context.campaign.name"]}' | jq -s -c 'sort_by(.m) | .[]' > got.txt
	diff want.txt got.txt
}

test_types_stay_true() {
	import_web
	cdp-store info > info.txt
	grep -E '^properties\.revenue +decimal' info.txt
	grep -E '^timestamp +timestamp' info.txt
	grep -E '^userId +string' info.txt
}

test_event_names_and_times_are_columns() {
	import_web
	cdp-store dump --format jsonl | jq -e -s 'map(select(.event == "Order Completed")) |
	    all(._event == "order_completed")'
	cdp-store dump --format jsonl | jq -e -s 'all(._time != null)'
}

test_replay_from_another_file_skipped() {
	import_web
	head -n 5 "$SAMPLES/web_events.jsonl" > replay.jsonl
	cdp-import --source web replay.jsonl 2> err.txt
	grep -q '5 duplicates skipped' err.txt
}

check "jsonl: every valid event imported once, by messageId" test_every_good_line_imported_once
check "jsonl: broken lines rejected with their line and reason" test_rejects_name_lines_and_reasons
check "jsonl: nested objects become dotted columns" test_nested_objects_flattened
check "jsonl: numbers, times and strings keep their types" test_types_stay_true
check "jsonl: event name and time are first-class columns" test_event_names_and_times_are_columns
check "jsonl: replayed events from another file are skipped" test_replay_from_another_file_skipped
done_testing
