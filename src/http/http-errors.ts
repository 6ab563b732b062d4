import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
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

/** Turns anything thrown into what the client may see. 5xx details never leave the logs. */
export function toPublicError(err: unknown): PublicError {
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
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
export function createErrorHandler(site: Site, log: Pick<Logger, 'error' | 'debug'>) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toPublicError(err);
    if (e.status >= 500)
      log.error({ err, url: req.url, method: req.method, reqId: req.id }, 'request failed');
    else log.debug({ code: e.code, url: req.url }, 'request refused');
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
