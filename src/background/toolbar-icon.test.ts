import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ICON_SIZES, iconFile, iconStateFor, toolbarIconPaths } from './toolbar-icon.ts';
import manifest from '../../manifest.json';

// The toolbar icon follows the badge: flagged while the badge counts
// something, normal otherwise, per tab. browser.action is a recording fake.

const calls: Array<[string, unknown]> = [];
const action: Record<string, ((details: unknown) => Promise<void>) | undefined> = {};
for (const name of ['setBadgeBackgroundColor', 'setBadgeText', 'setTitle', 'setIcon']) {
  action[name] = async (details) => void calls.push([name, details]);
}
vi.mock('webextension-polyfill', () => ({ default: { action } }));

const { toolbarBadge } = await import('./browser-api.ts');

describe('toolbar icon', () => {
  beforeEach(() => (calls.length = 0));

  it('switches to the flagged icon for a tab whose badge counts endpoints', async () => {
    await toolbarBadge.show(7, { text: '3', title: 'Carrier Watch: China Mobile: 3', color: '#c62828' });
    expect(calls).toContainEqual(['setIcon', { tabId: 7, path: { 16: '/icons/toolbar-flagged-16.png', 32: '/icons/toolbar-flagged-32.png' } }]);
    expect(calls).toContainEqual(['setBadgeText', { tabId: 7, text: '3' }]);
    expect(calls).toContainEqual(['setBadgeBackgroundColor', { tabId: 7, color: '#c62828' }]);
  });

  it('goes back to the normal icon when the badge is empty', async () => {
    await toolbarBadge.show(7, { text: '', title: 'Carrier Watch', color: '#c62828' });
    expect(calls).toContainEqual(['setIcon', { tabId: 7, path: { 16: '/icons/toolbar-normal-16.png', 32: '/icons/toolbar-normal-32.png' } }]);
  });

  it('still sets the badge where the browser has no action.setIcon', async () => {
    const setIcon = action['setIcon'];
    action['setIcon'] = undefined;
    try {
      await toolbarBadge.show(8, { text: '1', title: 'x', color: '#c62828' });
    } finally {
      action['setIcon'] = setIcon;
    }
    expect(calls.map(([name]) => name).sort()).toEqual(['setBadgeBackgroundColor', 'setBadgeText', 'setTitle']);
  });

  it('maps badge text to a state', () => {
    expect(iconStateFor({ text: '', title: '', color: '' })).toBe('normal');
    expect(iconStateFor({ text: '250+', title: '', color: '' })).toBe('flagged');
  });

  it('the manifest names the normal icons the build renders', () => {
    expect(manifest.icons).toEqual(Object.fromEntries(ICON_SIZES.map((s) => [String(s), iconFile('normal', s)])));
    const paths = toolbarIconPaths('normal');
    expect(manifest.action.default_icon).toEqual(Object.fromEntries(Object.entries(paths).map(([s, p]) => [s, p.slice(1)])));
  });
});
