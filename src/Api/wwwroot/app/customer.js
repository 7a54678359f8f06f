// The customer panel beside a conversation: who they are on every channel, their language (editable), VIP and spend,
// last order, declared attributes, tags, notes (add), their other conversations (merged identities included) and their
// dedicated agent. Everything through the public API.
import { get, post, put } from './api.js';
import { h, clear, time, showProblem } from './ui.js';

const money = (amount, currency = 'USD') => {
  if (amount === null || amount === undefined) return '–';
  try { return new Intl.NumberFormat([], { style: 'currency', currency }).format(amount); } catch { return `${amount} ${currency}`; }
};

/**
 * The panel for conversation c. `context`: { channels, users, me, open(id) } — channel names, the team (when the
 * signed-in person may read it) and how to open another conversation.
 */
export function customerPanel(c, context) {
  const box = h('section.customer', { 'aria-label': 'Customer' }, h('h3', 'Customer'), h('p.small.muted', 'Loading…'));
  load().catch(e => clear(box, h('h3', 'Customer'), h('p.error', e.message)));
  return box;

  async function load() {
    const contact = await get(`/api/v1/contacts/${c.contact.id}`);
    const root = contact.mergedInto ? await get(`/api/v1/contacts/${contact.mergedInto}`).catch(() => contact) : contact;
    const others = (root.mergedIdentities || []).filter(id => id !== contact.id);
    const [identities, history, notes, attributes] = await Promise.all([
      Promise.all([root.id !== contact.id ? root : null, ...others.map(id => get(`/api/v1/contacts/${id}`).catch(() => null))]),
      get(`/api/v1/contacts/${root.id}/conversations`).catch(() => []),
      get(`/api/v1/contacts/${root.id}/notes`).catch(() => []),
      get('/api/v1/contact-attributes/').catch(() => []),
    ]);
    render(contact, root, [contact, ...identities.filter(Boolean)], history, notes, attributes);
  }

  function channelName(id) {
    const ch = context.channels.find(x => x.id === id);
    return ch ? ch.name : 'channel';
  }

  function render(contact, root, identities, history, notes, attributes) {
    const language = h('input', { name: 'language', value: contact.language || '', size: 6, 'aria-label': 'Language', placeholder: 'en' });
    const languageError = h('div.error', { hidden: true });
    const saveLanguage = async () => {
      languageError.hidden = true;
      try { await put(`/api/v1/contacts/${contact.id}/language`, { language: language.value.trim() }); language.classList.add('saved'); }
      catch (e) { showProblem(languageError, e); }
    };
    language.addEventListener('change', saveLanguage);

    const order = root.lastOrder;
    const declared = Object.fromEntries((attributes || []).map(a => [a.key, a.label || a.key]));
    const attrs = Object.entries(root.attributes || {});
    const dedicated = !root.dedicatedAgentId ? null : root.dedicatedAgentId === context.me.id ? 'You'
      : (context.users.find(u => u.id === root.dedicatedAgentId)?.name || 'an agent of the team');
    const otherConversations = history.filter(v => v.id !== c.id);

    const noteText = h('textarea', { name: 'customerNote', rows: 2, maxlength: 1000, placeholder: 'A note about this customer' });
    const noteError = h('div.error', { hidden: true });
    const noteList = h('ul.cnotes', notes.map(renderNote));
    const addNote = async e => {
      e.preventDefault();
      if (!noteText.value.trim()) return;
      noteError.hidden = true;
      try {
        const note = await post(`/api/v1/contacts/${root.id}/notes`, { text: noteText.value.trim() });
        noteList.append(renderNote(note));
        noteText.value = '';
      } catch (err) { showProblem(noteError, err); }
    };

    clear(box,
      h('h3', root.name || contact.name || contact.phone || contact.externalId,
        root.vip ? h('span.badge.vip', 'VIP') : null),
      h('dl.facts',
        identities.map(i => [h('dt', channelName(i.channelId)), h('dd', { 'data-identity': i.id }, i.phoneE164 || i.phone || i.externalId)]),
        root.email ? [h('dt', 'E-mail'), h('dd', root.email)] : null,
        h('dt', 'Language'), h('dd', language, languageError),
        h('dt', 'Spend'), h('dd.spend', money(root.lifetimeSpend, order && order.currency)),
        order ? [h('dt', 'Last order'), h('dd.lastorder', [order.id, order.amount !== undefined ? money(order.amount, order.currency) : null,
          order.at ? time(order.at) : null].filter(Boolean).join(' · '))] : null,
        attrs.map(([k, v]) => [h('dt', declared[k] || k), h('dd', { 'data-attribute': k }, String(v))]),
        dedicated ? [h('dt', 'Dedicated agent'), h('dd.dedicated', dedicated)] : null),
      (root.tags || []).length ? h('div.tags', root.tags.map(t => h('span.chip', t))) : null,
      h('h4', `Other conversations (${otherConversations.length})`),
      otherConversations.length ? h('ul.history', otherConversations.map(v => h('li',
        h('a', { href: `#/inbox/${v.id}`, on: { click: e => { e.preventDefault(); context.open(v.id); } } },
          `${channelName(v.channelId)} · ${time(v.openedAt)}`), ' ', h('span.badge.muted', v.status)))) : h('p.small.muted', 'None.'),
      h('h4', 'Customer notes'),
      h('form.cnote', { on: { submit: addNote } }, noteText, noteError, h('button', { type: 'submit' }, 'Add note')),
      noteList);
  }

  function renderNote(n) {
    return h('li', { 'data-note': n.id }, h('div', n.text), h('div.small.muted', `${n.author} · ${time(n.createdAt)}`));
  }
}
