import { hex } from '../ids.js'

export type TargetHealthState =
  | 'initial'
  | 'healthy'
  | 'unhealthy'
  | 'unhealthy.draining'
  | 'unused'
  | 'draining'
  | 'unavailable'

/** What ELB says with each reason code (Network Load Balancer wording). */
export const REASON_DESCRIPTIONS: Record<string, string> = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Elb.InternalError': 'Health checks failed due to an internal error',
  'Target.FailedHealthChecks': 'Health checks failed',
  'Target.Timeout': 'Request timed out',
  'Target.NotRegistered': 'Target is not registered to the target group',
  'Target.NotInUse': 'Target group is not configured to receive traffic from the load balancer',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
  'Target.InvalidState': 'Target is in the stopped state',
  'Target.HealthCheckDisabled': 'Health checks are disabled',
}

export interface LoadBalancerSpec {
  name: string
  scheme: 'internet-facing' | 'internal'
  /** One subnet per zone; `ip` is the static (Elastic) address an internet-facing NLB answers on. */
  zones: { zone: string; subnetId: string; ip?: string; allocationId?: string }[]
  vpcId?: string
}

export interface LoadBalancer extends Required<Omit<LoadBalancerSpec, 'zones'>> {
  arn: string
  dnsName: string
  zones: LoadBalancerSpec['zones']
  createdAt: number
}

export interface RegisteredTarget {
  id: string
  port: number
  availabilityZone: string
  state: TargetHealthState
  reason?: string
}

export interface TargetGroup {
  arn: string
  name: string
  protocol: string
  port: number
  vpcId: string
  loadBalancerArns: string[]
  targetType: 'instance' | 'ip'
  healthCheckPath?: string
  targets: RegisteredTarget[]
}

export interface TargetGroupSpec {
  name: string
  protocol?: string
  port: number
  loadBalancers?: string[]
  /** `ip` for targets by address (appliances such as firewalls); default `instance`. */
  targetType?: 'instance' | 'ip'
  healthCheckPath?: string
  vpcId?: string
}

export type Elbv2World = ReturnType<typeof createElbv2World>

export function createElbv2World(identity: () => { account: string; region: string }) {
  const loadBalancers = new Map<string, LoadBalancer>()
  const targetGroups = new Map<string, TargetGroup>()
  const arnOf = (kind: string, name: string) => {
    const { account, region } = identity()
    return `arn:aws:elasticloadbalancing:${region}:${account}:${kind}/${name}/${hex(16)}`
  }
  const groupOrThrow = (nameOrArn: string): TargetGroup => {
    const group = world.targetGroup(nameOrArn)
    if (!group) throw new Error(`No target group ${nameOrArn} in the sandbox`)
    return group
  }

  const world = {
    addLoadBalancer(spec: LoadBalancerSpec, createdAt = 0): LoadBalancer {
      const { region } = identity()
      const lb: LoadBalancer = {
        vpcId: 'vpc-0giftcard',
        ...spec,
        arn: arnOf('loadbalancer/net', spec.name),
        dnsName: `${spec.name}-${hex(10)}.elb.${region}.amazonaws.com`,
        createdAt,
      }
      loadBalancers.set(lb.arn, lb)
      return lb
    },

    loadBalancers(): LoadBalancer[] {
      return [...loadBalancers.values()]
    },

    /** A target group, attached to the named load balancers (by name or ARN). */
    addTargetGroup(spec: TargetGroupSpec): TargetGroup {
      const lbArns = (spec.loadBalancers ?? []).map((ref) => {
        const lb = [...loadBalancers.values()].find((l) => l.arn === ref || l.name === ref)
        if (!lb) throw new Error(`No load balancer ${ref} in the sandbox`)
        return lb.arn
      })
      const group: TargetGroup = {
        arn: arnOf('targetgroup', spec.name),
        name: spec.name,
        protocol: spec.protocol ?? 'TCP',
        port: spec.port,
        vpcId: spec.vpcId ?? 'vpc-0giftcard',
        loadBalancerArns: lbArns,
        targetType: spec.targetType ?? 'instance',
        ...(spec.healthCheckPath ? { healthCheckPath: spec.healthCheckPath } : {}),
        targets: [],
      }
      targetGroups.set(group.arn, group)
      return group
    },

    targetGroup(nameOrArn: string): TargetGroup | undefined {
      return targetGroups.get(nameOrArn) ?? [...targetGroups.values()].find((g) => g.name === nameOrArn)
    },

    targetGroups(): TargetGroup[] {
      return [...targetGroups.values()]
    },

    /** Registers a target; healthy when its group takes traffic, else `unused` as ELB reports it. */
    registerTarget(group: string, target: { id: string; port?: number; availabilityZone?: string }): void {
      const g = groupOrThrow(group)
      const attached = g.loadBalancerArns.length > 0
      g.targets.push({
        id: target.id,
        port: target.port ?? g.port,
        availabilityZone: target.availabilityZone ?? 'us-east-1a',
        state: attached ? 'healthy' : 'unused',
        ...(attached ? {} : { reason: 'Target.NotInUse' }),
      })
    },

    /** What DescribeTargetHealth reports for a target (every port it is registered on). */
    setTargetHealth(group: string, id: string, state: TargetHealthState, reason?: string): void {
      const targets = groupOrThrow(group).targets.filter((t) => t.id === id)
      if (targets.length === 0) throw new Error(`${id} is not registered in target group ${group}`)
      for (const target of targets) {
        target.state = state
        if (reason === undefined) delete target.reason
        else target.reason = reason
      }
    },

    deregisterAll(group: string): void {
      groupOrThrow(group).targets = []
    },

    /** Load balancers, and each target group's targets with their health. */
    snapshotState() {
      return {
        loadBalancers: Object.fromEntries(
          [...loadBalancers.values()].map((lb) => [
            lb.name,
            { ...lb, zones: lb.zones.map((z) => ({ ...z })) },
          ]),
        ),
        targetGroups: Object.fromEntries(
          [...targetGroups.values()].map((g) => [
            g.name,
            { ...g, targets: g.targets.map((t) => ({ ...t })) },
          ]),
        ),
      }
    },
  }
  return world
}
