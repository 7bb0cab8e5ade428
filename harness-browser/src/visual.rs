//! Visual comparisons, as Playwright's `toHaveScreenshot`: a screenshot of the page or of one
//! element, compared pixel by pixel with a baseline PNG kept beside the test
//! (`<test file>-snapshots/<name>-<browser>-<os>.png`), retried until it matches or the timeout
//! passes; a mismatch leaves the baseline, the screenshot and their difference in the failed
//! test's report. `HARNESS_UPDATE_SNAPSHOTS` decides which baselines a run writes.

use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, Instant};

use harness_core::config::{self, UpdateSnapshots};
use serde_json::json;

use super::driver::http_json;
use super::error::WaitError;
use super::locator::{Locator, RESOLVER};
use super::report::Comparison;
use super::session::Browser;
use super::wait::Attempt;

/// Playwright's default: how far apart two colours may be (0 to 1, in the YIQ space) and still
/// count as the same pixel.
const DEFAULT_THRESHOLD: f64 = 0.2;

/// Playwright's mask colour.
const DEFAULT_MASK_COLOR: &str = "#FF00FF";

/// A visual comparison under construction; await it. From [`Expect::to_have_screenshot`]
/// (an element) or [`PageExpect::to_have_screenshot`] (the page's viewport).
///
/// [`Expect::to_have_screenshot`]: crate::Expect::to_have_screenshot
/// [`PageExpect::to_have_screenshot`]: crate::PageExpect::to_have_screenshot
#[derive(Debug)]
#[must_use = "a comparison does nothing until awaited"]
pub struct ToHaveScreenshot<'a> {
    browser: &'a Browser,
    target: Option<Locator>,
    name: String,
    caller: &'static Location<'static>,
    timeout: Duration,
    negated: bool,
    threshold: f64,
    max_diff_pixels: Option<usize>,
    max_diff_pixel_ratio: Option<f64>,
    masks: Vec<Locator>,
    mask_color: String,
    full_page: bool,
}

impl<'a> ToHaveScreenshot<'a> {
    pub(crate) fn new(
        browser: &'a Browser,
        target: Option<Locator>,
        name: &str,
        caller: &'static Location<'static>,
        timeout: Duration,
        negated: bool,
    ) -> ToHaveScreenshot<'a> {
        ToHaveScreenshot {
            browser,
            target,
            name: name.to_owned(),
            caller,
            timeout,
            negated,
            threshold: DEFAULT_THRESHOLD,
            max_diff_pixels: None,
            max_diff_pixel_ratio: None,
            masks: Vec::new(),
            mask_color: DEFAULT_MASK_COLOR.to_owned(),
            full_page: false,
        }
    }

    /// How different two colours may be and still count as the same pixel: 0 (exactly the same)
    /// to 1 (anything); 0.2 by default, as Playwright's.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold.clamp(0.0, 1.0);
        self
    }

    /// How many pixels may differ (default none); with a ratio too, the smaller allowance holds.
    pub fn max_diff_pixels(mut self, pixels: usize) -> Self {
        self.max_diff_pixels = Some(pixels);
        self
    }

    /// Which share of the pixels may differ, 0 to 1 (default none).
    pub fn max_diff_pixel_ratio(mut self, ratio: f64) -> Self {
        self.max_diff_pixel_ratio = Some(ratio.clamp(0.0, 1.0));
        self
    }

    /// How many of `total` pixels may differ.
    fn allowed(&self, total: usize) -> usize {
        let by_ratio = self
            .max_diff_pixel_ratio
            .map(|ratio| (ratio * total as f64) as usize);
        match (self.max_diff_pixels, by_ratio) {
            (Some(pixels), Some(ratio)) => pixels.min(ratio),
            (pixels, ratio) => pixels.or(ratio).unwrap_or(0),
        }
    }

    /// Paint over every element `locator` matches before the screenshot (a clock, an avatar, an
    /// ad), in the mask colour: it is the same in the baseline and in every run.
    pub fn mask(mut self, locator: impl Into<Locator>) -> Self {
        self.masks.push(locator.into());
        self
    }

    /// The masks' colour, a CSS colour (default `#FF00FF`, as Playwright's).
    pub fn mask_color(mut self, color: &str) -> Self {
        color.clone_into(&mut self.mask_color);
        self
    }

    /// The whole page, scrolled or not, instead of the viewport (Playwright's `fullPage`); for a
    /// page's screenshot only. Chrome and Firefox through the harness's drivers.
    pub fn full_page(mut self) -> Self {
        self.full_page = true;
        self
    }

    /// Wait up to `timeout` for the page to match instead of the default.
    pub fn within(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn what(&self) -> String {
        match &self.target {
            Some(locator) => format!("the screenshot {:?} of {locator}", self.name),
            None => format!("the screenshot {:?} of the page", self.name),
        }
    }

    fn error(&self, baseline: &Path, problem: String) -> WaitError {
        WaitError::Snapshot {
            name: self.name.clone(),
            baseline: baseline.to_path_buf(),
            problem,
        }
    }

    /// Where the baseline is: in the browser's snapshot directory if the test set one, else in
    /// `<test file>-snapshots/` beside the test's source file.
    fn baseline(&self) -> Result<PathBuf, WaitError> {
        let stem = self.name.strip_suffix(".png").unwrap_or(&self.name);
        let safe: String = stem
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
                _ => '-',
            })
            .collect();
        let file = format!(
            "{safe}-{}-{}.png",
            self.browser.browser_name(),
            std::env::consts::OS
        );
        if safe.trim_matches(['-', '.']).is_empty() {
            return Err(self.error(
                Path::new(&file),
                "a screenshot needs a name with a letter or a digit in it".into(),
            ));
        }
        if let Some(dir) = self.browser.snapshot_dir() {
            return Ok(dir.join(file));
        }
        let source = source_file(self.caller.file()).ok_or_else(|| {
            self.error(
                Path::new(&file),
                format!(
                    "the test's source file {} was not found from the test's directory, so its \
                     baselines have no place beside it; run the test from its package \
                     (cargo does), or give the browser a directory for them \
                     (Browser::set_snapshot_dir)",
                    self.caller.file()
                ),
            )
        })?;
        let mut dir = source.file_name().unwrap_or_default().to_os_string();
        dir.push("-snapshots");
        Ok(source.with_file_name(dir).join(file))
    }

    async fn run(self) -> Result<(), WaitError> {
        let baseline_path = self.baseline()?;
        if self.full_page && self.target.is_some() {
            return Err(self.error(
                &baseline_path,
                "full_page() is for a screenshot of the page (expect_page()), not of an element"
                    .into(),
            ));
        }
        let baseline = match std::fs::read(&baseline_path) {
            Ok(bytes) => {
                let image = decode(&bytes).map_err(|e| {
                    self.error(
                        &baseline_path,
                        format!("the baseline is not a PNG the harness can read: {e}"),
                    )
                })?;
                Some((bytes, image))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(self.error(&baseline_path, format!("cannot read the baseline: {e}")));
            }
        };
        let mode = config::current().update_snapshots;
        if baseline.is_none() && mode == UpdateSnapshots::None {
            return Err(self.error(
                &baseline_path,
                "there is no baseline, and HARNESS_UPDATE_SNAPSHOTS=none writes none: run the \
                 test once without it to write the baseline, look at it, and commit it"
                    .into(),
            ));
        }
        if baseline.is_none() && self.negated {
            return Err(self.error(
                &baseline_path,
                "there is no baseline for the page to differ from".into(),
            ));
        }
        let mut previous: Option<Image> = None;
        // The last stable screenshot that differed from the baseline, and how.
        let mut mismatch: Option<(Vec<u8>, Difference)> = None;
        let expected = if self.negated {
            "not to match its baseline"
        } else {
            "to match its baseline"
        };
        // An element's own wait, in each attempt, takes no longer than the comparison has left.
        let deadline = Instant::now() + self.timeout;
        let outcome = self
            .browser
            .retry(
                self.what(),
                expected.into(),
                self.timeout,
                true,
                async || {
                    let png = match self.capture(deadline).await {
                        Ok(png) => png,
                        Err(attempt) => return attempt,
                    };
                    let image = match decode(&png) {
                        Ok(image) => image,
                        Err(e) => return Attempt::NotYet(format!("an unreadable screenshot: {e}")),
                    };
                    let stable = previous.as_ref() == Some(&image);
                    let Some((_, expected)) = &baseline else {
                        // Written only once the page has stopped changing.
                        previous = Some(image);
                        return match stable {
                            true => Attempt::Done(Some(png)),
                            false => Attempt::NotYet("a page still changing".into()),
                        };
                    };
                    let difference = compare(expected, &image, self.threshold);
                    let allowed = self.allowed(difference.total);
                    let matches = difference.fits(allowed);
                    if matches != self.negated {
                        return Attempt::Done(None);
                    }
                    let seen = match matches {
                        true => "a page that matches its baseline".to_owned(),
                        false => difference.describe(allowed),
                    };
                    if stable && !matches {
                        mismatch = Some((png, difference));
                    }
                    previous = Some(image);
                    Attempt::NotYet(format!(
                        "{seen} ({}); the baseline, the page and their difference are in the \
                         failed test's report; HARNESS_UPDATE_SNAPSHOTS=all takes the page as \
                         the new baseline",
                        baseline_path.display()
                    ))
                },
            )
            .await;
        match outcome {
            Ok(None) => Ok(()),
            Ok(Some(png)) => {
                write_baseline(&baseline_path, &png).map_err(|e| self.error(&baseline_path, e))?;
                match mode {
                    UpdateSnapshots::All => Ok(()),
                    _ => Err(self.error(
                        &baseline_path,
                        "there was no baseline: the page's screenshot was written there; look \
                         at it and commit it, and the next run compares against it"
                            .into(),
                    )),
                }
            }
            Err(e) => {
                let Some((png, difference)) = mismatch else {
                    return Err(e);
                };
                if mode == UpdateSnapshots::All && !self.negated {
                    write_baseline(&baseline_path, &png)
                        .map_err(|e| self.error(&baseline_path, e))?;
                    eprintln!(
                        "harness: {} differed from its baseline; HARNESS_UPDATE_SNAPSHOTS=all wrote the page there: {}",
                        self.what(),
                        baseline_path.display()
                    );
                    return Ok(());
                }
                let expected_png = baseline.map(|(bytes, _)| bytes).unwrap_or_default();
                self.browser.record_comparison(Comparison {
                    name: self.name.clone(),
                    baseline: baseline_path,
                    summary: difference.describe(self.allowed(difference.total)),
                    expected: expected_png,
                    actual: png,
                    diff: difference.image.map(|image| encode(&image)),
                });
                Err(e)
            }
        }
    }

    /// One screenshot with the caret hidden, animations finished and the masks painted.
    async fn capture(&self, deadline: Instant) -> Result<Vec<u8>, Attempt<Option<Vec<u8>>>> {
        let client = self.browser.client();
        let prepare = format!("{RESOLVER}\n{PREPARE}");
        if let Err(e) = client
            .execute(&prepare, vec![json!(self.masks), json!(self.mask_color)])
            .await
        {
            return Err(Attempt::NotYet(format!(
                "a page that could not be prepared: {e}"
            )));
        }
        let shot = match &self.target {
            None if self.full_page => self.browser.full_page_png().await,
            None => client.screenshot().await.map_err(|e| e.to_string()),
            Some(locator) => match self
                .browser
                .visible_one(locator, deadline.saturating_duration_since(Instant::now()))
                .await
            {
                Ok(element) => element.screenshot().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
        };
        let _ = client.execute(RESTORE, Vec::new()).await;
        shot.map_err(|e| Attempt::NotYet(format!("no screenshot: {e}")))
    }
}

impl<'a> IntoFuture for ToHaveScreenshot<'a> {
    type Output = Result<(), WaitError>;
    // Not `Send`: the retry's async closure borrows the comparison's state, which the compiler
    // cannot yet prove `Send` for every lifetime; a test awaits it where it runs.
    type IntoFuture = Pin<Box<dyn Future<Output = Result<(), WaitError>> + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl Browser {
    /// The whole page as one PNG: Chrome's DevTools screenshot beyond the viewport through
    /// chromedriver, or geckodriver's full-page endpoint (WebDriver itself has none).
    async fn full_page_png(&self) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        let session = format!("{}/session/{}", self.webdriver_url(), self.session_id());
        let answer = match self.browser_name() {
            "firefox" => {
                http_json(
                    reqwest::Method::GET,
                    &format!("{session}/moz/screenshot/full"),
                    None,
                )
                .await?
            }
            _ => {
                let size = self
                    .client()
                    .execute(
                        "const e = document.documentElement; \
                         return [Math.max(e.scrollWidth, innerWidth), Math.max(e.scrollHeight, innerHeight)];",
                        Vec::new(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let answer = http_json(
                    reqwest::Method::POST,
                    &format!("{session}/goog/cdp/execute"),
                    Some(json!({"cmd": "Page.captureScreenshot", "params": {
                        "format": "png",
                        "captureBeyondViewport": true,
                        "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
                    }})),
                )
                .await?;
                json!({"value": answer["value"]["data"]})
            }
        };
        let encoded = answer["value"].as_str().ok_or_else(|| {
            format!("no full-page screenshot from this WebDriver server: {answer}")
        })?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| e.to_string())
    }
}

/// Hides the caret, ends animations (finite ones at their end, endless ones at their start) and
/// paints a box over each mask's matches, positioned on the document so that an element
/// screenshot's scrolling keeps them in place. `arguments`: the masks' locators, the colour.
const PREPARE: &str = "const [masks, color] = arguments; \
    let style = document.getElementById('harness-visual'); \
    if (!style) { style = document.createElement('style'); style.id = 'harness-visual'; \
      style.textContent = '*, *::before, *::after { caret-color: transparent !important; }'; \
      document.documentElement.appendChild(style); } \
    for (const a of (document.getAnimations ? document.getAnimations() : [])) { \
      try { a.finish(); } catch (e) { a.cancel(); } } \
    document.querySelectorAll('[data-harness-mask]').forEach((m) => m.remove()); \
    for (const mask of masks) for (const el of harnessResolve(mask)) { \
      const r = el.getBoundingClientRect(); if (!r.width || !r.height) continue; \
      const box = document.createElement('div'); box.setAttribute('data-harness-mask', ''); \
      box.style.cssText = `position:absolute;left:${r.left + scrollX}px;top:${r.top + scrollY}px;` \
        + `width:${r.width}px;height:${r.height}px;background:${color};z-index:2147483647;` \
        + 'pointer-events:none;margin:0;padding:0;border:0'; \
      document.documentElement.appendChild(box); } \
    return true;";

const RESTORE: &str = "document.getElementById('harness-visual')?.remove(); \
    document.querySelectorAll('[data-harness-mask]').forEach((m) => m.remove());";

/// The test's source file, from the path rustc recorded for it: relative to the workspace's root
/// (or the package's), which is the test's directory or one of its ancestors.
fn source_file(recorded: &str) -> Option<PathBuf> {
    let recorded = Path::new(recorded);
    if recorded.is_absolute() {
        return recorded.is_file().then(|| recorded.to_path_buf());
    }
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())?;
    start
        .ancestors()
        .map(|dir| dir.join(recorded))
        .find(|candidate| candidate.is_file())
}

/// Written beside and renamed into place: a baseline is whole or not there.
fn write_baseline(path: &Path, png: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let partial = path.with_extension(format!("png.{}.partial", std::process::id()));
    std::fs::write(&partial, png)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            format!("cannot write the baseline: {e}")
        })
}

/// An image as 8-bit RGBA rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

pub(crate) fn decode(png: &[u8]) -> Result<Image, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buffer = vec![0; reader.output_buffer_size().ok_or("an image too large")?];
    let info = reader.next_frame(&mut buffer).map_err(|e| e.to_string())?;
    buffer.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buffer,
        png::ColorType::Rgb => buffer
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buffer
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buffer.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err("a palette image the decoder did not expand".into()),
    };
    Ok(Image {
        width: info.width,
        height: info.height,
        rgba,
    })
}

pub(crate) fn encode(image: &Image) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    // Writing to memory fails only on an image whose size and data disagree, which `compare`
    // never makes.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(&image.rgba);
    }
    out
}

/// How two images differ.
#[derive(Debug)]
pub(crate) struct Difference {
    pub(crate) differing: usize,
    pub(crate) total: usize,
    /// Their sizes, when they differ (every pixel then counts as differing).
    pub(crate) sizes: Option<((u32, u32), (u32, u32))>,
    /// The expected image faded to grey, the differing pixels in red.
    pub(crate) image: Option<Image>,
}

impl Difference {
    fn fits(&self, allowed: usize) -> bool {
        self.sizes.is_none() && self.differing <= allowed
    }

    fn describe(&self, allowed: usize) -> String {
        if let Some(((ew, eh), (aw, ah))) = self.sizes {
            return format!("a screenshot of {aw}×{ah} pixels against a baseline of {ew}×{eh}");
        }
        format!(
            "{} of {} pixels differing ({:.2}%), {allowed} allowed",
            self.differing,
            self.total,
            self.differing as f64 * 100.0 / self.total.max(1) as f64
        )
    }
}

/// Compare pixel by pixel: two pixels differ when their colours, blended onto white, are further
/// apart than `threshold` in the YIQ space (the perceptual distance pixelmatch and Playwright use,
/// from Kotsarenko and Ramos, 2010). Hand-written: the one Rust port of pixelmatch is an
/// unmaintained 0.1 that pulls in the whole `image` crate, and this is its core in 40 lines.
pub(crate) fn compare(expected: &Image, actual: &Image, threshold: f64) -> Difference {
    if (expected.width, expected.height) != (actual.width, actual.height) {
        return Difference {
            differing: actual.rgba.len() / 4,
            total: actual.rgba.len() / 4,
            sizes: Some((
                (expected.width, expected.height),
                (actual.width, actual.height),
            )),
            image: None,
        };
    }
    const MAX_DELTA: f64 = 35215.0;
    let limit = MAX_DELTA * threshold * threshold;
    let mut out = Vec::with_capacity(expected.rgba.len());
    let mut differing = 0;
    for (e, a) in expected
        .rgba
        .chunks_exact(4)
        .zip(actual.rgba.chunks_exact(4))
    {
        if e == a || yiq_delta(e, a) <= limit {
            let (y, _, _) = yiq(blend(e));
            let faded = (255.0 + (y - 255.0) * 0.1).clamp(0.0, 255.0) as u8;
            out.extend_from_slice(&[faded, faded, faded, 255]);
        } else {
            differing += 1;
            out.extend_from_slice(&[255, 0, 0, 255]);
        }
    }
    Difference {
        differing,
        total: expected.rgba.len() / 4,
        sizes: None,
        image: Some(Image {
            width: expected.width,
            height: expected.height,
            rgba: out,
        }),
    }
}

fn blend(p: &[u8]) -> [f64; 3] {
    let alpha = f64::from(p[3]) / 255.0;
    [0, 1, 2].map(|i| 255.0 + (f64::from(p[i]) - 255.0) * alpha)
}

fn yiq([r, g, b]: [f64; 3]) -> (f64, f64, f64) {
    (
        r * 0.298_895_31 + g * 0.586_622_47 + b * 0.114_482_23,
        r * 0.595_977_99 - g * 0.274_176_10 - b * 0.321_801_89,
        r * 0.211_470_17 - g * 0.522_617_11 + b * 0.311_146_94,
    )
}

fn yiq_delta(e: &[u8], a: &[u8]) -> f64 {
    let (y1, i1, q1) = yiq(blend(e));
    let (y2, i2, q2) = yiq(blend(a));
    let (dy, di, dq) = (y1 - y2, i1 - i2, q1 - q2);
    0.5053 * dy * dy + 0.299 * di * di + 0.1957 * dq * dq
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(width: u32, height: u32, rgba: [u8; 4]) -> Image {
        Image {
            width,
            height,
            rgba: rgba.repeat((width * height) as usize),
        }
    }

    #[test]
    fn an_image_survives_encoding_and_decoding() {
        let mut image = solid(3, 2, [10, 20, 30, 255]);
        image.rgba[4..8].copy_from_slice(&[200, 100, 0, 128]);
        assert_eq!(decode(&encode(&image)).unwrap(), image);
    }

    #[test]
    fn pixels_differ_by_perceived_colour_within_the_threshold() {
        let white = solid(2, 2, [255, 255, 255, 255]);
        let near_white = solid(2, 2, [250, 250, 250, 255]);
        let black = solid(2, 2, [0, 0, 0, 255]);
        assert_eq!(compare(&white, &near_white, 0.2).differing, 0);
        assert_eq!(compare(&white, &near_white, 0.0).differing, 4);
        let difference = compare(&white, &black, 0.2);
        assert_eq!(difference.differing, 4);
        assert!(!difference.fits(3) && difference.fits(4));
        assert_eq!(
            difference.describe(3),
            "4 of 4 pixels differing (100.00%), 3 allowed"
        );
        // The difference image marks them in red.
        assert_eq!(&difference.image.unwrap().rgba[..4], &[255, 0, 0, 255]);
    }

    #[test]
    fn images_of_different_sizes_never_match() {
        let difference = compare(
            &solid(2, 2, [0, 0, 0, 255]),
            &solid(2, 3, [0, 0, 0, 255]),
            1.0,
        );
        assert!(!difference.fits(usize::MAX));
        assert_eq!(
            difference.describe(0),
            "a screenshot of 2×3 pixels against a baseline of 2×2"
        );
    }

    #[test]
    fn the_source_file_is_found_from_the_package_directory() {
        // rustc records this file relative to the workspace's root; tests run in the package's.
        let found = source_file(file!()).expect("found from CARGO_MANIFEST_DIR's ancestors");
        assert!(
            found.ends_with("harness-browser/src/visual.rs"),
            "{found:?}"
        );
        assert_eq!(source_file("no/such/file.rs"), None);
    }
}
