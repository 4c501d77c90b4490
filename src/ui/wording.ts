import type { Endpoint } from '../background/page-view.ts';
import { contactKinds, type ContactKind } from '../engine/contact-kinds.ts';
import { formatList, formatNumber } from './format.ts';
import { t } from './i18n.ts';
import { operatorName } from './operators.ts';

// How the popup explains one endpoint, in words a journalist can repeat and
// an analyst can check. An IP match says where the server is hosted ("hosted
// on China Telecom's network (AS4134)"), never that the site *is* the operator.

export type EndpointLike = Pick<Endpoint, 'operatorId' | 'matchedBy' | 'asn' | 'asName' | 'domain' | 'cname' | 'host'>;

/** One sentence per way the endpoint matched, the strongest first (domain, CNAME, IP). */
export function matchExplanations(e: EndpointLike): string[] {
  const custom = e.operatorId === 'custom';
  const operator = operatorName(e.operatorId);
  const out: string[] = [];
  if (e.matchedBy.includes('domain')) {
    const domain = e.domain ?? e.host;
    out.push(custom ? t('matchDomainCustom', domain) : t('matchDomain', domain, operator));
  }
  if (e.matchedBy.includes('cname')) {
    const cname = e.cname ?? e.domain ?? e.host;
    out.push(custom ? t('matchCnameCustom', cname) : t('matchCname', cname, operator));
  }
  if (e.matchedBy.includes('ip')) {
    // A user's CIDR matches without an ASN: say it is their own range.
    if (e.asn !== null) out.push(custom ? t('matchIpCustom', String(e.asn)) : t('matchIp', operator, String(e.asn)));
    else out.push(custom ? t('matchUserRangeCustom') : t('matchUserRange', operator));
  }
  return out;
}

/** "AS4134 CHINANET-BACKBONE", or "" when the ASN is not known. */
export function asLabel(e: Pick<Endpoint, 'asn' | 'asName'>): string {
  if (e.asn === null) return '';
  return e.asName ? `AS${e.asn} ${e.asName}` : `AS${e.asn}`;
}

/** The webRequest resource types in plain words: "script, fetch/XHR". */
export function typesLabel(types: readonly string[]): string {
  return formatList(types.map(typeLabel));
}

function typeLabel(type: string): string {
  switch (type) {
    case 'main_frame':
      return t('typePage');
    case 'sub_frame':
      return t('typeFrame');
    case 'script':
      return t('typeScript');
    case 'image':
    case 'imageset':
      return t('typeImage');
    case 'xmlhttprequest':
      return t('typeXhr');
    case 'stylesheet':
      return t('typeStylesheet');
    case 'font':
      return t('typeFont');
    case 'media':
      return t('typeMedia');
    case 'websocket':
      return t('typeWebsocket');
    case 'ping':
    case 'beacon':
      return t('typeBeacon');
    default:
      return type; // a browser-specific type name, shown as the browser gives it
  }
}

export function requestsLabel(count: number, errors: number): string {
  const base = count === 1 ? t('requestsOne') : t('requestsMany', formatNumber(count));
  return errors > 0 ? `${base} ${t('requestsFailed', formatNumber(errors))}` : base;
}

/** How the page sent data: its non-GET methods, and "WebSocket" or "beacon" by type: "POST, WebSocket". */
export function sendingMethods(e: Pick<Endpoint, 'methods' | 'types'>): string {
  const out = e.methods.filter((m) => m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS');
  if (e.types.includes('websocket')) out.push('WebSocket');
  if (e.types.includes('ping') || e.types.includes('beacon')) out.push('beacon');
  return [...new Set(out)].join(', ');
}

/** What the page did with the endpoint, strongest first: "Sent data to it (POST)", "Ran a script from it", ... */
export function kindLabels(e: Pick<Endpoint, 'types' | 'sentData' | 'methods'>): string[] {
  return contactKinds(e.types, e.sentData).map((kind) => kindLabel(kind, e));
}

function kindLabel(kind: ContactKind, e: Pick<Endpoint, 'types' | 'methods'>): string {
  switch (kind) {
    case 'sent-data':
      return t('kindSentData', sendingMethods(e) || 'POST');
    case 'script':
      return t('kindScript');
    case 'page':
      return t('kindPage');
    case 'frame':
      return t('kindFrame');
    case 'image':
      return t('kindImage');
    case 'file':
      return t('kindFile');
    case 'connected':
      return t('kindConnected');
  }
}

/** What reachCounts reads: endpoints saved by an older version have no `cached`, and none before blocking had `blocked`. */
export type ReachInput = Pick<Endpoint, 'count' | 'errors'> & { cached?: number | undefined; blocked?: number | undefined };

/** Of an endpoint's requests, how many went over the network, came from a cache, failed, were blocked by Carrier Watch. */
export function reachCounts(e: ReachInput): { network: number; cache: number; failed: number; blocked: number } {
  const cache = e.cached ?? 0;
  const blocked = e.blocked ?? 0;
  return { network: Math.max(0, e.count - e.errors - cache - blocked), cache, failed: e.errors, blocked };
}

/** "Reached over the network: 2 · from the cache: 1 · blocked: 3", only the ways that happened; "Not reached (blocked: 3)". */
export function reachLabel(e: ReachInput): string {
  const { network, cache, failed, blocked } = reachCounts(e);
  if (blocked > 0 && network + cache + failed === 0) return t('popupProtectionReachAllBlocked', formatNumber(blocked));
  const parts: string[] = [];
  if (network > 0) parts.push(t('reachNetwork', formatNumber(network)));
  if (cache > 0) parts.push(t('reachCache', formatNumber(cache)));
  // Beside Carrier Watch's own blocks, "failed or blocked" would read as the same thing twice.
  if (failed > 0) parts.push(blocked > 0 ? t('popupProtectionReachFailedElsewhere', formatNumber(failed)) : t('reachFailed', formatNumber(failed)));
  if (blocked > 0) parts.push(t('popupProtectionReachBlocked', formatNumber(blocked)));
  return t('factReached', parts.join(' · '));
}

/**
 * Chrome blocks a host matched by its IP alone only once a response has
 * shown its address: the first request(s) got through. True when that is
 * what happened to this endpoint (some blocked, some over the network).
 */
export function learnedBeforeBlocking(e: ReachInput & Pick<Endpoint, 'matchedBy'>, learnsHosts: boolean): boolean {
  if (!learnsHosts || e.matchedBy.includes('domain') || e.matchedBy.includes('cname')) return false;
  const { network, blocked } = reachCounts(e);
  return blocked > 0 && network > 0;
}

/** The endpoint's IPs and, when no response reported one, where they came from (or that none is known). */
export function ipLabel(e: Pick<Endpoint, 'ips' | 'ipSource' | 'count' | 'errors' | 'cached'> & { blocked?: number | undefined }, shown: string): string {
  const reach = reachCounts(e);
  if (e.ips.length === 0) return reach.cache > 0 ? t('ipNotKnown') : '';
  // Blocked before it connected: the address was looked up (Firefox) or last seen, never "served from the cache".
  if (e.ipSource !== 'response' && reach.blocked > 0 && reach.cache === 0) return t('popupProtectionIpNotConnected', shown);
  if (e.ipSource === 'last-seen') return t('ipLastSeen', shown);
  if (e.ipSource === 'dns') return t('ipFromDns', shown);
  return t('factIps', shown);
}

export function partyLabel(party: Endpoint['party']): string {
  return party === 'first' ? t('partyFirst') : t('partyThird');
}

export const PHONE_LOGIN_TAG = 'phone-login';

export function isPhoneLogin(e: Pick<Endpoint, 'tags'>): boolean {
  return e.tags.includes(PHONE_LOGIN_TAG);
}
