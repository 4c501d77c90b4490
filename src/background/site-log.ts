import { frameLabel, type Endpoint, type PageView } from './page-view.ts';

// The per-site log: for each site (registrable domain of the page), the
// visits on which it contacted flagged networks, and what. Only such visits
// are kept: Carrier Watch does not keep a browsing history. Bounded by a
// retention period, visits per site and total size, oldest out first.

export interface LoggedEndpoint {
  host: string;
  operatorId: Endpoint['operatorId'];
  operator: string;
  ips: string[];
  asn: number | null;
  asName: string | null;
  matchedBy: Endpoint['matchedBy'];
  tags: Endpoint['tags'];
  types: string[];
  count: number;
  errors: number;
  /** Absent in visits logged before 0.2.0. */
  cached?: number;
  methods?: string[];
  sentData?: boolean;
  /** Requests Carrier Watch blocked; absent when none were (and before 0.2.0). */
  blocked?: number;
  party: Endpoint['party'];
  firstSeen: number;
  lastSeen: number;
}

export interface Visit {
  /** The page view's id: the same visit is updated in place while it goes on. */
  id: string;
  /** Origin and path only: the query may hold tokens. */
  url: string;
  startedAt: number;
  lastSeen: number;
  endpoints: LoggedEndpoint[];
  spilled: number;
  /** Carrier Watch started while the page was loading: a lower bound. */
  partial?: boolean;
}

export interface SiteLog {
  site: string;
  /** Oldest first. */
  visits: Visit[];
}

/** Index of every logged site: when it was last seen and how big its entry is. */
export type SiteIndex = Record<string, { lastSeen: number; bytes: number }>;

export interface LogLimits {
  retentionDays: number;
  visitsPerSite: number;
  /** Total size of all site entries, as JSON characters. */
  maxBytes: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { retentionDays: 30, visitsPerSite: 50, maxBytes: 4_000_000 };

const DAY_MS = 86_400_000;

/**
 * Whether a page view belongs in the log on disk: only with something
 * flagged on it, never from a private window, never on an allowlisted site.
 */
export function shouldLog(view: PageView, isPrivate: boolean): boolean {
  return !isPrivate && !view.allowlisted && view.site !== '' && view.endpoints.length > 0;
}

export function visitOf(view: PageView): Visit {
  return {
    id: view.id,
    url: frameLabel(view.url) ?? '',
    startedAt: view.startedAt,
    lastSeen: Math.max(view.startedAt, ...view.endpoints.map((e) => e.lastSeen)),
    spilled: view.spilled,
    ...(view.partial ? { partial: true } : {}),
    endpoints: view.endpoints.map((e) => ({
      host: e.host,
      operatorId: e.operatorId,
      operator: e.operator,
      ips: e.ips.slice(0, 4),
      asn: e.asn,
      asName: e.asName,
      matchedBy: e.matchedBy,
      tags: e.tags,
      types: e.types,
      count: e.count,
      errors: e.errors,
      cached: e.cached,
      methods: e.methods,
      sentData: e.sentData,
      ...(e.blocked ? { blocked: e.blocked } : {}),
      party: e.party,
      firstSeen: e.firstSeen,
      lastSeen: e.lastSeen,
    })),
  };
}

/** The log with this visit added or updated, then trimmed to the limits. */
export function withVisit(log: SiteLog | undefined, site: string, visit: Visit, now: number, limits: LogLimits): SiteLog {
  const visits = (log?.visits ?? []).filter((v) => v.id !== visit.id);
  visits.push(visit);
  visits.sort((a, b) => a.startedAt - b.startedAt);
  return { site, visits: trimVisits(visits, now, limits) };
}

export function trimVisits(visits: Visit[], now: number, limits: LogLimits): Visit[] {
  const cutoff = now - limits.retentionDays * DAY_MS;
  return visits.filter((v) => v.lastSeen >= cutoff).slice(-limits.visitsPerSite);
}

export function sizeOf(log: SiteLog): number {
  return JSON.stringify(log).length;
}

/**
 * Which sites to drop so the log fits: every site with no visit inside the
 * retention period, then the least recently seen until the total fits.
 */
export function sitesToEvict(index: SiteIndex, now: number, limits: LogLimits): string[] {
  const cutoff = now - limits.retentionDays * DAY_MS;
  const evict: string[] = [];
  let total = 0;
  const kept: Array<[string, { lastSeen: number; bytes: number }]> = [];
  for (const [site, entry] of Object.entries(index)) {
    if (entry.lastSeen < cutoff) evict.push(site);
    else {
      kept.push([site, entry]);
      total += entry.bytes;
    }
  }
  kept.sort((a, b) => a[1].lastSeen - b[1].lastSeen);
  for (const [site, entry] of kept) {
    if (total <= limits.maxBytes) break;
    evict.push(site);
    total -= entry.bytes;
  }
  return evict;
}
