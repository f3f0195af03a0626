/**
 * `POST /v1/conversions`: signed conversion webhooks.
 *
 * Order of checks, so nothing is stored unless every one passes:
 * 1. body over 64 KiB → 413; not a JSON object → 400; no `workspace` string → 400;
 * 2. unknown workspace (or one without a webhook secret) → 401; missing, malformed, stale
 *    (more than 5 minutes of skew) or wrong signature → 401;
 * 3. invalid fields → 400 `{"error", "fields": [{"field", "message"}]}`, one per bad field;
 * 4. stored: new → 202 `{"status":"accepted","id"}` (with `warnings` when a customer value
 *    was left out); same id and content → 200 `{"status":"duplicate"}`; same id, other
 *    content → 409 `{"status":"conflict","fields":[…]}`; the store down → 503 (retry later).
 */
import { makePseudonymizer, type Pseudonymizer } from '../identity/pseudonymize.js';
import type { FastifyInstance } from 'fastify';
import { HttpError, bodyBytes } from '../http/http-app.js';
import type { Logger } from '../logger.js';
import type { SettingsLookup } from '../reconcile/workspace-settings.js';
import type { Store } from '../store/store.js';
import { parseConversion } from './parse-conversion.js';
import { storeConversions, type StoreConversionsDeps } from './store-conversions.js';
import { verifySignature } from './verify-signature.js';

/** Largest accepted webhook body. */
export const MAX_CONVERSION_BODY_BYTES = 64 * 1024;

export interface ConversionRoutesOptions {
  store: Store;
  settings: SettingsLookup;
  /** The deployment's hash key (`resolveHashKey`). */
  hashKey: string;
  /** Queues reconcile runs; absent: the sweep reconciles. */
  enqueue?: StoreConversionsDeps['enqueue'];
  log: Logger;
  now?: () => Date;
}

export function registerConversionRoutes(app: FastifyInstance, options: ConversionRoutesOptions): void {
  const now = options.now ?? (() => new Date());
  const hashers = new Map<string, Pseudonymizer>();
  const hasherOf = (workspace: string): Pseudonymizer => {
    let h = hashers.get(workspace);
    if (!h) {
      h = makePseudonymizer(options.hashKey, workspace);
      hashers.set(workspace, h);
    }
    return h;
  };

  app.post('/v1/conversions', { bodyLimit: MAX_CONVERSION_BODY_BYTES }, async (request, reply) => {
    const body = bodyBytes(request);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, 'body is not JSON', { error: `body is not JSON: ${(err as Error).message}` });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new HttpError(400, 'not an object', { error: 'body must be one JSON object (a conversion)' });
    }
    const workspace = (json as { workspace?: unknown }).workspace;
    if (typeof workspace !== 'string' || workspace === '') {
      throw new HttpError(400, 'no workspace', { error: 'invalid conversion', fields: [{ field: 'workspace', message: 'required: the workspace id the conversion belongs to' }] });
    }
    const settings = options.settings(workspace);
    if (!settings?.secret) {
      throw new HttpError(401, 'unknown workspace', { error: `unknown workspace '${workspace.slice(0, 64)}', or it has no webhook secret configured` });
    }
    const header = request.headers['x-midfunnel-signature'];
    const check = verifySignature(Array.isArray(header) ? header.join(',') : header, body, settings.secret, now());
    if (!check.ok) throw new HttpError(401, 'bad signature', { error: check.reason });

    const parsed = parseConversion(json, { pseudonymize: hasherOf(workspace), region: settings.defaultRegion, source: 'webhook', now: now() });
    if (!parsed.ok) throw new HttpError(400, 'invalid conversion', { error: 'invalid conversion', fields: parsed.errors });

    let outcome;
    try {
      const deps: StoreConversionsDeps = { store: options.store, log: options.log };
      if (options.enqueue) deps.enqueue = options.enqueue;
      [outcome] = await storeConversions(deps, workspace, [parsed.conversion]);
    } catch (err) {
      options.log.error({ workspace, err: err instanceof Error ? err.message : String(err) }, 'conversion not stored');
      throw new HttpError(503, 'store unavailable', { error: 'the conversion could not be stored right now; retry later' });
    }
    if (!outcome) throw new Error('no outcome for the conversion');
    const id = parsed.conversion.id;
    if (outcome.status === 'accepted') {
      options.log.info({ workspace, conversion: id, identifiers: parsed.conversion.identifiers.length }, 'conversion accepted');
      return reply.code(202).send(parsed.warnings.length > 0 ? { status: 'accepted', id, warnings: parsed.warnings } : { status: 'accepted', id });
    }
    if (outcome.status === 'duplicate') return reply.code(200).send({ status: 'duplicate', id });
    return reply.code(409).send({
      status: 'conflict',
      id,
      fields: outcome.fields,
      error: `conversion ${id} was already received with other values (${outcome.fields.join(', ')}); the first one is kept`,
    });
  });
}
