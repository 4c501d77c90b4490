import { statSync } from 'node:fs';
import { getDomain } from 'tldts';
import { Classifier } from '../src/engine/classifier.ts';
import { bigIntToWords, formatIPv4, formatIPv6 } from '../src/engine/ip-address.ts';
import { IpTable, type SerializedIpTable } from '../src/engine/ip-table.ts';
import { parseFlaggedList } from '../src/engine/flagged-list.ts';
import { GENERATED_DIR, readIpTableJson, readListFiles } from '../src/data/node.ts';
import { measure, measureOnce, sinkValue, type Figure } from './measure.ts';
import { NaiveLookup, naiveDomainMatch } from './naive-baseline.ts';

// npm run bench: the engine's cost per classification and at load, beside a
// naive baseline measured in the same run, so the ratios mean something on
// whatever machine runs it.

const tableText = readIpTableJson();
const listFiles = readListFiles();
const list = parseFlaggedList(listFiles);
const table = IpTable.decode(JSON.parse(tableText) as SerializedIpTable);
const classifier = new Classifier(list, table, { minConfidence: 'low' });
const naive = new NaiveLookup(table);

// Inputs: half inside flagged ranges, half random addresses (mostly not
// flagged), fixed seed so runs compare.
let seed = 0x2545f491;
const random = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
const v4Ranges = [...table.ranges(4)];
const v6Ranges = [...table.ranges(6)];
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
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
  const base = i % 4 === 0 ? pick(list.domains).domain : `${pick(['example', 'news-site', 'shop', 'tracker'])}${i % 97}.${pick(['com', 'net', 'co.uk', 'cn', 'org'])}`;
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
  const party = getDomain(host, { allowPrivateDomains: true }) === getDomain(new URL(r.pageUrl).hostname, { allowPrivateDomains: true });
  return domain !== undefined || asn !== 0 || party;
};

const rows: Array<[string, Figure, Figure]> = [
  ['IPv4 lookup', measure('engine', v4Inputs, (ip) => classifier.matchIp(ip)), measure('naive', v4Inputs, (ip) => naive.lookup(ip), 40)],
  ['IPv6 lookup', measure('engine', v6Inputs, (ip) => classifier.matchIp(ip)), measure('naive', v6Inputs, (ip) => naive.lookup(ip), 40)],
  ['domain match', measure('engine', hosts, (h) => classifier.matchDomain(h)), measure('naive', hosts, (h) => naiveDomainMatch(list.domains, h))],
  ['full classify (URL + IP + page, PSL)', measure('engine', requests, (r) => classifier.classify(r)), measure('naive', requests, naiveClassify, 40)],
];

const load = measureOnce('load', () => IpTable.decode(JSON.parse(tableText) as SerializedIpTable));
const loadAll = measureOnce('load all', () => new Classifier(parseFlaggedList(listFiles), IpTable.decode(JSON.parse(tableText) as SerializedIpTable)));
const naiveLoad = measureOnce('naive load', () => new NaiveLookup(table), 5);

const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const pad = (s: string, n: number) => s.padEnd(n);

console.log(`Carrier Watch engine benchmark — Node ${process.version}, ${process.arch}`);
console.log(`table: ${table.v4Count} IPv4 ranges, ${table.v6Count} IPv6 ranges, ${table.asnByIndex.length} ASNs; naive baseline: ${naive.cidrCount} CIDRs`);
console.log(`list: ${list.asns.length} ASNs, ${list.domains.length} domains\n`);
console.log(`${pad('operation', 40)}${pad('engine median', 15)}${pad('engine p99', 13)}${pad('naive median', 15)}ratio (naive/engine)`);
for (const [label, engine, base] of rows) {
  console.log(`${pad(label, 40)}${pad(fmt(engine.medianNs), 15)}${pad(fmt(engine.p99Ns), 13)}${pad(fmt(base.medianNs), 15)}${(base.medianNs / engine.medianNs).toFixed(1)}×`);
}
const bytes = statSync(`${GENERATED_DIR}ip-table.json`).size;
console.log('');
console.log(`${pad('table load (JSON.parse + decode)', 40)}${pad(fmt(load.medianNs), 15)}${pad(fmt(load.p99Ns), 13)}${pad(fmt(naiveLoad.medianNs), 15)}${(naiveLoad.medianNs / load.medianNs).toFixed(1)}×`);
console.log(`${pad('engine ready (list parse + table load)', 40)}${pad(fmt(loadAll.medianNs), 15)}${fmt(loadAll.p99Ns)}`);
console.log(`${pad('table size', 40)}${bytes} bytes on disk (ip-table.json), ${(table.v4Count * 10 + table.v6Count * 34 + table.asnByIndex.length * 4)} bytes in typed arrays`);
if (sinkValue() < 0) console.log(''); // keep the sink observable
