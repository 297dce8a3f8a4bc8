// The self-service login form: a plain HTML form posted by the browser. This script only solves
// the proof-of-work security check and puts the answer in the hidden `captcha` field; the button
// stays disabled until then.
import { solveCaptcha } from '/assets/pow-solve.js';

const cfg = JSON.parse(document.getElementById('self-service-config').textContent);
const S = cfg.strings;
const button = document.getElementById('login-button');
const field = document.getElementById('captcha');
const state = document.getElementById('captcha-state');

function show(s) {
  state.textContent = { working: S.captchaWorking, done: S.captchaDone, failed: S.captchaFailed, off: S.captchaOff }[s];
  state.parentElement.classList.toggle('done', s === 'done' || s === 'off');
  button.disabled = !(s === 'done' || s === 'off');
}

async function solve() {
  const res = await fetch('/self-service/captcha', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`captcha: HTTP ${res.status}`);
  return solveCaptcha(await res.json());
}

show('working');
solve().then(
  (v) => {
    if (v !== undefined) field.value = v;
    show(v === undefined ? 'off' : 'done');
  },
  () => show('failed'),
);
