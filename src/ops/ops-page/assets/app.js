/* global document, localStorage, location, setInterval, window */
// The ops page in the browser, the module the page shell loads: it reads the page's settings
// from the shell's meta tags, routes between the list (list.js) and a request's detail
// (detail.js), runs the clocks every second and listens for the page's keys. Every piece of
// request data is written with textContent (never innerHTML): mail subjects, names and speech
// results come from outside and must stay text. The server's CSP forbids inline script and
// style, so these modules and app.css are all the page runs.
'use strict';
import { connectEvents, el, header, live, page, setLanguage, ui } from './common.js';
import { detail, detailKeys, loadDetail, onDetailChange, renderDetail, tickDetail } from './detail.js';
import { list, listKeys, loadList, markSeen, onListChange, renderList, showTitle, tick } from './list.js';

const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
page.csrf = meta('csrf-token');
page.engineer = meta('engineer');
page.login = meta('engineer-login');
/** Engineers' names by login (settings ops.engineers): owners and the timeline say who. */
page.engineers = JSON.parse(meta('engineers'));
/**
 * The colour levels of a countdown, most urgent first ({ state, belowMs, warning }), made by the
 * server from settings' warning minutes (domain/running-clock.ts urgencyLevels), so that a
 * ticking countdown changes colour at the minutes the warnings go out.
 */
page.urgencyLevels = JSON.parse(document.querySelector('meta[name="urgency-levels"]').content);
/** A whole request number (domain/request-number.ts), typed in any case in an address. */
page.requestNumberPattern = new RegExp(document.querySelector('meta[name="request-number"]').content, 'i');
setLanguage(localStorage.getItem('hezo-ops-lang') || document.documentElement.lang || 'pl');

const app = document.getElementById('app');
const failed = (error) => app.replaceChildren(header(), el('p', { class: 'message', text: ui.t.failed + error.message }));

let onDetail = false;
function route() {
  live.handlers.clear();
  const match = /^\/ops\/requests\/([^/]+)$/.exec(location.pathname);
  if (match && page.requestNumberPattern.test(match[1])) {
    onDetail = true;
    detail.number = match[1].toUpperCase();
    live.handlers.add((number) => { if (number === detail.number) onDetailChange(); });
    loadDetail().catch(failed);
  } else {
    onDetail = false;
    renderList();
    live.handlers.add(onListChange);
    // Requests stamped after this first load are new to the engineer (the tab title counts them).
    loadList().then(() => { if (!list.openedAt) list.openedAt = list.fetchedAt; }).catch(failed);
  }
  connectEvents();
}
ui.rerender = () => { if (onDetail) { if (detail.body) renderDetail(); } else { renderList(); showTitle(); } };

document.addEventListener('keydown', (event) => (onDetail ? detailKeys(event) : listKeys(event)));
for (const name of ['focus', 'visibilitychange', 'pointerdown', 'keydown']) window.addEventListener(name, () => { if (!onDetail) markSeen(); });

route();
setInterval(() => { tick(); tickDetail(); }, 1000);
// Clocks that reached 17:00 or a new opening need the server's calendar again.
setInterval(() => { if (!onDetail && list.body && document.body.contains(list.body)) loadList().catch(() => {}); }, 60000);
window.addEventListener('pageshow', () => connectEvents());
