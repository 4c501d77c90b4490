import { useEffect, useRef } from 'preact/hooks';
import type { OperatorId } from '../engine/types.ts';
import type { EntryKind } from '../ui/entry-checks.ts';
import { t, type MessageKey } from '../ui/i18n.ts';
import { newRowId, type EntryRow } from '../ui/options-form.ts';
import { OPERATOR_ORDER, operatorName } from '../ui/operators.ts';
import type { ControlLock } from './managed-ui.tsx';

// One editable list of the options page (extra ASNs, CIDRs, domains, or the
// allowlisted sites): a row per entry, checked as the user types, each error
// tied to its field (aria-invalid, aria-describedby) and naming the entry.

const TEXT: Record<EntryKind, { placeholder: MessageKey; field: MessageKey; add: MessageKey }> = {
  asn: { placeholder: 'asnPlaceholder', field: 'asnField', add: 'addAsn' },
  cidr: { placeholder: 'cidrPlaceholder', field: 'cidrField', add: 'addCidr' },
  domain: { placeholder: 'domainPlaceholder', field: 'domainField', add: 'addDomain' },
  site: { placeholder: 'sitePlaceholder', field: 'siteField', add: 'addSite' },
};

interface Props {
  /** Prefix of field ids and problem keys: "asns", "cidrs", "domains", "allowlist". */
  list: string;
  kind: EntryKind;
  rows: EntryRow[];
  problems: Record<string, string>;
  onChange: (rows: EntryRow[]) => void;
  /** Entries of the flagged list have an operator and a note; allowlisted sites do not. */
  withOperator: boolean;
  /** Disables every field and button of the list (a managed or locked setting). */
  lock?: ControlLock;
}

export function EntryListEditor({ list, kind, rows, problems, onChange, withOperator, lock = { disabled: false } }: Props) {
  const text = TEXT[kind];
  const focusId = useRef<number | null>(null);
  useEffect(() => {
    if (focusId.current === null) return;
    document.getElementById(`${list}-${focusId.current}`)?.focus();
    focusId.current = null;
  });

  const update = (id: number, patch: Partial<EntryRow>) => onChange(rows.map((r) => (r.id === id ? { ...r, ...patch } : r)));
  const add = () => {
    const row: EntryRow = { id: newRowId(), value: '', operatorId: 'custom', note: '' };
    focusId.current = row.id;
    onChange([...rows, row]);
  };

  return (
    <div class="entry-list" data-list={list}>
      {rows.length === 0 && <p class="muted">{t('listEmpty')}</p>}
      <ul class="entry-rows">
        {rows.map((row, index) => {
          const fieldId = `${list}-${row.id}`;
          const problem = problems[`${list}:${row.id}`];
          const errorId = `${fieldId}-error`;
          return (
            <li key={row.id} class="entry-row">
              <div class="entry-fields">
                <label class="visually-hidden" for={fieldId}>
                  {t(text.field, String(index + 1))}
                </label>
                <input
                  id={fieldId}
                  class="entry-value"
                  type="text"
                  spellcheck={false}
                  autocomplete="off"
                  value={row.value}
                  placeholder={t(text.placeholder)}
                  aria-invalid={problem ? true : undefined}
                  aria-describedby={problem ? errorId : undefined}
                  {...lock}
                  onInput={(e) => update(row.id, { value: e.currentTarget.value })}
                />
                {withOperator && (
                  <>
                    <label class="visually-hidden" for={`${fieldId}-operator`}>
                      {t('operatorField', String(index + 1))}
                    </label>
                    <select id={`${fieldId}-operator`} value={row.operatorId} {...lock} onChange={(e) => update(row.id, { operatorId: e.currentTarget.value as OperatorId })}>
                      {OPERATOR_ORDER.map((id) => (
                        <option key={id} value={id}>
                          {operatorName(id)}
                        </option>
                      ))}
                    </select>
                    <label class="visually-hidden" for={`${fieldId}-note`}>
                      {t('noteField', String(index + 1))}
                    </label>
                    <input
                      id={`${fieldId}-note`}
                      class="entry-note"
                      type="text"
                      value={row.note}
                      placeholder={t('notePlaceholder')}
                      {...lock}
                      onInput={(e) => update(row.id, { note: e.currentTarget.value })}
                    />
                  </>
                )}
                <button type="button" class="button small" aria-label={t('removeEntry', row.value || String(index + 1))} {...lock} onClick={() => onChange(rows.filter((r) => r.id !== row.id))}>
                  {t('remove')}
                </button>
              </div>
              {problem && (
                <p id={errorId} class="field-error" data-testid="field-error">
                  {problem}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <button type="button" class="button small" {...lock} onClick={add}>
        {t(text.add)}
      </button>
    </div>
  );
}
