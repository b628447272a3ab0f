// The causation chain of one event: what led to it and what it set off, across streams (services),
// through the correlation and causation ids in the events' metadata.
import { get, seg } from './api.js';
import { h, replace, table } from './dom.js';
import { streamHref } from './streams.js';

const ROLE = { cause: 'led to it', self: 'this event', effect: 'set off by it', sibling: 'same correlation' };

/** `#/causation/<stream>/<revision>`. */
export async function causationPage({ main, info, params }) {
  const [streamId, revision] = params;
  document.title = `Causation of ${streamId} #${revision} · Rewind Studio`;
  const chain = await get(`streams/${seg(streamId)}/events/${revision}/causation`);
  const byParent = new Map();
  const ids = new Set(chain.events.map((e) => e.eventId));
  for (const e of chain.events) {
    const parent = e.parentId && ids.has(e.parentId) ? e.parentId : '';
    byParent.set(parent, [...(byParent.get(parent) ?? []), e]);
  }
  const node = (e) =>
    h(
      'li',
      { class: `role-${e.role}`, 'data-stream': e.streamId, 'data-type': e.type },
      h('a', { href: streamHref(info, e.streamId, e.revision) }, `${e.streamId} #${e.revision}`),
      ' ',
      h('strong', {}, e.type),
      ' ',
      h('span', { class: `badge role` }, ROLE[e.role]),
      byParent.has(e.eventId) ? h('ul', {}, byParent.get(e.eventId).map(node)) : null,
    );
  const typeOf = new Map(chain.events.map((e) => [e.eventId, e.type]));
  replace(
    main,
    h('h1', {}, `Causation of ${streamId} #${revision}`),
    h(
      'p',
      {},
      'Correlation id ',
      h('code', {}, chain.correlationId),
      ` · ${chain.events.length} events across ${new Set(chain.events.map((e) => e.streamId.split('-')[0])).size} services`,
    ),
    chain.truncated
      ? h(
          'p',
          { class: 'warning' },
          'The log was scanned 10,000 events each side of this one; older or newer events of this correlation may be left out.',
        )
      : null,
    h(
      'section',
      { 'aria-labelledby': 'tree-heading' },
      h('h2', { id: 'tree-heading' }, 'Chain'),
      h('ul', { class: 'tree', id: 'chain' }, (byParent.get('') ?? []).map(node)),
    ),
    h(
      'section',
      { 'aria-labelledby': 'sequence-heading' },
      h('h2', { id: 'sequence-heading' }, 'Sequence'),
      table(
        'Events of the correlation, in log order',
        ['Position', 'Stream', 'Event', 'Caused by', 'Recorded'],
        chain.events.map((e) =>
          h(
            'tr',
            { class: `role-${e.role}` },
            h('td', { class: 'num' }, e.position),
            h(
              'td',
              {},
              h('a', { href: streamHref(info, e.streamId, e.revision) }, `${e.streamId} #${e.revision}`),
            ),
            h('td', {}, e.type),
            h('td', {}, typeOf.get(e.causationId) ?? 'a command'),
            h('td', {}, h('time', { datetime: e.recordedAt }, e.recordedAt)),
          ),
        ),
      ),
    ),
  );
}
