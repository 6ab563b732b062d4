import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseImageSize, readImageSize } from '../../src/feeds/image-size.js';

/** Real encoders' files (fixtures/images/README.md), with the size Chromium shows each at. */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/images');
const SHOWN: [string, number, number][] = [
  ['cover-1201x677.jpg', 1201, 677],
  ['cover-1201x677-progressive.jpg', 1201, 677],
  ['photo-640x480-orientation-6.jpg', 480, 640],
  ['cover-1201x677.png', 1201, 677],
  ['cover-401x227.gif', 401, 227],
  ['cover-1201x677.webp', 1201, 677],
  ['cover-1201x677-lossless.webp', 1201, 677],
  ['photo-640x480-extended.webp', 640, 480],
  ['logo-320x80.png', 320, 80],
];
const read = (name: string) => readFileSync(path.join(FIXTURES, name));

describe('readImageSize', () => {
  it.each(SHOWN)('%s is %i x %i', (name, width, height) => {
    expect(readImageSize(read(name))).toEqual({ width, height });
  });

  it('takes the frame, not the EXIF thumbnail that comes before it', () => {
    const photo = read('photo-640x480-orientation-6.jpg');
    // the thumbnail is a whole JPEG (its own SOI and SOF0) inside APP1, before the real frame
    const firstSof = photo.indexOf(Buffer.from([0xff, 0xc0]));
    const soiInside = photo.indexOf(Buffer.from([0xff, 0xd8]), 2);
    expect(soiInside).toBeGreaterThan(0);
    expect(soiInside).toBeLessThan(firstSof);
    expect(photo.readUInt16BE(firstSof + 5)).toBe(120); // the thumbnail's height
    expect(readImageSize(photo)).toEqual({ width: 480, height: 640 });
  });

  it('from any first bytes, gives the right size or none, never a wrong one', () => {
    for (const [name, width, height] of SHOWN) {
      const bytes = read(name);
      let first = -1; // the shortest prefix that tells the size
      for (let n = 0; n <= bytes.length; n += n < 4096 ? 1 : 512) {
        const size = readImageSize(bytes.subarray(0, n));
        if (size === undefined) continue;
        expect(size, `${name} cut at ${n}`).toEqual({ width, height });
        if (first < 0) first = n;
      }
      expect(first, name).toBeGreaterThan(0);
      // well within what measureImage reads of a file
      expect(first, name).toBeLessThan(16 * 1024);
    }
  });

  it('is undefined for what is no image it reads, and never throws', () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect(readImageSize(svg)).toBeUndefined();
    expect(readImageSize(Buffer.from('<!doctype html><title>Not found</title>'))).toBeUndefined();
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(1 + (i % 64));
      // and every format's signature followed by junk
      for (const head of [
        '',
        '\x89PNG\r\n\x1a\n',
        'GIF89a',
        '\xff\xd8\xff\xe1',
        'RIFF\0\0\0\0WEBPVP8X',
      ])
        expect(() =>
          readImageSize(Buffer.concat([Buffer.from(head, 'latin1'), junk])),
        ).not.toThrow();
    }
  });

  it('refuses sides of 0 or over 30 000 pixels (a corrupt header)', () => {
    const png = Buffer.from(read('cover-1201x677.png'));
    png.writeUInt32BE(0, 16);
    expect(readImageSize(png)).toBeUndefined();
    png.writeUInt32BE(40_000, 16);
    expect(readImageSize(png)).toBeUndefined();
  });

  it('WxH round-trips as the post store keeps it', () => {
    expect(parseImageSize('1201x677')).toEqual({ width: 1201, height: 677 });
    expect(parseImageSize('-')).toBeUndefined();
    expect(parseImageSize(undefined)).toBeUndefined();
  });
});
