import { resolve } from 'node:path';

/** The checkout's root folder (relative paths in example configs resolve against it). */
export const REPO_ROOT = resolve(new URL('../..', import.meta.url).pathname);
