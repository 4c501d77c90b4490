import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DIR, LIST_DIR } from '../../src/data/node.ts';
import { bundledDataVersion, metaDataDate, type BundleFiles, type InstalledData, type PublicKeyInput } from '../../src/data/bundle.ts';
import { parseFlaggedList } from '../../src/engine/flagged-list.ts';
import { IpTable } from '../../src/engine/ip-table.ts';

// File-system side of scripts/data-bundle.ts and scripts/data-verify.ts: the
// committed data as bundle files, keys from PEM / JWK files.

/** The committed files a bundle carries: data/flagged/* and src/data/generated/*. */
export function readBundleFiles(flaggedDir = LIST_DIR, generatedDir = GENERATED_DIR): BundleFiles {
  const text = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');
  return {
    operatorsJson: text(flaggedDir, 'operators.json'),
    asnsTsv: text(flaggedDir, 'asns.tsv'),
    domainsTsv: text(flaggedDir, 'domains.tsv'),
    lookalikesTsv: text(flaggedDir, 'lookalikes.tsv'),
    ipTable: new Uint8Array(readFileSync(join(generatedDir, 'ip-table.bin'))),
    ipTableMeta: text(generatedDir, 'ip-table-meta.json'),
  };
}

/** The data date of an ip-table-meta.json (see metaDataDate). Throws when it has none. */
export function dataDateOfMeta(metaJson: string): string {
  const date = metaDataDate(JSON.parse(metaJson));
  if (!date) throw new Error('ip-table-meta.json has neither bgp.dataDate nor source.dataDate (YYYY-MM-DD)');
  return date;
}

/** The committed data as the extension ships it: build 0 of its data date. */
export function installedDataOf(files: BundleFiles): InstalledData {
  return { version: bundledDataVersion(dataDateOfMeta(files.ipTableMeta)), list: parseFlaggedList(files), table: IpTable.decode(files.ipTable) };
}

/** DER bytes of the one PEM block labelled `label` in `text`; throws when there is none. */
export function pemToDer(text: string, label: string): Uint8Array {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (!match) throw new Error(`no "${label}" PEM block`);
  return new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
}

/** Imports a PKCS#8 PEM private key for signing (extractable, so its public half can be derived). */
export async function importPrivateKeyPem(text: string): Promise<CryptoKey> {
  const der = pemToDer(text, 'PRIVATE KEY');
  return crypto.subtle.importKey('pkcs8', new Uint8Array(der), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
}

/** The public JWK of a private key. */
export async function publicJwkOf(privateKey: CryptoKey): Promise<JsonWebKey> {
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', privateKey);
  return { kty, crv, x, y };
}

/** A public key file: a JWK (JSON) or an SPKI PEM ("BEGIN PUBLIC KEY"). */
export function parsePublicKeyFile(text: string): PublicKeyInput {
  if (text.trimStart().startsWith('{')) return JSON.parse(text) as JsonWebKey;
  return pemToDer(text, 'PUBLIC KEY');
}

export function sameKey(a: JsonWebKey, b: JsonWebKey): boolean {
  return a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y;
}
