//! JavaScript coverage of a page's own scripts, from V8's precise coverage during E2E tests,
//! merged over a run's test processes into lcov and a summary.
//!
//! With `HARNESS_JS_COVERAGE=<dir>` set, every Chrome session collects precise coverage (call
//! counts, block granularity), takes it before each navigation it makes and when it ends, and
//! writes one raw file per take into `<dir>`: the `Profiler.takePreciseCoverage` entries of the
//! page's own scripts (counts since the last take), each with its source. Give
//! an absolute path: nextest runs each test process in its package's directory, so a relative one
//! lands in a different place per package. `harness js-coverage <dir>` (e2e-harness's binary) or
//! [`Report::merge_dir`] merges the files.
//!
//! This crate is e2e-harness's, re-exported as `harness::browser::coverage` (feature `browser`): the raw files'
//! format (written by the harness's browser sessions) and their merging, which needs no browser.
//! It makes no promise beyond what e2e-harness re-exports.
//!
//! # From V8's ranges to lines, branches and functions
//!
//! - **Ranges.** A function's `ranges[0]` spans the function, its later ranges are blocks inside
//!   it, and at any character the innermost range's count holds (the script's top level is a
//!   function too: no name, a range over the whole script). Offsets count UTF-16 code units.
//! - **Code characters**: all but whitespace, comments and the brackets and separators
//!   `{}()[];,`. Comments are found by a light lexer that knows strings and template literals but
//!   not regular expression literals (an unescaped `/*` inside one can misjudge what follows).
//! - **Lines.** A line holding code characters is a line; its count is the largest count among
//!   them. Blank lines, comment-only lines and lines of closing brackets are no lines.
//! - **A range's count in one script**: its own when V8 reported it there, otherwise the count at
//!   its first code character. V8 leaves out every block whose count equals its enclosing range's
//!   and every function never compiled, so an absent range ran as often as what encloses it.
//! - **Branches.** Each block holding code is one branch outcome, at the line of its first code
//!   character, taken as often as its count. A function (or the top level) with such blocks adds
//!   its own range as one more outcome, taken as often as the function ran: the block that ran on
//!   every call is left out by V8, so without it an `if` whose `else` never ran would read 0 of 1
//!   instead of 1 of 2. A block without code is no branch: V8 adds one after each `return` or
//!   `throw`, up to the closing brace, where nothing can run. In lcov
//!   `BRDA:<line>,<function index>,<outcome index>,<taken>`, the function's own range being
//!   outcome 0. An `if` without `else` whose body ran on every call shows no branch at all: V8
//!   has no range for the way around it.
//! - **Functions**: every function but the top level, counted by its own range (`FN`/`FNDA`);
//!   unnamed ones are `(anonymous)`, and a name used twice in a script gets `#<function index>`.
//! - **Merging.** A script is known by its URL's path (every test serves the page on another
//!   port) and, when one page has several scripts of that URL (inline `<script>`s), by their
//!   order: `/index.html`, `/index.html#script-2`. Counts of a script with the same source add up
//!   over the raw files (and over loads within one: a page loaded twice counts twice). Sources
//!   that differ (the page changed between tests) cannot be added up: the source found in most
//!   raw files is reported, and the summary says how many were left out.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The variable that turns collection on: an absolute directory for the raw files.
pub const JS_COVERAGE: &str = "HARNESS_JS_COVERAGE";

/// One script's precise coverage: an entry of `Profiler.takePreciseCoverage`'s `result`, plus its
/// source, which the offsets index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[doc(hidden)]
pub struct ScriptCoverage {
    pub url: String,
    pub functions: Vec<FunctionCoverage>,
    /// From `Debugger.getScriptSource`: the CDP entry has none.
    #[serde(default)]
    pub source: String,
}

/// One function's ranges: `ranges[0]` spans the function, the others are blocks inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[doc(hidden)]
pub struct FunctionCoverage {
    pub function_name: String,
    pub ranges: Vec<CoverageRange>,
    pub is_block_coverage: bool,
}

/// A span of the source in UTF-16 code units, end exclusive, and how often it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[doc(hidden)]
pub struct CoverageRange {
    pub start_offset: u32,
    pub end_offset: u32,
    pub count: u64,
}

/// Why the raw coverage could not be merged or the lcov file written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoverageError {
    /// The directory is missing or holds no raw file.
    #[error(
        "no JS coverage in {}: {reason} (hint: set {variable} to an absolute directory for the test run, with the harness's `browser` feature, and run the browser tests on Chrome)",
        .dir.display()
    )]
    NotCollected {
        /// The directory.
        dir: PathBuf,
        /// What was found instead.
        reason: &'static str,
        /// The variable that turns collection on.
        variable: &'static str,
    },
    /// The directory could not be listed.
    #[error("cannot list the JS coverage directory {}", .dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A raw file could not be read.
    #[error("cannot read the raw JS coverage file {}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A raw file is not what the harness writes.
    #[error("{} is not a raw JS coverage file of the harness", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What did not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The lcov file could not be written.
    #[error("cannot write the lcov file {}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// The directory named by `HARNESS_JS_COVERAGE`, made absolute against the current directory.
#[doc(hidden)]
pub fn raw_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(
        std::env::var(JS_COVERAGE)
            .ok()
            .filter(|dir| !dir.trim().is_empty())?,
    );
    if dir.is_absolute() {
        return Some(dir);
    }
    // Resolved now, so that the path the test process writes to is the one it would print.
    Some(std::env::current_dir().map_or(dir.clone(), |cwd| cwd.join(&dir)))
}

/// The identity of a page's script across tests: its URL's path, without scheme, host, port,
/// query or fragment (each test serves the page on another port). `None` for what is not the
/// page's own.
#[doc(hidden)]
pub fn key_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    // An allow-list: the page's scripts come from its server (or a file it was opened from);
    // anything else — `about:`, `data:`, `blob:`, `chrome:`, extensions, DevTools, code eval'd
    // without a URL — is the browser's or generated, and a deny-list would miss the next scheme.
    matches!(url.scheme(), "http" | "https" | "file").then(|| url.path().to_owned())
}

/// The shape of a raw file: an object, so that the format can grow fields.
#[derive(Serialize)]
struct RawRecordOut<'a> {
    scripts: Vec<&'a ScriptCoverage>,
}

#[derive(Deserialize)]
struct RawRecord {
    scripts: Vec<ScriptCoverage>,
}

/// Write the page's own scripts of `scripts` as one raw file into `dir` (created if needed), and
/// return its path.
///
/// The name (pid, a counter of this process, the time) never collides with another test
/// process's, and the file appears whole or not at all: it is written under a hidden temporary
/// name that a merge skips, then renamed.
#[doc(hidden)]
pub fn record(dir: &Path, scripts: &[ScriptCoverage]) -> io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    fs::create_dir_all(dir)?;
    let own = RawRecordOut {
        scripts: scripts
            .iter()
            .filter(|script| key_of(&script.url).is_some())
            .collect(),
    };
    let json = serde_json::to_vec(&own)?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let name = format!(
        "js-{}-{}-{nanos}.json",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(&name);
    let temp = dir.join(format!(".{name}.tmp"));
    // No fsync: the merge runs on this machine after the run, and a crash loses the run anyway.
    let written = fs::write(&temp, json).and_then(|()| fs::rename(&temp, &path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map(|()| path)
}

/// How many of something were found and how many of them ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Found.
    pub found: usize,
    /// Run at least once.
    pub hit: usize,
}

impl Counts {
    /// `hit` as a percentage of `found`; `None` when nothing was found.
    pub fn percent(&self) -> Option<f64> {
        (self.found > 0).then(|| self.hit as f64 * 100.0 / self.found as f64)
    }

    fn add(&mut self, other: Counts) {
        self.found += other.found;
        self.hit += other.hit;
    }

    fn of(counts: impl Iterator<Item = u64>) -> Counts {
        counts.fold(Counts::default(), |sum, count| Counts {
            found: sum.found + 1,
            hit: sum.hit + usize::from(count > 0),
        })
    }
}

/// `72.3% (110/152)`, or `n/a (0/0)`.
impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.percent() {
            Some(percent) => write!(f, "{percent:.1}% ({}/{})", self.hit, self.found),
            None => write!(f, "n/a (0/0)"),
        }
    }
}

/// Lines, branches and functions of a file or of the whole report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Lines holding code.
    pub lines: Counts,
    /// Branch outcomes (see the module's documentation).
    pub branches: Counts,
    /// Functions, the top level of a script left out.
    pub functions: Counts,
}

impl Totals {
    fn add(&mut self, other: Totals) {
        self.lines.add(other.lines);
        self.branches.add(other.branches);
        self.functions.add(other.functions);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FunctionHits {
    name: String,
    line: u32,
    hits: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct BranchHits {
    line: u32,
    block: usize,
    branch: usize,
    hits: u64,
}

/// The merged coverage of one script.
#[derive(Debug, Clone)]
pub struct FileReport {
    name: String,
    /// `(line, hits)` of each line holding code, in order.
    lines: Vec<(u32, u64)>,
    functions: Vec<FunctionHits>,
    branches: Vec<BranchHits>,
    records: usize,
    skipped: usize,
}

impl FileReport {
    /// The script's path on the page's server (`/app.js`), `#script-<n>` added for the n-th
    /// script of one URL (inline scripts).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its lines, branches and functions.
    pub fn totals(&self) -> Totals {
        Totals {
            lines: Counts::of(self.lines.iter().map(|&(_, hits)| hits)),
            branches: Counts::of(self.branches.iter().map(|branch| branch.hits)),
            functions: Counts::of(self.functions.iter().map(|function| function.hits)),
        }
    }

    /// How many raw files the reported counts come from.
    pub fn records(&self) -> usize {
        self.records
    }

    /// How many raw files had this script with another source, and were left out.
    pub fn skipped_records(&self) -> usize {
        self.skipped
    }

    fn write_lcov(&self, out: &mut String) {
        use fmt::Write as _;
        let _ = writeln!(out, "SF:{}", self.name);
        for function in &self.functions {
            let _ = writeln!(out, "FN:{},{}", function.line, function.name);
        }
        for function in &self.functions {
            let _ = writeln!(out, "FNDA:{},{}", function.hits, function.name);
        }
        let totals = self.totals();
        let _ = writeln!(
            out,
            "FNF:{}\nFNH:{}",
            totals.functions.found, totals.functions.hit
        );
        for branch in &self.branches {
            let _ = writeln!(
                out,
                "BRDA:{},{},{},{}",
                branch.line, branch.block, branch.branch, branch.hits
            );
        }
        let _ = writeln!(
            out,
            "BRF:{}\nBRH:{}",
            totals.branches.found, totals.branches.hit
        );
        for (line, hits) in &self.lines {
            let _ = writeln!(out, "DA:{line},{hits}");
        }
        let _ = writeln!(out, "LF:{}\nLH:{}", totals.lines.found, totals.lines.hit);
        out.push_str("end_of_record\n");
    }
}

/// The JavaScript coverage of a run: every raw file of a directory, merged per script.
///
/// ```no_run
/// # mod harness { pub mod browser { pub use harness_js_coverage as coverage; } } // as users see it
/// # fn main() -> Result<(), harness::browser::coverage::CoverageError> {
/// let report = harness::browser::coverage::Report::merge_dir("target/coverage/js-raw")?;
/// report.write_lcov("target/coverage/js-lcov.info")?;
/// print!("{report}");
/// assert!(report.totals().lines.percent().unwrap_or(0.0) >= 60.0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    files: Vec<FileReport>,
    records: usize,
}

impl Report {
    /// Merge every raw file (`*.json`) of `dir`, the directory `HARNESS_JS_COVERAGE` named for
    /// the run. A missing or empty directory is an error: coverage was not collected.
    pub fn merge_dir(dir: impl AsRef<Path>) -> Result<Report, CoverageError> {
        let dir = dir.as_ref();
        let not_collected = |reason| CoverageError::NotCollected {
            dir: dir.to_owned(),
            reason,
            variable: JS_COVERAGE,
        };
        let list_error = |source| CoverageError::ReadDir {
            dir: dir.to_owned(),
            source,
        };
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(not_collected("the directory does not exist"));
            }
            Err(e) => return Err(list_error(e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(list_error)?.path();
            // Hidden names are files still being written (see `record`).
            let raw = path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with(".json") && !name.starts_with('.'));
            if raw && path.is_file() {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Err(not_collected("the directory holds no raw coverage file"));
        }
        // In name order, so that a tie between two sources of a script is decided the same way
        // on every merge.
        paths.sort();
        let mut merger = Merger::default();
        for path in paths {
            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                Err(source) => return Err(CoverageError::Read { path, source }),
            };
            match serde_json::from_slice::<RawRecord>(&bytes) {
                Ok(record) => merger.add_record(&record.scripts),
                Err(source) => return Err(CoverageError::Invalid { path, source }),
            }
        }
        Ok(merger.finish())
    }

    /// Each script, by name.
    pub fn files(&self) -> &[FileReport] {
        &self.files
    }

    /// How many raw files were merged.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Keep only the scripts whose path (`/app.js`) is one of `paths`: a run's coverage also
    /// holds the scripts of test pages that are not the product's.
    pub fn retain_paths(&mut self, paths: &[String]) {
        self.files.retain(|file| {
            paths
                .iter()
                .any(|path| file.name() == path || file.name().starts_with(&format!("{path}#")))
        });
    }

    /// The sums over all files.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for file in &self.files {
            totals.add(file.totals());
        }
        totals
    }

    /// The report as an lcov tracefile.
    pub fn lcov(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            file.write_lcov(&mut out);
        }
        out
    }

    /// Write [`lcov`](Report::lcov) to `path`, creating its directory.
    pub fn write_lcov(&self, path: impl AsRef<Path>) -> Result<(), CoverageError> {
        let path = path.as_ref();
        let written = match path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            Some(parent) => fs::create_dir_all(parent),
            None => Ok(()),
        }
        .and_then(|()| fs::write(path, self.lcov()));
        written.map_err(|source| CoverageError::Write {
            path: path.to_owned(),
            source,
        })
    }
}

/// One row per file (lines, branches, functions), a total, and a note per file whose records
/// disagreed on its source.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "JS coverage of {} raw files", self.records)?;
        if self.files.is_empty() {
            return writeln!(f, "no page scripts in them");
        }
        let row = |name: &str, totals: Totals| {
            [
                name.to_owned(),
                totals.lines.to_string(),
                totals.branches.to_string(),
                totals.functions.to_string(),
            ]
        };
        let mut rows = vec![[
            "file".to_owned(),
            "lines".to_owned(),
            "branches".to_owned(),
            "functions".to_owned(),
        ]];
        rows.extend(self.files.iter().map(|file| row(&file.name, file.totals())));
        rows.push(row("total", self.totals()));
        let mut widths = [0; 4];
        for cells in &rows {
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for cells in &rows {
            let line = cells
                .iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell:width$}"))
                .collect::<Vec<_>>()
                .join("  ");
            writeln!(f, "{}", line.trim_end())?;
        }
        for file in self.files.iter().filter(|file| file.skipped > 0) {
            writeln!(
                f,
                "note: {}: {} raw files had another source of it (the page changed between tests) and were left out",
                file.name, file.skipped
            )?;
        }
        Ok(())
    }
}

/// Every script of every record added so far, by key and ordinal, each source apart.
#[derive(Default)]
struct Merger {
    scripts: BTreeMap<(String, usize), Vec<Variant>>,
    records: usize,
}

impl Merger {
    fn add_record(&mut self, scripts: &[ScriptCoverage]) {
        self.records += 1;
        let mut sources: HashMap<String, Vec<&str>> = HashMap::new();
        let mut groups: BTreeMap<(String, usize), Vec<&ScriptCoverage>> = BTreeMap::new();
        for script in scripts {
            let Some(key) = key_of(&script.url) else {
                continue;
            };
            let seen = sources.entry(key.clone()).or_default();
            let ordinal = match seen.iter().position(|source| *source == script.source) {
                Some(index) => index + 1,
                None => {
                    seen.push(&script.source);
                    seen.len()
                }
            };
            groups.entry((key, ordinal)).or_default().push(script);
        }
        for (id, group) in groups {
            let variants = self.scripts.entry(id).or_default();
            let source = &group[0].source;
            let index = match variants.iter().position(|v| v.source == *source) {
                Some(index) => index,
                None => {
                    variants.push(Variant::new(source.clone()));
                    variants.len() - 1
                }
            };
            let variant = &mut variants[index];
            variant.records += 1;
            for script in group {
                variant.add(script);
            }
        }
    }

    fn finish(self) -> Report {
        let files = self
            .scripts
            .into_iter()
            .filter_map(|((key, ordinal), variants)| {
                let all: usize = variants.iter().map(|v| v.records).sum();
                // The first of the most common: `max_by_key` would take the last.
                let best = variants
                    .into_iter()
                    .reduce(|best, v| if v.records > best.records { v } else { best })?;
                let name = match ordinal {
                    1 => key,
                    n => format!("{key}#script-{n}"),
                };
                let skipped = all - best.records;
                Some(best.finish(name, skipped))
            })
            .collect();
        Report {
            files,
            records: self.records,
        }
    }
}

/// How often a range ran, summed over scripts, when some scripts may not have reported it.
#[derive(Debug, Default)]
struct Tally {
    /// Its counts where it was reported.
    reported: u64,
    /// The counts at its first code character in those same scripts.
    at_reported: u64,
}

impl Tally {
    fn add(&mut self, count: u64, at: u64) {
        self.reported += count;
        self.at_reported += at;
    }

    /// `at_sum` is the count at its first code character summed over every script: what is not
    /// from the scripts that reported it is what the others had there.
    fn total(&self, at_sum: u64) -> u64 {
        self.reported + (at_sum - self.at_reported)
    }
}

struct Function {
    name: String,
    top: bool,
    anchor: usize,
    own: Tally,
    /// By the index of their first code character.
    blocks: BTreeMap<usize, Tally>,
}

/// One script (key, ordinal and source), summed over the scripts added.
struct Variant {
    source: String,
    text: Text,
    records: usize,
    /// The count at each code character, summed.
    at: Vec<u64>,
    /// Each line's count, summed (by index into `text.lines`).
    lines: Vec<u64>,
    /// By their own range, in source order, outer first.
    functions: BTreeMap<(u32, Reverse<u32>), Function>,
}

impl Variant {
    fn new(source: String) -> Variant {
        let text = Text::new(&source);
        Variant {
            at: vec![0; text.offsets.len()],
            lines: vec![0; text.lines.len()],
            text,
            source,
            records: 0,
            functions: BTreeMap::new(),
        }
    }

    fn add(&mut self, script: &ScriptCoverage) {
        let counts = innermost_counts(&self.text.offsets, &script.functions);
        let mut line_counts = vec![0; self.lines.len()];
        for (code, &count) in counts.iter().enumerate() {
            self.at[code] += count;
            let line = &mut line_counts[self.text.line_index[code]];
            *line = (*line).max(count);
        }
        for (sum, count) in self.lines.iter_mut().zip(line_counts) {
            *sum += count;
        }
        // The top level: unnamed, at 0, and around everything else there. Not "as long as the
        // source": a script whose range and source disagree would list its top level as a function.
        let widest = script
            .functions
            .iter()
            .filter_map(|function| function.ranges.first())
            .filter(|own| own.start_offset == 0)
            .map(|own| own.end_offset)
            .max();
        for function in &script.functions {
            let Some(own) = function.ranges.first() else {
                continue;
            };
            let Some(anchor) = self.text.anchor(own) else {
                continue;
            };
            let top = function.function_name.is_empty()
                && own.start_offset == 0
                && Some(own.end_offset) == widest;
            let entry = self
                .functions
                .entry((own.start_offset, Reverse(own.end_offset)))
                .or_insert_with(|| Function {
                    name: function.function_name.clone(),
                    top,
                    anchor,
                    own: Tally::default(),
                    blocks: BTreeMap::new(),
                });
            entry.own.add(own.count, counts[anchor]);
            // Two blocks of one script that start at the same code (a block V8 merged with its
            // neighbour in one record, say) are one outcome: counted once.
            let mut seen = HashSet::new();
            for block in &function.ranges[1..] {
                if let Some(anchor) = self.text.anchor(block)
                    && seen.insert(anchor)
                {
                    let tally = entry.blocks.entry(anchor).or_default();
                    tally.add(block.count, counts[anchor]);
                }
            }
        }
    }

    fn finish(self, name: String, skipped: usize) -> FileReport {
        let line_of = |code: usize| self.text.lines[self.text.line_index[code]];
        let base = |function: &Function| {
            if function.name.is_empty() {
                "(anonymous)".to_owned()
            } else {
                function.name.clone()
            }
        };
        let mut uses: HashMap<String, usize> = HashMap::new();
        for function in self.functions.values().filter(|f| !f.top) {
            *uses.entry(base(function)).or_default() += 1;
        }
        let mut functions = Vec::new();
        let mut branches = Vec::new();
        for (index, function) in self.functions.values().enumerate() {
            let hits = function.own.total(self.at[function.anchor]);
            let line = line_of(function.anchor);
            if !function.top {
                let base = base(function);
                // lcov matches FNDA to FN by name.
                let name = if uses[&base] > 1 {
                    format!("{base}#{index}")
                } else {
                    base
                };
                functions.push(FunctionHits { name, line, hits });
            }
            if function.blocks.is_empty() {
                continue;
            }
            branches.push(BranchHits {
                line,
                block: index,
                branch: 0,
                hits,
            });
            for (branch, (&anchor, tally)) in function.blocks.iter().enumerate() {
                branches.push(BranchHits {
                    line: line_of(anchor),
                    block: index,
                    branch: branch + 1,
                    hits: tally.total(self.at[anchor]),
                });
            }
        }
        FileReport {
            lines: self.text.lines.iter().copied().zip(self.lines).collect(),
            name,
            functions,
            branches,
            records: self.records,
            skipped,
        }
    }
}

/// The count of the innermost range at each of `offsets` (ascending), 0 where no range is.
fn innermost_counts(offsets: &[u32], functions: &[FunctionCoverage]) -> Vec<u64> {
    let mut ranges: Vec<&CoverageRange> = functions
        .iter()
        .flat_map(|function| &function.ranges)
        .filter(|range| range.start_offset < range.end_offset)
        .collect();
    // Outer before inner (by start, the longer first); of two equal spans (a function's and its
    // parent's block) the later, the inner function, wins. The sort is stable.
    ranges.sort_by_key(|range| (range.start_offset, Reverse(range.end_offset)));
    let mut ranges = ranges.into_iter().peekable();
    // The ranges around the current offset, each inside the one below it: (end, count).
    let mut open: Vec<(u32, u64)> = Vec::new();
    let mut counts = Vec::with_capacity(offsets.len());
    for &offset in offsets {
        while let Some(range) = ranges.next_if(|range| range.start_offset <= offset) {
            while open
                .last()
                .is_some_and(|&(end, _)| end <= range.start_offset)
            {
                open.pop();
            }
            open.push((range.end_offset, range.count));
        }
        while open.last().is_some_and(|&(end, _)| end <= offset) {
            open.pop();
        }
        counts.push(open.last().map_or(0, |&(_, count)| count));
    }
    counts
}

/// Where a source's code characters are, in V8's UTF-16 offsets, and on which lines.
struct Text {
    /// The source's length in UTF-16 code units.
    units: u32,
    /// The offset of each code character, ascending.
    offsets: Vec<u32>,
    /// For each code character, the index of its line in `lines`.
    line_index: Vec<usize>,
    /// The (1-based) numbers of the lines holding code.
    lines: Vec<u32>,
}

impl Text {
    fn new(source: &str) -> Text {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            Code,
            LineComment,
            BlockComment,
            Quoted(char),
            Template,
        }
        let mut text = Text {
            units: 0,
            offsets: Vec::new(),
            line_index: Vec::new(),
            lines: Vec::new(),
        };
        let mut state = State::Code;
        // Lines end at `\n` only: lcov's readers (and editors) number lines so, though JavaScript
        // also ends them at `\u2028`; a `\r` before it is whitespace.
        let mut line = 1;
        let mut escaped = false;
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            let offset = text.units;
            text.units += c.len_utf16() as u32;
            let code = match state {
                _ if escaped => {
                    escaped = false;
                    !is_space(c)
                }
                State::Code => match c {
                    '/' if chars.next_if_eq(&'/').is_some() => {
                        text.units += 1;
                        state = State::LineComment;
                        false
                    }
                    '/' if chars.next_if_eq(&'*').is_some() => {
                        text.units += 1;
                        state = State::BlockComment;
                        false
                    }
                    '"' | '\'' => {
                        state = State::Quoted(c);
                        true
                    }
                    '`' => {
                        state = State::Template;
                        true
                    }
                    // Outside strings only in regular expressions (`/\/*/`) and identifiers: the
                    // escaped character is no comment's start.
                    '\\' => {
                        escaped = true;
                        true
                    }
                    _ => !is_space(c) && !"{}()[];,".contains(c),
                },
                State::LineComment => {
                    if c == '\n' {
                        state = State::Code;
                    }
                    false
                }
                State::BlockComment => {
                    if c == '*' && chars.next_if_eq(&'/').is_some() {
                        text.units += 1;
                        state = State::Code;
                    }
                    false
                }
                State::Quoted(quote) => {
                    // A quoted string cannot span lines: ending it at the line's end keeps a
                    // misread quote (one in a regular expression) from spreading.
                    if c == quote || c == '\n' {
                        state = State::Code;
                    }
                    escaped = c == '\\';
                    !is_space(c)
                }
                State::Template => {
                    if c == '`' {
                        state = State::Code;
                    }
                    escaped = c == '\\';
                    !is_space(c)
                }
            };
            if code {
                if text.lines.last() != Some(&line) {
                    text.lines.push(line);
                }
                text.offsets.push(offset);
                text.line_index.push(text.lines.len() - 1);
            }
            if c == '\n' {
                line += 1;
            }
        }
        text
    }

    /// The index of the first code character inside `range`, if it holds any.
    fn anchor(&self, range: &CoverageRange) -> Option<usize> {
        let first = self
            .offsets
            .partition_point(|&offset| offset < range.start_offset);
        (self.offsets.get(first)? < &range.end_offset).then_some(first)
    }
}

fn is_space(c: char) -> bool {
    // JavaScript counts the byte order mark as whitespace; Unicode does not.
    c.is_whitespace() || c == '\u{feff}'
}

#[cfg(test)]
mod tests {
    use super::*;

    /// V8's offset of the first `needle` in `source`: UTF-16 code units, not bytes.
    fn at(source: &str, needle: &str) -> u32 {
        let byte = source
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not in the source"));
        source[..byte].encode_utf16().count() as u32
    }

    /// V8's offset just past the first `needle`.
    fn end_of(source: &str, needle: &str) -> u32 {
        at(source, needle) + needle.encode_utf16().count() as u32
    }

    fn range(start_offset: u32, end_offset: u32, count: u64) -> CoverageRange {
        CoverageRange {
            start_offset,
            end_offset,
            count,
        }
    }

    fn function(name: &str, ranges: Vec<CoverageRange>) -> FunctionCoverage {
        FunctionCoverage {
            function_name: name.to_owned(),
            is_block_coverage: ranges.len() > 1,
            ranges,
        }
    }

    fn top(source: &str) -> FunctionCoverage {
        function("", vec![range(0, source.encode_utf16().count() as u32, 1)])
    }

    fn script(url: &str, source: &str, functions: Vec<FunctionCoverage>) -> ScriptCoverage {
        ScriptCoverage {
            url: url.to_owned(),
            functions,
            source: source.to_owned(),
        }
    }

    fn merge(records: &[Vec<ScriptCoverage>]) -> Report {
        let mut merger = Merger::default();
        for record in records {
            merger.add_record(record);
        }
        merger.finish()
    }

    fn only(report: &Report) -> &FileReport {
        assert_eq!(report.files.len(), 1, "{report}");
        &report.files[0]
    }

    /// A temporary directory of this test, removed when the test ends.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(test: &str) -> TempDir {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos());
            TempDir(std::env::temp_dir().join(format!(
                "harness-js-coverage-{test}-{}-{nanos}",
                std::process::id()
            )))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const SIGN: &str = r#"const greeting = "hi";
// the handler the tests call
function sign(x) {
  if (x > 0) {
    return "pos";
  } else {
    return "neg";
  }
}

function never() {
  return 0;
}
window.sign = sign;
"#;

    const SIGN_URL: &str = "http://127.0.0.1:4711/app.js?v=1";

    /// What V8 reports for `SIGN` after `sign(1); sign(2)`: the then-block ran as often as
    /// `sign`, so it is left out; the else-block never ran; the blocks after each `return` hold
    /// no code.
    fn sign_positive_twice() -> ScriptCoverage {
        let s = SIGN;
        let sign_end = end_of(s, "return \"neg\";\n  }\n}");
        let else_end = end_of(s, "return \"neg\";\n  }");
        script(
            SIGN_URL,
            s,
            vec![
                top(s),
                function(
                    "sign",
                    vec![
                        range(at(s, "function sign"), sign_end, 2),
                        range(
                            end_of(s, "return \"pos\";"),
                            end_of(s, "return \"pos\";\n  }"),
                            0,
                        ),
                        range(at(s, "{\n    return \"neg\""), else_end, 0),
                        range(else_end, sign_end - 1, 0),
                    ],
                ),
                function(
                    "never",
                    vec![range(at(s, "function never"), end_of(s, "return 0;\n}"), 0)],
                ),
            ],
        )
    }

    /// `sign(-1)` once: now the else-block is left out and the then-block never ran.
    fn sign_negative_once() -> ScriptCoverage {
        let s = SIGN;
        script(
            SIGN_URL,
            s,
            vec![
                top(s),
                function(
                    "sign",
                    vec![
                        range(
                            at(s, "function sign"),
                            end_of(s, "return \"neg\";\n  }\n}"),
                            1,
                        ),
                        range(
                            at(s, "{\n    return \"pos\""),
                            end_of(s, "return \"pos\";\n  }"),
                            0,
                        ),
                        range(
                            end_of(s, "return \"neg\";"),
                            end_of(s, "return \"neg\";\n  }"),
                            0,
                        ),
                    ],
                ),
                function(
                    "never",
                    vec![range(at(s, "function never"), end_of(s, "return 0;\n}"), 0)],
                ),
            ],
        )
    }

    #[test]
    fn a_cdp_entry_deserializes_without_a_source() {
        let entry = r#"{"scriptId":"12","url":"http://127.0.0.1:4711/app.js",
            "functions":[{"functionName":"f","isBlockCoverage":true,
            "ranges":[{"startOffset":3,"endOffset":40,"count":2},{"startOffset":10,"endOffset":20,"count":0}]}]}"#;
        let script: ScriptCoverage = serde_json::from_str(entry).unwrap();
        assert_eq!(
            script,
            ScriptCoverage {
                url: "http://127.0.0.1:4711/app.js".into(),
                functions: vec![function("f", vec![range(3, 40, 2), range(10, 20, 0)])],
                source: String::new(),
            }
        );
    }

    #[test]
    fn only_the_page_s_own_scripts_have_a_key() {
        assert_eq!(key_of(SIGN_URL).as_deref(), Some("/app.js"));
        assert_eq!(
            key_of("https://127.0.0.1:1/static/x.js#top").as_deref(),
            Some("/static/x.js")
        );
        assert_eq!(key_of("http://127.0.0.1:9/").as_deref(), Some("/"));
        assert_eq!(
            key_of("file:///srv/page/app.js").as_deref(),
            Some("/srv/page/app.js")
        );
        for foreign in [
            "",
            "about:blank",
            "data:text/javascript,1",
            "blob:http://127.0.0.1:9/4c0e",
            "chrome://new-tab-page/app.js",
            "chrome-extension://abcdef/content.js",
            "devtools://devtools/bundled/main.js",
            "extensions::SafeBuiltins",
            "VM42",
        ] {
            assert_eq!(key_of(foreign), None, "{foreign:?}");
        }
    }

    #[test]
    fn lines_count_their_innermost_range_and_skip_what_holds_no_code() {
        let report = merge(&[vec![sign_positive_twice()]]);
        let file = only(&report);
        assert_eq!(file.name(), "/app.js");
        // Line 2 is a comment, 8, 9 and 13 closing braces, 10 blank; line 6 (`} else {`) holds
        // `else`, outside the else-block.
        assert_eq!(
            file.lines,
            [
                (1, 1),
                (3, 2),
                (4, 2),
                (5, 2),
                (6, 2),
                (7, 0),
                (11, 0),
                (12, 0),
                (14, 1)
            ]
        );
        assert_eq!(
            file.functions,
            [
                FunctionHits {
                    name: "sign".into(),
                    line: 3,
                    hits: 2
                },
                FunctionHits {
                    name: "never".into(),
                    line: 11,
                    hits: 0
                },
            ]
        );
        // `sign`'s own range and its else-block; the codeless blocks after the returns are none,
        // the top level and `never` have no blocks.
        assert_eq!(
            file.branches,
            [
                BranchHits {
                    line: 3,
                    block: 1,
                    branch: 0,
                    hits: 2
                },
                BranchHits {
                    line: 7,
                    block: 1,
                    branch: 1,
                    hits: 0
                },
            ]
        );
        let totals = file.totals();
        assert_eq!(totals.lines, Counts { found: 9, hit: 6 });
        assert_eq!(totals.branches, Counts { found: 2, hit: 1 });
        assert_eq!(totals.functions, Counts { found: 2, hit: 1 });
    }

    #[test]
    fn records_add_up_and_a_block_one_record_left_out_inherits_its_enclosing_count() {
        let report = merge(&[vec![sign_positive_twice()], vec![sign_negative_once()]]);
        let file = only(&report);
        assert_eq!(file.records(), 2);
        assert_eq!(
            file.lines,
            [
                (1, 2),
                (3, 3),
                (4, 3),
                (5, 2),
                (6, 3),
                (7, 1),
                (11, 0),
                (12, 0),
                (14, 2)
            ]
        );
        // The then-block (line 5) only the second record reported (0); the first left it out as
        // it ran as often as `sign` (2). The else-block (line 7) the other way round.
        let hits: Vec<_> = file
            .branches
            .iter()
            .map(|b| (b.line, b.branch, b.hits))
            .collect();
        assert_eq!(hits, [(3, 0, 3), (5, 1, 2), (7, 2, 1)]);
        assert_eq!(file.functions[0].hits, 3);
        assert_eq!(file.functions[1].hits, 0);
        assert_eq!(
            report.totals(),
            Totals {
                lines: Counts { found: 9, hit: 7 },
                branches: Counts { found: 3, hit: 3 },
                functions: Counts { found: 2, hit: 1 },
            }
        );
    }

    #[test]
    fn lcov_of_a_tiny_script() {
        let s = "function f(x) {\n  if (x) {\n    return 1;\n  }\n  return 2;\n}\nf(1);\n";
        let f_end = end_of(s, "return 2;\n}");
        // f starts at 0 like the top level: the top level is the unnamed one.
        let tiny = script(
            "http://127.0.0.1:5000/tiny.js",
            s,
            vec![
                top(s),
                function(
                    "f",
                    vec![
                        range(0, f_end, 1),
                        range(end_of(s, "return 1;"), end_of(s, "return 1;\n  }"), 0),
                        range(end_of(s, "return 1;\n  }"), f_end - 1, 0),
                    ],
                ),
            ],
        );
        let expected = "\
SF:/tiny.js
FN:1,f
FNDA:1,f
FNF:1
FNH:1
BRDA:1,1,0,1
BRDA:5,1,1,0
BRF:2
BRH:1
DA:1,1
DA:2,1
DA:3,1
DA:5,0
DA:7,1
LF:5
LH:4
end_of_record
";
        assert_eq!(merge(&[vec![tiny]]).lcov(), expected);
    }

    #[test]
    fn offsets_are_utf16_code_units() {
        // "é" is 2 bytes and 1 unit, each "😀" 4 bytes and 2 units (1 char): read as bytes or
        // chars, g's range would start before `s;` and give line 2 g's count.
        let s = "const s = \"é😀😀\";\ns;\nfunction g() { return 1; }\n";
        let g = function(
            "g",
            vec![range(at(s, "function g"), end_of(s, "return 1; }"), 7)],
        );
        let report = merge(&[vec![script("http://127.0.0.1:1/u.js", s, vec![top(s), g])]]);
        let file = only(&report);
        assert_eq!(file.lines, [(1, 1), (2, 1), (3, 7)]);
        assert_eq!(file.functions[0].line, 3);
        assert_eq!(Text::new(s).units, s.encode_utf16().count() as u32);
    }

    #[test]
    fn comments_and_strings_are_told_apart() {
        // Line 7's escaped slash opens no block comment, which would swallow line 8.
        let s = "/* a\n * b */\nlet u = \"// no\"; // yes\n`\n}`;\n  // c\n/\\/*/.test(u);\nu;\n";
        let text = Text::new(s);
        assert_eq!(text.lines, [3, 4, 5, 7, 8]);
        // Nothing after `"// no";` on line 3 is code.
        let line3: Vec<_> = (0..text.offsets.len())
            .filter(|&k| text.lines[text.line_index[k]] == 3)
            .collect();
        assert_eq!(
            text.offsets[*line3.last().unwrap()],
            at(s, "; // yes") - 1,
            "the closing quote"
        );
    }

    #[test]
    fn a_source_the_most_records_had_wins_and_the_others_are_counted() {
        let changed = SIGN.replace("\"hi\"", "\"hello\"");
        let mut other = sign_positive_twice();
        other.source = changed;
        let report = merge(&[
            vec![other],
            vec![sign_positive_twice()],
            vec![sign_negative_once()],
        ]);
        let file = only(&report);
        assert_eq!((file.records(), file.skipped_records()), (2, 1));
        assert_eq!(file.lines[0], (1, 2), "the two records of SIGN only");
        let summary = report.to_string();
        assert!(
            summary.contains("note: /app.js: 1 raw files had another source"),
            "{summary}"
        );
    }

    #[test]
    fn inline_scripts_of_one_page_are_apart_and_a_reload_adds_up() {
        let url = "http://127.0.0.1:3000/index.html";
        let (a, b) = ("let a = 1;\n", "let b = 2;\n");
        let first = |source: &str| script(url, source, vec![top(source)]);
        let report = merge(&[vec![first(a), first(b), first(a)]]);
        let names: Vec<_> = report.files().iter().map(FileReport::name).collect();
        assert_eq!(names, ["/index.html", "/index.html#script-2"]);
        assert_eq!(report.files[0].lines, [(1, 2)], "loaded twice");
        assert_eq!(report.files[1].lines, [(1, 1)]);
    }

    #[test]
    fn the_summary_has_a_row_per_file_and_a_total() {
        let report = merge(&[vec![sign_positive_twice()]]);
        let summary = report.to_string();
        let rows: Vec<_> = summary.lines().collect();
        assert_eq!(rows[0], "JS coverage of 1 raw files");
        assert!(rows[1].starts_with("file "), "{summary}");
        assert_eq!(
            rows[2], "/app.js  66.7% (6/9)  50.0% (1/2)  50.0% (1/2)",
            "{summary}"
        );
        assert!(rows[3].starts_with("total    66.7% (6/9)"), "{summary}");
        assert_eq!(Counts::default().to_string(), "n/a (0/0)");
    }

    #[test]
    fn recorded_files_merge_back() {
        let dir = TempDir::new("round-trip");
        let raw = dir.0.join("raw");
        let blank = script("about:blank", "1;\n", vec![top("1;\n")]);
        let first = record(&raw, &[sign_positive_twice(), blank.clone()]).unwrap();
        let second = record(&raw, &[sign_negative_once(), blank]).unwrap();
        assert_ne!(first, second);
        let written = fs::read_to_string(&first).unwrap();
        assert!(!written.contains("about:blank"), "{written}");
        let names: Vec<_> = fs::read_dir(&raw)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names
                .iter()
                .all(|name| name.ends_with(".json") && !name.starts_with('.')),
            "{names:?}"
        );
        let report = Report::merge_dir(&raw).unwrap();
        assert_eq!(report.records(), 2);
        assert_eq!(
            report.totals().branches,
            Counts { found: 3, hit: 3 },
            "as merged in memory"
        );
        let lcov = dir.0.join("out/js-lcov.info");
        report.write_lcov(&lcov).unwrap();
        assert_eq!(fs::read_to_string(&lcov).unwrap(), report.lcov());
    }

    #[test]
    fn an_invalid_raw_file_fails_the_merge_with_its_path() {
        let dir = TempDir::new("invalid");
        record(&dir.0, &[sign_positive_twice()]).unwrap();
        let bad = dir.0.join("js-broken.json");
        fs::write(&bad, "{\"scripts\": [").unwrap();
        // Being written: skipped.
        fs::write(dir.0.join(".js-1-2-3.json.tmp"), "{").unwrap();
        let error = Report::merge_dir(&dir.0).unwrap_err();
        assert!(
            matches!(&error, CoverageError::Invalid { path, .. } if *path == bad),
            "{error:?}"
        );
        assert!(error.to_string().contains("js-broken.json"), "{error}");
    }

    #[test]
    fn no_raw_files_say_coverage_was_not_collected() {
        let dir = TempDir::new("empty");
        let missing = Report::merge_dir(&dir.0).unwrap_err();
        assert!(
            matches!(missing, CoverageError::NotCollected { reason, .. } if reason.contains("does not exist")),
            "{missing:?}"
        );
        fs::create_dir_all(&dir.0).unwrap();
        fs::write(dir.0.join(".js-1-2-3.json.tmp"), "{").unwrap();
        let empty = Report::merge_dir(&dir.0).unwrap_err().to_string();
        assert!(empty.contains("holds no raw coverage file"), "{empty}");
        assert!(empty.contains("HARNESS_JS_COVERAGE"), "{empty}");
    }
}
