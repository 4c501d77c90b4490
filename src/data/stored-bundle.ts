import { IpTable } from '../engine/ip-table.ts';
import type { FlaggedList } from '../engine/types.ts';
import { base64ToBytes, bytesToBase64 } from './base64.ts';
import { compareDataVersions, parseDataVersion, type DataBundle } from './bundle.ts';
import type { EngineData } from './engine-data.ts';

// An applied data bundle as the background keeps it (storage.local
// "dataBundle"), in the form that is quickest to put back to work at a cold
// start: the list already parsed (as JSON text) and the table's bytes: in
// base64 where storage.local holds JSON (Chrome), as they are where it keeps
// binary (Firefox's structured clone, a few milliseconds less to read). Both decode natively in about
// a millisecond; gzipping them was tried and cost ~10 ms of stream plumbing
// at every start, more than the smaller read saved (npm run bench --
// --data-updates prints the phases). It is written
// only after verifyBundle accepted the file (signature, schema, guards), and
// storage.local is the extension's own, so a restart does not verify the
// signature again: that would cost every cold start a SHA-256 over the whole
// file and a re-parse for nothing (npm run bench -- --data-updates). What a
// restart does check is that the record is whole and still newer than the
// data the extension ships: an extension update can bring newer data, and
// then the stored bundle is dropped.

export const STORED_BUNDLE_KEY = 'dataBundle';
const STORED_FORMAT = 3;

export interface StoredBundle {
  format: typeof STORED_FORMAT;
  version: string;
  dataDate: string;
  createdAt: string;
  /** When it was verified and applied, ms since the epoch. */
  appliedAt: number;
  /** SHA-256 (hex) of the bundle file as downloaded. */
  sha256: string;
  /** The parsed curated list, as JSON text. */
  list: string;
  /** ip-table.bin: base64, or the bytes where storage keeps binary. */
  table: string | Uint8Array;
}

export interface AppliedData extends EngineData {
  version: string;
  dataDate: string;
  appliedAt: number;
  sha256: string;
}

export function toStoredBundle(bundle: DataBundle, sha256: string, appliedAt: number, { binary = false }: { binary?: boolean } = {}): StoredBundle {
  return {
    format: STORED_FORMAT,
    version: bundle.version,
    dataDate: bundle.dataDate,
    createdAt: bundle.createdAt,
    appliedAt,
    sha256,
    list: JSON.stringify(bundle.list),
    table: binary ? bundle.files.ipTable.slice() : bytesToBase64(bundle.files.ipTable),
  };
}

export type Restored = { ok: true; data: AppliedData } | { ok: false; reason: string };

/** The stored bundle put back to work, or why it cannot be (the caller then uses the shipped data and forgets the record). */
export function restoreStoredBundle(raw: unknown, bundledVersion: string): Restored {
  if (typeof raw !== 'object' || raw === null) return { ok: false, reason: 'the stored data update is not a record' };
  const r = raw as Partial<Record<keyof StoredBundle, unknown>>;
  if (r.format !== STORED_FORMAT) return { ok: false, reason: `the stored data update has format ${JSON.stringify(r.format)}` };
  if (!parseDataVersion(r.version) || typeof r.dataDate !== 'string' || typeof r.appliedAt !== 'number' || typeof r.sha256 !== 'string' || !(typeof r.table === 'string' || ArrayBuffer.isView(r.table)) || typeof r.list !== 'string') {
    return { ok: false, reason: 'the stored data update is incomplete' };
  }
  if (compareDataVersions(r.version as string, bundledVersion) <= 0) {
    return { ok: false, reason: `the stored data update (${String(r.version)}) is not newer than the data this version ships (${bundledVersion})` };
  }
  let list: FlaggedList;
  let table: IpTable;
  try {
    list = JSON.parse(r.list as string) as FlaggedList;
    // A copy when binary: IpTable.decode views an aligned buffer in place.
    const tableBytes = typeof r.table === 'string' ? base64ToBytes(r.table) : new Uint8Array(r.table as Uint8Array);
    if (!Array.isArray(list.operators) || !Array.isArray(list.asns) || !Array.isArray(list.domains)) throw new Error('no curated list');
    // Its order was checked when the bundle was verified; the header and size are checked here.
    table = IpTable.decode(tableBytes, { verifyOrder: false });
  } catch (error) {
    return { ok: false, reason: `the stored data update is unreadable: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { ok: true, data: { list, table, version: r.version as string, dataDate: r.dataDate, appliedAt: r.appliedAt, sha256: r.sha256 } };
}
