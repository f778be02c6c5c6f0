import { DescribeInstanceStatusCommand, type EC2Client, type InstanceStatus } from '@aws-sdk/client-ec2'
import { SwitchyardError } from '../../errors.js'
import { inBatches } from './batches.js'

/** DescribeInstanceStatus takes at most 100 instance ids per call. */
const IDS_PER_CALL = 100

/** One instance's readiness: running with both status checks ok, or why not. */
export interface Readiness {
  id: string
  ready: boolean
  /** Why it is not ready, e.g. `impaired (system)` or `stopped`. */
  reason?: string
}

/** Reads every instance's state and status checks; an instance that is gone fails at once. */
export async function readReadiness(ec2: EC2Client, ids: readonly string[]): Promise<Readiness[]> {
  const seen = new Map<string, InstanceStatus>()
  for (const batch of inBatches(ids, IDS_PER_CALL)) {
    let token: string | undefined
    do {
      const page = await describeStatus(ec2, batch, token)
      for (const status of page.InstanceStatuses ?? [])
        if (status.InstanceId) seen.set(status.InstanceId, status)
      token = page.NextToken
    } while (token)
  }
  const missing = ids.filter((id) => !seen.has(id))
  if (missing.length > 0) throw instancesGone(missing, 'not found')
  const ended = ids.filter((id) => isEnding(seen.get(id)))
  if (ended.length > 0) throw instancesGone(ended, 'terminated or terminating')
  return ids.map((id) => readinessOf(id, seen.get(id) as InstanceStatus))
}

async function describeStatus(ec2: EC2Client, ids: string[], token: string | undefined) {
  try {
    return await ec2.send(
      new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true, NextToken: token }),
    )
  } catch (error) {
    const name = (error as { name?: string }).name
    if (name === 'InvalidInstanceID.NotFound')
      throw instancesGone(notFoundIds(error as Error, ids), 'not found', error)
    throw error
  }
}

/** EC2 names the missing ids in its message: `The instance IDs 'i-1, i-2' do not exist`. */
function notFoundIds(error: Error, asked: string[]): string[] {
  const named = asked.filter((id) => error.message.includes(id))
  return named.length > 0 ? named : asked
}

const isEnding = (status: InstanceStatus | undefined) =>
  status?.InstanceState?.Name === 'terminated' || status?.InstanceState?.Name === 'shutting-down'

function instancesGone(ids: string[], what: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError(`${ids.length === 1 ? 'instance' : 'instances'} ${what}: ${ids.join(', ')}`, {
    hint: "waiting will not make them ready: check the target's instance ids (a replaced instance has a new id)",
    cause,
  })
}

function readinessOf(id: string, status: InstanceStatus): Readiness {
  const state = status.InstanceState?.Name ?? 'unknown'
  if (state !== 'running') return { id, ready: false, reason: state }
  const checks = [
    ['system', status.SystemStatus?.Status ?? 'unknown'],
    ['instance', status.InstanceStatus?.Status ?? 'unknown'],
  ].filter(([, value]) => value !== 'ok')
  if (checks.length === 0) return { id, ready: true }
  return { id, ready: false, reason: checks.map(([which, value]) => `${value} (${which})`).join(', ') }
}

/** `3/4 ready; i-0ab impaired (system)`: the count, then the first few that are not ready. */
export function describeReadiness(all: Readiness[], shown = 5): string {
  const waiting = all.filter((r) => !r.ready)
  const ready = `${all.length - waiting.length}/${all.length} ready`
  if (waiting.length === 0) return ready
  const named = waiting.slice(0, shown).map((r) => `${r.id} ${r.reason}`)
  const more = waiting.length > shown ? `, and ${waiting.length - shown} more` : ''
  return `${ready}; ${named.join(', ')}${more}`
}
