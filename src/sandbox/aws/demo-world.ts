import type { AwsWorld } from './world.js'

/** The hosted zone of the demo world; the sandbox runbooks use it as their `zone` param's default. */
export const DEMO_ZONE_ID = 'Z0SANDBOXGIFT01'

/** The platform's load balancing and scaling, as the flagship's params name them. */
export const DEMO_PLATFORM_AWS = {
  /** Internet-facing NLB, static IPs, firewalls behind it. */
  publicLoadBalancer: 'giftcard-public',
  firewallTargetGroup: 'giftcard-firewalls',
  /** Internal NLB to the web tier across two AZs. */
  internalLoadBalancer: 'giftcard-web-internal',
  webTargetGroup: 'giftcard-web',
  webAutoScalingGroup: 'giftcard-web-asg',
  zones: ['us-east-1a', 'us-east-1b'],
  /** On-premises servers registered with SSM (mi-): patched by Patch Manager, not in EC2. */
  onPremServers: [
    { id: 'mi-0a1b2c3d4e5f60001', name: 'SQL-ONPREM-2', tags: { Role: 'sql', Env: 'prod', Site: 'onprem' } },
    { id: 'mi-0a1b2c3d4e5f60002', name: 'WEB-ONPREM-1', tags: { Role: 'web', Env: 'prod', Site: 'onprem' } },
  ],
} as const

/** A patched Windows Server: this month's cumulative update and Defender definitions installed. */
const PATCHED = [
  {
    kbId: 'KB5046616',
    title:
      '2026-11 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems',
    classification: 'SecurityUpdates',
    severity: 'Critical',
    state: 'INSTALLED',
  },
  {
    kbId: 'KB2267602',
    title: 'Security Intelligence Update for Microsoft Defender Antivirus',
    classification: 'DefinitionUpdates',
    severity: 'Unspecified',
    state: 'INSTALLED',
  },
] as const

/** The weighted CNAME customers resolve, and what each of its two sets answers: the sites' load balancers. */
export const DEMO_RECORD = {
  name: 'www.gift.example',
  type: 'CNAME',
  answers: { onprem: 'lb.dc1.gift.example', aws: 'alb-giftcard.us-east-1.elb.amazonaws.com' },
} as const

/**
 * The gift-card platform as the sandbox plays it: a zone with the weighted record that moves from
 * on-prem to AWS, the 5xx alarm that gates the shift, the AWS web servers, a topic for notices,
 * and a versioned bucket for team state.
 */
export function seedDemoWorld(world: AwsWorld): void {
  world.route53.addZone({ name: 'gift.example', id: DEMO_ZONE_ID })
  for (const [id, weight] of [
    ['onprem', 100],
    ['aws', 0],
  ] as const)
    world.route53.putRecord(DEMO_ZONE_ID, {
      Name: DEMO_RECORD.name,
      Type: DEMO_RECORD.type,
      SetIdentifier: id,
      Weight: weight,
      TTL: 1,
      ResourceRecords: [{ Value: DEMO_RECORD.answers[id] }],
    })
  world.cloudwatch.addAlarm({
    name: 'giftcard-5xx',
    state: 'OK',
    reason: 'Threshold Crossed: no 5xx in the last minute',
  })
  // Private IPs on loopback: the demo platform's IIS health endpoints listen there.
  const web = [1, 2].map((n) =>
    world.ec2.addInstance({
      tags: { Name: `web-aws-${n}`, Role: 'web', Env: 'prod' },
      platform: 'windows',
      privateIp: `127.0.1.1${n}`,
      availabilityZone: DEMO_PLATFORM_AWS.zones[n - 1] as string,
    }),
  )
  seedLoadBalancing(world, web)
  world.sns.addTopic('giftcard-cutover')
  // For rehearsing team state: --state-dir s3://sandbox-state/PREFIX.
  world.s3.createBucket('sandbox-state', { versioning: true })
}

/** The NLBs in front of the web tier, its target groups, and the Auto Scaling group that keeps it in service. */
function seedLoadBalancing(world: AwsWorld, web: { id: string; availabilityZone: string }[]): void {
  const P = DEMO_PLATFORM_AWS
  world.elbv2.addLoadBalancer({
    name: P.publicLoadBalancer,
    scheme: 'internet-facing',
    zones: P.zones.map((zone, i) => ({
      zone,
      subnetId: `subnet-0public${i + 1}`,
      ip: `203.0.113.${10 + i}`,
      allocationId: `eipalloc-0giftcard${i + 1}`,
    })),
  })
  world.elbv2.addTargetGroup({
    name: P.firewallTargetGroup,
    port: 443,
    targetType: 'ip',
    loadBalancers: [P.publicLoadBalancer],
  })
  for (const [i, zone] of P.zones.entries())
    world.elbv2.registerTarget(P.firewallTargetGroup, { id: `10.20.${i}.4`, availabilityZone: zone })

  world.elbv2.addLoadBalancer({
    name: P.internalLoadBalancer,
    scheme: 'internal',
    zones: P.zones.map((zone, i) => ({ zone, subnetId: `subnet-0web${i + 1}` })),
  })
  const webGroup = world.elbv2.addTargetGroup({
    name: P.webTargetGroup,
    port: 443,
    protocol: 'TLS',
    healthCheckPath: '/health',
    loadBalancers: [P.internalLoadBalancer],
  })
  for (const instance of web)
    world.elbv2.registerTarget(P.webTargetGroup, {
      id: instance.id,
      availabilityZone: instance.availabilityZone,
    })

  world.autoscaling.addGroup({
    name: P.webAutoScalingGroup,
    min: web.length,
    max: web.length * 2,
    desired: web.length,
    availabilityZones: [...P.zones],
    targetGroupArns: [webGroup.arn],
    instances: web.map((i) => ({ id: i.id, availabilityZone: i.availabilityZone })),
  })
}

/**
 * Patch Manager's last scan of every server of the platform, EC2 and on-premises (mi-) alike: all
 * COMPLIANT. Called once every instance of the demo platform exists.
 */
export function seedDemoPatching(world: AwsWorld): void {
  for (const server of DEMO_PLATFORM_AWS.onPremServers)
    world.ssm.addManagedInstance(server.id, server.name, { ...server.tags })
  const ids = [
    ...world.ec2
      .instances()
      .filter((i) => i.tags.Env === 'prod')
      .map((i) => i.id),
    ...DEMO_PLATFORM_AWS.onPremServers.map((s) => s.id),
  ]
  for (const id of ids)
    world.ssm.patching.setPatching(id, {
      patchGroup: 'giftcard-prod',
      patches: PATCHED.map((p) => ({ ...p })),
    })
}
