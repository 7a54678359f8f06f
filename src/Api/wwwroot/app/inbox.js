// The agent inbox: the conversation list with filters and live updates, and the conversation view
// (thread, composer with quick replies, attachments and templates, notes, labels, lock, transfer/escalate,
// resolve/reopen), and starting a conversation.
import { get, post, del, query, upload } from './api.js';
import { h, clear, toast, duration, clock, time, counter, showProblem } from './ui.js';
import { templateChooser } from './templates.js';
import { customerPanel } from './customer.js';

const FILTERS = [
  ['mine', 'Mine'], ['queues', 'Team queues'], ['bot', 'With the bot'], ['hours', 'Waiting for opening'], ['open', 'All open'],
  ['resolved', 'Resolved'],
];

export function renderInbox(main, app, path) {
  const state = {
    filter: app.me.role === 'Agent' ? 'mine' : 'open', label: '', channel: '', team: '',
    items: [], selected: path[0] || null, conversation: null, labels: [], teams: [], channels: [], quickReplies: [],
    users: [],
  };
  const timers = [];
  const list = h('ul.conversations', { role: 'list' });
  const pane = h('section.conversation', h('p.muted.pad', 'Select a conversation.'));
  const filterBar = h('div.filters');
  clear(main, h('div.inbox', h('aside.list', filterBar, list), pane));
  main.classList.toggle('has-selection', !!state.selected);

  // Reference data the filters and the composer use.
  Promise.all([
    get('/api/v1/labels').catch(() => []),
    get('/api/v1/teams/').catch(() => []),
    get('/api/v1/channels/').catch(() => []),
    get('/api/v1/quick-replies/').catch(() => []),
    app.me.role === 'Agent' ? Promise.resolve([]) : get('/api/v1/users/').catch(() => []),
  ]).then(([labels, teams, channels, quickReplies, users]) => {
    state.users = users;
    state.labels = labels.items || labels;
    state.teams = teams;
    state.channels = channels.items || channels;
    state.quickReplies = quickReplies;
    renderFilters();
  });

  function renderFilters() {
    const tabs = FILTERS.filter(([key]) => key !== 'bot' || app.me.role !== 'Agent').map(([key, label]) => h('button.tab', {
      class: state.filter === key ? 'active' : null, 'data-filter': key,
      on: { click: () => { state.filter = key; renderFilters(); load(); } },
    }, label));
    const labelSelect = h('select', { 'aria-label': 'Label', on: { change: e => { state.label = e.target.value; load(); } } },
      h('option', { value: '' }, 'Any label'), state.labels.map(l => h('option', { value: l.name, selected: l.name === state.label }, l.path || l.name)));
    const teamSelect = h('select', { 'aria-label': 'Team', on: { change: e => { state.team = e.target.value; load(); } } },
      h('option', { value: '' }, 'Any team'), state.teams.map(t => h('option', { value: t.id, selected: t.id === state.team }, `${t.name} (${t.waiting})`)));
    const channelSelect = state.channels.length ? h('select', { 'aria-label': 'Channel', on: { change: e => { state.channel = e.target.value; load(); } } },
      h('option', { value: '' }, 'Any channel'), state.channels.map(c => h('option', { value: c.id, selected: c.id === state.channel }, c.name))) : null;
    const start = state.channels.some(c => c.kind === 'whatsapp')
      ? h('button.newconv', { type: 'button', 'data-action': 'new-conversation', on: { click: startConversation } }, '+ New conversation')
      : null;
    clear(filterBar, h('div.tabs', tabs), h('div.selects', labelSelect, teamSelect, channelSelect), start);
  }

  // Writing first: to a phone number, with an approved template (the only message WhatsApp allows before the customer
  // writes). Agents may when their business allows it; the API says so otherwise.
  function startConversation() {
    const whatsApp = state.channels.filter(c => c.kind === 'whatsapp');
    const channel = h('select', { name: 'channel', 'aria-label': 'Channel' }, whatsApp.map(c => h('option', { value: c.id }, c.name)));
    const phone = h('input', { name: 'phone', type: 'tel', required: true, placeholder: '+55 11 91234-5678', autocomplete: 'off' });
    const holder = h('div');
    const error = h('div.error', { hidden: true });
    let chooser;
    const choose = () => {
      chooser = templateChooser({ channelId: channel.value, variables: { agent_name: app.me.name, date: today() } });
      clear(holder, chooser.element);
    };
    channel.addEventListener('change', choose);
    choose();
    const close = () => { dialog.close(); dialog.remove(); };
    const dialog = h('dialog.modal.startconv',
      h('form', {
        method: 'dialog',
        on: {
          submit: async e => {
            e.preventDefault();
            error.hidden = true;
            const template = chooser.value();
            if (!template) return;
            try {
              const r = await post('/api/v1/conversations', { channelId: channel.value, phone: phone.value, template });
              close();
              await load();
              await select(r.conversation.id);
            } catch (err) { showProblem(error, err); }
          },
        },
      },
        h('h3', 'New conversation'),
        h('label', 'Channel', channel), h('label', 'Phone number', phone), holder, error,
        h('div.actions', h('button', { type: 'button', on: { click: close } }, 'Cancel'),
          h('button.primary', { type: 'submit', 'data-action': 'start' }, 'Start'))));
    document.body.append(dialog);
    dialog.showModal();
    phone.focus();
  }

  async function load() {
    const q = { limit: 100, label: state.label, channelId: state.channel, teamId: state.team };
    if (state.filter === 'mine') Object.assign(q, { status: 'open', assigneeId: app.me.id });
    if (state.filter === 'queues') Object.assign(q, { status: 'open', queued: true });
    if (state.filter === 'bot') Object.assign(q, { status: 'open', withBot: true });
    if (state.filter === 'hours') Object.assign(q, { status: 'open', waitingForHours: true });
    if (state.filter === 'open') q.status = 'open';
    if (state.filter === 'resolved') q.status = 'resolved';
    const page = await get('/api/v1/conversations/' + query(q));
    state.items = page.items;
    renderList();
  }

  // Waiting = in a queue with nobody assigned yet.
  function waitingSeconds(c) {
    if (c.status !== 'open' || !c.queuedAt || c.assigneeId) return null;
    return (Date.now() - new Date(c.queuedAt)) / 1000;
  }

  function renderList() {
    clear(list, state.items.length === 0 ? h('li.muted.pad', 'Nothing here.') : state.items.map(c => {
      const wait = waitingSeconds(c);
      return h('li', {
        class: c.id === state.selected ? 'selected' : null, 'data-id': c.id, tabindex: 0,
        on: { click: () => select(c.id), keydown: e => { if (e.key === 'Enter') select(c.id); } },
      },
        h('div.row', h('strong', c.contact.name || c.contact.phone || c.contact.externalId),
          c.vip ? h('span.badge.vip', 'VIP') : null,
          c.unreadCount > 0 ? h('span.badge.unread', { title: 'Unread' }, c.unreadCount) : null),
        h('div.row.small',
          h('span', time(c.lastMessageAt)),
          wait !== null ? h('span.wait', { title: 'Waiting' }, `waiting ${duration(wait)}`) : null,
          windowBadge(c),
          c.lock ? h('span.badge.lock', { title: `Locked by ${c.lock.holderName}` }, 'locked') : null,
          c.labels.map(l => h('span.chip', l))));
    }));
  }

  function windowBadge(c) {
    if (c.status !== 'open') return h('span.badge.muted', c.status);
    if (!c.windowOpen) return h('span.badge.closed', 'window closed');
    const left = (new Date(c.windowClosesAt) - Date.now()) / 1000;
    return h('span.badge.window', { title: 'Customer-service window' }, `${duration(left)} left`);
  }

  async function select(id) {
    state.selected = id;
    history.replaceState(null, '', `#/inbox/${id}`);
    main.classList.add('has-selection');
    renderList();
    await openConversation(id);
  }

  // ---- the conversation view ----
  // Drafts survive live re-renders of the conversation (a teammate's action, a delivery tick) while typing.
  const view = { messages: [], notes: [], drafts: {} };

  async function openConversation(id, { quiet } = {}) {
    let c = await get(`/api/v1/conversations/${id}`);
    // Opening a conversation takes its lock when it is yours to work on and nobody else holds it.
    const lockedByOther = c.lock && c.lock.holderId !== app.me.id && new Date(c.lock.until) > Date.now();
    const mayReply = c.status === 'open' && (app.me.role !== 'Agent' || c.assigneeId === app.me.id);
    if (!quiet && !lockedByOther && mayReply && (!c.lock || c.lock.holderId !== app.me.id)) {
      try { c = await post(`/api/v1/conversations/${id}/lock`); } catch (e) { toast(e.message, 'error'); }
    }
    state.conversation = c;
    const [messages, notes] = await Promise.all([
      get(`/api/v1/conversations/${id}/messages?limit=500`), get(`/api/v1/conversations/${id}/notes?kind=all`).catch(() => []),
    ]);
    view.messages = messages.items;
    view.notes = notes.items || notes;
    renderConversation();
  }

  function renderConversation() {
    const c = state.conversation;
    if (!c) return;
    const lockedByOther = c.lock && c.lock.holderId !== app.me.id && new Date(c.lock.until) > Date.now();
    const mine = app.me.role !== 'Agent' || c.assigneeId === app.me.id;
    const readOnly = lockedByOther || !mine || c.status !== 'open';

    const lockInfo = h('span.lockinfo');
    const tickLock = () => {
      if (!c.lock) { lockInfo.textContent = readOnly ? '' : 'Unlocked'; return; }
      const left = (new Date(c.lock.until) - Date.now()) / 1000;
      lockInfo.textContent = left <= 0 ? 'Lock expired' : c.lock.holderId === app.me.id
        ? `You hold the lock · ${clock(left)}` : `Locked by ${c.lock.holderName} · ${clock(left)}`;
      lockInfo.classList.toggle('other', c.lock.holderId !== app.me.id);
    };
    tickLock();
    clearInterval(view.lockTimer);
    view.lockTimer = setInterval(tickLock, 1000);

    const header = h('div.convhead',
      h('button.back', { 'aria-label': 'Back to the list', on: { click: () => main.classList.remove('has-selection') } }, '←'),
      h('div',
        h('h2', c.contact.name || c.contact.phone || c.contact.externalId, c.vip ? h('span.badge.vip', 'VIP') : null),
        h('div.small.muted', c.contact.phone || '', ' · ', windowBadge(c), ' · ', c.status, c.assigneeId ? ` · assigned` : ' · unassigned')),
      h('span.spacer'), lockInfo, actions(c, readOnly));

    // A transfer's or escalation's comment shows in the thread, where the agent receiving the conversation reads on.
    const handovers = view.notes.filter(n => n.kind === 'handover').map(n => ({ handover: n, createdAt: n.createdAt }));
    const items = [...view.messages, ...handovers].sort((x, y) => new Date(x.createdAt) - new Date(y.createdAt));
    const thread = h('ol.thread', items.map(m => m.handover ? renderHandover(m.handover) : renderMessage(m)));
    // What is being typed survives live re-renders: kept elements keep their text, and focus and selection come back.
    const focused = pane.contains(document.activeElement) ? document.activeElement : null;
    const selection = focused && 'selectionStart' in focused ? [focused.selectionStart, focused.selectionEnd] : null;
    const customer = kept('customer', c.id, () => customerPanel(c, { channels: state.channels, users: state.users, me: app.me, open: select }));
    const side = h('aside.side', customer, notesPanel(c), labelsPanel(c));
    const typing = focused && focused.id === 'composer';
    // The composer is kept while the conversation's state for it is the same.
    const composer = kept('composer', `${c.id}|${readOnly}|${c.windowOpen}|${lockedByOther}`, () => readOnly
      ? h('div.readonly', { role: 'note' }, lockedByOther ? `Read only: ${c.lock.holderName} is working on this conversation.`
        : c.status !== 'open' ? 'This conversation is resolved.' : 'Read only: the conversation is not assigned to you.')
      : composerPanel(c));
    clear(pane, header, h('div.convbody', h('div.threadwrap', thread, composer), side));
    if (focused && focused.isConnected) {
      focused.focus();
      if (selection) focused.setSelectionRange(...selection);
    } else if (typing) document.getElementById('composer')?.focus();
    thread.scrollTop = thread.scrollHeight;
    thread.lastElementChild && thread.lastElementChild.scrollIntoView({ block: 'end' });
  }

  function actions(c, readOnly) {
    const box = h('div.actions');
    const run = async (path, body) => {
      try { state.conversation = await post(`/api/v1/conversations/${c.id}/${path}`, body); await openConversation(c.id, { quiet: true }); load(); }
      catch (e) { toast(e.message, 'error'); }
    };
    if (c.status === 'open') {
      if (c.lock && c.lock.holderId === app.me.id) box.append(h('button', { on: { click: () => run('unlock') } }, 'Release'));
      if (!c.assigneeId && c.queuedAt) box.append(h('button', { on: { click: () => run('claim') } }, 'Claim'));
      if (app.me.role !== 'Agent') box.append(h('button', { 'data-action': 'assign', on: { click: () => assignTo(c) } }, 'Assign'));
      if (!readOnly) {
        box.append(h('button', { 'data-action': 'transfer', on: { click: () => handOver(c, 'transfer') } }, 'Transfer'));
        box.append(h('button', { 'data-action': 'escalate', on: { click: () => handOver(c, 'escalate') } }, 'Escalate'));
        box.append(h('button.primary', { 'data-action': 'resolve', on: { click: () => run('resolve') } }, 'Resolve'));
      }
    } else if (app.me.role !== 'Agent') box.append(h('button', { 'data-action': 'reopen', on: { click: () => run('reopen') } }, 'Reopen'));
    return box;
  }

  // A supervisor gives the conversation to a named person, seeing each one's presence and load against capacity.
  async function assignTo(c) {
    const people = (await get('/api/v1/users/').catch(() => state.users))
      .filter(u => !u.disabled && (u.role === 'Agent' || u.role === 'Editor'))
      .sort((a, b) => (b.online - a.online) || a.name.localeCompare(b.name));
    const error = h('div.error', { hidden: true });
    const close = () => { dialog.close(); dialog.remove(); };
    const choose = async u => {
      try { await post(`/api/v1/conversations/${c.id}/assign`, { agentId: u.id }); close(); await openConversation(c.id, { quiet: true }); load(); toast(`Assigned to ${u.name}`); }
      catch (err) { showProblem(error, err); }
    };
    const dialog = h('dialog.modal.assign',
      h('h3', 'Assign to'),
      h('ul.people', people.map(u => h('li', { 'data-user': u.id },
        h('button', { type: 'button', disabled: u.id === c.assigneeId, on: { click: () => choose(u) } },
          h('strong', u.name), ' ', h('span.badge', { class: u.online ? 'window' : 'muted' }, u.presence),
          ' ', h('span.load', { title: 'Open conversations / capacity' }, `${u.openLoad}/${u.capacity}`),
          u.openLoad >= u.capacity ? h('span.small.warn', ' at capacity') : null)))),
      error,
      h('div.actions', h('button', { type: 'button', on: { click: close } }, 'Cancel')));
    document.body.append(dialog);
    dialog.showModal();
  }

  function handOver(c, kind) {
    const comment = h('textarea', { name: 'comment', rows: 3, placeholder: 'What the next person needs to know (required)', required: true });
    const team = h('select', { name: 'team' }, state.teams.map(t => h('option', { value: t.id }, t.name)));
    const error = h('div.error', { hidden: true });
    const dialog = h('dialog.modal',
      h('form', {
        method: 'dialog',
        on: {
          submit: async e => {
            e.preventDefault();
            const body = kind === 'transfer' ? { toTeamId: team.value, comment: comment.value } : { comment: comment.value };
            try { await post(`/api/v1/conversations/${c.id}/${kind}`, body); dialog.close(); dialog.remove(); await openConversation(c.id, { quiet: true }); load(); }
            catch (err) { showProblem(error, err); }
          },
        },
      },
        h('h3', kind === 'transfer' ? 'Transfer to a team' : 'Escalate to the next tier'),
        kind === 'transfer' ? h('label', 'Team', team) : null,
        h('label', 'Comment', comment), error,
        h('div.actions', h('button', { type: 'button', on: { click: () => { dialog.close(); dialog.remove(); } } }, 'Cancel'),
          h('button.primary', { type: 'submit' }, kind === 'transfer' ? 'Transfer' : 'Escalate'))));
    document.body.append(dialog);
    dialog.showModal();
    comment.focus();
  }

  function renderHandover(n) {
    return h('li.system.handover', { 'data-note': n.id },
      h('div.bubble', h('strong', `Hand-over from ${n.authorName || 'the API'}: `), n.text),
      h('div.meta', time(n.createdAt)));
  }

  function renderMessage(m) {
    const out = m.direction === 'out';
    return h('li.msg', { class: out ? 'out' : 'in', 'data-id': m.id },
      h('div.bubble', messageBody(m)),
      h('div.meta', time(m.createdAt), out ? ticks(m) : null));
  }

  function ticks(m) {
    const s = m.status || 'queued';
    const text = { queued: '…', accepted: '✓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '✗' }[s] || s;
    const reason = s === 'failed' ? (m.failureReason || (m.error && JSON.stringify(m.error)) || 'failed') : null;
    return h('span.ticks', { class: s, 'data-status': s, title: reason || s }, ` ${text}`, reason ? h('span.reason', ` ${reason}`) : null);
  }

  // A customer's attachment as the engine stored it (m.media): shown inline (images, stickers), played (audio, video)
  // or linked with its name and size (documents); while it is fetched, or when it could not be, said so.
  function attachment(m, media) {
    const a = m.media;
    if (!a) {
      const link = media.url || media.link;   // an outbound attachment sent by link
      return h('div', h('span.mediatag', `[${m.type}]`), link && m.type === 'image' ? h('img.attachment', { src: link, alt: media.caption || 'image', loading: 'lazy' }) : null,
        media.filename ? h('p.small', media.filename) : null);
    }
    if (a.status === 'pending') return h('span.mediatag.media-pending', `[${m.type}: fetching…]`);
    if (a.status === 'unavailable') return h('span.mediatag.media-unavailable', { title: a.reason || '' }, `[${m.type} unavailable]`);
    if (a.status === 'erased') return h('span.mediatag', `[${m.type} removed]`);
    const kind = (a.contentType || '').split('/')[0];
    if (m.type === 'image' || m.type === 'sticker' || kind === 'image')
      return h('a', { href: a.url, target: '_blank', rel: 'noopener' }, h('img.attachment', { src: a.url, alt: media.caption || m.type, loading: 'lazy' }));
    if (kind === 'audio') return h('audio.attachment', { src: a.url, controls: true, preload: 'metadata' });
    if (kind === 'video') return h('video.attachment', { src: a.url, controls: true, preload: 'metadata' });
    return h('a.document', { href: a.url, download: a.filename || '' }, h('span.mediatag', 'Document '), a.filename || m.type, h('span.small', ` ${size(a.size)}`));
  }

  function size(bytes) {
    if (bytes == null) return '';
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function messageBody(m) {
    const c = m.content || {};
    switch (m.type) {
      case 'text': return h('p', m.text ?? (c.text && c.text.body) ?? '');
      case 'image': case 'video': case 'document': case 'audio': case 'sticker': {
        const media = c[m.type] || c.media || {};
        const caption = media.caption || m.text;
        return h('div', attachment(m, media), caption && caption !== (m.media && m.media.filename) ? h('p', caption) : null);
      }
      case 'location': {
        const l = c.location || {};
        return h('p', h('span.mediatag', 'Location: '), l.name || '', ' ', h('a', { href: `https://www.openstreetmap.org/?mlat=${l.latitude}&mlon=${l.longitude}`, target: '_blank', rel: 'noopener' },
          `${l.latitude}, ${l.longitude}`), l.address ? h('div.small', l.address) : null);
      }
      case 'interactive': case 'button': {
        const reply = (c.interactive && (c.interactive.button_reply || c.interactive.list_reply)) || c.button || {};
        return h('p', h('span.mediatag', 'Pressed: '), reply.title || reply.text || m.text || '');
      }
      case 'buttons': return h('div', h('p', m.text || c.text || ''), h('div.btnrow', (c.buttons || []).map(b => h('span.chip', b.title))));
      case 'list': return h('div', h('p', m.text || c.text || ''), h('span.chip', (c.list && c.list.button) || 'list'));
      case 'template': return h('p', h('span.mediatag', 'Template: '), (c.template && `${c.template.name} (${c.template.language})`) || m.text || '');
      default: return h('p', m.text || `[${m.type}]`);
    }
  }

  // The element made for this key last render, if the key is the same; otherwise a new one from make().
  function kept(name, key, make) {
    const previous = pane.querySelector(`[data-kept="${name}"]`);
    if (previous && previous.dataset.keptKey === key) return previous;
    const made = make();
    Object.assign(made.dataset, { kept: name, keptKey: key });
    return made;
  }

  function notesPanel(c) {
    // A note being typed, and why it was refused, survive live re-renders too: the same textarea (and its counter) is
    // kept while the same conversation is shown, so typing that a re-render interrupts goes on into it.
    view.noteDrafts = view.noteDrafts || {};
    view.noteErrors = view.noteErrors || {};
    const text = kept('note', c.id, () => {
      const made = h('textarea', { name: 'note', rows: 2, maxlength: 600, placeholder: 'time|type|progress' });
      made.value = view.noteDrafts[c.id] || '';
      made.addEventListener('input', () => { view.noteDrafts[c.id] = made.value; delete view.noteErrors[c.id]; });
      made.counter = counter(made, 300);
      return made;
    });
    const count = text.counter;
    const error = h('div.error', { hidden: true });
    const refuse = message => { view.noteErrors[c.id] = message; error.textContent = message; error.hidden = false; };
    if (view.noteErrors[c.id]) refuse(view.noteErrors[c.id]);
    return h('section.notes', h('h3', 'Team notes'),
      h('ul', view.notes.filter(n => n.kind !== 'handover')
        .map(n => h('li', h('div', n.text), h('div.small.muted', `${n.authorName || ''} ${time(n.createdAt)}`)))),
      h('form', {
        on: {
          submit: async e => {
            e.preventDefault();
            if (text.value.length > 300) {
              refuse(`A note is at most 300 characters (${text.value.length - 300} too many).`);
              return;
            }
            try {
              await post(`/api/v1/conversations/${c.id}/notes`, { text: text.value });
              text.value = '';
              text.dispatchEvent(new Event('input'));   // the draft and the counter follow
              await openConversation(c.id, { quiet: true });
            } catch (err) { showProblem(error, err); view.noteErrors[c.id] = error.textContent; }
          },
        },
      }, text, h('div.row', count, h('button', { type: 'submit' }, 'Add note')), error));
  }

  function labelsPanel(c) {
    const current = new Set(c.labels);
    const select = h('select', { 'aria-label': 'Add label' }, h('option', { value: '' }, 'Add label…'),
      state.labels.filter(l => !l.retired && !current.has(l.path)).map(l => h('option', { value: l.id }, l.path)));
    select.addEventListener('change', async () => {
      if (!select.value) return;
      try { await post(`/api/v1/conversations/${c.id}/labels`, { labelId: select.value }); await openConversation(c.id, { quiet: true }); load(); }
      catch (e) { toast(e.message, 'error'); }
    });
    return h('section.labels', h('h3', 'Labels'),
      h('div', c.labels.map(name => {
        const label = state.labels.find(l => l.path === name);
        return h('span.chip', name, label ? h('button.link', {
          'aria-label': `Remove ${name}`,
          on: { click: async () => { await del(`/api/v1/conversations/${c.id}/labels/${label.id}`); await openConversation(c.id, { quiet: true }); load(); } },
        }, '×') : null);
      })), select);
  }

  function composerPanel(c) {
    const windowOpen = c.windowOpen;
    const text = h('textarea#composer', { name: 'text', rows: 3, placeholder: windowOpen ? 'Reply… (type / for quick replies, Ctrl+Enter to send)' : 'The window is closed: send an approved template' });
    const suggestions = h('ul.suggestions', { hidden: true });
    const error = h('div.error', { hidden: true });
    const buttons = [];
    const buttonRow = h('div.btnedit');
    const draft = view.drafts[c.id] || (view.drafts[c.id] = { text: '', chosen: null });   // chosen: { quickReply, rendered, variables }
    text.value = draft.text;

    // The window closed: an approved template in the customer's language, its parameters filled (the quick-reply
    // variables offered, the customer's name first).
    const templateHolder = h('div.templatehold');
    let chooser = null;
    if (!windowOpen) get(`/api/v1/contacts/${c.contact.id}`).catch(() => ({})).then(contact => {
      chooser = templateChooser({
        channelId: c.channelId, language: contact.language,
        variables: { name: contact.name, phone: contact.phoneE164, email: contact.email, agent_name: app.me.name, date: today() },
      });
      clear(templateHolder, chooser.element);
    });

    // A file to send: uploaded at once (checked against the channel), sent with the text as its caption.
    const fileInput = h('input', { type: 'file', name: 'attachment', hidden: true, 'aria-label': 'Attach a file' });
    const attachedRow = h('div.attached');
    const showAttached = () => {
      const a = draft.attachment;
      clear(attachedRow, a ? h('span.chip', { 'data-attachment': a.id }, `Attached: ${a.filename || a.type} · ${size(a.size)}`,
        h('button.x', { type: 'button', 'aria-label': 'Remove the attachment', on: { click: () => { draft.attachment = null; showAttached(); } } }, '×')) : null,
      a ? a.warnings.map(w => h('span.small.warn', w.replace(/^[a-z_]+: /, ''))) : null);
    };
    fileInput.addEventListener('change', async () => {
      const file = fileInput.files[0];
      fileInput.value = '';
      if (!file) return;
      error.hidden = true;
      clear(attachedRow, h('span.small.muted', `Uploading ${file.name}…`));
      try { draft.attachment = await upload(`/api/v1/conversations/${c.id}/attachments`, file); }
      catch (e) { draft.attachment = null; showProblem(error, e); }
      showAttached();
    });
    showAttached();

    text.addEventListener('input', () => {
      draft.text = text.value;
      if (draft.chosen && text.value !== draft.chosen.rendered) { draft.chosen = null; scenarioRow.hidden = true; }   // edited: sent as typed
      const m = text.value.match(/^\/(\S*)$/);
      if (!m) { suggestions.hidden = true; return; }
      const matches = state.quickReplies.filter(q => q.shortcut.toLowerCase().startsWith('/' + m[1].toLowerCase())).slice(0, 8);
      clear(suggestions, matches.map(q => h('li', { tabindex: 0, 'data-shortcut': q.shortcut, on: { click: () => pick(q) } },
        h('strong', q.shortcut), ' ', q.name)));
      suggestions.hidden = matches.length === 0;
    });

    // A quick reply in the scenario chosen (standard, express, refusal…: those it has versions for), variables filled.
    const scenarioRow = h('div.scenario', { hidden: true });
    async function pick(q, variables = {}, scenario = 'standard') {
      suggestions.hidden = true;
      try {
        const r = await post(`/api/v1/quick-replies/${q.id}/render`, { conversationId: c.id, variables, scenario });
        const missing = [...new Set((r.text.match(/\{[a-z_]+\}/g) || []))];
        if (missing.length) return askVariables(q, missing, variables, scenario);
        draft.chosen = { quickReply: q, rendered: r.text, variables, scenario };
        text.value = draft.text = r.text;
        const scenarios = [...new Set(q.versions.map(v => v.scenario))];
        const select = h('select', { name: 'scenario', 'aria-label': 'Scenario', on: { change: e => pick(q, variables, e.target.value) } },
          scenarios.map(x => h('option', { value: x, selected: x === scenario }, x)));
        clear(scenarioRow, h('span.small.muted', `${q.shortcut} · scenario `), select);
        scenarioRow.hidden = scenarios.length < 2;
        text.focus();
      } catch (e) { showProblem(error, e); }
    }

    function askVariables(q, missing, known, scenario) {
      const inputs = missing.map(v => [v.slice(1, -1), h('input', { name: v.slice(1, -1), required: true })]);
      const form = h('form.vars', {
        on: { submit: e => { e.preventDefault(); form.remove(); pick(q, { ...known, ...Object.fromEntries(inputs.map(([k, i]) => [k, i.value])) }, scenario); } },
      }, h('strong', `${q.shortcut} needs:`), inputs.map(([k, i]) => h('label', k, i)), h('button', { type: 'submit' }, 'Fill in'));
      text.before(form);
      inputs[0][1].focus();
    }

    function addButton() {
      if (buttons.length >= 3) { toast('WhatsApp allows at most 3 buttons.', 'warn'); return; }
      const input = h('input', { placeholder: `Button ${buttons.length + 1}`, maxlength: 40 });
      buttons.push(input);
      buttonRow.append(h('span.btninput', input, counter(input, 20)));
    }

    async function send() {
      error.hidden = true;
      let body;
      if (!windowOpen) {
        const template = chooser && chooser.value();
        if (!template) return;
        body = { type: 'template', template };
      } else if (draft.attachment) {
        const caption = text.value.trim();
        body = { type: draft.attachment.type, media: { attachmentId: draft.attachment.id, caption: caption && draft.attachment.type !== 'audio' ? caption : undefined } };
      } else if (draft.chosen) {
        body = { type: 'text', quickReplyId: draft.chosen.quickReply.id, variables: draft.chosen.variables, scenario: draft.chosen.scenario };
      } else if (buttons.some(b => b.value.trim())) {
        const titles = buttons.map(b => b.value.trim()).filter(Boolean);
        if (titles.some(t => t.length > 20)) { error.textContent = 'Button titles are at most 20 characters.'; error.hidden = false; return; }
        body = { type: 'buttons', text: text.value, buttons: titles.map((t, i) => ({ id: `b${i + 1}`, title: t })) };
      } else {
        if (!text.value.trim()) return;
        body = { type: 'text', text: text.value };
      }
      try {
        await post(`/api/v1/conversations/${c.id}/messages`, body);
        text.value = draft.text = ''; draft.chosen = null; draft.attachment = null; buttons.length = 0; buttonRow.replaceChildren();
        scenarioRow.hidden = true;
        showAttached();
        await openConversation(c.id, { quiet: true });
        document.getElementById('composer')?.focus();
      } catch (e) { showProblem(error, e); }
    }

    text.addEventListener('keydown', e => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); send(); }
      if (e.key === 'Escape') suggestions.hidden = true;
    });

    const left = c.windowClosesAt ? (new Date(c.windowClosesAt) - Date.now()) / 1000 : 0;
    return h('form.composer', { on: { submit: e => { e.preventDefault(); send(); } } },
      h('div.small.muted', windowOpen ? `Window open: ${duration(left)} left` : 'Window closed — only templates reach the customer.'),
      suggestions, windowOpen ? scenarioRow : null, windowOpen ? text : templateHolder,
      windowOpen ? attachedRow : null,
      buttonRow, error,
      h('div.row', windowOpen ? h('button', { type: 'button', on: { click: addButton } }, '+ Button') : null,
        windowOpen ? h('button', { type: 'button', 'data-action': 'attach', on: { click: () => fileInput.click() } }, 'Attach') : null,
        fileInput,
        h('span.spacer'), h('button.primary', { type: 'submit', 'data-action': 'send' }, 'Send')));
  }

  function today() { return new Date().toISOString().slice(0, 10); }

  // Keyboard: "/" focuses the composer, "j"/"k" move to the next/previous conversation.
  const keys = e => {
    if (e.target.matches('input, textarea, select')) return;
    if (e.key === '/') { const t = document.getElementById('composer'); if (t) { e.preventDefault(); t.focus(); t.value = '/'; t.dispatchEvent(new Event('input')); } }
    if (e.key === 'j' || e.key === 'k') {
      const i = state.items.findIndex(c => c.id === state.selected);
      const next = state.items[Math.min(state.items.length - 1, Math.max(0, i + (e.key === 'j' ? 1 : -1)))];
      if (next) select(next.id);
    }
  };
  document.addEventListener('keydown', keys);

  // Live: any change reloads the list; a change to the open conversation reloads it too.
  let pending = null;
  app.onLive(event => {
    if (event.entityType !== 'conversation') return;
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 150);
    if (state.conversation && event.entityId === state.conversation.id) openConversation(state.conversation.id, { quiet: true }).catch(() => {});
  });
  timers.push(setInterval(renderList, 30_000));

  load().then(() => { if (state.selected) openConversation(state.selected); });
  return { dispose() { timers.forEach(clearInterval); clearInterval(view.lockTimer); document.removeEventListener('keydown', keys); } };
}
