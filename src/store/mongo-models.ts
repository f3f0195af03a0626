/**
 * Mongoose schemas and models of the MongoDB store, and the indexes that back every
 * unique key and every query of `mongo-store.ts`.
 *
 * The fields that are indexed or queried are typed; the parts whose shape is the union
 * of touch kinds (`details`) or that the store only round-trips (`actor`, profile
 * `stats` and `identifiers`) are Mixed. All schemas are `strict: false` (a field added to
 * the domain types is kept, never silently dropped) and `minimize: false` (an empty
 * `details: {}` or `counts: {}` is stored, so it comes back). No `__v`, no `id` virtual.
 *
 * Keys containing `.` or `$` never appear as object keys in these documents: WhatsApp
 * group ids and keywords live in arrays as values; `counts` is keyed by touch kind.
 */
import mongoose from 'mongoose';
import type { Connection, Model, SchemaOptions } from 'mongoose';

/** A touch document: the StoredTouch with `occurredAt` as a BSON Date. */
export interface TouchDoc {
  workspace: string;
  id: string;
  kind: string;
  platform: string;
  account: string;
  chat: { id: string; title?: string; type: string };
  actor: Record<string, unknown>;
  occurredAt: Date;
  details: Record<string, unknown>;
  profileId: string | null;
  applied: boolean;
}

/** One strong identifier and the profile that owns it (unique per workspace, type and value). */
export interface IdentityDoc {
  workspace: string;
  type: string;
  value: string;
  profileId: string;
}

/** A profile document: the Profile as it is. */
export interface ProfileDoc {
  workspace: string;
  id: string;
  identifiers: unknown[];
  usernames: string[];
  stats: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

const { Schema } = mongoose;

const commonOptions = {
  strict: false,
  minimize: false,
  versionKey: false,
  id: false,
  // Indexes and collections are created by the store's init(), never implicitly.
  autoIndex: false,
  autoCreate: false,
} satisfies SchemaOptions;

/** Collection names. */
export const COLLECTIONS = { touches: 'touches', identities: 'identities', profiles: 'profiles' } as const;

const touchSchema = new Schema<TouchDoc>(
  {
    workspace: { type: String },
    id: { type: String },
    kind: { type: String },
    platform: { type: String },
    account: { type: String },
    // A nested path, not a type declaration: `type` is spelled `{ type: String }` on purpose.
    chat: {
      id: { type: String },
      title: { type: String },
      type: { type: String },
    },
    actor: { type: Schema.Types.Mixed },
    occurredAt: { type: Date },
    details: { type: Schema.Types.Mixed },
    profileId: { type: String },
    applied: { type: Boolean },
  },
  { ...commonOptions, collection: COLLECTIONS.touches },
);
// Dedup key: a touch id is stored once per workspace.
touchSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
// list({ profileId }) in order; reassign(from, to).
touchSchema.index({ workspace: 1, profileId: 1, occurredAt: 1, id: 1 }, { name: 'workspace_profile_time' });
// list({ from, to, kinds }) in order.
touchSchema.index({ workspace: 1, occurredAt: 1, id: 1 }, { name: 'workspace_time' });
// list({ chatId }) in order (id last so the sort needs no in-memory stage).
touchSchema.index({ workspace: 1, 'chat.id': 1, occurredAt: 1, id: 1 }, { name: 'workspace_chat_time' });

const identitySchema = new Schema<IdentityDoc>(
  {
    workspace: { type: String },
    type: { type: String },
    value: { type: String },
    profileId: { type: String },
  },
  { ...commonOptions, collection: COLLECTIONS.identities },
);
// One owner per identifier: claim() relies on this for race safety.
identitySchema.index({ workspace: 1, type: 1, value: 1 }, { unique: true, name: 'workspace_identifier_unique' });
// ofProfile(), reassign().
identitySchema.index({ workspace: 1, profileId: 1 }, { name: 'workspace_profile' });

const profileSchema = new Schema<ProfileDoc>(
  {
    workspace: { type: String },
    id: { type: String },
    identifiers: { type: Schema.Types.Mixed },
    usernames: { type: [String], default: undefined },
    stats: { type: Schema.Types.Mixed },
    createdAt: { type: String },
    updatedAt: { type: String },
  },
  { ...commonOptions, collection: COLLECTIONS.profiles },
);
// get/put/delete by id; list() pages by id.
profileSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
// findByUsername() (multikey).
profileSchema.index({ workspace: 1, usernames: 1 }, { name: 'workspace_usernames' });

/** The store's models, compiled on one connection. */
export interface StoreModels {
  Touch: Model<TouchDoc>;
  Identity: Model<IdentityDoc>;
  Profile: Model<ProfileDoc>;
}

/**
 * Compiles the store's models on `connection` (a dedicated `mongoose.createConnection`,
 * never the global default one, so several stores can coexist). Call once per connection.
 */
export function registerModels(connection: Connection): StoreModels {
  return {
    Touch: connection.model<TouchDoc>('Touch', touchSchema),
    Identity: connection.model<IdentityDoc>('Identity', identitySchema),
    Profile: connection.model<ProfileDoc>('Profile', profileSchema),
  };
}
