import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import { Sysname } from './identifiers.js'
import { AgName, PrimaryTarget, primaryAndReplica, ReplicaName, ReplicaTarget } from './params.js'

export const waitSyncParams = z.strictObject({
  ag: AgName,
  primary: PrimaryTarget,
  replica: ReplicaTarget,
  replica_name: ReplicaName,
  databases: z.optional(
    z
      .array(Sysname)
      .check(z.minLength(1), z.describe('Databases to watch (default: every database of the AG)')),
  ),
  max_log_send_queue_kb: z.optional(
    z
      .int()
      .check(
        z.gte(0),
        z.describe('Asynchronous commit: most log not yet sent to the replica, in KB (default 1024)'),
      ),
  ),
  max_redo_queue_kb: z.optional(
    z
      .int()
      .check(
        z.gte(0),
        z.describe('Asynchronous commit: most log not yet redone on the replica, in KB (default 10240)'),
      ),
  ),
  poll: z.optional(Duration.check(z.describe('Time between reads (default 5s)'))),
})

export type WaitSyncParams = z.infer<typeof waitSyncParams>

export const sqlWaitSync = defineStep({
  type: 'sql.wait-sync',
  summary:
    'Wait until a replica has caught up: SYNCHRONIZED (synchronous commit) or queues under limits (asynchronous); a gate',
  params: waitSyncParams,
  idempotent: () => true,
  readOnly: true,
  reversible: () => true,
  targets: primaryAndReplica,
  load: () => import('./wait-sync-step.js').then((m) => m.waitSyncStep),
})
