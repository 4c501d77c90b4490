import flaggedList from 'virtual:flagged-list';
import { IpTable } from '../engine/ip-table.ts';
import type { FlaggedList } from '../engine/types.ts';

// The extension's copy of the data. The curated list is parsed and checked
// when the extension is built (scripts/flagged-list-plugin.ts) and arrives
// here as JSON. The IP table is a file of the package that the background
// fetches from the extension itself (no network) and views in place; its
// order was checked when it was built (npm run data:check, unit tests), so
// only its header and size are checked here, at every cold start.

export function bundledList(): FlaggedList {
  return flaggedList;
}

export function bundledTable(file: ArrayBuffer): IpTable {
  return IpTable.decode(file, { verifyOrder: false });
}
