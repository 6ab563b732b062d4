import { escapeHtml } from '../escape-html.js';
import { isHttpUrl } from '../http-url.js';

/**
 * HTML escaping for the server-rendered pages. `html` is a tagged template that escapes every
 * interpolated value unless it is already `SafeHtml` (the output of another `html` call or of
 * `raw`), so a page can only contain unescaped text where the code says so explicitly.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks a trusted string (built by this code, never from input) as HTML. */
export function raw(s: string): SafeHtml {
  return new SafeHtml(s);
}

type Value = SafeHtml | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** Builds HTML from a template, escaping every value that is not `SafeHtml`. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** An href that is only ever http(s) or a same-site path; anything else becomes "#". */
export function safeHref(url: string): string {
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  return isHttpUrl(url) ? url : '#';
}
