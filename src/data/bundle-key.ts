// The public key the extension trusts for data bundles (src/data/bundle.ts,
// docs/data-bundles.md): ECDSA P-256, verified with SHA-256.
//
// The matching private key never enters the repository. The maintainer holds
// it (PKCS#8 PEM) as the data workflow's secret and passes it to
// `npm run data:bundle -- --key <file>`. Rotating it means generating a new
// pair, pinning the new public key here and shipping a release: extensions
// keep trusting only the key pinned in the version they run, so bundles
// signed with the new key reach users once that release is out.
//
// SPKI (DER, base64):
//   MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAiIGhHAht4IVNJTygvHtZyTrZgA6YxfkHnvQcJfikphVxBckvXdhLgYse004v+kLjmUsWQzbOFRfAHc4h6nk+A==
// SHA-256 of the SPKI: a27e3590a64e59327a59bd5aceb9a6b5b2473eddd7a34b8326c420a01c9f6ca2
// Generated 2026-12-02 with WebCrypto (crypto.subtle.generateKey).

export const DATA_BUNDLE_PUBLIC_KEY: Readonly<JsonWebKey> = Object.freeze({
  kty: 'EC',
  crv: 'P-256',
  x: 'AiIGhHAht4IVNJTygvHtZyTrZgA6YxfkHnvQcJfikpg',
  y: 'VcQXJL13YS4GLHtNOL_pC45lLFkM2zhUXwB3OIep5Pg',
});

/** SHA-256 (hex) of the pinned key's SPKI encoding, for logs and the CLI. */
export const DATA_BUNDLE_KEY_FINGERPRINT = 'a27e3590a64e59327a59bd5aceb9a6b5b2473eddd7a34b8326c420a01c9f6ca2';
