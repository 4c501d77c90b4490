import { useEffect, useRef, useState } from 'preact/hooks';
import type { DataStatus } from '../background/messages.ts';
import type { ManagedKey, ManagedReading } from '../engine/managed-settings.ts';
import type { DataUpdateSettings } from '../engine/settings.ts';
import { checkKey, checkProblem, dataInUseText, lastCheckText } from '../ui/data-status.ts';
import { t } from '../ui/i18n.ts';
import type { OptionsApi } from '../ui/options-api.ts';
import { controlLock, OrganisationNote, type ControlLock } from './managed-ui.tsx';

// Network data: which data is in use, the switch for signed updates (saved at
// once, like protection, because the background checks as soon as it is on),
// the last check and "Check now". The status comes from the background; while
// a check runs the section asks again every second, for a bounded time.

export interface DataPoll {
  everyMs: number;
  /** Turning updates on starts a download; give up following it after this long. */
  forMs: number;
}

const DEFAULT_POLL: DataPoll = { everyMs: 1000, forMs: 35_000 };

interface Props {
  /** What is in force (the organisation's values over the user's). */
  shown: DataUpdateSettings;
  managed: ManagedReading;
  api: Pick<OptionsApi, 'getDataStatus' | 'checkDataNow'>;
  /** Saves the switch; resolves once the write is done: true when it was stored. */
  onChange: (enabled: boolean) => Promise<boolean>;
  poll?: DataPoll;
}

const messageOf = (error: unknown): string => t('errorBackground', error instanceof Error ? error.message : String(error));

export function DataUpdatesSection({ shown, managed, api, onChange, poll = DEFAULT_POLL }: Props) {
  const [status, setStatus] = useState<DataStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  /** Bumped to stop the running poll loop: a newer one started, "Check now" answered, or the page closed. */
  const generation = useRef(0);

  /** Reads the status now, then every `everyMs` until `done` says so or `forMs` runs out. */
  async function follow(done: (s: DataStatus) => boolean): Promise<void> {
    const run = ++generation.current;
    const deadline = Date.now() + poll.forMs;
    for (;;) {
      let next: DataStatus;
      try {
        next = await api.getDataStatus();
      } catch (e) {
        if (run === generation.current) setError(messageOf(e));
        return;
      }
      if (run !== generation.current) return;
      setStatus(next);
      setError(null);
      if (done(next) || Date.now() + poll.everyMs > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, poll.everyMs));
      if (run !== generation.current) return;
    }
  }

  // Once per page (a check may already be running); later reads follow the user's actions.
  useEffect(() => {
    void follow((s) => !s.checking);
    return () => void generation.current++;
  }, []);

  async function toggle(enabled: boolean) {
    const before = checkKey(status?.lastCheck ?? null);
    if (!(await onChange(enabled))) return void follow((s) => !s.checking);
    // Turned on, the background checks at once: follow it until that check is done.
    await follow((s) => s.updates.enabled === enabled && !s.checking && (!enabled || checkKey(s.lastCheck) !== before));
  }

  async function checkNow() {
    generation.current++;
    setRunning(true);
    try {
      const next = await api.checkDataNow();
      setStatus(next);
      setError(null);
      if (next.checking) void follow((s) => !s.checking);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setRunning(false);
    }
  }

  // The background may know of a policy the page has not read yet (and the other way round): either locks.
  const byOrganisation = (key: ManagedKey, reported: boolean | undefined) =>
    managed.keys.includes(key) || (reported === true && managed.policy.lockSettings !== true);
  const switchManaged = byOrganisation('dataUpdates', status?.updates.enabledManaged);
  const lock: ControlLock = switchManaged ? { disabled: true, 'data-managed': 'true' } : controlLock(managed, 'dataUpdates');
  const enabled = switchManaged && !managed.keys.includes('dataUpdates') && status ? status.updates.enabled : shown.enabled;
  const busy = running || status?.checking === true;
  const lastCheck = status ? lastCheckText(status) : null;
  const problem = checkProblem(status);

  return (
    <section aria-labelledby="data-heading" data-testid="data-section">
      <h2 id="data-heading">{t('optDataHeading')}</h2>
      <p class="help">{t('optDataHelp')}</p>
      {status && (
        <p class="data-in-use" data-testid="data-status">
          {dataInUseText(status)}
        </p>
      )}
      <label class="check">
        <input type="checkbox" checked={enabled} data-testid="data-updates" {...lock} onChange={(e) => void toggle(e.currentTarget.checked)} />
        <span>
          {t('optDataUpdates')} {switchManaged && <OrganisationNote />}
          <span class="muted check-help">{t('optDataUpdatesHelp')}</span>
        </span>
      </label>
      {status?.updates.enabled && (
        <p class="data-url" data-testid="data-update-url">
          {t('optDataUpdateUrl', status.updates.url)}
          {byOrganisation('dataUpdateUrl', status.updates.urlManaged) && (
            <>
              {' '}
              <OrganisationNote />
            </>
          )}
        </p>
      )}
      {lastCheck !== null && (
        <p data-testid="data-last-check" aria-live="polite">
          {lastCheck}
        </p>
      )}
      {problem && (
        <p class="field-error" role="alert" data-testid="data-update-error">
          {/* The message is the background's, as is: the sentence after it goes on its own line. */}
          {problem.message ?? lastCheck} <span class="data-kept">{t('optDataKept')}</span>
        </p>
      )}
      <div class="action-row">
        <button type="button" class="button" data-testid="data-check-now" disabled={!status?.updates.enabled || busy} onClick={() => void checkNow()}>
          {busy ? t('optDataChecking') : t('optDataCheckNow')}
        </button>
      </div>
      {error && (
        <p class="field-error" role="alert" data-testid="data-background-error">
          {error}
        </p>
      )}
    </section>
  );
}
