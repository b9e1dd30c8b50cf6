// The built-in default target: an original pelican drawn for this project (a brown pelican on a
// post, facing right, like the starting scene), shaded with gradients so the fit has tones to
// find. It is rasterised in the page at load, so no image file ships with the app.
import { rgbaToPlanes, type Rgb } from './color';

export const PELICAN_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="512" height="512">
<defs>
  <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#f7f4ec"/><stop offset="0.7" stop-color="#dfe4e6"/><stop offset="1" stop-color="#c2ccd1"/>
  </linearGradient>
  <radialGradient id="body" cx="0.45" cy="0.3" r="0.8">
    <stop offset="0" stop-color="#9a8b78"/><stop offset="0.6" stop-color="#5f5346"/><stop offset="1" stop-color="#2f2922"/>
  </radialGradient>
  <linearGradient id="wing" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#514538"/><stop offset="1" stop-color="#1f1a15"/>
  </linearGradient>
  <linearGradient id="neck" x1="0" y1="0" x2="1" y2="0">
    <stop offset="0" stop-color="#fbf6e8"/><stop offset="1" stop-color="#cfc4ad"/>
  </linearGradient>
  <radialGradient id="head" cx="0.4" cy="0.35" r="0.7">
    <stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#d8d0bd"/>
  </radialGradient>
  <linearGradient id="beak" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#bdb3a0"/><stop offset="1" stop-color="#7d725f"/>
  </linearGradient>
  <linearGradient id="pouch" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#6e5b4a"/><stop offset="1" stop-color="#3d3128"/>
  </linearGradient>
  <linearGradient id="post" x1="0" y1="0" x2="1" y2="0">
    <stop offset="0" stop-color="#3b3027"/><stop offset="0.5" stop-color="#6b5a49"/><stop offset="1" stop-color="#30271f"/>
  </linearGradient>
</defs>
<rect width="100" height="100" fill="url(#sky)"/>
<path d="M0 93 Q25 90 50 93 T100 93 V100 H0 Z" fill="#9fabb2"/>
<rect x="31" y="88" width="28" height="12" rx="1.5" fill="url(#post)"/>
<path d="M24 61 L7 69 L10 63 L4 59 L22 55 Z" fill="#2a241e"/>
<path d="M18 58 C18 42 40 36 56 40 C67 43 67 60 60 68 C52 78 32 80 24 72 C20 68 18 63 18 58 Z" fill="url(#body)"/>
<path d="M25 50 C36 41 55 44 61 52 C57 62 45 70 30 70 C23 66 21 57 25 50 Z" fill="url(#wing)"/>
<g fill="none" stroke="#0f0c0a" stroke-width="0.8" stroke-linecap="round" opacity="0.8">
  <path d="M30 56 C38 58 46 60 55 56"/><path d="M29 61 C37 63 45 64 52 61"/><path d="M30 66 C36 67 42 67 47 65"/>
</g>
<path d="M49 45 C45 35 53 31 53 24 L62 22 C64 30 58 37 60 46 Z" fill="url(#neck)"/>
<ellipse cx="58" cy="18.5" rx="7.5" ry="6.2" fill="url(#head)"/>
<path d="M52 14 C54 11 58 10.5 61 12 C58 12.5 55 13 52 14 Z" fill="#b59a4a"/>
<path d="M62 15 L92 19.5 L90.5 21.8 L62 21.5 Z" fill="url(#beak)"/>
<path d="M62 21.5 L90.5 21.8 C85 28 71 32.5 63 28.5 Z" fill="url(#pouch)"/>
<circle cx="60.2" cy="16.8" r="1.5" fill="#121212"/><circle cx="60.7" cy="16.3" r="0.45" fill="#fff"/>
<g stroke="#3a3027" stroke-width="1.6" stroke-linecap="round"><path d="M40 75 L40.5 88"/><path d="M48 75 L47.5 88"/></g>
<g fill="#4a3d31"><ellipse cx="42" cy="88.3" rx="4.2" ry="1.3"/><ellipse cx="49.5" cy="88.3" rx="4.2" ry="1.3"/></g>
</svg>`;

export interface Target {
  width: number;
  height: number;
  /** 1 (gray, ITU-R 601 luma) or 3 (RGB) planes of W*H, row-major, 0 = black, 1 = white. */
  channels: 1 | 3;
  pixels: Float32Array;
  /** Where it came from, for the status line and the session. */
  label: string;
}

/** Working size for an image of w×h: the long side becomes `res`, the aspect is kept. */
export function workingSize(w: number, h: number, res: number): [number, number] {
  const k = res / Math.max(w, h);
  return [Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k))];
}

/** The working target of a picture: resized, composited over `matte` where it is transparent. */
export function toTarget(
  source: CanvasImageSource,
  sw: number,
  sh: number,
  res: number,
  label: string,
  channels: 1 | 3 = 1,
  matte: Rgb = [1, 1, 1],
): Target {
  const [width, height] = workingSize(sw, sh, res);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return { width, height, channels, pixels: rgbaToPlanes(rgba, width, height, channels, matte), label };
}

let artImage: Promise<HTMLImageElement> | undefined;

function loadArt(): Promise<HTMLImageElement> {
  artImage ??= (async () => {
    const img = new Image();
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(PELICAN_SVG);
    await img.decode();
    return img;
  })();
  return artImage;
}

export async function defaultTarget(res: number): Promise<Target> {
  const img = await loadArt();
  return toTarget(img, 512, 512, res, 'built-in pelican');
}

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

const ACCEPTED = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp', 'image/svg+xml', 'image/avif'];

/** Decodes a user's file; every failure is an ImageInputError with a sentence a user can act on. */
export async function decodeImageFile(
  file: Blob & { name?: string },
  res: number,
): Promise<{ target: Target; bitmap: ImageBitmap | HTMLImageElement; width: number; height: number }> {
  const name = file.name ?? 'pasted image';
  if (file.size === 0) throw new ImageInputError(`${name} is empty.`);
  if (file.size > 50 * 1024 * 1024) throw new ImageInputError(`${name} is larger than 50 MB.`);
  if (file.type && !ACCEPTED.includes(file.type)) {
    throw new ImageInputError(
      `${name}: ${file.type} is not an image type this app reads (PNG, JPEG, WebP, GIF, BMP, SVG, AVIF).`,
    );
  }
  let source: ImageBitmap | HTMLImageElement;
  let w: number;
  let h: number;
  try {
    if (file.type === 'image/svg+xml') {
      // SVG is drawn through an <img>, where scripts never run.
      const url = URL.createObjectURL(file);
      try {
        const img = new Image();
        img.src = url;
        await img.decode();
        w = img.naturalWidth || 512;
        h = img.naturalHeight || 512;
        source = img;
      } finally {
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      }
    } else {
      const bmp = await createImageBitmap(file);
      source = bmp;
      w = bmp.width;
      h = bmp.height;
    }
  } catch {
    throw new ImageInputError(`${name} could not be decoded: the file is damaged or not really an image.`);
  }
  if (!w || !h) throw new ImageInputError(`${name} has no pixels.`);
  return { target: toTarget(source, w, h, res, name), bitmap: source, width: w, height: h };
}

/** The built-in art as a 512×512 colour source (the art is drawn opaque, so no matte shows). */
export async function artSource(): Promise<OffscreenCanvas> {
  const img = await loadArt();
  const c = new OffscreenCanvas(512, 512);
  c.getContext('2d')!.drawImage(img, 0, 0, 512, 512);
  return c;
}
