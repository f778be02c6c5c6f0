import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { pause, pollMs, replicaNameOf, requirePrimary } from './common.js'
import { describeReading, readSync, type SyncReading } from './sync-state.js'
import type { WaitSyncParams } from './wait-sync.js'

async function read(ctx: StepContext, p: WaitSyncParams): Promise<SyncReading> {
  const [primary, replica] = await Promise.all([ctx.sql(p.primary), ctx.sql(p.replica)])
  await requirePrimary(primary, p.ag)
  const name = await replicaNameOf(replica, p.replica_name)
  return readSync(primary, p.ag, name, {
    databases: p.databases,
    maxLogSendQueueKb: p.max_log_send_queue_kb,
    maxRedoQueueKb: p.max_redo_queue_kb,
  })
}

const outputs = (r: SyncReading) => ({
  replica: r.replica,
  mode: r.mode,
  commit: r.commit,
  databases: r.databases,
})

/** Says once why a synchronous replica is waited for as an asynchronous one. */
function warnIfReadAsynchronous(ctx: StepContext, r: SyncReading) {
  if (r.asynchronousBecause) ctx.warn(`${r.replica} is SYNCHRONOUS_COMMIT but ${r.asynchronousBecause}`)
}

export const waitSyncStep: StepImplementation<WaitSyncParams> = {
  async plan(ctx, p) {
    const reading = await read(ctx, p)
    if (reading.caughtUp) return { changes: [], outputs: outputs(reading) }
    return {
      changes: [
        {
          action: 'wait',
          target: reading.replica,
          summary: `wait until ${reading.replica} catches up (read-only): ${describeReading(reading)}${reading.asynchronousBecause ? ` — ${reading.asynchronousBecause}` : ''}`,
        },
      ],
    }
  },

  async apply(ctx, p) {
    const every = pollMs(parseDuration(p.poll ?? '5s'))
    let reading = await read(ctx, p)
    warnIfReadAsynchronous(ctx, reading)
    while (!reading.caughtUp) {
      const ready = reading.databases.filter((d) => !d.problem).length
      ctx.progress({
        percent: Math.floor((ready / Math.max(1, reading.databases.length)) * 100),
        message: `${reading.replica} (${reading.mode}, commits ${reading.commit}): ${describeReading(reading)}`,
      })
      await pause(ctx, every, () => `${reading.replica} to catch up: ${describeReading(reading)}`)
      reading = await read(ctx, p)
    }
    return outputs(reading)
  },

  async check(ctx, p) {
    const reading = await read(ctx, p)
    if (!reading.caughtUp)
      throw new SwitchyardError(
        `${reading.replica} (${reading.mode}) has not caught up: ${describeReading(reading)}`,
      )
  },
}
