/**
 * Test web server for the e2e suite.
 *
 * One Node `http` server per address, both on the SAME ephemeral port, on 127.0.0.1 and
 * 127.0.0.2 (testing-in-browsers.md: "A Node http server can listen on 127.0.0.1 and
 * 127.0.0.2 with the same port, so two 'networks' are told apart by IP"). The browsers map
 * test host names to one of the two addresses; a request's local address tells which
 * "network" the browser actually used.
 *
 * Sites are virtual hosts keyed by the Host header (port stripped). Every request is recorded,
 * including 404s, so a test can compare what the extension reported with what really went out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil, type PollOptions } from './poll.ts';

/** The two loopback "networks" the server listens on. */
export const LOOPBACK_ADDRESSES = ['127.0.0.1', '127.0.0.2'] as const;
export type LoopbackAddress = (typeof LOOPBACK_ADDRESSES)[number];

export interface RouteResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface RecordedRequest {
  /** Host header without the port, lower-cased. */
  host: string;
  /** Path including the query string, as sent. */
  path: string;
  method: string;
  /** Address the request arrived on: which "network" the browser resolved the host to. */
  localAddress: string;
  /** Date.now() when the request arrived. */
  time: number;
  headers: http.IncomingHttpHeaders;
  /** Status the server answered with. */
  status: number;
}

export interface RequestContext {
  url: URL;
  request: RecordedRequest;
  raw: http.IncomingMessage;
  server: TestServer;
}

export type RouteFunction = (ctx: RequestContext) => RouteResponse | Promise<RouteResponse>;
export type RouteHandler = RouteResponse | RouteFunction;
/** path (without query string) → handler */
export type Routes = Record<string, RouteHandler>;
/** Host name → routes */
export type SiteMap = Record<string, Routes>;

export interface TestServer {
  /** The one port both addresses listen on. */
  readonly port: number;
  /** `http://host:port` */
  origin(host: string): string;
  /** `http://host:port/path` */
  url(host: string, path?: string): string;
  /** Adds or replaces a whole site. */
  site(host: string, routes: Routes): void;
  /** Adds or replaces one route. */
  route(host: string, path: string, handler: RouteHandler): void;
  /** Every request seen so far, in arrival order (a copy). */
  requests(filter?: Partial<Pick<RecordedRequest, 'host' | 'path' | 'localAddress'>>): RecordedRequest[];
  clearRequests(): void;
  /** Polls the request log until `predicate` matches a request; returns the first match. */
  waitForRequest(
    what: string,
    predicate: (r: RecordedRequest) => boolean,
    options?: PollOptions,
  ): Promise<RecordedRequest>;
  /** Closes both listeners and drops open (keep-alive) connections. Idempotent. */
  close(): Promise<void>;
}

function normaliseAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function hostWithoutPort(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Browsers keep connections alive; without this close() would wait for them.
    server.closeAllConnections();
  });
}

/**
 * Starts the server on 127.0.0.1 and 127.0.0.2 (same ephemeral port). Only loopback is used.
 */
export async function startServer(sites: SiteMap = {}): Promise<TestServer> {
  const siteMap = new Map<string, Map<string, RouteHandler>>();
  const log: RecordedRequest[] = [];
  let closed = false;

  const setSite = (host: string, routes: Routes): void => {
    siteMap.set(host.toLowerCase(), new Map(Object.entries(routes)));
  };
  for (const [host, routes] of Object.entries(sites)) setSite(host, routes);

  // Declared before the handler uses it; assigned once both listeners are up.
  let api: TestServer;

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const host = hostWithoutPort(req.headers.host);
    const path = req.url ?? '/';
    const record: RecordedRequest = {
      host,
      path,
      method: req.method ?? 'GET',
      localAddress: normaliseAddress(req.socket.localAddress),
      time: Date.now(),
      headers: req.headers,
      status: 0,
    };
    log.push(record);
    let response: RouteResponse;
    try {
      const url = new URL(path, `http://${host || 'unknown.invalid'}`);
      const route = siteMap.get(host)?.get(url.pathname);
      if (route === undefined) {
        response = { status: 404, headers: { 'content-type': 'text/plain' }, body: `no route for ${host}${url.pathname}\n` };
      } else {
        response = typeof route === 'function' ? await route({ url, request: record, raw: req, server: api }) : route;
      }
    } catch (error) {
      response = { status: 500, headers: { 'content-type': 'text/plain' }, body: String(error) };
    }
    const status = response.status ?? 200;
    record.status = status;
    const headers: Record<string, string> = {
      // Let pages fetch() across the test hosts without CORS errors muddying the picture.
      'access-control-allow-origin': '*',
      // Nothing is cached unless a route says so (see cacheable()).
      'cache-control': 'no-store',
      ...Object.fromEntries(Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    };
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : response.body);
  };

  const servers: http.Server[] = [];
  const makeServer = (): http.Server => {
    const s = http.createServer((req, res) => void handler(req, res));
    servers.push(s);
    return s;
  };

  // Bind 127.0.0.1 on an ephemeral port, then 127.0.0.2 on the same number. If that number
  // happens to be taken on 127.0.0.2, start over (bounded).
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    const first = makeServer();
    const second = makeServer();
    try {
      port = await listen(first, LOOPBACK_ADDRESSES[0], 0);
      await listen(second, LOOPBACK_ADDRESSES[1], port);
      break;
    } catch (error) {
      await Promise.all(servers.splice(0).map(closeServer));
      if (attempt >= 5) throw new Error(`could not listen on ${LOOPBACK_ADDRESSES.join(' and ')} with one port: ${String(error)}`);
    }
  }

  api = {
    port,
    origin: (host) => `http://${host}:${port}`,
    url: (host, p = '/') => `http://${host}:${port}${p.startsWith('/') ? p : `/${p}`}`,
    site: setSite,
    route(host, p, h) {
      const key = host.toLowerCase();
      const routes = siteMap.get(key) ?? new Map<string, RouteHandler>();
      routes.set(p, h);
      siteMap.set(key, routes);
    },
    requests(filter = {}) {
      return log.filter(
        (r) =>
          (filter.host === undefined || r.host === filter.host.toLowerCase()) &&
          (filter.path === undefined || r.path === filter.path) &&
          (filter.localAddress === undefined || r.localAddress === filter.localAddress),
      );
    },
    clearRequests() {
      log.length = 0;
    },
    waitForRequest(what, predicate, options) {
      return pollUntil(
        `server to see ${what}`,
        () => log.find(predicate),
        (r) => r !== undefined,
        options,
      ) as Promise<RecordedRequest>;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(servers.map(closeServer));
    },
  };
  return api;
}

// ---------------------------------------------------------------------------------------------
// Response builders
// ---------------------------------------------------------------------------------------------

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An HTML response. */
export function html(body: string, headers: Record<string, string> = {}): RouteResponse {
  return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body };
}

/** A JavaScript response. */
export function script(source = '/* test script */', headers: Record<string, string> = {}): RouteResponse {
  return { status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8', ...headers }, body: source };
}

/** A text/plain response. */
export function text(body: string, headers: Record<string, string> = {}): RouteResponse {
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

/** A JSON response. */
export function json(value: unknown, headers: Record<string, string> = {}): RouteResponse {
  return { status: 200, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** 1×1 transparent GIF. */
const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** A 1×1 image response. */
export function image(headers: Record<string, string> = {}): RouteResponse {
  return { status: 200, headers: { 'content-type': 'image/gif', ...headers }, body: PIXEL_GIF };
}

/** A redirect (302 unless told) to `location` (absolute URL or path). */
export function redirect(location: string, status = 302): RouteResponse {
  return { status, headers: { location, 'content-type': 'text/plain' }, body: `redirect to ${location}\n` };
}

/**
 * Routes for a redirect chain on one host: `paths[0]` → 302 → `paths[1]` → … → the last path,
 * which answers with `final`. For a chain across hosts, use {@link redirect} with absolute URLs
 * on each host's site.
 */
export function redirectChain(paths: readonly string[], final: RouteHandler, status = 302): Routes {
  if (paths.length === 0) throw new Error('redirectChain needs at least one path');
  const routes: Routes = {};
  paths.forEach((p, i) => {
    const next = paths[i + 1];
    routes[p] = next === undefined ? final : redirect(next, status);
  });
  return routes;
}

/**
 * Makes a response cacheable for `maxAgeSeconds` (Cache-Control: public, max-age=N), e.g. to
 * exercise disk/memory-cache hits (testing-in-browsers.md: Firefox reports disk-cache hits with
 * ip null; Chromium memory-cache hits produce no webRequest events at all).
 */
export function cacheable(response: RouteResponse, maxAgeSeconds = 3600): RouteResponse {
  return {
    ...response,
    headers: { ...response.headers, 'cache-control': `public, max-age=${maxAgeSeconds}` },
  };
}

export interface PageSpec {
  title?: string;
  /** `<script src>` URLs (loaded before `load`). */
  scripts?: readonly string[];
  /** `<img src>` URLs (loaded before `load`). */
  images?: readonly string[];
  /** `<iframe src>` URLs (loaded before `load`). */
  iframes?: readonly string[];
  /** URLs fetched with fetch() after the document is parsed (NOT awaited by `load`). */
  fetches?: readonly string[];
  /** Extra markup appended to the body. */
  extraHtml?: string;
}

/** Name of the window flag a {@link page} sets once `load` fired and every fetch() settled. */
export const PAGE_DONE_FLAG = '__cwPageDone';

/**
 * An HTML page with the given subresources. Once `load` has fired and all fetch() calls have
 * settled, it sets `window.__cwPageDone = true` and `document.body.dataset.done = "1"`;
 * wait for it with `page.waitForFunction('window.__cwPageDone === true')`.
 * fetch() results land in `window.__cwFetchResults` (status or error string per URL).
 */
export function page(spec: PageSpec = {}): RouteResponse {
  const scripts = (spec.scripts ?? []).map((u) => `<script src="${escapeAttr(u)}"></script>`).join('\n');
  const images = (spec.images ?? []).map((u) => `<img alt="" src="${escapeAttr(u)}">`).join('\n');
  const iframes = (spec.iframes ?? []).map((u) => `<iframe src="${escapeAttr(u)}"></iframe>`).join('\n');
  const fetches = JSON.stringify(spec.fetches ?? []);
  return html(`<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeAttr(spec.title ?? 'e2e page')}</title></head>
<body>
${scripts}
${images}
${iframes}
${spec.extraHtml ?? ''}
<script>
(() => {
  const urls = ${fetches};
  const fetched = Promise.all(urls.map((u) =>
    fetch(u).then((r) => r.status, (e) => String(e))));
  const loaded = new Promise((r) => document.readyState === 'complete' ? r() : addEventListener('load', () => r()));
  Promise.all([fetched, loaded]).then(([results]) => {
    window.__cwFetchResults = results;
    window.${PAGE_DONE_FLAG} = true;
    document.body.dataset.done = '1';
  });
})();
</script>
</body></html>
`);
}

/**
 * A page that makes `requests` fetch() calls, 24 at a time: first one to each of `hosts`
 * distinct hosts `h<i>.<hostSuffix>` (map `*.<hostSuffix>` to a network), then the rest to its
 * own origin's `/n?<i>` (route it with {@link text}). Sets the done flag when all settled. For
 * stress tests and the benchmark: a page of many requests, some to many distinct hosts.
 */
export function manyRequestsPage(port: number, { hosts, requests, hostSuffix }: { hosts: number; requests: number; hostSuffix: string }): RouteResponse {
  return html(`<!doctype html><title>${requests} requests</title><script>
(async () => {
  const urls = [];
  for (let i = 0; i < ${hosts}; i++) urls.push('http://h' + i + '.${hostSuffix}:${port}/x');
  for (let i = urls.length; i < ${requests}; i++) urls.push('/n?' + i);
  let next = 0;
  const worker = async () => { while (next < urls.length) { const u = urls[next++]; await fetch(u, { mode: 'no-cors' }).catch(() => {}); } };
  await Promise.all(Array.from({ length: 24 }, worker));
  window.${PAGE_DONE_FLAG} = true;
})();
</script>`);
}
