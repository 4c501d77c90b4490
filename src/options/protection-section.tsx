import type { ManagedReading } from '../engine/managed-settings.ts';
import type { ProtectionMode, ProtectionSettings } from '../engine/settings.ts';
import { t, type MessageKey } from '../ui/i18n.ts';
import { controlLock, ManagedNote } from './managed-ui.tsx';

// Protection: warn only, or block too; the phone-login switch; the sites
// where the user turned blocking off from the popup. Unlike the form's other
// sections each change is saved at once (the background follows storage
// changes), so blocking never waits on an unrelated half-typed entry.

const MODES: Array<[ProtectionMode, MessageKey, MessageKey]> = [
  ['warn', 'optProtectionWarn', 'optProtectionWarnHelp'],
  ['block', 'optProtectionBlock', 'optProtectionBlockHelp'],
];

interface Props {
  /** What is in force (the organisation's values over the user's). */
  shown: ProtectionSettings;
  managed: ManagedReading;
  /** Applied to the user's own protection settings, then saved. */
  onChange: (update: (current: ProtectionSettings) => ProtectionSettings) => void;
}

export function ProtectionSection({ shown, managed, onChange }: Props) {
  const others = controlLock(managed, 'other');
  return (
    <section aria-labelledby="protection-heading" data-testid="protection-section">
      <h2 id="protection-heading">{t('optProtectionHeading')}</h2>
      <p class="help">{t('optProtectionHelp')}</p>
      <fieldset>
        <legend>
          {t('optProtectionModeLegend')} <ManagedNote reading={managed} setting="protection" />
        </legend>
        {MODES.map(([mode, label, help]) => (
          <label key={mode} class="check">
            <input
              type="radio"
              name="protection-mode"
              value={mode}
              checked={shown.mode === mode}
              data-testid={`protection-mode-${mode}`}
              {...controlLock(managed, 'protection')}
              onChange={() => onChange((p) => ({ ...p, mode }))}
            />
            <span>
              <strong>{t(label)}</strong> <span class="muted">{t(help)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <label class="check">
        <input
          type="checkbox"
          checked={shown.blockPhoneLogin}
          data-testid="block-phone-login"
          {...controlLock(managed, 'blockPhoneLogin')}
          onChange={(e) => {
            const on = e.currentTarget.checked;
            onChange((p) => ({ ...p, blockPhoneLogin: on }));
          }}
        />
        <span>
          {t('optProtectionPhoneLogin')} <ManagedNote reading={managed} setting="blockPhoneLogin" />
          <span class="muted check-help">{t('optProtectionPhoneLoginHelp')}</span>
        </span>
      </label>
      <h3 id="allowed-sites-heading">{t('optProtectionAllowedHeading')}</h3>
      <p class="help">{t('optProtectionAllowedHelp')}</p>
      {shown.allowedSites.length === 0 && (
        <p class="muted" data-testid="allowed-sites-empty">
          {t('optProtectionAllowedEmpty')}
        </p>
      )}
      <ul class="site-rows" data-testid="allowed-sites" aria-labelledby="allowed-sites-heading">
        {shown.allowedSites.map((site) => (
          <li key={site} class="site-row">
            <span class="site-name">{site}</span>
            <button
              type="button"
              class="button small"
              aria-label={t('optProtectionRemoveSite', site)}
              {...others}
              onClick={() => onChange((p) => ({ ...p, allowedSites: p.allowedSites.filter((s) => s !== site) }))}
            >
              {t('remove')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
