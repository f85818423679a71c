//! Charts for the console, drawn on the server as SVG: no chart library and no script in the
//! page. Each chart is an image with a title and a description (`role="img"`), one `<title>`
//! per bar for pointer users, and the page shows the same numbers in a table beside it (the
//! table is what screen readers and copy-paste use).

use std::fmt::Write;

/// One bar: its label (a day, « 8 déc. ») and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
}

const WIDTH: i64 = 640;
const HEIGHT: i64 = 200;
const LEFT: i64 = 40;
const BOTTOM: i64 = 28;
const TOP: i64 = 12;

/// A bar chart as inline SVG. `id` must be unique in the page (it ties the title and the
/// description to the image); `title` and `description` say what it shows in words.
pub fn bar_chart(id: &str, title: &str, description: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let ceiling = nice_ceiling(max);
    let plot_w = WIDTH - LEFT - 8;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let n = bars.len().max(1) as i64;
    let slot = plot_w as f64 / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    let id = escape(id);
    let mut svg = String::with_capacity(256 + bars.len() * 160);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-t {id}-d"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        escape(title),
        escape(description)
    );
    // Axis and a mid gridline with their values.
    for (value, y) in [
        (0, TOP + plot_h),
        (ceiling / 2, TOP + plot_h / 2),
        (ceiling, TOP),
    ] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{WIDTH}" y1="{y}" y2="{y}" stroke="#ccc"/><text x="{}" y="{}" text-anchor="end" font-size="11" fill="#3a3a3a">{value}</text>"##,
            LEFT - 4,
            y + 4
        );
    }
    // At most about seven labels under the axis: more would run into each other.
    let label_every = bars.len().div_ceil(7).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let h = (bar.value.max(0) as f64 / ceiling as f64 * plot_h as f64).round();
        let x = LEFT as f64 + slot * i as f64 + (slot - bar_w) / 2.0;
        let y = (TOP + plot_h) as f64 - h;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="#000091"><title>{} : {}</title></rect>"##,
            escape(&bar.label),
            bar.value
        );
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" font-size="11" fill="#3a3a3a">{}</text>"##,
                x + bar_w / 2.0,
                HEIGHT - 10,
                escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The axis' top: the maximum rounded up to 1, 2 or 5 times a power of ten (even, so the
/// middle line is a whole number).
fn nice_ceiling(max: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for m in [2, 4, 10] {
            if m * step >= max {
                return m * step;
            }
        }
        step = step.saturating_mul(10);
        if step > i64::MAX / 100 {
            return max;
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(values: &[i64]) -> Vec<Bar> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Bar {
                label: format!("{} déc.", i + 1),
                value: *v,
            })
            .collect()
    }

    #[test]
    fn a_chart_is_an_image_named_in_words_with_one_bar_per_value() {
        let svg = bar_chart(
            "inscrits",
            "Inscriptions par jour",
            "De 0 à 7 par jour",
            &bars(&[3, 0, 7]),
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains(r#"role="img" aria-labelledby="inscrits-t inscrits-d""#));
        assert!(svg.contains(r#"<title id="inscrits-t">Inscriptions par jour</title>"#));
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("<title>3 déc. : 7</title>"));
        // The tallest bar fills the plot up to the axis' top (10 for a maximum of 7).
        assert!(svg.contains(r#">10</text>"#));
    }

    #[test]
    fn text_is_escaped() {
        let svg = bar_chart(
            "x\"",
            "<script>",
            "a & b",
            &[Bar {
                label: "<b>".into(),
                value: 1,
            }],
        );
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;") && svg.contains("a &amp; b"));
        assert!(svg.contains(r#"id="x&quot;-t""#));
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(1), 2);
        assert_eq!(nice_ceiling(3), 4);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(250), 400);
        assert_eq!(nice_ceiling(0), 2);
    }

    #[test]
    fn an_empty_chart_still_draws_its_axis() {
        let svg = bar_chart("vide", "Rien", "Aucune valeur", &[]);
        assert_eq!(svg.matches("<rect").count(), 0);
        assert!(svg.contains("<line"));
    }
}
