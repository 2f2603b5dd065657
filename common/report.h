/*
 * report.h - the analyst's reports over a store (cdp-report): overview,
 * campaigns, funnel, cohorts, rfm, segments and quality.
 *
 * A report is computed into a struct report: a small table of text cells
 * (what CSV, TSV and JSON Lines print) and a chart (what the HTML page
 * and the text chart draw).  Reports read only the columns they need,
 * map every records row to its live profile through links and merges,
 * and keep per profile or per relevant row a few fixed-size values, so
 * memory grows with profiles and touches, not with columns.
 *
 * Time: as_of is an exclusive bound, rows at or after it do not exist
 * for the report; since/until bound the period a report looks at
 * (until exclusive too).  Orders are the rows whose _event is one of the
 * merge configuration's order events, counted once per order id
 * (order_id, properties.order_id, else the message id), so an order
 * that the shop export and the web tracker both report counts once.
 */
#ifndef CDP_REPORT_H
#define CDP_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "store.h"

enum report_kind {
	REPORT_OVERVIEW,
	REPORT_CAMPAIGNS,
	REPORT_FUNNEL,
	REPORT_COHORTS,
	REPORT_RFM,
	REPORT_SEGMENTS,
	REPORT_QUALITY,
};

enum { ATTRIBUTION_LAST_TOUCH, ATTRIBUTION_FIRST_TOUCH };

enum chart_type { CHART_NONE, CHART_BAR, CHART_HEAT, CHART_LINE };

#define REPORT_NO_TIME INT64_MIN
#define REPORT_DAY ((int64_t)86400 * 1000000)

struct report_opts {
	int64_t as_of;		/* exclusive: rows at or after it are ignored */
	int64_t since;		/* inclusive; REPORT_NO_TIME = open */
	int64_t until;		/* exclusive; REPORT_NO_TIME = open */
	int64_t window;		/* campaigns, funnel: microseconds */
	int attribution;	/* campaigns */
	int groups;		/* rfm: one row per named group, not per cell */
	char **steps;		/* funnel: event names, "a|b" matches either */
	size_t nsteps;
	int filtered;		/* only the profiles in ids[] */
	const int64_t *ids;
	size_t nids;
	const char *segment;	/* name of the segment, for the title */
};

/*
 * A chart: bar (nx bars per series, ny series), heat (ny rows by nx
 * columns) or line (ny series over nx points).  v[y * nx + x]; NAN = no
 * value.  percent: values are shares 0..1.
 */
struct chart {
	int type;
	char *title;
	size_t nx, ny;
	char **xlabels, **ylabels;
	double *v;
	int percent;
};

struct report {
	char *title;		/* "campaigns" */
	char *subtitle;		/* the options that shaped it */
	size_t ncols, nrows, cap;
	char **names;
	int *kinds;		/* enum out_kind of each column */
	char **cells;		/* nrows * ncols, malloc'd text; NULL = null */
	struct chart chart;
};

/* -1 if name is not a report. */
int report_kind_parse(const char *name);
const char *report_kind_name(int kind);

/* "7d", "12h", "30m", "2w", or a number of days.  -1 if malformed. */
int report_parse_duration(const char *s, int64_t *us);
/*
 * A date or timestamp.  end: a bare date means the end of that day (the
 * next midnight UTC), as an exclusive bound wants.  -1 if malformed.
 */
int report_parse_time(const char *s, int end, int64_t *us);

/* The named RFM group of recency r and frequency f (1..5). */
const char *rfm_group(int r, int f);

/* Compute report kind into r.  -1 with cdp_err() on failure. */
int report_run(struct store *st, int kind, const struct report_opts *o, struct report *r);
void report_free(struct report *r);

/* Print the table as CSV, TSV or JSON Lines (enum out_format). */
int report_write(const struct report *r, FILE *f, int format);
/* Draw the chart in text, width columns wide. */
void report_text_chart(const struct report *r, FILE *f, int width);

/*
 * Profile ids of saved segment name, from its latest run: *ids malloc'd.
 * -1 with cdp_err() if there is no such segment.
 */
int report_segment_ids(struct store *st, const char *name, int64_t **ids, size_t *n);
/* Profile ids, one per line (first field of CSV/TSV; a header is skipped). */
int report_read_ids(FILE *f, int64_t **ids, size_t *n);

#endif
