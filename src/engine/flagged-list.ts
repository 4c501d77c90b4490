import type { AsnEntry, Citation, Confidence, DomainEntry, DomainTag, FlaggedList, Operator, OperatorId } from './types.ts';

// Parses the curated list in data/flagged/ (operators.json, asns.tsv,
// domains.tsv, lookalikes.tsv). The files are edited by hand, so the parser
// reports every problem at once with file:line instead of stopping at the
// first, and refuses the whole list if anything is wrong: a half-read list
// would silently drop flags. Pure TypeScript: the extension runs it too.

export const FLAGGED_FILES = {
  operators: 'operators.json',
  asns: 'asns.tsv',
  domains: 'domains.tsv',
  lookalikes: 'lookalikes.tsv',
} as const;

export const ASN_COLUMNS = ['asn', 'operator', 'entity', 'confidence', 'name', 'note', 'source'] as const;
export const DOMAIN_COLUMNS = ['domain', 'operator', 'entity', 'confidence', 'tags', 'what', 'source'] as const;
export const LOOKALIKE_COLUMNS = ['kind', 'value', 'note'] as const;

/** The operators a curated entry may name; "custom" is for user-added entries only. */
export const FLAGGED_OPERATOR_IDS: readonly OperatorId[] = ['china-mobile', 'china-telecom', 'china-unicom'];

export const DOMAIN_TAGS: readonly DomainTag[] = ['phone-login', 'cloud', 'infrastructure', 'portal', 'corporate'];

const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];
const MAX_ASN = 4294967295;

export class FlaggedListError extends Error {
  override name = 'FlaggedListError';
  constructor(readonly problems: string[]) {
    super(`the flagged list has ${problems.length} problem(s):\n${problems.join('\n')}`);
  }
}

export interface FlaggedListFiles {
  operatorsJson: string;
  asnsTsv: string;
  domainsTsv: string;
  lookalikesTsv?: string;
}

export interface Lookalikes {
  asns: Set<number>;
  domains: Set<string>;
}

/** Parses and cross-checks the curated list. Throws FlaggedListError listing every problem. */
export function parseFlaggedList(files: FlaggedListFiles): FlaggedList {
  // One list per file, so the report reads file by file in line order.
  const operatorProblems: string[] = [];
  const asnProblems: string[] = [];
  const domainProblems: string[] = [];
  const lookalikeProblems: string[] = [];
  const operators = readOperators(files.operatorsJson, operatorProblems);
  const lookalikes = files.lookalikesTsv === undefined ? emptyLookalikes() : readLookalikes(files.lookalikesTsv, lookalikeProblems);
  const known = new Set(operators.map((o) => o.id));
  const asns = readAsns(files.asnsTsv, known, lookalikes, asnProblems);
  const domains = readDomains(files.domainsTsv, known, lookalikes, domainProblems);
  const problems = [operatorProblems, asnProblems, domainProblems, lookalikeProblems].flatMap(byLine);
  if (problems.length > 0) throw new FlaggedListError(problems);
  return { operators, asns, domains };
}

/** Parses lookalikes.tsv alone. Throws FlaggedListError listing every problem. */
export function parseLookalikes(tsv: string): Lookalikes {
  const problems: string[] = [];
  const result = readLookalikes(tsv, problems);
  if (problems.length > 0) throw new FlaggedListError(byLine(problems));
  return { asns: result.asns, domains: new Set(result.domains.keys()) };
}

/** Why `name` is not a valid listed domain, or undefined if it is. */
export function domainSyntaxProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > 253) return 'is longer than 253 characters';
  if (name.endsWith('.')) return 'has a trailing dot';
  if (name !== name.toLowerCase()) return 'must be lower case';
  const labels = name.split('.');
  if (labels.length < 2) return 'needs at least two labels (e.g. example.com)';
  for (const label of labels) {
    if (label === '') return 'has an empty label';
    if (label.length > 63) return `has a label longer than 63 characters ("${label}")`;
    if (!/^[a-z0-9-]+$/.test(label)) return `has a label with characters outside a-z, 0-9 and "-" ("${label}"); write IDNs in punycode`;
    if (label.startsWith('-') || label.endsWith('-')) return `has a label starting or ending with "-" ("${label}")`;
  }
  // An all-digit last label means an IP address, which belongs in the ASN data.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return 'looks like an IP address, not a domain';
  return undefined;
}

/** Stable sort of one file's problems by their line number ("file:LINE: ..."). */
function byLine(problems: string[]): string[] {
  const line = (p: string): number => Number(/^[^:]*:(\d+):/.exec(p)?.[1] ?? 0);
  return [...problems].sort((a, b) => line(a) - line(b));
}

interface Row {
  line: number;
  fields: string[];
}

interface ReadLookalikes {
  asns: Set<number>;
  /** Domain to the line it is on, to point at both sides of a clash. */
  domains: Map<string, number>;
}

function emptyLookalikes(): ReadLookalikes {
  return { asns: new Set(), domains: new Map() };
}

/**
 * Splits a TSV file into rows after checking its header (the first line that
 * is not blank or a # comment). Rows with the wrong column count are reported
 * and dropped, so later checks can index the fields safely.
 */
function readTable(text: string, file: string, columns: readonly string[], problems: string[]): Row[] {
  const rows: Row[] = [];
  const expected = columns.join('\t');
  let headerSeen = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    const where = `${file}:${i + 1}`;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    if (!headerSeen) {
      headerSeen = true;
      if (raw !== expected) {
        problems.push(`${where}: header must be exactly "${columns.join('<TAB>')}"`);
        return rows; // columns of unknown meaning: checking the rows would only add noise
      }
      continue;
    }
    const fields = raw.split('\t');
    if (fields.length !== columns.length) {
      problems.push(`${where}: expected ${columns.length} tab-separated columns, found ${fields.length}`);
      continue;
    }
    fields.forEach((field, k) => {
      if (field !== field.trim()) problems.push(`${where}: column "${columns[k]}" has leading or trailing spaces`);
    });
    rows.push({ line: i + 1, fields });
  }
  if (!headerSeen) problems.push(`${file}:1: missing header "${columns.join('<TAB>')}"`);
  return rows;
}

function parseAsn(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_ASN ? value : undefined;
}

function checkOperator(value: string, known: ReadonlySet<OperatorId>, where: string, problems: string[]): OperatorId | undefined {
  const id = FLAGGED_OPERATOR_IDS.find((o) => o === value);
  if (id === undefined) {
    problems.push(`${where}: operator "${value}" is not ${FLAGGED_OPERATOR_IDS.join(', ')}`);
    return undefined;
  }
  if (!known.has(id)) {
    problems.push(`${where}: operator "${value}" is not defined in ${FLAGGED_FILES.operators}`);
    return undefined;
  }
  return id;
}

function checkConfidence(value: string, where: string, problems: string[]): Confidence | undefined {
  const confidence = CONFIDENCES.find((c) => c === value);
  if (confidence === undefined) problems.push(`${where}: confidence "${value}" is not high, medium or low`);
  return confidence;
}

function requireText(value: string, column: string, where: string, problems: string[]): void {
  if (value === '') problems.push(`${where}: column "${column}" must not be empty`);
}

function readAsns(text: string, known: ReadonlySet<OperatorId>, lookalikes: ReadLookalikes, problems: string[]): AsnEntry[] {
  const file = FLAGGED_FILES.asns;
  const entries: AsnEntry[] = [];
  const lineOf = new Map<number, number>();
  for (const { line, fields } of readTable(text, file, ASN_COLUMNS, problems)) {
    const where = `${file}:${line}`;
    const [asnText, operator, entity, confidenceText, name, note, source] = fields as [string, string, string, string, string, string, string];
    const before = problems.length;
    const asn = parseAsn(asnText);
    if (asn === undefined) {
      problems.push(`${where}: asn "${asnText}" is not an integer from 1 to ${MAX_ASN}`);
    } else {
      const first = lineOf.get(asn);
      if (first !== undefined) problems.push(`${where}: duplicate ASN ${asn} (first on line ${first})`);
      else lineOf.set(asn, line);
      if (lookalikes.asns.has(asn)) problems.push(`${where}: AS${asn} is a look-alike in ${FLAGGED_FILES.lookalikes} and must not be flagged`);
    }
    const operatorId = checkOperator(operator, known, where, problems);
    const confidence = checkConfidence(confidenceText, where, problems);
    requireText(name, 'name', where, problems);
    requireText(source, 'source', where, problems);
    if (problems.length === before && asn !== undefined && operatorId && confidence) {
      entries.push({ asn, operatorId, entity, name, confidence, note, source });
    }
  }
  return entries;
}

function readDomains(text: string, known: ReadonlySet<OperatorId>, lookalikes: ReadLookalikes, problems: string[]): DomainEntry[] {
  const file = FLAGGED_FILES.domains;
  const entries: DomainEntry[] = [];
  const lineOf = new Map<string, number>();
  for (const { line, fields } of readTable(text, file, DOMAIN_COLUMNS, problems)) {
    const where = `${file}:${line}`;
    const [domain, operator, entity, confidenceText, tagsText, what, source] = fields as [string, string, string, string, string, string, string];
    const before = problems.length;
    const syntax = domainSyntaxProblem(domain);
    if (syntax !== undefined) {
      problems.push(`${where}: domain "${domain}" ${syntax}`);
    } else {
      const first = lineOf.get(domain);
      if (first !== undefined) problems.push(`${where}: duplicate domain "${domain}" (first on line ${first})`);
      else lineOf.set(domain, line);
      checkLookalikeDomains(domain, lookalikes, where, problems);
    }
    const operatorId = checkOperator(operator, known, where, problems);
    const confidence = checkConfidence(confidenceText, where, problems);
    const tags = readTags(tagsText, where, problems);
    requireText(what, 'what', where, problems);
    requireText(source, 'source', where, problems);
    if (problems.length === before && operatorId && confidence) {
      entries.push({ domain, operatorId, entity, what, confidence, source, tags });
    }
  }
  return entries;
}

/** The matcher flags a listed domain and all its subdomains, so a look-alike must be neither. */
function checkLookalikeDomains(domain: string, lookalikes: ReadLookalikes, where: string, problems: string[]): void {
  for (const [lookalike, line] of lookalikes.domains) {
    if (lookalike === domain) {
      problems.push(`${where}: "${domain}" is a look-alike (${FLAGGED_FILES.lookalikes}:${line}) and must not be flagged`);
    } else if (lookalike.endsWith(`.${domain}`)) {
      problems.push(`${where}: "${domain}" would also flag look-alike "${lookalike}" (${FLAGGED_FILES.lookalikes}:${line})`);
    }
  }
}

function readTags(text: string, where: string, problems: string[]): DomainTag[] {
  if (text === '') return [];
  const tags: DomainTag[] = [];
  for (const part of text.split(',')) {
    const name = part.trim();
    const tag = DOMAIN_TAGS.find((t) => t === name);
    if (tag === undefined) problems.push(`${where}: unknown tag "${name}" (allowed: ${DOMAIN_TAGS.join(', ')})`);
    else if (tags.includes(tag)) problems.push(`${where}: tag "${tag}" is repeated`);
    else tags.push(tag);
  }
  return tags;
}

function readLookalikes(text: string, problems: string[]): ReadLookalikes {
  const file = FLAGGED_FILES.lookalikes;
  const result = emptyLookalikes();
  const asnLine = new Map<number, number>();
  for (const { line, fields } of readTable(text, file, LOOKALIKE_COLUMNS, problems)) {
    const where = `${file}:${line}`;
    const [kind, value, note] = fields as [string, string, string];
    requireText(note, 'note', where, problems);
    if (kind === 'asn') {
      const asn = parseAsn(value);
      if (asn === undefined) {
        problems.push(`${where}: asn "${value}" is not an integer from 1 to ${MAX_ASN}`);
      } else if (asnLine.has(asn)) {
        problems.push(`${where}: duplicate look-alike ASN ${asn} (first on line ${asnLine.get(asn)})`);
      } else {
        asnLine.set(asn, line);
        result.asns.add(asn);
      }
    } else if (kind === 'domain') {
      const syntax = domainSyntaxProblem(value);
      if (syntax !== undefined) problems.push(`${where}: domain "${value}" ${syntax}`);
      else if (result.domains.has(value)) problems.push(`${where}: duplicate look-alike domain "${value}" (first on line ${result.domains.get(value)})`);
      else result.domains.set(value, line);
    } else {
      problems.push(`${where}: kind "${kind}" is not asn or domain`);
    }
  }
  return result;
}

const OPERATOR_KEYS = ['id', 'name', 'group', 'why', 'sources'];
const CITATION_KEYS = ['title', 'url'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readOperators(text: string, problems: string[]): Operator[] {
  const file = FLAGGED_FILES.operators;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}:1: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    return [];
  }
  if (!Array.isArray(data)) {
    problems.push(`${file}:1: must be a JSON array of operators`);
    return [];
  }
  const operators: Operator[] = [];
  const seen = new Set<string>();
  data.forEach((item: unknown, index) => {
    const before = problems.length;
    // JSON has no line numbers after parsing: point at the line of this entry's id.
    const id = isRecord(item) && typeof item.id === 'string' ? item.id : undefined;
    const where = `${file}:${id === undefined ? 1 : lineOfId(text, id)}: operator ${index + 1}${id === undefined ? '' : ` ("${id}")`}`;
    if (!isRecord(item)) {
      problems.push(`${where}: must be an object`);
      return;
    }
    for (const key of Object.keys(item)) if (!OPERATOR_KEYS.includes(key)) problems.push(`${where}: unknown key "${key}"`);
    const operatorId = FLAGGED_OPERATOR_IDS.find((o) => o === id);
    if (operatorId === undefined) problems.push(`${where}: "id" must be one of ${FLAGGED_OPERATOR_IDS.join(', ')}`);
    else if (seen.has(operatorId)) problems.push(`${where}: duplicate operator id "${operatorId}"`);
    else seen.add(operatorId);
    for (const key of ['name', 'group', 'why']) {
      const value = item[key];
      if (typeof value !== 'string' || value.trim() === '') problems.push(`${where}: "${key}" must be a non-empty string`);
    }
    const sources = readCitations(item.sources, where, problems);
    if (problems.length === before && operatorId !== undefined) {
      operators.push({ id: operatorId, name: String(item.name), group: String(item.group), why: String(item.why), sources });
    }
  });
  return operators;
}

function readCitations(value: unknown, where: string, problems: string[]): Citation[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${where}: "sources" must be a non-empty array of {title, url}`);
    return [];
  }
  const citations: Citation[] = [];
  value.forEach((source: unknown, k) => {
    const at = `${where}: sources[${k}]`;
    if (!isRecord(source)) {
      problems.push(`${at} must be an object`);
      return;
    }
    for (const key of Object.keys(source)) if (!CITATION_KEYS.includes(key)) problems.push(`${at} has unknown key "${key}"`);
    const { title, url } = source;
    if (typeof title !== 'string' || title.trim() === '') problems.push(`${at}: "title" must be a non-empty string`);
    if (url !== undefined && (typeof url !== 'string' || !/^https:\/\/[^\s]+$/.test(url))) problems.push(`${at}: "url" must be an https:// URL`);
    if (typeof title === 'string') citations.push(typeof url === 'string' ? { title, url } : { title });
  });
  return citations;
}

/** 1-based line of `"id": "<id>"` in the JSON text, or 1. */
function lineOfId(text: string, id: string): number {
  const escaped = JSON.stringify(id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const at = text.search(new RegExp(`"id"\\s*:\\s*${escaped}`));
  if (at < 0) return 1;
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
