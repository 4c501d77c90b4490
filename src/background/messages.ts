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
  | { type: 'continue-once'; url: string }
  /** Which network data is in use and how updates stand (options page, popup footer). */
  | { type: 'get-data-status' }
  /** The options page's "Check now": a check at once, even if one ran today; answers when it is done. */
  | { type: 'check-data-now' };

/** Which network data the extension uses, and the state of updates: the answer to get-data-status and check-data-now. */
export interface DataStatus {
  inUse: {
    /** "<data date>.<build>", e.g. "2026-06-17.0" for the data shipped in the extension. */
    version: string;
    /** The date of the network data (BGP dump day, or the feed's date). */
    dataDate: string;
    /** "bundled": shipped in the extension; "update": a signed bundle fetched and verified. */
    source: 'bundled' | 'update';
    /** When the update was verified and applied (ms since the epoch); null for the bundled data. */
    appliedAt: number | null;
  };
  bundledVersion: string;
  updates: {
    enabled: boolean;
    /** The URL checks go to (the default release URL unless a mirror is set). */
    url: string;
    /** The organisation set `dataUpdates` (the switch is not the user's), `dataUpdateUrl`, or locked all settings. */
    enabledManaged: boolean;
    urlManaged: boolean;
  };
  /** The last check, or null when none ran since updates were turned on. */
  lastCheck: DataCheck | null;
  /** A check is running now. */
  checking: boolean;
}

export type DataCheckOutcome = 'applied' | 'up-to-date' | 'rejected' | 'failed';

export interface DataCheck {
  /** ms since the epoch. */
  at: number;
  /** applied: a newer bundle is in use; up-to-date: the server has the version in use; rejected: the bundle failed a check; failed: it could not be fetched or stored. */
  outcome: DataCheckOutcome;
  /** For rejected and failed: one line that says what was wrong (shown as is). */
  message: string | null;
  /** The version the server offered, when it could be read. */
  version: string | null;
}

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
  dataStatus: () => DataStatus;
  checkDataNow: () => Promise<DataStatus>;
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
    case 'get-data-status':
      return ready.then(() => context.dataStatus());
    case 'check-data-now':
      return ready.then(() => context.checkDataNow());
    default:
      return undefined;
  }
}
