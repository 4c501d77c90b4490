import { describe, expect, it } from 'vitest';
import { TabPasses } from './tab-passes.ts';

describe('TabPasses', () => {
  it('lets one tab load one host (and its subdomains) until the tab shows another host', () => {
    const passes = new TabPasses();
    expect(passes.grant(3, 'gw.example.cn')).toBe(true);
    expect(passes.grant(3, 'gw.example.cn')).toBe(false);
    expect(passes.allows(3, 'gw.example.cn')).toBe(true);
    expect(passes.allows(3, 'a.gw.example.cn')).toBe(true);
    expect(passes.allows(3, 'example.cn')).toBe(false);
    expect(passes.allows(4, 'gw.example.cn')).toBe(false);
    expect(passes.committed(3, 'gw.example.cn')).toBe(false); // arriving is not leaving
    expect(passes.committed(3, 'shop.test')).toBe(true);
    expect(passes.allows(3, 'gw.example.cn')).toBe(false);
    passes.grant(5, 'x.test');
    expect(passes.list()).toEqual([{ tabId: 5, host: 'x.test' }]);
    expect(passes.removeTab(5)).toBe(true);
    expect(passes.list()).toEqual([]);
  });
});
