import type { AwsClients } from '../clients/aws.js'
import { SwitchyardError } from '../errors.js'
import type { Runbook } from '../runbook/model.js'

export type ResolvedTargets = Record<string, { instances: string[]; hosts: string[] }>

export const hasTagQueries = (runbook: Runbook) =>
  Object.values(runbook.targets).some((t) => t.ec2 !== undefined)

/**
 * Finds the instances behind every `ec2:` target by their tags. Done once, when a run starts, and
 * journaled: resume and rollback act on the same instances even if tags change meanwhile.
 */
export async function resolveTagQueries(runbook: Runbook, aws: AwsClients): Promise<ResolvedTargets> {
  const [ec2, { paginateDescribeInstances }] = await Promise.all([aws.ec2(), import('@aws-sdk/client-ec2')])
  const resolved: ResolvedTargets = {}
  for (const [name, target] of Object.entries(runbook.targets)) {
    if (!target.ec2) continue
    const states = target.ec2.states ?? ['running']
    const Filters = [
      ...Object.entries(target.ec2.tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
      { Name: 'instance-state-name', Values: states },
    ]
    const found: Array<{ id: string; host: string }> = []
    for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters, MaxResults: 1000 }))
      for (const reservation of page.Reservations ?? [])
        for (const instance of reservation.Instances ?? [])
          if (instance.InstanceId)
            found.push({ id: instance.InstanceId, host: instance.PrivateIpAddress ?? '' })
    const query = Object.entries(target.ec2.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')
    if (found.length === 0)
      throw new SwitchyardError(
        `target ${name} matches no ${states.join('/')} instance with tags ${query} in ${aws.region}`,
        {
          hint: 'check the tags and the region; a run never acts on an empty target',
        },
      )
    found.sort((a, b) => a.id.localeCompare(b.id))
    resolved[name] = { instances: found.map((f) => f.id), hosts: found.map((f) => f.host).filter(Boolean) }
  }
  return resolved
}
