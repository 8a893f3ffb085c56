import type { Messages } from './index.js';

/** English: a partial dictionary; anything missing falls back to zh-CN. */
export const en: Partial<Record<keyof Messages, unknown>> = {
  site: {
    name: 'Mashang',
    tagline: 'Scan for services',
    district: 'Yanzhou District',
    skip: 'Skip to content',
    home: 'Back to the plate page',
    footer: '{district} digital door plates · Mashang',
    footerHotline: 'Government service hotline 12345',
  },
  flows: {
    help: 'Help',
    helpDesc: 'Call your village cadres',
    catalog: 'Look up',
    catalogDesc: 'Service guides',
    apply: 'Apply',
    applyDesc: 'Apply online',
    speak: 'Speak',
    speakDesc: 'Feedback and complaints',
  },
};
