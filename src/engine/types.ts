// Shared shapes of the flagged-network list. The engine is plain TypeScript:
// nothing here may touch a browser API, so Node runs every test and benchmark.

/** Stable ids: stored in settings and logs, so never rename one. */
export type OperatorId = 'china-mobile' | 'china-telecom' | 'china-unicom' | 'custom';

export const OPERATOR_IDS: readonly OperatorId[] = ['china-mobile', 'china-telecom', 'china-unicom', 'custom'];

export type Confidence = 'high' | 'medium' | 'low';

/** Ranks confidences so a threshold can be compared: high passes every threshold. */
export const CONFIDENCE_RANK: Readonly<Record<Confidence, number>> = { high: 3, medium: 2, low: 1 };

export interface Citation {
  title: string;
  url?: string;
}

export interface Operator {
  id: OperatorId;
  /** Display name, e.g. "China Telecom". */
  name: string;
  /** The group it belongs to, e.g. "China Telecom Corporation Limited (China Telecom Group)". */
  group: string;
  /** Why it is flagged: a short plain sentence or two. */
  why: string;
  sources: Citation[];
}

export interface AsnEntry {
  asn: number;
  operatorId: OperatorId;
  /** The operator's unit that holds it, e.g. "China Telecom Americas"; empty for the parent. */
  entity: string;
  /** Human name of the AS as curated, e.g. "CHINANET backbone". */
  name: string;
  confidence: Confidence;
  note: string;
  source: string;
}

export type DomainTag = 'phone-login' | 'cloud' | 'infrastructure' | 'portal' | 'corporate';

export interface DomainEntry {
  /** Registrable or sub domain, lower-case ASCII (punycode), no trailing dot. */
  domain: string;
  operatorId: OperatorId;
  entity: string;
  what: string;
  confidence: Confidence;
  source: string;
  tags: DomainTag[];
}

export interface FlaggedList {
  operators: Operator[];
  asns: AsnEntry[];
  domains: DomainEntry[];
}
