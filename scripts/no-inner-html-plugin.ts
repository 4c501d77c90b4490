import type { Plugin } from 'vite';

// Takes Preact's one innerHTML sink out of the bundle. Preact writes
// `dom.innerHTML = props.dangerouslySetInnerHTML.__html`; Carrier Watch never
// renders HTML from a string (every text goes through text nodes), so the
// sink is dead code that addons-linter rightly flags (UNSAFE_VAR_ASSIGNMENT).
// Here it becomes a throw, and the build fails if our own code asks for it
// (or if a Preact upgrade changes the code this matches, so it is re-checked).

const PREACT_BUNDLE = /[\\/]node_modules[\\/]preact[\\/]dist[\\/]preact\.mjs$/;
/** In Preact 11's minified bundle: `t.innerHTML=h.__html`, names vary by release. */
const SINK = /\b([A-Za-z_$][\w$]*)\.innerHTML=([A-Za-z_$][\w$]*)\.__html\b/g;
const OWN_SOURCE = /[\\/]src[\\/].*\.(?:tsx?|jsx?)$/;
const FORBIDDEN = /\b(?:dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML)\b|\bdocument\.write\b/;

export function noInnerHtmlPlugin(): Plugin {
  let replaced = 0;
  return {
    name: 'carrier-watch-no-inner-html',
    enforce: 'pre',
    buildStart() {
      replaced = 0;
    },
    transform(code, id) {
      if (OWN_SOURCE.test(id) && !id.includes('node_modules') && FORBIDDEN.test(code)) {
        this.error(`${id}: builds text with DOM nodes, never HTML strings (innerHTML and the like are disabled in this build)`);
      }
      if (!PREACT_BUNDLE.test(id)) return undefined;
      const out = code.replace(SINK, () => {
        replaced++;
        return '(()=>{throw new Error("dangerouslySetInnerHTML is disabled in Carrier Watch")})()';
      });
      return { code: out, map: null };
    },
    buildEnd(error) {
      if (!error && replaced !== 1) this.error(`expected exactly one innerHTML assignment in preact.mjs, replaced ${replaced}: check the pattern against this Preact release`);
    },
  };
}
