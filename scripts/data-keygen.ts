import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// npm run data:keygen -- --out <private-key.pem> [--pin]
// Makes the data-bundle signing key: an ECDSA P-256 pair through WebCrypto.
// Writes the private half as PKCS#8 PEM (mode 0600, never over an existing
// file, never inside the repository), prints the public half, and with --pin
// writes it into src/data/bundle-key.ts. The private key then goes into the
// data workflow's secret DATA_BUNDLE_PRIVATE_KEY (docs/data-bundles.md).

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const KEY_MODULE = resolve(ROOT, 'src/data/bundle-key.ts');
const USAGE = 'usage: npm run data:keygen -- --out <private-key.pem> [--pin]';

const pem = (label: string, der: ArrayBuffer): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    // --pin-file: where --pin writes (tests point it at a copy).
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string' }, pin: { type: 'boolean', default: false }, 'pin-file': { type: 'string' } }, strict: true }));
  } catch (error) {
    console.error(`data:keygen: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 1;
  }
  if (!values.out) {
    console.error(`data:keygen: --out is required\n${USAGE}`);
    return 1;
  }
  const out = resolve(values.out);
  if (!relative(ROOT, out).startsWith('..')) {
    console.error(`data:keygen: ${values.out} is inside the repository; keep the private key outside it (it must never be committed)`);
    return 1;
  }
  if (existsSync(out)) {
    console.error(`data:keygen: ${values.out} exists; not overwriting a key`);
    return 1;
  }

  const { subtle } = globalThis.crypto;
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  writeFileSync(out, pem('PRIVATE KEY', await subtle.exportKey('pkcs8', pair.privateKey)), { mode: 0o600, flag: 'wx' });
  const spki = Buffer.from(await subtle.exportKey('spki', pair.publicKey));
  const { kty, crv, x, y } = await subtle.exportKey('jwk', pair.publicKey);
  const fingerprint = createHash('sha256').update(spki).digest('hex');
  console.log(`data:keygen: private key written to ${values.out} (mode 0600): put it in the workflow secret DATA_BUNDLE_PRIVATE_KEY, keep a copy offline`);
  console.log(`public key (JWK): ${JSON.stringify({ kty, crv, x, y })}`);
  console.log(`public key (SPKI, base64): ${spki.toString('base64')}`);
  console.log(`fingerprint (SHA-256 of the SPKI): ${fingerprint}`);

  if (values.pin || values['pin-file']) {
    const target = values['pin-file'] ? resolve(values['pin-file']) : KEY_MODULE;
    const source = readFileSync(target, 'utf8');
    const pinned = source
      .replace(/^\/\/ {3}[A-Za-z0-9+/=]{80,}$/m, `//   ${spki.toString('base64')}`)
      .replace(/^\/\/ SHA-256 of the SPKI: [0-9a-f]{64}$/m, `// SHA-256 of the SPKI: ${fingerprint}`)
      .replace(/^\/\/ Generated .*$/m, `// Generated ${new Date().toISOString().slice(0, 10)} with npm run data:keygen (WebCrypto).`)
      .replace(/ x: '[A-Za-z0-9_-]+',/, ` x: '${x}',`)
      .replace(/ y: '[A-Za-z0-9_-]+',/, ` y: '${y}',`)
      .replace(/DATA_BUNDLE_KEY_FINGERPRINT = '[0-9a-f]{64}'/, `DATA_BUNDLE_KEY_FINGERPRINT = '${fingerprint}'`);
    if (!pinned.includes(x!) || !pinned.includes(fingerprint)) {
      console.error(`data:keygen: could not find the key in ${target}; pin it by hand`);
      return 1;
    }
    writeFileSync(target, pinned);
    console.log(`pinned in ${relative(ROOT, target) || target}: ship a release for extensions to trust it`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`data:keygen: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
