/*
 * html.c - a report as a self-contained HTML page with an inline SVG
 * chart: plain string building, no scripts, no fonts or images from
 * elsewhere.  Every bar, cell and point carries class "bar", "cell" or
 * "point" and a <title> with its label and value, so a browser shows
 * the number on hover and a test can find the marks in the DOM.
 *
 * Layout is computed here in user units of a fixed-width viewBox; the
 * SVG scales to the page width, so it prints on A4 as it shows on screen.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "html.h"
#include "out.h"

#define SVG_W 800.0

static const char *const palette[] = { "#2f6db5", "#e08a2e", "#3a9a5b", "#b8474c", "#7a5bb0",
	"#8c6d46", "#c2569b", "#6f7a86" };
#define NPALETTE (sizeof palette / sizeof palette[0])

void
html_escape(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			sb_adds(sb, "&amp;");
			break;
		case '<':
			sb_adds(sb, "&lt;");
			break;
		case '>':
			sb_adds(sb, "&gt;");
			break;
		case '"':
			sb_adds(sb, "&quot;");
			break;
		case '\'':
			sb_adds(sb, "&#39;");
			break;
		default:
			sb_addc(sb, *s);
		}
	}
}

static void
fmt_value(char *buf, size_t n, double v, int percent)
{
	if (isnan(v))
		snprintf(buf, n, "–");
	else if (percent)
		snprintf(buf, n, "%.1f%%", v * 100);
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

static double
chart_max(const struct chart *c)
{
	double max = 0;

	for (size_t i = 0; i < c->nx * c->ny; i++)
		if (!isnan(c->v[i]) && c->v[i] > max)
			max = c->v[i];
	return max;
}

/* A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
static double
nice_max(double max)
{
	double p;

	if (max <= 0)
		return 1;
	p = pow(10, floor(log10(max)));
	if (max <= p)
		return p;
	if (max <= 2 * p)
		return 2 * p;
	if (max <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static void
legend(struct strbuf *sb, const struct chart *c, double y)
{
	double x = 10;

	if (c->ny < 2)
		return;
	for (size_t s = 0; s < c->ny; s++) {
		sb_addf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y,
		    palette[s % NPALETTE]);
		sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"lbl\">", x + 16, y + 10);
		html_escape(sb, c->ylabels[s]);
		sb_adds(sb, "</text>");
		x += 30 + 7.0 * (double)strlen(c->ylabels[s] ? c->ylabels[s] : "");
	}
}

/* Horizontal bars, one group per x label, one bar per series. */
static void
svg_bars(struct strbuf *sb, const struct chart *c)
{
	double max = nice_max(chart_max(c)), barh = 18, gap = 10, left = 180, right = 70;
	double plotw = SVG_W - left - right, top = c->ny > 1 ? 30 : 10;
	double h = top + (double)c->nx * ((double)c->ny * barh + gap) + 30;
	char buf[64];

	sb_addf(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"", SVG_W, h);
	html_escape(sb, c->title);
	sb_adds(sb, "\">");
	legend(sb, c, 8);
	/* Grid lines and axis values at fifths of the axis. */
	for (int k = 0; k <= 5; k++) {
		double x = left + plotw * k / 5;

		fmt_value(buf, sizeof buf, max * k / 5, c->percent);
		sb_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", x, top - 4,
		    x, h - 24);
		sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">%s</text>", x,
		    h - 10, buf);
	}
	for (size_t x = 0; x < c->nx; x++) {
		double gy = top + (double)x * ((double)c->ny * barh + gap);

		sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"lbl\" text-anchor=\"end\">", left - 8,
		    gy + (double)c->ny * barh / 2 + 4);
		html_escape(sb, c->xlabels[x]);
		sb_adds(sb, "</text>");
		for (size_t s = 0; s < c->ny; s++) {
			double v = c->v[s * c->nx + x], w = isnan(v) ? 0 : plotw * v / max;

			fmt_value(buf, sizeof buf, v, c->percent);
			sb_addf(sb, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"%s\"><title>", left, gy + (double)s * barh + 1, w, barh - 2,
			    palette[s % NPALETTE]);
			html_escape(sb, c->xlabels[x]);
			if (c->ny > 1) {
				sb_adds(sb, " (");
				html_escape(sb, c->ylabels[s]);
				sb_adds(sb, ")");
			}
			sb_addf(sb, ": %s</title></rect>", buf);
			sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"val\">%s</text>", left + w + 4,
			    gy + (double)s * barh + barh - 5, buf);
		}
	}
	sb_adds(sb, "</svg>\n");
}

/* White to dark blue; text turns white on the dark end. */
static void
heat_color(double f, char *buf, size_t n)
{
	static const double lo[3] = { 247, 251, 255 }, hi[3] = { 8, 69, 148 };
	int rgb[3];

	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	for (int k = 0; k < 3; k++)
		rgb[k] = (int)(lo[k] + (hi[k] - lo[k]) * f + 0.5);
	snprintf(buf, n, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static void
svg_heat(struct strbuf *sb, const struct chart *c)
{
	double max = chart_max(c), left = 90, top = 30, cw, ch = 26, h;
	char buf[64], col[16];

	cw = c->nx ? (SVG_W - left - 10) / (double)c->nx : 0;
	if (cw > 90)
		cw = 90;
	h = top + (double)c->ny * ch + 10;
	sb_addf(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart heat\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"", SVG_W, h);
	html_escape(sb, c->title);
	sb_adds(sb, "\">");
	for (size_t x = 0; x < c->nx; x++) {
		sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">",
		    left + cw * ((double)x + 0.5), top - 10);
		html_escape(sb, c->xlabels[x]);
		sb_adds(sb, "</text>");
	}
	for (size_t y = 0; y < c->ny; y++) {
		double cy = top + (double)y * ch;

		sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"lbl\" text-anchor=\"end\">", left - 8,
		    cy + ch / 2 + 4);
		html_escape(sb, c->ylabels[y]);
		sb_adds(sb, "</text>");
		for (size_t x = 0; x < c->nx; x++) {
			double v = c->v[y * c->nx + x], f = isnan(v) || max <= 0 ? 0 : v / max;

			if (isnan(v)) {
				sb_addf(sb, "<rect class=\"empty\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				    "height=\"%.1f\"/>", left + cw * (double)x, cy, cw - 1, ch - 1);
				continue;
			}
			heat_color(f, col, sizeof col);
			fmt_value(buf, sizeof buf, v, c->percent);
			sb_addf(sb, "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"%s\"><title>", left + cw * (double)x, cy, cw - 1, ch - 1, col);
			html_escape(sb, c->ylabels[y]);
			sb_adds(sb, " / ");
			html_escape(sb, c->xlabels[x]);
			sb_addf(sb, ": %s</title></rect>", buf);
			if (cw >= 34)
				sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"cv\" text-anchor=\"middle\" "
				    "fill=\"%s\">%s</text>", left + cw * ((double)x + 0.5), cy + ch / 2 + 4,
				    f > 0.55 ? "#fff" : "#111", buf);
		}
	}
	sb_adds(sb, "</svg>\n");
}

static void
svg_lines(struct strbuf *sb, const struct chart *c)
{
	double max = nice_max(chart_max(c)), left = 60, right = 20, top = c->ny > 1 ? 34 : 14;
	double bottom = 50, ph = 260, pw = SVG_W - left - right, h = top + ph + bottom;
	size_t every = c->nx > 12 ? (c->nx + 11) / 12 : 1;
	char buf[64];

	sb_addf(sb, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart lines\" viewBox=\"0 0 %.0f %.0f\" "
	    "role=\"img\" aria-label=\"", SVG_W, h);
	html_escape(sb, c->title);
	sb_adds(sb, "\">");
	legend(sb, c, 8);
	for (int k = 0; k <= 5; k++) {
		double y = top + ph - ph * k / 5;

		fmt_value(buf, sizeof buf, max * k / 5, c->percent);
		sb_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", left, y,
		    left + pw, y);
		sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%s</text>", left - 6,
		    y + 4, buf);
	}
#define PX(i) (c->nx > 1 ? left + pw * (double)(i) / (double)(c->nx - 1) : left + pw / 2)
#define PY(v) (top + ph - ph * (v) / max)
	for (size_t x = 0; x < c->nx; x += every) {
		sb_addf(sb, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">", PX(x),
		    top + ph + 18);
		html_escape(sb, c->xlabels[x]);
		sb_adds(sb, "</text>");
	}
	for (size_t s = 0; s < c->ny; s++) {
		int open = 0;

		for (size_t x = 0; x < c->nx; x++) {
			double v = c->v[s * c->nx + x];

			if (isnan(v))
				continue;
			if (!open)
				sb_addf(sb, "<polyline class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
				    "points=\"", palette[s % NPALETTE]);
			sb_addf(sb, "%s%.1f,%.1f", open ? " " : "", PX(x), PY(v));
			open = 1;
		}
		if (open)
			sb_adds(sb, "\"/>");
		for (size_t x = 0; x < c->nx; x++) {
			double v = c->v[s * c->nx + x];

			if (isnan(v))
				continue;
			fmt_value(buf, sizeof buf, v, c->percent);
			sb_addf(sb, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>",
			    PX(x), PY(v), palette[s % NPALETTE]);
			html_escape(sb, c->ylabels[s]);
			sb_adds(sb, " ");
			html_escape(sb, c->xlabels[x]);
			sb_addf(sb, ": %s</title></circle>", buf);
		}
	}
#undef PX
#undef PY
	sb_adds(sb, "</svg>\n");
}

void
html_chart_svg(struct strbuf *sb, const struct chart *c)
{
	if (c->nx == 0 || c->ny == 0) {
		sb_adds(sb, "<p class=\"none\">No data to chart.</p>\n");
		return;
	}
	switch (c->type) {
	case CHART_BAR:
		svg_bars(sb, c);
		break;
	case CHART_HEAT:
		svg_heat(sb, c);
		break;
	case CHART_LINE:
		svg_lines(sb, c);
		break;
	default:
		break;
	}
}

static const char style[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "color:#111;margin:24px auto;max-width:1000px;padding:0 16px}"
    "h1{font-size:22px;margin:0 0 4px}p.sub{color:#555;margin:0 0 16px}"
    "figure{margin:0 0 20px;break-inside:avoid}figcaption{color:#333;font-weight:600;margin-bottom:6px}"
    "svg.chart{width:100%;height:auto;display:block}"
    "svg text{font-family:inherit}.lbl{font-size:12px;fill:#222}.axis{font-size:11px;fill:#666}"
    ".val{font-size:11px;fill:#333}.cv{font-size:11px}.grid{stroke:#e3e3e3;stroke-width:1}"
    ".empty{fill:#f4f4f4}"
    "div.t{overflow-x:auto}table{border-collapse:collapse;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f0f0f0}"
    "tr{break-inside:avoid}td.null{color:#aaa}"
    "@media print{body{margin:0;max-width:none;font-size:11px}div.t{overflow:visible}table{font-size:9px}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}thead{display:table-header-group}}";

void
html_page(struct strbuf *sb, const struct report *r)
{
	sb_adds(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>cdp report: ");
	html_escape(sb, r->title);
	sb_addf(sb, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>cdp report: ", style);
	html_escape(sb, r->title);
	sb_adds(sb, "</h1>\n");
	if (r->subtitle) {
		sb_adds(sb, "<p class=\"sub\">");
		html_escape(sb, r->subtitle);
		sb_adds(sb, "</p>\n");
	}
	if (r->chart.type != CHART_NONE) {
		sb_adds(sb, "<figure>\n<figcaption>");
		html_escape(sb, r->chart.title);
		sb_adds(sb, "</figcaption>\n");
		html_chart_svg(sb, &r->chart);
		sb_adds(sb, "</figure>\n");
	}
	sb_adds(sb, "<div class=\"t\"><table>\n<thead><tr>");
	for (size_t k = 0; k < r->ncols; k++) {
		sb_adds(sb, "<th>");
		html_escape(sb, r->names[k]);
		sb_adds(sb, "</th>");
	}
	sb_adds(sb, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->nrows; i++) {
		sb_adds(sb, "<tr>");
		for (size_t k = 0; k < r->ncols; k++) {
			const char *s = r->cells[i * r->ncols + k];

			if (!s) {
				sb_adds(sb, "<td class=\"null\"></td>");
				continue;
			}
			sb_adds(sb, r->kinds[k] == OK_NUMBER ? "<td class=\"n\">" : "<td>");
			html_escape(sb, s);
			sb_adds(sb, "</td>");
		}
		sb_adds(sb, "</tr>\n");
	}
	sb_adds(sb, "</tbody>\n</table></div>\n</body>\n</html>\n");
}

int
html_write_file(const char *path, const struct report *r)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
	int rc;

	/* The page replaces path by rename, so a symlink there would be
	 * replaced, not followed; still, only a regular file is ours. */
	if (io_check_output(path) < 0) {
		free(dir);
		return -1;
	}
	html_page(&sb, r);
	rc = io_replace_file(dir, slash ? slash + 1 : path, sb.buf, sb.len);
	if (rc == -1)
		cdp_seterr("%s: %s", path, cdp_err());
	free(dir);
	sb_free(&sb);
	return rc == -1 ? -1 : 0;
}
