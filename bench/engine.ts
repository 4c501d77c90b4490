import { statSync } from 'node:fs';
import { getDomain } from 'tldts';
import { Classifier } from '../src/engine/classifier.ts';
import { parseFlaggedList } from '../src/engine/flagged-list.ts';
import { bigIntToWords, formatIPv4, formatIPv6 } from '../src/engine/ip-address.ts';
import { IpTable } from '../src/engine/ip-table.ts';
import { GENERATED_DIR, IP_TABLE_FILE, readIpTable, readListFiles } from '../src/data/node.ts';
import { measure, measureOnce, p99PerCall, type Figure } from './measure.ts';
import { NaiveLookup, naiveDomainMatch } from './naive-baseline.ts';

// The engine's cost per classification and at load, beside a naive baseline
// measured in the same run, so the ratios mean something on any machine.

export interface EngineRow {
  label: string;
  engine: Figure;
  /** p99 of single calls, timer cost removed. */
  engineP99PerCallNs: number;
  naive: Figure;
}

export interface EngineFigures {
  rows: EngineRow[];
  load: Figure;
  naiveLoad: Figure;
  engineReady: Figure;
  tableBytes: number;
  typedArrayBytes: number;
  v4Ranges: number;
  v6Ranges: number;
}

export function runEngineBench(): EngineFigures {
  const tableFile = readIpTable();
  const listFiles = readListFiles();
  const list = parseFlaggedList(listFiles);
  const table = IpTable.decode(tableFile);
  const classifier = new Classifier(list, table, { minConfidence: 'low' });
  const naive = new NaiveLookup(table);

  // Inputs: half inside flagged ranges, half random addresses (mostly not
  // flagged); a fixed seed so runs compare.
  let seed = 0x2545f491;
  const random = () => (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const v4Ranges = [...table.ranges(4)];
  const v6Ranges = [...table.ranges(6)];
  const v4Inputs = Array.from({ length: 4000 }, (_, i) => {
    if (i % 2 === 0) return formatIPv4(Math.floor(random() * 2 ** 32));
    const r = pick(v4Ranges);
    return formatIPv4(Number(r.start + BigInt(Math.floor(random() * Number(r.end - r.start + 1n)))));
  });
  const v6Inputs = Array.from({ length: 4000 }, (_, i) => {
    const r = i % 2 === 0 ? { start: 0x2000n << 112n, end: (0x3fffn << 112n) | ((1n << 112n) - 1n) } : pick(v6Ranges);
    const offset = (BigInt(Math.floor(random() * 2 ** 53)) * (r.end - r.start)) / 2n ** 53n;
    return formatIPv6(bigIntToWords(r.start + offset));
  });
  const hostWords = ['www', 'cdn', 'api', 'static', 'img', 'login', 'a1', 'eu-west'];
  const hosts = Array.from({ length: 4000 }, (_, i) => {
    const base =
      i % 4 === 0 ? pick(list.domains).domain : `${pick(['example', 'news-site', 'shop', 'tracker'])}${i % 97}.${pick(['com', 'net', 'co.uk', 'cn', 'org'])}`;
    return `${pick(hostWords)}.${base}`;
  });
  const requests = hosts.map((host, i) => ({
    url: `https://${host}/path/${i}.js`,
    ip: i % 3 === 0 ? v6Inputs[i]! : v4Inputs[i]!,
    pageUrl: `https://www.${pick(['example.com', 'news.co.uk', 'shop.cn'])}/`,
  }));
  const naiveClassify = (r: (typeof requests)[number]) => {
    const host = new URL(r.url).hostname;
    const domain = naiveDomainMatch(list.domains, host);
    const asn = naive.lookup(r.ip);
    const sameSite = getDomain(host, { allowPrivateDomains: true }) === getDomain(new URL(r.pageUrl).hostname, { allowPrivateDomains: true });
    return domain !== undefined || asn !== 0 || sameSite;
  };

  const row = <T>(label: string, inputs: readonly T[], engine: (x: T) => unknown, base: (x: T) => unknown, naiveBatches = 40): EngineRow => ({
    label,
    engine: measure('engine', inputs, engine),
    engineP99PerCallNs: p99PerCall(inputs, engine),
    naive: measure('naive', inputs, base, naiveBatches),
  });

  return {
    rows: [
      row('IPv4 lookup', v4Inputs, (ip) => classifier.matchIp(ip), (ip) => naive.lookup(ip)),
      row('IPv6 lookup', v6Inputs, (ip) => classifier.matchIp(ip), (ip) => naive.lookup(ip)),
      row('domain match', hosts, (h) => classifier.matchDomain(h), (h) => naiveDomainMatch(list.domains, h), 200),
      row('full classify (URL + IP + page, PSL)', requests, (r) => classifier.classify(r), naiveClassify),
    ],
    load: measureOnce('load', () => IpTable.decode(tableFile)),
    naiveLoad: measureOnce('naive load', () => new NaiveLookup(table), 5),
    engineReady: measureOnce('ready', () => new Classifier(parseFlaggedList(listFiles), IpTable.decode(tableFile))),
    tableBytes: statSync(`${GENERATED_DIR}${IP_TABLE_FILE}`).size,
    typedArrayBytes: table.v4Count * 10 + table.v6Count * 34 + table.asnByIndex.length * 4,
    v4Ranges: table.v4Count,
    v6Ranges: table.v6Count,
  };
}
