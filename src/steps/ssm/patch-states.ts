import {
  DescribeInstanceInformationCommand,
  DescribeInstancePatchesCommand,
  DescribeInstancePatchStatesCommand,
  type InstancePatchState,
  type SSMClient,
} from '@aws-sdk/client-ssm'
import { RefusedBeforeActingError } from '../../errors.js'
import { inBatches } from '../ec2/batches.js'

/** One instance's compliance with its baseline, and what keeps it from being COMPLIANT. */
export interface PatchVerdict {
  instance: string
  status: 'COMPLIANT' | 'NON_COMPLIANT' | 'NO_DATA'
  baseline?: string
  scannedAt?: Date
  critical: number
  security: number
  other: number
  /** Critical and security patches not installed: `KB5031364 Cumulative Update ... (Critical, MISSING)`. */
  missing: string[]
}

const IDS_PER_CALL = 50
const NOT_INSTALLED = ['Missing', 'Failed', 'InstalledPendingReboot', 'InstalledRejected']

/** Instance ids of every node SSM knows with all these tags, EC2 and managed (mi-) alike. */
export async function instancesTagged(ssm: SSMClient, tags: Record<string, string>): Promise<string[]> {
  const ids: string[] = []
  let token: string | undefined
  do {
    const page = await ssm.send(
      new DescribeInstanceInformationCommand({
        Filters: Object.entries(tags).map(([key, value]) => ({ Key: `tag:${key}`, Values: [value] })),
        MaxResults: 50,
        NextToken: token,
      }),
    )
    for (const node of page.InstanceInformationList ?? []) if (node.InstanceId) ids.push(node.InstanceId)
    token = page.NextToken || undefined
  } while (token)
  if (ids.length === 0)
    throw new RefusedBeforeActingError(
      `no instance managed by SSM has the tags ${Object.entries(tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
      { hint: 'fails closed: check the tags, and that the SSM agent on those servers is registered' },
    )
  return ids
}

async function patchStates(ssm: SSMClient, ids: readonly string[]): Promise<Map<string, InstancePatchState>> {
  const states = new Map<string, InstancePatchState>()
  for (const batch of inBatches(ids, IDS_PER_CALL)) {
    let token: string | undefined
    do {
      const page = await ssm.send(
        new DescribeInstancePatchStatesCommand({ InstanceIds: batch, NextToken: token, MaxResults: 50 }),
      )
      for (const state of page.InstancePatchStates ?? [])
        if (state.InstanceId) states.set(state.InstanceId, state)
      token = page.NextToken || undefined
    } while (token)
  }
  return states
}

/** The critical and security patches an instance lacks (else, any it lacks), from DescribeInstancePatches. */
async function missingPatches(ssm: SSMClient, instance: string): Promise<string[]> {
  const patches: { line: string; important: boolean }[] = []
  let token: string | undefined
  do {
    const page = await ssm.send(
      new DescribeInstancePatchesCommand({
        InstanceId: instance,
        Filters: [{ Key: 'State', Values: NOT_INSTALLED }],
        MaxResults: 100,
        NextToken: token,
      }),
    )
    for (const p of page.Patches ?? [])
      patches.push({
        line: `${p.KBId} ${p.Title} (${[p.Classification, p.Severity].filter(Boolean).join(', ')}, ${p.State})`,
        important:
          p.Classification === 'CriticalUpdates' ||
          p.Classification === 'SecurityUpdates' ||
          p.Severity === 'Critical' ||
          p.Severity === 'Important',
      })
    token = page.NextToken || undefined
  } while (token)
  const important = patches.filter((p) => p.important)
  return (important.length > 0 ? important : patches).map((p) => p.line)
}

/** Every instance's verdict: Patch Manager's non-compliant counts decide; NO_DATA (never scanned) fails closed. */
export async function readCompliance(ssm: SSMClient, ids: readonly string[]): Promise<PatchVerdict[]> {
  const states = await patchStates(ssm, ids)
  return Promise.all(
    ids.map(async (instance): Promise<PatchVerdict> => {
      const state = states.get(instance)
      if (!state) return { instance, status: 'NO_DATA', critical: 0, security: 0, other: 0, missing: [] }
      const critical = state.CriticalNonCompliantCount ?? 0
      const security = state.SecurityNonCompliantCount ?? 0
      const other = state.OtherNonCompliantCount ?? 0
      const compliant = critical + security + other === 0
      return {
        instance,
        status: compliant ? 'COMPLIANT' : 'NON_COMPLIANT',
        ...(state.BaselineId ? { baseline: state.BaselineId } : {}),
        ...(state.OperationEndTime ? { scannedAt: state.OperationEndTime } : {}),
        critical,
        security,
        other,
        missing: compliant ? [] : await missingPatches(ssm, instance),
      }
    }),
  )
}

const baselineName = (arn: string | undefined) => arn?.split('/').pop() ?? 'its baseline'

/** `mi-0ab NON_COMPLIANT with pb-0a6a...: 1 critical, 2 security, 0 other missing: KB... (...)`. */
export function describeVerdict(v: PatchVerdict, shown = 5): string {
  if (v.status === 'NO_DATA') return `${v.instance} has no patch data (never scanned by Patch Manager)`
  if (v.status === 'COMPLIANT') return `${v.instance} COMPLIANT with ${baselineName(v.baseline)}`
  const more = v.missing.length > shown ? `, and ${v.missing.length - shown} more` : ''
  return `${v.instance} NON_COMPLIANT with ${baselineName(v.baseline)}: ${v.critical} critical, ${v.security} security, ${v.other} other not installed: ${v.missing.slice(0, shown).join('; ')}${more}`
}
