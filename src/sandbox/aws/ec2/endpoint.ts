import {
  type FormValue,
  formBoolean,
  formInteger,
  formList,
  formRecord,
  formString,
  formStrings,
} from '../form-params.js'
import { paginate } from '../paging.js'
import { type QueryParams, queryEndpoint } from '../query-endpoint.js'
import type { ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import { applyFilters, readFilters, readTags, tagField, tagSet } from './filters.js'
import { networkInterfaceOperations } from './network-interface-operations.js'
import { dryRun, requiredString } from './request-checks.js'
import { type Ec2World, INSTANCE_ID, type Instance, type Snapshot, STATE_CODES } from './world.js'

const invalidValue = (message: string) => new ServiceError(400, 'InvalidParameterValue', message)

function instanceIdsNotFound(ids: string[]): ServiceError {
  return new ServiceError(
    400,
    'InvalidInstanceID.NotFound',
    ids.length === 1
      ? `The instance ID '${ids[0]}' does not exist`
      : `The instance IDs '${ids.join(', ')}' do not exist`,
  )
}

function checkInstanceIds(ids: string[]): void {
  const malformed = ids.find((id) => !INSTANCE_ID.test(id))
  if (malformed) throw new ServiceError(400, 'InvalidInstanceID.Malformed', `Invalid id: "${malformed}"`)
}

/** `MaxResults` is 5–1000 and may not be combined with explicit ids. */
function pageSize(params: QueryParams, idsGiven: boolean, idsParameter: string): number | undefined {
  const max = formInteger(params, 'MaxResults')
  if (max === undefined) return undefined
  if (idsGiven)
    throw new ServiceError(
      400,
      'InvalidParameterCombination',
      `The parameter ${idsParameter} cannot be used with the parameter maxResults`,
    )
  if (max < 5 || max > 1000)
    throw invalidValue(
      `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
    )
  return max
}

function page<T>(all: T[], params: QueryParams, size: number | undefined, query: string) {
  if (size === undefined && !formString(params, 'NextToken')) return { items: all, nextToken: undefined }
  return paginate(all, {
    pageSize: size ?? 1000,
    token: formString(params, 'NextToken'),
    query,
    invalidToken: () =>
      new ServiceError(
        400,
        'InvalidPaginationToken',
        'The specified pagination token is not valid or is expired.',
      ),
  })
}

const instanceState = (instance: Instance) => ({ code: STATE_CODES[instance.state], name: instance.state })

function instanceOutput(instance: Instance) {
  return {
    instanceId: instance.id,
    imageId: instance.imageId,
    instanceState: instanceState(instance),
    privateDnsName: `ip-${instance.privateIp.replaceAll('.', '-')}.ec2.internal`,
    instanceType: instance.instanceType,
    launchTime: new Date(instance.launchTime),
    placement: { availabilityZone: instance.availabilityZone, tenancy: 'default' },
    platform: instance.platform === 'windows' ? 'windows' : undefined,
    privateIpAddress: instance.privateIp,
    rootDeviceType: 'ebs',
    rootDeviceName: instance.volumes.find((v) => v.boot)?.device,
    blockDeviceMapping: instance.volumes.map((volume) => ({
      deviceName: volume.device,
      ebs: {
        volumeId: volume.id,
        status: 'attached',
        attachTime: new Date(instance.launchTime),
        deleteOnTermination: volume.boot,
      },
    })),
    tagSet: tagSet(instance.tags),
  }
}

function instanceField(instance: Instance, name: string): string | string[] | undefined {
  switch (name) {
    case 'instance-id':
      return instance.id
    case 'instance-state-name':
      return instance.state
    case 'instance-state-code':
      return String(STATE_CODES[instance.state])
    case 'private-ip-address':
      return instance.privateIp
    case 'platform':
      return instance.platform === 'windows' ? 'windows' : []
    case 'instance-type':
      return instance.instanceType
    case 'availability-zone':
      return instance.availabilityZone
    case 'system-status.status':
      return statusOf(instance).system
    case 'instance-status.status':
      return statusOf(instance).instance
    default:
      return tagField(instance.tags, name)
  }
}

/** Status checks only mean something while an instance runs. */
function statusOf(instance: Instance): { system: string; instance: string } {
  if (instance.state !== 'running') return { system: 'not-applicable', instance: 'not-applicable' }
  return { system: instance.systemStatus, instance: instance.instanceStatus }
}

function statusSummary(status: string) {
  const reachability = status === 'ok' ? 'passed' : status === 'impaired' ? 'failed' : status
  return {
    status,
    details: status === 'not-applicable' ? undefined : [{ name: 'reachability', status: reachability }],
  }
}

const INSTANCE_FILTERS = [
  'instance-id',
  'instance-state-name',
  'instance-state-code',
  'private-ip-address',
  'platform',
  'instance-type',
  'availability-zone',
]
const STATUS_FILTERS = [
  'instance-id',
  'instance-state-name',
  'instance-state-code',
  'availability-zone',
  'system-status.status',
  'instance-status.status',
]
const SNAPSHOT_FILTERS = ['snapshot-id', 'volume-id', 'status', 'owner-id', 'description']

export function ec2Endpoint(world: Ec2World, account: () => string): ServiceEndpoint {
  /** Instances named by id (all must exist), or every instance. */
  function selectInstances(ids: string[]): Instance[] {
    checkInstanceIds(ids)
    if (ids.length === 0) return world.instances()
    const missing = ids.filter((id) => !world.instance(id))
    if (missing.length > 0) throw instanceIdsNotFound(missing)
    return ids.map((id) => world.instance(id) as Instance)
  }

  function snapshotOutput(snapshot: Snapshot, stateElement: 'state' | 'status') {
    const { state, progress } = world.snapshotProgress(snapshot)
    return {
      snapshotId: snapshot.id,
      volumeId: snapshot.volumeId,
      [stateElement]: state,
      startTime: new Date(snapshot.startTime),
      progress,
      ownerId: account(),
      volumeSize: snapshot.sizeGiB,
      description: snapshot.description,
      encrypted: false,
      tagSet: tagSet(snapshot.tags),
    }
  }

  const operations = {
    ...networkInterfaceOperations(world, account),

    DescribeInstances(params: QueryParams) {
      const ids = formStrings(params, 'InstanceId')
      const size = pageSize(params, ids.length > 0, 'instancesSet')
      const filters = readFilters(formList(params, 'Filter'))
      const matching = applyFilters(selectInstances(ids), filters, instanceField, INSTANCE_FILTERS)
      const { items, nextToken } = page(matching, params, size, JSON.stringify({ ids, filters }))
      return {
        reservationSet: items.map((instance) => ({
          reservationId: instance.reservationId,
          ownerId: account(),
          instancesSet: [instanceOutput(instance)],
        })),
        nextToken,
      }
    },

    DescribeInstanceStatus(params: QueryParams) {
      const ids = formStrings(params, 'InstanceId')
      const size = pageSize(params, ids.length > 0, 'instancesSet')
      const includeAll = formBoolean(params, 'IncludeAllInstances') ?? false
      const filters = readFilters(formList(params, 'Filter'))
      const shown = selectInstances(ids).filter((i) => includeAll || i.state === 'running')
      const matching = applyFilters(shown, filters, instanceField, STATUS_FILTERS)
      const { items, nextToken } = page(matching, params, size, JSON.stringify({ ids, filters, includeAll }))
      return {
        instanceStatusSet: items.map((instance) => {
          const status = statusOf(instance)
          return {
            instanceId: instance.id,
            availabilityZone: instance.availabilityZone,
            instanceState: instanceState(instance),
            systemStatus: statusSummary(status.system),
            instanceStatus: statusSummary(status.instance),
          }
        }),
        nextToken,
      }
    },

    CreateSnapshots(params: QueryParams) {
      const spec = formRecord(params.InstanceSpecification, 'InstanceSpecification')
      const instanceId = requiredString(spec, 'InstanceId', 'InstanceSpecification.InstanceId')
      const [instance] = selectInstances([instanceId])
      if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down')
        throw new ServiceError(
          400,
          'IncorrectInstanceState',
          `The instance '${instanceId}' is not in a state from which it can be snapshotted`,
        )
      const excludeBoot = formBoolean(spec, 'ExcludeBootVolume') ?? false
      const excluded = formStrings(spec, 'ExcludeDataVolumeId')
      for (const id of excluded)
        if (!instance.volumes.some((v) => v.id === id && !v.boot))
          throw invalidValue(`The volume '${id}' is not a data volume attached to instance '${instanceId}'`)
      const tags: Record<string, string> = {}
      formList(params, 'TagSpecification').forEach((entry, i) => {
        const tagSpec = formRecord(entry, `TagSpecification.${i + 1}`)
        const resourceType = formString(tagSpec, 'ResourceType')
        if (resourceType !== 'snapshot')
          throw invalidValue(
            `'${resourceType ?? ''}' is not a valid taggable resource type for this operation.`,
          )
        Object.assign(tags, readTags(formList(tagSpec, 'Tag'), `TagSpecification.${i + 1}.Tag`))
      })
      const copyTags = formString(params, 'CopyTagsFromSource')
      if (copyTags !== undefined && copyTags !== 'volume')
        throw invalidValue(
          `Value (${copyTags}) for parameter CopyTagsFromSource is invalid. Expected: 'volume'.`,
        )
      dryRun(params)
      const description = formString(params, 'Description') ?? ''
      const volumes = instance.volumes.filter((v) => !(v.boot && excludeBoot) && !excluded.includes(v.id))
      // One point in time for the whole set: every snapshot is taken before any is answered.
      const taken = volumes.map((volume) =>
        world.takeSnapshot(
          volume,
          description,
          copyTags === 'volume' ? { ...volume.tags, ...tags } : { ...tags },
        ),
      )
      return { snapshotSet: taken.map((snapshot) => snapshotOutput(snapshot, 'state')) }
    },

    DescribeSnapshots(params: QueryParams) {
      const ids = formStrings(params, 'SnapshotId')
      const size = pageSize(params, ids.length > 0, 'snapshotSet')
      const owners = formStrings(params, 'Owner')
      const filters = readFilters(formList(params, 'Filter'))
      const missing = ids.filter((id) => !world.snapshot(id))
      if (missing.length > 0)
        throw new ServiceError(
          400,
          'InvalidSnapshot.NotFound',
          `The snapshot '${missing.join(', ')}' does not exist.`,
        )
      const selected = ids.length > 0 ? ids.map((id) => world.snapshot(id) as Snapshot) : world.snapshots()
      const owned = owners.length === 0 || owners.some((o) => o === 'self' || o === account()) ? selected : []
      const matching = applyFilters(
        owned,
        filters,
        (snapshot, name) => {
          if (name === 'snapshot-id') return snapshot.id
          if (name === 'volume-id') return snapshot.volumeId
          if (name === 'status') return world.snapshotProgress(snapshot).state
          if (name === 'owner-id') return account()
          if (name === 'description') return snapshot.description
          return tagField(snapshot.tags, name)
        },
        SNAPSHOT_FILTERS,
      )
      const { items, nextToken } = page(matching, params, size, JSON.stringify({ ids, owners, filters }))
      // DescribeSnapshots names the element <status> where CreateSnapshots says <state>.
      return { snapshotSet: items.map((snapshot) => snapshotOutput(snapshot, 'status')), nextToken }
    },

    DeleteSnapshot(params: QueryParams) {
      const id = formString(params, 'SnapshotId')
      if (!id)
        throw new ServiceError(400, 'MissingParameter', 'The request must contain the parameter SnapshotId')
      dryRun(params)
      if (!world.deleteSnapshot(id))
        throw new ServiceError(400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`)
      return { return: true }
    },

    CreateTags(params: QueryParams) {
      const ids = formStrings(params, 'ResourceId')
      const tags = readTags(formList(params, 'Tag'), 'Tag')
      const targets = ids.map((id) => taggable(id))
      dryRun(params)
      for (const target of targets) Object.assign(target, tags)
      return { return: true }
    },
  } satisfies Record<string, (params: Record<string, FormValue>) => unknown>

  function taggable(id: string): Record<string, string> {
    if (id.startsWith('i-')) {
      const instance = world.instance(id)
      if (!instance) throw instanceIdsNotFound([id])
      return instance.tags
    }
    if (id.startsWith('vol-')) {
      const volume = world.volume(id)
      if (!volume) throw new ServiceError(400, 'InvalidVolume.NotFound', `The volume '${id}' does not exist.`)
      return volume.tags
    }
    const snapshot = world.snapshot(id)
    if (!snapshot) throw new ServiceError(400, 'InvalidID', `The ID '${id}' is not valid`)
    return snapshot.tags
  }

  return {
    name: 'ec2',
    protocol: 'ec2Query',
    signingName: 'ec2',
    namespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
    // Real EC2 sends RequestLimitExceeded with HTTP 503.
    throttle: { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
    ...queryEndpoint('2016-11-15', operations),
  }
}
