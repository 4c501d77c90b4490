import { createHash } from 'node:crypto';
import enMessages from '../../public/_locales/en/messages.json';
import { sendsData } from '../background/page-view.ts';
import type { Classification, Classifier, IpMatch } from '../engine/classifier.ts';
import { contactKinds, type ContactKind } from '../engine/contact-kinds.ts';
import { OPERATOR_IDS, type OperatorId } from '../engine/types.ts';
import type { ListFiles } from '../data/engine-data.ts';
import { lookupFromMessages } from '../ui/i18n.ts';
import { findCanaryLeaks, type Canary, type CanaryValues } from './canary.ts';
import { findLatentReferences } from './latent.ts';
import { REPORT_FORMAT, type AuditReport, type AuditedRequest, type CanaryLeak, type FlaggedEndpoint, type LatentReference, type PageReport, type StackFrame } from './report-types.ts';

// The audit must say what the extension says: same verdicts (the engine's
// classifier, the extension's rule for "sent data", its contact kinds) and
// same sentences (the English messages the popup shows, read from
// _locales without the browser's i18n), so a finding in CI and a badge in
// a browser never disagree. One endpoint per host and page, as the popup
// groups them; the evidence keeps every request, stack and all.

const message = lookupFromMessages(enMessages as Record<string, { message: string; placeholders?: Record<string, { content: string }> }>);

const OPERATOR_NAME_KEYS: Record<OperatorId, string> = {
  'china-mobile': 'operatorChinaMobile',
  'china-telecom': 'operatorChinaTelecom',
  'china-unicom': 'operatorChinaUnicom',
  custom: 'operatorCustom',
};

/** The operator's name as the extension shows it in English ("China Mobile", "Your custom entries"). */
export function operatorDisplayName(id: OperatorId): string {
  return message(OPERATOR_NAME_KEYS[id]) || id;
}

/** One of the extension's English messages, substitutions filled ("" for an unknown key). */
export function englishMessage(key: string, substitutions: string[] = []): string {
  return message(key, substitutions);
}

const KIND_KEYS: Record<ContactKind, string> = {
  'sent-data': 'kindSentData',
  script: 'kindScript',
  page: 'kindPage',
  frame: 'kindFrame',
  image: 'kindImage',
  file: 'kindFile',
  connected: 'kindConnected',
};

/** What the page did with an endpoint, in the popup's words: "Sent data to it (POST, WebSocket)", "Ran a script from it", ... */
export function kindLabels(endpoint: Pick<FlaggedEndpoint, 'kinds' | 'evidence'>): string[] {
  return endpoint.kinds.map((kind) => {
    if (kind !== 'sent-data') return message(KIND_KEYS[kind]) || kind;
    // As the popup's sendingMethods: the non-GET methods, then "WebSocket" and "beacon" by type.
    const how = unique([
      ...endpoint.evidence.map((r) => r.method.toUpperCase()).filter((m) => m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS'),
      ...endpoint.evidence.flatMap((r) => (r.resourceType === 'websocket' ? ['WebSocket'] : r.resourceType === 'ping' ? ['beacon'] : [])),
    ]);
    const withBody = unique(endpoint.evidence.filter((r) => r.bodyBytes > 0).map((r) => `${r.method.toUpperCase()} with a body`));
    return message('kindSentData', [(how.length > 0 ? how : withBody).join(', ') || 'POST']);
  });
}

/** What buildPageReport reads: the collector's PageCollection fits as it is. */
export interface PageInput {
  url: string;
  finalUrl: string | null;
  status: 'ok' | 'error';
  error: string | null;
  durationMs: number;
  /** Every request seen, in order, WebSockets included. */
  requests: readonly AuditedRequest[];
  /** WebSocket connections; counted from `requests` when absent. */
  websockets?: number;
  /** Script texts to search for flagged domains (latent.ts). */
  scripts?: ReadonlyArray<{ url: string; source: string; startLine?: number; startColumn?: number }>;
  /** What was sent beyond URLs (bodies, WebSocket frames), for the canary search. */
  payloads?: ReadonlyArray<{ request: AuditedRequest; texts: readonly string[] }>;
  /** Found by the caller already; merged with what `scripts` and `payloads` give, each once. */
  latent?: readonly LatentReference[];
  canaryLeaks?: readonly CanaryLeak[];
}

export interface PageReportOptions {
  /** The canaries --interact typed; the leak search runs only with them. */
  canaries?: CanaryValues | readonly Canary[] | null;
}

/** A CDP resource type (lower case) as webRequest names it, which is what the extension's contact kinds read. */
export function webRequestType(request: Pick<AuditedRequest, 'resourceType' | 'targetType' | 'mainFrame'>): string {
  switch (request.resourceType) {
    case 'document':
      return (request.mainFrame ?? request.targetType === 'page') ? 'main_frame' : 'sub_frame';
    case 'script':
    case 'image':
    case 'stylesheet':
    case 'font':
    case 'media':
    case 'websocket':
    case 'ping':
      return request.resourceType;
    case 'xhr':
    case 'fetch':
    case 'eventsource':
      return 'xmlhttprequest';
    case 'cspviolationreport':
      return 'csp_report';
    default:
      return 'other';
  }
}

/** Whether the request sent the server data beyond its URL: the extension's rule (a non-GET method, a beacon, a WebSocket), or a body. */
export function sentData(request: Pick<AuditedRequest, 'method' | 'resourceType' | 'targetType' | 'mainFrame' | 'bodyBytes'>): boolean {
  return sendsData(request.method.toUpperCase(), webRequestType(request)) || request.bodyBytes > 0;
}

interface HostGroup {
  host: string;
  requests: AuditedRequest[];
  classifications: Classification[];
}

export function buildPageReport(page: PageInput, classifier: Classifier, options: PageReportOptions = {}): PageReport {
  const cache = new Map<string, Classification>();
  const groups = new Map<string, HostGroup>();
  for (const request of page.requests) {
    const host = request.host.toLowerCase();
    if (host === '') continue;
    const key = `${host}|${request.ip ?? ''}`;
    let classification = cache.get(key);
    if (classification === undefined) {
      classification = classifier.classify({ host, ip: request.ip });
      cache.set(key, classification);
    }
    let group = groups.get(host);
    if (group === undefined) {
      group = { host, requests: [], classifications: [] };
      groups.set(host, group);
    }
    group.requests.push(request);
    group.classifications.push(classification);
  }

  const flagged: FlaggedEndpoint[] = [];
  for (const group of groups.values()) {
    const endpoint = endpointOf(group);
    if (endpoint) flagged.push(endpoint);
  }
  // The extension's fixed operator order, then first seen: the report reads the same run after run.
  flagged.sort((a, b) => OPERATOR_IDS.indexOf(a.operatorId) - OPERATOR_IDS.indexOf(b.operatorId));

  const latent = dedupe(
    [...(page.latent ?? []), ...(page.scripts ?? []).flatMap((s) => findLatentReferences(s.url, s.source, classifier, { startLine: s.startLine ?? 0, startColumn: s.startColumn ?? 0 }))],
    (r) => `${r.scriptUrl}\n${r.domain}\n${r.line}\n${r.column}`,
  );

  const flaggedHosts = new Set(flagged.map((e) => e.host));
  const isFlagged = (host: string) => flaggedHosts.has(host) || classifier.classify({ host }).flagged;
  const leaks: CanaryLeak[] = [...(page.canaryLeaks ?? [])];
  if (options.canaries) {
    const canaries = options.canaries;
    for (const request of page.requests) leaks.push(...findCanaryLeaks({ url: request.url, host: request.host, body: null }, canaries, isFlagged));
    for (const payload of page.payloads ?? []) {
      for (const text of payload.texts) {
        const request = payload.request;
        leaks.push(...findCanaryLeaks({ url: request.url, host: request.host, body: text }, canaries, isFlagged).filter((l) => l.where === 'body'));
      }
    }
  }
  const canaryLeaks = dedupe(leaks, (l) => `${l.canary}\n${l.requestUrl}\n${l.where}\n${l.encoding}`);

  return {
    url: page.url,
    finalUrl: page.finalUrl,
    status: page.status,
    error: page.status === 'error' ? (page.error ?? 'the page could not be audited') : page.error,
    durationMs: Math.max(0, Math.round(page.durationMs)),
    flagged,
    latent,
    canaryLeaks,
    requests: page.requests.length,
    websockets: page.websockets ?? page.requests.filter((r) => r.resourceType === 'websocket').length,
  };
}

function endpointOf(group: HostGroup): FlaggedEndpoint | undefined {
  const domainMatch = group.classifications.flatMap((c) => c.matches).find((m) => m.by !== 'ip');
  let ipMatch: IpMatch | undefined;
  let matchedIp: string | null = null;
  for (let k = 0; k < group.classifications.length && ipMatch === undefined; k++) {
    ipMatch = group.classifications[k]!.matches.find((x): x is IpMatch => x.by === 'ip');
    if (ipMatch) matchedIp = group.requests[k]!.ip;
  }
  const primary = domainMatch ?? ipMatch;
  if (primary === undefined) return undefined;

  const ips = unique(group.requests.map((r) => r.ip).filter((ip): ip is string => ip !== null && ip !== ''));
  const types = group.requests.map(webRequestType);
  const sent = group.requests.some(sentData);
  const first = group.requests[0]!;
  const byScript = group.requests.find((r) => r.initiators.length > 0);
  const byParser = group.requests.find((r) => r.parserLocation !== undefined);
  const initiators: StackFrame[] = byScript ? byScript.initiators : byParser?.parserLocation ? [{ ...byParser.parserLocation }] : [];
  const operatorId = primary.operatorId;
  const matchedBy = [...(domainMatch ? [domainMatch.by] : []), ...(ipMatch ? (['ip'] as const) : [])];

  return {
    host: group.host,
    // The address that is the evidence when only the address matched; else the first one seen.
    ip: domainMatch ? (ips[0] ?? null) : matchedIp,
    operatorId,
    operator: operatorDisplayName(operatorId),
    matchedBy,
    kinds: contactKinds(types, sent),
    requests: group.requests.length,
    frameUrl: first.frameUrl,
    initiators,
    evidence: group.requests,
    meaning: meaningOf(group.host, domainMatch?.domain ?? null, domainMatch?.by ?? null, ipMatch, operatorId, domainMatch?.tags ?? []),
    ips,
    domain: domainMatch?.domain ?? null,
    asn: ipMatch?.asn ?? null,
    asName: ipMatch?.asName ?? null,
    confidence: primary.confidence,
    tags: domainMatch?.tags ?? [],
    methods: unique(group.requests.map((r) => r.method.toUpperCase())),
  };
}

/** The popup's sentences for the match (wording.ts's matchExplanations), then the phone-login note. */
function meaningOf(host: string, domain: string | null, by: 'domain' | 'cname' | null, ip: IpMatch | undefined, operatorId: OperatorId, tags: readonly string[]): string {
  const custom = operatorId === 'custom';
  const operator = operatorDisplayName(operatorId);
  const out: string[] = [];
  if (by === 'domain') out.push(custom ? message('matchDomainCustom', [domain ?? host]) : message('matchDomain', [domain ?? host, operator]));
  if (by === 'cname') out.push(custom ? message('matchCnameCustom', [domain ?? host]) : message('matchCname', [domain ?? host, operator]));
  if (ip) {
    // The IP's own operator: a listed domain hosted on another operator's network says so.
    const ipCustom = ip.operatorId === 'custom';
    const ipOperator = operatorDisplayName(ip.operatorId);
    if (ip.asn !== null) out.push(ipCustom ? message('matchIpCustom', [String(ip.asn)]) : message('matchIp', [ipOperator, String(ip.asn)]));
    else out.push(ipCustom ? message('matchUserRangeCustom') : message('matchUserRange', [ipOperator]));
  }
  if (tags.includes('phone-login')) out.push(message('phoneLoginTitle'));
  return out.join(' ');
}

export interface AuditInput {
  /** The tool's version (package.json). */
  version: string;
  startedAt: Date | string;
  finishedAt: Date | string;
  browser: { path: string; version: string };
  data: { listVersion: string; tableDate: string };
  options: { interact: boolean; concurrency: number; timeoutMs: number };
  pages: readonly PageReport[];
}

export function buildAuditReport(input: AuditInput): AuditReport {
  const pages = [...input.pages];
  return {
    format: REPORT_FORMAT,
    tool: { name: 'carrier-watch', version: input.version },
    startedAt: isoTime(input.startedAt),
    finishedAt: isoTime(input.finishedAt),
    browser: { ...input.browser },
    data: { ...input.data },
    options: { ...input.options },
    pages,
    summary: {
      pages: pages.length,
      errors: pages.filter((p) => p.status === 'error').length,
      flaggedPages: pages.filter(hasFindings).length,
      flaggedEndpoints: sum(pages, (p) => p.flagged.length),
      latent: sum(pages, (p) => p.latent.length),
      canaryLeaks: sum(pages, (p) => p.canaryLeaks.length),
    },
  };
}

/** A flagged contact, a latent reference or a canary leak: what fails a page in CI. */
export function hasFindings(page: PageReport): boolean {
  return page.flagged.length > 0 || page.latent.length > 0 || page.canaryLeaks.length > 0;
}

/**
 * The process's exit code: 2 when any page could not be audited (an
 * incomplete scan is never a pass, even with findings elsewhere), or when
 * there was no page at all; else 1 when anything was found; else 0.
 */
export function exitCodeOf(report: Pick<AuditReport, 'pages'>): 0 | 1 | 2 {
  if (report.pages.length === 0 || report.pages.some((p) => p.status === 'error')) return 2;
  return report.pages.some(hasFindings) ? 1 : 0;
}

/**
 * What the report says it was judged against: the curated list by a hash
 * of its files (it has no version of its own; the hash changes with any
 * edit), the IP table by its source's date.
 */
export function dataInfo(files: ListFiles, tableMeta: { source: { version: string; dataDate: string } }): AuditReport['data'] {
  const hash = createHash('sha256');
  for (const text of [files.operatorsJson, files.asnsTsv, files.domainsTsv, files.lookalikesTsv ?? '']) hash.update(text).update('\0');
  return { listVersion: `sha256:${hash.digest('hex').slice(0, 12)}`, tableDate: tableMeta.source.dataDate };
}

function isoTime(time: Date | string): string {
  const date = typeof time === 'string' ? new Date(time) : time;
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
