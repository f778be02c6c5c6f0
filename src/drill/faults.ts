// The faults a drill can inject into the demo platform: each one changes the sandbox's world the way
// the real failure would, says at which step types it makes sense, and knows how to heal itself.
import { AWS_MAX_ATTEMPTS } from '../clients/aws.js'
import type { FaultSpec } from '../sandbox/aws/index.js'
import type { DemoPlatform } from '../sandbox/demo-platform.js'

/** Takes the fault back out of the world, so that the world diff shows only what the run left. */
export type Heal = () => void

export interface DrillFault {
  /** Stable: runbooks, CI matrices and reports name faults by it. */
  name: string
  /** One line: what happens to the world. */
  does: string
  /** The step types it can be injected at (`any`: every step). */
  stepTypes: readonly string[] | 'any'
  /** As the step starts, or at its first routine progress report (not a milestone): a shift's first bake. */
  firesOn: 'start' | 'progress'
  /** `process`: the fault is to switchyard itself (the drill runs the CLI as a child it can kill). */
  kind: 'world' | 'process'
  fire(platform: DemoPlatform): Heal
}

/** The replica the flagship adds, the database it seeds first, the alarm its shift is gated on. */
const REPLICA = 'SQL-AWS-1'
const SEEDED_DATABASE = 'GiftCard'
const ALARM = 'giftcard-5xx'

/** Enough refusals in a row to outlast the AWS SDK's own retries of one call. */
const outlastsRetries = AWS_MAX_ATTEMPTS

export const FAULTS: readonly DrillFault[] = [
  {
    name: 'alarm-mid-bake',
    does: `CloudWatch alarm ${ALARM} turns ALARM during the shift's first bake`,
    stepTypes: ['route53.shift'],
    firesOn: 'progress',
    kind: 'world',
    fire({ aws }) {
      const cloudwatch = aws.world.cloudwatch
      const { state, reason } = cloudwatch.alarm(ALARM) ?? { state: 'OK' as const, reason: undefined }
      cloudwatch.setAlarm(
        ALARM,
        'ALARM',
        'Threshold Crossed: 37 datapoints of HTTPCode_Target_5XX_Count >= 1',
      )
      return () => cloudwatch.setAlarm(ALARM, state, reason)
    },
  },
  {
    name: 'web-host-unhealthy',
    does: 'web-aws-1 answers /health with 503 Unhealthy',
    stepTypes: ['route53.shift', 'iis.health'],
    firesOn: 'start',
    kind: 'world',
    fire({ iis, addresses }) {
      const instance = webInstance(addresses)
      iis.setHealth(instance, 'unhealthy')
      return () => iis.setHealth(instance, 'healthy')
    },
  },
  {
    name: 'seed-fails',
    does: `every automatic seed of ${SEEDED_DATABASE} to ${REPLICA} fails half way (Transport, target side, error 10054)`,
    stepTypes: ['sql.seed-replica'],
    firesOn: 'start',
    kind: 'world',
    fire({ sql }) {
      sql.world.failEverySeed(REPLICA, SEEDED_DATABASE, 206, 10054)
      return () => sql.world.stopFailingSeeds(REPLICA, SEEDED_DATABASE)
    },
  },
  {
    name: 'seed-stalls',
    does: `the seed of ${SEEDED_DATABASE} to ${REPLICA} stops moving bytes (found after the step's stall_after)`,
    stepTypes: ['sql.seed-replica'],
    firesOn: 'start',
    kind: 'world',
    fire({ sql }) {
      sql.world.stallSeed(REPLICA, SEEDED_DATABASE)
      return () => sql.world.unstallSeed(REPLICA, SEEDED_DATABASE)
    },
  },
  {
    name: 'replica-disconnects',
    does: `${REPLICA} loses its connection to the primary: its databases go NOT SYNCHRONIZING`,
    stepTypes: ['route53.shift', 'sql.wait-sync', 'sql.failover'],
    firesOn: 'start',
    kind: 'world',
    fire({ sql }) {
      sql.world.setReplicaConnected(REPLICA, false)
      return () => {
        // Rollback removes the replica; a replica still there gets its connection back.
        if (sql.world.groups.some((g) => g.replicas.some((r) => r.server === REPLICA)))
          sql.world.setReplicaConnected(REPLICA, true)
      }
    },
  },
  {
    name: 'route53-throttled',
    does: `Route 53 answers ChangeResourceRecordSets with Throttling (400, Rate exceeded) ${outlastsRetries} times in a row`,
    stepTypes: ['route53.shift', 'route53.weights'],
    firesOn: 'start',
    kind: 'world',
    fire: ({ aws }) => refuseRoute53Changes(aws, { kind: 'throttle' }),
  },
  {
    name: 'route53-5xx',
    does: `Route 53 answers ChangeResourceRecordSets with 503 ServiceUnavailable ${outlastsRetries} times in a row`,
    stepTypes: ['route53.shift', 'route53.weights'],
    firesOn: 'start',
    kind: 'world',
    fire: ({ aws }) => refuseRoute53Changes(aws, { kind: 'server-error', status: 503 }),
  },
  {
    name: 'cli-killed',
    does: 'switchyard itself is killed (SIGKILL) as the step starts; the drill resumes the run, then rolls back',
    stepTypes: 'any',
    firesOn: 'start',
    kind: 'process',
    fire: () => () => {},
  },
  {
    name: 'dc-replication-stops',
    does: 'the AWS DC stops replicating from on-prem: repadmin shows its inbound link failing with 1722 (RPC server unavailable)',
    stepTypes: ['ad.sync'],
    firesOn: 'start',
    kind: 'world',
    fire({ ad, addresses }) {
      const instance = addresses.dcs['dc-aws-1']?.instanceId
      const link = instance ? ad.domainController(instance)?.partners[0] : undefined
      if (!link) throw new Error('the demo platform has no AWS domain controller with a replication link')
      link.status = 1722
      link.failures = 3
      return () => {
        delete link.status
        delete link.failures
      }
    },
  },
]

/** Route 53 refuses every change batch until the SDK's retries of it are spent. */
function refuseRoute53Changes(aws: DemoPlatform['aws'], how: Pick<FaultSpec, 'kind' | 'status'>): Heal {
  const fault = aws.faults.add({
    service: 'route53',
    operation: 'ChangeResourceRecordSets',
    ...how,
    times: outlastsRetries,
  })
  return () => {
    fault.remaining = 0
  }
}

function webInstance(addresses: DemoPlatform['addresses']): string {
  const instance = addresses.web['web-aws-1']?.instanceId
  if (!instance) throw new Error('the demo platform has no web-aws-1')
  return instance
}

export const faultNamed = (name: string) => FAULTS.find((f) => f.name === name)

/** Whether the fault makes sense at a step of this type. */
export const fitsStep = (fault: DrillFault, uses: string) =>
  fault.stepTypes === 'any' || fault.stepTypes.includes(uses)

/** `drill --faults`: a line per fault, its name first. */
export const catalogLines = (): string[] => {
  const width = Math.max(...FAULTS.map((f) => f.name.length))
  return FAULTS.map((f) => {
    const where = f.stepTypes === 'any' ? 'any step' : f.stepTypes.join(', ')
    return `${f.name.padEnd(width)}  ${f.does} [at: ${where}]`
  })
}
