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

/** Queue carrying reconcile, refit and sweep jobs to the reconcile worker. */
export function reconcileQueueName(prefix: string): string {
  return `${prefix}-reconcile`;
}

/**
 * Job id of one reconcile run of a conversion. Order ids may hold any character, so the
 * conversion id enters as a hash; `cause` (intake, a touch id, a fit id, a sweep time) makes
 * each trigger its own job, so a trigger is never swallowed by an earlier run's kept job.
 */
export function reconcileJobId(workspace: string, conversionKey: string, cause: string): string {
  return `r.${assertNoColon(workspace, 'workspace')}.${assertNoColon(conversionKey, 'conversion key')}.${assertNoColon(cause, 'cause')}`;
}

/** Job id of a refit (on demand: one per request; scheduled: one per run). */
export function refitJobId(workspace: string, cause: string): string {
  return `f.${assertNoColon(workspace, 'workspace')}.${assertNoColon(cause, 'cause')}`;
}

/** Job id of an on-demand sweep of a workspace's pending and unattributed conversions. */
export function sweepJobId(workspace: string, cause: string): string {
  return `s.${assertNoColon(workspace, 'workspace')}.${assertNoColon(cause, 'cause')}`;
}

/** Job scheduler id of a workspace's periodic refit or sweep. */
export function reconcileSchedulerId(kind: 'refit' | 'sweep', workspace: string): string {
  return `${kind}.${assertNoColon(workspace, 'workspace')}`;
}

/** Redis key of the lock serializing reconcile runs of one conversion. */
export function conversionLockKey(prefix: string, workspace: string, conversionKey: string): string {
  return `${prefix}:lock:conversion:${workspace}:${conversionKey}`;
}

/** Redis key deduping a visitor's repeated clicks on one link (holds the first click's id for an hour). */
export function clickDedupeKey(prefix: string, workspace: string, code: string, visitorHash: string): string {
  return `${prefix}:click:${workspace}:${code}:${visitorHash}`;
}

/** Queue carrying raw Telegram updates from the webhook / polling loop to the telegram role's worker. */
export function telegramUpdatesQueueName(prefix: string): string {
  return `${prefix}-telegram-updates`;
}

/** Job id (and deduplication id) of one Telegram update: bot id and `update_id`, so a redelivery is one job. */
export function telegramUpdateJobId(botId: string, updateId: number): string {
  if (!/^\d+$/.test(botId)) throw new Error(`bot id must be digits (got ${JSON.stringify(botId)})`);
  if (!Number.isSafeInteger(updateId) || updateId < 0) throw new Error(`update_id must be a whole number ≥ 0 (got ${String(updateId)})`);
  return `tg.${botId}.${updateId}`;
}

/**
 * Redis key of the lease that makes one connector process the owner of a WhatsApp account
 * (one driver per WhatsApp Web session across processes; see `bots/whatsapp/account-lease.ts`).
 */
export function whatsappAccountLeaseKey(prefix: string, accountId: string): string {
  return `${prefix}:lease:whatsapp:${assertNoColon(accountId, 'account id')}`;
}

/**
 * Redis pub/sub channel announcing that a workspace's opt-outs (`/forgetme`) changed: every
 * writer publishes the workspace id after the store write; profile workers then stop trusting
 * their cached answers for it.
 */
export function optOutChannel(prefix: string): string {
  return `${prefix}:optouts`;
}
