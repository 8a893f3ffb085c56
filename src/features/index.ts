import type { Feature, ServicesOf } from './feature.js';
import { calendarFeature } from './calendar/index.js';
import { throttleFeature } from './throttle/index.js';
import { staffFeature } from './staff/index.js';
import { placesFeature } from './places/index.js';
import { cadresFeature } from './cadres/index.js';
import { catalogFeature } from './catalog/index.js';
import { settingsFeature } from './settings/index.js';
import { platesFeature } from './plates/index.js';
import { casesFeature } from './cases/index.js';
import { templatesFeature } from './templates/index.js';
import { transferFeature } from './transfer/index.js';
import { statsFeature } from './stats/index.js';
import { adminFeature } from './admin/index.js';
import { open311Feature } from './open311/index.js';
import { notificationsFeature } from './notifications/index.js';

/**
 * Every feature, in dependency order: a feature's service factory gets the services of those
 * before it. `createServices` builds them in this order; `createApp` mounts their routes, gathers
 * their template names and menu entries. A new feature is added here and nowhere else.
 */
export const FEATURES = [
  calendarFeature,
  throttleFeature,
  staffFeature,
  placesFeature,
  cadresFeature,
  catalogFeature,
  settingsFeature,
  platesFeature,
  casesFeature,
  templatesFeature,
  transferFeature,
  statsFeature,
  adminFeature,
  open311Feature,
  notificationsFeature,
] as const;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Everything the features add to the services, typed from the list. */
export type FeatureServices = UnionToIntersection<ServicesOf<(typeof FEATURES)[number]>>;

/** `true` when every feature needs only services of features before it; else names the first that does not. */
type InOrder<T extends readonly unknown[], Built> = T extends readonly [infer F, ...infer Rest]
  ? F extends Feature<infer S, infer D>
    ? [Built] extends [D]
      ? InOrder<Rest, Built & S>
      : { needsServicesBuiltLater: F }
    : never
  : true;
// A compile-time check of the order above: a feature listed before what it needs fails here.
const inOrder: InOrder<typeof FEATURES, object> = true;
void inOrder;
