import type { OperatorId } from '../../engine/types.ts';

// Chrome cannot ask a request's address before it connects, so a host on a
// flagged network that no domain rule names is learned from its first
// response (the IP in onResponseStarted) and blocked from then on. What is
// learned is bounded in number, expires (networks change hands), and is kept
// only where it may be: hosts seen in private windows stay in memory (Chrome's
// session rules), the rest in storage.local so the rules survive a restart.

/** A week: long enough to matter, short enough that a host that moved networks is let go. */
export const LEARNED_TTL_MS = 7 * 24 * 3600_000;
/** Per store; a dynamic rule's domain list stays far below Chrome's rule-size limits. */
export const LEARNED_CAPACITY = 2000;

export interface LearnedHost {
  host: string;
  /** The address that showed it is on a flagged network: re-judged at every rule update (settings change). */
  ip: string;
  operatorId: OperatorId;
  expires: number;
}

export class LearnedHosts {
  private readonly hosts = new Map<string, LearnedHost>();

  constructor(
    private readonly capacity = LEARNED_CAPACITY,
    private readonly ttlMs = LEARNED_TTL_MS,
  ) {}

  /** Adds or refreshes a host; returns whether the set of hosts changed (a rule update is needed). */
  learn(host: string, ip: string, operatorId: OperatorId, now: number): boolean {
    const known = this.hosts.get(host);
    this.hosts.delete(host);
    this.hosts.set(host, { host, ip, operatorId, expires: now + this.ttlMs });
    if (this.hosts.size > this.capacity) this.hosts.delete(this.hosts.keys().next().value!);
    return known === undefined || known.operatorId !== operatorId;
  }

  /** The host answered from an address that is not flagged: it moved, so it is no longer blocked. */
  forget(host: string): boolean {
    return this.hosts.delete(host);
  }

  has(host: string): boolean {
    return this.hosts.has(host);
  }

  get(host: string): LearnedHost | undefined {
    return this.hosts.get(host);
  }

  /** Drops expired hosts; returns whether any went. */
  expire(now: number): boolean {
    let changed = false;
    for (const [host, entry] of this.hosts) {
      if (entry.expires <= now) {
        this.hosts.delete(host);
        changed = true;
      }
    }
    return changed;
  }

  list(): LearnedHost[] {
    return [...this.hosts.values()];
  }

  get size(): number {
    return this.hosts.size;
  }

  clear(): void {
    this.hosts.clear();
  }

  /** Restores what toJSON() saved, skipping anything malformed or expired (a bad entry never blocks). */
  load(saved: unknown, now: number): void {
    if (!Array.isArray(saved)) return;
    for (const item of saved) {
      if (typeof item !== 'object' || item === null) continue;
      const { host, ip, operatorId, expires } = item as Partial<LearnedHost>;
      if (typeof host !== 'string' || typeof ip !== 'string' || typeof operatorId !== 'string' || typeof expires !== 'number') continue;
      if (expires <= now || host === '') continue;
      this.hosts.set(host, { host, ip, operatorId, expires });
      if (this.hosts.size > this.capacity) this.hosts.delete(this.hosts.keys().next().value!);
    }
  }

  toJSON(): LearnedHost[] {
    return this.list();
  }
}
