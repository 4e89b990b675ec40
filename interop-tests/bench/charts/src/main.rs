//! `bench-charts IN.tsv OUT_DIR [--font FILE.ttf]`: one PNG bar chart per chart
//! named in the TSV that `interop-tests/bench/suite.py` writes.
//!
//! The input is deliberately trivial so the suite (Python) needs no plotting
//! library and this tool needs no JSON parser:
//!
//! ```text
//! chart<TAB>NAME<TAB>TITLE<TAB>Y-AXIS LABEL
//! NAME<TAB>GROUP<TAB>SERIES<TAB>VALUE
//! ```
//!
//! Groups are laid out left to right in order of first appearance, series are
//! bars side by side within a group. The y axis is logarithmic because the two
//! brokers differ by up to two orders of magnitude (RSS, latency).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use plotters::prelude::*;

/// Fonts tried when `--font` is not given (Debian's fonts-dejavu-core, fonts-lato).
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/lato/Lato-Regular.ttf",
];

/// Bar colours by series position: Ferrum first (rust), then ActiveMQ (blue).
const PALETTE: &[RGBColor] = &[
    RGBColor(183, 65, 14),
    RGBColor(46, 94, 170),
    RGBColor(90, 150, 60),
    RGBColor(120, 120, 120),
];

#[derive(Default)]
struct Chart {
    title: String,
    y_label: String,
    groups: Vec<String>,
    series: Vec<String>,
    /// (group index, series index) -> value
    values: BTreeMap<(usize, usize), f64>,
}

fn index_of(list: &mut Vec<String>, name: &str) -> usize {
    match list.iter().position(|g| g == name) {
        Some(i) => i,
        None => {
            list.push(name.to_string());
            list.len() - 1
        }
    }
}

fn parse(text: &str) -> Result<Vec<(String, Chart)>> {
    let mut charts: Vec<(String, Chart)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 {
            bail!(
                "line {}: expected 4 tab-separated fields, got {}",
                n + 1,
                f.len()
            );
        }
        if f[0] == "chart" {
            charts.push((
                f[1].to_string(),
                Chart {
                    title: f[2].to_string(),
                    y_label: f[3].to_string(),
                    ..Chart::default()
                },
            ));
            continue;
        }
        let value: f64 = f[3]
            .parse()
            .with_context(|| format!("line {}: bad value {:?}", n + 1, f[3]))?;
        let Some((_, chart)) = charts.iter_mut().find(|(name, _)| name == f[0]) else {
            bail!("line {}: chart {:?} not declared", n + 1, f[0]);
        };
        let g = index_of(&mut chart.groups, f[1]);
        let s = index_of(&mut chart.series, f[2]);
        chart.values.insert((g, s), value);
    }
    Ok(charts)
}

fn draw(chart: &Chart, path: &Path) -> Result<()> {
    let positive = chart.values.values().copied().filter(|v| *v > 0.0);
    let max = positive.clone().fold(1.0_f64, f64::max);
    let min = positive.fold(max, f64::min);
    // Log axis: start a decade below the smallest bar so every bar is visible.
    let y_lo = 10f64.powf(min.log10().floor() - 1.0).max(1e-3);
    let y_hi = 10f64.powf(max.log10().ceil() + 0.9);
    let groups = chart.groups.len().max(1);
    let series = chart.series.len().max(1);

    let root = BitMapBackend::new(path, (1000, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut ctx = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..groups as f64, (y_lo..y_hi).log_scale())?;
    let labels = chart.groups.clone();
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(groups * 2 + 1)
        .x_label_formatter(&|x| {
            // Label only group centres (k + 0.5).
            let k = x.floor();
            if (x - k - 0.5).abs() < 1e-6 {
                labels.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(&chart.y_label)
        .y_label_formatter(&|v| format_value(*v))
        .label_style(("sans-serif", 14))
        .draw()?;

    let width = 0.8 / series as f64;
    for (s, name) in chart.series.iter().enumerate() {
        let color = PALETTE[s % PALETTE.len()];
        let bars: Vec<_> = (0..chart.groups.len())
            .filter_map(|g| chart.values.get(&(g, s)).map(|v| (g, *v)))
            .filter(|(_, v)| *v > 0.0)
            .collect();
        ctx.draw_series(bars.iter().map(|(g, v)| {
            let x0 = *g as f64 + 0.1 + s as f64 * width;
            Rectangle::new([(x0, y_lo), (x0 + width * 0.95, *v)], color.filled())
        }))?
        .label(name.as_str())
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 12, y + 6)], color.filled()));
        // The value above each bar, so the PNG can be read without the table.
        ctx.draw_series(bars.iter().map(|(g, v)| {
            let x = *g as f64 + 0.1 + (s as f64 + 0.15) * width;
            Text::new(format_value(*v), (x, *v * 1.6), ("sans-serif", 12))
        }))?;
    }
    ctx.configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
    Ok(())
}

/// 1234567 -> "1.2M", 0.5 -> "0.5": short enough to sit above a bar.
fn format_value(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn load_font(explicit: Option<PathBuf>) -> Result<()> {
    let path = match explicit {
        Some(p) => p,
        None => FONT_CANDIDATES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .context("no TTF font found; install fonts-dejavu-core or pass --font FILE.ttf")?,
    };
    let bytes = std::fs::read(&path).with_context(|| format!("reading font {}", path.display()))?;
    // plotters keeps registered fonts for the life of the process.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow::anyhow!("{} is not a usable TTF font", path.display()))?;
    Ok(())
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut font = None;
    while let Some(a) = args.next() {
        if a == "--font" {
            font = Some(PathBuf::from(args.next().context("--font needs a file")?));
        } else {
            positional.push(a);
        }
    }
    let [input, out_dir] = positional.as_slice() else {
        bail!("usage: bench-charts IN.tsv OUT_DIR [--font FILE.ttf]");
    };
    load_font(font)?;
    let text = std::fs::read_to_string(input).with_context(|| format!("reading {input}"))?;
    std::fs::create_dir_all(out_dir)?;
    for (name, chart) in parse(&text)? {
        let path = Path::new(out_dir).join(format!("{name}.png"));
        draw(&chart, &path).with_context(|| format!("drawing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_groups_and_series_in_order() {
        let tsv = "chart\tthr\tT\tY\nthr\tq 1/1\tFerrum\t10\nthr\tq 1/1\tActiveMQ\t2\nthr\tt 1/4\tFerrum\t5\n";
        let charts = parse(tsv).unwrap();
        assert_eq!(charts.len(), 1);
        let c = &charts[0].1;
        assert_eq!(c.groups, vec!["q 1/1", "t 1/4"]);
        assert_eq!(c.series, vec!["Ferrum", "ActiveMQ"]);
        assert_eq!(c.values[&(1, 0)], 5.0);
    }

    #[test]
    fn rejects_rows_of_undeclared_charts_and_bad_values() {
        assert!(parse("thr\tg\ts\t1\n").is_err());
        assert!(parse("chart\tthr\tT\tY\nthr\tg\ts\tx\n").is_err());
        assert!(parse("chart\tthr\tT\n").is_err());
    }

    #[test]
    fn short_value_labels() {
        assert_eq!(format_value(1_234_567.0), "1.2M");
        assert_eq!(format_value(258_898.0), "259k");
        assert_eq!(format_value(1_500.0), "1.5k");
        assert_eq!(format_value(4.8), "4.8");
    }
}
