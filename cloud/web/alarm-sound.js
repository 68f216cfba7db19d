// The alarm tone: a two-tone chime (880 Hz, 660 Hz, pause) generated as a WAV in the page, so the
// page needs no sound file and works offline. Played in a loop by one <audio> element.

const RATE = 16000;

function tone(samples, from, ms, hz) {
  const start = Math.round((from / 1000) * RATE);
  const n = Math.round((ms / 1000) * RATE);
  for (let i = 0; i < n; i++) {
    // A short fade in and out keeps the tone free of clicks.
    const env = Math.min(1, i / 80, (n - i) / 80);
    samples[start + i] = Math.round(12000 * env * Math.sin((2 * Math.PI * hz * i) / RATE));
  }
}

/** 16-bit mono PCM WAV bytes of one cycle of the chime (1.4 s). */
export function chimeWav() {
  const count = Math.round(1.4 * RATE);
  const samples = new Int16Array(count);
  tone(samples, 0, 260, 880);
  tone(samples, 340, 260, 660);
  const bytes = count * 2;
  const buf = new ArrayBuffer(44 + bytes);
  const v = new DataView(buf);
  const text = (at, s) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + bytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, RATE, true);
  v.setUint32(28, RATE * 2, true); // bytes per second
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  text(36, 'data');
  v.setUint32(40, bytes, true);
  samples.forEach((x, i) => v.setInt16(44 + i * 2, x, true));
  return new Uint8Array(buf);
}

/** The looping <audio> element, created once and attached to the page. */
/** @returns {HTMLAudioElement} */
export function alarmAudio() {
  let el = /** @type {HTMLAudioElement | null} */ (document.getElementById('alarm-sound'));
  if (el) return el;
  el = document.createElement('audio');
  el.id = 'alarm-sound';
  el.loop = true;
  el.preload = 'auto';
  el.src = URL.createObjectURL(new Blob([chimeWav()], { type: 'audio/wav' }));
  el.dataset.state = 'idle';
  document.body.append(el);
  return el;
}
