//! The results: `report.json` for machines, an aligned table for people.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

/// What the issue asks of a metric; shown next to it, never a reason to fail the run.
#[derive(Clone, Copy)]
pub enum Target {
    RatioAtLeast(f64),
    RatioAtMost(f64),
    ValueAtLeast(f64),
    ValueAtMost(f64),
}

impl Target {
    fn describe(self) -> String {
        match self {
            Target::RatioAtLeast(bound) => format!("ratio >= {bound}"),
            Target::RatioAtMost(bound) => format!("ratio <= {bound}"),
            Target::ValueAtLeast(bound) => format!("value >= {bound}"),
            Target::ValueAtMost(bound) => format!("value <= {bound}"),
        }
    }

    fn met(self, metric: &Metric) -> Option<bool> {
        match self {
            Target::RatioAtLeast(bound) => metric.ratio.map(|ratio| ratio >= bound),
            Target::RatioAtMost(bound) => metric.ratio.map(|ratio| ratio <= bound),
            Target::ValueAtLeast(bound) => Some(metric.value >= bound),
            Target::ValueAtMost(bound) => Some(metric.value <= bound),
        }
    }
}

#[derive(Serialize)]
pub struct Metric {
    name: &'static str,
    value: f64,
    unit: &'static str,
    baseline: Option<&'static str>,
    baseline_value: Option<f64>,
    ratio: Option<f64>,
    #[serde(skip)]
    target: Option<Target>,
}

impl Metric {
    pub fn new(name: &'static str, value: f64, unit: &'static str) -> Self {
        Self {
            name,
            value,
            unit,
            baseline: None,
            baseline_value: None,
            ratio: None,
            target: None,
        }
    }

    pub fn value(&self) -> f64 {
        self.value
    }

    pub fn against(mut self, baseline: &Metric) -> Self {
        self.baseline = Some(baseline.name);
        self.baseline_value = Some(baseline.value);
        self.ratio = Some(self.value / baseline.value);
        self
    }

    /// The same figure again against a second baseline: one row per comparison.
    pub fn also_against(&self, baseline: &Metric) -> Self {
        Self::new(self.name, self.value, self.unit).against(baseline)
    }

    pub fn target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }
}

#[derive(Serialize)]
pub struct Report {
    pub machine: String,
    pub quick: bool,
    pub metrics: Vec<Metric>,
}

impl Report {
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("write {}", path.display()))
    }

    pub fn table(&self) -> String {
        let header = [
            "metric",
            "value",
            "unit",
            "baseline",
            "baseline value",
            "ratio",
            "target",
            "result",
        ];
        let rows: Vec<[String; 8]> = self
            .metrics
            .iter()
            .map(|metric| {
                let target = metric.target;
                [
                    metric.name.to_owned(),
                    format_value(metric.value, metric.unit),
                    metric.unit.to_owned(),
                    metric.baseline.unwrap_or("-").to_owned(),
                    metric
                        .baseline_value
                        .map_or("-".to_owned(), |value| format_value(value, metric.unit)),
                    metric
                        .ratio
                        .map_or("-".to_owned(), |ratio| format!("{ratio:.3}")),
                    target.map_or("-".to_owned(), Target::describe),
                    match target.and_then(|target| target.met(metric)) {
                        Some(true) => "pass".to_owned(),
                        Some(false) => "MISS".to_owned(),
                        None => "-".to_owned(),
                    },
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.len());
            }
        }
        let mut out = format!("machine: {}\nquick: {}\n\n", self.machine, self.quick);
        let header = header.map(str::to_owned);
        for row in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = row
                .iter()
                .zip(widths)
                .enumerate()
                // Numbers right-aligned, words left-aligned.
                .map(|(column, (cell, width))| match column {
                    1 | 4 | 5 => format!("{cell:>width$}"),
                    _ => format!("{cell:<width$}"),
                })
                .collect();
            let _ = writeln!(out, "{}", line.join("  ").trim_end());
        }
        out
    }
}

fn format_value(value: f64, unit: &str) -> String {
    match unit {
        "ms" => format!("{value:.3}"),
        "MiB" => format!("{value:.1}"),
        _ => format!("{value:.0}"),
    }
}

/// CPU model, cores, memory and OS, read from /proc and /etc/os-release.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = field(&cpuinfo, "model name", ':').unwrap_or_else(|| "unknown cpu".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = field(&meminfo, "MemTotal", ':')
        .and_then(|value| value.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or("unknown memory".to_owned(), |kib| {
            format!("{:.1} GiB RAM", kib / 1024.0 / 1024.0)
        });
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let os = field(&os_release, "PRETTY_NAME", '=')
        .map(|name| name.trim_matches('"').to_owned())
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    format!("{cpu}, {cores} cores, {memory}, {os}")
}

fn field(text: &str, key: &str, separator: char) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(separator)?;
        (name.trim() == key).then(|| value.trim().to_owned())
    })
}
