/**
 * What the blocking tests outside protection.e2e.test.ts share: a checkout page on shop.test
 * that loads a phone-login gateway's script (www.cmpassport.com, bundled list), a script from
 * the user's own flagged domain (cdn.flagged.test) and an image from a host flagged by address
 * only (ct.test, on 127.0.0.2); and, in Chromium, a reading of the blocking rules in force.
 */
import { image, page, script, type TestServer } from './server.ts';

export const CHECKOUT_HOSTS = ['www.cmpassport.com', 'cdn.flagged.test', 'ct.test'] as const;

let counter = 0;

/** Adds the checkout site to the server. Every load gets fresh URLs (?n=…), so no cache hides a request from the server. */
export function checkoutSite(s: TestServer): void {
  s.site('shop.test', {
    '/checkout': () => {
      const n = ++counter;
      return page({
        title: 'checkout',
        scripts: [s.url('www.cmpassport.com', `/sdk.js?n=${n}`), s.url('cdn.flagged.test', `/lib.js?n=${n}`)],
        images: [s.url('ct.test', `/pixel.gif?n=${n}`)],
      });
    },
  });
  s.site('www.cmpassport.com', { '/sdk.js': script('window.__cmp = true;') });
  s.site('cdn.flagged.test', { '/lib.js': script() });
  s.site('ct.test', { '/pixel.gif': image() });
}

/** The parts of chrome.declarativeNetRequest read here (in the service worker or an extension page). */
interface DnrGlobal {
  chrome: {
    declarativeNetRequest: {
      getEnabledRulesets(): Promise<string[]>;
      getDynamicRules(): Promise<Array<{ action: { type: string }; condition: { requestDomains?: string[] } }>>;
    };
  };
}

/**
 * Chromium, run through evalInExtension: the enabled static rulesets, the domains the dynamic
 * rules block, and the dynamic rules' action types. Self-contained, as evalInExtension needs.
 */
export const extDnrState = async (): Promise<{ rulesets: string[]; blockedDomains: string[]; actions: string[] }> => {
  const dnr = (globalThis as unknown as DnrGlobal).chrome.declarativeNetRequest;
  const [rulesets, dynamic] = await Promise.all([dnr.getEnabledRulesets(), dnr.getDynamicRules()]);
  return {
    rulesets,
    blockedDomains: dynamic.filter((r) => r.action.type === 'block').flatMap((r) => r.condition.requestDomains ?? []),
    actions: dynamic.map((r) => r.action.type),
  };
};
