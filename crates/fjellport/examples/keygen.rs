//! Makes a P-256 client key for benchmarks and manual tests: `keygen DIR` writes
//! `DIR/client.pem` (PKCS#8) and `DIR/client.public.json` (the public JWK to register).

use fjellport_auth::jose::EcSigningKey;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let key = EcSigningKey::generate()?;
    let b64 = base64_lines(key.pkcs8());
    std::fs::write(
        dir.join("client.pem"),
        format!("-----BEGIN PRIVATE KEY-----\n{b64}-----END PRIVATE KEY-----\n"),
    )?;
    std::fs::write(
        dir.join("client.public.json"),
        serde_json::to_string(&key.public_jwk().members)?,
    )?;
    Ok(())
}

/// Standard base64 in 64-character lines, as PEM wants it.
fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    text.as_bytes().chunks(64).map(|line| format!("{}\n", String::from_utf8_lossy(line))).collect()
}
