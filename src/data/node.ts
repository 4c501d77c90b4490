import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadEngineData, type EngineData, type ListFiles } from './engine-data.ts';

// Node-side loader for the CLI, the tests and the benchmarks: the same files
// the extension bundles, read from the repository.

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LIST_DIR = `${REPO_ROOT}data/flagged/`;
export const GENERATED_DIR = `${REPO_ROOT}src/data/generated/`;

export function readListFiles(dir = LIST_DIR): ListFiles {
  const read = (name: string) => readFileSync(`${dir}${name}`, 'utf8');
  return {
    operatorsJson: read('operators.json'),
    asnsTsv: read('asns.tsv'),
    domainsTsv: read('domains.tsv'),
    lookalikesTsv: read('lookalikes.tsv'),
  };
}

export const IP_TABLE_FILE = 'ip-table.bin';

export function readIpTable(dir = GENERATED_DIR): Uint8Array {
  return readFileSync(`${dir}${IP_TABLE_FILE}`);
}

export function loadEngineDataFromDisk(): EngineData {
  return loadEngineData(readListFiles(), readIpTable());
}
