// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlockExplanation, ContinueOnceReply } from '../background/messages.ts';
import { settle, useLocale } from '../ui/test-support.ts';
import type { BlockedApi } from './blocked-api.ts';
import { BlockedApp, blockSentences, type Flagged } from './blocked-app.tsx';
import { blockedUrlFromHref, navigableUrl } from './blocked-url.ts';

const PAGE = 'chrome-extension://abcdef/src/blocked/index.html';

interface FakeApi extends BlockedApi {
  explained: string[];
  continued: string[];
  replaced: string[];
  history: boolean;
  back: ReturnType<typeof vi.fn<() => void>>;
  closeTab: ReturnType<typeof vi.fn<() => Promise<void>>>;
}

function fakeApi(explanation: BlockExplanation | Error, continueReply: ContinueOnceReply | Error = { ok: true }): FakeApi {
  const api: FakeApi = {
    explained: [],
    continued: [],
    replaced: [],
    history: true,
    async explain(url) {
      api.explained.push(url);
      if (explanation instanceof Error) throw explanation;
      return explanation;
    },
    async continueOnce(url) {
      api.continued.push(url);
      if (continueReply instanceof Error) throw continueReply;
      return continueReply;
    },
    hasHistory: () => api.history,
    back: vi.fn<() => void>(),
    closeTab: vi.fn(async () => undefined),
    replace: (url) => void api.replaced.push(url),
    framed: () => false,
  };
  return api;
}

const telecomIp: Flagged = {
  flagged: true,
  host: 'cdn.example.cn',
  operatorId: 'china-telecom',
  operator: 'China Telecom',
  why: 'list text',
  reason: 'flagged',
  matchedBy: ['ip'],
  tags: [],
  asn: 4134,
  domain: null,
  what: null,
  ip: '202.97.1.1',
  asName: 'CHINANET-BACKBONE',
};

const unicomPhoneLogin: Flagged = {
  flagged: true,
  host: 'id.example-unicom.cn',
  operatorId: 'china-unicom',
  operator: 'China Unicom',
  why: 'list text',
  reason: 'phone-login',
  matchedBy: ['domain'],
  tags: ['phone-login'],
  asn: null,
  domain: 'example-unicom.cn',
  what: 'one-click login gateway',
  ip: null,
  asName: null,
};

const URL_ = 'https://cdn.example.cn/path/page?q=1#section';

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

const byId = (id: string) => root.querySelector(`[data-testid=${id}]`) as HTMLElement | null;
const text = (id: string) => byId(id)?.textContent ?? '';

async function show(api: BlockedApi, raw: string | null = URL_): Promise<void> {
  render(<BlockedApp api={api} rawUrl={raw} />, root);
  await settle();
}

describe('the blocked URL in the page address', () => {
  it('is everything after the first "#", its own fragment included', () => {
    expect(blockedUrlFromHref(`${PAGE}#${URL_}`)).toBe(URL_);
    expect(blockedUrlFromHref(`${PAGE}#https%3A%2F%2Fa.example.cn%2Fx%3Fy%3D1%23z`)).toBe('https://a.example.cn/x?y=1#z');
    expect(blockedUrlFromHref(`${PAGE}#HTTP%3A%2F%2Fa.cn%2F`)).toBe('HTTP://a.cn/');
    expect(blockedUrlFromHref(`${PAGE}#https%3A%E0%A4%A`)).toBeNull(); // cannot be decoded
    expect(blockedUrlFromHref(PAGE)).toBeNull();
    expect(blockedUrlFromHref(`${PAGE}#`)).toBeNull();
  });

  it('is navigated to only when it is http(s): any site can open this page with any fragment', () => {
    expect(navigableUrl('https://a.cn/x')?.hostname).toBe('a.cn');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'chrome://settings', 'not a url', null]) expect(navigableUrl(bad), String(bad)).toBeNull();
  });
});

describe('BlockedApp', () => {
  it('says which host was blocked, whose network it is on, why, and shows the full URL as text', async () => {
    const api = fakeApi(telecomIp);
    await show(api);
    expect(api.explained).toEqual([URL_]);
    expect(root.querySelector('h1')!.textContent).toBe('Carrier Watch blocked this page');
    expect(text('blocked-host')).toBe('cdn.example.cn');
    expect(text('blocked-operator')).toBe('China Telecom');
    expect(text('blocked-what')).toBe("cdn.example.cn is hosted on China Telecom's network (AS4134 CHINANET-BACKBONE).");
    expect(text('blocked-reason')).toBe('Protection is set to Block: Carrier Watch stops requests to every flagged network.');
    expect(text('blocked-why')).toContain('FCC 21-114');
    expect(text('blocked-url')).toBe(URL_);
    expect(root.querySelector('a')).toBeNull(); // the URL is not a link: Continue once is the way there
    expect(root.textContent).toContain('IP202.97.1.1');
  });

  it('names a phone-number login gateway and the switch that blocked it', async () => {
    await show(fakeApi(unicomPhoneLogin), 'https://id.example-unicom.cn/auth');
    expect(text('blocked-what')).toBe('id.example-unicom.cn is a China Unicom phone-number login gateway: it can tie your visit to your phone number.');
    expect(text('blocked-reason')).toBe('You chose to always block phone-number login gateways.');
    expect(root.textContent).toContain('one-click login gateway');
  });

  it('explains every kind of match in the popup\'s words', () => {
    // In Block mode a gateway is blocked as "flagged": its tag still says what it is.
    expect(blockSentences({ ...unicomPhoneLogin, reason: 'flagged', tags: ['phone-login'] })).toEqual([
      'id.example-unicom.cn is a China Unicom phone-number login gateway: it can tie your visit to your phone number.',
    ]);
    expect(blockSentences({ ...unicomPhoneLogin, reason: 'flagged', tags: [], matchedBy: ['domain', 'ip'], asn: 4837, asName: 'CHINA169' })).toEqual([
      'Domain example-unicom.cn is listed for China Unicom.',
      "id.example-unicom.cn is hosted on China Unicom's network (AS4837 CHINA169).",
    ]);
    expect(blockSentences({ ...telecomIp, matchedBy: ['cname'], domain: 'ctcdn.cn' })).toEqual(['Its DNS name points to ctcdn.cn, listed for China Telecom.']);
    expect(blockSentences({ ...telecomIp, asn: null, asName: null })).toEqual(["cdn.example.cn is hosted on China Telecom's network."]);
    expect(blockSentences({ ...telecomIp, operatorId: 'custom', operator: 'custom' })).toEqual(['cdn.example.cn is hosted on a network on your custom list.']);
  });

  it('continues once: asks the background first, then replaces this page with the URL', async () => {
    const api = fakeApi(telecomIp);
    await show(api);
    const button = byId('continue-once') as HTMLButtonElement;
    expect(button.textContent).toBe('Continue once');
    button.click();
    await settle();
    expect(api.continued).toEqual([URL_]);
    expect(api.replaced).toEqual([URL_]);
  });

  it('shows why it could not continue, and stays', async () => {
    const refused = fakeApi(telecomIp, { ok: false, error: 'the URL is not http(s)' });
    await show(refused);
    byId('continue-once')!.click();
    await settle();
    expect(refused.replaced).toEqual([]);
    expect(text('continue-error')).toBe('Could not continue: the URL is not http(s)');
    expect((byId('continue-once') as HTMLButtonElement).disabled).toBe(false);

    render(null, root);
    const silent = fakeApi(telecomIp, { ok: false });
    await show(silent);
    byId('continue-once')!.click();
    await settle();
    expect(text('continue-error')).toBe('Could not continue: Carrier Watch refused.');

    render(null, root);
    const down = fakeApi(telecomIp, new Error('Could not establish connection'));
    await show(down);
    byId('continue-once')!.click();
    await settle();
    expect(text('continue-error')).toBe('Could not continue: Could not establish connection');
  });

  it('goes back, or closes the tab when there is no page to go back to', async () => {
    const api = fakeApi(telecomIp);
    await show(api);
    expect(text('go-back')).toBe('Go back');
    byId('go-back')!.click();
    expect(api.back).toHaveBeenCalledOnce();
    expect(api.closeTab).not.toHaveBeenCalled();

    render(null, root);
    const fresh = fakeApi(telecomIp);
    fresh.history = false;
    await show(fresh);
    expect(text('go-back')).toBe('Close this tab');
    byId('go-back')!.click();
    expect(fresh.closeTab).toHaveBeenCalledOnce();
    expect(fresh.back).not.toHaveBeenCalled();
  });

  it('says when the page is no longer blocked, and goes straight there', async () => {
    const api = fakeApi({ flagged: false, host: 'cdn.example.cn' });
    await show(api);
    expect(root.querySelector('h1')!.textContent).toBe('This page is no longer blocked');
    expect(root.textContent).toContain('Carrier Watch does not block this page now');
    expect(byId('blocked-operator')).toBeNull();
    const button = byId('continue-once')!;
    expect(button.textContent).toBe('Continue to the page');
    button.click();
    await settle();
    expect(api.continued).toEqual([]);
    expect(api.replaced).toEqual([URL_]);
  });

  it('never offers to open an address that is not http(s)', async () => {
    for (const raw of ['javascript:alert(document.domain)', null]) {
      const api = fakeApi(telecomIp);
      await show(api, raw);
      expect(api.explained).toEqual([]);
      expect(byId('continue-once')).toBeNull();
      expect(byId('go-back')).not.toBeNull();
      expect(root.textContent).toContain('it was given no valid web address');
      render(null, root);
    }
  });

  it('offers no button inside another page\'s frame (no clickjacking of "Continue once")', async () => {
    const api = fakeApi(telecomIp);
    api.framed = () => true;
    await show(api);
    expect(root.querySelectorAll('button')).toHaveLength(0);
    expect(api.explained).toEqual([]);
  });

  it('says when the background did not answer, and still offers the way back', async () => {
    await show(fakeApi(new Error('no receiver')));
    expect(root.textContent).toContain("Carrier Watch's background did not answer: no receiver");
    expect(text('blocked-host')).toBe('cdn.example.cn');
    expect(byId('go-back')).not.toBeNull();
  });

  it('is in Chinese when the browser is', async () => {
    useLocale('zh_CN');
    await show(fakeApi(telecomIp));
    expect(root.querySelector('h1')!.textContent).toBe('Carrier Watch 拦截了此页面');
    expect(text('blocked-operator')).toBe('中国电信');
    expect(text('blocked-what')).toBe('cdn.example.cn 托管在中国电信的网络上（AS4134 CHINANET-BACKBONE）。');
    expect(text('continue-once')).toBe('仅此一次继续访问');
  });
});

describe('the blocked page has no hard-coded text', () => {
  // The same check as src/ui/locales.test.ts makes of the popup and the options page.
  for (const name of ['blocked-app.tsx', 'main.tsx']) {
    it(name, () => {
      const source = readFileSync(join(import.meta.dirname, name), 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:])\/\/.*$/gm, '$1');
      const rawText = [...source.matchAll(/(?:<[a-z][\w.-]*(?:\s[^<>]*)?>|<\/[\w.]*>|\/>)(?!\()([^<>{}]*\p{L}[^<>{}]*)</gu)].map((m) => m[1]!.trim()).filter(Boolean);
      expect(rawText).toEqual([]);
      expect([...source.matchAll(/\b(aria-label|title|placeholder|alt)="([^"]*\p{L}[^"]*)"/gu)].map((m) => m[0])).toEqual([]);
    });
  }
});
