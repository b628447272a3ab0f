// Read models: projection status and lag (pause, resume, rebuild), a projection's documents, the read
// model as of a past time or position next to the live one with the diff, and dead letters (retry, skip).
import { get, post, seg } from './api.js';
import { announce, changeList, h, jsonBlock, replace, table } from './dom.js';
import { streamHref } from './streams.js';

/** Asks in a modal dialog; resolves to true when confirmed. */
export function confirmWrite(text) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) =>
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }),
  );
}

/** A button for a write: disabled, with the reason, when the Studio is read-only; confirms first. */
function writeButton(info, label, question, act, after) {
  if (!info.allowWrites)
    return h(
      'button',
      {
        type: 'button',
        disabled: true,
        title: 'Read-only: restart with rewind studio --allow-writes',
        'data-write': label,
      },
      label,
    );
  return h(
    'button',
    {
      type: 'button',
      'data-write': label,
      onclick: async (event) => {
        const button = event.currentTarget;
        if (!(await confirmWrite(question))) return;
        button.disabled = true;
        try {
          await act();
          announce(`${label}: done`);
          await after();
        } catch (error) {
          button.disabled = false;
          button.after(h('span', { class: 'error', role: 'alert' }, ` ${error.message}`));
        }
      },
    },
    label,
  );
}

const readOnlyNote = (info) =>
  info.allowWrites
    ? null
    : h(
        'p',
        { class: 'note' },
        'Read-only: start with ',
        h('code', {}, 'rewind studio --allow-writes'),
        ' to pause, resume, rebuild or retry.',
      );

/** `#/projections`. */
export async function projectionsPage(view) {
  const { main, info } = view;
  document.title = 'Read models · Rewind Studio';
  const { projections } = await get('projections');
  const again = () => projectionsPage(view);
  replace(
    main,
    h('h1', {}, 'Read models'),
    readOnlyNote(info),
    table(
      'Projections and reactors: state, checkpoint and lag',
      ['Name', 'Kind', 'State', 'Checkpoint', 'Head', 'Behind', 'Dead letters', 'Last error', 'Actions'],
      projections.map((p) =>
        h(
          'tr',
          { 'data-projection': p.name },
          h(
            'td',
            {},
            p.kind === 'projection' ? h('a', { href: `#/projection/${seg(p.name)}` }, p.name) : p.name,
          ),
          h('td', {}, p.kind),
          h(
            'td',
            { class: 'state' },
            p.paused ? 'paused' : p.state === 'unknown' && p.lockHolder ? `held by ${p.lockHolder}` : p.state,
          ),
          h('td', { class: 'num' }, p.checkpoint ?? '-'),
          h('td', { class: 'num' }, p.head ?? '-'),
          h('td', { class: 'num' }, p.eventsBehind ?? '?'),
          h('td', { class: 'num' }, p.deadLetters ? h('a', { href: '#/dead-letters' }, p.deadLetters) : '0'),
          h('td', {}, p.lastError ?? ''),
          h(
            'td',
            { class: 'actions' },
            p.paused
              ? writeButton(
                  info,
                  `Resume ${p.name}`,
                  `Resume ${p.name} in every process?`,
                  () => post(`projections/${seg(p.name)}/resume`),
                  again,
                )
              : writeButton(
                  info,
                  `Pause ${p.name}`,
                  `Pause ${p.name} in every process?`,
                  () => post(`projections/${seg(p.name)}/pause`),
                  again,
                ),
            p.kind === 'projection'
              ? writeButton(
                  info,
                  `Rebuild ${p.name}`,
                  `Rebuild ${p.name} from the log and swap it in when done?`,
                  () => post(`projections/${seg(p.name)}/rebuild`),
                  again,
                )
              : null,
          ),
        ),
      ),
    ),
  );
}

/** `#/projection/<name>?collection=&asOf=`. */
export async function projectionPage({ main, params, query }) {
  const [name] = params;
  document.title = `${name} · Rewind Studio`;
  const model = await get(`projections/${seg(name)}`);
  const collection = query.collection ?? model.collections[0];
  const live = collection
    ? await get(`projections/${seg(name)}/collections/${seg(collection)}`, { limit: 50 })
    : undefined;
  const past = h(
    'section',
    { 'aria-labelledby': 'past-heading', class: 'pane', id: 'as-of' },
    h('h2', { id: 'past-heading' }, 'As it was'),
  );
  const form = h(
    'form',
    {
      class: 'inline',
      onsubmit: (e) => {
        e.preventDefault();
        const data = new FormData(form);
        const params = new URLSearchParams({ ...(collection ? { collection } : {}), asOf: data.get('at') });
        if (data.get('business')) params.set('business', '1');
        location.hash = `#/projection/${seg(name)}?${params}`;
      },
    },
    h('label', { for: 'as-of-at' }, 'As of (time or position)'),
    h('input', {
      id: 'as-of-at',
      name: 'at',
      type: 'text',
      value: query.asOf ?? '',
      placeholder: '2026-05-01T12:00:00Z',
      autocomplete: 'off',
      required: true,
    }),
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'checkbox', name: 'business', checked: query.business === '1' }),
      ' business time',
    ),
    h('button', { type: 'submit' }, 'Show'),
  );
  replace(
    main,
    h('h1', {}, name),
    h(
      'p',
      { class: 'muted' },
      `served namespace ${model.namespace ?? '(none yet)'} · checkpoint ${model.status?.checkpoint ?? '-'} · behind ${model.status?.eventsBehind ?? '?'}`,
    ),
    h(
      'nav',
      { 'aria-label': 'Collections', class: 'tabs' },
      h(
        'ul',
        {},
        model.collections.map((c) =>
          h(
            'li',
            {},
            h(
              'a',
              {
                href: `#/projection/${seg(name)}?collection=${seg(c)}`,
                'aria-current': c === collection ? 'page' : false,
              },
              c,
            ),
          ),
        ),
      ),
    ),
    form,
    h(
      'div',
      { class: 'split' },
      h(
        'section',
        { 'aria-labelledby': 'live-heading', class: 'pane', id: 'live-model' },
        h('h2', { id: 'live-heading' }, `Live${collection ? `: ${collection}` : ''}`),
        live ? documents(live.documents, `${collection} (live)`) : h('p', {}, 'No collections yet.'),
        live?.more ? h('p', { class: 'muted' }, 'First 50 documents shown.') : null,
      ),
      past,
    ),
  );
  if (query.asOf === undefined) {
    past.append(
      h(
        'p',
        { class: 'muted' },
        'Give a time or a position above to rebuild the read model as it was then, next to the live one, with the difference.',
      ),
    );
    return;
  }
  past.append(h('p', { 'aria-busy': 'true' }, `Rebuilding ${name} as of ${query.asOf}…`));
  const then = await get(`projections/${seg(name)}/as-of`, {
    at: query.asOf,
    businessTime: query.business === '1' ? 'true' : undefined,
  });
  const diff = then.diff?.collections.find((c) => c.collection === collection);
  replace(
    past,
    h('h2', { id: 'past-heading' }, `As of ${query.asOf}${collection ? `: ${collection}` : ''}`),
    documents(then.collections[collection] ?? [], `${collection} as of ${query.asOf}`),
    h('h3', {}, 'Difference with the live read model'),
    diffView(then.diff, diff),
  );
}

function documents(list, label) {
  if (!list.length) return h('p', {}, 'No documents.');
  return h(
    'ul',
    { class: 'docs', 'aria-label': label },
    list.map((d) => h('li', {}, h('p', { class: 'key' }, d.key), jsonBlock(d.doc, `Document ${d.key}`))),
  );
}

function diffView(all, diff) {
  if (!all) return h('p', {}, 'No live read model to compare with.');
  if (all.identical) return h('p', { id: 'diff-identical' }, 'Identical to the live read model.');
  if (!diff) return h('p', {}, 'This collection did not change.');
  return h(
    'ul',
    { class: 'diff', id: 'diff' },
    diff.added.map((a) => h('li', { class: 'add' }, `+ ${a.key} (live only): `, JSON.stringify(a.doc))),
    diff.removed.map((r) => h('li', { class: 'remove' }, `- ${r.key} (then only)`)),
    diff.changed.map((c) => h('li', { class: 'change' }, `~ ${c.key}`, changeList(c.changes))),
  );
}

/** `#/dead-letters`. */
export async function deadLettersPage(view) {
  const { main, info } = view;
  document.title = 'Dead letters · Rewind Studio';
  const { deadLetters } = await get('dead-letters');
  const again = () => deadLettersPage(view);
  replace(
    main,
    h('h1', {}, 'Dead letters'),
    readOnlyNote(info),
    deadLetters.length === 0
      ? h('p', { id: 'no-dead-letters' }, 'No dead letters.')
      : table(
          'Parked events, with the error that parked them',
          ['Projection', 'Event', 'Stream', 'Attempts', 'Error', 'Parked', 'Actions'],
          deadLetters.map((l) =>
            h(
              'tr',
              { 'data-letter': l.id },
              h('td', {}, l.projection),
              h('td', {}, l.eventType),
              h(
                'td',
                {},
                h('a', { href: streamHref(info, l.streamId, l.revision) }, `${l.streamId} #${l.revision}`),
              ),
              h('td', { class: 'num' }, l.attempts),
              h('td', { class: 'error-text' }, l.error),
              h('td', {}, h('time', { datetime: l.parkedAt }, l.parkedAt)),
              h(
                'td',
                { class: 'actions' },
                writeButton(
                  info,
                  'Retry',
                  `Apply ${l.eventType} (${l.streamId} #${l.revision}) to ${l.projection} again?`,
                  () => post(`dead-letters/${seg(l.id)}/retry`),
                  again,
                ),
                writeButton(
                  info,
                  'Skip',
                  `Drop ${l.eventType} (${l.streamId} #${l.revision}) without applying it to ${l.projection}?`,
                  () => post(`dead-letters/${seg(l.id)}/skip`),
                  again,
                ),
              ),
            ),
          ),
        ),
  );
}
