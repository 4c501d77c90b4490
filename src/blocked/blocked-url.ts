// Where the blocked page finds the URL it is about: a top-level navigation to
// a blocked flagged host is sent to `…/src/blocked/index.html#<the URL>`.
// Everything after the first "#" is the URL, its own "#" included; Chrome's
// redirect substitution may hand it over percent-encoded (it then starts
// "https%3A"), so that form is decoded. Pure: the popup reads it too.

/** The blocked page's path inside the extension. */
export const BLOCKED_PAGE_PATH = '/src/blocked/index.html';

/** The raw URL the page's address carries, or null when there is none (or it cannot be decoded). */
export function blockedUrlFromHref(href: string): string | null {
  const hash = href.indexOf('#');
  if (hash < 0) return null;
  let target = href.slice(hash + 1);
  if (/^https?%3A/i.test(target)) {
    try {
      target = decodeURIComponent(target);
    } catch {
      return null;
    }
  }
  return target === '' ? null : target;
}

/**
 * The URL as something the page may navigate to: http(s) only. The page is
 * web-accessible, so any site can open it with any fragment: a `javascript:`
 * or `data:` "URL" must never reach location.replace.
 */
export function navigableUrl(raw: string | null): URL | null {
  if (raw === null) return null;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** The host a tab showing the blocked page is about (from the tab's URL), or null for any other page. */
export function blockedPageHost(tabUrl: string): string | null {
  try {
    const page = new URL(tabUrl);
    if ((page.protocol !== 'chrome-extension:' && page.protocol !== 'moz-extension:') || page.pathname !== BLOCKED_PAGE_PATH) return null;
  } catch {
    return null;
  }
  return navigableUrl(blockedUrlFromHref(tabUrl))?.hostname ?? null;
}
