import * as z from 'zod/mini'
import { defineStep } from '../contract.js'
import { AgName, Databases, PrimaryTarget, primaryAndReplica, ReplicaName, ReplicaTarget } from './params.js'
import { FileMap } from './seed-replica.js'

export const preflightParams = z.strictObject({
  ag: AgName,
  primary: PrimaryTarget,
  replica: ReplicaTarget,
  replica_name: ReplicaName,
  databases: Databases,
  endpoint_url: z.optional(
    z.string().check(
      z.regex(/^TCP:\/\/[^\s:/]+:\d{1,5}$/i, {
        error: 'an endpoint URL looks like TCP://sql-aws-1.corp.example:5022',
      }),
      z.describe(
        "The URL the replica will be added with: its port must be the endpoint's, and this machine tries to reach it",
      ),
    ),
  ),
  seeding: z.optional(
    z.enum(['automatic', 'manual']).check(z.describe('How the databases will be seeded (default automatic)')),
  ),
  file_map: z.optional(FileMap),
  free_space_factor: z.optional(
    z
      .number()
      .check(
        z.gte(1),
        z.lte(10),
        z.describe("Free space the replica needs, as a multiple of the databases' size (default 1.2)"),
      ),
  ),
})

export type PreflightParams = z.infer<typeof preflightParams>

export const sqlPreflight = defineStep({
  type: 'sql.preflight',
  summary:
    'Check every prerequisite for adding a replica and seeding databases; one report, pass/warn/fail per check',
  params: preflightParams,
  idempotent: () => true,
  readOnly: true,
  reversible: () => true,
  targets: primaryAndReplica,
  load: () => import('./preflight-step.js').then((m) => m.preflightStep),
})
