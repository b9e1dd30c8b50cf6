// The Image panel's colour choices: colour or gray for the target, and the matte colour that
// transparent parts of a picture are composited over (the canvas the user sees behind them).
import { parseHex, type Rgb } from './color';

export interface ColorSettings {
  /** What an uploaded picture's target is. */
  colorMode: 'color' | 'gray';
  /** The built-in art in colour (it starts gray: the original's pipeline). */
  artColor?: boolean;
  /** "#rrggbb" under transparent pixels. */
  matte: string;
}

const BUILT_IN = 'built-in pelican';

export function sourceChannels(s: ColorSettings, label: string): 1 | 3 {
  const color = label === BUILT_IN ? !!s.artColor : s.colorMode === 'color';
  return color ? 3 : 1;
}

export function matteRgb(s: ColorSettings): Rgb {
  return parseHex(s.matte) ?? [1, 1, 1];
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Shows the current target's choices. */
export function syncColorControls(s: ColorSettings, label: string): void {
  el<HTMLSelectElement>('color-mode').value = sourceChannels(s, label) === 3 ? 'color' : 'gray';
  el<HTMLInputElement>('matte-color').value = parseHex(s.matte) ? s.matte : '#ffffff';
}

/** Wires the controls; `changed` rebuilds the target (and, for 'mode', converts the scene). */
export function bindColorControls(
  s: ColorSettings,
  label: () => string,
  changed: (what: 'mode' | 'matte') => void,
): void {
  el('color-mode').addEventListener('change', () => {
    const color = el<HTMLSelectElement>('color-mode').value === 'color';
    if (label() === BUILT_IN) s.artColor = color;
    else s.colorMode = color ? 'color' : 'gray';
    changed('mode');
  });
  // 'input' fires while the picker is dragged; 'change' once it closes: the target follows the latter.
  el('matte-color').addEventListener('change', () => {
    const v = el<HTMLInputElement>('matte-color').value;
    if (parseHex(v)) s.matte = v.toLowerCase();
    changed('matte');
  });
}
