import ipTableUrl from '../data/generated/ip-table.bin?url';

// Imported first by the background, so this runs before the rest of its code
// is even evaluated: the cold start's reads (the IP table from the package,
// settings, saved tab state, open tabs) are in flight while the browser
// evaluates the remaining ~350 KB of script, instead of after it.
// performance.now() counts from the worker's start: the benchmark reads it.

interface EarlyApi {
  storage: {
    local: { get(keys: string[]): Promise<Record<string, unknown>> };
    managed?: { get(keys: null): Promise<Record<string, unknown>> };
    session: { get(keys: null): Promise<Record<string, unknown>> };
  };
  tabs: { query(query: object): Promise<Array<{ id?: number; incognito: boolean; status?: string; url?: string }>> };
}

// Firefox has `browser`; Chrome's `chrome` returns promises in MV3 too.
const api = ((globalThis as { browser?: EarlyApi }).browser ?? (globalThis as unknown as { chrome: EarlyApi }).chrome) as EarlyApi;

export const scriptStartMs = performance.now();

/** When each read came back (ms from the worker's start), for the benchmark's phases. */
export const arrivedMs: Record<string, number> = {};

/** Never rejects: each read reports its own failure to whoever awaits it. */
const settle = <T>(p: Promise<T>, name?: string): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> =>
  p.then(
    (value) => {
      if (name) arrivedMs[name] = performance.now();
      return { ok: true as const, value };
    },
    (error: unknown) => ({ ok: false as const, error }),
  );

export const early = {
  table: settle(fetch(ipTableUrl).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`HTTP ${r.status} for the bundled IP table`)))), 'table'),
  /**
   * The user's settings, (Chrome) the hosts learned to be on flagged networks, the last policy
   * seen, and a data update applied earlier with the record of checks (absent unless the user
   * turned updates on).
   */
  local: settle(api.storage.local.get(['settings', 'learnedHosts', 'managedPolicy', 'dataBundle', 'dataUpdateState']), 'local'),
  /**
   * The organisation's settings (enterprise policy); Firefox rejects when there is no policy.
   * Not awaited by start-up: at a browser start Chrome answers it only after ~3 s (measured),
   * so the background starts with the last policy it saw (`managedPolicy`) and applies this
   * when it comes.
   */
  managed: settle(api.storage.managed ? api.storage.managed.get(null) : Promise.resolve({})),
  session: settle(api.storage.session.get(null)),
  tabs: settle(api.tabs.query({})),
};
