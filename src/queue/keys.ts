/**
 * Every queue name, job id and Redis key the product uses is built here, so their
 * shapes are in one place. BullMQ forbids `:` in custom job ids; workspace ids and
 * touch ids never contain one (see `touch-event.ts`), and the builders check.
 */

/** Queue carrying normalized touch events to the profile worker. */
export function touchQueueName(prefix: string): string {
  return `${prefix}-touches`;
}

function assertNoColon(part: string, what: string): string {
  if (part.includes(':')) throw new Error(`${what} must not contain ':' (got ${JSON.stringify(part)})`);
  return part;
}

/** Job id of a touch: the same platform event always maps to the same job. */
export function touchJobId(workspace: string, touchId: string): string {
  return `t.${assertNoColon(workspace, 'workspace')}.${assertNoColon(touchId, 'touch id')}`;
}

/** Redis key of the lock serializing writes to one profile. */
export function profileLockKey(prefix: string, workspace: string, profileId: string): string {
  return `${prefix}:lock:profile:${workspace}:${profileId}`;
}
