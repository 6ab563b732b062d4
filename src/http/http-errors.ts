import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { isRedisUnavailable } from '../redis.js';
import { messagePage, type Site } from './pages/layout.js';

/** An HTTP-facing error: stable code, status, a message safe to show. */
export interface PublicError {
  status: number;
  code: string;
  message: string;
}

/** Framework errors (4xx) mapped to the service's stable codes and plain messages. */
const FRAMEWORK_CODES: Record<string, [string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['BODY_TOO_LARGE', 'The request body is too large.'],
  FST_REQ_FILE_TOO_LARGE: ['BODY_TOO_LARGE', 'The uploaded file is too large.'],
  FST_PARTS_LIMIT: ['BODY_TOO_LARGE', 'The form has too many parts.'],
  FST_FILES_LIMIT: ['BODY_TOO_LARGE', 'The form has too many files.'],
  FST_FIELDS_LIMIT: ['BODY_TOO_LARGE', 'The form has too many fields.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'UNSUPPORTED_MEDIA_TYPE',
    'This content type is not accepted here.',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['BAD_REQUEST', 'The JSON body is empty.'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['BAD_REQUEST', 'The JSON body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    'BAD_REQUEST',
    'The Content-Length does not match the body.',
  ],
  FST_INVALID_MULTIPART_CONTENT_TYPE: ['BAD_REQUEST', 'The request is not multipart.'],
};

/** What a request that needs Redis gets while Redis is down, full or read-only. */
export const UNAVAILABLE: PublicError = {
  status: 503,
  code: 'SERVICE_UNAVAILABLE',
  message: 'The service is briefly unavailable. Please try again in a minute.',
};

/** Paths whose query string carries a token or a login code: never logged as given. */
const SECRET_QUERY_PATHS = new Set([
  '/confirm',
  '/unsubscribe',
  '/preferences',
  '/frequency',
  '/admin/login',
]);

/** The URL as logs may show it: the query string of a token route is replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const path = url.slice(0, q).replace(/\/+$/, '') || '/';
  return SECRET_QUERY_PATHS.has(path) ? `${url.slice(0, q)}?[redacted]` : url;
}

/** Turns anything thrown into what the client may see. 5xx details never leave the logs. */
export function toPublicError(err: unknown): PublicError {
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
  if (isRedisUnavailable(err)) return UNAVAILABLE;
  if ((err as { code?: string } | null)?.code === 'FST_ERR_HANDLER_TIMEOUT') return UNAVAILABLE;
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: `${where}${issue?.message ?? 'invalid input'}`,
    };
  }
  const fe = err as Partial<FastifyError> & { code?: string };
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    if (status === 429)
      return { status, code: 'RATE_LIMITED', message: 'Too many requests. Try again later.' };
    const mapped = fe.code ? FRAMEWORK_CODES[fe.code] : undefined;
    if (mapped)
      return {
        status: mapped[0] === 'BODY_TOO_LARGE' ? 413 : status,
        code: mapped[0],
        message: mapped[1],
      };
    if (status === 413)
      return { status, code: 'BODY_TOO_LARGE', message: 'The request body is too large.' };
    return { status, code: 'BAD_REQUEST', message: 'The request is not valid.' };
  }
  return { status: 500, code: 'INTERNAL', message: 'Something went wrong on our side.' };
}

/** API routes (and JSON clients) get JSON errors; browsers get a page. */
export function wantsJson(req: FastifyRequest): boolean {
  const url = req.url;
  if (url.startsWith('/admin/api/') || url.startsWith('/api/') || url === '/api') return true;
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) return true;
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Please log in',
  403: 'Not allowed',
  404: 'Page not found',
  413: 'Too large',
  429: 'Too many requests',
  503: 'Briefly unavailable',
};

/** Sends an error as JSON `{ error: { code, message } }` or as a small page. */
export function sendError(
  req: FastifyRequest,
  reply: FastifyReply,
  site: Site,
  e: PublicError,
): FastifyReply {
  reply.code(e.status);
  if (wantsJson(req))
    return reply.type('application/json').send({ error: { code: e.code, message: e.message } });
  const title =
    TITLES[e.status] ?? (e.status >= 500 ? 'Something went wrong' : 'That did not work');
  return reply.type('text/html; charset=utf-8').send(messagePage(site, title, e.message));
}

/** Fastify's error handler: logs 5xx with details, answers without them. */
export function createErrorHandler(site: Site, log: Pick<Logger, 'error' | 'warn' | 'debug'>) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toPublicError(err);
    const url = redactUrl(req.url);
    if (e.status === 503)
      log.warn({ err: (err as Error).message, url, method: req.method }, 'request failed: Redis');
    else if (e.status >= 500)
      log.error({ err, url, method: req.method, reqId: req.id }, 'request failed');
    else log.debug({ code: e.code, url }, 'request refused');
    if (e.status === 503) reply.header('retry-after', '60');
    return sendError(req, reply, site, e);
  };
}

/** The 404 answer: says nothing about what exists. */
export function createNotFoundHandler(site: Site) {
  return (req: FastifyRequest, reply: FastifyReply) =>
    sendError(req, reply, site, {
      status: 404,
      code: 'NOT_FOUND',
      message: 'There is nothing at this address.',
    });
}
