//! Static assets embedded in the binary.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../../../static/app.css");

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

const EXAM_JS: &str = include_str!("../../../static/exam.js");
const CONSOLE_JS: &str = include_str!("../../../static/console.js");
const INSPECT_JS: &str = include_str!("../../../static/inspect.js");

fn js(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

pub async fn exam_js() -> impl IntoResponse {
    js(EXAM_JS)
}

pub async fn console_js() -> impl IntoResponse {
    js(CONSOLE_JS)
}

pub async fn inspect_js() -> impl IntoResponse {
    js(INSPECT_JS)
}
