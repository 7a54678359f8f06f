// Settings: Administrators change everything; Editors read and change what the API allows them.
import { get, post, put, patch, del, query } from './api.js';
import { h, clear, toast, counter, showProblem, confirmDialog } from './ui.js';

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export function renderSettings(main, app) {
  const admin = app.me.role === 'Administrator';
  const sections = [
    ['auto-replies', 'Auto-replies', autoReplies],
    ['bot-flows', 'Bot flows', botFlows],
    ['hours', 'Business hours', businessHours],
    ['routing', 'Keyword routing', routing],
    ['teams', 'Teams', teams],
    ['users', 'Agents and users', users],
    ['labels', 'Labels', labels],
    ['quick-replies', 'Quick replies', quickReplies],
    ['general', 'Locks and general', general],
    ['alerts', 'Alert rules', alertRules],
    ['webhooks', 'Webhooks', webhooks, true],
    ['api-keys', 'API keys', apiKeys, true],
    ['channels', 'Channels', channels, true],
    ['audit', 'Audit log', auditLog, true],
  ].filter(s => admin || !s[3]);
  const content = h('section.settings-body');
  const nav = h('nav.settings-nav', sections.map(([key, title]) => h('a', { href: '#', 'data-section': key, on: { click: e => { e.preventDefault(); show(key); } } }, title)));
  clear(main, h('div.settings', nav, content));

  function show(key) {
    for (const a of nav.children) a.classList.toggle('active', a.dataset.section === key);
    const [, title, render] = sections.find(s => s[0] === key);
    // Each showing renders into its own box: a slower earlier render lands in a detached one.
    const box = h('div');
    clear(content, h('h2', title), box);
    render(box).catch(e => box.append(h('p.error', e.message)));
  }
  show(sections[0][0]);

  function form(fields, submitText, onSubmit) {
    const error = h('div.error', { hidden: true });
    const f = h('form.settings-form', {
      on: {
        submit: async e => {
          e.preventDefault();
          error.hidden = true;
          try { await onSubmit(); } catch (err) { showProblem(error, err); }
        },
      },
    }, fields, error, h('button.primary', { type: 'submit' }, submitText));
    f.error = error;
    return f;
  }

  function table(columns, rows) {
    return h('div.scroll', h('table.list', h('thead', h('tr', columns.map(c => h('th', c[0])))),
      h('tbody', rows.length ? rows.map(r => h('tr', columns.map(c => h('td', c[1](r))))) : h('tr', h('td', { colspan: columns.length }, 'None yet.')))));
  }

  const csv = s => s.split(',').map(x => x.trim()).filter(Boolean);

  async function autoReplies(el) {
    const rules = await get('/api/v1/auto-replies/');
    const holder = h('div.autoreplyform');
    const edit = r => { clear(holder, autoReplyForm(r)); holder.querySelector('input[name=name]').focus(); };
    const list = table([['Name', r => r.name], ['Trigger', r => r.trigger], ['Keywords', r => r.keywords.join(', ')],
      ['Replies', r => r.variants.map(v => h('div.small', v))], ['Buttons', r => r.buttons.map(b => b.title).join(', ')],
      ['Hours', r => r.activeFrom || r.activeTo ? `${(r.activeFrom || '00:00').slice(0, 5)}–${(r.activeTo || '24:00').slice(0, 5)}` : 'always'],
      ['Enabled', r => h('input', {
        type: 'checkbox', checked: r.enabled, 'aria-label': `Enabled ${r.name}`,
        on: { change: async e => { await patch(`/api/v1/auto-replies/${r.id}`, { enabled: e.target.checked }); toast('Saved'); } },
      })],
      ['', r => [h('button.link', { type: 'button', 'data-action': 'edit', 'data-rule': r.id, on: { click: () => edit(r) } }, 'Edit'),
        admin ? h('button.link.danger', { type: 'button', 'data-action': 'delete', 'data-rule': r.id, on: { click: async () => {
          if (!await confirmDialog(`Delete the auto-reply ${r.name}? Customers get no more answers from it.`)) return;
          try { await del(`/api/v1/auto-replies/${r.id}`); toast(`Deleted ${r.name}`); show('auto-replies'); } catch (e) { toast(e.message, 'error'); }
        } } }, 'Delete') : null]]], rules);
    el.append(list, holder);
    if (admin) holder.append(autoReplyForm(null));
  }

  /** The form for a new auto-reply, or for editing one's content: name, trigger, keywords, the hours it answers in,
   * its reply variants and buttons, with the limits counted as you type. */
  function autoReplyForm(rule) {
    const name = h('input', { name: 'name', required: true, maxlength: 100, value: rule ? rule.name : '' });
    const trigger = h('select', { name: 'trigger' }, ['keyword', 'first_contact', 'offline'].map(t => h('option', { value: t, selected: rule && rule.trigger === t }, t)));
    const keywords = h('input', { name: 'keywords', placeholder: 'price, delivery time', value: rule ? rule.keywords.join(', ') : '' });
    const from = h('input', { name: 'activeFrom', type: 'time', value: rule && rule.activeFrom ? rule.activeFrom.slice(0, 5) : '' });
    const to = h('input', { name: 'activeTo', type: 'time', value: rule && rule.activeTo ? rule.activeTo.slice(0, 5) : '' });
    const variants = h('div.variants');
    const buttons = h('div.buttons');
    const addVariant = (value = '') => {
      if (variants.children.length >= 5) return toast('At most 5 reply variants.', 'warn');
      const t = h('textarea', { name: `variant${variants.children.length + 1}`, rows: 3 });
      t.value = value;
      variants.append(h('div.variant', t, h('div.small', counter(t, 256, 150), ' characters · {name} {hours} {next_open}')));
    };
    const addButton = (value = '') => {
      if (buttons.children.length >= 3) return toast('At most 3 buttons.', 'warn');
      const t = h('input', { name: `button${buttons.children.length + 1}`, placeholder: 'Button title', value });
      buttons.append(h('span.btninput', t, counter(t, 20)));
    };
    if (rule) { rule.variants.forEach(v => addVariant(v)); rule.buttons.forEach(b => addButton(b.title)); } else addVariant();
    const f = form([
      h('h3', rule ? `Edit "${rule.name}"` : 'New auto-reply'), h('label', 'Name', name), h('label', 'Trigger', trigger),
      h('label', 'Keywords (comma separated)', keywords),
      h('div.row', h('label', 'Answers from', from), h('label', 'until', to), h('span.small.muted', 'empty: at any time')),
      h('div', h('strong', 'Reply variants (one is picked at random)'), variants, h('button', { type: 'button', on: { click: () => addVariant() } }, '+ Variant')),
      h('div', h('strong', 'Buttons'), buttons, h('button', { type: 'button', on: { click: () => addButton() } }, '+ Button')),
    ], rule ? 'Save changes' : 'Create auto-reply', async () => {
      const texts = [...variants.querySelectorAll('textarea')].map(t => t.value).filter(t => t.trim());
      const titles = [...buttons.querySelectorAll('input')].map(t => t.value.trim()).filter(Boolean);
      // The limits, checked as you type and again here, before anything is sent.
      const problems = [];
      texts.forEach((t, i) => { if (t.length > 256) problems.push(`Reply ${i + 1} is ${t.length - 256} characters over the 256-character limit.`); });
      titles.forEach((t, i) => { if (t.length > 20) problems.push(`Button ${i + 1} is ${t.length - 20} characters over the 20-character limit.`); });
      if (!texts.length) problems.push('Write at least one reply.');
      if (problems.length) { clear(f.error, problems.map(p => h('div', p))); f.error.hidden = false; return; }
      const body = {
        name: name.value, trigger: trigger.value, keywords: csv(keywords.value), variants: texts,
        buttons: titles.map((t, i) => ({ id: `b${i + 1}`, title: t })), activeFrom: from.value, activeTo: to.value,   // '' clears the window
      };
      const r = rule ? await patch(`/api/v1/auto-replies/${rule.id}`, body) : await post('/api/v1/auto-replies/', { ...body, enabled: true });
      (r.warnings || []).forEach(w => toast(w, 'warn'));
      toast(rule ? 'Auto-reply saved' : 'Auto-reply created');
      show('auto-replies');
    });
    return f;
  }

  async function botFlows(el) {
    const flows = await get('/api/v1/bot-flows/');
    el.append(table([['Key', f => f.key], ['Name', f => f.name], ['Version', f => f.version], ['Entry keywords', f => (f.entryKeywords || []).join(', ')],
      ['Questions', f => Object.keys((f.definition && f.definition.nodes) || {}).length], ['Enabled', f => f.enabled ? 'yes' : 'no']], flows.items || flows));
    if (!admin) return;
    const key = h('input', { name: 'key', required: true, placeholder: 'returns' });
    const name = h('input', { name: 'name', required: true });
    const entry = h('input', { name: 'entry', placeholder: 'return, refund' });
    const nodes = h('div.flownodes');
    // A question: its text (256 characters, 150 show in a notification) and its options (titles of 20; more than 3 go out as a numbered list).
    const addNode = (id = `q${nodes.children.length + 1}`) => {
      const nodeId = h('input', { name: 'nodeId', value: id, size: 8, 'aria-label': 'Question id' });
      const text = h('textarea', { name: 'nodeText', rows: 2, placeholder: 'The question the customer sees' });
      const options = h('div.flowoptions');
      const hint = h('div.small.muted');
      const refreshHint = () => { hint.textContent = options.children.length > 3 ? 'More than 3 options: sent as a numbered list instead of buttons.' : ''; };
      const addOption = () => {
        if (options.children.length >= 9) return toast('At most 9 options per question.', 'warn');
        const title = h('input', { name: 'optionTitle', placeholder: 'Option title' });
        const action = h('select', { name: 'optionAction' }, h('option', { value: 'answer' }, 'answers'), h('option', { value: 'next' }, 'asks question'), h('option', { value: 'handOver' }, 'hands over'));
        const answer = h('textarea', { name: 'optionAnswer', rows: 1, placeholder: 'The answer' });
        const next = h('input', { name: 'optionNext', placeholder: 'question id', size: 8, hidden: true });
        const answerCount = counter(answer, 256, 150);
        action.addEventListener('change', () => {
          answer.hidden = answerCount.hidden = action.value !== 'answer';
          next.hidden = action.value !== 'next';
        });
        options.append(h('div.flowoption', h('span.btninput', title, counter(title, 20)), action, next, answer, answerCount));
        refreshHint();
      };
      addOption();
      nodes.append(h('fieldset.flownode', h('legend', 'Question ', nodeId, nodes.children.length === 0 ? ' (start)' : ''),
        text, h('div.small', counter(text, 256, 150)), options, hint, h('button', { type: 'button', on: { click: addOption } }, '+ Option')));
    };
    addNode('start');
    const f = form([h('h3', 'New flow or new version (running conversations keep their version)'), h('label', 'Key', key), h('label', 'Name', name),
      h('label', 'Entry keywords', entry), nodes, h('button', { type: 'button', on: { click: () => addNode() } }, '+ Question')], 'Save flow', async () => {
      const definition = { start: '', nodes: {} };
      const problems = [];
      [...nodes.children].forEach((n, i) => {
        const id = n.querySelector('[name=nodeId]').value.trim();
        const text = n.querySelector('[name=nodeText]').value;
        if (i === 0) definition.start = id;
        if (text.length > 256) problems.push(`Question ${id} is ${text.length - 256} characters over the 256-character limit.`);
        definition.nodes[id] = {
          text, options: [...n.querySelectorAll('.flowoption')].map((o, j) => {
            const title = o.querySelector('[name=optionTitle]').value.trim();
            const action = o.querySelector('[name=optionAction]').value;
            const answer = o.querySelector('[name=optionAnswer]').value;
            if (title.length > 20) problems.push(`Option ${j + 1} of ${id} is ${title.length - 20} characters over the 20-character limit.`);
            if (action === 'answer' && answer.length > 256) problems.push(`The answer of option ${j + 1} of ${id} is ${answer.length - 256} characters over the 256-character limit.`);
            const option = { id: String(j + 1), title };
            if (action === 'answer') option.answer = answer;
            else if (action === 'next') option.next = o.querySelector('[name=optionNext]').value.trim();
            else option.handOver = true;
            return option;
          }),
        };
      });
      if (problems.length) { clear(f.error, problems.map(p => h('div', p))); f.error.hidden = false; return; }
      await post('/api/v1/bot-flows/', { key: key.value, name: name.value, entryKeywords: csv(entry.value), definition, enabled: true });
      toast('Flow saved'); show('bot-flows');
    });
    el.append(f);
  }

  async function businessHours(el) {
    const doc = await get('/api/v1/business-hours/');
    const zone = h('input', { name: 'timeZone', value: doc.timeZone });
    const rows = DAYS.map(day => {
      const intervals = (doc.week && doc.week[day]) || [];
      const from = h('input', { type: 'time', name: `${day}-from`, value: intervals[0] ? intervals[0].from : '' });
      const to = h('input', { type: 'time', name: `${day}-to`, value: intervals[0] ? intervals[0].to : '' });
      return { day, from, to, row: h('tr', h('th', day), h('td', from), h('td', to), h('td.small.muted', intervals.length > 1 ? `+${intervals.length - 1} more interval(s) kept` : '')), rest: intervals.slice(1) };
    });
    const holidays = h('input', { name: 'holidays', value: (doc.holidays || []).join(', '), placeholder: '2026-12-25, 2027-01-01' });
    el.append(form([h('label', 'Time zone (IANA)', zone), h('table.list', h('tbody', rows.map(r => r.row))), h('label', 'Holidays', holidays)],
      'Save hours', async () => {
        const week = {};
        for (const r of rows) week[r.day] = r.from.value && r.to.value ? [{ from: r.from.value, to: r.to.value }, ...r.rest] : [];
        await put('/api/v1/business-hours/', { timeZone: zone.value, week, holidays: csv(holidays.value) });
        toast('Business hours saved');
      }));
  }

  async function routing(el) {
    const [rules, ts] = await Promise.all([get('/api/v1/routing-rules/'), get('/api/v1/teams/')]);
    const teamName = id => (ts.find(t => t.id === id) || {}).name || id;
    el.append(table([['Team', r => teamName(r.teamId)], ['Keywords', r => (r.keywords || []).join(', ')], ['Pattern', r => r.pattern || ''], ['Priority', r => r.priority],
      ['', r => admin ? h('button.link', { on: { click: async () => { await del(`/api/v1/routing-rules/${r.id}`); show('routing'); } } }, 'Delete') : '']], rules.items || rules));
    if (!admin) return;
    const team = h('select', { name: 'team' }, ts.map(t => h('option', { value: t.id }, t.name)));
    const keywords = h('input', { name: 'keywords', placeholder: 'invoice, refund' });
    const pattern = h('input', { name: 'pattern', placeholder: 'optional regular expression' });
    const priority = h('input', { name: 'priority', type: 'number', value: 0 });
    el.append(form([h('h3', 'New routing rule'), h('label', 'Team', team), h('label', 'Keywords', keywords), h('label', 'Pattern', pattern), h('label', 'Priority', priority)],
      'Add rule', async () => {
        await post('/api/v1/routing-rules/', { teamId: team.value, keywords: csv(keywords.value), pattern: pattern.value || null, priority: Number(priority.value) });
        toast('Rule added'); show('routing');
      }));
  }

  async function teams(el) {
    const [ts, us] = await Promise.all([get('/api/v1/teams/'), get('/api/v1/users/')]);
    const userName = id => (us.find(u => u.id === id) || {}).name || id;
    const editor = h('div.teamedit');
    // A team's routing: its strategy, the skills its conversations need, language matching, its members.
    const edit = t => {
      const strategy = h('select', { name: 'strategy' }, ['round_robin', 'least_open', 'round_robin_online', 'manual'].map(x => h('option', { value: x, selected: x === t.strategy }, x)));
      const skills = h('input', { name: 'requiredSkills', value: t.requiredSkills.join(', '), placeholder: 'refunds, thai' });
      const match = h('input', { type: 'checkbox', name: 'matchLanguage', checked: t.matchLanguage });
      const members = h('select', { name: 'members', multiple: true, size: 6 }, us.filter(u => u.role !== 'Analyst')
        .map(u => h('option', { value: u.id, selected: t.members.includes(u.id) }, u.name)));
      clear(editor, form([h('h3', `Edit ${t.name}`), h('label', 'Strategy', strategy), h('label', 'Required skills (comma separated)', skills),
        h('label.inline', match, ' Match the customer\'s language'), h('label', 'Members', members)], 'Save team', async () => {
        await patch(`/api/v1/teams/${t.id}`, { strategy: strategy.value, requiredSkills: csv(skills.value), matchLanguage: match.checked,
          members: [...members.selectedOptions].map(o => o.value) });
        toast('Team saved'); show('teams');
      }));
    };
    el.append(table([['Team', t => t.name], ['Strategy', t => t.strategy], ['Required skills', t => t.requiredSkills.join(', ')],
      ['Language', t => t.matchLanguage ? 'matched' : ''], ['Members', t => t.members.map(userName).join(', ')], ['Waiting', t => t.waiting],
      ['Default', t => t.isDefault ? 'yes' : ''],
      ['', t => admin ? h('button.link', { type: 'button', 'data-action': 'edit-team', 'data-team': t.id, on: { click: () => edit(t) } }, 'Edit') : '']], ts), editor);
    if (!admin) return;
    const name = h('input', { name: 'name', required: true });
    const strategy = h('select', { name: 'strategy' }, ['round_robin', 'least_open', 'round_robin_online', 'manual'].map(s => h('option', { value: s }, s)));
    const members = h('select', { name: 'members', multiple: true, size: 6 }, us.filter(u => u.role !== 'Analyst').map(u => h('option', { value: u.id }, u.name)));
    const isDefault = h('input', { type: 'checkbox', name: 'isDefault' });
    el.append(form([h('h3', 'New team'), h('label', 'Name', name), h('label', 'Strategy', strategy), h('label', 'Members', members), h('label.inline', isDefault, ' Default team')],
      'Create team', async () => {
        await post('/api/v1/teams/', { name: name.value, strategy: strategy.value, members: [...members.selectedOptions].map(o => o.value), isDefault: isDefault.checked });
        toast('Team created'); show('teams');
      }));
  }

  async function users(el) {
    const us = await get('/api/v1/users/');
    const editor = h('div.useredit');
    // An agent's profile for routing: skills, languages, tier, capacity, daily baseline.
    const edit = u => {
      const skills = h('input', { name: 'skills', value: u.skills.join(', ') });
      const languages = h('input', { name: 'languages', value: u.languages.join(', '), placeholder: 'en, th' });
      const tier = h('select', { name: 'tier' }, ['frontline', 'senior', 'supervisor'].map(x => h('option', { value: x, selected: x === u.tier }, x)));
      const capacity = h('input', { name: 'capacity', type: 'number', min: 1, max: 100, value: u.capacity });
      const baseline = h('input', { name: 'dailyBaseline', type: 'number', min: 1, value: u.dailyBaseline ?? '' });
      clear(editor, form([h('h3', `Edit ${u.name}`), h('label', 'Skills (comma separated)', skills), h('label', 'Languages', languages),
        h('label', 'Tier', tier), h('label', 'Capacity', capacity), h('label', 'Daily baseline', baseline)], 'Save agent', async () => {
        await patch(`/api/v1/users/${u.id}`, { skills: csv(skills.value), languages: csv(languages.value), tier: tier.value,
          capacity: Number(capacity.value), dailyBaseline: baseline.value ? Number(baseline.value) : null });
        toast('Agent saved'); show('users');
      }));
    };
    el.append(table([['Name', u => u.name], ['Email', u => u.email], ['Role', u => u.role], ['Skills', u => u.skills.join(', ')],
      ['Languages', u => u.languages.join(', ')], ['Tier', u => u.tier], ['Load', u => u.load], ['Baseline/day', u => u.dailyBaseline ?? ''],
      ['Status', u => u.disabled ? 'disabled' : u.online ? 'online' : u.presence],
      ['Capacity', u => admin ? h('input.small', {
        type: 'number', min: 1, max: 100, value: u.capacity, 'aria-label': `Capacity of ${u.name}`,
        on: { change: async e => { await patch(`/api/v1/users/${u.id}`, { capacity: Number(e.target.value) }); toast('Saved'); } },
      }) : u.capacity],
      ['', u => admin ? h('button.link', { type: 'button', 'data-action': 'edit-user', 'data-user': u.id, on: { click: () => edit(u) } }, 'Edit') : '']], us), editor);
    if (!admin) return;
    const email = h('input', { name: 'email', type: 'email', required: true });
    const name = h('input', { name: 'name', required: true });
    const role = h('select', { name: 'role' }, ['Agent', 'Editor', 'Administrator', 'Analyst'].map(r => h('option', { value: r }, r)));
    const password = h('input', { name: 'password', type: 'password', minlength: 10, required: true, autocomplete: 'new-password' });
    const tier = h('select', { name: 'tier' }, ['frontline', 'senior', 'supervisor'].map(r => h('option', { value: r }, r)));
    const capacity = h('input', { name: 'capacity', type: 'number', min: 1, max: 100, value: 5 });
    const baseline = h('input', { name: 'dailyBaseline', type: 'number', min: 1, placeholder: 'e.g. senior 120, new 60' });
    el.append(form([h('h3', 'New user'), h('label', 'Email', email), h('label', 'Name', name), h('label', 'Role', role), h('label', 'Password (10+ characters)', password),
      h('label', 'Tier', tier), h('label', 'Capacity', capacity), h('label', 'Daily baseline', baseline)], 'Create user', async () => {
      await post('/api/v1/users/', { email: email.value, name: name.value, role: role.value, password: password.value, tier: tier.value,
        capacity: Number(capacity.value), dailyBaseline: baseline.value ? Number(baseline.value) : null });
      toast('User created'); show('users');
    }));
  }

  // Every change with who made it, when (to the second) and what it was before and after; filtered by actor, action,
  // entity and period, newest first, a page at a time.
  async function auditLog(el) {
    const actor = h('input', { name: 'actorId', placeholder: 'user or key id' });
    const action = h('input', { name: 'action', placeholder: 'e.g. label.updated' });
    const entityType = h('input', { name: 'entityType', placeholder: 'e.g. label' });
    const entityId = h('input', { name: 'entityId', placeholder: 'id' });
    const from = h('input', { name: 'from', type: 'date' });
    const to = h('input', { name: 'to', type: 'date' });
    const rows = h('tbody');
    const more = h('button', { type: 'button', hidden: true }, 'Older entries');
    let cursor = null;
    const json = v => v === null || v === undefined ? '' : h('details', h('summary', 'show'), h('pre.small', JSON.stringify(v, null, 2)));
    async function load(reset) {
      if (reset) { cursor = null; rows.replaceChildren(); }
      const q = { actorId: actor.value.trim(), action: action.value.trim(), entityType: entityType.value.trim(), entityId: entityId.value.trim(),
        from: from.value ? new Date(from.value + 'T00:00:00').toISOString() : '', to: to.value ? new Date(to.value + 'T00:00:00').toISOString() : '',
        cursor, limit: 50 };
      const page = await get('/api/v1/audit' + query(q));
      if (reset && !page.items.length) rows.append(h('tr', h('td', { colspan: 6 }, 'No entries.')));
      for (const e of page.items) rows.append(h('tr', { 'data-action': e.action },
        h('td.small', new Date(e.at).toLocaleString()), h('td', e.actorName || e.actorId, h('div.small.muted', e.actorType)),
        h('td', e.action), h('td.small', `${e.entityType} ${e.entityId}`), h('td', json(e.before)), h('td', json(e.after))));
      cursor = page.nextCursor;
      more.hidden = !cursor;
    }
    more.addEventListener('click', () => load(false).catch(e => toast(e.message, 'error')));
    const filters = h('form.filters.audit', { on: { submit: e => { e.preventDefault(); load(true).catch(err => toast(err.message, 'error')); } } },
      h('label', 'Actor', actor), h('label', 'Action', action), h('label', 'Entity type', entityType), h('label', 'Entity id', entityId),
      h('label', 'From', from), h('label', 'To (exclusive)', to), h('button.primary', { type: 'submit' }, 'Filter'));
    el.append(filters, h('div.scroll', h('table.list.audit', h('thead', h('tr', ['When', 'Who', 'Action', 'What', 'Before', 'After'].map(t => h('th', t)))), rows)), more);
    await load(true);
  }

  async function labels(el) {
    const [ls, usage, rules] = await Promise.all([get('/api/v1/labels/'), get('/api/v1/labels/usage').catch(() => null),
      get('/api/v1/label-rules').catch(() => [])]);
    const all = ls.items || ls;
    const used = Object.fromEntries(((usage && usage.labels) || []).map(u => [u.labelId, u]));
    if (all.filter(l => !l.retired).length > 20) el.append(h('p.warn', `${all.length} labels: more than about 20 makes labelling slow and inconsistent.`));
    const act = async (fn, done) => { try { const r = await fn(); toast(done(r)); show('labels'); } catch (e) { toast(e.message, 'error'); } };
    const rename = l => {
      const input = h('input', { name: 'rename', value: l.name, 'aria-label': `New name for ${l.path}` });
      const row = el.querySelector(`tr[data-label="${l.id}"] td.labelactions`);
      clear(row, h('form.inline', { on: { submit: e => { e.preventDefault(); act(() => patch(`/api/v1/labels/${l.id}`, { name: input.value }), r => `Renamed to ${r.path}`); } } },
        input, h('button', { type: 'submit' }, 'Save')));
      input.focus();
    };
    const remove = async l => {
      if (!await confirmDialog(`Delete the label ${l.path}${rules.some(r => r.labelId === l.id) ? ' and its rules' : ''}? This cannot be undone.`)) return;
      act(() => del(`/api/v1/labels/${l.id}`), r => `Deleted ${r.path}${r.rules ? ` and ${r.rules} rule(s)` : ''}`);
    };
    const rows = all.map(l => ({ ...l, usage: used[l.id] }));
    el.append(h('div.scroll', h('table.list.labels',
      h('thead', h('tr', h('th', 'Label'), h('th', 'Share (last quarter)'), h('th', 'Status'), admin ? h('th', '') : null)),
      h('tbody', rows.length ? rows.map(l => h('tr', { 'data-label': l.id, class: l.retired ? 'retired' : null },
        h('td', l.path),
        h('td', l.usage ? [`${(l.usage.share * 100).toFixed(1)}% · ${l.usage.conversations}`,
          l.usage.flaggedForRetirement && !l.retired ? h('span.chip.warn', { title: 'On under 5% of conversations' }, 'rarely used') : null] : '–'),
        h('td', l.retired ? h('span.chip', 'retired') : 'in use'),
        admin ? h('td.labelactions',
          h('button.link', { type: 'button', 'data-action': 'rename', on: { click: () => rename(l) } }, 'Rename'),
          h('button.link', { type: 'button', 'data-action': l.retired ? 'restore' : 'retire',
            on: { click: () => act(() => patch(`/api/v1/labels/${l.id}`, { retired: !l.retired }), r => r.retired ? `Retired ${r.path}` : `Restored ${r.path}`) } },
            l.retired ? 'Restore' : 'Retire'),
          h('button.link.danger', { type: 'button', 'data-action': 'delete', on: { click: () => remove(l) } }, 'Delete')) : null))
        : h('tr', h('td', { colspan: 4 }, 'None yet.'))))));
    const ruleEditor = h('div.ruleedit');
    const editRule = r => {
      const keywords = h('input', { name: 'ruleKeywords', value: r.keywords.join(', ') });
      const pattern = h('input', { name: 'rulePattern', value: r.pattern || '', placeholder: 'e.g. \\b[A-Z]{2}\\d{9}[A-Z]{2}\\b' });
      clear(ruleEditor, form([h('h3', `Rule for ${r.path}`), h('label', 'Keywords (comma separated)', keywords), h('label', 'Pattern (regex)', pattern)],
        'Save rule', async () => {
          await patch(`/api/v1/label-rules/${r.id}`, { keywords: csv(keywords.value), pattern: pattern.value.trim() });
          toast('Rule saved'); show('labels');
        }));
    };
    el.append(h('h3', 'Auto-label rules'), table([['Label', r => r.path], ['Keywords', r => r.keywords.join(', ')], ['Pattern', r => r.pattern || ''],
      ['', r => r.flagged ? h('span.chip.warn', 'pattern timed out') : ''],
      ...(admin ? [['', r => [h('button.link', { type: 'button', 'data-action': 'edit-rule', 'data-rule': r.id, on: { click: () => editRule(r) } }, 'Edit'),
        h('button.link.danger', { type: 'button', 'data-action': 'delete-rule', on: { click: async () => {
          if (!await confirmDialog(`Delete the rule labelling ${r.path}?`)) return;
          act(() => del(`/api/v1/label-rules/${r.id}`), x => `Deleted the rule for ${x.path}`);
        } } }, 'Delete')]]] : [])], rules), ruleEditor);
    if (!admin) return;
    const name = h('input', { name: 'name', required: true });
    const parent = h('select', { name: 'parent' }, h('option', { value: '' }, '(main label)'), all.filter(l => !l.parentId && !l.retired).map(l => h('option', { value: l.id }, l.name)));
    el.append(form([h('h3', 'New label'), h('label', 'Name', name), h('label', 'Under', parent)], 'Add label', async () => {
      await post('/api/v1/labels/', { name: name.value, parentId: parent.value || null });
      toast('Label added'); show('labels');
    }));
  }

  async function quickReplies(el) {
    const [qs, usage] = await Promise.all([get('/api/v1/quick-replies/'), get('/api/v1/quick-replies/usage').catch(() => null)]);
    const uses = Object.fromEntries(((usage && usage.templates) || []).map(t => [t.templateId, t]));
    const remove = async q => {
      if (!await confirmDialog(`Delete the quick reply ${q.shortcut}? Its past uses stay counted for the agents.`)) return;
      try { const r = await del(`/api/v1/quick-replies/${q.id}`); toast(`Deleted ${r.shortcut} (used ${r.uses} time(s))`); show('quick-replies'); }
      catch (e) { toast(e.message, 'error'); }
    };
    el.append(table([['Shortcut', q => q.shortcut], ['Name', q => q.name], ['Versions', q => q.versions.map(v => h('div.small', `${v.scenario}${v.language ? ' · ' + v.language : ''}: ${v.text}`))],
      ['Uses (30 days)', q => uses[q.id] ? [`${uses[q.id].uses} · ${(uses[q.id].share * 100).toFixed(1)}%`, uses[q.id].flagged ? h('span.chip.warn', 'rarely used') : null] : '0'],
      ['', q => h('button.link.danger', { type: 'button', 'data-action': 'delete', 'data-quick-reply': q.id, on: { click: () => remove(q) } }, 'Delete')]], qs));
    if (usage) el.append(h('h3', 'Use by agent'), table([['Agent', a => a.name || a.agentId], ['Replies', a => a.replies],
      ['From a quick reply', a => [`${a.withTemplate} · ${(a.share * 100).toFixed(1)}%`, a.flagged ? h('span.chip.warn', 'under 60%') : null]]], usage.agents));
    const shortcut = h('input', { name: 'shortcut', required: true, placeholder: '/shipping' });
    const name = h('input', { name: 'name', required: true });
    const versions = h('div.versions');
    const addVersion = () => {
      const scenario = h('select', { name: 'scenario' }, ['standard', 'express', 'refusal'].map(s => h('option', { value: s }, s)));
      const language = h('input', { name: 'language', placeholder: 'any / en / th', size: 6 });
      const text = h('textarea', { name: 'text', rows: 2, placeholder: 'Hello {name}, your order {order_no} ships on {date}.' });
      versions.append(h('div.version', scenario, language, text));
    };
    addVersion();
    el.append(form([h('h3', 'New quick reply'), h('label', 'Shortcut', shortcut), h('label', 'Name', name), versions,
      h('button', { type: 'button', on: { click: addVersion } }, '+ Version')], 'Create quick reply', async () => {
      const vs = [...versions.children].map(v => ({ scenario: v.querySelector('select').value, language: v.querySelector('input').value || null, text: v.querySelector('textarea').value }));
      await post('/api/v1/quick-replies/', { shortcut: shortcut.value, name: name.value, versions: vs });
      toast('Quick reply created'); show('quick-replies');
    }));
  }

  async function general(el) {
    const s = await get('/api/v1/settings/');
    const name = h('input', { name: 'name', value: s.name });
    const zone = h('input', { name: 'timeZone', value: s.timeZone });
    const lock = h('input', { name: 'lockMinutes', type: 'number', min: 5, max: 15, value: s.lockMinutes });
    const idle = h('input', { name: 'idleReleaseMinutes', type: 'number', min: 1, max: 60, value: s.idleReleaseMinutes });
    const sticky = h('input', { name: 'stickyHours', type: 'number', min: 0, max: 720, value: s.stickyHours });
    const inactive = h('input', { name: 'inactiveAfterHours', type: 'number', min: 1, max: 720, value: s.inactiveAfterHours });
    const quiet = h('input', { name: 'botQuietMinutes', type: 'number', min: 5, max: 1440, value: s.botQuietMinutes });
    const f = form([h('label', 'Business name', name), h('label', 'Time zone', zone), h('label', 'Lock length (5–15 min)', lock),
      h('label', 'Idle release (min)', idle), h('label', 'Same agent for returning customers (h)', sticky),
      h('label', 'Resolve as inactive after the customer is silent (h)', inactive),
      h('label', 'The bot resolves after the customer is quiet (min)', quiet)], 'Save', async () => {
      await patch('/api/v1/settings/', { name: name.value, timeZone: zone.value, lockMinutes: Number(lock.value), idleReleaseMinutes: Number(idle.value),
        stickyHours: Number(sticky.value), inactiveAfterHours: Number(inactive.value), botQuietMinutes: Number(quiet.value) });
      toast('Settings saved');
    });
    if (!admin) f.querySelectorAll('input, button').forEach(x => { x.disabled = true; });
    el.append(f);
  }

  async function alertRules(el) {
    const rules = await get('/api/v1/alert-rules/');
    const inputs = rules.map(r => ({ r, threshold: h('input', { type: 'number', step: 'any', name: r.kind, value: r.threshold, disabled: !admin }), enabled: h('input', { type: 'checkbox', checked: r.enabled, disabled: !admin }) }));
    const f = form([h('table.list', h('tbody', inputs.map(i => h('tr', h('th', i.r.kind), h('td', i.threshold, ` ${i.r.unit}`), h('td', h('label.inline', i.enabled, ' on')), h('td.small.muted', i.r.description)))))],
      'Save rules', async () => {
        await put('/api/v1/alert-rules/', inputs.map(i => ({ kind: i.r.kind, threshold: Number(i.threshold.value), enabled: i.enabled.checked })));
        toast('Alert rules saved');
      });
    if (!admin) f.querySelector('button[type=submit]').disabled = true;
    el.append(f);
  }

  async function webhooks(el) {
    const hooks = await get('/api/v1/webhooks/');
    const detail = h('div.deliveries');
    const act = async (fn, done) => { try { toast(done(await fn())); show('webhooks'); } catch (e) { toast(e.message, 'error'); } };
    // A subscription's deliveries: replay one, or everything from a point on, in order.
    const deliveries = async w => {
      const list = await get(`/api/v1/webhooks/${w.id}/deliveries`);
      const items = (list.items || list).slice().sort((a, b) => a.eventId - b.eventId);
      const replay = async ids => {
        try { const n = await post(`/api/v1/webhooks/${w.id}/replay`, { eventIds: ids }); toast(`${n} deliver${n === 1 ? 'y' : 'ies'} queued again`); deliveries(w); }
        catch (e) { toast(e.message, 'error'); }
      };
      clear(detail, h('h3', `Deliveries to ${w.url}`), table([['Event', d => `${d.eventId} · ${d.eventType}`], ['Status', d => d.status],
        ['Attempts', d => d.attempts], ['Last error', d => d.lastError || ''], ['When', d => new Date(d.updatedAt).toLocaleString()],
        ['', d => h('button.link', { type: 'button', 'data-action': 'replay-from', 'data-event': d.eventId,
          on: { click: () => replay(items.filter(x => x.eventId >= d.eventId).map(x => x.eventId)) } }, 'Replay from here')]], items),
        h('button', { type: 'button', 'data-action': 'replay-failed', on: { click: () => replay(null) } }, 'Replay every failed delivery'));
    };
    el.append(table([['URL', w => w.url], ['Events', w => w.events.join(', ')], ['State', w => w.paused ? `paused: ${w.pauseReason || ''}` : 'active'],
      ['', w => [
        w.paused ? h('button.link', { type: 'button', 'data-action': 'resume', on: { click: () => act(() => patch(`/api/v1/webhooks/${w.id}`, { resume: true }), () => 'Resumed') } }, 'Resume') : null,
        h('button.link', { type: 'button', 'data-action': 'deliveries', on: { click: () => deliveries(w).catch(e => toast(e.message, 'error')) } }, 'Deliveries'),
        h('button.link.danger', { type: 'button', 'data-action': 'delete', on: { click: async () => {
          if (!await confirmDialog(`Delete the subscription of ${w.url}? Nothing more is delivered to it.`)) return;
          act(() => del(`/api/v1/webhooks/${w.id}`), r => `Deleted the subscription of ${r.url} (${r.pendingCancelled} pending deliveries cancelled)`);
        } } }, 'Delete')]]], hooks.items || hooks), detail);
    const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/hooks' });
    const events = ['conversation.created', 'conversation.assigned', 'conversation.resolved', 'message.received', 'message.sent', 'message.failed', 'csat.submitted', 'alert.raised', 'alert.cleared']
      .map(e => [e, h('input', { type: 'checkbox', value: e })]);
    el.append(form([h('h3', 'New webhook'), h('label', 'URL', url), h('div.checks', events.map(([e, c]) => h('label.inline', c, ` ${e}`)))], 'Subscribe', async () => {
      const r = await post('/api/v1/webhooks/', { url: url.value, events: events.filter(([, c]) => c.checked).map(([e]) => e) });
      el.append(h('p.secret', 'Signing secret (shown once): ', h('code', r.secret)));
      toast('Webhook created');
    }));
  }

  async function apiKeys(el) {
    const keys = await get('/api/v1/api-keys/');
    el.append(table([['Name', k => k.name], ['Role', k => k.role], ['Created', k => new Date(k.createdAt).toLocaleDateString()],
      ['', k => h('button.link.danger', { type: 'button', 'data-action': 'revoke', on: { click: async () => {
        if (!await confirmDialog(`Revoke the key ${k.name}? Whatever uses it is refused from then on.`, 'Revoke')) return;
        try { await del(`/api/v1/api-keys/${k.id}`); toast(`Revoked ${k.name}`); show('api-keys'); } catch (e) { toast(e.message, 'error'); }
      } } }, 'Revoke')]], keys.items || keys));
    const name = h('input', { name: 'name', required: true });
    const role = h('select', { name: 'role' }, ['Administrator', 'Editor', 'Agent', 'Analyst'].map(r => h('option', { value: r }, r)));
    el.append(form([h('h3', 'New API key'), h('label', 'Name', name), h('label', 'Role', role)], 'Create key', async () => {
      const r = await post('/api/v1/api-keys/', { name: name.value, role: role.value });
      el.append(h('p.secret', 'Key (shown once): ', h('code', r.key)));
    }));
  }

  async function channels(el) {
    const cs = await get('/api/v1/channels/');
    el.append(table([['Name', c => c.name], ['Kind', c => c.kind], ['Window (h)', c => c.responseWindowHours], ['Enabled', c => c.enabled ? 'yes' : 'no'],
      ['Webhook URL', c => h('code', `/webhooks/${c.kind}/${c.id}`)]], cs.items || cs));
    const kind = h('select', { name: 'kind' }, h('option', { value: 'whatsapp' }, 'WhatsApp'), h('option', { value: 'wechat' }, 'WeChat'));
    const name = h('input', { name: 'name', required: true });
    const fields = {
      whatsapp: ['phoneNumberId', 'displayPhoneNumber', 'appSecret', 'verifyToken', 'accessToken'],
      wechat: ['appId', 'appSecret', 'token', 'encodingAesKey'],
    };
    const inputs = h('div');
    const draw = () => clear(inputs, fields[kind.value].map(f => h('label', f, h('input', { name: f, required: f !== 'encodingAesKey' }))));
    kind.addEventListener('change', draw);
    draw();
    el.append(form([h('h3', 'New channel'), h('label', 'Kind', kind), h('label', 'Name', name), inputs], 'Add channel', async () => {
      const body = { kind: kind.value, name: name.value };
      for (const i of inputs.querySelectorAll('input')) if (i.value) body[i.name] = i.value;
      await post('/api/v1/channels/', body);
      toast('Channel added'); show('channels');
    }));
  }
}
