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
  /** A feed of this page for feed readers to find (`<link rel="alternate">`). */
  feed?: { href: string; title: string };
}

/** The document shell shared by public and admin pages. */
export function layout(input: PageInput): string {
  const { site, title, body, scripts = [], admin, feed } = input;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · ${site.name}</title>
        <link rel="stylesheet" href="/assets/site.css" />
        ${feed ? html`<link rel="alternate" type="application/atom+xml" href="${feed.href}" title="${feed.title}" />` : ''}
        ${scripts.map((src) => html`<script src="${src}" defer></script>`)}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site">
          <div class="bar">
            <a class="brand" href="${admin ? '/admin' : '/'}"
              >${site.logoUrl ? html`<img src="${site.logoUrl}" alt="" height="28" />` : html`<span class="dot" aria-hidden="true"></span>`}${site.name}</a
            >
            ${admin ? adminNav(admin.csrf) : html`<nav aria-label="Site"><a href="/digests">Archive</a><a href="/#subscribe">Subscribe</a></nav>`}
          </div>
        </header>
        <main id="main" class="${admin ? 'wide' : ''}">${body}</main>
        <footer class="site">
          <div class="bar">
            <p>${site.name}${site.postalAddress ? html` · ${site.postalAddress}` : ''}</p>
            <p><a href="/digests">Archive</a> · <a href="/#subscribe">Subscribe</a></p>
          </div>
        </footer>
      </body>
    </html> `.value;
}

function adminNav(csrf: string): SafeHtml {
  return html`<nav aria-label="Admin">
    <a href="/admin">Dashboard</a>
    <a href="/admin/subscribers">Subscribers</a>
    <a href="/admin/feeds">Feeds</a>
    <a href="/admin/topics">Topics</a>
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

/** The colours: light by default, dark where the reader's system asks for it. */
function themeCss(accent: string): string {
  return `:root{--accent:${accent};--on-accent:${textOn(accent)};--fg:#1b1b1f;--muted:#55555f;--bg:#fff;--soft:#f6f6f8;--card:#fff;--line:#dcdce2;--field:#767680;--bad:#a4161a;--ok:#1b5e20;--link:var(--accent);color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--muted:#a9a9b5;--bg:#131316;--soft:#1c1c21;--card:#1a1a1f;--line:#34343c;--field:#8a8a96;--bad:#ff8a80;--ok:#81c784;--link:color-mix(in srgb,var(--accent) 45%,#fff)}}
`;
}

/** The page frame: box model, body, header and footer bars, navigation, links, skip link. */
const PAGE_CSS = `*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:1rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:42rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
main.wide{max-width:72rem}
header.site{border-bottom:1px solid var(--line);background:var(--bg)}
header.site .bar,footer.site .bar{max-width:72rem;margin:0 auto;padding:.8rem 1.25rem;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;justify-content:space-between}
footer.site{color:var(--muted);font-size:.9rem;border-top:1px solid var(--line);margin-top:2rem}
footer.site p{margin:.25rem 0}
.brand{font-weight:750;font-size:1.15rem;color:var(--fg);text-decoration:none;display:inline-flex;gap:.55rem;align-items:center;letter-spacing:-.01em}
.brand .dot{width:.8rem;height:.8rem;border-radius:50%;background:var(--accent);display:inline-block}
nav{display:flex;flex-wrap:wrap;gap:.35rem 1rem;align-items:center}
nav a{text-decoration:none;font-weight:550}
nav a:hover{text-decoration:underline}
a{color:var(--link)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:10}
`;

/** Headings and forms: labels, fields, buttons (accent, secondary, danger, link-like). */
const FORM_CSS = `h1{font-size:1.75rem;line-height:1.2;letter-spacing:-.015em;margin:.5rem 0 1rem}
h2{font-size:1.2rem;line-height:1.3;margin:2rem 0 .75rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
label.check{font-weight:400}
fieldset.choices{border:0;padding:0;margin:.75rem 0}fieldset.choices legend{font-weight:600;padding:0}fieldset.choices label{display:inline-block;font-weight:400;margin:.25rem 1.25rem .25rem 0}
input[type=email],input[type=text],input[type=password],input[type=url],input[type=date],input[type=search],select,textarea{width:100%;max-width:28rem;font:inherit;padding:.6rem .7rem;border:1px solid var(--field);border-radius:8px;background:var(--card);color:var(--fg)}
input[type=file]{max-width:100%;font:inherit}
button,.button{font:inherit;font-weight:600;padding:.6rem 1.15rem;border-radius:8px;border:2px solid var(--accent);background:var(--accent);color:var(--on-accent);cursor:pointer;text-decoration:none;display:inline-block;margin:.5rem .5rem .5rem 0;line-height:1.3}
button.secondary,.button.secondary{background:transparent;color:var(--link)}
button.danger{background:var(--bad);border-color:var(--bad);color:#fff}
button.link{background:none;border:none;color:var(--link);padding:0;margin:0;text-decoration:underline;font-weight:400}
form.inline{display:inline}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
`;

/** Notes, notices and errors, cards, the subscribe box, the home page hero. */
const BLOCK_CSS = `.note{color:var(--muted);font-size:.92rem}
.notice{border-left:4px solid var(--accent);background:var(--soft);padding:.6rem .9rem;margin:1rem 0;border-radius:0 8px 8px 0}
.notice h2{margin-top:.25rem}
.error{border-left:4px solid var(--bad);background:var(--soft);padding:.6rem .9rem;margin:1rem 0;border-radius:0 8px 8px 0}
.bad{color:var(--bad)}
.url{overflow-wrap:anywhere}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:1.25rem 1.25rem .75rem;margin:1.25rem 0}
.subscribe-box{background:var(--soft);border:1px solid var(--line);border-radius:16px;padding:1.25rem 1.25rem 1rem;margin:1.25rem 0 2rem}
.subscribe-box .row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.subscribe-box input[type=email]{flex:1 1 14rem;max-width:none}
.subscribe-box button{margin:0}
.hero{padding:1.5rem 0 .5rem}
.hero p.lede{font-size:1.15rem;color:var(--muted);margin:.25rem 0 0}
`;

/** The lists of posts, of digests and of rows (the feeds page). */
const LIST_CSS = `ul.posts{list-style:none;padding:0;margin:0}
ul.posts li{padding:.85rem 0;border-bottom:1px solid var(--line)}
ul.posts li:last-child{border-bottom:0}
ul.posts a.title{font-weight:650;font-size:1.05rem;text-decoration:none;color:var(--fg)}
ul.posts a.title:hover{color:var(--accent);text-decoration:underline}
ul.posts p{margin:.2rem 0 0;color:var(--muted);font-size:.95rem}
ul.digests{list-style:none;padding:0}
ul.digests li{padding:.7rem 0;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:.15rem 1rem;justify-content:space-between}
ul.digests .when{color:var(--muted);font-size:.92rem;white-space:nowrap}
ul.rows{list-style:none;padding:0}
ul.rows li{border:1px solid var(--line);border-radius:10px;padding:.75rem 1rem;margin:.5rem 0}
`;

/** Admin pieces: tables, in-place confirmations, progress, preview frames, stats. */
const ADMIN_CSS = `table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.95rem}
th,td{text-align:left;padding:.5rem .55rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600}
.table-wrap{overflow-x:auto;max-width:100%}
details.confirm summary{cursor:pointer;color:var(--link);text-decoration:underline;list-style:none}
details.confirm summary::-webkit-details-marker{display:none}
details.confirm[open]{background:var(--soft);border-radius:8px;padding:.5rem .75rem}
details.confirm p{margin:.5rem 0 0;max-width:22rem}
progress{width:100%;max-width:28rem;height:.8rem;accent-color:var(--accent)}
.job-feeds{padding-left:1.1rem;font-size:.95rem}
.frames{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.frames figure{margin:0;max-width:100%}
iframe.desktop{width:660px;max-width:100%;height:800px;border:1px solid var(--line);border-radius:8px;background:#fff}
iframe.phone{width:375px;max-width:100%;height:700px;border:1px solid var(--line);border-radius:18px;background:#fff}
pre.text{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:1rem;max-height:40rem;overflow:auto}
.status{font-weight:600}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.75rem;margin:1rem 0}
.stats div{background:var(--soft);border:1px solid var(--line);border-radius:12px;padding:.75rem 1rem}
.stats strong{display:block;font-size:1.5rem;line-height:1.2}
`;

/** Narrow screens: tables of class "stack" become one card per row, each cell labelled. */
const PHONE_CSS = `@media (max-width:40rem){
h1{font-size:1.4rem}
main{padding:1rem 1rem 2.5rem}
table.stack thead{position:absolute;left:-10000px}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border:1px solid var(--line);border-radius:10px;padding:.35rem .75rem;margin:.6rem 0}
table.stack td{border:0;padding:.3rem 0;display:flex;gap:1rem;justify-content:space-between;text-align:right;min-width:0}
table.stack td>*{min-width:0}
table.stack td::before{content:attr(data-label);font-weight:600;color:var(--muted);text-align:left;flex:0 0 auto}
table.stack td.actions{justify-content:flex-start;text-align:left}
table.stack td.actions::before{content:none}
table.stack caption{display:block;text-align:left}
}
`;

/** The site stylesheet, served from /assets/site.css (CSP: style-src 'self'). */
export function siteCss(site: Site): string {
  const accent = /^#[0-9a-fA-F]{6}$/.test(site.accentColor) ? site.accentColor : '#1a73e8';
  return [themeCss(accent), PAGE_CSS, FORM_CSS, BLOCK_CSS, LIST_CSS, ADMIN_CSS, PHONE_CSS].join('');
}
