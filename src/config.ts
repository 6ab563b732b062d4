import { existsSync } from 'node:fs';
import { z } from 'zod';
import { FREQUENCIES, type Frequency } from './digests/frequency.js';
import {
  allowHosts,
  bool,
  cron,
  emptyAsUndefined,
  frequencyList,
  httpUrl,
  int,
  isLanguageTag,
  splitList,
  timeZone,
  trustProxy,
} from './config-values.js';
import { checkMailSetup } from './config-mail.js';
import { AppError } from './errors.js';
import { loadDkimKey } from './mail/dkim.js';

/**
 * The environment, parsed once into a frozen, typed object. This is the only module that reads
 * `process.env`; everything else receives the config (or the slice it needs) as a dependency.
 */

const EnvSchema = z.object({
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  REDIS_CLUSTER: z.preprocess(emptyAsUndefined, bool.optional()),
  REDIS_PREFIX: z
    .string()
    .min(1)
    .regex(/^[^\s:]+$/, 'must not contain spaces or colons')
    .default('{newsletter}'),
  FEEDS: z.string().default(''),
  INGEST_CRON: cron.default('0 * * * *'),
  DIGEST_CRON: cron.default('0 9 * * 1'),
  DIGEST_TZ: timeZone.default('UTC'),
  DIGEST_MAX_POSTS: int(1, 100).default(20),
  DIGEST_MIN_POSTS: int(1, 100).default(1),
  DIGEST_DAILY_CRON: cron.default('0 9 * * *'),
  DIGEST_MONTHLY_CRON: cron.default('0 9 1 * *'),
  DIGEST_FREQUENCIES: z.string().default('weekly').pipe(frequencyList),
  DIGEST_DEFAULT_FREQUENCY: z.enum(FREQUENCIES).default('weekly'),
  DIGEST_LOCAL_TIME: bool.default(true),
  PUBLIC_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  MAIL_FROM: z.string().default('Weekly Digest <digest@localhost>'),
  SITE_NAME: z.string().min(1).max(100).default('Weekly Digest'),
  SITE_LANG: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en or ar-EG')
    .refine(isLanguageTag, 'must be a language tag such as en or ar-EG')
    .default('en'),
  POSTAL_ADDRESS: z.string().max(300).default(''),
  ACCENT_COLOR: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1a73e8')
    .default('#1a73e8'),
  LOGO_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  TEMPLATES_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  SECRET: z.preprocess(
    emptyAsUndefined,
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  ADMIN_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  FEED_ALLOW_PRIVATE: z.preprocess(emptyAsUndefined, bool.default(false)),
  FEED_ALLOW_HOSTS: allowHosts.default([]),
  DATA_DIR: z.string().default('./data'),
  OUTBOX_DIR: z.preprocess(emptyAsUndefined, z.string().optional()),
  SMTP_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  SMTP_MAX_CONNECTIONS: int(1, 100).default(5),
  PREFLIGHT_RETRY_DELAY_MS: int(100, 3_600_000).default(30_000),
  SEND_CONCURRENCY: int(1, 1000).default(50),
  SEND_ATTEMPTS: int(1, 50).default(8),
  SEND_BATCH_SIZE: int(1, 1000).default(100),
  SEND_LEASE_SECONDS: int(5, 3600).default(120),
  SEND_RETRY_DELAY_MS: int(100, 600_000).default(2_000),
  SEND_RATE: z.preprocess(emptyAsUndefined, int(1, 1_000_000).optional()),
  LIST_UNSUBSCRIBE_MAILTO: z.preprocess(emptyAsUndefined, z.string().email().optional()),
  BOUNCE_ADDRESS: z.preprocess(emptyAsUndefined, z.string().email().optional()),
  DKIM_DOMAIN: z.preprocess(emptyAsUndefined, z.string().optional()),
  DKIM_SELECTOR: z.preprocess(emptyAsUndefined, z.string().optional()),
  DKIM_PRIVATE_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  TRUST_PROXY: trustProxy.default(false),
  METRICS_PORT: z.preprocess(emptyAsUndefined, int(1, 65535).optional()),
  WELCOME_EMAIL: z.preprocess(emptyAsUndefined, bool.default(false)),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ),
  LOG_FORMAT: z.preprocess(emptyAsUndefined, z.enum(['json', 'pretty']).optional()),
});

export type Env = z.input<typeof EnvSchema>;

/** Thrown when the environment is invalid; `variable` names the first offending variable. */
export class ConfigError extends AppError {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super('CONFIG_INVALID', `Invalid configuration: ${variable} ${detail}`);
    this.name = 'ConfigError';
  }
}

type ParsedEnv = z.output<typeof EnvSchema>;

/** Parses the environment. Pure: pass an object in tests. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(env);
  const { mailFromAddress, fromDomain, warnings } = checkEnv(e);
  return Object.freeze({
    redis: Object.freeze({
      url: e.REDIS_URL,
      cluster: e.REDIS_CLUSTER ?? false,
      prefix: e.REDIS_PREFIX,
    }),
    feeds: Object.freeze(splitList(e.FEEDS)),
    feedAllowPrivate: e.FEED_ALLOW_PRIVATE,
    /** Named hosts and addresses feeds may use though private or cloud metadata (address-guard.ts). */
    feedAllowHosts: Object.freeze(e.FEED_ALLOW_HOSTS),
    ingestCron: e.INGEST_CRON,
    digest: digestSection(e),
    site: siteSection(e),
    templatesDir: e.TEMPLATES_DIR,
    mail: mailSection(e, mailFromAddress, fromDomain),
    smtp: Object.freeze({
      url: e.SMTP_URL,
      maxConnections: e.SMTP_MAX_CONNECTIONS,
    }),
    send: sendSection(e),
    http: Object.freeze({ host: e.HOST, port: e.PORT, trustProxy: e.TRUST_PROXY }),
    /** A worker process's own /metrics port (workers/main.ts); unset: none. */
    metricsPort: e.METRICS_PORT,
    dataDir: e.DATA_DIR,
    outboxDir: e.OUTBOX_DIR ?? `${e.DATA_DIR.replace(/\/+$/, '')}/outbox`,
    secret: e.SECRET,
    adminToken: e.ADMIN_TOKEN,
    welcomeEmail: e.WELCOME_EMAIL,
    /** Unset: `info` for services, `warn` for the CLI (which says what it does in its own words). */
    logLevel: e.LOG_LEVEL,
    /** Loud start-up warnings (mail that could mislead): logged at start and by `digest send`. */
    warnings: Object.freeze(warnings),
    /** Unset: pretty on a terminal, JSON lines otherwise. */
    logFormat: e.LOG_FORMAT,
  });
}

/** Each variable by the schema; the first bad one is named. */
function parseEnv(env: Record<string, string | undefined>): ParsedEnv {
  // An empty value (`SECRET=` in a .env file) means "not set", so defaults apply.
  const given = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? '?'), issue.message);
  }
  return parsed.data;
}

/**
 * The checks across variables, in this order (the first failing one is named): DKIM's three
 * go together, MAIL_FROM, REDIS_PREFIX on a cluster, the DKIM key, where mail goes
 * (config-mail.ts), the default frequency, FEEDS.
 */
function checkEnv(e: ParsedEnv): {
  mailFromAddress: string;
  fromDomain: string;
  warnings: string[];
} {
  const mailFromAddress = checkMailFrom(e);
  // Scripts and BullMQ touch several keys at once; on a cluster they must all share one slot.
  if (e.REDIS_CLUSTER && !/^[^{]*\{[^}]+\}/.test(e.REDIS_PREFIX)) {
    throw new ConfigError(
      'REDIS_PREFIX',
      'needs a {hash tag} with REDIS_CLUSTER=true, e.g. {newsletter}',
    );
  }
  checkDkimKey(e.DKIM_PRIVATE_KEY);
  const fromDomain = mailFromAddress.slice(mailFromAddress.lastIndexOf('@') + 1).toLowerCase();
  const mailSetup = checkMailSetup({
    smtpUrl: e.SMTP_URL,
    publicUrl: e.PUBLIC_URL,
    fromDomain,
    dkimDomain: e.DKIM_DOMAIN,
  });
  if (mailSetup.refusal)
    throw new ConfigError(mailSetup.refusal.variable, mailSetup.refusal.detail);
  if (!e.DIGEST_FREQUENCIES.includes(e.DIGEST_DEFAULT_FREQUENCY)) {
    throw new ConfigError(
      'DIGEST_DEFAULT_FREQUENCY',
      `is ${e.DIGEST_DEFAULT_FREQUENCY}, which DIGEST_FREQUENCIES (${e.DIGEST_FREQUENCIES.join(', ')}) does not offer`,
    );
  }
  for (const feed of splitList(e.FEEDS)) {
    if (/^[a-z]+:/i.test(feed) && !/^https?:\/\//i.test(feed)) {
      throw new ConfigError('FEEDS', `has "${feed}": only http(s) URLs and file paths are feeds`);
    }
  }
  return { mailFromAddress, fromDomain, warnings: mailSetup.warnings };
}

/** DKIM's three variables go together; MAIL_FROM is an address. Returns that address. */
function checkMailFrom(e: ParsedEnv): string {
  const dkimParts = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY].filter(Boolean).length;
  if (dkimParts !== 0 && dkimParts !== 3) {
    throw new ConfigError(
      'DKIM_DOMAIN',
      'DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together',
    );
  }
  const mailFromAddress = /<([^>]+)>\s*$/.exec(e.MAIL_FROM)?.[1] ?? e.MAIL_FROM.trim();
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(mailFromAddress) || /[\r\n]/.test(e.MAIL_FROM)) {
    throw new ConfigError(
      'MAIL_FROM',
      'must be an address, optionally with a name: "Name <a@b.c>"',
    );
  }
  return mailFromAddress;
}

/** An unusable key stops the start: mail would otherwise go out unsigned. */
function checkDkimKey(key: string | undefined): void {
  if (!key) return;
  try {
    loadDkimKey(key.replace(/\\n/g, '\n'));
  } catch (err) {
    throw new ConfigError(
      'DKIM_PRIVATE_KEY',
      `is not a usable PEM private key (${(err as Error).message}); mail would go out unsigned`,
    );
  }
}

function digestSection(e: ParsedEnv) {
  return Object.freeze({
    cron: e.DIGEST_CRON,
    tz: e.DIGEST_TZ,
    maxPosts: e.DIGEST_MAX_POSTS,
    /** A subscriber's digest with fewer posts is not sent; they roll over to the next one. */
    minPosts: e.DIGEST_MIN_POSTS,
    /** The frequencies the site offers, in FREQUENCIES order, and the one a new subscriber gets. */
    frequencies: Object.freeze(e.DIGEST_FREQUENCIES),
    defaultFrequency: e.DIGEST_DEFAULT_FREQUENCY,
    /** Each frequency's cron; read in each subscriber's zone unless localTime is false. */
    crons: Object.freeze({
      daily: e.DIGEST_DAILY_CRON,
      weekly: e.DIGEST_CRON,
      monthly: e.DIGEST_MONTHLY_CRON,
    } satisfies Record<Frequency, string>),
    /** false: everyone at the cron's time in DIGEST_TZ (one instant per edition). */
    localTime: e.DIGEST_LOCAL_TIME,
    /** First wait of a held digest before its next SMTP preflight; doubles up to 15 min. */
    preflightRetryDelayMs: e.PREFLIGHT_RETRY_DELAY_MS,
  });
}

function siteSection(e: ParsedEnv) {
  return Object.freeze({
    name: e.SITE_NAME,
    // Unset: the address a local run is reached at, so links work out of the box.
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    lang: e.SITE_LANG,
    postalAddress: e.POSTAL_ADDRESS,
    accentColor: e.ACCENT_COLOR,
    logoUrl: e.LOGO_URL,
  });
}

function mailSection(e: ParsedEnv, fromAddress: string, fromDomain: string) {
  return Object.freeze({
    from: e.MAIL_FROM,
    fromAddress,
    listUnsubscribeMailto: e.LIST_UNSUBSCRIBE_MAILTO,
    /** The VERP base: each copy's envelope sender is `local+<token>@domain` (README "Bounces"). */
    bounceAddress: e.BOUNCE_ADDRESS ?? `bounces@${fromDomain}`,
    dkim:
      e.DKIM_DOMAIN && e.DKIM_SELECTOR && e.DKIM_PRIVATE_KEY
        ? Object.freeze({
            domainName: e.DKIM_DOMAIN,
            keySelector: e.DKIM_SELECTOR,
            privateKey: e.DKIM_PRIVATE_KEY.replace(/\\n/g, '\n'),
          })
        : undefined,
  });
}

function sendSection(e: ParsedEnv) {
  return Object.freeze({
    concurrency: e.SEND_CONCURRENCY,
    attempts: e.SEND_ATTEMPTS,
    batchSize: e.SEND_BATCH_SIZE,
    rate: e.SEND_RATE,
    leaseMs: e.SEND_LEASE_SECONDS * 1000,
    retryDelayMs: e.SEND_RETRY_DELAY_MS,
  });
}

export type Config = ReturnType<typeof loadConfig>;

/** Whether `tz` is an IANA time zone this runtime knows (src/config-values.ts). */
export { isTimeZone } from './config-values.js';

/**
 * Loads the config for an entry point: on an invalid value, prints the message naming the
 * variable and exits with code 1.
 */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  // A .env file in the working directory fills what the environment leaves unset.
  if (env === process.env && existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
