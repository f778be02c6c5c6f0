import { createAutoScalingWorld } from './autoscaling/world.js'
import type { Clock } from './clock.js'
import { createCloudWatchWorld } from './cloudwatch/world.js'
import { createEc2World } from './ec2/world.js'
import { createElbv2World } from './elbv2/world.js'
import { createRoute53World } from './route53/world.js'
import { createS3World } from './s3/world.js'
import { createSnsWorld } from './sns/world.js'
import { createSsmWorld } from './ssm/world.js'
import { createStsWorld } from './sts/world.js'

/** Everything the emulated services hold, with the helpers tests use to arrange and inspect it. */
export type AwsWorld = ReturnType<typeof createAwsWorld>

export function createAwsWorld(options: { clock: Clock; account: string; region: string }) {
  const { clock, region } = options
  const sts = createStsWorld(options.account)
  const identity = () => ({ account: sts.identity.Account, region })
  const ec2 = createEc2World(clock)
  const services = {
    sts,
    route53: createRoute53World(clock),
    ec2,
    ssm: createSsmWorld(clock, ec2),
    cloudwatch: createCloudWatchWorld(clock),
    sns: createSnsWorld(identity),
    s3: createS3World(clock),
    elbv2: createElbv2World(identity),
    autoscaling: createAutoScalingWorld(clock, identity),
  }
  return {
    region,
    identity,
    ...services,
    /** Every service's state as plain data, for a world diff. */
    snapshotState() {
      return Object.fromEntries(
        Object.entries(services).map(([name, service]) => [name, service.snapshotState()]),
      )
    },
  }
}
