// classify: check IPs, hosts and URLs against Carrier Watch's flagged list
// from a terminal. One JSON line per input; inputs as arguments, or one per
// line on stdin. Exit code 1 when any input was malformed (its line carries
// an "error" field and the run goes on), 2 for a usage error.
//
//   npm run --silent classify -- 1.80.1.1 www.cmpassport.com https://example.com/
//   npm run --silent classify -- --min-confidence low --page https://site.example/ cdn.example.net
//   cat hosts.txt | npm run --silent classify

import { createInterface } from 'node:readline';
import type { Classifier } from '../src/engine/classifier.ts';
import { parseIp } from '../src/engine/ip-address.ts';
import { parseSettings } from '../src/engine/settings.ts';
import { createClassifier } from '../src/data/engine-data.ts';
import { loadEngineDataFromDisk } from '../src/data/node.ts';

const USAGE = `usage: classify [--min-confidence high|medium|low] [--page URL] [IP | HOST | URL ...]
With no inputs, reads one per line from stdin (blank lines and # comments are skipped).`;

interface Options {
  minConfidence?: string;
  page?: string;
  inputs: string[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { inputs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--min-confidence' || arg === '--page') {
      const value = argv[++i];
      if (value === undefined) usageError(`${arg} needs a value`);
      if (arg === '--page') options.page = value;
      else options.minConfidence = value;
    } else if (arg.startsWith('--')) {
      usageError(`unknown option ${arg}`);
    } else {
      options.inputs.push(arg);
    }
  }
  return options;
}

function usageError(message: string): never {
  console.error(`classify: ${message}\n${USAGE}`);
  process.exit(2);
}

/** One output line. Returns false when the input was malformed. */
function classifyOne(classifier: Classifier, input: string, page: string | undefined): boolean {
  const text = input.trim();
  const pageUrl = page === undefined ? {} : { pageUrl: page };
  const query = parseIp(text).ok ? { ip: text } : text.includes('://') ? { url: text } : { host: text };
  const result = classifier.classify({ ...query, ...pageUrl });
  const malformed = result.host === null && result.ip === null;
  const ipUnreadable = 'ip' in query && result.reason !== undefined;
  if (malformed || ipUnreadable) {
    console.log(JSON.stringify({ input, error: result.reason ?? 'unreadable input' }));
    return false;
  }
  console.log(JSON.stringify({ input, ...result }));
  return true;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const settings = parseSettings({ minConfidence: options.minConfidence ?? 'medium' });
  if (!settings.ok) usageError(settings.errors.join('; '));
  const classifier = createClassifier(loadEngineDataFromDisk(), {
    minConfidence: settings.value.minConfidence,
  });
  let allGood = true;
  if (options.inputs.length > 0) {
    for (const input of options.inputs) allGood = classifyOne(classifier, input, options.page) && allGood;
  } else {
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      const text = line.trim();
      if (text === '' || text.startsWith('#')) continue;
      allGood = classifyOne(classifier, text, options.page) && allGood;
    }
  }
  process.exitCode = allGood ? 0 : 1;
}

await main();
