import type { CDPSession } from 'puppeteer-core';
import { CANARIES, pickCanary, type CanaryValues, type FieldHints } from './canary.ts';
import type { FrameTarget, InteractionSummary } from './collector.ts';

// --interact: type a canary into every text-like input of every frame (the
// page's own and those of its out-of-process iframes, each through its own
// CDP session), moving focus on with Tab, as a person filling a form would,
// and never submitting it: no Enter, no form.submit(), no click. Whatever
// the page then sends anywhere that carries a canary (plain, encoded or
// hashed) is a leak of what a visitor types before deciding to send it.

/** Inputs typed into per frame, and in all (a page of a thousand inputs is not a form). */
const MAX_INPUTS_PER_FRAME = 50;
const MAX_INPUTS = 200;
const WORLD = 'carrier-watch-audit';

interface FoundInput extends FieldHints {
  index: number;
}

/**
 * Runs in each frame's isolated world: the text-like inputs a visitor could
 * type into (enabled, writable, rendered), open shadow roots included, kept
 * on the world's global for the calls that follow, and what each says
 * about itself (canary.ts's pickCanary chooses what to type). Kept as plain
 * source: it runs in the page, not in Node.
 */
const FIND_INPUTS = `(() => {
  const selector = 'input[type=email], input[type=tel], input[type=password], input[type=text], input[type=search], input[type=number], input:not([type]), textarea';
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll(selector)) found.push(el);
    for (const host of root.querySelectorAll('*')) if (host.shadowRoot) walk(host.shadowRoot);
  };
  walk(document);
  const usable = found.filter((el) => {
    if (el.disabled || el.readOnly) return false;
    if (el.getClientRects().length === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none';
  }).slice(0, ${MAX_INPUTS_PER_FRAME});
  globalThis.__cwAuditInputs = usable;
  const labelOf = (el) => {
    const labels = el.labels ? [...el.labels].map((l) => l.textContent || '') : [];
    return labels.join(' ');
  };
  return usable.map((el, index) => ({
    index,
    type: el.tagName === 'TEXTAREA' ? 'textarea' : (el.getAttribute('type') || 'text').toLowerCase(),
    autocomplete: el.getAttribute('autocomplete'),
    inputMode: el.getAttribute('inputmode'),
    name: el.getAttribute('name'),
    id: el.id || null,
    placeholder: el.getAttribute('placeholder'),
    label: labelOf(el) || el.getAttribute('aria-label'),
  }));
})()`;

const FOCUS = (index: number) => `(() => {
  const el = globalThis.__cwAuditInputs && globalThis.__cwAuditInputs[${index}];
  if (!el || !el.isConnected) return false;
  el.focus();
  if (typeof el.select === 'function') { try { el.select(); } catch {} }
  const root = el.getRootNode();
  return root.activeElement === el;
})()`;

const VALUE = (index: number) => `(() => {
  const el = globalThis.__cwAuditInputs && globalThis.__cwAuditInputs[${index}];
  return el ? String(el.value) : null;
})()`;

interface FrameInfo {
  id: string;
  url: string;
}

function framesOf(tree: { frame: { id: string; url: string; urlFragment?: string }; childFrames?: unknown[] }): FrameInfo[] {
  const out: FrameInfo[] = [{ id: tree.frame.id, url: tree.frame.url + (tree.frame.urlFragment ?? '') }];
  for (const child of (tree.childFrames ?? []) as Array<typeof tree>) out.push(...framesOf(child));
  return out;
}

async function evaluate<T>(session: CDPSession, contextId: number, expression: string): Promise<T | undefined> {
  const result = await session.send('Runtime.evaluate', { expression, contextId, returnByValue: true, awaitPromise: false });
  if (result.exceptionDetails) return undefined;
  return result.result.value as T;
}

/** One key as a keyboard sends it: keydown (with its text, so keypress and input follow), keyup. */
async function typeText(session: CDPSession, text: string): Promise<void> {
  for (const char of text) {
    await session.send('Input.dispatchKeyEvent', { type: 'keyDown', key: char, text: char, unmodifiedText: char });
    await session.send('Input.dispatchKeyEvent', { type: 'keyUp', key: char });
  }
}

/** Tab: the field loses focus (blur, change) and the next one gets it. Never Enter. */
async function pressTab(session: CDPSession): Promise<void> {
  const key = { key: 'Tab', code: 'Tab', windowsVirtualKeyCode: 9, nativeVirtualKeyCode: 9 };
  await session.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...key });
  await session.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key });
}

/**
 * Types the canaries into every frame of the page; `targets()` lists the
 * page and its out-of-process iframes as they are now. Stops early near the
 * deadline (the requests already made still count).
 */
export async function interactWithPage(targets: () => FrameTarget[], deadline: number, canaries: CanaryValues = CANARIES): Promise<InteractionSummary> {
  const summary: InteractionSummary = { frames: 0, inputs: 0, typed: [] };
  const done = new Set<string>();
  const all = targets();
  const page = all.find((t) => t.kind === 'page');
  for (const target of all) {
    if (Date.now() > deadline - 1000 || summary.inputs >= MAX_INPUTS) break;
    const { session } = target;
    let frames: FrameInfo[];
    try {
      frames = framesOf((await session.send('Page.getFrameTree')).frameTree);
    } catch {
      continue;
    }
    for (const frame of frames) {
      if (done.has(frame.id) || Date.now() > deadline - 1000) continue;
      let contextId: number;
      let inputs: FoundInput[] | undefined;
      try {
        ({ executionContextId: contextId } = await session.send('Page.createIsolatedWorld', { frameId: frame.id, worldName: WORLD }));
        inputs = await evaluate<FoundInput[]>(session, contextId, FIND_INPUTS);
      } catch {
        // A frame this session only sees from outside (another process's): its own session types.
        continue;
      }
      if (inputs === undefined) continue;
      done.add(frame.id);
      if (inputs.length === 0) continue;
      summary.frames++;
      for (const input of inputs) {
        if (Date.now() > deadline - 1000 || summary.inputs >= MAX_INPUTS) break;
        const canary = pickCanary(input);
        const value = canaries[canary];
        try {
          if (!(await evaluate<boolean>(session, contextId, FOCUS(input.index)))) continue;
          await typeText(session, value);
          // Keys go to the focused frame; if this target's own input path missed it, the page's routes it.
          if ((await evaluate<string | null>(session, contextId, VALUE(input.index))) !== value && page && page.session !== session) {
            await evaluate<boolean>(session, contextId, FOCUS(input.index));
            await page.session.send('Input.insertText', { text: value });
          }
          await pressTab(session);
          summary.inputs++;
          summary.typed.push({ frameUrl: frame.url, canary, field: input.name || input.id || input.type || 'text' });
        } catch {
          // The frame went away (navigated, detached): nothing more to type there.
          break;
        }
      }
    }
  }
  return summary;
}
