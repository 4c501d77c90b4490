import { mergePageView, newPageView, type PageView } from './page-view.ts';

// Which page view a request belongs to. This is where webRequest's edge cases
// live, each named: a navigation's own requests arrive before its commit, a
// prerendered page fills up before it is shown, a back/forward-cache restore
// brings an old page back without a single request, and workers make
// requests with no tab at all. Pure state: the browser wiring feeds it
// events, the tests feed it the same events from Node.

export interface TabState {
  tabId: number;
  /** Private (incognito) tab: its page views never reach the site log on disk. */
  private: boolean;
  current: PageView | null;
  /** Navigations in progress, by webRequest requestId: their main_frame hops, before the commit. */
  provisional: Record<string, PageView>;
  /** Chrome prerendered documents, by documentId, until activated or dropped. */
  prerendered: Record<string, PageView>;
  /**
   * Chrome: top-level documents whose requests arrived before their commit
   * (webRequest and webNavigation are separate streams; a blocked request's
   * error is not held up by the network), by documentId, until they commit.
   */
  pending?: Record<string, PageView>;
  /** Page views this tab showed before, newest first, for back/forward-cache restores. */
  recent: PageView[];
  /**
   * Id of the current page view when it committed before any request of its
   * navigation arrived (Firefox can deliver webNavigation ahead of
   * webRequest): its navigation's hops are still to come.
   */
  committedAhead?: string | null;
}

export const TAB_LIMITS = { recent: 3, prerendered: 4, provisional: 4, pending: 4 } as const;

export interface CommitDetails {
  tabId: number;
  url: string;
  site: string;
  time: number;
  /** Chrome only. */
  documentId?: string | undefined;
  /** From webNavigation transitionQualifiers: a back or forward navigation. */
  forwardBack: boolean;
  /** Chrome documentLifecycle "prerender": a hidden document committing, not the visible page. */
  prerender?: boolean;
}

/** Where a request lands: the page view, and whether it is the visible one. */
export interface Attribution {
  tabId: number;
  view: PageView;
  visible: boolean;
}

export class TabTracker {
  private readonly tabs = new Map<number, TabState>();
  /** Which tab's provisional page view a main_frame requestId started, so redirects find it. */
  private readonly provisionalTab = new Map<string, number>();

  constructor(private readonly siteOf: (url: string) => string) {}

  get size(): number {
    return this.tabs.size;
  }

  tab(tabId: number): TabState | undefined {
    return this.tabs.get(tabId);
  }

  allTabs(): IterableIterator<TabState> {
    return this.tabs.values();
  }

  /** Restores a tab saved in storage.session (after the service worker restarted). */
  restore(state: TabState): void {
    this.tabs.set(state.tabId, state);
    for (const requestId of Object.keys(state.provisional)) this.provisionalTab.set(requestId, state.tabId);
  }

  ensureTab(tabId: number, isPrivate = false): TabState {
    let state = this.tabs.get(tabId);
    if (!state) {
      state = { tabId, private: isPrivate, current: null, provisional: {}, prerendered: {}, recent: [] };
      this.tabs.set(tabId, state);
    }
    return state;
  }

  removeTab(tabId: number): boolean {
    const state = this.tabs.get(tabId);
    if (!state) return false;
    for (const requestId of Object.keys(state.provisional)) this.provisionalTab.delete(requestId);
    this.tabs.delete(tabId);
    return true;
  }

  /**
   * A top-level navigation request (or one of its redirect hops) of a tab:
   * it belongs to the page view it will commit, not the one on screen.
   */
  provisionalFor(tabId: number, requestId: string, url: string, time: number): PageView {
    const state = this.ensureTab(tabId);
    let view = state.provisional[requestId];
    if (!view) {
      view = newPageView(tabId, url, this.siteOf(url), time);
      state.provisional[requestId] = view;
      this.provisionalTab.set(requestId, tabId);
      const ids = Object.keys(state.provisional);
      // Abandoned navigations (the user clicked again) are dropped oldest first.
      if (ids.length > TAB_LIMITS.provisional) this.dropProvisional(state, ids[0]!);
    } else {
      view.url = url;
      view.site = this.siteOf(url);
    }
    return view;
  }

  /** A prerendered document's request (Chrome documentLifecycle "prerender"). */
  prerenderFor(tabId: number, documentId: string, url: string, time: number): PageView {
    const state = this.ensureTab(tabId);
    let view = state.prerendered[documentId];
    if (!view) {
      view = newPageView(tabId, url, this.siteOf(url), time, documentId);
      state.prerendered[documentId] = view;
      const ids = Object.keys(state.prerendered);
      if (ids.length > TAB_LIMITS.prerendered) delete state.prerendered[ids[0]!];
    }
    return view;
  }

  private pendingFor(state: TabState, documentId: string, time: number): PageView {
    state.pending ??= {};
    let view = state.pending[documentId];
    if (!view) {
      view = newPageView(state.tabId, '', '', time, documentId);
      state.pending[documentId] = view;
      const ids = Object.keys(state.pending);
      if (ids.length > TAB_LIMITS.pending) delete state.pending[ids[0]!];
    }
    return view;
  }

  /** The main_frame request with this id failed: the tab now shows an error page for it. */
  navigationFailed(requestId: string, time: number): Attribution | undefined {
    const tabId = this.provisionalTab.get(requestId);
    const state = tabId === undefined ? undefined : this.tabs.get(tabId);
    const view = state?.provisional[requestId];
    if (!state || !view) return undefined;
    this.dropProvisional(state, requestId);
    view.startedAt = time;
    this.show(state, view);
    return { tabId: state.tabId, view, visible: true };
  }

  /**
   * The tab's top frame committed a new document: a new page view starts.
   * Which one: the prerendered document being activated, a page restored from
   * the back/forward cache, the navigation whose requests we already saw, or
   * a fresh one (about:blank, a page served from memory with no request).
   */
  commit(details: CommitDetails): PageView {
    const state = this.ensureTab(details.tabId);
    const { documentId } = details;
    if (details.prerender && documentId !== undefined) {
      const hidden = this.takeProvisional(state, details.url) ?? newPageView(details.tabId, details.url, details.site, details.time);
      hidden.documentId = documentId;
      state.prerendered[documentId] = hidden;
      return hidden;
    }
    let view: PageView | undefined;
    if (documentId !== undefined && state.prerendered[documentId]) {
      view = state.prerendered[documentId];
      delete state.prerendered[documentId];
    } else if (documentId !== undefined && state.pending?.[documentId]) {
      // Its early requests, and its navigation's own hops.
      view = state.pending[documentId];
      delete state.pending[documentId];
      const hops = this.takeProvisional(state, details.url);
      if (hops) mergePageView(view, hops);
    } else if (documentId !== undefined && state.current?.documentId === documentId) {
      return state.current; // the same document committing again: nothing starts
    } else if (documentId !== undefined) {
      view = this.takeRecent(state, (v) => v.documentId === documentId);
    }
    if (!view) view = this.takeProvisional(state, details.url);
    // Firefox has no documentId: a back/forward navigation that made no
    // request at all is a back/forward-cache restore of the same URL.
    if (!view && details.forwardBack && documentId === undefined) view = this.takeRecent(state, (v) => v.url === details.url);
    let ahead = false;
    if (!view) {
      view = newPageView(details.tabId, details.url, details.site, details.time);
      ahead = true;
    }
    view.url = details.url;
    view.site = details.site;
    if (documentId !== undefined) view.documentId = documentId;
    this.show(state, view);
    state.committedAhead = ahead ? view.id : null;
    return view;
  }

  /**
   * The final response of a top-level navigation. If the tab already
   * committed a page for this URL without having seen any of its requests,
   * those requests (and its redirect hops, kept as provisional) belong to the
   * page on screen: move them there. Returns that page view and how many
   * endpoints it gained, or undefined when the navigation is still to commit.
   */
  navigationResponded(tabId: number, requestId: string, url: string): { view: PageView; added: number } | undefined {
    const state = this.tabs.get(tabId);
    const current = state?.current;
    if (!state || !current || state.committedAhead !== current.id || withoutFragment(current.url) !== withoutFragment(url)) return undefined;
    state.committedAhead = null;
    const hops = state.provisional[requestId];
    if (!hops) return { view: current, added: 0 };
    this.dropProvisional(state, requestId);
    return { view: current, added: mergePageView(current, hops) };
  }

  /** history.pushState or a #fragment change: same document, same page view; only the URL moves. */
  sameDocument(tabId: number, url: string): PageView | undefined {
    const view = this.tabs.get(tabId)?.current ?? undefined;
    if (view) view.url = url;
    return view ?? undefined;
  }

  /** The page view a request of a tab's frame belongs to (not its top-level navigation). */
  forFrame(tabId: number, time: number, documentId?: string, topFrame = false, initiator?: string): Attribution {
    const state = this.ensureTab(tabId);
    // A fresh tab's first page: its first requests can reach the browser before the browser
    // has taken the commit, so Chrome tags them with the tab's initial about:blank document.
    // One that the navigation under way in this tab made (its origin is the initiator) counts
    // on that navigation's page view, which the commit shows. An about:blank page that an
    // opener writes into has no such navigation: its requests stay on it.
    if (topFrame && initiator !== undefined && documentId !== undefined && state.current?.documentId === documentId && state.current.url === 'about:blank') {
      const navigation = this.provisionalOfOrigin(state, initiator);
      if (navigation) return { tabId, view: navigation, visible: false };
    }
    // Chrome says which document a request came from: a late request of a
    // page the tab already left (an unload beacon) goes to that page.
    if (documentId !== undefined && state.current?.documentId !== documentId) {
      const old = state.recent.find((v) => v.documentId === documentId);
      if (old) return { tabId, view: old, visible: false };
      // A top-level document the tab has not committed yet, as far as we know: its
      // requests wait in a page view of their own, which its commit then shows.
      if (topFrame && state.current?.documentId) return { tabId, view: this.pendingFor(state, documentId, time), visible: false };
    }
    if (!state.current) {
      // A request before any commit we saw: the extension started after the page did.
      state.current = newPageView(tabId, '', '', time);
      state.current.partial = true;
    }
    return { tabId, view: state.current, visible: true };
  }

  /**
   * Carrier Watch just started (install, update, enable, browser start) and
   * this tab was loading a page: its page view starts now, marked partial,
   * because what the page contacted before is not known.
   */
  startedWhileLoading(tabId: number, url: string, time: number, isPrivate: boolean): PageView {
    const state = this.ensureTab(tabId, isPrivate);
    const view = newPageView(tabId, url, this.siteOf(url), time);
    view.partial = true;
    this.show(state, view);
    return view;
  }

  /** Tabs whose visible page has this origin (for requests of workers, which have no tab). */
  tabsShowingOrigin(origin: string): TabState[] {
    const out: TabState[] = [];
    for (const state of this.tabs.values()) {
      const url = state.current?.url;
      if (!url) continue;
      try {
        if (new URL(url).origin === origin) out.push(state);
      } catch {
        // not a URL with an origin
      }
    }
    return out;
  }

  /** A tab was replaced by another (Chrome's old prerender / instant): the new tab keeps its own page view. */
  replaced(addedTabId: number, removedTabId: number): void {
    this.removeTab(removedTabId);
    this.ensureTab(addedTabId);
  }

  private show(state: TabState, view: PageView): void {
    if (state.current && state.current !== view) {
      state.recent = [state.current, ...state.recent.filter((v) => v !== view)].slice(0, TAB_LIMITS.recent);
    }
    state.current = view;
  }

  private takeRecent(state: TabState, test: (v: PageView) => boolean): PageView | undefined {
    const index = state.recent.findIndex(test);
    if (index === -1) return undefined;
    const [view] = state.recent.splice(index, 1);
    return view;
  }

  private takeProvisional(state: TabState, url: string): PageView | undefined {
    const ids = Object.keys(state.provisional);
    // The navigation that committed is the one whose last hop has this URL;
    // failing that, the newest one (a server may have rewritten the URL).
    const requestId = ids.find((id) => withoutFragment(state.provisional[id]!.url) === withoutFragment(url)) ?? ids[ids.length - 1];
    if (requestId === undefined) return undefined;
    const view = state.provisional[requestId]!;
    this.dropProvisional(state, requestId);
    return view;
  }

  private provisionalOfOrigin(state: TabState, origin: string): PageView | undefined {
    for (const view of Object.values(state.provisional)) {
      try {
        if (new URL(view.url).origin === origin) return view;
      } catch {
        // Not a URL with an origin: not this navigation.
      }
    }
    return undefined;
  }

  private dropProvisional(state: TabState, requestId: string): void {
    delete state.provisional[requestId];
    this.provisionalTab.delete(requestId);
  }
}

/** Fragments never reach the network, so a request URL and its commit URL differ by one. */
function withoutFragment(url: string): string {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}
