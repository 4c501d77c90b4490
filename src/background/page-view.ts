import type { Classification, MatchedBy } from '../engine/classifier.ts';
import type { Confidence, DomainTag, OperatorId } from '../engine/types.ts';

// What one page view contacted: the flagged endpoints (host + operator) with
// how, how often, and from where. Plain data, so it serializes as is to
// storage.session and the site log, and the popup reads the same shape.

/** Caps that keep a page making 10,000 requests bounded in memory and storage. */
export const LIMITS = {
  endpointsPerPageView: 200,
  ipsPerEndpoint: 8,
  framesPerEndpoint: 4,
  typesPerEndpoint: 12,
  methodsPerEndpoint: 6,
} as const;

/**
 * Where an endpoint's IPs came from: a response reported it (over the network,
 * or Chrome's disk cache, which keeps the IP with the entry); the IP last seen
 * for the host (a resource served from a cache reports none); or what
 * Firefox's DNS answered. Null: not known.
 */
export type IpSource = 'response' | 'last-seen' | 'dns';

/** An endpoint's IP source once `next` is learned too: the first known one, unless a response reported an IP. */
function betterIpSource(current: IpSource | null, next: IpSource | null): IpSource | null {
  return next !== null && (current === null || next === 'response') ? next : current;
}

export interface Endpoint {
  host: string;
  operatorId: OperatorId;
  operator: string;
  ips: string[];
  asn: number | null;
  asName: string | null;
  matchedBy: MatchedBy[];
  /** The listed domain that matched, or the CNAME target that did. */
  domain: string | null;
  cname: string | null;
  confidence: Confidence;
  tags: DomainTag[];
  /** webRequest resource types seen: script, image, xmlhttprequest, websocket, main_frame, ... */
  types: string[];
  /** Requests (each redirect hop counts) that reached or tried to reach it. */
  count: number;
  /** Of those, how many failed (not counting the ones Carrier Watch blocked). */
  errors: number;
  /**
   * Of those, how many Carrier Watch blocked: they never reached the server.
   * Absent in state saved before blocking existed (read as 0).
   */
  blocked?: number;
  /**
   * Of those, how many the page used from a cache: a response the browser
   * served from its disk cache, or a resource the page reported (Resource
   * Timing, an image load) with no webRequest event at all (memory, image,
   * preload and service-worker caches). The rest went over the network.
   */
  cached: number;
  /** HTTP methods seen (GET, POST, ...), in order of first use. */
  methods: string[];
  /** It received data: a request with a non-GET method (POST, PUT, a beacon, a form), or a WebSocket. */
  sentData: boolean;
  /** How `ips` were learned; null while no IP is known. */
  ipSource: IpSource | null;
  firstSeen: number;
  lastSeen: number;
  party: 'first' | 'third';
  /** URLs (origin + path) of the frames the requests came from; the top page's is listed as such. */
  frames: string[];
  /** Some requests came from a worker with no tab (tabId -1) and were attributed here by origin. */
  viaWorker: boolean;
}

export interface PageView {
  /** Unique per page view: `${tabId}:${startedAt}:${sequence}`. */
  id: string;
  url: string;
  /** Registrable domain of the page (see engine/party.ts). */
  site: string;
  /** Chrome's documentId of the top document, when known (prerender, back/forward cache). */
  documentId: string | null;
  startedAt: number;
  endpoints: Endpoint[];
  /** Flagged contacts that did not fit under the endpoint cap. */
  spilled: number;
  /** Every request seen for this page view, flagged or not. */
  requests: number;
  allowlisted: boolean;
  /**
   * Carrier Watch started (install, update, enable, browser start) while this
   * page was loading, so what it contacted before is missing: the count is a
   * lower bound until the tab's next navigation.
   */
  partial?: boolean;
}

/** One request (or redirect hop) to a flagged destination, as the watcher saw it. */
export interface Contact {
  classification: Classification;
  host: string;
  ip: string | null;
  type: string;
  failed: boolean;
  time: number;
  party: 'first' | 'third';
  frameUrl: string | null;
  viaWorker: boolean;
  cname: string | null;
  /** Served from a cache (see Endpoint.cached). */
  cached: boolean;
  /** The HTTP method; null when not known (a resource the page reported). */
  method: string | null;
  /** How `ip` was learned (null with no IP). */
  ipSource: IpSource | null;
  /** Carrier Watch blocked it (declarativeNetRequest or the Firefox blocker): it never left the browser. */
  blocked?: boolean;
}

/** What one contact changed. */
export interface ContactChange {
  /** It added an endpoint. */
  isNew: boolean;
  /** What the badge shows may have changed: a new endpoint, or the first one that did not fit under the cap ("200+"). */
  badgeChanged: boolean;
  /** It did not fit under the cap: counted in `spilled` only. */
  spilled: boolean;
}

const NO_CHANGE: ContactChange = Object.freeze({ isNew: false, badgeChanged: false, spilled: false });

const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Resource types that carry data to the server whatever their method: a WebSocket talks both ways, a beacon or report posts. */
const SENDING_TYPES = new Set(['websocket', 'ping', 'beacon', 'csp_report']);

/** Whether a request sends the server data beyond its URL: a non-GET method (POST, PUT, PATCH, a form), a beacon, or a WebSocket. */
export function sendsData(method: string | null, type: string): boolean {
  return (method !== null && !READ_ONLY_METHODS.has(method)) || SENDING_TYPES.has(type);
}

let sequence = 0;

export function newPageView(tabId: number, url: string, site: string, startedAt: number, documentId: string | null = null): PageView {
  sequence = (sequence + 1) % 1_000_000;
  return { id: `${tabId}:${startedAt}:${sequence}`, url, site, documentId, startedAt, endpoints: [], spilled: 0, requests: 0, allowlisted: false };
}

function addCapped<T>(list: T[], value: T, cap: number): void {
  if (!list.includes(value) && list.length < cap) list.push(value);
}

/** Frame URLs are kept without query or fragment: enough to say where, no tokens from the query. */
export function frameLabel(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'about:' || parsed.protocol === 'data:' ? parsed.protocol : `${parsed.origin}${parsed.pathname}`;
  } catch {
    return null;
  }
}

/** Adds one flagged contact to the page view. */
export function recordContact(view: PageView, contact: Contact): ContactChange {
  const c = contact.classification;
  if (!c.flagged || c.operatorId === null) return NO_CHANGE;
  let endpoint = view.endpoints.find((e) => e.host === contact.host && e.operatorId === c.operatorId);
  const isNew = endpoint === undefined;
  if (!endpoint) {
    if (view.endpoints.length >= LIMITS.endpointsPerPageView) {
      // The first contact past the cap turns "200" into "200+": the badge must show it.
      view.spilled++;
      return { isNew: false, badgeChanged: view.spilled === 1, spilled: true };
    }
    const domainMatch = c.matches.find((m) => m.by === 'domain');
    endpoint = {
      host: contact.host,
      operatorId: c.operatorId,
      operator: c.operator ?? c.operatorId,
      ips: [],
      asn: c.asn,
      asName: c.asName,
      matchedBy: [],
      domain: domainMatch?.by === 'domain' ? domainMatch.domain : null,
      cname: null,
      confidence: c.confidence ?? 'high',
      tags: [...c.tags],
      types: [],
      count: 0,
      errors: 0,
      blocked: 0,
      cached: 0,
      methods: [],
      sentData: false,
      ipSource: null,
      firstSeen: contact.time,
      lastSeen: contact.time,
      party: contact.party,
      frames: [],
      viaWorker: false,
    };
    view.endpoints.push(endpoint);
  }
  endpoint.count++;
  if (contact.blocked) endpoint.blocked = (endpoint.blocked ?? 0) + 1;
  else if (contact.failed) endpoint.errors++;
  else if (contact.cached) endpoint.cached++;
  if (contact.method !== null) addCapped(endpoint.methods, contact.method, LIMITS.methodsPerEndpoint);
  if (sendsData(contact.method, contact.type)) endpoint.sentData = true;
  endpoint.ipSource = betterIpSource(endpoint.ipSource, contact.ipSource);
  endpoint.lastSeen = Math.max(endpoint.lastSeen, contact.time);
  endpoint.firstSeen = Math.min(endpoint.firstSeen, contact.time);
  if (contact.ip !== null) addCapped(endpoint.ips, contact.ip, LIMITS.ipsPerEndpoint);
  if (endpoint.asn === null && c.asn !== null) {
    endpoint.asn = c.asn;
    endpoint.asName = c.asName;
  }
  for (const by of c.matchedBy) addCapped(endpoint.matchedBy, by, 3);
  if (contact.cname !== null) endpoint.cname = contact.cname;
  for (const tag of c.tags) addCapped(endpoint.tags, tag, 8);
  addCapped(endpoint.types, contact.type, LIMITS.typesPerEndpoint);
  const frame = frameLabel(contact.frameUrl);
  if (frame !== null) addCapped(endpoint.frames, frame, LIMITS.framesPerEndpoint);
  if (contact.viaWorker) endpoint.viaWorker = true;
  return { isNew, badgeChanged: isNew, spilled: false };
}

/** Requests to an endpoint that were not blocked: a reached endpoint has at least one. */
export function unblockedCount(e: Pick<Endpoint, 'count' | 'blocked'>): number {
  return e.count - (e.blocked ?? 0);
}

/** The page tried flagged networks and Carrier Watch stopped every request: the badge turns from warning to blocked. */
export function allBlocked(view: PageView): boolean {
  return view.endpoints.length > 0 && view.spilled === 0 && view.endpoints.every((e) => unblockedCount(e) === 0);
}

/** Operator name → number of distinct endpoints, in a stable order (most first, then by name). */
export function endpointsByOperator(view: PageView): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const e of view.endpoints) counts.set(e.operator, (counts.get(e.operator) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * Moves what `from` recorded into `into` (same host + operator: counts add
 * up, lists join under their caps). Returns how many endpoints `into` gained.
 */
export function mergePageView(into: PageView, from: PageView): number {
  let added = 0;
  into.requests += from.requests;
  into.spilled += from.spilled;
  for (const e of from.endpoints) {
    const same = into.endpoints.find((x) => x.host === e.host && x.operatorId === e.operatorId);
    if (!same) {
      if (into.endpoints.length >= LIMITS.endpointsPerPageView) into.spilled += e.count;
      else {
        into.endpoints.push({ ...e });
        added++;
      }
      continue;
    }
    same.count += e.count;
    same.errors += e.errors;
    if (e.blocked) same.blocked = (same.blocked ?? 0) + e.blocked;
    same.cached += e.cached;
    same.sentData ||= e.sentData;
    same.ipSource = betterIpSource(same.ipSource, e.ipSource);
    for (const method of e.methods) addCapped(same.methods, method, LIMITS.methodsPerEndpoint);
    same.firstSeen = Math.min(same.firstSeen, e.firstSeen);
    same.lastSeen = Math.max(same.lastSeen, e.lastSeen);
    for (const ip of e.ips) addCapped(same.ips, ip, LIMITS.ipsPerEndpoint);
    for (const type of e.types) addCapped(same.types, type, LIMITS.typesPerEndpoint);
    for (const by of e.matchedBy) addCapped(same.matchedBy, by, 3);
    for (const frame of e.frames) addCapped(same.frames, frame, LIMITS.framesPerEndpoint);
  }
  return added;
}
