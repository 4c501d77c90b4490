import type { AuditedRequest } from './report-types.ts';

/** A request as the collector records it (GET script from `frameUrl`, nothing known of its response), with `patch` over it. For the audit's unit tests. */
export function auditedRequest(url: string, frameUrl: string, patch: Partial<AuditedRequest> = {}): AuditedRequest {
  return {
    url,
    host: new URL(url).hostname,
    method: 'GET',
    resourceType: 'script',
    frameUrl,
    targetType: 'page',
    ip: null,
    ipSource: 'none',
    fromCache: false,
    failed: false,
    bodyBytes: 0,
    initiators: [],
    ...patch,
  };
}
