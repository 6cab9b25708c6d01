//! The baseline for the gateway benchmark: a bare axum handler with no layers, answering a JSON
//! body of the same size as `GET /syntpop/api/ping`. Run: `bare 127.0.0.1:18081`.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18081".to_owned());
    let app = Router::new().route(
        "/syntpop/api/ping",
        get(|| async {
            axum::Json(serde_json::json!({
                "api": "syntpop", "version": "0.2", "auth": "apiKey",
                "keyId": "key_00000000000000000000", "type": "other",
                "owner": "bench", "clientId": null
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
