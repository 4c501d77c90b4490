import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../engine/settings.ts';
import { allowlistEntriesFor, loadSettings, saveSettings, withAllowlist, type SettingsArea } from './settings-store.ts';

function memoryArea(initial: Record<string, unknown> = {}): SettingsArea & { data: Record<string, unknown>; writes: number } {
  const area = {
    data: { ...initial },
    writes: 0,
    get: async (key: string) => ({ [key]: area.data[key] }),
    set: async (items: Record<string, unknown>) => {
      area.writes++;
      Object.assign(area.data, items);
    },
  };
  return area;
}

describe('settings store', () => {
  it('reads defaults when nothing is stored, and says so when the stored value is bad', async () => {
    expect(await loadSettings(memoryArea())).toEqual({ settings: DEFAULT_SETTINGS, problems: null });
    const bad = await loadSettings(memoryArea({ settings: { minConfidence: 'sure' } }));
    expect(bad.settings).toEqual(DEFAULT_SETTINGS);
    expect(bad.problems?.[0]).toContain('"sure"');
  });

  it('never writes settings that do not parse: the old ones stay', async () => {
    const area = memoryArea({ settings: { ...DEFAULT_SETTINGS, logRetentionDays: 9 } });
    const result = await saveSettings(area, { ...DEFAULT_SETTINGS, user: { ...DEFAULT_SETTINGS.user, cidrs: [{ cidr: '10.0.0.1/8', operatorId: 'custom' }] } });
    expect(result.ok).toBe(false);
    expect(area.writes).toBe(0);
    expect((area.data['settings'] as { logRetentionDays: number }).logRetentionDays).toBe(9);
  });

  it('allowlists a site and takes it (and a host entry covering the page) off again', () => {
    const on = withAllowlist(DEFAULT_SETTINGS, 'example.com', 'https://www.example.com/', true);
    expect(on.user.allowlist).toEqual(['example.com']);
    expect(withAllowlist(on, 'example.com', 'https://www.example.com/', true).user.allowlist).toEqual(['example.com']);
    const both = { ...on, user: { ...on.user, allowlist: ['example.com', 'www.example.com', 'other.org'] } };
    expect(allowlistEntriesFor(both, 'example.com', 'https://www.example.com/x')).toEqual(['example.com', 'www.example.com']);
    expect(withAllowlist(both, 'example.com', 'https://www.example.com/x', false).user.allowlist).toEqual(['other.org']);
  });
});
