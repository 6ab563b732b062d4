import { stat, open } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { checkLiteralHost, guardedLookup } from './address-guard.js';
import { FeedError } from './feed-error.js';

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

export interface FetchFeedOptions {
  /** Allow private, loopback and link-local addresses (FEED_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** Hosts, addresses and CIDRs allowed though private or metadata (FEED_ALLOW_HOSTS). */
  allowHosts?: readonly string[];
  /** Names the service, e.g. `weekly-digest/0.1 (+https://example.com)`. */
  userAgent: string;
  /** Remembered from the last good fetch, for a conditional GET. */
  etag?: string;
  lastModified?: string;
  /** Whole fetch, redirects included. */
  timeoutMs?: number;
  /** Body limit, after decompression. */
  maxBytes?: number;
  maxRedirects?: number;
  /**
   * Read only this many bytes of the body (asked for with a Range header) and stop: enough to
   * learn an image's size (measure-image.ts). `maxBytes` then does not apply.
   */
  firstBytes?: number;
  /** The Accept header; by default the feed types. */
  accept?: string;
}

export type FetchFeedResult =
  | { notModified: true; url: string }
  | {
      notModified: false;
      /** The final URL after redirects (the base for relative links), undefined for a file. */
      url: string | undefined;
      body: Buffer;
      contentType?: string;
      etag?: string;
      lastModified?: string;
    };

const ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, ' +
  'application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5';

/** The User-Agent every feed request carries. */
export function feedUserAgent(publicUrl: string): string {
  return `weekly-digest/0.1 (+${publicUrl})`;
}

/** True when `source` names an http(s) URL rather than a file path. */
export function isHttpSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Fetches a feed from an http(s) URL or reads it from a local file, within a time and size
 * budget. Never follows more than `maxRedirects` hops, re-checking each hop's scheme and
 * address; refuses non-public addresses unless `allowPrivate`. Throws FeedError.
 */
export async function fetchFeed(source: string, opts: FetchFeedOptions): Promise<FetchFeedResult> {
  if (!isHttpSource(source)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)) {
      throw new FeedError(
        'FEED_INVALID_SOURCE',
        `only http(s) URLs and file paths are feeds: ${source}`,
        400,
      );
    }
    return readFeedFile(source, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetchWithRedirects(source, opts, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) {
      throw new FeedError(
        'FEED_TIMEOUT',
        `no complete answer from ${source} within ${timeoutMs} ms`,
      );
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function fetchWithRedirects(
  source: string,
  opts: FetchFeedOptions,
  signal: AbortSignal,
): Promise<FetchFeedResult> {
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let url = parseHttpUrl(source);
  for (let hop = 0; ; hop++) {
    checkLiteralHost(url, { allowPrivate: opts.allowPrivate, allowHosts: opts.allowHosts });
    const res = await request(url, opts, signal);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status)) {
      res.resume();
      const location = res.headers.location;
      if (!location)
        throw new FeedError(
          'FEED_HTTP_STATUS',
          `HTTP ${status} without a Location from ${url.href}`,
        );
      if (hop >= maxRedirects) {
        throw new FeedError(
          'FEED_TOO_MANY_REDIRECTS',
          `more than ${maxRedirects} redirects from ${source}`,
        );
      }
      url = parseHttpUrl(location, url);
      continue;
    }
    if (status === 304) {
      res.resume();
      return { notModified: true, url: url.href };
    }
    if (status < 200 || status > 299) {
      res.resume();
      const code = status === 404 || status === 410 ? 'FEED_NOT_FOUND' : 'FEED_HTTP_STATUS';
      throw new FeedError(code, `HTTP ${status} from ${url.href}`);
    }
    const body = await readBody(res, opts.maxBytes ?? DEFAULT_MAX_BYTES, url.href, opts.firstBytes);
    return {
      notModified: false,
      url: url.href,
      body,
      contentType: res.headers['content-type'],
      etag: header(res, 'etag'),
      lastModified: header(res, 'last-modified'),
    };
  }
}

function request(url: URL, opts: FetchFeedOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const headers: Record<string, string> = {
    'user-agent': opts.userAgent,
    accept: opts.accept ?? ACCEPT,
    'accept-encoding': 'gzip, deflate, br',
  };
  if (opts.firstBytes) headers.range = `bytes=0-${opts.firstBytes - 1}`;
  if (opts.etag) headers['if-none-match'] = opts.etag;
  if (opts.lastModified) headers['if-modified-since'] = opts.lastModified;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, {
      method: 'GET',
      headers,
      signal,
      // A fresh connection per request: the lookup below must run for every connect.
      agent: false,
      lookup: guardedLookup({ allowPrivate: opts.allowPrivate, allowHosts: opts.allowHosts }),
    });
    req.once('response', resolve);
    req.once('error', (err) => reject(err instanceof FeedError ? err : networkError(url, err)));
    req.end();
  });
}

/**
 * Reads and decompresses a response, aborting as soon as it passes `maxBytes`; with
 * `firstBytes`, resolves with that many bytes (or the whole body when shorter) and closes it.
 */
function readBody(
  res: IncomingMessage,
  maxBytes: number,
  href: string,
  firstBytes?: number,
): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (!firstBytes && Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    return Promise.reject(tooLarge(href, maxBytes));
  }
  const encoding = String(res.headers['content-encoding'] ?? '')
    .toLowerCase()
    .trim();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  const stream = decoder ? res.pipe(decoder) : res;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Error) => {
      res.destroy();
      decoder?.destroy();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (firstBytes) {
        chunks.push(chunk);
        if (size < firstBytes) return;
        resolve(Buffer.concat(chunks).subarray(0, firstBytes));
        res.destroy();
        decoder?.destroy();
        return;
      }
      // Counted after decompression, so a small gzip bomb cannot grow past the limit.
      if (size > maxBytes) return fail(tooLarge(href, maxBytes));
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    // A connection cut mid-body (or aborted by the timeout) must not pass for a short feed.
    res.once('close', () => {
      if (!res.complete)
        fail(
          networkError(new URL(href), new Error('connection closed before the end of the body')),
        );
    });
    stream.once('error', (err) =>
      fail(err instanceof FeedError ? err : networkError(new URL(href), err)),
    );
    if (decoder) res.once('error', (err) => fail(networkError(new URL(href), err)));
  });
}

async function readFeedFile(path: string, maxBytes: number): Promise<FetchFeedResult> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new FeedError('FEED_NOT_FOUND', `no such file: ${path}`, 404);
  if (info.size > maxBytes) throw tooLarge(path, maxBytes);
  const handle = await open(path, 'r');
  try {
    // Read at most maxBytes + 1 even if the file grew since stat.
    const buf = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > maxBytes) throw tooLarge(path, maxBytes);
    return { notModified: false, url: undefined, body: buf.subarray(0, bytesRead) };
  } finally {
    await handle.close();
  }
}

function parseHttpUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new FeedError('FEED_INVALID_SOURCE', `not a valid URL: ${raw}`, 400);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FeedError(
      'FEED_INVALID_SOURCE',
      `only http(s) URLs are fetched, not ${url.protocol}`,
      400,
    );
  }
  url.hash = '';
  return url;
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  // Stored and sent back as a header: keep it short and free of line breaks.
  return s && s.length <= 512 && !/[\r\n]/.test(s) ? s : undefined;
}

function tooLarge(where: string, maxBytes: number): FeedError {
  return new FeedError(
    'FEED_TOO_LARGE',
    `${where} is larger than ${Math.round(maxBytes / 1024)} KB`,
  );
}

function networkError(url: URL, err: Error): FeedError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND') return new FeedError('FEED_NOT_FOUND', `no such host: ${url.hostname}`);
  return new FeedError('FEED_NETWORK', `${url.host}: ${code ?? err.message}`);
}
