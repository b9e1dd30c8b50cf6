// Images of our own making, drawn by code so they are the same on every machine and nothing
// binary is committed. Drawn large (then area-resampled to each resolution), edges antialiased
// over one source pixel. Coordinates are in units of the image height; colours are sRGB
// triples in [0,1] painted back to front.

const clamp = (v) => Math.min(1, Math.max(0, v));
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
const over = (dst, src, alpha) => mix(dst, src, clamp(alpha));
const gauss = (d2, sigma) => Math.exp(-d2 / (2 * sigma * sigma));

/** Draws `paint(u, v, px)` (u, v in height units at the pixel centre; px = one pixel) into an image. */
function draw(width, height, paint) {
  const data = new Float32Array(width * height * 3);
  const px = 1 / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const rgb = paint((x + 0.5) * px, (y + 0.5) * px, px);
      for (let c = 0; c < 3; c++) data[3 * (y * width + x) + c] = clamp(rgb[c]);
    }
  }
  return { width, height, channels: 3, data };
}

// Signed distances (negative inside) and the coverage of a one-pixel antialiased edge.
const circle = (u, v, cx, cy, r) => Math.hypot(u - cx, v - cy) - r;
const ellipse = (u, v, cx, cy, rx, ry) => (Math.hypot((u - cx) / rx, (v - cy) / ry) - 1) * Math.min(rx, ry);
function roundedBox(u, v, x0, y0, x1, y1, r) {
  const qx = Math.abs(u - (x0 + x1) / 2) - (x1 - x0) / 2 + r;
  const qy = Math.abs(v - (y0 + y1) / 2) - (y1 - y0) / 2 + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
function triangle(u, v, pts) {
  // Largest signed distance to the three edge lines: exact inside, close enough outside for AA.
  const [[x0, y0], [x1, y1], [x2, y2]] = pts;
  const winding = Math.sign((x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0));
  let d = -Infinity;
  for (let i = 0; i < 3; i++) {
    const [ax, ay] = pts[i];
    const [bx, by] = pts[(i + 1) % 3];
    const len = Math.hypot(bx - ax, by - ay);
    d = Math.max(d, (winding * ((by - ay) * (u - ax) - (bx - ax) * (v - ay))) / len);
  }
  return d;
}
const cover = (d, px, soft = 1) => clamp(0.5 - d / (px * soft));

/** A few saturated flat shapes on a plain ground, no text: what logo tracers are built for. */
function logo() {
  const tri = [
    [0.55, 0.1],
    [0.92, 0.12],
    [0.74, 0.46],
  ];
  return draw(640, 640, (u, v, px) => {
    let c = [0.97, 0.95, 0.9];
    c = over(c, [0.9, 0.12, 0.15], cover(circle(u, v, 0.38, 0.42, 0.22), px));
    c = over(c, [0.1, 0.3, 0.85], cover(roundedBox(u, v, 0.5, 0.52, 0.88, 0.86, 0.05), px));
    c = over(c, [0.98, 0.8, 0.1], cover(triangle(u, v, tri), px));
    c = over(c, [0.1, 0.65, 0.3], cover(Math.abs(Math.hypot(u - 0.24, v - 0.78) - 0.1) - 0.035, px));
    return c;
  });
}

/** Mostly near-black night: a dim moon with its halo, two lit windows, a street lamp's glow. */
function dark() {
  return draw(768, 512, (u, v, px) => {
    let c = mix([0.012, 0.015, 0.03], [0.04, 0.035, 0.05], clamp(v / 0.75));
    const moon = (u - 1.15) ** 2 + (v - 0.2) ** 2;
    c = c.map((x, i) => x + [0.07, 0.07, 0.09][i] * gauss(moon, 0.1));
    c = over(c, [0.55, 0.55, 0.5], cover(circle(u, v, 1.15, 0.2, 0.045), px));
    const lamp = (u - 0.95) ** 2 + (v - 0.56) ** 2;
    c = c.map((x, i) => x + [0.3, 0.19, 0.07][i] * gauss(lamp, 0.05));
    c = over(c, [0.01, 0.012, 0.01], cover(0.74 + 0.03 * Math.sin(4 * u) - v, px));
    c = over(c, [0.015, 0.015, 0.018], cover(roundedBox(u, v, 0.22, 0.5, 0.58, 0.82, 0.005), px));
    c = over(
      c,
      [0.015, 0.015, 0.018],
      cover(
        triangle(u, v, [
          [0.18, 0.5],
          [0.4, 0.36],
          [0.62, 0.5],
        ]),
        px,
      ),
    );
    for (const x0 of [0.28, 0.44]) {
      c = over(c, [0.42, 0.28, 0.1], cover(roundedBox(u, v, x0, 0.58, x0 + 0.07, 0.66, 0.003), px));
    }
    c = over(c, [0.02, 0.02, 0.02], cover(roundedBox(u, v, 0.945, 0.57, 0.955, 0.8, 0.002), px));
    return c;
  });
}

/** A portrait-like head: shaded skin-toned oval with eyes, brows, nose and mouth on a coloured ground. */
function portrait() {
  const light = [-0.4, -0.5, 0.77];
  return draw(480, 640, (u, v, px) => {
    const cx = 0.375;
    let c = mix([0.2, 0.45, 0.5], [0.08, 0.22, 0.32], v);
    c = c.map((x) => x + 0.06 * gauss((u - cx) ** 2 + (v - 0.4) ** 2, 0.25));
    const shoulders = ellipse(u, v, cx, 1.07, 0.37, 0.3);
    c = over(c, mix([0.6, 0.14, 0.17], [0.35, 0.07, 0.1], clamp((u - 0.1) / 0.6)), cover(shoulders, px, 2));
    c = over(c, [0.66, 0.46, 0.37], cover(roundedBox(u, v, 0.32, 0.55, 0.43, 0.82, 0.03), px, 2));
    c = over(c, [0.2, 0.12, 0.07], cover(ellipse(u, v, cx, 0.37, 0.2, 0.25), px, 2));
    const [dx, dy] = [(u - cx) / 0.165, (v - 0.43) / 0.215];
    const nz = Math.sqrt(Math.max(0, 1 - dx * dx - dy * dy));
    const shade = 0.55 + 0.45 * Math.max(0, dx * light[0] + dy * light[1] + nz * light[2]);
    let skin = [0.93, 0.74, 0.62].map((x) => x * shade);
    skin = mix(
      skin,
      [0.9, 0.45, 0.45],
      0.25 *
        (gauss((u - cx + 0.08) ** 2 + (v - 0.49) ** 2, 0.025) + gauss((u - cx - 0.08) ** 2 + (v - 0.49) ** 2, 0.025)),
    );
    skin = skin.map((x) => x * (1 - 0.18 * gauss((u - cx - 0.012) ** 2 + (v - 0.475) ** 2, 0.013)));
    c = over(c, skin, cover(ellipse(u, v, cx, 0.43, 0.165, 0.215), px, 2));
    c = over(c, [0.2, 0.12, 0.07], cover(ellipse(u, v, cx, 0.28, 0.17, 0.09), px, 2) * cover(v - 0.3, px, 3));
    for (const side of [-1, 1]) {
      const ex = cx + side * 0.065;
      c = over(c, [0.25, 0.15, 0.1], cover(ellipse(u, v, ex, 0.365, 0.04, 0.007), px));
      c = over(c, [0.95, 0.95, 0.92], cover(ellipse(u, v, ex, 0.405, 0.034, 0.016), px));
      c = over(c, [0.25, 0.38, 0.22], cover(circle(u, v, ex, 0.405, 0.013), px));
      c = over(c, [0.03, 0.03, 0.03], cover(circle(u, v, ex, 0.405, 0.006), px));
    }
    c = over(c, [0.74, 0.3, 0.32], cover(ellipse(u, v, cx, 0.545, 0.055, 0.016), px, 2));
    return c;
  });
}

/** A smooth sky from deep blue to a warm glow, cut by a hard straight horizon over dark ground. */
function horizon() {
  const hz = 0.62;
  return draw(800, 450, (u, v, px) => {
    let sky = mix([0.1, 0.25, 0.6], [0.98, 0.72, 0.45], clamp(v / hz) ** 1.6);
    sky = sky.map((x, i) => x + [0.2, 0.12, 0.02][i] * gauss((u - 1.25) ** 2 + (v - hz) ** 2, 0.12));
    const ground = mix([0.12, 0.16, 0.08], [0.04, 0.06, 0.03], clamp((v - hz) / (1 - hz)));
    return over(sky, ground, cover(hz - v, px));
  });
}

export const SYNTHETIC = { logo, dark, portrait, horizon };
