import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { domainSyntaxProblem, FlaggedListError, parseFlaggedList, parseLookalikes, type FlaggedListFiles } from './flagged-list.ts';
import type { FlaggedList } from './types.ts';

const dataDir = fileURLToPath(new URL('../../data/flagged/', import.meta.url));
const read = (name: string): string => readFileSync(dataDir + name, 'utf8');
const committed: FlaggedListFiles = {
  operatorsJson: read('operators.json'),
  asnsTsv: read('asns.tsv'),
  domainsTsv: read('domains.tsv'),
  lookalikesTsv: read('lookalikes.tsv'),
};

/** The problems parseFlaggedList reports, or [] if it parses. */
function problemsOf(files: FlaggedListFiles): string[] {
  try {
    parseFlaggedList(files);
    return [];
  } catch (error) {
    if (error instanceof FlaggedListError) return error.problems;
    throw error;
  }
}

const ASN_HEADER = 'asn\toperator\tentity\tconfidence\tname\tnote\tsource';
const DOMAIN_HEADER = 'domain\toperator\tentity\tconfidence\ttags\twhat\tsource';
const row = (...fields: string[]): string => fields.join('\t');
const minimal = (overrides: Partial<FlaggedListFiles>): FlaggedListFiles => ({
  operatorsJson: committed.operatorsJson,
  asnsTsv: `${ASN_HEADER}\n${row('4134', 'china-telecom', '', 'high', 'CHINANET', '', 'test')}\n`,
  domainsTsv: `${DOMAIN_HEADER}\n`,
  lookalikesTsv: 'kind\tvalue\tnote\n',
  ...overrides,
});

describe('the committed curated list', () => {
  const list: FlaggedList = parseFlaggedList(committed);

  it('parses with no problem', () => {
    expect(problemsOf(committed)).toEqual([]);
    expect(list.operators.map((o) => o.id)).toEqual(['china-mobile', 'china-telecom', 'china-unicom']);
  });

  it('has the expected counts by operator and confidence', () => {
    const count = <T>(items: T[], key: (item: T) => string) =>
      items.reduce<Record<string, number>>((acc, item) => ({ ...acc, [key(item)]: (acc[key(item)] ?? 0) + 1 }), {});
    expect(list.asns).toHaveLength(241);
    expect(count(list.asns, (a) => a.operatorId)).toEqual({ 'china-telecom': 155, 'china-mobile': 46, 'china-unicom': 40 });
    expect(count(list.asns, (a) => a.confidence)).toEqual({ high: 189, medium: 46, low: 6 });
    expect(count(list.domains, (d) => d.operatorId)).toEqual({ 'china-mobile': 15, 'china-telecom': 14, 'china-unicom': 20 });
  });

  it('cites a source for every operator and a why', () => {
    for (const operator of list.operators) {
      expect(operator.why.length).toBeGreaterThan(40);
      expect(operator.sources.length).toBeGreaterThan(1);
    }
  });

  it('tags every phone-number verification gateway as phone-login', () => {
    const gateways = ['cmpassport.com', 'id6.me', 'open.e.189.cn', 'enrichgw.10010.com', 'opencloud.wostore.cn', 'auth.wosms.cn', 'mdn.open.wo.cn'];
    for (const domain of gateways) {
      const entry = list.domains.find((d) => d.domain === domain);
      expect(entry, domain).toBeDefined();
      expect(entry!.tags, domain).toContain('phone-login');
    }
  });

  it('flags no look-alike ASN or domain, even as a subdomain', () => {
    const lookalikes = parseLookalikes(committed.lookalikesTsv!);
    expect(lookalikes.asns).toContain(18976); // UNICOM Systems
    expect(lookalikes.asns).toContain(152194); // CTG Server
    expect(lookalikes.asns).toContain(4609); // CTM Macau
    expect(lookalikes.domains).toContain('accuniq.com');
    for (const entry of list.asns) expect(lookalikes.asns.has(entry.asn), `AS${entry.asn}`).toBe(false);
    for (const lookalike of lookalikes.domains) {
      const hit = list.domains.find((d) => lookalike === d.domain || lookalike.endsWith(`.${d.domain}`));
      expect(hit, lookalike).toBeUndefined();
    }
  });

  it('keeps zong.com.pk at medium by policy', () => {
    const zong = list.domains.find((d) => d.domain === 'zong.com.pk');
    expect(zong?.confidence).toBe('medium');
    expect(zong?.what).toMatch(/policy/i);
  });
});

describe('parseFlaggedList on malformed input', () => {
  it('reports every problem in asns.tsv at once, with file:line', () => {
    const asnsTsv = [
      ASN_HEADER,
      '# comment lines and blank lines are skipped',
      '',
      row('4134', 'china-telecom', '', 'hgh', 'CHINANET', '', 'test'),
      row('4134', 'china-telecom', '', 'high', 'CHINANET again', '', 'test'),
      row('0', 'china-mobile', '', 'high', 'zero', '', 'test'),
      row('4294967296', 'china-mobile', '', 'high', 'too big', '', 'test'),
      row('12x', 'china-mobile', '', 'high', 'not a number', '', 'test'),
      row('9808', 'china-mobil', '', 'high', 'CMNET', '', 'test'),
      row('9808', 'custom', '', 'high', 'CMNET', '', 'test'),
      row('4837', 'china-unicom', '', 'high', 'CHINA169', ''),
      row('4538', 'china-telecom', '', 'medium', 'CERNET', '', 'test'),
      row('4809', 'china-telecom', '', 'high', '', '', ''),
    ].join('\n');
    const problems = problemsOf(minimal({ asnsTsv, lookalikesTsv: 'kind\tvalue\tnote\nasn\t4538\tCERNET, not China Telecom\n' }));
    expect(problems).toEqual([
      'asns.tsv:4: confidence "hgh" is not high, medium or low',
      'asns.tsv:5: duplicate ASN 4134 (first on line 4)',
      'asns.tsv:6: asn "0" is not an integer from 1 to 4294967295',
      'asns.tsv:7: asn "4294967296" is not an integer from 1 to 4294967295',
      'asns.tsv:8: asn "12x" is not an integer from 1 to 4294967295',
      'asns.tsv:9: operator "china-mobil" is not china-mobile, china-telecom, china-unicom',
      'asns.tsv:10: duplicate ASN 9808 (first on line 9)',
      'asns.tsv:10: operator "custom" is not china-mobile, china-telecom, china-unicom',
      'asns.tsv:11: expected 7 tab-separated columns, found 6',
      'asns.tsv:12: AS4538 is a look-alike in lookalikes.tsv and must not be flagged',
      'asns.tsv:13: column "name" must not be empty',
      'asns.tsv:13: column "source" must not be empty',
    ]);
  });

  it('checks domain syntax, tags, duplicates and look-alikes in domains.tsv', () => {
    const domainsTsv = [
      DOMAIN_HEADER,
      row('Example.com', 'china-mobile', '', 'high', '', 'x', 'test'),
      row('example.com.', 'china-mobile', '', 'high', '', 'x', 'test'),
      row('localhost', 'china-mobile', '', 'high', '', 'x', 'test'),
      row('-bad.com', 'china-mobile', '', 'high', '', 'x', 'test'),
      row('bad_.com', 'china-mobile', '', 'high', '', 'x', 'test'),
      row('ok.com', 'china-mobile', '', 'high', 'phone-login, clowd', 'x', 'test'),
      row('ok.com', 'china-mobile', '', 'high', 'portal,portal', 'x', 'test'),
      row('cuniq.com', 'china-unicom', '', 'high', '', 'x', 'test'),
      row('accuniq.com', 'china-unicom', '', 'high', '', 'x', 'test'),
      row('1.2.3.4', 'china-unicom', '', 'high', '', 'x', 'test'),
      row('bank.example', 'china-unicom', '', 'high', '', 'x', 'test'),
    ].join('\n');
    const lookalikesTsv = 'kind\tvalue\tnote\ndomain\taccuniq.com\tnot Unicom\ndomain\tbranch.bank.example\tnot Unicom\n';
    const problems = problemsOf(minimal({ domainsTsv, lookalikesTsv }));
    expect(problems).toEqual([
      'domains.tsv:2: domain "Example.com" must be lower case',
      'domains.tsv:3: domain "example.com." has a trailing dot',
      'domains.tsv:4: domain "localhost" needs at least two labels (e.g. example.com)',
      'domains.tsv:5: domain "-bad.com" has a label starting or ending with "-" ("-bad")',
      'domains.tsv:6: domain "bad_.com" has a label with characters outside a-z, 0-9 and "-" ("bad_"); write IDNs in punycode',
      'domains.tsv:7: unknown tag "clowd" (allowed: phone-login, cloud, infrastructure, portal, corporate)',
      'domains.tsv:8: duplicate domain "ok.com" (first on line 7)',
      'domains.tsv:8: tag "portal" is repeated',
      'domains.tsv:10: "accuniq.com" is a look-alike (lookalikes.tsv:2) and must not be flagged',
      'domains.tsv:11: domain "1.2.3.4" looks like an IP address, not a domain',
      'domains.tsv:12: "bank.example" would also flag look-alike "branch.bank.example" (lookalikes.tsv:3)',
    ]);
  });

  it('reports problems across all files in one error', () => {
    const error = (() => {
      try {
        parseFlaggedList({
          operatorsJson: '[{"id": "china-mobile", "name": "", "group": "g", "why": "w", "sources": [{"title": "t", "url": "http://x"}], "extra": 1}]',
          asnsTsv: 'asn\toperator\n',
          domainsTsv: `${DOMAIN_HEADER}\n${row('ok.com', 'china-telecom', '', 'high', '', 'x', 'test')}\n`,
          lookalikesTsv: 'kind\tvalue\tnote\nnetwork\t1\tx\nasn\tAS1\tx\n',
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FlaggedListError);
    const problems = (error as FlaggedListError).problems;
    expect(problems).toEqual([
      'operators.json:1: operator 1 ("china-mobile"): unknown key "extra"',
      'operators.json:1: operator 1 ("china-mobile"): "name" must be a non-empty string',
      'operators.json:1: operator 1 ("china-mobile"): sources[0]: "url" must be an https:// URL',
      'asns.tsv:1: header must be exactly "asn<TAB>operator<TAB>entity<TAB>confidence<TAB>name<TAB>note<TAB>source"',
      'domains.tsv:2: operator "china-telecom" is not defined in operators.json',
      'lookalikes.tsv:2: kind "network" is not asn or domain',
      'lookalikes.tsv:3: asn "AS1" is not an integer from 1 to 4294967295',
    ]);
    expect((error as Error).message).toContain('7 problem(s)');
  });

  it('points at the line of the operator in operators.json', () => {
    const operatorsJson = JSON.stringify(JSON.parse(committed.operatorsJson).map((o: { id: string }) => (o.id === 'china-unicom' ? { ...o, why: '' } : o)), null, 2);
    const problems = problemsOf(minimal({ operatorsJson }));
    const line = operatorsJson.split('\n').findIndex((l) => l.includes('"china-unicom"')) + 1;
    expect(problems).toEqual([`operators.json:${line}: operator 3 ("china-unicom"): "why" must be a non-empty string`]);
  });

  it('reports invalid JSON and a missing header', () => {
    expect(problemsOf(minimal({ operatorsJson: '[{' }))[0]).toMatch(/^operators\.json:1: not valid JSON/);
    expect(problemsOf(minimal({ domainsTsv: '# only a comment\n' }))).toEqual(['domains.tsv:1: missing header "domain<TAB>operator<TAB>entity<TAB>confidence<TAB>tags<TAB>what<TAB>source"']);
  });

  it('accepts CRLF line endings and no lookalikes file', () => {
    const asnsTsv = `${ASN_HEADER}\r\n${row('4134', 'china-telecom', '', 'high', 'CHINANET', '', 'test')}\r\n`;
    const list = parseFlaggedList({ operatorsJson: committed.operatorsJson, asnsTsv, domainsTsv: `${DOMAIN_HEADER}\n` });
    expect(list.asns).toEqual([{ asn: 4134, operatorId: 'china-telecom', entity: '', name: 'CHINANET', confidence: 'high', note: '', source: 'test' }]);
  });
});

describe('parseLookalikes', () => {
  it('returns the sets, or throws with every problem', () => {
    expect(parseLookalikes('kind\tvalue\tnote\nasn\t18976\tUNICOM Systems\ndomain\tcmcm.com\tCheetah Mobile\n')).toEqual({
      asns: new Set([18976]),
      domains: new Set(['cmcm.com']),
    });
    expect(() => parseLookalikes('kind\tvalue\tnote\nasn\t18976\tx\nasn\t18976\tx\ndomain\tCMCM.com\t\n')).toThrow(
      /lookalikes\.tsv:3: duplicate look-alike ASN 18976 \(first on line 2\)\nlookalikes\.tsv:4: column "note" must not be empty\nlookalikes\.tsv:4: domain "CMCM\.com" must be lower case/,
    );
  });
});

describe('domainSyntaxProblem', () => {
  it('accepts punycode and rejects over-long names', () => {
    expect(domainSyntaxProblem('xn--fiqs8s.cn')).toBeUndefined();
    expect(domainSyntaxProblem(`${'a'.repeat(64)}.com`)).toMatch(/longer than 63/);
    expect(domainSyntaxProblem(`${'abcdefghi.'.repeat(26)}com`)).toBe('is longer than 253 characters');
    expect(domainSyntaxProblem('a..com')).toBe('has an empty label');
  });
});
