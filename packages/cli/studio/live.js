// The live log: the newest events, then each new one as it is appended (Server-Sent Events).
import { get } from './api.js';
import { announce, h, replace } from './dom.js';
import { streamHref } from './streams.js';

const KEEP = 200;

function row(info, e) {
  return h(
    'li',
    { 'data-position': e.position, 'data-stream': e.streamId },
    h('span', { class: 'num' }, e.position),
    ' ',
    h('a', { href: streamHref(info, e.streamId, e.revision) }, `${e.streamId} #${e.revision}`),
    ' ',
    h('strong', {}, e.type),
    ' ',
    h('time', { datetime: e.recordedAt, class: 'muted' }, e.recordedAt),
  );
}

/** `#/live`. */
export async function livePage({ main, info, onLeave }) {
  document.title = 'Live log · Rewind Studio';
  const state = h('p', { id: 'live-state', class: 'muted' }, 'Connecting…');
  const list = h('ol', {
    id: 'live-events',
    class: 'log',
    reversed: true,
    'aria-label': 'Newest events first',
  });
  replace(main, h('h1', {}, 'Live log'), state, list);
  const { events } = await get('log', { limit: 20 });
  for (const e of events) list.append(row(info, e));
  const source = new EventSource('/api/live');
  onLeave(() => source.close());
  source.addEventListener('ready', () => {
    state.textContent = 'Live: new events appear at the top as they are appended.';
    state.dataset.live = 'true';
  });
  source.addEventListener('append', (message) => {
    const e = JSON.parse(message.data);
    list.prepend(row(info, e));
    while (list.children.length > KEEP) list.lastElementChild.remove();
    announce(`New event: ${e.type} on ${e.streamId}`);
  });
  source.addEventListener('failure', (message) => {
    state.textContent = `The live log stopped: ${JSON.parse(message.data).detail}`;
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.OPEN) state.textContent = 'Reconnecting…';
  });
}
