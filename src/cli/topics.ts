import type { Command } from 'commander';
import { topicParts, removalWords, unfinishedWords } from '../topics/topic-words.js';
import { withServices, type OpenServices } from './open-services.js';

/** Repeatable options (`--feed a --feed b`) collect into a list. */
const collect = (value: string, previous: string[]) => [...previous, value];

/** `topics add|list|remove`. Answers go to `out` (stdout). */
export function registerTopicCommands(
  program: Command,
  open: OpenServices,
  out: (line: string) => void = (line) => console.log(line),
): void {
  const topics = program
    .command('topics')
    .description('topics subscribers may choose: named sets of feeds and feed categories');
  topics
    .command('add <name>')
    .description('add a topic: the posts of some feeds and/or with some categories')
    .option(
      '--feed <url|path>',
      'a feed of the topic, as added by `feeds add` (repeatable)',
      collect,
      [],
    )
    .option('--category <term>', 'a category the posts carry, any case (repeatable)', collect, [])
    .action((name: string, opts: { feed: string[]; category: string[] }) =>
      withServices(open, async (s) => {
        const t = await s.topics.add({ name, feeds: opts.feed, categories: opts.category });
        out(`Topic added: ${t.name} (${topicParts(t)})`);
        for (const f of t.feeds) out(`  feed ${f}`);
      }),
    );
  topics
    .command('list')
    .description('every topic with its feeds and categories')
    .option('--json', 'the topics as JSON on stdout')
    .action((opts: { json?: boolean }) =>
      withServices(open, async (s) => {
        const [list, unfinished] = await Promise.all([s.topics.list(), s.topics.unfinished()]);
        if (opts.json) return out(JSON.stringify(list, null, 2));
        if (list.length === 0)
          out(
            'No topics: every subscriber gets every post. Add one with `topics add <name> --feed <url|path> --category <term>`.',
          );
        for (const t of list) {
          out(t.name);
          for (const f of t.feeds) out(`  feed ${f}`);
          if (t.categories.length) out(`  categories ${t.categories.join(', ')}`);
        }
        for (const r of unfinished) out(unfinishedWords(r, `run \`topics remove ${r.name}\``));
      }),
    );
  topics
    .command('remove <name>')
    .description(
      'remove a topic; subscribers who chose it keep their other topics (or get everything)',
    )
    .action((name: string) =>
      withServices(open, async (s) => {
        const done = await s.topics.remove(name);
        out(removalWords(done.name, done.subscribers));
      }),
    );
}
