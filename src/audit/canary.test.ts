import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CANARIES, canaryForms, findCanaryLeaks, makeCanaries, pickCanary, prepareCanaries, type CanaryRandom } from './canary.ts';

const fixed: CanaryRandom = { hex: (n) => 'abcdef0123456789'.slice(0, n), digits: (n) => '12345678'.slice(0, n) };
const values = makeCanaries(fixed);
const [emailCanary, phoneCanary] = prepareCanaries(values);
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const never = () => false;

function leaks(url: string, body: string | null = null, host = 'collect.test') {
  return findCanaryLeaks({ url, host, body }, values, never).map((l) => [l.canary, l.where, l.encoding]);
}

describe('canaries', () => {
  it('are made-up values of each kind, random per run', () => {
    expect(values).toEqual({ email: 'cw-canary-abcdef0123@example.com', phone: '+8613812345678', password: 'CwCanary-abcdef01!' });
    expect(CANARIES.email).toMatch(/^cw-canary-[0-9a-f]{10}@example\.com$/);
    expect(CANARIES.phone).toMatch(/^\+86138\d{8}$/);
    expect(CANARIES.password).toMatch(/^CwCanary-[0-9a-f]{8}!$/);
    expect(makeCanaries().email).not.toBe(makeCanaries().email);
    expect(prepareCanaries(values).map((c) => [c.name, c.value])).toEqual(Object.entries(values));
    expect(prepareCanaries(values)).toBe(prepareCanaries(values));
  });

  it('list every encoding of the value', () => {
    const texts = canaryForms('a+b@x.test').map((f) => [f.encoding, f.text]);
    expect(texts).toEqual(
      expect.arrayContaining([
        ['plain', 'a+b@x.test'],
        ['url-encoded', 'a%2Bb%40x.test'],
        ['url-encoded', 'a%2bb%40x.test'],
        ['base64', Buffer.from('a+b@x.test').toString('base64')],
        ['base64', Buffer.from('a+b@x.test').toString('base64').replace(/=+$/, '')],
        ['base64', Buffer.from('a+b@x.test').toString('base64url')],
        ['sha256', sha256('a+b@x.test')],
        ['sha256', sha256('a+b@x.test').toUpperCase()],
        ['md5', md5('a+b@x.test')],
        ['md5', md5('a+b@x.test').toUpperCase()],
      ]),
    );
    // Form encoding: a space is "+", "!" is "%21".
    expect(canaryForms('a b!').map((f) => f.text)).toEqual(expect.arrayContaining(['a%20b!', 'a+b%21']));
    // Each text once.
    const all = canaryForms('x@y.test').map((f) => f.text);
    expect(new Set(all).size).toBe(all.length);
  });

  it('search a phone number also as digits only and as the local number', () => {
    const texts = phoneCanary!.forms.map((f) => f.text);
    for (const v of ['+8613812345678', '8613812345678', '13812345678']) {
      expect(texts).toContain(v);
      expect(texts).toContain(sha256(v));
      expect(texts).toContain(md5(v).toUpperCase());
    }
    expect(phoneCanary!.forms.find((f) => f.text === md5('13812345678'))?.description).toBe('MD5 hex (lower case) of the local number');
  });
});

describe('findCanaryLeaks', () => {
  const { email, phone, password } = values;

  it('finds a value as typed, in the URL or the body', () => {
    expect(leaks(`https://collect.test/?e=${email}`)).toEqual([['email', 'url', 'plain']]);
    expect(leaks('https://collect.test/', JSON.stringify({ phone }))).toEqual([['phone', 'body', 'plain']]);
  });

  it('finds it URL-encoded, %40 and form style', () => {
    expect(leaks(`https://collect.test/?e=${encodeURIComponent(email)}`)).toEqual([['email', 'url', 'url-encoded']]);
    expect(leaks('https://collect.test/', new URLSearchParams({ phone }).toString())).toEqual([['phone', 'body', 'url-encoded']]);
    // Encoded twice: found decoded.
    expect(leaks(`https://collect.test/?r=${encodeURIComponent(`https://x.test/?e=${encodeURIComponent(email)}`)}`)).toEqual([['email', 'url', 'url-encoded']]);
  });

  it('finds it base64-encoded, alone or inside a longer base64 payload', () => {
    expect(leaks(`https://collect.test/?d=${Buffer.from(email).toString('base64url')}`)).toEqual([['email', 'url', 'base64']]);
    for (const prefix of ['', '{', '{"', '{"p":"']) {
      const payload = Buffer.from(`${prefix}${phone}","t":1}`).toString('base64');
      expect(leaks('https://collect.test/', payload)).toEqual([['phone', 'body', 'base64']]);
    }
    // base64 with its "+" and "/" percent-encoded in a URL.
    const b64 = Buffer.from(`??>${email}`).toString('base64');
    expect(leaks(`https://collect.test/?d=${encodeURIComponent(b64)}`)).toEqual([['email', 'url', 'base64']]);
  });

  it('finds it hashed, SHA-256 or MD5, either case, of any phone form', () => {
    expect(leaks('https://collect.test/', `{"h":"${sha256('13812345678')}"}`)).toEqual([['phone', 'body', 'sha256']]);
    expect(leaks(`https://collect.test/?m=${md5(phone).toUpperCase()}`)).toEqual([['phone', 'url', 'md5']]);
    expect(leaks(`https://collect.test/?m=${md5('8613812345678')}`)).toEqual([['phone', 'url', 'md5']]);
    expect(leaks(`https://collect.test/?e=${sha256(email)}`)).toEqual([['email', 'url', 'sha256']]);
  });

  it('reports one leak per canary, place and encoding, named by the longest form', () => {
    const [leak] = findCanaryLeaks({ url: `https://collect.test/?p=${encodeURIComponent(phone)}`, host: 'collect.test', body: null }, values, never);
    // "%2B8613812345678" also holds "8613812345678" and "13812345678": one leak.
    expect(findCanaryLeaks({ url: `https://collect.test/?p=${encodeURIComponent(phone)}`, host: 'collect.test', body: null }, values, never)).toHaveLength(1);
    expect(leak).toEqual({
      canary: 'phone',
      host: 'collect.test',
      requestUrl: 'https://collect.test/?p=%2B8613812345678',
      encoding: 'url-encoded',
      where: 'url',
      flagged: false,
      form: 'URL-encoded of the value',
    });
    const many = leaks(`https://collect.test/?a=${email}&b=${md5(phone)}`, `x=${sha256('13812345678')}&y=${password}`);
    expect(many).toEqual([
      ['email', 'url', 'plain'],
      ['phone', 'url', 'md5'],
      ['phone', 'body', 'sha256'],
      ['password', 'body', 'plain'],
    ]);
  });

  it('marks a leak to a flagged host, asking once per request', () => {
    let asked = 0;
    const isFlagged = (host: string) => {
      asked++;
      return host === 'log.cmpassport.com';
    };
    const found = findCanaryLeaks({ url: `https://log.cmpassport.com/?p=${phone}&e=${email}`, host: 'log.cmpassport.com', body: null }, values, isFlagged);
    expect(found.map((l) => l.flagged)).toEqual([true, true]);
    expect(asked).toBe(1);
    expect(findCanaryLeaks({ url: 'https://clean.test/?q=1', host: 'clean.test', body: '' }, values, isFlagged)).toEqual([]);
    expect(asked).toBe(1);
  });

  it('finds nothing in look-alike values', () => {
    expect(leaks('https://collect.test/?p=+8613812345679&e=cw-canary-abcdef0124@example.com', 'md5=00000000000000000000000000000000')).toEqual([]);
  });

  it('accepts a list of canaries too', () => {
    expect(findCanaryLeaks({ url: `https://c.test/?e=${email}`, host: 'c.test', body: null }, [emailCanary!], never)).toHaveLength(1);
  });
});

describe('pickCanary', () => {
  it('types the value a field asks for', () => {
    expect(pickCanary({ type: 'password' })).toBe('password');
    expect(pickCanary({ type: 'tel' })).toBe('phone');
    expect(pickCanary({ type: 'text', autocomplete: 'tel-national' })).toBe('phone');
    expect(pickCanary({ type: 'text', autocomplete: 'section-x tel' })).toBe('phone');
    expect(pickCanary({ type: 'text', inputMode: 'tel' })).toBe('phone');
    expect(pickCanary({ type: 'email' })).toBe('email');
    expect(pickCanary({ type: 'text', name: 'mobile' })).toBe('phone');
    expect(pickCanary({ type: 'text', placeholder: '请输入手机号' })).toBe('phone');
    expect(pickCanary({ type: 'text', label: '密码' })).toBe('password');
    expect(pickCanary({ type: 'text', autocomplete: 'current-password' })).toBe('password');
    expect(pickCanary({ type: 'text', name: 'username' })).toBe('email');
    expect(pickCanary({})).toBe('email');
  });
});
