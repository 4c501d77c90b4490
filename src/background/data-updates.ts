import { checkBundleGuards, compareDataVersions, verifyBundle, type InstalledData } from '../data/bundle.ts';
import { STORED_BUNDLE_KEY, toStoredBundle, type AppliedData } from '../data/stored-bundle.ts';
import { DEFAULT_DATA_UPDATE_URL, type DataUpdateSettings } from '../engine/settings.ts';
import type { DataCheck, DataStatus } from './messages.ts';
import type { LocalArea } from './site-log-store.ts';

// Opt-in network-data updates: while the user (or their organisation) has
// them on, at most once a day the background fetches the data bundle from
// the release URL (or a mirror), verifies it (signature with the pinned key,
// schema, then the guards: newer than both the shipped data and the data in
// use, no operator vanishes, no shrink over 10%), stores it and puts it to
// work without a restart. Any failure leaves the data in use as it was and
// is reported once in the options page.
//
// While updates are off nothing here makes a request, not even at start.
// The request carries nothing about the user: no cookies (credentials
// "omit"), no referrer, no cache validators (an ETag could tag a browser),
// no query string of ours.

export const UPDATE_STATE_KEY = 'dataUpdateState';
export const CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Bundles are ~0.4 MB; anything far larger is not one and is not read to the end. */
export const MAX_BUNDLE_BYTES = 5 * 1024 * 1024;
export const FETCH_TIMEOUT_MS = 30_000;

export interface DataUpdaterDeps {
  local: LocalArea;
  fetch: typeof fetch;
  now: () => number;
  /** The public key bundles must be signed with. */
  key: JsonWebKey;
  bundledVersion: string;
  /** The data in use now, as the guards compare a new bundle against it. */
  current: () => InstalledData;
  /** The settings in force (the user's with the organisation's over them). */
  settings: () => DataUpdateSettings;
  /** Which of them the organisation set. */
  managed: () => { enabled: boolean; url: boolean };
  /** Puts a verified bundle's data to work; null goes back to the shipped data. */
  apply: (data: AppliedData | null) => Promise<void> | void;
  /** storage.local keeps binary as it is (Firefox), rather than JSON only (Chrome). */
  binaryStorage?: boolean;
  /** Lets queued work (request events) run between the steps of a check, so none waits long. */
  yieldToEvents?: () => Promise<void>;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export class DataUpdater {
  private applied: AppliedData | null = null;
  private lastCheck: DataCheck | null = null;
  private running: Promise<DataStatus> | null = null;
  /** Bumped when updates are turned off: a check still running then is not applied. */
  private generation = 0;
  /** The longest stretch (ms) of one check's synchronous work, for the benchmark. */
  readonly timings = { downloadMs: 0, verifyMs: 0, guardsMs: 0, storeMs: 0, applyMs: 0 };

  constructor(private readonly deps: DataUpdaterDeps) {}

  /** At start: the bundle restored from storage (if any) and the last check's record. */
  restore(applied: AppliedData | null, state: unknown): void {
    this.applied = applied;
    const check = (state as { lastCheck?: DataCheck } | null | undefined)?.lastCheck;
    if (check && typeof check.at === 'number' && typeof check.outcome === 'string') this.lastCheck = check;
  }

  get inUse(): AppliedData | null {
    return this.applied;
  }

  get checking(): boolean {
    return this.running !== null;
  }

  status(): DataStatus {
    const settings = this.deps.settings();
    const managed = this.deps.managed();
    const applied = this.applied;
    return {
      inUse: applied
        ? { version: applied.version, dataDate: applied.dataDate, source: 'update', appliedAt: applied.appliedAt }
        : { version: this.deps.bundledVersion, dataDate: this.deps.bundledVersion.slice(0, 10), source: 'bundled', appliedAt: null },
      bundledVersion: this.deps.bundledVersion,
      updates: { enabled: settings.enabled, url: settings.url ?? DEFAULT_DATA_UPDATE_URL, enabledManaged: managed.enabled, urlManaged: managed.url },
      lastCheck: this.lastCheck,
      checking: this.running !== null,
    };
  }

  /**
   * The settings changed (or were read at start). Off: back to the shipped data, the stored
   * bundle and the check record forgotten, no request. Turned on, or pointed at another URL:
   * a check now. Otherwise a check if the last one is a day old.
   */
  async settingsChanged(previous: DataUpdateSettings | null): Promise<void> {
    const next = this.deps.settings();
    if (!next.enabled) {
      if (this.applied === null && this.lastCheck === null && this.running === null) return;
      this.generation++;
      this.lastCheck = null;
      await this.forget();
      return;
    }
    const turnedOn = previous !== null && (!previous.enabled || previous.url !== next.url);
    if (turnedOn) await this.check();
    else await this.checkIfDue();
  }

  /** A check if updates are on and the last one is a day old (or never ran). */
  async checkIfDue(): Promise<void> {
    if (!this.deps.settings().enabled) return;
    if (this.lastCheck && this.deps.now() - this.lastCheck.at < CHECK_INTERVAL_MS && this.lastCheck.at <= this.deps.now()) return;
    await this.check();
  }

  /** A check now (one at a time: a second call while one runs gets the same answer). Never rejects. */
  check(): Promise<DataStatus> {
    if (!this.deps.settings().enabled) return Promise.resolve(this.status());
    this.running ??= this.run().then(
      () => {
        this.running = null;
        return this.status();
      },
      (error: unknown) => {
        this.running = null;
        console.error('Carrier Watch: data update check failed:', error);
        return this.status();
      },
    );
    return this.running;
  }

  private async run(): Promise<void> {
    const generation = this.generation;
    const settings = this.deps.settings();
    const url = settings.url ?? DEFAULT_DATA_UPDATE_URL;
    const result = await this.fetchAndApply(url, generation);
    if (generation !== this.generation) return; // turned off meanwhile: leave no record
    this.lastCheck = result;
    if (result.outcome === 'rejected' || result.outcome === 'failed') console.warn(`Carrier Watch: data update from ${url} ${result.outcome}: ${result.message ?? ''}`);
    await this.deps.local.set({ [UPDATE_STATE_KEY]: { lastCheck: result } }).catch((error: unknown) => {
      console.warn('Carrier Watch: could not save the data update record:', error);
    });
  }

  private async fetchAndApply(url: string, generation: number): Promise<DataCheck> {
    const at = this.deps.now();
    const yieldNow = this.deps.yieldToEvents ?? macrotask;
    const check = (outcome: DataCheck['outcome'], message: string | null, version: string | null): DataCheck => ({ at, outcome, message, version });

    let t = performance.now();
    let file: Uint8Array;
    try {
      file = await download(this.deps.fetch, url);
    } catch (error) {
      return check('failed', `could not download ${url}: ${messageOf(error)}`, null);
    }
    this.timings.downloadMs = performance.now() - t;
    await yieldNow();

    t = performance.now();
    const verified = await verifyBundle(file, this.deps.key, undefined, { yieldToEvents: yieldNow });
    this.timings.verifyMs = performance.now() - t;
    if (!verified.ok) return check('rejected', verified.message, null);
    const bundle = verified.bundle;
    await yieldNow();

    t = performance.now();
    const current = this.deps.current();
    if (compareDataVersions(bundle.version, current.version) === 0) return check('up-to-date', null, bundle.version);
    const rejection = checkBundleGuards(bundle, current, { version: this.deps.bundledVersion });
    this.timings.guardsMs = performance.now() - t;
    if (rejection) return check('rejected', rejection.message, bundle.version);
    await yieldNow();
    if (generation !== this.generation) return check('failed', 'updates were turned off during the check', bundle.version);

    t = performance.now();
    const sha256 = hex(await globalThis.crypto.subtle.digest('SHA-256', new Uint8Array(file)));
    const appliedAt = this.deps.now();
    try {
      // Stored first: data in use that a restart would lose is not applied.
      await this.deps.local.set({ [STORED_BUNDLE_KEY]: toStoredBundle(bundle, sha256, appliedAt, { binary: this.deps.binaryStorage === true }) });
    } catch (error) {
      return check('failed', `could not save the new data (${messageOf(error)})`, bundle.version);
    }
    this.timings.storeMs = performance.now() - t;
    await yieldNow();

    t = performance.now();
    const applied: AppliedData = { list: bundle.list, table: bundle.table, version: bundle.version, dataDate: bundle.dataDate, appliedAt, sha256 };
    this.applied = applied;
    await this.deps.apply(applied);
    this.timings.applyMs = performance.now() - t;
    return check('applied', null, bundle.version);
  }

  /** Back to the shipped data; the stored bundle and the record of checks go. */
  private async forget(): Promise<void> {
    if (this.applied !== null) {
      this.applied = null;
      await this.deps.apply(null);
    }
    await this.deps.local.remove([STORED_BUNDLE_KEY, UPDATE_STATE_KEY]).catch((error: unknown) => {
      console.warn('Carrier Watch: could not remove the stored data update:', error);
    });
  }
}

/** The body, at most MAX_BUNDLE_BYTES, within FETCH_TIMEOUT_MS; throws with a reason otherwise. */
async function download(fetchFn: typeof fetch, url: string): Promise<Uint8Array> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${FETCH_TIMEOUT_MS / 1000} s`)), FETCH_TIMEOUT_MS);
  try {
    const response = await fetchFn(url, {
      method: 'GET',
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
      redirect: 'follow',
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > MAX_BUNDLE_BYTES) throw new Error(`${declared} bytes is more than a data bundle can be (${MAX_BUNDLE_BYTES})`);
    if (!response.body) return new Uint8Array(await response.arrayBuffer());
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_BUNDLE_BYTES) {
        void reader.cancel();
        throw new Error(`more than ${MAX_BUNDLE_BYTES} bytes: not a data bundle`);
      }
      chunks.push(value);
    }
    const file = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      file.set(chunk, at);
      at += chunk.byteLength;
    }
    return file;
  } catch (error) {
    throw controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
