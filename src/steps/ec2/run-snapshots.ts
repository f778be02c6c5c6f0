import {
  CreateSnapshotsCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Snapshot,
} from '@aws-sdk/client-ec2'
import { SwitchyardError } from '../../errors.js'
import { inBatches } from './batches.js'

const IDS_PER_CALL = 200

/** The tags that tie a snapshot to the run, step and instance that took it. */
export const TAG = {
  run: 'switchyard:run',
  step: 'switchyard:step',
  instance: 'switchyard:instance',
} as const

export interface TakenBy {
  runId: string
  stepId: string
}

/** Every snapshot this run's step has taken, on any attempt, grouped by instance. */
export async function snapshotsTakenBy(ec2: EC2Client, by: TakenBy): Promise<Map<string, Snapshot[]>> {
  const byInstance = new Map<string, Snapshot[]>()
  let token: string | undefined
  do {
    const page = await ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [
          { Name: `tag:${TAG.run}`, Values: [by.runId] },
          { Name: `tag:${TAG.step}`, Values: [by.stepId] },
        ],
        NextToken: token,
      }),
    )
    for (const snapshot of page.Snapshots ?? []) {
      const instance = snapshot.Tags?.find((t) => t.Key === TAG.instance)?.Value
      if (!instance) continue
      byInstance.set(instance, [...(byInstance.get(instance) ?? []), snapshot])
    }
    token = page.NextToken
  } while (token)
  return byInstance
}

/** One crash-consistent set: every chosen volume of the instance at the same point in time. */
export async function snapshotInstance(
  ec2: EC2Client,
  instanceId: string,
  options: TakenBy & { excludeBoot: boolean; description: string },
): Promise<string[]> {
  const answer = await ec2.send(
    new CreateSnapshotsCommand({
      InstanceSpecification: { InstanceId: instanceId, ExcludeBootVolume: options.excludeBoot },
      Description: options.description,
      CopyTagsFromSource: 'volume',
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: TAG.run, Value: options.runId },
            { Key: TAG.step, Value: options.stepId },
            { Key: TAG.instance, Value: instanceId },
          ],
        },
      ],
    }),
  )
  return (answer.Snapshots ?? []).flatMap((s) => (s.SnapshotId ? [s.SnapshotId] : []))
}

/** The snapshots named, read by id (batched); one that no longer exists fails naming it. */
export async function describeSnapshots(ec2: EC2Client, ids: readonly string[]): Promise<Snapshot[]> {
  const found: Snapshot[] = []
  for (const batch of inBatches(ids, IDS_PER_CALL)) {
    try {
      const page = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: batch }))
      found.push(...(page.Snapshots ?? []))
    } catch (error) {
      if ((error as { name?: string }).name !== 'InvalidSnapshot.NotFound') throw error
      throw new SwitchyardError(`snapshots disappeared while being taken: ${(error as Error).message}`, {
        hint: 'someone deleted them; delete the rest of the set and resume to take them again',
        cause: error,
      })
    }
  }
  return found
}

/** `45%` → 45; a missing or odd value counts as 0. */
export function percentOf(snapshot: Snapshot): number {
  const value = Number.parseInt(snapshot.Progress ?? '', 10)
  return Number.isFinite(value) ? value : 0
}
