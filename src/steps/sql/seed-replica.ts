import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import {
  AgName,
  Databases,
  PrimaryTarget,
  primaryAndReplica,
  ReplicaName,
  ReplicaTarget,
  SqlTargetName,
} from './params.js'

/** Where manual seeding restores files that should not go to the replica's default folders. */
export const FileMap = z
  .record(z.string().check(z.minLength(1)), z.string().check(z.minLength(1)))
  .check(
    z.describe(
      "Manual seeding: a logical file name, or a folder of the primary's paths, -> the path or folder on the replica (default: the replica's default data and log folders; other secondaries always use theirs)",
    ),
  )

export const seedReplicaParams = z
  .strictObject({
    ag: AgName,
    primary: PrimaryTarget,
    replica: ReplicaTarget,
    replica_name: ReplicaName,
    databases: Databases,
    seeding: z
      .enum(['automatic', 'manual'])
      .check(
        z.describe('automatic: SQL Server streams the databases (2016+); manual: backup, restore, join'),
      ),
    backup_share: z.optional(
      z
        .string()
        .check(
          z.minLength(1),
          z.describe('Manual seeding: a folder both instances can read and write, e.g. \\\\fs01\\sqlbackup'),
        ),
    ),
    file_map: z.optional(FileMap),
    secondaries: z.optional(
      z
        .array(SqlTargetName('The sql target of another secondary replica of the AG'))
        .check(
          z.describe(
            "Manual seeding: the sql targets of the AG's other secondaries; each database is restored and joined there too, so they can still take a failover",
          ),
        ),
    ),
    concurrency: z.optional(
      z
        .int()
        .check(
          z.gte(1),
          z.lte(5),
          z.describe('Databases seeded at once (default 2; SQL Server seeds at most 5)'),
        ),
    ),
    stall_after: z.optional(
      Duration.check(z.describe('A seed that moves no bytes for this long is stalled (default 5m)')),
    ),
    poll: z.optional(Duration.check(z.describe('Time between progress reads (default 10s)'))),
    seed_attempts: z.optional(
      z.int().check(z.gte(1), z.lte(10), z.describe('Tries per database when a seed fails (default 3)')),
    ),
  })
  .check(
    z.refine((p) => p.seeding !== 'manual' || p.backup_share !== undefined, {
      error: 'manual seeding needs backup_share: a folder both instances can reach',
    }),
  )

export type SeedReplicaParams = z.infer<typeof seedReplicaParams>

export const sqlSeedReplica = defineStep({
  type: 'sql.seed-replica',
  summary:
    'Bring databases onto a replica (automatic seeding or backup/restore) and wait until they synchronize',
  params: seedReplicaParams,
  idempotent: () => true,
  // Rollback takes out of the AG the databases it added, and drops the copies it brought onto the replica.
  reversible: () => true,
  targets: (p) => [
    ...primaryAndReplica(p),
    ...(p.secondaries ?? []).map((target) => ({ key: 'secondaries', target, kind: 'sql' as const })),
  ],
  load: () => import('./seed-replica-step.js').then((m) => m.seedReplicaStep),
})
