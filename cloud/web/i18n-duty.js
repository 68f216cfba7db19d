// Strings of the duty features (annunciation, overdue, who acts next, escalation, audit sentences,
// error codes), merged into the dictionary by i18n.js. Kept apart so parallel work merges cleanly.
export const DUTY_STRINGS = {
  zh: {
    unackedTitle: '{n} 条报警未确认', bannerCount: '{n} 条报警待确认',
    soundOn: '报警声音：开', soundOff: '报警声音：关', soundTurnOff: '本次登录关闭报警声音', soundTurnOn: '打开报警声音',
    soundOffNote: '报警声音已关闭（本次登录）', soundBlocked: '浏览器阻止了报警声音，点此开启',
    returnedAlarm: '报警复现：{title}',
  },
  en: {
    unackedTitle: '{n} unacknowledged', bannerCount: '{n} alarms awaiting acknowledgement',
    soundOn: 'Alarm sound: on', soundOff: 'Alarm sound: off', soundTurnOff: 'Turn the alarm sound off for this session', soundTurnOn: 'Turn the alarm sound on',
    soundOffNote: 'Alarm sound is off (this session)', soundBlocked: 'The browser blocked the alarm sound: click to allow',
    returnedAlarm: 'Alarm returned: {title}',
  },
};
