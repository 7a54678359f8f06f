// Choosing a WhatsApp message template: the channel's approved templates (those in the customer's language first),
// one input per parameter slot of its body, a preview of the text the customer will read.
import { get } from './api.js';
import { h, clear } from './ui.js';

const slotPattern = /\{\{\s*(\d+)\s*\}\}/g;

function bodyOf(t) {
  const body = (t.components || []).find(c => String(c.type).toUpperCase() === 'BODY');
  return (body && body.text) || '';
}

/**
 * A template picker for a channel. `language`: the customer's ("pt", "en"…), matched against template languages
 * ("pt_BR"); `variables`: the quick-reply variables ({ name, phone, email, agent_name, date }) offered for every slot,
 * the customer's name filling the first. Returns { element, value() } — value() is the API's template object or null
 * (with a message shown) when something is missing.
 */
export function templateChooser({ channelId, language, variables = {} }) {
  const select = h('select', { name: 'template', 'aria-label': 'Template' });
  const params = h('div.params');
  const preview = h('p.preview.small');
  const note = h('div.small.muted');
  const element = h('div.templatechooser', h('label', 'Template', select), params, preview, note);
  let templates = [];
  const choices = h('datalist', { id: `vars-${Math.random().toString(36).slice(2)}` },
    Object.entries(variables).filter(([, v]) => v).map(([k, v]) => h('option', { value: v, label: k })));
  element.append(choices);

  const chosen = () => templates[Number(select.value)] || null;
  function render() {
    const t = chosen();
    clear(params);
    if (!t) { preview.textContent = ''; return; }
    for (let i = 1; i <= t.bodyParameters; i++) {
      const input = h('input', { name: `param${i}`, list: choices.id, placeholder: `{{${i}}}`, 'aria-label': `Parameter ${i}`, required: true,
        value: i === 1 && variables.name ? variables.name : '', on: { input: showPreview } });
      params.append(h('label', `{{${i}}}`, input));
    }
    showPreview();
  }
  function showPreview() {
    const t = chosen();
    if (!t) return;
    const values = [...params.querySelectorAll('input')].map(i => i.value);
    preview.textContent = bodyOf(t).replace(slotPattern, (m, n) => values[Number(n) - 1] || m);
  }
  select.addEventListener('change', render);

  get(`/api/v1/channels/${channelId}/templates?status=approved`).then(list => {
    const lang = (language || '').toLowerCase();
    const mine = list.filter(t => lang && t.language.toLowerCase().split(/[_-]/)[0] === lang);
    templates = mine.length ? mine : list;
    note.textContent = !list.length
      ? 'No approved templates: an administrator syncs them from the channel settings.'
      : mine.length || !lang ? '' : `No template in the customer's language (${language}); showing all approved.`;
    clear(select, templates.map((t, i) => h('option', { value: i }, `${t.name} (${t.language})`)));
    render();
  }).catch(e => { note.textContent = e.message; });

  return {
    element,
    value() {
      const t = chosen();
      if (!t) { note.textContent = 'Choose a template.'; return null; }
      const parameters = [...params.querySelectorAll('input')].map(i => i.value.trim());
      if (parameters.some(p => !p)) { note.textContent = 'Fill in every parameter.'; return null; }
      return { name: t.name, language: t.language, parameters };
    },
  };
}
