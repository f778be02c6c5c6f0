import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import { AgName, PrimaryTarget, ReplicaName, SqlTargetName } from './params.js'

export const failoverParams = z.strictObject({
  ag: AgName,
  primary: PrimaryTarget,
  to: SqlTargetName(
    'The sql target of the replica that becomes primary: a direct connection, never the listener',
  ),
  to_name: ReplicaName,
  sync_timeout: z.optional(
    Duration.check(
      z.describe('How long to wait for SYNCHRONIZED before failing over, or failing back (default 5m)'),
    ),
  ),
  poll: z.optional(Duration.check(z.describe('Time between reads while waiting (default 2s)'))),
  allow_data_loss: z.optional(
    z
      .boolean()
      .check(
        z.describe(
          'Disaster recovery only: force the failover (FORCE_FAILOVER_ALLOW_DATA_LOSS) when the target is not synchronized, after an approval',
        ),
      ),
  ),
})

export type FailoverParams = z.infer<typeof failoverParams>

export const sqlFailover = defineStep({
  type: 'sql.failover',
  summary:
    'Planned failover: switch to synchronous commit, wait for SYNCHRONIZED, fail over on the target, verify; rollback fails back losslessly or refuses',
  params: failoverParams,
  idempotent: () => true,
  reversible: () => true,
  targets: (p) => [
    { key: 'primary', target: p.primary, kind: 'sql' },
    { key: 'to', target: p.to, kind: 'sql' },
  ],
  load: () => import('./failover-step.js').then((m) => m.failoverStep),
})
