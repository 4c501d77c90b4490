import { isLocked, type ManagedKey, type ManagedReading } from '../engine/managed-settings.ts';
import { t } from '../ui/i18n.ts';

// How the options page shows the organisation's settings: the controls of a
// managed key disabled and marked, a banner saying so, and the policy's
// problems listed so an administrator's typo does not go unseen.

export interface ControlLock {
  disabled: boolean;
  /** Only on the controls whose value the organisation set (lockSettings alone disables without marking). */
  'data-managed'?: 'true';
}

/** Spread onto every input, select and button that changes `setting`. */
export function controlLock(reading: ManagedReading, setting: ManagedKey | 'other'): ControlLock {
  const managed = setting !== 'other' && reading.keys.includes(setting);
  return managed ? { disabled: true, 'data-managed': 'true' } : { disabled: isLocked(reading, setting) };
}

/** "Set by your organisation", next to the controls of a managed key. */
export function ManagedNote({ reading, setting }: { reading: ManagedReading; setting: ManagedKey }) {
  return reading.keys.includes(setting) ? <OrganisationNote /> : null;
}

/** The note alone, for a value the background reports as the organisation's. */
export function OrganisationNote() {
  return (
    <span class="managed-note" data-testid="managed-note">
      {t('managedBySetting')}
    </span>
  );
}

/** lockSettings: false alone manages nothing, so it shows no banner. */
function managesAnything(reading: ManagedReading): boolean {
  return reading.policy.lockSettings === true || reading.keys.some((key) => key !== 'lockSettings');
}

export function ManagedNotice({ reading }: { reading: ManagedReading }) {
  const locked = reading.policy.lockSettings === true;
  return (
    <>
      {managesAnything(reading) && (
        <div class="managed-banner" role="note" data-testid="managed-banner" data-locked={locked ? 'true' : undefined}>
          <p>{locked ? t('managedLocked') : t('managedBanner')}</p>
        </div>
      )}
      {reading.problems.length > 0 && (
        <div class="managed-problems">
          <p>{t('managedProblemsHelp')}</p>
          <ul data-testid="managed-problems">
            {reading.problems.map((problem, index) => (
              <li key={index}>{problem.key === '*' ? t('managedPolicyInvalid', problem.reason) : t('managedProblem', problem.key, problem.reason)}</li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
