// The web app's shell: log-in, role-aware navigation, presence and load, and the live stream.
import { api, get, post } from './api.js';
import { h, clear, toast } from './ui.js';
import { renderInbox } from './inbox.js';
import { renderDashboard } from './dashboard.js';
import { renderSettings } from './settings.js';
import { notificationCentre } from './notifications.js';

const root = document.getElementById('root');
const SIGNED_IN = 'engine.signedIn';

export const app = {
  me: null,
  listeners: new Set(),
  /** Views subscribe to live events while they are shown. */
  onLive(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  refreshMe: null,
};

// What each role may open: an Analyst sees reports only; an Agent their conversations and their teams' queues.
const views = {
  inbox: { title: 'Inbox', roles: ['Administrator', 'Editor', 'Agent'], render: renderInbox },
  dashboard: { title: 'Dashboard', roles: ['Administrator', 'Editor', 'Analyst'], render: renderDashboard },
  settings: { title: 'Settings', roles: ['Administrator', 'Editor'], render: renderSettings },
};

function allowed(view) { return app.me && views[view].roles.includes(app.me.role); }

function home() { return allowed('inbox') ? 'inbox' : 'dashboard'; }

async function start() {
  if (localStorage.getItem(SIGNED_IN) === '1') {
    try { app.me = await get('/api/v1/me/'); }
    catch { localStorage.removeItem(SIGNED_IN); }
  }
  if (!app.me) return showLogin();
  connectLive();
  window.addEventListener('hashchange', route);
  setInterval(() => post('/api/v1/me/heartbeat').catch(() => {}), 60_000);
  route();
}

function showLogin() {
  const error = h('div.error', { hidden: true });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const form = h('form.login', {
    on: {
      submit: async e => {
        e.preventDefault();
        error.hidden = true;
        try {
          await post('/api/v1/auth/login', { email: email.value, password: password.value });
          localStorage.setItem(SIGNED_IN, '1');
          location.hash = '';
          location.reload();
        } catch (err) {
          error.textContent = err.status === 401 ? 'Wrong email or password.' : err.message;
          error.hidden = false;
        }
      },
    },
  },
    h('h1', 'Sign in'),
    h('label', 'Email', email), h('label', 'Password', password), error,
    h('button.primary', { type: 'submit' }, 'Sign in'));
  clear(root, h('main.center', form));
  email.focus();
}

let current = null;

function route() {
  const name = (location.hash.replace(/^#\/?/, '').split('/')[0]) || home();
  const view = views[name] ? name : home();
  if (current && current.dispose) current.dispose();
  app.listeners.clear();
  const main = h('main#view');
  clear(root, header(view), main);
  if (!allowed(view)) {
    clear(main, h('div.pad', h('h2', 'Not available'), h('p', `Your role (${app.me.role}) cannot open the ${views[view].title.toLowerCase()}.`),
      h('a', { href: `#/${home()}` }, `Go to the ${views[home()].title.toLowerCase()}`)));
    current = null;
    return;
  }
  current = views[view].render(main, app, location.hash.split('/').slice(2)) || null;
}

function header(active) {
  const load = h('span.load', { title: 'Open conversations / capacity' });
  const presence = h('select.presence', {
    'aria-label': 'Status',
    on: {
      change: async () => {
        await post('/api/v1/me/presence', { presence: presence.value });
        await app.refreshMe();
      },
    },
  }, ['online', 'away', 'busy', 'offline'].map(p => h('option', { value: p }, p)));
  app.refreshMe = async () => {
    app.me = await get('/api/v1/me/');
    presence.value = app.me.presence;
    load.textContent = app.me.role === 'Analyst' ? '' : app.me.load;
    presence.classList.toggle('is-online', app.me.presence === 'online');
  };
  presence.value = app.me.presence;
  load.textContent = app.me.role === 'Analyst' ? '' : app.me.load;
  const nav = Object.entries(views).filter(([k]) => allowed(k))
    .map(([k, v]) => h('a', { href: `#/${k}`, class: k === active ? 'active' : null, 'data-view': k }, v.title));
  return h('header.top',
    h('strong.brand', 'Conversations'),
    h('nav', nav),
    h('span.spacer'),
    app.me.role === 'Analyst' ? null : h('span.status', presence, load),
    app.me.role === 'Administrator' || app.me.role === 'Editor' ? notificationCentre(app) : null,
    h('span.who', app.me.name, h('small', ` · ${app.me.role}`)),
    h('button.link', {
      on: {
        click: async () => {
          await post('/api/v1/auth/logout').catch(() => {});
          localStorage.removeItem(SIGNED_IN);
          location.hash = '';
          location.reload();
        },
      },
    }, 'Sign out'));
}

let stream = null;

function connectLive() {
  stream = new EventSource('/api/v1/stream');
  stream.addEventListener('open', () => document.body.classList.add('live'));
  stream.addEventListener('error', () => document.body.classList.remove('live'));
  stream.addEventListener('message', e => dispatch(JSON.parse(e.data)));
}

function dispatch(event) {
  if (event.type === 'conversation.assigned' && app.me && event.agentId === app.me.id) {
    notifyAssigned();
    app.refreshMe && app.refreshMe().catch(() => {});
  }
  if (event.type === 'alert.raised' && app.me && app.me.role !== 'Agent') {
    const vip = event.kind === 'vip_waiting';
    toast(vip ? 'A VIP customer is waiting' : 'New alert — see the dashboard', 'warn');
    if (vip) browserNotification('A VIP customer is waiting');
  }
  for (const fn of app.listeners) {
    try { fn(event); } catch (e) { console.warn(e); }
  }
}

function notifyAssigned() {
  toast('A conversation was assigned to you', 'info');
  document.body.dataset.assigned = String(Number(document.body.dataset.assigned || 0) + 1);
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.05;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
  } catch { /* sound is best effort */ }
  browserNotification('New conversation assigned');
}

// Browser notifications, asked for once (the answer is the browser's to keep), on the first click after signing in.
const ASKED = 'engine.notificationsAsked';
function askForNotifications() {
  if (!('Notification' in window) || Notification.permission !== 'default' || localStorage.getItem(ASKED)) return;
  localStorage.setItem(ASKED, '1');
  Notification.requestPermission().catch(() => {});
}
function browserNotification(text) {
  if ('Notification' in window && Notification.permission === 'granted') new Notification(text);
}
document.addEventListener('click', askForNotifications, { once: true });

start().catch(e => { console.warn(e); toast(e.message, 'error'); });
export { api };
