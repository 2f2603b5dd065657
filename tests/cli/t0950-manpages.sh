#!/bin/sh
# The manual pages are tested: every command in the EXAMPLES section of
# man/*.[1-8] and in README's tour runs, and each program's --help and
# its page list the same options.
#
# Examples.  One check per example, named by page and line: a .Dl line,
# a .Bd -literal block, or a paragraph of the README tour.  The
# examples of one page run in page order in one scratch directory, as a
# reader would type them, against a copy of the store built from
# data-samples/ (CDP_STORE), with the input files they name made there
# (see fixtures below).  Paths under /var, /etc, /srv and /backup are
# taken under a scratch root and $HOME is a scratch directory, so no
# example writes outside this test.  Each command must exit 0, unless
# the page shows otherwise the way a reader sees it:
#
#	$ cdp-import customers.csv
#	$ echo $?
#	3
#
# In a block with "$ " prompts only the prompted lines (and their
# continuations) are commands; the other lines are output.  Crontab
# lines run their command.  A block that lists expressions rather than
# commands is preceded in the page by a comment naming the command
# each line is given to, as the last argument:
#
#	.\" example-each: cdp-segment --count
#
# Commands run under bash -o pipefail, so every stage of a pipe counts.
. "$(dirname "$0")/lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# unmdoc: the text of an mdoc line as the reader sees it.
UNMDOC='
function unmdoc(s) {
	gsub(/\\&/, "", s)
	gsub(/\\-/, "-", s)
	gsub(/\\\(aq/, "\047", s)
	gsub(/\\\(dq/, "\"", s)
	gsub(/\\e/, "\\\\", s)
	return s
}'

# The awk functions both extractors share: joining a command's
# lines and writing it with its expected status.
EMIT='
# open(s): 1 while s is not a whole command: a quote left open, or a
# line ending in a backslash, a pipe or && / ||.
function open(s,   i, c, q) {
	q = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (q == "\047") {
			if (c == "\047")
				q = ""
		} else if (c == "\\") {
			i++
		} else if (q == "\"") {
			if (c == "\"")
				q = ""
		} else if (c == "\047" || c == "\"") {
			q = c
		}
	}
	if (q != "")
		return 1
	return s ~ /(\\|\||&&|\|\|)[ \t]*$/
}
function squote(s) {
	gsub(/\047/, "\047\\\047\047", s)
	return "\047" s "\047"
}
# A new example: a script file, and a line "FILE<tab>LINE<tab>TITLE"
# in the index.
function start(line) {
	nex++
	file = dir "/" sprintf("%03d", nex) ".sh"
	printf "" > file
	title = ""
	exline = line
	ncmd = 0
}
function cmd(text, line) {
	ncmd++
	ctext[ncmd] = text
	cline[ncmd] = line
	cwant[ncmd] = 0
}
function finish(   i, t) {
	if (ncmd == 0) {
		close(file)
		nex--
		return
	}
	for (i = 1; i <= ncmd; i++) {
		t = ctext[i]
		sub(/\n.*/, " ...", t)
		if (title == "")
			title = t
		printf "%s\nx $? %d %d %s\n", ctext[i], cwant[i], cline[i], squote(t) > file
	}
	close(file)
	printf "%s\t%d\t%s\n", file, exline, title > index_file
}'

# extract_man PAGE DIR: the examples of an mdoc page as scripts in DIR,
# listed in DIR/index.
extract_man() {
	mkdir -p "$2"
	awk -v dir="$2" -v index_file="$2/index" "$UNMDOC $EMIT"'
	/^\.Sh / { ex = ($2 == "EXAMPLES"); next }
	!ex { next }
	/^\.\\" example-each: / { each = $0; sub(/^[^:]*: */, "", each); next }
	/^\.Dl / {
		start(NR)
		cmd(unmdoc(substr($0, 5)), NR)
		finish()
		next
	}
	BEGIN { F = "[0-9*][0-9*,/-]*[ \t]+" }	# a crontab time field
	/^\.Bd -literal/ { bd = 1; nb = 0; prompt = 0; next }
	/^\.Ed/ && bd {
		block()
		bd = 0
		each = ""
		next
	}
	bd {
		b[++nb] = unmdoc($0)
		bl[nb] = NR
		if ($0 ~ /^\$ /)
			prompt = 1
	}
	function block(   i, s, cur, curl, out) {
		start(bl[1])
		cur = ""
		for (i = 1; i <= nb; i++) {
			s = b[i]
			if (cur != "") {
				cur = cur "\n" s
				if (!open(cur)) {
					add(cur, curl)
					cur = ""
				}
				continue
			}
			if (prompt) {
				if (s !~ /^\$ /)
					continue	# output
				s = substr(s, 3)
				if (s == "echo $?") {
					cwant[ncmd] = b[++i] + 0
					continue
				}
			} else if (s ~ /^[ \t]*$/) {
				continue
			} else if (s ~ "^" F F F F F) {
				# a crontab line: its command
				sub("^" F F F F F, "", s)
			}
			sub(/^[ \t]+/, "", s)
			if (open(s)) {
				cur = s
				curl = bl[i]
			} else {
				add(s, bl[i])
			}
		}
		if (cur != "")
			add(cur, curl)
		finish()
	}
	function add(s, line) {
		if (each != "")
			s = each " " squote(s)
		cmd(s, line)
	}
	' "$1"
}

# extract_readme README DIR: each paragraph of the tour is an example.
extract_readme() {
	mkdir -p "$2"
	awk -v dir="$2" -v index_file="$2/index" "$EMIT"'
	/^A short tour/ { tour = 1; next }
	!tour { next }
	/^[^ \t-]/ && seen { exit }
	/^    / {
		seen = 1
		if (!para) {
			start(NR)
			para = 1
		}
		s = substr($0, 5)
		if (s ~ /^#/)
			next
		if (cur != "") {
			cur = cur "\n" s
		} else {
			cur = s
			curl = NR
		}
		if (!open(cur)) {
			cmd(cur, curl)
			cur = ""
		}
		next
	}
	/^[ \t]*$/ && para && cur == "" { finish(); para = 0 }
	END { if (para) finish() }
	' "$1"
}

# The store every page starts from: data-samples/ imported through
# their mapping files (from standard input, so that the rejects are
# kept in the store) and merged.
samples_store() {
	for f in crm.csv newsletter.csv shop_orders.csv till_orders.csv web_events.jsonl; do
		rc=0
		cdp-import -q -s "$1" --mapping "$SAMPLES/${f%.*}.map" - < "$SAMPLES/$f" || rc=$?
		test "$rc" -le 1
	done
	cdp-merge -q -s "$1"
}

# fixtures DIR: the input files the examples name, made in DIR, and a
# scratch root (DIR/root) standing in for /var, /etc, /srv and /backup.
fixtures() {
	(
	set -e
	cd "$1"
	mkdir -p home root/var/db root/etc/cdp root/srv/kasse root/backup
	cp -a "$T/base" root/var/db/cdp
	cp -a "$T/base" store
	printf 'id,E-Mail,Telefon\n1,Bob@Example.COM,030 1234567\n2,anna@example.de,030 1234568\n3,carl@example.com,+44 7700 900123\n' \
	    > customers.csv
	printf 'order_id,email,order_date,amount\nA-1,bob@example.com,2024-03-01 10:00:00,23.90\nA-2,carl@example.com,2024-03-02 11:00:00,12.50\n' \
	    > orders.csv
	gzip -c orders.csv > orders.csv.gz
	# two of four rows rejected: a missing time, a missing field
	printf 'id,email,time,amount\n1076,bob@example.com,2024-03-01T09:00:00,5.00\n1077,anna@example.de,,23.90\n1913,bob@example.com,12.50\n1914,carl@example.com,2024-03-05T09:00:00,7.00\n' |
	    gzip -c > orders-2024-03.csv.gz
	cat > events-2024-03-05.jsonl <<-'EOF'
	{"messageId":"e1","type":"track","event":"Product Viewed","userId":"u1","timestamp":"2024-03-05T10:00:00.123Z","properties":{"sku":"A-1","price":9.99},"context":{"traits":{"email":"U1@X.COM"}}}
	{"messageId":"e2","type":"track","event":"Product Added","userId":"u1","timestamp":"2024-03-05T10:01:00.000Z","properties":{"sku":"A-1","price":9.99}}
	EOF
	printf 'a@example.com,Ann,2024-01-01\nb@example.com,Ben,2024-01-02\n' > list.csv
	# new exports of the sample systems, not yet in the store
	printf '%s\n' "$(head -n 1 "$SAMPLES/crm.csv")" \
	    'C10002,Anna,Schmidt,anna.schmidt@example.com,+49 30 1234568,DE,Berlin,10437,1988-11-02,2023-03-15T10:26:00Z,2025-07-01T09:00:00Z,true,93400028,' \
	    'C10046,Nina,Roth,nina.roth@example.com,030 1234590,DE,Berlin,10115,1990-01-01,2025-07-01T09:00:00Z,2025-07-01T09:00:00Z,true,,' \
	    > crm.csv
	printf '%s\n' "$(head -n 1 "$SAMPLES/shop_orders.csv")" \
	    'NL-240600,C10002,anna.schmidt@example.com,2025-07-02 10:00:00,59.90,EUR,1,,' \
	    'NL-240601,C10046,nina.roth@example.com,2025-07-02 11:00:00,249.00,EUR,2,summer_sale,google' \
	    > shop_orders.csv
	cp "$SAMPLES/crm.map" crm.map
	cp "$SAMPLES/shop_orders.map" shop_orders.map
	cp "$SAMPLES/till_orders.map" till.map
	cp "$SAMPLES/till_orders.map" root/etc/cdp/kasse.map
	head -n 11 "$SAMPLES/till_orders.csv" > "till-$(date +%F).csv"
	head -n 21 "$SAMPLES/till_orders.csv" > root/srv/kasse/export.csv
	# the web sample without its three malformed lines
	sed -e 47d -e 122d -e 201d "$SAMPLES/web_events.jsonl" | gzip -c > events.jsonl.gz
	gzip -c crm.csv > root/backup/crm-2024-03-05.csv.gz
	printf 'juergen.mueller@gmx.de\nC10004\n+49 30 1234569\n' > requests.txt
	printf 'email\nx@example.com\n' > one.csv
	cdp-import -q -s st one.csv
	# exports as the platforms write them (cdp-presets(7))
	SHOPIFY_ORDERS='Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,Payment ID,Payment Terms Name,Next Payment Due At,Payment References'
	{
		echo "$SHOPIFY_ORDERS"
		row "$SHOPIFY_ORDERS" 'Name=#1001' Email=ann@example.com 'Financial Status=paid' \
		    Currency=EUR Total=95.00 'Created at=2024-03-01 10:00:00 +0100' \
		    'Lineitem quantity=1' 'Lineitem name=Mug' 'Lineitem sku=NL-MUG' Id=5001
		row "$SHOPIFY_ORDERS" 'Name=#1001' Email=ann@example.com \
		    'Created at=2024-03-01 10:00:00 +0100' 'Lineitem quantity=1' 'Lineitem name=Cup'
	} > orders_export_1.csv
	{
		echo 'Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS'
		echo 'gone@example.com,Gus,Orr,,,2,2023-05-01 09:00:00,,2023-05-01 09:01:00,,2024-02-01 08:00:00,Spring,c1,NORMAL,,,,,,,DE,,2024-02-01 08:00:00,12,abc2,,'
	} > unsubscribed_members_export_8c2d1e.csv
	# a till file as German Excel saves it: Windows-1252, semicolons, CRLF
	printf 'Bonnummer;Datum;Kundenkarte;E-Mail;Umsatz;Newsletter\r\n4711-0001;31.12.2024;9900123;Anna@Example.de;1.234,50 \200;ja\r\n' \
	    > till-excel.csv
	printf 'NL-TENT-2P\n' > out-of-stock.txt
	)
}

# The helper each example script calls after every command.
PRELUDE='x() {
	if [ "$1" -ne "$2" ]; then
		echo "$PAGE:$3: exit status $1, the page expects $2: $4" >&2
		exit 1
	fi
}
'

# run_example PAGE FILE: one example in its page's scratch directory.
run_example() {
	w=$T/pages/$1
	cd "$w"
	{
		echo "$PRELUDE"
		sed -E 's#(^|[ =<>])/(var|etc|srv|backup)/#\1$ROOT/\2/#g' "$2"
		# an exported store is the reader's for the rest of the page; a
		# crontab's assignment is not
		if grep -q '^export CDP_STORE=' "$2"; then
			echo 'printf "%s\n" "$CDP_STORE" > "$W/.store"'
		fi
	} > "$w/.example.sh"
	PAGE=$1 W=$w ROOT=$w/root HOME=$w/home CDP_STORE=$(cat "$w/.store") BASH_ENV= \
	    bash -o pipefail "$w/.example.sh" > "$w/.out" 2> "$w/.err" || {
		cat "$w/.err"
		echo "# the example, as run:"
		sed -n '/^x() {/,/^}/!p' "$w/.example.sh" | grep -v '^x \$?'
		return 1
	}
}

# page_checks NAME DIR: one check per example listed in DIR/index.
page_checks() {
	mkdir -p "$T/pages/$1"
	fixtures "$T/pages/$1"
	echo "$T/pages/$1/store" > "$T/pages/$1/.store"
	tab=$(printf '\t')
	while IFS=$tab read -r file line title; do
		check "$1:$line: $title" run_example "$1" "$file"
	done < "$2/index"
}

# options_of_help PROG: its long and short options, one a line.
options_of_help() {
	"$1" --help > "$T/help" || return 1
	{
		grep -o -- '--[a-z][a-z-]*' "$T/help"
		# -s, --store / [-s STORE] / [-av]; not "-ID left"
		grep -o -E -- '(^|[[ ])-[a-zA-Z]+([],|]| [A-Z]+\b)' "$T/help" |
		    sed -E 's/^[[ ]?-//; s/[],| ].*//' | fold -w 1 | sed 's/^/-/'
	} | sort -u
}

# options_of_page PAGE: the options of its SYNOPSIS and of its option
# lists (.It Fl ...), one a line.
options_of_page() {
	awk '/^\.Sh SYNOPSIS/ { syn = 1; next } /^\.Sh/ { syn = 0 } syn || /^\.It Fl / { print }' "$1" |
	    grep -o -E 'Fl (-[a-z][a-z-]*|[a-zA-Z]+)' | sed 's/^Fl //' |
	    while read -r o; do
		case $o in
		-*) echo "-$o" ;;	# Fl -store is --store
		*) echo "$o" | fold -w 1 | sed 's/^/-/' ;;	# Fl av is -a, -v
		esac
	done | sort -u
}

test_options_agree() {
	options_of_help "$1" > help.opts
	options_of_page "$TOP/man/$1.1" > page.opts
	test -s help.opts
	test -s page.opts
	if ! cmp -s help.opts page.opts; then
		echo "only in $1 --help:"
		comm -23 help.opts page.opts
		echo "only in man/$1.1:"
		comm -13 help.opts page.opts
		return 1
	fi
}

# Built once: the store from data-samples, and the examples.
if ! command -v bash > /dev/null; then
	echo "not ok 1 - bash runs the examples (Debian: bash)"
	echo "1..1"
	exit 1
fi
mkdir -p "$T/pages"
if ! samples_store "$T/base" > "$T/base.log" 2>&1; then
	echo "not ok 1 - the store from data-samples/ builds"
	sed 's/^/#   /' "$T/base.log"
	echo "1..1"
	exit 1
fi
for p in "$TOP"/man/*.[1-8]; do
	name=$(basename "$p")
	extract_man "$p" "$T/ex/$name"
	page_checks "$name" "$T/ex/$name"
done
extract_readme "$TOP/README" "$T/ex/README"
page_checks README "$T/ex/README"
for p in "$TOP"/man/*.1; do
	prog=$(basename "$p" .1)
	check "$prog: --help and $prog(1) list the same options" test_options_agree "$prog"
done
done_testing
