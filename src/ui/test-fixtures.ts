import type { DataCheck, DataStatus, TabReply } from '../background/messages.ts';
import type { Endpoint, PageView } from '../background/page-view.ts';

// Builders of the background's shapes for unit tests.

export function endpoint(host: string, patch: Partial<Endpoint> = {}): Endpoint {
  return {
    host,
    operatorId: 'china-telecom',
    operator: 'China Telecom',
    ips: ['202.97.1.1'],
    asn: 4134,
    asName: 'CHINANET backbone',
    matchedBy: ['ip'],
    domain: null,
    cname: null,
    confidence: 'high',
    tags: [],
    types: ['script'],
    count: 1,
    errors: 0,
    cached: 0,
    methods: ['GET'],
    sentData: false,
    ipSource: 'response',
    firstSeen: 1000,
    lastSeen: 1000,
    party: 'third',
    frames: [],
    viaWorker: false,
    ...patch,
  };
}

export function view(endpoints: Endpoint[], patch: Partial<PageView> = {}): PageView {
  return { id: '1:0:1', url: 'https://news.example.com/a?token=x', site: 'example.com', documentId: null, startedAt: 0, endpoints, spilled: 0, requests: 10, allowlisted: false, ...patch };
}

export function reply(current: PageView | null, patch: Partial<TabReply> = {}): TabReply {
  return { tab: { tabId: 5, private: false, current, provisional: {}, prerendered: {}, recent: [] }, storageError: null, ...patch };
}

/** The data shipped with the extension in use, updates off: what a fresh install answers. */
export function dataStatus(patch: Partial<DataStatus> = {}): DataStatus {
  return {
    inUse: { version: '2026-06-17.0', dataDate: '2026-06-17', source: 'bundled', appliedAt: null },
    bundledVersion: '2026-06-17.0',
    updates: { enabled: false, url: 'https://github.com/carrier-watch/carrier-watch/releases/latest/download/carrier-watch-data.cwdata', enabledManaged: false, urlManaged: false },
    lastCheck: null,
    checking: false,
    ...patch,
  };
}

/** Updates on, with `patch` over the updates part. */
export function updatesOn(status: DataStatus, patch: Partial<DataStatus['updates']> = {}): DataStatus {
  return { ...status, updates: { ...status.updates, enabled: true, ...patch } };
}

export function dataCheck(outcome: DataCheck['outcome'], patch: Partial<DataCheck> = {}): DataCheck {
  return { at: Date.UTC(2026, 11, 2, 14, 3), outcome, message: null, version: null, ...patch };
}
