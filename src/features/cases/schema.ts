import { z } from 'zod';
import { t } from '../../i18n/index.js';
import { CALLBACK_TIMES, parseTrackingNo, SPEAK_CATEGORIES, TRACKING_NO_PATTERN } from '../../domain/cases.js';
import { MOBILE_PATTERN, normalisePhone } from '../../domain/phone.js';
import { IDEMPOTENCY_KEY_PATTERN } from './tokens.js';

/** A text box: an empty one is told what to write (…Required), a too-short one how much more. */
const text = (min: number, max: number, key: string) =>
  z
    .string({ error: t(`cases.errors.${key}Required`) })
    .transform((s) => s.trim())
    .pipe(
      (min > 1
        ? z
            .string()
            .min(1, { error: t(`cases.errors.${key}Required`) })
            .min(min, { error: t(`cases.errors.${key}TooShort`, { min }) })
        : z.string().min(1, { error: t(`cases.errors.${key}Required`) })
      ).max(max, { error: t(`cases.errors.${key}TooLong`, { max }) }),
    );

/** An optional text box (the item or the call-back already says what the case is about). */
const optionalText = (max: number, key: string) =>
  z
    .string()
    .optional()
    .transform((s) => (s ?? '').trim())
    .pipe(z.string().max(max, { error: t(`cases.errors.${key}TooLong`, { max }) }));

const name = text(1, 20, 'name');
const phone = z
  .string({ error: t('cases.errors.phoneRequired') })
  .transform(normalisePhone)
  .pipe(
    z
      .string()
      .min(1, { error: t('cases.errors.phoneRequired') })
      .regex(MOBILE_PATTERN, { error: t('cases.errors.phoneInvalid') }),
  );
const content = text(5, 1000, 'content');
const note = optionalText(1000, 'content');
const checkbox = z
  .string()
  .optional()
  .transform((v) => v === '1' || v === 'on');
const key = z.string().regex(IDEMPOTENCY_KEY_PATTERN).optional().catch(undefined);

export const applyForm = z.object({
  item: z.string({ error: t('cases.errors.itemRequired') }).regex(/^[0-9A-Za-z]{6,40}$/, { error: t('cases.errors.itemRequired') }),
  name,
  phone,
  content: note,
  callbackTime: z.enum(CALLBACK_TIMES, { error: t('cases.errors.callbackTime') }),
  notifySms: checkbox,
  idempotencyKey: key,
});

export const helpForm = z.object({
  name,
  phone,
  content: note,
  callbackTime: z.enum(CALLBACK_TIMES, { error: t('cases.errors.callbackTime') }),
  notifySms: checkbox,
  idempotencyKey: key,
});

const ticked = (v: unknown) => v === true || v === '1' || v === 'on';

// Name and phone are checked with everything else, so every mistake shows at once (not the contact
// details only after the rest is right).
export const speakForm = z
  .object({
    category: z.enum(SPEAK_CATEGORIES, { error: t('cases.errors.category') }),
    content,
    anonymous: checkbox,
    name: z.string().optional(),
    phone: z.string().optional(),
    notifySms: checkbox,
    idempotencyKey: key,
  })
  .superRefine(
    (v, ctx) => {
      if (ticked(v.anonymous)) return;
      const n = name.safeParse(v.name ?? '');
      const p = phone.safeParse(v.phone ?? '');
      if (!n.success) ctx.addIssue({ code: 'custom', path: ['name'], message: n.error.issues[0]!.message });
      if (!p.success) ctx.addIssue({ code: 'custom', path: ['phone'], message: p.error.issues[0]!.message });
    },
    { when: () => true },
  )
  .transform((v) =>
    v.anonymous ? { ...v, name: null, phone: null, notifySms: false } : { ...v, name: name.parse(v.name ?? ''), phone: phone.parse(v.phone ?? '') },
  );

export const rateForm = z.object({
  rating: z.coerce
    .number({ error: t('cases.errors.rating') })
    .int({ error: t('cases.errors.rating') })
    .min(1, { error: t('cases.errors.rating') })
    .max(5, { error: t('cases.errors.rating') }),
  comment: z
    .string()
    .optional()
    .transform((s) => (s ?? '').trim())
    .pipe(z.string().max(500, { error: t('cases.errors.commentTooLong', { max: 500 }) }))
    .transform((s) => s || null),
});

export const reopenForm = z.object({ reason: text(5, 500, 'reason') });

export const lookupForm = z.object({
  trackingNo: z
    .string({ error: t('cases.errors.trackingNo') })
    .transform((s) => parseTrackingNo(s) ?? '')
    .pipe(z.string().regex(TRACKING_NO_PATTERN, { error: t('cases.errors.trackingNo') })),
  // The whole number, not its last 4 digits: tracking numbers are sequential, 4 digits are guessed.
  phone: z
    .string({ error: t('cases.errors.lookupPhone') })
    .transform(normalisePhone)
    .pipe(z.string().regex(MOBILE_PATTERN, { error: t('cases.errors.lookupPhone') })),
});
