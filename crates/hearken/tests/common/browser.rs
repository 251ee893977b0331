//! A signed-in browser for page tests: keeps cookies between requests and reads the CSRF
//! token forms carry.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use super::{TestApp, TestUser};

/// A browser: keeps cookies between requests.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    /// Signs `user` in through the login form.
    pub async fn signed_in(app: &'a TestApp, user: &TestUser) -> Browser<'a> {
        let mut b = Browser {
            app,
            cookies: Vec::new(),
        };
        let (_, _, login) = b.get("/login").await;
        let csrf = csrf_of(&login);
        let (status, headers, _) = b
            .post(
                "/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("email", &user.email),
                    ("password", &user.password),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "signing in {}", user.email);
        assert_eq!(headers[header::LOCATION], "/inbox");
        b
    }

    pub async fn go(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let cookies = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, cookies);
        let body = match form {
            Some(f) => {
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(serde_urlencoded::to_string(f).unwrap())
            }
            None => Body::empty(),
        };
        let (status, headers, bytes) = self.app.send(b.body(body).unwrap()).await;
        for v in headers.get_all(header::SET_COOKIE) {
            let first = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = first.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !val.is_empty() {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        (status, headers, String::from_utf8(bytes).unwrap())
    }

    pub async fn get(&mut self, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        self.go("GET", path, None).await
    }

    pub async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        self.go("POST", path, Some(form)).await
    }

    /// GETs a page that must render, and returns it with its CSRF token.
    pub async fn page(&mut self, path: &str) -> (String, String) {
        let (status, _, html) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {html}");
        let csrf = csrf_of(&html);
        (html, csrf)
    }
}

pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = html.find(marker).expect("a csrf field") + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}
