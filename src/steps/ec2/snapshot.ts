import * as z from 'zod/mini'
import { defineStep } from '../contract.js'
import { InstanceIds } from './instance-ids.js'

export const snapshotParams = z.strictObject({
  instances: InstanceIds,
  exclude_boot_volume: z.optional(
    z.boolean().check(z.describe('Snapshot only the data volumes (default false: every volume)')),
  ),
  description: z.optional(
    z.string().check(z.maxLength(255), z.describe("The snapshots' description (default: the run and step)")),
  ),
})

export type SnapshotParams = z.infer<typeof snapshotParams>

export const ec2Snapshot = defineStep({
  type: 'ec2.snapshot',
  summary:
    'Take crash-consistent snapshots of every volume of each instance, tagged with the run; kept on rollback',
  params: snapshotParams,
  idempotent: () => true,
  // Snapshots are the safety net: rollback keeps them, so there is nothing for anyone to undo.
  reversible: () => true,
  usesAws: true,
  load: () => import('./snapshot-step.js').then((m) => m.snapshotStep),
})
