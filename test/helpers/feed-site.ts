import { createServer, type Server } from 'node:http';

/** A small blog on 127.0.0.1: feeds and HTML pages that link to them (feed discovery tests). */
export function rssFeed(title: string, items: { title: string; link: string; date: string }[]) {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title><link>https://blog.example/</link>
${items.map((i) => `<item><title>${i.title}</title><link>${i.link}</link><guid>${i.link}</guid><pubDate>${new Date(i.date).toUTCString()}</pubDate><description>About ${i.title}.</description></item>`).join('\n')}
</channel></rss>`;
}

export function htmlPage(links: { type: string; href: string; title?: string }[]) {
  return `<!doctype html><html><head><title>A blog</title>
${links.map((l) => `<link rel="alternate" type="${l.type}" href="${l.href}"${l.title ? ` title="${l.title}"` : ''}>`).join('\n')}
</head><body><h1>A blog</h1></body></html>`;
}

export interface FeedSite {
  base: string;
  /** path -> [content type, body] (status 200), or a status number. */
  routes: Map<string, [string, string] | number>;
  close(): Promise<void>;
}

export async function startFeedSite(): Promise<FeedSite> {
  const routes = new Map<string, [string, string] | number>();
  const server: Server = createServer((req, res) => {
    const r = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (r === undefined || typeof r === 'number') return res.writeHead(r ?? 404).end('no');
    res.writeHead(200, { 'content-type': r[0] }).end(r[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}`,
    routes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
