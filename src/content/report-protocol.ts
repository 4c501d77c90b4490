// What the content script sends the background, shared by both sides: one
// message type, and the bounds the background enforces (the content script
// keeps inside them, so only a forged message meets them).

export const REPORT_MESSAGE_TYPE = 'page-resources';

/**
 * One message: `{ type: 'page-resources', resources: [[host, initiatorType, endedAt], ...] }`.
 * `endedAt` is when the resource finished loading (ms since the epoch): a webRequest response
 * that started before it is the same resource, over the network, reported late.
 */
export interface ResourceReportMessage {
  type: typeof REPORT_MESSAGE_TYPE;
  resources: Array<[host: string, initiatorType: string, endedAt: number]>;
}

export const REPORT_LIMITS = {
  entriesPerMessage: 100,
  /** Distinct (host, type) pairs one frame's document may report. */
  hostsPerFrame: 500,
  messagesPerFrame: 200,
  /** Frame documents tracked per tab until it navigates (iframes that reload themselves count anew). */
  framesPerTab: 200,
} as const;
