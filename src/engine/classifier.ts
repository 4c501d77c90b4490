import { DomainMatcher } from './domain-matcher.ts';
import { hostOfUrl, normalizeHost } from './host.ts';
import { parseIPv4, parseIp, type IpWords } from './ip-address.ts';
import type { IpTable } from './ip-table.ts';
import { partyOf, siteOf, type Party } from './party.ts';
import {
  CONFIDENCE_RANK,
  type AsnEntry,
  type Confidence,
  type DomainEntry,
  type DomainTag,
  type FlaggedList,
  type Operator,
  type OperatorId,
} from './types.ts';
import { EMPTY_USER_ENTRIES, validateCidr, type UserEntries } from './user-entries.ts';

// classify() answers one question for one request: does its destination
// belong to a flagged operator, and why? It is pure and synchronous: the
// background calls it for every request, the CLI for every line, the tests
// and benchmarks from Node.

export type MatchedBy = 'ip' | 'domain' | 'cname';

export interface IpMatch {
  by: 'ip';
  operatorId: OperatorId;
  asn: number | null;
  asName: string | null;
  entity: string;
  confidence: Confidence;
  source: string;
  /** Set when a user's CIDR matched rather than the bundled table. */
  cidr?: string;
}

export interface DomainMatch {
  /** 'cname': the host's canonical name (its CNAME chain's end) matched, not the host itself. */
  by: 'domain' | 'cname';
  operatorId: OperatorId;
  /** The listed domain that matched (a suffix of the host on a label boundary). */
  domain: string;
  entity: string;
  what: string;
  confidence: Confidence;
  source: string;
  tags: DomainTag[];
}

export type Match = IpMatch | DomainMatch;

export interface Classification {
  flagged: boolean;
  /** Operator of the primary match: the domain match when there is one, else the IP match. */
  operatorId: OperatorId | null;
  operator: string | null;
  asn: number | null;
  asName: string | null;
  confidence: Confidence | null;
  matchedBy: MatchedBy[];
  /** Relative to pageUrl; absent when no page was given. */
  party?: Party;
  tags: DomainTag[];
  matches: Match[];
  host: string | null;
  ip: string | null;
  /** The page's site is on the user's allowlist: the match stands, but nothing should warn. */
  allowlisted: boolean;
  /** Why an input could not be (fully) judged, e.g. an invalid IP; never thrown. */
  reason?: string;
}

export interface ClassifyInput {
  /** A URL, or pass `host` instead. */
  url?: string;
  host?: string;
  /** Server IP as the browser reports it (`details.ip`). */
  ip?: string | null;
  /** The host's canonical name from DNS (Firefox's dns.resolve), to catch a first-party name cloaking a flagged one. */
  cname?: string | null;
  /** The top-level page, for first/third party and the allowlist. */
  pageUrl?: string;
}

export interface ClassifierOptions {
  /** Operators to flag; all when absent. */
  enabledOperators?: Iterable<OperatorId>;
  /** Lowest confidence of ASN and domain entries that still flags. */
  minConfidence?: Confidence;
  user?: UserEntries;
}

export const CUSTOM_OPERATOR: Operator = {
  id: 'custom',
  name: 'Custom list',
  group: 'Entries you added',
  why: 'You added these networks or domains in the settings.',
  sources: [],
};

interface UserRange {
  family: 4 | 6;
  start: IpWords;
  end: IpWords;
  prefix: number;
  cidr: string;
  operatorId: OperatorId;
}

type DomainInfo = Omit<DomainMatch, 'by'>;

export class Classifier {
  private readonly operators = new Map<OperatorId, Operator>();
  private readonly asnInfo = new Map<number, AsnEntry>();
  private readonly domains = new DomainMatcher<DomainInfo>();
  /** Most specific first, so the first hit is the longest-prefix match. */
  private readonly userRanges: UserRange[] = [];
  private readonly allowlist: Set<string>;

  constructor(
    readonly list: FlaggedList,
    private readonly table: IpTable,
    options: ClassifierOptions = {},
  ) {
    const enabled = new Set(options.enabledOperators ?? ['china-mobile', 'china-telecom', 'china-unicom', 'custom']);
    const floor = CONFIDENCE_RANK[options.minConfidence ?? 'low'];
    const user = options.user ?? EMPTY_USER_ENTRIES;
    const passes = (operatorId: OperatorId, confidence: Confidence) =>
      enabled.has(operatorId) && CONFIDENCE_RANK[confidence] >= floor;

    for (const operator of [...list.operators, CUSTOM_OPERATOR]) this.operators.set(operator.id, operator);
    for (const entry of list.asns) if (passes(entry.operatorId, entry.confidence)) this.asnInfo.set(entry.asn, entry);
    for (const entry of list.domains) {
      if (passes(entry.operatorId, entry.confidence)) this.domains.set(entry.domain, domainInfo(entry));
    }
    // The user's word beats the curated list: their entries are always "high"
    // (they chose them) and apply whatever the confidence threshold.
    for (const entry of user.asns) {
      if (!enabled.has(entry.operatorId)) continue;
      const curated = list.asns.find((a) => a.asn === entry.asn);
      this.asnInfo.set(entry.asn, {
        asn: entry.asn,
        operatorId: entry.operatorId,
        entity: '',
        name: curated?.name ?? `AS${entry.asn}`,
        confidence: 'high',
        note: entry.note ?? '',
        source: 'your settings',
      });
    }
    for (const entry of user.domains) {
      if (!enabled.has(entry.operatorId)) continue;
      this.domains.set(entry.domain, {
        operatorId: entry.operatorId,
        domain: entry.domain,
        entity: '',
        what: entry.note ?? 'Added in your settings',
        confidence: 'high',
        source: 'your settings',
        tags: [],
      });
    }
    for (const entry of user.cidrs) {
      if (!enabled.has(entry.operatorId)) continue;
      const range = userRange(entry.cidr, entry.operatorId);
      if (range) this.userRanges.push(range);
    }
    this.userRanges.sort((a, b) => b.prefix - a.prefix);
    this.allowlist = new Set(user.allowlist);
  }

  operator(id: OperatorId): Operator | undefined {
    return this.operators.get(id);
  }

  /** Whether the bundled table holds any range for this ASN (a user's extra ASN only works if it does). */
  tableHasAsn(asn: number): boolean {
    return this.table.asnByIndex.includes(asn);
  }

  /** Is this page's site on the user's allowlist? */
  isAllowlisted(pageHost: string): boolean {
    return this.allowlist.size > 0 && (this.allowlist.has(pageHost) || this.allowlist.has(siteOf(pageHost)));
  }

  /**
   * Could this request be flagged? False means classify() would say "not
   * flagged"; true means ask it. Allocates nothing for an IPv4 request to an
   * unlisted host, the background's common case.
   */
  mightFlag(host: string, ip: string | null, cname: string | null = null): boolean {
    if (this.domains.match(host) !== undefined) return true;
    if (cname !== null) {
      const target = normalizeHost(cname);
      if (target.ok && target.host !== host && this.domains.match(target.host) !== undefined) return true;
    }
    const address = ip ?? host;
    const v4 = parseIPv4(address);
    if (v4 !== undefined && this.userRanges.length === 0) {
      const asn = this.table.lookupV4(v4);
      return asn !== 0 && this.asnInfo.has(asn);
    }
    // IPv6, IPv4 inside IPv6, user ranges: the general path.
    return this.matchIp(address).match !== undefined;
  }

  /** The match for an IP address alone, or a reason it could not be judged. */
  matchIp(ip: string): { match?: IpMatch; reason?: string } {
    const parsed = parseIp(ip);
    if (!parsed.ok) return { reason: parsed.reason };
    const user = this.matchUserRange(parsed.family, parsed.family === 4 ? parsed.value : parsed.words);
    if (user) return { match: user };
    const asn = parsed.family === 4 ? this.table.lookupV4(parsed.value) : this.table.lookupV6(parsed.words);
    if (asn === 0) return {};
    const entry = this.asnInfo.get(asn);
    if (!entry) return {}; // in the table, but its operator is off or below the threshold
    return {
      match: {
        by: 'ip',
        operatorId: entry.operatorId,
        asn,
        asName: entry.name,
        entity: entry.entity,
        confidence: entry.confidence,
        source: entry.source,
      },
    };
  }

  /** The match for a normalized host name alone. */
  matchDomain(host: string): DomainMatch | undefined {
    const hit = this.domains.match(host);
    return hit ? { by: 'domain', ...hit.value } : undefined;
  }

  classify(input: ClassifyInput): Classification {
    const result: Classification = {
      flagged: false,
      operatorId: null,
      operator: null,
      asn: null,
      asName: null,
      confidence: null,
      matchedBy: [],
      tags: [],
      matches: [],
      host: null,
      ip: null,
      allowlisted: false,
    };
    const reasons: string[] = [];

    const host = input.url !== undefined ? hostOfUrl(input.url) : input.host !== undefined ? normalizeHost(input.host) : undefined;
    if (host && !host.ok) reasons.push(host.reason);
    const hostName = host?.ok ? host.host : null;
    result.host = hostName;

    // An IP-literal host ("http://1.2.3.4/") is its own server address.
    let ip = input.ip ?? null;
    const hostIsIp = hostName !== null && parseIp(hostName).ok;
    if (ip === null && hostIsIp) ip = hostName;
    result.ip = ip;

    if (hostName !== null && !hostIsIp) {
      const domain = this.matchDomain(hostName);
      if (domain) result.matches.push(domain);
      const cname = input.cname ? normalizeHost(input.cname) : undefined;
      if (!domain && cname?.ok && cname.host !== hostName) {
        const viaCname = this.matchDomain(cname.host);
        if (viaCname) result.matches.push({ ...viaCname, by: 'cname' });
      }
    }
    if (ip !== null) {
      const { match, reason } = this.matchIp(ip);
      if (match) result.matches.push(match);
      if (reason) reasons.push(reason);
    }
    if (hostName === null && ip === null && reasons.length === 0) reasons.push('nothing to classify: give a URL, a host or an IP');

    if (input.pageUrl !== undefined && hostName !== null) {
      const page = hostOfUrl(input.pageUrl);
      if (page.ok) {
        result.party = partyOf(hostName, page.host);
        result.allowlisted = this.isAllowlisted(page.host);
      }
    }

    const primary = result.matches[0];
    if (primary) {
      result.flagged = true;
      result.operatorId = primary.operatorId;
      result.operator = this.operators.get(primary.operatorId)?.name ?? primary.operatorId;
      result.confidence = primary.confidence;
      for (const m of result.matches) {
        result.matchedBy.push(m.by);
        if (m.by !== 'ip') result.tags = m.tags;
        else {
          result.asn = m.asn;
          result.asName = m.asName;
        }
      }
    }
    if (reasons.length > 0) result.reason = reasons.join('; ');
    return result;
  }

  private matchUserRange(family: 4 | 6, address: number | IpWords): IpMatch | undefined {
    if (this.userRanges.length === 0) return undefined;
    const words: IpWords = typeof address === 'number' ? [0, 0, 0, address] : address;
    for (const range of this.userRanges) {
      if (range.family === family && compare(range.start, words) <= 0 && compare(words, range.end) <= 0) {
        return {
          by: 'ip',
          operatorId: range.operatorId,
          asn: null,
          asName: null,
          entity: '',
          confidence: 'high',
          source: 'your settings',
          cidr: range.cidr,
        };
      }
    }
    return undefined;
  }
}

function domainInfo(entry: DomainEntry): DomainInfo {
  return {
    operatorId: entry.operatorId,
    domain: entry.domain,
    entity: entry.entity,
    what: entry.what,
    confidence: entry.confidence,
    source: entry.source,
    tags: entry.tags,
  };
}

function compare(a: IpWords, b: IpWords): number {
  for (let k = 0; k < 4; k++) {
    if (a[k] !== b[k]) return a[k]! < b[k]! ? -1 : 1;
  }
  return 0;
}

/** A validated CIDR as a word range; IPv4 sits in the last word so both families compare alike. */
function userRange(cidr: string, operatorId: OperatorId): UserRange | undefined {
  const valid = validateCidr(cidr);
  if (!valid.ok) return undefined;
  const [address = '', lengthText = ''] = valid.value.split('/');
  const prefix = Number(lengthText);
  const parsed = parseIp(address);
  if (!parsed.ok) return undefined;
  if (parsed.family === 4) {
    // "::ffff:a.b.c.d/120" (an IPv4-mapped or NAT64 block) covers IPv4 addresses, as parseIp reports them.
    const v4Prefix = address.includes(':') ? prefix - 96 : prefix;
    if (v4Prefix < 0) return undefined;
    const size = 2 ** (32 - v4Prefix);
    const start = parsed.value - (parsed.value % size);
    return { family: 4, start: [0, 0, 0, start], end: [0, 0, 0, start + size - 1], prefix: v4Prefix, cidr: valid.value, operatorId };
  }
  const start = [...parsed.words] as IpWords;
  const end = [...parsed.words] as IpWords;
  for (let bit = prefix; bit < 128; bit++) {
    const word = bit >>> 5;
    end[word] = (end[word]! | (1 << (31 - (bit & 31)))) >>> 0;
  }
  return { family: 6, start, end, prefix, cidr: valid.value, operatorId };
}
