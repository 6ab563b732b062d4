import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { AppError } from '../errors.js';

/** The templates shipped with the service (the repository's templates/ folder). */
export const BUNDLED_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

const PARTIALS = 'partials';

export type Template = (data: object) => string;

/**
 * Loads and compiles templates once per renderer. A file in `overrideDir` (TEMPLATES_DIR) with
 * the same relative path as a bundled one replaces it, partials included
 * (`partials/post.mjml`). Handlebars escapes every `{{value}}` for HTML; the text and subject
 * templates (`.hbs`) are compiled without HTML escaping since they are not HTML. Each loader
 * has its own Handlebars environment with no helpers beyond the built-in block helpers.
 */
export function createTemplateLoader(deps: { overrideDir?: string; bundledDir?: string }) {
  const bundledDir = deps.bundledDir ?? BUNDLED_TEMPLATES_DIR;
  const hbs = Handlebars.create();
  const cache = new Map<string, Promise<Template>>();
  let partialsReady: Promise<void> | undefined;

  async function readTemplate(name: string): Promise<string> {
    if (deps.overrideDir) {
      const own = await readFile(join(deps.overrideDir, name), 'utf8').catch(notFoundAsUndefined);
      if (own !== undefined) return own;
    }
    const bundled = await readFile(join(bundledDir, name), 'utf8').catch(notFoundAsUndefined);
    if (bundled === undefined)
      throw new AppError('TEMPLATE_MISSING', `template ${name} not found`, 500);
    return bundled;
  }

  async function registerPartials(): Promise<void> {
    const names = new Set<string>();
    for (const dir of [bundledDir, deps.overrideDir]) {
      if (!dir) continue;
      const files = await readdir(join(dir, PARTIALS)).catch(notFoundAsUndefined);
      for (const f of files ?? []) if (f.endsWith('.mjml')) names.add(f);
    }
    for (const file of names) {
      const source = await readTemplate(`${PARTIALS}/${file}`);
      hbs.registerPartial(file.replace(/\.mjml$/, ''), hbs.compile(source, { strict: false }));
    }
  }

  async function compile(name: string): Promise<Template> {
    if (name.endsWith('.mjml')) {
      partialsReady ??= registerPartials().catch((err: unknown) => {
        partialsReady = undefined;
        throw err;
      });
      await partialsReady;
    }
    const source = await readTemplate(name);
    try {
      hbs.parse(source); // compile() is lazy; surface syntax errors here, naming the file
      return hbs.compile(source, { noEscape: !name.endsWith('.mjml') });
    } catch (err) {
      throw new AppError('TEMPLATE_INVALID', `template ${name}: ${(err as Error).message}`, 500);
    }
  }

  return {
    /** The compiled template `name` (a path relative to the templates folder), cached. */
    get(name: string): Promise<Template> {
      let t = cache.get(name);
      if (!t) {
        t = compile(name);
        cache.set(name, t);
        // A failed load is not cached, so a fixed file works without a restart.
        t.catch(() => cache.delete(name));
      }
      return t;
    },
  };
}

export type TemplateLoader = ReturnType<typeof createTemplateLoader>;

function notFoundAsUndefined(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
  throw err;
}
