import type { TabReply } from '../background/messages.ts';
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

