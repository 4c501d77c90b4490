import { describe, expect, it } from 'vitest';
import en from '../../public/_locales/en/messages.json';
import { DEFAULT_SETTINGS, type Settings } from '../engine/settings.ts';
import { lookupFromMessages } from '../ui/i18n.ts';
import { endpoint, view } from '../ui/test-fixtures.ts';
import { kindFor, NOTIFIED_KEY, NOTIFY_INTERVAL_MS, Notifier, type NotificationSink } from './notifier.ts';

const t = lookupFromMessages(en);
const phone = endpoint('passport.cmpassport.com', { operatorId: 'china-mobile', operator: 'China Mobile', tags: ['phone-login'] });
const plain = endpoint('cdn.example.cn');
const withNotifications = (flagged: boolean, phoneLogin: boolean): Settings => ({ ...DEFAULT_SETTINGS, notifications: { flagged, phoneLogin } });

function setup(permitted = true) {
  const shown: Array<{ id: string; title: string; message: string }> = [];
  const stored: Record<string, unknown> = {};
  let now = Date.UTC(2026, 10, 21, 12);
  const sink: NotificationSink = {
    permitted: async () => permitted,
    show: async (id, title, message) => void shown.push({ id, title, message }),
  };
  const area = { get: async (key: string) => ({ [key]: stored[key] }), set: async (items: Record<string, unknown>) => void Object.assign(stored, items) };
  const notifier = new Notifier(sink, area, t, () => now);
  return { notifier, shown, stored, advance: (ms: number) => (now += ms) };
}

describe('kindFor', () => {
  it('picks the phone-login kind only when that option is on', () => {
    expect(kindFor(phone, { flagged: false, phoneLogin: true })).toBe('phone-login');
    expect(kindFor(phone, { flagged: true, phoneLogin: false })).toBe('flagged');
    expect(kindFor(plain, { flagged: false, phoneLogin: true })).toBeNull();
  });
});

describe('Notifier', () => {
  it('is silent by default (both options off)', async () => {
    const { notifier, shown } = setup();
    expect(await notifier.onNewEndpoint(1, view([plain]), plain, DEFAULT_SETTINGS)).toBeNull();
    expect(shown).toHaveLength(0);
  });

  it('notifies the first flagged contact on a site, then not again that day', async () => {
    const { notifier, shown, stored, advance } = setup();
    const page = view([plain]);
    const settings = withNotifications(true, false);
    expect(await notifier.onNewEndpoint(1, page, plain, settings)).toBe('flagged');
    expect(shown[0]).toEqual({
      id: 'carrier-watch:1:flagged:example.com',
      title: 'Carrier Watch: example.com',
      message: 'example.com contacted cdn.example.cn (China Telecom). Open Carrier Watch for details.',
    });
    expect(await notifier.onNewEndpoint(2, view([plain]), plain, settings)).toBeNull();
    expect(Object.keys(stored[NOTIFIED_KEY] as object)).toEqual(['flagged:example.com']);
    advance(NOTIFY_INTERVAL_MS);
    expect(await notifier.onNewEndpoint(1, page, plain, settings)).toBe('flagged');
    expect(shown).toHaveLength(2);
  });

  it('has the phone-login gateways as an option of its own, which also stands for the day\'s flagged one', async () => {
    const { notifier, shown } = setup();
    const onlyPhone = withNotifications(false, true);
    expect(await notifier.onNewEndpoint(1, view([plain]), plain, onlyPhone)).toBeNull();
    expect(await notifier.onNewEndpoint(1, view([plain, phone]), phone, onlyPhone)).toBe('phone-login');
    expect(shown[0]!.message).toBe(
      'example.com contacted passport.cmpassport.com, a phone-number login gateway of China Mobile: it can tie your visit to your phone number.',
    );
    expect(await notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, true))).toBeNull();
  });

  it('prefers the phone-login gateway among the endpoints of a page that just showed', async () => {
    const { notifier } = setup();
    expect(await notifier.onPageShown(1, view([plain, phone]), withNotifications(true, true))).toBe('phone-login');
  });

  it('remembers across restarts through storage, but not for private tabs', async () => {
    const first = setup();
    await first.notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, false));
    const second = setup();
    Object.assign(second.stored, first.stored);
    expect(await second.notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, false))).toBeNull();

    const priv = setup();
    expect(await priv.notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, false), { isPrivate: true })).toBe('flagged');
    expect(priv.stored[NOTIFIED_KEY]).toBeUndefined();
    expect(await priv.notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, false), { isPrivate: true })).toBeNull();
  });

  it('shows nothing without the permission, on allowlisted sites, or pages with no site', async () => {
    const denied = setup(false);
    expect(await denied.notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, true))).toBeNull();
    const { notifier, shown } = setup();
    expect(await notifier.onNewEndpoint(1, view([plain], { allowlisted: true }), plain, withNotifications(true, true))).toBeNull();
    expect(await notifier.onNewEndpoint(1, view([plain], { site: '', url: '' }), plain, withNotifications(true, true))).toBeNull();
    expect(shown).toHaveLength(0);
    // Refused, then granted: the site was not marked, so it is notified now.
    const later = setup(true);
    expect(await later.notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, false))).toBe('flagged');
  });

  it('never notifies twice for endpoints arriving together', async () => {
    const { notifier, shown } = setup();
    const page = view([plain, endpoint('b.cn')]);
    const settings = withNotifications(true, false);
    await Promise.all([notifier.onNewEndpoint(1, page, plain, settings), notifier.onNewEndpoint(1, page, page.endpoints[1]!, settings)]);
    expect(shown).toHaveLength(1);
  });

  it('drops marks older than a day when it writes', async () => {
    const { notifier, stored, advance } = setup();
    await notifier.onNewEndpoint(1, view([plain], { site: 'old.com' }), plain, withNotifications(true, false));
    advance(NOTIFY_INTERVAL_MS + 1);
    await notifier.onNewEndpoint(1, view([plain]), plain, withNotifications(true, false));
    expect(Object.keys(stored[NOTIFIED_KEY] as object)).toEqual(['flagged:example.com']);
  });
});
