import { readFileSync } from 'node:fs';
import { encodeIpTable, IpTable, type RangeInput } from '../engine/ip-table.ts';
import { parseFlaggedList } from '../engine/flagged-list.ts';
import type { OperatorId } from '../engine/types.ts';
import { bundledDataVersion, encodeBundle, metaDataDate, signBundle, tableTotals, type BundleFiles, type InstalledData } from './bundle.ts';
import { GENERATED_DIR, readIpTable, readListFiles } from './node.ts';

// Test-only (Node): data bundles made from the committed data, changed the
// way each test needs, signed with a key pair made when the test runs. Used
// by the unit tests, the browser tests and the benchmark.

const { subtle } = globalThis.crypto;

export function committedFiles(): BundleFiles {
  const list = readListFiles();
  return {
    operatorsJson: list.operatorsJson,
    asnsTsv: list.asnsTsv,
    domainsTsv: list.domainsTsv,
    lookalikesTsv: list.lookalikesTsv!,
    ipTable: new Uint8Array(readIpTable()),
    ipTableMeta: readFileSync(`${GENERATED_DIR}ip-table-meta.json`, 'utf8'),
  };
}

/** The committed data's date and the version the extension gives it (build 0). */
export function committedDataDate(): string {
  const date = metaDataDate(JSON.parse(committedFiles().ipTableMeta));
  if (!date) throw new Error('ip-table-meta.json has no data date');
  return date;
}

export function installedData(files: BundleFiles = committedFiles(), version = bundledDataVersion(committedDataDate())): InstalledData {
  return { version, list: parseFlaggedList(files), table: IpTable.decode(files.ipTable) };
}

export async function generateBundleKeys(): Promise<{ privateKey: CryptoKey; publicJwk: JsonWebKey }> {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const { kty, crv, x, y } = await subtle.exportKey('jwk', pair.publicKey);
  return { privateKey: pair.privateKey, publicJwk: { kty, crv, x, y } };
}

/** The files with one more listed domain (a host only this bundle flags). */
export function withDomain(files: BundleFiles, domain: string, operator: OperatorId, tags = 'cloud'): BundleFiles {
  const line = [domain, operator, '', 'high', tags, 'Test domain added by a data bundle', 'test'].join('\t');
  return { ...files, domainsTsv: `${files.domainsTsv.replace(/\n*$/, '\n')}${line}\n` };
}

/** The files with every domain, ASN and range of an operator gone (the "vanished" guard refuses this). */
export function withoutOperator(files: BundleFiles, operator: OperatorId): BundleFiles {
  const keepRow = (row: string) => row.split('\t')[1] !== operator;
  const asnsTsv = files.asnsTsv.split('\n').filter(keepRow).join('\n');
  const domainsTsv = files.domainsTsv.split('\n').filter(keepRow).join('\n');
  const gone = new Set(parseFlaggedList(files).asns.filter((a) => a.operatorId === operator).map((a) => a.asn));
  return withRanges({ ...files, asnsTsv, domainsTsv }, (r) => !gone.has(r.asn));
}

/** The files with the table's ranges filtered and the meta's totals made to match. */
export function withRanges(files: BundleFiles, keep: (r: RangeInput) => boolean): BundleFiles {
  const current = IpTable.decode(files.ipTable);
  const table = encodeIpTable([...current.ranges(4)].filter(keep), [...current.ranges(6)].filter(keep));
  const meta = JSON.parse(files.ipTableMeta) as Record<string, unknown>;
  meta.totals = tableTotals(IpTable.decode(table));
  return { ...files, ipTable: table, ipTableMeta: JSON.stringify(meta) };
}

export async function signedBundle(files: BundleFiles, privateKey: CryptoKey, version: string): Promise<Uint8Array> {
  return signBundle(encodeBundle({ version, createdAt: '2026-12-01T10:00:00.000Z', files }), privateKey);
}
