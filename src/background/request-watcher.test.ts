import { beforeEach, describe, expect, it } from 'vitest';
import { Classifier } from '../engine/classifier.ts';
import { hostOfUrl } from '../engine/host.ts';
import { parseIPv4 } from '../engine/ip-address.ts';
import { IpTable } from '../engine/ip-table.ts';
import { siteOf } from '../engine/party.ts';
import type { FlaggedList } from '../engine/types.ts';
import { BADGE_COLOR, BLOCKED_BADGE_COLOR, badgeFor } from './badge.ts';
import { HostIpCache } from './host-ip-cache.ts';
import { LIMITS } from './page-view.ts';
import { RequestWatcher, type HostResolver, type PageResource, type RequestEvent } from './request-watcher.ts';
import { TabTracker } from './tab-tracker.ts';

// The watcher and the tab tracker together, fed the event sequences the
// browsers send (see testing-in-browsers.md and Chromium's webNavigation
// prerender test for the orders). The same cases run for real in
// tests/e2e/.

const list: FlaggedList = {
  operators: [
    { id: 'china-telecom', name: 'China Telecom', group: 'CT', why: '', sources: [] },
    { id: 'china-mobile', name: 'China Mobile', group: 'CM', why: '', sources: [] },
  ],
  asns: [{ asn: 4134, operatorId: 'china-telecom', entity: '', name: 'CHINANET', confidence: 'high', note: '', source: 't' }],
  domains: [
    { domain: 'cmpassport.com', operatorId: 'china-mobile', entity: '', what: 'CMPassport', confidence: 'high', source: 't', tags: ['phone-login'] },
  ],
};
const table = IpTable.fromRanges([{ start: BigInt(parseIPv4('202.97.0.0')!), end: BigInt(parseIPv4('202.97.255.255')!), asn: 4134 }], []);
const classifier = new Classifier(list, table);
const CT_IP = '202.97.1.1';

let time = 1_000;
let nextRequest = 1;
function event(partial: Partial<RequestEvent> & Pick<RequestEvent, 'url'>): RequestEvent {
  return { kind: 'response', requestId: String(nextRequest++), tabId: 1, frameId: 0, type: 'script', ip: '127.0.0.1', fromCache: false, time: time++, ...partial };
}

function setup(resolver?: HostResolver) {
  const tracker = new TabTracker((url) => {
    const host = hostOfUrl(url);
    return host.ok ? siteOf(host.host) : '';
  });
  const changes: Array<{ tabId: number; isNew: boolean; badgeChanged: boolean }> = [];
  const orphans: string[] = [];
  const watcher = new RequestWatcher({
    tracker,
    classifier: () => classifier,
    ipCache: new HostIpCache(),
    resolver,
    onChange: ({ tabId }, { isNewEndpoint, badgeChanged }) => changes.push({ tabId, isNew: isNewEndpoint, badgeChanged }),
    onUnattributed: (origin, e) => orphans.push(`${origin} ${e.url}`),
  });
  /** A full top-level navigation: the main_frame request, then the commit. */
  async function navigate(tabId: number, url: string, extra: Partial<RequestEvent> = {}) {
    const requestId = String(nextRequest++);
    await watcher.handle(event({ url, tabId, type: 'main_frame', requestId, ...extra }));
    return tracker.commit({ tabId, url, site: siteOf(hostOfUrl(url).ok ? (hostOfUrl(url) as { host: string }).host : ''), time: time++, forwardBack: false });
  }
  return { tracker, watcher, changes, orphans, navigate };
}

describe('RequestWatcher', () => {
  beforeEach(() => {
    time = 1_000;
  });

  it('records flagged endpoints by host + operator, with IPs, types, counts and party', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://chat.example.com/login');
    await watcher.handle(event({ url: 'https://www.cmpassport.com/sdk.js', ip: '203.0.113.5' }));
    await watcher.handle(event({ url: 'https://www.cmpassport.com/api', type: 'xmlhttprequest', ip: '203.0.113.6' }));
    await watcher.handle(event({ url: 'https://cdn.example.net/a.png', type: 'image', ip: CT_IP }));
    await watcher.handle(event({ url: 'https://static.example.com/x.css', type: 'stylesheet', ip: '8.8.8.8' }));
    const view = tracker.tab(1)!.current!;
    expect(view.requests).toBe(5); // the page itself and four subresources
    expect(view.endpoints).toHaveLength(2);
    expect(view.endpoints[0]).toMatchObject({
      host: 'www.cmpassport.com',
      operatorId: 'china-mobile',
      ips: ['203.0.113.5', '203.0.113.6'],
      matchedBy: ['domain'],
      types: ['script', 'xmlhttprequest'],
      count: 2,
      party: 'third',
      tags: ['phone-login'],
      frames: ['https://chat.example.com/login'],
    });
    expect(view.endpoints[1]).toMatchObject({ host: 'cdn.example.net', operatorId: 'china-telecom', asn: 4134, matchedBy: ['ip'] });
    expect(badgeFor(view)).toEqual({ text: '2', title: 'Carrier Watch: China Mobile: 1, China Telecom: 1', color: BADGE_COLOR });
  });

  it('counts a request once however many events it sends', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://site.example/');
    const e = event({ url: 'https://id.cmpassport.com/x', requestId: 'r1' });
    await watcher.handle(e);
    await watcher.handle({ ...e, kind: 'completed' });
    expect(tracker.tab(1)!.current!.endpoints[0]!.count).toBe(1);
  });

  it('classifies every hop of a redirect chain, and the page it lands on', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://site.example/');
    await watcher.handle(event({ kind: 'redirect', requestId: 'r', url: 'https://hop1.example/', ip: CT_IP }));
    await watcher.handle(event({ kind: 'redirect', requestId: 'r', url: 'https://a.cmpassport.com/', ip: '192.0.2.1' }));
    await watcher.handle(event({ kind: 'response', requestId: 'r', url: 'https://final.example/', ip: '192.0.2.2' }));
    expect(tracker.tab(1)!.current!.endpoints.map((e) => e.host)).toEqual(['hop1.example', 'a.cmpassport.com']);
  });

  it('counts a redirected top-level navigation for the page it commits, not the old one', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://old.example/');
    await watcher.handle(event({ kind: 'redirect', requestId: 'nav', type: 'main_frame', url: 'https://go.cmpassport.com/r', ip: '192.0.2.1' }));
    await watcher.handle(event({ kind: 'response', requestId: 'nav', type: 'main_frame', url: 'https://new.example/', ip: '192.0.2.2' }));
    expect(tracker.tab(1)!.current!.url).toBe('https://old.example/');
    expect(tracker.tab(1)!.current!.endpoints).toHaveLength(0);
    const view = tracker.commit({ tabId: 1, url: 'https://new.example/', site: 'new.example', time: time++, forwardBack: false });
    expect(view.endpoints.map((e) => e.host)).toEqual(['go.cmpassport.com']);
    expect(tracker.tab(1)!.current).toBe(view);
  });

  it('counts a navigation whose commit arrived before its requests (Firefox) for the page it shows', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://old.example/');
    // webNavigation first: the landing page is on screen before any of its requests is seen.
    const landing = tracker.commit({ tabId: 1, url: 'https://new.example/landing', site: 'new.example', time: time++, forwardBack: false });
    await watcher.handle(event({ kind: 'redirect', requestId: 'late', type: 'main_frame', url: 'https://go.cmpassport.com/r', ip: '192.0.2.1' }));
    expect(tracker.tab(1)!.current!.endpoints).toHaveLength(0); // the hop waits as provisional
    await watcher.handle(event({ kind: 'response', requestId: 'late', type: 'main_frame', url: 'https://new.example/landing', ip: '192.0.2.2' }));
    expect(tracker.tab(1)!.current).toBe(landing);
    expect(landing.endpoints.map((e) => e.host)).toEqual(['go.cmpassport.com']);
    expect(landing.requests).toBe(2);
    expect(tracker.tab(1)!.provisional).toEqual({});
    // In the usual order nothing moves: a later navigation's hops wait for its own commit.
    await watcher.handle(event({ kind: 'redirect', requestId: 'next', type: 'main_frame', url: 'https://x.cmpassport.com/', ip: null }));
    await watcher.handle(event({ kind: 'response', requestId: 'next', type: 'main_frame', url: 'https://new.example/landing', ip: null }));
    expect(landing.endpoints).toHaveLength(1);
  });

  it('counts requests of subframes for the tab page, naming the frame', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://top.example/');
    await watcher.handle(event({ url: 'https://widget.example/frame.html?token=secret', type: 'sub_frame', frameId: 5 }));
    await watcher.handle(event({ url: 'https://x.cmpassport.com/sdk.js', frameId: 5 }));
    const [endpoint] = tracker.tab(1)!.current!.endpoints;
    expect(endpoint).toMatchObject({ host: 'x.cmpassport.com', frames: ['https://widget.example/frame.html'] });
  });

  it('keeps two tabs apart', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await navigate(2, 'https://b.example/');
    await watcher.handle(event({ url: 'https://x.cmpassport.com/', tabId: 1 }));
    expect(tracker.tab(1)!.current!.endpoints).toHaveLength(1);
    expect(tracker.tab(2)!.current!.endpoints).toHaveLength(0);
  });

  it('ties a worker request (tabId -1) to the tabs showing its origin, and keeps the rest', async () => {
    const { tracker, watcher, navigate, orphans } = setup();
    await navigate(1, 'https://app.example/page');
    await navigate(2, 'https://app.example/other');
    await navigate(3, 'https://elsewhere.example/');
    await watcher.handle(event({ url: 'https://push.cmpassport.com/sw', tabId: -1, initiator: 'https://app.example' }));
    expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ host: 'push.cmpassport.com', viaWorker: true });
    expect(tracker.tab(2)!.current!.endpoints).toHaveLength(1);
    expect(tracker.tab(3)!.current!.endpoints).toHaveLength(0);
    // Firefox names the worker's document instead of an initiator.
    await watcher.handle(event({ url: 'https://b.cmpassport.com/sw', tabId: -1, documentUrl: 'https://elsewhere.example/sw.js' }));
    expect(tracker.tab(3)!.current!.endpoints).toHaveLength(1);
    await watcher.handle(event({ url: 'https://c.cmpassport.com/', tabId: -1, initiator: 'https://gone.example' }));
    expect(orphans).toEqual(['https://gone.example https://c.cmpassport.com/']);
  });

  it('reuses the IP last seen for a host when a cached response has none', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ url: 'https://cdn.example.net/lib.js', ip: CT_IP }));
    await navigate(1, 'https://a.example/again');
    await watcher.handle(event({ url: 'https://cdn.example.net/lib.js', ip: null, fromCache: true }));
    expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ host: 'cdn.example.net', ips: [CT_IP], asn: 4134 });
  });

  it('asks DNS (Firefox) for the IP of a cached response and follows CNAMEs', async () => {
    const asked: string[] = [];
    const resolver: HostResolver = {
      async resolve(host) {
        asked.push(host);
        if (host === 'login.site.example') return { addresses: ['192.0.2.7'], canonicalName: 'edge.cmpassport.com' };
        return { addresses: [CT_IP], canonicalName: host };
      },
    };
    const { tracker, watcher, navigate } = setup(resolver);
    await navigate(1, 'https://site.example/');
    await watcher.handle(event({ url: 'https://static.example.org/a.js', ip: null, fromCache: true }));
    await watcher.handle(event({ url: 'https://login.site.example/sdk.js', ip: '192.0.2.7' }));
    const endpoints = tracker.tab(1)!.current!.endpoints;
    expect(endpoints[0]).toMatchObject({ host: 'static.example.org', ips: [CT_IP], matchedBy: ['ip'] });
    expect(endpoints[1]).toMatchObject({ host: 'login.site.example', matchedBy: ['cname'], cname: 'edge.cmpassport.com', party: 'first', tags: ['phone-login'] });
    expect(asked).toContain('login.site.example');
  });

  it('counts blocked and failed requests as attempted contacts', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ kind: 'error', url: 'https://x.cmpassport.com/blocked.js', ip: null }));
    expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ host: 'x.cmpassport.com', count: 1, errors: 1 });
  });

  it('a failed navigation shows its attempt on the error page it leaves', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ kind: 'error', requestId: 'n', type: 'main_frame', url: 'https://www.cmpassport.com/', ip: null }));
    expect(tracker.tab(1)!.current).toMatchObject({ url: 'https://www.cmpassport.com/', endpoints: [{ host: 'www.cmpassport.com' }] });
  });

  it('keeps a prerendered page apart until it is activated, then the tab shows it', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ requestId: 'pre', type: 'main_frame', frameId: 3, documentLifecycle: 'prerender', url: 'https://a.example/next' }));
    tracker.commit({ tabId: 1, url: 'https://a.example/next', site: 'a.example', time: time++, documentId: 'DOC2', forwardBack: false, prerender: true });
    await watcher.handle(event({ url: 'https://x.cmpassport.com/p.js', frameId: 3, documentId: 'DOC2', documentLifecycle: 'prerender' }));
    expect(tracker.tab(1)!.current!.endpoints).toHaveLength(0);
    // Activation: the same documentId commits in the top frame.
    const view = tracker.commit({ tabId: 1, url: 'https://a.example/next', site: 'a.example', time: time++, documentId: 'DOC2', forwardBack: false });
    expect(view.endpoints.map((e) => e.host)).toEqual(['x.cmpassport.com']);
    expect(tracker.tab(1)!.current).toBe(view);
  });

  it('a back/forward-cache restore shows the restored page view', async () => {
    const { tracker, watcher } = setup();
    tracker.commit({ tabId: 1, url: 'https://a.example/', site: 'a.example', time: time++, documentId: 'A', forwardBack: false });
    await watcher.handle(event({ url: 'https://x.cmpassport.com/', documentId: 'A' }));
    tracker.commit({ tabId: 1, url: 'https://b.example/', site: 'b.example', time: time++, documentId: 'B', forwardBack: false });
    expect(tracker.tab(1)!.current!.endpoints).toHaveLength(0);
    // Chrome: the same documentId comes back. No request is made.
    const restored = tracker.commit({ tabId: 1, url: 'https://a.example/', site: 'a.example', time: time++, documentId: 'A', forwardBack: true });
    expect(restored.endpoints.map((e) => e.host)).toEqual(['x.cmpassport.com']);
    // Firefox: no documentId; a back navigation with no request restores by URL.
    tracker.commit({ tabId: 2, url: 'https://a.example/', site: 'a.example', time: time++, forwardBack: false });
    await watcher.handle(event({ url: 'https://y.cmpassport.com/', tabId: 2 }));
    tracker.commit({ tabId: 2, url: 'https://b.example/', site: 'b.example', time: time++, forwardBack: false });
    const back = tracker.commit({ tabId: 2, url: 'https://a.example/', site: 'a.example', time: time++, forwardBack: true });
    expect(back.endpoints.map((e) => e.host)).toEqual(['y.cmpassport.com']);
  });

  it('a late request of a page the tab left goes to that page (Chrome documentId)', async () => {
    const { tracker, watcher } = setup();
    const first = tracker.commit({ tabId: 1, url: 'https://a.example/', site: 'a.example', time: time++, documentId: 'A', forwardBack: false });
    tracker.commit({ tabId: 1, url: 'https://b.example/', site: 'b.example', time: time++, documentId: 'B', forwardBack: false });
    await watcher.handle(event({ url: 'https://beacon.cmpassport.com/unload', type: 'ping', documentId: 'A', documentLifecycle: 'pending_deletion' }));
    expect(first.endpoints).toHaveLength(1);
    expect(tracker.tab(1)!.current!.endpoints).toHaveLength(0);
  });

  it('same-document navigations keep the page view', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ url: 'https://x.cmpassport.com/' }));
    const view = tracker.sameDocument(1, 'https://a.example/#section');
    expect(view?.endpoints).toHaveLength(1);
    expect(tracker.tab(1)!.current!.url).toBe('https://a.example/#section');
  });

  it('stays bounded on a page making 10,000 requests to distinct flagged hosts', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    for (let i = 0; i < 10_000; i++) await watcher.handle(event({ url: `https://h${i}.cmpassport.com/x`, ip: null }));
    const view = tracker.tab(1)!.current!;
    expect(view.endpoints).toHaveLength(LIMITS.endpointsPerPageView);
    expect(view.spilled).toBe(10_000 - LIMITS.endpointsPerPageView);
    expect(badgeFor(view).text).toBe(`${LIMITS.endpointsPerPageView}+`);
    expect(JSON.stringify(tracker.tab(1)).length).toBeLessThan(150_000);
  });

  it('asks for the badge when the first endpoint past the cap turns the count into "200+"', async () => {
    const { tracker, watcher, navigate, changes } = setup();
    await navigate(1, 'https://a.example/');
    for (let i = 0; i < LIMITS.endpointsPerPageView + 3; i++) await watcher.handle(event({ url: `https://h${i}.cmpassport.com/x` }));
    const pastCap = changes.slice(-3);
    // The 201st host changes the badge's text; the ones after it do not.
    expect(pastCap.map((c) => c.badgeChanged)).toEqual([true, false, false]);
    expect(pastCap.every((c) => !c.isNew)).toBe(true);
    expect(badgeFor(tracker.tab(1)!.current!).text).toBe(`${LIMITS.endpointsPerPageView}+`);
  });

  it('marks an endpoint that received data: a POST, a beacon, a WebSocket; a GET alone is not', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://chat.example.com/login');
    await watcher.handle(event({ url: 'https://www.cmpassport.com/sdk.js', method: 'GET' }));
    await watcher.handle(event({ url: 'https://log.cmpassport.com/b', type: 'ping', method: 'POST' }));
    await watcher.handle(event({ url: 'wss://ws.cmpassport.com/s', type: 'websocket', method: 'GET' }));
    await watcher.handle(event({ url: 'https://www.cmpassport.com/api', type: 'xmlhttprequest', method: 'PUT' }));
    const byHost = (host: string) => tracker.tab(1)!.current!.endpoints.find((e) => e.host === host)!;
    expect(byHost('www.cmpassport.com')).toMatchObject({ methods: ['GET', 'PUT'], sentData: true, types: ['script', 'xmlhttprequest'] });
    expect(byHost('log.cmpassport.com')).toMatchObject({ methods: ['POST'], sentData: true });
    expect(byHost('ws.cmpassport.com')).toMatchObject({ sentData: true });
  });

  it('counts a response with no IP that is not from the cache (Firefox: a service worker\'s answer) as not over the network', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ url: 'https://x.cmpassport.com/sw.js', ip: null, fromCache: false }));
    await watcher.handle(event({ url: 'https://x.cmpassport.com/net.js', kind: 'error', ip: null }));
    expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ count: 2, cached: 1, errors: 1 });
  });

  it('does not count a redirect no server sent (an HSTS upgrade, a hand-over to a service worker)', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ url: 'http://x.cmpassport.com/a.js', kind: 'redirect', ip: null, requestId: 'r1' }));
    expect(tracker.tab(1)!.current!.endpoints).toEqual([]);
    await watcher.handle(event({ url: 'https://x.cmpassport.com/a.js', requestId: 'r1' }));
    expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ count: 1, cached: 0 });
  });

  it('counts disk-cache responses as served from the cache, with the IP stored with them', async () => {
    const { tracker, watcher, navigate } = setup();
    await navigate(1, 'https://a.example/');
    await watcher.handle(event({ url: 'https://x.cmpassport.com/a.js', fromCache: true, ip: '203.0.113.5' }));
    await watcher.handle(event({ url: 'https://x.cmpassport.com/b.js' }));
    expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ count: 2, cached: 1, ipSource: 'response' });
  });

  describe('resources the page reports (served from a cache, no webRequest event)', () => {
    const report = (host: string, more: Partial<PageResource> = {}): PageResource => ({ tabId: 1, frameId: 0, frameUrl: null, host, type: 'script', time: time++, ...more });

    it('counts a cached flagged resource on the page view with the IP last seen for its host', async () => {
      const { tracker, watcher, navigate } = setup();
      await navigate(1, 'https://chat.example.com/login');
      await watcher.handle(event({ url: 'https://cdn.example.net/a.png', type: 'image', ip: CT_IP }));
      await watcher.handle(event({ url: 'https://www.cmpassport.com/sdk.js', ip: '203.0.113.5' }));
      // The sign-up page: both come from the memory cache, no request at all.
      await navigate(1, 'https://chat.example.com/signup');
      await watcher.handleCached(report('www.cmpassport.com'));
      await watcher.handleCached(report('cdn.example.net', { type: 'image' }));
      const view = tracker.tab(1)!.current!;
      expect(view.endpoints.map((e) => [e.host, e.count, e.cached, e.ips, e.ipSource])).toEqual([
        ['www.cmpassport.com', 1, 1, ['203.0.113.5'], 'last-seen'],
        ['cdn.example.net', 1, 1, [CT_IP], 'last-seen'],
      ]);
      expect(view.endpoints[1]!.matchedBy).toEqual(['ip']);
      expect(badgeFor(view).text).toBe('2');
    });

    it('drops what webRequest already counted on the page view, and unflagged hosts', async () => {
      const { tracker, watcher, navigate, changes } = setup();
      await navigate(1, 'https://a.example/');
      await watcher.handle(event({ url: 'https://www.cmpassport.com/sdk.js' }));
      const before = changes.length;
      await watcher.handleCached(report('www.cmpassport.com'));
      await watcher.handleCached(report('static.example.com'));
      expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ count: 1, cached: 0 });
      expect(tracker.tab(1)!.current!.endpoints).toHaveLength(1);
      expect(changes.length).toBe(before);
    });

    it('does not count twice a host counted past the endpoint cap', async () => {
      const { tracker, watcher, navigate } = setup();
      await navigate(1, 'https://a.example/');
      const hosts = LIMITS.endpointsPerPageView + 50;
      for (let i = 0; i < hosts; i++) await watcher.handle(event({ url: `https://h${i}.cmpassport.com/x` }));
      for (let i = 0; i < hosts; i++) await watcher.handleCached(report(`h${i}.cmpassport.com`, { type: 'xmlhttprequest' }));
      await watcher.handleCached(report('new.cmpassport.com'));
      expect(tracker.tab(1)!.current!.spilled).toBe(51); // the 50 past the cap, once each, and the new one
    });

    it('lets a request that a report overtook take the report\'s place (one resource, over the network)', async () => {
      const { tracker, watcher, navigate } = setup();
      await navigate(1, 'https://a.example/');
      // The report of x's script (ended at t+10) comes before the webRequest event of its response (at t).
      const t = time;
      await watcher.handleCached(report('x.cmpassport.com', { time: t + 10 }));
      await watcher.handle(event({ url: 'https://x.cmpassport.com/a.js', time: t }));
      expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ count: 1, cached: 0, ipSource: 'response' });
      // A request long after a cached resource is a second contact: both stand.
      await watcher.handleCached(report('y.cmpassport.com', { time: t }));
      await watcher.handle(event({ url: 'https://y.cmpassport.com/b.js', time: t + 5_000 }));
      expect(tracker.tab(1)!.current!.endpoints[1]).toMatchObject({ count: 2, cached: 1 });
    });

    it('lets a request take the place of an overtaking report past the endpoint cap too', async () => {
      const { tracker, watcher, navigate } = setup();
      await navigate(1, 'https://a.example/');
      for (let i = 0; i < LIMITS.endpointsPerPageView; i++) await watcher.handle(event({ url: `https://h${i}.cmpassport.com/x` }));
      const t = time;
      await watcher.handleCached(report('late.cmpassport.com', { time: t + 10 }));
      await watcher.handle(event({ url: 'https://late.cmpassport.com/x', time: t }));
      expect(tracker.tab(1)!.current!.spilled).toBe(1);
    });

    it('flags by domain with no IP known, and says the IP is not known', async () => {
      const { tracker, watcher, navigate } = setup();
      await navigate(1, 'https://a.example/');
      await watcher.handleCached(report('open.cmpassport.com', { frameId: 3, frameUrl: 'https://frame.example/x?token=1' }));
      expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ host: 'open.cmpassport.com', ips: [], ipSource: null, cached: 1, frames: ['https://frame.example/x'] });
    });

    it('asks DNS in Firefox for a cached resource of a host never seen', async () => {
      const resolver: HostResolver = { resolve: async () => ({ addresses: [CT_IP], canonicalName: null }) };
      const { tracker, watcher, navigate } = setup(resolver);
      await navigate(1, 'https://a.example/');
      await watcher.handleCached(report('img.example.org', { type: 'image' }));
      expect(tracker.tab(1)!.current!.endpoints[0]).toMatchObject({ ips: [CT_IP], ipSource: 'dns', cached: 1, operatorId: 'china-telecom' });
    });

    it('puts a late report of a page the tab left on that page (Chrome documentId), and a prerendered page\'s on it', async () => {
      const { tracker, watcher } = setup();
      const first = tracker.commit({ tabId: 1, url: 'https://a.example/', site: 'a.example', time: time++, documentId: 'A', forwardBack: false });
      tracker.commit({ tabId: 1, url: 'https://b.example/', site: 'b.example', time: time++, documentId: 'B', forwardBack: false });
      await watcher.handleCached(report('x.cmpassport.com', { documentId: 'A' }));
      expect(first.endpoints.map((e) => e.host)).toEqual(['x.cmpassport.com']);
      await watcher.handleCached(report('y.cmpassport.com', { documentId: 'P', documentLifecycle: 'prerender', frameUrl: 'https://c.example/' }));
      expect(tracker.tab(1)!.prerendered['P']!.endpoints.map((e) => e.host)).toEqual(['y.cmpassport.com']);
      expect(tracker.tab(1)!.current!.endpoints).toEqual([]);
    });
  });

  it('marks a page view it never saw start as partial', async () => {
    const { tracker, watcher } = setup();
    await watcher.handle(event({ url: 'https://x.cmpassport.com/a.js', tabId: 4 }));
    expect(tracker.tab(4)!.current).toMatchObject({ url: '', partial: true });
    const loading = tracker.startedWhileLoading(5, 'https://b.example/login', time++, false);
    expect(loading).toMatchObject({ url: 'https://b.example/login', site: 'b.example', partial: true });
    // The next navigation is seen whole.
    expect(tracker.commit({ tabId: 5, url: 'https://b.example/next', site: 'b.example', time: time++, forwardBack: false }).partial).toBeUndefined();
  });

  it('puts a top-level document\'s requests that arrive before its commit on that document (Chrome, by documentId)', async () => {
    const { tracker, watcher } = setup();
    const blank = tracker.commit({ tabId: 6, url: 'about:blank', site: '', time: time++, documentId: 'BLANK', forwardBack: false });
    await watcher.handle(event({ kind: 'redirect', url: 'https://shop.example/checkout', type: 'main_frame', ip: '192.0.2.1', tabId: 6, requestId: 'nav6' }));
    await watcher.handle(event({ kind: 'response', url: 'https://shop.example/checkout', type: 'main_frame', ip: '192.0.2.1', tabId: 6, requestId: 'nav6' }));
    // A blocked script's error overtakes the commit of the document that asked for it.
    await watcher.handle(event({ kind: 'error', url: 'https://x.cmpassport.com/a.js', ip: null, blocked: true, tabId: 6, documentId: 'CHECKOUT' }));
    expect(blank.endpoints).toEqual([]);
    const checkout = tracker.commit({ tabId: 6, url: 'https://shop.example/checkout', site: 'shop.example', time: time++, documentId: 'CHECKOUT', forwardBack: false });
    expect(tracker.tab(6)!.current).toBe(checkout);
    expect(checkout.endpoints.map((e) => [e.host, e.blocked])).toEqual([['x.cmpassport.com', 1]]);
    expect(checkout.url).toBe('https://shop.example/checkout');
    // A subframe's own documentId is never the page's: its requests count on the page on screen.
    await watcher.handle(event({ url: 'https://y.cmpassport.com/b.js', tabId: 6, frameId: 3, documentId: 'FRAME' }));
    expect(checkout.endpoints.map((e) => e.host)).toEqual(['x.cmpassport.com', 'y.cmpassport.com']);
  });

  it('puts a fresh tab\'s first requests that Chrome still tags with its about:blank document on the navigation that made them', async () => {
    const { tracker, watcher } = setup();
    const blank = tracker.commit({ tabId: 8, url: 'about:blank', site: '', time: time++, documentId: 'BLANK', forwardBack: false });
    await watcher.handle(event({ kind: 'response', url: 'https://shop.example/checkout', type: 'main_frame', ip: '192.0.2.1', tabId: 8, requestId: 'nav8' }));
    // Sent by the checkout page before the browser took its commit: the old document's id, the new page's origin.
    await watcher.handle(event({ kind: 'error', url: 'https://x.cmpassport.com/a.js', ip: null, blocked: true, tabId: 8, documentId: 'BLANK', initiator: 'https://shop.example' }));
    expect(blank.endpoints).toEqual([]);
    const checkout = tracker.commit({ tabId: 8, url: 'https://shop.example/checkout', site: 'shop.example', time: time++, documentId: 'CHECKOUT', forwardBack: false });
    expect(checkout.endpoints.map((e) => [e.host, e.blocked])).toEqual([['x.cmpassport.com', 1]]);
    // An about:blank pop-up its opener writes into has no navigation of that origin under way: its requests stay on it.
    const popup = tracker.commit({ tabId: 9, url: 'about:blank', site: '', time: time++, documentId: 'POPUP', forwardBack: false });
    await watcher.handle(event({ url: 'https://y.cmpassport.com/b.js', tabId: 9, documentId: 'POPUP', initiator: 'https://opener.example' }));
    expect(popup.endpoints.map((e) => e.host)).toEqual(['y.cmpassport.com']);
  });

  describe('blocked requests', () => {
    it('counts a blocked request as tried but not reached, and a page whose every flagged request was blocked as blocked', async () => {
      const { tracker, watcher, navigate } = setup();
      const view = await navigate(1, 'https://shop.example/');
      await watcher.handle(event({ kind: 'error', url: 'https://x.cmpassport.com/a.js', ip: null, blocked: true }));
      await watcher.handle(event({ kind: 'error', url: 'https://x.cmpassport.com/b.js', ip: null, blocked: true }));
      expect(view.endpoints[0]).toMatchObject({ host: 'x.cmpassport.com', count: 2, blocked: 2, errors: 0 });
      expect(badgeFor(view)).toMatchObject({ text: '1', color: BLOCKED_BADGE_COLOR, title: expect.stringMatching(/blocked/) });
      // One request got through (Chrome, before a learned host's rule): a warning again.
      await watcher.handle(event({ url: 'https://ct.example/p.gif', ip: CT_IP }));
      await watcher.handle(event({ kind: 'error', url: 'https://ct.example/q.gif', ip: CT_IP, blocked: true }));
      expect(view.endpoints[1]).toMatchObject({ host: 'ct.example', count: 2, blocked: 1 });
      // The colour changes with no new endpoint: the badge is repainted.
      const { changes, watcher: w2, navigate: nav2 } = setup();
      const v2 = await nav2(3, 'https://shop.example/');
      await w2.handle(event({ kind: 'error', url: 'https://x.cmpassport.com/a.js', ip: null, blocked: true, tabId: 3 }));
      changes.length = 0;
      await w2.handle(event({ url: 'https://x.cmpassport.com/b.js', tabId: 3 }));
      expect(changes).toEqual([{ tabId: 3, isNew: false, badgeChanged: true }]);
      expect(badgeFor(v2).color).toBe(BADGE_COLOR);
      expect(badgeFor(view)).toMatchObject({ text: '2', color: BADGE_COLOR });
      expect(tracker.tab(1)!.current).toBe(view);
    });

    it('counts a top-level page sent to the explanation page (a redirect no server made) as blocked', async () => {
      const { tracker, watcher } = setup();
      await watcher.handle(event({ kind: 'redirect', url: 'https://x.cmpassport.com/login', type: 'main_frame', ip: null, tabId: 2, requestId: 'nav', blocked: true }));
      const view = tracker.commit({ tabId: 2, url: 'chrome-extension://abc/src/blocked/index.html#https://x.cmpassport.com/login', site: '', time: time++, forwardBack: false });
      expect(view.endpoints[0]).toMatchObject({ host: 'x.cmpassport.com', count: 1, blocked: 1, types: ['main_frame'] });
    });

    it('tells the address a response showed, flagged or not (Chrome learns hosts from it)', async () => {
      const seen: string[] = [];
      const tracker = new TabTracker(() => 'shop.example');
      const learning = new RequestWatcher({
        tracker, classifier: () => classifier, ipCache: new HostIpCache(), onChange: () => undefined,
        onAddress: (host, ip, c) => seen.push(`${host} ${ip} ${c.flagged}`),
      });
      tracker.commit({ tabId: 1, url: 'https://shop.example/', site: 'shop.example', time: time++, forwardBack: false });
      await learning.handle(event({ url: 'https://ct.example/p.gif', ip: CT_IP }));
      await learning.handle(event({ url: 'https://ok.example/p.gif', ip: '192.0.2.1' }));
      await learning.handle(event({ kind: 'error', url: 'https://ok.example/q.gif', ip: null }));
      expect(seen).toEqual([`ct.example ${CT_IP} true`, 'ok.example 192.0.2.1 false']);
    });
  });
});
