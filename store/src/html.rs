//! The HTML adoption report: one self-contained file (inline CSS and SVG,
//! nothing fetched), readable offline.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::report::AdoptionRow;

const TIER_COLOURS: [(&str, &str); 5] = [
    ("A", "#1a7f37"),
    ("B", "#6cc644"),
    ("C", "#e3b341"),
    ("D", "#9e9e9e"),
    ("R", "#cf222e"),
];
const LINE_COLOURS: [&str; 8] = [
    "#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#1b7c83", "#e16f24", "#57606a",
];

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Stacked bars: the tier distribution of each group in the newest run.
fn tier_chart(rows: &[&AdoptionRow]) -> String {
    let bar_h = 22;
    let (left, width) = (140, 520);
    let height = 30 + rows.len() as i32 * (bar_h + 8) + 30;
    let mut svg = format!(
        "<svg id=\"tier-chart\" role=\"img\" aria-label=\"Tier distribution\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        left + width + 20,
        left + width + 20
    );
    for (i, row) in rows.iter().enumerate() {
        let y = 20 + i as i32 * (bar_h + 8);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{} ({})</text>",
            left - 8,
            y + 15,
            esc(&row.group),
            row.screened
        );
        let mut x = f64::from(left);
        for (tier, colour) in TIER_COLOURS {
            let n = row.tiers.get(tier).copied().unwrap_or(0);
            if n == 0 || row.screened == 0 {
                continue;
            }
            let w = f64::from(width) * n as f64 / row.screened as f64;
            let _ = write!(
                svg,
                "<rect class=\"bar tier-{tier}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar_h}\" fill=\"{colour}\"><title>{} tier {tier}: {n}</title></rect>",
                esc(&row.group)
            );
            x += w;
        }
    }
    let legend_y = height - 12;
    for (i, (tier, colour)) in TIER_COLOURS.iter().enumerate() {
        let x = left + i as i32 * 60;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{legend_y}\" font-size=\"12\">{tier}</text>",
            legend_y - 10,
            x + 16
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Lines: the share with a verified e-CO per group, run after run.
fn trend_chart(rows: &[AdoptionRow]) -> String {
    let runs: BTreeSet<u64> = rows.iter().map(|r| r.run_id).collect();
    let runs: Vec<u64> = runs.into_iter().collect();
    let (left, top, width, height) = (50.0, 20.0, 560.0, 220.0);
    let mut svg = String::from(
        "<svg id=\"trend-chart\" role=\"img\" aria-label=\"Adoption trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"700\" height=\"300\" viewBox=\"0 0 700 300\">",
    );
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#999\"/>",
        top + height,
        left + width,
        top + height,
        top + height
    );
    for pct in [0, 50, 100] {
        let y = top + height - height * f64::from(pct) / 100.0;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{pct}%</text>",
            left - 6.0,
            y + 4.0
        );
    }
    let x_of = |run: u64| {
        let i = runs.iter().position(|r| *r == run).unwrap_or(0) as f64;
        if runs.len() < 2 {
            left + width / 2.0
        } else {
            left + width * i / (runs.len() - 1) as f64
        }
    };
    for run in &runs {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">run {run}</text>",
            x_of(*run),
            top + height + 16.0
        );
    }
    let mut groups: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for r in rows {
        let y = top + height - height * r.share(r.verified) / 100.0;
        groups
            .entry(&r.group)
            .or_default()
            .push((x_of(r.run_id), y));
    }
    for (i, (group, points)) in groups.iter().enumerate() {
        let colour = LINE_COLOURS[i % LINE_COLOURS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"trend\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"/>",
            path.join(" ")
        );
        for (x, y) in points {
            let _ = write!(
                svg,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{colour}\"/>"
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>",
            left + width + 10.0,
            top + 14.0 * i as f64 + 10.0,
            esc(group)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The whole report. `rows` are the adoption rows of every run covered.
pub fn report(rows: &[AdoptionRow], group_label: &str, generated: &str) -> String {
    let newest = rows.iter().map(|r| r.run_id).max().unwrap_or(0);
    let latest: Vec<&AdoptionRow> = rows.iter().filter(|r| r.run_id == newest).collect();
    let mut table = String::from("<table><thead><tr><th>run</th>");
    let _ = write!(
        table,
        "<th>{}</th><th>screened</th><th>Certifications page</th><th>any entry</th><th>API</th><th>verified e-CO</th><th>red flag</th><th>median score</th><th>A</th><th>B</th><th>C</th><th>D</th><th>R</th></tr></thead><tbody>",
        esc(group_label)
    );
    for r in rows {
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0}%</td><td>{:.0}%</td><td>{:.0}%</td><td>{:.0}%</td><td>{:.0}%</td><td>{:.1}</td>",
            r.run_id,
            esc(&r.group),
            r.screened,
            r.share(r.cert_page),
            r.share(r.entry),
            r.share(r.api),
            r.share(r.verified),
            r.share(r.red_flag),
            r.median_score
        );
        for (tier, _) in TIER_COLOURS {
            let _ = write!(
                table,
                "<td>{}</td>",
                r.tiers.get(tier).copied().unwrap_or(0)
            );
        }
        table.push_str("</tr>");
    }
    table.push_str("</tbody></table>");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>e-CO readiness report</title><style>\
body{{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#1f2328;max-width:1100px}}\
h1{{font-size:1.5em}}h2{{font-size:1.15em;margin-top:2em}}table{{border-collapse:collapse;font-size:.85em}}\
th,td{{border:1px solid #d0d7de;padding:4px 8px;text-align:right}}th{{background:#f6f8fa}}td:nth-child(2){{text-align:left}}\
.note{{color:#57606a;font-size:.9em}}</style></head><body>\
<h1>e-CO readiness of screened suppliers</h1><p class=\"note\">Generated {} by ecoscout. Shares are of the suppliers screened in each group.</p>\
<h2>Tier distribution by {} (run {newest})</h2>{}\
<h2>Suppliers with a verified e-CO, run after run</h2>{}\
<h2>Figures</h2>{table}</body></html>\n",
        esc(generated),
        esc(group_label),
        tier_chart(&latest),
        trend_chart(rows)
    )
}
