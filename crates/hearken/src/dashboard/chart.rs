//! Server-rendered SVG charts. Labels are escaped: account handles come from platforms.

use super::Series;

/// Escapes text for SVG/XML content and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const COLORS: [&str; 6] = [
    "#2563eb", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0891b2",
];

/// Stacked hourly bars of the top series over `hours` buckets starting at `since`.
pub fn volume_svg(series: &[Series], since: i64, bucket_ms: i64, hours: usize) -> String {
    let (w, h, pad) = (720.0_f64, 180.0_f64, 24.0_f64);
    let legend_w = 220.0_f64;
    let top: Vec<&Series> = series.iter().take(COLORS.len()).collect();
    let mut stacks = vec![0i64; hours];
    let mut bars = String::new();
    let totals: Vec<i64> = (0..hours)
        .map(|i| {
            top.iter()
                .map(|s| count_at(s, since + i as i64 * bucket_ms))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bw = (w - pad) / hours as f64;
    for (si, s) in top.iter().enumerate() {
        for (i, stack) in stacks.iter_mut().enumerate() {
            let c = count_at(s, since + i as i64 * bucket_ms);
            if c == 0 {
                continue;
            }
            let y0 = h - pad - (*stack as f64 / max) * (h - 2.0 * pad);
            let bh = (c as f64 / max) * (h - 2.0 * pad);
            *stack += c;
            bars.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>",
                pad + i as f64 * bw,
                y0 - bh,
                (bw - 1.0).max(1.0),
                bh,
                COLORS[si],
                escape(&s.label),
                c
            ));
        }
    }
    let legend: String = top
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "<text x=\"{}\" y=\"{}\" fill=\"{}\" font-size=\"12\">■ {} ({})</text>",
                w + 8.0,
                pad + 4.0 + i as f64 * 18.0,
                COLORS[i],
                escape(&truncate(&s.label, 24)),
                s.total
            )
        })
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {h}\" role=\"img\" aria-label=\"Inbound volume per hour\">{legend}{bars}<text x=\"{pad}\" y=\"{}\" font-size=\"11\">max {} per hour</text></svg>",
        w + legend_w,
        h - 6.0,
        max as i64
    )
}

fn count_at(s: &Series, bucket: i64) -> i64 {
    s.points
        .iter()
        .find(|(b, _)| *b == bucket)
        .map(|(_, c)| *c)
        .unwrap_or(0)
}

fn truncate(s: &str, n: usize) -> String {
    crate::domain::message::preview(s, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let s = vec![Series {
            label: "<script>alert(1)</script>".into(),
            total: 1,
            points: vec![(0, 1)],
        }];
        let svg = volume_svg(&s, 0, 3600, 2);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
