import operatorsJson from '../../data/flagged/operators.json?raw';
import asnsTsv from '../../data/flagged/asns.tsv?raw';
import domainsTsv from '../../data/flagged/domains.tsv?raw';
import { parseFlaggedList } from '../engine/flagged-list.ts';
import { IpTable } from '../engine/ip-table.ts';
import type { FlaggedList } from '../engine/types.ts';
import ipTableUrl from './generated/ip-table.bin?url';

// The extension's copy of the data. The curated list's files are bundled as
// text and parsed at start (a few milliseconds for a few hundred rows, and
// it keeps one parser with one set of error messages). The IP table is a
// file of the package, fetched from the extension itself (no network) and
// viewed in place. Each can fail on its own, so the other still works.

export function loadBundledList(): FlaggedList {
  return parseFlaggedList({ operatorsJson, asnsTsv, domainsTsv });
}

export async function loadBundledTable(): Promise<IpTable> {
  const response = await fetch(ipTableUrl);
  if (!response.ok) throw new Error(`could not read the bundled IP table (${response.status})`);
  return IpTable.decode(await response.arrayBuffer());
}
