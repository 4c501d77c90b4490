import type { PageView } from './page-view.ts';
import { sitesToEvict, sizeOf, visitOf, withVisit, type LogLimits, type SiteIndex, type SiteLog, type Visit } from './site-log.ts';

// Keeps the per-site log in storage.local: one key per site ("site:<site>")
// so a visit rewrites one small entry, plus an index ("siteIndex") for
// retention and the size cap. Writes are batched. When storage refuses a
// write (quota), the visits stay in memory, the error is reported, and the
// next write tries again: nothing recorded is dropped for it.

export interface LocalArea {
  get(keys: string | string[]): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export const SITE_KEY_PREFIX = 'site:';
export const SITE_INDEX_KEY = 'siteIndex';

/** A pending entry is a live page view until written, or a visit already taken from one. */
function asVisit(entry: PageView | Visit): Visit {
  return 'requests' in entry ? visitOf(entry) : entry;
}

export class SiteLogStore {
  /**
   * Page views not yet stored, by site then page-view id. Kept by reference
   * and turned into visits when written: a page's flood of flagged requests
   * costs one copy per write, not one per request.
   */
  private pending = new Map<string, Map<string, PageView | Visit>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  lastError: string | null = null;

  constructor(
    private readonly area: LocalArea,
    private readonly limits: () => LogLimits,
    private readonly delayMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes the page view's current state; stored within `delayMs`. */
  record(view: PageView): void {
    if (!view.site || view.endpoints.length === 0) return;
    let visits = this.pending.get(view.site);
    if (!visits) this.pending.set(view.site, (visits = new Map()));
    visits.set(view.id, view);
    if (this.timer === undefined) this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  /** The site's log, with what is still waiting to be written. */
  async get(site: string): Promise<SiteLog> {
    await this.writing;
    const key = SITE_KEY_PREFIX + site;
    const stored = (await this.area.get(key))[key] as SiteLog | undefined;
    let log: SiteLog = stored ?? { site, visits: [] };
    for (const visit of this.pending.get(site)?.values() ?? []) log = withVisit(log, site, asVisit(visit), this.now(), this.limits());
    return log;
  }

  async index(): Promise<SiteIndex> {
    return ((await this.area.get(SITE_INDEX_KEY))[SITE_INDEX_KEY] as SiteIndex | undefined) ?? {};
  }

  async clear(site?: string): Promise<void> {
    await this.writing;
    const index = await this.index();
    const sites = site === undefined ? Object.keys(index) : [site];
    for (const s of sites) {
      this.pending.delete(s);
      delete index[s];
    }
    await this.area.remove(sites.map((s) => SITE_KEY_PREFIX + s));
    await this.area.set({ [SITE_INDEX_KEY]: index });
  }

  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.writePending());
    return this.writing;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    // Take the batch: visits recorded while it is written wait for the next one.
    // Snapshot now: the page views go on changing; what is written is their state at this moment.
    const batch = new Map([...this.pending].map(([site, views]) => [site, new Map([...views].map(([id, v]) => [id, asVisit(v)]))]));
    this.pending = new Map();
    const sites = [...batch.keys()];
    const now = this.now();
    const limits = this.limits();
    try {
      const keys = sites.map((s) => SITE_KEY_PREFIX + s);
      const stored = await this.area.get([...keys, SITE_INDEX_KEY]);
      const index = (stored[SITE_INDEX_KEY] as SiteIndex | undefined) ?? {};
      const items: Record<string, unknown> = {};
      for (const site of sites) {
        let log = stored[SITE_KEY_PREFIX + site] as SiteLog | undefined;
        for (const visit of batch.get(site)!.values()) log = withVisit(log, site, visit, now, limits);
        items[SITE_KEY_PREFIX + site] = log;
        index[site] = { lastSeen: Math.max(...log!.visits.map((v) => v.lastSeen)), bytes: sizeOf(log!) };
      }
      const evicted = sitesToEvict(index, now, limits);
      for (const site of evicted) {
        delete index[site];
        delete items[SITE_KEY_PREFIX + site];
      }
      items[SITE_INDEX_KEY] = index;
      await this.area.set(items);
      if (evicted.length > 0) await this.area.remove(evicted.map((s) => SITE_KEY_PREFIX + s));
      this.lastError = null;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      console.warn('Carrier Watch: could not save the site log; keeping it in memory:', this.lastError);
      // Put the batch back under anything newer, for the next write to retry.
      for (const [site, visits] of batch) {
        const newer = this.pending.get(site);
        this.pending.set(site, newer ? new Map<string, PageView | Visit>([...visits, ...newer]) : visits);
      }
    }
  }
}
