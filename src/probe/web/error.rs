//! Why a request failed, told to a person, without the URL's secrets.

/// `could not resolve host api.example.com (Name or service not known)`: the
/// resolver's own reason, without the layers of wrapping around it.
pub fn unresolved(host: &str, cause: &str) -> String {
    let reason = cause.rsplit(": ").next().unwrap_or(cause).trim();
    format!("could not resolve host {host} ({reason})")
}

/// A person's account of why a request to `url` failed.
pub fn describe_error(error: &reqwest::Error, url: &reqwest::Url) -> String {
    let place = match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        _ => String::new(),
    };
    if error.is_timeout() {
        return format!("timed out talking to {place}");
    }
    let cause = root_cause(error);
    let lower = cause.to_ascii_lowercase();
    if lower.contains("connection refused") {
        format!("connection refused ({place})")
    } else if lower.contains("failed to lookup address") || lower.contains("dns error") {
        unresolved(url.host_str().unwrap_or_default(), &cause)
    } else if lower.contains("message head is too large") || lower.contains("too many headers") {
        format!("the response headers are too large ({place}): {cause}")
    } else if lower.contains("invalid peer certificate") {
        format!(
            "the TLS certificate of {place} is not trusted ({}): for a private CA, set tls: {{ ca_file: … }}",
            cause.trim_start_matches("invalid peer certificate: ")
        )
    } else if lower.starts_with("invalid http") {
        format!("the server did not answer in HTTP ({place}): {cause}")
    } else if error.is_connect() {
        format!("could not connect to {place}: {cause}")
    } else if error.is_body() || error.is_decode() {
        format!("reading the body from {place}: {cause}")
    } else {
        format!("{cause} ({place})")
    }
}

/// The innermost error message, which is usually the informative one.
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    // reqwest's outer messages repeat the URL, which may hold secrets.
    if text.contains("://") {
        "request failed".to_owned()
    } else {
        text
    }
}
