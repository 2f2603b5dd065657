/*
 * html.h - a report as one self-contained HTML page: inline CSS, the
 * chart as inline SVG (bars, heat map or lines), the table below it.
 * The page loads nothing from the network, so it opens anywhere and
 * can be mailed; every text from the data is escaped.
 */
#ifndef CDP_HTML_H
#define CDP_HTML_H

#include "report.h"
#include "util.h"

/* Append s with &, <, >, " and ' escaped. */
void html_escape(struct strbuf *sb, const char *s);
/* The chart of r as an <svg> element (nothing when it has no chart). */
void html_chart_svg(struct strbuf *sb, const struct chart *c);
/* The whole page. */
void html_page(struct strbuf *sb, const struct report *r);
/* Write the page to path (replaced atomically).  -1 with cdp_err(). */
int html_write_file(const char *path, const struct report *r);

#endif
