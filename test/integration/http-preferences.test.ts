import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, formStamp, httpHarness, postForm, type Harness } from './http-setup.js';

/*
 * Frequency and topics on the public pages: the subscribe form offers them only where there is
 * a choice, stores them; the preferences page changes them and says what the reader gets; the
 * footer's one-click "less often" / "more often" links change only the frequency, and only
 * with a genuine token.
 */

const TOPICS = [
  { name: 'Go', categories: ['golang'] },
  { name: 'Redis', categories: ['redis'] },
];

let plain: Harness;
let choices: Harness;
beforeAll(async () => {
  plain = await httpHarness('prefs-plain');
  choices = await httpHarness('prefs-choices', {
    env: {
      DIGEST_FREQUENCIES: 'daily,weekly,monthly',
      DIGEST_TZ: 'Europe/Berlin',
      DIGEST_MONTHLY_CRON: '0 8 1 * *',
    },
  });
  // Defined as an admin does, in the real topic store.
  for (const t of TOPICS) await choices.topics.add(t);
});
afterAll(async () => {
  await plain?.close();
  await choices?.close();
});
beforeEach(() => {
  plain.sent.length = 0;
  choices.sent.length = 0;
});

async function subscribe(h: Harness, fields: [string, string][]) {
  const res = await postForm(h.app, '/subscribe', [['ts', await formStamp(h.app)], ...fields]);
  await h.app.background.drain();
  return res;
}

describe('the subscribe form', () => {
  it('offers no frequency or topics where the site has one frequency and no topics', async () => {
    const page = await plain.app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="email"');
    expect(page.body).not.toContain('name="frequency"');
    expect(page.body).not.toContain('name="topics"');
  });

  it('offers one topic as no choice at all (everything)', async () => {
    const one = await httpHarness('prefs-one-topic', {
      env: { DIGEST_FREQUENCIES: 'weekly,monthly' },
    });
    try {
      await one.topics.add(TOPICS[0]!);
      const page = await one.app.inject({ url: '/' });
      expect(page.body).toContain('name="frequency" value="monthly"');
      expect(page.body).not.toContain('name="topics"');
    } finally {
      await one.close();
    }
  });

  it('offers every frequency (the default ticked) and each topic, and stores the choice', async () => {
    const page = await choices.app.inject({ url: '/' });
    for (const f of ['daily', 'weekly', 'monthly'])
      expect(page.body).toContain(`name="frequency" value="${f}"`);
    expect(page.body).toMatch(/name="frequency" value="weekly"\s+checked/);
    expect(page.body).toMatch(/name="topics"\s+value="Go"/);
    expect(page.body).toMatch(/name="topics"\s+value="Redis"/);

    const res = await subscribe(choices, [
      ['email', 'ada@example.org'],
      ['tz', 'Asia/Tokyo'],
      ['frequency', 'daily'],
      ['topics', ''],
      ['topics', 'Go'],
      ['topics', 'Redis'],
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Check your inbox');
    expect(await choices.subscribers.getByEmail('ada@example.org')).toMatchObject({
      status: 'pending',
      tz: 'Asia/Tokyo',
      frequency: 'daily',
      topics: ['Go', 'Redis'],
    });
    expect(choices.sent).toHaveLength(1);
  });

  it('refuses an unknown frequency or topic with the reason, keeping what the reader typed', async () => {
    const bad = await subscribe(choices, [
      ['email', 'bob@example.org'],
      ['frequency', 'hourly'],
      ['topics', ''],
      ['topics', 'Redis'],
    ]);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Please check the frequency: unknown frequency');
    expect(bad.body).toContain('value="bob@example.org"');
    expect(bad.body).toMatch(/name="topics"\s+value="Redis"\s+checked/);
    const badTopic = await subscribe(choices, [
      ['email', 'bob@example.org'],
      ['frequency', 'monthly'],
      ['topics', 'Rust'],
    ]);
    expect(badTopic.statusCode).toBe(400);
    expect(badTopic.body).toContain('Please check the topics: unknown topic &quot;Rust&quot;');
    expect(badTopic.body).toMatch(/name="frequency" value="monthly"\s+checked/);
    expect(await choices.subscribers.getByEmail('bob@example.org')).toBeUndefined();
    expect(choices.sent).toHaveLength(0);

    const json = await choices.app.inject({
      method: 'POST',
      url: '/api/subscribe',
      payload: { email: 'bob@example.org', frequency: 'daily', topics: ['Go', 'Nope'] },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({ error: { code: 'SUBSCRIBE_CHOICE_INVALID' } });
  });

  it('a bad address keeps the frequency and topics picked', async () => {
    const res = await subscribe(choices, [
      ['email', 'not-an-address'],
      ['frequency', 'monthly'],
      ['topics', 'Go'],
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Please check the address');
    expect(res.body).toMatch(/name="frequency" value="monthly"\s+checked/);
    expect(res.body).toMatch(/name="topics"\s+value="Go"\s+checked/);
  });
});

describe('the preferences page', () => {
  async function confirmed(h: Harness, email: string, extra = {}) {
    const { subscriber } = await h.subscribers.add({ email, status: 'confirmed', ...extra });
    return {
      sub: subscriber,
      url: `/preferences?token=${h.tokens.sign('preferences', subscriber.id)}`,
    };
  }

  it('says in words what they get: the default, in DIGEST_TZ, without topic words on a plain site', async () => {
    const { url } = await confirmed(plain, 'plain@example.org');
    const page = await plain.app.inject({ url });
    expect(page.body).toContain('<strong id="delivery">weekly, Mondays at 09:00 UTC</strong>');
    expect(page.body).not.toContain('name="frequency"');
  });

  it('changes frequency, topics and time zone, and says so in words', async () => {
    const { sub, url } = await confirmed(choices, 'carol@example.org');
    const before = await choices.app.inject({ url });
    expect(before.body).toContain('weekly, Mondays at 09:00 Europe/Berlin; all topics');
    const saved = await postForm(choices.app, url, [
      ['action', 'save'],
      ['frequency', 'monthly'],
      ['topics', ''],
      ['topics', 'Redis'],
      ['tz', 'Asia/Tokyo'],
    ]);
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Saved.');
    expect(saved.body).toContain(
      '<strong id="delivery">monthly, on the 1st of the month at 08:00 Asia/Tokyo; topics: Redis</strong>',
    );
    expect(await choices.subscribers.get(sub.id)).toMatchObject({
      frequency: 'monthly',
      topics: ['Redis'],
      tz: 'Asia/Tokyo',
    });
    // Unticking every topic is a choice: everything again.
    await postForm(choices.app, url, [
      ['action', 'save'],
      ['frequency', 'monthly'],
      ['topics', ''],
      ['tz', 'Asia/Tokyo'],
    ]);
    expect((await choices.subscribers.get(sub.id))?.topics).toEqual([]);
  });

  it('refuses a bad choice with the reason, storing nothing and keeping what they picked', async () => {
    const { sub, url } = await confirmed(choices, 'dave@example.org', { frequency: 'daily' });
    const res = await postForm(choices.app, url, [
      ['action', 'save'],
      ['frequency', 'weekly'],
      ['topics', 'Go'],
      ['topics', 'Cobol'],
      ['tz', 'America/Los_Angeles'],
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Please check the topics: unknown topic &quot;Cobol&quot;');
    expect(res.body).toMatch(/name="frequency" value="weekly"\s+checked/);
    expect(res.body).toMatch(/value="America\/Los_Angeles"\s+selected/);
    expect(await choices.subscribers.get(sub.id)).toMatchObject({
      frequency: 'daily',
      tz: undefined,
    });
  });
});

describe('one-click less often / more often', () => {
  it('opens a page with one button; only its POST changes the frequency', async () => {
    const { subscriber: sub } = await choices.subscribers.add({
      email: 'erin@example.org',
      status: 'confirmed',
      tz: 'America/Los_Angeles',
    });
    const token = choices.tokens.sign('frequency', sub.id);
    const page = await choices.app.inject({ url: `/frequency?token=${token}&change=less` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Get the digest monthly?');
    expect(page.body).toContain('weekly, Mondays at 09:00 America/Los_Angeles');
    expect(page.body).toContain('name="to" value="monthly"');
    // A scanner's GET (and HEAD) changed nothing.
    await choices.app.inject({ method: 'HEAD', url: `/frequency?token=${token}&change=less` });
    expect((await choices.subscribers.get(sub.id))?.frequency).toBeUndefined();

    const done = await postForm(choices.app, `/frequency?token=${token}`, [['to', 'monthly']]);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('monthly, on the 1st of the month at 08:00 America/Los_Angeles');
    expect((await choices.subscribers.get(sub.id))?.frequency).toBe('monthly');
    // Pressing again moves nowhere further: the POST names the frequency, not a direction.
    await postForm(choices.app, `/frequency?token=${token}`, [['to', 'monthly']]);
    expect((await choices.subscribers.get(sub.id))?.frequency).toBe('monthly');
    const least = await choices.app.inject({ url: `/frequency?token=${token}&change=less` });
    expect(least.body).toContain('Nothing to change');
    const more = await choices.app.inject({ url: `/frequency?token=${token}&change=more` });
    expect(more.body).toContain('name="to" value="weekly"');
  });

  it('refuses a forged, tampered or other-purpose token, and a frequency not offered', async () => {
    const { subscriber: sub } = await choices.subscribers.add({
      email: 'frank@example.org',
      status: 'confirmed',
    });
    const genuine = choices.tokens.sign('frequency', sub.id);
    const last = genuine.at(-1) === 'A' ? 'B' : 'A';
    const tampered = genuine.slice(0, -1) + last;
    const otherPurpose = choices.tokens.sign('preferences', sub.id);
    const forged = 'A'.repeat(40);
    for (const token of [tampered, otherPurpose, forged, '']) {
      const page = await choices.app.inject({ url: `/frequency?token=${token}&change=less` });
      expect(page.statusCode).toBe(400);
      const post = await postForm(choices.app, `/frequency?token=${token}`, [['to', 'daily']]);
      expect(post.statusCode).toBe(400);
      expect(post.body).toMatch(/not valid|Use the link from your email/);
    }
    const notOffered = await postForm(
      plain.app,
      `/frequency?token=${plain.tokens.sign('frequency', (await plain.subscribers.add({ email: 'g@example.org', status: 'confirmed' })).subscriber.id)}`,
      [['to', 'daily']],
    );
    expect(notOffered.statusCode).toBe(400);
    expect(notOffered.body).toContain('this site does not offer');
    expect((await choices.subscribers.get(sub.id))?.frequency).toBeUndefined();
  });

  it('the digest footer carries the words and working links for each recipient', async () => {
    await choices.subscribers.add({
      email: 'grace@example.org',
      status: 'confirmed',
      tz: 'Asia/Tokyo',
      frequency: 'weekly',
      topics: ['Go', 'Redis'],
    });
    const html =
      '<p>You get it %%DELIVERY%%. <a href="%%FREQUENCY_URL%%&amp;change=less">Less often</a></p>';
    await choices.storeDigest('2026-01-05', 'sent', html);
    await choices.app.inject({
      method: 'POST',
      url: '/admin/api/digests/2026-01-05/test',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { email: 'grace@example.org' },
    });
    const mail = choices.sent.at(-1);
    expect(mail?.html).toContain(
      'You get it weekly, Mondays at 09:00 Asia/Tokyo; topics: Go, Redis.',
    );
    const href = /href="http:\/\/localhost:3000(\/frequency\?token=[\w-]+)&amp;change=less"/.exec(
      mail?.html ?? '',
    )?.[1];
    expect(href).toBeDefined();
    const page = await choices.app.inject({ url: `${href}&change=less` });
    expect(page.body).toContain('name="to" value="monthly"');
    expect(page.body).toContain('grace@example.org');
  });
});
