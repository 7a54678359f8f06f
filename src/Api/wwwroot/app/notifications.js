// The notification centre in the header (Editors and Administrators): what the engine told supervisors — a rating
// under 4, a raised alert (a VIP waiting among them), a paused webhook — with the unread count, marked read per person.
import { get, post } from './api.js';
import { h, clear, time, toast } from './ui.js';

const KINDS = { csat_low: 'Low rating', alert: 'Alert', vip_waiting: 'VIP waiting', webhook_paused: 'Webhook paused' };

export function notificationCentre(app) {
  const count = h('span.count', { 'aria-live': 'polite' });
  const panel = h('div.notifpanel', { hidden: true, role: 'dialog', 'aria-label': 'Notifications' });
  const button = h('button.bell', { type: 'button', 'data-action': 'notifications', 'aria-label': 'Notifications',
    on: { click: () => { panel.hidden = !panel.hidden; if (!panel.hidden) show(); } } }, 'Notifications', count);

  async function refresh() {
    try { setCount((await get('/api/v1/notifications/unread')).unread); } catch { /* the header stays usable */ }
  }
  function setCount(n) {
    count.textContent = n > 0 ? String(n) : '';
    button.classList.toggle('has-unread', n > 0);
  }
  async function markRead(ids) {
    try { setCount((await post('/api/v1/notifications/read', ids ? { ids } : {})).unread); await show(); }
    catch (e) { toast(e.message, 'error'); }
  }
  async function show() {
    const items = await get('/api/v1/notifications/');
    clear(panel,
      h('div.row', h('strong', 'Notifications'), h('span.spacer'),
        h('button.link', { type: 'button', 'data-action': 'read-all', on: { click: () => markRead(null) } }, 'Mark all read')),
      items.length === 0 ? h('p.small.muted', 'Nothing yet.') : h('ul', items.map(n => h('li', {
        class: n.read ? 'read' : 'unread', 'data-kind': n.kind, 'data-id': n.id,
      },
        h('div', h('strong', KINDS[n.kind] || n.kind), ' ', h('span.small.muted', time(n.createdAt))),
        h('div', n.text),
        n.data && n.data.conversationId ? h('a.small', { href: `#/inbox/${n.data.conversationId}` }, 'Open the conversation') : null,
        n.read ? null : h('button.link.small', { type: 'button', on: { click: () => markRead([n.id]) } }, 'Mark read')))));
  }

  app.onLive(event => { if (event.type === 'notification.created') { refresh(); if (!panel.hidden) show(); } });
  refresh();
  return h('span.notifications', button, panel);
}
