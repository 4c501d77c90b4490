import operatorsJson from '../../data/flagged/operators.json';
import type { Citation, OperatorId } from '../engine/types.ts';
import { t, type MessageKey } from './i18n.ts';

// What the UI says about each operator: its name in the UI language, why it
// is flagged, and the sources. The "why" text is translated in _locales; the
// English one must equal data/flagged/operators.json (a unit test checks), so
// the curated list stays the one source of truth. Citations are titles of
// documents and stay as published.

/** The order groups appear in, fixed so that the popup does not reshuffle as data streams in. */
export const OPERATOR_ORDER: readonly OperatorId[] = ['china-mobile', 'china-telecom', 'china-unicom', 'custom'];

/** The three flagged operators (without the user's "custom" group). */
export const FLAGGED_OPERATORS: readonly OperatorId[] = ['china-mobile', 'china-telecom', 'china-unicom'];

const NAME_KEYS: Record<OperatorId, MessageKey> = {
  'china-mobile': 'operatorChinaMobile',
  'china-telecom': 'operatorChinaTelecom',
  'china-unicom': 'operatorChinaUnicom',
  custom: 'operatorCustom',
};

const WHY_KEYS: Partial<Record<OperatorId, MessageKey>> = {
  'china-mobile': 'whyChinaMobile',
  'china-telecom': 'whyChinaTelecom',
  'china-unicom': 'whyChinaUnicom',
};

/** `inline`: the form that fits inside a sentence ("… on China Mobile and custom-listed networks"). */
export function operatorName(id: OperatorId, form: 'title' | 'inline' = 'title'): string {
  if (form === 'inline' && id === 'custom') return t('operatorCustomInline');
  return t(NAME_KEYS[id]);
}

export interface OperatorInfo {
  id: OperatorId;
  name: string;
  group: string | null;
  why: string;
  sources: Citation[];
}

interface OperatorJson {
  id: string;
  group: string;
  sources: Citation[];
}

const byId = new Map((operatorsJson as OperatorJson[]).map((o) => [o.id, o]));

export function operatorInfo(id: OperatorId): OperatorInfo {
  const data = byId.get(id);
  const whyKey = WHY_KEYS[id];
  return {
    id,
    name: operatorName(id),
    group: data?.group ?? null,
    why: whyKey ? t(whyKey) : t('whyCustom'),
    sources: data?.sources ?? [],
  };
}
