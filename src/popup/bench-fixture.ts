import type { TabReply } from '../background/messages.ts';
import type { Endpoint } from '../background/page-view.ts';
import type { OperatorId } from '../engine/types.ts';
import type { PopupApi } from '../ui/popup-api.ts';

// Synthetic data for measuring the popup: popup.html?bench=1000 renders 1,000
// endpoints (five times the background's per-page cap) without asking the
// background, and reports how long the first render took. Loaded only for
// ?bench, so the normal popup never downloads it. The unit tests use it too.

const OPERATORS: Array<[OperatorId, string, number, string]> = [
  ['china-mobile', 'China Mobile', 9808, 'China Mobile Guangdong'],
  ['china-telecom', 'China Telecom', 4134, 'CHINANET backbone'],
  ['china-unicom', 'China Unicom', 4837, 'CHINA UNICOM China169 Backbone'],
];

export function benchEndpoints(count: number, start = Date.UTC(2026, 10, 21, 12)): Endpoint[] {
  const out: Endpoint[] = [];
  for (let i = 0; i < count; i++) {
    const [operatorId, operator, asn, asName] = OPERATORS[i % OPERATORS.length]!;
    const byDomain = i % 5 === 0;
    out.push({
      host: `host-${i}.cdn${i % 17}.example.cn`,
      operatorId,
      operator,
      ips: [`203.0.${(i >> 8) & 255}.${i & 255}`],
      asn,
      asName,
      matchedBy: byDomain ? ['domain', 'ip'] : ['ip'],
      domain: byDomain ? `cdn${i % 17}.example.cn` : null,
      cname: null,
      confidence: 'high',
      tags: i % 97 === 0 ? ['phone-login'] : [],
      types: i % 2 === 0 ? ['script'] : ['image', 'xmlhttprequest'],
      count: 1 + (i % 7),
      errors: i % 31 === 0 ? 1 : 0,
      cached: i % 11 === 0 ? 1 : 0,
      methods: i % 13 === 0 ? ['GET', 'POST'] : ['GET'],
      sentData: i % 13 === 0,
      ipSource: 'response',
      firstSeen: start + i * 10,
      lastSeen: start + i * 10 + 500,
      party: 'third',
      frames: [],
      viaWorker: false,
    });
  }
  return out;
}

export function benchReply(count: number): TabReply {
  const endpoints = benchEndpoints(count);
  return {
    storageError: null,
    dataError: null,
    tab: {
      tabId: 1,
      private: false,
      provisional: {},
      prerendered: {},
      recent: [],
      current: {
        id: 'bench',
        url: 'https://news.example.com/article',
        site: 'example.com',
        documentId: null,
        startedAt: endpoints[0]?.firstSeen ?? 0,
        endpoints,
        spilled: 0,
        requests: count * 3,
        allowlisted: false,
      },
    },
  };
}

export function benchPopupApi(count: number): PopupApi {
  const reply = benchReply(count);
  const stored: Record<string, unknown> = {};
  return {
    tabToShow: async () => 1,
    tabUrl: async () => 'https://news.example.com/article',
    getTab: async () => reply,
    getSiteLog: async (site) => ({ site, visits: [] }),
    getDataStatus: async () => ({
      inUse: { version: '2026-06-17.0', dataDate: '2026-06-17', source: 'bundled', appliedAt: null },
      bundledVersion: '2026-06-17.0',
      updates: { enabled: false, url: 'https://example.invalid/bench.cwdata', enabledManaged: false, urlManaged: false },
      lastCheck: null,
      checking: false,
    }),
    clearSiteLog: async () => undefined,
    settings: { get: async (key) => ({ [key]: stored[key] }), set: async (items) => void Object.assign(stored, items) },
    openOptions: async () => undefined,
    openInTab: async () => undefined,
    copyText: async () => undefined,
    saveFile: () => undefined,
    version: 'bench',
    now: Date.now,
  };
}
