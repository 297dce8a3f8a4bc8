/**
 * The console's pages, server-rendered (html.ts escapes every value). No inline script or style
 * (the CSP forbids them): `/assets/admin.css` and `/assets/admin.js`, which only refreshes the
 * `#live` part of the page when the event stream says something changed and asks before a cancel.
 */
import type { CampaignStatus } from '../../queue/mass.js';
import type { Forward } from '../../store/account-types.js';
import type { InboxEntry, Job } from '../../store/types.js';
import type { AdminData, Dashboard, InboxPage, InboxQuery, ModemRow } from './data.js';
import { JOB_STATES, PRIORITIES } from './data.js';
import { html, type Html } from './html.js';

export type Section = 'dashboard' | 'inbox' | 'outbox' | 'accounts';
const NAV: [Section, string, string][] = [
  ['dashboard', '/admin', 'Dashboard'],
  ['inbox', '/admin/inbox', 'Inbox'],
  ['outbox', '/admin/outbox', 'Outbox & campaigns'],
  ['accounts', '/admin/accounts', 'Accounts & forwards'],
];

const INBOX_STATUSES = ['new', 'processed', 'ignored', 'rejected', 'error', 'call'] as const;

/** A whole page; `live` is refreshed in place by admin.js. */
export function page(o: { title: string; section?: Section; csrf?: string; flash?: string; controls?: Html; live: Html; version?: string }): string {
  const nav = o.section
    ? html`<header><nav>${NAV.map(([s, href, label]) => html`<a href="${href}"${s === o.section ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
<form method="post" action="/admin/logout" class="logout"><input type="hidden" name="csrf" value="${o.csrf}"><button type="submit">Log out</button></form></header>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · sms-server console</title>
<link rel="icon" href="/assets/favicon.svg"><link rel="stylesheet" href="/assets/admin.css">
<script src="/assets/admin.js" defer></script></head>
<body${o.section ? html` data-events="${`/admin/events?s=${o.section}&v=${o.version ?? ''}`}"` : ''}>
${nav}
<h1>${o.title}</h1>
${o.flash ? html`<p class="flash" role="status">${o.flash}</p>` : ''}
${o.controls ?? ''}
<main id="live">${o.live}</main>
</body></html>
`.text;
}

export function loginPage(error?: string): string {
  return page({
    title: 'Log in',
    live: html`<form method="post" action="/admin/login" class="login">
<label for="token">Operator token (<code>http.token</code>)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
</form>`,
  });
}

export function messagePage(title: string, text: string): string {
  return page({ title, live: html`<p>${text}</p><p><a href="/admin">Back to the console</a></p>` });
}

const time = (iso: string | undefined) => (iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>` : '');

function bars(m: ModemRow): Html {
  const label = m.signal ? `signal ${m.bars} of 5 (rssi ${m.signal.rssi}${m.signal.dbm !== undefined ? `, ${m.signal.dbm} dBm` : ''})` : 'signal unknown';
  return html`<span class="bars" role="img" aria-label="${label}" title="${label}">${[1, 2, 3, 4, 5].map((i) => html`<span class="bar b${i}${i <= m.bars ? ' on' : ''}"></span>`)}</span>`;
}

const queueCells = (q: Record<string, number>) => PRIORITIES.map((p) => html`<td class="num">${q[p] ?? 0}</td>`);

function modemsTable(d: Dashboard): Html {
  if (d.modems.length === 0) return html`<p>No status published yet: the server is starting.</p>`;
  return html`<table class="modems"><thead><tr><th rowspan="2">Modem</th><th rowspan="2">State</th><th rowspan="2">Signal</th><th rowspan="2">Operator</th><th rowspan="2">Registration</th>
<th colspan="3">Queued for it</th><th rowspan="2">Sent today</th><th rowspan="2">Last fault</th></tr>
<tr><th>reply</th><th>notif.</th><th>mass</th></tr></thead><tbody>
${d.modems.map(
  (m) => html`<tr data-modem="${m.id}"><td><strong>${m.id}</strong>${m.number ? html`<br><small>${m.number}</small>` : ''}<br><small>${m.device}</small></td>
<td><span class="state state-${m.state}">${m.state}</span>${m.downSince ? html`<br><small>since ${time(m.downSince)}</small>` : ''}</td>
<td>${bars(m)}</td><td>${m.operator ?? '—'}</td><td>${m.registration ?? '—'}</td>${queueCells(m.queue)}
<td class="num">${m.sentToday}${m.dailyCap !== undefined ? html` / ${m.dailyCap}` : ''}</td>
<td>${m.lastFault ? html`${m.lastFault.reason} <small>(${m.lastFault.step}, ${time(m.lastFault.at)})</small>` : '—'}</td></tr>`,
)}
<tr class="any"><td colspan="5">Any modem (unpinned, incl. being sent)</td>${queueCells(d.unpinned)}<td colspan="2"></td></tr>
</tbody></table>`;
}

function campaignsTable(list: CampaignStatus[], csrf: string): Html {
  if (list.length === 0) return html`<p>No campaigns yet (<code>sms-server mass --file … --text …</code>).</p>`;
  return html`<table class="campaigns"><thead><tr><th>Campaign</th><th>Created</th><th>Progress</th><th>Sent</th><th>Failed</th><th>Unknown</th><th>Pending</th><th>ETA</th><th></th></tr></thead><tbody>
${list.map((s) => {
  const name = s.campaign.name ? `${s.campaign.name} (${s.campaign.id})` : s.campaign.id;
  const pct = s.total ? Math.floor((s.done / s.total) * 100) : 100;
  return html`<tr data-campaign="${s.campaign.id}"><td>${name}</td><td>${time(s.campaign.createdAt)}</td>
<td><progress value="${s.done}" max="${s.total || 1}" aria-label="${`${s.done} of ${s.total} done`}"></progress> <span class="pct">${pct}%</span> <small>${s.done}/${s.total}</small></td>
<td class="num">${s.counts.sent}</td><td class="num">${s.counts.failed}</td><td class="num">${s.counts.unknown}</td><td class="num">${s.pending}</td>
<td>${s.pending > 0 ? time(s.eta) || '—' : 'done'}</td>
<td>${s.counts.queued > 0 ? html`<form method="post" action="/admin/campaigns/${encodeURIComponent(s.campaign.id)}/cancel" data-confirm="${`Cancel campaign ${name}? ${s.counts.queued} queued SMS will not be sent.`}">
<input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="danger">Cancel</button></form>` : ''}</td></tr>`;
})}
</tbody></table>`;
}

export function dashboardLive(d: Dashboard, csrf: string): Html {
  return html`<section><h2>Modems</h2>${modemsTable(d)}<p class="note">Status updated ${time(d.updatedAt)}</p></section>
<section><h2>Campaigns</h2>${campaignsTable(d.campaigns, csrf)}</section>
<section><h2>Latest inbound</h2>${inboxTable(d.inbox)}<p><a href="/admin/inbox">The whole inbox</a></p></section>
<section><h2>Forwards</h2><p><a href="/admin/accounts">${d.forwards.pending} pending, ${d.forwards.failed} failed</a></p></section>`;
}

function inboxRow(e: InboxEntry): Html {
  return html`<tr data-entry="${e.id}"><td>${time(e.receivedAt)}</td><td>${e.modem ?? ''}</td><td>${e.from}</td>
<td class="text">${e.text}${e.incomplete ? html` <small>(parts missing: ${e.incomplete.missing.join(', ')})</small>` : ''}</td>
<td><span class="status status-${e.status}">${e.status}</span></td><td>${e.routedBy ?? ''}</td><td>${e.account ?? ''}</td><td class="num">${e.parts}</td></tr>`;
}

function pageLink(q: InboxQuery, page: number, label: string): Html {
  const p = new URLSearchParams();
  for (const k of ['status', 'account', 'route', 'sender', 'q'] as const) if (q[k]) p.set(k, q[k]!);
  if (page > 0) p.set('page', String(page));
  const qs = p.toString();
  return html`<a href="/admin/inbox${qs ? `?${qs}` : ''}">${label}</a>`;
}

export function inboxControls(q: InboxQuery): Html {
  return html`<form method="get" action="/admin/inbox" class="filters">
<label>Status <select name="status"><option value="">any</option>${INBOX_STATUSES.map((s) => html`<option${q.status === s ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>Account <input name="account" value="${q.account ?? ''}" size="10"></label>
<label>Route <input name="route" value="${q.route ?? ''}" size="8"></label>
<label>Sender <input name="sender" value="${q.sender ?? ''}" size="14"></label>
<label>Text <input name="q" type="search" value="${q.q ?? ''}" size="18"></label>
<button type="submit">Filter</button></form>`;
}

function inboxTable(entries: InboxEntry[]): Html {
  return html`<table class="inbox"><thead><tr><th>Received</th><th>Modem</th><th>From</th><th>Text</th><th>Status</th><th>Route</th><th>Account</th><th>Parts</th></tr></thead>
<tbody>${entries.length ? entries.map(inboxRow) : html`<tr><td colspan="8">Nothing matches.</td></tr>`}</tbody></table>`;
}

export function inboxLive(r: InboxPage, q: InboxQuery): Html {
  return html`${inboxTable(r.entries)}
<p class="paging">${r.page > 0 ? pageLink(q, r.page - 1, '← newer') : ''} page ${r.page + 1} ${r.more ? pageLink(q, r.page + 1, 'older →') : ''}
${r.truncated ? html`<small>(only the newest entries were searched)</small>` : ''}</p>`;
}

function jobRow(j: Job): Html {
  return html`<tr data-job="${j.id}"><td><small>${j.id}</small></td><td>${time(j.createdAt)}</td><td>${j.to}</td><td class="text">${j.sealed ? '[sealed]' : j.text}</td>
<td>${j.priority}</td><td><span class="status status-${j.state}">${j.state}</span>${j.reason ? html` <small>(${j.reason})</small>` : ''}</td>
<td class="num">${j.attempts}</td><td>${j.via ?? j.modem ?? ''}</td><td>${j.delivery?.state ?? ''}</td><td>${time(j.sentAt)}</td><td><small>${j.lastError ?? ''}</small></td></tr>`;
}

export function outboxControls(state: string | undefined): Html {
  return html`<form method="get" action="/admin/outbox" class="filters"><label>State <select name="state"><option value="">any</option>
${JOB_STATES.map((s) => html`<option${state === s ? html` selected` : ''}>${s}</option>`)}</select></label><button type="submit">Filter</button></form>`;
}

export function outboxLive(jobs: Job[], campaigns: CampaignStatus[], csrf: string): Html {
  return html`<section><h2>Campaigns</h2>${campaignsTable(campaigns, csrf)}</section>
<section><h2>Newest SMS</h2><table class="outbox"><thead><tr><th>Id</th><th>Created</th><th>To</th><th>Text</th><th>Priority</th><th>State</th><th>Attempts</th><th>Modem</th><th>Delivery</th><th>Sent</th><th>Last error</th></tr></thead>
<tbody>${jobs.length ? jobs.map(jobRow) : html`<tr><td colspan="11">No SMS yet.</td></tr>`}</tbody></table></section>`;
}

function forwardRow(f: Forward, csrf: string): Html {
  const last = f.attempts.at(-1);
  return html`<tr data-forward="${f.id}"><td><small>${f.id}</small></td><td>${f.type}</td><td>${f.channel}: ${f.target}</td><td><span class="status status-${f.status}">${f.status}</span></td>
<td class="num">${f.attempts.length}</td><td>${last ? html`${time(last.at)} ${last.status ?? ''} ${last.error ?? ''}` : ''}</td><td>${f.reason ?? (f.nextAttemptAt ? html`next ${time(f.nextAttemptAt)}` : '')}</td>
<td>${f.status === 'failed' ? html`<form method="post" action="/admin/forwards/${encodeURIComponent(f.id)}/retry"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">Retry</button></form>` : ''}</td></tr>`;
}

export function accountsLive(list: Awaited<ReturnType<AdminData['accounts']>>, csrf: string): Html {
  if (list.length === 0) return html`<p>No accounts (<code>sms-server accounts add</code>).</p>`;
  return html`${list.map(
    ({ account: a, pending, failed }) => html`<section class="account" data-account="${a.login}"><h2>${a.login}${a.name ? html` <small>${a.name}</small>` : ''}</h2>
<p>${a.webhook ? html`Webhook ${a.webhook}${a.webhookDisabled ? html` <strong>disabled</strong> (${a.webhookDisabled.reason})` : ''}. ` : ''}${a.email ? html`E-mail ${a.email}. ` : ''}${a.number ? html`Number ${a.number}.` : ''}</p>
${pending.length + failed.length === 0 ? html`<p>No pending or failed forwards.</p>` : html`<table class="forwards"><thead><tr><th>Id</th><th>Event</th><th>To</th><th>State</th><th>Tries</th><th>Last attempt</th><th>Why / next</th><th></th></tr></thead>
<tbody>${[...failed, ...pending].map((f) => forwardRow(f, csrf))}</tbody></table>`}</section>`,
  )}`;
}
