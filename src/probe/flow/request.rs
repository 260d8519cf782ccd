//! What a step sends: the `http` probe it becomes (captures filled in, the
//! query encoded, a JSON or form body with its content type), or the
//! `websocket` probe (captures filled in, the flow's cookies for that site).

use crate::checklist::text::Text;
use crate::probe::flow::step::{FlowStep, Tls};
use crate::probe::flow::template::{self, Captured};
use crate::probe::http::HttpProbe;
use crate::probe::web::RequestHeaders;
use crate::probe::websocket::WebsocketProbe;

impl FlowStep {
    /// The `http` probe this step sends, with captures filled in (or, with
    /// `sample`, replaced by `x`, to check the shape before anything runs).
    pub(super) fn http(
        &self,
        tls: &Tls,
        captured: &Captured,
        sample: bool,
    ) -> Result<HttpProbe, String> {
        let fill = |t: &Text| {
            if sample {
                template::sample(t)
            } else {
                template::render(t, captured)
            }
        };
        let url = self.url.as_ref().map(fill).unwrap_or_default();
        let url = if self.query.is_empty() {
            url
        } else {
            let mut parsed = reqwest::Url::parse(&url).map_err(|e| {
                format!(
                    "url `{}` is not a valid URL: {e}",
                    crate::probe::web::redact_url(&url)
                )
            })?;
            let mut secret = url.env_parts().to_vec();
            for (name, value) in &self.query {
                let value = fill(value);
                secret.extend(value.env_parts().iter().cloned());
                parsed.query_pairs_mut().append_pair(name, &value);
            }
            Text::with_secret_parts(parsed.to_string(), secret)
        };
        let mut headers: RequestHeaders = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), fill(v)))
            .collect();
        let has_type = headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"));
        let mut content_type = |value: &str| {
            if !has_type {
                headers.insert("Content-Type".to_owned(), Text::literal(value));
            }
        };
        let body = if let Some(json) = &self.json {
            content_type("application/json");
            let (value, secrets) = if sample {
                (serde_json::Value::Null, Vec::new())
            } else {
                json.render(captured)
            };
            Some(Text::with_secret_parts(value.to_string(), secrets))
        } else if self.form.is_empty() {
            self.body.as_ref().map(fill)
        } else {
            content_type("application/x-www-form-urlencoded");
            let mut encoded = form_urlencoded::Serializer::new(String::new());
            let mut secrets = Vec::new();
            for (name, value) in &self.form {
                let value = fill(value);
                if value.from_env() {
                    secrets.push(value.as_str().to_owned());
                    secrets.extend(value.env_parts().iter().cloned());
                }
                encoded.append_pair(name, &value);
            }
            Some(Text::with_secret_parts(encoded.finish(), secrets))
        };
        Ok(HttpProbe {
            url,
            method: self.method.clone(),
            headers,
            body,
            follow_redirects: self.follow_redirects,
            max_redirects: None,
            tls: tls.clone(),
            samples: None,
            max_body: self.max_body,
            expect: self.expect.clone(),
        })
    }

    /// The WebSocket to open: captures filled in, the flow's cookies for its
    /// origin sent with the upgrade, the flow's `tls:` unless the step has
    /// TLS settings of its own.
    pub(super) fn socket(
        ws: &WebsocketProbe,
        tls: &Tls,
        jar: &reqwest::cookie::Jar,
        captured: &Captured,
    ) -> WebsocketProbe {
        use reqwest::cookie::CookieStore as _;
        let mut socket = ws.clone();
        if ws.tls.options() == crate::probe::web::TlsOptions::default() && ws.ca_file.is_none() {
            socket.tls = tls.clone();
        }
        socket.url = template::render(&ws.url, captured);
        socket.send = ws.send.as_ref().map(|s| template::render(s, captured));
        socket.headers = ws
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), template::render(v, captured)))
            .collect();
        let http_url = socket
            .url
            .replacen("wss://", "https://", 1)
            .replacen("ws://", "http://", 1);
        if let Ok(url) = reqwest::Url::parse(&http_url)
            && let Some(cookies) = jar.cookies(&url)
            && !socket
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("cookie"))
        {
            let value = String::from_utf8_lossy(cookies.as_bytes()).into_owned();
            socket.headers.insert(
                "Cookie".to_owned(),
                Text::with_secret_parts(value.clone(), vec![value]),
            );
        }
        socket
    }
}
