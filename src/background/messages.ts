import type { MatchedBy } from '../engine/classifier.ts';
import type { BlockReason } from '../engine/protection.ts';
import type { Settings } from '../engine/settings.ts';
import type { DomainTag, OperatorId } from '../engine/types.ts';
import type { SessionMirror } from './session-mirror.ts';
import type { SiteLogStore } from './site-log-store.ts';
import type { TabState, TabTracker } from './tab-tracker.ts';
import type { UnattributedLog } from './unattributed-log.ts';

// What the popup and the options page may ask the background. Every answer
// waits for `ready`, so a popup opened right after the worker restarted sees
// the restored state, not an empty one.

export type Request =
  | { type: 'ping' }
  | { type: 'get-tab'; tabId: number }
  | { type: 'get-site-log'; site: string }
  | { type: 'get-unattributed' }
  /** Deletes one site's log, or every site's when `site` is absent ("clear all data"). */
  | { type: 'clear-site-log'; site?: string }
  /** The blocked-page asks why `url` was blocked. */
  | { type: 'explain-block'; url: string }
  /** The blocked-page's "Continue once": let this tab load `url` (and what that page loads) this once. */
  | { type: 'continue-once'; url: string };

/** What the popup shows of blocking for the tab's page. */
export interface ProtectionStatus {
  mode: 'warn' | 'block';
  blockPhoneLogin: boolean;
  /** Blocking is off on this page: "Allow on this site", or the site is allowlisted. */
  pageExempt: boolean;
  /**
   * Chrome: a host matched by its IP alone is blocked only once a response
   * has shown its address, so its first request(s) got through.
   */
  learnsHosts: boolean;
  /** Firefox behind a proxy that resolves host names: blocking by domain only. */
  domainOnly: boolean;
  /** The organisation set protection, or locked the settings: the popup offers no exception. */
  locked: boolean;
}

/** Why a URL the blocked page shows was blocked; `flagged: false` when it no longer is (settings changed). */
export type BlockExplanation =
  | { flagged: false; host: string | null }
  | {
      flagged: true;
      host: string;
      operatorId: OperatorId;
      operator: string;
      /** Why the operator is flagged (the list's words). */
      why: string;
      reason: BlockReason;
      matchedBy: MatchedBy[];
      tags: DomainTag[];
      asn: number | null;
      /** The listed domain that matched, and what it is. */
      domain: string | null;
      what: string | null;
      ip: string | null;
      asName: string | null;
    };

export interface ContinueOnceReply {
  ok: boolean;
  /** Why not, e.g. the URL is not http(s). */
  error?: string;
}

export interface ClearSiteLogReply {
  cleared: true;
}

export interface TabReply {
  tab: TabState | null;
  /** A storage write failed (quota?): what is shown is kept in memory only. */
  storageError: string | null;
  /** Part of the bundled data (list or IP table) could not be read: flagging uses the rest. */
  dataError?: string | null;
  protection?: ProtectionStatus;
}

interface Context {
  ready: Promise<void>;
  tracker: TabTracker;
  siteLog: SiteLogStore;
  mirror: SessionMirror<TabState>;
  unattributed: UnattributedLog;
  settings: () => Settings;
  dataError: () => string | null;
  /** A private (incognito) tab, as the browser said of the tab or its requests. */
  isPrivate: (tabId: number) => boolean;
  protection: (tabId: number) => ProtectionStatus;
  explainBlock: (url: string) => BlockExplanation;
  /** For the sender's tab. */
  continueOnce: (url: string) => Promise<ContinueOnceReply>;
  /** "Clear all data" also forgets the hosts learned on flagged networks. */
  clearLearned: () => Promise<void>;
}

/** Only the extension's own pages may ask: a web page's content script sends reports, never requests. */
export function isFromExtensionPage(senderUrl: string | undefined, extensionOrigin: string): boolean {
  return senderUrl !== undefined && senderUrl.startsWith(extensionOrigin);
}

function isRequest(message: unknown): message is Request {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}

/** The reply, or undefined for a message that is not ours (so another listener may answer it). */
export function handleMessage(message: unknown, context: Context): Promise<unknown> | undefined {
  if (!isRequest(message)) return undefined;
  const { ready, tracker, siteLog, mirror, unattributed } = context;
  switch (message.type) {
    case 'ping':
      return ready.then(() => ({ ready: true }));
    case 'get-tab':
      if (typeof message.tabId !== 'number') return undefined;
      return ready.then((): TabReply => {
        const tab = tracker.tab(message.tabId);
        return {
          tab: tab ? { ...tab, private: tab.private || context.isPrivate(message.tabId) } : null,
          storageError: siteLog.lastError ?? mirror.lastError,
          dataError: context.dataError(),
          protection: context.protection(message.tabId),
        };
      });
    case 'get-site-log':
      if (typeof message.site !== 'string') return undefined;
      return ready.then(() => siteLog.get(message.site));
    case 'get-unattributed':
      return ready.then(() => unattributed.list());
    case 'clear-site-log': {
      const { site } = message;
      if (site !== undefined && (typeof site !== 'string' || site === '')) return undefined;
      return ready
        .then(() => Promise.all([siteLog.clear(site), site === undefined ? context.clearLearned() : undefined]))
        .then((): ClearSiteLogReply => ({ cleared: true }));
    }
    case 'explain-block':
      if (typeof message.url !== 'string') return undefined;
      return ready.then(() => context.explainBlock(message.url));
    case 'continue-once':
      if (typeof message.url !== 'string') return undefined;
      return ready.then(() => context.continueOnce(message.url));
    default:
      return undefined;
  }
}
