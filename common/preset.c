/*
 * preset.c - mapping files for the exports businesses actually have.
 *
 * A preset is the text of a mapping file (cdp-import(1), MAPPING FILES),
 * compiled in so that it works the same from the build tree and after
 * make install; cdp-import --preset NAME loads it before any --mapping
 * file and the command line, which may override any of its settings.
 * Each preset's source columns, and where they were checked, are in
 * cdp-presets(7); the tests import files of exactly that shape
 * (tests/cli/t0160-presets.sh).
 */
#include <stdio.h>
#include <string.h>

#include "import.h"

#define MAILCHIMP_COMMON \
	"source = mailchimp\n" \
	"kind = person\n" \
	"email = Email Address\n" \
	"phone = Phone Number\n" \
	"# CC is the member's country code (canonical attribute country)\n" \
	"rename CC = country\n"

static const struct preset {
	const char *name, *what, *text;
} presets[] = {
	{ "shopify-customers", "Shopify admin: Customers > Export",
	  "# Customer ID,First Name,Last Name,Email,Accepts Email Marketing,\n"
	  "# Default Address Company,Default Address Address1,Default Address Address2,\n"
	  "# Default Address City,Default Address Province Code,\n"
	  "# Default Address Country Code,Default Address Zip,Default Address Phone,\n"
	  "# Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags\n"
	  "source = shopify\n"
	  "kind = person\n"
	  "customer_id = Customer ID\n"
	  "# older exports call the consent column \"Accepts Marketing\"\n"
	  "rename Accepts Marketing = Accepts Email Marketing\n" },
	{ "shopify-orders", "Shopify admin: Orders > Export (one row per line item)",
	  "# Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,\n"
	  "# Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,\n"
	  "# Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,\n"
	  "# ...,Billing Phone,...,Device ID,Id,Tags,Risk Level,Source,...,Phone,...\n"
	  "source = shopify\n"
	  "kind = event\n"
	  "event = order\n"
	  "time = Created at\n"
	  "# Line items of one order follow each other under one Name; the first\n"
	  "# carries Total, Subtotal, Taxes: one order, its amount taken once.\n"
	  "group = Name\n"
	  "dedupe-key = Id\n"
	  "# Device ID is the point-of-sale till, shared by every customer at it\n"
	  "anonymous_id =\n"
	  "rename Device ID = pos_device_id\n"
	  "rename Accepts Marketing = Accepts Email Marketing\n" },
	{ "mailchimp-subscribed", "Mailchimp audience export: subscribed_members_export",
	  MAILCHIMP_COMMON
	  "time = LAST_CHANGED\n"
	  "# the file says who is subscribed; no column does\n"
	  "set status = subscribed\n" },
	{ "mailchimp-unsubscribed", "Mailchimp audience export: unsubscribed_members_export",
	  MAILCHIMP_COMMON
	  "time = UNSUB_TIME\n"
	  "set status = unsubscribed\n" },
	{ "mailchimp-cleaned", "Mailchimp audience export: cleaned_members_export (bounced)",
	  MAILCHIMP_COMMON
	  "time = CLEAN_TIME\n"
	  "set status = cleaned\n" },
	{ "segment", "Segment track/identify/page calls as JSON Lines",
	  "source = segment\n"
	  "format = jsonl\n"
	  "kind = event\n"
	  "customer_id = userId\n"
	  "anonymous_id = anonymousId\n"
	  "time = timestamp\n"
	  "dedupe-key = messageId\n" },
	{ "rudderstack", "RudderStack events as JSON Lines (the Segment spec)",
	  "source = rudderstack\n"
	  "format = jsonl\n"
	  "kind = event\n"
	  "customer_id = userId\n"
	  "anonymous_id = anonymousId\n"
	  "time = timestamp\n"
	  "dedupe-key = messageId\n" },
	{ "stripe-payments", "Stripe Dashboard: Payments > Export (unified_payments.csv)",
	  "# id,Created (UTC),Amount,Amount Refunded,Currency,Captured,Converted Amount,\n"
	  "# ...,Description,Fee,...,Status,Seller Message,...,Customer ID,\n"
	  "# Customer Description,Customer Email,...\n"
	  "source = stripe\n"
	  "kind = event\n"
	  "event = purchase\n"
	  "time = Created (UTC)\n"
	  "timezone = UTC\n"
	  "email = Customer Email\n"
	  "dedupe-key = id\n"
	  "# a cus_... id is Stripe's own, not the shop's customer number\n"
	  "customer_id =\n"
	  "rename Customer ID = stripe_customer_id\n"
	  "# money that never arrived is no purchase\n"
	  "skip Status = Failed, Blocked, Canceled, Incomplete, Uncaptured\n" },
	{ "hubspot-contacts", "HubSpot: Contacts > Export",
	  "# Record ID,First Name,Last Name,Email,Phone Number,Contact owner,\n"
	  "# Last Activity Date,Lead Status,Marketing contact status,Create Date,\n"
	  "# Lifecycle Stage,...\n"
	  "source = hubspot\n"
	  "kind = person\n"
	  "email = Email\n"
	  "phone = Phone Number\n"
	  "time = Create Date\n"
	  "# a HubSpot record id is HubSpot's own, not the shop's customer number\n"
	  "customer_id =\n"
	  "rename Record ID = hubspot_record_id\n" },
};

#define NPRESETS (sizeof presets / sizeof presets[0])

const char *
import_preset_text(const char *name)
{
	for (size_t i = 0; i < NPRESETS; i++)
		if (strcmp(presets[i].name, name) == 0)
			return presets[i].text;
	return NULL;
}

int
import_load_preset(struct import_opts *o, const char *name)
{
	const char *text = import_preset_text(name);
	char where[96];

	if (!text)
		return cdp_seterr("unknown preset '%s' (see cdp-import --preset list)", name);
	snprintf(where, sizeof where, "preset %s", name);
	return import_load_mapping_text(o, where, text);
}

void
import_list_presets(FILE *f)
{
	for (size_t i = 0; i < NPRESETS; i++)
		fprintf(f, "%-24s%s\n", presets[i].name, presets[i].what);
}
