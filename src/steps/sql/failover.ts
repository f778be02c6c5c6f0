import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'
import type { DataLossWindow } from './failover-forced.js'
import type { ReplicaModes } from './failover-modes.js'
import { Sysname } from './identifiers.js'
import { AgName, PrimaryTarget, ReplicaName, SqlTargetName } from './params.js'

const ReplicaModesAfter = z
  .strictObject({
    availability: z.optional(
      z.enum(['synchronous', 'asynchronous']).check(z.describe('Commit mode after the failover')),
    ),
    failover: z.optional(
      z.enum(['automatic', 'manual']).check(z.describe('Failover mode after the failover')),
    ),
  })
  .check(
    z.refine((m) => !(m.failover === 'automatic' && m.availability === 'asynchronous'), {
      error:
        'automatic failover needs availability: synchronous (SQL Server refuses it with asynchronous commit)',
    }),
  )

export const ModesAfter = z
  .record(Sysname, ReplicaModesAfter)
  .check(
    z.describe(
      "Each replica's commit and failover modes once the failover is done, by replica name (e.g. the AWS pair synchronous + automatic, on-prem asynchronous + manual); rollback puts back the modes from before",
    ),
  )

export const failoverParams = z
  .strictObject({
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
            'Disaster recovery only: force the failover (FORCE_FAILOVER_ALLOW_DATA_LOSS) when the target is not synchronized or the primary does not answer, after cluster quorum is checked and an approval',
          ),
        ),
    ),
    modes_after: z.optional(ModesAfter),
    resume: z.optional(
      z
        .array(SqlTargetName('A sql target of another secondary'))
        .check(
          z.describe(
            'After a forced failover, or a read-scale (CLUSTER_TYPE = NONE) switch, which forces too: sql targets of the other secondaries whose suspended databases are resumed (never the old primary); without it they are listed',
          ),
        ),
    ),
  })
  .check(
    z.refine((p) => !(p.resume ?? []).includes(p.primary), {
      error:
        'resume must not name the old primary: resuming it discards what it holds that the new primary never received',
      path: ['resume'],
    }),
  )

export type FailoverParams = z.infer<typeof failoverParams>
export type ModesAfterParams = z.infer<typeof ModesAfter>

/** Journaled before the first change: who was primary, and every replica's modes, to put back on fail-back. */
export interface FailoverUndo {
  previousPrimary: string
  /** The sql target that reaches the previous primary directly: fail-back runs there. */
  previousPrimaryTarget: string
  newPrimary: string
  modes: Record<string, ReplicaModes>
  forced: boolean
  /** A forced failover's window, as shown in its approval. */
  dataLoss?: DataLossWindow[]
}

export const sqlFailover = defineStep({
  type: 'sql.failover',
  summary:
    'Planned failover: switch to synchronous commit, wait for SYNCHRONIZED, fail over on the target, verify, set the modes after; DR: force with quorum checked and the data-loss window shown; rollback fails back losslessly or refuses',
  params: failoverParams,
  idempotent: () => true,
  reversible: () => true,
  targets: (p) => [
    { key: 'primary', target: p.primary, kind: 'sql' },
    { key: 'to', target: p.to, kind: 'sql' },
    ...(p.resume ?? []).map((target, i) => ({ key: `resume.${i}`, target, kind: 'sql' as const })),
  ],
  load: () => import('./failover-step.js').then((m) => m.failoverStep),
})
