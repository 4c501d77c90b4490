// @vitest-environment happy-dom
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DataStatus, ProtectionStatus, TabReply } from '../background/messages.ts';
import type { SiteLog } from '../background/site-log.ts';
import { visitOf } from '../background/site-log.ts';
import { DEFAULT_SETTINGS, type Settings } from '../engine/settings.ts';
import type { PopupApi } from '../ui/popup-api.ts';
import { dataStatus, endpoint, reply, view } from '../ui/test-fixtures.ts';
import { settle, useLocale } from '../ui/test-support.ts';
import { benchPopupApi } from './bench-fixture.ts';
import { FIRST_ROWS } from './endpoint-groups.tsx';
import { PopupApp, type RenderTiming } from './popup-app.tsx';

interface FakeApi extends PopupApi {
  replies: TabReply[];
  url: string | null;
  stored: Record<string, unknown>;
  log: SiteLog;
  saved: Array<{ name: string; mime: string; text: string }>;
  copied: string[];
  cleared: string[];
  /** What get-data-status answers; an Error is thrown instead. */
  data: DataStatus | Error;
}

function fakeApi(first: TabReply): FakeApi {
  const api: FakeApi = {
    replies: [first],
    url: 'https://news.example.com/story',
    stored: {},
    log: { site: 'example.com', visits: [] },
    saved: [],
    copied: [],
    cleared: [],
    data: dataStatus(),
    tabToShow: async () => 5,
    tabUrl: async () => api.url,
    // The latest reply, as the background would give it now.
    getTab: async () => api.replies[api.replies.length - 1]!,
    getSiteLog: async () => api.log,
    getDataStatus: async () => {
      if (api.data instanceof Error) throw api.data;
      return api.data;
    },
    clearSiteLog: async (site) => {
      api.cleared.push(site);
      api.log = { site, visits: [] };
    },
    settings: {
      get: async (key) => ({ [key]: api.stored[key] }),
      set: async (items) => void Object.assign(api.stored, items),
    },
    openOptions: vi.fn(async () => undefined),
    openInTab: vi.fn(async () => undefined),
    copyText: async (text) => void api.copied.push(text),
    saveFile: (name, mime, text) => void api.saved.push({ name, mime, text }),
    version: '9.9.9',
    now: () => Date.UTC(2026, 10, 21, 14, 3),
  };
  return api;
}

const flaggedPage = () =>
  reply(
    view([
      endpoint('passport.cmpassport.com', { operatorId: 'china-mobile', operator: 'China Mobile', matchedBy: ['domain'], domain: 'cmpassport.com', tags: ['phone-login'] }),
      endpoint('cdn.example.cn'),
    ]),
  );

let root: HTMLElement;
beforeEach(() => {
  useLocale('en');
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

const text = (selector: string) => root.querySelector(selector)?.textContent ?? '';
const button = (label: string) => [...root.querySelectorAll('button')].find((b) => b.textContent === label)!;

describe('PopupApp', () => {
  it('shows the site, the count, the verdict and the endpoints grouped by operator', async () => {
    render(<PopupApp api={fakeApi(flaggedPage())} pollMs={60_000} />, root);
    await settle();
    expect(text('.site')).toBe('example.com');
    expect(text('[data-testid=endpoint-count]')).toBe('2');
    expect(text('[data-testid=verdict]')).toBe('This page contacted 2 endpoints on China Mobile and China Telecom networks');
    const sections = [...root.querySelectorAll('section.operator')];
    expect(sections.map((s) => s.querySelector('.operator-name')?.textContent)).toEqual(['China Mobile', 'China Telecom']);
    const telecomRow = root.querySelector('[data-host="cdn.example.cn"]')!;
    expect(telecomRow.textContent).toContain("Hosted on China Telecom's network (AS4134).");
    expect(telecomRow.textContent).toContain('AS4134 CHINANET backbone');
    expect(telecomRow.textContent).toContain('third-party');
    expect(telecomRow.textContent).toContain('IP: 202.97.1.1');
  });

  it('makes phone-number login gateways stand out, with why they matter', async () => {
    render(<PopupApp api={fakeApi(flaggedPage())} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=phone-login-banner]')).toContain('tying this visit to your phone number');
    expect(root.querySelector('[data-host="passport.cmpassport.com"]')!.className).toContain('is-phone-login');
  });

  it('links each operator to why it is flagged, with sources', async () => {
    render(<PopupApp api={fakeApi(flaggedPage())} pollMs={60_000} />, root);
    await settle();
    const why = root.querySelector('[data-operator="china-mobile"] details.why')!;
    expect(why.querySelector('summary')!.textContent).toBe('Why is China Mobile flagged?');
    expect(why.textContent).toContain('FCC 19-38');
    expect(why.querySelector('a')!.getAttribute('href')).toMatch(/^https:\/\/docs\.fcc\.gov\//);
  });

  it('updates live while the page loads, appending rows without re-rendering unchanged polls', async () => {
    const api = fakeApi(reply(view([endpoint('a.cn', { firstSeen: 1 })])));
    render(<PopupApp api={api} pollMs={5} />, root);
    await settle();
    const firstRow = root.querySelector('[data-host="a.cn"]');
    api.replies.push(reply(view([endpoint('a.cn', { firstSeen: 1 }), endpoint('b.cn', { firstSeen: 2 })])));
    await vi.waitFor(() => expect(root.querySelectorAll('li.endpoint')).toHaveLength(2));
    expect(root.querySelector('[data-host="a.cn"]')).toBe(firstRow); // the same DOM node: nothing jumped
    expect([...root.querySelectorAll('li.endpoint')].map((li) => li.getAttribute('data-host'))).toEqual(['a.cn', 'b.cn']);
  });

  it('explains browser pages, closed tabs and pages loaded before the extension started', async () => {
    const nonWeb = fakeApi(reply(null));
    nonWeb.url = 'chrome://settings/';
    render(<PopupApp api={nonWeb} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=verdict]')).toContain('web pages (http and https) only');
    expect(root.querySelector('.actions')).toBeNull();

    render(null, root);
    const before = fakeApi(reply(view([], { url: '', site: '' })));
    before.url = 'https://old.example.org/';
    render(<PopupApp api={before} pollMs={60_000} />, root);
    await settle();
    expect(text('.site')).toBe('old.example.org');
    expect(text('[data-testid=note-before-start]')).toContain('loaded before Carrier Watch started');

    render(null, root);
    const closed = fakeApi(reply(null));
    closed.url = null;
    render(<PopupApp api={closed} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=verdict]')).toBe('This tab is closed or cannot be read.');
  });

  it('allowlists the site by writing valid settings, and shows the allowlisted state', async () => {
    const api = fakeApi(flaggedPage());
    render(<PopupApp api={api} pollMs={5} />, root);
    await settle();
    button("Don't warn on this site").click();
    await settle();
    expect(api.stored['settings']).toMatchObject({ user: { allowlist: ['example.com'] } });
    // The background marks the page view allowlisted once it applied the settings.
    const allowlisted = flaggedPage();
    allowlisted.tab!.current!.allowlisted = true;
    api.replies.push(allowlisted);
    await vi.waitFor(() => expect(text('[data-testid=note-allowlisted]')).toContain('Warnings are off for example.com'));
    expect(root.querySelector('[data-testid=endpoint-count]')!.className).not.toContain('count-flagged');
    button('Warn on this site again').click();
    await settle();
    expect(api.stored['settings']).toMatchObject({ user: { allowlist: [] } });
  });

  it('copies and saves the page as JSON and CSV', async () => {
    const api = fakeApi(flaggedPage());
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    (root.querySelector('[data-testid=export-page-json]') as HTMLButtonElement).click();
    (root.querySelector('[data-testid=export-page-csv]') as HTMLButtonElement).click();
    button('Copy CSV').click();
    await settle();
    expect(api.saved.map((f) => [f.name, f.mime])).toEqual([
      ['carrier-watch-example.com-page-20261121-1403.json', 'application/json'],
      ['carrier-watch-example.com-page-20261121-1403.csv', 'text/csv'],
    ]);
    expect(JSON.parse(api.saved[0]!.text).endpoints).toHaveLength(2);
    expect(api.copied[0]!.split('\r\n')[0]).toMatch(/^pageUrl,host,operatorId/);
    expect(text('.status')).toBe('Copied 2 endpoints as CSV.');
  });

  it('lists earlier visits newest first, without the one on screen, and clears them on a second click', async () => {
    const page = flaggedPage();
    const api = fakeApi(page);
    const current = visitOf(page.tab!.current!);
    const old1 = visitOf(view([endpoint('old1.cn')], { id: 'v1', startedAt: Date.UTC(2026, 9, 1), url: 'https://example.com/first' }));
    const old2 = visitOf(view([endpoint('old2.cn')], { id: 'v2', startedAt: Date.UTC(2026, 9, 2), url: 'https://example.com/second' }));
    api.log = { site: 'example.com', visits: [old1, old2, current] };
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    expect([...root.querySelectorAll('.visit-url')].map((e) => e.textContent)).toEqual(['https://example.com/second', 'https://example.com/first']);
    const clear = root.querySelector('[data-testid=clear-log]') as HTMLButtonElement;
    clear.click();
    await settle();
    expect(api.cleared).toEqual([]); // the first click only asks
    expect(clear.textContent).toBe('Confirm: delete 3 logged visits');
    clear.click();
    await settle();
    expect(api.cleared).toEqual(['example.com']);
    expect(text('[data-testid=site-log]')).toContain('No earlier visits logged.');
  });

  it('renders 1,000 endpoints: the first rows at once, the rest in the next frames, appended', async () => {
    const timings: RenderTiming[] = [];
    const all: number[] = [];
    render(<PopupApp api={benchPopupApi(1000)} pollMs={60_000} onFirstRender={(t) => timings.push(t)} onAllRendered={(ms) => all.push(ms)} />, root);
    await vi.waitFor(() => expect(timings).toHaveLength(1));
    expect(timings[0]).toMatchObject({ endpoints: 1000, rows: FIRST_ROWS });
    const firstRow = root.querySelector('li.endpoint');
    await vi.waitFor(() => expect(root.querySelectorAll('li.endpoint')).toHaveLength(1000), { timeout: 10_000 });
    expect(root.querySelector('li.endpoint')).toBe(firstRow); // rows were appended, never replaced
    expect(all).toHaveLength(1);
    expect(timings).toHaveLength(1);
    // happy-dom is no browser: the real figures come from the e2e test. Printed for the record.
    console.info(`popup, 1,000 endpoints, happy-dom: first render ${timings[0]!.renderMs.toFixed(1)} ms, all rows ${all[0]!.toFixed(1)} ms`);
  });

  it('ends with the network data in use, in one quiet line', async () => {
    const api = fakeApi(flaggedPage());
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    const footer = root.querySelector('[data-testid=data-footer]')!;
    expect(footer.textContent).toBe('Network data of 2026-06-17, verified');
    expect(root.querySelector('.popup')!.lastElementChild).toBe(footer);

    render(null, root);
    api.data = dataStatus({ inUse: { version: '2026-11-30.4', dataDate: '2026-11-30', source: 'update', appliedAt: Date.UTC(2026, 11, 2, 14, 3) } });
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=data-footer]')).toBe('Network data of 2026-11-30, verified · updated');
  });

  it('leaves the footer out, and the rest of the popup as it is, when the data status cannot be read', async () => {
    const api = fakeApi(flaggedPage());
    api.data = new Error('no network data status from the background');
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    expect(root.querySelector('[data-testid=data-footer]')).toBeNull();
    expect(text('[data-testid=endpoint-count]')).toBe('2');
    expect(text('.status')).toBe('');

    // Also on a page with nothing to show.
    render(null, root);
    const nonWeb = fakeApi(reply(null));
    nonWeb.url = 'chrome://settings/';
    nonWeb.getDataStatus = () => Promise.reject(new Error('Could not establish connection. Receiving end does not exist.'));
    render(<PopupApp api={nonWeb} pollMs={60_000} />, root);
    await settle();
    expect(root.querySelector('[data-testid=data-footer]')).toBeNull();
    expect(text('[data-testid=verdict]')).toContain('web pages (http and https) only');
  });

  it('is in Chinese when the browser is', async () => {
    useLocale('zh_CN');
    render(<PopupApp api={fakeApi(flaggedPage())} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=verdict]')).toBe('此页面联系了 2 个位于中国移动和中国电信网络上的端点');
    expect(text('.operator-name')).toBe('中国移动');
    expect(text('[data-testid=data-footer]')).toBe('网络数据（2026-06-17），已验证');
  });

  it('every button has a name and the settings button opens the options page', async () => {
    const api = fakeApi(flaggedPage());
    api.stored['settings'] = DEFAULT_SETTINGS;
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    for (const b of root.querySelectorAll('button')) expect((b.getAttribute('aria-label') ?? b.textContent ?? '').trim()).not.toBe('');
    button('Settings').click();
    expect(api.openOptions).toHaveBeenCalled();
  });
});

const BLOCKING: ProtectionStatus = { mode: 'block', blockPhoneLogin: false, pageExempt: false, learnsHosts: false, domainOnly: false, locked: false };
const blockingSettings = (patch: Partial<Settings['protection']> = {}): Settings => ({ ...DEFAULT_SETTINGS, protection: { mode: 'block', blockPhoneLogin: false, allowedSites: [], ...patch } });
const testId = (id: string) => root.querySelector(`[data-testid=${id}]`) as HTMLElement | null;

describe('PopupApp with blocking', () => {
  const blockedPage = (protection: Partial<ProtectionStatus> = {}) =>
    reply(
      view([
        endpoint('gw.example.cn', { count: 2, blocked: 2 }),
        endpoint('learned.example.cn', { count: 4, blocked: 3 }),
        endpoint('old.example.cn', { count: 1, blocked: undefined }),
      ]),
      { protection: { ...BLOCKING, ...protection } },
    );

  it('marks each row with what was blocked and shows the count in the reached fact', async () => {
    render(<PopupApp api={fakeApi(blockedPage())} pollMs={60_000} />, root);
    await settle();
    const row = (host: string) => root.querySelector(`[data-host="${host}"]`)!;
    expect([row('gw.example.cn'), row('learned.example.cn'), row('old.example.cn')].map((r) => [r.getAttribute('data-blocked'), r.getAttribute('data-reached')])).toEqual([
      ['2', 'blocked'],
      ['3', 'network blocked'],
      ['0', 'network'],
    ]);
    expect(row('gw.example.cn').querySelector('[data-testid=reached]')!.textContent).toBe('Not reached (blocked: 2)');
    expect(row('gw.example.cn').querySelector('.tag-blocked')!.textContent).toBe('blocked');
    expect(row('learned.example.cn').querySelector('.tag-blocked')).toBeNull();
    expect(row('learned.example.cn').querySelector('[data-testid=reached]')!.textContent).toBe('Reached over the network: 1 · blocked: 3');
    // Firefox (learnsHosts false) blocks before connecting: no "learned" note.
    expect(root.querySelector('[data-testid=learned-note]')).toBeNull();
    expect(text('[data-testid=verdict]')).toBe('This page contacted 3 endpoints on China Telecom networks (blocked: 1, reached: 2)');
  });

  it('explains, in Chrome, why an IP-matched host was reached before it was blocked', async () => {
    const page = blockedPage({ learnsHosts: true });
    page.tab!.current!.endpoints.push(endpoint('named.example.cn', { count: 3, blocked: 2, matchedBy: ['domain', 'ip'], domain: 'example.cn' }));
    render(<PopupApp api={fakeApi(page)} pollMs={60_000} />, root);
    await settle();
    const notes = [...root.querySelectorAll('[data-testid=learned-note]')];
    expect(notes.map((n) => n.closest('li')!.getAttribute('data-host'))).toEqual(['learned.example.cn']);
    expect(notes[0]!.textContent).toBe("The first request(s) to learned.example.cn got through before Carrier Watch knew it was on China Telecom's network; later ones were blocked.");
  });

  it('says when every request to flagged networks was blocked', async () => {
    render(<PopupApp api={fakeApi(reply(view([endpoint('gw.example.cn', { blocked: 1 })]), { protection: BLOCKING }))} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=verdict]')).toBe('This page tried to contact 1 endpoint on a China Telecom network; Carrier Watch blocked every request');
    expect(root.querySelector('.page-header')!.className).toContain('is-all-blocked');
  });

  it('allows the site (reading the stored settings first) and blocks on it again', async () => {
    const api = fakeApi(blockedPage());
    api.stored['settings'] = blockingSettings({ allowedSites: ['other.org'] });
    render(<PopupApp api={api} pollMs={5} />, root);
    await settle();
    expect(testId('protection-state')!.textContent).toBe('Blocking on');
    const allow = testId('allow-site') as HTMLButtonElement;
    expect(allow.textContent).toBe('Allow on this site');
    // The options page saves something after the popup opened: the toggle must not undo it.
    api.stored['settings'] = { ...blockingSettings({ allowedSites: ['other.org'] }), logRetentionDays: 7 };
    allow.click();
    await settle();
    expect(api.stored['settings']).toMatchObject({ logRetentionDays: 7, protection: { mode: 'block', allowedSites: ['other.org', 'example.com'] } });
    expect(text('.status')).toBe('Blocking is now off on example.com. Reload the page to apply it.');
    await vi.waitFor(() => expect(testId('allow-site')!.textContent).toBe('Block on this site again'));
    // The background applies the settings: the next poll says the page is exempt.
    api.replies.push(blockedPage({ pageExempt: true }));
    await vi.waitFor(() => expect(testId('protection-state')!.textContent).toBe('Blocking off on this site'));
    testId('allow-site')!.click();
    await settle();
    expect(api.stored['settings']).toMatchObject({ protection: { allowedSites: ['other.org'] } });
    expect(text('.status')).toBe('Blocking is on again on example.com. Reload the page to apply it.');
  });

  it('offers no site exception when nothing is blocked, and a disabled one when the organisation locked it', async () => {
    const warnOnly = fakeApi(blockedPage({ mode: 'warn' }));
    render(<PopupApp api={warnOnly} pollMs={60_000} />, root);
    await settle();
    expect(testId('allow-site')).toBeNull();
    expect(testId('protection-state')).toBeNull();

    render(null, root);
    render(<PopupApp api={fakeApi(flaggedPage())} pollMs={60_000} />, root); // an older background: no status
    await settle();
    expect(testId('allow-site')).toBeNull();

    render(null, root);
    const phoneOnly = fakeApi(blockedPage({ mode: 'warn', blockPhoneLogin: true, locked: true }));
    render(<PopupApp api={phoneOnly} pollMs={60_000} />, root);
    await settle();
    expect(testId('protection-state')!.textContent).toBe('Blocking phone-number logins');
    const allow = testId('allow-site') as HTMLButtonElement;
    expect(allow.disabled).toBe(true);
    expect(allow.title).toBe('Your organisation manages blocking: no exception can be made here.');
  });

  it('does not offer an exception on an allowlisted site, which blocks nothing already', async () => {
    const page = blockedPage({ pageExempt: true });
    page.tab!.current!.allowlisted = true;
    const api = fakeApi(page);
    api.stored['settings'] = { ...blockingSettings(), user: { ...DEFAULT_SETTINGS.user, allowlist: ['example.com'] } };
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    const allow = testId('allow-site') as HTMLButtonElement;
    expect(allow.disabled).toBe(true);
    expect(allow.title).toBe('Warnings are off for this site, so nothing is blocked on it either.');
    expect(testId('protection-state')!.textContent).toBe('Blocking off on this site');
  });

  it('says when a proxy limits blocking to domains', async () => {
    render(<PopupApp api={fakeApi(blockedPage({ domainOnly: true }))} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=note-domain-only]')).toBe(
      'A proxy resolves host names, so Carrier Watch blocks by domain only: hosts on a flagged network by address are not blocked.',
    );
    render(null, root);
    render(<PopupApp api={fakeApi(blockedPage({ domainOnly: true, mode: 'warn' }))} pollMs={60_000} />, root);
    await settle();
    expect(testId('note-domain-only')).toBeNull(); // nothing is blocked: the limit does not matter
  });

  it('shows blocked counts in earlier visits', async () => {
    const api = fakeApi(blockedPage());
    const old = visitOf(view([endpoint('gw.example.cn', { count: 3, blocked: 3 }), endpoint('cdn.example.cn')], { id: 'v1', startedAt: Date.UTC(2026, 9, 1), url: 'https://example.com/one' }));
    const older = visitOf(view([endpoint('gw.example.cn')], { id: 'v0', startedAt: Date.UTC(2026, 8, 1), url: 'https://example.com/zero' }));
    api.log = { site: 'example.com', visits: [older, old] };
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    const visits = [...root.querySelectorAll('li.visit')];
    expect(visits[0]!.querySelector('[data-testid=visit-blocked]')!.textContent).toBe('(3 requests blocked)');
    expect(visits[0]!.querySelector('.visit-endpoints')!.textContent).toContain('gw.example.cn — China Telecom, AS4134 CHINANET backbone · blocked: 3');
    expect(visits[1]!.querySelector('[data-testid=visit-blocked]')).toBeNull();
  });

  it('says so when the tab shows Carrier Watch\'s blocked page', async () => {
    const api = fakeApi(reply(null));
    api.url = 'chrome-extension://abcdef/src/blocked/index.html#https://gw.example.cn/login';
    render(<PopupApp api={api} pollMs={60_000} />, root);
    await settle();
    expect(text('[data-testid=verdict]')).toBe('Carrier Watch blocked this page (gw.example.cn); the tab says why.');
  });

  it('reads the same in Chinese', async () => {
    useLocale('zh_CN');
    render(<PopupApp api={fakeApi(blockedPage())} pollMs={60_000} />, root);
    await settle();
    expect(testId('protection-state')!.textContent).toBe('拦截已开启');
    expect(testId('allow-site')!.textContent).toBe('在此网站上允许');
    expect(root.querySelector('[data-host="gw.example.cn"] [data-testid=reached]')!.textContent).toBe('未到达（已拦截：2）');
  });
});
