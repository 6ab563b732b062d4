import type { FeedState } from '../../feeds/feed-store.js';
import type { Topic } from '../../topics/topic.js';
import type { TopicRemoval } from '../../topics/topic-removal.js';
import { unfinishedWords } from '../../topics/topic-words.js';
import { html, type SafeHtml } from '../html.js';
import { alert, csrfField, notice } from './admin-parts.js';
import { layout, type Site } from './layout.js';

export interface TopicsPageInput {
  csrf: string;
  topics: Topic[];
  feeds: FeedState[];
  unfinished: TopicRemoval[];
  message?: string;
  error?: string;
  /** What was typed last (kept in the form after a refusal). */
  form?: { name: string; feeds: string[]; categories: string };
}

function topicRow(t: Topic, csrf: string, known: Set<string>): SafeHtml {
  return html`<tr>
    <td data-label="Topic"><strong>${t.name}</strong></td>
    <td data-label="Feeds" class="url">
      ${
        t.feeds.length
          ? t.feeds.map(
              (f) =>
                html`${f}${known.has(f) ? '' : html` <span class="note">(feed removed)</span>`}<br />`,
            )
          : '—'
      }
    </td>
    <td data-label="Categories">${t.categories.join(', ') || '—'}</td>
    <td class="actions">
      <details class="confirm">
        <summary aria-label="Remove ${t.name}…">Remove…</summary>
        <form method="post" action="/admin/topics/remove">
          ${csrfField(csrf)}
          <input type="hidden" name="name" value="${t.name}" />
          <p>
            Remove ${t.name}? Subscribers who chose it get the posts of their other topics, or every
            post where it was their only one.
          </p>
          <button type="submit" class="danger">Yes, remove</button>
        </form>
      </details>
    </td>
  </tr>`;
}

function unfinishedSection(csrf: string, list: TopicRemoval[]): SafeHtml | string {
  if (list.length === 0) return '';
  return html`${list.map(
    (r) =>
      html`<form method="post" action="/admin/topics/remove" class="error" role="alert">
        ${csrfField(csrf)}
        <input type="hidden" name="name" value="${r.name}" />
        ${unfinishedWords(r, 'remove it again')}
        <button type="submit" class="secondary">Finish removing ${r.name}</button>
      </form>`,
  )}`;
}

function addForm(input: TopicsPageInput): SafeHtml {
  const f = input.form ?? { name: '', feeds: [], categories: '' };
  return html`<h2>Add a topic</h2>
    <form method="post" action="/admin/topics">
      ${csrfField(input.csrf)}
      <label for="topic-name">Name</label>
      <input id="topic-name" name="name" type="text" required maxlength="40" value="${f.name}" />
      <p class="note">Up to 40 letters, digits, spaces, "_", "." or "-"; subscribers see it.</p>
      <fieldset>
        <legend>Its feeds (all their posts)</legend>
        ${
          input.feeds.length
            ? input.feeds.map(
                (feed) =>
                  html`<label class="check"
                    ><input
                      type="checkbox"
                      name="feed"
                      value="${feed.url}"
                      ${f.feeds.includes(feed.url) ? 'checked' : ''}
                    />
                    <span class="url">${feed.url}</span></label
                  >`,
              )
            : html`<p class="note">
                No feeds yet: add them on the <a href="/admin/feeds">Feeds</a> page.
              </p>`
        }
      </fieldset>
      <label for="topic-categories">Categories (posts that carry any of them)</label>
      <input
        id="topic-categories"
        name="categories"
        type="text"
        maxlength="2000"
        placeholder="golang, go"
        value="${f.categories}"
      />
      <p class="note">
        Separated by commas, any case: the feeds' RSS category, Atom category term or JSON Feed tag.
      </p>
      <button type="submit">Add</button>
    </form>`;
}

export function topicsPage(site: Site, input: TopicsPageInput): string {
  const known = new Set(input.feeds.map((f) => f.url));
  return layout({
    site,
    title: 'Topics',
    admin: { csrf: input.csrf },
    body: html`<h1>Topics</h1>
      ${notice(input.message)} ${alert(input.error)}
      ${unfinishedSection(input.csrf, input.unfinished)}
      <p class="note">
        Subscribers may choose topics; one who chooses none gets every post. A post is in a topic
        when it comes from one of its feeds or carries one of its categories.
      </p>
      <div class="table-wrap">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col">Feeds</th>
              <th scope="col">Categories</th>
              <th scope="col"><span class="hp">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${input.topics.map((t) => topicRow(t, input.csrf, known))}
          </tbody>
        </table>
      </div>
      ${input.topics.length === 0 ? html`<p class="note">No topics yet: add one below.</p>` : ''}
      ${addForm(input)}`,
  });
}
