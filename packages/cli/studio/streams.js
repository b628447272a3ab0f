// The streams list (by prefix or aggregate type, a page at a time) and one stream's stored events.
import { get, seg } from './api.js';
import { h, jsonBlock, replace, table } from './dom.js';

/** Where a stream opens: an aggregate's timeline when its category is a known aggregate, else its raw events. */
export function streamHref(info, streamId, revision) {
  const aggregate = info.aggregates.find((a) => streamId.startsWith(`${a}-`));
  if (aggregate) {
    const id = streamId.slice(aggregate.length + 1);
    return `#/aggregate/${seg(aggregate)}/${seg(id)}${revision !== undefined ? `?rev=${revision}` : ''}`;
  }
  return `#/stream/${seg(streamId)}`;
}

/** `#/streams?aggregate=&prefix=&cursor=`. */
export async function streamsPage({ main, info, query }) {
  document.title = 'Streams · Rewind Studio';
  const list = h('div', { id: 'stream-list' });
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Find streams',
      onsubmit: (e) => {
        e.preventDefault();
        const data = new FormData(form);
        const params = new URLSearchParams();
        for (const key of ['aggregate', 'prefix']) if (data.get(key)) params.set(key, data.get(key));
        location.hash = `#/streams${params.size ? `?${params}` : ''}`;
      },
    },
    h('label', { for: 'aggregate' }, 'Aggregate type'),
    h(
      'select',
      { id: 'aggregate', name: 'aggregate' },
      h('option', { value: '' }, 'any'),
      info.aggregates.map((a) => h('option', { value: a, selected: query.aggregate === a }, a)),
    ),
    h('label', { for: 'prefix' }, 'Stream id starts with'),
    h('input', {
      id: 'prefix',
      name: 'prefix',
      type: 'search',
      value: query.prefix ?? '',
      placeholder: 'order-10',
      autocomplete: 'off',
    }),
    h('button', { type: 'submit' }, 'Search'),
  );
  replace(main, h('h1', {}, 'Streams'), form, list);
  const page = await get('streams', {
    aggregate: query.aggregate,
    prefix: query.prefix,
    cursor: query.cursor,
    limit: 50,
  });
  const rows = page.streams.map((s) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: streamHref(info, s.streamId) }, s.streamId)),
      h('td', { class: 'num' }, s.events),
      h('td', { class: 'num' }, s.revision),
    ),
  );
  const more = new URLSearchParams(query);
  if (page.nextCursor) more.set('cursor', page.nextCursor);
  replace(
    list,
    page.streams.length
      ? table(
          `Streams${query.cursor ? ` after ${query.cursor}` : ''}`,
          ['Stream', 'Events', 'Last revision'],
          rows,
        )
      : h('p', {}, 'No streams match.'),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Stream pages' },
      query.cursor
        ? h(
            'a',
            { href: '#/streams' + (query.aggregate ? `?aggregate=${seg(query.aggregate)}` : '') },
            'First page',
          )
        : null,
      page.nextCursor ? h('a', { href: `#/streams?${more}`, rel: 'next' }, 'Next page') : null,
    ),
  );
}

/** `#/stream/<id>?from=`: a stream's stored events, a page at a time. */
export async function streamPage({ main, info, params, query }) {
  const [streamId] = params;
  document.title = `${streamId} · Rewind Studio`;
  const from = Number(query.from ?? 0);
  const page = await get(`streams/${seg(streamId)}/events`, { from, limit: 50 });
  replace(
    main,
    h('h1', {}, streamId),
    h(
      'ol',
      { class: 'events', start: from },
      page.events.map((e) =>
        h(
          'li',
          {},
          h(
            'p',
            {},
            h('strong', {}, `#${e.revision} ${e.type}`),
            ` position ${e.position} · recorded ${e.recordedAt}`,
          ),
          h(
            'p',
            {},
            h('a', { href: `#/causation/${seg(streamId)}/${e.revision}` }, 'Causation'),
            ' · ',
            h('a', { href: streamHref(info, streamId, e.revision) }, 'Open'),
          ),
          h(
            'details',
            {},
            h('summary', {}, 'Metadata and payload'),
            jsonBlock({ metadata: e.metadata, data: e.data }, `Event ${e.revision}`),
          ),
        ),
      ),
    ),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Event pages' },
      from > 0
        ? h('a', { href: `#/stream/${seg(streamId)}?from=${Math.max(0, from - 50)}` }, 'Previous page')
        : null,
      page.events.length === 50
        ? h('a', { href: `#/stream/${seg(streamId)}?from=${from + 50}`, rel: 'next' }, 'Next page')
        : null,
    ),
  );
}
