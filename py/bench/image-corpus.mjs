// Bad and big images for the CLI benchmark (py/bench/cli.mjs), made here rather than stored:
// a 10000×10000 photo-like PNG, a PNG bomb (a tiny file claiming 60000×60000), a truncated PNG,
// a PNG whose data inflates past its size, a JPEG without a frame and plain text.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

function chunk(kind, body) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(kind, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(kind, 'latin1'), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

export function png(width, height, colour, raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colour;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An RGB picture: a dark disc on a light gradient (Paeth-filtered rows, as encoders write them). */
export function bigPng(side) {
  const stride = 3 * side + 1;
  const raw = Buffer.alloc(side * stride);
  const row = Buffer.alloc(3 * side);
  let prev = Buffer.alloc(3 * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const dx = x - side / 2;
      const dy = y - side / 2;
      const inside = dx * dx + dy * dy < (side / 3) ** 2;
      row[3 * x] = inside ? 40 : (200 + (x * 50) / side) | 0;
      row[3 * x + 1] = inside ? 60 : 210;
      row[3 * x + 2] = inside ? 90 : (230 - (y * 40) / side) | 0;
    }
    raw[y * stride] = 2; // "up": encoders' usual choice for smooth pictures
    for (let i = 0; i < row.length; i++) raw[y * stride + 1 + i] = (row[i] - prev[i]) & 255;
    [prev] = [Buffer.from(row)];
  }
  return png(side, side, 2, raw);
}

export function makeCorpus(dir, side = 10000) {
  mkdirSync(dir, { recursive: true });
  const files = {};
  const put = (name, data) => {
    writeFileSync(join(dir, name), data);
    files[name] = join(dir, name);
  };
  put('big-10000.png', bigPng(side));
  // 60000×60000 gray: 3.6 GB once inflated, from a few KiB (zeros compress 1000:1).
  const bomb = png(60000, 60000, 0, Buffer.alloc(4 << 20));
  put('bomb-60000.png', bomb);
  const small = bigPng(64);
  put('truncated.png', small.subarray(0, small.length / 2));
  put('overlong.png', png(8, 8, 0, Buffer.alloc(4096)));
  put('no-frame.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(64)]));
  put('text.png', Buffer.from('this is not a picture\n'));
  return files;
}
