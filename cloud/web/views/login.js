// Log-in form. On success the app routes to the map, which fits itself to the user's role.
import { login } from '../api.js';
import { h } from '../dom.js';
import { t, getLang, setLang } from '../i18n.js';

export function renderLogin(root, _params, { navigate }) {
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'btn btn-primary', id: 'login-submit' }, t('loginButton'));
  const form = h(
    'form',
    { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('appName')),
    h('h2', {}, t('loginTitle')),
    h('label', { for: 'login-username' }, t('username')),
    user,
    h('label', { for: 'login-password' }, t('password')),
    pass,
    error,
    button,
    h(
      'button',
      { type: 'button', class: 'btn btn-quiet', id: 'login-lang', onclick: () => { setLang(getLang() === 'zh' ? 'en' : 'zh'); navigate('#/login'); } },
      t('langSwitch'),
    ),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    button.disabled = true;
    try {
      await login(user.value.trim(), pass.value);
      window.dispatchEvent(new Event('safeloop-login'));
      navigate('#/map');
    } catch (err) {
      error.textContent = t('loginFailed', { msg: err instanceof Error ? err.message : String(err) });
      button.disabled = false;
      pass.focus();
    }
  });
  root.append(form);
  user.focus();
}
