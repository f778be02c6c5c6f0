import { DEMO_RECORD, DEMO_ZONE_ID } from '../aws/demo-world.js'
import type { DemoPlatform } from '../demo-platform.js'
import { type LoadOptions, type LoadRun, startLoad } from './load.js'

/** Customers of the demo platform: www.gift.example through its Route 53, to the on-prem or AWS web servers. */
export function startDemoLoad(
  platform: DemoPlatform,
  rps: number,
  options: Partial<Omit<LoadOptions, 'rps'>> = {},
): LoadRun {
  return startLoad({
    route53: platform.aws.world.route53,
    question: { zoneId: DEMO_ZONE_ID, name: DEMO_RECORD.name, type: DEMO_RECORD.type },
    frontends: platform.addresses.frontends,
    rps,
    ...options,
  })
}
