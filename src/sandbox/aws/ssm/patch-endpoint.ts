// Patch Manager's reads and the managed-instance inventory, in SSM's JSON 1.1: what a compliance
// check asks before a cutover.
import type { Ec2World } from '../ec2/world.js'
import {
  type JsonInput,
  jsonInteger,
  jsonObjects,
  jsonString,
  jsonStrings,
  validationError,
} from '../json-params.js'
import { paginate } from '../paging.js'
import { ServiceError } from '../service-error.js'
import { isCritical, isSecurity, NON_COMPLIANT_STATES, type Patch, type PatchState } from './patching.js'
import type { SsmWorld } from './world.js'

const MANAGED_ID = /^(i-(\w{8}|\w{17})|mi-\w{17})$/

/** The filter values DescribeInstancePatches takes for State, and the state each names. */
const STATE_FILTER: Record<string, PatchState> = {
  Installed: 'INSTALLED',
  InstalledOther: 'INSTALLED_OTHER',
  InstalledPendingReboot: 'INSTALLED_PENDING_REBOOT',
  InstalledRejected: 'INSTALLED_REJECTED',
  Missing: 'MISSING',
  NotApplicable: 'NOT_APPLICABLE',
  Failed: 'FAILED',
}

const invalidToken = () => new ServiceError(400, 'InvalidNextToken', 'The specified token is not valid.')

function pageSize(input: JsonInput, member: string, min: number, max: number, fallback: number): number {
  const size = jsonInteger(input, 'MaxResults') ?? fallback
  if (size < min || size > max)
    throw validationError(member, size, `Member must have value between ${min} and ${max}`)
  return size
}

interface ManagedNode {
  id: string
  name: string
  tags: Record<string, string>
  resourceType: 'EC2Instance' | 'ManagedInstance'
  online: boolean
}

export function patchOperations(world: SsmWorld, ec2: Ec2World) {
  /** Every node SSM knows: managed instances, and EC2 instances that are not terminated. */
  const nodes = (): ManagedNode[] => [
    ...ec2
      .instances()
      .filter((i) => i.state !== 'terminated')
      .map((i) => ({
        id: i.id,
        name: i.tags.Name ?? '',
        tags: i.tags,
        resourceType: 'EC2Instance' as const,
        online: i.state === 'running',
      })),
    ...world
      .managedInstances()
      .map((m) => ({ ...m, resourceType: 'ManagedInstance' as const, online: true })),
  ]

  function matches(node: ManagedNode, key: string, values: string[]): boolean {
    if (key.startsWith('tag:')) return values.includes(node.tags[key.slice(4)] ?? '\u0000')
    if (key === 'tag-key') return values.some((v) => v in node.tags)
    if (key === 'InstanceIds') return values.includes(node.id)
    if (key === 'ResourceType') return values.includes(node.resourceType)
    if (key === 'PingStatus') return values.includes(node.online ? 'Online' : 'ConnectionLost')
    throw new ServiceError(400, 'InvalidFilterKey', `The filter key ${key} is not emulated by the sandbox`)
  }

  function patchesOf(instanceId: string | undefined): Patch[] {
    if (!instanceId) throw validationError('instanceId', null, 'Member must not be null')
    if (!MANAGED_ID.test(instanceId))
      throw validationError('instanceId', instanceId, 'Member must satisfy regular expression pattern')
    const state = world.patching.patching(instanceId)
    if (!state) throw new ServiceError(400, 'InvalidInstanceId', `Instance Id ${instanceId} is not valid`)
    return state.patches
  }

  return {
    DescribeInstanceInformation(input: JsonInput) {
      if (jsonObjects(input, 'InstanceInformationFilterList'))
        throw new ServiceError(
          400,
          'InvalidInstanceInformationFilterValue',
          'The sandbox emulates Filters, not InstanceInformationFilterList',
        )
      const filters = (jsonObjects(input, 'Filters') ?? []).map((f) => ({
        key: jsonString(f, 'Key') ?? '',
        values: jsonStrings(f, 'Values') ?? [],
      }))
      const all = nodes().filter((node) => filters.every((f) => matches(node, f.key, f.values)))
      const { items, nextToken } = paginate(all, {
        pageSize: pageSize(input, 'maxResults', 5, 50, 50),
        token: jsonString(input, 'NextToken'),
        query: JSON.stringify(filters),
        invalidToken,
      })
      return {
        InstanceInformationList: items.map((node) => ({
          InstanceId: node.id,
          PingStatus: node.online ? 'Online' : 'ConnectionLost',
          PlatformType: 'Windows',
          PlatformName: 'Microsoft Windows Server 2022 Datacenter',
          ResourceType: node.resourceType,
          ComputerName: node.name,
          Name: node.name,
          AgentVersion: '3.3.1142.0',
        })),
        NextToken: nextToken,
      }
    },

    DescribeInstancePatchStates(input: JsonInput) {
      const ids = jsonStrings(input, 'InstanceIds') ?? []
      if (ids.length < 1 || ids.length > 50)
        throw validationError('instanceIds', ids, 'Member must have length between 1 and 50')
      // Instances with no patch data (never scanned, or unknown) are left out, not an error.
      const known = ids.filter((id) => world.patching.patching(id))
      const { items, nextToken } = paginate(known, {
        pageSize: pageSize(input, 'maxResults', 10, 100, 50),
        token: jsonString(input, 'NextToken'),
        query: JSON.stringify(ids),
        invalidToken,
      })
      return {
        InstancePatchStates: items.map((id) => {
          const state = world.patching.patching(id)
          const patches = state?.patches ?? []
          const count = (s: PatchState) => patches.filter((p) => p.state === s).length
          const open = patches.filter((p) => NON_COMPLIANT_STATES.includes(p.state))
          const scanned = new Date(state?.scannedAt ?? 0)
          return {
            InstanceId: id,
            PatchGroup: state?.patchGroup ?? '',
            BaselineId: state?.baselineId,
            OperationStartTime: scanned,
            OperationEndTime: scanned,
            Operation: 'Scan',
            InstalledCount: count('INSTALLED'),
            InstalledOtherCount: count('INSTALLED_OTHER'),
            InstalledPendingRebootCount: count('INSTALLED_PENDING_REBOOT'),
            InstalledRejectedCount: count('INSTALLED_REJECTED'),
            MissingCount: count('MISSING'),
            FailedCount: count('FAILED'),
            NotApplicableCount: count('NOT_APPLICABLE'),
            UnreportedNotApplicableCount: 0,
            CriticalNonCompliantCount: open.filter(isCritical).length,
            SecurityNonCompliantCount: open.filter(isSecurity).length,
            OtherNonCompliantCount: open.filter((p) => !isCritical(p) && !isSecurity(p)).length,
            RebootOption: 'RebootIfNeeded',
          }
        }),
        NextToken: nextToken,
      }
    },

    DescribeInstancePatches(input: JsonInput) {
      const instanceId = jsonString(input, 'InstanceId')
      const filters = jsonObjects(input, 'Filters') ?? []
      if (filters.length > 5)
        throw validationError('filters', filters, 'Member must have length less than or equal to 5')
      let patches = patchesOf(instanceId)
      for (const filter of filters) {
        const key = jsonString(filter, 'Key')
        const values = jsonStrings(filter, 'Values') ?? []
        if (key === 'State') {
          const states = values.map((v) => {
            const state = STATE_FILTER[v]
            if (!state)
              throw new ServiceError(400, 'InvalidFilter', `Invalid value ${v} for filter key State`)
            return state
          })
          patches = patches.filter((p) => states.includes(p.state))
        } else if (key === 'Classification')
          patches = patches.filter((p) => values.includes(p.classification))
        else if (key === 'Severity') patches = patches.filter((p) => values.includes(p.severity))
        else if (key === 'KBId') patches = patches.filter((p) => values.includes(p.kbId))
        else throw new ServiceError(400, 'InvalidFilter', `Invalid filter key ${key ?? ''}`)
      }
      const { items, nextToken } = paginate(patches, {
        pageSize: pageSize(input, 'maxResults', 10, 100, 100),
        token: jsonString(input, 'NextToken'),
        query: JSON.stringify({ instanceId, filters }),
        invalidToken,
      })
      return {
        Patches: items.map((p) => ({
          Title: p.title,
          KBId: p.kbId,
          Classification: p.classification,
          Severity: p.severity,
          State: p.state,
          InstalledTime: new Date(0),
        })),
        NextToken: nextToken,
      }
    },
  }
}
