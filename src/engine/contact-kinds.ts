// What a page did with a flagged endpoint, in the words people asked about
// the chatbot's login page: did it only load the operator's code, or send it
// data? Derived from the resource types and whether data was sent, so the
// extension's popup and exports and the audit command say the same.

export type ContactKind = 'sent-data' | 'script' | 'page' | 'frame' | 'image' | 'file' | 'connected';

/** The strongest first: sending data, then running code, then loading, then a bare connection. */
export const CONTACT_KIND_ORDER: readonly ContactKind[] = ['sent-data', 'script', 'page', 'frame', 'image', 'file', 'connected'];

/** A resource type (webRequest's names, both browsers) → what the page did with it. */
export function kindOfType(type: string): ContactKind {
  switch (type) {
    case 'script':
      return 'script';
    case 'main_frame':
      return 'page';
    case 'sub_frame':
      return 'frame';
    case 'image':
    case 'imageset':
      return 'image';
    case 'stylesheet':
    case 'font':
    case 'media':
    case 'object':
    case 'object_subrequest':
      return 'file';
    default:
      // fetch/XHR, WebSocket, beacons, and what a browser calls "other".
      return 'connected';
  }
}

/** The kinds of contact with an endpoint, strongest first, each once. */
export function contactKinds(types: readonly string[], sentData: boolean): ContactKind[] {
  const kinds = new Set<ContactKind>(types.map(kindOfType));
  if (sentData) {
    kinds.add('sent-data');
    // Sending data is a connection: "connected to" adds nothing beside it.
    kinds.delete('connected');
  }
  return CONTACT_KIND_ORDER.filter((k) => kinds.has(k));
}
