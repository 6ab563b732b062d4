/**
 * The pixel size of an image, read from the first bytes of its file: PNG, GIF, JPEG (baseline
 * or progressive, EXIF orientation applied) and WebP (lossy, lossless, extended). The digest
 * gives every image numeric `width` and `height` attributes (Outlook sizes an image by them,
 * not by CSS), so it shows only images whose size is known. Formats mail clients do not all show
 * (SVG, AVIF, HEIC) give undefined on purpose.
 */

export interface ImageSize {
  width: number;
  height: number;
}

/** Larger sides are taken for a corrupt header. */
const MAX_SIDE = 30_000;

/** The image's size as a browser shows it, or undefined when the bytes are no image we read. */
export function readImageSize(bytes: Uint8Array): ImageSize | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = png(b) ?? gif(b) ?? jpeg(b) ?? webp(b);
  if (!size) return undefined;
  const { width, height } = size;
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_SIDE;
  return ok(width) && ok(height) ? { width, height } : undefined;
}

/** `WxH`, as the post store keeps it. */
export function formatImageSize(size: ImageSize): string {
  return `${size.width}x${size.height}`;
}

export function parseImageSize(s: string | undefined): ImageSize | undefined {
  const m = s ? /^(\d{1,5})x(\d{1,5})$/.exec(s) : null;
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function png(b: Buffer): ImageSize | undefined {
  // The first chunk is IHDR: width and height, 32-bit big-endian.
  if (b.length < 24 || !b.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function gif(b: Buffer): ImageSize | undefined {
  // The logical screen: 16-bit little-endian, right after GIF87a / GIF89a.
  if (b.length < 10 || !/^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return undefined;
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

/** Start-of-frame markers (C0–CF but DHT C4, JPG C8, DAC CC): they carry the frame's size. */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/**
 * Walks the segments by their lengths (never scanning for a marker: an EXIF thumbnail carries
 * frames of its own) up to the first start of frame. An EXIF orientation of 5–8 (a photo taken
 * sideways) swaps the sides, as browsers show it.
 */
function jpeg(b: Buffer): ImageSize | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let orientation = 1;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // image data before any frame
    const length = b.readUInt16BE(i + 2);
    if (length < 2) return undefined;
    if (SOF.has(marker)) {
      if (i + 9 > b.length) return undefined;
      const height = b.readUInt16BE(i + 5);
      const width = b.readUInt16BE(i + 7);
      return orientation >= 5 && orientation <= 8
        ? { width: height, height: width }
        : { width, height };
    }
    if (marker === 0xe1) orientation = exifOrientation(b.subarray(i + 4, i + 2 + length)) ?? 1;
    i += 2 + length;
  }
  return undefined;
}

/** The Orientation tag (0x0112) of IFD0 in an APP1 `Exif\0\0` segment. */
function exifOrientation(app1: Buffer): number | undefined {
  if (app1.length < 14 || app1.toString('latin1', 0, 6) !== 'Exif\0\0') return undefined;
  const tiff = app1.subarray(6);
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const entries = u16(ifd);
  for (let e = 0; e < entries; e++) {
    const at = ifd + 2 + e * 12;
    if (at + 12 > tiff.length) return undefined;
    if (u16(at) === 0x0112) return u16(at + 8);
  }
  return undefined;
}

function webp(b: Buffer): ImageSize | undefined {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF') return undefined;
  if (b.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    // Lossy: a key frame's start code, then 14-bit sides (the top 2 bits are scaling).
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    // Lossless: signature 0x2f, then width - 1 and height - 1 in 14 bits each.
    if (b[20] !== 0x2f) return undefined;
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    // Extended (alpha, animation, metadata): the canvas, width - 1 and height - 1 in 24 bits.
    return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  }
  return undefined;
}
