import * as z from 'zod/mini'
import { defineStep } from '../contract.js'
import { SqlTargetName } from './params.js'

export const OBJECT_KINDS = ['logins', 'jobs', 'linked_servers', 'credentials'] as const
export type ObjectKind = (typeof OBJECT_KINDS)[number]

const NamePatterns = (what: string) =>
  z.optional(
    z
      .array(z.string().check(z.minLength(1), z.maxLength(128)))
      .check(z.minLength(1), z.describe(`${what} (* any run of characters, ? one; case-insensitive)`)),
  )

export const syncObjectsParams = z.strictObject({
  source: SqlTargetName(
    'The sql target the objects are copied from: the current primary (a direct connection)',
  ),
  replica: SqlTargetName('The sql target of the new replica they are copied to (a direct connection)'),
  kinds: z.optional(
    z
      .array(z.enum(OBJECT_KINDS))
      .check(
        z.minLength(1),
        z.describe('What to copy (default all): logins, jobs (SQL Agent), linked_servers, credentials'),
      ),
  ),
  include: NamePatterns('Only objects whose name matches one of these'),
  exclude: NamePatterns('Leave out objects whose name matches one of these'),
  on_conflict: z.optional(
    z
      .enum(['skip', 'fail'])
      .check(
        z.describe(
          'An object the replica already has with another definition: skip it with a warning (default), or fail before creating anything',
        ),
      ),
  ),
})

export type SyncObjectsParams = z.infer<typeof syncObjectsParams>

export const sqlSyncObjects = defineStep({
  type: 'sql.sync-objects',
  summary:
    'Copy logins (SIDs, password hashes, roles), Agent jobs and linked servers to the new replica before failover; list credentials and remote passwords for the operator',
  params: syncObjectsParams,
  idempotent: () => true,
  reversible: () => true,
  targets: (p) => [
    { key: 'source', target: p.source, kind: 'sql' },
    { key: 'replica', target: p.replica, kind: 'sql' },
  ],
  load: () => import('./sync-objects-step.js').then((m) => m.syncObjectsStep),
})
