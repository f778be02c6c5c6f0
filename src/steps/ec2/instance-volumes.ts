import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2'
import { SwitchyardError } from '../../errors.js'
import { inBatches } from './batches.js'

const IDS_PER_CALL = 100

/** How many EBS volumes of each instance a snapshot takes; an instance that is gone fails at once. */
export async function volumesToSnapshot(
  ec2: EC2Client,
  ids: readonly string[],
  excludeBoot: boolean,
): Promise<Map<string, number>> {
  const found = new Map<string, Instance>()
  for (const batch of inBatches(ids, IDS_PER_CALL)) {
    let token: string | undefined
    do {
      const page = await describe(ec2, batch, token)
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? [])
          if (instance.InstanceId) found.set(instance.InstanceId, instance)
      token = page.NextToken
    } while (token)
  }
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length > 0) throw cannotSnapshot(missing, 'not found')
  const ended = ids.filter((id) => ['terminated', 'shutting-down'].includes(found.get(id)?.State?.Name ?? ''))
  if (ended.length > 0) throw cannotSnapshot(ended, 'terminated or terminating')
  const counts = new Map<string, number>()
  for (const id of ids) {
    const instance = found.get(id) as Instance
    const volumes = (instance.BlockDeviceMappings ?? []).filter(
      (m) => m.Ebs?.VolumeId && !(excludeBoot && m.DeviceName === instance.RootDeviceName),
    )
    if (volumes.length === 0)
      throw new SwitchyardError(`instance ${id} has no ${excludeBoot ? 'data ' : ''}volumes to snapshot`, {
        hint: excludeBoot ? 'drop exclude_boot_volume to snapshot its boot volume' : undefined,
      })
    counts.set(id, volumes.length)
  }
  return counts
}

async function describe(ec2: EC2Client, ids: string[], token: string | undefined) {
  try {
    return await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids, NextToken: token }))
  } catch (error) {
    if ((error as { name?: string }).name !== 'InvalidInstanceID.NotFound') throw error
    const named = ids.filter((id) => (error as Error).message.includes(id))
    throw cannotSnapshot(named.length > 0 ? named : ids, 'not found', error)
  }
}

function cannotSnapshot(ids: string[], what: string, cause?: unknown): SwitchyardError {
  return new SwitchyardError(
    `cannot snapshot: ${ids.length === 1 ? 'instance' : 'instances'} ${what}: ${ids.join(', ')}`,
    {
      hint: "check the target's instance ids (a replaced instance has a new id)",
      cause,
    },
  )
}
