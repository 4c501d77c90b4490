import { allBlocked, endpointsByOperator, type PageView } from './page-view.ts';

// The warning itself: per tab, the number of distinct flagged endpoints the
// page on screen tried, on red; on slate blue instead when Carrier Watch
// blocked every request to them (nothing reached a flagged network); empty
// when there are none or the user allowlisted the site. The tooltip names the
// operators: "China Mobile: 2, China Telecom: 1".

export const BADGE_COLOR = '#c62828';
export const BLOCKED_BADGE_COLOR = '#37474f';
export const PRODUCT_NAME = 'Carrier Watch';

export interface BadgeState {
  text: string;
  title: string;
  color: string;
}

export function badgeFor(view: PageView | null | undefined): BadgeState {
  if (!view || view.allowlisted || view.endpoints.length === 0) {
    return { text: '', title: view?.allowlisted ? `${PRODUCT_NAME}: warnings off for this site` : PRODUCT_NAME, color: BADGE_COLOR };
  }
  const count = view.endpoints.length;
  // More endpoints than the cap keeps: say so rather than under-count.
  const text = view.spilled > 0 ? `${count}+` : String(count);
  const operators = endpointsByOperator(view).map(([name, n]) => `${name}: ${n}`).join(', ');
  if (allBlocked(view)) return { text, title: `${PRODUCT_NAME}: blocked, nothing reached them (${operators})`, color: BLOCKED_BADGE_COLOR };
  return { text, title: `${PRODUCT_NAME}: ${operators}`, color: BADGE_COLOR };
}

export interface BadgeSink {
  show(tabId: number, badge: BadgeState): Promise<void>;
  /** The tab navigated or closed: whatever the sink remembers of it is stale. */
  forget?(tabId: number): void;
}

/**
 * Batches badge updates: at most one per tab every `intervalMs` (150 ms: at
 * most ~7 a second, and the count a page reaches shows within ~200 ms, see
 * npm run bench), the last state always shown. The sink may fail (a closed or prerendered tab): that
 * is swallowed here, so no caller has to care.
 */
export class BadgeScheduler {
  private readonly pending = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly lastShown = new Map<number, number>();

  constructor(
    private readonly sink: BadgeSink,
    private readonly stateOf: (tabId: number) => BadgeState,
    private readonly intervalMs = 150,
    private readonly now: () => number = Date.now,
  ) {}

  request(tabId: number): void {
    if (this.pending.has(tabId)) return;
    const wait = Math.max(0, this.intervalMs - (this.now() - (this.lastShown.get(tabId) ?? -Infinity)));
    this.pending.set(tabId, setTimeout(() => void this.flush(tabId), wait));
  }

  /** Shows the current state now (a new page view must clear the old count at once). */
  async flush(tabId: number): Promise<void> {
    const timer = this.pending.get(tabId);
    if (timer !== undefined) clearTimeout(timer);
    this.pending.delete(tabId);
    this.lastShown.set(tabId, this.now());
    // Always written, never skipped as "unchanged": browsers reset a tab's badge when it
    // navigates, sometimes after our write for the new page (see index.ts, onCommitted).
    try {
      await this.sink.show(tabId, this.stateOf(tabId));
    } catch {
      // The tab closed or is not a real tab (prerender): nothing to show.
    }
  }

  forget(tabId: number): void {
    const timer = this.pending.get(tabId);
    if (timer !== undefined) clearTimeout(timer);
    this.pending.delete(tabId);
    this.lastShown.delete(tabId);
    this.sink.forget?.(tabId);
  }
}
