import type { AwsWorld } from './world.js'

/** The hosted zone of the demo world; the sandbox runbooks use it as their `zone` param's default. */
export const DEMO_ZONE_ID = 'Z0SANDBOXGIFT01'

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
  for (const n of [1, 2])
    world.ec2.addInstance({
      tags: { Name: `web-aws-${n}`, Role: 'web', Env: 'prod' },
      platform: 'windows',
      privateIp: `127.0.1.1${n}`,
    })
  world.sns.addTopic('giftcard-cutover')
  // For rehearsing team state: --state-dir s3://sandbox-state/PREFIX.
  world.s3.createBucket('sandbox-state', { versioning: true })
}
