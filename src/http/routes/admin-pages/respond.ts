import type { FastifyReply, FastifyRequest } from 'fastify';

const HTML = 'text/html; charset=utf-8';
const FLASH = 'digest_flash';

/** Sends an admin page: never cached (it shows tokens and addresses). */
export function sendPage(reply: FastifyReply, page: string) {
  return reply.type(HTML).header('cache-control', 'no-store').send(page);
}

/**
 * Redirect after a POST (no resubmit on reload) with a message for the next page. The message
 * travels in a short-lived cookie, not the URL, so nobody can make a link that shows an admin
 * a text of their choosing.
 */
export function back(reply: FastifyReply, path: string, msg: string, kind: 'ok' | 'error' = 'ok') {
  reply.setCookie(FLASH, `${kind}:${msg.slice(0, 300)}`, {
    path: '/admin',
    httpOnly: true,
    sameSite: 'strict',
    maxAge: 60,
  });
  return reply.redirect(path, 303);
}

/** Reads and clears the flash message. */
export function flash(
  req: FastifyRequest,
  reply: FastifyReply,
): { message?: string; error?: string } {
  const v = req.cookies[FLASH];
  if (!v) return {};
  reply.clearCookie(FLASH, { path: '/admin' });
  return v.startsWith('error:') ? { error: v.slice(6) } : { message: v.replace(/^ok:/, '') };
}
