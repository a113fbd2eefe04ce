/** Who is signed in to the triage: what every page renders for, and what sign-in yields. */
import type { Role } from './store.js';

export interface Analyst {
  user: string;
  role: Role;
}
