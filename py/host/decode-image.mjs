// Targets for the CLI's Python, decoded and shrunk here in Node rather than in Python: a
// 10000×10000 photo is 10^8 pixels, minutes of work for CPython in Wasm and a second or two here.
// The shrinking is Image.fit's own (Pillow's antialiased bicubic, the same weights), done while
// the rows stream in, so the host's target equals Python's decode-then-fit.
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
 * Pillow's antialiased bicubic along one axis, the rule py/pelican/images.py applies
 * (_resample_lines): output j weighs inputs [lo, lo + n) with w[off .. off + n), normalised.
 * Equal sizes are the identity, as Image.resized returns a copy.
 */
function resampleWeights(sizeIn, sizeOut) {
  const lo = new Int32Array(sizeOut);
  const n = new Int32Array(sizeOut);
  const off = new Int32Array(sizeOut);
  if (sizeIn === sizeOut) {
    for (let j = 0; j < sizeOut; j++) [lo[j], n[j], off[j]] = [j, 1, j];
    return { lo, n, off, w: new Float64Array(sizeOut).fill(1) };
  }
  const scale = sizeIn / sizeOut;
  const filterscale = Math.max(1, scale);
  const support = 2 * filterscale;
  const all = [];
  for (let j = 0; j < sizeOut; j++) {
    const center = (j + 0.5) * scale;
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const last = Math.min(sizeIn, Math.trunc(center + support + 0.5));
    const w = [];
    let total = 0;
    for (let i = first; i < last; i++) {
      const v = bicubic((i - center + 0.5) / filterscale);
      w.push(v);
      total += v;
    }
    lo[j] = first;
    n[j] = w.length;
    off[j] = all.length;
    for (const v of w) all.push(v / (total || 1));
  }
  return { lo, n, off, w: Float64Array.from(all) };
}

/**
 * Image.fit done while the rows stream in, with Image.resized's own weights (the two passes of a
 * separable filter commute): each row is added, weighted, into the output rows whose vertical
 * weights reach it, at full width; an output row complete is resized across at once. Only the
 * output and the few rows in flight are ever held.
 */
class Fitter {
  constructor(width, height, ow, oh) {
    Object.assign(this, { width, height, ow, oh, colour: false });
    this.h = resampleWeights(width, ow);
    const v = resampleWeights(height, oh);
    // Per input row, the output rows it feeds and with what weight; per output row, its last input.
    const count = new Int32Array(height + 1);
    this.last = new Int32Array(oh);
    for (let j = 0; j < oh; j++) {
      for (let t = 0; t < v.n[j]; t++) count[v.lo[j] + t + 1]++;
      this.last[j] = v.lo[j] + v.n[j] - 1;
    }
    for (let y = 0; y < height; y++) count[y + 1] += count[y];
    this.start = count;
    this.target = new Int32Array(count[height]);
    this.weight = new Float64Array(count[height]);
    const fill = count.slice(0, height);
    for (let j = 0; j < oh; j++)
      for (let t = 0; t < v.n[j]; t++) {
        const at = fill[v.lo[j] + t]++;
        this.target[at] = j;
        this.weight[at] = v.w[v.off[j] + t];
      }
    this.out = [0, 1, 2].map(() => new Float64Array(ow * oh));
    this.open = new Map();
    this.spare = [];
    this.floats = null;
  }
  /** Adds row y (`channels` interleaved samples per pixel, times `scale`) into its output rows. */
  add(y, data, channels, scale) {
    const n = channels * this.width;
    const rows = [];
    const weights = [];
    for (let k = this.start[y]; k < this.start[y + 1]; k++) {
      const j = this.target[k];
      let acc = this.open.get(j);
      if (!acc) {
        acc = this.spare.pop()?.fill(0) ?? new Float64Array(3 * this.width);
        this.open.set(j, acc);
      }
      rows.push(acc);
      weights.push(this.weight[k] * scale);
    }
    // One pass over the row for up to four output rows (a downscale's usual overlap).
    for (let r = 0; r < rows.length; r += 4) {
      const [a, b, c, d] = rows.slice(r, r + 4);
      const [wa, wb, wc, wd] = weights.slice(r, r + 4);
      if (d) {
        for (let x = 0; x < n; x++) {
          const v = data[x];
          a[x] += v * wa;
          b[x] += v * wb;
          c[x] += v * wc;
          d[x] += v * wd;
        }
      } else if (c) {
        for (let x = 0; x < n; x++) {
          const v = data[x];
          a[x] += v * wa;
          b[x] += v * wb;
          c[x] += v * wc;
        }
      } else if (b) {
        for (let x = 0; x < n; x++) {
          const v = data[x];
          a[x] += v * wa;
          b[x] += v * wb;
        }
      } else for (let x = 0; x < n; x++) a[x] += data[x] * wa;
    }
    for (let k = this.start[y]; k < this.start[y + 1]; k++) {
      const j = this.target[k];
      if (y !== this.last[j]) continue;
      const acc = this.open.get(j);
      this.across(j, acc, channels);
      this.open.delete(j);
      this.spare.push(acc);
    }
  }
  /** Output row j from its vertically weighted row `acc`. */
  across(j, acc, channels) {
    const { lo, n, off, w } = this.h;
    const base = j * this.ow;
    for (let c = 0; c < channels; c++) {
      const out = this.out[c];
      for (let x = 0; x < this.ow; x++) {
        let s = 0;
        for (let p = channels * lo[x] + c, o = off[x], e = o + n[x]; o < e; p += channels, o++) s += acc[p] * w[o];
        out[base + x] = s < 0 ? 0 : s > 1 ? 1 : s; // clamped as Image.resized clamps
      }
    }
  }
  /** One 8-bit gray row (no transparency). */
  addGrayRow(y, line) {
    this.add(y, line, 1, 1 / 255);
  }
  /** One 8-bit RGB row (no transparency), samples interleaved. */
  addRgbRow(y, line) {
    if (!this.colour) {
      for (let i = 0, e = 3 * this.width; i < e; i += 3)
        if (line[i] !== line[i + 1] || line[i + 1] !== line[i + 2]) {
          this.colour = true;
          break;
        }
    }
    this.add(y, line, 3, 1 / 255);
  }
  /** One row of 8-bit RGBA samples at `offset`, composited over white as Image.from_rgba does. */
  addRgbaRow(y, rgba, offset) {
    const width = this.width;
    const f = (this.floats ??= new Float64Array(3 * width));
    let colour = this.colour;
    for (let x = 0, o = offset; x < width; x++, o += 4) {
      const rv = rgba[o];
      const gv = rgba[o + 1];
      const bv = rgba[o + 2];
      const a = rgba[o + 3];
      if (!colour && (rv !== gv || gv !== bv)) colour = true;
      if (a === 255) {
        f[3 * x] = rv / 255;
        f[3 * x + 1] = gv / 255;
        f[3 * x + 2] = bv / 255;
      } else {
        const white = 255 * (255 - a);
        f[3 * x] = (rv * a + white) / 65025;
        f[3 * x + 1] = (gv * a + white) / 65025;
        f[3 * x + 2] = (bv * a + white) / 65025;
      }
    }
    this.colour = colour;
    this.add(y, f, 3, 1);
  }
  /** The fitted planes: one for a gray picture, R, G, B otherwise. */
  planes(gray) {
    return gray || !this.colour ? [this.out[0]] : this.out;
  }
}

function bicubic(x) {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
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

/** Row buffers whose length is a multiple of 4, so the "up" filter can add four bytes at a time. */
function rowBuffer(stride) {
  return new Uint8Array((stride + 3) & ~3);
}

/** Bytewise (a + b) & 255 over 32-bit words: no carry crosses a byte. */
function addUp(line, prev) {
  const l = new Uint32Array(line.buffer, line.byteOffset, line.length >> 2);
  const p = new Uint32Array(prev.buffer, prev.byteOffset, prev.length >> 2);
  for (let i = 0; i < l.length; i++) {
    const a = l[i];
    const b = p[i];
    l[i] = ((a & 0x7f7f7f7f) + (b & 0x7f7f7f7f)) ^ ((a ^ b) & 0x80808080);
  }
}

/** The streaming path: non-interlaced 8- or 16-bit PNG, one row at a time. */
function decodePngRows(png, fitter, fullDecode) {
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
  let prev = rowBuffer(stride);
  let line = rowBuffer(stride);
  const rgba = new Uint8Array(4 * width);
  const step = depth / 8; // 16-bit samples: their high byte
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1);
    line.set(raw.subarray(start + 1, start + 1 + stride));
    if (raw[start] === 2) addUp(line, prev);
    else unfilter(raw[start], line.subarray(0, stride), prev, bpp);
    if (depth === 8 && colour === 0) fitter.addGrayRow(y, line);
    else if (depth === 8 && colour === 2) fitter.addRgbRow(y, line);
    else {
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
      fitter.addRgbaRow(y, rgba, 0);
    }
    [prev, line] = [line, prev];
  }
  return colour === 0 || colour === 4;
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

/**
 * @param {Uint8Array} bytes a PNG or JPEG file
 * @param {{longest?: number}} options the longer side wanted (as Image.fit); none: full size
 * @param {{PNG: any, jpeg: any}} codecs pngjs and jpeg-js, for the layouts not streamed here
 * @returns {{width, height, channels, pixels: Float32Array, sourceWidth, sourceHeight}}
 */
export function decodeImage(bytes, options, codecs) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const longest = options?.longest || 0;
  const fitterFor = (width, height) =>
    new Fitter(width, height, ...(longest ? fittedSize(width, height, longest) : [width, height]));
  let fitter;
  let gray = false;
  let width;
  let height;
  const png = pngChunks(buf);
  if (png) {
    ({ width, height } = png);
    fitter = fitterFor(width, height);
    gray = decodePngRows(png, fitter, () => {
      checkSize(width, height, MAX_PIXELS_FULL_DECODE, 'PNG (interlaced or under 8 bits per sample)');
      let full;
      try {
        full = codecs.PNG.sync.read(buf);
      } catch (error) {
        throw new ImageRefused(`corrupt PNG (${String(error?.message ?? error).split('\n')[0]})`);
      }
      const data = new Uint8Array(full.data.buffer, full.data.byteOffset, full.data.length);
      for (let y = 0; y < height; y++) fitter.addRgbaRow(y, data, 4 * width * y);
      return false;
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
        formatAsRGBA: false,
        maxResolutionInMP: MAX_PIXELS_FULL_DECODE / 1e6,
        maxMemoryUsageInMB: 2048,
      });
    } catch (error) {
      throw new ImageRefused(`corrupt JPEG (${String(error?.message ?? error).split('\n')[0]})`);
    }
    ({ width, height } = img);
    fitter = fitterFor(width, height);
    for (let y = 0; y < height; y++) fitter.addRgbRow(y, img.data.subarray(3 * width * y, 3 * width * (y + 1)));
  } else {
    throw new ImageRefused('unrecognised image format (PNG, JPEG or PGM expected)');
  }
  const planes = fitter.planes(gray);
  const { ow, oh } = fitter;
  const pixels = new Float32Array(planes.length * ow * oh);
  planes.forEach((plane, c) => pixels.set(plane, c * ow * oh));
  return { width: ow, height: oh, channels: planes.length, pixels, sourceWidth: width, sourceHeight: height };
}
