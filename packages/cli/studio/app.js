// Rewind Studio's page: a hash router over a handful of views, each rendered into <main>.
import { get } from './api.js';
import { announce, h, replace } from './dom.js';
import { causationPage } from './causation.js';
import { livePage } from './live.js';
import { deadLettersPage, projectionPage, projectionsPage } from './readModels.js';
import { streamPage, streamsPage } from './streams.js';
import { timelinePage } from './timeline.js';

const main = document.getElementById('main');
/** What /api/info said: aggregates, projections, predicates, whether writes are allowed. */
let info;
/** Called when the view is left (closes its live connection, if any). */
let leave = () => {};

const routes = [
  [/^#?\/?$/, () => streamsPage],
  [/^#\/streams$/, () => streamsPage],
  [/^#\/stream\/([^/]+)$/, () => streamPage],
  [/^#\/aggregate\/([^/]+)\/([^/]+)$/, () => timelinePage],
  [/^#\/causation\/([^/]+)\/(\d+)$/, () => causationPage],
  [/^#\/projections$/, () => projectionsPage],
  [/^#\/projection\/([^/]+)$/, () => projectionPage],
  [/^#\/dead-letters$/, () => deadLettersPage],
  [/^#\/live$/, () => livePage],
];

async function render() {
  leave();
  leave = () => {};
  const [path, search = ''] = location.hash.split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  const found = routes.find(([pattern]) => pattern.test(path));
  const section = path.split('/')[1] || 'streams';
  for (const link of document.querySelectorAll('nav a')) {
    const current =
      link.dataset.section === section || (section === 'stream' && link.dataset.section === 'streams');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!found) {
    replace(
      main,
      h('h1', {}, 'Not found'),
      h('p', {}, 'No such view. ', h('a', { href: '#/streams' }, 'Back to the streams')),
    );
    return;
  }
  const params = path.match(found[0]).slice(1).map(decodeURIComponent);
  main.setAttribute('aria-busy', 'true');
  try {
    const view = await found[1]()({ main, info, params, query, onLeave: (fn) => (leave = fn) });
    if (view !== false) announce(document.title);
  } catch (error) {
    replace(
      main,
      h('h1', {}, 'Something went wrong'),
      h('p', { class: 'error', role: 'alert' }, error.message),
    );
  } finally {
    main.removeAttribute('aria-busy');
  }
}

async function start() {
  try {
    info = await get('info');
  } catch (error) {
    replace(main, h('h1', {}, 'Rewind Studio'), h('p', { class: 'error', role: 'alert' }, error.message));
    return;
  }
  const mode = document.getElementById('mode');
  mode.textContent = info.allowWrites ? 'Writes allowed' : 'Read-only';
  mode.className = `mode ${info.allowWrites ? 'writes' : 'read-only'}`;
  mode.title = info.allowWrites
    ? 'Started with --allow-writes: pause, resume, retry and rebuild ask for confirmation'
    : 'Restart with rewind studio --allow-writes to pause, resume, retry or rebuild';
  window.addEventListener('hashchange', render);
  await render();
}

void start();
