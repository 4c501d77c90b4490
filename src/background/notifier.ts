import type { Browser } from 'webextension-polyfill';
import type { NotificationSettings, Settings } from '../engine/settings.ts';
import type { OperatorId } from '../engine/types.ts';
import type { Endpoint, PageView } from './page-view.ts';

// Optional desktop notifications (off by default): the first time a site's
// page contacts a flagged network, and, as a choice of its own, the first
// time it contacts a phone-number login gateway. At most one per site and
// kind a day. What was notified is kept in storage.local (key
// "notifiedSites", one timestamp per site and kind, pruned after a day);
// for private tabs it stays in memory. No permission, no notification: the
// "notifications" permission is optional and asked for by the options page.

export type NotificationKind = 'flagged' | 'phone-login';

export interface NotificationSink {
  /** Whether the optional "notifications" permission is granted now. */
  permitted(): Promise<boolean>;
  show(id: string, title: string, message: string): Promise<void>;
}

export interface NotifiedArea {
  get(keys: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

/** browser.i18n.getMessage. */
export type Translate = (key: string, substitutions: string[]) => string;

export interface NotifyOptions {
  /** A private (incognito) tab: nothing about it is written to disk. */
  isPrivate?: boolean;
}

export const NOTIFIED_KEY = 'notifiedSites';
export const NOTIFY_INTERVAL_MS = 86_400_000;
export const PHONE_LOGIN_TAG = 'phone-login';

const OPERATOR_MESSAGE: Record<OperatorId, string> = {
  'china-mobile': 'operatorChinaMobile',
  'china-telecom': 'operatorChinaTelecom',
  'china-unicom': 'operatorChinaUnicom',
  custom: 'operatorCustom',
};

/** Which notification an endpoint calls for under these settings, if any. */
export function kindFor(endpoint: Pick<Endpoint, 'tags'>, wanted: NotificationSettings): NotificationKind | null {
  if (wanted.phoneLogin && endpoint.tags.includes(PHONE_LOGIN_TAG)) return 'phone-login';
  return wanted.flagged ? 'flagged' : null;
}

export class Notifier {
  private notified: Map<string, number> | null = null;
  private readonly inMemory = new Map<string, number>();
  /** One check at a time, so two endpoints arriving together never notify twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sink: NotificationSink,
    private readonly area: NotifiedArea,
    private readonly t: Translate,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A new flagged endpoint on the page view a tab shows. Resolves to the kind
   * of notification shown, or null. Never rejects.
   */
  onNewEndpoint(tabId: number, view: PageView, endpoint: Endpoint, settings: Settings, options: NotifyOptions = {}): Promise<NotificationKind | null> {
    return this.enqueue(() => this.check(tabId, view, [endpoint], settings, options));
  }

  /**
   * A page view became the one on screen (its commit) with endpoints recorded
   * before, e.g. the page's own server: same rule, over all of them.
   */
  onPageShown(tabId: number, view: PageView, settings: Settings, options: NotifyOptions = {}): Promise<NotificationKind | null> {
    return this.enqueue(() => this.check(tabId, view, view.endpoints, settings, options));
  }

  private enqueue(task: () => Promise<NotificationKind | null>): Promise<NotificationKind | null> {
    const run = this.queue.then(task).catch((error: unknown) => {
      console.warn('Carrier Watch: notification failed:', error);
      return null;
    });
    this.queue = run;
    return run;
  }

  private async check(tabId: number, view: PageView, endpoints: readonly Endpoint[], settings: Settings, options: NotifyOptions): Promise<NotificationKind | null> {
    const wanted = settings.notifications;
    if ((!wanted.flagged && !wanted.phoneLogin) || view.allowlisted || !view.site) return null;
    // A phone-login gateway is the stronger news: it goes first.
    const candidates = endpoints
      .map((endpoint) => ({ endpoint, kind: kindFor(endpoint, wanted) }))
      .filter((c): c is { endpoint: Endpoint; kind: NotificationKind } => c.kind !== null)
      .sort((a, b) => Number(b.kind === 'phone-login') - Number(a.kind === 'phone-login'));
    const now = this.now();
    const seen = options.isPrivate ? this.inMemory : await this.load();
    const due = candidates.find((c) => {
      const last = seen.get(`${c.kind}:${view.site}`);
      return last === undefined || now - last >= NOTIFY_INTERVAL_MS;
    });
    if (!due || !(await this.sink.permitted())) return null;

    // A phone-login notification also stands for the day's "flagged" one.
    const kinds: NotificationKind[] = due.kind === 'phone-login' ? ['phone-login', 'flagged'] : ['flagged'];
    for (const kind of kinds) seen.set(`${kind}:${view.site}`, now);
    if (!options.isPrivate) await this.save(seen, now);

    const e = due.endpoint;
    const operator = this.t(OPERATOR_MESSAGE[e.operatorId], []) || e.operator;
    const message =
      due.kind === 'phone-login'
        ? this.t('notifyPhoneLoginMessage', [view.site, e.host, operator])
        : this.t('notifyFlaggedMessage', [view.site, e.host, operator]);
    await this.sink.show(`carrier-watch:${tabId}:${due.kind}:${view.site}`, this.t('notifyTitle', [view.site]), message);
    return due.kind;
  }

  private async load(): Promise<Map<string, number>> {
    if (this.notified === null) {
      const stored = (await this.area.get(NOTIFIED_KEY))[NOTIFIED_KEY];
      this.notified = new Map();
      if (typeof stored === 'object' && stored !== null) {
        for (const [key, value] of Object.entries(stored)) if (typeof value === 'number') this.notified.set(key, value);
      }
    }
    return this.notified;
  }

  private async save(seen: Map<string, number>, now: number): Promise<void> {
    // Only the last day matters: older entries are dropped, so the key stays small.
    for (const [key, time] of seen) if (now - time >= NOTIFY_INTERVAL_MS) seen.delete(key);
    await this.area.set({ [NOTIFIED_KEY]: Object.fromEntries(seen) });
  }
}

/** The sink over browser.* (the icon is a file of the extension, as Chrome requires one). */
export function browserNotificationSink(api: Browser, iconPath = 'icons/notification-128.png'): NotificationSink {
  return {
    permitted: () => api.permissions.contains({ permissions: ['notifications'] }),
    async show(id, title, message) {
      await api.notifications.create(id, { type: 'basic', iconUrl: api.runtime.getURL(iconPath), title, message });
    },
  };
}
