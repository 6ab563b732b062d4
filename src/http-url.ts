import { z } from 'zod';

/**
 * True for an absolute http: or https: URL that the WHATWG parser accepts and that holds no
 * whitespace: the one test for "an http(s) URL" (config, feeds and posts added by admins, hrefs).
 */
export function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\/\S+$/i.test(s)) return false;
  return URL.canParse(s);
}

/** A trimmed http(s) URL of at most 2000 characters (zod), for every input that takes one. */
export const HttpUrl = z
  .string()
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .refine(isHttpUrl, 'must be an http(s) URL');
