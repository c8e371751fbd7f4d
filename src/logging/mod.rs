//! Logging set-up for hosts. Library code logs only through `tracing`; a host installs a
//! subscriber once per process.

/// Installs a subscriber that writes `haptix` records at `level` and above to standard error.
/// `level` is `error`, `warn`, `info`, `debug`, `trace` or `off`. Fails when the level is
/// invalid or a subscriber is already installed. Colours are used only when standard error is
/// a terminal, so a log redirected to a file holds plain text.
pub fn init_stderr(level: &str) -> Result<(), String> {
    let level = level.trim().to_ascii_lowercase();
    if !["error", "warn", "info", "debug", "trace", "off"].contains(&level.as_str()) {
        return Err(format!(
            "invalid log level {level:?} (expected error, warn, info, debug, trace or off)"
        ));
    }
    let filter = tracing_subscriber::EnvFilter::try_new(format!("haptix={level}"))
        .map_err(|e| format!("invalid log level {level:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init()
        .map_err(|e| format!("cannot install the log subscriber: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rejects_bad_levels() {
        assert!(super::init_stderr("loud").is_err());
    }
}
