/**
 * The alarm policy of the duty browser tests: the standard ladder for every severity (red included, so a
 * test fires its steps itself), acknowledge within 6 s and feedback within a minute, so overdue marks
 * show up while a test runs.
 */
const LADDER = [
  { target: 'technical', afterMin: 15 },
  { target: 'principal', afterMin: 30 },
  { target: 'county', afterMin: 30 },
  { target: 'city', afterMin: 60 },
  { target: 'province', afterMin: 120 },
];

export const SHORT_POLICY = { default: { ackDeadlineMin: 0.1, feedbackDeadlineMin: 1, ladders: { red: LADDER, orange: LADDER, normal: LADDER } } };
