// Mirrors in-memory per-tab state to storage.session, so a service worker
// that Chrome stopped after 30 s idle (or Firefox's suspended event page)
// comes back knowing what every tab contacted. Writes are batched: whatever
// changed is written `delayMs` after the first change since the last write,
// however many changes follow (a throttle: a page's flood of requests costs
// one timer, not one per request). A change that can wait (a counter moved)
// asks for `lazyDelayMs`; a new endpoint pulls the write forward. Each write hands the browser a copy of
// the tab's state, which Chrome's bindings deep-copy in the worker's heap:
// writing every 100 ms on a 10,000-request page peaked the heap at 30 MB.

export interface SessionArea {
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

export class SessionMirror<T> {
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending write is due (Date.now() ms), if one is. */
  private dueAt = Infinity;
  private writing: Promise<void> = Promise.resolve();
  /** The last write error, for the popup and the logs; cleared by a good write. */
  lastError: string | null = null;

  constructor(
    private readonly area: SessionArea,
    private readonly prefix: string,
    private readonly read: (key: string) => T | undefined,
    private readonly delayMs = 250,
    private readonly lazyDelayMs = 2000,
  ) {}

  /** The entries under the prefix, by key (without it), in everything the area holds (read at start by early-start.ts). */
  entriesOf(all: Record<string, unknown>): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [key, value] of Object.entries(all)) if (key.startsWith(this.prefix)) out.set(key.slice(this.prefix.length), value);
    return out;
  }

  /** `lazy`: the change only moves a counter and may wait longer. */
  changed(key: string, lazy = false): void {
    this.removed.delete(key);
    this.dirty.add(key);
    this.schedule(lazy ? this.lazyDelayMs : this.delayMs);
  }

  deleted(key: string): void {
    this.dirty.delete(key);
    this.removed.add(key);
    this.schedule(this.delayMs);
  }

  /** Writes everything pending now; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = Infinity;
    const items: Record<string, unknown> = {};
    for (const key of this.dirty) {
      const value = this.read(key);
      if (value !== undefined) items[this.prefix + key] = value;
    }
    const removals = [...this.removed].map((key) => this.prefix + key);
    this.dirty.clear();
    this.removed.clear();
    // One write at a time, in order, so an older state never lands last.
    this.writing = this.writing.then(async () => {
      try {
        if (Object.keys(items).length > 0) await this.area.set(items);
        if (removals.length > 0) await this.area.remove(removals);
        this.lastError = null;
      } catch (error) {
        // Keep the memory state (it is the truth) and retry these keys later.
        this.lastError = error instanceof Error ? error.message : String(error);
        console.warn('Carrier Watch: could not save tab state:', this.lastError);
        for (const key of Object.keys(items)) this.dirty.add(key.slice(this.prefix.length));
      }
    });
    return this.writing;
  }

  private schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (due >= this.dueAt) return; // an earlier write is already coming
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.dueAt = due;
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }
}
