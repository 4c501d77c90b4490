import { unblockedCount, type Endpoint, type PageView } from '../background/page-view.ts';
import type { LoggedEndpoint, SiteLog } from '../background/site-log.ts';
import { contactKinds } from '../engine/contact-kinds.ts';
import { isoTime } from './format.ts';
import { reachCounts } from './wording.ts';

// The current page's endpoints and a site's log as JSON and CSV, for a
// journalist's notes or an analyst's spreadsheet. Plain data, times in ISO
// 8601 UTC, the operator by id and by its English name (as in the data), and
// no query strings (the background keeps none).

/**
 * 3: per endpoint, `blocked` (requests Carrier Watch blocked: they never
 * reached the server, and are not in overNetwork, fromCache or failed) and
 * `reached` (any request was not blocked). 2: how each endpoint was reached
 * (overNetwork, fromCache, ipSource), what the page did (kinds, methods,
 * sentData), partial pages.
 */
export const EXPORT_FORMAT_VERSION = 3;

export interface ExportContext {
  /** Extension version. */
  version: string;
  now: number;
}

type Row = Record<string, string | number | boolean | null | string[]>;

function endpointRow(e: Endpoint | LoggedEndpoint): Row {
  const reach = reachCounts(e);
  const sentData = e.sentData ?? false;
  return {
    host: e.host,
    operatorId: e.operatorId,
    operator: e.operator,
    ips: e.ips,
    asn: e.asn,
    asName: e.asName,
    matchedBy: e.matchedBy,
    domain: 'domain' in e ? e.domain : null,
    cname: 'cname' in e ? e.cname : null,
    confidence: 'confidence' in e ? e.confidence : null,
    tags: e.tags,
    types: e.types,
    kinds: contactKinds(e.types, sentData),
    methods: e.methods ?? [],
    sentData,
    requests: e.count,
    overNetwork: reach.network,
    fromCache: reach.cache,
    failed: e.errors,
    blocked: reach.blocked,
    reached: unblockedCount(e) > 0,
    ipSource: 'ipSource' in e ? e.ipSource : null,
    party: e.party,
    firstSeen: isoTime(e.firstSeen),
    lastSeen: isoTime(e.lastSeen),
  };
}

function header(ctx: ExportContext, kind: 'page' | 'site-log') {
  return { tool: 'Carrier Watch', toolVersion: ctx.version, format: EXPORT_FORMAT_VERSION, kind, exportedAt: isoTime(ctx.now) };
}

/** The page's URL without query or fragment: those may hold tokens. */
export function shareableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

export function pageToJson(view: PageView, ctx: ExportContext): string {
  const body = {
    ...header(ctx, 'page'),
    page: { url: shareableUrl(view.url), site: view.site, startedAt: isoTime(view.startedAt), requests: view.requests, notListed: view.spilled, partial: view.partial ?? false },
    endpoints: view.endpoints.map(endpointRow),
  };
  return JSON.stringify(body, null, 2) + '\n';
}

export function siteLogToJson(log: SiteLog, ctx: ExportContext): string {
  const body = {
    ...header(ctx, 'site-log'),
    site: log.site,
    // Newest first, as the popup lists them.
    visits: [...log.visits].reverse().map((v) => ({
      url: v.url,
      startedAt: isoTime(v.startedAt),
      lastSeen: isoTime(v.lastSeen),
      notListed: v.spilled,
      partial: v.partial ?? false,
      endpoints: v.endpoints.map(endpointRow),
    })),
  };
  return JSON.stringify(body, null, 2) + '\n';
}

const ENDPOINT_COLUMNS = [
  'host', 'operatorId', 'operator', 'ips', 'asn', 'asName', 'matchedBy', 'domain', 'cname',
  'confidence', 'tags', 'types', 'kinds', 'methods', 'sentData', 'requests', 'overNetwork', 'fromCache', 'failed', 'blocked', 'reached', 'ipSource',
  'party', 'firstSeen', 'lastSeen',
] as const;

/**
 * One CSV cell (RFC 4180). A text cell that a spreadsheet would run as a
 * formula (=, +, -, @) is prefixed with a quote mark: a hostile AS name must
 * not become a formula in an analyst's spreadsheet.
 */
export function csvCell(value: Row[string]): string {
  let text = value === null ? '' : Array.isArray(value) ? value.join(' ') : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(columns: readonly string[], rows: Row[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c] ?? null)).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function pageToCsv(view: PageView): string {
  const pageUrl = shareableUrl(view.url);
  return csv(['pageUrl', ...ENDPOINT_COLUMNS], view.endpoints.map((e) => ({ pageUrl, ...endpointRow(e) })));
}

/** One row per endpoint per visit, newest visit first. */
export function siteLogToCsv(log: SiteLog): string {
  const rows: Row[] = [];
  for (const v of [...log.visits].reverse()) {
    for (const e of v.endpoints) rows.push({ visitStartedAt: isoTime(v.startedAt), visitUrl: v.url, ...endpointRow(e) });
  }
  return csv(['visitStartedAt', 'visitUrl', ...ENDPOINT_COLUMNS], rows);
}

/** "carrier-watch-example.com-page-20261121-1403.json" */
export function exportFileName(site: string, kind: 'page' | 'site-log' | 'settings', ext: 'json' | 'csv', now: number): string {
  const stamp = isoTime(now).slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const safeSite = site.replace(/[^a-z0-9.-]/gi, '_') || 'page';
  return kind === 'settings' ? `carrier-watch-settings-${stamp}.${ext}` : `carrier-watch-${safeSite}-${kind}-${stamp}.${ext}`;
}
