import type { Protocol } from 'devtools-protocol';
import type { StackFrame } from './report-types.ts';

// The audit's promise is "the exact script line behind every flagged
// request", so the initiator CDP reports is kept as a stack, not reduced to
// a set of script URLs as other auditors do. CDP counts lines and columns
// from 0; the report, like every editor and DevTools' own display, from 1:
// the conversion happens here and nowhere else. Async parents matter for
// the chatbot case: the call that posts sits in a promise callback, and
// the frame that built the host name is only in the parent stack.

/** Beyond this a stack is a framework's plumbing, and the report would grow without telling more. */
export const MAX_FRAMES = 50;

export type CdpInitiator = Protocol.Network.Initiator;
export type CdpStackTrace = Protocol.Runtime.StackTrace;
export type CdpStackTraceId = Protocol.Runtime.StackTraceId;

export interface InitiatorOptions {
  /**
   * The URL of a script by its CDP scriptId (from Debugger.scriptParsed),
   * for frames CDP reports without one: a script named only by
   * `//# sourceURL`, or when the frame's url is empty but the script's is not.
   */
  urlOfScript?: (scriptId: string) => string | undefined;
}

export interface InitiatorLocation {
  /** The script stack, innermost first; empty when no script made the request. */
  initiators: StackFrame[];
  /** Where the HTML parser found the tag, for a parser-made request. */
  parserLocation?: { url: string; line: number; column: number };
}

/** `url:line:column`, as the reports and the terminal write a frame. */
export function formatFrame(frame: Pick<StackFrame, 'url' | 'line' | 'column'>): string {
  return `${frame.url}:${frame.line}:${frame.column}`;
}

/**
 * A CDP request initiator as the report keeps it. A script-made request
 * gets its stack (async parents included); a parser-made one the tag's
 * location; a module import without a stack a one-frame stack at the
 * import; anything else (the page's own navigation, a preflight) nothing.
 */
export function fromInitiator(initiator: CdpInitiator | undefined, options: InitiatorOptions = {}): InitiatorLocation {
  if (initiator === undefined) return { initiators: [] };
  if (initiator.type === 'parser') {
    if (!initiator.url) return { initiators: [] };
    return { initiators: [], parserLocation: { url: initiator.url, line: oneBased(initiator.lineNumber), column: oneBased(initiator.columnNumber) } };
  }
  if (initiator.stack !== undefined) {
    const frames = framesOfStack(initiator.stack, options);
    if (frames.length > 0) return { initiators: frames };
  }
  // A static `import` (type "script") names the importing script without a stack.
  if (initiator.type === 'script' && initiator.url) {
    return { initiators: [{ url: initiator.url, line: oneBased(initiator.lineNumber), column: oneBased(initiator.columnNumber) }] };
  }
  return { initiators: [] };
}

/**
 * A CDP stack trace, innermost first, then each async parent's frames, the
 * first of them marked with the parent's description ("await",
 * "Promise.then", "setTimeout"). Frames without a URL (eval, V8's own
 * code) are dropped when any frame has one, and the list stops at
 * MAX_FRAMES.
 */
export function framesOfStack(stack: CdpStackTrace, options: InitiatorOptions = {}): StackFrame[] {
  const all: Array<StackFrame & { boundary?: string }> = [];
  let current: CdpStackTrace | undefined = stack;
  let boundary: string | undefined;
  // A cycle would be a CDP bug; the walk stops anyway once enough frames are in.
  const seen = new Set<CdpStackTrace>();
  while (current !== undefined && !seen.has(current) && all.length < MAX_FRAMES * 4) {
    seen.add(current);
    let first = true;
    for (const call of current.callFrames) {
      const url = call.url || options.urlOfScript?.(call.scriptId) || '';
      const frame: StackFrame & { boundary?: string } = { url, line: oneBased(call.lineNumber), column: oneBased(call.columnNumber) };
      if (call.functionName) frame.functionName = call.functionName;
      // The parent's boundary travels to the first frame kept from it (see below).
      if (first && boundary !== undefined) frame.boundary = boundary;
      first = false;
      all.push(frame);
    }
    // A parent with no frames still marks where the next frames come from.
    if (!first) boundary = undefined;
    const parent: CdpStackTrace | undefined = current.parent;
    if (parent !== undefined) boundary ??= parent.description || 'async';
    current = parent;
  }

  const anyUrl = all.some((f) => f.url !== '');
  const out: StackFrame[] = [];
  let pending: string | undefined;
  for (const frame of all) {
    if (frame.boundary !== undefined) pending = frame.boundary;
    if (anyUrl && frame.url === '') continue; // its boundary moves on to the next frame kept
    const kept: StackFrame = { url: frame.url, line: frame.line, column: frame.column };
    if (frame.functionName !== undefined) kept.functionName = frame.functionName;
    if (pending !== undefined) {
      kept.asyncBoundary = pending;
      pending = undefined;
    }
    out.push(kept);
    if (out.length === MAX_FRAMES) break;
  }
  return out;
}

/**
 * Fills in async parents CDP gave only by id (`parentId`: the parent lives
 * in another debugger, e.g. the page that started a worker), by asking
 * `fetch` (Debugger.getStackTrace on the CDP side). Returns a copy; a
 * parent that cannot be fetched ends the chain. At most `maxParents` fetches.
 */
export async function resolveAsyncParents(
  stack: CdpStackTrace,
  fetch: (id: CdpStackTraceId) => Promise<CdpStackTrace | undefined>,
  maxParents = 8,
): Promise<CdpStackTrace> {
  const copy: CdpStackTrace = { ...stack };
  let node = copy;
  let fetched = 0;
  for (let depth = 0; depth < 64; depth++) {
    if (node.parent !== undefined) {
      node.parent = { ...node.parent };
      node = node.parent;
      continue;
    }
    if (node.parentId === undefined || fetched >= maxParents) break;
    fetched++;
    let parent: CdpStackTrace | undefined;
    try {
      parent = await fetch(node.parentId);
    } catch {
      parent = undefined;
    }
    if (parent === undefined) break;
    node.parent = { ...parent };
    node = node.parent;
  }
  return copy;
}

/** A one-frame stack for a request made by a script CDP gave no stack for, when the collector knows which script it was. */
export function stackFromScriptUrl(url: string, line = 1, column = 1): StackFrame[] {
  return url === '' ? [] : [{ url, line, column }];
}

function oneBased(zeroBased: number | undefined): number {
  return typeof zeroBased === 'number' && Number.isFinite(zeroBased) && zeroBased >= 0 ? Math.floor(zeroBased) + 1 : 1;
}
