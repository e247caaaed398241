/** All guest expectations by name. */
import type { GuestExpectation, GuestName } from './expected-types';
import { legacy32 } from './legacy32.expected';
import { long4 } from './long4.expected';
import { long4smp } from './long4smp.expected';
import { long4spin } from './long4spin.expected';
import { long5 } from './long5.expected';
import { pae } from './pae.expected';

export const EXPECTED: Record<GuestName, GuestExpectation> = { legacy32, pae, long4, long4smp, long5, long4spin };
