// Targets for the CLI's Python, decoded and shrunk here in Node rather than in Python: a
// 10000×10000 photo is 10^8 pixels, minutes of work for CPython in Wasm and a second here.
// Python gets (py/pelican/_host.py decode_image) planar float32 pixels in [0, 1] — one plane for
// a gray picture, R, G, B otherwise, transparency composited over white — already at the size
// it asked for. The size a file claims is checked before anything is inflated, so a "PNG bomb"
// (a few KiB claiming 60000×60000) is refused at once, by name, instead of exhausting memory.
import { inflateSync } from 'node:zlib';

/** Beyond this a picture is refused from its header (10000×10000 is 100 megapixels). */
export const MAX_PIXELS = 150_000_000;
/** Files needing the full-image decoders (interlaced or low-bit-depth PNG, JPEG): whole RGBA in memory. */
export const MAX_PIXELS_FULL_DECODE = 60_000_000;

export class ImageRefused extends Error {}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function checkSize(width, height, limit, what) {
  if (!(width >= 1 && height >= 1)) throw new ImageRefused(`the ${what} header claims ${width}x${height} pixels`);
  if (width * height > limit) {
    const mp = ((width * height) / 1e6).toFixed(0);
    throw new ImageRefused(
      `${width}x${height} (${mp} megapixels) is larger than this program accepts (${limit / 1e6} megapixels); shrink it first`,
    );
  }
}

/** Python's round(): halves go to the even neighbour (Image.fit must pick the same size). */
function pyRound(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** The size Image.fit(longest) gives a width×height picture. */
export function fittedSize(width, height, longest) {
  const s = Math.max(width, height);
  return [Math.max(1, pyRound((width * longest) / s)), Math.max(1, pyRound((height * longest) / s))];
}

/**
 * Box sums at 1/k of the size, filled pixel by pixel (composited over white, in [0, 1]), so a
 * huge picture never exists at full size as floats.
 */
class Accumulator {
  constructor(width, height, k) {
    this.k = k;
    this.w = Math.ceil(width / k);
    this.h = Math.ceil(height / k);
    this.width = width;
    this.height = height;
    const n = this.w * this.h;
    this.r = new Float64Array(n);
    this.g = new Float64Array(n);
    this.b = new Float64Array(n);
    this.colour = false;
  }
  /** One row of 8-bit RGBA samples (any Uint8Array view), row index y. */
  addRgbaRow(y, rgba, offset) {
    const { k, r, g, b } = this;
    const base = Math.floor(y / k) * this.w;
    for (let x = 0; x < this.width; x++) {
      const o = offset + 4 * x;
      let rv = rgba[o];
      let gv = rgba[o + 1];
      let bv = rgba[o + 2];
      const a = rgba[o + 3];
      if (rv !== gv || gv !== bv) this.colour = true;
      let fr, fg, fb;
      if (a === 255) {
        fr = rv / 255;
        fg = gv / 255;
        fb = bv / 255;
      } else {
        const white = 255 * (255 - a);
        fr = (rv * a + white) / 65025;
        fg = (gv * a + white) / 65025;
        fb = (bv * a + white) / 65025;
      }
      const i = base + Math.floor(x / k);
      r[i] += fr;
      g[i] += fg;
      b[i] += fb;
    }
  }
  /** An 8-bit gray (bpp 1) or RGB (bpp 3) row without transparency: the common photo layouts. */
  addOpaqueRow(y, line, bpp) {
    const { k, r, g, b } = this;
    const base = Math.floor(y / k) * this.w;
    const width = this.width;
    if (bpp === 1) {
      for (let x0 = 0; x0 < width; x0 += k) {
        const end = Math.min(width, x0 + k);
        let s = 0;
        for (let x = x0; x < end; x++) s += line[x];
        const i = base + x0 / k;
        r[i] += s / 255;
      }
      // Gray stays gray: the G and B planes are never read.
      return;
    }
    let colour = this.colour;
    for (let x0 = 0; x0 < width; x0 += k) {
      const end = Math.min(width, x0 + k);
      let sr = 0;
      let sg = 0;
      let sb = 0;
      for (let o = 3 * x0, e = 3 * end; o < e; o += 3) {
        const rv = line[o];
        const gv = line[o + 1];
        const bv = line[o + 2];
        sr += rv;
        sg += gv;
        sb += bv;
        if (!colour && (rv !== gv || gv !== bv)) colour = true;
      }
      const i = base + x0 / k;
      r[i] += sr / 255;
      g[i] += sg / 255;
      b[i] += sb / 255;
    }
    this.colour = colour;
  }
  planes() {
    const { k, w, h, width, height } = this;
    const out = this.colour ? [this.r, this.g, this.b] : [this.r];
    for (const plane of out) {
      for (let y = 0; y < h; y++) {
        const rows = Math.min(k, height - y * k);
        for (let x = 0; x < w; x++) plane[y * w + x] /= rows * Math.min(k, width - x * k);
      }
    }
    return out;
  }
}

function bicubic(x) {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Pillow's antialiased bicubic along one axis (the same rule as py/pelican/images.py). */
function resampleWeights(sizeIn, sizeOut) {
  const scale = sizeIn / sizeOut;
  const filterscale = Math.max(1, scale);
  const support = 2 * filterscale;
  const out = [];
  for (let j = 0; j < sizeOut; j++) {
    const center = (j + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(sizeIn, Math.trunc(center + support + 0.5));
    const w = [];
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const v = bicubic((i - center + 0.5) / filterscale);
      w.push(v);
      total += v;
    }
    out.push([lo, w.map((v) => v / (total || 1))]);
  }
  return out;
}

function resizePlane(plane, w, h, ow, oh) {
  if (w === ow && h === oh) return plane;
  const wx = resampleWeights(w, ow);
  const wy = resampleWeights(h, oh);
  const mid = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      const [lo, ws] = wx[x];
      let s = 0;
      for (let t = 0; t < ws.length; t++) s += plane[y * w + lo + t] * ws[t];
      mid[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    const [lo, ws] = wy[y];
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let t = 0; t < ws.length; t++) s += mid[(lo + t) * ow + x] * ws[t];
      out[y * ow + x] = s;
    }
  }
  return out;
}

function unfilter(kind, line, prev, bpp) {
  const n = line.length;
  if (kind === 0) return;
  if (kind === 1) for (let i = bpp; i < n; i++) line[i] = (line[i] + line[i - bpp]) & 255;
  else if (kind === 2) for (let i = 0; i < n; i++) line[i] = (line[i] + prev[i]) & 255;
  else if (kind === 3)
    for (let i = 0; i < n; i++) line[i] = (line[i] + (((i >= bpp ? line[i - bpp] : 0) + prev[i]) >> 1)) & 255;
  else if (kind === 4) {
    for (let i = 0; i < n; i++) {
      const a = i >= bpp ? line[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      line[i] = (line[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
    }
  } else throw new ImageRefused(`corrupt PNG: unknown row filter ${kind}`);
}

function pngChunks(buf) {
  if (buf.length < 8 || PNG_SIGNATURE.some((v, i) => buf[i] !== v)) return null;
  let pos = 8;
  let header = null;
  const idat = [];
  let palette = null;
  let trns = null;
  while (pos + 8 <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const kind = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + length);
    pos += 12 + length;
    if (kind === 'IHDR') {
      if (body.length < 13) throw new ImageRefused('corrupt PNG: short IHDR');
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8],
        colour: body[9],
        interlace: body[12],
      };
      // Refused before any IDAT is even looked at.
      checkSize(header.width, header.height, MAX_PIXELS, 'PNG');
    } else if (kind === 'PLTE') palette = body;
    else if (kind === 'tRNS') trns = body;
    else if (kind === 'IDAT') idat.push(body);
    else if (kind === 'IEND') break;
  }
  if (!header) throw new ImageRefused('corrupt PNG: no IHDR chunk');
  if (idat.length === 0) throw new ImageRefused('corrupt PNG: no image data');
  return { ...header, idat, palette, trns };
}

/** The streaming path: non-interlaced 8- or 16-bit PNG, one row at a time. */
function decodePngRows(png, k, fullDecode) {
  const { width, height, depth, colour, palette, trns } = png;
  const channels = PNG_CHANNELS[colour];
  if (png.interlace || channels === undefined || (depth !== 8 && depth !== 16) || (colour === 3 && depth !== 8))
    return fullDecode();
  const bpp = (channels * depth) / 8;
  const stride = width * bpp;
  let raw;
  try {
    raw = inflateSync(Buffer.concat(png.idat), { maxOutputLength: height * (stride + 1) + 1 });
  } catch (error) {
    throw new ImageRefused(
      error.code === 'ERR_BUFFER_TOO_LARGE'
        ? 'corrupt PNG: more image data than its size says'
        : `corrupt PNG data (${error.message})`,
    );
  }
  if (raw.length < height * (stride + 1)) throw new ImageRefused('corrupt PNG: the image data is truncated');
  const acc = new Accumulator(width, height, k);
  let prev = new Uint8Array(stride);
  let line = new Uint8Array(stride);
  const rgba = new Uint8Array(4 * width);
  const step = depth / 8; // 16-bit samples: their high byte
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1);
    line.set(raw.subarray(start + 1, start + 1 + stride));
    unfilter(raw[start], line, prev, bpp);
    if (depth === 8 && (colour === 0 || colour === 2)) {
      acc.addOpaqueRow(y, line, bpp);
      [prev, line] = [line, prev];
      continue;
    }
    for (let x = 0, s = 0, o = 0; x < width; x++, s += bpp, o += 4) {
      if (colour === 0) {
        rgba[o] = rgba[o + 1] = rgba[o + 2] = line[s];
        rgba[o + 3] = 255;
      } else if (colour === 2) {
        rgba[o] = line[s];
        rgba[o + 1] = line[s + step];
        rgba[o + 2] = line[s + 2 * step];
        rgba[o + 3] = 255;
      } else if (colour === 3) {
        const i = line[s];
        if (!palette || 3 * i + 2 >= palette.length)
          throw new ImageRefused(`corrupt PNG: palette index ${i} out of range`);
        rgba[o] = palette[3 * i];
        rgba[o + 1] = palette[3 * i + 1];
        rgba[o + 2] = palette[3 * i + 2];
        rgba[o + 3] = trns && i < trns.length ? trns[i] : 255;
      } else if (colour === 4) {
        rgba[o] = rgba[o + 1] = rgba[o + 2] = line[s];
        rgba[o + 3] = line[s + step];
      } else {
        rgba[o] = line[s];
        rgba[o + 1] = line[s + step];
        rgba[o + 2] = line[s + 2 * step];
        rgba[o + 3] = line[s + 3 * step];
      }
    }
    acc.addRgbaRow(y, rgba, 0);
    [prev, line] = [line, prev];
  }
  return acc;
}

function jpegSize(buf) {
  let pos = 2;
  while (pos + 9 < buf.length) {
    if (buf[pos] !== 0xff) return null;
    const marker = buf[pos + 1];
    if (marker === 0xff) {
      pos += 1;
      continue;
    }
    const length = buf.readUInt16BE(pos + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: buf.readUInt16BE(pos + 5), width: buf.readUInt16BE(pos + 7) };
    }
    pos += 2 + length;
  }
  return null;
}

function accumulateRgba(width, height, rgba, k) {
  const acc = new Accumulator(width, height, k);
  for (let y = 0; y < height; y++) acc.addRgbaRow(y, rgba, 4 * width * y);
  return acc;
}

function boxFactor(width, height, longest) {
  // Down to no less than twice the final size with box averages; the bicubic does the rest.
  return longest ? Math.max(1, Math.floor(Math.max(width, height) / (2 * longest))) : 1;
}

/**
 * @param {Uint8Array} bytes a PNG or JPEG file
 * @param {{longest?: number}} options the longer side wanted (as Image.fit); none: full size
 * @param {{PNG: any, jpeg: any}} codecs pngjs and jpeg-js, for the layouts streamed here
 * @returns {{width, height, channels, pixels: Float32Array, sourceWidth, sourceHeight}}
 */
export function decodeImage(bytes, options, codecs) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const longest = options?.longest || 0;
  let acc;
  let width;
  let height;
  const png = pngChunks(buf);
  if (png) {
    ({ width, height } = png);
    const k = boxFactor(width, height, longest);
    acc = decodePngRows(png, k, () => {
      checkSize(width, height, MAX_PIXELS_FULL_DECODE, 'PNG (interlaced or under 8 bits per sample)');
      const full = codecs.PNG.sync.read(buf);
      return accumulateRgba(
        full.width,
        full.height,
        new Uint8Array(full.data.buffer, full.data.byteOffset, full.data.length),
        k,
      );
    });
  } else if (buf[0] === 0xff && buf[1] === 0xd8) {
    const size = jpegSize(buf);
    if (!size) throw new ImageRefused('corrupt JPEG: no frame header');
    ({ width, height } = size);
    checkSize(width, height, MAX_PIXELS_FULL_DECODE, 'JPEG');
    let img;
    try {
      img = codecs.jpeg.decode(buf, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_PIXELS_FULL_DECODE / 1e6,
        maxMemoryUsageInMB: 2048,
      });
    } catch (error) {
      throw new ImageRefused(`corrupt JPEG (${String(error?.message ?? error).split('\n')[0]})`);
    }
    width = img.width;
    height = img.height;
    acc = accumulateRgba(width, height, img.data, boxFactor(width, height, longest));
  } else {
    throw new ImageRefused('unrecognised image format (PNG, JPEG or PGM expected)');
  }
  const planes = acc.planes();
  const [ow, oh] = longest ? fittedSize(width, height, longest) : [width, height];
  const pixels = new Float32Array(planes.length * ow * oh);
  planes.forEach((plane, c) => pixels.set(resizePlane(plane, acc.w, acc.h, ow, oh), c * ow * oh));
  return { width: ow, height: oh, channels: planes.length, pixels, sourceWidth: width, sourceHeight: height };
}
