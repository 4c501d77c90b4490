import { describe, expect, it } from 'vitest';
import { LearnedHosts } from './learned-hosts.ts';

describe('LearnedHosts', () => {
  it('says when the set changed, refreshes expiry silently, and drops the oldest past its capacity', () => {
    const hosts = new LearnedHosts(2, 1000);
    expect(hosts.learn('a.test', '1.1.1.1', 'china-telecom', 0)).toBe(true);
    expect(hosts.learn('a.test', '1.1.1.1', 'china-telecom', 500)).toBe(false);
    expect(hosts.get('a.test')?.expires).toBe(1500);
    expect(hosts.learn('b.test', '1.1.1.2', 'china-telecom', 600)).toBe(true);
    expect(hosts.learn('c.test', '1.1.1.3', 'china-unicom', 700)).toBe(true);
    expect(hosts.list().map((h) => h.host)).toEqual(['b.test', 'c.test']);
  });

  it('expires, forgets, and restores only well-formed, unexpired entries', () => {
    const hosts = new LearnedHosts(10, 1000);
    hosts.learn('a.test', '1.1.1.1', 'china-telecom', 0);
    hosts.learn('b.test', '1.1.1.2', 'china-telecom', 800);
    expect(hosts.expire(1000)).toBe(true);
    expect(hosts.list().map((h) => h.host)).toEqual(['b.test']);
    expect(hosts.forget('b.test')).toBe(true);
    expect(hosts.forget('b.test')).toBe(false);

    const restored = new LearnedHosts(10, 1000);
    restored.load([{ host: 'ok.test', ip: '1.1.1.1', operatorId: 'china-mobile', expires: 5000 }, { host: 'old.test', ip: '1.1.1.1', operatorId: 'china-mobile', expires: 10 }, { host: 7 }, null, 'x'], 100);
    expect(restored.list().map((h) => h.host)).toEqual(['ok.test']);
    restored.load('not a list', 100);
    expect(restored.size).toBe(1);
    expect(JSON.parse(JSON.stringify(restored))).toEqual([{ host: 'ok.test', ip: '1.1.1.1', operatorId: 'china-mobile', expires: 5000 }]);
  });
});
