import type { MatchedBy } from '../engine/classifier.ts';
import type { ContactKind } from '../engine/contact-kinds.ts';
import type { Confidence, DomainTag, OperatorId } from '../engine/types.ts';

// The audit's report.json. Its field names are a contract: scripts read them
// (see the README's "Site audit" section). Add fields; never rename or remove
// one. Lines and columns are 1-based everywhere.

export const REPORT_FORMAT = 1;

/** One frame of a script stack: innermost first in every list of them. */
export interface StackFrame {
  url: string;
  line: number;
  column: number;
  /** The function's name when the stack had one; absent for top-level code. */
  functionName?: string;
  /** Set on the first frame of an async parent ("await", "Promise.then", "setTimeout"...). */
  asyncBoundary?: string;
}

/** How the server's IP was learned: the browser's response (CDP remoteIPAddress), or not known (a request that failed or was served from a cache). */
export type IpSource = 'response' | 'none';

/** What the audit saw of one request. */
export interface AuditedRequest {
  url: string;
  host: string;
  method: string;
  /** CDP's resource type, lower-cased: document, script, xhr, fetch, image, websocket, ping, other... */
  resourceType: string;
  frameUrl: string | null;
  /** The CDP target that made it: page, iframe, worker, shared_worker, service_worker. */
  targetType: string;
  ip: string | null;
  ipSource: IpSource;
  fromCache: boolean;
  /** The request failed (network error, or blocked): `errorText` says how. */
  failed: boolean;
  errorText?: string;
  /** Bytes of the request body, when it had one (POST data). */
  bodyBytes: number;
  /** The script stack behind it, innermost first (empty for the page's own navigation or a parser-made request). */
  initiators: StackFrame[];
  /** For a request the HTML parser made: the document and line of the tag. */
  parserLocation?: { url: string; line: number; column: number };
  /**
   * For a document request: true when it loaded the page's top frame (the
   * page or a redirect on the way), false for an iframe. When absent, a
   * document request from the "page" target counts as the top frame.
   */
  mainFrame?: boolean;
}

export interface FlaggedEndpoint {
  host: string;
  /** The first IP seen for the host; null when none was. */
  ip: string | null;
  operatorId: OperatorId;
  /** The operator's display name (as the extension shows it). */
  operator: string;
  matchedBy: MatchedBy[];
  /** What the page did with it, strongest first (the extension's words: src/engine/contact-kinds.ts). */
  kinds: ContactKind[];
  /** Requests to this host on this page. */
  requests: number;
  /** The frame the first request came from. */
  frameUrl: string | null;
  /** The stack behind the first request made by script (innermost first), or where the parser found the tag. */
  initiators: StackFrame[];
  /** Every request to the host, as seen (for the HTML report's evidence). */
  evidence: AuditedRequest[];
  /** The extension's sentence for the match, e.g. "Hosted on China Telecom's network (AS4134)". */
  meaning: string;
  /** Every IP seen for the host, in order of first sight. */
  ips?: string[];
  /** The listed domain that matched (a suffix of `host`), when the domain list matched. */
  domain?: string | null;
  /** The AS that announces the matched IP, when the IP matched through the table. */
  asn?: number | null;
  asName?: string | null;
  confidence?: Confidence;
  /** The listed domain's tags; "phone-login" marks a phone-number login gateway. */
  tags?: DomainTag[];
  /** HTTP methods seen, in order of first use. */
  methods?: string[];
}

/** A flagged domain written in a script's text, whether or not the page contacted it. */
export interface LatentReference {
  domain: string;
  operatorId: OperatorId;
  scriptUrl: string;
  line: number;
  column: number;
  /** The text around it, for the report (at most ~120 characters). */
  excerpt: string;
  /** The whole host name as written, dots unescaped: "log.cmpassport.com" for the domain "cmpassport.com". */
  host?: string;
  /** How it was written: plainly, with escaped dots ("cmpassport\\x2ecom"), or split across quoted parts joined by "+". */
  written?: 'plain' | 'escaped' | 'concatenated';
}

export type CanaryEncoding = 'plain' | 'url-encoded' | 'base64' | 'sha256' | 'md5';

export interface CanaryLeak {
  /** Which canary: "email", "phone" or "password". */
  canary: string;
  host: string;
  requestUrl: string;
  encoding: CanaryEncoding;
  /** Where in the request: the URL or the body. */
  where: 'url' | 'body';
  /** The host is flagged too. */
  flagged: boolean;
  /** Which form matched, in words: "SHA-256 hex (upper case) of the local number 13812345678". */
  form?: string;
}

export interface PageReport {
  url: string;
  finalUrl: string | null;
  status: 'ok' | 'error';
  /** Why the page could not be audited (status "error"): timeout, crash, navigation error. */
  error: string | null;
  /** Milliseconds the audit of this page took. */
  durationMs: number;
  flagged: FlaggedEndpoint[];
  latent: LatentReference[];
  canaryLeaks: CanaryLeak[];
  /** Every request seen, for whoever wants more than the flagged ones. */
  requests: number;
  websockets: number;
}

export interface AuditReport {
  format: typeof REPORT_FORMAT;
  tool: { name: 'carrier-watch'; version: string };
  /** ISO 8601 UTC. */
  startedAt: string;
  finishedAt: string;
  browser: { path: string; version: string };
  /** The network data in use (its date), so a report says what it was judged against. */
  data: { listVersion: string; tableDate: string };
  options: { interact: boolean; concurrency: number; timeoutMs: number };
  pages: PageReport[];
  /** Totals; `flaggedPages` counts the pages with any finding (a flagged contact, a latent reference or a canary leak). */
  summary: { pages: number; errors: number; flaggedPages: number; flaggedEndpoints: number; latent: number; canaryLeaks: number };
}
