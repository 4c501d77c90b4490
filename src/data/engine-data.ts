import { Classifier, type ClassifierOptions } from '../engine/classifier.ts';
import { parseFlaggedList } from '../engine/flagged-list.ts';
import { IpTable } from '../engine/ip-table.ts';
import type { FlaggedList } from '../engine/types.ts';

// What the engine needs, however it was read: the curated list's files as
// text and the generated IP table. The extension gets them from the bundle
// (bundled.ts), the CLI, tests and benchmarks from disk (node.ts).

export interface ListFiles {
  operatorsJson: string;
  asnsTsv: string;
  domainsTsv: string;
  lookalikesTsv?: string;
}

export interface EngineData {
  list: FlaggedList;
  table: IpTable;
}

/** Parses both; throws FlaggedListError / IpTableError with a message that says what is wrong. */
export function loadEngineData(files: ListFiles, table: ArrayBuffer | Uint8Array): EngineData {
  return { list: parseFlaggedList(files), table: IpTable.decode(table) };
}

export function createClassifier(data: EngineData, options?: ClassifierOptions): Classifier {
  return new Classifier(data.list, data.table, options);
}
