import type { Config } from '../../config.js';
import { html, type SafeHtml } from '../html.js';

/** What every page needs from the config. */
export type Site = Config['site'];

export interface PageInput {
  site: Site;
  title: string;
  body: SafeHtml;
  /** Same-origin script files (CSP allows 'self' scripts only). */
  scripts?: string[];
  /** Admin pages get the admin navigation. */
  admin?: { csrf: string };
}

/** The document shell shared by public and admin pages. */
export function layout(input: PageInput): string {
  const { site, title, body, scripts = [], admin } = input;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · ${site.name}</title>
        <link rel="stylesheet" href="/assets/site.css" />
        ${scripts.map((src) => html`<script src="${src}" defer></script>`)}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site">
          <a class="brand" href="${admin ? '/admin' : '/'}"
            >${site.logoUrl ? html`<img src="${site.logoUrl}" alt="" height="28" />` : ''}${site.name}</a
          >
          ${admin ? adminNav(admin.csrf) : ''}
        </header>
        <main id="main" class="${admin ? 'wide' : ''}">${body}</main>
        <footer class="site">
          ${site.postalAddress ? html`<p>${site.postalAddress}</p>` : ''}
          <p><a href="/digests">Archive</a></p>
        </footer>
      </body>
    </html> `.value;
}

function adminNav(csrf: string): SafeHtml {
  return html`<nav aria-label="Admin">
    <a href="/admin">Dashboard</a>
    <a href="/admin/subscribers">Subscribers</a>
    <a href="/admin/feeds">Feeds</a>
    <form method="post" action="/admin/logout" class="inline">
      <input type="hidden" name="_csrf" value="${csrf}" />
      <button type="submit" class="link">Log out</button>
    </form>
  </nav>`;
}

/** A page with one heading and a message, for results and errors. */
export function messagePage(site: Site, title: string, message: string, extra?: SafeHtml): string {
  return layout({
    site,
    title,
    body: html`<h1>${title}</h1>
      <p>${message}</p>
      ${extra ?? ''}`,
  });
}

/** Black or white text, whichever reads better on the accent colour (WCAG relative luminance). */
export function textOn(hex: string): string {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  // Contrast against white is 1.05/(l+0.05), against black (l+0.05)/0.05. White text wherever it
  // meets WCAG AA (4.5:1), as on most accent colours; otherwise the better of the two.
  const white = 1.05 / (l + 0.05);
  return white >= 4.5 || white >= (l + 0.05) / 0.05 ? '#ffffff' : '#000000';
}

/** The site stylesheet, served from /assets/site.css (CSP: style-src 'self'). */
export function siteCss(site: Site): string {
  const accent = /^#[0-9a-fA-F]{6}$/.test(site.accentColor) ? site.accentColor : '#1a73e8';
  return `:root{--accent:${accent};--on-accent:${textOn(accent)};--fg:#1b1b1f;--muted:#4a4a55;--bg:#fff;--line:#d0d0d7;--bad:#a4161a;--ok:#1b5e20}
*{box-sizing:border-box}
body{margin:0;font:1rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:44rem;margin:0 auto;padding:1rem 1.25rem 3rem}
main.wide{max-width:72rem}
header.site,footer.site{max-width:72rem;margin:0 auto;padding:.75rem 1.25rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
footer.site{color:var(--muted);font-size:.9rem;border-top:1px solid var(--line);display:block}
.brand{font-weight:700;font-size:1.15rem;color:var(--fg);text-decoration:none;display:inline-flex;gap:.5rem;align-items:center}
nav{display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
a{color:var(--accent)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:10}
h1{font-size:1.6rem;line-height:1.25}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=email],input[type=text],input[type=password],input[type=url],input[type=date],input[type=search],select,textarea{width:100%;max-width:28rem;font:inherit;padding:.55rem .65rem;border:1px solid #767680;border-radius:6px;background:#fff;color:var(--fg)}
button,.button{font:inherit;font-weight:600;padding:.55rem 1.1rem;border-radius:6px;border:2px solid var(--accent);background:var(--accent);color:var(--on-accent);cursor:pointer;text-decoration:none;display:inline-block;margin:.5rem .5rem .5rem 0}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad);color:#fff}
button.link{background:none;border:none;color:var(--accent);padding:0;margin:0;text-decoration:underline;font-weight:400}
form.inline{display:inline}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.note{color:var(--muted);font-size:.92rem}
.notice{border-left:4px solid var(--accent);background:#f4f6fb;padding:.6rem .9rem;margin:1rem 0}
.error{border-left:4px solid var(--bad);background:#fbf0f0;padding:.6rem .9rem;margin:1rem 0}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.95rem}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.table-wrap{overflow-x:auto}
.frames{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.frames figure{margin:0}
iframe.desktop{width:660px;max-width:100%;height:800px;border:1px solid var(--line)}
iframe.phone{width:375px;height:700px;border:1px solid var(--line)}
pre.text{white-space:pre-wrap;background:#f7f7f9;border:1px solid var(--line);padding:1rem;max-height:40rem;overflow:auto}
ul.digests{padding-left:1.1rem}
.status{font-weight:600}
@media (max-width:30rem){h1{font-size:1.35rem}}
`;
}
