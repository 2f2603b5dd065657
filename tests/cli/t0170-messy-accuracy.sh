#!/bin/sh
# Zero-configuration import of a messy CRM dump and order export (issue
# 15): segment counts within 5% of the generator's truth, and no person
# record outside a profile.  The data and the comparison are
# tests/bench/messy.sh's (messygen.c, 10,000 people, German order file:
# ";" and "1.234,50 €"); each check reads one line of its table.
. "$(dirname "$0")/lib.sh"

BENCH=$(cd "$(dirname "$0")/../bench" && pwd)
M=$T/messy
if command -v "${CC:-cc}" > /dev/null 2>&1; then
	sh "$BENCH/messy.sh" -n 10000 -s 15 -l de -o "$M" > "$T/messy.out" 2>&1
	echo $? > "$T/messy.rc"
fi

# within NAME: the line NAME of the table says ok; else show the line,
# the imports' and the merge's messages.
within() {
	[ -f "$T/messy.rc" ] || skip --required "no C compiler to build tests/bench/messygen.c"
	if [ "$(cat "$T/messy.rc")" -eq 2 ]; then
		cat "$T/messy.out" >&2
		return 1
	fi
	line=$(grep "^$1	" "$M/results.tsv") || {
		echo "no line $1 in results.tsv" >&2
		return 1
	}
	echo "$line" | awk -F '\t' '{ printf "%s: truth %s, cdp %s (%s%%): %s\n", $1, $2, $3, $4, $6 }' >&2
	grep '^cdp-' "$T/messy.out" >&2
	echo "$line" | awk -F '\t' '$5 == "ok" { ok = 1 } END { exit !ok }'
}

t_country_de() { within country_de; }
t_country_ch() { within country_ch; }
t_country_us() { within country_us; }
t_country_gb() { within country_gb; }
t_consent() { within consent; }
t_opt_in() { within opt_in_attribute; }
t_phone() { within phone; }
t_phone_ch() { within phone_ch; }
t_phone_us() { within phone_us; }
t_buyers() { within buyers; }
t_orders_3() { within orders_3; }
t_spent() { within spent_200; }
t_revenue() { within revenue_200; }
t_recent() { within recent_buyers; }
t_combined() { within de_consent_buyers; }
t_crm_profiles() { within crm_profiles; }
t_no_person_left() { within crm_rows_without_profile; }
t_profiles() { within profiles; }

check 'country = "DE" finds DE, de, Deutschland, Germany, DEU' t_country_de
check 'country = "CH" finds CH, Schweiz, Switzerland, Suisse, CHE' t_country_ch
check 'country = "US" finds US, USA, us, United States, U.S.' t_country_us
check 'country = "GB" finds UK, GB, United Kingdom, Great Britain, England' t_country_gb
check 'email_consent from true/TRUE/1/yes/Yes/True and their noes' t_consent
check 'email_opt_in is a boolean attribute: email_opt_in = true' t_opt_in
check 'national phones normalize in the row country, apostrophes stripped' t_phone
check 'a Swiss 078 431 12 86 becomes +41, not +49' t_phone_ch
check 'US (415) 555-0123 forms become +1' t_phone_us
check 'orders with order_ts import with only --event order: buyers' t_buyers
check 'count(order) >= 3: orders by crm_id or e-mail join the CRM person' t_orders_3
check 'sum(order.total) > 200 over 1.234,50 € amounts' t_spent
check 'merge revenue > 200 from the total column' t_revenue
check 'count(order within 90d) uses order_ts' t_recent
check 'DE, consenting and buying, all at once' t_combined
check 'one profile per CRM person, within 5%' t_crm_profiles
check 'no CRM person record outside a profile' t_no_person_left
check 'no extra profiles from orders that did not join their person, within 5%' t_profiles
done_testing
