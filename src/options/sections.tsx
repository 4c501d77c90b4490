import { useState } from 'preact/hooks';
import type { ManagedReading } from '../engine/managed-settings.ts';
import type { NotificationSettings } from '../engine/settings.ts';
import type { Confidence, OperatorId } from '../engine/types.ts';
import { t, type MessageKey } from '../ui/i18n.ts';
import type { OptionsForm } from '../ui/options-form.ts';
import { OPERATOR_ORDER, operatorInfo } from '../ui/operators.ts';
import { EntryListEditor } from './entry-list-editor.tsx';
import { controlLock, ManagedNote } from './managed-ui.tsx';

// The sections of the options page that edit the form. Each gets the form
// and a function to change it; nothing here stores anything (Save does).
// `form` is the form as shown (managed values in place of the user's); a
// managed control is disabled, so every change comes from a control that
// shows the user's own value.

export interface SectionProps {
  form: OptionsForm;
  managed: ManagedReading;
  problems: Record<string, string>;
  change: (patch: Partial<OptionsForm>) => void;
}

const CONFIDENCE: Array<[Confidence, MessageKey, MessageKey]> = [
  ['high', 'confidenceHigh', 'confidenceHighHelp'],
  ['medium', 'confidenceMediumOption', 'confidenceMediumHelp'],
  ['low', 'confidenceLowOption', 'confidenceLowHelp'],
];

export function OperatorsSection({ form, managed, change }: SectionProps) {
  const toggle = (id: OperatorId, on: boolean) =>
    change({ enabledOperators: on ? OPERATOR_ORDER.filter((o) => o === id || form.enabledOperators.includes(o)) : form.enabledOperators.filter((o) => o !== id) });
  return (
    <section aria-labelledby="operators-heading">
      <h2 id="operators-heading">{t('operatorsHeading')}</h2>
      <fieldset>
        <legend>
          {t('operatorsLegend')} <ManagedNote reading={managed} setting="operators" />
        </legend>
        {OPERATOR_ORDER.map((id) => (
          <label key={id} class="check">
            <input type="checkbox" checked={form.enabledOperators.includes(id)} onChange={(e) => toggle(id, e.currentTarget.checked)} data-operator={id} {...controlLock(managed, 'operators')} />
            <span>{operatorInfo(id).name}</span>
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>
          {t('confidenceLegend')} <ManagedNote reading={managed} setting="minConfidence" />
        </legend>
        <p class="help">{t('confidenceHelp')}</p>
        {CONFIDENCE.map(([value, label, help]) => (
          <label key={value} class="check">
            <input type="radio" name="confidence" value={value} checked={form.minConfidence === value} onChange={() => change({ minConfidence: value })} {...controlLock(managed, 'minConfidence')} />
            <span>
              <strong>{t(label)}</strong> <span class="muted">{t(help)}</span>
            </span>
          </label>
        ))}
      </fieldset>
    </section>
  );
}

export function CustomEntriesSection({ form, managed, problems, change }: SectionProps) {
  return (
    <section aria-labelledby="custom-heading">
      <h2 id="custom-heading">{t('customHeading')}</h2>
      <p class="help">{t('customHelp')}</p>
      <h3 id="asns-heading">{t('asnsHeading')}</h3>
      <p class="help">{t('asnsHelp')}</p>
      <EntryListEditor list="asns" kind="asn" rows={form.asns} problems={problems} onChange={(asns) => change({ asns })} withOperator lock={controlLock(managed, 'other')} />
      <h3 id="cidrs-heading">
        {t('cidrsHeading')} <ManagedNote reading={managed} setting="customCidrs" />
      </h3>
      <EntryListEditor list="cidrs" kind="cidr" rows={form.cidrs} problems={problems} onChange={(cidrs) => change({ cidrs })} withOperator lock={controlLock(managed, 'customCidrs')} />
      <h3 id="domains-heading">
        {t('domainsHeading')} <ManagedNote reading={managed} setting="customDomains" />
      </h3>
      <p class="help">{t('domainsHelp')}</p>
      <EntryListEditor list="domains" kind="domain" rows={form.domains} problems={problems} onChange={(domains) => change({ domains })} withOperator lock={controlLock(managed, 'customDomains')} />
    </section>
  );
}

export function AllowlistSection({ form, managed, problems, change }: SectionProps) {
  return (
    <section aria-labelledby="allowlist-heading">
      <h2 id="allowlist-heading">
        {t('allowlistHeading')} <ManagedNote reading={managed} setting="allowlist" />
      </h2>
      <p class="help">{t('allowlistHelp')}</p>
      <EntryListEditor list="allowlist" kind="site" rows={form.allowlist} problems={problems} onChange={(allowlist) => change({ allowlist })} withOperator={false} lock={controlLock(managed, 'allowlist')} />
    </section>
  );
}

export function LogSection({ form, managed, problems, change, onClearAll }: SectionProps & { onClearAll: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const lock = controlLock(managed, 'other');
  const problem = problems['retention'];
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">{t('logHeading')}</h2>
      <p class="help">{t('logHelp')}</p>
      <div class="field">
        <label for="retention-days">{t('retentionLabel')}</label>
        <input
          id="retention-days"
          type="number"
          inputMode="numeric"
          min={1}
          max={365}
          value={form.retentionDays}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'retention-error' : undefined}
          {...lock}
          onInput={(e) => change({ retentionDays: e.currentTarget.value })}
        />
      </div>
      {problem && (
        <p id="retention-error" class="field-error" data-testid="field-error">
          {problem}
        </p>
      )}
      <div class="action-row">
        <button
          type="button"
          class={`button${confirming ? ' danger' : ''}`}
          data-testid="clear-all"
          {...lock}
          onClick={async () => {
            if (!confirming) return setConfirming(true);
            setConfirming(false);
            await onClearAll();
          }}
        >
          {confirming ? t('clearAllConfirm') : t('clearAll')}
        </button>
        {confirming && (
          <button type="button" class="button" {...lock} onClick={() => setConfirming(false)}>
            {t('cancel')}
          </button>
        )}
      </div>
    </section>
  );
}

export function NotificationsSection({ form, managed, change, requestPermission }: SectionProps & { requestPermission: () => Promise<boolean> }) {
  const [refused, setRefused] = useState(false);
  const lock = controlLock(managed, 'other');
  const toggle = (key: keyof NotificationSettings, on: boolean) => {
    const next = { ...form.notifications, [key]: on };
    if (!on) return change({ notifications: next });
    // Asked for here, in the click's handler: browsers grant permissions only on a user gesture.
    const asked = requestPermission();
    change({ notifications: next });
    void asked.then(
      (granted) => {
        setRefused(!granted);
        if (!granted) change({ notifications: { ...next, [key]: false } });
      },
      () => {
        setRefused(true);
        change({ notifications: { ...next, [key]: false } });
      },
    );
  };
  return (
    <section aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">{t('notificationsHeading')}</h2>
      <p class="help">{t('notificationsHelp')}</p>
      <label class="check">
        <input type="checkbox" checked={form.notifications.flagged} onChange={(e) => toggle('flagged', e.currentTarget.checked)} data-testid="notify-flagged" {...lock} />
        <span>{t('notifyFlagged')}</span>
      </label>
      <label class="check">
        <input type="checkbox" checked={form.notifications.phoneLogin} onChange={(e) => toggle('phoneLogin', e.currentTarget.checked)} data-testid="notify-phone-login" {...lock} />
        <span>{t('notifyPhoneLogin')}</span>
      </label>
      {refused && <p class="field-error">{t('notificationsRefused')}</p>}
    </section>
  );
}
