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

/**
 * Deduplication id of the debounced refit of one month's fit: while one such job waits, a new
 * mark of the month adds nothing; while it runs, one more run is kept for after it.
 */
export function fitMonthDeduplicationId(workspace: string, month: string): string {
  return `fm.${assertNoColon(workspace, 'workspace')}.${assertNoColon(month, 'month')}`;
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

/** Redis key marking a dashboard login link as used (held until the link would have expired). */
export function dashboardLinkUsedKey(prefix: string, nonce: string): string {
  return `${prefix}:dashboard:link-used:${nonce}`;
}

/** Redis counter of one rate limit of the dashboard (`scope`: who or where, e.g. `issue:<workspace>:<subject>`, `open:<address>`). */
export function dashboardRateKey(prefix: string, scope: string): string {
  return `${prefix}:dashboard:rate:${scope}`;
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
 * Redis key of the capped list keeping rejected payloads for inspection (redacted, bounded),
 * per source (`telegram`): payloads answered 400 because they can never be queued.
 */
export function rejectedPayloadsKey(prefix: string, source: string): string {
  return `${prefix}:rejected:${assertNoColon(source, 'source')}`;
}

/** Queue carrying outgoing webhook deliveries (one job per event and subscription). */
export function webhookQueueName(prefix: string): string {
  return `${prefix}-webhooks`;
}

/** Job id of one event's delivery to one subscription: the same event is one delivery. */
export function webhookJobId(workspace: string, subscriptionId: string, eventDigest: string): string {
  return `w.${assertNoColon(workspace, 'workspace')}.${assertNoColon(subscriptionId, 'subscription id')}.${assertNoColon(eventDigest, 'event digest')}`;
}

/** Queue carrying report jobs (report commands, digest runs) to the report worker in the telegram role. */
export function reportsQueueName(prefix: string): string {
  return `${prefix}-reports`;
}

/** Job id of the report a chat command asked for: bot id and the update's `update_id`, so a re-handled update is one report. */
export function reportCommandJobId(botId: string, updateId: number): string {
  return `rc.${telegramUpdateJobId(botId, updateId).slice('tg.'.length)}`;
}

/** Job id of one digest run: workspace, chat and run key (`2026-03-02`, `2026-W10`). */
export function digestRunJobId(workspace: string, chatId: string, runKey: string): string {
  return `rd.${assertNoColon(workspace, 'workspace')}.${assertNoColon(chatId, 'chat id')}.${assertNoColon(runKey, 'run key')}`;
}

/** Redis hash holding a report job's delivery state (who answers first, answers sent, done). */
export function reportStateKey(prefix: string, jobId: string): string {
  return `${prefix}:report:${jobId}`;
}

/** Redis key held by the one run of a report job that is delivering its answers (expires if that run dies). */
export function reportDeliveryLockKey(prefix: string, jobId: string): string {
  return `${prefix}:report-lock:${jobId}`;
}

/** Queue carrying community events (groups seen, bot rights, migrations, erasure runs) to the community worker. */
export function communityQueueName(prefix: string): string {
  return `${prefix}-community`;
}

/** Job id of a community event: its workspace and a digest of its content, so a repeated event is one job while kept. */
export function communityJobId(workspace: string, digest: string): string {
  return `c.${assertNoColon(workspace, 'workspace')}.${assertNoColon(digest, 'digest')}`;
}

/** Job scheduler id of the periodic re-run of unfinished erasures. */
export function erasureSweepSchedulerId(): string {
  return 'erasure-sweep';
}

/** Job scheduler id of the daily retention sweep (one per queue). */
export function retentionSweepSchedulerId(): string {
  return 'retention-sweep';
}

/**
 * Redis key holding a workspace's capture settings version (tracked keywords, invite links):
 * bumped after every change, read by connectors to know their cached copy is stale.
 */
export function captureVersionKey(prefix: string, workspace: string): string {
  return `${prefix}:capture:version:${assertNoColon(workspace, 'workspace')}`;
}

/** Redis pub/sub channel announcing "workspace W's capture settings changed" (the message is W). */
export function captureChangedChannel(prefix: string): string {
  return `${prefix}:capture:changed`;
}

/**
 * Redis pub/sub channel announcing that a workspace's opt-outs (`/forgetme`) changed: every
 * writer publishes the workspace id after the store write; profile workers then stop trusting
 * their cached answers for it.
 */
export function optOutChannel(prefix: string): string {
  return `${prefix}:optouts`;
}

/** Queue carrying rollup jobs (counters recomputed from raw rows) to the rollup worker. */
export function rollupQueueName(prefix: string): string {
  return `${prefix}-rollup`;
}

/**
 * Deduplication id of a workspace's rollup: while one waits, asking again adds nothing (it will
 * read every dirty unit); while one runs, one more run is kept for after it.
 */
export function rollupDeduplicationId(workspace: string): string {
  return `ru.${assertNoColon(workspace, 'workspace')}`;
}

/** Job scheduler id of a workspace's periodic rollup tick (catches marks whose job was lost). */
export function rollupSchedulerId(workspace: string): string {
  return `rollup.${assertNoColon(workspace, 'workspace')}`;
}

/** Queue of the daily alert checks (one job scheduler per workspace). */
export function alertsQueueName(prefix: string): string {
  return `${prefix}-alerts`;
}

/** Job scheduler id of a workspace's daily alert check. */
export function alertSchedulerId(workspace: string): string {
  return `alerts.${assertNoColon(workspace, 'workspace')}`;
}

/** A WhatsApp group's current invite code, as its connector read it (`src/group-links`). */
export function groupInviteKey(prefix: string, workspace: string, chatId: string): string {
  return `${prefix}:wa:invite:${workspace}:${chatId}`;
}

/** Recent clicks on a WhatsApp group's tracked group links (a sorted set by click time; `src/group-links`). */
export function groupClicksKey(prefix: string, workspace: string, chatId: string): string {
  return `${prefix}:wa:gclicks:${workspace}:${chatId}`;
}

/** The WhatsApp groups of a workspace that have tracked group links (their invite codes are kept fresh). */
export function groupLinkGroupsKey(prefix: string, workspace: string): string {
  return `${prefix}:wa:glgroups:${workspace}`;
}
