// The chat page: one session, one event stream, every conversation of the session rendered from
// the stream's events. Text from visitors and mobiles is only ever set with textContent.
import { solveCaptcha } from '/assets/pow-solve.js';

const cfg = JSON.parse(document.getElementById('chat-config').textContent);
const S = cfg.strings;
const $ = (id) => document.getElementById(id);
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (w, k) => (k in vars ? String(vars[k]) : w));
const timeOf = (iso) => new Date(iso).toLocaleTimeString(cfg.lang);

const form = $('send-form');
const nameInput = $('name');
const toInput = $('to');
const textInput = $('text');
const counter = $('counter');
const sendButton = $('send-button');
const captchaState = $('captcha-state');
const formStatus = $('form-status');
const formError = $('form-error');
const list = $('conversations');

let events; // EventSource
let captcha; // Promise<string | undefined> of the current solved challenge
let captchaReady = false;
let ended = false;
let sending = false;
/** conversationId → { el, messages: Map<messageId, li> } */
const conversations = new Map();

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch('/chat/api' + path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error, data.message);
  return data;
}

function showError(err) {
  const msg = (err && S.errors[err.code]) || S.unknownError;
  formError.textContent = msg;
  formError.hidden = false;
}

function updateCounter() {
  const n = textInput.value.length;
  counter.textContent = fill(S.counter, { n, max: cfg.maxLength });
  counter.classList.toggle('full', n >= cfg.maxLength);
}

function updateButton() {
  sendButton.disabled = ended || sending || !captchaReady;
}

function setCaptcha(state) {
  captchaState.textContent = { working: S.captchaWorking, done: S.captchaDone, failed: S.captchaFailed, off: S.captchaOff }[state];
  captchaState.parentElement.classList.toggle('done', state === 'done' || state === 'off');
  captchaReady = state === 'done' || state === 'off';
  updateButton();
}

/** Fetches and solves a new challenge in the background (proof of work with Web Crypto). */
function newCaptcha() {
  setCaptcha('working');
  captcha = api('GET', '/captcha').then(solveCaptcha);
  captcha.then(
    (v) => setCaptcha(v === undefined ? 'off' : 'done'),
    () => setCaptcha('failed'),
  );
}

function setSessionInfo(expiresAt) {
  $('session-info').textContent = ended ? '' : fill(S.sessionInfo, { time: timeOf(expiresAt) });
}

function conversationFor(m) {
  let c = conversations.get(m.conversationId);
  if (c) return c;
  const mobile = m.direction === 'out' ? m.to : m.from;
  const el = document.createElement('article');
  el.className = 'conversation';
  el.dataset.conversationId = m.conversationId;
  el.dataset.mobile = mobile;
  const h = document.createElement('h3');
  h.textContent = fill(S.conversationWith, { mobile });
  const ol = document.createElement('ol');
  ol.className = 'messages';
  el.append(h, ol);
  list.append(el);
  $('empty').hidden = true;
  c = { el, ol, messages: new Map() };
  conversations.set(m.conversationId, c);
  return c;
}

function metaItem(label, value, cls) {
  const span = document.createElement('span');
  if (cls) span.className = cls;
  span.textContent = label ? `${label}: ${value}` : value;
  return span;
}

function renderMessage(m) {
  const c = conversationFor(m);
  if (c.messages.has(m.messageId)) return setState(m.messageId, m.state);
  const li = document.createElement('li');
  li.className = `msg ${m.direction}`;
  li.dataset.messageId = m.messageId;
  li.dataset.direction = m.direction;
  li.dataset.state = m.state;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const time = document.createElement('time');
  time.dateTime = m.at;
  time.textContent = `${S.time}: ${timeOf(m.at)}`;
  // The direction is shown by colour and side; screen readers get it in words.
  meta.append(metaItem('', m.direction === 'out' ? S.out : S.in, 'direction sr-only'), metaItem(S.from, m.from, 'from'), metaItem(S.to, m.to, 'to'), time);
  if (m.direction === 'out') meta.append(metaItem(S.state, S.states[m.state] ?? m.state, 'state'));
  const p = document.createElement('p');
  p.className = 'text';
  p.textContent = m.text; // never innerHTML: a text with HTML is shown as text
  li.append(meta, p);
  c.ol.append(li);
  c.messages.set(m.messageId, li);
}

function setState(messageId, state) {
  for (const c of conversations.values()) {
    const li = c.messages.get(messageId);
    if (!li) continue;
    li.dataset.state = state;
    const el = li.querySelector('.state');
    if (el) el.textContent = `${S.state}: ${S.states[state] ?? state}`;
  }
}

function showEnded() {
  ended = true;
  events?.close();
  $('ended').hidden = false;
  setSessionInfo();
  for (const c of conversations.values()) c.el.classList.add('past');
  updateButton();
}

function openEvents() {
  events?.close();
  // No Last-Event-ID on the first connection: the server replays the session's events, so a
  // reloaded page shows its conversations again. The browser sends the id on reconnects.
  events = new EventSource('/chat/api/events');
  events.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    renderMessage(m);
    if (m.expiresAt) setSessionInfo(m.expiresAt);
  });
  events.addEventListener('status', (e) => {
    const s = JSON.parse(e.data);
    setState(s.messageId, s.state);
  });
  events.addEventListener('ended', () => showEnded());
  events.addEventListener('open', () => {
    if (formStatus.textContent === S.offline) formStatus.textContent = '';
  });
  events.addEventListener('error', () => {
    if (ended) return;
    if (events.readyState === EventSource.CLOSED) {
      // The server refused the stream (session gone): confirm and show it.
      api('GET', '/conversations').catch((err) => {
        if (err.status === 410 || err.status === 401) showEnded();
      });
    } else {
      formStatus.textContent = S.offline;
    }
  });
}

async function startSession() {
  const s = await api('POST', '/session', {});
  ended = false;
  $('ended').hidden = true;
  setSessionInfo(s.expiresAt);
  openEvents();
  newCaptcha();
  updateButton();
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (sending || ended) return;
  formError.hidden = true;
  sending = true;
  updateButton();
  formStatus.textContent = S.sending;
  let keepCaptcha = false;
  try {
    const solved = await captcha;
    await api('POST', '/messages', { name: nameInput.value, to: toInput.value, text: textInput.value, captcha: solved });
    textInput.value = '';
    updateCounter();
    formStatus.textContent = S.sent;
  } catch (err) {
    formStatus.textContent = '';
    showError(err);
    if (err.status === 410 || err.status === 401) showEnded();
    // Input errors are found before the captcha is checked: the solved one is still unused.
    keepCaptcha = err.status === 400;
  } finally {
    sending = false;
    if (!keepCaptcha && !ended) newCaptcha();
    updateButton();
  }
});

textInput.addEventListener('input', updateCounter);
$('restart').addEventListener('click', () => {
  startSession().catch(showError);
});

updateCounter();
startSession().catch(showError);
