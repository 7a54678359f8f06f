// The supervisor dashboard: key figures against their targets, trends, the hour × weekday heatmap with golden hours
// and staffing advice, the per-agent table with flags, live queues, alerts, and this month's usage.
import { get, query } from './api.js';
import { h, clear, duration, pct, time } from './ui.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const FLAG_TEXT = {
  transfer_rate_above_15_percent: 'transfers > 15%', rating_below_4: 'rating < 4', online_below_6_5_hours: 'online < 6.5 h',
  resolution_rate_below_85_percent: 'resolution < 85%', handled_below_team_mean: 'below team mean', handled_above_team_mean: 'above team mean',
  handled_below_baseline: 'below baseline',
};

function isoDate(d) { return d.toISOString().slice(0, 10); }

export function renderDashboard(main, app) {
  const today = new Date();
  const state = { from: isoDate(new Date(today.getTime() - 29 * 86400000)), to: isoDate(today), team: '', channel: '', agent: '', label: '', language: '' };
  const charts = [];
  const body = h('div.dashboard');
  const from = h('input', { type: 'date', name: 'from', value: state.from });
  const to = h('input', { type: 'date', name: 'to', value: state.to });
  const team = h('select', { name: 'team', 'aria-label': 'Team' }, h('option', { value: '' }, 'All teams'));
  const channel = h('select', { name: 'channel', 'aria-label': 'Channel' }, h('option', { value: '' }, 'All channels'));
  const supervisor = app.me.role !== 'Analyst';
  if (supervisor) get('/api/v1/teams/').then(ts => team.append(...ts.map(t => h('option', { value: t.id }, t.name)))).catch(() => {});
  if (supervisor) get('/api/v1/channels/').then(cs => channel.append(...(cs.items || cs).map(c => h('option', { value: c.id }, c.name)))).catch(() => {});
  // The filters every report takes: team, channel, agent, label, language.
  const agent = h('select', { name: 'agent', 'aria-label': 'Agent' }, h('option', { value: '' }, 'All agents'));
  const label = h('select', { name: 'label', 'aria-label': 'Label' }, h('option', { value: '' }, 'Any label'));
  const language = h('input', { name: 'language', size: 4, placeholder: 'lang', 'aria-label': 'Language' });
  if (supervisor) get('/api/v1/users/').then(us => agent.append(...us.filter(u => u.role !== 'Analyst').map(u => h('option', { value: u.id }, u.name)))).catch(() => {});
  // The labels as the reports know them (analysts read reports, not the label settings).
  get('/api/v1/labels/usage').then(u => label.append(...u.labels.map(l => h('option', { value: l.path }, l.path)))).catch(() => {});
  const apply = () => {
    Object.assign(state, { from: from.value, to: to.value, team: team.value, channel: channel.value, agent: agent.value, label: label.value,
      language: language.value.trim() });
    load();
  };
  for (const el of [from, to, team, channel, agent, label, language]) el.addEventListener('change', apply);
  clear(main, h('div.pad', h('div.toolbar', h('h2', 'Dashboard'), h('span.spacer'), h('label', 'From ', from), h('label', 'To ', to),
    supervisor ? team : null, supervisor ? channel : null, supervisor ? agent : null, label, language,
    h('a.button', { href: '#', on: { click: e => { e.preventDefault(); download(); } } }, 'Export CSV')), body));

  function period() {
    // Dates are read in the browser's zone; the API takes instants.
    const f = new Date(`${state.from}T00:00:00`);
    const t = new Date(new Date(`${state.to}T00:00:00`).getTime() + 86400000);
    return { from: f.toISOString(), to: t.toISOString() };
  }

  function download() {
    const p = period();
    location.href = '/api/v1/reports/conversations.csv' + query(p);
  }

  async function load() {
    charts.splice(0).forEach(c => c.destroy());
    const p = period();
    const filter = { ...p, teamId: state.team, channelId: state.channel, agentId: state.agent, label: state.label, language: state.language };
    const [summary, csat, daily, heatmap, agents, alerts, usage, teams, waiting, weekly] = await Promise.all([
      get('/api/v1/reports/summary' + query(filter)),
      get('/api/v1/reports/csat' + query({ ...p, teamId: state.team })),
      get('/api/v1/reports/daily?days=14'),
      get('/api/v1/reports/heatmap'),
      get('/api/v1/reports/agents' + query({ ...p, teamId: state.team })),
      get('/api/v1/alerts?limit=20'),
      get('/api/v1/usage').catch(() => null),
      supervisor ? get('/api/v1/teams/') : Promise.resolve(null),
      supervisor ? get('/api/v1/conversations/?status=open&queued=true&limit=200') : Promise.resolve(null),
      get('/api/v1/reports/weekly').catch(() => null),
    ]);
    clear(body,
      figures(summary, csat),
      h('div.grid2', timesSection(summary), funnelSection(summary)),
      h('div.grid2', tiersSection(summary), weeklySection(weekly)),
      h('div.grid2', h('section.card', h('h3', 'Volume and first response, last 14 days'), canvas('trend-volume')),
        h('section.card', h('h3', 'Rates, last 14 days'), canvas('trend-rates'))),
      heatmapSection(heatmap),
      agentsSection(agents),
      h('div.grid2', queuesSection(teams, waiting), alertsSection(alerts)),
      usageSection(usage));
    drawTrends(daily);
    drawStaffing(heatmap);
  }

  function figure(key, label, value, target, good) {
    return h('div.figure', { 'data-figure': key, class: good === undefined ? null : good ? 'ok' : 'bad' },
      h('div.small.muted', label), h('div.value', value), h('div.small.muted', target));
  }

  function figures(s, csat) {
    const frt = s.firstResponse.median;
    const res = s.resolution.median;
    return h('section.figures',
      figure('first-response', 'First response (median)', duration(frt), 'benchmark 2.5 min · alert > 3 min', frt === null ? undefined : frt <= 180),
      figure('resolution-time', 'Resolution time (median)', duration(res), 'bot-assisted < 2 min', undefined),
      figure('reply-time', 'Reply time (mean)', duration(s.replyTime.mean), `median ${duration(s.replyTime.median)} · ${s.replyTime.count} replies`, undefined),
      figure('resolution-rate', 'Resolution rate (24 h)', pct(s.resolutionRate), 'normal 75–85% · review < 70%', s.resolutionRate === null ? undefined : s.resolutionRate >= 0.7),
      figure('abandonment', 'Abandonment', pct(s.abandonmentRate), 'normal 8–12% · act > 15%', s.abandonmentRate === null ? undefined : s.abandonmentRate <= 0.15),
      figure('csat', 'CSAT', pct(csat.csat), `target ≥ 90% · ${csat.answered} ratings`, csat.csat === null ? undefined : csat.csat >= 0.9),
      figure('bot-resolved', 'Bot-resolved share', pct(s.botResolvedShare), `${s.botHoursSaved} h saved`, undefined),
      figure('conversations', 'Conversations', String(s.conversations), `repeat ${pct(s.repeatRate)} · transfers ${pct(s.transferRate)}`, undefined));
  }

  // Each time with its mean, median and 90th percentile.
  function timesSection(s) {
    const row = (key, name, d) => h('tr', { 'data-time': key }, h('td', name), h('td', duration(d.mean)), h('td', duration(d.median)),
      h('td', duration(d.p90)), h('td', d.count));
    return h('section.card.times', h('h3', 'Times'), h('table.list', h('thead', h('tr', ['', 'Mean', 'Median', 'p90', 'Count'].map(t => h('th', t)))),
      h('tbody', row('first-response', 'First response', s.firstResponse), row('resolution', 'Resolution', s.resolution),
        row('reply', 'Reply time', s.replyTime))));
  }

  // Opened → replied → resolved → converted, each as a share of the opened; the top-5 label share and the repeat rate.
  function funnelSection(s) {
    const f = s.funnel;
    const step = (key, name, n) => h('tr', { 'data-step': key }, h('td', name), h('td', n), h('td', f.opened ? pct(n / f.opened) : '–'));
    return h('section.card.funnel', h('h3', 'Funnel'), h('table.list', h('tbody',
      step('opened', 'Opened', f.opened), step('replied', 'Replied', f.replied), step('resolved', 'Resolved', f.resolved),
      step('converted', 'Converted', f.converted))),
      h('p.small', { 'data-figure': 'top5' }, `Top-5 labels carry ${pct(s.topFiveLabelShare)} of labelled conversations`),
      h('p.small', { 'data-figure': 'repeat' }, `7-day repeat rate ${pct(s.repeatRate)}`));
  }

  // How long customers waited for the first person, and how many of each wait converted.
  function tiersSection(s) {
    return h('section.card.tiers', h('h3', 'Wait before the first reply'), h('table.list',
      h('thead', h('tr', ['Wait', 'Conversations', 'Converted', 'Conversion'].map(t => h('th', t)))),
      h('tbody', s.waitTiers.map(t => h('tr', { 'data-tier': t.tier }, h('td', t.tier), h('td', t.conversations), h('td', t.converted),
        h('td', pct(t.conversionRate)))))));
  }

  // This week against the week before (the weekly report).
  function weeklySection(w) {
    if (!w) return h('section.card', h('h3', 'Week over week'), h('p.muted', 'Not available.'));
    const fmt = (m, v) => v === null || v === undefined ? '–' : /rate|share|csat/i.test(m) ? pct(v) : /time|response|resolution/i.test(m) ? duration(v) : String(+v.toFixed(2));
    return h('section.card.weekly', h('h3', `Week of ${w.weekOf} against the week before`), h('table.list',
      h('thead', h('tr', ['', 'This week', 'Week before', 'Change'].map(t => h('th', t)))),
      h('tbody', w.metrics.map(m => h('tr', { 'data-metric': m.metric }, h('td', m.metric.replace(/_/g, ' ')), h('td', fmt(m.metric, m.current)),
        h('td', fmt(m.metric, m.previous)), h('td', m.changePercent === null ? '–' : `${m.changePercent > 0 ? '+' : ''}${m.changePercent.toFixed(1)}%`))))));
  }

  function canvas(id) { return h('div.chartbox', h('canvas', { id, height: 220 })); }

  function drawTrends(days) {
    if (!window.Chart) return;
    const labels = days.map(d => d.date.slice(5));
    charts.push(new Chart(document.getElementById('trend-volume'), {
      data: {
        labels, datasets: [
          { type: 'bar', label: 'Conversations', data: days.map(d => d.conversations), yAxisID: 'y', backgroundColor: '#9ec5fe' },
          { type: 'line', label: 'First response median (min)', data: days.map(d => d.firstResponseMedian === null ? null : +(d.firstResponseMedian / 60).toFixed(2)), yAxisID: 'y1', borderColor: '#d63384' },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } },
    }));
    const rate = key => days.map(d => d[key] === null ? null : +(d[key] * 100).toFixed(1));
    charts.push(new Chart(document.getElementById('trend-rates'), {
      type: 'line',
      data: {
        labels, datasets: [
          { label: 'Resolution rate %', data: rate('resolutionRate'), borderColor: '#198754' },
          { label: 'Abandonment %', data: rate('abandonmentRate'), borderColor: '#dc3545' },
          { label: 'CSAT %', data: rate('csat'), borderColor: '#0d6efd' },
          { label: 'Bot-resolved %', data: rate('botResolvedShare'), borderColor: '#6f42c1' },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, spanGaps: true, scales: { y: { min: 0, max: 100 } } },
    }));
  }

  function heatmapSection(m) {
    const max = Math.max(1, ...m.cells.map(c => c.conversations));
    const at = (d, hr) => (m.cells.find(c => c.dayOfWeek === d && c.hour === hr) || { conversations: 0 }).conversations;
    const table = h('table.heatmap', h('thead', h('tr', h('th', ''), [...Array(24).keys()].map(hr => h('th', { class: m.goldenHours.includes(hr) ? 'golden' : null }, hr)))),
      h('tbody', [1, 2, 3, 4, 5, 6, 0].map(d => h('tr', h('th', DAYS[d]), [...Array(24).keys()].map(hr => {
        const n = at(d, hr);
        return h('td', { title: `${DAYS[d]} ${hr}:00 — ${n}`, style: { background: n ? `rgba(13,110,253,${0.12 + 0.88 * n / max})` : '' }, 'data-count': n }, n || '');
      })))));
    const golden = m.goldenHours.map(hr => {
      const s = m.staffing.find(x => x.hour === hr);
      return h('li', `${hr}:00–${hr + 1}:00: ${s.arrivalsPerHour} conversations/h → `, h('strong', `${s.agentsNeeded} agents`));
    });
    return h('section.card', h('h3', `Volume by hour and weekday, last 7 days (${m.timeZone})`), h('div.scroll', table),
      h('div.grid2', h('div', h('h4', 'Golden hours and staffing'),
        h('p.small.muted', `Erlang C: ${Math.round(m.serviceLevel * 100)}% answered within ${m.targetSeconds} s; handling time ${duration(m.handlingSeconds)}.`),
        golden.length ? h('ul.golden', golden) : h('p.muted', 'No conversations in the last 7 days.')),
        h('div', canvas('staffing'))));
  }

  function drawStaffing(m) {
    if (!window.Chart) return;
    charts.push(new Chart(document.getElementById('staffing'), {
      type: 'bar',
      data: { labels: m.staffing.map(s => s.hour), datasets: [{ label: 'Agents needed', data: m.staffing.map(s => s.agentsNeeded), backgroundColor: '#20c997' }] },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }));
  }

  function agentsSection(r) {
    return h('section.card', h('h3', 'Agents'),
      h('p.small.muted', `Team mean ${r.teamMeanHandledPerDay} handled per day · continuity ${pct(r.continuity.rate)} (${r.continuity.sameAgent}/${r.continuity.returning} returning customers back with their agent)`),
      h('div.scroll', h('table.agents', h('thead', h('tr', ['Agent', 'Received', 'Reply speed', 'Resolution', 'Transfers', 'Rating', 'Online h/day', 'Handled/day', 'Baseline', 'Flags'].map(t => h('th', t)))),
        h('tbody', r.agents.map(a => h('tr', { 'data-agent': a.agentId },
          h('td', a.name), h('td', a.received), h('td', duration(a.replySecondsMean)), h('td', pct(a.resolutionRate)), h('td', pct(a.transferRate)),
          h('td', a.rating ?? '–'), h('td', a.onlineHoursPerDay), h('td', a.handledPerDay), h('td', a.dailyBaseline ?? '–'),
          h('td', a.flags.map(f => h('span.flag', FLAG_TEXT[f] || f)))))))));
  }

  function queuesSection(teams, waiting) {
    if (!teams) return h('section.card', h('h3', 'Queues'), h('p.muted', 'Queues are shown to supervisors.'));
    const longest = (waiting ? waiting.items : []).filter(c => c.queuedAt).sort((a, b) => new Date(a.queuedAt) - new Date(b.queuedAt)).slice(0, 5);
    return h('section.card', h('h3', 'Live queues'),
      h('ul.queues', teams.map(t => h('li', { 'data-team': t.id }, h('span', t.name), h('strong', t.waiting)))),
      h('h4', 'Longest waiting'),
      longest.length ? h('ol', longest.map(c => h('li', h('a', { href: `#/inbox/${c.id}` }, c.contact.name || c.contact.phone || c.contact.externalId),
        ` — ${duration((Date.now() - new Date(c.queuedAt)) / 1000)}`, c.vip ? h('span.badge.vip', 'VIP') : null))) : h('p.muted', 'Nobody is waiting.'));
  }

  function alertsSection(alerts) {
    return h('section.card', h('h3', 'Alerts'),
      alerts.length ? h('ul.alerts', alerts.map(a => h('li', { class: a.clearedAt ? 'cleared' : 'open', 'data-kind': a.kind },
        h('strong', a.kind.replace('_', ' ')), ' ', a.text, h('div.small.muted', `${time(a.raisedAt)}${a.clearedAt ? ` · cleared ${time(a.clearedAt)}` : ' · open'}`)))) : h('p.muted', 'No alerts.'));
  }

  function usageSection(u) {
    if (!u) return null;
    return h('section.card', h('h3', `Usage and cost, ${u.month}`),
      h('div.figures', figure('messages', 'Messages', String(u.totals.messages), `${u.totals.freeTier} in the free tier`),
        figure('cost', 'Cost so far', `${u.totals.cost} ${u.currency}`, `${u.totals.outOfWindow} out of window`),
        figure('forecast', 'Forecast for the month', `${u.forecast.cost} ${u.currency}`, u.forecast.basis)));
  }

  // Live: alerts and queue changes refresh the dashboard (at most every 2 s).
  let pending = null;
  app.onLive(e => {
    if (!['alert.raised', 'alert.cleared', 'conversation.queued', 'conversation.assigned', 'conversation.resolved', 'conversation.opened'].includes(e.type)) return;
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 2000);
  });

  load().catch(e => clear(body, h('p.error', e.message)));
  return { dispose() { charts.forEach(c => c.destroy()); clearTimeout(pending); } };
}
