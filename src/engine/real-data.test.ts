import { describe, expect, it } from 'vitest';
import { loadEngineDataFromDisk, readListFiles } from '../data/node.ts';
import { Classifier } from './classifier.ts';
import { parseLookalikes } from './flagged-list.ts';
import { formatIPv4 } from './ip-address.ts';

// The shipped list and table, on real addresses. Expected ASNs were read from
// the pinned @ip-location-db/asn data and agree with public knowledge of
// these networks (CHINANET 202.97/16, CN2 59.43/16, CMI 223.120/15, ...).

const data = loadEngineDataFromDisk();
// Everything the list holds, whatever its confidence, so no entry hides.
const classifier = new Classifier(data.list, data.table, { minConfidence: 'low' });

const flagged: Array<[string, string, number, string]> = [
  // [address, operator, ASN, what it is]
  ['202.97.1.1', 'china-telecom', 4134, 'CHINANET backbone'],
  ['218.30.48.1', 'china-telecom', 4134, 'China Telecom Los Angeles PoP'],
  ['59.43.0.1', 'china-telecom', 4809, 'CN2'],
  ['220.181.38.148', 'china-telecom', 23724, 'China Telecom Beijing IDC'],
  ['36.111.140.1', 'china-telecom', 58519, 'China Telecom cloud (CTYun)'],
  ['66.102.241.1', 'china-telecom', 36678, 'China Telecom Americas'],
  ['95.130.197.1', 'china-telecom', 44516, 'China Telecom Europe'],
  ['240e::1', 'china-telecom', 4134, 'CHINANET IPv6'],
  ['2400:9380:9000::1', 'china-telecom', 23764, 'China Telecom Global IPv6'],
  ['2602:fdda::1', 'china-telecom', 36678, 'China Telecom Americas IPv6'],
  ['111.0.1.1', 'china-mobile', 9808, 'CMNET'],
  ['120.196.1.1', 'china-mobile', 56040, 'China Mobile Guangdong'],
  ['223.120.2.1', 'china-mobile', 58453, 'China Mobile International'],
  ['2409:8000::1', 'china-mobile', 56048, 'China Mobile IPv6'],
  ['2402:4f00::1', 'china-mobile', 58453, 'China Mobile International IPv6'],
  ['123.125.1.1', 'china-unicom', 4808, 'China Unicom Beijing'],
  ['202.106.0.20', 'china-unicom', 4808, 'China Unicom Beijing DNS'],
  ['43.229.154.1', 'china-unicom', 10099, 'China Unicom Global'],
  ['199.102.92.1', 'china-unicom', 19174, 'China Unicom Americas'],
  ['2408:8000::1', 'china-unicom', 4837, 'China169 IPv6'],
  ['2401:8a00::1', 'china-unicom', 10099, 'China Unicom Global IPv6'],
  ['2604:bf80::1', 'china-unicom', 19174, 'China Unicom Americas IPv6'],
  ['::ffff:202.97.1.1', 'china-telecom', 4134, 'IPv4-mapped'],
  ['64:ff9b::111.0.1.1', 'china-mobile', 9808, 'NAT64'],
];

const notFlagged: Array<[string, string]> = [
  ['8.8.8.8', 'Google'],
  ['2001:4860:4860::8888', 'Google'],
  ['1.1.1.1', 'Cloudflare'],
  ['2606:4700:4700::1111', 'Cloudflare'],
  ['52.94.236.248', 'Amazon'],
  ['20.70.246.20', 'Microsoft'],
  ['13.107.42.14', 'Microsoft'],
  ['119.29.29.29', 'Tencent (DNSPod)'],
  ['223.5.5.5', 'Alibaba (AliDNS)'],
  ['180.76.76.76', 'Baidu'],
  ['2400:da00::1', 'Baidu IPv6'],
  ['166.111.8.28', 'CERNET (Tsinghua)'],
  ['202.112.0.36', 'CERNET'],
  ['2001:da8::1', 'CERNET2'],
  ['203.198.7.66', 'PCCW (Hong Kong)'],
  ['218.102.23.1', 'PCCW (Hong Kong)'],
  ['203.80.96.10', 'HKBN (Hong Kong)'],
];

const specialUse = [
  '0.0.0.0', '10.0.0.1', '10.255.255.255', '100.64.0.1', '127.0.0.1', '169.254.1.1', '172.16.0.1', '172.31.255.255',
  '192.0.2.1', '192.168.1.1', '198.18.0.1', '224.0.0.1', '255.255.255.255',
  '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '2001:db8::1',
];

describe('the shipped table on real addresses', () => {
  it.each(flagged)('%s is on %s (AS%i: %s)', (ip, operatorId, asn) => {
    expect(classifier.classify({ ip })).toMatchObject({ flagged: true, operatorId, asn, matchedBy: ['ip'] });
  });

  it.each(notFlagged)('%s (%s) is not flagged', (ip) => {
    expect(classifier.classify({ ip }).flagged).toBe(false);
  });

  it('no private, loopback, link-local or other special-use address is flagged', () => {
    for (const ip of specialUse) expect(classifier.classify({ ip }).flagged, ip).toBe(false);
    // Whole blocks, not just their first addresses.
    for (const [base, size] of [['10.0.0.0', 2 ** 24], ['127.0.0.0', 2 ** 24], ['172.16.0.0', 2 ** 20], ['192.168.0.0', 2 ** 16], ['169.254.0.0', 2 ** 16], ['100.64.0.0', 2 ** 22]] as const) {
      const start = Number(base.split('.').reduce((n, o) => n * 256 + Number(o), 0));
      for (let i = 0; i < 64; i++) {
        const ip = formatIPv4(start + Math.floor((i / 64) * size));
        expect(classifier.classify({ ip }).flagged, ip).toBe(false);
      }
    }
  });
});

describe('look-alikes stay out', () => {
  const lookalikes = parseLookalikes(readListFiles().lookalikesTsv!);

  it('the list has look-alikes to check', () => {
    expect(lookalikes.asns.size).toBeGreaterThanOrEqual(20);
    expect(lookalikes.domains.size).toBeGreaterThanOrEqual(5);
  });

  it('no look-alike ASN is in the list or holds a range in the table', () => {
    for (const asn of lookalikes.asns) {
      expect(data.list.asns.some((a) => a.asn === asn), `AS${asn} in list`).toBe(false);
      expect(classifier.tableHasAsn(asn), `AS${asn} in table`).toBe(false);
    }
  });

  it('no look-alike domain, nor a host under it, is flagged', () => {
    for (const domain of lookalikes.domains) {
      expect(classifier.classify({ host: domain }).flagged, domain).toBe(false);
      expect(classifier.classify({ host: `www.${domain}` }).flagged, `www.${domain}`).toBe(false);
    }
    expect(classifier.classify({ host: 'bca-proxy.accuniq.com' }).flagged).toBe(false);
    expect(classifier.classify({ host: 'store.cuniq.com' }).flagged).toBe(true);
  });
});

describe('the shipped domain list', () => {
  it.each([
    ['www.cmpassport.com', 'china-mobile'],
    ['id6.me', 'china-telecom'],
    ['open.e.189.cn', 'china-telecom'],
    ['enrichgw.10010.com', 'china-unicom'],
    ['opencloud.wostore.cn', 'china-unicom'],
    ['auth.wosms.cn', 'china-unicom'],
    ['mdn.open.wo.cn', 'china-unicom'],
  ])('%s is a phone-number login gateway of %s', (host, operatorId) => {
    expect(classifier.classify({ host })).toMatchObject({ flagged: true, operatorId, tags: expect.arrayContaining(['phone-login']) });
  });

  it('a portal page is flagged but not tagged as a login gateway', () => {
    const portal = classifier.classify({ host: 'www.10010.com' });
    expect(portal).toMatchObject({ flagged: true, operatorId: 'china-unicom' });
    expect(portal.tags).not.toContain('phone-login');
  });

  it('every entry carries its source and confidence', () => {
    for (const entry of [...data.list.asns, ...data.list.domains]) {
      expect(entry.source, JSON.stringify(entry)).toMatch(/\S/);
      expect(['high', 'medium', 'low']).toContain(entry.confidence);
    }
  });
});

describe('the background fast path', () => {
  it('mightFlag agrees with classify() on thousands of real and random inputs', () => {
    let seed = 7;
    const random = () => (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
    const v4Ranges = [...data.table.ranges(4)];
    const hosts = ['www.example.com', 'id6.me', 'open.e.189.cn', 'accuniq.com', 'x.cmpassport.com', 'cdn.example.net'];
    for (let i = 0; i < 5000; i++) {
      const r = v4Ranges[Math.floor(random() * v4Ranges.length)]!;
      const ip = i % 2 ? formatIPv4(Number(r.start)) : formatIPv4(Math.floor(random() * 2 ** 32));
      const host = hosts[i % hosts.length]!;
      const cname = i % 7 === 0 ? 'edge.cmpassport.com' : null;
      for (const c of [classifier, new Classifier(data.list, data.table)]) {
        expect(c.mightFlag(host, ip, cname), `${host} ${ip} ${cname}`).toBe(c.classify({ host, ip, cname }).flagged);
      }
    }
    for (const ip of ['2409:8000::1', '::ffff:202.97.1.1', '2001:db8::1', null]) {
      expect(classifier.mightFlag('example.org', ip)).toBe(classifier.classify({ host: 'example.org', ip }).flagged);
    }
  });
});
