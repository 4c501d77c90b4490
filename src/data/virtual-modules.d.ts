// Modules the build makes (scripts/flagged-list-plugin.ts).
declare module 'virtual:flagged-list' {
  import type { FlaggedList } from '../engine/types.ts';
  const list: FlaggedList;
  export default list;
}
