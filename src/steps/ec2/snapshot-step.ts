import type { EC2Client, Snapshot } from '@aws-sdk/client-ec2'
import { SwitchyardError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { volumesToSnapshot } from './instance-volumes.js'
import { describeSnapshots, percentOf, snapshotInstance, snapshotsTakenBy } from './run-snapshots.js'
import type { SnapshotParams } from './snapshot.js'

/** Polls start fast (short snapshots finish quickly) and slow down to this for long ones. */
const MAX_POLL_MS = 15_000

const takenBy = (ctx: StepContext) => ({ runId: ctx.runId, stepId: ctx.stepId })

function changeFor(p: SnapshotParams, instanceId: string, volumes: number) {
  const which = p.exclude_boot_volume ? 'data volumes' : 'volumes'
  return {
    action: 'create',
    target: instanceId,
    summary: `snapshot all ${which} of ${instanceId} (${volumes} ${volumes === 1 ? 'volume' : 'volumes'}, crash-consistent; kept on rollback)`,
    manualUndo: false,
  }
}

/** Made after each instance's CreateSnapshots: the ids, in case a tag lookup lags just after creation. */
interface SnapshotCheckpoint {
  instance: string
  snapshots: string[]
}

const idsOf = (snapshots: Snapshot[]) => snapshots.flatMap((s) => (s.SnapshotId ? [s.SnapshotId] : []))

export const snapshotStep: StepImplementation<SnapshotParams> = {
  async plan(ctx, p) {
    const ec2 = await ctx.aws.ec2()
    const volumes = await volumesToSnapshot(ec2, p.instances, p.exclude_boot_volume === true)
    const taken = await snapshotsTakenBy(ec2, takenBy(ctx))
    const done = p.instances.every((id) => {
      const snapshots = taken.get(id) ?? []
      return snapshots.length > 0 && snapshots.every((s) => s.State === 'completed')
    })
    if (done)
      return {
        changes: [],
        outputs: { snapshots: Object.fromEntries(p.instances.map((id) => [id, idsOf(taken.get(id) ?? [])])) },
      }
    return { changes: p.instances.map((id) => changeFor(p, id, volumes.get(id) ?? 0)) }
  },

  async apply(ctx, p) {
    const ec2 = await ctx.aws.ec2()
    // A resumed or retried run finds the sets it already took by their tags and takes no second one.
    const taken = await snapshotsTakenBy(ec2, takenBy(ctx))
    const checkpointed = new Map(
      (ctx.checkpoints as SnapshotCheckpoint[]).map((c) => [c.instance, c.snapshots] as const),
    )
    const snapshots: Record<string, string[]> = {}
    for (const [i, instanceId] of p.instances.entries()) {
      const found = idsOf(taken.get(instanceId) ?? [])
      const earlier = found.length > 0 ? found : (checkpointed.get(instanceId) ?? [])
      if (earlier.length > 0) {
        snapshots[instanceId] = earlier
        continue
      }
      ctx.progress({ message: `snapshotting ${instanceId} (${i + 1}/${p.instances.length})` })
      const ids = await snapshotInstance(ec2, instanceId, {
        ...takenBy(ctx),
        excludeBoot: p.exclude_boot_volume === true,
        // Anyone who can list snapshots reads the description: a secret in it is redacted.
        description: ctx.redact(p.description ?? `switchyard ${ctx.runId} ${ctx.stepId} ${instanceId}`),
      })
      await ctx.checkpoint({ instance: instanceId, snapshots: ids } satisfies SnapshotCheckpoint)
      snapshots[instanceId] = ids
    }
    await awaitCompletion(ctx, ec2, snapshots)
    return { snapshots }
  },

  // Snapshots are kept on rollback (they are the safety net); nothing is deleted.
  async compensate() {},
}

/** Waits until every snapshot is completed, showing the average progress; one in error fails the step. */
async function awaitCompletion(
  ctx: StepContext,
  ec2: EC2Client,
  snapshots: Record<string, string[]>,
): Promise<void> {
  const wanted = new Map(
    Object.entries(snapshots).flatMap(([instance, ids]) => ids.map((id) => [id, instance])),
  )
  for (let delay = 1000; ; delay = Math.min(MAX_POLL_MS, delay * 2)) {
    const seen = await describeSnapshots(ec2, [...wanted.keys()])
    const failed = seen.filter((s) => s.State === 'error')
    if (failed.length > 0)
      throw new SwitchyardError(
        `snapshot failed: ${failed.map((s) => `${s.SnapshotId} (volume ${s.VolumeId} of ${wanted.get(s.SnapshotId as string)})`).join(', ')}`,
        {
          hint: `${failed.at(0)?.StateMessage ?? 'EBS reported the snapshot in error'}; delete the failed snapshot(s) and resume to take them again`,
        },
      )
    const completed = seen.filter((s) => s.State === 'completed').length
    const percent = Math.floor(seen.reduce((sum, s) => sum + percentOf(s), 0) / seen.length)
    ctx.progress({ percent, message: `snapshots ${completed}/${seen.length} completed, ${percent}%` })
    if (completed === seen.length) return
    try {
      await ctx.sleep(delay)
    } catch (error) {
      throw new SwitchyardError(
        `stopped waiting for snapshots: ${completed}/${seen.length} completed, ${percent}% on average`,
        { cause: error, hint: 'the snapshots carry on in EBS; resume waits for the same ones' },
      )
    }
  }
}
