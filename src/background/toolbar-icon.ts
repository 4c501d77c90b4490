import type { BadgeState } from './badge.ts';

// The toolbar icon's two states and where the build puts their PNGs
// (scripts/icons/icons-plugin.ts renders them from one SVG). The flagged
// state is shown whenever the badge counts something, so the warning is in
// the icon's colour and shape too, not only in the badge.

export const ICON_SIZES = [16, 32, 48, 128] as const;
export type IconSize = (typeof ICON_SIZES)[number];
export type IconState = 'normal' | 'flagged';

/** Path inside the extension, e.g. icons/toolbar-flagged-32.png. */
export function iconFile(state: IconState, size: IconSize): string {
  return `icons/toolbar-${state}-${size}.png`;
}

/** The sizes a toolbar draws (1x and 2x); the larger ones are for the add-ons pages. */
const TOOLBAR_SIZES = [16, 32] as const satisfies readonly IconSize[];

/** action.setIcon's `path`: absolute, so it resolves the same from any script's URL. */
export function toolbarIconPaths(state: IconState): Record<string, string> {
  return Object.fromEntries(TOOLBAR_SIZES.map((size) => [String(size), `/${iconFile(state, size)}`]));
}

export function iconStateFor(badge: BadgeState): IconState {
  return badge.text === '' ? 'normal' : 'flagged';
}
