import operatorsJson from '../../data/flagged/operators.json?raw';
import asnsTsv from '../../data/flagged/asns.tsv?raw';
import domainsTsv from '../../data/flagged/domains.tsv?raw';
import type { SerializedIpTable } from '../engine/ip-table.ts';
import ipTable from './generated/ip-table.json';
import { loadEngineData, type EngineData } from './engine-data.ts';

// The extension's copy of the data: the curated list's files are bundled as
// text and parsed at start (well under a millisecond for a few hundred rows,
// and it keeps one parser with one set of error messages), the IP table as
// the JSON the pipeline wrote.

export function loadBundledEngineData(): EngineData {
  return loadEngineData({ operatorsJson, asnsTsv, domainsTsv }, ipTable as SerializedIpTable);
}
