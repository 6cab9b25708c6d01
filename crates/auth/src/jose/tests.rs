//! The JOSE rules, by example: RFC vectors, signing round trips, and every refusal.
use super::*;
use serde_json::json;

/// RFC 9449 §4.1 example key; thumbprint from RFC 9449 §6.1 / the issue text.
fn rfc_key() -> Value {
    json!({"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
           "y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"})
}

#[test]
fn rfc_vectors() {
    let jwk = PublicJwk::from_value(&rfc_key()).unwrap();
    assert_eq!(jwk.thumbprint(), "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    // RFC 9449 §7.1: ath of the example access token.
    assert_eq!(
        sha256_b64(b"Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

#[test]
fn private_members_and_bad_keys_are_refused() {
    let mut with_d = rfc_key();
    with_d["d"] = json!("AAAA");
    assert_eq!(PublicJwk::from_value(&with_d), Err(JoseError::PrivateKeyMembers));
    let mut short = rfc_key();
    short["x"] = json!("AAAA");
    assert!(matches!(PublicJwk::from_value(&short), Err(JoseError::BadJwk(_))));
    assert!(matches!(
        PublicJwk::from_value(&json!({"kty":"oct","k":"AAAA"})),
        Err(JoseError::PrivateKeyMembers)
    ));
    for bad in ["none", "HS256", "ES255", ""] {
        assert!(bad.parse::<Alg>().is_err(), "{bad}");
    }
}

#[test]
fn sign_then_verify_and_tampering_fails() {
    let key = EcSigningKey::generate().unwrap();
    let token = key.sign(&json!({"alg":"ES256","typ":"JWT"}), &json!({"sub":"x"})).unwrap();
    let jws = Jws::parse(&token).unwrap();
    assert_eq!(jws.alg().unwrap(), Alg::ES256);
    jws.verify(Alg::ES256, &key.public_jwk()).unwrap();
    assert_eq!(jws.verify(Alg::ES384, &key.public_jwk()), Err(JoseError::AlgKeyMismatch));
    let other = EcSigningKey::generate().unwrap();
    assert_eq!(jws.verify(Alg::ES256, &other.public_jwk()), Err(JoseError::BadSignature));
    let mut parts: Vec<&str> = token.split('.').collect();
    let tampered_payload = b64e(br#"{"sub":"y"}"#);
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");
    let jws = Jws::parse(&tampered).unwrap();
    assert_eq!(jws.verify(Alg::ES256, &key.public_jwk()), Err(JoseError::BadSignature));
    // A key survives a PKCS#8 round trip with the same kid.
    let again = EcSigningKey::from_pkcs8(key.pkcs8()).unwrap();
    assert_eq!(again.kid(), key.kid());
    for bad in ["a.b", "a.b.c.d", "!!.e30.AA", "e30.!!.AA"] {
        assert!(matches!(Jws::parse(bad), Err(JoseError::Malformed(_))), "{bad}");
    }
}

#[test]
fn rsa_issuer_keys_sign_what_the_verifier_accepts_and_survive_a_round_trip() {
    for alg in [Alg::RS256, Alg::PS256] {
        let key = SigningKey::generate(alg).unwrap();
        assert_eq!(key.alg(), alg);
        let header = json!({"alg": alg.as_str(), "typ": "at+jwt", "kid": key.kid()});
        let token = key.sign(&header, &json!({"sub": "x"})).unwrap();
        let jws = Jws::parse(&token).unwrap();
        jws.verify(alg, &key.public_jwk()).unwrap();
        // The other RSA padding does not verify: RS256 and PS256 are not interchangeable.
        let other = if alg == Alg::RS256 { Alg::PS256 } else { Alg::RS256 };
        assert!(jws.verify(other, &key.public_jwk()).is_err());
        // Stored and loaded again: the same key (same kid, same public key).
        let again = SigningKey::from_pkcs8(key.pkcs8(), alg).unwrap();
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.public_jwk().thumbprint(), key.public_jwk().thumbprint());
    }
    assert!(SigningKey::generate(Alg::ES384).is_err(), "issuers sign ES256, RS256, PS256");
}

#[test]
fn crit_and_unencoded_payloads_are_refused_at_parse() {
    let key = EcSigningKey::generate().unwrap();
    for header in [
        json!({"alg": "ES256", "crit": ["exp-unknown"], "exp-unknown": 1}),
        json!({"alg": "ES256", "crit": []}),
        json!({"alg": "ES256", "b64": false}),
    ] {
        let token = key.sign(&header, &json!({"sub": "x"})).unwrap();
        let e = Jws::parse(&token).unwrap_err();
        assert!(matches!(e, JoseError::UnsupportedCrit(_)), "{header}: {e:?}");
        assert!(e.to_string().contains("crit"), "{e}");
    }
    let plain = key.sign(&json!({"alg": "ES256", "b64": true}), &json!({"sub": "x"})).unwrap();
    assert!(Jws::parse(&plain).is_ok(), "b64 true is the default encoding");
}

#[test]
fn numeric_dates_may_be_fractional_and_typ_names_a_media_type() {
    assert_eq!(numeric_date(Some(&json!(1_700_000_000))), Some(1_700_000_000));
    assert_eq!(numeric_date(Some(&json!(1_700_000_000.75))), Some(1_700_000_000));
    assert_eq!(numeric_date(Some(&json!(-0.5))), Some(-1));
    for bad in [json!("1700000000"), json!(null), json!(1e300), json!([1])] {
        assert_eq!(numeric_date(Some(&bad)), None, "{bad}");
    }
    assert_eq!(numeric_date(None), None);
    for ok in ["dpop+jwt", "DPoP+JWT", "application/dpop+jwt", "APPLICATION/DPOP+JWT"] {
        assert!(typ_is(Some(&json!(ok)), "dpop+jwt"), "{ok}");
    }
    for bad in ["jwt", "application/jwt", "dpop+jwt; x=1", "text/dpop+jwt", ""] {
        assert!(!typ_is(Some(&json!(bad)), "dpop+jwt"), "{bad}");
    }
    assert!(!typ_is(Some(&json!(1)), "dpop+jwt"));
    assert!(!typ_is(None, "dpop+jwt"));
}

#[test]
fn rsa_keys_need_a_usable_modulus_and_exponent() {
    let n = |bits: usize| {
        let mut n = vec![0xc5u8; bits / 8];
        n[0] |= 0x80;
        n
    };
    assert!(rsa_key_is_usable(&n(2048), &[1, 0, 1]).is_ok());
    assert!(rsa_key_is_usable(&n(4096), &[3]).is_ok());
    assert!(rsa_key_is_usable(&[&[0u8][..], &n(2048)].concat(), &[0, 1, 0, 1]).is_ok());
    for (bits, e) in [
        (2048, vec![1]),
        (2048, vec![2]),
        (2048, vec![1, 0, 0]),
        (2048, vec![]),
        (2048, vec![1; 9]),
        (2040, vec![1, 0, 1]),
        (16392, vec![1, 0, 1]),
    ] {
        assert!(rsa_key_is_usable(&n(bits), &e).is_err(), "{bits} bits, e {e:?}");
    }
}
