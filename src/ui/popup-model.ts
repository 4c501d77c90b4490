import type { ProtectionStatus, TabReply } from '../background/messages.ts';
import { allBlocked, unblockedCount, type Endpoint, type PageView } from '../background/page-view.ts';
import { blockedPageHost } from '../blocked/blocked-url.ts';
import type { OperatorId } from '../engine/types.ts';
import { formatList, formatNumber } from './format.ts';
import { t } from './i18n.ts';
import { OPERATOR_ORDER, operatorName } from './operators.ts';

// What the popup shows for one tab, derived from the background's reply and
// the tab's URL: which state the page is in, the verdict sentence, and the
// endpoints grouped by operator. Pure, so every state is unit-tested.

export type PopupStatus =
  /** Nothing known yet (first render before the reply). */
  | 'loading'
  /** The tab is gone or cannot be read. */
  | 'no-tab'
  /** chrome://, about:, file:, the extension's own pages: no web requests to watch. */
  | 'non-web'
  | 'page';

/** What the popup says about blocking on this page; null when the background sent nothing (older worker) or nothing is blocked anywhere. */
export interface ProtectionModel extends ProtectionStatus {
  /** Blocking is on in the settings (Block mode, or the phone-login switch): the site exception is worth offering. */
  active: boolean;
}

export interface EndpointGroup {
  operatorId: OperatorId;
  name: string;
  endpoints: Endpoint[];
}

export interface PopupModel {
  status: PopupStatus;
  /** The page's site (registrable domain), or its host when the background has none yet. */
  site: string;
  url: string;
  view: PageView | null;
  /** The page was loaded before the extension started (or no request of it was seen since). */
  loadedBeforeStart: boolean;
  /** The extension started while the page was loading: the count is a lower bound until the next navigation. */
  partial: boolean;
  allowlisted: boolean;
  private: boolean;
  endpointCount: number;
  spilled: number;
  groups: EndpointGroup[];
  verdict: string;
  /** The page tried flagged networks and Carrier Watch blocked every request (see allBlocked). */
  allBlocked: boolean;
  /** Listed endpoints none of whose requests got through. */
  blockedEndpoints: number;
  protection: ProtectionModel | null;
  /** The tab shows Carrier Watch's blocked page: the host it stopped (status 'non-web'). */
  blockedPageHost: string | null;
  storageError: string | null;
  dataError: string | null;
}

const WEB_SCHEMES = new Set(['http:', 'https:']);

export function isWebUrl(url: string): boolean {
  try {
    return WEB_SCHEMES.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/** Endpoints by operator in a fixed order; inside a group, in the order they were first seen, so rows only ever append. */
export function groupEndpoints(endpoints: readonly Endpoint[]): EndpointGroup[] {
  const byOperator = new Map<OperatorId, Endpoint[]>();
  for (const e of endpoints) {
    const list = byOperator.get(e.operatorId);
    if (list) list.push(e);
    else byOperator.set(e.operatorId, [e]);
  }
  const groups: EndpointGroup[] = [];
  for (const id of OPERATOR_ORDER) {
    const list = byOperator.get(id);
    if (!list) continue;
    list.sort((a, b) => a.firstSeen - b.firstSeen || a.host.localeCompare(b.host));
    groups.push({ operatorId: id, name: operatorName(id), endpoints: list });
  }
  return groups;
}

/**
 * The verdict sentence. With blocking: every request blocked says the page
 * only *tried* (nothing reached those networks); some blocked adds how many
 * endpoints were blocked every time and how many were reached.
 */
export function verdictFor(count: number, spilled: number, operators: OperatorId[], blocking: { all: boolean; blockedEndpoints: number } = { all: false, blockedEndpoints: 0 }): string {
  if (count === 0) return t('verdictNone');
  const names = formatList(operators.map((id) => operatorName(id, 'inline')));
  const shown = formatNumber(count) + (spilled > 0 ? '+' : '');
  if (blocking.all) return count === 1 ? t('popupProtectionVerdictAllBlockedOne', names) : t('popupProtectionVerdictAllBlockedMany', shown, names);
  const base = count === 1 && spilled === 0 ? t('verdictOne', names) : t('verdictMany', shown, names);
  if (blocking.blockedEndpoints === 0) return base;
  // Of the listed endpoints only: whether the unlisted ones (spilled) were blocked is not known.
  return t('popupProtectionVerdictSplit', base, formatNumber(blocking.blockedEndpoints), formatNumber(count - blocking.blockedEndpoints));
}

function protectionModel(status: ProtectionStatus | undefined): ProtectionModel | null {
  if (!status) return null;
  return { ...status, active: status.mode === 'block' || status.blockPhoneLogin };
}

export const LOADING_MODEL: PopupModel = {
  status: 'loading',
  site: '',
  url: '',
  view: null,
  loadedBeforeStart: false,
  partial: false,
  allowlisted: false,
  private: false,
  endpointCount: 0,
  spilled: 0,
  groups: [],
  verdict: '',
  allBlocked: false,
  blockedEndpoints: 0,
  protection: null,
  blockedPageHost: null,
  storageError: null,
  dataError: null,
};

/**
 * @param tabUrl the tab's URL from tabs.get, or null when the tab is gone.
 * @param reply the background's answer to get-tab.
 */
export function popupModel(tabUrl: string | null, reply: TabReply): PopupModel {
  const base = { ...LOADING_MODEL, storageError: reply.storageError, dataError: reply.dataError ?? null, protection: protectionModel(reply.protection) };
  if (tabUrl === null) return { ...base, status: 'no-tab' };
  const view = reply.tab?.current ?? null;
  // The tab's URL is the truth about what is on screen: the browser reports no
  // navigation to its own pages, so the page view may still be the last web page.
  // The URL of a browser page is hidden from the extension (""): also not the web.
  if (!isWebUrl(tabUrl)) {
    return { ...base, status: 'non-web', url: tabUrl, site: hostnameOf(tabUrl), blockedPageHost: blockedPageHost(tabUrl) };
  }
  const url = view?.url || tabUrl;
  const endpoints = view?.endpoints ?? [];
  const groups = groupEndpoints(endpoints);
  const spilled = view?.spilled ?? 0;
  const everyBlocked = view !== null && allBlocked(view);
  const blockedEndpoints = endpoints.filter((e) => unblockedCount(e) === 0).length;
  return {
    ...base,
    status: 'page',
    site: view?.site || hostnameOf(url),
    url,
    view,
    loadedBeforeStart: view === null || view.url === '',
    partial: view !== null && view.url !== '' && view.partial === true,
    allowlisted: view?.allowlisted ?? false,
    private: reply.tab?.private ?? false,
    endpointCount: endpoints.length,
    spilled,
    groups,
    verdict: verdictFor(endpoints.length, spilled, groups.map((g) => g.operatorId), { all: everyBlocked, blockedEndpoints }),
    allBlocked: everyBlocked,
    blockedEndpoints,
  };
}

/** A cheap fingerprint of what the popup shows, so a poll that brings nothing new renders nothing. */
export function replySignature(tabUrl: string | null, reply: TabReply): string {
  const view = reply.tab?.current;
  // Protection changes (an exception saved from the popup) change no count: part of the fingerprint.
  const p = reply.protection;
  const protection = p ? `${p.mode}${+p.blockPhoneLogin}${+p.pageExempt}${+p.learnsHosts}${+p.domainOnly}${+p.locked}` : '-';
  if (!view) return `${tabUrl}|none|${reply.storageError}|${protection}`;
  let requests = 0;
  for (const e of view.endpoints) requests += e.count + e.ips.length + e.types.length + (e.cached ?? 0) + (e.blocked ?? 0) + (e.sentData ? 1 : 0);
  return `${tabUrl}|${view.id}|${view.url}|${view.allowlisted}|${view.partial}|${view.endpoints.length}|${view.spilled}|${requests}|${reply.storageError}|${protection}`;
}
