import type mjml2html from 'mjml';
import type { Config } from '../config.js';
import { AppError, ValidationError } from '../errors.js';
import type { Post } from '../feeds/post.js';
import { confirmView, digestView } from './digest-view.js';
import { cleanMultiline, compactHtml, safeUrl } from './sanitise.js';
import { createTemplateLoader } from './templates.js';

/** A rendered email. In a digest, html and text carry the PLACEHOLDERS of placeholders.ts. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  /** MJML validation messages (only with validationLevel 'soft'; 'strict' throws instead). */
  warnings: string[];
}

/**
 * Creates the renderer: Handlebars (escaping by default) fills the MJML templates, then MJML
 * turns them into email HTML. MJML runs once per digest (README guarantee 5); the
 * per-recipient parts stay as placeholders. Compiled templates are cached per renderer.
 *
 * `tz` formats post dates (DIGEST_TZ, default UTC). `validationLevel` 'strict' makes any MJML
 * validation error a TEMPLATE_INVALID error; 'soft' renders anyway and reports warnings.
 */
export function createRenderer(deps: {
  site: Config['site'];
  templatesDir?: string;
  tz?: string;
  validationLevel?: 'strict' | 'soft';
}) {
  const templates = createTemplateLoader({ overrideDir: deps.templatesDir });
  const tz = deps.tz ?? 'UTC';
  const validationLevel = deps.validationLevel ?? 'strict';

  async function render(name: 'digest' | 'confirm', data: object): Promise<RenderedEmail> {
    const [mjmlTemplate, textTemplate, subjectTemplate] = await Promise.all([
      templates.get(`${name}.mjml`),
      templates.get(`${name}.txt.hbs`),
      templates.get(`${name}.subject.hbs`),
    ]);
    const { html, warnings } = await compileMjml(
      name,
      run(name, mjmlTemplate, data),
      validationLevel,
    );
    return {
      subject: oneLine(run(name, subjectTemplate, data)),
      html,
      text: `${cleanMultiline(run(name, textTemplate, data))}\n`,
      warnings,
    };
  }

  return {
    /** The digest's subject, HTML and text. The caller skips empty digests (posts.length 0). */
    renderDigest(input: {
      date: string;
      posts: Post[];
      /** The start of the digest's window ("posts since …"): all the renderer needs of it. */
      window: { windowStart: Date };
    }): Promise<RenderedEmail> {
      return render('digest', digestView({ ...input, site: deps.site, tz }));
    },

    /** The double opt-in email with its confirmation link (an http(s) URL). */
    async renderConfirm(input: { confirmUrl: string; email: string }): Promise<RenderedEmail> {
      const confirmUrl = safeUrl(input.confirmUrl);
      if (!confirmUrl)
        throw new ValidationError(
          'CONFIRM_URL_INVALID',
          'the confirmation link must be an http(s) URL',
        );
      return render('confirm', confirmView({ ...input, confirmUrl, site: deps.site }));
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;

function run(name: string, template: (data: object) => string, data: object): string {
  try {
    return template(data);
  } catch (err) {
    throw new AppError('TEMPLATE_INVALID', `template ${name}: ${(err as Error).message}`, 500);
  }
}

async function compileMjml(
  name: string,
  source: string,
  validationLevel: 'strict' | 'soft',
): Promise<{ html: string; warnings: string[] }> {
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    // mjml v5: async. Includes are off: partials come from Handlebars, and an include path
    // in a template must not read arbitrary files.
    // Loaded on first use: MJML and its dependencies weigh ~45 MB, which a process that only
    // sends (or only serves pages) never needs.
    const { default: compile } = await import('mjml');
    // fonts: {}: MJML otherwise links Google Fonts for any of its default families (Roboto is
    // in our system stack), which loads a third party's font on every open.
    result = await compile(source, {
      validationLevel,
      keepComments: false,
      ignoreIncludes: true,
      fonts: {},
    });
  } catch (err) {
    const details = (err as { errors?: { formattedMessage?: string }[] }).errors;
    const message = details?.map((e) => e.formattedMessage).join('; ') || (err as Error).message;
    throw new AppError('TEMPLATE_INVALID', `template ${name}.mjml: ${message}`, 500);
  }
  return { html: compactHtml(result.html), warnings: result.errors.map((e) => e.formattedMessage) };
}

/** A subject is one header line: no breaks, collapsed spaces, bounded. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 250);
}
