import type { Clock } from '../clock.js'
import { ec2Id, hex } from '../ids.js'
import { createNetworkInterfaces, subnetOf } from './network-interfaces.js'

export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped'
export type StatusValue = 'ok' | 'impaired' | 'initializing' | 'insufficient-data' | 'not-applicable'
export type SnapshotState = 'pending' | 'completed' | 'error'

export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
}

export interface Volume {
  id: string
  device: string
  sizeGiB: number
  boot: boolean
  tags: Record<string, string>
}

export interface Instance {
  id: string
  reservationId: string
  imageId: string
  state: InstanceStateName
  tags: Record<string, string>
  privateIp: string
  platform: 'windows' | 'linux'
  instanceType: string
  availabilityZone: string
  launchTime: number
  volumes: Volume[]
  systemStatus: StatusValue
  instanceStatus: StatusValue
}

export interface InstanceSpec {
  id?: string
  tags?: Record<string, string>
  state?: InstanceStateName
  privateIp?: string
  platform?: 'windows' | 'linux'
  instanceType?: string
  availabilityZone?: string
  /** CIDR of the subnet of the instance's primary ENI (default: the /24 of its private IP). */
  subnetCidr?: string
  /** Default: one boot volume. The first listed is the boot volume. */
  volumes?: { id?: string; device?: string; sizeGiB?: number; tags?: Record<string, string> }[]
}

export interface Snapshot {
  id: string
  volumeId: string
  description: string
  tags: Record<string, string>
  sizeGiB: number
  startTime: number
  /** Fixed when the snapshot is taken, from `snapshotCompleteAfterMs`. */
  completeAfterMs: number
  failed: boolean
}

export const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/

export type Ec2World = ReturnType<typeof createEc2World>

export function createEc2World(clock: Clock) {
  const instances = new Map<string, Instance>()
  const snapshots = new Map<string, Snapshot>()
  const networkInterfaces = createNetworkInterfaces()
  let nextIp = 10

  const instanceOrThrow = (id: string): Instance => {
    const instance = instances.get(id)
    if (!instance) throw new Error(`No instance ${id} in the sandbox`)
    return instance
  }

  const world = {
    ...networkInterfaces,

    /** How long a new snapshot stays pending (its progress rising) before it completes. */
    snapshotCompleteAfterMs: 0,

    addInstance(spec: InstanceSpec = {}): Instance {
      const id = spec.id ?? ec2Id('i')
      if (!INSTANCE_ID.test(id))
        throw new TypeError(`Instance id '${id}' is not an EC2 id (i- and 8 to 17 hex digits)`)
      if (instances.has(id)) throw new TypeError(`Instance ${id} is already in the sandbox`)
      const platform = spec.platform ?? 'windows'
      const volumeSpecs = spec.volumes ?? [{}]
      const instance: Instance = {
        id,
        reservationId: ec2Id('r'),
        imageId: `ami-0${hex(16)}`,
        state: spec.state ?? 'running',
        tags: { ...spec.tags },
        privateIp: spec.privateIp ?? `10.0.1.${nextIp++}`,
        platform,
        instanceType: spec.instanceType ?? 'm5.large',
        availabilityZone: spec.availabilityZone ?? 'us-east-1a',
        launchTime: clock(),
        volumes: volumeSpecs.map((v, i) => ({
          id: v.id ?? ec2Id('vol'),
          device:
            v.device ??
            (i === 0
              ? platform === 'windows'
                ? '/dev/sda1'
                : '/dev/xvda'
              : `xvd${String.fromCharCode(98 + i)}`),
          sizeGiB: v.sizeGiB ?? (i === 0 ? 30 : 100),
          boot: i === 0,
          tags: { ...v.tags },
        })),
        systemStatus: 'ok',
        instanceStatus: 'ok',
      }
      instances.set(id, instance)
      networkInterfaces.attachPrimary(
        id,
        instance.privateIp,
        spec.subnetCidr ?? subnetOf(instance.privateIp),
        instance.availabilityZone,
      )
      return instance
    },

    instance(id: string): Instance | undefined {
      return instances.get(id)
    },

    instances(): Instance[] {
      return [...instances.values()]
    },

    setState(id: string, state: InstanceStateName): void {
      instanceOrThrow(id).state = state
      // A terminated instance's primary ENI is deleted with it, and its private IPs freed.
      if (state === 'terminated') networkInterfaces.deleteAttachedTo(id)
    },

    /** What DescribeInstanceStatus reports for a running instance. */
    setStatus(id: string, status: { system?: StatusValue; instance?: StatusValue }): void {
      const instance = instanceOrThrow(id)
      if (status.system) instance.systemStatus = status.system
      if (status.instance) instance.instanceStatus = status.instance
    },

    takeSnapshot(volume: Volume, description: string, tags: Record<string, string>): Snapshot {
      const snapshot: Snapshot = {
        id: ec2Id('snap'),
        volumeId: volume.id,
        description,
        tags,
        sizeGiB: volume.sizeGiB,
        startTime: clock(),
        completeAfterMs: world.snapshotCompleteAfterMs,
        failed: false,
      }
      snapshots.set(snapshot.id, snapshot)
      return snapshot
    },

    snapshot(id: string): Snapshot | undefined {
      return snapshots.get(id)
    },

    snapshots(): Snapshot[] {
      return [...snapshots.values()]
    },

    deleteSnapshot(id: string): boolean {
      return snapshots.delete(id)
    },

    /** Makes a snapshot end in `error`, as a failed EBS snapshot does. */
    failSnapshot(id: string): void {
      const snapshot = snapshots.get(id)
      if (!snapshot) throw new Error(`No snapshot ${id} in the sandbox`)
      snapshot.failed = true
    },

    snapshotProgress(snapshot: Snapshot): { state: SnapshotState; progress: string } {
      if (snapshot.failed) return { state: 'error', progress: '0%' }
      const elapsed = clock() - snapshot.startTime
      if (elapsed >= snapshot.completeAfterMs) return { state: 'completed', progress: '100%' }
      return { state: 'pending', progress: `${Math.floor((elapsed / snapshot.completeAfterMs) * 100)}%` }
    },

    /** The ENIs attached to an instance, its primary one first. */
    networkInterfacesOf: (instanceId: string) =>
      networkInterfaces.networkInterfaces().filter((n) => n.instanceId === instanceId),

    /** Instances with their volumes, EBS snapshots and ENIs, as plain data. */
    snapshotState() {
      return {
        instances: Object.fromEntries(
          [...instances.values()].map(({ volumes, ...instance }) => [
            instance.id,
            {
              ...instance,
              tags: { ...instance.tags },
              volumes: Object.fromEntries(volumes.map((v) => [v.id, { ...v, tags: { ...v.tags } }])),
            },
          ]),
        ),
        snapshots: Object.fromEntries(
          [...snapshots.values()].map((s) => [s.id, { ...s, tags: { ...s.tags } }]),
        ),
        networkInterfaces: networkInterfaces.snapshotState(),
      }
    },

    /** Finds a volume by id across instances. */
    volume(id: string): Volume | undefined {
      for (const instance of instances.values()) {
        const found = instance.volumes.find((v) => v.id === id)
        if (found) return found
      }
      return undefined
    },
  }
  return world
}
