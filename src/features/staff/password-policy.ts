import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 10;

// Common in Chinese-speaking places and missing from the English-centred list.
const LOCAL_COMMON = [
  'woaini1314',
  'woaini520',
  '5201314520',
  '1314520520',
  'aini1314520',
  'zhang123456',
  'wang123456',
  'li123456789',
  'qq123456789',
  'mashang123',
  'mashangfuwu',
];

let common: Set<string> | undefined;
const commonPasswords = () => (common ??= new Set([...dictionary['passwords-common'], ...LOCAL_COMMON].map((p) => p.toLowerCase())));

export type PasswordProblem = 'tooShort' | 'common' | 'username' | 'repetitive';

/** The reasons in words, for the command line and start-up checks (pages use the dictionary). */
export const PASSWORD_PROBLEMS: Record<PasswordProblem, string> = {
  tooShort: 'at least 10 characters, not only spaces',
  common: 'a common password, easily guessed',
  username: 'contains the username',
  repetitive: 'one repeated character or a straight run like 1234567890',
};

/**
 * Why a new password is refused, or undefined when it is fine: at least 10 characters that are not
 * only spaces, not one of ~49,000 common passwords (zxcvbn-ts's list plus local favourites), not the
 * username, and not a single character or a run like 1234567890.
 */
export function passwordProblem(password: string, username?: string): PasswordProblem | undefined {
  const p = password.normalize('NFKC');
  if (Array.from(p.trim()).length < MIN_PASSWORD_LENGTH) return 'tooShort';
  const lower = p.toLowerCase();
  if (username && lower.includes(username.toLowerCase())) return 'username';
  if (commonPasswords().has(lower) || commonPasswords().has(lower.replace(/\d+$/, ''))) return 'common';
  if (new Set(lower).size <= 2 || isRun(lower)) return 'repetitive';
  return undefined;
}

/** A straight run of characters, up or down: abcdefghij, 0987654321. */
function isRun(s: string): boolean {
  const steps = new Set<number>();
  for (let i = 1; i < s.length; i++) steps.add(s.charCodeAt(i) - s.charCodeAt(i - 1));
  return steps.size === 1 && [1, -1].includes([...steps][0]!);
}
