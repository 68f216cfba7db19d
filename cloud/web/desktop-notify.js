// Optional desktop notifications (the browser's Notification API): off until the person switches them
// on in the top bar and the browser grants permission; then every notification addressed to them (the
// same ones the inbox keeps) also shows outside the page, so a minimised dashboard still gets attention.
import { t } from './i18n.js';

const KEY = 'safeloop.desktopNotify';

function supported() {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function desktopNotifyOn() {
  try {
    return supported() && Notification.permission === 'granted' && localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

function remember(on) {
  try {
    localStorage.setItem(KEY, on ? 'on' : 'off');
  } catch {
    /* private mode: lasts this page */
  }
}

/** The top-bar switch: asks the browser the first time; says so when the browser refuses. */
export function drawDesktopToggle(el, onRefused) {
  if (!el) return;
  el.hidden = !supported();
  const on = desktopNotifyOn();
  el.textContent = on ? t('desktopOn') : t('desktopOff');
  el.setAttribute('aria-pressed', on ? 'true' : 'false');
  el.onclick = async () => {
    if (desktopNotifyOn()) remember(false);
    else {
      const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
      if (answer === 'granted') remember(true);
      else onRefused?.();
    }
    drawDesktopToggle(el, onRefused);
  };
}

/** Show one notification outside the page (a no-op when switched off). Clicking it opens the alarm. */
export function desktopNotify({ title, body, tag, href }) {
  if (!desktopNotifyOn()) return;
  try {
    const n = new Notification(title, { body, tag, lang: document.documentElement.lang });
    n.onclick = () => {
      window.focus();
      if (href) location.hash = href;
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker: the inbox still has it */
  }
}
