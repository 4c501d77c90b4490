import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { noInnerHtmlPlugin } from './no-inner-html-plugin.ts';

// Preact's innerHTML sink is replaced in the bundle, and our own sources
// may not build HTML from strings.

type Transform = (this: { error(message: string): never }, code: string, id: string) => { code: string } | undefined;

const context = {
  error(message: string): never {
    throw new Error(message);
  },
};
const transform = (code: string, id: string) => (noInnerHtmlPlugin().transform as Transform).call(context, code, id);

describe('noInnerHtmlPlugin', () => {
  it("replaces the installed Preact's one innerHTML assignment", () => {
    const file = createRequire(import.meta.url).resolve('preact').replace(/preact\.[cm]?js$/, 'preact.mjs');
    const out = transform(readFileSync(file, 'utf8'), '/x/node_modules/preact/dist/preact.mjs');
    expect(out?.code).not.toMatch(/\.innerHTML=/);
    expect(out?.code).toContain('dangerouslySetInnerHTML is disabled');
  });

  it('fails the build when our own code sets innerHTML', () => {
    expect(() => transform('el.innerHTML = html;', '/repo/src/popup/x.tsx')).toThrow(/never HTML strings/);
    expect(transform('el.textContent = text;', '/repo/src/popup/x.tsx')).toBeUndefined();
  });
});
