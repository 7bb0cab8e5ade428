//! The `tracing` output of this process, kept in memory so that an in-process service's log can
//! be read back and saved with a failed test's artifacts without the test wiring anything.

use std::sync::Mutex;

/// Past this, later output is dropped (a test process that logs more is not reading it all).
const LIMIT: usize = 16 << 20;

static BUFFER: Mutex<String> = Mutex::new(String::new());

/// Writes into the buffer; one per event.
pub(crate) struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut buffer = BUFFER.lock().unwrap_or_else(|e| e.into_inner());
        if buffer.len() < LIMIT {
            buffer.push_str(&String::from_utf8_lossy(bytes));
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The default field formatter under a type of its own (see `init_tracing`).
#[derive(Default)]
pub(crate) struct PlainFields(tracing_subscriber::fmt::format::DefaultFields);

impl<'writer> tracing_subscriber::fmt::FormatFields<'writer> for PlainFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        writer: tracing_subscriber::fmt::format::Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        self.0.format_fields(writer, fields)
    }
}

/// Install the harness's subscriber, which feeds the buffer (once; a subscriber the test set
/// itself wins, and then nothing is captured).
pub(crate) fn install() {
    crate::init_tracing();
}

/// Where the buffer ends now.
pub(crate) fn position() -> usize {
    BUFFER.lock().unwrap_or_else(|e| e.into_inner()).len()
}

/// Everything captured from `position` on.
pub fn since(position: usize) -> String {
    let buffer = BUFFER.lock().unwrap_or_else(|e| e.into_inner());
    buffer.get(position..).unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_after_a_position_are_read_back() {
        install();
        let from = position();
        // In a span: its fields are formatted once per formatter type, and the test output's
        // layer colours them.
        let span = tracing::info_span!("request", method = "GET", uri = "/");
        span.in_scope(|| tracing::info!(answer = 42, "captured event"));
        let log = since(from);
        assert!(log.contains("captured event"), "{log:?}");
        assert!(log.contains("answer=42"), "{log:?}");
        assert!(log.contains("request{method=\"GET\" uri=\"/\"}"), "{log:?}");
        assert!(
            !log.contains('\u{1b}'),
            "no colour codes in a saved log: {log:?}"
        );
    }
}
