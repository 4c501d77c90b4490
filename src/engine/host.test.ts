import { describe, expect, it } from 'vitest';
import { DomainMatcher } from './domain-matcher.ts';
import { hostOfUrl, normalizeHost } from './host.ts';

describe('normalizeHost', () => {
  it.each([
    ['WWW.CMPassport.COM', 'www.cmpassport.com'],
    ['www.cmpassport.com.', 'www.cmpassport.com'],
    ['  id6.me  ', 'id6.me'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['例え.テスト', 'xn--r8jz45g.xn--zckzah'],
    ['[240e::1]', '240e::1'],
    ['1.2.3.4', '1.2.3.4'],
  ])('%j → %j', (input, host) => expect(normalizeHost(input)).toEqual({ ok: true, host }));

  it.each(['', '.', 'a..b', 'exa mple.com', '999.1.1.1', 'http://x'])('refuses %j with a reason', (input) => {
    const result = normalizeHost(input);
    expect(result.ok).toBe(false);
  });
});

describe('hostOfUrl', () => {
  it('takes the host of http, https and ws URLs', () => {
    expect(hostOfUrl('https://WWW.10086.cn:8443/a?b#c')).toEqual({ ok: true, host: 'www.10086.cn' });
    expect(hostOfUrl('wss://push.example.net/socket')).toEqual({ ok: true, host: 'push.example.net' });
    expect(hostOfUrl('http://[2409:8000::1]/')).toEqual({ ok: true, host: '2409:8000::1' });
  });

  it('has no host for data: and about: URLs, and says so', () => {
    expect(hostOfUrl('data:text/plain,hi').ok).toBe(false);
    expect(hostOfUrl('about:blank').ok).toBe(false);
    expect(hostOfUrl('not a url').ok).toBe(false);
  });
});

describe('DomainMatcher', () => {
  const matcher = new DomainMatcher<string>();
  matcher.set('cuniq.com', 'unicom');
  matcher.set('10010.com', 'portal');
  matcher.set('enrichgw.10010.com', 'gateway');

  it('matches the domain itself and its subdomains on label boundaries', () => {
    expect(matcher.match('cuniq.com')?.value).toBe('unicom');
    expect(matcher.match('store.cuniq.com')?.value).toBe('unicom');
    expect(matcher.match('accuniq.com')).toBeUndefined();
    expect(matcher.match('cuniq.com.evil.test')).toBeUndefined();
    expect(matcher.match('com')).toBeUndefined();
  });

  it('prefers the most specific entry', () => {
    expect(matcher.match('enrichgw.10010.com')).toEqual({ domain: 'enrichgw.10010.com', value: 'gateway' });
    expect(matcher.match('a.enrichgw.10010.com')?.value).toBe('gateway');
    expect(matcher.match('www.10010.com')).toEqual({ domain: '10010.com', value: 'portal' });
  });
});

describe('hostOfUrl fast path', () => {
  it('agrees with the URL parser on the URLs browsers report and on odd ones', () => {
    const urls = [
      'https://www.cmpassport.com/openapi/rs/tokenValidate?x=1',
      'http://cdn.example.net:8080/a.js',
      'wss://push.example.net/socket#frag',
      'http://127.0.0.1:43707/sw-page',
      'http://1.2.3/', // IPv4 shorthand: the parser's job
      'https://user:pass@host.example/', // user info
      'http://[2409:8000::1]:80/', // IPv6
      'HTTP://UPPER.Example/', // not canonical
      'http://a.com\\b.example/', // backslash is a path separator to WHATWG
      'http://xn--bcher-kva.example/',
      'https://trailing.example./',
      'ftp://files.example/',
    ];
    for (const url of urls) {
      const expected = (() => {
        try {
          const hostname = new URL(url).hostname;
          return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
        } catch {
          return null;
        }
      })();
      const got = hostOfUrl(url);
      expect(got.ok ? got.host : null, url).toBe(expected);
    }
  });
});
