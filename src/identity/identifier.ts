/**
 * Person identifiers and the trust rules identity resolution follows.
 *
 * Rules (see README "Identity resolution"):
 * - Strong identifiers (`tg_id`, `wa_id`, `phone`, `email`, `external_id`) each belong to
 *   at most one profile per workspace; an event or conversion carrying two strong
 *   identifiers that belong to different profiles merges those profiles.
 * - `tg_username` is low-trust (usernames change hands): it is kept on the profile for
 *   display and last-resort matching, and never resolves or merges anything.
 * - Singular types (`tg_id`, `wa_id`): a person has one per platform. Two profiles that
 *   each hold a different value of a singular type are never merged, whatever links
 *   them (that link is a shared identifier: a family phone, a shop's test email).
 * - A profile holds at most {@link MAX_VALUES_PER_TYPE} values of any one type; a merge
 *   that would exceed it is refused for the same reason.
 * - `wa_lid` is WhatsApp's linked id (`<number>@lid`, a privacy id that says nothing of the
 *   phone), hashed. A WhatsApp person has one phone-based `wa_id` and one `wa_lid`; a profile
 *   holds both once WhatsApp Web revealed the pair (see `bots/whatsapp/wa-ids.ts`).
 * Phone numbers, emails and WhatsApp ids are stored only as keyed hashes.
 */
export const STRONG_TYPES = ['tg_id', 'wa_id', 'phone', 'email', 'external_id', 'wa_lid'] as const;
export type StrongIdentifierType = (typeof STRONG_TYPES)[number];
export type IdentifierType = StrongIdentifierType | 'tg_username';

export interface Identifier {
  type: StrongIdentifierType;
  value: string;
}

/** Types a person has only one of; profiles holding different values never merge. */
export const SINGULAR_TYPES: ReadonlySet<StrongIdentifierType> = new Set(['tg_id', 'wa_id', 'wa_lid']);

/** Most values of one identifier type a single profile may hold. */
export const MAX_VALUES_PER_TYPE = 3;

/** Stable key for maps and unique indexes. */
export function identifierKey(i: Identifier): string {
  return `${i.type}|${i.value}`;
}

export function sameIdentifier(a: Identifier, b: Identifier): boolean {
  return a.type === b.type && a.value === b.value;
}

/** Removes duplicates, keeping first occurrences, and sorts by key for determinism. */
export function uniqueIdentifiers(list: readonly Identifier[]): Identifier[] {
  const seen = new Map<string, Identifier>();
  for (const i of list) if (!seen.has(identifierKey(i))) seen.set(identifierKey(i), i);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, i]) => i);
}

/**
 * Whether two sets of identifiers may belong to one person under the rules above.
 * Returns null when they may, or the reason they may not.
 */
export function mergeConflict(a: readonly Identifier[], b: readonly Identifier[]): string | null {
  const merged = uniqueIdentifiers([...a, ...b]);
  const byType = new Map<StrongIdentifierType, number>();
  for (const i of merged) byType.set(i.type, (byType.get(i.type) ?? 0) + 1);
  for (const t of SINGULAR_TYPES) {
    const inA = a.some((i) => i.type === t);
    const inB = b.some((i) => i.type === t);
    if (inA && inB && (byType.get(t) ?? 0) > 1) return `both profiles have a different ${t}`;
  }
  for (const [t, n] of byType) {
    if (n > MAX_VALUES_PER_TYPE) return `a merged profile would hold ${n} values of ${t} (limit ${MAX_VALUES_PER_TYPE})`;
  }
  return null;
}

/**
 * The platform identity a touch's actor names: `tg_id` on Telegram; on WhatsApp `wa_id`
 * (phone-based), or `wa_lid` when the actor is known only by a linked id (its `userId` is then
 * its `lidHash`). Undefined without a user id or outside the chat platforms.
 */
export function platformIdentifier(platform: string, actor: { userId?: string | undefined; lidHash?: string | undefined }): Identifier | undefined {
  if (actor.userId === undefined) return undefined;
  if (platform === 'telegram') return { type: 'tg_id', value: actor.userId };
  if (platform !== 'whatsapp') return undefined;
  return actor.lidHash !== undefined && actor.lidHash === actor.userId ? { type: 'wa_lid', value: actor.userId } : { type: 'wa_id', value: actor.userId };
}
