import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFICATIONS, DEFAULT_SETTINGS, parseSettings } from './settings.ts';

describe('parseSettings: notifications', () => {
  it('reads settings stored before notifications existed as both off', () => {
    const result = parseSettings({ version: 1, minConfidence: 'high' });
    expect(result).toEqual({ ok: true, value: { ...DEFAULT_SETTINGS, minConfidence: 'high' } });
    expect(DEFAULT_SETTINGS.notifications).toEqual({ flagged: false, phoneLogin: false });
  });

  it('keeps each switch on its own', () => {
    const result = parseSettings({ notifications: { phoneLogin: true } });
    expect(result.ok && result.value.notifications).toEqual({ flagged: false, phoneLogin: true });
  });

  it('round-trips what it returns (the options page saves exactly that)', () => {
    const first = parseSettings({ notifications: { flagged: true, phoneLogin: true }, logRetentionDays: 7 });
    expect(first.ok).toBe(true);
    if (first.ok) expect(parseSettings(JSON.parse(JSON.stringify(first.value)))).toEqual(first);
  });

  it('rejects a non-boolean switch, an unknown key and a non-object, naming each', () => {
    const bad = parseSettings({ notifications: { flagged: 'yes', often: true } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.join('\n')).toMatch(/notifications "flagged" must be true or false/);
      expect(bad.errors.join('\n')).toMatch(/unknown notification setting "often"/);
    }
    const list = parseSettings({ notifications: [] });
    expect(list.ok).toBe(false);
  });

  it('never hands out the shared default object for mutation', () => {
    expect(Object.isFrozen(DEFAULT_NOTIFICATIONS)).toBe(true);
  });
});
