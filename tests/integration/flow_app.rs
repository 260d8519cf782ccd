//! A small application with a real login, for the `flow` probe: a password
//! buys a bearer token; the token opens a protected resource; a form page sets
//! a CSRF cookie that a form post must echo; documents are created and read
//! back; a WebSocket accepts only a connection carrying the token. Any step can
//! be made to misbehave on purpose ([`Break`]).

use std::sync::{Arc, Mutex};

use futures::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use crate::apps::{App, Asked, Reply};

/// The password the application accepts.
pub const PASSWORD: &str = "correct-horse-battery";

/// Which part of the application misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// Everything works.
    Nothing,
    /// `/me` refuses every token (403).
    Profile,
    /// `/form` sets no CSRF cookie.
    Form,
    /// `/documents` refuses every form post as a CSRF failure (403).
    Csrf,
    /// `/documents/ID` answers 404.
    Read,
    /// The WebSocket refuses every upgrade (401).
    Socket,
    /// `/me` never answers.
    StallProfile,
}

/// The running application: HTTP and WebSocket.
pub struct FlowApp {
    pub http: App,
    pub ws_port: u16,
    /// The token `/login` hands out (different in every run of the tests).
    pub token: String,
    _ws_runtime: tokio::runtime::Runtime,
}

impl FlowApp {
    pub fn start(broken: Break) -> FlowApp {
        let token = format!("tok-{}", random_hex());
        let csrf = format!("csrf-{}", random_hex());
        let docs: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
        let (t, c) = (token.clone(), csrf.clone());
        let http = App::start(move |asked: &Asked| handle(asked, broken, &t, &c, &docs));
        let (ws_port, runtime) = websocket(token.clone(), broken == Break::Socket);
        FlowApp {
            http,
            ws_port,
            token,
            _ws_runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        self.http.url("")
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.ws_port)
    }
}

fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", h.finish())
}

fn authorized(asked: &Asked, token: &str) -> bool {
    asked.headers.get("authorization").map(String::as_str) == Some(&format!("Bearer {token}"))
}

fn handle(
    asked: &Asked,
    broken: Break,
    token: &str,
    csrf: &str,
    docs: &Mutex<Vec<String>>,
) -> Reply {
    match (asked.method.as_str(), asked.path.as_str()) {
        ("POST", "/login") => {
            let body: serde_json::Value = serde_json::from_str(&asked.body).unwrap_or_default();
            if body["user"] == "ada" && body["password"] == PASSWORD {
                Reply::json(200, format!(r#"{{"token":"{token}","user":"ada"}}"#))
            } else {
                Reply::json(401, r#"{"error":"bad credentials"}"#)
            }
        }
        ("GET", "/me") => match broken {
            Break::StallProfile => Reply::json(200, "{}").delay(30_000),
            Break::Profile => Reply::json(403, r#"{"error":"forbidden"}"#),
            _ if authorized(asked, token) => {
                // Echoes the token back, as a careless API might.
                Reply::json(200, format!(r#"{{"name":"Ada","session":"{token}"}}"#))
            }
            _ => Reply::json(401, r#"{"error":"no token"}"#),
        },
        ("GET", "/form") if broken == Break::Form => Reply::new(200, "<form></form>"),
        ("GET", "/form") => Reply::new(
            200,
            format!(
                r#"<form method="post"><input type="hidden" name="csrf" value="{csrf}"></form>"#
            ),
        )
        .header("Content-Type", "text/html")
        .header("Set-Cookie", &format!("csrftoken={csrf}; Path=/; HttpOnly")),
        ("POST", "/documents") => {
            let cookie_ok = asked
                .headers
                .get("cookie")
                .is_some_and(|c| c.split("; ").any(|p| p == format!("csrftoken={csrf}")));
            let form: Vec<(String, String)> = reqwest_free_form(&asked.body);
            let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let form_ok = field("csrf").as_deref() == Some(csrf);
            if broken == Break::Csrf || !cookie_ok || !form_ok || !authorized(asked, token) {
                return Reply::json(403, r#"{"error":"CSRF check failed"}"#);
            }
            let title = field("title").unwrap_or_default();
            let mut docs = docs.lock().expect("docs");
            docs.push(title.clone());
            let id = format!("doc-{}", docs.len());
            Reply::json(201, format!(r#"{{"id":"{id}","title":"{title}"}}"#))
                .header("Location", &format!("/documents/{id}"))
        }
        ("GET", path) if path.starts_with("/documents/") => {
            let id = &path["/documents/".len()..];
            let n: usize = id
                .strip_prefix("doc-")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let docs = docs.lock().expect("docs");
            match docs.get(n.wrapping_sub(1)) {
                Some(title) if broken != Break::Read && authorized(asked, token) => {
                    Reply::json(200, format!(r#"{{"id":"{id}","title":"{title}"}}"#))
                }
                _ => Reply::json(404, r#"{"error":"no such document"}"#),
            }
        }
        _ => Reply::new(404, "not found"),
    }
}

/// `a=b&c=d` decoded (`+` is a space, `%XX` a byte).
fn reqwest_free_form(body: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let Some(b) = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// The collaboration socket: `join DOC` is answered `joined DOC`, for a
/// connection whose upgrade carries `Authorization: Bearer TOKEN`.
pub fn websocket(token: String, refuse: bool) -> (u16, tokio::runtime::Runtime) {
    let runtime = crate::tls_support::runtime();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let token = token.clone();
            tokio::spawn(async move {
                #[allow(clippy::result_large_err)]
                let check = move |request: &Request, response: Response| {
                    let auth = request
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if refuse || auth != format!("Bearer {token}") {
                        let mut no = ErrorResponse::new(Some("unauthorized".to_owned()));
                        *no.status_mut() =
                            tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
                        return Err(no);
                    }
                    Ok(response)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, check).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    match message {
                        Message::Text(text) => {
                            let reply = match text.as_str().strip_prefix("join ") {
                                Some(doc) => format!("joined {doc}"),
                                None => "unknown command".to_owned(),
                            };
                            if ws.send(Message::text(reply)).await.is_err() {
                                return;
                            }
                        }
                        Message::Close(_) => return,
                        _ => {}
                    }
                }
            });
        }
    });
    (port, runtime)
}
