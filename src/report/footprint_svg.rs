//! A footprint as a small SVG bar chart: per size class, the share of stones and the share of
//! carats side by side. Plain SVG 1.1 that browsers, office suites and QGIS open.

use crate::analytics::Footprint;
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as SVG text.
pub fn footprint_svg(fp: &Footprint, title: &str) -> String {
    let (w, h, left, top, bottom) = (720.0, 360.0, 50.0, 40.0, 50.0);
    let plot_h = h - top - bottom;
    let group = (w - left - 20.0) / fp.classes.len() as f64;
    let max = fp
        .classes
        .iter()
        .map(|c| c.share_stones.max(c.share_carats))
        .fold(0.0f64, f64::max)
        .max(0.01);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<title>{}</title><text x="{left}" y="20" font-size="14">Footprint {} — {} stones, {} ct</text>"#,
        escape(title),
        escape(title),
        fp.stones,
        fp.centicarats
    );
    let base = top + plot_h;
    let _ = writeln!(
        s,
        r##"<line x1="{left}" y1="{base}" x2="{}" y2="{base}" stroke="#333"/>"##,
        w - 20.0
    );
    for (i, c) in fp.classes.iter().enumerate() {
        let x = left + i as f64 * group;
        let bw = group * 0.38;
        for (k, (share, colour, what)) in [
            (c.share_stones, "#4477aa", "stones"),
            (c.share_carats, "#cc6677", "carats"),
        ]
        .into_iter()
        .enumerate()
        {
            let bh = share / max * plot_h;
            let _ = writeln!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}" fill="{colour}"><title>{} {what}: {:.1} %</title></rect>"#,
                x + 4.0 + k as f64 * bw,
                base - bh,
                c.class.label(),
                share * 100.0
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x + group / 2.0,
            base + 16.0,
            escape(c.class.label())
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{:.1}" width="10" height="10" fill="#4477aa"/><text x="{:.1}" y="{:.1}">share of stones</text><rect x="{:.1}" y="{:.1}" width="10" height="10" fill="#cc6677"/><text x="{:.1}" y="{:.1}">share of carats</text>"##,
        h - 22.0,
        left + 14.0,
        h - 13.0,
        left + 140.0,
        h - 22.0,
        left + 154.0,
        h - 13.0
    );
    s.push_str("</svg>\n");
    s
}
